//! Live interop over loopback UDP, IPv4 and IPv6: this crate's NETCODE 1.02 against the
//! pure-Rust peers netcode-official 1.0.0, renetcode 2.0.0 and netcode-rs 1.4.0, in both
//! directions (our server with the peer's client and a token our server made; the peer's server
//! with our client and a token the peer's backend made).
//!
//! Each session connects, carries payloads of 1 to 1200 bytes both ways (checked byte for
//! byte), stays up on keep-alives alone for longer than the tokens' timeout, and ends with a
//! clean disconnect from one side, then (a second session) from the other; a full server denies
//! the next client. Where a peer breaks the standard, a test below shows the violation on its
//! own bytes, and the session test asserts the outcome INTEROP.md documents (so it fails if the
//! peer is fixed). Everything runs on real time, on ports the system picks.

use std::net::{IpAddr, Ipv6Addr, SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use netcode::server::Event;
use netcode::{
    ConnectionState, DisconnectReason, NetcodeClient, NetcodeServer, ServerConfig, Session, Token,
    TokenGenerator, Version,
};

const PROTOCOL_ID: u64 = 0x5045_4552_5331_3032;
/// The timeout every token of these tests carries, in seconds.
const TIMEOUT: i32 = 2;
/// How long a session stays up on keep-alives alone: longer than the timeout.
const HOLD: f64 = 3.0;
/// How long a clean disconnect may take to be seen: well under the timeout, so a timeout
/// cannot pass for one.
const DISCONNECT_WITHIN: f64 = 1.0;
/// Payload lengths sent each way: 1 to 1200 (the standard's maximum), with 1182, the largest a
/// 1200-byte datagram holds with a one-byte sequence number (netcode-rs reads no more).
const LENGTHS: [usize; 8] = [1, 2, 100, 500, 1000, 1182, 1199, 1200];
/// The largest payload every standard peer carries.
const MAX_PAYLOAD: usize = 1200;
/// The largest payload netcode-rs 1.4 receives (its receive buffer is 1200 bytes: 1 prefix byte,
/// 1 sequence byte, the payload and the 16-byte MAC must fit).
const NETCODE_RS_MAX_RECEIVED: usize = 1200 - 1 - 1 - 16;

/// The payloads of `LENGTHS` up to `max` bytes, made with `seed`, in order.
fn expected(seed: u8, max: usize) -> Vec<Vec<u8>> {
    LENGTHS
        .iter()
        .filter(|&&len| len <= max)
        .map(|&len| pattern(len, seed))
        .collect()
}

/// A payload whose bytes depend on its length and `seed`.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed ^ len as u8))
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Family {
    V4,
    V6,
}

impl Family {
    /// The loopback address, port 0.
    fn loopback(self) -> SocketAddr {
        match self {
            Family::V4 => "127.0.0.1:0".parse().unwrap(),
            Family::V6 => "[::1]:0".parse().unwrap(),
        }
    }

    /// The unspecified address, port 0: what a client binds.
    fn any(self) -> SocketAddr {
        match self {
            Family::V4 => "0.0.0.0:0".parse().unwrap(),
            Family::V6 => "[::]:0".parse().unwrap(),
        }
    }
}

/// Real time since the test started, in seconds.
struct Clock(Instant);

impl Clock {
    fn start() -> Clock {
        Clock(Instant::now())
    }

    fn now(&self) -> f64 {
        self.0.elapsed().as_secs_f64()
    }

    /// Calls `step` with the time every few milliseconds until it returns true (then true) or
    /// `seconds` pass (then false).
    fn run(&self, seconds: f64, mut step: impl FnMut(f64) -> bool) -> bool {
        let end = self.now() + seconds;
        loop {
            let now = self.now();
            if step(now) {
                return true;
            }
            if now > end {
                return false;
            }
            std::thread::sleep(Duration::from_millis(4));
        }
    }

    /// Updates `client`, then `server`, every few milliseconds until `done(client, server, now)`
    /// holds (then true) or `seconds` pass (then false), as `run` does.
    fn drive<C: Update + ?Sized, S: Update + ?Sized>(
        &self,
        seconds: f64,
        client: &mut C,
        server: &mut S,
        mut done: impl FnMut(&mut C, &mut S, f64) -> bool,
    ) -> bool {
        self.run(seconds, |now| {
            client.update(now);
            server.update(now);
            done(client, server, now)
        })
    }
}

/// A client or a server (ours or a peer's) that the tests update with the clock's time.
trait Update {
    fn update(&mut self, now: f64);
}

impl Update for NetcodeClient {
    fn update(&mut self, now: f64) {
        NetcodeClient::update(self, now);
    }
}

/// Drives `client` and `server`, taking each time the payloads `receive` finds (those that
/// reached the server, those that reached the client), until at least `want` of them (to the
/// server, to the client) have arrived, then 0.3 s longer for any that should not (3 s at
/// most); returns all it took, in order (to the server, to the client).
fn collect_payloads<C: Update + ?Sized, S: Update + ?Sized>(
    clock: &Clock,
    client: &mut C,
    server: &mut S,
    want: (usize, usize),
    mut receive: impl FnMut(&mut C, &mut S) -> (Vec<Vec<u8>>, Vec<Vec<u8>>),
) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let (mut to_server, mut to_client) = (Vec::new(), Vec::new());
    // Until what should arrive has, then a little longer for what should not.
    let mut settle = None;
    clock.drive(3.0, client, server, |client, server, now| {
        let (at_server, at_client) = receive(client, server);
        to_server.extend(at_server);
        to_client.extend(at_client);
        if settle.is_none() && to_server.len() >= want.0 && to_client.len() >= want.1 {
            settle = Some(now + 0.3);
        }
        settle.is_some_and(|end| now > end)
    });
    (to_server, to_client)
}

fn unix_now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap()
}

/// A non-blocking UDP socket on `address`.
fn udp_socket(address: SocketAddr) -> UdpSocket {
    let socket = UdpSocket::bind(address).expect("bind");
    socket.set_nonblocking(true).unwrap();
    socket
}

/// `[::1]` as netcode-rs and renetcode write it into a token (the 16 octets of the address)
/// and as every standard reader then reads it (eight little-endian 16-bit groups): `[::100]`.
fn misread_loopback_v6(port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V6(Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 0x100)), port)
}

// ---------------------------------------------------------------------------------------------
// renetcode's connect token framing

/// A standard token as renetcode's `ConnectToken::read` takes it: renetcode puts the client id
/// (8 bytes, little-endian) before the version info.
fn to_renetcode_token(token: &Token, client_id: u64) -> renetcode::ConnectToken {
    let mut bytes = client_id.to_le_bytes().to_vec();
    bytes.extend_from_slice(token.as_bytes());
    renetcode::ConnectToken::read(&mut &bytes[..]).expect("renetcode reads the re-framed token")
}

/// renetcode's token bytes as a standard 2048-byte token: without the leading client id,
/// zero-padded.
fn from_renetcode_token(token: &renetcode::ConnectToken) -> Token {
    let mut bytes = Vec::new();
    token.write(&mut bytes).unwrap();
    let mut standard = bytes[8..].to_vec();
    standard.resize(netcode::NETCODE_CONNECT_TOKEN_BYTES, 0);
    Token::from_bytes(&standard).expect("a standard token once re-framed")
}

// ---------------------------------------------------------------------------------------------
// The peers' clients, driven the same way

/// A client's state, in terms every implementation has.
#[derive(Clone, Debug, PartialEq)]
enum Peer {
    Connecting,
    Connected,
    /// Disconnected cleanly (by either side), no error.
    Disconnected,
    Denied,
    /// Any other error state, by the peer's own name.
    Failed(String),
}

trait PeerClient: Update {
    fn state(&self) -> Peer;
    fn send(&mut self, payload: &[u8]);
    fn receive(&mut self) -> Vec<Vec<u8>>;
    fn disconnect(&mut self);
}

struct OfficialClient(netcode_official::Client);

impl OfficialClient {
    /// A client connecting with `token` at time `now`.
    fn new(family: Family, token: &Token, now: f64) -> OfficialClient {
        let mut client = netcode_official::Client::new(family.any(), now).unwrap();
        client.connect(token.as_bytes()).unwrap();
        OfficialClient(client)
    }
}

impl Update for OfficialClient {
    fn update(&mut self, now: f64) {
        self.0.update(now);
    }
}

impl PeerClient for OfficialClient {
    fn state(&self) -> Peer {
        use netcode_official::ClientState as S;
        match self.0.state() {
            S::Connected => Peer::Connected,
            S::SendingConnectionRequest | S::SendingConnectionResponse => Peer::Connecting,
            S::Disconnected => Peer::Disconnected,
            S::ConnectionDenied => Peer::Denied,
            other => Peer::Failed(format!("{other:?}")),
        }
    }

    fn send(&mut self, payload: &[u8]) {
        self.0.send_packet(payload).unwrap();
    }

    fn receive(&mut self) -> Vec<Vec<u8>> {
        std::iter::from_fn(|| self.0.receive_packet().map(|(p, _)| p)).collect()
    }

    fn disconnect(&mut self) {
        self.0.disconnect();
    }
}

/// renetcode's client over a UDP socket of ours: it sends what renetcode hands out, to the
/// address renetcode names.
struct RenetClient {
    client: renetcode::NetcodeClient,
    socket: UdpSocket,
    last: f64,
    received: Vec<Vec<u8>>,
}

impl RenetClient {
    /// A client connecting with `token` at time `now`.
    fn new(family: Family, token: renetcode::ConnectToken, now: f64) -> RenetClient {
        let authentication = renetcode::ClientAuthentication::Secure {
            connect_token: token,
        };
        RenetClient {
            client: renetcode::NetcodeClient::new(Duration::ZERO, authentication).unwrap(),
            socket: udp_socket(family.any()),
            last: now,
            received: Vec::new(),
        }
    }
}

impl Update for RenetClient {
    fn update(&mut self, now: f64) {
        let mut buffer = [0u8; 2048];
        while let Ok((len, _)) = self.socket.recv_from(&mut buffer) {
            if let Some(payload) = self.client.process_packet(&mut buffer[..len]) {
                self.received.push(payload.to_vec());
            }
        }
        let delta = Duration::from_secs_f64((now - self.last).max(0.0));
        self.last = now;
        if let Some((packet, address)) = self.client.update(delta) {
            // Errors too are renetcode's business (an address it misread may be unreachable).
            let _ = self.socket.send_to(packet, address);
        }
    }
}

impl PeerClient for RenetClient {
    fn state(&self) -> Peer {
        use renetcode::DisconnectReason as R;
        if self.client.is_connected() {
            return Peer::Connected;
        }
        if self.client.is_connecting() {
            return Peer::Connecting;
        }
        match self.client.disconnect_reason() {
            Some(R::DisconnectedByClient | R::DisconnectedByServer) => Peer::Disconnected,
            Some(R::ConnectionDenied) => Peer::Denied,
            other => Peer::Failed(format!("{other:?}")),
        }
    }

    fn send(&mut self, payload: &[u8]) {
        let (address, packet) = self.client.generate_payload_packet(payload).unwrap();
        self.socket.send_to(packet, address).unwrap();
    }

    fn receive(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.received)
    }

    fn disconnect(&mut self) {
        // renetcode makes one disconnect packet (the reference sends ten): sent once, as made.
        let (address, packet) = self.client.disconnect().unwrap();
        self.socket.send_to(packet, address).unwrap();
    }
}

struct RsClient {
    client: netcode_rs::Client<netcode_rs::NetcodeSocket>,
    /// The last error of `try_update` (sending to an unreachable address).
    error: Option<String>,
}

impl RsClient {
    /// A client connecting with `token` at time `now`.
    fn new(family: Family, token: &[u8], now: f64) -> RsClient {
        // `Client::new` binds IPv4 only; the socket of its own kind binds either family.
        let socket = netcode_rs::NetcodeSocket::new(family.any(), 256 * 1024, 256 * 1024).unwrap();
        let config = netcode_rs::ClientConfig::default();
        let mut client =
            netcode_rs::Client::with_config_and_transceiver(token, config, socket).unwrap();
        // Its clock starts at its first update: one before the connect starts its timers.
        client.try_update(now).unwrap();
        client.connect();
        RsClient {
            client,
            error: None,
        }
    }
}

impl Update for RsClient {
    fn update(&mut self, now: f64) {
        if let Err(error) = self.client.try_update(now) {
            self.error = Some(error.to_string());
        }
    }
}

impl PeerClient for RsClient {
    fn state(&self) -> Peer {
        use netcode_rs::ClientState as S;
        match self.client.state() {
            S::Connected => Peer::Connected,
            S::SendingConnectionRequest | S::SendingChallengeResponse => Peer::Connecting,
            S::Disconnected => Peer::Disconnected,
            S::ConnectionDenied => Peer::Denied,
            other => Peer::Failed(format!("{other:?}")),
        }
    }

    fn send(&mut self, payload: &[u8]) {
        self.client.send(payload).unwrap();
    }

    fn receive(&mut self) -> Vec<Vec<u8>> {
        std::iter::from_fn(|| self.client.recv()).collect()
    }

    fn disconnect(&mut self) {
        self.client.disconnect().unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// Our server with a peer's clients

struct OurServer {
    server: NetcodeServer,
    key: [u8; 32],
    events: Vec<Event>,
}

impl Update for OurServer {
    fn update(&mut self, now: f64) {
        self.server.update(now);
        while let Some(event) = self.server.next_event() {
            self.events.push(event);
        }
    }
}

impl OurServer {
    fn new(family: Family, max_clients: usize) -> OurServer {
        let key = netcode::generate_key();
        let config = ServerConfig::new(family.loopback(), PROTOCOL_ID, key)
            .version(Version::V1_02)
            .max_clients(max_clients);
        OurServer {
            server: NetcodeServer::new(config).unwrap(),
            key,
            events: Vec::new(),
        }
    }

    /// A 1.02 token for this server, with the tests' short timeout.
    fn token(&self, client_id: u64) -> Token {
        let settings = self.server.token_settings().timeout_seconds(TIMEOUT);
        let token = TokenGenerator::new(settings, &self.key)
            .unwrap()
            .generate(client_id, &[7; 256])
            .unwrap();
        assert_eq!(token.version(), Version::V1_02);
        token
    }

    fn connected(&self) -> Vec<Session> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Connected { client, .. } => Some(client.session),
                _ => None,
            })
            .collect()
    }

    fn disconnected(&self) -> Vec<(Session, DisconnectReason)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Disconnected { client, reason } => Some((client.session, *reason)),
                _ => None,
            })
            .collect()
    }

    fn received(&mut self, session: Session) -> Vec<Vec<u8>> {
        std::iter::from_fn(|| self.server.receive(session).map(|p| p.to_vec())).collect()
    }
}

/// Connects `client` to `server` (panics with the states if not within 5 s); returns its
/// session.
fn connect_to_ours(clock: &Clock, server: &mut OurServer, client: &mut dyn PeerClient) -> Session {
    let before = server.connected().len();
    let connected = clock.drive(5.0, client, server, |client, server, _| {
        client.state() == Peer::Connected && server.connected().len() > before
    });
    assert!(
        connected,
        "not connected: the peer's client is {:?}; our server ignored {:?}",
        client.state(),
        server.server.ignored_requests()
    );
    *server.connected().last().unwrap()
}

/// A peer's client against our 1.02 server: payloads both ways, a hold longer than the
/// timeout, then a clean disconnect from the client; a second client, disconnected by the
/// server. `peer_max_received` is the largest payload the peer's client takes.
fn peer_client_session<C: PeerClient>(
    family: Family,
    peer_max_received: usize,
    make: impl Fn(&Token, u64, f64) -> C,
) {
    let clock = Clock::start();
    let mut server = OurServer::new(family, 4);
    let mut client = make(&server.token(1), 1, clock.now());
    let session = connect_to_ours(&clock, &mut server, &mut client);

    for len in LENGTHS {
        client.send(&pattern(len, 1));
        server.server.send(session, &pattern(len, 2)).unwrap();
    }
    let (want_server, want_client) = (expected(1, MAX_PAYLOAD), expected(2, peer_max_received));
    let want = (want_server.len(), want_client.len());
    let (to_server, to_client) =
        collect_payloads(&clock, &mut client, &mut server, want, |client, server| {
            (server.received(session), client.receive())
        });
    assert_eq!(to_server, want_server, "payloads to our server");
    assert_eq!(to_client, want_client, "payloads to the peer's client");

    // Keep-alives alone hold the session past the timeout.
    clock.drive(HOLD, &mut client, &mut server, |_, _, _| false);
    assert_eq!(client.state(), Peer::Connected);
    assert!(server.disconnected().is_empty());
    assert_eq!(server.server.num_connected_clients(), 1);

    // The client disconnects; the server sees its disconnect packets.
    client.disconnect();
    let seen = clock.drive(
        DISCONNECT_WITHIN,
        &mut client,
        &mut server,
        |_, server, _| !server.disconnected().is_empty(),
    );
    assert!(seen, "our server did not see the client leave");
    assert_eq!(
        server.disconnected(),
        [(session, DisconnectReason::DisconnectPacket)]
    );
    assert_eq!(client.state(), Peer::Disconnected);

    // A second client; the server disconnects it, and it sees the server's disconnect packets.
    let mut second = make(&server.token(2), 2, clock.now());
    let session = connect_to_ours(&clock, &mut server, &mut second);
    server.server.disconnect(session).unwrap();
    let left = clock.drive(
        DISCONNECT_WITHIN,
        &mut second,
        &mut server,
        |second, _, _| second.state() != Peer::Connected,
    );
    assert!(
        left,
        "the peer's client did not see our server disconnect it"
    );
    assert_eq!(second.state(), Peer::Disconnected);
    // Every packet the peer's clients sent was well formed (sequence bytes 1 to 8, and so on).
    assert_eq!(server.server.ignored_requests().malformed_packets, 0);
}

/// Our server with one slot, taken by a peer's client: the next one is denied.
fn peer_client_denied<C: PeerClient>(family: Family, make: impl Fn(&Token, u64, f64) -> C) {
    let clock = Clock::start();
    let mut server = OurServer::new(family, 1);
    let mut first = make(&server.token(1), 1, clock.now());
    connect_to_ours(&clock, &mut server, &mut first);
    let mut next = make(&server.token(2), 2, clock.now());
    let stopped = clock.run(3.0, |now| {
        first.update(now);
        next.update(now);
        server.update(now);
        next.state() != Peer::Connecting
    });
    assert!(stopped, "the next client is still connecting");
    assert_eq!(next.state(), Peer::Denied);
    assert_eq!(first.state(), Peer::Connected);
    assert_eq!(server.server.num_connected_clients(), 1);
}

/// A peer's client that reads our IPv6 token's address as `[::100]` (netcode-rs, renetcode):
/// it never reaches our server, and gives up when the token's timeout passes.
fn peer_client_misses_ipv6<C: PeerClient>(make: impl Fn(&Token, u64, f64) -> C) -> C {
    let clock = Clock::start();
    let mut server = OurServer::new(Family::V6, 4);
    let mut client = make(&server.token(1), 1, clock.now());
    clock.drive(
        f64::from(TIMEOUT) + 1.5,
        &mut client,
        &mut server,
        |_, _, _| false,
    );
    assert!(
        matches!(client.state(), Peer::Failed(_)),
        "{:?}",
        client.state()
    );
    assert!(server.connected().is_empty());
    assert_eq!(
        server.server.ignored_requests(),
        netcode::IgnoredRequests::default(),
        "our server received nothing at all"
    );
    client
}

// ---------------------------------------------------------------------------------------------
// The peers' servers with our client

trait PeerServer: Update {
    type Slot: Copy + std::fmt::Debug + PartialEq;
    fn address(&self) -> SocketAddr;
    /// A token from the peer's backend, for this server, with the tests' timeout, as the 2048
    /// bytes a standard client takes (`Token::from_bytes`).
    fn token(&mut self, client_id: u64) -> Token;
    /// The clients connected now.
    fn connected(&self) -> Vec<Self::Slot>;
    fn send(&mut self, slot: Self::Slot, payload: &[u8]);
    fn receive(&mut self, slot: Self::Slot) -> Vec<Vec<u8>>;
    fn disconnect(&mut self, slot: Self::Slot);
    /// The clients that left, with the reason when the peer tells it (`None`: it does not).
    fn disconnected(&self) -> Vec<(Self::Slot, Option<bool>)>;
}

struct OfficialServer {
    server: netcode_official::Server,
    key: [u8; 32],
    left: Vec<(usize, Option<bool>)>,
}

impl OfficialServer {
    fn new(family: Family, max_clients: usize) -> OfficialServer {
        let key = netcode_official::generate_key();
        let mut server =
            netcode_official::Server::new(family.loopback(), PROTOCOL_ID, &key, 0.0).unwrap();
        server.start(max_clients).unwrap();
        OfficialServer {
            server,
            key,
            left: Vec::new(),
        }
    }
}

impl Update for OfficialServer {
    fn update(&mut self, now: f64) {
        use netcode_official::{DisconnectReason as R, ServerEvent};
        self.server.update(now);
        while let Some(event) = self.server.next_event() {
            if let ServerEvent::ClientDisconnected {
                client_index,
                reason,
            } = event
            {
                self.left
                    .push((client_index, Some(reason == R::ClientDisconnect)));
            }
        }
    }
}

impl PeerServer for OfficialServer {
    type Slot = usize;

    fn address(&self) -> SocketAddr {
        self.server.address()
    }

    fn token(&mut self, client_id: u64) -> Token {
        let address = self.address();
        let bytes = netcode_official::generate_connect_token(
            &[address],
            &[address],
            30,
            TIMEOUT,
            client_id,
            PROTOCOL_ID,
            &self.key,
            &[7; 256],
        )
        .unwrap();
        Token::from_bytes(&bytes).unwrap()
    }

    fn connected(&self) -> Vec<usize> {
        (0..self.server.max_clients())
            .filter(|&i| self.server.client_connected(i))
            .collect()
    }

    fn send(&mut self, slot: usize, payload: &[u8]) {
        self.server.send_packet(slot, payload).unwrap();
    }

    fn receive(&mut self, slot: usize) -> Vec<Vec<u8>> {
        std::iter::from_fn(|| self.server.receive_packet(slot).map(|(p, _)| p)).collect()
    }

    fn disconnect(&mut self, slot: usize) {
        self.server.disconnect_client(slot);
    }

    fn disconnected(&self) -> Vec<(usize, Option<bool>)> {
        self.left.clone()
    }
}

/// renetcode's server over a UDP socket of ours. It also keeps the prefix byte and length of
/// every datagram it sent, in order.
struct RenetServer {
    server: renetcode::NetcodeServer,
    socket: UdpSocket,
    key: [u8; 32],
    last: f64,
    received: Vec<(u64, Vec<u8>)>,
    left: Vec<(u64, Option<bool>)>,
    sent: Vec<(u8, usize)>,
}

impl RenetServer {
    fn new(family: Family, max_clients: usize) -> RenetServer {
        let key = netcode::generate_key();
        let socket = udp_socket(family.loopback());
        let server = renetcode::NetcodeServer::new(renetcode::ServerConfig {
            current_time: unix_now(),
            max_clients,
            protocol_id: PROTOCOL_ID,
            public_addresses: vec![socket.local_addr().unwrap()],
            authentication: renetcode::ServerAuthentication::Secure { private_key: key },
        });
        RenetServer {
            server,
            socket,
            key,
            last: 0.0,
            received: Vec::new(),
            left: Vec::new(),
            sent: Vec::new(),
        }
    }

    fn send_to(socket: &UdpSocket, sent: &mut Vec<(u8, usize)>, packet: &[u8], to: SocketAddr) {
        sent.push((packet[0], packet.len()));
        let _ = socket.send_to(packet, to);
    }
}

impl Update for RenetServer {
    fn update(&mut self, now: f64) {
        use renetcode::ServerResult as R;
        let delta = Duration::from_secs_f64((now - self.last).max(0.0));
        self.last = now;
        self.server.update(delta);
        let mut buffer = [0u8; 2048];
        while let Ok((len, from)) = self.socket.recv_from(&mut buffer) {
            match self.server.process_packet(from, &mut buffer[..len]) {
                R::PacketToSend { addr, payload } | R::ClientConnected { addr, payload, .. } => {
                    Self::send_to(&self.socket, &mut self.sent, payload, addr)
                }
                R::Payload { client_id, payload } => {
                    self.received.push((client_id, payload.to_vec()))
                }
                R::ClientDisconnected {
                    client_id,
                    addr,
                    payload,
                } => {
                    // Only a client's disconnect packet ends a session in process_packet.
                    self.left.push((client_id, Some(true)));
                    if let Some(payload) = payload {
                        Self::send_to(&self.socket, &mut self.sent, payload, addr);
                    }
                }
                R::None => {}
            }
        }
        for client_id in self.server.clients_id() {
            match self.server.update_client(client_id) {
                R::PacketToSend { addr, payload } => {
                    Self::send_to(&self.socket, &mut self.sent, payload, addr)
                }
                R::ClientDisconnected {
                    client_id,
                    addr,
                    payload,
                } => {
                    // update_client ends a session only when it timed out.
                    self.left.push((client_id, Some(false)));
                    if let Some(payload) = payload {
                        Self::send_to(&self.socket, &mut self.sent, payload, addr);
                    }
                }
                _ => {}
            }
        }
    }
}

impl PeerServer for RenetServer {
    type Slot = u64;

    fn address(&self) -> SocketAddr {
        self.socket.local_addr().unwrap()
    }

    fn token(&mut self, client_id: u64) -> Token {
        let token = renetcode::ConnectToken::generate(
            self.server.current_time(),
            PROTOCOL_ID,
            30,
            client_id,
            TIMEOUT,
            vec![self.address()],
            Some(&[7; 256]),
            &self.key,
        )
        .unwrap();
        from_renetcode_token(&token)
    }

    fn connected(&self) -> Vec<u64> {
        self.server.clients_id()
    }

    fn send(&mut self, slot: u64, payload: &[u8]) {
        let (address, packet) = self.server.generate_payload_packet(slot, payload).unwrap();
        Self::send_to(&self.socket, &mut self.sent, packet, address);
    }

    fn receive(&mut self, slot: u64) -> Vec<Vec<u8>> {
        let (mine, others) = std::mem::take(&mut self.received)
            .into_iter()
            .partition(|(id, _)| *id == slot);
        self.received = others;
        mine.into_iter().map(|(_, p)| p).collect()
    }

    fn disconnect(&mut self, slot: u64) {
        if let renetcode::ServerResult::ClientDisconnected {
            addr,
            payload: Some(payload),
            ..
        } = self.server.disconnect(slot)
        {
            // One packet, as renetcode makes it.
            Self::send_to(&self.socket, &mut self.sent, payload, addr);
        }
    }

    fn disconnected(&self) -> Vec<(u64, Option<bool>)> {
        self.left.clone()
    }
}

type RsEvents = Arc<Mutex<Vec<(bool, netcode_rs::ClientIndex)>>>;

struct RsServer {
    server: netcode_rs::Server<netcode_rs::NetcodeSocket>,
    /// (connected, client) as netcode-rs's callbacks report them.
    events: RsEvents,
}

impl RsServer {
    fn new(family: Family) -> RsServer {
        let events = RsEvents::default();
        let (on_connect, on_disconnect) = (events.clone(), events.clone());
        let config = netcode_rs::ServerConfig::with_context(())
            .on_connect(move |index, _| on_connect.lock().unwrap().push((true, index)))
            .on_disconnect(move |index, _| on_disconnect.lock().unwrap().push((false, index)));
        let key = netcode_rs::generate_key();
        let server =
            netcode_rs::Server::with_config(family.loopback(), PROTOCOL_ID, key, config).unwrap();
        RsServer { server, events }
    }
}

impl Update for RsServer {
    fn update(&mut self, now: f64) {
        self.server.update(now);
    }
}

impl PeerServer for RsServer {
    type Slot = netcode_rs::ClientIndex;

    fn address(&self) -> SocketAddr {
        self.server.addr()
    }

    fn token(&mut self, client_id: u64) -> Token {
        let bytes = self
            .server
            .token(client_id)
            .expire_seconds(30)
            .timeout_seconds(TIMEOUT)
            .user_data([7; 256])
            .generate()
            .unwrap()
            .try_into_bytes()
            .unwrap();
        Token::from_bytes(&bytes).unwrap()
    }

    fn connected(&self) -> Vec<Self::Slot> {
        let mut connected = Vec::new();
        for &(joined, index) in self.events.lock().unwrap().iter() {
            if joined {
                connected.push(index);
            } else {
                connected.retain(|&c| c != index);
            }
        }
        connected
    }

    fn send(&mut self, slot: Self::Slot, payload: &[u8]) {
        self.server.send(payload, slot).unwrap();
    }

    fn receive(&mut self, slot: Self::Slot) -> Vec<Vec<u8>> {
        // netcode-rs queues every client's payloads together; these tests have one client.
        std::iter::from_fn(|| self.server.recv())
            .map(|(payload, from)| {
                assert_eq!(from, slot);
                payload
            })
            .collect()
    }

    fn disconnect(&mut self, slot: Self::Slot) {
        self.server.disconnect(slot).unwrap();
    }

    fn disconnected(&self) -> Vec<(Self::Slot, Option<bool>)> {
        let events = self.events.lock().unwrap();
        events
            .iter()
            .filter(|(joined, _)| !joined)
            .map(|&(_, index)| (index, None))
            .collect()
    }
}

/// Connects a new client of ours with `token` to `server` (panics with the state if not within
/// 5 s); returns it and its slot there.
fn connect_ours<S: PeerServer>(
    clock: &Clock,
    server: &mut S,
    family: Family,
    token: &Token,
) -> (NetcodeClient, S::Slot) {
    let mut client = NetcodeClient::new(family.any()).unwrap();
    client.connect(token).unwrap();
    let before = server.connected();
    let connected = clock.drive(5.0, &mut client, server, |client, server, _| {
        client.state() == ConnectionState::Connected && server.connected().len() > before.len()
    });
    assert!(connected, "our client is {}", client.state());
    let slot = *server
        .connected()
        .iter()
        .find(|s| !before.contains(s))
        .unwrap();
    (client, slot)
}

/// Our 1.02 client against a peer's server, with tokens of the peer's backend: payloads both
/// ways, a hold longer than the timeout, a clean disconnect from our client; a second client
/// of ours, disconnected by the peer's server. `peer_max_received` is the largest payload the
/// peer's server takes. Returns the server, for what a test checks beyond.
fn our_client_session<S: PeerServer>(family: Family, mut server: S, peer_max_received: usize) -> S {
    let clock = Clock::start();
    let token = server.token(1);
    assert_eq!(token.version(), Version::V1_02);
    assert_eq!(token.servers().as_slice(), &[server.address()]);
    let (mut client, slot) = connect_ours(&clock, &mut server, family, &token);

    for len in LENGTHS {
        client.send(&pattern(len, 3)).unwrap();
        server.send(slot, &pattern(len, 4));
    }
    let (want_client, want_server) = (expected(4, MAX_PAYLOAD), expected(3, peer_max_received));
    let want = (want_server.len(), want_client.len());
    let (to_server, to_client) =
        collect_payloads(&clock, &mut client, &mut server, want, |client, server| {
            let at_client = std::iter::from_fn(|| client.receive().map(|p| p.to_vec())).collect();
            (server.receive(slot), at_client)
        });
    assert_eq!(to_client, want_client, "payloads to our client");
    assert_eq!(to_server, want_server, "payloads to the peer's server");

    clock.drive(HOLD, &mut client, &mut server, |_, _, _| false);
    assert_eq!(client.state(), ConnectionState::Connected);
    assert!(server.disconnected().is_empty());
    assert_eq!(server.connected(), [slot]);

    client.disconnect();
    let seen = clock.run(DISCONNECT_WITHIN, |now| {
        server.update(now);
        !server.disconnected().is_empty()
    });
    assert!(seen, "the peer's server did not see our client leave");
    let left = server.disconnected();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].0, slot);
    assert_ne!(left[0].1, Some(false), "a timeout, not a disconnect");
    assert_eq!(client.state(), ConnectionState::Disconnected);

    let token = server.token(2);
    let (mut second, slot) = connect_ours(&clock, &mut server, family, &token);
    server.disconnect(slot);
    let left = clock.drive(
        DISCONNECT_WITHIN,
        &mut second,
        &mut server,
        |second, _, _| second.state() != ConnectionState::Connected,
    );
    assert!(
        left,
        "our client did not see the peer's server disconnect it"
    );
    assert_eq!(second.state(), ConnectionState::Disconnected);
    server
}

/// A peer's server whose slots are all taken by the clients `fill` connects denies our client.
fn our_client_denied<S: PeerServer>(
    family: Family,
    mut server: S,
    fill: impl FnOnce(&Clock, &mut S) -> Vec<Box<dyn Update>>,
) {
    let clock = Clock::start();
    let mut fillers = fill(&clock, &mut server);
    let full = server.connected();
    assert_eq!(full.len(), fillers.len());
    let token = server.token(1000);
    let mut client = NetcodeClient::new(family.any()).unwrap();
    client.connect(&token).unwrap();
    let stopped = clock.run(3.0, |now| {
        fillers.iter_mut().for_each(|f| f.update(now));
        client.update(now);
        server.update(now);
        !client.state().is_connecting()
    });
    assert!(stopped, "our client is still {}", client.state());
    assert_eq!(client.state(), ConnectionState::ConnectionDenied);
    assert_eq!(server.connected(), full);
}

/// Fills a one-slot peer server with one client of ours.
fn fill_with_ours<S: PeerServer>(
    clock: &Clock,
    server: &mut S,
    family: Family,
) -> Vec<Box<dyn Update>> {
    let token = server.token(1);
    let (client, _) = connect_ours(clock, server, family, &token);
    vec![Box::new(client)]
}

/// Our client with a token of a peer's backend that wrote `[::1]` as `[::100]` (netcode-rs,
/// renetcode): it reads the address the token says, which nobody serves, and times out.
fn our_client_misses_ipv6<S: PeerServer>(mut server: S) {
    let clock = Clock::start();
    let token = server.token(1);
    let port = server.address().port();
    assert_eq!(
        server.address(),
        SocketAddr::from((Ipv6Addr::LOCALHOST, port))
    );
    assert_eq!(token.servers().as_slice(), &[misread_loopback_v6(port)]);
    let mut client = NetcodeClient::new(Family::V6.any()).unwrap();
    client.connect(&token).unwrap();
    let stopped = clock.drive(
        f64::from(TIMEOUT) + 2.0,
        &mut client,
        &mut server,
        |c, _, _| !c.state().is_connecting(),
    );
    assert!(stopped, "our client is still {}", client.state());
    assert_eq!(client.state(), ConnectionState::ConnectionRequestTimedOut);
    assert!(server.connected().is_empty());
}

// ---------------------------------------------------------------------------------------------
// The matrix: netcode-official 1.0.0

#[test]
fn official_client_to_our_server_ipv4() {
    peer_client_session(Family::V4, MAX_PAYLOAD, |token, _, now| {
        OfficialClient::new(Family::V4, token, now)
    });
}

#[test]
fn official_client_to_our_server_ipv6() {
    peer_client_session(Family::V6, MAX_PAYLOAD, |token, _, now| {
        OfficialClient::new(Family::V6, token, now)
    });
}

#[test]
fn official_client_denied_by_our_full_server_ipv4() {
    peer_client_denied(Family::V4, |token, _, now| {
        OfficialClient::new(Family::V4, token, now)
    });
}

#[test]
fn official_client_denied_by_our_full_server_ipv6() {
    peer_client_denied(Family::V6, |token, _, now| {
        OfficialClient::new(Family::V6, token, now)
    });
}

#[test]
fn our_client_to_official_server_ipv4() {
    our_client_session(Family::V4, OfficialServer::new(Family::V4, 4), MAX_PAYLOAD);
}

#[test]
fn our_client_to_official_server_ipv6() {
    our_client_session(Family::V6, OfficialServer::new(Family::V6, 4), MAX_PAYLOAD);
}

#[test]
fn our_client_denied_by_full_official_server_ipv4() {
    our_client_denied(
        Family::V4,
        OfficialServer::new(Family::V4, 1),
        |clock, server| fill_with_ours(clock, server, Family::V4),
    );
}

#[test]
fn our_client_denied_by_full_official_server_ipv6() {
    our_client_denied(
        Family::V6,
        OfficialServer::new(Family::V6, 1),
        |clock, server| fill_with_ours(clock, server, Family::V6),
    );
}

// ---------------------------------------------------------------------------------------------
// The matrix: renetcode 2.0.0 (tokens re-framed for it: renetcode_token_framing_is_its_own)

#[test]
fn renetcode_client_to_our_server_ipv4() {
    peer_client_session(Family::V4, MAX_PAYLOAD, |token, id, now| {
        RenetClient::new(Family::V4, to_renetcode_token(token, id), now)
    });
}

#[test]
fn renetcode_client_to_our_server_ipv6_misreads_the_address() {
    let client = peer_client_misses_ipv6(|token, id, now| {
        RenetClient::new(Family::V6, to_renetcode_token(token, id), now)
    });
    let port = client.client.server_addr().port();
    assert_eq!(client.client.server_addr(), misread_loopback_v6(port));
    assert_eq!(
        client.client.disconnect_reason(),
        Some(renetcode::DisconnectReason::ConnectionRequestTimedOut)
    );
}

#[test]
fn renetcode_client_denied_by_our_full_server_ipv4() {
    peer_client_denied(Family::V4, |token, id, now| {
        RenetClient::new(Family::V4, to_renetcode_token(token, id), now)
    });
}

/// Works, a few round trips slower than with a standard server: our client drops renetcode's
/// packets of sequence 0 (renetcode_writes_sequence_zero_with_no_sequence_bytes), and takes
/// the next ones.
#[test]
fn our_client_to_renetcode_server_ipv4() {
    let server = our_client_session(Family::V4, RenetServer::new(Family::V4, 4), MAX_PAYLOAD);
    // The server's first challenge and each client's first keep-alive: no sequence bytes.
    let zero_sequence: Vec<_> = server
        .sent
        .iter()
        .filter(|(prefix, _)| prefix >> 4 == 0)
        .collect();
    assert!(
        zero_sequence.contains(&&(0x02, 1 + 8 + 300 + 16)),
        "{zero_sequence:?}"
    );
    assert!(
        zero_sequence.contains(&&(0x04, 1 + 8 + 16)),
        "{zero_sequence:?}"
    );
}

#[test]
fn our_client_to_renetcode_server_ipv6_misreads_the_address() {
    our_client_misses_ipv6(RenetServer::new(Family::V6, 4));
}

#[test]
fn our_client_denied_by_full_renetcode_server_ipv4() {
    our_client_denied(
        Family::V4,
        RenetServer::new(Family::V4, 1),
        |clock, server| fill_with_ours(clock, server, Family::V4),
    );
}

// ---------------------------------------------------------------------------------------------
// The matrix: netcode-rs 1.4.0

#[test]
fn netcode_rs_client_to_our_server_ipv4() {
    peer_client_session(Family::V4, NETCODE_RS_MAX_RECEIVED, |token, _, now| {
        RsClient::new(Family::V4, token.as_bytes(), now)
    });
}

#[test]
fn netcode_rs_client_to_our_server_ipv6_misreads_the_address() {
    let client =
        peer_client_misses_ipv6(|token, _, now| RsClient::new(Family::V6, token.as_bytes(), now));
    assert_eq!(
        client.state(),
        Peer::Failed("ConnectionRequestTimedOut".into())
    );
}

#[test]
fn netcode_rs_client_denied_by_our_full_server_ipv4() {
    peer_client_denied(Family::V4, |token, _, now| {
        RsClient::new(Family::V4, token.as_bytes(), now)
    });
}

#[test]
fn our_client_to_netcode_rs_server_ipv4() {
    our_client_session(
        Family::V4,
        RsServer::new(Family::V4),
        NETCODE_RS_MAX_RECEIVED,
    );
}

#[test]
fn our_client_to_netcode_rs_server_ipv6_misreads_the_address() {
    our_client_misses_ipv6(RsServer::new(Family::V6));
}

/// netcode-rs servers have 256 slots, always (no setting): 256 netcode-rs clients fill one.
#[test]
fn our_client_denied_by_full_netcode_rs_server_ipv4() {
    our_client_denied(Family::V4, RsServer::new(Family::V4), |clock, server| {
        // netcode_rs::server::MAX_CLIENTS, which the crate does not export.
        let mut clients: Vec<RsClient> = (0..256)
            .map(|id| RsClient::new(Family::V4, server.token(id + 1).as_bytes(), clock.now()))
            .collect();
        let full = clock.run(10.0, |now| {
            clients.iter_mut().for_each(|c| c.update(now));
            server.update(now);
            server.connected().len() == clients.len()
        });
        assert!(full, "{} of 256 connected", server.connected().len());
        clients
            .into_iter()
            .map(|c| Box::new(c) as Box<dyn Update>)
            .collect()
    });
}

// ---------------------------------------------------------------------------------------------
// The peers' departures from the standard, each on the peer's own bytes

/// Where a token's list of server addresses starts (the count, then the addresses), in the
/// standard 1.02 layout: version info, protocol id, create and expire timestamps, the 24-byte
/// nonce, the 1024-byte private part, the timeout.
const SERVERS_AT: usize = 13 + 8 + 8 + 8 + 24 + 1024 + 4;

/// renetcode writes (and reads) a connect token with its client id, 8 bytes, before the version
/// info, and does not pad it to 2048 bytes: a standard client cannot read its tokens, and it
/// cannot read standard ones. With those 8 bytes added or removed, the rest is the standard's.
#[test]
fn renetcode_token_framing_is_its_own() {
    let key = netcode::generate_key();
    let address: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    let token = renetcode::ConnectToken::generate(
        unix_now(),
        PROTOCOL_ID,
        30,
        42,
        TIMEOUT,
        vec![address],
        None,
        &key,
    )
    .unwrap();
    let mut bytes = Vec::new();
    token.write(&mut bytes).unwrap();
    assert_eq!(&bytes[..8], &42u64.to_le_bytes());
    assert_eq!(&bytes[8..21], Version::V1_02.version_info());
    // 8 + the standard fields with one IPv4 address (type, 4 bytes, port) and the two keys.
    assert_eq!(bytes.len(), 8 + SERVERS_AT + 4 + 7 + 64);
    assert!(Token::from_bytes(&bytes).is_err());
    let mut padded = bytes.clone();
    padded.resize(netcode::NETCODE_CONNECT_TOKEN_BYTES, 0);
    assert!(
        Token::from_bytes(&padded).is_err(),
        "the version is not first"
    );

    // A standard token (ours; netcode-official's is the same layout) is refused by renetcode.
    let ours = TokenGenerator::new(
        netcode::TokenSettings::new(PROTOCOL_ID, netcode::ServerAddresses::one(address)),
        &key,
    )
    .unwrap()
    .generate(42, &[0; 256])
    .unwrap();
    assert!(matches!(
        renetcode::ConnectToken::read(&mut &ours.as_bytes()[..]),
        Err(renetcode::NetcodeError::InvalidVersion)
    ));

    // Re-framed, each reads the other's.
    let standard = from_renetcode_token(&token);
    assert_eq!(standard.servers().as_slice(), &[address]);
    assert_eq!(standard.timeout_seconds(), TIMEOUT);
    assert_eq!(standard.decode(&key).unwrap().client_id, 42);
    let renet = to_renetcode_token(&ours, 42);
    assert_eq!(renet.client_id, 42);
    assert_eq!(renet.server_addresses[0], Some(address));
}

/// netcode-rs and renetcode write an IPv6 server address as its 16 octets; the standard (and
/// the reference C, netcode-official, this crate) writes eight 16-bit groups, little-endian.
/// For `[::1]` the two differ in the last two bytes, so each side reads the other's `[::1]` as
/// `[::100]`: in the public part (where a client sends) and in the private part (what a server
/// checks its own address against).
#[test]
fn netcode_rs_and_renetcode_write_ipv6_addresses_as_octets() {
    let key = netcode::generate_key();
    let address: SocketAddr = "[::1]:40000".parse().unwrap();
    let mut standard = vec![0u8; 14];
    standard.extend([0x01, 0x00]);
    let octets = Ipv6Addr::LOCALHOST.octets();
    let address_bytes = |token: &[u8]| -> Vec<u8> {
        assert_eq!(&token[SERVERS_AT..SERVERS_AT + 4], &1u32.to_le_bytes());
        assert_eq!(token[SERVERS_AT + 4], 2, "IPv6");
        assert_eq!(
            &token[SERVERS_AT + 21..SERVERS_AT + 23],
            &40000u16.to_le_bytes()
        );
        token[SERVERS_AT + 5..SERVERS_AT + 21].to_vec()
    };

    let ours = TokenGenerator::new(
        netcode::TokenSettings::new(PROTOCOL_ID, netcode::ServerAddresses::one(address)),
        &key,
    )
    .unwrap()
    .generate(1, &[0; 256])
    .unwrap();
    assert_eq!(address_bytes(ours.as_bytes()), standard);
    let official = netcode_official::generate_connect_token(
        &[address],
        &[address],
        30,
        TIMEOUT,
        1,
        PROTOCOL_ID,
        &key,
        &[0; 256],
    )
    .unwrap();
    assert_eq!(address_bytes(&official), standard);

    let rs = netcode_rs::ConnectToken::build(address, PROTOCOL_ID, 1, key)
        .generate()
        .unwrap()
        .try_into_bytes()
        .unwrap();
    assert_eq!(address_bytes(&rs), octets);
    let read = Token::from_bytes(&rs).unwrap();
    assert_eq!(read.servers().as_slice(), &[misread_loopback_v6(40000)]);
    assert_eq!(
        read.decode(&key).unwrap().servers.as_slice(),
        &[misread_loopback_v6(40000)],
        "the private part too"
    );

    let renet = renetcode::ConnectToken::generate(
        unix_now(),
        PROTOCOL_ID,
        30,
        1,
        TIMEOUT,
        vec![address],
        None,
        &key,
    )
    .unwrap();
    let mut renet_bytes = Vec::new();
    renet.write(&mut renet_bytes).unwrap();
    assert_eq!(address_bytes(&renet_bytes[8..]), octets);
    let read = from_renetcode_token(&renet);
    assert_eq!(read.servers().as_slice(), &[misread_loopback_v6(40000)]);
    assert_eq!(
        read.decode(&key).unwrap().servers.as_slice(),
        &[misread_loopback_v6(40000)]
    );

    // And renetcode reads the standard `[::1]` as `[::100]`.
    let renet_reads = to_renetcode_token(&ours, 1);
    assert_eq!(
        renet_reads.server_addresses[0],
        Some(misread_loopback_v6(40000))
    );
}

/// Waits (updating `client`) for the next datagram `client` sends to `relay`.
fn next_datagram(
    clock: &Clock,
    client: &mut NetcodeClient,
    relay: &UdpSocket,
) -> (Vec<u8>, SocketAddr) {
    let mut buffer = [0u8; 2048];
    let mut got = None;
    let arrived = clock.run(2.0, |now| {
        client.update(now);
        if let Ok((len, from)) = relay.recv_from(&mut buffer) {
            got = Some((buffer[..len].to_vec(), from));
        }
        got.is_some()
    });
    assert!(arrived, "our client sent nothing");
    got.unwrap()
}

/// Updates `client` for `seconds`, throwing away what it sends to `relay`.
fn idle(clock: &Clock, client: &mut NetcodeClient, relay: &UdpSocket, seconds: f64) {
    let mut buffer = [0u8; 2048];
    clock.run(seconds, |now| {
        client.update(now);
        while relay.recv_from(&mut buffer).is_ok() {}
        false
    });
}

/// renetcode encodes a sequence number of 0 with no sequence bytes (prefix high nibble 0); the
/// standard has 1 to 8 (the reference writes 0 as one byte), and the C ignores the packet. A
/// renetcode server's first packets under a sequence of their own have sequence 0: its first
/// challenge (the global sequence) and the keep-alive that admits a client (the client's).
/// Our client drops each and takes the next (sequence 1): the connection takes a few more
/// round trips, and works. Here renetcode's server is driven by hand, through a relay socket,
/// one datagram at a time.
#[test]
fn renetcode_writes_sequence_zero_with_no_sequence_bytes() {
    use renetcode::ServerResult as R;
    let clock = Clock::start();
    let key = netcode::generate_key();
    let relay = udp_socket(Family::V4.loopback());
    let address = relay.local_addr().unwrap();
    let mut server = renetcode::NetcodeServer::new(renetcode::ServerConfig {
        current_time: unix_now(),
        max_clients: 4,
        protocol_id: PROTOCOL_ID,
        public_addresses: vec![address],
        authentication: renetcode::ServerAuthentication::Secure { private_key: key },
    });
    let token = renetcode::ConnectToken::generate(
        server.current_time(),
        PROTOCOL_ID,
        30,
        9,
        TIMEOUT,
        vec![address],
        None,
        &key,
    )
    .unwrap();
    let mut client = NetcodeClient::new(Family::V4.any()).unwrap();
    client.connect(&from_renetcode_token(&token)).unwrap();

    // The first challenge: type 2, no sequence bytes, 1 + 8 + 300 + 16 bytes.
    let (mut request, from) = next_datagram(&clock, &mut client, &relay);
    assert_eq!(request[0], 0, "a connection request");
    let R::PacketToSend { payload, .. } = server.process_packet(from, &mut request) else {
        panic!("renetcode did not answer the request");
    };
    assert_eq!((payload[0], payload.len()), (0x02, 1 + 8 + 300 + 16));
    relay.send_to(payload, from).unwrap();
    idle(&clock, &mut client, &relay, 0.3);
    assert_eq!(
        client.state(),
        ConnectionState::SendingConnectionRequest,
        "dropped"
    );

    // The second: sequence 1, one sequence byte. Taken.
    let (mut request, from) = next_datagram(&clock, &mut client, &relay);
    let R::PacketToSend { payload, .. } = server.process_packet(from, &mut request) else {
        panic!("renetcode did not answer the request");
    };
    assert_eq!((payload[0], payload.len()), (0x12, 1 + 1 + 8 + 300 + 16));
    relay.send_to(payload, from).unwrap();
    let (mut response, from) = loop {
        let (datagram, from) = next_datagram(&clock, &mut client, &relay);
        if datagram[0] & 0x0F == 3 {
            break (datagram, from);
        }
    };
    assert_eq!(client.state(), ConnectionState::SendingConnectionResponse);

    // The keep-alive that admits the client: type 4, sequence 0, no sequence bytes. Dropped.
    let R::ClientConnected { payload, .. } = server.process_packet(from, &mut response) else {
        panic!("renetcode did not admit the client");
    };
    assert_eq!((payload[0], payload.len()), (0x04, 1 + 8 + 16));
    relay.send_to(payload, from).unwrap();
    idle(&clock, &mut client, &relay, 0.3);
    assert_eq!(
        client.state(),
        ConnectionState::SendingConnectionResponse,
        "dropped"
    );

    // The next keep-alive, a send interval later: sequence 1. Taken.
    server.update(Duration::from_millis(300));
    let R::PacketToSend { payload, .. } = server.update_client(9) else {
        panic!("renetcode sent no keep-alive");
    };
    assert_eq!((payload[0], payload.len()), (0x14, 1 + 1 + 8 + 16));
    relay.send_to(payload, from).unwrap();
    let connected = clock.run(1.0, |now| {
        client.update(now);
        client.state() == ConnectionState::Connected
    });
    assert!(connected, "our client is {}", client.state());
}

/// renetcode reads as many sequence bytes as the prefix byte's high nibble says, into an
/// 8-byte array: a nibble of 9 to 15 panics (a slice out of range), on one datagram from
/// anyone who can send to it. The standard allows 1 to 8; the C ignores such a packet.
#[test]
fn renetcode_panics_on_more_than_8_sequence_bytes() {
    let key = netcode::generate_key();
    let address: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    let token = renetcode::ConnectToken::generate(
        unix_now(),
        PROTOCOL_ID,
        30,
        1,
        TIMEOUT,
        vec![address],
        None,
        &key,
    )
    .unwrap();
    let authentication = renetcode::ClientAuthentication::Secure {
        connect_token: token,
    };
    let mut client = renetcode::NetcodeClient::new(Duration::ZERO, authentication).unwrap();
    // A payload packet (type 5) whose prefix claims 9 sequence bytes.
    let mut packet = [0u8; 64];
    packet[0] = 0x95;
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        client.process_packet(&mut packet).is_some()
    }));
    let message = panic_message(outcome.expect_err("renetcode did not panic"));
    assert!(
        message.contains("out of range for slice of length 8"),
        "{message}"
    );
}

/// netcode-rs receives into a 1200-byte buffer, so a datagram above 1200 bytes is cut short
/// and fails its MAC: a payload packet carries at most 1200 - 1 - 1 - 16 = 1182 bytes of
/// payload to it (with a one-byte sequence number). The standard's payloads go up to 1200
/// bytes (a 1218-byte datagram with one sequence byte; the reference takes datagrams of up to
/// 1300 bytes). Shown here between netcode-rs's own server and client.
#[test]
fn netcode_rs_drops_datagrams_above_1200_bytes() {
    let clock = Clock::start();
    let mut server = RsServer::new(Family::V4);
    let token = server.token(1);
    let mut client = RsClient::new(Family::V4, token.as_bytes(), clock.now());
    let connected = clock.drive(5.0, &mut client, &mut server, |client, server, _| {
        client.state() == Peer::Connected && server.connected().len() == 1
    });
    assert!(connected, "netcode-rs did not connect to itself");
    let slot = server.connected()[0];
    let lengths = [1182, 1183, 1200];
    for len in lengths {
        client.send(&pattern(len, 5));
        server.send(slot, &pattern(len, 6));
    }
    let (mut to_server, mut to_client) = (Vec::new(), Vec::new());
    clock.drive(1.0, &mut client, &mut server, |client, server, _| {
        to_server.extend(server.receive(slot));
        to_client.extend(client.receive());
        false
    });
    assert_eq!(to_server, [pattern(1182, 5)]);
    assert_eq!(to_client, [pattern(1182, 6)]);
    assert_eq!(client.state(), Peer::Connected);
}

/// netcode-rs reads sequence numbers the same way (`read_sequence`, into an 8-byte array), and
/// its client decodes a datagram before it checks where it came from: one datagram from any
/// address, with a prefix nibble of 9 to 15, panics its client's update.
#[test]
fn netcode_rs_panics_on_more_than_8_sequence_bytes() {
    let clock = Clock::start();
    let server = RsServer::new(Family::V4);
    let token = netcode_rs::ConnectToken::build(server.address(), PROTOCOL_ID, 1, [0; 32])
        .generate()
        .unwrap()
        .try_into_bytes()
        .unwrap();
    let mut client = RsClient::new(Family::V4, &token, clock.now());
    let port = client.client.addr().port();
    let mut packet = [0u8; 64];
    packet[0] = 0x95;
    let stranger = udp_socket(Family::V4.loopback());
    stranger.send_to(&packet, ("127.0.0.1", port)).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let outcome =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| client.update(clock.now())));
    let message = panic_message(outcome.expect_err("netcode-rs did not panic"));
    assert!(
        message.contains("out of range for slice of length 8"),
        "{message}"
    );
}

/// The message of a caught panic.
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload
            .downcast::<&str>()
            .map(|m| m.to_string())
            .unwrap_or_default(),
    }
}
