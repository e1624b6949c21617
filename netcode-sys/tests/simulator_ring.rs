//! Patch 0012: the reference's network simulator with duplicates on must not leak once its ring
//! of 65,536 packet entries wraps. The only test in its binary, so that nothing else allocates
//! while it measures the heap.

mod common;

use common::cstring;
use netcode_sys::*;

/// The simulator's ring: NETCODE_MAX_CLIENTS * 256 entries.
const RING: usize = NETCODE_MAX_CLIENTS as usize * 256;

fn heap_in_use() -> usize {
    // SAFETY: mallinfo2 only reads the allocator's statistics.
    unsafe { libc::mallinfo2() }.uordblks
}

#[test]
fn duplicates_leak_nothing_once_the_ring_wraps() {
    common::init();
    let (from, to) = (cstring("[::1]:50000"), cstring("[::1]:40000"));
    let packet = [0x5Au8; 200];
    // SAFETY: the simulator is created and destroyed here, its in-flight packets freed first;
    // the strings and the packet outlive every call.
    unsafe {
        let simulator = netcode_network_simulator_create();
        // Every packet is duplicated; nothing is lost or delivered (no update is called), so
        // each send fills two entries of the ring.
        netcode_sys_network_simulator_configure(simulator, 0.0, 0.0, 0.0, 100.0);
        let send = |count: usize| {
            for _ in 0..count {
                let sent = netcode_sys_network_simulator_send(
                    simulator,
                    from.as_ptr(),
                    to.as_ptr(),
                    packet.as_ptr(),
                    packet.len() as i32,
                );
                assert_eq!(sent, 1);
            }
        };
        // Fill the ring once: from now on every entry holds one packet of the same size.
        send(RING / 2);
        let before = heap_in_use();
        // Wrap it more than once: each send replaces two packets by two.
        send(RING);
        let after = heap_in_use();
        netcode_network_simulator_discard_packets(simulator);
        netcode_network_simulator_destroy(simulator);
        assert!(
            after <= before + 4096,
            "the simulator's heap grew from {before} to {after} bytes over {RING} duplicated \
             packets once its ring had wrapped: it leaks the packets duplicates overwrite"
        );
    }
}
