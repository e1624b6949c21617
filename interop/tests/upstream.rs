//! The reference's own example programs (unmodified, built from the verified sources) against
//! this crate, for longer than the 5-second timeout, both directions, both APIs. They use the
//! fixed address [::1]:40000, so these tests take turns (`fixed_ports`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use netcode::{
    ConnectToken, ConnectionState, NetcodeClient, NetcodeServer, ServerAddresses, ServerConfig,
    ServerEvent, TokenGenerator, TokenSettings, UdpServer,
};
use netcode_interop::*;

/// Longer than the reference's 5-second timeout, so keep-alives and timeouts are exercised.
const RUN: Duration = Duration::from_secs(7);
const TICK: Duration = Duration::from_millis(10);
/// While our side sends no payloads: longer than the 5-second timeout, so that only our
/// keep-alives (10 Hz, sent only when nothing else was) keep the upstream peer from giving up.
const IDLE: std::ops::Range<Duration> = Duration::from_millis(1000)..Duration::from_millis(6500);

fn assert_clean_exit(program: &str, status: std::process::ExitStatus, output: &str, stderr: &str) {
    assert!(
        status.success(),
        "{program} exited with {status}:\n{output}\n{stderr}"
    );
    assert!(
        !stderr.contains("Assertion"),
        "{program} failed an assert:\n{stderr}"
    );
}

#[test]
fn upstream_client_to_our_server() {
    let _turn = fixed_ports();
    let config = ServerConfig::new(
        UPSTREAM_ADDRESS.parse().unwrap(),
        UPSTREAM_PROTOCOL_ID,
        UPSTREAM_KEY,
    )
    .max_clients(4)
    // The upstream programs of the pin speak NETCODE 1.00.
    .version(netcode::Version::V1_00);
    let mut server = NetcodeServer::new(config).unwrap();
    let left = Arc::new(Mutex::new(0));
    let on_leave = Arc::clone(&left);
    server.on_client_disconnect(move |_, _| *on_leave.lock().unwrap() += 1);
    let client = Program::start(UPSTREAM_CLIENT, &[]);

    let payload = upstream_payload();
    let (mut received, mut sent) = (0, 0);
    let start = Instant::now();
    while start.elapsed() < RUN {
        server.update(start.elapsed().as_secs_f64());
        for index in 0..server.max_clients() {
            let Some(client) = server.client(index) else {
                continue;
            };
            // As the upstream server does: the pattern to each client, every tick (but idle).
            if !IDLE.contains(&start.elapsed()) {
                server.send(client.session, &payload).unwrap();
                sent += 1;
            }
            while let Some(bytes) = server.receive(client.session) {
                assert_eq!(
                    &bytes[..],
                    &payload[..],
                    "a payload from the upstream client differs"
                );
                received += 1;
            }
        }
        std::thread::sleep(TICK);
    }
    assert_eq!(
        server.num_connected_clients(),
        1,
        "the upstream client is still connected after {RUN:?}"
    );
    assert_eq!(
        *left.lock().unwrap(),
        0,
        "the upstream client left before it was stopped"
    );
    let (status, output, stderr) = client.interrupt();
    // The client disconnects cleanly on SIGINT: the server frees the slot without a timeout.
    let deadline = Instant::now() + Duration::from_secs(1);
    while server.num_connected_clients() > 0 && Instant::now() < deadline {
        server.update(start.elapsed().as_secs_f64());
        std::thread::sleep(TICK);
    }
    assert_clean_exit("upstream client", status, &output, &stderr);
    assert!(output.contains("client connected to server"), "{output}");
    assert!(
        !output.contains("timed out"),
        "our keep-alives did not keep the upstream client connected while idle:\n{output}"
    );
    assert!(
        received > 100 && sent > 100,
        "received {received}, sent {sent}"
    );
    assert_eq!(
        *left.lock().unwrap(),
        1,
        "the clean disconnect was not seen"
    );
}

#[test]
fn upstream_client_to_our_031_server() {
    let _turn = fixed_ports();
    let mut server =
        UdpServer::new(UPSTREAM_ADDRESS, 4, UPSTREAM_PROTOCOL_ID, &UPSTREAM_KEY).unwrap();
    let client = Program::start(UPSTREAM_CLIENT, &[]);
    let payload = upstream_payload();
    let mut packet = [0; netcode::NETCODE_MAX_PAYLOAD_SIZE];
    let (mut connected, mut received, mut disconnected) = (Vec::new(), 0, Vec::new());
    let mut last = Instant::now();
    let start = Instant::now();
    let mut stopping: Option<netcode_interop::Program> = Some(client);
    let mut result = None;
    while start.elapsed() < RUN + Duration::from_secs(1) {
        if start.elapsed() > RUN {
            if let Some(client) = stopping.take() {
                result = Some(client.interrupt());
            }
        }
        server.update(last.elapsed().as_secs_f64());
        last = Instant::now();
        while let Ok(Some(event)) = server.next_event(&mut packet) {
            match event {
                ServerEvent::ClientConnect(id) => connected.push(id),
                ServerEvent::ClientDisconnect(id) => disconnected.push(id),
                ServerEvent::Packet(_, len) => {
                    assert_eq!(&packet[..len], &payload[..]);
                    received += 1;
                }
                _ => {}
            }
        }
        for &id in connected.iter().filter(|id| !disconnected.contains(id)) {
            server.send(id, &payload).unwrap();
        }
        std::thread::sleep(TICK);
    }
    let (status, output, stderr) = result.expect("the client was stopped");
    assert_clean_exit("upstream client", status, &output, &stderr);
    assert_eq!(connected.len(), 1);
    assert_eq!(
        disconnected, connected,
        "the clean disconnect was not reported"
    );
    assert!(received > 100, "received {received}");
}

#[test]
fn our_client_to_upstream_server() {
    let _turn = fixed_ports();
    let server = Program::start(UPSTREAM_SERVER, &[]);
    assert!(
        server.wait_for("server listening on", 5.0),
        "the upstream server did not start:\n{}",
        server.output()
    );
    let address = UPSTREAM_ADDRESS.parse().unwrap();
    let settings = TokenSettings::new(UPSTREAM_PROTOCOL_ID, ServerAddresses::one(address))
        .version(netcode::Version::V1_00);
    let token = TokenGenerator::new(settings, &UPSTREAM_KEY)
        .unwrap()
        .generate(0xC0FFEE, &[0; 256])
        .unwrap();
    let mut client = NetcodeClient::new("[::]:0".parse().unwrap()).unwrap();
    client.connect(&token).unwrap();
    let payload = upstream_payload();
    let (mut received, mut sent) = (0, 0);
    let start = Instant::now();
    while start.elapsed() < RUN {
        client.update(start.elapsed().as_secs_f64());
        if client.state() == ConnectionState::Connected && !IDLE.contains(&start.elapsed()) {
            client.send(&payload).unwrap();
            sent += 1;
        }
        while let Some(bytes) = client.receive() {
            assert_eq!(
                &bytes[..],
                &payload[..],
                "a payload from the upstream server differs"
            );
            received += 1;
        }
        assert!(!client.state().is_error(), "client: {}", client.state());
        std::thread::sleep(TICK);
    }
    assert_eq!(client.state(), ConnectionState::Connected);
    client.disconnect();
    assert!(
        server.wait_for("server disconnected client 0", 2.0),
        "{}",
        server.output()
    );
    let (status, output, stderr) = server.interrupt();
    assert_clean_exit("upstream server", status, &output, &stderr);
    assert!(
        output.contains("server accepted client 0000000000c0ffee"),
        "{output}"
    );
    assert!(
        !output.contains("timed out"),
        "our keep-alives did not keep us connected to the upstream server while idle:\n{output}"
    );
    assert!(
        received > 100 && sent > 100,
        "received {received}, sent {sent}"
    );
}

#[test]
fn our_031_client_to_upstream_server() {
    let _turn = fixed_ports();
    let server = Program::start(UPSTREAM_SERVER, &[]);
    assert!(
        server.wait_for("server listening on", 5.0),
        "{}",
        server.output()
    );
    let token = ConnectToken::generate_with_string(
        [UPSTREAM_ADDRESS].into_iter(),
        &UPSTREAM_KEY,
        30,
        0,
        UPSTREAM_PROTOCOL_ID,
        77,
        None,
    )
    .unwrap();
    let mut client = netcode::UdpClient::new(&token).unwrap();
    let payload = upstream_payload();
    let mut packet = [0; netcode::NETCODE_MAX_PAYLOAD_SIZE];
    let mut received = 0;
    let mut last = Instant::now();
    let start = Instant::now();
    while start.elapsed() < RUN {
        client.update(last.elapsed().as_secs_f64());
        last = Instant::now();
        while let Ok(Some(event)) = client.next_event(&mut packet) {
            if let netcode::ClientEvent::Packet(len) = event {
                assert_eq!(&packet[..len], &payload[..]);
                received += 1;
            }
        }
        if client.get_state() == netcode::ClientState::Connected {
            client.send(&payload).unwrap();
        }
        std::thread::sleep(TICK);
    }
    assert_eq!(client.get_state(), netcode::ClientState::Connected);
    client.disconnect().unwrap();
    assert!(
        server.wait_for("server disconnected client 0", 2.0),
        "{}",
        server.output()
    );
    let (status, output, stderr) = server.interrupt();
    assert_clean_exit("upstream server", status, &output, &stderr);
    assert!(received > 100, "received {received}");
}

#[test]
fn upstream_client_and_server_in_one_process() {
    let _turn = fixed_ports();
    let program = Program::start(UPSTREAM_CLIENT_SERVER, &[]);
    assert!(
        program.wait_for("client and server successfully exchanged packets", 10.0),
        "{}",
        program.output()
    );
    let (status, output, stderr) = program.interrupt();
    assert_clean_exit("upstream client_server", status, &output, &stderr);
}
