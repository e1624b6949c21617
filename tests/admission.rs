//! Server-side admission (patch 0022): every connection request, response and other packet the
//! server refuses, built by hand (a client of this crate would refuse to send most of them) and
//! sent from a real UDP socket on loopback to a real server. Each is checked by what the server
//! sends back (nothing, or for a full server a denial) and by its counters
//! (`NetcodeServer::ignored_requests`): the reason's count goes up by exactly the number sent and
//! no other count moves. Then, through the safe API, tokens for another protocol id and with
//! another key are counted and logged once each, at warn level. Its own test binary: it installs
//! a global logger.

#[macro_use]
mod handmade;

use std::net::SocketAddr;
use std::sync::{Mutex, Once};
use std::time::Duration;

use handmade::*;
use log::{Level, LevelFilter, Log, Metadata, Record};
use netcode::netcode_sys as raw;
use netcode::{
    ConnectToken, ConnectionState, IgnoredRequests, NetcodeClient, NetcodeServer, NetworkSimulator,
    ServerConfig,
};

#[test]
fn the_counters_match_the_c_layout() {
    let (mut size, mut align) = (0, 0);
    // SAFETY: the function writes two usize values through valid pointers.
    unsafe { raw::netcode_sys_layout_ignored_requests(&mut size, &mut align) };
    assert_eq!(
        std::mem::size_of::<raw::netcode_sys_ignored_requests>(),
        size
    );
    assert_eq!(
        std::mem::align_of::<raw::netcode_sys_ignored_requests>(),
        align
    );
}

/// The positive control: the same hand-built request, valid, gets a challenge, and nothing is
/// counted.
#[test]
fn a_correct_request_gets_a_challenge() {
    let mut rig = Rig::new(4);
    let token = rig.token(1);
    let challenge = rig.challenge(&socket(), &token);
    assert_eq!(
        challenge.type_,
        raw::NETCODE_SYS_CONNECTION_CHALLENGE_PACKET
    );
    assert_eq!(rig.counts(), IgnoredRequests::default());
}

#[test]
fn a_request_of_the_wrong_length_is_ignored_and_counted() {
    let mut rig = Rig::new(4);
    let before = rig.counts();
    // Neither version's length (1062 or 1078 bytes).
    let mut request = rig.token(1).request();
    request.splice(38..38, [0u8; 8]);
    rig.ignored(&socket(), &request);
    assert_counted!(before, rig.counts(), request_wrong_length, 1);
}

/// Patch 0025: a request of the other version's length gets as far as the version check, so
/// that a client of the other version is told apart from garbage: a NETCODE 1.02 request (a
/// 24-byte nonce where 1.00 has an 8-byte sequence) to this 1.00 server, and a request that
/// says 1.00 but has 1.02's length, both count as the wrong version.
#[test]
fn a_request_of_the_other_version_counts_as_wrong_version() {
    let mut rig = Rig::new(4);
    let before = rig.counts();
    for version in [b"NETCODE 1.02\0", b"NETCODE 1.00\0"] {
        let mut request = rig.token(1).request_with_version(version);
        request.splice(38..38, [0u8; 16]);
        assert_eq!(request.len(), 1078);
        rig.ignored(&socket(), &request);
    }
    assert_counted!(before, rig.counts(), wrong_version, 2);
}

#[test]
fn wrong_version_is_ignored_and_counted() {
    let mut rig = Rig::new(4);
    let before = rig.counts();
    let request = rig.token(1).request_with_version(b"NETCODE 1.01\0");
    rig.ignored(&socket(), &request);
    assert_counted!(before, rig.counts(), wrong_version, 1);
}

#[test]
fn wrong_protocol_id_is_ignored_and_counted() {
    let mut rig = Rig::new(4);
    let before = rig.counts();
    // A token made, and a request sent, for another protocol id.
    let token = Token::new(&rig.key, 1, &[rig.address()], PROTOCOL_ID + 1, now() + 30);
    let client = socket();
    rig.ignored(&client, &token.request());
    rig.ignored(&client, &token.request());
    assert_counted!(before, rig.counts(), wrong_protocol_id, 2);
}

#[test]
fn an_expired_token_is_ignored_and_counted() {
    let mut rig = Rig::new(4);
    let before = rig.counts();
    let token = Token::new(&rig.key, 1, &[rig.address()], PROTOCOL_ID, now() - 1);
    rig.ignored(&socket(), &token.request());
    assert_counted!(before, rig.counts(), token_expired, 1);
}

#[test]
fn a_token_made_with_another_key_is_ignored_and_counted() {
    let mut rig = Rig::new(4);
    let before = rig.counts();
    let other_key = netcode::generate_key();
    let token = Token::new(&other_key, 1, &[rig.address()], PROTOCOL_ID, now() + 30);
    rig.ignored(&socket(), &token.request());
    // Altered on the way: one bit of the right key's token.
    let mut altered = rig.token(2).request();
    altered[100] ^= 1;
    rig.ignored(&socket(), &altered);
    assert_counted!(before, rig.counts(), token_not_decrypted, 2);
}

#[test]
fn an_unreadable_token_is_ignored_and_counted() {
    let mut rig = Rig::new(4);
    let before = rig.counts();
    // Encrypted with the server's key, but all zeros: no server addresses.
    let mut token = rig.token(1);
    token.data = [0; 1024];
    // SAFETY: 1024 bytes of data and a 32-byte key.
    let encrypted = unsafe {
        raw::netcode_sys_encrypt_connect_token_data(
            raw::NETCODE_SYS_WIRE_100,
            token.data.as_mut_ptr(),
            token.protocol_id,
            token.expire,
            handmade::sequence_nonce(token.sequence).as_ptr(),
            rig.key.as_ptr(),
        )
    };
    assert_eq!(encrypted, 1);
    rig.ignored(&socket(), &token.request());
    assert_counted!(before, rig.counts(), token_unreadable, 1);
}

#[test]
fn a_server_address_not_in_the_token_is_ignored_and_counted() {
    let mut rig = Rig::new(4);
    let before = rig.counts();
    // The server's host on another port: the address a backend with a stale port would list.
    let mut elsewhere = rig.address();
    elsewhere.set_port(elsewhere.port().wrapping_add(1).max(1));
    let token = Token::new(&rig.key, 1, &[elsewhere], PROTOCOL_ID, now() + 30);
    rig.ignored(&socket(), &token.request());
    assert_counted!(before, rig.counts(), server_address_not_in_token, 1);
}

/// A request captured from a client that is mid-handshake (it has its challenge and has not
/// answered yet), replayed from a second address: the token history (patch 0023) refuses it,
/// as the C's history did. The first holder still gets its challenge.
#[test]
fn a_token_replayed_from_a_second_address_mid_handshake_is_ignored_and_counted() {
    let mut rig = Rig::new(4);
    let token = rig.token(1);
    let holder = socket();
    rig.challenge(&holder, &token);
    let before = rig.counts();
    rig.ignored(&socket(), &token.request());
    assert_counted!(before, rig.counts(), token_in_use_elsewhere, 1);
    // The holder, from its own address, is answered again.
    rig.challenge(&holder, &token);
    assert_counted!(before, rig.counts(), token_in_use_elsewhere, 1);
}

/// A token used for a session, then again from the same address once that session ended: the
/// token history (patch 0023) ignores the request (a second session would reuse the first
/// one's keys and nonces).
#[test]
fn a_token_used_for_a_second_session_is_ignored_and_counted() {
    let mut rig = Rig::new(4);
    let token = rig.token(1);
    let client = socket();
    rig.connect_and_leave(&client, &token);
    let before = rig.counts();
    rig.ignored(&client, &token.request());
    assert_counted!(before, rig.counts(), token_already_used, 1);
    assert_eq!(rig.server().num_connected_clients(), 0);
}

/// A client id that is connected: a second request for it, and a response for it that got its
/// challenge before the first client connected.
#[test]
fn a_duplicate_client_id_is_ignored_and_counted() {
    let mut rig = Rig::new(4);
    let (first, second, third) = (rig.token(42), rig.token(42), rig.token(42));
    let (a, b, c) = (socket(), socket(), socket());
    let challenge_a = rig.challenge(&a, &first);
    let challenge_b = rig.challenge(&b, &second);
    let before = rig.counts();
    let answers = rig.exchange(&a, &Rig::response(&challenge_a, &first, 0));
    assert!(!answers.is_empty() && only_keep_alives(&first, &answers));
    rig.ignored(&b, &Rig::response(&challenge_b, &second, 0));
    rig.ignored(&c, &third.request());
    assert_counted!(before, rig.counts(), client_id_already_connected, 2);
    assert_eq!(rig.server().num_connected_clients(), 1);
}

/// From a connected client's address: a request with another token, and a late copy of its
/// response. It gets its keep-alives, nothing else.
#[test]
fn a_request_from_a_connected_address_is_ignored_and_counted() {
    let mut rig = Rig::new(4);
    let token = rig.token(1);
    let client = socket();
    let challenge = rig.connect(&client, &token);
    let before = rig.counts();
    let another = rig.token(2).request();
    let answers = rig.exchange(&client, &another);
    assert!(
        only_keep_alives(&token, &answers),
        "a connected address got an answer to a request"
    );
    assert_counted!(before, rig.counts(), address_already_connected, 1);

    let before = rig.counts();
    let answers = rig.exchange(&client, &Rig::response(&challenge, &token, 1));
    assert!(only_keep_alives(&token, &answers));
    assert_counted!(before, rig.counts(), late_responses, 1);
    assert_eq!(rig.server().num_connected_clients(), 1);
}

/// A full server answers, with a denial, and counts it.
#[test]
fn a_full_server_denies_and_counts() {
    let mut rig = Rig::new(1);
    let (first, connected) = (rig.token(1), socket());
    rig.connect(&connected, &first);
    let before = rig.counts();
    let token = rig.token(2);
    let answers = rig.exchange(&socket(), &token.request());
    assert_eq!(answers.len(), 1, "no denial");
    let denied = token.read(&answers[0]).expect("the denial decrypts");
    assert_eq!(denied.type_, raw::NETCODE_SYS_CONNECTION_DENIED_PACKET);
    assert_counted!(before, rig.counts(), server_full, 1);
}

#[test]
fn a_forged_challenge_token_is_ignored_and_counted() {
    let mut rig = Rig::new(4);
    let token = rig.token(1);
    let client = socket();
    let mut challenge = rig.challenge(&client, &token);
    let before = rig.counts();
    challenge.challenge_token_data[10] ^= 1;
    rig.ignored(&client, &Rig::response(&challenge, &token, 0));
    assert_counted!(before, rig.counts(), challenge_not_decrypted, 1);
    assert_eq!(rig.server().num_connected_clients(), 0);
}

/// Other packets: from a stranger, with the wrong key, of a type a server never receives.
#[test]
fn other_packets_are_ignored_and_counted() {
    let mut rig = Rig::new(4);
    let keep_alive = packet_of_type(raw::NETCODE_SYS_CONNECTION_KEEP_ALIVE_PACKET);
    let before = rig.counts();
    rig.ignored(&socket(), &write(&keep_alive, 0, &netcode::generate_key()));
    assert_counted!(before, rig.counts(), packets_without_key, 1);

    // A client mid-handshake has an encryption mapping: its packets are decrypted.
    let token = rig.token(1);
    let client = socket();
    rig.challenge(&client, &token);
    let before = rig.counts();
    rig.ignored(&client, &write(&keep_alive, 0, &netcode::generate_key()));
    assert_counted!(before, rig.counts(), packets_not_decrypted, 1);

    let before = rig.counts();
    let denied = packet_of_type(raw::NETCODE_SYS_CONNECTION_DENIED_PACKET);
    rig.ignored(&client, &write(&denied, 0, &token.client_to_server_key));
    // A prefix byte with 0 sequence bytes.
    rig.ignored(
        &client,
        &[raw::NETCODE_SYS_CONNECTION_KEEP_ALIVE_PACKET as u8; 40],
    );
    assert_counted!(before, rig.counts(), malformed_packets, 2);
}

/// A server whose events nobody reads (the 0.3.1 API keeps them until they are): once its
/// queue is full, a connection response is put off, counted, and admitted when it comes again
/// after the events were read.
#[test]
fn a_response_while_the_events_are_unread_is_put_off_and_counted() {
    let mut rig = Rig::compat(4);
    let (token, client) = (rig.token(1), socket());
    rig.connect(&client, &token);
    // One keep-alive event an update, never read, until the queue is full.
    client.set_nonblocking(true).unwrap();
    let keep_alive = packet_of_type(raw::NETCODE_SYS_CONNECTION_KEEP_ALIVE_PACKET);
    let mut buffer = [0u8; 2048];
    for update in 0..raw::NETCODE_SYS_SERVER_EVENTS as u64 {
        if update % 20 == 0 {
            let alive = write(&keep_alive, 1 + update, &token.client_to_server_key);
            client.send_to(&alive, rig.address()).unwrap();
        }
        rig.time += 0.1;
        let time = rig.time;
        rig.server().update(time);
        while client.recv(&mut buffer).is_ok() {}
    }
    assert_eq!(rig.counts(), IgnoredRequests::default());

    let (late, latecomer) = (rig.token(2), socket());
    let challenge = rig.challenge(&latecomer, &late);
    let before = rig.counts();
    rig.ignored(&latecomer, &Rig::response(&challenge, &late, 0));
    assert_counted!(before, rig.counts(), events_unread, 1);

    let Server::Compat(server) = &mut rig.server else {
        unreachable!()
    };
    let mut payload = [0u8; netcode::NETCODE_MAX_PAYLOAD_SIZE];
    while let Ok(Some(_)) = server.next_event(&mut payload) {}
    let answers = rig.exchange(&latecomer, &Rig::response(&challenge, &late, 1));
    assert!(
        !answers.is_empty() && only_keep_alives(&late, &answers),
        "the response was not admitted once the events were read"
    );
    assert_eq!(rig.server().num_connected_clients(), 2);
}

/// 1025 valid requests from 1025 addresses (over the reference's simulator, where addresses
/// cost no sockets): 1024 take the server's encryption mappings, the last is ignored.
#[test]
fn requests_beyond_the_encryption_mappings_are_ignored_and_counted() {
    let simulator = NetworkSimulator::new().unwrap();
    let key = netcode::generate_key();
    let public: SocketAddr = "10.0.0.1:40000".parse().unwrap();
    let config = ServerConfig::new(public, PROTOCOL_ID, key).version(netcode::Version::V1_00);
    let mut server = NetcodeServer::with_simulator(&simulator, config).unwrap();
    server.update(1.0);
    let before = server.ignored_requests();
    for i in 0..1025u32 {
        let token = Token::new(&key, u64::from(i), &[public], PROTOCOL_ID, now() + 30);
        let from = SocketAddr::from(([10, 1, (i >> 8) as u8, i as u8], 5000));
        assert!(simulator.send_raw(from, public, &token.request()));
    }
    simulator.update(1.0);
    server.update(1.0);
    assert_counted!(
        before,
        server.ignored_requests(),
        encryption_mappings_full,
        1
    );
}

// ---- Through the safe API, with the logs ------------------------------------------------------

struct Capture(Mutex<Vec<(Level, String, String)>>);

impl Log for Capture {
    fn enabled(&self, _: &Metadata) -> bool {
        true
    }
    fn log(&self, record: &Record) {
        self.0.lock().unwrap().push((
            record.level(),
            record.target().to_string(),
            record.args().to_string(),
        ));
    }
    fn flush(&self) {}
}

static LOGGER: Capture = Capture(Mutex::new(Vec::new()));

fn install_logger() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        log::set_logger(&LOGGER).unwrap();
        log::set_max_level(LevelFilter::Info);
    });
}

/// A backend that makes tokens for another protocol id, or with another key: the clients time
/// out like the clients of a server that is down, but the server counts each request and warns
/// once for each reason.
#[test]
fn tokens_for_another_protocol_id_or_key_are_counted_and_logged_once() {
    install_logger();
    let key = netcode::generate_key();
    let config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), PROTOCOL_ID, key)
        .version(netcode::Version::V1_00);
    let mut server = NetcodeServer::new(config).unwrap();
    let hosts = [server.public_address()];
    let sequence = || u64::from_le_bytes(netcode::generate_key()[..8].try_into().unwrap());
    let tokens = [
        ConnectToken::generate(
            hosts.into_iter(),
            &key,
            30,
            sequence(),
            PROTOCOL_ID + 1,
            1,
            None,
        ),
        ConnectToken::generate(
            hosts.into_iter(),
            &netcode::generate_key(),
            30,
            sequence(),
            PROTOCOL_ID,
            2,
            None,
        ),
    ];
    let mut clients = Vec::new();
    for token in &tokens {
        let mut client = NetcodeClient::new("127.0.0.1:0".parse().unwrap()).unwrap();
        let token = netcode::Token::try_from(token.as_ref().unwrap()).unwrap();
        client.connect(&token).unwrap();
        clients.push(client);
    }
    let mut time = 0.0;
    for _ in 0..40 {
        for client in &mut clients {
            client.update(time);
        }
        std::thread::sleep(Duration::from_millis(2));
        server.update(time);
        time += 0.05;
    }
    for client in &clients {
        assert_eq!(client.state(), ConnectionState::SendingConnectionRequest);
    }

    let counts = server.ignored_requests();
    assert!(
        counts.wrong_protocol_id >= 5 && counts.token_not_decrypted >= 5,
        "the requests were not counted: {counts:?}"
    );
    assert_eq!(
        counts.total(),
        counts.wrong_protocol_id + counts.token_not_decrypted,
        "{counts:?}"
    );

    let prefix = format!("server {} ", server.public_address());
    let lines: Vec<_> = LOGGER
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, target, text)| target == "netcode" && text.starts_with(&prefix))
        .cloned()
        .collect();
    let count = |needle: &str| {
        lines
            .iter()
            .filter(|(level, _, text)| *level == Level::Warn && text.contains(needle))
            .count()
    };
    assert_eq!(
        count("with a token for another protocol id: the backend that makes tokens and this server disagree on protocol_id"),
        1,
        "{lines:#?}"
    );
    assert_eq!(
        count("whose token did not decrypt: the backend makes tokens with another private key"),
        1,
        "{lines:#?}"
    );
    assert_eq!(lines.len(), 2, "other lines for this server: {lines:#?}");
}
