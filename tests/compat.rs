//! Programs written the way netcode 0.3.1's documentation and example program write them:
//! `UdpServer` / `UdpClient`, `update(delta)`, draining `next_event` until `Ok(None)`, sending by
//! client id. They must compile unchanged and work against the reference.

use netcode::{
    ClientEvent, ClientState, ConnectToken, ServerEvent, UdpClient, UdpServer,
    NETCODE_MAX_PAYLOAD_SIZE, NETCODE_USER_DATA_BYTES,
};

const PROTOCOL_ID: u64 = 0xFFEE;
const DELTA: f64 = 1.0 / 10.0;

/// Everything the server's events told, in order.
#[derive(Default)]
struct ServerLog {
    connects: Vec<(u64, Vec<u8>)>,
    disconnects: Vec<u64>,
    packets: Vec<(u64, Vec<u8>)>,
    slot_full: usize,
    keep_alives: usize,
}

fn drain_server(server: &mut UdpServer, log: &mut ServerLog, echo: bool) {
    let mut packet = [0; NETCODE_MAX_PAYLOAD_SIZE];
    loop {
        match server.next_event(&mut packet) {
            Ok(Some(ServerEvent::ClientConnect(id))) => log
                .connects
                .push((id, packet[..NETCODE_USER_DATA_BYTES].to_vec())),
            Ok(Some(ServerEvent::ClientDisconnect(id))) => log.disconnects.push(id),
            Ok(Some(ServerEvent::Packet(id, len))) => {
                if echo {
                    server.send(id, &packet[..len]).unwrap();
                }
                log.packets.push((id, packet[..len].to_vec()));
            }
            Ok(Some(ServerEvent::ClientSlotFull)) => log.slot_full += 1,
            Ok(Some(ServerEvent::SentKeepAlive(_))) => log.keep_alives += 1,
            Ok(Some(other)) => panic!("unexpected event {other:?}"),
            Ok(None) => break,
            Err(err) => panic!("next_event failed: {err}"),
        }
    }
}

/// Client events: (state changes, payloads).
fn drain_client(
    client: &mut UdpClient,
    states: &mut Vec<ClientState>,
    payloads: &mut Vec<Vec<u8>>,
) {
    let mut packet = [0; NETCODE_MAX_PAYLOAD_SIZE];
    while let Ok(Some(event)) = client.next_event(&mut packet) {
        match event {
            ClientEvent::NewState(state) => states.push(state),
            ClientEvent::Packet(len) => payloads.push(packet[..len].to_vec()),
            ClientEvent::SentKeepAlive => {}
        }
    }
}

/// The echo program of 0.3.1, as a test: connect, send, get the echo, disconnect.
fn echo(bind: &str) {
    let key = netcode::generate_key();
    let mut server = UdpServer::new(bind, 4, PROTOCOL_ID, &key).unwrap();
    let user_data = [0x5a; NETCODE_USER_DATA_BYTES];
    let token = server.generate_token(30, 77, Some(&user_data)).unwrap();
    assert_eq!(
        token.hosts.get().next().unwrap(),
        server.get_local_addr().unwrap(),
        "the token carries the bound port"
    );

    let mut client = UdpClient::new(&token).unwrap();
    assert_eq!(client.get_state(), ClientState::SendingConnectionRequest);
    let (mut log, mut states, mut payloads) = (ServerLog::default(), Vec::new(), Vec::new());
    let message: Vec<u8> = (0..NETCODE_MAX_PAYLOAD_SIZE).map(|i| i as u8).collect();
    let mut sent = false;
    for _ in 0..100 {
        client.update(DELTA);
        server.update(DELTA);
        drain_server(&mut server, &mut log, true);
        drain_client(&mut client, &mut states, &mut payloads);
        if client.get_state() == ClientState::Connected && !sent {
            assert_eq!(client.send(&message).unwrap(), message.len());
            sent = true;
        }
        if !payloads.is_empty() {
            break;
        }
    }
    assert_eq!(
        states,
        vec![
            ClientState::SendingConnectionResponse,
            ClientState::Connected
        ]
    );
    assert_eq!(log.connects, vec![(77, user_data.to_vec())]);
    assert_eq!(log.packets, vec![(77, message.clone())]);
    assert_eq!(payloads, vec![message]);

    client.disconnect().unwrap();
    assert_eq!(client.get_state(), ClientState::Disconnected);
    for _ in 0..5 {
        server.update(DELTA);
        drain_server(&mut server, &mut log, false);
    }
    assert_eq!(
        log.disconnects,
        vec![77],
        "a clean disconnect frees the slot at once"
    );
}

#[test]
fn echo_over_ipv4() {
    echo("127.0.0.1:0");
}

#[test]
fn echo_over_ipv6() {
    echo("[::1]:0");
}

#[test]
fn full_server_reports_slot_full_and_denies() {
    let key = netcode::generate_key();
    let mut server = UdpServer::new("127.0.0.1:0", 1, PROTOCOL_ID, &key).unwrap();
    let mut first = UdpClient::new(&server.generate_token(30, 1, None).unwrap()).unwrap();
    let mut second = UdpClient::new(&server.generate_token(30, 2, None).unwrap()).unwrap();
    let mut log = ServerLog::default();
    let (mut states, mut payloads) = (Vec::new(), Vec::new());
    for _ in 0..100 {
        first.update(DELTA);
        second.update(DELTA);
        server.update(DELTA);
        drain_server(&mut server, &mut log, false);
        drain_client(&mut second, &mut states, &mut payloads);
        drain_client(&mut first, &mut Vec::new(), &mut Vec::new());
        if second.get_state() == ClientState::ConnectionDenied {
            break;
        }
    }
    assert_eq!(first.get_state(), ClientState::Connected);
    assert_eq!(second.get_state(), ClientState::ConnectionDenied);
    assert_eq!(states.last(), Some(&ClientState::ConnectionDenied));
    assert!(log.slot_full >= 1, "no ClientSlotFull event");
    assert!(log.keep_alives >= 1, "no SentKeepAlive event");
}

#[test]
fn server_disconnect_by_id_and_send_errors() {
    let key = netcode::generate_key();
    let mut server = UdpServer::new("127.0.0.1:0", 2, PROTOCOL_ID, &key).unwrap();
    let mut client = UdpClient::new(&server.generate_token(30, 9, None).unwrap()).unwrap();
    let mut log = ServerLog::default();
    for _ in 0..50 {
        client.update(DELTA);
        server.update(DELTA);
        drain_server(&mut server, &mut log, false);
        drain_client(&mut client, &mut Vec::new(), &mut Vec::new());
    }
    assert_eq!(client.get_state(), ClientState::Connected);
    assert!(matches!(
        server.send(9, &[]),
        Err(netcode::SendError::PacketSize)
    ));
    assert!(matches!(
        server.send(9, &[0; NETCODE_MAX_PAYLOAD_SIZE + 1]),
        Err(netcode::SendError::PacketSize)
    ));
    assert!(matches!(
        server.send(1234, b"x"),
        Err(netcode::SendError::InvalidClientId)
    ));
    server.disconnect(9).unwrap();
    server.disconnect(9).unwrap(); // unknown ids are ignored
    for _ in 0..5 {
        client.update(DELTA);
        server.update(DELTA);
        drain_server(&mut server, &mut log, false);
    }
    assert_eq!(client.get_state(), ClientState::Disconnected);
    assert!(
        log.disconnects.is_empty(),
        "0.3.1 reports no event for Server::disconnect"
    );
    assert!(matches!(
        client.send(b"x"),
        Err(netcode::SendError::Disconnected)
    ));
}

#[test]
fn token_write_read_round_trip() {
    let key = netcode::generate_key();
    let hosts = ["127.0.0.1:40000", "[::1]:40001"];
    let mut token = ConnectToken::generate_with_string(
        hosts.iter().copied(),
        &key,
        60,
        5,
        PROTOCOL_ID,
        11,
        None,
    )
    .unwrap();
    let mut bytes = Vec::new();
    token.write(&mut bytes).unwrap();
    assert_eq!(bytes.len(), netcode::NETCODE_CONNECT_TOKEN_BYTES);
    let mut read = ConnectToken::read(&mut bytes.as_slice()).unwrap();
    assert_eq!(
        read.hosts.get().map(|h| h.to_string()).collect::<Vec<_>>(),
        hosts
    );
    assert_eq!(read.decode(&key).unwrap().client_id, 11);
    assert_eq!(
        token.decode(&key).unwrap().user_data,
        read.decode(&key).unwrap().user_data
    );
}
