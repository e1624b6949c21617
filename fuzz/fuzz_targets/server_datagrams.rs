//! Arbitrary datagrams into a server with a connected client, through the simulator
//! (see `netcode_fuzz::datagrams`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| netcode_fuzz::datagrams(netcode_fuzz::Side::Server, data));
