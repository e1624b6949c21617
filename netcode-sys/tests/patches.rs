//! Tests for the patch set that need the simulator (the IPv4 and address patches are shown by
//! tests/round_trip.rs). Each fails on the unpatched source: `NETCODE_SYS_UNPATCHED=1 cargo test
//! -p netcode-sys --test patches` (scripts/check-patches.sh checks that).

mod common;

use common::{cstring, Simulated, PROTOCOL_ID, SIMULATED_CLIENT, SIMULATED_SERVER};
use netcode_sys::*;

/// Patch 0002. A sender that has an encryption mapping but no client slot (here: a client that
/// has sent its connection request and not yet answered the challenge) sends keep-alive and
/// payload packets, authentic ones: encrypted with its real client-to-server key, so they
/// decrypt and reach the replay window (patch 0005 records a sequence number only once its
/// packet decrypted, so forged packets no longer would). Unpatched, the window of "slot -1" is
/// the 2 KB in front of the slots' replay windows: the user data of the last slots, which the
/// packets then overwrite; patched, those bytes stay as they were.
#[test]
fn replay_check_stays_inside_the_slot_array() {
    let session = Simulated::new(0.0, NETCODE_MAX_CLIENTS);
    // t=0: the client sends its connection request; t=0.1: the server answers it with a
    // challenge and now holds an encryption mapping for the client's address.
    session.step(0.0);
    session.step(0.1);
    let server = session.server;
    let mut token = netcode_sys_connect_token::default();
    // SAFETY: the session's handles are alive; slots are < max_clients (256); the token, the
    // strings and the packets outlive the calls.
    unsafe {
        assert_eq!(
            netcode_sys_read_connect_token(
                session.token.as_ptr(),
                session.token.len() as i32,
                &mut token
            ),
            1
        );
        assert_eq!(netcode_server_num_clients_connected(server), 0);
        let last_slots = || -> Vec<u8> {
            (NETCODE_MAX_CLIENTS - 9..NETCODE_MAX_CLIENTS)
                .flat_map(|slot| {
                    let data = netcode_server_client_user_data(server, slot) as *const u8;
                    std::slice::from_raw_parts(data, NETCODE_SYS_USER_DATA_BYTES as usize).to_vec()
                })
                .collect()
        };
        let before = last_slots();

        let (from, to) = (cstring(SIMULATED_CLIENT), cstring(SIMULATED_SERVER));
        let mut keep_alive = netcode_sys_packet {
            type_: NETCODE_SYS_CONNECTION_KEEP_ALIVE_PACKET,
            max_clients: NETCODE_MAX_CLIENTS,
            ..Default::default()
        };
        let mut payload = netcode_sys_packet {
            type_: NETCODE_SYS_CONNECTION_PAYLOAD_PACKET,
            payload_bytes: 8,
            ..Default::default()
        };
        payload.payload_data[..8].copy_from_slice(b"no slot!");
        for (sequence, packet) in [(0x42u64, &mut keep_alive), (0x1_0043, &mut payload)] {
            let mut buffer = [0u8; NETCODE_SYS_MAX_PACKET_BYTES as usize];
            let bytes = netcode_sys_write_packet(
                NETCODE_SYS_WIRE_100,
                &*packet,
                sequence,
                token.client_to_server_key.as_ptr(),
                PROTOCOL_ID,
                buffer.as_mut_ptr(),
            );
            assert!(bytes > 0);
            let sent = netcode_sys_network_simulator_send(
                session.simulator,
                from.as_ptr(),
                to.as_ptr(),
                buffer.as_ptr(),
                bytes,
            );
            assert_eq!(sent, 1);
        }
        netcode_network_simulator_update(session.simulator, 0.2);
        netcode_server_update(server, 0.2);

        assert_eq!(netcode_server_num_clients_connected(server), 0);
        assert!(
            before == last_slots(),
            "packets from a sender without a slot changed the user data of the last client slots"
        );
    }
}

/// Patch 0004. A client whose clock reads 1000 s connects with a token that lives 30 s: the
/// lifetime must count from the connect, not from client time 0.
#[test]
fn connect_token_lifetime_starts_at_connect() {
    let start = 1000.0;
    let session = Simulated::new(start, 1);
    let mut state = 0;
    for step in 0..100 {
        session.step(start + f64::from(step) * 0.1);
        // SAFETY: the client is alive.
        state = unsafe { netcode_client_state(session.client) };
        if state == NETCODE_CLIENT_STATE_CONNECTED || state < NETCODE_CLIENT_STATE_DISCONNECTED {
            break;
        }
    }
    assert_eq!(
        state, NETCODE_CLIENT_STATE_CONNECTED,
        "state {state} (-6: connect token expired) for a token that lives 30 s"
    );
}

/// Patch 0007. A client sends a payload and disconnects; the server processes both in one
/// update. Unpatched, the payload stays queued in the freed slot, for its next client.
#[test]
fn a_slot_keeps_no_payloads_of_a_client_that_left() {
    let session = Simulated::new(0.0, 1);
    let mut time = 0.0;
    // SAFETY: the session's handles are alive; slot 0 is within max_clients (1).
    unsafe {
        while netcode_client_state(session.client) != NETCODE_CLIENT_STATE_CONNECTED {
            session.step(time);
            time += 0.1;
            assert!(time < 5.0, "the client did not connect");
        }
        let mut payload = [9u8; 100];
        netcode_client_send_packet(session.client, payload.as_mut_ptr(), payload.len() as i32);
        netcode_client_disconnect(session.client);
        netcode_network_simulator_update(session.simulator, time);
        netcode_server_update(session.server, time);
        assert_eq!(
            netcode_server_client_connected(session.server, 0),
            0,
            "the client left"
        );
        let (mut bytes, mut sequence) = (0, 0);
        let stale = netcode_server_receive_packet(session.server, 0, &mut bytes, &mut sequence);
        let found = !stale.is_null();
        if found {
            netcode_server_free_packet(session.server, stale);
        }
        assert!(
            !found,
            "the freed slot still holds a payload of the client that left"
        );
    }
}
