//! The netcode 0.3.1 API, kept for code written against it: [`UdpServer`], [`UdpClient`], their
//! events and errors, with the names, signatures and meaning 0.3.1 gave them, as thin adapters
//! over [`NetcodeServer`] and [`NetcodeClient`] and the events the C records. Every item is also
//! at the crate root, where 0.3.1 had it (`netcode::UdpServer`, `netcode::ServerEvent`, ...).
//!
//! `update` takes the time elapsed since the previous update (the handles add them up), and
//! `next_event` hands out one event per call until it returns `Ok(None)`.
//! [MIGRATING.md](crate::docs::migrating) lists
//! every difference from 0.3.1 a program could notice. Its [`ConnectToken`] converts to and
//! from the idiomatic [`Token`](crate::Token) (`TryFrom`, `From`), which is how its client
//! hands a token to the C.

mod error;

pub use crate::limits::{
    NETCODE_MAX_PACKET_SIZE, NETCODE_MAX_PAYLOAD_SIZE, NETCODE_USER_DATA_BYTES,
};
mod token;

pub use crate::token::generate_key;
pub use error::{
    ChallengeEncodeError, CreateError, InternalError, PacketError, RecvError, SendError,
    UpdateError,
};
pub use token::{ConnectToken, DecodeError, GenerateError, HostList, PrivateData};

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io;
use std::marker::PhantomData;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};

use crate::address;
use crate::client::Recorded as ClientRecorded;
use crate::limits::NETCODE_KEY_BYTES;
use crate::server::{DisconnectReason, Recorded, Session};
use crate::{ConnectionState, Error, NetcodeClient, NetcodeServer, ServerConfig};

/// A server on a UDP socket (0.3.1 API).
pub type UdpServer = Server<UdpSocket, ()>;

/// A client on a UDP socket (0.3.1 API).
pub type UdpClient = Client<UdpSocket, ()>;

/// What [`Server::next_event`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerEvent {
    /// A client connected; the first [`NETCODE_USER_DATA_BYTES`] bytes of the buffer passed to
    /// `next_event` hold the user data of its token.
    ClientConnect(u64),
    /// A client disconnected or timed out (not reported for [`Server::disconnect`]).
    ClientDisconnect(u64),
    /// A client was denied because every slot is taken.
    ClientSlotFull,
    /// A payload of this many bytes from this client is at the start of the buffer.
    Packet(u64, usize),
    /// The server sent a keep-alive to this client.
    SentKeepAlive(u64),
    /// Never reported: the reference drops invalid connection requests without a trace.
    RejectedClient,
    /// Never reported: the reference drops replayed packets without a trace.
    ReplayRejected(u64),
}

/// What [`Client::next_event`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    /// The client's state changed to this one.
    NewState(State),
    /// The client sent a keep-alive to the server.
    SentKeepAlive,
    /// A payload of this many bytes is at the start of the buffer.
    Packet(usize),
}

/// The client's state (0.3.1 API; exported as `ClientState`). [`ConnectionState`] has the
/// reference's full set; the two states 0.3.1 lacks map to their nearest equivalent here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// The server went silent while connected.
    ConnectionTimedOut,
    /// No answer to the challenge response.
    ConnectionResponseTimedOut,
    /// No answer to the connection request, or the token expired while connecting.
    ConnectionRequestTimedOut,
    /// The server is full, or the token could not be read.
    ConnectionDenied,
    /// Not connected.
    Disconnected,
    /// Sending connection requests.
    SendingConnectionRequest,
    /// Answering the server's challenge.
    SendingConnectionResponse,
    /// Connected.
    Connected,
}

impl From<ConnectionState> for State {
    fn from(state: ConnectionState) -> State {
        match state {
            ConnectionState::ConnectTokenExpired | ConnectionState::ConnectionRequestTimedOut => {
                State::ConnectionRequestTimedOut
            }
            ConnectionState::InvalidConnectToken | ConnectionState::ConnectionDenied => {
                State::ConnectionDenied
            }
            ConnectionState::ConnectionTimedOut => State::ConnectionTimedOut,
            ConnectionState::ConnectionResponseTimedOut => State::ConnectionResponseTimedOut,
            ConnectionState::Disconnected => State::Disconnected,
            ConnectionState::SendingConnectionRequest => State::SendingConnectionRequest,
            ConnectionState::SendingConnectionResponse => State::SendingConnectionResponse,
            ConnectionState::Connected => State::Connected,
        }
    }
}

/// A netcode server (0.3.1 API). `I` and `S` only keep 0.3.1's type parameters: use
/// [`UdpServer`].
///
/// ```
/// use netcode::{ServerEvent, UdpServer};
///
/// let mut server = UdpServer::new("127.0.0.1:0", 32, 0xFFEE, &netcode::generate_key()).unwrap();
/// let token = server.generate_token(30, 1, None).unwrap();
/// assert_eq!(token.hosts.get().next(), Some(server.get_local_addr().unwrap()));
///
/// let mut packet = [0; netcode::NETCODE_MAX_PAYLOAD_SIZE];
/// server.update(1.0 / 10.0);
/// while let Ok(Some(event)) = server.next_event(&mut packet) {
///     match event {
///         ServerEvent::ClientConnect(id) => println!("{id} connected"),
///         ServerEvent::Packet(id, len) => println!("{id} sent {:?}", &packet[..len]),
///         _ => {}
///     }
/// }
/// ```
pub struct Server<I = UdpSocket, S = ()> {
    inner: NetcodeServer,
    time: f64,
    /// The client id and session that `next_event` reported connected in each slot: a cache
    /// written only from the events, for handing out payloads slot by slot.
    reported: Vec<Option<(u64, Session)>>,
    /// The slot of each reported client id, for `send` and `disconnect` by id (reserved for
    /// every slot up front).
    slots: HashMap<u64, usize, BuildHasherDefault<IdHasher>>,
    /// The slot whose payloads `next_event` hands out next.
    packet_slot: usize,
    _socket: PhantomData<fn() -> (I, S)>,
}

/// The hash of [`Server`]'s map from client id to session: one multiply and a fold, where the
/// standard SipHash cost the 0.3.1 `send` about 100 instructions a call (BENCHMARKS.md). No
/// hash flooding to fear: the ids come from tokens the backend made, not from the network, and
/// the map holds at most one entry per slot (256).
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    fn write_u64(&mut self, id: u64) {
        let mixed = (self.0 ^ id).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        // The high bits depend on every bit of the id; fold them down to where the table
        // takes its bucket from.
        self.0 = mixed ^ (mixed >> 32);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl Server<UdpSocket, ()> {
    /// A server bound to `local_addr` (port 0: any), with `max_clients` slots (1 to 256),
    /// accepting tokens for `protocol_id` encrypted with `private_key`. Tokens must list the
    /// address actually bound ([`get_local_addr`](Server::get_local_addr)).
    pub fn new<A: ToSocketAddrs>(
        local_addr: A,
        max_clients: usize,
        protocol_id: u64,
        private_key: &[u8; NETCODE_KEY_BYTES],
    ) -> Result<Self, CreateError> {
        let address = local_addr.to_socket_addrs()?.next().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "the address resolved to nothing",
            )
        })?;
        // No restart rule: 0.3.1 documents 15-s and 30-s tokens, and no one maximum accepts
        // both right after a start (MIGRATING.md, SECURITY.md). NETCODE 1.00: 0.3.1's protocol.
        let config = ServerConfig::new(address, protocol_id, *private_key)
            .max_clients(max_clients)
            .max_token_lifetime(None)
            .version(crate::Version::V1_00);
        let mut inner = NetcodeServer::new(config)?;
        inner.record_everything();
        Ok(Server {
            reported: vec![None; inner.max_clients()],
            slots: HashMap::with_capacity_and_hasher(inner.max_clients(), Default::default()),
            inner,
            time: 0.0,
            packet_slot: 0,
            _socket: PhantomData,
        })
    }
}

impl<I, S> Server<I, S> {
    /// A token for this server, valid `expire_secs` seconds, with a random sequence number (the
    /// nonce of its private part; 0.3.1 counted it from 0 per server, see MIGRATING.md).
    pub fn generate_token(
        &mut self,
        expire_secs: usize,
        client_id: u64,
        user_data: Option<&[u8; NETCODE_USER_DATA_BYTES]>,
    ) -> Result<ConnectToken, GenerateError> {
        // A random sequence: the nonce of the private part, never to repeat under one key.
        let mut sequence = [0; 8];
        crate::token::random_bytes(&mut sequence);
        ConnectToken::generate(
            std::iter::once(self.inner.public_address()),
            self.inner.private_key(),
            expire_secs,
            u64::from_le_bytes(sequence),
            self.inner.protocol_id(),
            client_id,
            user_data,
        )
    }

    /// The address the server is bound to.
    pub fn get_local_addr(&self) -> Result<SocketAddr, io::Error> {
        Ok(self.inner.local_address())
    }

    /// Sends `packet` (1 to [`NETCODE_MAX_PAYLOAD_SIZE`] bytes) to the client with this id;
    /// returns its length.
    pub fn send(&mut self, client_id: u64, packet: &[u8]) -> Result<usize, SendError> {
        if packet.is_empty() || packet.len() > NETCODE_MAX_PAYLOAD_SIZE {
            return Err(SendError::PacketSize);
        }
        let session = self
            .reported_session(client_id)
            .ok_or(SendError::InvalidClientId)?;
        self.inner.send(session, packet).map_err(|err| match err {
            Error::PayloadTooLongForSequence { .. } => SendError::PacketSize,
            _ => SendError::InvalidClientId,
        })?;
        Ok(packet.len())
    }

    /// Advances the server by `elapsed` seconds since the previous update, and processes
    /// packets, keep-alives and timeouts. Then drain [`next_event`](Server::next_event).
    pub fn update(&mut self, elapsed: f64) {
        if elapsed.is_finite() && elapsed >= 0.0 {
            self.time += elapsed;
        }
        self.inner.update(self.time);
        self.packet_slot = 0;
    }

    /// The next event, or `Ok(None)` when there are no more until the next update: first what
    /// happened, in order, then the payloads, slot by slot. A payload, or a connecting
    /// client's user data, is copied to the start of `out_packet`.
    pub fn next_event(
        &mut self,
        out_packet: &mut [u8; NETCODE_MAX_PAYLOAD_SIZE],
    ) -> Result<Option<ServerEvent>, UpdateError> {
        let (reported, slots) = (&mut self.reported, &mut self.slots);
        while let Some(event) = self.inner.read(|recorded| match recorded {
            Recorded::Connected(client, user_data) => {
                let index = client.session.index();
                if let Some(slot) = reported.get_mut(index) {
                    // The slot's previous client has left (its disconnect came first); its id
                    // keeps no slot, so the map holds at most one id per slot.
                    if let Some((gone, _)) = slot.replace((client.id, client.session)) {
                        if slots.get(&gone) == Some(&index) {
                            slots.remove(&gone);
                        }
                    }
                    slots.insert(client.id, index);
                }
                out_packet[..NETCODE_USER_DATA_BYTES].copy_from_slice(user_data);
                Some(ServerEvent::ClientConnect(client.id))
            }
            Recorded::Disconnected(client, reason) => {
                let index = client.session.index();
                if let Some(slot) = reported.get_mut(index) {
                    if *slot == Some((client.id, client.session)) {
                        *slot = None;
                        if slots.get(&client.id) == Some(&index) {
                            slots.remove(&client.id);
                        }
                    }
                }
                // 0.3.1 reported no event for its own `disconnect`.
                (reason != DisconnectReason::Local)
                    .then_some(ServerEvent::ClientDisconnect(client.id))
            }
            Recorded::KeepAliveSent(client) => Some(ServerEvent::SentKeepAlive(client.id)),
            Recorded::Denied => Some(ServerEvent::ClientSlotFull),
        }) {
            if event.is_some() {
                return Ok(event);
            }
        }
        // Only reported clients' payloads: one whose connect is not reported yet cannot be,
        // and its payloads wait; one that has left since has none (the C checks its session).
        while let Some(&slot) = self.reported.get(self.packet_slot) {
            if let Some((id, session)) = slot {
                if let Some(payload) = self.inner.receive(session) {
                    out_packet[..payload.len()].copy_from_slice(&payload);
                    return Ok(Some(ServerEvent::Packet(id, payload.len())));
                }
            }
            self.packet_slot += 1;
        }
        Ok(None)
    }

    /// Disconnects the client with this id (it is told); unknown ids are ignored.
    pub fn disconnect(&mut self, client_id: u64) -> Result<(), SendError> {
        if let Some(session) = self.reported_session(client_id) {
            // A client that left already has nothing to disconnect.
            let _ = self.inner.disconnect(session);
        }
        Ok(())
    }

    /// The session of the client with this id, if `next_event` reported it connected (and not
    /// gone since).
    fn reported_session(&self, client_id: u64) -> Option<Session> {
        let slot = *self.slots.get(&client_id)?;
        match self.reported.get(slot) {
            Some(&Some((id, session))) if id == client_id => Some(session),
            _ => None,
        }
    }

    /// The server of the idiomatic API underneath.
    pub fn inner(&mut self) -> &mut NetcodeServer {
        &mut self.inner
    }
}

/// A netcode client (0.3.1 API). `I` and `S` only keep 0.3.1's type parameters: use
/// [`UdpClient`].
pub struct Client<I = UdpSocket, S = ()> {
    inner: NetcodeClient,
    time: f64,
    /// The last state `next_event` reported: 0.3.1's states are coarser than the reference's,
    /// and a change between two that map to one is not reported.
    reported: State,
    _socket: PhantomData<fn() -> (I, S)>,
}

impl Client<UdpSocket, ()> {
    /// A client that starts connecting with `token` at once, from a socket of the family of
    /// the token's first server (`0.0.0.0:0` or `[::]:0`).
    pub fn new(token: &ConnectToken) -> Result<Self, SendError> {
        let first = token.hosts.get().next().ok_or_else(|| {
            SendError::PacketEncodeError(PacketError::new("the connect token lists no server"))
        })?;
        let mut inner =
            NetcodeClient::new(address::any_of_family(&first)).map_err(|err| match err {
                Error::Bind { source, .. } => SendError::SocketError(source),
                other => SendError::SocketError(io::Error::other(other)),
            })?;
        inner.record_everything();
        let token = crate::Token::try_from(token).map_err(|_| {
            SendError::PacketEncodeError(PacketError::new("the connect token cannot be written"))
        })?;
        inner.connect(&token).map_err(|_| {
            SendError::PacketEncodeError(PacketError::new("the connect token cannot be used"))
        })?;
        Ok(Client {
            // Connecting is where a 0.3.1 client starts, not a change it reports.
            reported: inner.state().into(),
            inner,
            time: 0.0,
            _socket: PhantomData,
        })
    }
}

impl<I, S> Client<I, S> {
    /// Advances the client by `elapsed` seconds since the previous update, and processes
    /// packets, requests, keep-alives and timeouts. Then drain [`next_event`](Client::next_event).
    pub fn update(&mut self, elapsed: f64) {
        if elapsed.is_finite() && elapsed >= 0.0 {
            self.time += elapsed;
        }
        self.inner.update(self.time);
    }

    /// The next event, or `Ok(None)` when there are no more until the next update: state
    /// changes and keep-alives in the order they happened, then the payloads. A payload is
    /// copied to the start of `payload`.
    pub fn next_event(
        &mut self,
        payload: &mut [u8; NETCODE_MAX_PAYLOAD_SIZE],
    ) -> Result<Option<ClientEvent>, UpdateError> {
        while let Some(recorded) = self.inner.read() {
            match recorded {
                ClientRecorded::StateChanged(change) => {
                    let state = State::from(change.to);
                    if state != self.reported {
                        self.reported = state;
                        return Ok(Some(ClientEvent::NewState(state)));
                    }
                }
                ClientRecorded::KeepAliveSent => return Ok(Some(ClientEvent::SentKeepAlive)),
            }
        }
        Ok(self.inner.receive().map(|received| {
            payload[..received.len()].copy_from_slice(&received);
            ClientEvent::Packet(received.len())
        }))
    }

    /// Sends `payload` (1 to [`NETCODE_MAX_PAYLOAD_SIZE`] bytes) to the server; returns its
    /// length.
    pub fn send(&mut self, payload: &[u8]) -> Result<usize, SendError> {
        match self.inner.send(payload) {
            Ok(()) => Ok(payload.len()),
            Err(Error::InvalidPayloadSize(_) | Error::PayloadTooLongForSequence { .. }) => {
                Err(SendError::PacketSize)
            }
            Err(_) => Err(SendError::Disconnected),
        }
    }

    /// Disconnects from the server (it is told).
    pub fn disconnect(&mut self) -> Result<(), SendError> {
        self.inner.disconnect();
        // 0.3.1 reported no new state for its own disconnect.
        self.reported = self.inner.state().into();
        Ok(())
    }

    /// The current state.
    pub fn get_state(&self) -> State {
        self.inner.state().into()
    }

    /// The client of the idiomatic API underneath.
    pub fn inner(&mut self) -> &mut NetcodeClient {
        &mut self.inner
    }
}
