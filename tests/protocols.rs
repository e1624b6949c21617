//! NETCODE 1.02 beside 1.00 (patch 0025), over real UDP on loopback: each version end to end,
//! both in one process, a server refusing the other version's clients (counted as
//! `wrong_version`), and the addresses a server behind NAT checks. (The timeouts a 1.02 token
//! sets on both sides: tests/timing.rs.)

mod common;

use common::*;
use netcode::{
    ConnectionState, DisconnectReason, NetcodeClient, ServerAddresses, TokenGenerator,
    TokenSettings, Version,
};

fn session(version: Version) -> Session {
    Session::udp_with("127.0.0.1", 4, |config| config.version(version))
}

/// Connects a client of `session`'s version, sends payloads both ways and disconnects it.
fn round_trip(session: &mut Session) {
    let index = session.connect_client(7, Some(&[9; 256]));
    session.connect_all();
    assert_eq!(session.seen.connected.last().unwrap().0.id, 7);
    let slot = session.clients[index].client_index();
    let client = session.server.client(slot).unwrap();
    for len in [1, 100, 1200] {
        session.clients[index].send(&pattern(len, 3)).unwrap();
        session
            .server
            .send(client.session, &pattern(len, 5))
            .unwrap();
    }
    session.run_until(1.0, |_| false);
    let to_server: Vec<Vec<u8>> = session
        .server_received()
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    let to_client = session.client_received(index);
    let expected = |seed| -> Vec<Vec<u8>> { [1, 100, 1200].map(|len| pattern(len, seed)).to_vec() };
    assert_eq!(to_server, expected(3));
    assert_eq!(to_client, expected(5));
    session.clients[index].disconnect();
    session.run_until(1.0, |s| !s.seen.disconnected.is_empty());
    assert_eq!(
        session.seen.disconnected.last().unwrap().1,
        DisconnectReason::DisconnectPacket
    );
}

#[test]
fn each_version_end_to_end() {
    for version in [Version::V1_02, Version::V1_00] {
        let mut s = session(version);
        assert_eq!(s.server.version(), version);
        let token = s.token(7, None);
        assert_eq!(token.version(), version);
        assert_eq!(&token.as_bytes()[..13], version.version_info());
        round_trip(&mut s);
    }
}

#[test]
fn both_versions_in_one_process() {
    let mut old = session(Version::V1_00);
    let mut new = session(Version::V1_02);
    let a = old.connect_client(1, None);
    let b = new.connect_client(2, None);
    for _ in 0..100 {
        old.step();
        new.step();
    }
    assert_eq!(old.clients[a].state(), ConnectionState::Connected);
    assert_eq!(new.clients[b].state(), ConnectionState::Connected);
    round_trip(&mut old);
    round_trip(&mut new);
}

/// A client with the other version's token never gets past its request: the server counts it
/// as a wrong version, and the client times out as one whose requests go unanswered.
#[test]
fn a_server_refuses_the_other_version() {
    for (server_version, token_version) in [
        (Version::V1_02, Version::V1_00),
        (Version::V1_00, Version::V1_02),
    ] {
        let mut s = session(server_version);
        let servers = ServerAddresses::one(s.server.public_address());
        let generator = TokenGenerator::new(
            TokenSettings::new(PROTOCOL_ID, servers).version(token_version),
            &s.key,
        )
        .unwrap();
        let token = generator.generate(1, &[0; 256]).unwrap();
        let index = s.new_client();
        s.clients[index].connect(&token).unwrap();
        let state = s.run_until_stopped(index, 10.0);
        assert_eq!(
            state,
            ConnectionState::ConnectionRequestTimedOut,
            "{server_version} server, {token_version} token"
        );
        let ignored = s.server.ignored_requests();
        assert!(ignored.wrong_version > 0, "{ignored:?}");
        assert_eq!(s.server.num_connected_clients(), 0);
    }
}

/// A server behind NAT: clients dial one address (the public part's), the server checks the
/// address it knows itself by (the private part's). Without `internal_servers`, the server
/// finds its address missing from the token and ignores the request.
#[test]
fn internal_server_addresses_for_a_server_behind_nat() {
    let mut s = Session::udp_with("127.0.0.1", 4, |config| {
        config.public_address(addr("10.1.2.3:0"))
    });
    let dial = s.server.local_address();
    let own = s.server.public_address();
    assert_eq!(
        (own.ip(), own.port()),
        (addr("10.1.2.3:1").ip(), dial.port())
    );

    let settings = TokenSettings::new(PROTOCOL_ID, ServerAddresses::one(dial));
    let plain = TokenGenerator::new(settings.clone(), &s.key)
        .unwrap()
        .generate(1, &[0; 256])
        .unwrap();
    let behind_nat =
        TokenGenerator::new(settings.internal_servers(ServerAddresses::one(own)), &s.key)
            .unwrap()
            .generate(2, &[0; 256])
            .unwrap();
    assert_eq!(behind_nat.servers().as_slice(), &[dial]);
    assert_eq!(
        behind_nat.decode(&s.key).unwrap().servers.as_slice(),
        &[own]
    );

    let refused = s.new_client();
    s.clients[refused].connect(&plain).unwrap();
    assert_eq!(
        s.run_until_stopped(refused, 8.0),
        ConnectionState::ConnectionRequestTimedOut
    );
    assert!(s.server.ignored_requests().server_address_not_in_token > 0);

    let admitted = s.new_client();
    s.clients[admitted].connect(&behind_nat).unwrap();
    assert!(s.run_until(5.0, |s| s.clients[admitted].state()
        == ConnectionState::Connected));
}

/// A token of either version reads back from its bytes, as any backend writes it.
#[test]
fn tokens_of_either_version_read_back() {
    for version in [Version::V1_00, Version::V1_02] {
        let key = netcode::generate_key();
        let settings = TokenSettings::new(PROTOCOL_ID, ServerAddresses::one(addr("[::1]:40000")))
            .version(version);
        let token = TokenGenerator::new(settings, &key)
            .unwrap()
            .generate(3, &[1; 256])
            .unwrap();
        let read = netcode::Token::from_bytes(token.as_bytes()).unwrap();
        assert_eq!(read, token);
        assert_eq!((read.version(), read.nonce()), (version, token.nonce()));
        assert_eq!(read.decode(&key).unwrap().client_id, 3);
        let client = NetcodeClient::new(addr("[::]:0"));
        client.unwrap().connect(&read).unwrap();
    }
}

#[test]
fn internal_servers_must_match_the_public_list() {
    let settings = TokenSettings::new(PROTOCOL_ID, ServerAddresses::one(addr("127.0.0.1:1")))
        .internal_servers(ServerAddresses::new([addr("10.0.0.1:1"), addr("10.0.0.2:1")]).unwrap());
    assert!(matches!(
        TokenGenerator::new(settings, &[0; 32]),
        Err(netcode::Error::InvalidTokenSetting(_))
    ));
}
