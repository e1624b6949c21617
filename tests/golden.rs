//! The safe API fed with the golden inputs gives the golden bytes (tests/data/golden.txt, made
//! by netcode-sys/tests/golden.rs from the reference itself), and reads them back: any change
//! in how the wrapper feeds the C shows up here.

use std::collections::HashMap;

use netcode::{ConnectToken, HostList, PrivateData};

fn golden() -> HashMap<String, Vec<u8>> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/golden.txt"
    ))
    .unwrap();
    text.lines()
        .map(|line| {
            let (name, hex) = line.split_once(": ").expect("name: hex");
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            (name.to_string(), bytes)
        })
        .collect()
}

/// The inputs netcode-sys/tests/golden.rs uses.
fn private_data() -> PrivateData {
    PrivateData {
        client_id: 0x0123_4567_89ab_cdef,
        hosts: HostList::new(
            [
                "127.0.0.1:40000".parse().unwrap(),
                "[2001:db8::7]:40001".parse().unwrap(),
            ]
            .into_iter(),
        ),
        client_to_server_key: [0x11; 32],
        server_to_client_key: [0x22; 32],
        user_data: std::array::from_fn(|i| i as u8),
    }
}

const PRIVATE_KEY: [u8; 32] = [0x5a; 32];

#[test]
fn the_wrapper_writes_the_golden_token() {
    let golden = golden();
    let token = ConnectToken::with_private_data(
        &private_data(),
        &PRIVATE_KEY,
        0x1122_3344_5566_7788,
        1_700_000_000,
        1_700_000_030,
        0x42,
        5,
    )
    .unwrap();
    assert_eq!(token.private_data.to_vec(), golden["connect_token_private"]);
    assert_eq!(token.to_bytes().unwrap().to_vec(), golden["connect_token"]);
}

#[test]
fn the_wrapper_reads_the_golden_token() {
    let golden = golden();
    let mut token = ConnectToken::from_bytes(&golden["connect_token"]).unwrap();
    let expected = private_data();
    assert_eq!(
        (
            token.protocol,
            token.create_utc,
            token.expire_utc,
            token.sequence,
            token.timeout_sec
        ),
        (0x1122_3344_5566_7788, 1_700_000_000, 1_700_000_030, 0x42, 5)
    );
    assert_eq!(token.hosts, expected.hosts);
    assert_eq!(token.client_to_server_key, expected.client_to_server_key);
    let private = token.decode(&PRIVATE_KEY).unwrap();
    assert_eq!(private.client_id, expected.client_id);
    assert_eq!(private.hosts, expected.hosts);
    assert_eq!(private.user_data, expected.user_data);
    assert_eq!(private.server_to_client_key, expected.server_to_client_key);
}
