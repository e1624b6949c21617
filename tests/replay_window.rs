//! The reference's defect 3 (REFERENCE.md): its replay protection records a packet's sequence
//! number before the MAC is checked. One forged datagram from a spoofed source address, with a
//! huge sequence number and a garbage MAC, then makes every real packet of a connected client
//! look like a replay, and the server times the client out. Patch 0005 checks first and
//! records only packets that decrypt, as current upstream does.

mod common;

use common::{addr, Session};
use netcode::ConnectionState;

#[test]
fn a_forged_sequence_number_does_not_knock_out_a_connected_client() {
    let mut s = Session::simulated(4, 0.0, 0.0, 0.0, 0.0);
    let c = s.connect_client(1, None);
    s.connect_all();
    let client_address = s.clients[c].local_address();
    let server_address = s.server.public_address();

    // A keep-alive (type 4) with 8 sequence bytes, from the client's address: garbage MAC.
    let mut forged = vec![4 | (8 << 4)];
    forged.extend_from_slice(&(1u64 << 40).to_le_bytes());
    forged.extend_from_slice(&[0xAB; 8 + 16]);
    assert!(s
        .simulator
        .as_ref()
        .unwrap()
        .send_raw(client_address, server_address, &forged));

    // The client keeps sending (keep-alives every 0.1 s, and payloads): it must stay connected
    // well past the 5-second timeout, and its payloads must arrive.
    let mut received = 0;
    for _ in 0..200 {
        s.clients[c].send(b"still here").unwrap();
        s.step();
        received += s.server_received().len();
    }
    assert_eq!(
        s.server.num_connected_clients(),
        1,
        "the server timed out a client whose packets were real"
    );
    assert_eq!(s.clients[c].state(), ConnectionState::Connected);
    assert!(
        received > 150,
        "only {received} of 200 payloads were accepted"
    );
    let _ = addr;
}
