//! The connection life cycle with the idiomatic API, each scenario over real UDP on IPv4 and
//! IPv6 loopback and over the reference's network simulator twice: a perfect network, and one
//! with 50 ms latency and a quarter of all packets duplicated. (No loss or jitter there: the
//! scenarios assert exact delivery and order, which netcode does not promise under loss or
//! reordering; `lossy_network_keeps_payloads_intact` runs with loss, jitter and duplicates.)

mod common;

use common::{addr, pattern, Session, PROTOCOL_ID};
use netcode::{ConnectionState, DisconnectReason, NETCODE_MAX_PAYLOAD_SIZE};

/// Defines `mod $name { fn ipv4(); fn ipv6(); fn simulated(); fn simulated_latency_and_duplicates(); }`, each running `$body` with a
/// function that makes a session with the given number of slots.
macro_rules! scenario {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[test]
            fn ipv4() {
                ($body)(|slots| Session::udp("127.0.0.1", slots));
            }

            #[test]
            fn ipv6() {
                ($body)(|slots| Session::udp("[::1]", slots));
            }

            #[test]
            fn simulated() {
                ($body)(|slots| Session::simulated(slots, 0.0, 0.0, 0.0, 0.0));
            }

            /// 50 ms each way, and a quarter of all packets delivered twice.
            #[test]
            fn simulated_latency_and_duplicates() {
                ($body)(|slots| Session::simulated(slots, 50.0, 0.0, 0.0, 25.0));
            }
        }
    };
}

scenario!(exchange_both_ways_then_disconnect, |new: fn(
    usize,
) -> Session| {
    let mut s = new(4);
    let c = s.connect_client(1001, None);
    s.connect_all();
    let slot = s.clients[c].client_index();
    assert_eq!(s.server.client(slot).map(|info| info.id), Some(1001));

    let big = pattern(NETCODE_MAX_PAYLOAD_SIZE, 3);
    s.clients[c].send(&big).unwrap();
    s.clients[c].send(b"x").unwrap();
    let mut at_server = Vec::new();
    s.run_until(2.0, |s| {
        at_server.extend(s.server_received());
        at_server.len() >= 2
    });
    assert_eq!(at_server, vec![(slot, big.clone()), (slot, b"x".to_vec())]);

    s.server.send(s.info(c).session, &big).unwrap();
    let mut at_client = Vec::new();
    s.run_until(2.0, |s| {
        at_client.extend(s.client_received(c));
        !at_client.is_empty()
    });
    assert_eq!(at_client, vec![big]);

    s.clients[c].disconnect();
    assert_eq!(s.clients[c].state(), ConnectionState::Disconnected);
    assert!(
        s.run_until(2.0, |s| s.server.num_connected_clients() == 0),
        "the slot was not freed"
    );
    assert_eq!(s.seen.connected.len(), 1);
    assert_eq!(
        s.seen
            .disconnected
            .iter()
            .map(|(c, reason)| (c.id, *reason))
            .collect::<Vec<_>>(),
        vec![(1001, DisconnectReason::DisconnectPacket)]
    );
});

scenario!(sixty_four_clients, |new: fn(usize) -> Session| {
    let mut s = new(64);
    for id in 0..64 {
        s.connect_client(5000 + id, None);
    }
    s.connect_all();
    assert_eq!(s.server.num_connected_clients(), 64);
    for c in 0..64 {
        s.clients[c].send(&pattern(100, c as u8)).unwrap();
    }
    let mut at_server = Vec::new();
    s.run_until(3.0, |s| {
        at_server.extend(s.server_received());
        at_server.len() >= 64
    });
    assert_eq!(at_server.len(), 64);
    for (slot, bytes) in at_server {
        let client = s.server.client(slot).unwrap();
        let id = client.id;
        assert_eq!(
            bytes,
            pattern(100, (id - 5000) as u8),
            "payload from slot {slot} (client {id})"
        );
        s.server.send(client.session, &bytes).unwrap();
    }
    let mut echoed = [false; 64];
    s.run_until(3.0, |s| {
        for (c, done) in echoed.iter_mut().enumerate() {
            for bytes in s.client_received(c) {
                assert_eq!(bytes, pattern(100, c as u8));
                *done = true;
            }
        }
        echoed.iter().all(|&d| d)
    });
    assert!(echoed.iter().all(|&d| d), "every client gets its echo");
});

scenario!(full_server_denies_the_next_client, |new: fn(
    usize,
) -> Session| {
    let mut s = new(1);
    s.connect_client(1, None);
    s.connect_all();
    let late = s.connect_client(2, None);
    let state = s.run_until_stopped(late, 10.0);
    assert_eq!(state, ConnectionState::ConnectionDenied);
    assert_eq!(s.server.num_connected_clients(), 1);
    assert!(s.clients[0].state().is_connected());
});

scenario!(expired_token, |new: fn(usize) -> Session| {
    let mut s = new(1);
    // A lifetime of 0 s: the token generator refuses it, 0.3.1's `generate` does not.
    let expired = netcode::ConnectToken::generate(
        [s.server.public_address()].into_iter(),
        &s.key,
        0,
        7,
        PROTOCOL_ID,
        1,
        None,
    )
    .unwrap();
    let token = netcode::Token::try_from(&expired).unwrap();
    let c = s.new_client();
    s.clients[c].connect(&token).unwrap();
    assert_eq!(
        s.run_until_stopped(c, 10.0),
        ConnectionState::ConnectTokenExpired
    );
    assert_eq!(s.server.num_connected_clients(), 0);
});

scenario!(token_with_the_wrong_key, |new: fn(usize) -> Session| {
    let mut s = new(1);
    let c = s.connect_with(
        &[s.server.public_address()],
        netcode::generate_key(),
        PROTOCOL_ID,
    );
    assert_eq!(
        s.run_until_stopped(c, 10.0),
        ConnectionState::ConnectionRequestTimedOut
    );
    assert_eq!(s.server.num_connected_clients(), 0);
});

scenario!(token_with_the_wrong_protocol_id, |new: fn(
    usize,
) -> Session| {
    let mut s = new(1);
    let c = s.connect_with(&[s.server.public_address()], s.key, PROTOCOL_ID + 1);
    assert_eq!(
        s.run_until_stopped(c, 10.0),
        ConnectionState::ConnectionRequestTimedOut
    );
    assert_eq!(s.server.num_connected_clients(), 0);
});

scenario!(connection_request_timeout, |new: fn(usize) -> Session| {
    let mut s = new(1);
    let c = s.connect_with(&[s.nobody()], s.key, PROTOCOL_ID);
    assert_eq!(
        s.run_until_stopped(c, 10.0),
        ConnectionState::ConnectionRequestTimedOut
    );
});

scenario!(connection_response_timeout, |new: fn(usize) -> Session| {
    let mut s = new(1);
    let c = s.connect_client(1, None);
    assert!(s.run_until(5.0, |s| s.clients[c].state()
        == ConnectionState::SendingConnectionResponse));
    s.server_alive = false;
    assert_eq!(
        s.run_until_stopped(c, 10.0),
        ConnectionState::ConnectionResponseTimedOut
    );
});

scenario!(
    client_times_out_when_the_server_goes_silent,
    |new: fn(usize) -> Session| {
        let mut s = new(1);
        let c = s.connect_client(1, None);
        s.connect_all();
        s.server_alive = false;
        assert_eq!(
            s.run_until_stopped(c, 10.0),
            ConnectionState::ConnectionTimedOut
        );
    }
);

scenario!(server_times_out_a_silent_client, |new: fn(
    usize,
) -> Session| {
    let mut s = new(1);
    s.connect_client(7, None);
    s.connect_all();
    // Keep the client alive but stop updating it.
    let silent = s.clients.pop().unwrap();
    assert!(
        s.run_until(10.0, |s| s.server.num_connected_clients() == 0),
        "the server kept the slot"
    );
    assert_eq!(
        s.seen
            .disconnected
            .iter()
            .map(|(c, reason)| (c.id, *reason))
            .collect::<Vec<_>>(),
        vec![(7, DisconnectReason::TimedOut)]
    );
    drop(silent);
});

scenario!(
    server_side_disconnect_frees_the_slot,
    |new: fn(usize) -> Session| {
        let mut s = new(1);
        let c = s.connect_client(1, None);
        s.connect_all();
        let slot = s.clients[c].client_index();
        let session = s.info(c).session;
        s.server.disconnect(session).unwrap();
        assert_eq!(s.run_until_stopped(c, 5.0), ConnectionState::Disconnected);
        assert_eq!(s.server.num_connected_clients(), 0);
        assert_eq!(
            s.seen
                .disconnected
                .iter()
                .map(|(c, reason)| (c.session, *reason))
                .collect::<Vec<_>>(),
            vec![(session, DisconnectReason::Local)]
        );
        // The slot takes a new client.
        s.connect_client(2, None);
        s.clients.remove(c);
        s.connect_all();
        assert_eq!(s.server.client(slot).map(|info| info.id), Some(2));
    }
);

scenario!(reconnect_after_a_disconnect, |new: fn(usize) -> Session| {
    let mut s = new(1);
    let c = s.connect_client(1, None);
    s.connect_all();
    s.clients[c].disconnect();
    assert!(s.run_until(2.0, |s| s.server.num_connected_clients() == 0));
    let token = s.token(1, None);
    s.clients[c].connect(&token).unwrap();
    s.connect_all();
    assert_eq!(s.server.num_connected_clients(), 1);
    s.clients[c].send(b"again").unwrap();
    let mut got = Vec::new();
    s.run_until(2.0, |s| {
        got.extend(s.server_received());
        !got.is_empty()
    });
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].1, b"again");
});

scenario!(user_data_reaches_the_server, |new: fn(usize) -> Session| {
    let mut s = new(2);
    let mut user_data = [0u8; 256];
    user_data
        .iter_mut()
        .enumerate()
        .for_each(|(i, b)| *b = (i * 7) as u8);
    let c = s.connect_client(99, Some(&user_data));
    s.connect_all();
    assert_eq!(
        s.server.client_user_data(s.info(c).session),
        Some(&user_data)
    );
    assert_eq!(s.seen.connected[0].0.id, 99);
    assert_eq!(s.seen.connected[0].1, user_data.to_vec());
});

scenario!(token_whose_first_server_is_dead, |new: fn(
    usize,
) -> Session| {
    let mut s = new(1);
    let c = s.connect_with(&[s.nobody(), s.server.public_address()], s.key, PROTOCOL_ID);
    // The first server times out (5 s), then the second accepts.
    assert!(s.run_until(15.0, |s| s.clients[c].state().is_connected()
        || s.clients[c].state().is_error()));
    assert_eq!(s.clients[c].state(), ConnectionState::Connected);
    assert!(s.time > 5.0, "connected before the first server timed out");
});

/// Over a network with 250 ms latency, 100 ms jitter, 10 % loss and 10 % duplicates, 16
/// clients connect and every payload that arrives is intact, from the right client, and
/// delivered once (each payload names its round; the duplicates are dropped by the replay
/// protection).
#[test]
fn lossy_network_keeps_payloads_intact() {
    let mut s = Session::simulated(16, 250.0, 100.0, 10.0, 10.0);
    for id in 0..16 {
        s.connect_client(id, None);
    }
    s.connect_all();
    let payload = |round: u32, c: usize| {
        let mut bytes = pattern(200, c as u8);
        bytes[..4].copy_from_slice(&round.to_le_bytes());
        bytes
    };
    let mut delivered = std::collections::HashSet::new();
    for round in 0..100u32 {
        for c in 0..16 {
            let _ = s.clients[c].send(&payload(round, c));
        }
        s.step();
        for (slot, bytes) in s.server_received() {
            let id = s.server.client(slot).unwrap().id;
            let sent_in = u32::from_le_bytes(bytes[..4].try_into().unwrap());
            assert_eq!(bytes, payload(sent_in, id as usize), "round {round}");
            assert!(
                delivered.insert((id, sent_in)),
                "client {id}'s payload of round {sent_in} was delivered twice"
            );
        }
    }
    // 1600 sent, about 10 % lost: most arrive, none twice.
    assert!(
        delivered.len() > 1000,
        "only {} of 1600 payloads arrived",
        delivered.len()
    );
}

#[test]
fn simulated_addresses_need_a_port() {
    let simulator = netcode::NetworkSimulator::new().unwrap();
    let err = netcode::NetcodeClient::with_simulator(&simulator, addr("[::1]:0")).unwrap_err();
    assert!(
        matches!(err, netcode::Error::SimulatedAddressNeedsPort(_)),
        "{err}"
    );
}

/// Tokens the C would refuse or misread cannot become a `Token`, so `connect` never sees them:
/// one that expires before it was created (the C's `InvalidConnectToken`), and a timeout of 0
/// (a client that times out at once); and such tokens cannot be made. A 0.3.1 token's `u32`
/// timeout of 2^31 and more is refused too (the C's `int` would make it negative); in the
/// reference's bytes those are negative timeouts, which mean none.
#[test]
fn unusable_tokens_are_refused() {
    let s = Session::simulated(1, 0.0, 0.0, 0.0, 0.0);
    let settings = s.server.token_settings().version(netcode::Version::V1_00);
    let token = netcode::TokenGenerator::new(settings, &s.key)
        .unwrap()
        .generate(1, &[0; 256])
        .unwrap();
    let mut backwards = netcode::ConnectToken::try_from(&token).unwrap();
    backwards.create_utc = backwards.expire_utc + 1;
    let err = netcode::Token::try_from(&backwards).unwrap_err();
    assert!(
        err.to_string().contains("expires before it was created"),
        "{err}"
    );
    for timeout in [0, 1 << 31, u32::MAX] {
        let mut bad = netcode::ConnectToken::try_from(&token).unwrap();
        bad.timeout_sec = timeout;
        let err = netcode::Token::try_from(&bad).unwrap_err();
        assert!(
            matches!(err, netcode::Error::InvalidToken(what) if what.contains("timeout")),
            "{timeout}: {err}"
        );
        // The same bytes, as a player could send them, are refused by the reader.
        // The timeout follows the private part, the address count, the addresses and the keys.
        let addresses: usize = (token.servers().into_iter())
            .map(|a| if a.is_ipv4() { 1 + 4 + 2 } else { 1 + 16 + 2 })
            .sum();
        let at = 13 + 4 * 8 + 1024 + 4 + addresses + 2 * 32;
        let mut bytes = *token.as_bytes();
        assert_eq!(bytes[at..at + 4], 5u32.to_le_bytes());
        bytes[at..at + 4].copy_from_slice(&timeout.to_le_bytes());
        match netcode::Token::from_bytes(&bytes) {
            Err(err) => assert!(
                timeout == 0 && err.to_string().contains("timeout"),
                "{timeout}: {err}"
            ),
            Ok(read) => assert_eq!(read.timeout_seconds(), timeout as i32, "no timeout"),
        }
    }
    // And such tokens cannot be made.
    let settings = || s.server.token_settings();
    for bad in [settings().expire_seconds(0), settings().timeout_seconds(0)] {
        assert!(matches!(
            netcode::TokenGenerator::new(bad, &s.key),
            Err(netcode::Error::InvalidTokenSetting(_))
        ));
    }
    let private = netcode::ConnectToken::try_from(&token)
        .unwrap()
        .decode(&s.key)
        .unwrap();
    for (create, expire, timeout) in [(10, 5, 5), (0, 10, 0), (0, 10, 1 << 31)] {
        assert!(netcode::ConnectToken::with_private_data(
            &private,
            &s.key,
            PROTOCOL_ID,
            create,
            expire,
            1,
            timeout
        )
        .is_err());
    }
    assert!(matches!(
        netcode::ConnectToken::generate(
            [addr("127.0.0.1:1")].into_iter(),
            &s.key,
            usize::MAX,
            1,
            PROTOCOL_ID,
            1,
            None
        ),
        Err(netcode::GenerateError::InvalidLifetime)
    ));
}

/// A server whose clock reads far below zero (the clock is the caller's) admits clients, one
/// after another from one address: free encryption mappings started at -1000 s and looked live
/// to a clock below -995 s (patch 0025: a mapping slot without an address is free; before it,
/// patch 0015 started free mappings at -inf instead of -1000 s).
#[test]
fn a_server_clock_far_below_zero_admits_clients() {
    for start in [-998.0, -5000.0, -1.0e12] {
        let mut s = Session::simulated(1, 0.0, 0.0, 0.0, 0.0);
        s.time = start;
        s.step();
        for id in [1, 2] {
            let c = s.connect_client(id, None);
            assert!(
                s.run_until(2.0, |s| s.clients[c].state().is_connected()
                    || s.clients[c].state().is_error()),
                "a server whose clock reads {start} s admitted no client"
            );
            assert_eq!(
                s.clients[c].state(),
                ConnectionState::Connected,
                "clock {start}"
            );
            s.clients[c].disconnect();
            assert!(s.run_until(1.0, |s| s.server.num_connected_clients() == 0));
        }
    }
}

/// A client made and connected while the clock already reads 1000 s counts its timeouts from
/// its first update after the connect (the C stamps a connect with the last update's time).
#[test]
fn connecting_late_on_the_clock() {
    let mut s = Session::simulated(1, 0.0, 0.0, 0.0, 0.0);
    s.time = 1000.0;
    s.step();
    let c = s.connect_client(1, None);
    assert!(s.run_until(2.0, |s| s.clients[c].state().is_connected()
        || s.clients[c].state().is_error()));
    assert_eq!(s.clients[c].state(), ConnectionState::Connected);
}
