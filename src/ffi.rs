//! Small helpers for calls into the C: argument checks and what the shim's results mean.

use std::net::{SocketAddr, UdpSocket};
use std::os::raw::c_int;

use netcode_sys as raw;

use crate::limits::NETCODE_MAX_PAYLOAD_SIZE;
use crate::Error;

/// A payload the C accepts: 1 to [`NETCODE_MAX_PAYLOAD_SIZE`] bytes (it asserts otherwise).
pub(crate) fn check_payload(payload: &[u8]) -> Result<(), Error> {
    if payload.is_empty() || payload.len() > NETCODE_MAX_PAYLOAD_SIZE {
        Err(Error::InvalidPayloadSize(payload.len()))
    } else {
        Ok(())
    }
}

/// The result of the shim's checked send: sent, not connected (`not_connected`), or the room
/// the packet had (netcode.c would have overflowed its buffer).
pub(crate) fn sent(result: c_int, len: usize, not_connected: Error) -> Result<(), Error> {
    match result {
        raw::NETCODE_SYS_SENT => Ok(()),
        raw::NETCODE_SYS_NOT_CONNECTED => Err(not_connected),
        room => Err(Error::PayloadTooLongForSequence {
            len,
            max: usize::try_from(room).unwrap_or(0),
        }),
    }
}

/// The C does not say why it could not bind; binding the same address with std does.
pub(crate) fn bind_error(address: SocketAddr) -> Error {
    let source = match UdpSocket::bind(address) {
        Err(err) => err,
        Ok(_) => std::io::Error::other("the reference C could not set up its socket"),
    };
    Error::Bind { address, source }
}
