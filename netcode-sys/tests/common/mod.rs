//! Helpers shared by the raw-FFI tests: one process-wide init, and a C server and C client
//! driven through the bindings.
#![allow(dead_code)]

use std::ffi::CString;
use std::sync::Once;

use netcode_sys::*;

pub const PROTOCOL_ID: u64 = 0x1122_3344_5566_7788;
pub const PRIVATE_KEY: [u8; 32] = [
    0x60, 0x6a, 0xbe, 0x6e, 0xc9, 0x19, 0x10, 0xea, 0x9a, 0x65, 0x62, 0xf6, 0x6f, 0x2b, 0x30, 0xe4,
    0x43, 0x71, 0xd6, 0x2c, 0xd1, 0x99, 0x27, 0x26, 0x6b, 0x3c, 0x60, 0xf4, 0xb7, 0x15, 0xab, 0xa1,
];

/// `netcode_init` asserts when called twice; every test in a binary shares one call.
pub fn init() {
    static INIT: Once = Once::new();
    // SAFETY: called exactly once per process, guarded by the Once.
    INIT.call_once(|| assert_eq!(unsafe { netcode_init() }, 1, "netcode_init failed"));
}

pub fn cstring(s: &str) -> CString {
    CString::new(s).expect("no NUL in test strings")
}

/// The payload the upstream example programs exchange: byte i is `i & 0xFF`.
pub fn payload() -> Vec<u8> {
    (0..NETCODE_MAX_PACKET_SIZE as usize)
        .map(|i| i as u8)
        .collect()
}

/// A C server bound to `host` (port chosen by the system) and a C client bound to `client_bind`
/// connect over real UDP, then exchange one payload each way. Returns the payloads received by
/// the server and by the client.
pub fn round_trip(host: &str, client_bind: &str) -> (Vec<u8>, Vec<u8>) {
    init();
    let bind = cstring(&format!("{host}:0"));
    let mut key = PRIVATE_KEY;
    // SAFETY: valid NUL-terminated strings and a 32-byte key; the server is destroyed below.
    let server = unsafe {
        netcode_sys_server_create(bind.as_ptr(), bind.as_ptr(), PROTOCOL_ID, key.as_ptr(), 0.0)
    };
    assert!(!server.is_null(), "the C server could not bind {host}:0");
    // SAFETY: server is a live handle; 1 is within 1..=NETCODE_MAX_CLIENTS.
    let port = unsafe {
        netcode_server_start(server, 1);
        netcode_sys_server_port(server)
    };
    assert_ne!(port, 0);

    let address = cstring(&format!("{host}:{port}"));
    let mut addresses = [address.as_ptr() as *mut libc::c_char];
    let mut token = [0u8; NETCODE_CONNECT_TOKEN_BYTES as usize];
    // SAFETY: one valid address string, a 32-byte key, a 2048-byte output buffer.
    let generated = unsafe {
        netcode_generate_connect_token(
            1,
            addresses.as_mut_ptr(),
            30,
            0x1234,
            PROTOCOL_ID,
            0,
            key.as_mut_ptr(),
            token.as_mut_ptr(),
        )
    };
    assert_eq!(generated, 1);

    let client_bind = cstring(client_bind);
    // SAFETY: valid address string; the client is destroyed below.
    let client = unsafe { netcode_client_create(client_bind.as_ptr() as *mut _, 0.0) };
    assert!(!client.is_null(), "the C client could not bind");
    // SAFETY: live client, 2048-byte token.
    unsafe { netcode_client_connect(client, token.as_mut_ptr()) };

    let sent = payload();
    let mut server_received: Option<Vec<u8>> = None;
    let mut client_received: Option<Vec<u8>> = None;
    let mut time = 0.0;
    for _ in 0..200 {
        time += 0.1;
        // SAFETY: live handles for the whole loop; packets go back to the C exactly once.
        unsafe {
            netcode_client_update(client, time);
            netcode_server_update(server, time);
            if netcode_client_state(client) == NETCODE_CLIENT_STATE_CONNECTED {
                if server_received.is_none() {
                    netcode_client_send_packet(client, sent.as_ptr() as *mut u8, sent.len() as i32);
                }
                if client_received.is_none() {
                    netcode_server_send_packet(
                        server,
                        0,
                        sent.as_ptr() as *mut u8,
                        sent.len() as i32,
                    );
                }
            }
            server_received = server_received.or_else(|| take_server_packet(server));
            client_received = client_received.or_else(|| take_client_packet(client));
            if netcode_client_state(client) < NETCODE_CLIENT_STATE_DISCONNECTED {
                break;
            }
        }
        if server_received.is_some() && client_received.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    // SAFETY: live handles, destroyed once.
    let state = unsafe { netcode_client_state(client) };
    unsafe {
        netcode_client_destroy(client);
        netcode_server_destroy(server);
    }
    assert_eq!(
        state, NETCODE_CLIENT_STATE_CONNECTED,
        "client over {host} ended in state {state}"
    );
    (
        server_received.unwrap_or_default(),
        client_received.unwrap_or_default(),
    )
}

/// Copies out and frees the next payload the server has from slot 0.
///
/// # Safety
/// `server` must be a live, started server.
pub unsafe fn take_server_packet(server: *mut netcode_server_t) -> Option<Vec<u8>> {
    let mut bytes = 0;
    let mut sequence = 0;
    let packet = netcode_server_receive_packet(server, 0, &mut bytes, &mut sequence);
    if packet.is_null() {
        return None;
    }
    let data = std::slice::from_raw_parts(packet as *const u8, bytes as usize).to_vec();
    netcode_server_free_packet(server, packet);
    Some(data)
}

/// Copies out and frees the next payload the client has.
///
/// # Safety
/// `client` must be a live client.
pub unsafe fn take_client_packet(client: *mut netcode_client_t) -> Option<Vec<u8>> {
    let mut bytes = 0;
    let mut sequence = 0;
    let packet = netcode_client_receive_packet(client, &mut bytes, &mut sequence);
    if packet.is_null() {
        return None;
    }
    let data = std::slice::from_raw_parts(packet as *const u8, bytes as usize).to_vec();
    netcode_client_free_packet(client, packet);
    Some(data)
}

/// A C server at `[::1]:40000` and a C client at `[::1]:50000` on one network simulator, the
/// client connecting (not yet updated) with a 30-second token; destroyed on drop.
pub struct Simulated {
    pub simulator: *mut netcode_network_simulator_t,
    pub server: *mut netcode_server_t,
    pub client: *mut netcode_client_t,
    /// The connect token the client connects with.
    pub token: [u8; NETCODE_CONNECT_TOKEN_BYTES as usize],
}

pub const SIMULATED_SERVER: &str = "[::1]:40000";
pub const SIMULATED_CLIENT: &str = "[::1]:50000";

impl Simulated {
    /// Everything created at `time`, the server with `max_clients` slots.
    pub fn new(time: f64, max_clients: i32) -> Simulated {
        init();
        let mut key = PRIVATE_KEY;
        let public = cstring(SIMULATED_SERVER);
        let client_address = cstring(SIMULATED_CLIENT);
        let mut addresses = [public.as_ptr() as *mut libc::c_char];
        let mut token = [0u8; NETCODE_CONNECT_TOKEN_BYTES as usize];
        // SAFETY: valid strings, a 32-byte key and a 2048-byte token buffer; the simulator
        // outlives the server and client (Drop destroys them first).
        unsafe {
            let simulator = netcode_network_simulator_create();
            let server = netcode_server_create_internal(
                public.as_ptr() as *mut _,
                public.as_ptr() as *mut _,
                PROTOCOL_ID,
                key.as_mut_ptr(),
                time,
                simulator,
            );
            assert!(!server.is_null());
            netcode_server_start(server, max_clients);
            let client =
                netcode_client_create_internal(client_address.as_ptr() as *mut _, time, simulator);
            assert!(!client.is_null());
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
            Simulated {
                simulator,
                server,
                client,
                token,
            }
        }
    }

    /// One tick: the simulator, then the client, then the server.
    pub fn step(&self, time: f64) {
        // SAFETY: all three are alive until drop.
        unsafe {
            netcode_network_simulator_update(self.simulator, time);
            netcode_client_update(self.client, time);
            netcode_server_update(self.server, time);
        }
    }
}

impl Drop for Simulated {
    fn drop(&mut self) {
        // SAFETY: each is destroyed once, the simulator last, after freeing the packets still
        // in flight (destroying it alone would leak them).
        unsafe {
            netcode_client_destroy(self.client);
            netcode_server_destroy(self.server);
            netcode_network_simulator_discard_packets(self.simulator);
            netcode_network_simulator_destroy(self.simulator);
        }
    }
}

/// A C server (one slot) bound to `host` on a port the system picks and a C client, over real
/// UDP, both on the caller's clock; destroyed on drop.
pub struct UdpPair {
    pub server: *mut netcode_server_t,
    pub client: *mut netcode_client_t,
    /// The server's address, for raw sockets of the test.
    pub server_address: std::net::SocketAddr,
    /// The client's address on `host`, for raw sockets of the test.
    pub client_address: std::net::SocketAddr,
}

impl UdpPair {
    /// Creates both at `time` and runs the handshake in steps of `tick` seconds, without
    /// sleeping (loopback delivers a datagram before `sendto` returns); returns the pair and
    /// the time it reached.
    pub fn connect(host: &str, time: f64, tick: f64) -> (UdpPair, f64) {
        init();
        let bind = cstring(&format!("{host}:0"));
        let key = PRIVATE_KEY;
        // SAFETY: valid NUL-terminated strings and a 32-byte key; the server is destroyed by
        // Drop (or below, if the client cannot be created).
        let server = unsafe {
            netcode_sys_server_create(
                bind.as_ptr(),
                bind.as_ptr(),
                PROTOCOL_ID,
                key.as_ptr(),
                time,
            )
        };
        assert!(!server.is_null(), "the C server could not bind {host}:0");
        // SAFETY: server is a live handle; 1 is within 1..=NETCODE_MAX_CLIENTS.
        let port = unsafe {
            netcode_server_start(server, 1);
            netcode_sys_server_port(server)
        };
        let client_bind = cstring(if host.starts_with('[') {
            "[::]:0"
        } else {
            "0.0.0.0:0"
        });
        // SAFETY: a valid address string.
        let client = unsafe { netcode_client_create(client_bind.as_ptr() as *mut _, time) };
        assert!(!client.is_null(), "the C client could not bind");
        let ip: std::net::IpAddr = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .expect("a literal IP address");
        // SAFETY: client is a live handle.
        let client_port = unsafe { netcode_sys_client_port(client) };
        let pair = UdpPair {
            server,
            client,
            server_address: (ip, port).into(),
            client_address: (ip, client_port).into(),
        };
        let token = pair.token(1);
        let mut token = token;
        // SAFETY: live client, 2048-byte token.
        unsafe { netcode_client_connect(client, token.as_mut_ptr()) };
        let mut time = time;
        for _ in 0..100 {
            time += tick;
            pair.update(time);
            // SAFETY: live client.
            if unsafe { netcode_client_state(client) } == NETCODE_CLIENT_STATE_CONNECTED {
                return (pair, time);
            }
        }
        panic!("the client did not connect over {host}");
    }

    /// A 30-second token for this pair's server, for `client_id`.
    pub fn token(&self, client_id: u64) -> [u8; NETCODE_CONNECT_TOKEN_BYTES as usize] {
        let address = cstring(&self.server_address.to_string());
        let mut addresses = [address.as_ptr() as *mut libc::c_char];
        let mut key = PRIVATE_KEY;
        let mut token = [0u8; NETCODE_CONNECT_TOKEN_BYTES as usize];
        // SAFETY: one valid address string, a 32-byte key, a 2048-byte output buffer.
        let generated = unsafe {
            netcode_generate_connect_token(
                1,
                addresses.as_mut_ptr(),
                30,
                client_id,
                PROTOCOL_ID,
                0,
                key.as_mut_ptr(),
                token.as_mut_ptr(),
            )
        };
        assert_eq!(generated, 1);
        token
    }

    /// One tick: the client, then the server.
    pub fn update(&self, time: f64) {
        // SAFETY: both are alive until drop.
        unsafe {
            netcode_client_update(self.client, time);
            netcode_server_update(self.server, time);
        }
    }
}

impl Drop for UdpPair {
    fn drop(&mut self) {
        // SAFETY: each is destroyed once.
        unsafe {
            netcode_client_destroy(self.client);
            netcode_server_destroy(self.server);
        }
    }
}

/// Runs the test `name` of this test binary again in a child process with `key=value` in its
/// environment, and returns what it did. A scenario that can make the C abort (an `assert`, in
/// builds with debug assertions) runs so, and the parent judges the child: one abort then
/// fails one scenario with the C's own message, instead of ending the whole test binary.
pub fn run_in_child(name: &str, key: &str, value: &str) -> std::process::Output {
    let exe = std::env::current_exe().expect("path of this test binary");
    std::process::Command::new(exe)
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(key, value)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("run a child process")
}

/// The last `lines` lines of a child's stderr (where panics and the C's asserts go), or of its
/// stdout if it wrote nothing to stderr, for a failure message.
pub fn child_output_tail(output: &std::process::Output, lines: usize) -> String {
    let text = if output.stderr.is_empty() {
        String::from_utf8_lossy(&output.stdout)
    } else {
        String::from_utf8_lossy(&output.stderr)
    };
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The compiled build script of netcode-sys: in target/<profile>/build, beside this test
/// binary's target/<profile>/deps, or, when building for an explicit --target (whose binaries
/// are in target/<triple>/<profile>), in the host's target/<profile>/build.
pub fn build_script() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("path of this test binary");
    let profile_dir = exe
        .parent()
        .and_then(std::path::Path::parent)
        .expect("target/<profile>");
    let host_profile_dir = profile_dir
        .parent()
        .and_then(std::path::Path::parent)
        .zip(profile_dir.file_name())
        .map(|(target, profile)| target.join(profile));
    [Some(profile_dir.to_path_buf()), host_profile_dir]
        .into_iter()
        .flatten()
        .filter_map(|dir| std::fs::read_dir(dir.join("build")).ok())
        .flatten()
        .filter_map(Result::ok)
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with("netcode-sys-")
        })
        .map(|entry| entry.path().join("build-script-build"))
        .filter(|path| path.is_file())
        // Several builds of it may lie there (features, older versions): the newest is this one.
        .max_by_key(|path| std::fs::metadata(path).and_then(|m| m.modified()).ok())
        .expect("the compiled netcode-sys build script")
}
