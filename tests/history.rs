//! One session per connect token (patch 0023, SECURITY.md finding 5): the server's token
//! history, and the restart rule. Over real UDP on loopback with requests built by hand
//! (tests/handmade), with the 0.3.1 API's client, and over the reference's simulator.
//!
//! Each test fails with patch 0023 left out (`NETCODE_SYS_SKIP_PATCH=0023`), where the pinned
//! C's history of 2048 MACs answers a token again from its first address and evicts the oldest,
//! and a new server remembers nothing; but the last, which documents what stays open (the 0.3.1
//! API's restarted server) and passes either way. TESTING.md lists each failure.

#[macro_use]
mod handmade;
mod common;

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{addr, Session};
use handmade::{now, only_keep_alives, packet_of_type, socket, write, Rig, Token};
use netcode::netcode_sys as raw;
use netcode::server::Event;
use netcode::{
    ClientEvent, ClientState, ConnectionState, NetcodeClient, NetcodeServer, NetworkSimulator,
    ServerConfig, ServerEvent, TokenGenerator, UdpClient, UdpServer,
};

/// Sends `token`'s request from `from` and requires that the server does not answer it.
fn refused(rig: &mut Rig, from: &UdpSocket, token: &Token, case: &str) {
    let answers = rig.exchange(from, &token.request());
    assert!(
        answers.is_empty(),
        "a token whose session ended ({case}) was answered again ({} datagrams)",
        answers.len()
    );
}

/// A captured request replayed from a second address while its holder is mid-handshake (it has
/// its challenge, it has not answered): refused, counted as in use elsewhere. The holder then
/// connects. (The pinned C refused this too, uncounted: without patch 0023 the count fails.)
#[test]
fn a_token_replayed_mid_handshake_is_refused_and_the_holder_connects() {
    let mut rig = Rig::new(4);
    let token = rig.token(1);
    let (holder, thief) = (socket(), socket());
    let challenge = rig.challenge(&holder, &token);

    let before = rig.counts();
    rig.ignored(&thief, &token.request());
    assert_counted!(before, rig.counts(), token_in_use_elsewhere, 1);

    let answers = rig.exchange(&holder, &Rig::response(&challenge, &token, 0));
    assert!(
        !answers.is_empty() && only_keep_alives(&token, &answers),
        "the holder of the token did not connect"
    );
    assert_eq!(rig.server().num_connected_clients(), 1);
    let holder_address = holder.local_addr().unwrap();
    let connected = rig
        .server()
        .find_client(1)
        .expect("the holder is connected");
    assert_eq!(connected.address, holder_address);
}

/// A token whose session ended, each way a session ends: the client disconnected cleanly, it
/// timed out, the server disconnected it. Its request is refused from the same address (the
/// pinned C answered it, and a second session would reuse the first one's keys and nonces) and
/// from another, and counted as already used.
#[test]
fn a_token_is_refused_after_its_session_ended() {
    let mut rig = Rig::new(4);
    for (id, case) in [
        (1, "disconnected cleanly"),
        (2, "timed out"),
        (3, "disconnected by the server"),
    ] {
        let token = rig.token(id);
        let client = socket();
        rig.connect(&client, &token);
        assert_eq!(rig.server().num_connected_clients(), 1, "{case}");
        match id {
            1 => {
                let disconnect = packet_of_type(raw::NETCODE_SYS_CONNECTION_DISCONNECT_PACKET);
                rig.exchange(&client, &write(&disconnect, 1, &token.client_to_server_key));
            }
            2 => {
                // Silent for 6 s of the server's clock (the timeout is 5 s).
                for _ in 0..60 {
                    rig.time += 0.1;
                    let time = rig.time;
                    rig.server().update(time);
                }
            }
            _ => {
                let session = rig.server().find_client(id).expect("connected").session;
                rig.server().disconnect(session).unwrap();
            }
        }
        assert_eq!(rig.server().num_connected_clients(), 0, "{case}");
        drain(&client);

        let before = rig.counts();
        refused(&mut rig, &client, &token, case);
        refused(&mut rig, &socket(), &token, case);
        assert_counted!(before, rig.counts(), token_already_used, 2);
    }
}

/// `refuse_token_reuse(false)` keeps the pinned C's rule, for those who need it: once its
/// session ended, a token is answered again from the address that used it first (and a second
/// session would reuse the first one's keys), still never from another address.
#[test]
fn without_refusing_reuse_a_token_is_answered_again_from_its_first_address() {
    let mut rig = Rig::with_config(4, |config| config.refuse_token_reuse(false));
    let token = rig.token(1);
    let client = socket();
    rig.connect_and_leave(&client, &token);
    drain(&client);
    rig.challenge(&client, &token);
    let before = rig.counts();
    rig.ignored(&socket(), &token.request());
    assert_counted!(before, rig.counts(), token_in_use_elsewhere, 1);
}

/// A session that starts and ends within one server update (the response and the disconnect
/// packet arrive together) still consumes its token.
#[test]
fn a_session_within_one_update_consumes_its_token() {
    let mut rig = Rig::new(4);
    let token = rig.token(1);
    let client = socket();
    let challenge = rig.challenge(&client, &token);
    while rig.server().next_event().is_some() {}

    let disconnect = packet_of_type(raw::NETCODE_SYS_CONNECTION_DISCONNECT_PACKET);
    client
        .send_to(&Rig::response(&challenge, &token, 0), rig.address())
        .unwrap();
    client
        .send_to(
            &write(&disconnect, 1, &token.client_to_server_key),
            rig.address(),
        )
        .unwrap();
    rig.time += 0.01;
    let time = rig.time;
    rig.server().update(time);
    let events: Vec<_> = std::iter::from_fn(|| rig.server().next_event()).collect();
    assert!(
        matches!(
            events[..],
            [Event::Connected { .. }, Event::Disconnected { .. }]
        ),
        "the session did not start and end in one update: {events:?}"
    );

    // The keep-alive that welcomed the client.
    drain(&client);
    let before = rig.counts();
    let answers = rig.exchange(&client, &token.request());
    assert!(
        answers.is_empty(),
        "a token whose session lasted one update was answered again"
    );
    assert_counted!(before, rig.counts(), token_already_used, 1);
}

/// Takes whatever waits at `socket` (what the server sent while its client was connected).
fn drain(socket: &UdpSocket) {
    socket.set_nonblocking(true).unwrap();
    while socket.recv(&mut [0; 2048]).is_ok() {}
    socket.set_nonblocking(false).unwrap();
}

/// 0.3.1's `UdpClient::new(&token)` with a token another client object already used: the
/// object's own check cannot know (it is a new object, on a new port); the server refuses it.
#[test]
fn a_new_031_client_with_a_used_token_is_refused_by_the_server() {
    let mut server = UdpServer::new(
        "127.0.0.1:0",
        4,
        handmade::PROTOCOL_ID,
        &netcode::generate_key(),
    )
    .unwrap();
    let token = server.generate_token(30, 9, None).unwrap();
    let mut payload = [0; netcode::NETCODE_MAX_PAYLOAD_SIZE];
    let mut connects = 0;
    let mut run = |server: &mut UdpServer, client: &mut UdpClient, seconds: f64| {
        for _ in 0..(seconds / 0.05) as usize {
            client.update(0.05);
            while let Ok(Some(_)) = client.next_event(&mut payload) {}
            std::thread::sleep(Duration::from_millis(1));
            server.update(0.05);
            while let Ok(Some(event)) = server.next_event(&mut payload) {
                if let ServerEvent::ClientConnect(_) = event {
                    connects += 1;
                }
            }
        }
    };

    let mut first = UdpClient::new(&token).unwrap();
    run(&mut server, &mut first, 1.0);
    assert_eq!(first.get_state(), ClientState::Connected);
    first.disconnect().unwrap();
    run(&mut server, &mut first, 0.5);
    assert_eq!(server.inner().num_connected_clients(), 0);
    drop(first);

    let mut second = UdpClient::new(&token).unwrap();
    run(&mut server, &mut second, 6.0);
    assert_eq!(second.get_state(), ClientState::ConnectionRequestTimedOut);
    assert_eq!(connects, 1, "the used token opened a second session");
    assert!(
        server.inner().ignored_requests().token_already_used > 0,
        "the server did not count the used token's requests as token_already_used: {:?}",
        server.inner().ignored_requests()
    );
}

/// More distinct valid tokens than the history holds, from as many addresses, after a token was
/// used: the history refuses the new tokens it has no room for (the pinned C evicted its oldest
/// entries), counted, and the used token stays refused from its address and from another.
#[test]
fn a_flood_beyond_the_history_does_not_reopen_a_used_token() {
    let simulator = NetworkSimulator::new().unwrap();
    let key = netcode::generate_key();
    let public: SocketAddr = "10.0.0.1:40000".parse().unwrap();
    // The flood's requests are made by hand in the 1.00 layout.
    let config = ServerConfig::new(public, handmade::PROTOCOL_ID, key)
        .max_clients(4)
        .version(netcode::Version::V1_00);
    let mut server = NetcodeServer::with_simulator(&simulator, config).unwrap();
    let used = server.generate_token(1, &[0; 256]).unwrap();
    let first: SocketAddr = "10.0.0.2:5000".parse().unwrap();
    let mut client = NetcodeClient::with_simulator(&simulator, first).unwrap();
    client.connect(&used).unwrap();
    let mut time = 0.0;
    let mut step = |server: &mut NetcodeServer, client: &mut NetcodeClient| {
        simulator.update(time);
        client.update(time);
        server.update(time);
        time += 0.05;
    };
    for _ in 0..20 {
        step(&mut server, &mut client);
    }
    assert_eq!(client.state(), ConnectionState::Connected);
    client.disconnect();
    for _ in 0..4 {
        step(&mut server, &mut client);
    }
    assert_eq!(server.num_connected_clients(), 0);
    drop(client);

    let room = NetcodeServer::TOKEN_HISTORY - 1;
    let beyond = 100;
    let before = server.ignored_requests();
    for i in 0..room + beyond {
        let token = Token::new(
            &key,
            1000 + i as u64,
            &[public],
            handmade::PROTOCOL_ID,
            now() + 30,
        );
        let from = SocketAddr::from(([10, 1, (i >> 8) as u8, i as u8], 6000));
        assert!(simulator.send_raw(from, public, &token.request()));
    }
    simulator.update(time);
    server.update(time);
    let after = server.ignored_requests();
    assert_eq!(
        after.token_history_full - before.token_history_full,
        beyond as u64,
        "the history refused {} new tokens, not the {beyond} it had no room for: {after:?}",
        after.token_history_full - before.token_history_full
    );

    let request = handmade::connection_request(&used, used.version(), used.protocol_id());
    let before = server.ignored_requests();
    for from in [first, "10.0.0.3:5000".parse().unwrap()] {
        assert!(simulator.send_raw(from, public, &request));
    }
    simulator.update(time);
    server.update(time);
    let after = server.ignored_requests();
    assert_eq!(
        after.token_already_used - before.token_already_used,
        2,
        "the used token was not refused after the flood: {after:?}"
    );
    assert_eq!(after.total() - before.total(), 2, "{after:?}");
}

/// The history's scans stop above its highest entry in use (the shim's `tokens_in_use`), and
/// that bound falls as entries at the top expire: a used token below entries that expired is
/// still found. Token A is used (entry 0), ten 2-second tokens take entries 1 to 10 and
/// expire; a new token's request wipes them and takes entry 1; A is refused still, and a third
/// token (a scan that starts from the lowered bound) is answered.
#[test]
fn entries_that_expired_above_a_used_token_do_not_hide_it() {
    let mut rig = Rig::with_config(4, |config| config.max_token_lifetime(None));
    let used = rig.token(1);
    let client = socket();
    rig.connect_and_leave(&client, &used);
    drain(&client);
    let short_lived: Vec<Token> = (0..10)
        .map(|i| {
            let token = Token::new(
                &rig.key,
                100 + i,
                &[rig.address()],
                handmade::PROTOCOL_ID,
                now() + 2,
            );
            rig.challenge(&socket(), &token);
            token
        })
        .collect();
    wait_past(short_lived[9].expire);

    let fresh = rig.token(2);
    rig.challenge(&socket(), &fresh);
    let before = rig.counts();
    refused(
        &mut rig,
        &client,
        &used,
        "disconnected cleanly, then ten tokens expired above it",
    );
    refused(&mut rig, &socket(), &used, "the same, from another address");
    assert_counted!(before, rig.counts(), token_already_used, 2);
    let answered = rig.token(3);
    rig.challenge(&socket(), &answered);
    // An expired short-lived token stays refused (as expired, before the history).
    let before = rig.counts();
    rig.ignored(&socket(), &short_lived[0].request());
    assert_counted!(before, rig.counts(), token_expired, 1);
}

fn wall_clock() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Waits until the wall clock's second is later than `second`.
fn wait_past(second: u64) {
    while wall_clock() <= second {
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A client that connects with `token` over `s`'s simulator from a new address; runs for
/// `seconds` of virtual time and returns its state.
fn try_token(s: &mut Session, token: &netcode::Token, seconds: f64) -> ConnectionState {
    let index = s.new_client();
    s.clients[index].connect(token).unwrap();
    s.run_until(seconds, |s| {
        s.clients[index].state() == ConnectionState::Connected
    });
    s.clients[index].state()
}

/// The restart rule: a server started after a token was used, with the same key and address
/// (a restart), refuses that token (counted as token_before_start), where it has no history
/// of it.
#[test]
fn a_server_started_after_a_token_was_used_refuses_it() {
    let mut s = Session::simulated(4, 0.0, 0.0, 0.0, 0.0);
    let token = s.token(1, None);
    assert_eq!(try_token(&mut s, &token, 2.0), ConnectionState::Connected);
    s.clients[0].disconnect();
    assert!(s.run_until(1.0, |s| s.server.num_connected_clients() == 0));
    s.clients.clear();

    // The restart, in a later second than the token was made.
    wait_past(token.create_timestamp());
    let simulator = s.simulator.clone().unwrap();
    let config = ServerConfig::new(s.server.public_address(), common::PROTOCOL_ID, s.key);
    s.server = NetcodeServer::with_simulator(&simulator, config).unwrap();

    assert_ne!(
        try_token(&mut s, &token, 2.0),
        ConnectionState::Connected,
        "a server started after the token was used accepted it"
    );
    let counts = s.server.ignored_requests();
    assert!(counts.token_before_start > 0, "{counts:?}");
    assert_eq!(counts.total(), counts.token_before_start, "{counts:?}");
}

/// The restart rule's other half: a token that lives longer than the maximum is refused
/// (counted as token_lifetime_too_long). And right after a start, a fresh token of the default
/// 30 s passes, while a 15-s token is refused (it expires before the start plus 30 s).
#[test]
fn the_restart_rule_bounds_token_lifetimes() {
    let mut s = Session::simulated(4, 0.0, 0.0, 0.0, 0.0);
    let generator = |seconds| {
        TokenGenerator::new(s.server.token_settings().expire_seconds(seconds), &s.key).unwrap()
    };
    // 60 s: more than the maximum even if a second ticks before the server reads it.
    let long = generator(60).generate(1, &[0; 256]).unwrap();
    let short = generator(15).generate(2, &[0; 256]).unwrap();
    let fresh = s.token(3, None);
    assert_eq!(fresh.expire_timestamp() - fresh.create_timestamp(), 30);

    assert_ne!(
        try_token(&mut s, &long, 1.0),
        ConnectionState::Connected,
        "a token longer-lived than the maximum was accepted"
    );
    assert!(s.server.ignored_requests().token_lifetime_too_long > 0);
    assert_ne!(try_token(&mut s, &short, 1.0), ConnectionState::Connected);
    assert!(s.server.ignored_requests().token_before_start > 0);
    assert_eq!(try_token(&mut s, &fresh, 2.0), ConnectionState::Connected);

    let config = ServerConfig::new(addr("127.0.0.1:0"), common::PROTOCOL_ID, s.key);
    assert!(matches!(
        NetcodeServer::new(config.max_token_lifetime(Some(0))),
        Err(netcode::Error::InvalidTokenSetting(_))
    ));
}

/// What holds without the rule (the 0.3.1 API's servers: `max_token_lifetime(None)`): a server
/// restarted on the same address and key accepts a token used before its restart, once more,
/// since its history starts empty. SECURITY.md and MIGRATING.md say so; this passes with or
/// without patch 0023.
#[test]
fn without_the_rule_a_restarted_031_server_accepts_a_token_used_before() {
    let key = netcode::generate_key();
    let mut server = UdpServer::new("127.0.0.1:0", 4, handmade::PROTOCOL_ID, &key).unwrap();
    let address = server.get_local_addr().unwrap();
    let token = server.generate_token(30, 5, None).unwrap();
    let mut payload = [0; netcode::NETCODE_MAX_PAYLOAD_SIZE];
    let mut run = |server: &mut UdpServer, client: &mut UdpClient| {
        for _ in 0..40 {
            client.update(0.05);
            while let Ok(Some(event)) = client.next_event(&mut payload) {
                if event == ClientEvent::NewState(ClientState::Connected) {
                    return true;
                }
            }
            std::thread::sleep(Duration::from_millis(1));
            server.update(0.05);
            while let Ok(Some(_)) = server.next_event(&mut payload) {}
        }
        false
    };
    let mut client = UdpClient::new(&token).unwrap();
    assert!(run(&mut server, &mut client));
    client.disconnect().unwrap();
    drop(client);
    drop(server);

    wait_past(token.create_utc);
    let mut restarted = UdpServer::new(address, 4, handmade::PROTOCOL_ID, &key).unwrap();
    let mut again = UdpClient::new(&token).unwrap();
    assert!(
        run(&mut restarted, &mut again),
        "the restarted 0.3.1 server refused the used token (the exposure is documented as open)"
    );
}
