//! The idiomatic server: [`NetcodeServer`], the [`Event`]s it records and the [`Session`]s
//! that name its clients.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::raw::c_int;
use std::ptr::NonNull;

use netcode_sys as raw;

use crate::address;
use crate::ffi::{bind_error, check_payload, sent};
use crate::init::{ensure_init, flush_log, sync_log_level};
use crate::limits::{NETCODE_KEY_BYTES, NETCODE_MAX_CLIENTS, NETCODE_USER_DATA_BYTES};
use crate::payload::Payload;
use crate::simulator::{NetworkSimulator, Transport};
use crate::token::{ServerAddresses, Token, TokenGenerator, TokenSettings};
use crate::{Error, Version};

/// How to set up a [`NetcodeServer`].
#[derive(Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The address the socket binds. Port 0 lets the system pick one
    /// ([`NetcodeServer::local_address`] tells which).
    pub bind_address: SocketAddr,
    /// The address clients reach the server at: the one connect tokens must list. Port 0 means
    /// the port actually bound.
    pub public_address: SocketAddr,
    /// Client slots, 1 to [`NETCODE_MAX_CLIENTS`].
    pub max_clients: usize,
    /// Only tokens made for this protocol id are accepted.
    pub protocol_id: u64,
    /// The key connect tokens for this server are encrypted with.
    pub private_key: [u8; NETCODE_KEY_BYTES],
    /// One session per connect token (default: true). The server keeps every token presented
    /// to it in its token history ([`TOKEN_HISTORY`](NetcodeServer::TOKEN_HISTORY) entries)
    /// until the token expires; once a token got a client a slot, it admits nothing more, from
    /// any address, whether or not that client is still connected (counted as
    /// [`token_already_used`](crate::IgnoredRequests::token_already_used)). With `false`, the
    /// pinned C's rule: a token is answered again from the address that used it first, and a
    /// second session under it reuses the first one's keys with sequence numbers (AEAD nonces)
    /// that start at 0 again. Either way a token whose handshake has started is refused from
    /// every other address.
    pub refuse_token_reuse: bool,
    /// The restart rule: the longest token lifetime, in seconds, this server accepts (default
    /// `Some(30)`, [`TokenSettings`]' default lifetime). With `Some(max)`, a token that expires
    /// before the server's creation (wall clock) plus `max` is refused (it could have been
    /// made, and used, before this server existed, which its token history cannot know:
    /// [`token_before_start`](crate::IgnoredRequests::token_before_start)), and so is a token
    /// that expires later than now plus `max`
    /// ([`token_lifetime_too_long`](crate::IgnoredRequests::token_lifetime_too_long)).
    ///
    /// Only a token's expiry is authenticated (its creation time is not in the connection
    /// request), so the rule works on the expiry alone: tokens that live shorter than `max`
    /// are refused for the first `max - lifetime` seconds after a start (15-s tokens, with the
    /// default, for 15 s). Tokens must not be longer-lived than `max`, and a backend's clock
    /// must not run ahead of the server's (by a second or more, a fresh token looks too
    /// long-lived): allow for that by a larger `max`. With `None`, a restarted server accepts
    /// a token that was used before its restart, once more (the 0.3.1 API's servers, whose
    /// documented lifetimes no one maximum accepts right after a start; SECURITY.md).
    /// `Some(0)` would refuse every token: [`NetcodeServer::new`] refuses it.
    pub max_token_lifetime: Option<u32>,
    /// The protocol version the server speaks (default [`Version::V1_02`]); it accepts only
    /// tokens and clients of that version (others count as
    /// [`wrong_version`](crate::IgnoredRequests::wrong_version)).
    pub version: Version,
}

impl ServerConfig {
    /// A server reached at the address it binds, with [`NETCODE_MAX_CLIENTS`] slots.
    pub fn new(
        address: SocketAddr,
        protocol_id: u64,
        private_key: [u8; NETCODE_KEY_BYTES],
    ) -> ServerConfig {
        ServerConfig {
            bind_address: address,
            public_address: address,
            max_clients: NETCODE_MAX_CLIENTS,
            protocol_id,
            private_key,
            refuse_token_reuse: true,
            max_token_lifetime: Some(DEFAULT_MAX_TOKEN_LIFETIME),
            version: Version::V1_02,
        }
    }

    /// Sets the protocol version (default 1.02: every living implementation speaks it; 1.00
    /// for netcode 0.3.1 peers and the 2017 reference C).
    pub fn version(mut self, version: Version) -> ServerConfig {
        self.version = version;
        self
    }

    /// Sets the public address (when it differs from the bound one: `0.0.0.0:40000` behind a
    /// public `203.0.113.7:40000`).
    pub fn public_address(mut self, address: SocketAddr) -> ServerConfig {
        self.public_address = address;
        self
    }

    /// Sets whether a connect token opens one session only (default: true; see
    /// [`refuse_token_reuse`](ServerConfig#structfield.refuse_token_reuse)).
    pub fn refuse_token_reuse(mut self, refuse: bool) -> ServerConfig {
        self.refuse_token_reuse = refuse;
        self
    }

    /// Sets the longest token lifetime accepted, in seconds, or `None` for no restart rule
    /// (default: `Some(30)`; see
    /// [`max_token_lifetime`](ServerConfig#structfield.max_token_lifetime)).
    pub fn max_token_lifetime(mut self, seconds: Option<u32>) -> ServerConfig {
        self.max_token_lifetime = seconds;
        self
    }

    /// Sets the number of client slots.
    pub fn max_clients(mut self, max_clients: usize) -> ServerConfig {
        self.max_clients = max_clients;
        self
    }
}

impl fmt::Debug for ServerConfig {
    /// Leaves the private key out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("bind_address", &self.bind_address)
            .field("public_address", &self.public_address)
            .field("max_clients", &self.max_clients)
            .field("protocol_id", &self.protocol_id)
            .field("refuse_token_reuse", &self.refuse_token_reuse)
            .field("max_token_lifetime", &self.max_token_lifetime)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// [`TokenSettings`]' default lifetime: a server's own fresh tokens pass the restart rule.
const DEFAULT_MAX_TOKEN_LIFETIME: u32 = 30;

/// One connection of a client to a server: its slot and a serial number the C gives every
/// connection it accepts and never reuses. Keep it to send to, receive from or disconnect that
/// client: once the client has left, every call with its session fails
/// ([`Error::ClientNotConnected`]) instead of reaching the next client in the same slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Session {
    index: usize,
    serial: u64,
}

impl Session {
    /// The slot, `0..max_clients`.
    pub fn index(self) -> usize {
        self.index
    }

    /// The serial number: 1 for the server's first connection, then 2, 3, ...
    pub fn serial(self) -> u64 {
        self.serial
    }
}

impl fmt::Display for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{} in slot {}", self.serial, self.index)
    }
}

/// A connected client, as the server sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientInfo {
    /// Its connection: the handle to send to it.
    pub session: Session,
    /// The client id from its connect token.
    pub id: u64,
    /// The address its packets come from.
    pub address: SocketAddr,
}

/// Why a connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// This side asked for it: [`NetcodeServer::disconnect`] on a server,
    /// [`NetcodeClient::disconnect`](crate::NetcodeClient::disconnect) (or a new `connect`) on
    /// a client.
    Local,
    /// The other side disconnected cleanly: it sent its disconnect packets.
    DisconnectPacket,
    /// Nothing arrived from the other side for the timeout (5 seconds on 1.00; on 1.02 the
    /// token's).
    TimedOut,
}

impl DisconnectReason {
    pub(crate) fn from_raw(reason: c_int) -> Option<DisconnectReason> {
        match reason {
            raw::NETCODE_SYS_DISCONNECT_LOCAL => Some(DisconnectReason::Local),
            raw::NETCODE_SYS_DISCONNECT_PACKET => Some(DisconnectReason::DisconnectPacket),
            raw::NETCODE_SYS_DISCONNECT_TIMED_OUT => Some(DisconnectReason::TimedOut),
            _ => None,
        }
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DisconnectReason::Local => "disconnected by this side",
            DisconnectReason::DisconnectPacket => "the other side disconnected",
            DisconnectReason::TimedOut => "timed out",
        })
    }
}

/// What happened on a server, in the order it happened: read with
/// [`NetcodeServer::next_event`] after [`update`](NetcodeServer::update).
#[derive(Clone, Debug, PartialEq, Eq)]
// A connect carries its 256 bytes of user data inline: events are read one at a time and
// boxing would allocate per connect.
#[allow(clippy::large_enum_variant)]
pub enum Event {
    /// A client got a slot.
    Connected {
        /// Who, where, and its session.
        client: ClientInfo,
        /// The user data of its connect token.
        user_data: [u8; NETCODE_USER_DATA_BYTES],
    },
    /// A client left its slot. Its session is not connected any more; payloads it sent that
    /// were not received are dropped.
    Disconnected {
        /// Who it was.
        client: ClientInfo,
        /// Why.
        reason: DisconnectReason,
    },
}

/// An event as the C recorded it, borrowed from its queue; the 0.3.1 API reads the kinds only
/// it asks the C to record.
pub(crate) enum Recorded<'a> {
    Connected(ClientInfo, &'a [u8; NETCODE_USER_DATA_BYTES]),
    Disconnected(ClientInfo, DisconnectReason),
    KeepAliveSent(ClientInfo),
    Denied,
}

impl Recorded<'_> {
    /// The event of the idiomatic API, if this is one.
    fn to_event(&self) -> Option<Event> {
        match *self {
            Recorded::Connected(client, user_data) => Some(Event::Connected {
                client,
                user_data: *user_data,
            }),
            Recorded::Disconnected(client, reason) => Some(Event::Disconnected { client, reason }),
            Recorded::KeepAliveSent(_) | Recorded::Denied => None,
        }
    }
}

type ConnectCallback = Box<dyn FnMut(&ClientInfo, &[u8; NETCODE_USER_DATA_BYTES]) + Send>;
type DisconnectCallback = Box<dyn FnMut(&ClientInfo, DisconnectReason) + Send>;

/// A dedicated server: client slots, keep-alives, timeouts, clean disconnects and replay
/// protection, all from the reference C.
///
/// Drive it from your loop: [`update`](NetcodeServer::update) with your clock, then read what
/// happened with [`next_event`](NetcodeServer::next_event) (or let the closures given to
/// [`on_client_connect`](NetcodeServer::on_client_connect) and
/// [`on_client_disconnect`](NetcodeServer::on_client_disconnect) take those events), then
/// [`receive`](NetcodeServer::receive) what the clients sent and
/// [`send`](NetcodeServer::send) to them, by [`Session`].
///
/// ```
/// use netcode::{server::Event, NetcodeServer, ServerConfig};
///
/// let key = netcode::generate_key();
/// let config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), 0x1122334455667788, key).max_clients(16);
/// let mut server = NetcodeServer::new(config).unwrap();
///
/// // A token for a player (normally made by your web backend with the same key).
/// let token = server.generate_token(42, &[0; 256]).unwrap();
/// assert_eq!(token.servers().as_slice(), &[server.public_address()]);
///
/// let mut time = 0.0;
/// for _ in 0..3 {
///     server.update(time);
///     while let Some(event) = server.next_event() {
///         match event {
///             Event::Connected { client, .. } => println!("client {} joined ({})", client.id, client.session),
///             Event::Disconnected { client, reason } => println!("client {} left: {reason}", client.id),
///         }
///     }
///     for client in server.clients().collect::<Vec<_>>() {
///         while let Some(payload) = server.receive(client.session) {
///             println!("client {} sent {} bytes", client.id, payload.len());
///         }
///     }
///     time += 1.0 / 60.0;
/// }
/// ```
///
/// A server is `Send` (it can move to another thread) but not `Sync`:
///
/// ```compile_fail,E0277
/// fn shared_between_threads<T: Sync>() {}
/// shared_between_threads::<netcode::NetcodeServer>();
/// ```
pub struct NetcodeServer {
    raw: NonNull<raw::netcode_server_t>,
    transport: Transport,
    local_address: SocketAddr,
    public_address: SocketAddr,
    protocol_id: u64,
    version: Version,
    private_key: [u8; NETCODE_KEY_BYTES],
    /// How many of the C's queued events were already there when the last update returned:
    /// the next update discards those still unread (unless `keep_unread`).
    unread_at_update: usize,
    /// Keep unread events across updates (the 0.3.1 API reads every one of them).
    keep_unread: bool,
    on_connect: Option<ConnectCallback>,
    on_disconnect: Option<DisconnectCallback>,
}

// SAFETY: the C server has no thread affinity: it touches only its own memory, its socket and,
// over a simulator, the simulator, which `Transport::exclusive` locks. All access goes through
// `&mut self` (or `&self` for reads that no other thread can race with, since the handle is not
// Sync), and the callbacks are `Send`.
unsafe impl Send for NetcodeServer {}

impl NetcodeServer {
    /// The entries of a server's token history: it holds this many tokens that have not
    /// expired, one entry a token presented to it. Beyond that, new tokens are refused (never
    /// is an entry evicted) until the oldest expire: with 30-s tokens, up to 136 new tokens a
    /// second, sustained. About 350 KiB of the server's memory (88 bytes an entry).
    pub const TOKEN_HISTORY: usize = raw::NETCODE_SYS_TOKEN_HISTORY as usize;

    /// A server on its own UDP socket, started with `config.max_clients` slots.
    ///
    /// The public address must be one clients can reach: binding `0.0.0.0:40000` needs a
    /// [`public_address`](ServerConfig::public_address), or every token would name an address
    /// no client can send to ([`Error::UnspecifiedPublicAddress`]).
    pub fn new(config: ServerConfig) -> Result<NetcodeServer, Error> {
        check_config(&config)?;
        if config.public_address.ip().is_unspecified() {
            return Err(Error::UnspecifiedPublicAddress(config.public_address));
        }
        ensure_init()?;
        let bind = address::to_c_string(&config.bind_address);
        let public = address::to_c_string(&config.public_address);
        // SAFETY: valid NUL-terminated strings and a 32-byte key, which the C copies.
        let created = unsafe {
            raw::netcode_sys_server_create(
                bind.as_ptr(),
                public.as_ptr(),
                config.protocol_id,
                config.private_key.as_ptr(),
                0.0,
            )
        };
        flush_log();
        let raw = NonNull::new(created).ok_or_else(|| bind_error(config.bind_address))?;
        // SAFETY: a live server; the shim reports the port its socket is bound to.
        let port = unsafe { raw::netcode_sys_server_port(raw.as_ptr()) };
        let local_address = SocketAddr::new(config.bind_address.ip(), port);
        let mut public_address = config.public_address;
        if public_address.port() == 0 {
            public_address.set_port(port);
        }
        Ok(Self::start(
            raw,
            Transport::Udp,
            local_address,
            public_address,
            &config,
        ))
    }

    /// A server on `simulator` instead of a socket, known there by `config.public_address`
    /// (which needs a port; the bind address is not used).
    pub fn with_simulator(
        simulator: &NetworkSimulator,
        config: ServerConfig,
    ) -> Result<NetcodeServer, Error> {
        check_config(&config)?;
        if config.public_address.port() == 0 {
            return Err(Error::SimulatedAddressNeedsPort(config.public_address));
        }
        ensure_init()?;
        let transport = Transport::Simulated(simulator.shared());
        let public = address::to_c_string(&config.public_address);
        let mut key = config.private_key;
        // SAFETY: valid strings (the C only reads them), a 32-byte key it copies, and a live
        // simulator that `transport` keeps alive as long as the server.
        let created = unsafe {
            raw::netcode_server_create_internal(
                public.as_ptr().cast_mut(),
                public.as_ptr().cast_mut(),
                config.protocol_id,
                key.as_mut_ptr(),
                0.0,
                transport.simulator_ptr(),
            )
        };
        flush_log();
        // The address is well formed and has a port, so only an allocation can have failed.
        let raw = NonNull::new(created).ok_or(Error::OutOfMemory)?;
        Ok(Self::start(
            raw,
            transport,
            config.public_address,
            config.public_address,
            &config,
        ))
    }

    fn start(
        raw: NonNull<raw::netcode_server_t>,
        transport: Transport,
        local_address: SocketAddr,
        public_address: SocketAddr,
        config: &ServerConfig,
    ) -> NetcodeServer {
        // SAFETY: a live server, not yet started (set_wire refuses a running one); max_clients
        // was checked to be 1..=NETCODE_MAX_CLIENTS.
        unsafe {
            raw::netcode_sys_server_set_wire(raw.as_ptr(), config.version.to_raw());
            raw::netcode_server_start(raw.as_ptr(), config.max_clients as c_int);
            raw::netcode_sys_server_refuse_token_reuse(
                raw.as_ptr(),
                c_int::from(config.refuse_token_reuse),
            );
            raw::netcode_sys_server_limit_token_lifetime(
                raw.as_ptr(),
                c_int::from(config.max_token_lifetime.is_some()),
                config.max_token_lifetime.unwrap_or(0),
            );
            raw::netcode_sys_server_record_events(raw.as_ptr(), 1);
        }
        flush_log();
        NetcodeServer {
            raw,
            transport,
            local_address,
            public_address,
            protocol_id: config.protocol_id,
            version: config.version,
            private_key: config.private_key,
            unread_at_update: 0,
            keep_unread: false,
            on_connect: None,
            on_disconnect: None,
        }
    }

    /// Receives and processes packets, sends keep-alives, times out silent clients, and then
    /// hands what happened to the closures, if any (see
    /// [`on_client_connect`](NetcodeServer::on_client_connect)); the other events wait for
    /// [`next_event`](NetcodeServer::next_event) until the next update, which discards those
    /// still unread. `time` is in seconds on a clock of your choice that only moves forward; a
    /// time that is not finite is ignored.
    pub fn update(&mut self, time: f64) {
        if !time.is_finite() {
            return;
        }
        sync_log_level();
        let server = self.raw.as_ptr();
        if !self.keep_unread {
            for _ in 0..std::mem::take(&mut self.unread_at_update) {
                // SAFETY: a live server.
                unsafe { raw::netcode_sys_server_pop_event(server) };
            }
        }
        // SAFETY: a live server; the transport lock covers the simulator.
        self.transport
            .exclusive(|| unsafe { raw::netcode_server_update(server, time) });
        // SAFETY: a live server; a few comparisons in the shim.
        let reasons = unsafe { raw::netcode_sys_server_take_new_ignored_reasons(server) };
        if reasons != 0 {
            crate::ignored::log_reasons(reasons, self.public_address);
        }
        self.dispatch();
        // SAFETY: a live server.
        self.unread_at_update = unsafe { raw::netcode_sys_server_num_events(server) } as usize;
    }

    /// Hands each queued event whose kind has a closure to it, in order; the others stay
    /// queued, in order.
    fn dispatch(&mut self) {
        if self.on_connect.is_none() && self.on_disconnect.is_none() {
            return;
        }
        let server = self.raw.as_ptr();
        // SAFETY: a live server.
        let queued = unsafe { raw::netcode_sys_server_num_events(server) };
        for _ in 0..queued {
            let taken = match self.peek(|recorded| recorded.to_event()).flatten() {
                Some(Event::Connected { .. }) => self.on_connect.is_some(),
                Some(Event::Disconnected { .. }) => self.on_disconnect.is_some(),
                None => false,
            };
            if !taken {
                // SAFETY: a live server with at least one queued event.
                unsafe { raw::netcode_sys_server_requeue_event(server) };
                continue;
            }
            match self.read(|recorded| recorded.to_event()).flatten() {
                Some(Event::Connected { client, user_data }) => {
                    if let Some(callback) = self.on_connect.as_mut() {
                        callback(&client, &user_data);
                    }
                }
                Some(Event::Disconnected { client, reason }) => {
                    if let Some(callback) = self.on_disconnect.as_mut() {
                        callback(&client, reason);
                    }
                }
                None => {}
            }
        }
    }

    /// The next thing that happened, oldest first: clients that connected and disconnected,
    /// recorded by the C where it happened. `None` when there is nothing more; events are
    /// kept until the next [`update`](NetcodeServer::update) (those of calls between updates,
    /// like [`disconnect`](NetcodeServer::disconnect), until the one after).
    pub fn next_event(&mut self) -> Option<Event> {
        loop {
            match self.read(|recorded| recorded.to_event())? {
                Some(event) => return Some(event),
                // Kinds only the 0.3.1 API asks for.
                None => continue,
            }
        }
    }

    /// Calls `f` with the oldest queued event, and removes it from the queue.
    pub(crate) fn read<R>(&mut self, f: impl FnOnce(Recorded<'_>) -> R) -> Option<R> {
        let result = self.peek(f)?;
        // SAFETY: a live server with at least one queued event.
        unsafe { raw::netcode_sys_server_pop_event(self.raw.as_ptr()) };
        self.unread_at_update = self.unread_at_update.saturating_sub(1);
        Some(result)
    }

    /// Calls `f` with the oldest queued event, leaving it queued.
    fn peek<R>(&self, f: impl FnOnce(Recorded<'_>) -> R) -> Option<R> {
        // SAFETY: a live server; the event lives in the server's queue until the next call on
        // the server, and `f` cannot make one (it gets no server).
        let event = unsafe { raw::netcode_sys_server_peek_event(self.raw.as_ptr()).as_ref()? };
        let client = || ClientInfo {
            session: Session {
                index: usize::try_from(event.client_index).unwrap_or(0),
                serial: event.session,
            },
            id: event.client_id,
            address: address::from_raw(&event.address)
                .unwrap_or(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0))),
        };
        let reason = DisconnectReason::from_raw(event.reason).unwrap_or(DisconnectReason::Local);
        Some(f(match event.type_ {
            raw::NETCODE_SYS_SERVER_EVENT_CONNECTED => {
                Recorded::Connected(client(), &event.user_data)
            }
            raw::NETCODE_SYS_SERVER_EVENT_DISCONNECTED => Recorded::Disconnected(client(), reason),
            raw::NETCODE_SYS_SERVER_EVENT_KEEP_ALIVE_SENT => Recorded::KeepAliveSent(client()),
            _ => Recorded::Denied,
        }))
    }

    /// Makes the C record keep-alives sent and denied connections, and keeps unread events
    /// across updates: for the 0.3.1 API, which reports them all.
    pub(crate) fn record_everything(&mut self) {
        self.keep_unread = true;
        // SAFETY: a live server.
        unsafe { raw::netcode_sys_server_record_info_events(self.raw.as_ptr(), 1) };
    }

    /// Sends `payload` (1 to [`NETCODE_MAX_PAYLOAD_SIZE`](crate::NETCODE_MAX_PAYLOAD_SIZE)
    /// bytes) to the client of `session`.
    pub fn send(&mut self, session: Session, payload: &[u8]) -> Result<(), Error> {
        check_payload(payload)?;
        let server = self.raw.as_ptr();
        // SAFETY: a live server; the shim checks the session (slot in range, connected, same
        // connection) and the room in the packet before the C copies the payload (1..=1200
        // bytes, valid for its length).
        let result = self.transport.exclusive(|| unsafe {
            raw::netcode_sys_server_send(
                server,
                c_index(session.index),
                session.serial,
                payload.as_ptr(),
                payload.len() as c_int,
            )
        });
        sent(result, payload.len(), Error::ClientNotConnected(session))
    }

    /// The next payload from the client of `session`, if any: a view of the C's buffer,
    /// handed back when dropped. `None` too once that client has left.
    pub fn receive(&mut self, session: Session) -> Option<Payload<'_>> {
        // SAFETY: a live server; the shim checks the session; the payload borrows self
        // mutably, so it cannot outlive the server.
        unsafe { Payload::from_server(self.raw, c_index(session.index), session.serial) }
    }

    /// Disconnects the client of `session` (it is told, with the reference's redundant
    /// disconnect packets). The slot is free at once; the [`Event::Disconnected`] (reason
    /// [`DisconnectReason::Local`]) is read like any other.
    pub fn disconnect(&mut self, session: Session) -> Result<(), Error> {
        let server = self.raw.as_ptr();
        // SAFETY: a live server; the shim checks the session. The C frees the slot and its
        // unread payloads (patch 0007).
        let done = self.transport.exclusive(|| unsafe {
            raw::netcode_sys_server_disconnect(server, c_index(session.index), session.serial)
        });
        if done == 1 {
            Ok(())
        } else {
            Err(Error::ClientNotConnected(session))
        }
    }

    /// Disconnects every client.
    pub fn disconnect_all(&mut self) {
        let server = self.raw.as_ptr();
        // SAFETY: a live server; the C disconnects the connected slots.
        self.transport
            .exclusive(|| unsafe { raw::netcode_server_disconnect_all_clients(server) });
    }

    /// The connected clients, by slot, as the C has them now.
    pub fn clients(&self) -> impl Iterator<Item = ClientInfo> + '_ {
        (0..self.max_clients()).filter_map(|index| self.client(index))
    }

    /// The client in slot `client_index`, if one is connected there.
    pub fn client(&self, client_index: usize) -> Option<ClientInfo> {
        let mut info = raw::netcode_sys_client_info::default();
        // SAFETY: a live server; the shim checks the index and writes `info` if connected.
        let connected = unsafe {
            raw::netcode_sys_server_client_info(self.raw.as_ptr(), c_index(client_index), &mut info)
        };
        (connected == 1).then(|| client_info(client_index, &info))
    }

    /// The connected client with this id, if any.
    pub fn find_client(&self, client_id: u64) -> Option<ClientInfo> {
        let mut info = raw::netcode_sys_client_info::default();
        // SAFETY: a live server; the shim writes `info` if it finds the client.
        let index =
            unsafe { raw::netcode_sys_server_find_client(self.raw.as_ptr(), client_id, &mut info) };
        let index = usize::try_from(index).ok()?;
        Some(client_info(index, &info))
    }

    /// The user data from the connect token of the client of `session`, while it is connected.
    pub fn client_user_data(&self, session: Session) -> Option<&[u8; NETCODE_USER_DATA_BYTES]> {
        // SAFETY: a live server; the shim checks the session and returns the slot's 256 bytes,
        // which only change through `&mut self` calls, so the borrow of self covers them.
        unsafe {
            raw::netcode_sys_server_client_user_data(
                self.raw.as_ptr(),
                c_index(session.index),
                session.serial,
            )
            .cast::<[u8; NETCODE_USER_DATA_BYTES]>()
            .as_ref()
        }
    }

    /// How many clients are connected.
    pub fn num_connected_clients(&self) -> usize {
        // SAFETY: a live server.
        let count = unsafe { raw::netcode_server_num_clients_connected(self.raw.as_ptr()) };
        usize::try_from(count).unwrap_or(0)
    }

    /// The number of client slots.
    pub fn max_clients(&self) -> usize {
        // SAFETY: a live server.
        let count = unsafe { raw::netcode_sys_server_max_clients(self.raw.as_ptr()) };
        usize::try_from(count).unwrap_or(0)
    }

    /// The address the socket is bound to (over a simulator: the public address).
    pub fn local_address(&self) -> SocketAddr {
        self.local_address
    }

    /// The address connect tokens for this server list.
    pub fn public_address(&self) -> SocketAddr {
        self.public_address
    }

    /// The protocol id this server accepts.
    pub fn protocol_id(&self) -> u64 {
        self.protocol_id
    }

    /// The connection requests and other packets this server dropped since it was created,
    /// by reason, counted by the C where it drops them. A player whose connect times out
    /// cannot tell a wrong key from a wrong protocol id or a server that is down; these counts
    /// can. [`update`](NetcodeServer::update) also logs, under the target `netcode`, one line
    /// for each reason the first time the server counts it: a warning with what usually causes
    /// it (info for what every busy server sees, like internet noise).
    pub fn ignored_requests(&self) -> crate::IgnoredRequests {
        let mut counts = std::mem::MaybeUninit::<raw::netcode_sys_ignored_requests>::uninit();
        // SAFETY: a live server; the shim writes every field of `counts` (a plain struct of
        // u64s), so it is initialized after the call.
        let counts = unsafe {
            raw::netcode_sys_server_ignored_requests(self.raw.as_ptr(), counts.as_mut_ptr());
            counts.assume_init()
        };
        crate::IgnoredRequests::from_raw(&counts)
    }

    /// The settings of tokens for this server: its protocol id and public address, and the
    /// default lifetime and timeout. A backend that makes tokens for it uses these with the
    /// server's key in a [`TokenGenerator`].
    pub fn token_settings(&self) -> TokenSettings {
        TokenSettings::new(self.protocol_id, ServerAddresses::one(self.public_address))
            .version(self.version)
    }

    /// The protocol version the server speaks.
    pub fn version(&self) -> Version {
        self.version
    }

    /// A connect token for this server, made with its key and
    /// [`token_settings`](NetcodeServer::token_settings): for tests and demos that run the
    /// server and its players in one program. Real deployments make tokens where players log
    /// in, with a [`TokenGenerator`].
    pub fn generate_token(
        &self,
        client_id: u64,
        user_data: &[u8; NETCODE_USER_DATA_BYTES],
    ) -> Result<Token, Error> {
        TokenGenerator::new(self.token_settings(), &self.private_key)?
            .generate(client_id, user_data)
    }

    /// The key tokens for this server are encrypted with.
    pub(crate) fn private_key(&self) -> &[u8; NETCODE_KEY_BYTES] {
        &self.private_key
    }

    /// Lets `callback` take every [`Event::Connected`]: [`update`](NetcodeServer::update)
    /// calls it with the client and the user data of its token, in the order of all events,
    /// and `next_event` no longer returns them. Replaces any earlier connect callback.
    ///
    /// The closure must be `Send + 'static`, as the server may move to another thread; it gets
    /// data, not the server, so it cannot call back into it while the server updates:
    ///
    /// ```compile_fail,E0277
    /// # use netcode::{NetcodeServer, ServerConfig};
    /// # let mut server = NetcodeServer::new(ServerConfig::new("127.0.0.1:0".parse().unwrap(), 1, [0; 32])).unwrap();
    /// let count = std::rc::Rc::new(std::cell::Cell::new(0)); // not Send
    /// server.on_client_connect(move |_, _| count.set(count.get() + 1));
    /// ```
    pub fn on_client_connect<F>(&mut self, callback: F)
    where
        F: FnMut(&ClientInfo, &[u8; NETCODE_USER_DATA_BYTES]) + Send + 'static,
    {
        self.on_connect = Some(Box::new(callback));
    }

    /// Lets `callback` take every [`Event::Disconnected`] (the client disconnected, timed out,
    /// or [`disconnect`](NetcodeServer::disconnect) was called), as
    /// [`on_client_connect`](NetcodeServer::on_client_connect) does for connects. Replaces any
    /// earlier disconnect callback.
    pub fn on_client_disconnect<F>(&mut self, callback: F)
    where
        F: FnMut(&ClientInfo, DisconnectReason) + Send + 'static,
    {
        self.on_disconnect = Some(Box::new(callback));
    }

    /// The C handle, for calls this crate does not wrap.
    ///
    /// The pointer stays valid as long as `self`. Calls through it must respect the C's
    /// preconditions (its `assert`s) and must not destroy it.
    pub fn as_raw(&self) -> *mut raw::netcode_server_t {
        self.raw.as_ptr()
    }
}

/// A slot index as the C takes it: indices beyond `c_int` become -1, which the shim refuses.
fn c_index(index: usize) -> c_int {
    c_int::try_from(index).unwrap_or(-1)
}

fn client_info(index: usize, info: &raw::netcode_sys_client_info) -> ClientInfo {
    ClientInfo {
        session: Session {
            index,
            serial: info.session,
        },
        id: info.client_id,
        address: address::from_raw(&info.address)
            .unwrap_or(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0))),
    }
}

impl Drop for NetcodeServer {
    fn drop(&mut self) {
        let server = self.raw.as_ptr();
        // SAFETY: destroyed exactly once; no payload can be alive (they borrow self). The C
        // disconnects every client (sending through the transport, hence the lock), frees the
        // queued payloads and closes the socket.
        self.transport
            .exclusive(|| unsafe { raw::netcode_server_destroy(server) });
    }
}

impl fmt::Debug for NetcodeServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NetcodeServer")
            .field("local_address", &self.local_address)
            .field("public_address", &self.public_address)
            .field("max_clients", &self.max_clients())
            .field("connected", &self.num_connected_clients())
            .finish_non_exhaustive()
    }
}

fn check_config(config: &ServerConfig) -> Result<(), Error> {
    if !(1..=NETCODE_MAX_CLIENTS).contains(&config.max_clients) {
        return Err(Error::InvalidMaxClients(config.max_clients));
    }
    if config.max_token_lifetime == Some(0) {
        return Err(Error::InvalidTokenSetting(
            "max_token_lifetime is Some(0), which refuses every token; use the tokens' \
             lifetime (30 s by default), or None for no restart rule",
        ));
    }
    Ok(())
}
