//! NETCODE 1.02 byte for byte against the current reference C: netcode-official 1.0.0 (a
//! dev-dependency) ships, in its `tests/vectors/`, every token and packet type as the reference
//! C 1.02 wrote them from fixed inputs (listed in its `src/wire_compat.rs`). From the same
//! inputs, the pinned C with patch 0025 writes each file exactly, and reads each back to the
//! inputs. The files reach this test through cargo's copy of that package (never committed).

mod common;

use std::path::PathBuf;

use netcode_sys::*;

const WIRE: i32 = NETCODE_SYS_WIRE_102;
const PROTOCOL_ID: u64 = 0x1122_3344_5566_7788;
const CLIENT_ID: u64 = 0x0102_0304_0506_0708;
const TIMEOUT_SECONDS: i32 = 15;
const CREATE: u64 = 1_720_000_000;
const EXPIRE: u64 = 1_720_000_100;
const CHALLENGE_SEQUENCE: u64 = 1000;
const PACKET_SEQUENCE: u64 = 0x11_2233_4455;
const PRIVATE_KEY: [u8; 32] = [
    0x60, 0x6a, 0xbe, 0x6e, 0xc9, 0x19, 0x10, 0xea, 0x9a, 0x65, 0x62, 0xf6, 0x6f, 0x2b, 0x30, 0xe4,
    0x43, 0x71, 0xd6, 0x2c, 0xd1, 0x99, 0x27, 0x26, 0x6b, 0x3c, 0x60, 0xf4, 0xb7, 0x15, 0xab, 0xa1,
];

fn client_to_server_key() -> [u8; 32] {
    std::array::from_fn(|i| i as u8)
}

fn server_to_client_key() -> [u8; 32] {
    std::array::from_fn(|i| 255 - i as u8)
}

fn challenge_key() -> [u8; 32] {
    std::array::from_fn(|i| (i * 2) as u8)
}

fn packet_key() -> [u8; 32] {
    std::array::from_fn(|i| (i + 17) as u8)
}

fn user_data() -> [u8; 256] {
    std::array::from_fn(|i| i as u8)
}

fn nonce() -> [u8; 24] {
    std::array::from_fn(|i| (100 + i) as u8)
}

/// 127.0.0.1:40000 and [::1]:50000, as netcode.c keeps addresses.
fn addresses() -> [netcode_sys_address; 2] {
    [
        netcode_sys_address {
            type_: NETCODE_SYS_ADDRESS_IPV4 as u8,
            ipv4: [127, 0, 0, 1],
            ipv6: [0; 8],
            port: 40000,
        },
        netcode_sys_address {
            type_: NETCODE_SYS_ADDRESS_IPV6 as u8,
            ipv4: [0; 4],
            ipv6: [0, 0, 0, 0, 0, 0, 0, 1],
            port: 50000,
        },
    ]
}

fn same_address(a: &netcode_sys_address, b: &netcode_sys_address) -> bool {
    (a.type_, a.port) == (b.type_, b.port)
        && match i32::from(a.type_) {
            NETCODE_SYS_ADDRESS_IPV4 => a.ipv4 == b.ipv4,
            _ => a.ipv6 == b.ipv6,
        }
}

/// netcode-official 1.0.0's `tests/vectors`, in cargo's copy of the package: as a
/// dev-dependency it was downloaded and unpacked under `$CARGO_HOME/registry/src/<registry>/`
/// before this test was built.
fn vectors_dir() -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .expect("CARGO_HOME or HOME");
    let registries = home.join("registry").join("src");
    std::fs::read_dir(&registries)
        .unwrap_or_else(|e| panic!("read {}: {e}", registries.display()))
        .filter_map(|entry| {
            Some(
                entry
                    .ok()?
                    .path()
                    .join("netcode-official-1.0.0/tests/vectors"),
            )
        })
        .find(|dir| dir.is_dir())
        .unwrap_or_else(|| {
            panic!(
                "netcode-official 1.0.0 is not unpacked under {}",
                registries.display()
            )
        })
}

fn vector(name: &str) -> Vec<u8> {
    let path = vectors_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn private_part() -> netcode_sys_connect_token_private {
    let [v4, v6] = addresses();
    let mut private = netcode_sys_connect_token_private {
        client_id: CLIENT_ID,
        num_server_addresses: 2,
        client_to_server_key: client_to_server_key(),
        server_to_client_key: server_to_client_key(),
        user_data: user_data(),
        timeout_seconds: TIMEOUT_SECONDS,
        ..Default::default()
    };
    private.server_addresses[0] = v4;
    private.server_addresses[1] = v6;
    private
}

fn encrypted_private_part() -> [u8; 1024] {
    let mut data = [0; 1024];
    // SAFETY: a valid struct and a 1024-byte buffer.
    assert_eq!(
        unsafe {
            netcode_sys_write_connect_token_private(WIRE, &private_part(), data.as_mut_ptr())
        },
        1
    );
    // SAFETY: a 1024-byte buffer, a 24-byte nonce and a 32-byte key.
    let sealed = unsafe {
        netcode_sys_encrypt_connect_token_data(
            WIRE,
            data.as_mut_ptr(),
            PROTOCOL_ID,
            EXPIRE,
            nonce().as_ptr(),
            PRIVATE_KEY.as_ptr(),
        )
    };
    assert_eq!(sealed, 1);
    data
}

fn init() {
    common::init();
}

#[test]
fn private_token_plaintext_and_ciphertext() {
    init();
    let mut plain = [0; 1024];
    // SAFETY: as in encrypted_private_part.
    assert_eq!(
        unsafe {
            netcode_sys_write_connect_token_private(WIRE, &private_part(), plain.as_mut_ptr())
        },
        1
    );
    assert_eq!(
        plain.as_slice(),
        vector("private_connect_token_plaintext.bin"),
        "private part, plaintext"
    );
    assert_eq!(
        encrypted_private_part().as_slice(),
        vector("private_connect_token_encrypted.bin"),
        "private part, encrypted"
    );

    // Read back: the reference's ciphertext decrypts and reads to the inputs.
    let mut token = netcode_sys_connect_token {
        wire: WIRE,
        protocol_id: PROTOCOL_ID,
        expire_timestamp: EXPIRE,
        nonce: nonce(),
        ..Default::default()
    };
    token
        .private_data
        .copy_from_slice(&vector("private_connect_token_encrypted.bin"));
    let mut read = netcode_sys_connect_token_private::default();
    // SAFETY: valid structs and a 32-byte key.
    assert_eq!(
        unsafe {
            netcode_sys_decrypt_connect_token_private(&token, PRIVATE_KEY.as_ptr(), &mut read)
        },
        1
    );
    let expected = private_part();
    assert_eq!(
        (
            read.client_id,
            read.timeout_seconds,
            read.num_server_addresses
        ),
        (CLIENT_ID, TIMEOUT_SECONDS, 2)
    );
    assert!(same_address(
        &read.server_addresses[0],
        &expected.server_addresses[0]
    ));
    assert!(same_address(
        &read.server_addresses[1],
        &expected.server_addresses[1]
    ));
    assert_eq!(read.client_to_server_key, expected.client_to_server_key);
    assert_eq!(read.server_to_client_key, expected.server_to_client_key);
    assert_eq!(read.user_data, expected.user_data);

    // Bound to its associated data: another protocol id does not decrypt.
    token.protocol_id ^= 1;
    // SAFETY: as above.
    assert_eq!(
        unsafe {
            netcode_sys_decrypt_connect_token_private(&token, PRIVATE_KEY.as_ptr(), &mut read)
        },
        0
    );
}

#[test]
fn connect_token() {
    init();
    let [v4, v6] = addresses();
    let mut token = netcode_sys_connect_token {
        wire: WIRE,
        protocol_id: PROTOCOL_ID,
        create_timestamp: CREATE,
        expire_timestamp: EXPIRE,
        nonce: nonce(),
        private_data: encrypted_private_part(),
        num_server_addresses: 2,
        client_to_server_key: client_to_server_key(),
        server_to_client_key: server_to_client_key(),
        timeout_seconds: TIMEOUT_SECONDS,
        ..Default::default()
    };
    token.server_addresses[0] = v4;
    token.server_addresses[1] = v6;
    let mut bytes = [0; 2048];
    // SAFETY: a valid struct and a 2048-byte buffer.
    assert_eq!(
        unsafe { netcode_sys_write_connect_token(&token, bytes.as_mut_ptr()) },
        1
    );
    assert_eq!(bytes.as_slice(), vector("connect_token.bin"));

    let file = vector("connect_token.bin");
    let mut read = netcode_sys_connect_token::default();
    // SAFETY: the buffer and its length; the C writes only `read`.
    assert_eq!(
        unsafe { netcode_sys_read_connect_token(file.as_ptr(), file.len() as i32, &mut read) },
        1
    );
    assert_eq!(
        (
            read.wire,
            read.protocol_id,
            read.create_timestamp,
            read.expire_timestamp
        ),
        (WIRE, PROTOCOL_ID, CREATE, EXPIRE)
    );
    assert_eq!(
        (read.nonce, read.timeout_seconds, read.num_server_addresses),
        (nonce(), TIMEOUT_SECONDS, 2)
    );
    assert_eq!(read.private_data, token.private_data);
    assert!(
        same_address(&read.server_addresses[0], &v4)
            && same_address(&read.server_addresses[1], &v6)
    );
    assert_eq!(
        (read.client_to_server_key, read.server_to_client_key),
        (client_to_server_key(), server_to_client_key())
    );
}

#[test]
fn challenge_token() {
    init();
    let mut bytes = [0; 300];
    // SAFETY: 256 bytes of user data, a 32-byte key and a 300-byte buffer.
    let written = unsafe {
        netcode_sys_write_challenge_token(
            WIRE,
            CLIENT_ID,
            user_data().as_ptr(),
            CHALLENGE_SEQUENCE,
            challenge_key().as_ptr(),
            bytes.as_mut_ptr(),
        )
    };
    assert_eq!(written, 1);
    assert_eq!(bytes.as_slice(), vector("challenge_token_encrypted.bin"));

    let file = vector("challenge_token_encrypted.bin");
    let (mut client_id, mut data) = (0, [0; 256]);
    // SAFETY: a 300-byte token, a 32-byte key and room for the id and 256 bytes.
    let read = unsafe {
        netcode_sys_read_challenge_token(
            WIRE,
            file.as_ptr(),
            CHALLENGE_SEQUENCE,
            challenge_key().as_ptr(),
            &mut client_id,
            data.as_mut_ptr(),
        )
    };
    assert_eq!((read, client_id, data), (1, CLIENT_ID, user_data()));
}

/// Writes `packet`, compares with the vector, reads the vector back (as a server, with the
/// private key, so requests too) and returns what was read.
fn packet_round_trip(packet: &netcode_sys_packet, name: &str) -> netcode_sys_packet {
    init();
    let mut bytes = [0; NETCODE_SYS_MAX_PACKET_BYTES as usize];
    // SAFETY: a valid packet, a 32-byte key and a buffer of the most a packet takes.
    let length = unsafe {
        netcode_sys_write_packet(
            WIRE,
            packet,
            PACKET_SEQUENCE,
            packet_key().as_ptr(),
            PROTOCOL_ID,
            bytes.as_mut_ptr(),
        )
    };
    assert!(length > 0, "{name}: not written");
    let file = vector(name);
    assert_eq!(
        &bytes[..length as usize],
        file.as_slice(),
        "{name}: written bytes differ from the reference's"
    );

    let (mut read, mut sequence) = (netcode_sys_packet::default(), 0);
    // SAFETY: the buffer and its length, 32-byte keys; the C writes only `read` and `sequence`.
    let ok = unsafe {
        netcode_sys_read_packet(
            WIRE,
            file.as_ptr(),
            file.len() as i32,
            packet_key().as_ptr(),
            PROTOCOL_ID,
            PRIVATE_KEY.as_ptr(),
            &mut read,
            &mut sequence,
        )
    };
    assert_eq!(ok, 1, "{name}: the reference's bytes do not read");
    assert_eq!(read.type_, packet.type_, "{name}: type");
    if packet.type_ != NETCODE_SYS_CONNECTION_REQUEST_PACKET {
        assert_eq!(sequence, PACKET_SEQUENCE, "{name}: sequence");
    }
    read
}

fn packet(type_: i32) -> netcode_sys_packet {
    netcode_sys_packet {
        type_,
        ..Default::default()
    }
}

#[test]
fn connection_request() {
    let mut request = packet(NETCODE_SYS_CONNECTION_REQUEST_PACKET);
    request.connect_token_expire_timestamp = EXPIRE;
    request.connect_token_nonce = nonce();
    request.connect_token_data = encrypted_private_part();
    let read = packet_round_trip(&request, "packet_request.bin");
    assert_eq!(vector("packet_request.bin").len(), 1078);
    assert_eq!(
        (
            read.connect_token_expire_timestamp,
            read.connect_token_nonce
        ),
        (EXPIRE, nonce())
    );
    // The private part comes back decrypted (the server reads it in place), its MAC after it.
    let plain = vector("private_connect_token_plaintext.bin");
    assert_eq!(&read.connect_token_data[..1008], &plain[..1008]);
    assert_eq!(
        &read.connect_token_data[1008..],
        &encrypted_private_part()[1008..]
    );
}

#[test]
fn connection_denied_and_disconnect() {
    packet_round_trip(
        &packet(NETCODE_SYS_CONNECTION_DENIED_PACKET),
        "packet_denied.bin",
    );
    packet_round_trip(
        &packet(NETCODE_SYS_CONNECTION_DISCONNECT_PACKET),
        "packet_disconnect.bin",
    );
}

#[test]
fn connection_challenge_and_response() {
    for (type_, name) in [
        (
            NETCODE_SYS_CONNECTION_CHALLENGE_PACKET,
            "packet_challenge.bin",
        ),
        (
            NETCODE_SYS_CONNECTION_RESPONSE_PACKET,
            "packet_response.bin",
        ),
    ] {
        let mut challenge = packet(type_);
        challenge.challenge_token_sequence = CHALLENGE_SEQUENCE;
        challenge
            .challenge_token_data
            .copy_from_slice(&vector("challenge_token_encrypted.bin"));
        let read = packet_round_trip(&challenge, name);
        assert_eq!(read.challenge_token_sequence, CHALLENGE_SEQUENCE);
        assert_eq!(read.challenge_token_data, challenge.challenge_token_data);
    }
}

#[test]
fn connection_keep_alive() {
    let mut keep_alive = packet(NETCODE_SYS_CONNECTION_KEEP_ALIVE_PACKET);
    keep_alive.client_index = 7;
    keep_alive.max_clients = 32;
    let read = packet_round_trip(&keep_alive, "packet_keep_alive.bin");
    assert_eq!((read.client_index, read.max_clients), (7, 32));
}

#[test]
fn connection_payload() {
    let mut payload = packet(NETCODE_SYS_CONNECTION_PAYLOAD_PACKET);
    payload.payload_bytes = 1200;
    for (i, byte) in payload.payload_data[..1200].iter_mut().enumerate() {
        *byte = i as u8;
    }
    let read = packet_round_trip(&payload, "packet_payload.bin");
    assert_eq!(read.payload_bytes, 1200);
    assert_eq!(read.payload_data[..1200], payload.payload_data[..1200]);
}

/// The same packet on 1.00 is not the reference 1.02's: the wire really changed.
#[test]
fn the_1_00_wire_writes_other_bytes() {
    init();
    let mut bytes = [0; NETCODE_SYS_MAX_PACKET_BYTES as usize];
    let keep_alive = netcode_sys_packet {
        type_: NETCODE_SYS_CONNECTION_KEEP_ALIVE_PACKET,
        client_index: 7,
        max_clients: 32,
        ..Default::default()
    };
    // SAFETY: as in packet_round_trip.
    let length = unsafe {
        netcode_sys_write_packet(
            NETCODE_SYS_WIRE_100,
            &keep_alive,
            PACKET_SEQUENCE,
            packet_key().as_ptr(),
            PROTOCOL_ID,
            bytes.as_mut_ptr(),
        )
    };
    let file = vector("packet_keep_alive.bin");
    assert_eq!(length as usize, file.len());
    assert_ne!(&bytes[..length as usize], file.as_slice());
}
