//! Connect tokens: what a web backend hands an authenticated player so that it can connect.
//!
//! A token is written and read in the reference's format: always
//! [`NETCODE_CONNECT_TOKEN_BYTES`] (2048) bytes, written by the C itself. [`ConnectToken::read`]
//! also accepts the shorter tokens netcode 0.3.1 wrote.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{SystemTime, UNIX_EPOCH};

use netcode_sys as raw;

use crate::address;
use crate::init::ensure_init;
use crate::limits::{
    NETCODE_CONNECT_TOKEN_BYTES, NETCODE_CONNECT_TOKEN_PRIVATE_BYTES, NETCODE_KEY_BYTES,
    NETCODE_MAX_SERVERS_PER_CONNECT, NETCODE_TIMEOUT_SECONDS, NETCODE_USER_DATA_BYTES,
};
use crate::Error;

/// The version info at the start of every token: `"NETCODE 1.00"` and its NUL.
const VERSION_INFO: &[u8; 13] = b"NETCODE 1.00\0";

const ADDRESS_IPV4: u8 = raw::NETCODE_SYS_ADDRESS_IPV4 as u8;
const ADDRESS_IPV6: u8 = raw::NETCODE_SYS_ADDRESS_IPV6 as u8;

/// A connect token: the public part a client reads (server addresses, its keys, timeout) and
/// the private part only the servers can decrypt (see [`ConnectToken::decode`]).
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

/// The decrypted private part of a [`ConnectToken`].
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

/// The server addresses of a token, in the order a client tries them (1 to
/// [`NETCODE_MAX_SERVERS_PER_CONNECT`]).
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
}

impl<'a> IntoIterator for &'a HostList {
    type Item = &'a SocketAddr;
    type IntoIter = std::slice::Iter<'a, SocketAddr>;

    fn into_iter(self) -> Self::IntoIter {
        self.hosts.iter()
    }
}

/// Why a token could not be generated.
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

/// Why a token could not be read or decoded.
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

/// Fills `buffer` with random bytes from libsodium.
pub(crate) fn random_bytes(buffer: &mut [u8]) {
    for chunk in buffer.chunks_mut(i32::MAX as usize) {
        // SAFETY: chunk is valid for writes of its length, which is 1..=i32::MAX (chunks are
        // never empty), as netcode_random_bytes asserts.
        unsafe { raw::netcode_random_bytes(chunk.as_mut_ptr(), chunk.len() as i32) };
    }
}

/// A random connect token sequence number: the nonce its private part is encrypted with, which
/// must never repeat under one key (SECURITY.md). Random 64-bit values collide by chance only
/// after billions of tokens per key; counting from 0 collides at the first restart.
pub(crate) fn random_sequence() -> u64 {
    let mut bytes = [0; 8];
    random_bytes(&mut bytes);
    u64::from_le_bytes(bytes)
}

/// A new random private key for servers and token generation.
///
/// ```
/// let key = netcode::generate_key();
/// assert_ne!(key, netcode::generate_key());
/// ```
pub fn generate_key() -> [u8; NETCODE_KEY_BYTES] {
    // randombytes works whether or not the init succeeded; a failed init shows up elsewhere.
    let _ = ensure_init();
    let mut key = [0; NETCODE_KEY_BYTES];
    random_bytes(&mut key);
    key
}

fn now_utc() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
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
    /// client id (SECURITY.md). Counters restart; draw it at random (64 random bits repeat by
    /// chance about once in 5 billion tokens; one in a million after 6 million) and rotate the
    /// key well before that. [`NetcodeServer::generate_token`](crate::NetcodeServer::generate_token)
    /// does so.
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
    /// you choose: for backends that pick their own keys, and for reproducible tokens. The
    /// public part lists the private part's hosts and keys. Same input, same bytes.
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
        let count = private.hosts.len();
        if count == 0 || count > NETCODE_MAX_SERVERS_PER_CONNECT {
            return Err(GenerateError::HostCount(count));
        }
        if create_utc > expire_utc {
            return Err(GenerateError::InvalidLifetime);
        }
        if timeout_sec == 0 || i32::try_from(timeout_sec).is_err() {
            return Err(GenerateError::InvalidTimeout(timeout_sec));
        }
        ensure_init().map_err(|_| GenerateError::Init)?;
        let mut raw_private = raw::netcode_sys_connect_token_private {
            client_id: private.client_id,
            num_server_addresses: count as i32,
            client_to_server_key: private.client_to_server_key,
            server_to_client_key: private.server_to_client_key,
            user_data: private.user_data,
            ..Default::default()
        };
        for (slot, host) in raw_private
            .server_addresses
            .iter_mut()
            .zip(private.hosts.get())
        {
            *slot = address::to_raw(&host);
        }
        let mut token = raw::netcode_sys_connect_token {
            protocol_id: protocol,
            create_timestamp: create_utc,
            expire_timestamp: expire_utc,
            sequence,
            ..Default::default()
        };
        // SAFETY: both structs are valid and initialized; the key is 32 bytes. The shim checks
        // the address count and types before netcode.c sees them.
        let encrypted = unsafe {
            raw::netcode_sys_encrypt_connect_token_private(
                &raw_private,
                private_key.as_ptr(),
                &mut token,
            )
        };
        if encrypted != 1 {
            return Err(GenerateError::Encrypt);
        }
        Ok(ConnectToken {
            protocol,
            create_utc,
            expire_utc,
            sequence,
            private_data: token.private_data,
            hosts: private.hosts.clone(),
            client_to_server_key: private.client_to_server_key,
            server_to_client_key: private.server_to_client_key,
            timeout_sec,
        })
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
        let count = hosts.len();
        if count == 0 || count > NETCODE_MAX_SERVERS_PER_CONNECT {
            return Err(GenerateError::HostCount(count));
        }
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
        let token = self.to_raw().map_err(DecodeError::Invalid)?;
        let mut private = raw::netcode_sys_connect_token_private::default();
        // SAFETY: valid structs and a 32-byte key; the shim copies the private data before
        // decrypting it in place.
        let ok = unsafe {
            raw::netcode_sys_decrypt_connect_token_private(
                &token,
                private_key.as_ptr(),
                &mut private,
            )
        };
        if ok != 1 {
            return Err(DecodeError::InvalidPrivateKey);
        }
        let count = private
            .num_server_addresses
            .clamp(0, NETCODE_MAX_SERVERS_PER_CONNECT as i32) as usize;
        let hosts = private.server_addresses[..count]
            .iter()
            .filter_map(address::from_raw)
            .collect();
        Ok(PrivateData {
            client_id: private.client_id,
            hosts: HostList { hosts },
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
        let token = self.to_raw().map_err(Error::InvalidToken)?;
        let mut bytes = [0; NETCODE_CONNECT_TOKEN_BYTES];
        // SAFETY: a valid struct and a 2048-byte buffer; the shim checks count and types.
        if unsafe { raw::netcode_sys_write_connect_token(&token, bytes.as_mut_ptr()) } != 1 {
            return Err(Error::InvalidToken("a server address of no known type"));
        }
        Ok(bytes)
    }

    /// Reads a token: the reference's 2048-byte format, or the shorter one netcode 0.3.1
    /// wrote (which must then be the last thing in `source`: a reference token is followed by
    /// zero padding, and this reads as far as that padding would go).
    pub fn read<R: io::Read>(source: &mut R) -> Result<ConnectToken, DecodeError> {
        let mut reader = TokenReader {
            source,
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
                ADDRESS_IPV4 => RawHost::V4(reader.array()?, reader.u16()?),
                ADDRESS_IPV6 => RawHost::V6(reader.array()?, reader.u16()?),
                _ => return Err(DecodeError::Invalid("a server address of unknown type")),
            });
        }
        let client_to_server_key = reader.array()?;
        let server_to_client_key = reader.array()?;
        let timeout_sec = reader.u32()?;
        if create_utc > expire_utc {
            return Err(DecodeError::Invalid("it expires before it was created"));
        }
        let format = reader.padding()?;
        Ok(ConnectToken {
            protocol,
            create_utc,
            expire_utc,
            sequence,
            private_data,
            hosts: HostList {
                hosts: hosts.into_iter().map(|h| h.address(format)).collect(),
            },
            client_to_server_key,
            server_to_client_key,
            timeout_sec,
        })
    }

    /// Reads a token from bytes, as [`read`](ConnectToken::read) does.
    pub fn from_bytes(mut bytes: &[u8]) -> Result<ConnectToken, DecodeError> {
        Self::read(&mut bytes)
    }

    /// The token as the shim takes it, or what is wrong with it: a token the C would refuse
    /// (no or too many servers, created after it expires), or whose timeout the C's `int` would
    /// turn into one that times out at once (0, or 2^31 seconds and more).
    fn to_raw(&self) -> Result<raw::netcode_sys_connect_token, &'static str> {
        let count = self.hosts.len();
        if count == 0 || count > NETCODE_MAX_SERVERS_PER_CONNECT {
            return Err("it lists no server address, or more than 32");
        }
        if self.timeout_sec == 0 || i32::try_from(self.timeout_sec).is_err() {
            return Err("its timeout is 0 or 2^31 seconds or more");
        }
        if self.create_utc > self.expire_utc {
            return Err("it expires before it was created");
        }
        let mut token = raw::netcode_sys_connect_token {
            protocol_id: self.protocol,
            create_timestamp: self.create_utc,
            expire_timestamp: self.expire_utc,
            sequence: self.sequence,
            private_data: self.private_data,
            num_server_addresses: count as i32,
            client_to_server_key: self.client_to_server_key,
            server_to_client_key: self.server_to_client_key,
            // Checked above to fit the C's int.
            timeout_seconds: self.timeout_sec as i32,
            ..Default::default()
        };
        for (slot, host) in token.server_addresses.iter_mut().zip(&self.hosts.hosts) {
            *slot = address::to_raw(host);
        }
        Ok(token)
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

/// Which writer made a token, told by its length.
#[derive(Clone, Copy)]
enum Format {
    /// The reference: 2048 bytes, IPv6 addresses as eight little-endian 16-bit groups.
    Reference,
    /// netcode 0.3.1: no padding, IPv6 addresses as their 16 octets in network order.
    Netcode031,
}

enum RawHost {
    V4([u8; 4], u16),
    V6([u8; 16], u16),
}

impl RawHost {
    fn address(&self, format: Format) -> SocketAddr {
        match *self {
            RawHost::V4(octets, port) => SocketAddr::from((Ipv4Addr::from(octets), port)),
            RawHost::V6(bytes, port) => {
                let ip = match format {
                    Format::Netcode031 => Ipv6Addr::from(bytes),
                    Format::Reference => {
                        let mut groups = [0u16; 8];
                        for (group, pair) in groups.iter_mut().zip(bytes.chunks_exact(2)) {
                            *group = u16::from_le_bytes([pair[0], pair[1]]);
                        }
                        Ipv6Addr::from(groups)
                    }
                };
                SocketAddr::from((ip, port))
            }
        }
    }
}

/// Reads little-endian fields and counts the bytes taken.
struct TokenReader<'a, R> {
    source: &'a mut R,
    consumed: usize,
}

impl<R: io::Read> TokenReader<'_, R> {
    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut bytes = [0; N];
        self.source.read_exact(&mut bytes)?;
        self.consumed += N;
        Ok(bytes)
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

    /// After the fields: the zero padding of a reference token, or nothing (0.3.1).
    fn padding(&mut self) -> Result<Format, DecodeError> {
        let expected = NETCODE_CONNECT_TOKEN_BYTES - self.consumed;
        let mut padding = [0u8; NETCODE_CONNECT_TOKEN_BYTES];
        let mut read = 0;
        while read < expected {
            match self.source.read(&mut padding[read..expected]) {
                Ok(0) => break,
                Ok(n) => read += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        match read {
            0 => Ok(Format::Netcode031),
            n if n == expected && padding[..n].iter().all(|&b| b == 0) => Ok(Format::Reference),
            n if n == expected => Err(DecodeError::Invalid(
                "the bytes after its fields are not zero",
            )),
            _ => Err(DecodeError::Invalid(
                "it is shorter than 2048 bytes but longer than its fields",
            )),
        }
    }
}
