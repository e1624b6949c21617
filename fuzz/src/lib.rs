//! Shared by the fuzz targets: a server with one connected client over the simulator, and a
//! reader of the fuzzer's bytes.

use std::net::SocketAddr;

use netcode::{
    ConnectionState, NetcodeClient, NetcodeServer, NetworkSimulator, ServerConfig, Token,
};

pub const PROTOCOL_ID: u64 = 0x1122_3344_5566_7788;
/// The server's private key.
pub const KEY: [u8; 32] = [9; 32];

pub struct Pair {
    pub simulator: NetworkSimulator,
    pub server: NetcodeServer,
    pub client: NetcodeClient,
    pub token: Token,
    pub server_address: SocketAddr,
    pub client_address: SocketAddr,
    pub time: f64,
}

impl Pair {
    /// A server with 2 slots and one client connected to it.
    pub fn connected() -> Pair {
        let simulator = NetworkSimulator::new().unwrap();
        let server_address: SocketAddr = "[::1]:40000".parse().unwrap();
        let client_address: SocketAddr = "[::1]:50000".parse().unwrap();
        let config = ServerConfig::new(server_address, PROTOCOL_ID, KEY).max_clients(2);
        let server = NetcodeServer::with_simulator(&simulator, config).unwrap();
        let mut client = NetcodeClient::with_simulator(&simulator, client_address).unwrap();
        let token = server.generate_token(1, &[0; 256]).unwrap();
        client.connect(&token).unwrap();
        let mut pair = Pair {
            simulator,
            server,
            client,
            token,
            server_address,
            client_address,
            time: 0.0,
        };
        while pair.client.state() != ConnectionState::Connected {
            pair.step(0.1);
        }
        pair
    }

    pub fn step(&mut self, delta: f64) {
        self.simulator.update(self.time);
        self.client.update(self.time);
        self.server.update(self.time);
        self.time += delta;
    }

    /// A packet of `packet_type` with the given sequence and body, encrypted with `key` as the
    /// reference would (so it passes the MAC check), or None if the shim refuses it.
    pub fn encrypted(
        &self,
        packet_type: u8,
        sequence: u64,
        body: &[u8],
        key: &[u8; 32],
    ) -> Option<Vec<u8>> {
        let mut packet = netcode_sys::netcode_sys_packet {
            type_: i32::from(packet_type % 7),
            ..Default::default()
        };
        let n = body.len().min(1200);
        packet.payload_bytes = n as i32;
        packet.payload_data[..n].copy_from_slice(&body[..n]);
        let m = body.len().min(300);
        packet.challenge_token_data[..m].copy_from_slice(&body[..m]);
        let k = body.len().min(1024);
        packet.connect_token_data[..k].copy_from_slice(&body[..k]);
        packet.challenge_token_sequence = sequence;
        packet.client_index = body.first().copied().unwrap_or(0) as i32;
        packet.max_clients = body.get(1).copied().unwrap_or(0) as i32;
        packet.connect_token_expire_timestamp = self.token.expire_timestamp();
        packet.connect_token_sequence = self.token.sequence();
        let mut buffer = [0u8; 1220];
        // SAFETY: a valid packet, a 32-byte key and a 1220-byte buffer; the shim checks sizes.
        let length = unsafe {
            netcode_sys::netcode_sys_write_packet(
                &packet,
                sequence,
                key.as_ptr(),
                PROTOCOL_ID,
                buffer.as_mut_ptr(),
            )
        };
        (length > 0).then(|| buffer[..length as usize].to_vec())
    }
}

/// Reads the fuzzer's bytes front to back; runs dry with zeros.
pub struct Input<'a>(pub &'a [u8]);

impl<'a> Input<'a> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn byte(&mut self) -> u8 {
        let (first, rest) = self.0.split_first().map_or((0, &[][..]), |(f, r)| (*f, r));
        self.0 = rest;
        first
    }
    pub fn u64(&mut self) -> u64 {
        (0..8).fold(0, |v, i| v | u64::from(self.byte()) << (8 * i))
    }
    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (taken, rest) = self.0.split_at(n);
        self.0 = rest;
        taken
    }
}

/// Which side the datagram targets feed.
#[derive(Clone, Copy)]
pub enum Side {
    Server,
    Client,
}

/// The datagram targets: the input is a list of records, each raw bytes from the peer's
/// address, raw bytes from a stranger, a packet of any type and sequence encrypted with the
/// peer's real key (so the C's logic behind the MAC check is reached), or a tick.
pub fn datagrams(side: Side, data: &[u8]) {
    let mut pair = Pair::connected();
    let keys = pair.token.decode(&KEY).expect("the pair's own token");
    let (from, to, key) = match side {
        Side::Server => (
            pair.client_address,
            pair.server_address,
            keys.client_to_server_key,
        ),
        Side::Client => (
            pair.server_address,
            pair.client_address,
            keys.server_to_client_key,
        ),
    };
    let stranger = "[::1]:50001".parse().unwrap();
    let mut input = Input(data);
    while !input.is_empty() {
        match input.byte() % 4 {
            0 => {
                let n = usize::from(input.byte()) * 5;
                let datagram = input.bytes(n).to_vec();
                pair.simulator.send_raw(from, to, &datagram);
            }
            1 => {
                let n = usize::from(input.byte()) * 5;
                let datagram = input.bytes(n).to_vec();
                pair.simulator.send_raw(stranger, to, &datagram);
            }
            2 => {
                let (packet_type, sequence) = (input.byte(), input.u64());
                let n = usize::from(input.byte()) * 5;
                let body = input.bytes(n).to_vec();
                if let Some(packet) = pair.encrypted(packet_type, sequence, &body, &key) {
                    pair.simulator.send_raw(from, to, &packet);
                }
            }
            _ => pair.step(f64::from(input.byte()) / 50.0),
        }
    }
    pair.step(0.1);
    assert!(pair.server.num_connected_clients() <= 2);
    for index in 0..2 {
        let Some(client) = pair.server.client(index) else {
            continue;
        };
        while let Some(payload) = pair.server.receive(client.session) {
            assert!(!payload.is_empty() && payload.len() <= 1200);
        }
    }
    while let Some(payload) = pair.client.receive() {
        assert!(!payload.is_empty() && payload.len() <= 1200);
    }
}
