//! Raw bindings to the netcode.io reference C implementation, pinned to commit
//! `a6da210d6fdd7f7ac8dd7a80ea91f91b5849a63f` (protocol `NETCODE 1.00`).
//!
//! This crate compiles the reference's `netcode.c`, from sources whose SHA-256 the build
//! checks, with a small patch set of our own (`patches/`, each documented there, all listed
//! with their tests in the repository's REFERENCE.md) and a shim (`csrc/netcode_sys.c`) that
//! reaches what `netcode.h` does not declare: events recorded where they happen and the
//! sessions of connected clients (patch 0008), the per-thread log buffer, the network
//! simulator, and connect tokens with chosen fields.
//! libsodium comes from `libsodium-sys-stable` (built from its signature-checked source, or
//! the system's with the `system-libsodium` feature).
//!
//! Everything here is `unsafe` and checks nothing: the C `assert`s on misuse (in builds with
//! debug assertions; in others misuse is undefined behaviour). The `netcode` crate is the safe
//! API over it.
//!
//! The C conventions hold: functions return `1` for success and `0` for failure; received
//! packets are heap blocks that go back through `netcode_client_free_packet` /
//! `netcode_server_free_packet`; `netcode_init` must be called exactly once per process before
//! anything else.
#![no_std]
#![allow(non_camel_case_types, non_upper_case_globals, non_snake_case)]

// Links libsodium, which netcode.c calls.
use libsodium_sys as _;

// The committed bindings are used unless `buildtime-bindgen` generates them in OUT_DIR;
// scripts/bindings.sh regenerates the committed file and checks it is current.
#[cfg(feature = "buildtime-bindgen")]
include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
#[cfg(not(feature = "buildtime-bindgen"))]
include!("bindings.rs");

// Zeroed values of the shim's structs, written out so that no unsafe zeroing is needed.

const NO_ADDRESS: netcode_sys_address = netcode_sys_address {
    type_: 0,
    ipv4: [0; 4],
    ipv6: [0; 8],
    port: 0,
};
const MAX_SERVERS: usize = NETCODE_MAX_SERVERS_PER_CONNECT as usize;
const KEY_BYTES: usize = NETCODE_KEY_BYTES as usize;

impl Default for netcode_sys_address {
    fn default() -> Self {
        NO_ADDRESS
    }
}

impl Default for netcode_sys_connect_token_private {
    fn default() -> Self {
        netcode_sys_connect_token_private {
            client_id: 0,
            num_server_addresses: 0,
            server_addresses: [NO_ADDRESS; MAX_SERVERS],
            client_to_server_key: [0; KEY_BYTES],
            server_to_client_key: [0; KEY_BYTES],
            user_data: [0; NETCODE_SYS_USER_DATA_BYTES as usize],
            timeout_seconds: 0,
        }
    }
}

impl Default for netcode_sys_connect_token {
    fn default() -> Self {
        netcode_sys_connect_token {
            wire: NETCODE_SYS_WIRE_100,
            protocol_id: 0,
            create_timestamp: 0,
            expire_timestamp: 0,
            nonce: [0; NETCODE_SYS_TOKEN_NONCE_BYTES as usize],
            private_data: [0; NETCODE_SYS_CONNECT_TOKEN_PRIVATE_BYTES as usize],
            num_server_addresses: 0,
            server_addresses: [NO_ADDRESS; MAX_SERVERS],
            client_to_server_key: [0; KEY_BYTES],
            server_to_client_key: [0; KEY_BYTES],
            timeout_seconds: 0,
        }
    }
}

impl Default for netcode_sys_packet {
    fn default() -> Self {
        netcode_sys_packet {
            type_: 0,
            connect_token_expire_timestamp: 0,
            connect_token_nonce: [0; NETCODE_SYS_TOKEN_NONCE_BYTES as usize],
            connect_token_data: [0; NETCODE_SYS_CONNECT_TOKEN_PRIVATE_BYTES as usize],
            challenge_token_sequence: 0,
            challenge_token_data: [0; NETCODE_SYS_CHALLENGE_TOKEN_BYTES as usize],
            client_index: 0,
            max_clients: 0,
            payload_bytes: 0,
            payload_data: [0; NETCODE_MAX_PACKET_SIZE as usize],
        }
    }
}

impl Default for netcode_sys_client_info {
    fn default() -> Self {
        netcode_sys_client_info {
            client_id: 0,
            session: 0,
            address: NO_ADDRESS,
        }
    }
}
