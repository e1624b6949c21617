//! Connect tokens: what a web backend hands an authenticated player so that it can connect.
//!
//! A [`TokenGenerator`] holds the servers' private key and the [`TokenSettings`] every token
//! shares (protocol id, [`ServerAddresses`], lifetime, timeout), checked once when it is made;
//! [`TokenGenerator::generate`] then makes a [`Token`] for one player. The C writes and reads
//! the reference's 2048-byte format, in either [`Version`]; this module only hands it fields
//! and takes them back. Each token's private part is encrypted under a fresh random nonce: no
//! caller chooses one.

use std::fmt;
use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use netcode_sys as raw;

use crate::address;
use crate::init::ensure_init;
use crate::limits::{
    NETCODE_CONNECT_TOKEN_BYTES, NETCODE_CONNECT_TOKEN_PRIVATE_BYTES, NETCODE_KEY_BYTES,
    NETCODE_MAX_SERVERS_PER_CONNECT, NETCODE_TIMEOUT_SECONDS, NETCODE_USER_DATA_BYTES,
};
use crate::{Error, Result, Version};

/// The servers a token lets a client connect to, in the order it tries them: always 1 to
/// [`NETCODE_MAX_SERVERS_PER_CONNECT`] addresses.
///
/// ```
/// use netcode::ServerAddresses;
///
/// let servers = ServerAddresses::new(["127.0.0.1:40000".parse()?, "127.0.0.1:40001".parse()?])?;
/// assert_eq!(servers.as_slice().len(), 2);
/// assert!(ServerAddresses::new([]).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerAddresses {
    addresses: Vec<SocketAddr>,
}

impl ServerAddresses {
    /// These addresses, or [`Error::ServerAddressCount`] if there are none or more than
    /// [`NETCODE_MAX_SERVERS_PER_CONNECT`].
    pub fn new(addresses: impl IntoIterator<Item = SocketAddr>) -> Result<ServerAddresses> {
        let addresses: Vec<SocketAddr> = addresses.into_iter().collect();
        if addresses.is_empty() || addresses.len() > NETCODE_MAX_SERVERS_PER_CONNECT {
            return Err(Error::ServerAddressCount(addresses.len()));
        }
        Ok(ServerAddresses { addresses })
    }

    /// One server.
    pub fn one(address: SocketAddr) -> ServerAddresses {
        ServerAddresses {
            addresses: vec![address],
        }
    }

    /// The addresses, in order.
    pub fn as_slice(&self) -> &[SocketAddr] {
        &self.addresses
    }

    /// Writes the addresses into the C's array; returns their count.
    fn to_raw(&self, out: &mut [raw::netcode_sys_address]) -> i32 {
        for (slot, address) in out.iter_mut().zip(&self.addresses) {
            *slot = address::to_raw(address);
        }
        // At most NETCODE_MAX_SERVERS_PER_CONNECT, by the invariant.
        self.addresses.len() as i32
    }

    /// The addresses the C read, if it read 1 to 32 of known types (it checks both).
    fn from_raw(count: i32, addresses: &[raw::netcode_sys_address]) -> Option<ServerAddresses> {
        let count = usize::try_from(count).ok()?;
        let addresses = addresses
            .get(..count)?
            .iter()
            .map(address::from_raw)
            .collect::<Option<Vec<_>>>()?;
        ServerAddresses::new(addresses).ok()
    }
}

impl<'a> IntoIterator for &'a ServerAddresses {
    type Item = &'a SocketAddr;
    type IntoIter = std::slice::Iter<'a, SocketAddr>;

    fn into_iter(self) -> Self::IntoIter {
        self.addresses.iter()
    }
}

/// What every token of a [`TokenGenerator`] shares. Start from [`TokenSettings::new`] and
/// change what you need:
///
/// ```
/// use netcode::{ServerAddresses, TokenSettings};
///
/// let settings = TokenSettings::new(0x1122_3344_5566_7788, ServerAddresses::one("127.0.0.1:40000".parse()?))
///     .expire_seconds(15)
///     .timeout_seconds(10);
/// assert_eq!(settings.expire_seconds, 15);
/// assert_eq!(settings.version, netcode::Version::V1_02);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// A server behind NAT or in a container checks the address it knows itself by, which is not
/// the one clients dial: list that one with [`internal_servers`](TokenSettings::internal_servers)
/// (and give the server the same as its public address).
#[derive(Clone, Debug)]
pub struct TokenSettings {
    /// The protocol version of the tokens (default [`Version::V1_02`]); a server accepts only
    /// tokens of its own version.
    pub version: Version,
    /// Only servers with this protocol id accept the tokens.
    pub protocol_id: u64,
    /// The servers the tokens list, in the order a client tries them.
    pub servers: ServerAddresses,
    /// The addresses the servers check, in the private part, in the same order, when they are
    /// not the ones clients dial (`None`: the same as `servers`).
    pub internal_servers: Option<ServerAddresses>,
    /// How long a token can be used to start connecting, in seconds from when it is made
    /// (default 30; a client's handshake must start within it).
    pub expire_seconds: u32,
    /// Seconds without a packet after which the connection times out (default
    /// [`NETCODE_TIMEOUT_SECONDS`]); a negative value: never. Not 0. On 1.02 both sides use
    /// it; a 1.00 server keeps the reference's 5 seconds whatever the token says. Whatever
    /// the timeout, a handshake must complete within 5 seconds.
    ///
    /// No timeout is for debugging: a client that vanishes without a disconnect keeps its
    /// slot (and a client that cannot reach its first server never tries the next) until the
    /// server restarts. A pinned 1.00 peer (the 2017 C) times out at once with a negative
    /// timeout; this crate's 1.00 client never does.
    pub timeout_seconds: i32,
}

impl TokenSettings {
    /// 1.02 tokens for `servers` with `protocol_id`, expiring after 30 seconds, with the
    /// reference's 5-second timeout.
    pub fn new(protocol_id: u64, servers: ServerAddresses) -> TokenSettings {
        TokenSettings {
            version: Version::V1_02,
            protocol_id,
            servers,
            internal_servers: None,
            expire_seconds: 30,
            timeout_seconds: NETCODE_TIMEOUT_SECONDS as i32,
        }
    }

    /// Sets the protocol version.
    pub fn version(mut self, version: Version) -> TokenSettings {
        self.version = version;
        self
    }

    /// Sets the addresses the servers check (see the type's documentation).
    pub fn internal_servers(mut self, servers: ServerAddresses) -> TokenSettings {
        self.internal_servers = Some(servers);
        self
    }

    /// Sets how many seconds a token can be used for.
    pub fn expire_seconds(mut self, seconds: u32) -> TokenSettings {
        self.expire_seconds = seconds;
        self
    }

    /// Sets the timeout, in seconds (negative: none).
    pub fn timeout_seconds(mut self, seconds: i32) -> TokenSettings {
        self.timeout_seconds = seconds;
        self
    }
}

/// Makes connect tokens: where players log in (a web backend), with the servers' private key.
///
/// ```
/// use netcode::{ServerAddresses, TokenGenerator, TokenSettings};
///
/// let key = netcode::generate_key();
/// let servers = ServerAddresses::new(["127.0.0.1:40000".parse()?, "127.0.0.1:40001".parse()?])?;
/// let generator = TokenGenerator::new(TokenSettings::new(0x1122_3344_5566_7788, servers.clone()), &key)?;
///
/// let user_data = [7; netcode::NETCODE_USER_DATA_BYTES];
/// let token = generator.generate(42, &user_data)?;
/// // Send it to the player: always 2048 bytes.
/// assert_eq!(token.as_bytes().len(), netcode::NETCODE_CONNECT_TOKEN_BYTES);
/// assert_eq!(token.servers(), &servers);
///
/// // Only the servers' key opens the private part.
/// let private = token.decode(&key)?;
/// assert_eq!((private.client_id, private.user_data), (42, user_data));
/// assert!(token.decode(&netcode::generate_key()).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct TokenGenerator {
    settings: TokenSettings,
    private_key: [u8; NETCODE_KEY_BYTES],
}

impl TokenGenerator {
    /// A generator of tokens with these settings, encrypted with the servers' `private_key`;
    /// [`Error::InvalidTokenSetting`] says which setting is out of range.
    pub fn new(
        settings: TokenSettings,
        private_key: &[u8; NETCODE_KEY_BYTES],
    ) -> Result<TokenGenerator> {
        if settings.expire_seconds == 0 {
            return Err(Error::InvalidTokenSetting(
                "expire_seconds is 0, so every token would expire as it is made; give tokens a \
                 lifetime of a few seconds to minutes (30 is usual)",
            ));
        }
        if settings.timeout_seconds == 0 {
            return Err(Error::InvalidTokenSetting(
                "timeout_seconds is 0, so every connection would time out at once; 5 is the \
                 reference's, a negative value means none",
            ));
        }
        if let Some(internal) = &settings.internal_servers {
            if internal.as_slice().len() != settings.servers.as_slice().len() {
                return Err(Error::InvalidTokenSetting(
                    "internal_servers must list as many addresses as servers, in the same order \
                     (each server's own address for the one clients dial)",
                ));
            }
        }
        ensure_init()?;
        Ok(TokenGenerator {
            settings,
            private_key: *private_key,
        })
    }

    /// The settings every token shares.
    pub fn settings(&self) -> &TokenSettings {
        &self.settings
    }

    /// A token for the player with `client_id`, carrying `user_data` to the server, with fresh
    /// random session keys and a random nonce for its private part.
    pub fn generate(
        &self,
        client_id: u64,
        user_data: &[u8; NETCODE_USER_DATA_BYTES],
    ) -> Result<Token> {
        let settings = &self.settings;
        let mut private = raw::netcode_sys_connect_token_private {
            client_id,
            user_data: *user_data,
            timeout_seconds: settings.timeout_seconds,
            ..Default::default()
        };
        let checked = settings
            .internal_servers
            .as_ref()
            .unwrap_or(&settings.servers);
        private.num_server_addresses = checked.to_raw(&mut private.server_addresses);
        random_bytes(&mut private.client_to_server_key);
        random_bytes(&mut private.server_to_client_key);
        let create_timestamp = now_utc();
        let mut token = raw::netcode_sys_connect_token {
            wire: settings.version.to_raw(),
            protocol_id: settings.protocol_id,
            create_timestamp,
            // The clock is far below 2^64 - 2^32 seconds.
            expire_timestamp: create_timestamp.saturating_add(settings.expire_seconds.into()),
            nonce: random_nonce(settings.version),
            timeout_seconds: settings.timeout_seconds,
            ..Default::default()
        };
        token.num_server_addresses = settings.servers.to_raw(&mut token.server_addresses);
        let sealed = seal(&private, &self.private_key, token);
        wipe(&mut private.client_to_server_key);
        wipe(&mut private.server_to_client_key);
        sealed
    }
}

impl Drop for TokenGenerator {
    fn drop(&mut self) {
        wipe(&mut self.private_key);
    }
}

impl fmt::Debug for TokenGenerator {
    /// Shows the settings; the key is left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenGenerator")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// Overwrites key material in a way the compiler cannot drop as a dead store.
pub(crate) fn wipe(bytes: &mut [u8]) {
    for byte in bytes.iter_mut() {
        // SAFETY: `byte` is a valid, aligned, exclusive reference.
        unsafe { std::ptr::write_volatile(byte, 0) };
    }
    std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
}

/// Encrypts `private` into `token` (whose public fields, servers included, are set) and has
/// the C write the token; the public part gets the private part's keys.
pub(crate) fn seal(
    private: &raw::netcode_sys_connect_token_private,
    private_key: &[u8; NETCODE_KEY_BYTES],
    mut token: raw::netcode_sys_connect_token,
) -> Result<Token> {
    token.client_to_server_key = private.client_to_server_key;
    token.server_to_client_key = private.server_to_client_key;
    // SAFETY: both structs are valid and initialized; the key is 32 bytes. The shim checks the
    // address count and types before netcode.c sees them.
    let encrypted = unsafe {
        raw::netcode_sys_encrypt_connect_token_private(private, private_key.as_ptr(), &mut token)
    };
    if encrypted != 1 {
        return Err(Error::InvalidToken(
            "its private part could not be written (no server address, or one of no known type)",
        ));
    }
    Token::from_raw(&token)
}

/// A connect token, as the reference writes it: [`NETCODE_CONNECT_TOKEN_BYTES`] bytes a player
/// gets from the backend and gives to [`NetcodeClient::connect`](crate::NetcodeClient::connect).
/// Made by [`TokenGenerator::generate`], or read with [`Token::from_bytes`]; either way the C
/// wrote or read the bytes and the fields below are what it found in them.
#[derive(Clone)]
pub struct Token {
    bytes: [u8; NETCODE_CONNECT_TOKEN_BYTES],
    version: Version,
    protocol_id: u64,
    create_timestamp: u64,
    expire_timestamp: u64,
    nonce: [u8; NONCE_BYTES],
    timeout_seconds: i32,
    servers: ServerAddresses,
}

/// A token's nonce: 24 bytes on 1.02; on 1.00 the 8-byte sequence, little-endian, then zeros.
pub const NONCE_BYTES: usize = raw::NETCODE_SYS_TOKEN_NONCE_BYTES as usize;

impl Token {
    /// Reads a token in the reference's format (exactly [`NETCODE_CONNECT_TOKEN_BYTES`] bytes),
    /// as the C reads it; [`Error::InvalidToken`] says what is wrong with one it cannot use.
    ///
    /// ```
    /// # let generator = netcode::TokenGenerator::new(netcode::TokenSettings::new(1, netcode::ServerAddresses::one("127.0.0.1:40000".parse().unwrap())), &[0; 32]).unwrap();
    /// let token = generator.generate(42, &[0; 256])?;
    /// let received = netcode::Token::from_bytes(token.as_bytes())?;
    /// assert_eq!(received.servers(), token.servers());
    /// assert!(netcode::Token::from_bytes(&token.as_bytes()[..100]).is_err());
    /// # Ok::<(), netcode::Error>(())
    /// ```
    pub fn from_bytes(bytes: &[u8]) -> Result<Token> {
        if bytes.len() != NETCODE_CONNECT_TOKEN_BYTES {
            return Err(Error::InvalidToken(
                "it is not 2048 bytes long (the reference's connect token length)",
            ));
        }
        let token = read_raw(bytes)?;
        let mut owned = [0; NETCODE_CONNECT_TOKEN_BYTES];
        owned.copy_from_slice(bytes);
        Token::new(owned, &token)
    }

    /// Has the C write `token`, and keeps the bytes with the fields they hold.
    pub(crate) fn from_raw(token: &raw::netcode_sys_connect_token) -> Result<Token> {
        let mut bytes = [0; NETCODE_CONNECT_TOKEN_BYTES];
        // SAFETY: a valid struct and a 2048-byte buffer; the shim checks count and types.
        if unsafe { raw::netcode_sys_write_connect_token(token, bytes.as_mut_ptr()) } != 1 {
            return Err(Error::InvalidToken(
                "it lists no server address, more than 32, or one of no known type",
            ));
        }
        Token::new(bytes, token)
    }

    fn new(
        bytes: [u8; NETCODE_CONNECT_TOKEN_BYTES],
        token: &raw::netcode_sys_connect_token,
    ) -> Result<Token> {
        let servers =
            ServerAddresses::from_raw(token.num_server_addresses, &token.server_addresses).ok_or(
                Error::InvalidToken("it lists no server address, or more than 32"),
            )?;
        let version = Version::from_raw(token.wire)
            .ok_or(Error::InvalidToken("it is neither NETCODE 1.00 nor 1.02"))?;
        // On 1.02 a timeout of 0 means none, as in the current reference; a 1.00 peer of the
        // pinned C times out at once.
        if token.timeout_seconds == 0 && version == Version::V1_00 {
            return Err(Error::InvalidToken(
                "its timeout is 0, so a NETCODE 1.00 connection would time out at once",
            ));
        }
        if token.create_timestamp > token.expire_timestamp {
            return Err(Error::InvalidToken("it expires before it was created"));
        }
        Ok(Token {
            bytes,
            version,
            protocol_id: token.protocol_id,
            create_timestamp: token.create_timestamp,
            expire_timestamp: token.expire_timestamp,
            nonce: token.nonce,
            timeout_seconds: token.timeout_seconds,
            servers,
        })
    }

    /// The token's bytes, to send to the player.
    pub fn as_bytes(&self) -> &[u8; NETCODE_CONNECT_TOKEN_BYTES] {
        &self.bytes
    }

    /// Its protocol version: a client speaks it, and only servers of it accept the token.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The protocol id of the servers that accept it.
    pub fn protocol_id(&self) -> u64 {
        self.protocol_id
    }

    /// When it was made, in seconds since the Unix epoch.
    pub fn create_timestamp(&self) -> u64 {
        self.create_timestamp
    }

    /// When it expires, in seconds since the Unix epoch. A client counts the lifetime
    /// (`expire_timestamp - create_timestamp`) from when it starts connecting.
    pub fn expire_timestamp(&self) -> u64 {
        self.expire_timestamp
    }

    /// The nonce its private part is encrypted under (random for every token made here): on
    /// 1.02 all 24 bytes, on 1.00 the 8 of its sequence (little-endian), then zeros.
    pub fn nonce(&self) -> &[u8; NONCE_BYTES] {
        &self.nonce
    }

    /// Seconds without a packet after which the connection times out; 0 or less: never (0
    /// only in 1.02 tokens made elsewhere: the current reference reads it so).
    pub fn timeout_seconds(&self) -> i32 {
        self.timeout_seconds
    }

    /// The servers, in the order a client tries them.
    pub fn servers(&self) -> &ServerAddresses {
        &self.servers
    }

    /// The MAC of the private part: what tells tokens apart.
    pub(crate) fn mac(&self) -> [u8; 16] {
        let nonce = match self.version {
            Version::V1_00 => 8,
            Version::V1_02 => NONCE_BYTES,
        };
        let end = PRIVATE_DATA_OFFSET + nonce + NETCODE_CONNECT_TOKEN_PRIVATE_BYTES;
        let mut mac = [0; 16];
        mac.copy_from_slice(&self.bytes[end - 16..end]);
        mac
    }

    /// The token as the C's struct.
    pub(crate) fn to_raw(&self) -> Result<raw::netcode_sys_connect_token> {
        read_raw(&self.bytes)
    }

    /// Decrypts the private part with the servers' `private_key`: what a server learns from
    /// the token. [`Error::TokenDoesNotDecrypt`] if the key (or the protocol id the token was
    /// made for) is not the one it was made with, or the token was altered.
    pub fn decode(&self, private_key: &[u8; NETCODE_KEY_BYTES]) -> Result<TokenPrivate> {
        ensure_init()?;
        let token = self.to_raw()?;
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
        let servers =
            ServerAddresses::from_raw(private.num_server_addresses, &private.server_addresses);
        let decoded = match (ok, servers) {
            (1, Some(servers)) => Ok(TokenPrivate {
                client_id: private.client_id,
                timeout_seconds: match self.version {
                    Version::V1_00 => None,
                    Version::V1_02 => Some(private.timeout_seconds),
                },
                servers,
                client_to_server_key: private.client_to_server_key,
                server_to_client_key: private.server_to_client_key,
                user_data: private.user_data,
            }),
            _ => Err(Error::TokenDoesNotDecrypt),
        };
        wipe(&mut private.client_to_server_key);
        wipe(&mut private.server_to_client_key);
        decoded
    }
}

/// Where the nonce ends and the private part starts, less the nonce: after the version info and
/// three 64-bit fields.
const PRIVATE_DATA_OFFSET: usize = 13 + 3 * 8;

fn read_raw(bytes: &[u8]) -> Result<raw::netcode_sys_connect_token> {
    let mut token = raw::netcode_sys_connect_token::default();
    // SAFETY: the pointer and length describe `bytes`; the C reads at most that many (it
    // refuses any length but 2048) and writes only `token`.
    let ok = unsafe {
        raw::netcode_sys_read_connect_token(bytes.as_ptr(), bytes.len() as i32, &mut token)
    };
    if ok != 1 {
        return Err(Error::InvalidToken(
            "the C cannot read it (neither NETCODE 1.00 nor 1.02, created after it expires, or \
             no, too many or unknown server addresses)",
        ));
    }
    Ok(token)
}

impl PartialEq for Token {
    /// Tokens are equal when their bytes are.
    fn eq(&self, other: &Token) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for Token {}

impl fmt::Debug for Token {
    /// Shows the public fields; keys and the private part are left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("version", &self.version)
            .field("protocol_id", &self.protocol_id)
            .field("create_timestamp", &self.create_timestamp)
            .field("expire_timestamp", &self.expire_timestamp)
            .field("nonce", &self.nonce)
            .field("timeout_seconds", &self.timeout_seconds)
            .field("servers", &self.servers)
            .finish_non_exhaustive()
    }
}

/// The decrypted private part of a [`Token`]: what the server learns about the client.
#[derive(Clone)]
pub struct TokenPrivate {
    /// The client's id.
    pub client_id: u64,
    /// The timeout the private part carries (1.02); `None` on 1.00, whose private part has
    /// none (its servers use 5 seconds).
    pub timeout_seconds: Option<i32>,
    /// The servers the token is valid for (a server accepts it only if it is among them).
    pub servers: ServerAddresses,
    /// The key the client encrypts its packets with.
    pub client_to_server_key: [u8; NETCODE_KEY_BYTES],
    /// The key the server encrypts its packets to the client with.
    pub server_to_client_key: [u8; NETCODE_KEY_BYTES],
    /// The data for the server about this client, given when the token was made.
    pub user_data: [u8; NETCODE_USER_DATA_BYTES],
}

impl fmt::Debug for TokenPrivate {
    /// Shows the client id and servers; keys and user data are left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenPrivate")
            .field("client_id", &self.client_id)
            .field("servers", &self.servers)
            .finish_non_exhaustive()
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

/// A random nonce for a token's private part, which must never repeat under one key
/// (SECURITY.md): 24 random bytes on 1.02 (collisions are out of reach), a random 64-bit
/// sequence on 1.00 (they collide by chance only after billions of tokens per key; counting
/// from 0 collides at the first restart).
pub(crate) fn random_nonce(version: Version) -> [u8; NONCE_BYTES] {
    let mut nonce = [0; NONCE_BYTES];
    match version {
        Version::V1_00 => random_bytes(&mut nonce[..8]),
        Version::V1_02 => random_bytes(&mut nonce),
    }
    nonce
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

/// Seconds since the Unix epoch (0 for a clock set before it).
pub(crate) fn now_utc() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
