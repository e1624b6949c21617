//! Random input at every public entry point, in a build where the C's asserts are live (tests
//! build with debug assertions, so netcode-sys keeps them): nothing may abort, panic or
//! misbehave. Every call either works or returns an error.

use std::net::SocketAddr;

use netcode::{
    ConnectToken, ConnectionState, Error, NetcodeClient, NetcodeServer, NetworkSimulator,
    ServerConfig, Session, Token, UdpServer, NETCODE_MAX_PAYLOAD_SIZE,
};
use proptest::prelude::*;

const PROTOCOL_ID: u64 = 42;

fn config(max_clients: usize) -> ServerConfig {
    ServerConfig::new("127.0.0.1:0".parse().unwrap(), PROTOCOL_ID, [1; 32]).max_clients(max_clients)
}

/// A simulated server with one connected client, ready for abuse.
fn connected_pair() -> (NetworkSimulator, NetcodeServer, NetcodeClient) {
    connected_pair_on(netcode::Version::V1_02)
}

fn connected_pair_on(
    version: netcode::Version,
) -> (NetworkSimulator, NetcodeServer, NetcodeClient) {
    let simulator = NetworkSimulator::new().unwrap();
    let config = ServerConfig::new("[::1]:40000".parse().unwrap(), PROTOCOL_ID, [1; 32])
        .max_clients(4)
        .version(version);
    let mut server = NetcodeServer::with_simulator(&simulator, config).unwrap();
    let mut client =
        NetcodeClient::with_simulator(&simulator, "[::1]:50000".parse().unwrap()).unwrap();
    client
        .connect(&server.generate_token(1, &[0; 256]).unwrap())
        .unwrap();
    let mut time = 0.0;
    while client.state() != ConnectionState::Connected {
        simulator.update(time);
        client.update(time);
        server.update(time);
        time += 0.1;
        assert!(time < 5.0);
    }
    (simulator, server, client)
}

/// Runs the pair for a few ticks; returns the first payload each side received (the server's
/// from the client in slot 0).
fn first_payloads(
    simulator: &NetworkSimulator,
    server: &mut NetcodeServer,
    client: &mut NetcodeClient,
) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
    let session = server.client(0).unwrap().session;
    let mut time = 10.0;
    let (mut up, mut down) = (None, None);
    for _ in 0..5 {
        simulator.update(time);
        client.update(time);
        server.update(time);
        up = up.or_else(|| server.receive(session).map(|p| p.to_vec()));
        down = down.or_else(|| client.receive().map(|p| p.to_vec()));
        time += 0.05;
    }
    (up, down)
}

#[test]
fn the_sizes_the_issue_names() {
    let (_simulator, mut server, mut client) = connected_pair();
    let session = server.client(0).unwrap().session;
    for size in [0usize, 1, 1200, 1201, 100_000] {
        let payload = vec![7u8; size];
        let valid = (1..=NETCODE_MAX_PAYLOAD_SIZE).contains(&size);
        assert_eq!(client.send(&payload).is_ok(), valid, "client, {size} bytes");
        assert_eq!(
            server.send(session, &payload).is_ok(),
            valid,
            "server, {size} bytes"
        );
        if !valid {
            assert!(
                matches!(client.send(&payload), Err(Error::InvalidPayloadSize(n)) if n == size)
            );
        }
    }
    for max_clients in [0usize, 257, usize::MAX] {
        assert!(matches!(
            NetcodeServer::new(config(max_clients)),
            Err(Error::InvalidMaxClients(_))
        ));
        assert!(UdpServer::new("127.0.0.1:0", max_clients, PROTOCOL_ID, &[1; 32]).is_err());
    }
    assert!(NetcodeServer::new(config(256)).is_ok());
    for index in [1usize, 3, 4, 256, usize::MAX] {
        assert_eq!(server.client(index), None);
    }
    // A session whose client has left reaches nothing.
    server.disconnect(session).unwrap();
    assert!(matches!(
        server.send(session, b"x"),
        Err(Error::ClientNotConnected(s)) if s == session
    ));
    assert!(server.receive(session).is_none());
    assert!(server.disconnect(session).is_err());
    assert!(server.client_user_data(session).is_none());
}

/// Past 2^24 packets a connection's sequence numbers take 4 bytes, and on 1.00 a 1200-byte
/// payload no longer fits in a 1220-byte packet: the pinned C would overflow its packet buffer,
/// and a pinned peer would not read it. The wrapper refuses, and a payload that fits still
/// arrives. (On 1.02 packets may be 1300 bytes: see `long_1_02_connections_carry_full_payloads`.)
#[test]
fn long_connections_refuse_payloads_that_no_longer_fit() {
    let (simulator, mut server, mut client) = connected_pair_on(netcode::Version::V1_00);
    let session = server.client(0).unwrap().session;
    // SAFETY: live handles; the shim's test hooks only set a sequence number.
    unsafe {
        netcode::netcode_sys::netcode_sys_client_set_sequence(client.as_raw(), 1 << 24);
        netcode::netcode_sys::netcode_sys_server_set_client_sequence(server.as_raw(), 0, 1 << 32);
    }
    assert!(matches!(
        client.send(&[1; 1200]),
        Err(Error::PayloadTooLongForSequence {
            len: 1200,
            max: 1199
        })
    ));
    assert!(matches!(
        server.send(session, &[1; 1200]),
        Err(Error::PayloadTooLongForSequence { max: 1198, .. })
    ));
    client.send(&[1; 1199]).unwrap();
    server.send(session, &[2; 1198]).unwrap();
    let (up, down) = first_payloads(&simulator, &mut server, &mut client);
    assert_eq!(
        (up.map(|p| p.len()), down.map(|p| p.len())),
        (Some(1199), Some(1198))
    );
}

/// On 1.02 (packets of up to 1300 bytes, as the current reference), a 1200-byte payload fits
/// with any sequence number, and arrives.
#[test]
fn long_1_02_connections_carry_full_payloads() {
    let (simulator, mut server, mut client) = connected_pair();
    let session = server.client(0).unwrap().session;
    // SAFETY: live handles; the shim's test hooks only set a sequence number.
    unsafe {
        netcode::netcode_sys::netcode_sys_client_set_sequence(client.as_raw(), u64::MAX >> 1);
        netcode::netcode_sys::netcode_sys_server_set_client_sequence(server.as_raw(), 0, 1 << 40);
    }
    client.send(&[1; 1200]).unwrap();
    server.send(session, &[2; 1200]).unwrap();
    let (up, down) = first_payloads(&simulator, &mut server, &mut client);
    assert_eq!((up, down), (Some(vec![1; 1200]), Some(vec![2; 1200])));
}

#[test]
fn sending_before_connecting_and_after_disconnecting() {
    let mut client = NetcodeClient::new("0.0.0.0:0".parse().unwrap()).unwrap();
    assert!(matches!(client.send(b"early"), Err(Error::NotConnected)));
    assert!(client.receive().is_none());
    client.disconnect();
    client.update(1.0);
    let (_simulator, mut server, mut client) = connected_pair();
    let session = server.client(0).unwrap().session;
    client.disconnect();
    assert!(matches!(client.send(b"late"), Err(Error::NotConnected)));
    server.disconnect_all();
    assert!(matches!(
        server.send(session, b"late"),
        Err(Error::ClientNotConnected(_))
    ));
}

#[test]
fn bad_bind_addresses_are_errors() {
    // Not an address of this machine.
    let err = NetcodeServer::new(ServerConfig::new(
        "203.0.113.7:0".parse().unwrap(),
        1,
        [0; 32],
    ))
    .unwrap_err();
    assert!(matches!(err, Error::Bind { .. }), "{err}");
    // In use.
    let taken = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let err =
        NetcodeServer::new(ServerConfig::new(taken.local_addr().unwrap(), 1, [0; 32])).unwrap_err();
    assert!(err.to_string().contains("cannot bind"), "{err}");
    assert!(UdpServer::new("not an address", 1, 1, &[0; 32]).is_err());
    assert!(NetcodeClient::new("203.0.113.7:0".parse().unwrap()).is_err());
}

#[derive(Debug, Clone)]
enum Op {
    Update(f64),
    ClientSend(usize),
    ServerSend(usize, usize),
    ServerReceive(usize),
    ClientReceive,
    ServerDisconnect(usize),
    ClientDisconnect,
    Reconnect,
    Raw(Vec<u8>, bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        prop_oneof![
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(-1.0),
            0.0..100.0f64
        ]
        .prop_map(Op::Update),
        (0usize..1300).prop_map(Op::ClientSend),
        (0usize..300, 0usize..1300).prop_map(|(i, n)| Op::ServerSend(i, n)),
        (0usize..300).prop_map(Op::ServerReceive),
        Just(Op::ClientReceive),
        (0usize..300).prop_map(Op::ServerDisconnect),
        Just(Op::ClientDisconnect),
        Just(Op::Reconnect),
        (
            proptest::collection::vec(any::<u8>(), 0..1300),
            any::<bool>()
        )
            .prop_map(|(d, to_server)| Op::Raw(d, to_server)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any sequence of calls, in any order, with any arguments.
    #[test]
    fn any_call_sequence(ops in proptest::collection::vec(op(), 1..60)) {
        let (simulator, mut server, mut client) = connected_pair();
        let server_address: SocketAddr = "[::1]:40000".parse().unwrap();
        let client_address: SocketAddr = "[::1]:50000".parse().unwrap();
        // Every session the server had, connected or not: ops pick one by number.
        let mut sessions: Vec<Session> = Vec::new();
        for op in ops {
            sessions.extend(server.clients().map(|c| c.session).filter(|s| !sessions.contains(s)).collect::<Vec<_>>());
            let pick = |i: usize| sessions.get(i % sessions.len().max(1)).copied();
            match op {
                Op::Update(time) => {
                    simulator.update(time);
                    client.update(time);
                    server.update(time);
                }
                Op::ClientSend(n) => {
                    let result = client.send(&vec![1; n]);
                    let valid = (1..=NETCODE_MAX_PAYLOAD_SIZE).contains(&n);
                    prop_assert_eq!(result.is_ok(), valid && client.state() == ConnectionState::Connected, "{:?}", result);
                }
                Op::ServerSend(i, n) => {
                    if let Some(session) = pick(i) {
                        let live = server.client(session.index()).is_some_and(|c| c.session == session);
                        let result = server.send(session, &vec![2; n]);
                        let valid = (1..=NETCODE_MAX_PAYLOAD_SIZE).contains(&n);
                        prop_assert_eq!(result.is_ok(), live && valid, "{:?}", result);
                        if valid && !live {
                            prop_assert!(matches!(result, Err(Error::ClientNotConnected(s)) if s == session));
                        }
                    }
                }
                Op::ServerReceive(i) => {
                    if let Some(payload) = pick(i).and_then(|session| server.receive(session)) {
                        prop_assert!(!payload.is_empty() && payload.len() <= NETCODE_MAX_PAYLOAD_SIZE);
                    }
                }
                Op::ClientReceive => {
                    if let Some(payload) = client.receive() {
                        prop_assert!(!payload.is_empty() && payload.len() <= NETCODE_MAX_PAYLOAD_SIZE);
                    }
                }
                Op::ServerDisconnect(i) => {
                    if let Some(session) = pick(i) {
                        let live = server.client(session.index()).is_some_and(|c| c.session == session);
                        prop_assert_eq!(server.disconnect(session).is_ok(), live);
                        // Gone at once, whether it was there or not.
                        prop_assert!(!matches!(server.client(session.index()), Some(c) if c.session == session));
                    }
                }
                Op::ClientDisconnect => client.disconnect(),
                Op::Reconnect => {
                    let token = server.generate_token(1, &[0; 256]).unwrap();
                    client.connect(&token).unwrap();
                }
                Op::Raw(datagram, to_server) => {
                    let (from, to) = if to_server { (client_address, server_address) } else { (server_address, client_address) };
                    let sent = simulator.send_raw(from, to, &datagram);
                    // The C reads datagrams of up to 1300 bytes (a NETCODE 1.02 packet's limit).
                    let longest = netcode::netcode_sys::NETCODE_SYS_MAX_PACKET_BYTES as usize;
                    prop_assert_eq!(sent, !datagram.is_empty() && datagram.len() <= longest);
                }
            }
            // One client: at most one slot, and the C's count agrees with its slots.
            prop_assert_eq!(server.num_connected_clients(), server.clients().count());
            prop_assert!(server.num_connected_clients() <= 1);
        }
    }

    /// Any bytes as a token: read fails or yields a token that writes and decodes (or fails).
    #[test]
    fn any_bytes_as_a_token(bytes in proptest::collection::vec(any::<u8>(), 0..2100)) {
        if let Ok(mut token) = ConnectToken::from_bytes(&bytes) {
            let _ = token.to_bytes();
            let _ = token.decode(&[0; 32]);
        }
        if let Ok(token) = Token::from_bytes(&bytes) {
            prop_assert_eq!(&token.as_bytes()[..], &bytes[..]);
            let _ = token.decode(&[0; 32]);
        }
    }

    /// A valid token with random bytes changed: never a panic, and a changed token never
    /// decodes to something else.
    #[test]
    fn mutated_tokens(changes in proptest::collection::vec((0usize..2048, any::<u8>()), 1..8)) {
        let key = [9; 32];
        let mut token = ConnectToken::generate(["127.0.0.1:1".parse().unwrap()].into_iter(), &key, 30, 1, PROTOCOL_ID, 5, None).unwrap();
        let original = token.decode(&key).unwrap();
        let mut bytes = token.to_bytes().unwrap();
        for (at, value) in changes {
            bytes[at] = value;
        }
        if let Ok(mut read) = ConnectToken::from_bytes(&bytes) {
            if let Ok(private) = read.decode(&key) {
                prop_assert_eq!(private.client_id, original.client_id);
                prop_assert_eq!(private.user_data, original.user_data);
            }
        }
        if let Ok(read) = Token::from_bytes(&bytes) {
            if let Ok(private) = read.decode(&key) {
                prop_assert_eq!(private.client_id, original.client_id);
                prop_assert_eq!(private.user_data, original.user_data);
            }
            // A client may try it: it fails or connects, without harm.
            let simulator = NetworkSimulator::new().unwrap();
            let mut client = NetcodeClient::with_simulator(&simulator, "[::1]:50000".parse().unwrap()).unwrap();
            let _ = client.connect(&read);
            client.update(0.0);
        }
    }

    /// Tokens built field by field by the user, with any values.
    #[test]
    fn hand_built_tokens(hosts in 0usize..40, timeout in any::<u32>(), create in any::<u64>(), expire in any::<u64>()) {
        let key = [3; 32];
        let mut token = ConnectToken::generate(["127.0.0.1:1".parse().unwrap()].into_iter(), &key, 30, 1, PROTOCOL_ID, 5, None).unwrap();
        token.hosts = netcode::HostList::new((0..hosts).map(|i| SocketAddr::from(([127, 0, 0, 1], i as u16 + 1))));
        token.timeout_sec = timeout;
        token.create_utc = create;
        token.expire_utc = expire;
        let simulator = NetworkSimulator::new().unwrap();
        let mut client = NetcodeClient::with_simulator(&simulator, "[::1]:50000".parse().unwrap()).unwrap();
        let result = Token::try_from(&token);
        // HostList::new keeps the first 32 addresses; none is an error, and so are a timeout
        // the C's int cannot hold (or 0) and a token that expires before it was made.
        let usable = hosts >= 1 && timeout >= 1 && i32::try_from(timeout).is_ok() && create <= expire;
        prop_assert_eq!(result.is_ok(), usable);
        if let Ok(token) = result {
            prop_assert!(client.connect(&token).is_ok());
        }
        for step in 0..3 {
            simulator.update(f64::from(step));
            client.update(f64::from(step));
        }
        let _ = token.decode(&key);
    }

    /// Any simulator settings and any address strings.
    #[test]
    fn simulator_settings_and_address_strings(latency in any::<f32>(), loss in any::<f32>(), text in ".{0,40}") {
        let simulator = NetworkSimulator::new().unwrap();
        let valid = latency.is_finite() && (0.0..=1.0e6).contains(&latency) && loss.is_finite() && (0.0..=100.0).contains(&loss);
        prop_assert_eq!(simulator.configure(latency, 0.0, loss, 0.0).is_ok(), valid);
        let _ = ConnectToken::generate_with_string([text.clone()].into_iter(), &[0; 32], 1, 0, 0, 0, None);
        let _ = UdpServer::new(text.as_str(), 1, 1, &[0; 32]);
    }
}

/// Mistakes that used to fail silently, as a "connection request timed out" 5 s later: a
/// public address no client can reach, and a client socket of the wrong family for its token.
#[test]
fn silent_mistakes_are_errors() {
    let err = NetcodeServer::new(ServerConfig::new(
        "0.0.0.0:0".parse().unwrap(),
        PROTOCOL_ID,
        [1; 32],
    ))
    .unwrap_err();
    assert!(matches!(err, Error::UnspecifiedPublicAddress(_)), "{err}");
    assert!(err.to_string().contains("public_address"), "{err}");
    // Bound to every interface, reached at a real address: fine.
    let config = ServerConfig::new("0.0.0.0:0".parse().unwrap(), PROTOCOL_ID, [1; 32])
        .public_address("127.0.0.1:40000".parse().unwrap());
    assert!(NetcodeServer::new(config).is_ok());

    let server = NetcodeServer::new(config_at("[::1]:0")).unwrap();
    let token = server.generate_token(1, &[0; 256]).unwrap();
    let mut v4 = NetcodeClient::new("0.0.0.0:0".parse().unwrap()).unwrap();
    let err = v4.connect(&token).unwrap_err();
    assert!(matches!(err, Error::AddressFamilyMismatch { .. }), "{err}");
    let mut v6 = NetcodeClient::new("[::]:0".parse().unwrap()).unwrap();
    v6.connect(&token).unwrap();
}

fn config_at(address: &str) -> ServerConfig {
    ServerConfig::new(address.parse().unwrap(), PROTOCOL_ID, [1; 32])
}
