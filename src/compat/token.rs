//! netcode 0.3.1's connect token: [`ConnectToken`] with its public fields, its positional
//! `generate`, and the errors of both. The reference's 2048-byte format is written and read by
//! the C (through [`Token`]); this module reads only the shorter format 0.3.1 wrote.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use netcode_sys as raw;

use crate::address;
use crate::init::ensure_init;
use crate::limits::{
    NETCODE_CONNECT_TOKEN_BYTES, NETCODE_CONNECT_TOKEN_PRIVATE_BYTES, NETCODE_KEY_BYTES,
    NETCODE_MAX_SERVERS_PER_CONNECT, NETCODE_TIMEOUT_SECONDS, NETCODE_USER_DATA_BYTES,
};
use crate::token::{now_utc, random_bytes, seal, Token, NONCE_BYTES};
use crate::{Error, Version};

/// The version info at the start of every token: `"NETCODE 1.00"` and its NUL.
const VERSION_INFO: &[u8; 13] = b"NETCODE 1.00\0";

const ADDRESS_IPV4: u8 = raw::NETCODE_SYS_ADDRESS_IPV4 as u8;
const ADDRESS_IPV6: u8 = raw::NETCODE_SYS_ADDRESS_IPV6 as u8;

/// A connect token (0.3.1 API): the public part a client reads (server addresses, its keys,
/// timeout) and the private part only the servers can decrypt (see [`ConnectToken::decode`]).
/// New code makes a [`Token`] with a [`TokenGenerator`](crate::TokenGenerator), which chooses
/// the nonce itself; `TryFrom` and `From` convert between the two.
///
/// ```
/// use netcode::ConnectToken;
///
/// let key = netcode::generate_key();
/// let server = "127.0.0.1:40000".parse().unwrap();
/// let user_data = [7u8; netcode::NETCODE_USER_DATA_BYTES];
/// let sequence = u64::from_le_bytes(netcode::generate_key()[..8].try_into().unwrap()); // random
/// let mut token = ConnectToken::generate(
///     [server].into_iter(), &key, 30, sequence, 0x1122334455667788, 42, Some(&user_data),
/// ).unwrap();
///
/// // Send it to the player: always 2048 bytes.
/// let mut bytes = Vec::new();
/// token.write(&mut bytes).unwrap();
/// assert_eq!(bytes.len(), netcode::NETCODE_CONNECT_TOKEN_BYTES);
///
/// // Only the server's key opens the private part.
/// let private = token.decode(&key).unwrap();
/// assert_eq!(private.client_id, 42);
/// assert_eq!(private.user_data, user_data);
/// ```
#[derive(Clone)]
pub struct ConnectToken {
    /// Protocol id: a server accepts only tokens for its own.
    pub protocol: u64,
    /// When the token was made, in seconds since the Unix epoch.
    pub create_utc: u64,
    /// When the token expires, in seconds since the Unix epoch.
    pub expire_utc: u64,
    /// Sequence number (the nonce of the private part's encryption).
    pub sequence: u64,
    /// The encrypted private part.
    pub private_data: [u8; NETCODE_CONNECT_TOKEN_PRIVATE_BYTES],
    /// The servers to try, in order.
    pub hosts: HostList,
    /// The key the client encrypts its packets with.
    pub client_to_server_key: [u8; NETCODE_KEY_BYTES],
    /// The key the server encrypts its packets to the client with.
    pub server_to_client_key: [u8; NETCODE_KEY_BYTES],
    /// Seconds without a packet from the server after which the client gives up.
    pub timeout_sec: u32,
}

/// The decrypted private part of a [`ConnectToken`] (0.3.1 API).
#[derive(Clone)]
pub struct PrivateData {
    /// The client's id, unique among the clients connected to a server.
    pub client_id: u64,
    /// The servers this token is valid for.
    pub hosts: HostList,
    /// The key the client encrypts its packets with.
    pub client_to_server_key: [u8; NETCODE_KEY_BYTES],
    /// The key the server encrypts its packets to the client with.
    pub server_to_client_key: [u8; NETCODE_KEY_BYTES],
    /// Data for the server about this client, given when the token was made.
    pub user_data: [u8; NETCODE_USER_DATA_BYTES],
}

/// The server addresses of a [`ConnectToken`], in the order a client tries them (0.3.1 API;
/// a token that can be used lists 1 to [`NETCODE_MAX_SERVERS_PER_CONNECT`]).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct HostList {
    hosts: Vec<SocketAddr>,
}

impl HostList {
    /// A list of these addresses (only the first [`NETCODE_MAX_SERVERS_PER_CONNECT`] are kept).
    pub fn new<I: Iterator<Item = SocketAddr>>(hosts: I) -> HostList {
        HostList {
            hosts: hosts.take(NETCODE_MAX_SERVERS_PER_CONNECT).collect(),
        }
    }

    /// The addresses, in order.
    pub fn get(&self) -> impl ExactSizeIterator<Item = SocketAddr> + '_ {
        self.hosts.iter().copied()
    }

    /// The addresses, in order.
    pub fn as_slice(&self) -> &[SocketAddr] {
        &self.hosts
    }

    /// How many addresses there are.
    pub fn len(&self) -> usize {
        self.hosts.len()
    }

    /// Whether there are none (such a token cannot be used).
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
    }

    /// The addresses into the C's array and their count, or what is wrong with them.
    fn to_raw(&self, out: &mut [raw::netcode_sys_address]) -> Result<i32, &'static str> {
        if self.hosts.is_empty() || self.hosts.len() > NETCODE_MAX_SERVERS_PER_CONNECT {
            return Err("it lists no server address, or more than 32");
        }
        for (slot, host) in out.iter_mut().zip(&self.hosts) {
            *slot = address::to_raw(host);
        }
        Ok(self.hosts.len() as i32)
    }
}

impl<'a> IntoIterator for &'a HostList {
    type Item = &'a SocketAddr;
    type IntoIter = std::slice::Iter<'a, SocketAddr>;

    fn into_iter(self) -> Self::IntoIter {
        self.hosts.iter()
    }
}

/// Why a token could not be generated (0.3.1 API).
#[derive(Debug)]
#[non_exhaustive]
pub enum GenerateError {
    /// A token lists 1 to [`NETCODE_MAX_SERVERS_PER_CONNECT`] servers; this many were given.
    HostCount(usize),
    /// A server address string is not an `ip:port` socket address.
    InvalidAddress(String),
    /// Encrypting the private part failed.
    Encrypt,
    /// libsodium could not be initialized.
    Init,
    /// The token would expire before it was made, or past the end of the clock (an expiry
    /// beyond `u64`, `create_utc` after `expire_utc`).
    InvalidLifetime,
    /// The timeout is 0, or 2^31 seconds or more (the C keeps it in an `int`, where such a
    /// value makes a client time out at once).
    InvalidTimeout(u32),
}

/// Why a token could not be read or decoded (0.3.1 API).
#[derive(Debug)]
#[non_exhaustive]
pub enum DecodeError {
    /// The private part did not decrypt with this key (or the token was altered, or is for
    /// another protocol id).
    InvalidPrivateKey,
    /// The token does not start with the version info `NETCODE 1.00`.
    InvalidVersion,
    /// Reading failed, or the token ended early.
    GenericIO(io::Error),
    /// The token is malformed; the text says how.
    Invalid(&'static str),
    /// libsodium could not be initialized.
    Init,
}

impl From<io::Error> for GenerateError {
    fn from(err: io::Error) -> GenerateError {
        GenerateError::InvalidAddress(err.to_string())
    }
}

impl From<io::Error> for DecodeError {
    fn from(err: io::Error) -> DecodeError {
        DecodeError::GenericIO(err)
    }
}

impl fmt::Display for GenerateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GenerateError::HostCount(n) => write!(
                f,
                "a connect token lists 1 to {NETCODE_MAX_SERVERS_PER_CONNECT} server addresses, not {n}"
            ),
            GenerateError::InvalidAddress(a) => {
                write!(f, "{a:?} is not a server address; write it as ip:port, e.g. 127.0.0.1:40000 or [::1]:40000")
            }
            GenerateError::Encrypt => write!(f, "encrypting the private part of the token failed"),
            GenerateError::Init => write!(f, "libsodium failed to initialize"),
            GenerateError::InvalidLifetime => write!(
                f,
                "a connect token must expire after it is made, and within the clock's range: \
                 give it a lifetime of a few seconds to minutes"
            ),
            GenerateError::InvalidTimeout(seconds) => write!(
                f,
                "a connect token's timeout is 1 to 2^31 - 1 seconds, not {seconds} (5 is the reference's)"
            ),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::InvalidPrivateKey => write!(
                f,
                "the private part did not decrypt: wrong private key, or the token was altered"
            ),
            DecodeError::InvalidVersion => {
                write!(f, "not a netcode.io 1.00 connect token (bad version info)")
            }
            DecodeError::GenericIO(err) => write!(f, "cannot read the connect token: {err}"),
            DecodeError::Invalid(what) => write!(f, "malformed connect token: {what}"),
            DecodeError::Init => write!(f, "libsodium failed to initialize"),
        }
    }
}

impl std::error::Error for GenerateError {}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DecodeError::GenericIO(err) => Some(err),
            _ => None,
        }
    }
}

impl ConnectToken {
    /// Generates a token for `hosts` (1 to [`NETCODE_MAX_SERVERS_PER_CONNECT`] servers, tried in
    /// order), valid for `expire_sec` seconds from now, whose private part is encrypted with
    /// the servers' `private_key`. `user_data` reaches the server with the connection; `None`
    /// fills it with random bytes, as the reference does.
    ///
    /// `sequence` is the nonce of the private part's encryption, and **must never repeat under
    /// one key**, across restarts and across every backend that holds the key: two tokens with
    /// one sequence give away each other's session keys and client id to whoever holds one of
    /// them, and two of an attacker's own tokens with one sequence let it forge tokens for any
    /// client id ([SECURITY.md](crate::docs::security)). Counters restart; draw it at random (64 random bits repeat by
    /// chance about once in 5 billion tokens; one in a million after 6 million) and rotate the
    /// key well before that. [`TokenGenerator`](crate::TokenGenerator) does so, and takes no
    /// sequence.
    pub fn generate<H>(
        hosts: H,
        private_key: &[u8; NETCODE_KEY_BYTES],
        expire_sec: usize,
        sequence: u64,
        protocol: u64,
        client_id: u64,
        user_data: Option<&[u8; NETCODE_USER_DATA_BYTES]>,
    ) -> Result<ConnectToken, GenerateError>
    where
        H: ExactSizeIterator<Item = SocketAddr>,
    {
        let count = hosts.len();
        if count == 0 || count > NETCODE_MAX_SERVERS_PER_CONNECT {
            return Err(GenerateError::HostCount(count));
        }
        ensure_init().map_err(|_| GenerateError::Init)?;
        let mut private = PrivateData {
            client_id,
            hosts: HostList {
                hosts: hosts.collect(),
            },
            client_to_server_key: [0; NETCODE_KEY_BYTES],
            server_to_client_key: [0; NETCODE_KEY_BYTES],
            user_data: [0; NETCODE_USER_DATA_BYTES],
        };
        random_bytes(&mut private.client_to_server_key);
        random_bytes(&mut private.server_to_client_key);
        match user_data {
            Some(data) => private.user_data = *data,
            None => random_bytes(&mut private.user_data),
        }
        let create_utc = now_utc();
        let expire_utc = u64::try_from(expire_sec)
            .ok()
            .and_then(|seconds| create_utc.checked_add(seconds))
            .ok_or(GenerateError::InvalidLifetime)?;
        Self::with_private_data(
            &private,
            private_key,
            protocol,
            create_utc,
            expire_utc,
            sequence,
            NETCODE_TIMEOUT_SECONDS,
        )
    }

    /// Builds a token around a private part you filled in, with the timestamps and sequence
    /// you choose: for backends that pick their own keys, and for reproducible tokens (the
    /// sequence must never repeat under one key: see [`generate`](ConnectToken::generate)).
    /// The public part lists the private part's hosts and keys. Same input, same bytes.
    ///
    /// ```
    /// use netcode::{ConnectToken, HostList, PrivateData};
    ///
    /// let private = PrivateData {
    ///     client_id: 7,
    ///     hosts: HostList::new(["127.0.0.1:40000".parse().unwrap()].into_iter()),
    ///     client_to_server_key: [1; 32],
    ///     server_to_client_key: [2; 32],
    ///     user_data: [3; 256],
    /// };
    /// let key = [9; 32];
    /// let a = ConnectToken::with_private_data(&private, &key, 0x55, 1_700_000_000, 1_700_000_030, 0, 5).unwrap();
    /// let b = ConnectToken::with_private_data(&private, &key, 0x55, 1_700_000_000, 1_700_000_030, 0, 5).unwrap();
    /// assert_eq!(a.to_bytes().unwrap(), b.to_bytes().unwrap());
    /// ```
    pub fn with_private_data(
        private: &PrivateData,
        private_key: &[u8; NETCODE_KEY_BYTES],
        protocol: u64,
        create_utc: u64,
        expire_utc: u64,
        sequence: u64,
        timeout_sec: u32,
    ) -> Result<ConnectToken, GenerateError> {
        let mut raw_private = raw::netcode_sys_connect_token_private {
            client_id: private.client_id,
            client_to_server_key: private.client_to_server_key,
            server_to_client_key: private.server_to_client_key,
            user_data: private.user_data,
            ..Default::default()
        };
        raw_private.num_server_addresses = private
            .hosts
            .to_raw(&mut raw_private.server_addresses)
            .map_err(|_| GenerateError::HostCount(private.hosts.len()))?;
        if create_utc > expire_utc {
            return Err(GenerateError::InvalidLifetime);
        }
        let timeout_seconds =
            i32::try_from(timeout_sec).map_err(|_| GenerateError::InvalidTimeout(timeout_sec))?;
        if timeout_seconds == 0 {
            return Err(GenerateError::InvalidTimeout(timeout_sec));
        }
        ensure_init().map_err(|_| GenerateError::Init)?;
        let token = raw::netcode_sys_connect_token {
            wire: Version::V1_00.to_raw(),
            protocol_id: protocol,
            create_timestamp: create_utc,
            expire_timestamp: expire_utc,
            nonce: sequence_nonce(sequence),
            timeout_seconds,
            num_server_addresses: raw_private.num_server_addresses,
            server_addresses: raw_private.server_addresses,
            ..Default::default()
        };
        let token = seal(&raw_private, private_key, token).map_err(|_| GenerateError::Encrypt)?;
        ConnectToken::try_from(&token).map_err(|_| GenerateError::Encrypt)
    }

    /// [`generate`](ConnectToken::generate) with the server addresses as strings
    /// (`"127.0.0.1:40000"`, `"[::1]:40000"`).
    pub fn generate_with_string<H, I>(
        hosts: H,
        private_key: &[u8; NETCODE_KEY_BYTES],
        expire_sec: usize,
        sequence: u64,
        protocol: u64,
        client_id: u64,
        user_data: Option<&[u8; NETCODE_USER_DATA_BYTES]>,
    ) -> Result<ConnectToken, GenerateError>
    where
        H: ExactSizeIterator<Item = I>,
        I: Into<String>,
    {
        let parsed = hosts
            .map(|host| {
                let text: String = host.into();
                text.trim()
                    .parse::<SocketAddr>()
                    .map_err(|_| GenerateError::InvalidAddress(text))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::generate(
            parsed.into_iter(),
            private_key,
            expire_sec,
            sequence,
            protocol,
            client_id,
            user_data,
        )
    }

    /// Decrypts the private part with the servers' `private_key`.
    pub fn decode(
        &mut self,
        private_key: &[u8; NETCODE_KEY_BYTES],
    ) -> Result<PrivateData, DecodeError> {
        ensure_init().map_err(|_| DecodeError::Init)?;
        let token = Token::try_from(&*self).map_err(|err| match err {
            Error::InvalidToken(what) => DecodeError::Invalid(what),
            _ => DecodeError::Invalid("it cannot be written for the C"),
        })?;
        let private = token.decode(private_key).map_err(|err| match err {
            Error::Init => DecodeError::Init,
            _ => DecodeError::InvalidPrivateKey,
        })?;
        Ok(PrivateData {
            client_id: private.client_id,
            hosts: HostList {
                hosts: private.servers.as_slice().to_vec(),
            },
            client_to_server_key: private.client_to_server_key,
            server_to_client_key: private.server_to_client_key,
            user_data: private.user_data,
        })
    }

    /// Writes the token in the reference's format: [`NETCODE_CONNECT_TOKEN_BYTES`] bytes.
    /// Fails with `InvalidInput` if the token lists no server or more than the reference allows.
    pub fn write<W: io::Write>(&self, out: &mut W) -> Result<(), io::Error> {
        let bytes = self
            .to_bytes()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        out.write_all(&bytes)
    }

    /// The token in the reference's format, as [`write`](ConnectToken::write) writes it.
    pub fn to_bytes(&self) -> Result<[u8; NETCODE_CONNECT_TOKEN_BYTES], Error> {
        Ok(*Token::try_from(self)?.as_bytes())
    }

    /// Reads a token: the reference's 2048-byte format (read by the C), or the shorter one
    /// netcode 0.3.1 wrote (which must then be the last thing in `source`: a reference token
    /// is followed by padding, and this reads as far as that padding would go).
    pub fn read<R: io::Read>(source: &mut R) -> Result<ConnectToken, DecodeError> {
        let mut reader = TokenReader {
            source,
            bytes: [0; NETCODE_CONNECT_TOKEN_BYTES],
            consumed: 0,
        };
        let version: [u8; 13] = reader.array()?;
        if &version != VERSION_INFO {
            return Err(DecodeError::InvalidVersion);
        }
        let protocol = reader.u64()?;
        let create_utc = reader.u64()?;
        let expire_utc = reader.u64()?;
        let sequence = reader.u64()?;
        let private_data = reader.array()?;
        let count = reader.u32()? as usize;
        if count == 0 || count > NETCODE_MAX_SERVERS_PER_CONNECT {
            return Err(DecodeError::Invalid(
                "it lists no server address, or more than 32",
            ));
        }
        let mut hosts = Vec::with_capacity(count);
        for _ in 0..count {
            hosts.push(match reader.u8()? {
                ADDRESS_IPV4 => {
                    SocketAddr::from((Ipv4Addr::from(reader.array::<4>()?), reader.u16()?))
                }
                // 0.3.1 wrote the 16 octets in network order (the reference: 16-bit groups).
                ADDRESS_IPV6 => {
                    SocketAddr::from((Ipv6Addr::from(reader.array::<16>()?), reader.u16()?))
                }
                _ => return Err(DecodeError::Invalid("a server address of unknown type")),
            });
        }
        let client_to_server_key = reader.array()?;
        let server_to_client_key = reader.array()?;
        let timeout_sec = reader.u32()?;
        if reader.rest()? {
            // The reference's format: the C reads it (and its IPv6 addresses) itself.
            let token = Token::from_bytes(&reader.bytes).map_err(|err| match err {
                Error::InvalidToken(what) => DecodeError::Invalid(what),
                _ => DecodeError::Invalid("the C cannot read it"),
            })?;
            return ConnectToken::try_from(&token).map_err(|_| DecodeError::InvalidVersion);
        }
        if create_utc > expire_utc {
            return Err(DecodeError::Invalid("it expires before it was created"));
        }
        Ok(ConnectToken {
            protocol,
            create_utc,
            expire_utc,
            sequence,
            private_data,
            hosts: HostList { hosts },
            client_to_server_key,
            server_to_client_key,
            timeout_sec,
        })
    }

    /// Reads a token from bytes, as [`read`](ConnectToken::read) does.
    pub fn from_bytes(mut bytes: &[u8]) -> Result<ConnectToken, DecodeError> {
        Self::read(&mut bytes)
    }
}

impl TryFrom<&ConnectToken> for Token {
    type Error = Error;

    /// The token as the C writes it, or [`Error::InvalidToken`] for one the C would refuse (no
    /// or too many servers, created after it expires) or whose timeout the C's `int` would
    /// turn into one that times out at once (0, or 2^31 seconds and more).
    fn try_from(token: &ConnectToken) -> Result<Token, Error> {
        let mut raw_token = raw::netcode_sys_connect_token {
            wire: Version::V1_00.to_raw(),
            protocol_id: token.protocol,
            create_timestamp: token.create_utc,
            expire_timestamp: token.expire_utc,
            nonce: sequence_nonce(token.sequence),
            private_data: token.private_data,
            client_to_server_key: token.client_to_server_key,
            server_to_client_key: token.server_to_client_key,
            timeout_seconds: i32::try_from(token.timeout_sec)
                .map_err(|_| Error::InvalidToken("its timeout is 2^31 seconds or more"))?,
            ..Default::default()
        };
        raw_token.num_server_addresses = token
            .hosts
            .to_raw(&mut raw_token.server_addresses)
            .map_err(Error::InvalidToken)?;
        Token::from_raw(&raw_token)
    }
}

/// A 1.00 sequence as the nonce the shim takes: its little-endian bytes, then zeros.
fn sequence_nonce(sequence: u64) -> [u8; NONCE_BYTES] {
    let mut nonce = [0; NONCE_BYTES];
    nonce[..8].copy_from_slice(&sequence.to_le_bytes());
    nonce
}

impl TryFrom<&Token> for ConnectToken {
    type Error = Error;

    /// The token as the 0.3.1 API holds it, or [`Error::InvalidToken`] for a NETCODE 1.02
    /// token (the 0.3.1 API speaks 1.00) or one with a negative timeout.
    fn try_from(token: &Token) -> Result<ConnectToken, Error> {
        if token.version() != Version::V1_00 {
            return Err(Error::InvalidToken(
                "it is a NETCODE 1.02 token, and the 0.3.1 API speaks 1.00; make it with \
                 TokenSettings::version(Version::V1_00)",
            ));
        }
        let timeout_sec = u32::try_from(token.timeout_seconds()).map_err(|_| {
            Error::InvalidToken("its timeout is negative, which the 0.3.1 API cannot hold")
        })?;
        // The bytes the C wrote or read hold every field; its struct is the way to them.
        let raw_token = token.to_raw()?;
        let mut sequence = [0; 8];
        sequence.copy_from_slice(&token.nonce()[..8]);
        Ok(ConnectToken {
            protocol: token.protocol_id(),
            create_utc: token.create_timestamp(),
            expire_utc: token.expire_timestamp(),
            sequence: u64::from_le_bytes(sequence),
            private_data: raw_token.private_data,
            hosts: HostList {
                hosts: token.servers().as_slice().to_vec(),
            },
            client_to_server_key: raw_token.client_to_server_key,
            server_to_client_key: raw_token.server_to_client_key,
            timeout_sec,
        })
    }
}

impl fmt::Debug for ConnectToken {
    /// Shows the public fields; keys and the private part are left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectToken")
            .field("protocol", &self.protocol)
            .field("create_utc", &self.create_utc)
            .field("expire_utc", &self.expire_utc)
            .field("sequence", &self.sequence)
            .field("hosts", &self.hosts)
            .field("timeout_sec", &self.timeout_sec)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for PrivateData {
    /// Shows the client id and hosts; keys and user data are left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateData")
            .field("client_id", &self.client_id)
            .field("hosts", &self.hosts)
            .finish_non_exhaustive()
    }
}

/// Reads the little-endian fields of 0.3.1's token layout, keeping the bytes it took.
struct TokenReader<'a, R> {
    source: &'a mut R,
    bytes: [u8; NETCODE_CONNECT_TOKEN_BYTES],
    consumed: usize,
}

impl<R: io::Read> TokenReader<'_, R> {
    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut field = [0; N];
        self.source.read_exact(&mut field)?;
        // The fields of a token of at most 32 servers end well before 2048 bytes.
        self.bytes[self.consumed..self.consumed + N].copy_from_slice(&field);
        self.consumed += N;
        Ok(field)
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// After the fields: the padding of a reference token (true: `bytes` is whole), or
    /// nothing (false: 0.3.1's format).
    fn rest(&mut self) -> Result<bool, DecodeError> {
        let mut read = self.consumed;
        while read < NETCODE_CONNECT_TOKEN_BYTES {
            match self.source.read(&mut self.bytes[read..]) {
                Ok(0) => break,
                Ok(n) => read += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        match read {
            NETCODE_CONNECT_TOKEN_BYTES => Ok(true),
            n if n == self.consumed => Ok(false),
            _ => Err(DecodeError::Invalid(
                "it is shorter than 2048 bytes but longer than its fields",
            )),
        }
    }
}
