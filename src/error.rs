//! The one error of the idiomatic API: [`Error`], and its [`Result`].
//!
//! Every fallible call of [`NetcodeServer`](crate::NetcodeServer),
//! [`NetcodeClient`](crate::NetcodeClient) and [`NetworkSimulator`](crate::NetworkSimulator)
//! returns it; each message says what went wrong and what to do. The 0.3.1 API keeps its own
//! error types ([`compat`](crate::compat)).

use std::fmt;
use std::io;
use std::net::SocketAddr;

use crate::limits::{
    NETCODE_MAX_CLIENTS, NETCODE_MAX_PAYLOAD_SIZE, NETCODE_MAX_SERVERS_PER_CONNECT,
};
use crate::server::Session;

/// The result of the idiomatic API's calls.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong in the idiomatic API, and what to do about it.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// libsodium could not be initialized (it found no source of randomness).
    Init,
    /// `max_clients` was not within `1..=NETCODE_MAX_CLIENTS`.
    InvalidMaxClients(usize),
    /// A payload was empty or longer than [`NETCODE_MAX_PAYLOAD_SIZE`].
    InvalidPayloadSize(usize),
    /// The payload does not fit in a packet with the connection's current sequence number: past
    /// 2^24 packets a sequence number takes more bytes, and a packet is at most
    /// [`NETCODE_MAX_PACKET_SIZE`](crate::NETCODE_MAX_PACKET_SIZE) bytes.
    PayloadTooLongForSequence {
        /// The payload's length.
        len: usize,
        /// The most this connection can send now (1195 to 1199).
        max: usize,
    },
    /// The client of this session is not connected any more (it left, timed out or was
    /// disconnected), or never was.
    ClientNotConnected(Session),
    /// The client is not connected, so it cannot send.
    NotConnected,
    /// A server's public address (the one its tokens list, which clients send to) is
    /// unspecified (`0.0.0.0`, `[::]`).
    UnspecifiedPublicAddress(SocketAddr),
    /// None of the token's servers has the address family of the client's socket, which can
    /// only send to that family.
    AddressFamilyMismatch {
        /// The address the client is bound to.
        bound: SocketAddr,
    },
    /// A socket could not be bound to this address.
    Bind {
        /// The address asked for.
        address: SocketAddr,
        /// Why, as the operating system says it.
        source: io::Error,
    },
    /// A client over the simulator needs an address with a port other than 0.
    SimulatedAddressNeedsPort(SocketAddr),
    /// A network simulator setting was out of range.
    InvalidSimulatorSetting(&'static str),
    /// This client already connected with this token. A token opens one session: a second one
    /// would reuse its keys with the same packet sequence numbers (AEAD nonces). Get a new token.
    TokenAlreadyUsed,
    /// The C could not allocate a client or server.
    OutOfMemory,
    /// A connect token cannot be used (the C cannot read or write it, or a field is out of
    /// range); the text says which field is wrong.
    InvalidToken(&'static str),
    /// A token lists 1 to [`NETCODE_MAX_SERVERS_PER_CONNECT`]
    /// servers; this many were given.
    ServerAddressCount(usize),
    /// A [`TokenSettings`](crate::TokenSettings) value is out of range; the text says which.
    InvalidTokenSetting(&'static str),
    /// A token's private part did not decrypt with this key: the token was made with another
    /// private key or for another protocol id, or it was altered.
    TokenDoesNotDecrypt,
    /// A protocol version was named that this crate does not speak (it speaks 1.00 and 1.02).
    UnknownVersion,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Init => write!(
                f,
                "libsodium failed to initialize; check that the system provides randomness \
                 (/dev/urandom or getrandom)"
            ),
            Error::InvalidMaxClients(n) => write!(
                f,
                "max_clients is {n}; the reference supports 1 to {NETCODE_MAX_CLIENTS} clients per server"
            ),
            Error::InvalidPayloadSize(n) => write!(
                f,
                "a payload of {n} bytes cannot be sent; payloads are 1 to {NETCODE_MAX_PAYLOAD_SIZE} bytes, \
                 so split larger messages"
            ),
            Error::PayloadTooLongForSequence { len, max } => write!(
                f,
                "a payload of {len} bytes no longer fits in a packet on this connection: after 2^24 \
                 packets its sequence numbers are longer, leaving room for {max} bytes; send at most that"
            ),
            Error::ClientNotConnected(session) => write!(
                f,
                "the client of session {session} is not connected any more (it left, timed out or \
                 was disconnected); sessions are never reused, so drop it when its Disconnected \
                 event arrives"
            ),
            Error::NotConnected => write!(
                f,
                "the client is not connected; wait until state() is Connected before sending"
            ),
            Error::UnspecifiedPublicAddress(address) => write!(
                f,
                "the public address {address} is unspecified, so no client could reach the \
                 servers its tokens name; bind it if you like, but set ServerConfig::public_address \
                 to the address clients reach the server at"
            ),
            Error::AddressFamilyMismatch { bound } => write!(
                f,
                "the client is bound to {bound}, but none of the token's servers has that address \
                 family; bind 0.0.0.0:0 for IPv4 servers or [::]:0 for IPv6 ones"
            ),
            Error::Bind { address, source } => write!(f, "cannot bind a UDP socket to {address}: {source}"),
            Error::SimulatedAddressNeedsPort(address) => write!(
                f,
                "{address} has port 0; over the network simulator an address is only a name, so give it a port"
            ),
            Error::InvalidSimulatorSetting(what) => write!(f, "invalid network simulator setting: {what}"),
            Error::TokenAlreadyUsed => write!(
                f,
                "this connect token was already used by this client; a token opens one session \
                 (reusing it would reuse encryption nonces), so get a new token from the backend"
            ),
            Error::OutOfMemory => write!(f, "the reference C could not allocate memory"),
            Error::InvalidToken(what) => write!(
                f,
                "the connect token cannot be used: {what}; make tokens with a TokenGenerator"
            ),
            Error::ServerAddressCount(n) => write!(
                f,
                "a connect token lists 1 to {NETCODE_MAX_SERVERS_PER_CONNECT} server addresses, not {n}"
            ),
            Error::InvalidTokenSetting(what) => write!(f, "invalid token setting: {what}"),
            Error::TokenDoesNotDecrypt => write!(
                f,
                "the token's private part does not decrypt with this key: it was made with another \
                 private key or protocol id, or altered; check that the backend and the servers \
                 share both"
            ),
            Error::UnknownVersion => write!(
                f,
                "unknown netcode.io protocol version: this crate speaks 1.00 and 1.02 (1.02 \
                 unless the peer is netcode 0.3.1 or the 2017 reference C)"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Bind { source, .. } => Some(source),
            _ => None,
        }
    }
}
