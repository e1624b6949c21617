//! A standalone client for examples/server.rs. Like the reference's example client, it makes
//! its own connect token with the demo key (a real game gets it from its web backend), sends a
//! payload every tick and checks the echoes.
//!
//!     cargo run --example client -- [SERVER_ADDRESS] [--seconds N]
//!
//! SERVER_ADDRESS defaults to 127.0.0.1:40000. Runs until Ctrl-C (or for N seconds).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use netcode::{ConnectionState, NetcodeClient, ServerAddresses, TokenGenerator, TokenSettings};

const DEMO_PROTOCOL_ID: u64 = 0x1122_3344_5566_7788;
const DEMO_KEY: [u8; 32] = *b"netcode-rs demo key: not secret!";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seconds_at = args.iter().position(|a| a == "--seconds");
    let seconds = seconds_at
        .and_then(|i| args.get(i + 1))
        .map(|s| s.parse::<f64>())
        .transpose()?;
    let server = args
        .iter()
        .enumerate()
        .find(|(i, a)| !a.starts_with("--") && seconds_at.is_none_or(|s| *i != s + 1))
        .map_or("127.0.0.1:40000", |(_, a)| a.as_str());
    let server: SocketAddr = server.parse()?;

    let random = netcode::generate_key();
    let client_id = u64::from_le_bytes(random[..8].try_into()?);
    let settings = TokenSettings::new(DEMO_PROTOCOL_ID, ServerAddresses::one(server));
    let token = TokenGenerator::new(settings, &DEMO_KEY)?.generate(client_id, &[0; 256])?;

    let bind: SocketAddr = if server.is_ipv4() {
        "0.0.0.0:0".parse()?
    } else {
        "[::]:0".parse()?
    };
    let mut client = NetcodeClient::new(bind)?;
    client.on_state_change(|change| println!("{} -> {}", change.from, change.to));
    client.connect(&token)?;
    println!("client {client_id:#x} connecting to {server}");

    let payload: Vec<u8> = (0..netcode::NETCODE_MAX_PAYLOAD_SIZE)
        .map(|i| i as u8)
        .collect();
    let (mut sent, mut echoed) = (0u64, 0u64);
    let start = Instant::now();
    loop {
        let time = start.elapsed().as_secs_f64();
        if seconds.is_some_and(|limit| time > limit) {
            break;
        }
        client.update(time);
        if client.state() == ConnectionState::Connected {
            client.send(&payload)?;
            sent += 1;
        }
        while let Some(received) = client.receive() {
            if received[..] != payload[..] {
                return Err("an echo differs from what was sent".into());
            }
            echoed += 1;
        }
        if client.state().is_error()
            || (client.state() == ConnectionState::Disconnected && sent > 0)
        {
            println!("stopped: {}", client.state());
            if let Some(hint) = client.state().hint() {
                println!("hint: {hint}");
            }
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    client.disconnect();
    println!(
        "sent {sent} payloads of {} bytes, {echoed} echoed intact",
        payload.len()
    );
    if echoed == 0 {
        return Err(format!("no echo received ({})", client.state()).into());
    }
    Ok(())
}
