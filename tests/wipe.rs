//! Key material wiped when it is freed: a server's and a client's C structs (patch 0024), and
//! a token history entry once its token has expired (patch 0023). A test hook (test-hooks
//! feature) sees the struct netcode.c frees just before the free and counts the bytes that are
//! not zero; another searches a live server's memory for a key.

#[macro_use]
mod handmade;

use std::time::Duration;

use handmade::{now, socket, Rig, Token};
use netcode::netcode_sys as raw;
use netcode::{ConnectionState, NetcodeClient, NetcodeServer, ServerConfig};

/// Runs `free`, which frees the struct watched on this thread, and requires that none of its
/// bytes were left non-zero when netcode.c freed it.
fn assert_freed_wiped(what: &str, free: impl FnOnce()) {
    free();
    // SAFETY: reads a per-thread value of the shim's test hooks.
    let nonzero = unsafe { raw::netcode_sys_test_watched_free_nonzero_bytes() };
    assert_eq!(
        nonzero, 0,
        "the {what}'s struct held {nonzero} bytes that were not zero when freed"
    );
}

/// A connected server and client (so that both hold keys: the server's private and challenge
/// keys, the session's keys in its encryption mapping and token history, the client's token),
/// each freed under the watch.
#[test]
fn freed_servers_and_clients_hold_no_keys() {
    let key = netcode::generate_key();
    let config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), handmade::PROTOCOL_ID, key);
    let mut server = NetcodeServer::new(config).unwrap();
    let mut client = NetcodeClient::new("127.0.0.1:0".parse().unwrap()).unwrap();
    client
        .connect(&server.generate_token(1, &[7; 256]).unwrap())
        .unwrap();
    let mut time = 0.0;
    while client.state() != ConnectionState::Connected && time < 2.0 {
        client.update(time);
        std::thread::sleep(Duration::from_millis(2));
        server.update(time);
        time += 0.05;
    }
    assert_eq!(client.state(), ConnectionState::Connected);

    // SAFETY: a live client; the hook only records its address and size.
    unsafe { raw::netcode_sys_test_watch_client_free(client.as_raw()) };
    assert_freed_wiped("client", || drop(client));
    // SAFETY: a live server; the hook only records its address and size.
    unsafe { raw::netcode_sys_test_watch_server_free(server.as_raw()) };
    assert_freed_wiped("server", || drop(server));
}

/// Whether the server's memory holds `bytes` anywhere.
fn holds(rig: &mut Rig, bytes: &[u8]) -> bool {
    // SAFETY: a live server and a valid slice; the hook only reads the server's struct.
    unsafe {
        raw::netcode_sys_test_server_holds_bytes(rig.server().as_raw(), bytes.as_ptr(), bytes.len())
            == 1
    }
}

/// A session's key stays in the token history while its token lives (the entry refuses the
/// token), and is gone from the server's memory once the token has expired and a request's scan
/// of the history has passed its entry. Without patch 0023 the history holds no key at all (the
/// first assertion fails); TESTING.md says how the second was shown to fail.
#[test]
fn an_expired_token_leaves_no_key_in_the_server() {
    // Tokens of 2 s: no restart rule, which would refuse them for 28 s after the start.
    let mut rig = Rig::with_config(4, |config| config.max_token_lifetime(None));
    let short = Token::new(
        &rig.key,
        1,
        &[rig.address()],
        handmade::PROTOCOL_ID,
        now() + 2,
    );
    rig.connect_and_leave(&socket(), &short);
    assert!(
        holds(&mut rig, &short.client_to_server_key),
        "the token history did not hold the session's key"
    );

    // Another handshake's first request, before the short token expires, and its retransmit
    // after: the retransmit adds no entry, but its scan passes every entry.
    let other = rig.token(2);
    let other_client = socket();
    rig.challenge(&other_client, &other);
    while now() < short.expire {
        std::thread::sleep(Duration::from_millis(50));
    }
    rig.challenge(&other_client, &other);
    assert!(
        !holds(&mut rig, &short.client_to_server_key),
        "an expired token's key stayed in the server's memory"
    );
    assert!(holds(&mut rig, &other.client_to_server_key));
}
