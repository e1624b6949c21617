//! The reference's limits, as `usize` constants (the 0.3.1 API's names). Nothing here
//! depends on the rest of the crate.

use netcode_sys as raw;

/// The largest NETCODE 1.00 datagram on the wire, in bytes: a payload with its header,
/// sequence and MAC. (0.3.1 said 1200; the pinned reference's packets are up to 1220. The C
/// header's own `NETCODE_MAX_PACKET_SIZE`, 1200, is the payload limit:
/// [`NETCODE_MAX_PAYLOAD_SIZE`].) NETCODE 1.02 packets may be up to 1300 bytes (the current
/// reference's limit), so that a 1200-byte payload fits whatever the sequence; the C reads
/// datagrams of up to 1300 bytes on either version.
pub const NETCODE_MAX_PACKET_SIZE: usize = 1220;

/// The largest payload, in bytes (0.3.1 said 1175; the reference carries 1200).
pub const NETCODE_MAX_PAYLOAD_SIZE: usize = raw::NETCODE_MAX_PACKET_SIZE as usize;

/// The size of the user data a connect token carries to the server.
pub const NETCODE_USER_DATA_BYTES: usize = raw::NETCODE_SYS_USER_DATA_BYTES as usize;

/// The size of a connect token, as written and sent to a client.
pub const NETCODE_CONNECT_TOKEN_BYTES: usize = raw::NETCODE_CONNECT_TOKEN_BYTES as usize;

/// The size of the encrypted private part of a connect token.
pub const NETCODE_CONNECT_TOKEN_PRIVATE_BYTES: usize =
    raw::NETCODE_SYS_CONNECT_TOKEN_PRIVATE_BYTES as usize;

/// The size of a private key.
pub const NETCODE_KEY_BYTES: usize = raw::NETCODE_KEY_BYTES as usize;

/// The most server addresses a connect token lists (0.3.1 allowed 16; the reference 32).
pub const NETCODE_MAX_SERVERS_PER_CONNECT: usize = raw::NETCODE_MAX_SERVERS_PER_CONNECT as usize;

/// The most client slots a server has.
pub const NETCODE_MAX_CLIENTS: usize = raw::NETCODE_MAX_CLIENTS as usize;

/// Seconds of silence after which either side gives up on the other.
pub const NETCODE_TIMEOUT_SECONDS: u32 = 5;
