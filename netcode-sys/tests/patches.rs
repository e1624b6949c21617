//! Tests for the patch set that need the simulator (the IPv4 patch is shown by
//! tests/round_trip.rs). Each fails on the unpatched source: `NETCODE_SYS_UNPATCHED=1 cargo test
//! -p netcode-sys --test patches` (.ci/run checks that).

mod common;

use common::{cstring, init, PRIVATE_KEY, PROTOCOL_ID};
use netcode_sys::*;

/// Patch 0002. A sender that has an encryption mapping but no client slot (here: a client that
/// has sent its connection request and not yet answered the challenge) sends a keep-alive
/// packet. Unpatched, the replay check for "slot -1" writes into the user data of the last
/// slots; patched, those bytes stay as they were.
#[test]
fn replay_check_stays_inside_the_slot_array() {
    init();
    let server_address = "[::1]:40000";
    let client_address = "[::1]:50000";
    let mut key = PRIVATE_KEY;
    // SAFETY: every handle is created, used and destroyed in this block; strings outlive calls.
    unsafe {
        let simulator = netcode_network_simulator_create();
        let bind = cstring("[::]:40000");
        let public = cstring(server_address);
        let server = netcode_server_create_internal(
            bind.as_ptr() as *mut _,
            public.as_ptr() as *mut _,
            PROTOCOL_ID,
            key.as_mut_ptr(),
            0.0,
            simulator,
        );
        assert!(!server.is_null());
        netcode_server_start(server, NETCODE_MAX_CLIENTS);

        let client_bind = cstring(client_address);
        let client = netcode_client_create_internal(client_bind.as_ptr() as *mut _, 0.0, simulator);
        assert!(!client.is_null());
        let mut addresses = [public.as_ptr() as *mut libc::c_char];
        let mut token = [0u8; NETCODE_CONNECT_TOKEN_BYTES as usize];
        let generated = netcode_generate_connect_token(
            1,
            addresses.as_mut_ptr(),
            30,
            7,
            PROTOCOL_ID,
            0,
            key.as_mut_ptr(),
            token.as_mut_ptr(),
        );
        assert_eq!(generated, 1);
        netcode_client_connect(client, token.as_mut_ptr());

        // t=0: the client sends its connection request; t=0.1: the server answers it with a
        // challenge and now holds an encryption mapping for the client's address.
        for time in [0.0, 0.1] {
            netcode_network_simulator_update(simulator, time);
            netcode_client_update(client, time);
            netcode_server_update(server, time);
        }
        assert_eq!(netcode_server_num_clients_connected(server), 0);

        let last_slots = |server| -> Vec<u8> {
            (NETCODE_MAX_CLIENTS - 9..NETCODE_MAX_CLIENTS)
                .flat_map(|slot| {
                    let data = netcode_server_client_user_data(server, slot) as *const u8;
                    std::slice::from_raw_parts(data, NETCODE_SYS_USER_DATA_BYTES as usize).to_vec()
                })
                .collect()
        };
        let before = last_slots(server);

        // A keep-alive packet (type 4, one sequence byte) from the client's address, with a
        // sequence number and a MAC that are garbage: it fails to decrypt either way.
        let mut packet = [0u8; 1 + 1 + 16 + 8];
        packet[0] = 4 | (1 << 4);
        packet[1] = 0x42;
        let from = cstring(client_address);
        let sent = netcode_sys_network_simulator_send(
            simulator,
            from.as_ptr(),
            public.as_ptr(),
            packet.as_ptr(),
            packet.len() as i32,
        );
        assert_eq!(sent, 1);
        netcode_network_simulator_update(simulator, 0.2);
        netcode_server_update(server, 0.2);

        let after = last_slots(server);
        netcode_client_destroy(client);
        netcode_server_destroy(server);
        netcode_network_simulator_destroy(simulator);

        assert!(
            before == after,
            "a packet from a sender without a slot changed the user data of the last client slots"
        );
    }
}

/// Patch 0004. A client whose clock reads 1000 s connects with a token that lives 30 s: the
/// lifetime must count from the connect, not from client time 0.
#[test]
fn connect_token_lifetime_starts_at_connect() {
    init();
    let mut key = PRIVATE_KEY;
    let start = 1000.0;
    // SAFETY: every handle is created, used and destroyed in this block; strings outlive calls.
    unsafe {
        let simulator = netcode_network_simulator_create();
        let public = cstring("[::1]:40000");
        let server = netcode_server_create_internal(
            public.as_ptr() as *mut _,
            public.as_ptr() as *mut _,
            PROTOCOL_ID,
            key.as_mut_ptr(),
            start,
            simulator,
        );
        assert!(!server.is_null());
        netcode_server_start(server, 1);
        let client_bind = cstring("[::1]:50000");
        let client =
            netcode_client_create_internal(client_bind.as_ptr() as *mut _, start, simulator);
        assert!(!client.is_null());
        let mut addresses = [public.as_ptr() as *mut libc::c_char];
        let mut token = [0u8; NETCODE_CONNECT_TOKEN_BYTES as usize];
        let generated = netcode_generate_connect_token(
            1,
            addresses.as_mut_ptr(),
            30,
            7,
            PROTOCOL_ID,
            0,
            key.as_mut_ptr(),
            token.as_mut_ptr(),
        );
        assert_eq!(generated, 1);
        netcode_client_connect(client, token.as_mut_ptr());

        let mut time = start;
        let mut state = netcode_client_state(client);
        for _ in 0..100 {
            netcode_network_simulator_update(simulator, time);
            netcode_client_update(client, time);
            netcode_server_update(server, time);
            state = netcode_client_state(client);
            if state == NETCODE_CLIENT_STATE_CONNECTED || state < NETCODE_CLIENT_STATE_DISCONNECTED
            {
                break;
            }
            time += 0.1;
        }
        netcode_client_destroy(client);
        netcode_server_destroy(server);
        netcode_network_simulator_destroy(simulator);
        assert_eq!(
            state, NETCODE_CLIENT_STATE_CONNECTED,
            "state {state} (-6: connect token expired) for a token that lives 30 s"
        );
    }
}
