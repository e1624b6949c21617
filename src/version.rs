//! The two versions of the netcode.io protocol this crate speaks.

use std::fmt;
use std::str::FromStr;

use netcode_sys as raw;

use crate::Error;

/// A version of the netcode.io wire format. A server speaks the one it is configured with
/// ([`ServerConfig::version`](crate::ServerConfig::version)); a client the one of the token it
/// is given ([`Token::version`](crate::Token::version)). One process can run both.
///
/// - [`Version::V1_02`], the default: what every living implementation speaks (the current
///   reference C, yojimbo, netcode-official, renetcode, netcode-rs, the Go and C# ports). Each
///   token's private part is sealed under a random 24-byte nonce, and the timeout is the
///   token's, on both sides.
/// - [`Version::V1_00`]: the 2017 reference C this crate is built on, as netcode 0.3.1 and the
///   programs of that C speak it. The 0.3.1 API speaks only this.
///
/// ```
/// use netcode::Version;
///
/// assert_eq!(Version::default(), Version::V1_02);
/// assert_eq!("1.00".parse::<Version>()?, Version::V1_00);
/// assert_eq!(Version::V1_02.to_string(), "NETCODE 1.02");
/// # Ok::<(), netcode::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Version {
    /// "NETCODE 1.00", as the pinned 2017 reference writes it.
    V1_00,
    /// "NETCODE 1.02", as every current implementation writes it.
    #[default]
    V1_02,
}

impl Version {
    /// The version info every token and packet of this version carries (13 bytes, with the
    /// closing NUL).
    pub fn version_info(self) -> &'static [u8; 13] {
        match self {
            Version::V1_00 => b"NETCODE 1.00\0",
            Version::V1_02 => b"NETCODE 1.02\0",
        }
    }

    /// The shim's number for it.
    pub(crate) fn to_raw(self) -> i32 {
        match self {
            Version::V1_00 => raw::NETCODE_SYS_WIRE_100,
            Version::V1_02 => raw::NETCODE_SYS_WIRE_102,
        }
    }

    /// The version the shim's number names.
    pub(crate) fn from_raw(wire: i32) -> Option<Version> {
        match wire {
            raw::NETCODE_SYS_WIRE_100 => Some(Version::V1_00),
            raw::NETCODE_SYS_WIRE_102 => Some(Version::V1_02),
            _ => None,
        }
    }
}

impl fmt::Display for Version {
    /// `NETCODE 1.00` or `NETCODE 1.02`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let info = self.version_info();
        f.write_str(std::str::from_utf8(&info[..12]).unwrap_or("NETCODE"))
    }
}

impl FromStr for Version {
    type Err = Error;

    /// `1.00` or `1.02` (with or without the leading `NETCODE `).
    fn from_str(text: &str) -> Result<Version, Error> {
        match text.trim().trim_start_matches("NETCODE ") {
            "1.00" => Ok(Version::V1_00),
            "1.02" => Ok(Version::V1_02),
            _ => Err(Error::UnknownVersion),
        }
    }
}
