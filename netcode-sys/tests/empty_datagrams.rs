//! Patch 0010: zero-length datagrams must not end the receive loop of an update.
//!
//! A C server and a C client, connected over real loopback UDP, exchange one numbered payload
//! each way every tick while a raw socket sends empty datagrams to both of them every tick.

mod common;

use std::net::UdpSocket;

use common::UdpPair;
use netcode_sys::*;

const TICK: f64 = 0.05;
/// More than the 5-second timeout, so that a flood that starves the keep-alives shows too.
const TICKS: u32 = 120;
const EMPTY_PER_TICK: usize = 3;
/// A payload sent in tick k must have arrived by the end of tick k + LATEST.
const LATEST: u32 = 2;

fn flood_both_ways(host: &str, bind: &str) {
    let (pair, mut time) = UdpPair::connect(host, 0.0, TICK);
    let attacker = UdpSocket::bind(bind).expect("bind the raw socket");

    // Which tick each payload was received in, by the tick it was sent in.
    let mut at_server: Vec<Option<u32>> = Vec::new();
    let mut at_client: Vec<Option<u32>> = Vec::new();
    for tick in 0..TICKS {
        for _ in 0..EMPTY_PER_TICK {
            attacker
                .send_to(&[], pair.server_address)
                .expect("send an empty datagram");
            attacker
                .send_to(&[], pair.client_address)
                .expect("send an empty datagram");
        }
        time += TICK;
        let number = tick.to_le_bytes();
        // SAFETY: the pair's handles are alive; payloads are 4 bytes; received packets go
        // back to the C once (take_*_packet).
        unsafe {
            netcode_client_update(pair.client, time);
            assert_eq!(
                netcode_client_state(pair.client),
                NETCODE_CLIENT_STATE_CONNECTED,
                "{host}: the client was disconnected in tick {tick} by empty datagrams"
            );
            assert_eq!(
                netcode_sys_client_send(pair.client, number.as_ptr(), 4),
                NETCODE_SYS_SENT
            );
            netcode_server_update(pair.server, time);
            assert_eq!(
                netcode_server_client_connected(pair.server, 0),
                1,
                "{host}: the server timed its client out in tick {tick} under empty datagrams"
            );
            assert_eq!(
                netcode_sys_server_send(
                    pair.server,
                    0,
                    netcode_sys_server_client_session(pair.server, 0),
                    number.as_ptr(),
                    4,
                ),
                NETCODE_SYS_SENT
            );
            at_server.push(None);
            at_client.push(None);
            while let Some(data) = common::take_server_packet(pair.server) {
                let sent = u32::from_le_bytes(data[..4].try_into().expect("4 bytes"));
                at_server[sent as usize] = Some(tick);
            }
            while let Some(data) = common::take_client_packet(pair.client) {
                let sent = u32::from_le_bytes(data[..4].try_into().expect("4 bytes"));
                at_client[sent as usize] = Some(tick);
            }
        }
        if let Some(sent) = tick.checked_sub(LATEST) {
            for (side, received) in [("server", &at_server), ("client", &at_client)] {
                assert!(
                    received[sent as usize].is_some(),
                    "{host}: the payload sent to the {side} in tick {sent} had not arrived by \
                     tick {tick}: empty datagrams ended the receive loop"
                );
            }
        }
    }
}

#[test]
fn empty_datagrams_do_not_delay_payloads() {
    flood_both_ways("127.0.0.1", "127.0.0.1:0");
    flood_both_ways("[::1]", "[::1]:0");
}
