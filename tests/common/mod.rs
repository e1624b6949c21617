//! A small harness: one server and some clients driven on a virtual clock, over real UDP on
//! loopback or over the reference's network simulator.
#![allow(dead_code)]

use std::net::SocketAddr;

use netcode::server::Event;
use netcode::{
    ClientInfo, ConnectionState, DisconnectReason, NetcodeClient, NetcodeServer, NetworkSimulator,
    ServerAddresses, ServerConfig, Token, TokenGenerator, TokenSettings,
};

pub const PROTOCOL_ID: u64 = 0x1122_3344_5566_7788;
/// One tick of the virtual clock (the reference sends at 10 Hz; this is faster).
pub const TICK: f64 = 0.05;

pub fn addr(text: &str) -> SocketAddr {
    text.parse().expect("test addresses parse")
}

/// A payload whose bytes depend on `seed`: byte i is `(i + seed) & 0xFF`.
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_add(seed)).collect()
}

/// Connects and disconnects the server reported, in order.
#[derive(Default)]
pub struct Seen {
    pub connected: Vec<(ClientInfo, Vec<u8>)>,
    pub disconnected: Vec<(ClientInfo, DisconnectReason)>,
    pub events: Vec<Event>,
}

pub struct Session {
    pub server: NetcodeServer,
    pub clients: Vec<NetcodeClient>,
    pub simulator: Option<NetworkSimulator>,
    pub time: f64,
    pub key: [u8; 32],
    pub seen: Seen,
    /// Whether step() updates the server (false: the server has gone silent).
    pub server_alive: bool,
    next_client_port: u16,
}

impl Session {
    /// A server on real UDP at `host` (port chosen by the system).
    pub fn udp(host: &str, max_clients: usize) -> Session {
        Self::udp_with(host, max_clients, |config| config)
    }

    /// A server on real UDP at `host`, its configuration changed by `configure`.
    pub fn udp_with(
        host: &str,
        max_clients: usize,
        configure: impl FnOnce(ServerConfig) -> ServerConfig,
    ) -> Session {
        let key = netcode::generate_key();
        let config = ServerConfig::new(addr(&format!("{host}:0")), PROTOCOL_ID, key)
            .max_clients(max_clients);
        let server = NetcodeServer::new(configure(config)).expect("server binds");
        Self::with_server(server, None, key)
    }

    /// A server over a simulator with these conditions.
    pub fn simulated(
        max_clients: usize,
        latency_ms: f32,
        jitter_ms: f32,
        loss: f32,
        duplicates: f32,
    ) -> Session {
        let simulator = NetworkSimulator::new().expect("simulator");
        simulator
            .configure(latency_ms, jitter_ms, loss, duplicates)
            .expect("valid settings");
        let key = netcode::generate_key();
        let config =
            ServerConfig::new(addr("[::1]:40000"), PROTOCOL_ID, key).max_clients(max_clients);
        let server = NetcodeServer::with_simulator(&simulator, config).expect("server");
        Self::with_server(server, Some(simulator), key)
    }

    fn with_server(
        server: NetcodeServer,
        simulator: Option<NetworkSimulator>,
        key: [u8; 32],
    ) -> Session {
        Session {
            server,
            clients: Vec::new(),
            simulator,
            time: 0.0,
            key,
            seen: Seen::default(),
            server_alive: true,
            next_client_port: 50000,
        }
    }

    /// A token for this session's server.
    pub fn token(&mut self, client_id: u64, user_data: Option<&[u8; 256]>) -> Token {
        self.server
            .generate_token(client_id, user_data.unwrap_or(&[0; 256]))
            .expect("token")
    }

    /// A new client (not yet connected), bound to the server's address family.
    pub fn new_client(&mut self) -> usize {
        let client = match &self.simulator {
            Some(simulator) => {
                self.next_client_port += 1;
                NetcodeClient::with_simulator(
                    simulator,
                    addr(&format!("[::1]:{}", self.next_client_port)),
                )
            }
            None => {
                let bind = if self.server.local_address().is_ipv4() {
                    "0.0.0.0:0"
                } else {
                    "[::]:0"
                };
                NetcodeClient::new(addr(bind))
            }
        };
        self.clients.push(client.expect("client"));
        self.clients.len() - 1
    }

    /// A new client connecting with a token made here: for `hosts`, with `key` and `protocol_id`
    /// (which may differ from the server's).
    pub fn connect_with(&mut self, hosts: &[SocketAddr], key: [u8; 32], protocol_id: u64) -> usize {
        let servers = ServerAddresses::new(hosts.iter().copied()).expect("1 to 32 hosts");
        let token = TokenGenerator::new(TokenSettings::new(protocol_id, servers), &key)
            .and_then(|generator| generator.generate(1, &[0; 256]))
            .expect("token");
        let index = self.new_client();
        self.clients[index].connect(&token).expect("connect");
        index
    }

    /// An address where no server of this session answers: the server's port + 1 (over UDP
    /// another test's server may be there, but it has another key and ignores the token).
    pub fn nobody(&self) -> SocketAddr {
        let mut address = self.server.public_address();
        address.set_port(address.port().wrapping_add(1).max(1));
        address
    }

    /// A new client connecting with a fresh token for `client_id`.
    pub fn connect_client(&mut self, client_id: u64, user_data: Option<&[u8; 256]>) -> usize {
        let token = self.token(client_id, user_data);
        let index = self.new_client();
        self.clients[index].connect(&token).expect("connect");
        index
    }

    pub fn step(&mut self) {
        if let Some(simulator) = &self.simulator {
            simulator.update(self.time);
        }
        for client in &mut self.clients {
            client.update(self.time);
        }
        if self.server_alive {
            self.server.update(self.time);
            self.read_events();
        }
        self.time += TICK;
    }

    /// Moves the server's events into `seen`.
    pub fn read_events(&mut self) {
        while let Some(event) = self.server.next_event() {
            match &event {
                Event::Connected { client, user_data } => {
                    self.seen.connected.push((*client, user_data.to_vec()))
                }
                Event::Disconnected { client, reason } => {
                    self.seen.disconnected.push((*client, *reason))
                }
            }
            self.seen.events.push(event);
        }
    }

    /// The server's view of client `index` (which must be connected).
    pub fn info(&self, index: usize) -> ClientInfo {
        let slot = self.clients[index].client_index();
        self.server
            .client(slot)
            .expect("the client is connected to the server")
    }

    /// Steps until `done` holds (checked after each step) or `seconds` of virtual time pass.
    pub fn run_until(&mut self, seconds: f64, mut done: impl FnMut(&mut Session) -> bool) -> bool {
        let end = self.time + seconds;
        while self.time < end {
            self.step();
            if done(self) {
                return true;
            }
        }
        false
    }

    pub fn all_connected(&self) -> bool {
        self.clients
            .iter()
            .all(|c| c.state() == ConnectionState::Connected)
    }

    /// Runs until every client is connected (panics with their states if not within 10 s).
    pub fn connect_all(&mut self) {
        let ok = self.run_until(10.0, |s| s.all_connected());
        let states: Vec<_> = self.clients.iter().map(|c| c.state()).collect();
        assert!(ok, "not every client connected: {states:?}");
    }

    /// Runs until client `index` is in an error or disconnected state; returns it.
    pub fn run_until_stopped(&mut self, index: usize, seconds: f64) -> ConnectionState {
        self.run_until(seconds, |s| {
            let state = s.clients[index].state();
            state.is_error() || state == ConnectionState::Disconnected
        });
        self.clients[index].state()
    }

    /// Drains every payload the server holds, as (slot, bytes).
    pub fn server_received(&mut self) -> Vec<(usize, Vec<u8>)> {
        let mut out = Vec::new();
        for index in 0..self.server.max_clients() {
            let Some(client) = self.server.client(index) else {
                continue;
            };
            while let Some(payload) = self.server.receive(client.session) {
                out.push((index, payload.to_vec()));
            }
        }
        out
    }

    /// Drains every payload client `index` holds.
    pub fn client_received(&mut self, index: usize) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(payload) = self.clients[index].receive() {
            out.push(payload.to_vec());
        }
        out
    }
}
