//! Patches 0008 (events recorded where they happen), 0020 (bind port 0) and 0021 (every due
//! timeout in one update), through the raw bindings.

mod common;

use std::ffi::CString;

use common::{cstring, init, PRIVATE_KEY, PROTOCOL_ID};
use netcode_sys::*;

const SERVER: &str = "[::1]:40000";

/// A server on the reference's simulator with `clients.len()` clients connecting, client `i`
/// with id `clients[i]`.
struct Room {
    simulator: *mut netcode_network_simulator_t,
    server: *mut netcode_server_t,
    clients: Vec<*mut netcode_client_t>,
}

impl Room {
    fn new(ids: &[u64]) -> Room {
        init();
        let mut key = PRIVATE_KEY;
        let public = cstring(SERVER);
        // SAFETY: valid strings and a 32-byte key; Drop destroys clients and server before the
        // simulator.
        unsafe {
            let simulator = netcode_network_simulator_create();
            let server = netcode_server_create_internal(
                public.as_ptr() as *mut _,
                public.as_ptr() as *mut _,
                PROTOCOL_ID,
                key.as_mut_ptr(),
                0.0,
                simulator,
            );
            assert!(!server.is_null());
            netcode_server_start(server, 8);
            netcode_sys_server_record_events(server, 1);
            let mut clients = Vec::new();
            for (i, &id) in ids.iter().enumerate() {
                let address = cstring(&format!("[::1]:{}", 50000 + i));
                let client =
                    netcode_client_create_internal(address.as_ptr() as *mut _, 0.0, simulator);
                assert!(!client.is_null());
                netcode_sys_client_record_events(client, 1);
                let mut addresses = [public.as_ptr() as *mut libc::c_char];
                let mut token = [0u8; NETCODE_CONNECT_TOKEN_BYTES as usize];
                let generated = netcode_generate_connect_token(
                    1,
                    addresses.as_mut_ptr(),
                    30,
                    id,
                    PROTOCOL_ID,
                    1000 + i as u64,
                    key.as_mut_ptr(),
                    token.as_mut_ptr(),
                );
                assert_eq!(generated, 1);
                netcode_client_connect(client, token.as_mut_ptr());
                clients.push(client);
            }
            Room {
                simulator,
                server,
                clients,
            }
        }
    }

    /// One tick at `time`; the clients only if `clients` is true.
    fn step(&self, time: f64, clients: bool) {
        // SAFETY: all alive until drop.
        unsafe {
            netcode_network_simulator_update(self.simulator, time);
            if clients {
                for &client in &self.clients {
                    netcode_client_update(client, time);
                }
            }
            netcode_server_update(self.server, time);
        }
    }

    /// Steps from `time` until every client is connected; returns the time.
    fn connect(&self, mut time: f64) -> f64 {
        // SAFETY: live clients.
        let connected = || {
            self.clients.iter().all(
                |&client| unsafe { netcode_client_state(client) } == NETCODE_CLIENT_STATE_CONNECTED,
            )
        };
        while !connected() {
            assert!(time < 5.0, "the clients did not connect");
            self.step(time, true);
            time += 0.11;
        }
        time
    }

    /// Takes every event the server recorded, as (type, slot, id, session, reason).
    fn events(&self) -> Vec<(i32, i32, u64, u64, i32)> {
        let mut out = Vec::new();
        // SAFETY: a live server; each event is read before the next call on it.
        unsafe {
            while let Some(event) = netcode_sys_server_peek_event(self.server).as_ref() {
                out.push((
                    event.type_,
                    event.client_index,
                    event.client_id,
                    event.session,
                    event.reason,
                ));
                netcode_sys_server_pop_event(self.server);
            }
        }
        out
    }
}

impl Drop for Room {
    fn drop(&mut self) {
        // SAFETY: each destroyed once, the simulator last with its packets in flight freed.
        unsafe {
            for &client in &self.clients {
                netcode_client_destroy(client);
            }
            netcode_server_destroy(self.server);
            netcode_network_simulator_discard_packets(self.simulator);
            netcode_network_simulator_destroy(self.simulator);
        }
    }
}

#[test]
fn events_are_recorded_where_they_happen() {
    let room = Room::new(&[11, 22]);
    let time = room.connect(0.0);
    let connects = room.events();
    assert_eq!(connects.len(), 2, "{connects:?}");
    for (i, event) in connects.iter().enumerate() {
        assert_eq!(event.0, NETCODE_SYS_SERVER_EVENT_CONNECTED);
        // Sessions count the server's connections from 1.
        assert_eq!(event.3, i as u64 + 1);
        // SAFETY: a live server.
        assert_eq!(
            unsafe { netcode_sys_server_client_session(room.server, event.1) },
            event.3
        );
    }
    // Client 22 leaves cleanly, client 11 is disconnected by the server.
    // SAFETY: live handles.
    let slot_of_11 = connects.iter().find(|e| e.2 == 11).unwrap().1;
    unsafe {
        netcode_client_disconnect(room.clients[1]);
        netcode_server_disconnect_client(room.server, slot_of_11);
    }
    room.step(time, true);
    let left = room.events();
    assert_eq!(
        left.iter().map(|e| (e.0, e.2, e.4)).collect::<Vec<_>>(),
        vec![
            (
                NETCODE_SYS_SERVER_EVENT_DISCONNECTED,
                11,
                NETCODE_SYS_DISCONNECT_LOCAL
            ),
            (
                NETCODE_SYS_SERVER_EVENT_DISCONNECTED,
                22,
                NETCODE_SYS_DISCONNECT_PACKET
            ),
        ]
    );
    // SAFETY: live handles.
    unsafe {
        assert_eq!(
            netcode_sys_server_client_session(room.server, slot_of_11),
            0
        );
        let event = netcode_sys_client_peek_event(room.clients[1]).as_ref();
        assert!(event.is_some(), "the client recorded no state change");
    }
}

#[test]
fn every_due_timeout_in_one_update() {
    let room = Room::new(&[1, 2, 3]);
    let time = room.connect(0.0);
    // The clients go silent (one update takes what they sent last); one server update 6 s
    // later is past every client's timeout.
    room.step(time, false);
    room.step(time + 6.0, false);
    // SAFETY: a live server.
    let connected = unsafe { netcode_server_num_clients_connected(room.server) };
    assert_eq!(
        connected, 0,
        "clients still connected after one update past their timeout"
    );
    let reasons: Vec<_> = room
        .events()
        .into_iter()
        .filter(|e| e.0 == NETCODE_SYS_SERVER_EVENT_DISCONNECTED)
        .map(|e| e.4)
        .collect();
    assert_eq!(reasons, vec![NETCODE_SYS_DISCONNECT_TIMED_OUT; 3]);
}

#[test]
fn a_server_binds_port_zero() {
    init();
    let bind: CString = cstring("127.0.0.1:0");
    let key = PRIVATE_KEY;
    // SAFETY: valid strings and key; the server is destroyed below.
    let server = unsafe {
        netcode_sys_server_create(bind.as_ptr(), bind.as_ptr(), PROTOCOL_ID, key.as_ptr(), 0.0)
    };
    assert!(!server.is_null(), "the C refused bind port 0");
    // SAFETY: a live server, destroyed once.
    unsafe {
        assert_ne!(netcode_sys_server_port(server), 0);
        netcode_server_destroy(server);
    }
}
