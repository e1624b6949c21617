//! A C server and a C client, driven through the raw bindings, connect over real loopback UDP
//! and exchange one payload each way.

mod common;

#[test]
fn ipv6_loopback() {
    let (at_server, at_client) = common::round_trip("[::1]", "[::]:0");
    assert_eq!(at_server, common::payload());
    assert_eq!(at_client, common::payload());
}

#[test]
fn ipv4_loopback() {
    let (at_server, at_client) = common::round_trip("127.0.0.1", "0.0.0.0:0");
    assert_eq!(at_server, common::payload());
    assert_eq!(at_client, common::payload());
}
