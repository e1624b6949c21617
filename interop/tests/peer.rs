//! Our own C peer (interop/csrc/peer.c, over netcode.h) against this crate, over IPv4 and IPv6,
//! on ports the system picks, so these run in parallel.

use std::time::{Duration, Instant};

use netcode::{
    ConnectionState, NetcodeClient, NetcodeServer, ServerAddresses, ServerConfig, TokenGenerator,
    TokenSettings,
};
use netcode_interop::{Program, PEER};

const PROTOCOL_ID: u64 = 0x0BAD_CAFE;
const PAYLOADS: usize = 20;

fn hex(key: &[u8; 32]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

/// Payload n of the peer's sequence: byte i is (i + n) & 0xFF.
fn payload(n: usize) -> Vec<u8> {
    (0..netcode::NETCODE_MAX_PAYLOAD_SIZE)
        .map(|i| (i + n) as u8)
        .collect()
}

/// The C peer serves on `host`; our client sends PAYLOADS payloads and checks the echoes.
fn our_client_to_c_peer(host: &str, bind: &str) {
    let key = netcode::generate_key();
    let server = Program::start(
        PEER,
        &[
            "server",
            &format!("{host}:0"),
            &hex(&key),
            &PROTOCOL_ID.to_string(),
            &PAYLOADS.to_string(),
            "10",
        ],
    );
    assert!(server.wait_for("port ", 5.0), "{}", server.output());
    let port: u16 = server
        .output()
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("port N");
    let address = format!("{host}:{port}").parse().unwrap();
    // The C peer server speaks the pinned NETCODE 1.00.
    let settings = TokenSettings::new(PROTOCOL_ID, ServerAddresses::one(address))
        .version(netcode::Version::V1_00);
    let token = TokenGenerator::new(settings, &key)
        .unwrap()
        .generate(1, &[0; 256])
        .unwrap();
    let mut client = NetcodeClient::new(bind.parse().unwrap()).unwrap();
    client.connect(&token).unwrap();
    let (mut next, mut echoed) = (0, 0);
    let start = Instant::now();
    while echoed < PAYLOADS && start.elapsed() < Duration::from_secs(8) {
        client.update(start.elapsed().as_secs_f64());
        if client.state() == ConnectionState::Connected && next == echoed {
            client.send(&payload(next)).unwrap();
            next += 1;
        }
        while let Some(bytes) = client.receive() {
            assert_eq!(&bytes[..], &payload(echoed)[..]);
            echoed += 1;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    client.disconnect();
    let (status, output, _) = server.wait(5.0);
    assert_eq!(echoed, PAYLOADS);
    assert!(status.success(), "the C peer server: {status}\n{output}");
}

/// Our server on `host`; the C peer client connects with a token from a file and checks echoes.
fn c_peer_to_our_server(host: &str) {
    let key = netcode::generate_key();
    let mut server = NetcodeServer::new(
        ServerConfig::new(format!("{host}:0").parse().unwrap(), PROTOCOL_ID, key)
            .version(netcode::Version::V1_00),
    )
    .unwrap();
    let token = server.generate_token(2, &[0; 256]).unwrap();
    let file = std::env::temp_dir().join(format!(
        "netcode-peer-token-{}-{}",
        std::process::id(),
        server.local_address().port()
    ));
    std::fs::write(&file, token.as_bytes()).unwrap();
    let client = Program::start(
        PEER,
        &[
            "client",
            file.to_str().unwrap(),
            &PAYLOADS.to_string(),
            "10",
        ],
    );
    let start = Instant::now();
    let mut finished = None;
    while start.elapsed() < Duration::from_secs(10) {
        server.update(start.elapsed().as_secs_f64());
        for index in 0..server.max_clients() {
            let Some(client) = server.client(index) else {
                continue;
            };
            loop {
                let Some(bytes) = server.receive(client.session) else {
                    break;
                };
                let echo = bytes.to_vec();
                drop(bytes);
                server.send(client.session, &echo).unwrap();
            }
        }
        if client_done(&client) {
            finished = Some(client);
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = std::fs::remove_file(&file);
    let (status, output, _) = finished.expect("the C peer client finished").wait(5.0);
    assert!(status.success(), "the C peer client: {status}\n{output}");
    assert!(
        output.contains(&format!("client got {PAYLOADS} of {PAYLOADS} echoes")),
        "{output}"
    );
}

fn client_done(client: &Program) -> bool {
    client.output().contains("client got")
}

#[test]
fn our_client_to_c_peer_ipv4() {
    our_client_to_c_peer("127.0.0.1", "0.0.0.0:0");
}

#[test]
fn our_client_to_c_peer_ipv6() {
    our_client_to_c_peer("[::1]", "[::]:0");
}

#[test]
fn c_peer_to_our_server_ipv4() {
    c_peer_to_our_server("127.0.0.1");
}

#[test]
fn c_peer_to_our_server_ipv6() {
    c_peer_to_our_server("[::1]");
}
