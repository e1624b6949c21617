//! Soak: 64 clients connect, exchange payloads and disconnect, over and over, through the
//! reference's network simulator with 10 % loss, 10 % duplicates, 100 ms latency and 50 ms
//! jitter, for SECONDS of simulated time (default 60). Every payload is checked. Meant to run
//! under valgrind (scripts/soak-valgrind.sh): it must end with no errors and no leaks.
//!
//!     cargo run -p netcode-interop --bin soak -- [SECONDS]

use std::process::ExitCode;

use netcode::{ConnectionState, NetcodeClient, NetcodeServer, NetworkSimulator, ServerConfig};

const CLIENTS: usize = 64;
const TICK: f64 = 1.0 / 20.0;

struct Player {
    client: NetcodeClient,
    id: u64,
    /// Ticks left in the current session before this player disconnects.
    session_ticks: u32,
}

/// Payload `n` of client `id`: its id and n, then bytes derived from both, 16 to 1200 long.
fn payload(id: u64, n: u64) -> Vec<u8> {
    let len = 16 + ((id * 31 + n * 7) % 1185) as usize;
    let mut bytes = id.to_le_bytes().to_vec();
    bytes.extend_from_slice(&n.to_le_bytes());
    bytes.extend((16..len).map(|i| (i as u64 ^ id ^ n) as u8));
    bytes
}

/// Whether `bytes` is a payload of client `id`, intact.
fn is_payload_of(bytes: &[u8], id: u64) -> bool {
    bytes.len() >= 16 && bytes[..8] == id.to_le_bytes() && {
        let n = u64::from_le_bytes(bytes[8..16].try_into().unwrap());
        bytes == payload(id, n).as_slice()
    }
}

fn main() -> ExitCode {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(60.0);
    match soak(seconds) {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("soak failed: {error}");
            ExitCode::FAILURE
        }
    }
}

fn soak(seconds: f64) -> Result<String, String> {
    let simulator = NetworkSimulator::new().map_err(|e| e.to_string())?;
    simulator
        .configure(100.0, 50.0, 10.0, 10.0)
        .map_err(|e| e.to_string())?;
    let config = ServerConfig::new(
        "[::1]:40000".parse().unwrap(),
        0x50A4,
        netcode::generate_key(),
    )
    .max_clients(CLIENTS);
    let mut server =
        NetcodeServer::with_simulator(&simulator, config).map_err(|e| e.to_string())?;
    let mut next_id = 1u64;
    let mut players: Vec<Player> = Vec::with_capacity(CLIENTS);
    for i in 0..CLIENTS {
        let address = format!("[::1]:{}", 50000 + i).parse().unwrap();
        let client =
            NetcodeClient::with_simulator(&simulator, address).map_err(|e| e.to_string())?;
        players.push(Player {
            client,
            id: 0,
            session_ticks: 0,
        });
    }

    let (mut sessions, mut payloads_up, mut payloads_down, mut sequence) = (0u64, 0u64, 0u64, 0u64);
    let mut time = 0.0;
    let mut tick = 0u32;
    while time < seconds {
        simulator.update(time);
        for (i, player) in players.iter_mut().enumerate() {
            let state = player.client.state();
            if state.is_connected() && player.session_ticks == 0 {
                player.client.disconnect();
            } else if !state.is_connected() && !state.is_connecting() {
                // Disconnected, timed out or denied: a new session with a new token.
                player.id = next_id;
                next_id += 1;
                player.session_ticks = 40 + ((player.id * 13 + i as u64) % 200) as u32;
                let token = server
                    .generate_token(player.id, &[0; 256])
                    .map_err(|e| e.to_string())?;
                player.client.connect(&token).map_err(|e| e.to_string())?;
                sessions += 1;
            } else if state == ConnectionState::Connected {
                player.session_ticks -= 1;
                sequence += 1;
                player
                    .client
                    .send(&payload(player.id, sequence))
                    .map_err(|e| e.to_string())?;
            }
            player.client.update(time);
            while let Some(received) = player.client.receive() {
                if received.len() < 8 || received[..8] != player.id.to_le_bytes() {
                    return Err(format!(
                        "client {} got a payload for someone else",
                        player.id
                    ));
                }
                payloads_down += 1;
            }
        }
        server.update(time);
        for index in 0..server.max_clients() {
            let Some(client) = server.client(index) else {
                continue;
            };
            while let Some(received) = server.receive(client.session) {
                if !is_payload_of(&received, client.id) {
                    return Err(format!(
                        "slot {index} got a payload that is not client {}'s, intact",
                        client.id
                    ));
                }
                payloads_up += 1;
            }
            // Each connected client gets its id back, with a body.
            let mut reply = client.id.to_le_bytes().to_vec();
            reply.extend_from_slice(&[tick as u8; 100]);
            let _ = server.send(client.session, &reply);
        }
        time += TICK;
        tick += 1;
    }
    drop(players);
    drop(server);
    // The bar TESTING.md states: what a run gives (536 sessions, 62,312 payloads up and 62,824
    // down in 60 s; the simulator's randomness repeats from run to run), rounded down to a
    // rate: 8.9 sessions a second, and 1,040 payloads each way a second after the first
    // (connecting).
    let (min_sessions, min_payloads) = ((8.9 * seconds) as u64, (1040.0 * (seconds - 1.0)) as u64);
    if sessions < min_sessions || payloads_up < min_payloads || payloads_down < min_payloads {
        return Err(format!(
            "too little happened: {sessions} sessions (at least {min_sessions}), {payloads_up} \
             payloads up and {payloads_down} down (at least {min_payloads} each)"
        ));
    }
    Ok(format!(
        "soak: {seconds} simulated seconds, {CLIENTS} clients, {sessions} sessions, {payloads_up} payloads up, {payloads_down} down"
    ))
}
