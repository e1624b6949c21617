//! NETCODE 1.02 (patch 0025) under attack and odd tokens, from an adversarial review: what a
//! 1.02 token's timeout may hold on a server (encryption mappings, slots), a private timeout
//! of 0 (none, as the current reference reads it), hostile datagrams of both versions' shapes
//! and lengths up to 1400 bytes over UDP, relabelled tokens, replays of 1.02 requests, odd
//! token fields. The findings (SECURITY.md 25 and 26) each failed before their fix.

mod handmade;

use std::net::SocketAddr;
use std::time::Duration;

use netcode::{
    ConnectionState, NetcodeClient, NetcodeServer, NetworkSimulator, ServerConfig, Version,
};

const PROTOCOL_ID: u64 = 0x7117_0000_0000_0001;
const TICK: f64 = 0.01;

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

/// A simulator, a key and a server on the simulator at [::1]:40000 with that key, its
/// configuration changed by `configure`.
fn simulated_server(
    configure: impl FnOnce(ServerConfig) -> ServerConfig,
) -> (NetworkSimulator, [u8; 32], NetcodeServer) {
    let simulator = NetworkSimulator::new().unwrap();
    let key = netcode::generate_key();
    let config = configure(ServerConfig::new(addr("[::1]:40000"), PROTOCOL_ID, key));
    let server = NetcodeServer::with_simulator(&simulator, config).unwrap();
    (simulator, key, server)
}

/// One tick on the simulator: advances `n`, then updates the simulator, each of `clients` and
/// `server`, in that order, at tick `n`'s time (`n * TICK`).
fn step<'a>(
    simulator: &NetworkSimulator,
    clients: impl IntoIterator<Item = &'a mut NetcodeClient>,
    server: &mut NetcodeServer,
    n: &mut u32,
) {
    *n += 1;
    let t = f64::from(*n) * TICK;
    simulator.update(t);
    for client in clients {
        client.update(t);
    }
    server.update(t);
}

/// A client on the simulator at [::1]:`port`, connecting to `server` with a token for `id`
/// made with `key` and a timeout of `timeout`.
fn connecting_client(
    simulator: &NetworkSimulator,
    server: &NetcodeServer,
    key: &[u8; 32],
    timeout: i32,
    port: u16,
    id: u64,
) -> NetcodeClient {
    let mut client =
        NetcodeClient::with_simulator(simulator, addr(&format!("[::1]:{port}"))).unwrap();
    let settings = server.token_settings().timeout_seconds(timeout);
    let token = netcode::TokenGenerator::new(settings, key)
        .unwrap()
        .generate(id, &[0; 256])
        .unwrap();
    client.connect(&token).unwrap();
    client
}

/// Connects one client (timeout `timeout`) from `port`, then disconnects it cleanly; returns
/// whether it connected. Advances `n`.
fn connect_and_leave(
    simulator: &NetworkSimulator,
    server: &mut NetcodeServer,
    key: &[u8; 32],
    timeout: i32,
    port: u16,
    id: u64,
    n: &mut u32,
) -> bool {
    let mut client = connecting_client(simulator, server, key, timeout, port, id);
    let mut ok = false;
    for _ in 0..100 {
        step(simulator, [&mut client], server, n);
        while server.next_event().is_some() {}
        if client.state() == ConnectionState::Connected {
            ok = true;
            break;
        }
        if client.state().is_error() {
            break;
        }
    }
    client.disconnect();
    for _ in 0..5 {
        step(simulator, [], server, n);
        while server.next_event().is_some() {}
    }
    assert_eq!(
        server.num_connected_clients(),
        0,
        "the server saw the disconnect"
    );
    ok
}

/// Found in review (SECURITY.md 25): removing a mapping kept its timeout, so a slot whose
/// mapping had no timeout (a negative one) stayed "fresh" after its client left and was never
/// reused: every session under such a token leaked one of the 1024 mappings, and then nobody
/// could connect until the server restarted. A slot without an address is free now.
#[test]
fn negative_timeout_sessions_leak_encryption_mappings() {
    let (simulator, key, mut server) =
        simulated_server(|config| config.max_clients(1).version(Version::V1_02));
    let mut n = 0;
    let mut first_failure = None;
    for i in 0..1100u32 {
        let port = 20000 + i as u16;
        if !connect_and_leave(
            &simulator,
            &mut server,
            &key,
            -1,
            port,
            u64::from(i) + 1,
            &mut n,
        ) {
            first_failure = Some(i);
            break;
        }
    }
    // A client with an ordinary 5-second timeout, after all have left:
    let fresh = connect_and_leave(&simulator, &mut server, &key, 5, 30000, 99_999, &mut n);
    let ignored = server.ignored_requests();
    assert!(
        first_failure.is_none() && fresh,
        "sequential one-at-a-time sessions stopped connecting at #{first_failure:?}; a 5 s \
         client afterwards connects: {fresh}; ignored: {ignored:?}"
    );
}

/// Sends one connection request from `port` with a token of timeout `timeout` and walks away
/// (never answers the challenge).
fn request_and_vanish(
    simulator: &NetworkSimulator,
    server: &mut NetcodeServer,
    key: &[u8; 32],
    timeout: i32,
    port: u16,
    id: u64,
    n: &mut u32,
) {
    let mut client = connecting_client(simulator, server, key, timeout, port, id);
    // The client first, as a client that sends and walks away (not `step`'s order).
    *n += 1;
    let t = f64::from(*n) * TICK;
    client.update(t);
    simulator.update(t);
    server.update(t);
    drop(client);
}

fn half_open_then_fresh(timeout: i32) -> (bool, netcode::IgnoredRequests) {
    let (simulator, key, mut server) =
        simulated_server(|config| config.max_clients(4).version(Version::V1_02));
    let mut n = 0;
    for i in 0..1024u32 {
        request_and_vanish(
            &simulator,
            &mut server,
            &key,
            timeout,
            20000 + i as u16,
            u64::from(i) + 1,
            &mut n,
        );
    }
    // A minute of server time later (the attacker's tokens may well have expired by now).
    for _ in 0..6000 {
        step(&simulator, [], &mut server, &mut n);
    }
    let ok = connect_and_leave(&simulator, &mut server, &key, 5, 30000, 99_999, &mut n);
    (ok, server.ignored_requests())
}

/// Control: 1024 half-open handshakes under 5-second tokens are gone a minute later.
#[test]
fn half_open_handshakes_with_a_timeout_are_reclaimed() {
    let (ok, ignored) = half_open_then_fresh(5);
    assert!(ok, "{ignored:?}");
}

/// Found in review (SECURITY.md 26): a half-open handshake under a token with no timeout
/// pinned its pending mapping for ever: 1024 requests that never answer the challenge locked
/// every later client out, even after their tokens expired. A handshake now has 5 s, as on
/// 1.00.
#[test]
fn half_open_handshakes_with_no_timeout_pin_every_mapping() {
    let (ok, ignored) = half_open_then_fresh(-1);
    assert!(
        ok,
        "a 5 s client could not connect a minute later: {ignored:?}"
    );
}

use netcode::netcode_sys as raw;

/// A 1.02 token whose private part (the server's) says `private_timeout` and whose public part
/// (the client's) says 5, for a simulated server at [::1]:40000.
fn token_with_private_timeout(key: &[u8; 32], private_timeout: i32, id: u64) -> netcode::Token {
    let address = raw::netcode_sys_address {
        type_: raw::NETCODE_SYS_ADDRESS_IPV6 as u8,
        ipv6: [0, 0, 0, 0, 0, 0, 0, 1],
        port: 40000,
        ..Default::default()
    };
    let mut private = raw::netcode_sys_connect_token_private {
        client_id: id,
        num_server_addresses: 1,
        client_to_server_key: netcode::generate_key(),
        server_to_client_key: netcode::generate_key(),
        timeout_seconds: private_timeout,
        ..Default::default()
    };
    private.server_addresses[0] = address;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut nonce = [7; 24];
    nonce[0] = id as u8;
    let mut token = raw::netcode_sys_connect_token {
        wire: raw::NETCODE_SYS_WIRE_102,
        protocol_id: PROTOCOL_ID,
        create_timestamp: now,
        expire_timestamp: now + 30,
        nonce,
        num_server_addresses: 1,
        client_to_server_key: private.client_to_server_key,
        server_to_client_key: private.server_to_client_key,
        timeout_seconds: 5,
        ..Default::default()
    };
    token.server_addresses[0] = address;
    let mut bytes = [0u8; 2048];
    // SAFETY: valid structs, a 32-byte key and a 2048-byte buffer; the shim checks the address
    // count and types before netcode.c sees them.
    unsafe {
        assert_eq!(
            raw::netcode_sys_encrypt_connect_token_private(&private, key.as_ptr(), &mut token),
            1
        );
        assert_eq!(
            raw::netcode_sys_write_connect_token(&token, bytes.as_mut_ptr()),
            1
        );
    }
    netcode::Token::from_bytes(&bytes).unwrap()
}

/// The current reference 1.02 (and the pure-Rust peers) read a timeout of 0 as none; so does
/// this crate since the review (before, a private part with 0 made the pending mapping expire
/// at once, and the handshake failed, counted only as packets without a key).
#[test]
fn a_zero_private_timeout_means_none_in_the_reference() {
    let (simulator, key, mut server) = simulated_server(|config| config.version(Version::V1_02));
    let token = token_with_private_timeout(&key, 0, 1);
    let mut client = NetcodeClient::with_simulator(&simulator, addr("[::1]:50000")).unwrap();
    client.connect(&token).unwrap();
    // Ticks 1 to 299.
    let mut n = 0;
    for _ in 1..300u32 {
        step(&simulator, [&mut client], &mut server, &mut n);
    }
    assert_eq!(
        client.state(),
        ConnectionState::Connected,
        "{:?}",
        server.ignored_requests()
    );
}

/// One tick over UDP: advances `t` by 0.01 s, then updates `client`, sleeps `pause` if there is
/// one (for the datagram to cross loopback), and updates `server`.
fn udp_tick(
    t: &mut f64,
    client: &mut NetcodeClient,
    server: &mut NetcodeServer,
    pause: Option<Duration>,
) {
    *t += 0.01;
    client.update(*t);
    if let Some(pause) = pause {
        std::thread::sleep(pause);
    }
    server.update(*t);
}

/// A server on `version` over UDP on 127.0.0.1 (4 slots) and a client of ours, connected to it
/// with a token it made within 200 of `udp_tick`'s ticks (each with `pause`), or a panic.
/// Returns the server, the client, the token and the time the ticks reached.
fn udp_connected(
    version: Version,
    pause: Option<Duration>,
) -> (NetcodeServer, NetcodeClient, netcode::Token, f64) {
    let key = netcode::generate_key();
    let config = ServerConfig::new(addr("127.0.0.1:0"), PROTOCOL_ID, key)
        .max_clients(4)
        .version(version);
    let mut server = NetcodeServer::new(config).unwrap();
    let token = server.generate_token(1, &[0; 256]).unwrap();
    let mut client = NetcodeClient::new(addr("127.0.0.1:0")).unwrap();
    client.connect(&token).unwrap();
    let mut t = 0.0;
    for _ in 0..200 {
        udp_tick(&mut t, &mut client, &mut server, pause);
        if client.state() == ConnectionState::Connected {
            break;
        }
    }
    assert_eq!(client.state(), ConnectionState::Connected);
    (server, client, token, t)
}

/// Fuzz over real UDP: datagrams of 1..1400 bytes, random or with valid-looking prefix bytes
/// and the request lengths of both versions, to a 1.00 and a 1.02 server and to connected
/// clients of each. Nothing may crash, and the connections must survive.
#[test]
fn udp_fuzz_of_both_versions() {
    use std::net::UdpSocket;
    let mut seed: u64 = 0x1234_5678_9abc_def1;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for version in [Version::V1_00, Version::V1_02] {
        let (mut server, mut client, _, mut t) = udp_connected(version, None);
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let targets = [server.local_address(), client.local_address()];
        for round in 0..4000u32 {
            let len = match round % 5 {
                0 => 1062,
                1 => 1078,
                2 => 1221 + (rand() % 180) as usize,
                _ => 1 + (rand() % 1400) as usize,
            };
            let mut datagram: Vec<u8> = (0..len).map(|_| rand() as u8).collect();
            match round % 3 {
                0 => datagram[0] = 0,
                1 => datagram[0] = ((1 + rand() % 8) << 4) as u8 | (rand() % 7) as u8,
                _ => {}
            }
            if datagram[0] == 0 && datagram.len() > 30 {
                let v: &[u8; 13] = if rand() % 2 == 0 {
                    b"NETCODE 1.00\0"
                } else {
                    b"NETCODE 1.02\0"
                };
                datagram[1..14].copy_from_slice(v);
                datagram[14..22].copy_from_slice(&PROTOCOL_ID.to_le_bytes());
                datagram[22..30].copy_from_slice(&u64::MAX.to_le_bytes());
            }
            let _ = socket.send_to(&datagram, targets[(round % 2) as usize]);
            if round % 20 == 0 {
                udp_tick(&mut t, &mut client, &mut server, None);
            }
        }
        for _ in 0..20 {
            udp_tick(&mut t, &mut client, &mut server, None);
        }
        client.send(&[1; 1200]).unwrap();
        udp_tick(&mut t, &mut client, &mut server, None);
        assert_eq!(client.state(), ConnectionState::Connected, "{version}");
        assert_eq!(
            server.num_connected_clients(),
            1,
            "{version}: {:?}",
            server.ignored_requests()
        );
    }
}

/// Relabelled tokens: a 1.02 token with a 1.00 version info and vice versa, with the address
/// count and timeout fields of the other layout forced to plausible values. Must be refused or
/// read as harmless garbage, never panic or abort, and never decode with the key.
#[test]
fn relabelled_tokens_are_refused() {
    let key = netcode::generate_key();
    for (version, other) in [
        (Version::V1_02, b"NETCODE 1.00\0"),
        (Version::V1_00, b"NETCODE 1.02\0"),
    ] {
        let servers = netcode::ServerAddresses::one(addr("127.0.0.1:40000"));
        let generator = netcode::TokenGenerator::new(
            netcode::TokenSettings::new(PROTOCOL_ID, servers).version(version),
            &key,
        )
        .unwrap();
        let token = generator.generate(5, &[1; 256]).unwrap();
        let mut bytes = *token.as_bytes();
        bytes[..13].copy_from_slice(other);
        let plain = netcode::Token::from_bytes(&bytes);
        assert!(
            plain.is_err(),
            "{version} relabelled read: {:?}",
            plain.as_ref().map(|t| t.servers().as_slice().to_vec())
        );
        // Force the count field the other layout reads to 1 with an IPv4 address after it.
        let count_at = if version == Version::V1_02 {
            13 + 8 + 8 + 8 + 8 + 1024
        } else {
            13 + 8 + 8 + 8 + 24 + 1024 + 4
        };
        bytes[count_at..count_at + 4].copy_from_slice(&1u32.to_le_bytes());
        bytes[count_at + 4] = 1;
        let forced = netcode::Token::from_bytes(&bytes);
        if let Ok(t) = &forced {
            assert!(
                t.decode(&key).is_err(),
                "{version}: relabelled token decodes"
            );
        }
    }
}

/// The token history (patch 0023) on 1.02, over UDP: a captured request replayed from another
/// address mid-session and after the session ended is refused and counted; the same bytes
/// relabelled as the other version (and resized) count as the wrong version.
#[test]
fn replayed_1_02_requests_are_refused() {
    use std::net::UdpSocket;
    for version in [Version::V1_02, Version::V1_00] {
        let pause = Some(Duration::from_millis(1));
        let (mut server, mut client, token, mut t) = udp_connected(version, pause);
        let mut tick = |client: &mut NetcodeClient, server: &mut NetcodeServer| {
            udp_tick(&mut t, client, server, pause);
        };
        let attacker = UdpSocket::bind("127.0.0.1:0").unwrap();
        let request = handmade::connection_request(&token, token.version(), token.protocol_id());
        let before = server.ignored_requests();
        attacker.send_to(&request, server.local_address()).unwrap();
        tick(&mut client, &mut server);
        tick(&mut client, &mut server);
        let mid = server.ignored_requests();
        assert_eq!(
            (mid.token_already_used
                + mid.token_in_use_elsewhere
                + mid.address_already_connected
                + mid.client_id_already_connected)
                - (before.token_already_used
                    + before.token_in_use_elsewhere
                    + before.address_already_connected
                    + before.client_id_already_connected),
            1,
            "{version} mid-session: {mid:?}"
        );
        client.disconnect();
        for _ in 0..5 {
            tick(&mut client, &mut server);
        }
        assert_eq!(server.num_connected_clients(), 0);
        attacker.send_to(&request, server.local_address()).unwrap();
        // Relabelled as the other version, at its length.
        let mut other = request.clone();
        match version {
            Version::V1_02 => {
                other[1..14].copy_from_slice(b"NETCODE 1.00\0");
                other.drain(38..54);
            }
            Version::V1_00 => {
                other[1..14].copy_from_slice(b"NETCODE 1.02\0");
                other.splice(38..38, [0u8; 16]);
            }
        }
        attacker.send_to(&other, server.local_address()).unwrap();
        tick(&mut client, &mut server);
        tick(&mut client, &mut server);
        let after = server.ignored_requests();
        assert_eq!(
            after.token_already_used - mid.token_already_used,
            1,
            "{version} after: {after:?}"
        );
        assert_eq!(
            after.wrong_version - mid.wrong_version,
            1,
            "{version} relabelled: {after:?}"
        );
        assert_eq!(server.num_connected_clients(), 0);
    }
}

/// As the reference 1.02 allows (SECURITY.md 27, documented at `TokenSettings::timeout_seconds`):
/// clients whose tokens have no timeout take every slot and walk away (no disconnect packet: a
/// crash, a pulled cable); the server never frees them, and everyone else is denied for as
/// long as it runs. With a timeout the slots come back after it. Only the backend makes
/// tokens, so only its settings can do this.
fn slots_after_silent_holders(timeout: i32) -> (usize, ConnectionState) {
    let (simulator, key, mut server) =
        simulated_server(|config| config.max_clients(2).version(Version::V1_02));
    let mut holders: Vec<_> = (0..2u16)
        .map(|i| {
            connecting_client(
                &simulator,
                &server,
                &key,
                timeout,
                21000 + i,
                u64::from(i) + 1,
            )
        })
        .collect();
    let mut n = 0u32;
    for _ in 0..100 {
        step(&simulator, &mut holders, &mut server, &mut n);
    }
    assert_eq!(server.num_connected_clients(), 2);
    // The holders go silent (never updated again); ten minutes pass.
    for _ in 0..60_000 {
        step(&simulator, [], &mut server, &mut n);
        while server.next_event().is_some() {}
    }
    let mut late = NetcodeClient::with_simulator(&simulator, addr("[::1]:22000")).unwrap();
    late.connect(&server.generate_token(99, &[0; 256]).unwrap())
        .unwrap();
    for _ in 0..100 {
        step(&simulator, [&mut late], &mut server, &mut n);
    }
    drop(holders);
    (server.num_connected_clients(), late.state())
}

#[test]
fn silent_holders_with_a_timeout_free_their_slots() {
    assert_eq!(slots_after_silent_holders(5).1, ConnectionState::Connected);
}

#[test]
fn silent_holders_without_a_timeout_keep_every_slot() {
    let (connected, late) = slots_after_silent_holders(-1);
    assert_eq!((connected, late), (2, ConnectionState::ConnectionDenied));
}

/// Found in review (SECURITY.md 26, as the negative case): a long 1.02 timeout kept a
/// half-open handshake's pending mapping for that long (1.00: 5 s), so 1024 unanswered
/// requests under one-hour tokens locked everyone out for an hour.
#[test]
fn half_open_handshakes_with_a_long_timeout_pin_mappings_for_that_long() {
    let (ok, ignored) = half_open_then_fresh(3600);
    assert!(
        ok,
        "a 5 s client could not connect a minute later: {ignored:?}"
    );
}

/// Odd public fields of a 1.02 token (and a 1.00 one): address counts 0, 33, 2^32-1, an
/// address of unknown type, create > expire, timeouts 0 / -1 / i32::MIN / i32::MAX.
#[test]
fn odd_token_fields_are_refused_or_read_faithfully() {
    let key = netcode::generate_key();
    for version in [Version::V1_02, Version::V1_00] {
        let servers = netcode::ServerAddresses::one(addr("127.0.0.1:40000"));
        let generator = netcode::TokenGenerator::new(
            netcode::TokenSettings::new(PROTOCOL_ID, servers).version(version),
            &key,
        )
        .unwrap();
        let good = *generator.generate(5, &[1; 256]).unwrap().as_bytes();
        let (count_at, timeout_at) = match version {
            Version::V1_02 => (13 + 24 + 24 + 1024 + 4, 13 + 24 + 24 + 1024),
            Version::V1_00 => (13 + 32 + 1024, 13 + 32 + 1024 + 4 + 7 + 64),
        };
        for count in [0u32, 33, u32::MAX] {
            let mut b = good;
            b[count_at..count_at + 4].copy_from_slice(&count.to_le_bytes());
            assert!(
                netcode::Token::from_bytes(&b).is_err(),
                "{version} count {count}"
            );
        }
        let mut b = good;
        b[count_at + 4] = 3;
        assert!(
            netcode::Token::from_bytes(&b).is_err(),
            "{version} address type 3"
        );
        let mut b = good;
        b[13 + 8..13 + 16].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(
            netcode::Token::from_bytes(&b).is_err(),
            "{version} create > expire"
        );
        for timeout in [0i32, -1, i32::MIN, i32::MAX] {
            let mut b = good;
            b[timeout_at..timeout_at + 4].copy_from_slice(&timeout.to_le_bytes());
            match netcode::Token::from_bytes(&b) {
                Ok(t) => assert_eq!(t.timeout_seconds(), timeout, "{version}"),
                Err(_) => assert_eq!(timeout, 0, "{version} timeout {timeout} refused"),
            }
        }
    }
}

/// As the reference (documented at `TokenSettings::timeout_seconds`): with no timeout a client
/// never leaves a dead first server for the next one in its token.
fn fails_over(timeout: i32) -> ConnectionState {
    fails_over_on(timeout, Version::V1_02)
}

fn fails_over_on(timeout: i32, version: Version) -> ConnectionState {
    let (simulator, key, mut server) = simulated_server(|config| config.version(version));
    let servers =
        netcode::ServerAddresses::new([addr("[::1]:40001"), addr("[::1]:40000")]).unwrap();
    let settings = netcode::TokenSettings::new(PROTOCOL_ID, servers)
        .version(version)
        .timeout_seconds(timeout);
    let token = netcode::TokenGenerator::new(settings, &key)
        .unwrap()
        .generate(1, &[0; 256])
        .unwrap();
    let mut client = NetcodeClient::with_simulator(&simulator, addr("[::1]:50000")).unwrap();
    client.connect(&token).unwrap();
    // Ticks 1 to 1999.
    let mut n = 0;
    for _ in 1..2000u32 {
        step(&simulator, [&mut client], &mut server, &mut n);
    }
    client.state()
}

#[test]
fn a_client_with_a_timeout_fails_over_to_the_next_server() {
    assert_eq!(fails_over(5), ConnectionState::Connected);
}

#[test]
fn a_client_without_a_timeout_never_fails_over() {
    assert_eq!(fails_over(-1), ConnectionState::SendingConnectionRequest);
}
