//! Arbitrary datagrams into a connected client, through the simulator: raw
//! bytes from the server's address and from strangers, and packets of any type and sequence
//! encrypted with the server's real key for it (so the C's logic behind the MAC is reached).
#![no_main]

use libfuzzer_sys::fuzz_target;
use netcode_fuzz::{Input, Pair};

fuzz_target!(|data: &[u8]| {
    let mut pair = Pair::connected();
    let key = pair.token.server_to_client_key;
    let stranger = "[::1]:50001".parse().unwrap();
    let mut input = Input(data);
    while !input.is_empty() {
        match input.byte() % 4 {
            0 => {
                let n = usize::from(input.byte()) * 5;
                let datagram = input.bytes(n).to_vec();
                pair.simulator
                    .send_raw(pair.server_address, pair.client_address, &datagram);
            }
            1 => {
                let n = usize::from(input.byte()) * 5;
                let datagram = input.bytes(n).to_vec();
                pair.simulator
                    .send_raw(stranger, pair.client_address, &datagram);
            }
            2 => {
                let (packet_type, sequence) = (input.byte(), input.u64());
                let n = usize::from(input.byte()) * 5;
                let body = input.bytes(n).to_vec();
                if let Some(packet) = pair.encrypted(packet_type, sequence, &body, &key) {
                    pair.simulator
                        .send_raw(pair.server_address, pair.client_address, &packet);
                }
            }
            _ => pair.step(f64::from(input.byte()) / 50.0),
        }
    }
    pair.step(0.1);
    while let Some(payload) = pair.client.receive() {
        assert!(!payload.is_empty() && payload.len() <= 1200);
    }
});
