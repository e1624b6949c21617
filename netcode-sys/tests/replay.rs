//! Replay protection over the reference's own network simulator, through the raw API: with
//! every packet duplicated (100 %, each copy delayed by up to a further second), a C client
//! and a C server exchange numbered payloads both ways, about 300 a second each way, so that
//! copies arrive both inside the 256-packet replay window and behind it. Every payload must be
//! delivered exactly once. Built without replay protection, the copies are delivered too.

mod common;

use common::Simulated;
use netcode_sys::*;

/// Virtual seconds per tick: short, so that the client (which takes at most 64 packets from
/// the simulator per update) keeps up with the traffic.
const TICK: f64 = 0.01;
const PER_TICK: usize = 3;
const SECONDS_SENDING: f64 = 5.0;

fn numbered(direction: u8, i: u32) -> [u8; 32] {
    let mut payload = [direction; 32];
    payload[..4].copy_from_slice(&i.to_le_bytes());
    payload
}

/// Counts the payload in `counts`, by its number; checks its direction and content.
fn count(counts: &mut [u32], direction: u8, payload: &[u8]) {
    assert_eq!(payload.len(), 32);
    let i = u32::from_le_bytes(payload[..4].try_into().unwrap());
    assert_eq!(payload, numbered(direction, i), "a payload changed");
    counts[i as usize] += 1;
}

#[test]
fn duplicated_payloads_are_delivered_once() {
    let session = Simulated::new(0.0, 1);
    // SAFETY: the simulator is alive for the session; the values are in range.
    unsafe { netcode_sys_network_simulator_configure(session.simulator, 50.0, 20.0, 0.0, 100.0) };

    let mut time = 0.0;
    // SAFETY: the session's handles stay alive; slot 0 is within max_clients (1).
    let connected = || unsafe {
        netcode_client_state(session.client) == NETCODE_CLIENT_STATE_CONNECTED
            && netcode_server_client_connected(session.server, 0) == 1
    };
    while !connected() {
        session.step(time);
        time += TICK;
        assert!(time < 5.0, "the client did not connect");
    }

    let total = (SECONDS_SENDING / TICK) as usize * PER_TICK;
    let (mut up, mut down) = (vec![0u32; total], vec![0u32; total]);
    let mut sent = 0;
    // Send for SECONDS_SENDING, then two more seconds for the last copies to arrive.
    let end = time + SECONDS_SENDING + 2.0;
    while time < end {
        for _ in 0..PER_TICK {
            if sent == total {
                break;
            }
            let (mut a, mut b) = (numbered(b'u', sent as u32), numbered(b'd', sent as u32));
            // SAFETY: live handles, a connected client in slot 0, 32-byte payloads.
            unsafe {
                netcode_client_send_packet(session.client, a.as_mut_ptr(), a.len() as i32);
                netcode_server_send_packet(session.server, 0, b.as_mut_ptr(), b.len() as i32);
            }
            sent += 1;
        }
        session.step(time);
        time += TICK;
        // SAFETY: live, started server and live client; each packet is freed once.
        unsafe {
            while let Some(payload) = common::take_server_packet(session.server) {
                count(&mut up, b'u', &payload);
            }
            while let Some(payload) = common::take_client_packet(session.client) {
                count(&mut down, b'd', &payload);
            }
        }
        assert!(connected(), "the session ended at {time:.2} s");
    }
    assert_eq!(sent, total);

    for (name, counts) in [("client to server", &up), ("server to client", &down)] {
        let twice = counts.iter().filter(|&&n| n > 1).count();
        let missing = counts.iter().filter(|&&n| n == 0).count();
        assert_eq!(
            twice, 0,
            "{name}: {twice} of {total} payloads were delivered more than once"
        );
        // No loss was asked for, and no receive buffer overflows at this rate.
        assert_eq!(
            missing, 0,
            "{name}: {missing} of {total} payloads never arrived"
        );
    }
}
