//! The server's heap stays the same size however many clients come and go. Its own test
//! binary: the heap measurement must see nothing else.

use netcode::{ConnectionState, NetcodeClient, NetcodeServer, NetworkSimulator, ServerConfig};

fn heap_in_use() -> usize {
    // SAFETY: mallinfo2 only reads the allocator's statistics.
    unsafe { libc::mallinfo2() }.uordblks
}

/// Connects a client, then disconnects it cleanly (the server gets its disconnect packets).
fn session(
    simulator: &NetworkSimulator,
    server: &mut NetcodeServer,
    client: &mut NetcodeClient,
    id: u64,
    time: &mut f64,
) {
    let token = server.generate_token(id, &[0; 256]).unwrap();
    client.connect(&token).unwrap();
    while client.state() != ConnectionState::Connected {
        simulator.update(*time);
        client.update(*time);
        server.update(*time);
        *time += 0.1;
        assert!(!client.state().is_error(), "{}", client.state());
    }
    client.disconnect();
    for _ in 0..3 {
        simulator.update(*time);
        server.update(*time);
        *time += 0.1;
    }
    assert_eq!(server.num_connected_clients(), 0);
}

/// Patch 0006: the pinned C leaked each disconnect packet a server acted on.
#[test]
fn clean_disconnects_leak_nothing() {
    let simulator = NetworkSimulator::new().unwrap();
    let config = ServerConfig::new("[::1]:40000".parse().unwrap(), 1, [7; 32]).max_clients(4);
    let mut server = NetcodeServer::with_simulator(&simulator, config).unwrap();
    let mut client =
        NetcodeClient::with_simulator(&simulator, "[::1]:50000".parse().unwrap()).unwrap();
    let mut time = 0.0;
    // Warm up: first-use allocations (the server's session memory, the allocator's own).
    for id in 0..5 {
        session(&simulator, &mut server, &mut client, id, &mut time);
    }
    let before = heap_in_use();
    for id in 5..105 {
        session(&simulator, &mut server, &mut client, id, &mut time);
    }
    let after = heap_in_use();
    assert!(
        after <= before,
        "100 clean disconnects grew the heap from {before} to {after} bytes"
    );
}
