//! The fuzz rigs' save and restore hooks (`test-hooks`): a server, a client and their simulator
//! put back into a state saved while connected are connected again, hold nothing of what
//! happened since (payloads, packets in flight, the simulator's settings and clock), and carry
//! on from there; a copy is refused by another server, and a simulator with a packet in flight
//! is not saved.

mod common;

use common::Simulated;
use netcode_sys::*;

/// Updates the simulator, the client and the server at `time`, then moves `time` on a tick.
fn tick(session: &Simulated, time: &mut f64) {
    session.step(*time);
    *time += 0.1;
}

#[test]
fn a_restored_pair_is_connected_again_and_exchanges_payloads() {
    let session = Simulated::new(0.0, 2);
    let other = Simulated::new(0.0, 2);
    let mut time = 0.0;
    // SAFETY: the sessions' handles are alive until they drop; slot 0 is within max_clients
    // (2); payload buffers are valid for their lengths, and every packet the C hands out is read
    // within its length and freed once; the saved copies are the shim's, freed once at the end.
    unsafe {
        while netcode_server_client_connected(session.server, 0) == 0
            || netcode_client_state(session.client) != NETCODE_CLIENT_STATE_CONNECTED
        {
            tick(&session, &mut time);
            assert!(time < 5.0, "the client did not connect");
        }
        netcode_network_simulator_discard_packets(session.simulator);
        let server_saved = netcode_sys_server_save(session.server);
        let client_saved = netcode_sys_client_save(session.client);
        let simulator_saved = netcode_sys_network_simulator_save(session.simulator);
        assert!(!server_saved.is_null() && !client_saved.is_null() && !simulator_saved.is_null());
        let saved_time = time;
        let session_of_slot = netcode_sys_server_client_session(session.server, 0);
        assert_ne!(session_of_slot, 0);

        // What an input does: payloads both ways, queued and left unread, then the client
        // leaves and the server frees its slot; then a second of latency, and payloads left in
        // flight.
        let mut payload = [5u8; 100];
        netcode_client_send_packet(session.client, payload.as_mut_ptr(), 100);
        netcode_server_send_packet(session.server, 0, payload.as_mut_ptr(), 100);
        tick(&session, &mut time);
        tick(&session, &mut time);
        netcode_client_disconnect(session.client);
        for _ in 0..3 {
            tick(&session, &mut time);
        }
        assert_eq!(netcode_server_client_connected(session.server, 0), 0);
        assert_eq!(netcode_server_num_clients_connected(session.server), 0);
        netcode_sys_network_simulator_configure(session.simulator, 1000.0, 0.0, 0.0, 0.0);
        let mut stale = [6u8; 100];
        let (from, to) = (
            common::cstring(common::SIMULATED_SERVER),
            common::cstring(common::SIMULATED_CLIENT),
        );
        netcode_sys_network_simulator_send(
            session.simulator,
            from.as_ptr(),
            to.as_ptr(),
            stale.as_mut_ptr(),
            100,
        );
        tick(&session, &mut time);
        assert!(
            netcode_sys_network_simulator_save(session.simulator).is_null(),
            "a simulator with a packet in flight is not saved"
        );

        // Another server's copy (same address, another start) is refused and changes nothing;
        // so is no copy.
        assert_eq!(netcode_sys_server_restore(other.server, server_saved), 0);
        assert_eq!(netcode_server_num_clients_connected(other.server), 0);
        assert_eq!(
            netcode_sys_server_restore(session.server, std::ptr::null()),
            0
        );
        assert_eq!(
            netcode_sys_client_restore(session.client, std::ptr::null()),
            0
        );
        assert_eq!(
            netcode_sys_network_simulator_restore(session.simulator, std::ptr::null()),
            0
        );

        assert_eq!(netcode_sys_server_restore(session.server, server_saved), 1);
        assert_eq!(netcode_sys_client_restore(session.client, client_saved), 1);
        assert_eq!(
            netcode_sys_network_simulator_restore(session.simulator, simulator_saved),
            1
        );
        assert_eq!(netcode_server_client_connected(session.server, 0), 1);
        assert_eq!(netcode_server_num_clients_connected(session.server), 1);
        assert_eq!(netcode_server_client_id(session.server, 0), 7);
        assert_eq!(
            netcode_sys_server_client_session(session.server, 0),
            session_of_slot
        );
        assert_eq!(
            netcode_client_state(session.client),
            NETCODE_CLIENT_STATE_CONNECTED
        );
        let (mut bytes, mut sequence) = (0, 0);
        assert!(
            netcode_server_receive_packet(session.server, 0, &mut bytes, &mut sequence).is_null(),
            "the server's queue is as saved: empty"
        );
        assert!(
            netcode_client_receive_packet(session.client, &mut bytes, &mut sequence).is_null(),
            "the client's queue is as saved: empty"
        );

        // From the saved time on, the pair exchanges payloads as before: sent before the
        // simulator's next update, each is due at its restored clock with its restored (zero)
        // latency, so arrives at that update; the payload left in flight is gone.
        time = saved_time;
        for _ in 0..10 {
            netcode_client_send_packet(session.client, payload.as_mut_ptr(), 100);
            netcode_server_send_packet(session.server, 0, payload.as_mut_ptr(), 100);
            tick(&session, &mut time);
            let packet =
                netcode_server_receive_packet(session.server, 0, &mut bytes, &mut sequence);
            assert!(!packet.is_null(), "the client's payload arrived at once");
            assert_eq!(
                std::slice::from_raw_parts(packet as *const u8, bytes as usize),
                payload
            );
            netcode_server_free_packet(session.server, packet);
            let packet = netcode_client_receive_packet(session.client, &mut bytes, &mut sequence);
            assert!(!packet.is_null(), "the server's payload arrived at once");
            assert_eq!(
                std::slice::from_raw_parts(packet as *const u8, bytes as usize),
                payload
            );
            netcode_client_free_packet(session.client, packet);
        }
        assert_eq!(netcode_server_client_connected(session.server, 0), 1);

        netcode_sys_free_saved(server_saved);
        netcode_sys_free_saved(client_saved);
        netcode_sys_free_saved(simulator_saved);
    }
}
