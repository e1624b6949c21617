//! The idiomatic client: [`NetcodeClient`] and its [`ConnectionState`].

use std::collections::VecDeque;
use std::fmt;
use std::net::SocketAddr;
use std::os::raw::c_int;
use std::ptr::NonNull;

use netcode_sys as raw;

use crate::address;
use crate::ffi::{bind_error, check_payload, sent};
use crate::init::{ensure_init, flush_log, sync_log_level};
use crate::payload::Payload;
use crate::server::DisconnectReason;
use crate::simulator::{NetworkSimulator, Transport};
use crate::token::Token;
use crate::Error;

/// Every state of the reference client. The negative ones in the C are the errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConnectionState {
    /// The token expired before the client got connected (its lifetime counts from the connect).
    ConnectTokenExpired,
    /// The token could not be read (malformed: its fields are checked by the C).
    InvalidConnectToken,
    /// The server went silent for the token's timeout while connected: it stopped, the network
    /// failed, or the server's loop stalled.
    ConnectionTimedOut,
    /// No server answered the challenge response in time: usually the token was already used
    /// (servers refuse a second session with one token), or the server stalled mid-handshake.
    ConnectionResponseTimedOut,
    /// No server answered the connection request in time. The server ignores requests it
    /// cannot accept without a word, so this is what a player sees when the token was made with
    /// another private key or protocol id than the server's, lists an address the server does
    /// not consider its own (its public address), has expired on the server's clock, or when no
    /// server runs there. [`hint`](ConnectionState::hint) says so in one line.
    ConnectionRequestTimedOut,
    /// The server is full.
    ConnectionDenied,
    /// Not connected, and no error: before connecting, or after a clean disconnect.
    Disconnected,
    /// Sending connection requests (first step).
    SendingConnectionRequest,
    /// Answering the server's challenge (second step).
    SendingConnectionResponse,
    /// Connected: payloads flow both ways.
    Connected,
}

impl ConnectionState {
    pub(crate) fn from_raw(state: c_int) -> ConnectionState {
        match state {
            raw::NETCODE_CLIENT_STATE_CONNECT_TOKEN_EXPIRED => ConnectionState::ConnectTokenExpired,
            raw::NETCODE_CLIENT_STATE_INVALID_CONNECT_TOKEN => ConnectionState::InvalidConnectToken,
            raw::NETCODE_CLIENT_STATE_CONNECTION_TIMED_OUT => ConnectionState::ConnectionTimedOut,
            raw::NETCODE_CLIENT_STATE_CONNECTION_RESPONSE_TIMED_OUT => {
                ConnectionState::ConnectionResponseTimedOut
            }
            raw::NETCODE_CLIENT_STATE_CONNECTION_REQUEST_TIMED_OUT => {
                ConnectionState::ConnectionRequestTimedOut
            }
            raw::NETCODE_CLIENT_STATE_CONNECTION_DENIED => ConnectionState::ConnectionDenied,
            raw::NETCODE_CLIENT_STATE_SENDING_CONNECTION_REQUEST => {
                ConnectionState::SendingConnectionRequest
            }
            raw::NETCODE_CLIENT_STATE_SENDING_CONNECTION_RESPONSE => {
                ConnectionState::SendingConnectionResponse
            }
            raw::NETCODE_CLIENT_STATE_CONNECTED => ConnectionState::Connected,
            // NETCODE_CLIENT_STATE_DISCONNECTED; the pinned C has no other state.
            _ => ConnectionState::Disconnected,
        }
    }

    /// Whether the client stopped because of an error (the C's negative states).
    pub fn is_error(self) -> bool {
        !matches!(self, ConnectionState::Disconnected)
            && !self.is_connecting()
            && !self.is_connected()
    }

    /// Whether the client is on its way to connecting.
    pub fn is_connecting(self) -> bool {
        matches!(
            self,
            ConnectionState::SendingConnectionRequest | ConnectionState::SendingConnectionResponse
        )
    }

    /// Whether the client is connected.
    pub fn is_connected(self) -> bool {
        self == ConnectionState::Connected
    }

    /// For an error state, what usually causes it, in a line to show a player or log.
    ///
    /// ```
    /// use netcode::ConnectionState;
    /// assert!(ConnectionState::ConnectionRequestTimedOut.hint().unwrap().contains("protocol id"));
    /// assert_eq!(ConnectionState::Connected.hint(), None);
    /// ```
    pub fn hint(self) -> Option<&'static str> {
        Some(match self {
            ConnectionState::ConnectTokenExpired => "the connect token expired before the client connected: get a new one",
            ConnectionState::InvalidConnectToken => "the connect token is malformed: get a new one from the backend",
            ConnectionState::ConnectionTimedOut => "the server went silent: it stopped, or the network failed",
            ConnectionState::ConnectionResponseTimedOut => "the server stopped answering mid-handshake: the token was probably already used",
            ConnectionState::ConnectionRequestTimedOut => "no server answered: check that it runs at the token's address, and that the token was made with the server's private key, protocol id and protocol version (1.00 or 1.02)",
            ConnectionState::ConnectionDenied => "the server is full",
            _ => return None,
        })
    }
}

impl fmt::Display for ConnectionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConnectionState::ConnectTokenExpired => "connect token expired",
            ConnectionState::InvalidConnectToken => "invalid connect token",
            ConnectionState::ConnectionTimedOut => "connection timed out",
            ConnectionState::ConnectionResponseTimedOut => "connection response timed out",
            ConnectionState::ConnectionRequestTimedOut => "connection request timed out",
            ConnectionState::ConnectionDenied => "connection denied",
            ConnectionState::Disconnected => "disconnected",
            ConnectionState::SendingConnectionRequest => "sending connection request",
            ConnectionState::SendingConnectionResponse => "sending connection response",
            ConnectionState::Connected => "connected",
        })
    }
}

/// A change of a client's state, recorded by the C where it happened: read with
/// [`NetcodeClient::next_event`] after [`update`](NetcodeClient::update) (or
/// [`connect`](NetcodeClient::connect), [`disconnect`](NetcodeClient::disconnect)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StateChange {
    /// The state before.
    pub from: ConnectionState,
    /// The state after.
    pub to: ConnectionState,
    /// For a change to [`ConnectionState::Disconnected`] or
    /// [`ConnectionState::ConnectionTimedOut`]: why the connection ended. The other error
    /// states are their own reason.
    pub reason: Option<DisconnectReason>,
}

/// A client event as the C recorded it; keep-alives only when the 0.3.1 API asks for them.
pub(crate) enum Recorded {
    StateChanged(StateChange),
    KeepAliveSent,
}

type StateCallback = Box<dyn FnMut(StateChange) + Send>;

/// A client: connects with a [`Token`], trying its servers in order, then exchanges
/// payloads with the server that accepted it.
///
/// ```
/// use netcode::{ConnectionState, NetcodeClient, NetcodeServer, ServerConfig};
///
/// let key = netcode::generate_key();
/// let mut server = NetcodeServer::new(ServerConfig::new("127.0.0.1:0".parse().unwrap(), 7, key)).unwrap();
/// let token = server.generate_token(1, &[0; 256]).unwrap();
///
/// let mut client = NetcodeClient::new("0.0.0.0:0".parse().unwrap()).unwrap();
/// client.on_state_change(|change| println!("{} -> {}", change.from, change.to));
/// client.connect(&token).unwrap();
///
/// let mut time = 0.0;
/// while !client.state().is_connected() && !client.state().is_error() && time < 5.0 {
///     client.update(time);
///     server.update(time);
///     std::thread::sleep(std::time::Duration::from_millis(1));
///     time += 0.05;
/// }
/// assert_eq!(client.state(), ConnectionState::Connected);
/// client.send(b"hello").unwrap();
/// ```
pub struct NetcodeClient {
    raw: NonNull<raw::netcode_client_t>,
    transport: Transport,
    local_address: SocketAddr,
    /// How many of the C's queued events were already there when the last update returned:
    /// the next update discards those still unread (unless `keep_unread`).
    unread_at_update: usize,
    /// Keep unread events across updates (the 0.3.1 API reads every one of them).
    keep_unread: bool,
    on_state_change: Option<StateCallback>,
    /// The MACs of the tokens this client connected with, newest last.
    used_tokens: VecDeque<[u8; 16]>,
}

/// How many used tokens a client remembers.
const USED_TOKENS: usize = 16;

// SAFETY: as for NetcodeServer: no thread affinity in the C client, all access through
// `&mut self`, the simulator locked by `Transport::exclusive`, and a `Send` callback.
unsafe impl Send for NetcodeClient {}

impl NetcodeClient {
    /// A client on its own UDP socket bound to `bind_address` (port 0: any port). Bind the
    /// unspecified address of the servers' family: `0.0.0.0:0` for IPv4, `[::]:0` for IPv6.
    pub fn new(bind_address: SocketAddr) -> Result<NetcodeClient, Error> {
        ensure_init()?;
        let bind = address::to_c_string(&bind_address);
        // SAFETY: a valid string the C only reads; no simulator.
        let created = unsafe {
            raw::netcode_client_create_internal(bind.as_ptr().cast_mut(), 0.0, std::ptr::null_mut())
        };
        flush_log();
        let raw = NonNull::new(created).ok_or_else(|| bind_error(bind_address))?;
        // SAFETY: a live client.
        let port = unsafe { raw::netcode_sys_client_port(raw.as_ptr()) };
        Ok(Self::from_raw(
            raw,
            Transport::Udp,
            SocketAddr::new(bind_address.ip(), port),
        ))
    }

    /// A client on `simulator`, known there by `address` (which needs a port).
    pub fn with_simulator(
        simulator: &NetworkSimulator,
        address: SocketAddr,
    ) -> Result<NetcodeClient, Error> {
        if address.port() == 0 {
            return Err(Error::SimulatedAddressNeedsPort(address));
        }
        ensure_init()?;
        let transport = Transport::Simulated(simulator.shared());
        let name = address::to_c_string(&address);
        // SAFETY: a valid string the C only reads, and a live simulator kept alive by
        // `transport` for as long as the client.
        let created = unsafe {
            raw::netcode_client_create_internal(
                name.as_ptr().cast_mut(),
                0.0,
                transport.simulator_ptr(),
            )
        };
        flush_log();
        // The address is well formed and has a port, so only an allocation can have failed.
        let raw = NonNull::new(created).ok_or(Error::OutOfMemory)?;
        Ok(Self::from_raw(raw, transport, address))
    }

    fn from_raw(
        raw: NonNull<raw::netcode_client_t>,
        transport: Transport,
        local_address: SocketAddr,
    ) -> NetcodeClient {
        // SAFETY: a live client.
        unsafe { raw::netcode_sys_client_record_events(raw.as_ptr(), 1) };
        NetcodeClient {
            raw,
            transport,
            local_address,
            unread_at_update: 0,
            keep_unread: false,
            on_state_change: None,
            used_tokens: VecDeque::with_capacity(USED_TOKENS),
        }
    }

    /// Starts connecting with `token` (disconnecting first if connected). The state becomes
    /// `SendingConnectionRequest`, or `InvalidConnectToken` if the C cannot read the token.
    ///
    /// A token whose servers all have another address family than the client's socket is
    /// [`Error::AddressFamilyMismatch`].
    ///
    /// A token opens one session: connecting again with a token this client already used is
    /// [`Error::TokenAlreadyUsed`] (the pinned C would reuse the token's keys with the same
    /// sequence numbers, i.e. AEAD nonces). Servers of this crate drop such sessions too.
    pub fn connect(&mut self, token: &Token) -> Result<(), Error> {
        let mut bytes = *token.as_bytes();
        // A socket sends to its own family only (over the simulator, addresses are names).
        let family = self.local_address.is_ipv4();
        if matches!(self.transport, Transport::Udp)
            && !token
                .servers()
                .into_iter()
                .any(|host| host.is_ipv4() == family)
        {
            return Err(Error::AddressFamilyMismatch {
                bound: self.local_address,
            });
        }
        let mac = token.mac();
        if self.used_tokens.contains(&mac) {
            return Err(Error::TokenAlreadyUsed);
        }
        if self.used_tokens.len() == USED_TOKENS {
            self.used_tokens.pop_front();
        }
        self.used_tokens.push_back(mac);
        let client = self.raw.as_ptr();
        // SAFETY: a live client and a 2048-byte token, which the C reads and validates. The
        // connect's clocks start at the client's next update (patch 0004).
        self.transport
            .exclusive(|| unsafe { raw::netcode_client_connect(client, bytes.as_mut_ptr()) });
        Ok(())
    }

    /// Receives packets, sends requests or keep-alives, gives up on timeouts, and then hands
    /// the state changes to the closure, if there is one (see
    /// [`on_state_change`](NetcodeClient::on_state_change)); otherwise they wait for
    /// [`next_event`](NetcodeClient::next_event) until the next update, which discards those
    /// still unread. `time` is in seconds on a clock of your choice that only moves forward; a
    /// time that is not finite is ignored.
    pub fn update(&mut self, time: f64) {
        if !time.is_finite() {
            return;
        }
        sync_log_level();
        let client = self.raw.as_ptr();
        if !self.keep_unread {
            for _ in 0..std::mem::take(&mut self.unread_at_update) {
                // SAFETY: a live client.
                unsafe { raw::netcode_sys_client_pop_event(client) };
            }
        }
        // SAFETY: a live client; the transport lock covers the simulator.
        self.transport
            .exclusive(|| unsafe { raw::netcode_client_update(client, time) });
        if self.on_state_change.is_some() {
            // SAFETY: a live client.
            for _ in 0..unsafe { raw::netcode_sys_client_num_events(client) } {
                match self.peek() {
                    Some(Recorded::StateChanged(change)) => {
                        self.pop();
                        if let Some(callback) = self.on_state_change.as_mut() {
                            callback(change);
                        }
                    }
                    // SAFETY: a live client with at least one queued event.
                    _ => unsafe { raw::netcode_sys_client_requeue_event(client) },
                }
            }
        }
        // SAFETY: a live client.
        self.unread_at_update = unsafe { raw::netcode_sys_client_num_events(client) } as usize;
    }

    /// The next state change, oldest first, or `None`. Changes are kept until the next
    /// [`update`](NetcodeClient::update) (those of `connect` and `disconnect`, until the one
    /// after).
    pub fn next_event(&mut self) -> Option<StateChange> {
        loop {
            match self.read()? {
                Recorded::StateChanged(change) => return Some(change),
                Recorded::KeepAliveSent => continue,
            }
        }
    }

    /// The oldest queued event, removed from the queue.
    pub(crate) fn read(&mut self) -> Option<Recorded> {
        let recorded = self.peek()?;
        self.pop();
        Some(recorded)
    }

    fn peek(&self) -> Option<Recorded> {
        // SAFETY: a live client; the event is read before any other call on the client.
        let event = unsafe { raw::netcode_sys_client_peek_event(self.raw.as_ptr()).as_ref()? };
        Some(match event.type_ {
            raw::NETCODE_SYS_CLIENT_EVENT_KEEP_ALIVE_SENT => Recorded::KeepAliveSent,
            _ => Recorded::StateChanged(StateChange {
                from: ConnectionState::from_raw(event.from),
                to: ConnectionState::from_raw(event.to),
                reason: DisconnectReason::from_raw(event.reason),
            }),
        })
    }

    fn pop(&mut self) {
        // SAFETY: a live client.
        unsafe { raw::netcode_sys_client_pop_event(self.raw.as_ptr()) };
        self.unread_at_update = self.unread_at_update.saturating_sub(1);
    }

    /// Makes the C record keep-alives sent, and keeps unread events across updates: for the
    /// 0.3.1 API, which reports them all.
    pub(crate) fn record_everything(&mut self) {
        self.keep_unread = true;
        // SAFETY: a live client.
        unsafe { raw::netcode_sys_client_record_info_events(self.raw.as_ptr(), 1) };
    }

    /// Sends `payload` (1 to [`NETCODE_MAX_PAYLOAD_SIZE`](crate::NETCODE_MAX_PAYLOAD_SIZE)
    /// bytes) to the server.
    pub fn send(&mut self, payload: &[u8]) -> Result<(), Error> {
        check_payload(payload)?;
        let client = self.raw.as_ptr();
        // SAFETY: a live client; the shim checks the state and the room in the packet before
        // the C copies the payload (1..=1200 bytes, valid for its length).
        let result = self.transport.exclusive(|| unsafe {
            raw::netcode_sys_client_send(client, payload.as_ptr(), payload.len() as c_int)
        });
        sent(result, payload.len(), Error::NotConnected)
    }

    /// The next payload from the server, if any: a view of the C's buffer, handed back when
    /// dropped.
    pub fn receive(&mut self) -> Option<Payload<'_>> {
        // SAFETY: a live client; the payload borrows self mutably, so it cannot outlive it.
        unsafe { Payload::from_client(self.raw) }
    }

    /// Disconnects, telling the server (with the reference's redundant disconnect packets);
    /// the state becomes `Disconnected`. Does nothing if not connecting or connected.
    pub fn disconnect(&mut self) {
        let client = self.raw.as_ptr();
        // SAFETY: a live client.
        self.transport
            .exclusive(|| unsafe { raw::netcode_client_disconnect(client) });
    }

    /// The current state.
    pub fn state(&self) -> ConnectionState {
        // SAFETY: a live client.
        ConnectionState::from_raw(unsafe { raw::netcode_client_state(self.raw.as_ptr()) })
    }

    /// The slot the server gave this client (meaningful once connected).
    pub fn client_index(&self) -> usize {
        // SAFETY: a live client.
        usize::try_from(unsafe { raw::netcode_client_index(self.raw.as_ptr()) }).unwrap_or(0)
    }

    /// The server's number of slots (known once connected, else 0).
    pub fn max_clients(&self) -> usize {
        // SAFETY: a live client.
        usize::try_from(unsafe { raw::netcode_client_max_clients(self.raw.as_ptr()) }).unwrap_or(0)
    }

    /// The address the socket is bound to (over a simulator: the client's simulated address).
    pub fn local_address(&self) -> SocketAddr {
        self.local_address
    }

    /// Lets `callback` take every state change: [`update`](NetcodeClient::update) calls it
    /// for each, in order, and `next_event` no longer returns them. Replaces any earlier
    /// callback.
    ///
    /// The closure must be `Send + 'static`, and it cannot borrow the client:
    ///
    /// ```compile_fail,E0597
    /// # use netcode::NetcodeClient;
    /// let mut client = NetcodeClient::new("0.0.0.0:0".parse().unwrap()).unwrap();
    /// let mut states = Vec::new();
    /// client.on_state_change(|change| states.push(change.to)); // borrows `states`: not 'static
    /// ```
    pub fn on_state_change<F>(&mut self, callback: F)
    where
        F: FnMut(StateChange) + Send + 'static,
    {
        self.on_state_change = Some(Box::new(callback));
    }

    /// The C handle, for calls this crate does not wrap. It stays valid as long as `self`;
    /// calls through it must respect the C's preconditions and must not destroy it.
    pub fn as_raw(&self) -> *mut raw::netcode_client_t {
        self.raw.as_ptr()
    }
}

impl Drop for NetcodeClient {
    fn drop(&mut self) {
        let client = self.raw.as_ptr();
        // SAFETY: destroyed exactly once; no payload can be alive (they borrow self). The C
        // sends disconnect packets if connected (through the transport, hence the lock).
        self.transport
            .exclusive(|| unsafe { raw::netcode_client_destroy(client) });
    }
}

impl fmt::Debug for NetcodeClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NetcodeClient")
            .field("local_address", &self.local_address)
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}
