//! Patch 0011: the server's encryption mappings after its clock jumps (a long frame, a
//! breakpoint, a suspended process), over the reference's simulator with explicit times.
//!
//! The server's clock is its own: the clients and the simulator advance 0.1 s a tick, the server
//! as well except for one update, which comes `stall` seconds after the one before. Each
//! scenario runs in a child process (common::run_in_child): unpatched, a build with debug
//! assertions aborts on the C's `assert` in netcode_encryption_manager_touch.

mod common;

use common::{cstring, init, PRIVATE_KEY, PROTOCOL_ID};
use netcode_sys::*;

const SERVER: &str = "[::1]:40000";
const TICK: f64 = 0.1;
const STALL_ENV: &str = "NETCODE_SYS_TEST_STALL";

/// A server with four slots and clients on one simulator, each client at `[::1]:50000 + id`.
struct World {
    simulator: *mut netcode_network_simulator_t,
    server: *mut netcode_server_t,
    clients: Vec<*mut netcode_client_t>,
    time: f64,
    server_time: f64,
}

impl World {
    fn new() -> World {
        init();
        let public = cstring(SERVER);
        let mut key = PRIVATE_KEY;
        // SAFETY: valid strings and a 32-byte key; the simulator outlives the server (Drop).
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
            netcode_server_start(server, 4);
            World {
                simulator,
                server,
                clients: Vec::new(),
                time: 0.0,
                server_time: 0.0,
            }
        }
    }

    /// A new client with id `clients.len() + 1`, not connected; returns its index.
    fn add_client(&mut self) -> usize {
        let address = cstring(&format!("[::1]:{}", 50001 + self.clients.len()));
        // SAFETY: a valid address string and a live simulator, which outlives the client.
        let client = unsafe {
            netcode_client_create_internal(address.as_ptr() as *mut _, self.time, self.simulator)
        };
        assert!(!client.is_null());
        self.clients.push(client);
        self.clients.len() - 1
    }

    /// Starts connecting client `c` with a new token.
    fn connect(&self, c: usize) {
        let public = cstring(SERVER);
        let mut addresses = [public.as_ptr() as *mut libc::c_char];
        let mut key = PRIVATE_KEY;
        let mut token = [0u8; NETCODE_CONNECT_TOKEN_BYTES as usize];
        // SAFETY: one valid address string, a 32-byte key, a 2048-byte token; a live client.
        unsafe {
            let generated = netcode_generate_connect_token(
                1,
                addresses.as_mut_ptr(),
                30,
                c as u64 + 1,
                PROTOCOL_ID,
                0,
                key.as_mut_ptr(),
                token.as_mut_ptr(),
            );
            assert_eq!(generated, 1);
            netcode_client_connect(self.clients[c], token.as_mut_ptr());
        }
    }

    fn state(&self, c: usize) -> i32 {
        // SAFETY: a live client.
        unsafe { netcode_client_state(self.clients[c]) }
    }

    /// One tick; the server's clock moves by `server_step`. Every connected client sends its id
    /// to the server and the server sends each connected slot's client id to it; returns the
    /// ids the server received and the ids each client received.
    fn step(&mut self, server_step: f64) -> (Vec<u64>, Vec<Vec<u64>>) {
        self.time += TICK;
        self.server_time += server_step;
        let mut at_server = Vec::new();
        let mut at_clients = vec![Vec::new(); self.clients.len()];
        // SAFETY: all handles are alive until drop; slots are < 4; payloads are 8 bytes;
        // received packets go back to the C once.
        unsafe {
            netcode_network_simulator_update(self.simulator, self.time);
            for (c, &client) in self.clients.iter().enumerate() {
                netcode_client_update(client, self.time);
                if netcode_client_state(client) == NETCODE_CLIENT_STATE_CONNECTED {
                    let id = (c as u64 + 1).to_le_bytes();
                    netcode_sys_client_send(client, id.as_ptr(), 8);
                }
            }
            netcode_server_update(self.server, self.server_time);
            for slot in 0..4 {
                if netcode_server_client_connected(self.server, slot) == 1 {
                    let id = netcode_server_client_id(self.server, slot).to_le_bytes();
                    let session = netcode_sys_server_client_session(self.server, slot);
                    netcode_sys_server_send(self.server, slot, session, id.as_ptr(), 8);
                    while let Some(data) = take_from_slot(self.server, slot) {
                        at_server.push(u64::from_le_bytes(data[..8].try_into().expect("8")));
                    }
                }
            }
            for (c, &client) in self.clients.iter().enumerate() {
                while let Some(data) = common::take_client_packet(client) {
                    at_clients[c].push(u64::from_le_bytes(data[..8].try_into().expect("8")));
                }
            }
        }
        (at_server, at_clients)
    }

    /// Runs until client `c` is connected (at most 3 s).
    fn until_connected(&mut self, c: usize, what: &str) {
        for _ in 0..30 {
            self.step(TICK);
            if self.state(c) == NETCODE_CLIENT_STATE_CONNECTED {
                return;
            }
        }
        panic!(
            "{what}: client {} did not connect (state {})",
            c + 1,
            self.state(c)
        );
    }

    /// Runs two seconds and checks that each of `clients` stays connected and exchanges
    /// payloads both ways in (nearly) every tick.
    fn exchange(&mut self, clients: &[usize], what: &str) {
        let ticks = 20;
        let mut from = vec![0; self.clients.len()];
        let mut to = vec![0; self.clients.len()];
        for _ in 0..ticks {
            let (at_server, at_clients) = self.step(TICK);
            for id in at_server {
                from[id as usize - 1] += 1;
            }
            for (c, ids) in at_clients.iter().enumerate() {
                to[c] += ids.iter().filter(|&&id| id == c as u64 + 1).count();
            }
        }
        for &c in clients {
            assert_eq!(
                self.state(c),
                NETCODE_CLIENT_STATE_CONNECTED,
                "{what}: client {} was disconnected",
                c + 1
            );
            assert!(
                from[c] >= ticks - 2 && to[c] >= ticks - 2,
                "{what}: client {} exchanged too few payloads in {ticks} ticks (server got {}, \
                 client got {})",
                c + 1,
                from[c],
                to[c]
            );
        }
    }
}

impl Drop for World {
    fn drop(&mut self) {
        // SAFETY: each handle is destroyed once, the simulator last, after freeing the packets
        // still in flight.
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

/// Copies out and frees the next payload the server has from `slot`.
///
/// # Safety
/// `server` must be a live, started server and `slot` below its max clients.
unsafe fn take_from_slot(server: *mut netcode_server_t, slot: i32) -> Option<Vec<u8>> {
    let mut bytes = 0;
    let mut sequence = 0;
    let packet = netcode_server_receive_packet(server, slot, &mut bytes, &mut sequence);
    if packet.is_null() {
        return None;
    }
    let data = std::slice::from_raw_parts(packet as *const u8, bytes as usize).to_vec();
    netcode_server_free_packet(server, packet);
    Some(data)
}

/// Client 1 stays, client 2 leaves (disconnect packets) while the server's clock stalls by
/// `stall` seconds. Afterwards client 1 keeps exchanging payloads, then leaves and reconnects
/// from the same address with a new token (this is what fails without asserts: its mapping was
/// lost from the count, never removed, and shadows the new one); client 2 reconnects from its
/// same address and socket with a new token; a new client 3 joins.
fn stall_scenario(stall: f64) {
    let what = format!("a {stall} s stall");
    let mut world = World::new();
    let (stayer, leaver) = (world.add_client(), world.add_client());
    // The stayer connects first: its mapping is below the leaver's, the case where removing
    // the leaver's lowered the count past the stayer's.
    world.connect(stayer);
    world.until_connected(stayer, &what);
    world.connect(leaver);
    world.until_connected(leaver, &what);
    world.exchange(&[stayer, leaver], &what);

    // SAFETY: a live client.
    unsafe { netcode_client_disconnect(world.clients[leaver]) };
    world.step(stall);
    world.exchange(&[stayer], &format!("{what}, the client that stayed"));

    // SAFETY: a live client.
    unsafe { netcode_client_disconnect(world.clients[stayer]) };
    world.step(TICK);
    world.connect(stayer);
    world.until_connected(
        stayer,
        &format!("{what}, the client that stayed, leaving and reconnecting from its address"),
    );
    world.exchange(&[stayer], &format!("{what}, the client that stayed, back"));

    world.connect(leaver);
    world.until_connected(
        leaver,
        &format!("{what}, the client that left, reconnecting"),
    );
    let newcomer = world.add_client();
    world.connect(newcomer);
    world.until_connected(newcomer, &format!("{what}, a new client"));
    world.exchange(&[stayer, leaver, newcomer], &format!("{what}, afterwards"));
}

/// Runs `scenario` for each stall in a child process of its own; fails with the C's or the
/// child's message if any stall breaks it.
fn each_stall_in_a_child(test: &str, stalls: &[f64], headline: &str, scenario: fn(f64)) {
    if let Some(stall) = std::env::var_os(STALL_ENV) {
        scenario(stall.to_string_lossy().parse().expect("a stall in seconds"));
        return;
    }
    let failures: Vec<String> = stalls
        .iter()
        .filter_map(|stall| {
            let output = common::run_in_child(test, STALL_ENV, &stall.to_string());
            let ran = String::from_utf8_lossy(&output.stdout).contains(&format!("test {test} ..."));
            assert!(
                ran,
                "the child did not run {test}:\n{}",
                common::child_output_tail(&output, 20)
            );
            (!output.status.success()).then(|| {
                format!(
                    "--- a {stall} s stall ({}):\n{}",
                    output.status,
                    common::child_output_tail(&output, 12)
                )
            })
        })
        .collect();
    assert!(failures.is_empty(), "{headline}:\n{}", failures.join("\n"));
}

#[test]
fn a_client_leaving_during_a_server_stall_leaves_the_table_consistent() {
    each_stall_in_a_child(
        "a_client_leaving_during_a_server_stall_leaves_the_table_consistent",
        &[4.8, 5.0, 6.0, 60.0],
        "a client leaving during a server stall broke the encryption mappings",
        stall_scenario,
    );
}

/// Client 1 is connected; the server's clock jumps by `stall` seconds in the very update that
/// receives client 2's connection request. The request must get a mapping of its own, not the
/// connected client's (whose last access, by the server's clock, is `stall` seconds old).
fn takeover_scenario(stall: f64) {
    let what = format!("a connection request after a {stall} s stall");
    let mut world = World::new();
    let (connected, newcomer) = (world.add_client(), world.add_client());
    world.connect(connected);
    world.until_connected(connected, &what);
    world.exchange(&[connected], &what);

    // The newcomer's request is sent in this tick and reaches the server in the next one,
    // the update after the stall.
    world.connect(newcomer);
    world.step(TICK);
    world.step(stall);
    world.exchange(&[connected], &format!("{what}, the connected client"));
    world.until_connected(newcomer, &format!("{what}, the new client"));
    world.exchange(&[connected, newcomer], &format!("{what}, both clients"));
}

#[test]
fn a_connection_request_after_a_stall_takes_no_connected_mapping() {
    each_stall_in_a_child(
        "a_connection_request_after_a_stall_takes_no_connected_mapping",
        &[6.0, 60.0],
        "a connection request after a server stall took a connected client's encryption mapping",
        takeover_scenario,
    );
}
