//! The idiomatic server: [`NetcodeServer`].

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::{SocketAddr, UdpSocket};
use std::os::raw::c_int;
use std::ptr::NonNull;

use netcode_sys as raw;

use crate::address;
use crate::init::{ensure_init, sync_log_threshold};
use crate::payload::{Owner, Payload};
use crate::simulator::{NetworkSimulator, Transport};
use crate::token::{ConnectToken, GenerateError};
use crate::{
    Error, NETCODE_KEY_BYTES, NETCODE_MAX_CLIENTS, NETCODE_MAX_PAYLOAD_SIZE,
    NETCODE_USER_DATA_BYTES,
};

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
    /// Drop a connection that reuses the keys of one of the last
    /// [`RECENT_SESSIONS`](NetcodeServer::RECENT_SESSIONS) sessions, i.e. a connect token used
    /// twice (default: true). The pinned C accepts a token again from the same address once its
    /// first session ended, and the second session reuses the first one's AEAD nonces.
    pub refuse_token_reuse: bool,
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
        }
    }

    /// Sets the public address (when it differs from the bound one: `0.0.0.0:40000` behind a
    /// public `203.0.113.7:40000`).
    pub fn public_address(mut self, address: SocketAddr) -> ServerConfig {
        self.public_address = address;
        self
    }

    /// Sets whether a reused connect token is refused (default: true).
    pub fn refuse_token_reuse(mut self, refuse: bool) -> ServerConfig {
        self.refuse_token_reuse = refuse;
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
            .finish_non_exhaustive()
    }
}

/// A connected client, as the server sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientInfo {
    /// Its slot, `0..max_clients`: how the server addresses it.
    pub index: usize,
    /// The client id from its connect token.
    pub id: u64,
    /// The address its packets come from.
    pub address: SocketAddr,
}

/// What changed in one slot during an update.
// The user data stays inline: `changes` is reserved once, and boxing would allocate per connect.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Change {
    Connected {
        client: ClientInfo,
        user_data: [u8; NETCODE_USER_DATA_BYTES],
    },
    Disconnected(ClientInfo),
    KeepAliveSent(ClientInfo),
}

#[derive(Clone, Copy)]
struct Slot {
    client: Option<ClientInfo>,
    /// When the C last sent to this client, as of the end of our last call.
    last_send: f64,
}

type ConnectCallback = Box<dyn FnMut(&ClientInfo, &[u8; NETCODE_USER_DATA_BYTES]) + Send>;
type DisconnectCallback = Box<dyn FnMut(&ClientInfo) + Send>;

/// A dedicated server: client slots, keep-alives, timeouts, clean disconnects and replay
/// protection, all from the reference C.
///
/// Drive it from your loop: [`update`](NetcodeServer::update) with your clock, then
/// [`receive`](NetcodeServer::receive) what the clients sent and
/// [`send`](NetcodeServer::send) to them by slot. Connects and disconnects reach the closures
/// given to [`on_client_connect`](NetcodeServer::on_client_connect) and
/// [`on_client_disconnect`](NetcodeServer::on_client_disconnect), called from `update`.
///
/// ```
/// use netcode::{NetcodeServer, ServerConfig};
///
/// let key = netcode::generate_key();
/// let config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), 0x1122334455667788, key).max_clients(16);
/// let mut server = NetcodeServer::new(config).unwrap();
/// server.on_client_connect(|client, _user_data| println!("client {} joined slot {}", client.id, client.index));
///
/// // A token for a player (normally made by your web backend with the same key).
/// let token = server.generate_token(30, 42, None).unwrap();
/// assert_eq!(token.hosts.as_slice(), &[server.public_address()]);
///
/// let mut time = 0.0;
/// for _ in 0..3 {
///     server.update(time);
///     for index in 0..server.max_clients() {
///         while let Some(payload) = server.receive(index) {
///             println!("slot {index} sent {} bytes", payload.len());
///         }
///     }
///     time += 1.0 / 60.0;
/// }
/// ```
///
/// A server is `Send` (it can move to another thread) but not `Sync`:
///
/// ```compile_fail
/// fn shared_between_threads<T: Sync>() {}
/// shared_between_threads::<netcode::NetcodeServer>();
/// ```
pub struct NetcodeServer {
    raw: NonNull<raw::netcode_server_t>,
    transport: Transport,
    local_address: SocketAddr,
    public_address: SocketAddr,
    protocol_id: u64,
    private_key: [u8; NETCODE_KEY_BYTES],
    slots: Vec<Slot>,
    /// The slot of each connected client's id (reserved for max_clients: no allocation later).
    slot_of_id: HashMap<u64, usize>,
    changes: Vec<Change>,
    /// Clients disconnected by `disconnect` since the last update: reported by the next one.
    disconnected_by_call: Vec<ClientInfo>,
    denied_seen: u64,
    denied_last_update: u64,
    token_sequence: u64,
    /// Client-to-server keys of recent sessions, newest last (when refusing token reuse).
    recent_sessions: Option<VecDeque<[u8; NETCODE_KEY_BYTES]>>,
    on_connect: Option<ConnectCallback>,
    on_disconnect: Option<DisconnectCallback>,
}

// SAFETY: the C server has no thread affinity: it touches only its own memory, its socket and,
// over a simulator, the simulator, which `Transport::exclusive` locks. All access goes through
// `&mut self` (or `&self` for reads that no other thread can race with, since the handle is not
// Sync), and the callbacks are `Send`.
unsafe impl Send for NetcodeServer {}

impl NetcodeServer {
    /// How many sessions a server remembers to refuse token reuse (about 128 KiB).
    pub const RECENT_SESSIONS: usize = 4096;

    /// A server on its own UDP socket, started with `config.max_clients` slots.
    pub fn new(config: ServerConfig) -> Result<NetcodeServer, Error> {
        check_max_clients(config.max_clients)?;
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
        check_max_clients(config.max_clients)?;
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
        let raw =
            NonNull::new(created).ok_or(Error::SimulatedAddressNeedsPort(config.public_address))?;
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
        // SAFETY: a live server; max_clients was checked to be 1..=NETCODE_MAX_CLIENTS.
        unsafe { raw::netcode_server_start(raw.as_ptr(), config.max_clients as c_int) };
        NetcodeServer {
            raw,
            transport,
            local_address,
            public_address,
            protocol_id: config.protocol_id,
            private_key: config.private_key,
            slot_of_id: HashMap::with_capacity(config.max_clients),
            slots: vec![
                Slot {
                    client: None,
                    last_send: 0.0
                };
                config.max_clients
            ],
            // At most two changes a slot per update (a disconnect and a connect).
            changes: Vec::with_capacity(2 * config.max_clients),
            disconnected_by_call: Vec::with_capacity(config.max_clients),
            denied_seen: 0,
            denied_last_update: 0,
            token_sequence: 0,
            recent_sessions: config
                .refuse_token_reuse
                .then(|| VecDeque::with_capacity(Self::RECENT_SESSIONS)),
            on_connect: None,
            on_disconnect: None,
        }
    }

    /// Receives and processes packets, sends keep-alives, times out silent clients, and then
    /// calls the connect and disconnect closures for what changed. `time` is in seconds on a
    /// clock of your choice that only moves forward (the same for every update); a time that
    /// is not finite is ignored.
    pub fn update(&mut self, time: f64) {
        if !time.is_finite() {
            return;
        }
        sync_log_threshold();
        let server = self.raw.as_ptr();
        // What the C last sent each client before this update: a change is a keep-alive.
        for (index, slot) in self.slots.iter_mut().enumerate() {
            if slot.client.is_some() {
                // SAFETY: a live server; index < max_clients.
                slot.last_send = unsafe {
                    raw::netcode_sys_server_client_last_send_time(server, index as c_int)
                };
            }
        }
        // SAFETY: a live server; the transport lock covers the simulator.
        self.transport
            .exclusive(|| unsafe { raw::netcode_server_update(server, time) });
        self.observe();
        for change in &self.changes {
            match change {
                Change::Connected { client, user_data } => {
                    if let Some(callback) = self.on_connect.as_mut() {
                        callback(client, user_data);
                    }
                }
                Change::Disconnected(client) => {
                    if let Some(callback) = self.on_disconnect.as_mut() {
                        callback(client);
                    }
                }
                Change::KeepAliveSent(_) => {}
            }
        }
    }

    /// Compares every slot with what the C holds now, and records the changes.
    fn observe(&mut self) {
        let server = self.raw.as_ptr();
        self.changes.clear();
        self.changes.extend(
            self.disconnected_by_call
                .drain(..)
                .map(Change::Disconnected),
        );
        // SAFETY: a live server.
        let denied = unsafe { raw::netcode_sys_server_denied_count(server) };
        self.denied_last_update = denied.wrapping_sub(self.denied_seen);
        self.denied_seen = denied;
        for index in 0..self.slots.len() {
            let c_index = index as c_int;
            // SAFETY: a live, running server; index < max_clients.
            let (connected, id) = unsafe {
                let connected = raw::netcode_server_client_connected(server, c_index) == 1;
                (
                    connected,
                    if connected {
                        raw::netcode_server_client_id(server, c_index)
                    } else {
                        0
                    },
                )
            };
            let unchanged = connected && self.slots[index].client.is_some_and(|c| c.id == id);
            let reused = connected && !unchanged && self.is_reused_session(c_index);
            let slot = &mut self.slots[index];
            if let Some(gone) = slot.client.filter(|_| !unchanged) {
                slot.client = None;
                self.slot_of_id.remove(&gone.id);
                self.changes.push(Change::Disconnected(gone));
            }
            if unchanged {
                // SAFETY: a live server; the client is connected.
                let last_send =
                    unsafe { raw::netcode_sys_server_client_last_send_time(server, c_index) };
                if last_send != slot.last_send {
                    slot.last_send = last_send;
                    if let Some(client) = slot.client {
                        self.changes.push(Change::KeepAliveSent(client));
                    }
                }
            } else if reused {
                log::warn!(target: "netcode", "dropped client {id:#x} in slot {index}: its connect token was already used");
                // SAFETY: a live, running server and a connected slot: freed (its queue too,
                // patch 0007) without sending disconnect packets, which would reuse nonces.
                self.transport.exclusive(|| unsafe {
                    raw::netcode_server_disconnect_client_internal(server, c_index, 0);
                });
            } else if connected {
                // SAFETY: a live server; the client is connected, so its address and user data
                // are set; user data is NETCODE_USER_DATA_BYTES long.
                let (client, user_data, last_send) = unsafe {
                    let mut raw_address = raw::netcode_sys_address::default();
                    raw::netcode_sys_server_client_address(server, c_index, &mut raw_address);
                    let address = address::from_raw(&raw_address).unwrap_or(self.public_address);
                    let data = raw::netcode_server_client_user_data(server, c_index)
                        .cast::<[u8; NETCODE_USER_DATA_BYTES]>();
                    (
                        ClientInfo { index, id, address },
                        *data,
                        raw::netcode_sys_server_client_last_send_time(server, c_index),
                    )
                };
                slot.client = Some(client);
                slot.last_send = last_send;
                self.slot_of_id.insert(id, index);
                self.changes.push(Change::Connected { client, user_data });
            }
        }
    }

    /// Whether the client that just connected in `client_index` reuses the keys of a recent
    /// session (and if not, remembers its keys).
    fn is_reused_session(&mut self, client_index: c_int) -> bool {
        let Some(recent) = self.recent_sessions.as_mut() else {
            return false;
        };
        let mut key = [0; NETCODE_KEY_BYTES];
        // SAFETY: a live server; the shim writes 32 bytes if the slot holds a client.
        if unsafe {
            raw::netcode_sys_server_client_key(self.raw.as_ptr(), client_index, key.as_mut_ptr())
        } != 1
        {
            return false;
        }
        if recent.contains(&key) {
            return true;
        }
        if recent.len() == Self::RECENT_SESSIONS {
            recent.pop_front();
        }
        recent.push_back(key);
        false
    }

    /// Sends `payload` (1 to [`NETCODE_MAX_PAYLOAD_SIZE`] bytes) to the client in
    /// `client_index`.
    pub fn send(&mut self, client_index: usize, payload: &[u8]) -> Result<(), Error> {
        check_payload(payload)?;
        self.connected_slot(client_index)?;
        let server = self.raw.as_ptr();
        // SAFETY: a live, running server; the shim checks the slot and the room in the packet
        // before the C copies the payload (1..=1200 bytes, valid for its length).
        let result = self.transport.exclusive(|| unsafe {
            raw::netcode_sys_server_send(
                server,
                client_index as c_int,
                payload.as_ptr(),
                payload.len() as c_int,
            )
        });
        sent(result, payload.len(), Error::NoClientInSlot(client_index))
    }

    /// The next payload from the client in `client_index`, if any: a view of the C's buffer,
    /// handed back when dropped. `None` too for a slot without a client.
    pub fn receive(&mut self, client_index: usize) -> Option<Payload<'_>> {
        self.connected_slot(client_index).ok()?;
        // SAFETY: a live, running server and an index < max_clients; the payload borrows self
        // mutably, so it cannot outlive the server.
        unsafe { Payload::receive(Owner::Server(self.raw), client_index as c_int) }
    }

    /// Disconnects the client in `client_index` (it is told, with the reference's redundant
    /// disconnect packets). The slot is free at once; the disconnect closure is called at the
    /// next update.
    pub fn disconnect(&mut self, client_index: usize) -> Result<(), Error> {
        let client = self.connected_slot(client_index)?;
        let server = self.raw.as_ptr();
        let c_index = client_index as c_int;
        // SAFETY: a live, running server and an index < max_clients. The C frees the slot and
        // its unread payloads (patch 0007).
        self.transport.exclusive(|| unsafe {
            raw::netcode_server_disconnect_client(server, c_index);
        });
        self.slots[client_index].client = None;
        self.slot_of_id.remove(&client.id);
        self.disconnected_by_call.push(client);
        Ok(())
    }

    /// Disconnects every client.
    pub fn disconnect_all(&mut self) {
        for index in 0..self.slots.len() {
            let _ = self.disconnect(index);
        }
    }

    /// The connected clients, by slot.
    pub fn clients(&self) -> impl Iterator<Item = ClientInfo> + '_ {
        self.slots.iter().filter_map(|slot| slot.client)
    }

    /// The client in `client_index`, if one is connected there.
    pub fn client(&self, client_index: usize) -> Option<ClientInfo> {
        self.slots.get(client_index).and_then(|slot| slot.client)
    }

    /// The slot of the connected client with this id.
    pub fn client_index(&self, client_id: u64) -> Option<usize> {
        self.slot_of_id.get(&client_id).copied()
    }

    /// The user data from the connect token of the client in `client_index`.
    pub fn client_user_data(&self, client_index: usize) -> Option<&[u8; NETCODE_USER_DATA_BYTES]> {
        self.connected_slot(client_index).ok()?;
        // SAFETY: a live server and a connected slot < max_clients: the C returns its 256-byte
        // user data, which only changes through `&mut self` calls, so the borrow of self covers it.
        unsafe {
            let data =
                raw::netcode_server_client_user_data(self.raw.as_ptr(), client_index as c_int);
            data.cast::<[u8; NETCODE_USER_DATA_BYTES]>().as_ref()
        }
    }

    /// How many clients are connected.
    pub fn num_connected_clients(&self) -> usize {
        self.slot_of_id.len()
    }

    /// The number of client slots.
    pub fn max_clients(&self) -> usize {
        self.slots.len()
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

    /// A connect token for this server (its public address, protocol id and key), valid for
    /// `expire_secs` seconds; each token gets the next sequence number. Real deployments make
    /// tokens in their web backend with [`ConnectToken::generate`].
    pub fn generate_token(
        &mut self,
        expire_secs: usize,
        client_id: u64,
        user_data: Option<&[u8; NETCODE_USER_DATA_BYTES]>,
    ) -> Result<ConnectToken, GenerateError> {
        let sequence = self.token_sequence;
        let token = ConnectToken::generate(
            std::iter::once(self.public_address),
            &self.private_key,
            expire_secs,
            sequence,
            self.protocol_id,
            client_id,
            user_data,
        )?;
        self.token_sequence += 1;
        Ok(token)
    }

    /// Calls `callback` from [`update`](NetcodeServer::update) for every client that connected,
    /// with the user data of its token. Replaces any earlier connect callback.
    ///
    /// The closure must be `Send + 'static`, as the server may move to another thread; it gets
    /// data, not the server, so it cannot call back into it while the server updates:
    ///
    /// ```compile_fail
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

    /// Calls `callback` from [`update`](NetcodeServer::update) for every client that left:
    /// it disconnected, timed out, or [`disconnect`](NetcodeServer::disconnect) was called.
    /// Payloads it sent that were not received by then are dropped. Replaces any earlier
    /// disconnect callback.
    pub fn on_client_disconnect<F>(&mut self, callback: F)
    where
        F: FnMut(&ClientInfo) + Send + 'static,
    {
        self.on_disconnect = Some(Box::new(callback));
    }

    /// The C handle, for calls this crate does not wrap.
    ///
    /// The pointer stays valid as long as `self`. Calls through it must respect the C's
    /// preconditions (its `assert`s), must not destroy it, and should not connect or disconnect
    /// clients behind this type's back (its view of the slots is refreshed at each update).
    pub fn as_raw(&self) -> *mut raw::netcode_server_t {
        self.raw.as_ptr()
    }

    /// The changes the last update found, for the 0.3.1 API.
    pub(crate) fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// How many connection requests the last update denied because every slot was taken.
    pub(crate) fn denied_last_update(&self) -> u64 {
        self.denied_last_update
    }

    fn connected_slot(&self, client_index: usize) -> Result<ClientInfo, Error> {
        self.client(client_index)
            .ok_or(Error::NoClientInSlot(client_index))
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
            .field("max_clients", &self.slots.len())
            .field("connected", &self.num_connected_clients())
            .finish_non_exhaustive()
    }
}

fn check_max_clients(max_clients: usize) -> Result<(), Error> {
    if (1..=NETCODE_MAX_CLIENTS).contains(&max_clients) {
        Ok(())
    } else {
        Err(Error::InvalidMaxClients(max_clients))
    }
}

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
