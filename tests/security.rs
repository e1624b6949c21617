//! The classes of weakness upstream fixed after 2017, tested against the pinned C through this
//! crate. SECURITY.md records each answer.

mod common;
mod handmade;

use std::net::UdpSocket;
use std::time::Duration;

use common::{addr, Session, PROTOCOL_ID};
use netcode::{ConnectionState, NetcodeClient, NetcodeServer, ServerConfig};

/// Token reuse (upstream advisory GHSA-v29p-3vj4-vg4f): after a session ends, the same token
/// from the same address opens a second session with the same keys, whose sequence numbers
/// start again at 0: AEAD nonces are reused. The pinned C accepts it; this crate's token
/// history (patch 0023) refuses it. tests/history.rs has the other ways a token comes back.
#[test]
fn a_token_opens_one_session_only() {
    let mut s = Session::simulated(4, 0.0, 0.0, 0.0, 0.0);
    let token = s.token(5, None);
    let c = s.new_client();
    s.clients[c].connect(&token).unwrap();
    s.connect_all();
    s.clients[c].disconnect();
    assert!(s.run_until(1.0, |s| s.server.num_connected_clients() == 0));

    // The same client object refuses to reuse the token.
    assert!(matches!(
        s.clients[c].connect(&token),
        Err(netcode::Error::TokenAlreadyUsed)
    ));

    // A new client at the same address (as an attacker replaying the token would be) gets no
    // second session: the server ignores its connection requests (the token is consumed), so
    // it never gets a slot and nothing about it is reported.
    let address = s.clients[c].local_address();
    s.clients.clear();
    let mut again = NetcodeClient::with_simulator(s.simulator.as_ref().unwrap(), address).unwrap();
    again.connect(&token).unwrap();
    s.clients.push(again);
    s.run_until(1.0, |_| false);
    assert_eq!(
        s.server.num_connected_clients(),
        0,
        "a reused token got a second session"
    );
    assert!(s.clients[0].send(b"anyone?").is_err());
    assert_eq!(
        s.run_until_stopped(0, 10.0),
        ConnectionState::ConnectionRequestTimedOut
    );
    assert!(s.server_received().is_empty());
    assert_eq!(s.seen.connected.len(), 1, "the reused session was reported");
    assert!(s.server.ignored_requests().token_already_used > 0);
}

/// Amplification: a connection request (1062 bytes on 1.00, 1078 on 1.02) gets a challenge of
/// 333 bytes; invalid requests get nothing. The server never answers with more bytes than it
/// was sent.
#[test]
fn no_amplification() {
    for version in [netcode::Version::V1_00, netcode::Version::V1_02] {
        let key = netcode::generate_key();
        let mut server = NetcodeServer::new(
            ServerConfig::new(addr("127.0.0.1:0"), PROTOCOL_ID, key)
                .max_clients(1)
                .version(version),
        )
        .unwrap();
        let token = server.generate_token(1, &[0; 256]).unwrap();
        let attacker = UdpSocket::bind("127.0.0.1:0").unwrap();
        attacker
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();

        // A valid request, written by hand as STANDARD.md lays it out, for `version`.
        let request = handmade::connection_request(&token, version, PROTOCOL_ID);
        let mut invalid = request.clone();
        invalid[100] ^= 1;

        let mut answers = Vec::new();
        for datagram in [&invalid, &request] {
            attacker.send_to(datagram, server.local_address()).unwrap();
            server.update(0.0);
            let mut buffer = [0u8; 2048];
            answers.push(attacker.recv(&mut buffer).unwrap_or(0));
        }
        assert_eq!(answers[0], 0, "{version}: an invalid request was answered");
        assert_eq!(
            answers[1],
            1 + 8 + 308 + 16,
            "{version}: the challenge: prefix, 8 sequence bytes, data, MAC"
        );
        assert!(answers[1] < request.len());
    }
}

/// NETCODE 1.02 tokens (the default) carry 24 random bytes as the nonce of their private part:
/// no two of many tokens under one key share it, and it is all random (not a sequence padded
/// with zeros, as a 1.00 token's is).
#[test]
fn tokens_1_02_have_random_24_byte_nonces() {
    let key = netcode::generate_key();
    let server =
        NetcodeServer::new(ServerConfig::new(addr("127.0.0.1:0"), PROTOCOL_ID, key)).unwrap();
    let mut nonces = std::collections::HashSet::new();
    let mut tails_nonzero = 0;
    for id in 0..2000 {
        let token = server.generate_token(id, &[0; 256]).unwrap();
        assert_eq!(token.version(), netcode::Version::V1_02);
        assert_eq!(
            &token.as_bytes()[37..61],
            token.nonce(),
            "the nonce follows the expiry"
        );
        tails_nonzero += usize::from(token.nonce()[8..] != [0; 16]);
        assert!(nonces.insert(*token.nonce()), "a nonce repeated");
    }
    assert_eq!(tails_nonzero, 2000, "the last 16 bytes are random too");
}

/// Encryption-mapping exhaustion: each connection request with a valid token, from its own
/// address, takes one of the server's 1024 encryption mappings for 5 seconds. A holder of
/// enough valid tokens can fill them, and an honest client then waits until they expire. The
/// pinned C has this; only the token issuer (the web backend) can limit it.
#[test]
fn encryption_mappings_fill_and_recover() {
    let mut s = Session::simulated(4, 0.0, 0.0, 0.0, 0.0);
    let server_address = s.server.public_address();
    let simulator = s.simulator.clone().unwrap();
    let mut attackers = Vec::new();
    for i in 0..1100u16 {
        let token = s.token(1000 + u64::from(i), None);
        let mut client =
            NetcodeClient::with_simulator(&simulator, addr(&format!("[::2]:{}", 1000 + i)))
                .unwrap();
        client.connect(&token).unwrap();
        attackers.push(client);
    }
    // One round of requests; the attackers never answer the challenge.
    simulator.update(s.time);
    for client in &mut attackers {
        client.update(s.time);
    }
    s.step();
    drop(attackers);
    let _ = server_address;

    let honest = s.connect_client(1, None);
    s.run_until(2.0, |_| false);
    assert_ne!(
        s.clients[honest].state(),
        ConnectionState::Connected,
        "the mappings did not fill up"
    );
    // The mappings expire 5 seconds after they were made; then an honest client gets in.
    s.clients.clear();
    s.run_until(4.0, |_| false);
    let honest = s.connect_client(2, None);
    assert!(s.run_until(2.0, |s| s.clients[honest].state()
        == ConnectionState::Connected));
}

/// Connect token nonces (upstream issue #67): servers sharing a key, or one server restarted,
/// must never issue two tokens with one sequence number, the nonce of the private part. They
/// counted from 0 per server object; now every token gets a random one.
#[test]
fn token_sequences_never_repeat_across_servers() {
    let key = netcode::generate_key();
    let mut sequences = std::collections::HashSet::new();
    for _restart in 0..4 {
        let config = ServerConfig::new(addr("127.0.0.1:0"), PROTOCOL_ID, key)
            .version(netcode::Version::V1_00);
        let server = NetcodeServer::new(config).unwrap();
        let mut old_api = netcode::UdpServer::new("127.0.0.1:0", 4, PROTOCOL_ID, &key).unwrap();
        for id in 0..8 {
            let tokens = [
                netcode::ConnectToken::try_from(&server.generate_token(id, &[0; 256]).unwrap())
                    .unwrap(),
                old_api.generate_token(30, id, None).unwrap(),
            ];
            for token in tokens {
                assert!(
                    sequences.insert(token.sequence),
                    "sequence {} issued twice under one key",
                    token.sequence
                );
            }
        }
    }
}
