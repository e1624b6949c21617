//! The timing the documents state, asserted on the virtual clock within a tick: keep-alives at
//! 10 Hz on an idle connection, both ways; a connected peer that goes silent is given up after
//! 5 s by the server and after the token's timeout by the client; a connection request nobody
//! answers times out after the token's timeout.

use std::net::SocketAddr;

use netcode::server::Event;
use netcode::{
    ClientEvent, ConnectionState, DisconnectReason, NetcodeClient, NetcodeServer, NetworkSimulator,
    ServerConfig, ServerEvent, UdpClient, UdpServer, Version, NETCODE_MAX_PAYLOAD_SIZE,
};

const PROTOCOL_ID: u64 = 0x7117_0000_0000_0001;
/// One tick of the virtual clock: the precision every assertion here has.
const TICK: f64 = 0.01;

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

/// The virtual time of tick `n` (computed, not accumulated, so that it does not drift).
fn at(n: u32) -> f64 {
    f64::from(n) * TICK
}

/// The gaps between consecutive times.
fn gaps(times: &[f64]) -> Vec<f64> {
    times.windows(2).map(|w| w[1] - w[0]).collect()
}

/// An idle connection (no payloads either way) keeps itself alive with a keep-alive every
/// 0.1 s from each side (10 Hz), seen through the 0.3.1 API's `SentKeepAlive` events, which the
/// C records where it sends each one. Over UDP on loopback, on a clock of 10 ms ticks.
#[test]
fn idle_connections_send_keep_alives_at_10_hz_both_ways() {
    let key = netcode::generate_key();
    let mut server = UdpServer::new("127.0.0.1:0", 1, PROTOCOL_ID, &key).unwrap();
    let mut client = UdpClient::new(&server.generate_token(30, 5, None).unwrap()).unwrap();
    let mut buffer = [0; NETCODE_MAX_PAYLOAD_SIZE];
    let (mut connected_at, mut server_sent, mut client_sent) = (None, Vec::new(), Vec::new());
    for n in 1..=400 {
        client.update(TICK);
        server.update(TICK);
        let now = at(n);
        while let Ok(Some(event)) = server.next_event(&mut buffer) {
            match event {
                ServerEvent::ClientConnect(5) => connected_at = Some(now),
                ServerEvent::SentKeepAlive(5) if connected_at.is_some() => server_sent.push(now),
                _ => {}
            }
        }
        while let Ok(Some(event)) = client.next_event(&mut buffer) {
            if matches!(event, ClientEvent::SentKeepAlive) && connected_at.is_some() {
                client_sent.push(now);
            }
        }
        // Loopback delivers at once; a short pause lets the datagrams land before the next tick.
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
    let connected_at = connected_at.expect("the client connected");
    let idle = at(400) - connected_at;
    for (side, sent) in [("server", &server_sent), ("client", &client_sent)] {
        // Every 0.1 s, on the first tick at or after it: 0.10 or 0.11 s apart on 10 ms ticks.
        let (fewest, most) = (
            (idle / (0.1 + TICK)).floor() - 1.0,
            (idle / 0.1).ceil() + 1.0,
        );
        assert!(
            (fewest..=most).contains(&(sent.len() as f64)),
            "the {side} sent {} keep-alives in {idle:.2} s idle, not {fewest} to {most}",
            sent.len()
        );
        for gap in gaps(sent) {
            assert!(
                (0.1 - 1e-9..=0.1 + TICK + 1e-9).contains(&gap),
                "the {side} sent keep-alives {gap:.3} s apart, not 0.1 s (10 Hz) within a tick: {sent:?}"
            );
        }
    }
}

/// One server and one client over the reference's simulator, connected, on a clock of 10 ms
/// ticks; returns the tick at which the client was connected.
fn connected_pair(
    version: Version,
    timeout_seconds: i32,
) -> (NetworkSimulator, NetcodeServer, NetcodeClient, u32) {
    let simulator = NetworkSimulator::new().unwrap();
    let server_address = addr("[::1]:40000");
    let key = netcode::generate_key();
    let config = ServerConfig::new(server_address, PROTOCOL_ID, key).version(version);
    let server = NetcodeServer::with_simulator(&simulator, config).unwrap();
    let mut client = NetcodeClient::with_simulator(&simulator, addr("[::1]:50000")).unwrap();
    let settings = server.token_settings().timeout_seconds(timeout_seconds);
    let token = netcode::TokenGenerator::new(settings, &key)
        .unwrap()
        .generate(1, &[0; 256])
        .unwrap();
    client.connect(&token).unwrap();
    let mut pair = (simulator, server, client, 0);
    for n in 1..=200 {
        step(&mut pair, n, true, true);
        if pair.2.state() == ConnectionState::Connected {
            pair.3 = n;
            return pair;
        }
    }
    panic!("the client did not connect: {}", pair.2.state());
}

/// One tick of the pair at tick `n`, updating only the sides asked for.
fn step(
    (simulator, server, client, _): &mut (NetworkSimulator, NetcodeServer, NetcodeClient, u32),
    n: u32,
    server_runs: bool,
    client_runs: bool,
) {
    simulator.update(at(n));
    if client_runs {
        client.update(at(n));
    }
    if server_runs {
        server.update(at(n));
    }
}

/// A connected client whose server goes silent (it stops updating: a crash, a cable) gives up
/// after the token's timeout, counted from the last packet it received, within a tick; with
/// keep-alives at 10 Hz, that packet came at most 0.1 s before the silence.
#[test]
fn a_client_gives_up_on_a_silent_server_after_the_token_timeout() {
    for (version, timeout) in [
        (Version::V1_00, 5),
        (Version::V1_00, 2),
        (Version::V1_02, 2),
    ] {
        let mut pair = connected_pair(version, timeout);
        let silent_from = pair.3 + 100;
        let mut gave_up = None;
        for n in pair.3 + 1..silent_from + 1000 {
            step(&mut pair, n, n < silent_from, true);
            if pair.2.state() == ConnectionState::ConnectionTimedOut {
                gave_up = Some(at(n) - at(silent_from));
                break;
            }
            assert!(pair.2.state().is_connected(), "{}", pair.2.state());
        }
        let after = gave_up.expect("the client never gave up on its silent server");
        let timeout = f64::from(timeout);
        assert!(
            (timeout - 0.1 - TICK..=timeout + TICK).contains(&after),
            "the client gave up {after:.2} s after its server went silent, not after {timeout} s"
        );
    }
}

/// A connected client that goes silent is disconnected by the server, with the reason
/// `TimedOut`, within a tick: on 1.00 after 5 s (`NETCODE_TIMEOUT_SECONDS`; a 1.00 token's
/// private part has no timeout), on 1.02 after the token's timeout (patch 0025).
#[test]
fn a_server_drops_a_silent_client_after_the_timeout() {
    for (version, token_timeout, expected) in [
        (Version::V1_00, 5, 5.0),
        (Version::V1_00, 2, 5.0),
        (Version::V1_02, 2, 2.0),
        (Version::V1_02, 7, 7.0),
    ] {
        server_drops_silent_client(version, token_timeout, expected);
    }
}

fn server_drops_silent_client(version: Version, token_timeout: i32, expected: f64) {
    let mut pair = connected_pair(version, token_timeout);
    while pair.1.next_event().is_some() {}
    let silent_from = pair.3 + 100;
    let mut dropped = None;
    for n in pair.3 + 1..silent_from + 1000 {
        step(&mut pair, n, true, n < silent_from);
        if let Some(Event::Disconnected { reason, .. }) = pair.1.next_event() {
            assert_eq!(reason, DisconnectReason::TimedOut);
            dropped = Some(at(n) - at(silent_from));
            break;
        }
    }
    let after = dropped.expect("the server never dropped its silent client");
    assert!(
        (expected - 0.1 - TICK..=expected + TICK).contains(&after),
        "{version}, token timeout {token_timeout}: the server dropped its client {after:.2} s \
         after it went silent, not after {expected} s"
    );
    assert_eq!(pair.1.num_connected_clients(), 0);
}

/// A negative 1.02 timeout means none: a server keeps a silent client, and a client keeps a
/// silent server, for a minute and more.
#[test]
fn a_negative_timeout_never_expires() {
    let mut pair = connected_pair(Version::V1_02, -1);
    while pair.1.next_event().is_some() {}
    let silent_from = pair.3 + 100;
    for n in pair.3 + 1..silent_from + 6000 {
        step(&mut pair, n, true, n < silent_from);
        assert!(
            pair.1.next_event().is_none(),
            "the server dropped its client"
        );
    }
    assert_eq!(pair.1.num_connected_clients(), 1);
    let start = pair.3 + 7000;
    for n in start..start + 6000 {
        step(&mut pair, n, false, true);
    }
    assert!(pair.2.state().is_connected(), "{}", pair.2.state());
}

/// A connection request that nobody answers times out after the token's timeout, counted from
/// the first update after the connect, within a tick.
#[test]
fn an_unanswered_request_times_out_after_the_token_timeout() {
    for (version, timeout) in [
        (Version::V1_00, 5),
        (Version::V1_00, 3),
        (Version::V1_02, 3),
    ] {
        let simulator = NetworkSimulator::new().unwrap();
        let mut client = NetcodeClient::with_simulator(&simulator, addr("[::1]:50000")).unwrap();
        let servers = netcode::ServerAddresses::one(addr("[::1]:40000")); // nobody there
        let settings = netcode::TokenSettings::new(PROTOCOL_ID, servers)
            .timeout_seconds(timeout)
            .version(version);
        let token = netcode::TokenGenerator::new(settings, &netcode::generate_key())
            .unwrap()
            .generate(1, &[0; 256])
            .unwrap();
        client.connect(&token).unwrap();
        let started = at(1);
        let mut timed_out = None;
        for n in 1..1000 {
            simulator.update(at(n));
            client.update(at(n));
            if client.state() == ConnectionState::ConnectionRequestTimedOut {
                timed_out = Some(at(n) - started);
                break;
            }
        }
        let after = timed_out.expect("the request never timed out");
        let timeout = f64::from(timeout);
        assert!(
            (timeout..=timeout + TICK * 1.5).contains(&after),
            "the request timed out after {after:.2} s, not after the token's {timeout} s"
        );
    }
}
