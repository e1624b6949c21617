//! Golden vectors: with fixed keys, sequences and timestamps, the bytes the reference writes for
//! a connect token (public and private parts), a challenge token and each packet type, compared
//! byte for byte with tests/data/golden.txt. Each is also taken apart by the layout of the
//! pinned STANDARD.md and decrypted with libsodium directly; WIRE.md lists where the C and that
//! document disagree. `scripts/golden-write.sh` rewrites the file (review the diff!); the variable
//! it sets, `NETCODE_GOLDEN_WRITE`, alone makes the comparison fail instead of passing.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use netcode_sys::*;

const PROTOCOL_ID: u64 = 0x1122_3344_5566_7788;
const PRIVATE_KEY: [u8; 32] = [0x5a; 32];
const CLIENT_TO_SERVER_KEY: [u8; 32] = [0x11; 32];
const SERVER_TO_CLIENT_KEY: [u8; 32] = [0x22; 32];
const CHALLENGE_KEY: [u8; 32] = [0x33; 32];
const CREATE: u64 = 1_700_000_000;
const EXPIRE: u64 = 1_700_000_030;
const TOKEN_SEQUENCE: u64 = 0x42;
const CLIENT_ID: u64 = 0x0123_4567_89ab_cdef;
const VERSION: &[u8; 13] = b"NETCODE 1.00\0";

/// Set by scripts/golden-write.sh, together with the confirmation below.
const WRITE: &str = "NETCODE_GOLDEN_WRITE";
const WRITE_CONFIRM: &str = "NETCODE_GOLDEN_WRITE_CONFIRM";
const WRITE_CONFIRM_VALUE: &str = "rewrite tests/data/golden.txt";

fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("tests")
        .join("data")
        .join("golden.txt")
}

/// A 1.00 sequence as the shim's nonce: its little-endian bytes, then zeros.
fn sequence_nonce(sequence: u64) -> [u8; 24] {
    let mut nonce = [0; 24];
    nonce[..8].copy_from_slice(&sequence.to_le_bytes());
    nonce
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn user_data() -> [u8; 256] {
    std::array::from_fn(|i| i as u8)
}

fn address_v4() -> netcode_sys_address {
    netcode_sys_address {
        type_: NETCODE_SYS_ADDRESS_IPV4 as u8,
        ipv4: [127, 0, 0, 1],
        ipv6: [0; 8],
        port: 40000,
    }
}

fn address_v6() -> netcode_sys_address {
    netcode_sys_address {
        type_: NETCODE_SYS_ADDRESS_IPV6 as u8,
        ipv4: [0; 4],
        ipv6: [0x2001, 0xdb8, 0, 0, 0, 0, 0, 7],
        port: 40001,
    }
}

/// The 1.02 token's nonce: 24 fixed bytes.
fn nonce_102() -> [u8; 24] {
    std::array::from_fn(|i| 0x42 + i as u8)
}

/// The token's public part, with its private part encrypted, on `wire` (1.02: the nonce above
/// where 1.00 has the sequence, and the timeout in the private part too).
fn token(wire: i32) -> netcode_sys_connect_token {
    let mut private = netcode_sys_connect_token_private {
        timeout_seconds: 5,
        client_id: CLIENT_ID,
        num_server_addresses: 2,
        client_to_server_key: CLIENT_TO_SERVER_KEY,
        server_to_client_key: SERVER_TO_CLIENT_KEY,
        user_data: user_data(),
        ..Default::default()
    };
    private.server_addresses[0] = address_v4();
    private.server_addresses[1] = address_v6();
    let mut token = netcode_sys_connect_token {
        wire,
        protocol_id: PROTOCOL_ID,
        create_timestamp: CREATE,
        expire_timestamp: EXPIRE,
        nonce: if wire == NETCODE_SYS_WIRE_102 {
            nonce_102()
        } else {
            sequence_nonce(TOKEN_SEQUENCE)
        },
        num_server_addresses: 2,
        client_to_server_key: CLIENT_TO_SERVER_KEY,
        server_to_client_key: SERVER_TO_CLIENT_KEY,
        timeout_seconds: 5,
        ..Default::default()
    };
    token.server_addresses[0] = address_v4();
    token.server_addresses[1] = address_v6();
    // SAFETY: valid structs and a 32-byte key.
    assert_eq!(
        unsafe {
            netcode_sys_encrypt_connect_token_private(&private, PRIVATE_KEY.as_ptr(), &mut token)
        },
        1
    );
    token
}

fn write_packet(wire: i32, packet: &netcode_sys_packet, sequence: u64, key: &[u8; 32]) -> Vec<u8> {
    let mut buffer = [0u8; NETCODE_SYS_MAX_PACKET_BYTES as usize];
    // SAFETY: a valid packet, a 32-byte key and a buffer of NETCODE_SYS_MAX_PACKET_BYTES.
    let length = unsafe {
        netcode_sys_write_packet(
            wire,
            packet,
            sequence,
            key.as_ptr(),
            PROTOCOL_ID,
            buffer.as_mut_ptr(),
        )
    };
    assert!(length > 0);
    buffer[..length as usize].to_vec()
}

/// Every vector, by name, as the reference writes it: the 1.00 ones, and under `v102_` names
/// the same inputs on 1.02 (patch 0025).
fn vectors() -> BTreeMap<String, Vec<u8>> {
    let mut all = BTreeMap::new();
    for (wire, prefix) in [(NETCODE_SYS_WIRE_100, ""), (NETCODE_SYS_WIRE_102, "v102_")] {
        for (name, bytes) in vectors_on(wire) {
            all.insert(format!("{prefix}{name}"), bytes);
        }
    }
    all
}

fn vectors_on(wire: i32) -> BTreeMap<&'static str, Vec<u8>> {
    common::init();
    let token = token(wire);
    let mut public = [0u8; NETCODE_CONNECT_TOKEN_BYTES as usize];
    // SAFETY: a valid token and a 2048-byte buffer.
    assert_eq!(
        unsafe { netcode_sys_write_connect_token(&token, public.as_mut_ptr()) },
        1
    );

    let mut challenge_token = [0u8; NETCODE_SYS_CHALLENGE_TOKEN_BYTES as usize];
    // SAFETY: 256 bytes of user data, a 32-byte key and a 300-byte buffer.
    let ok = unsafe {
        netcode_sys_write_challenge_token(
            wire,
            CLIENT_ID,
            user_data().as_ptr(),
            9,
            CHALLENGE_KEY.as_ptr(),
            challenge_token.as_mut_ptr(),
        )
    };
    assert_eq!(ok, 1);

    let packet = |type_: i32| netcode_sys_packet {
        type_,
        ..Default::default()
    };
    let mut request = packet(NETCODE_SYS_CONNECTION_REQUEST_PACKET);
    request.connect_token_expire_timestamp = EXPIRE;
    request.connect_token_nonce = token.nonce;
    request.connect_token_data = token.private_data;
    let mut challenge = packet(NETCODE_SYS_CONNECTION_CHALLENGE_PACKET);
    challenge.challenge_token_sequence = 9;
    challenge.challenge_token_data = challenge_token;
    let mut response = challenge;
    response.type_ = NETCODE_SYS_CONNECTION_RESPONSE_PACKET;
    let mut keep_alive = packet(NETCODE_SYS_CONNECTION_KEEP_ALIVE_PACKET);
    keep_alive.client_index = 3;
    keep_alive.max_clients = 64;
    let mut payload = packet(NETCODE_SYS_CONNECTION_PAYLOAD_PACKET);
    payload.payload_bytes = 1200;
    payload.payload_data = std::array::from_fn(|i| (i * 7) as u8);

    let mut vectors = BTreeMap::new();
    vectors.insert("connect_token", public.to_vec());
    vectors.insert("connect_token_private", token.private_data.to_vec());
    vectors.insert("challenge_token", challenge_token.to_vec());
    vectors.insert(
        "packet_request",
        write_packet(wire, &request, 0, &CLIENT_TO_SERVER_KEY),
    );
    // The server sends denied and challenge packets with its global sequence, which starts at 2^63.
    vectors.insert(
        "packet_denied",
        write_packet(
            wire,
            &packet(NETCODE_SYS_CONNECTION_DENIED_PACKET),
            1 << 63,
            &SERVER_TO_CLIENT_KEY,
        ),
    );
    vectors.insert(
        "packet_challenge",
        write_packet(wire, &challenge, (1 << 63) + 1, &SERVER_TO_CLIENT_KEY),
    );
    vectors.insert(
        "packet_response",
        write_packet(wire, &response, 1, &CLIENT_TO_SERVER_KEY),
    );
    vectors.insert(
        "packet_keep_alive",
        write_packet(wire, &keep_alive, 1000, &SERVER_TO_CLIENT_KEY),
    );
    vectors.insert(
        "packet_payload",
        write_packet(wire, &payload, 0x01_0203, &CLIENT_TO_SERVER_KEY),
    );
    vectors.insert(
        "packet_disconnect",
        write_packet(
            wire,
            &packet(NETCODE_SYS_CONNECTION_DISCONNECT_PACKET),
            255,
            &CLIENT_TO_SERVER_KEY,
        ),
    );
    vectors
}

#[test]
fn vectors_match_the_golden_file() {
    let vectors = vectors();
    let text: String = vectors
        .iter()
        .map(|(name, bytes)| format!("{name}: {}\n", hex(bytes)))
        .collect();
    if std::env::var_os(WRITE).is_some() {
        // A stray variable in someone's environment must not turn the comparison into a
        // rewrite that passes: only the script, which also sets the confirmation, writes.
        let confirmed = std::env::var(WRITE_CONFIRM).is_ok_and(|v| v == WRITE_CONFIRM_VALUE);
        assert!(
            confirmed,
            "{WRITE} is set: the golden vectors were not compared. Rewrite them with \
             scripts/golden-write.sh, or unset {WRITE}"
        );
        std::fs::write(golden_path(), &text).expect("write the golden file");
        return;
    }
    let golden = std::fs::read_to_string(golden_path()).expect("tests/data/golden.txt");
    for (line, expected) in text.lines().zip(golden.lines()) {
        let name = line.split(':').next().unwrap_or("");
        assert_eq!(
            line, expected,
            "vector {name} differs from tests/data/golden.txt"
        );
    }
    assert_eq!(
        text.lines().count(),
        golden.lines().count(),
        "a different set of vectors"
    );
}

/// Decrypts with libsodium directly: the original ChaCha20-Poly1305, 8-byte nonce = sequence.
fn decrypt(ciphertext: &[u8], additional: &[u8], sequence: u64, key: &[u8; 32]) -> Vec<u8> {
    let mut plain = vec![0u8; ciphertext.len()];
    let mut length = 0u64;
    let nonce = sequence.to_le_bytes();
    // SAFETY: valid buffers of the lengths passed; libsodium writes at most ciphertext.len() bytes.
    let result = unsafe {
        libsodium_sys::crypto_aead_chacha20poly1305_decrypt(
            plain.as_mut_ptr(),
            &mut length,
            std::ptr::null_mut(),
            ciphertext.as_ptr(),
            ciphertext.len() as u64,
            additional.as_ptr(),
            additional.len() as u64,
            nonce.as_ptr(),
            key.as_ptr(),
        )
    };
    assert_eq!(result, 0, "does not decrypt as STANDARD.md says");
    plain.truncate(length as usize);
    plain
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap())
}

/// Checks an address as STANDARD.md lays it out, with the C's type values (WIRE.md): returns
/// the bytes after it.
fn check_addresses(bytes: &[u8]) -> &[u8] {
    assert_eq!(
        u32::from_le_bytes(bytes[..4].try_into().unwrap()),
        2,
        "num server addresses"
    );
    assert_eq!(
        bytes[4], 1,
        "IPv4 address type (STANDARD.md says 0; the C writes 1)"
    );
    assert_eq!(&bytes[5..9], &[127, 0, 0, 1]);
    assert_eq!(u16::from_le_bytes([bytes[9], bytes[10]]), 40000);
    assert_eq!(
        bytes[11], 2,
        "IPv6 address type (STANDARD.md says 1; the C writes 2)"
    );
    let groups: Vec<u16> = bytes[12..28]
        .chunks(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]))
        .collect();
    assert_eq!(
        groups,
        [0x2001, 0xdb8, 0, 0, 0, 0, 0, 7],
        "IPv6 as eight little-endian uint16"
    );
    assert_eq!(u16::from_le_bytes([bytes[28], bytes[29]]), 40001);
    &bytes[30..]
}

#[test]
fn connect_token_layout_follows_the_standard() {
    let v = vectors();
    let token = &v["connect_token"];
    assert_eq!(token.len(), 2048);
    assert_eq!(&token[..13], VERSION);
    assert_eq!(u64_at(token, 13), PROTOCOL_ID);
    assert_eq!(u64_at(token, 21), CREATE);
    assert_eq!(u64_at(token, 29), EXPIRE);
    assert_eq!(u64_at(token, 37), TOKEN_SEQUENCE);
    assert_eq!(&token[45..1069], &v["connect_token_private"][..]);
    let rest = check_addresses(&token[1069..]);
    assert_eq!(&rest[..32], &CLIENT_TO_SERVER_KEY);
    assert_eq!(&rest[32..64], &SERVER_TO_CLIENT_KEY);
    assert_eq!(
        u32::from_le_bytes(rest[64..68].try_into().unwrap()),
        5,
        "timeout seconds"
    );
    assert!(
        rest[68..].iter().all(|&b| b == 0),
        "zero padding to 2048 bytes"
    );

    // The private part: 1008 encrypted bytes and the MAC; associated data version, protocol, expiry.
    let mut additional = VERSION.to_vec();
    additional.extend_from_slice(&PROTOCOL_ID.to_le_bytes());
    additional.extend_from_slice(&EXPIRE.to_le_bytes());
    let private = decrypt(
        &v["connect_token_private"],
        &additional,
        TOKEN_SEQUENCE,
        &PRIVATE_KEY,
    );
    assert_eq!(private.len(), 1008);
    assert_eq!(u64_at(&private, 0), CLIENT_ID);
    let rest = check_addresses(&private[8..]);
    assert_eq!(&rest[..32], &CLIENT_TO_SERVER_KEY);
    assert_eq!(&rest[32..64], &SERVER_TO_CLIENT_KEY);
    assert_eq!(&rest[64..320], &user_data()[..]);
    assert!(
        rest[320..].iter().all(|&b| b == 0),
        "zero padding to 1024 bytes"
    );
}

#[test]
fn challenge_token_layout_follows_the_standard() {
    let v = vectors();
    let plain = decrypt(&v["challenge_token"], &[], 9, &CHALLENGE_KEY);
    assert_eq!(plain.len(), 284);
    assert_eq!(u64_at(&plain, 0), CLIENT_ID);
    assert_eq!(&plain[8..264], &user_data()[..]);
    assert!(plain[264..].iter().all(|&b| b == 0));
}

/// An encrypted packet: prefix byte, sequence (low bytes first, high zero bytes left out),
/// then the encrypted data and its MAC, with version, protocol and prefix as associated data.
fn open_packet(packet: &[u8], packet_type: u8, sequence: u64, key: &[u8; 32]) -> Vec<u8> {
    let sequence_bytes = (8 - sequence.leading_zeros() / 8).max(1) as usize;
    assert_eq!(
        packet[0],
        packet_type | (sequence_bytes as u8) << 4,
        "prefix byte"
    );
    assert_eq!(
        &packet[1..1 + sequence_bytes],
        &sequence.to_le_bytes()[..sequence_bytes],
        "sequence bytes"
    );
    let mut additional = VERSION.to_vec();
    additional.extend_from_slice(&PROTOCOL_ID.to_le_bytes());
    additional.push(packet[0]);
    decrypt(&packet[1 + sequence_bytes..], &additional, sequence, key)
}

#[test]
fn packet_layouts_follow_the_standard() {
    let v = vectors();

    let request = &v["packet_request"];
    assert_eq!(request.len(), 1 + 13 + 8 + 8 + 8 + 1024);
    assert_eq!(request[0], 0);
    assert_eq!(&request[1..14], VERSION);
    assert_eq!(u64_at(request, 14), PROTOCOL_ID);
    assert_eq!(u64_at(request, 22), EXPIRE);
    assert_eq!(u64_at(request, 30), TOKEN_SEQUENCE);
    assert_eq!(&request[38..], &v["connect_token_private"][..]);

    assert!(open_packet(&v["packet_denied"], 1, 1 << 63, &SERVER_TO_CLIENT_KEY).is_empty());
    for (name, packet_type, sequence, key) in [
        (
            "packet_challenge",
            2,
            (1u64 << 63) + 1,
            &SERVER_TO_CLIENT_KEY,
        ),
        ("packet_response", 3, 1, &CLIENT_TO_SERVER_KEY),
    ] {
        let plain = open_packet(&v[name], packet_type, sequence, key);
        assert_eq!(plain.len(), 308, "{name}");
        assert_eq!(u64_at(&plain, 0), 9, "{name}: challenge token sequence");
        assert_eq!(
            &plain[8..],
            &v["challenge_token"][..],
            "{name}: encrypted challenge token"
        );
    }
    let keep_alive = open_packet(&v["packet_keep_alive"], 4, 1000, &SERVER_TO_CLIENT_KEY);
    assert_eq!(
        keep_alive,
        [3, 0, 0, 0, 64, 0, 0, 0],
        "client index, max clients"
    );
    // 1000 = 0x3E8: two sequence bytes, E8 03 (STANDARD.md's example says three and 0x8,0xE,0x3).
    assert_eq!(&v["packet_keep_alive"][..3], &[0x24, 0xe8, 0x03]);
    let payload = open_packet(&v["packet_payload"], 5, 0x01_0203, &CLIENT_TO_SERVER_KEY);
    assert_eq!(
        payload,
        (0..1200).map(|i| (i * 7) as u8).collect::<Vec<_>>()
    );
    assert_eq!(
        v["packet_payload"].len(),
        1220,
        "the largest packet: 1 + 3 + 1200 + 16"
    );
    assert!(open_packet(&v["packet_disconnect"], 6, 255, &CLIENT_TO_SERVER_KEY).is_empty());
}

/// A packet is at most 1220 bytes, so the payload it can carry shrinks by a byte for each
/// sequence byte past three (WIRE.md): netcode.c would overflow its buffer, the shim refuses.
#[test]
fn payload_room_shrinks_with_long_sequence_numbers() {
    common::init();
    // SAFETY: a pure function.
    let room = |sequence| unsafe { netcode_sys_max_payload_bytes(NETCODE_SYS_WIRE_100, sequence) };
    assert_eq!(room(0), 1200);
    assert_eq!(room((1 << 24) - 1), 1200);
    assert_eq!(room(1 << 24), 1199);
    assert_eq!(room(1 << 32), 1198);
    assert_eq!(room(u64::MAX), 1195);
    let mut payload = netcode_sys_packet {
        type_: NETCODE_SYS_CONNECTION_PAYLOAD_PACKET,
        payload_bytes: 1200,
        ..Default::default()
    };
    let mut buffer = [0u8; NETCODE_SYS_MAX_PACKET_BYTES as usize];
    // SAFETY: a valid packet, key and buffer; the shim refuses what would not fit.
    let mut written = |packet: &netcode_sys_packet, sequence| unsafe {
        netcode_sys_write_packet(
            NETCODE_SYS_WIRE_100,
            packet,
            sequence,
            CLIENT_TO_SERVER_KEY.as_ptr(),
            PROTOCOL_ID,
            buffer.as_mut_ptr(),
        )
    };
    assert_eq!(written(&payload, 1 << 24), 0);
    payload.payload_bytes = 1199;
    assert_eq!(written(&payload, 1 << 24), 1220);
    // On 1.02 (patch 0025: packets of up to 1300 bytes, as the current reference) the whole
    // payload fits whatever the sequence.
    // SAFETY: a pure function.
    let room_102 =
        |sequence| unsafe { netcode_sys_max_payload_bytes(NETCODE_SYS_WIRE_102, sequence) };
    assert_eq!((room_102(0), room_102(u64::MAX)), (1200, 1200));
}
