//! Allocation counts, memory and connection setup, for BENCHMARKS.md:
//!
//! - allocations per payload on the crate's send and receive paths, counted by a global
//!   allocator that counts Rust allocations (the C's own mallocs, one per received packet, are
//!   the reference's and do not go through it);
//! - peak RSS of a 256-slot server with every slot busy, and bytes per extra slot;
//! - the time for 256 clients to connect (over loopback UDP).
//!
//!     cargo run --release -p netcode-bench --bin footprint

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use netcode::{ConnectionState, NetcodeClient, NetcodeServer, ServerConfig};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Resident set size now, and its peak, in bytes (from /proc/self/status).
fn rss() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
            * 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// A server with `slots` slots and as many clients connected over loopback UDP.
fn full_server(slots: usize) -> (NetcodeServer, Vec<NetcodeClient>, f64, f64) {
    let config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), 7, netcode::generate_key())
        .max_clients(slots);
    let mut server = NetcodeServer::new(config).unwrap();
    let mut clients: Vec<NetcodeClient> = (0..slots)
        .map(|c| {
            let token = server.generate_token(c as u64 + 1, &[0; 256]).unwrap();
            let mut client = NetcodeClient::new("0.0.0.0:0".parse().unwrap()).unwrap();
            client.connect(&token).unwrap();
            client
        })
        .collect();
    let start = Instant::now();
    let mut time = 0.0;
    while clients
        .iter()
        .any(|c| c.state() != ConnectionState::Connected)
    {
        time += 0.01;
        clients.iter_mut().for_each(|c| c.update(time));
        server.update(time);
        assert!(start.elapsed().as_secs() < 60, "clients did not connect");
    }
    (server, clients, start.elapsed().as_secs_f64(), time)
}

fn main() {
    // Allocations per payload, in steady state (after a warm-up).
    let (mut server, mut clients, _, mut time) = full_server(4);
    let payload = [7u8; 1000];
    let round = |server: &mut NetcodeServer, clients: &mut Vec<NetcodeClient>, time: &mut f64| {
        *time += 0.01;
        for client in clients.iter_mut() {
            client.send(&payload).unwrap();
        }
        server.update(*time);
        for index in 0..4 {
            let session = server.client(index).unwrap().session;
            while let Some(p) = server.receive(session) {
                assert_eq!(p.len(), 1000);
            }
            server.send(session, &payload).unwrap();
        }
        for client in clients.iter_mut() {
            client.update(*time);
            while let Some(p) = client.receive() {
                assert_eq!(p.len(), 1000);
            }
        }
    };
    for _ in 0..100 {
        round(&mut server, &mut clients, &mut time);
    }
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let rounds = 10_000;
    for _ in 0..rounds {
        round(&mut server, &mut clients, &mut time);
    }
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    let payloads = rounds * 8;
    println!("allocations per payload (send + receive, both directions): {:.4} ({allocations} in {payloads} payloads)", allocations as f64 / payloads as f64);
    drop(clients);
    drop(server);

    // Memory: a 256-slot server with every slot busy, and the cost of a slot.
    let (rss_before, _) = rss();
    let (server, clients, connect_seconds, _) = full_server(256);
    let (rss_full, peak) = rss();
    println!("256 clients connected in {connect_seconds:.3} s (loopback UDP, 100 updates a second of virtual time)");
    println!("RSS: {:.1} MiB before, {:.1} MiB with a full 256-slot server and its 256 clients (peak {:.1} MiB)", rss_before as f64 / 1048576.0, rss_full as f64 / 1048576.0, peak as f64 / 1048576.0);
    drop(clients);
    drop(server);
    let config =
        |slots| ServerConfig::new("127.0.0.1:0".parse().unwrap(), 7, [1; 32]).max_clients(slots);
    let (a, _) = rss();
    let one = NetcodeServer::new(config(1)).unwrap();
    let (b, _) = rss();
    let full = NetcodeServer::new(config(256)).unwrap();
    let (c, _) = rss();
    println!(
        "a server's resident memory: {:.1} MiB with 1 slot, {:.1} MiB with 256 ({:.0} bytes per extra slot; the C allocates its arrays for 256 slots either way)",
        (b - a) as f64 / 1048576.0,
        (c - b) as f64 / 1048576.0,
        (c as f64 - b as f64 - (b as f64 - a as f64)) / 255.0
    );
    drop((one, full));
}
