//! Random sequences of public API calls, with random arguments, on a server and a client
//! sharing a simulator (kept across inputs, each input starting from the same saved state: see
//! `netcode_fuzz::Pair`).
//! The input's first byte picks the protocol version (`netcode_fuzz::version_of`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use netcode_fuzz::{Input, Pair};

fuzz_target!(|data: &[u8]| netcode_fuzz::with_pair(data, calls));

fn calls(pair: &mut Pair, calls: &[u8]) {
    let mut input = Input(calls);
    let mut sessions = Vec::new();
    while !input.is_empty() {
        match input.byte() % 10 {
            0 => pair.update_at(f64::from_bits(input.u64())),
            // Binary fractions of a second: exact times (see netcode_fuzz::next_start).
            1 => pair.step(f64::from(input.byte()) / 32.0),
            2 => {
                let n = usize::from(input.byte()) * 6;
                let _ = pair.client.send(&vec![1; n]);
            }
            3 => {
                let (index, n) = (usize::from(input.byte()), usize::from(input.byte()) * 6);
                if let Some(session) = pick(&mut sessions, &pair.server, index) {
                    let _ = pair.server.send(session, &vec![2; n]);
                }
            }
            4 => {
                let index = usize::from(input.byte());
                if let Some(session) = pick(&mut sessions, &pair.server, index) {
                    let _ = pair.server.receive(session).map(|p| p.len());
                }
            }
            5 => {
                let _ = pair.client.receive().map(|p| p.len());
            }
            6 => {
                let index = usize::from(input.byte());
                if let Some(session) = pick(&mut sessions, &pair.server, index) {
                    let _ = pair.server.disconnect(session);
                }
            }
            7 => pair.client.disconnect(),
            8 => {
                let (expire, id) = (u32::from(input.byte()), input.u64());
                let settings = pair.server.token_settings().expire_seconds(expire);
                let made = netcode::TokenGenerator::new(settings, &netcode_fuzz::KEY)
                    .and_then(|generator| generator.generate(id, &[0; 256]));
                if let Ok(token) = made {
                    let _ = pair.client.connect(&token);
                }
            }
            _ => {
                let _ = pair.simulator.configure(
                    f32::from(input.byte()),
                    f32::from(input.byte()),
                    f32::from(input.byte() % 101),
                    0.0,
                );
            }
        }
        assert!(pair.server.num_connected_clients() <= 2);
    }
}

/// One of the sessions the server has had (connected now or gone), by number.
fn pick(
    sessions: &mut Vec<netcode::Session>,
    server: &netcode::NetcodeServer,
    index: usize,
) -> Option<netcode::Session> {
    for client in server.clients() {
        if !sessions.contains(&client.session) {
            sessions.push(client.session);
        }
    }
    sessions.get(index % sessions.len().max(1)).copied()
}
