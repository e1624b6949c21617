//! Connection requests, responses and other packets built by hand (a client of this crate would
//! refuse to send most of them), sent from real UDP sockets on loopback to a real server of
//! either API: `Rig`. Shared by tests/admission.rs, tests/history.rs, tests/wipe.rs, and (for
//! `connection_request`) tests/hostile_1_02.rs and tests/security.rs.
#![allow(dead_code)]

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use netcode::netcode_sys as raw;
use netcode::{IgnoredRequests, NetcodeServer, ServerConfig, UdpServer};

pub const PROTOCOL_ID: u64 = 0x1122_3344_5566_7788;
pub const VERSION: &[u8; 13] = b"NETCODE 1.00\0";
/// The size of a NETCODE 1.00 connection request.
pub const REQUEST_BYTES: usize = 1 + 13 + 8 + 8 + 8 + 1024;

/// Asserts that `field` went up by exactly `times` between two snapshots of a server's
/// counters, and that nothing else did.
#[macro_export]
macro_rules! assert_counted {
    ($before:expr, $after:expr, $field:ident, $times:expr) => {{
        let (before, after): (::netcode::IgnoredRequests, ::netcode::IgnoredRequests) =
            ($before, $after);
        let counted = after.$field - before.$field;
        assert_eq!(
            counted,
            $times,
            "the server counted {counted} packets as {}, not {}: {after:?}",
            stringify!($field),
            $times
        );
        assert_eq!(
            after.total() - before.total(),
            $times,
            "the server counted other reasons than {}: {before:?} then {after:?}",
            stringify!($field)
        );
    }};
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub fn socket() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0").unwrap()
}

pub fn c_address(address: SocketAddr) -> raw::netcode_sys_address {
    let IpAddr::V4(ip) = address.ip() else {
        panic!("these tests use IPv4 loopback")
    };
    raw::netcode_sys_address {
        type_: raw::NETCODE_SYS_ADDRESS_IPV4 as u8,
        ipv4: ip.octets(),
        ipv6: [0; 8],
        port: address.port(),
    }
}

/// A 1.00 sequence as the shim's nonce: its little-endian bytes, then zeros.
pub fn sequence_nonce(sequence: u64) -> [u8; 24] {
    let mut nonce = [0; 24];
    nonce[..8].copy_from_slice(&sequence.to_le_bytes());
    nonce
}

/// A connect token's private part and what a request carries beside it, made by hand.
pub struct Token {
    pub protocol_id: u64,
    pub expire: u64,
    pub sequence: u64,
    pub data: [u8; 1024],
    pub client_to_server_key: [u8; 32],
    pub server_to_client_key: [u8; 32],
}

impl Token {
    /// A token for `client_id` listing `hosts`, encrypted with `key`.
    pub fn new(
        key: &[u8; 32],
        client_id: u64,
        hosts: &[SocketAddr],
        protocol_id: u64,
        expire: u64,
    ) -> Token {
        let mut private = raw::netcode_sys_connect_token_private {
            client_id,
            num_server_addresses: hosts.len() as i32,
            client_to_server_key: netcode::generate_key(),
            server_to_client_key: netcode::generate_key(),
            ..Default::default()
        };
        for (slot, host) in private.server_addresses.iter_mut().zip(hosts) {
            *slot = c_address(*host);
        }
        let sequence = u64::from_le_bytes(netcode::generate_key()[..8].try_into().unwrap());
        let mut token = raw::netcode_sys_connect_token {
            protocol_id,
            expire_timestamp: expire,
            nonce: sequence_nonce(sequence),
            ..Default::default()
        };
        // SAFETY: valid structs and a 32-byte key; the shim checks the address count and types.
        let encrypted = unsafe {
            raw::netcode_sys_encrypt_connect_token_private(&private, key.as_ptr(), &mut token)
        };
        assert_eq!(encrypted, 1);
        Token {
            protocol_id,
            expire,
            sequence,
            data: token.private_data,
            client_to_server_key: private.client_to_server_key,
            server_to_client_key: private.server_to_client_key,
        }
    }

    /// The connection request, as STANDARD.md lays it out, with `version` for its version info.
    pub fn request_with_version(&self, version: &[u8; 13]) -> Vec<u8> {
        let mut request = vec![0u8];
        request.extend_from_slice(version);
        request.extend_from_slice(&self.protocol_id.to_le_bytes());
        request.extend_from_slice(&self.expire.to_le_bytes());
        request.extend_from_slice(&self.sequence.to_le_bytes());
        request.extend_from_slice(&self.data);
        assert_eq!(request.len(), REQUEST_BYTES);
        request
    }

    pub fn request(&self) -> Vec<u8> {
        self.request_with_version(VERSION)
    }

    /// Reads a packet from the server with this token's server-to-client key.
    pub fn read(&self, datagram: &[u8]) -> Option<raw::netcode_sys_packet> {
        let mut packet = raw::netcode_sys_packet::default();
        let mut sequence = 0;
        // SAFETY: the datagram is valid for its length (the shim refuses lengths beyond 1220
        // and copies it), the key has 32 bytes, the outputs are valid.
        let read = unsafe {
            raw::netcode_sys_read_packet(
                raw::NETCODE_SYS_WIRE_100,
                datagram.as_ptr(),
                datagram.len() as i32,
                self.server_to_client_key.as_ptr(),
                self.protocol_id,
                std::ptr::null(),
                &mut packet,
                &mut sequence,
            )
        };
        (read == 1).then_some(packet)
    }
}

/// The connection request a client sends for `token` (this crate's token, of either version),
/// written by hand as STANDARD.md lays it out: the prefix byte 0, `version`'s version info,
/// `protocol_id`, the token's expiry and nonce, then the token's 1024-byte private part.
/// `version` sets the layout: on 1.00 the nonce is its 8-byte sequence (1062 bytes in all), on
/// 1.02 all 24 bytes (1078). For the request the token's own client would send, pass
/// `token.version()` and `token.protocol_id()`; a test that names the version and protocol id
/// it expects passes those instead, so that a token of another version or protocol id makes an
/// invalid request.
pub fn connection_request(
    token: &netcode::Token,
    version: netcode::Version,
    protocol_id: u64,
) -> Vec<u8> {
    let nonce = match version {
        netcode::Version::V1_00 => &token.nonce()[..8],
        netcode::Version::V1_02 => &token.nonce()[..],
    };
    // The private part follows the version info, three 64-bit fields and the nonce.
    let private = 13 + 3 * 8 + nonce.len();
    let mut request = vec![0u8];
    request.extend_from_slice(version.version_info());
    request.extend_from_slice(&protocol_id.to_le_bytes());
    request.extend_from_slice(&token.expire_timestamp().to_le_bytes());
    request.extend_from_slice(nonce);
    request.extend_from_slice(&token.as_bytes()[private..private + 1024]);
    request
}

/// Writes `packet` as a client does, with sequence number `sequence` and `key`.
pub fn write(packet: &raw::netcode_sys_packet, sequence: u64, key: &[u8; 32]) -> Vec<u8> {
    let mut buffer = [0u8; raw::NETCODE_SYS_MAX_PACKET_BYTES as usize];
    // SAFETY: a valid packet, a 32-byte key and a buffer of NETCODE_SYS_MAX_PACKET_BYTES.
    let bytes = unsafe {
        raw::netcode_sys_write_packet(
            raw::NETCODE_SYS_WIRE_100,
            packet,
            sequence,
            key.as_ptr(),
            PROTOCOL_ID,
            buffer.as_mut_ptr(),
        )
    };
    assert!(bytes > 0, "the packet was not written");
    buffer[..bytes as usize].to_vec()
}

pub fn packet_of_type(kind: i32) -> raw::netcode_sys_packet {
    raw::netcode_sys_packet {
        type_: kind,
        ..Default::default()
    }
}

/// A real server on 127.0.0.1 and its clock.
pub struct Rig {
    pub server: Server,
    pub address: SocketAddr,
    pub key: [u8; 32],
    pub time: f64,
}

/// A server of either API; the 0.3.1 one keeps its events until they are read.
pub enum Server {
    Idiomatic(NetcodeServer),
    Compat(UdpServer),
}

impl Rig {
    pub fn new(max_clients: usize) -> Rig {
        Self::with_config(max_clients, |config| config)
    }

    /// A server whose configuration `configure` changes.
    pub fn with_config(
        max_clients: usize,
        configure: impl FnOnce(ServerConfig) -> ServerConfig,
    ) -> Rig {
        let key = netcode::generate_key();
        // The requests and packets here are made by hand in the 1.00 layout.
        let config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), PROTOCOL_ID, key)
            .max_clients(max_clients)
            .version(netcode::Version::V1_00);
        let server = NetcodeServer::new(configure(config)).unwrap();
        Rig {
            address: server.public_address(),
            server: Server::Idiomatic(server),
            key,
            time: 0.0,
        }
    }

    pub fn compat(max_clients: usize) -> Rig {
        let key = netcode::generate_key();
        let server = UdpServer::new("127.0.0.1:0", max_clients, PROTOCOL_ID, &key).unwrap();
        Rig {
            address: server.get_local_addr().unwrap(),
            server: Server::Compat(server),
            key,
            time: 0.0,
        }
    }

    pub fn server(&mut self) -> &mut NetcodeServer {
        match &mut self.server {
            Server::Idiomatic(server) => server,
            Server::Compat(server) => server.inner(),
        }
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// A valid token of this server's for `client_id`.
    pub fn token(&self, client_id: u64) -> Token {
        Token::new(
            &self.key,
            client_id,
            &[self.address()],
            PROTOCOL_ID,
            now() + 30,
        )
    }

    pub fn counts(&mut self) -> IgnoredRequests {
        self.server().ignored_requests()
    }

    /// Sends `datagram` from `socket` and returns every datagram that came back to it while the
    /// server ran a few updates.
    pub fn exchange(&mut self, socket: &UdpSocket, datagram: &[u8]) -> Vec<Vec<u8>> {
        socket.send_to(datagram, self.address()).unwrap();
        let mut answers = Vec::new();
        for _ in 0..5 {
            self.time += 0.01;
            let time = self.time;
            self.server().update(time);
            socket
                .set_read_timeout(Some(Duration::from_millis(20)))
                .unwrap();
            let mut buffer = [0u8; 2048];
            while let Ok(bytes) = socket.recv(&mut buffer) {
                answers.push(buffer[..bytes].to_vec());
            }
        }
        answers
    }

    /// Sends `datagram` from `socket` and requires that nothing comes back.
    pub fn ignored(&mut self, socket: &UdpSocket, datagram: &[u8]) {
        let answers = self.exchange(socket, datagram);
        assert!(
            answers.is_empty(),
            "the server answered {} datagrams of {:?} bytes",
            answers.len(),
            answers.iter().map(Vec::len).collect::<Vec<_>>()
        );
    }

    /// Sends `token`'s request from `socket` and returns the challenge the server answers with.
    pub fn challenge(&mut self, socket: &UdpSocket, token: &Token) -> raw::netcode_sys_packet {
        let answers = self.exchange(socket, &token.request());
        assert_eq!(answers.len(), 1, "no single answer to a valid request");
        let challenge = token.read(&answers[0]).expect("the answer decrypts");
        assert_eq!(
            challenge.type_,
            raw::NETCODE_SYS_CONNECTION_CHALLENGE_PACKET
        );
        challenge
    }

    /// The connection response to `challenge`, as the client would send it.
    pub fn response(challenge: &raw::netcode_sys_packet, token: &Token, sequence: u64) -> Vec<u8> {
        let mut response = *challenge;
        response.type_ = raw::NETCODE_SYS_CONNECTION_RESPONSE_PACKET;
        write(&response, sequence, &token.client_to_server_key)
    }

    /// A session by hand from `socket` that ends with the client's disconnect packet.
    pub fn connect_and_leave(&mut self, socket: &UdpSocket, token: &Token) {
        self.connect(socket, token);
        let disconnect = packet_of_type(raw::NETCODE_SYS_CONNECTION_DISCONNECT_PACKET);
        self.exchange(socket, &write(&disconnect, 1, &token.client_to_server_key));
        assert_eq!(
            self.server().num_connected_clients(),
            0,
            "the client did not leave"
        );
    }

    /// Completes a handshake by hand from `socket`: request, challenge, response, keep-alive.
    pub fn connect(&mut self, socket: &UdpSocket, token: &Token) -> raw::netcode_sys_packet {
        let challenge = self.challenge(socket, token);
        let answers = self.exchange(socket, &Self::response(&challenge, token, 0));
        assert!(!answers.is_empty(), "no keep-alive after the response");
        let welcome = token.read(&answers[0]).expect("the answer decrypts");
        assert_eq!(welcome.type_, raw::NETCODE_SYS_CONNECTION_KEEP_ALIVE_PACKET);
        challenge
    }
}

/// Every datagram is a keep-alive under `token`'s key (what a connected client gets).
pub fn only_keep_alives(token: &Token, answers: &[Vec<u8>]) -> bool {
    answers.iter().all(|datagram| {
        token.read(datagram).map(|packet| packet.type_)
            == Some(raw::NETCODE_SYS_CONNECTION_KEEP_ALIVE_PACKET)
    })
}
