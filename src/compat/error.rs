//! The error types of netcode 0.3.1, with its names, variants and `From` conversions; all
//! implement [`std::error::Error`].

use std::fmt;
use std::io;

use crate::limits::NETCODE_MAX_PAYLOAD_SIZE;
use crate::Error;

/// Errors from creating a server with the 0.3.1 API ([`Server::new`](crate::Server::new)).
#[derive(Debug)]
pub enum CreateError {
    /// The address is already in use.
    AddrInUse,
    /// The address is not available on this machine.
    AddrNotAvailable,
    /// Any other failure: another socket error, or an invalid argument (`max_clients`).
    GenericIo(io::Error),
}

impl From<io::Error> for CreateError {
    fn from(err: io::Error) -> CreateError {
        match err.kind() {
            io::ErrorKind::AddrInUse => CreateError::AddrInUse,
            io::ErrorKind::AddrNotAvailable => CreateError::AddrNotAvailable,
            _ => CreateError::GenericIo(err),
        }
    }
}

impl From<Error> for CreateError {
    fn from(err: Error) -> CreateError {
        match err {
            Error::Bind { source, .. } => source.into(),
            other => CreateError::GenericIo(io::Error::new(io::ErrorKind::InvalidInput, other)),
        }
    }
}

impl fmt::Display for CreateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CreateError::AddrInUse => write!(
                f,
                "the server address is already in use; pick another port or use port 0"
            ),
            CreateError::AddrNotAvailable => {
                write!(f, "the server address is not available on this machine; bind one of its own addresses")
            }
            CreateError::GenericIo(err) => write!(f, "cannot create the server: {err}"),
        }
    }
}

impl std::error::Error for CreateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CreateError::GenericIo(err) => Some(err),
            _ => None,
        }
    }
}

/// Errors from [`Server::next_event`](crate::Server::next_event) and
/// [`Client::next_event`](crate::Client::next_event) (0.3.1 API). The reference C reports no
/// errors while updating, so these are kept for compatibility and not returned today.
#[derive(Debug)]
pub enum UpdateError {
    /// The buffer passed to `next_event` is smaller than [`NETCODE_MAX_PAYLOAD_SIZE`].
    PacketBufferTooSmall,
    /// Receiving a packet failed.
    RecvError(RecvError),
    /// Sending a packet failed.
    SendError(SendError),
    /// An internal error.
    Internal(InternalError),
}

/// Internal errors (0.3.1 API); not returned by this implementation.
#[derive(Debug)]
pub enum InternalError {
    /// A challenge token could not be encoded.
    ChallengeEncodeError(ChallengeEncodeError),
}

/// Errors from sending (0.3.1 API).
#[derive(Debug)]
pub enum SendError {
    /// No connected client has this id.
    InvalidClientId,
    /// A packet could not be encoded (for a client: its connect token cannot be written).
    PacketEncodeError(PacketError),
    /// The payload is empty or longer than [`NETCODE_MAX_PAYLOAD_SIZE`].
    PacketSize,
    /// A socket error.
    SocketError(io::Error),
    /// The client is not connected.
    Disconnected,
}

/// Errors from receiving (0.3.1 API); not returned by this implementation, which drops
/// invalid and replayed packets inside the C as the reference does.
#[derive(Debug)]
pub enum RecvError {
    /// A packet could not be decoded.
    PacketDecodeError(PacketError),
    /// A packet was a replay.
    DuplicateSequence,
    /// A socket error.
    SocketError(io::Error),
}

/// Why a packet could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketError {
    reason: &'static str,
}

impl PacketError {
    pub(crate) fn new(reason: &'static str) -> PacketError {
        PacketError { reason }
    }
}

/// Why a challenge token could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeEncodeError {
    reason: &'static str,
}

impl From<RecvError> for UpdateError {
    fn from(err: RecvError) -> UpdateError {
        UpdateError::RecvError(err)
    }
}

impl From<SendError> for UpdateError {
    fn from(err: SendError) -> UpdateError {
        UpdateError::SendError(err)
    }
}

impl From<io::Error> for SendError {
    fn from(err: io::Error) -> SendError {
        SendError::SocketError(err)
    }
}

impl From<io::Error> for RecvError {
    fn from(err: io::Error) -> RecvError {
        RecvError::SocketError(err)
    }
}

impl From<PacketError> for SendError {
    fn from(err: PacketError) -> SendError {
        SendError::PacketEncodeError(err)
    }
}

impl From<PacketError> for RecvError {
    fn from(err: PacketError) -> RecvError {
        RecvError::PacketDecodeError(err)
    }
}

impl From<ChallengeEncodeError> for UpdateError {
    fn from(err: ChallengeEncodeError) -> UpdateError {
        UpdateError::Internal(InternalError::ChallengeEncodeError(err))
    }
}

impl fmt::Display for UpdateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpdateError::PacketBufferTooSmall => write!(
                f,
                "the packet buffer is too small; pass a buffer of NETCODE_MAX_PAYLOAD_SIZE ({NETCODE_MAX_PAYLOAD_SIZE}) bytes"
            ),
            UpdateError::RecvError(err) => write!(f, "receiving failed: {err}"),
            UpdateError::SendError(err) => write!(f, "sending failed: {err}"),
            UpdateError::Internal(err) => write!(f, "internal error: {err}"),
        }
    }
}

impl fmt::Display for InternalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InternalError::ChallengeEncodeError(err) => write!(f, "{err}"),
        }
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::InvalidClientId => write!(f, "no connected client has this id"),
            SendError::PacketEncodeError(err) => write!(f, "{err}"),
            SendError::PacketSize => write!(
                f,
                "payloads are 1 to {NETCODE_MAX_PAYLOAD_SIZE} bytes; split larger messages"
            ),
            SendError::SocketError(err) => write!(f, "socket error: {err}"),
            SendError::Disconnected => write!(
                f,
                "not connected; wait for the Connected state before sending"
            ),
        }
    }
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvError::PacketDecodeError(err) => write!(f, "{err}"),
            RecvError::DuplicateSequence => write!(f, "the packet was already received (replay)"),
            RecvError::SocketError(err) => write!(f, "socket error: {err}"),
        }
    }
}

impl fmt::Display for PacketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "packet error: {}", self.reason)
    }
}

impl fmt::Display for ChallengeEncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "challenge token error: {}", self.reason)
    }
}

impl std::error::Error for UpdateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            UpdateError::RecvError(err) => Some(err),
            UpdateError::SendError(err) => Some(err),
            UpdateError::Internal(err) => Some(err),
            UpdateError::PacketBufferTooSmall => None,
        }
    }
}

impl std::error::Error for InternalError {}

impl std::error::Error for SendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SendError::SocketError(err) => Some(err),
            SendError::PacketEncodeError(err) => Some(err),
            _ => None,
        }
    }
}

impl std::error::Error for RecvError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RecvError::SocketError(err) => Some(err),
            RecvError::PacketDecodeError(err) => Some(err),
            RecvError::DuplicateSequence => None,
        }
    }
}

impl std::error::Error for PacketError {}

impl std::error::Error for ChallengeEncodeError {}
