//! A running server is flooded over loopback with hostile datagrams that reach every stage of
//! its receive path: empty, random, truncated and oversized datagrams; connection requests of
//! the right length (1062 bytes in NETCODE 1.00) whose private part is garbage (they fail to
//! decrypt); real tokens for another protocol id, expired real tokens and real tokens for
//! another server; a real client's captured packets, its connection request and response
//! among them, replayed from other addresses; and then valid requests from 2,500 source
//! addresses at once, which take every one of the server's 1024 encryption mappings.
//! Afterwards the server is alive, no hostile sender got a slot, its heap did not grow by a
//! single byte, its counts of dropped requests (`ignored_requests`) show every stage reached,
//! and (once the mappings have expired) an honest client connects and exchanges
//! payloads. Bounded: a fixed number of datagrams and sockets, then it stops.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use netcode::{ConnectToken, ConnectionState, NetcodeClient, NetcodeServer, ServerConfig};

const PROTOCOL_ID: u64 = 0x1122_3344_5566_7788;
const ATTACKERS: usize = 64;
const DATAGRAMS: usize = 40_000;
/// Source addresses of valid connection requests at once: more than the server's encryption
/// mappings (NETCODE_MAX_ENCRYPTION_MAPPINGS, 4 per slot of the most clients).
const MAPPING_ATTACKERS: usize = 2_500;
const ENCRYPTION_MAPPINGS: usize = 4 * netcode::NETCODE_MAX_CLIENTS;
/// A NETCODE 1.00 connection request: prefix, version info, protocol id, expiry, token
/// sequence, private part. (NETCODE 1.02's, with a 24-byte nonce, is 1078.)
const REQUEST_BYTES: usize = 1 + 13 + 8 + 8 + 8 + netcode::NETCODE_CONNECT_TOKEN_PRIVATE_BYTES;
/// A challenge: prefix, 8 sequence bytes, challenge token sequence and token, MAC.
const CHALLENGE_BYTES: usize = 1 + 8 + 8 + 300 + 16;
/// A protocol id that is not the server's.
const OTHER_PROTOCOL_ID: u64 = 0x0BAD_0BAD_0BAD_0BAD;

/// A relay in front of the server: clients talk to it, it forwards to the server and back, and
/// records what clients send while `recording` is set.
struct Relay {
    address: SocketAddr,
    captured: Arc<Mutex<Vec<Vec<u8>>>>,
    recording: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Relay {
    fn start(server: SocketAddr) -> Relay {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(5)))
            .unwrap();
        let address = socket.local_addr().unwrap();
        let captured = Arc::new(Mutex::new(Vec::new()));
        let recording = Arc::new(AtomicBool::new(true));
        let stop = Arc::new(AtomicBool::new(false));
        let (log, record, done) = (
            Arc::clone(&captured),
            Arc::clone(&recording),
            Arc::clone(&stop),
        );
        let thread = thread::spawn(move || {
            let mut buffer = [0u8; 2048];
            let mut client = None;
            while !done.load(Ordering::Relaxed) {
                let Ok((n, from)) = socket.recv_from(&mut buffer) else {
                    continue;
                };
                if from == server {
                    if let Some(client) = client {
                        let _ = socket.send_to(&buffer[..n], client);
                    }
                } else {
                    client = Some(from);
                    if record.load(Ordering::Relaxed) {
                        log.lock().unwrap().push(buffer[..n].to_vec());
                    }
                    let _ = socket.send_to(&buffer[..n], server);
                }
            }
        });
        Relay {
            address,
            captured,
            recording,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Bytes the C heap has in use (glibc's allocator: the C's mallocs and ours).
fn heap_in_use() -> usize {
    // SAFETY: mallinfo2 only reads the allocator's statistics.
    unsafe { libc::mallinfo2() }.uordblks
}

/// A tiny deterministic generator (xorshift), so a failure can be replayed.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn fill(&mut self, bytes: &mut [u8]) {
        bytes.iter_mut().for_each(|b| *b = self.next() as u8);
    }
}

/// Connects a client through the relay, exchanges `payloads` each way, and returns it.
fn honest_session(
    server: &mut NetcodeServer,
    relay: SocketAddr,
    client_id: u64,
    clock: &Instant,
) -> NetcodeClient {
    let token = server.generate_token(client_id, &[0; 256]).unwrap();
    assert_eq!(token.servers().as_slice(), &[relay]);
    let mut client = NetcodeClient::new("0.0.0.0:0".parse().unwrap()).unwrap();
    client.connect(&token).unwrap();
    let (mut at_server, mut at_client) = (0, 0);
    let deadline = clock.elapsed() + Duration::from_secs(5);
    while (at_server < 10 || at_client < 10) && clock.elapsed() < deadline {
        let time = clock.elapsed().as_secs_f64();
        client.update(time);
        server.update(time);
        if client.state() == ConnectionState::Connected {
            client.send(b"honest payload").unwrap();
            if let Some(honest) = server.client(client.client_index()) {
                let _ = server.send(honest.session, b"honest reply");
            }
        }
        for index in 0..server.max_clients() {
            let Some(honest) = server.client(index) else {
                continue;
            };
            while let Some(payload) = server.receive(honest.session) {
                assert_eq!(&payload[..], b"honest payload");
                at_server += 1;
            }
        }
        while let Some(payload) = client.receive() {
            assert_eq!(&payload[..], b"honest reply");
            at_client += 1;
        }
        thread::sleep(Duration::from_millis(2));
    }
    assert!(
        at_server >= 10 && at_client >= 10,
        "honest client {client_id}: {at_server} up, {at_client} down, {}",
        client.state()
    );
    client
}

/// The connection request a client sends for `token`, with `protocol_id` in its header.
fn request(token: &ConnectToken, protocol_id: u64) -> Vec<u8> {
    let mut request = vec![0u8];
    request.extend_from_slice(b"NETCODE 1.00\0");
    request.extend_from_slice(&protocol_id.to_le_bytes());
    request.extend_from_slice(&token.expire_utc.to_le_bytes());
    request.extend_from_slice(&token.sequence.to_le_bytes());
    request.extend_from_slice(&token.private_data);
    assert_eq!(request.len(), REQUEST_BYTES);
    request
}

/// Updates the server for `seconds` of real time (its clock is the real one).
fn keep_updating(server: &mut NetcodeServer, clock: &Instant, seconds: f64) {
    let end = clock.elapsed().as_secs_f64() + seconds;
    while clock.elapsed().as_secs_f64() < end {
        server.update(clock.elapsed().as_secs_f64());
        thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn flood_then_an_honest_client() {
    let clock = Instant::now();
    // The server's public address is the relay's: that is where tokens send clients.
    let key = netcode::generate_key();
    // NETCODE 1.00: the flood's requests are made in its layout.
    let config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), PROTOCOL_ID, key)
        .max_clients(8)
        .version(netcode::Version::V1_00);
    let probe = NetcodeServer::new(config.clone()).unwrap();
    let server_address = probe.local_address();
    drop(probe);
    let config = ServerConfig::new(server_address, PROTOCOL_ID, key)
        .max_clients(8)
        .version(netcode::Version::V1_00);
    let relay = Relay::start(server_address);
    let mut server = NetcodeServer::new(config.public_address(relay.address)).unwrap();

    // 1. A real client, whose packets the relay captures, then leaves.
    let mut first = honest_session(&mut server, relay.address, 1, &clock);
    first.disconnect();
    relay.recording.store(false, Ordering::Relaxed);
    let captured = relay.captured.lock().unwrap().clone();
    assert!(captured.len() >= 10, "captured {} packets", captured.len());
    keep_updating(&mut server, &clock, 0.05);
    assert_eq!(server.num_connected_clients(), 0);
    // Its connection request and its challenge response, as they went over the wire.
    let captured_request = captured.iter().find(|p| p[0] == 0).unwrap().clone();
    assert_eq!(captured_request.len(), REQUEST_BYTES);
    let captured_response = captured.iter().find(|p| p[0] & 0x0F == 3).unwrap().clone();
    // Its encrypted packets (all but the request).
    let encrypted: Vec<&Vec<u8>> = captured.iter().filter(|p| p[0] != 0).collect();

    // Real tokens, each refused at its own stage of the request path.
    let relay_only = || [relay.address].into_iter();
    let token = |hosts: &[SocketAddr], expire: usize, protocol: u64, id: u64| {
        ConnectToken::generate(hosts.iter().copied(), &key, expire, id, protocol, id, None).unwrap()
    };
    let mut refused_tokens = Vec::new();
    for id in 100..116 {
        // For another protocol id: refused on the header's protocol id, or, with the server's
        // protocol id in the header, on decryption (the protocol id is associated data).
        let other_protocol = token(&[relay.address], 30, OTHER_PROTOCOL_ID, id);
        refused_tokens.push(request(&other_protocol, OTHER_PROTOCOL_ID));
        refused_tokens.push(request(&other_protocol, PROTOCOL_ID));
        // Valid for 0 seconds: expired when the server reads it.
        refused_tokens.push(request(
            &token(&[relay.address], 0, PROTOCOL_ID, id),
            PROTOCOL_ID,
        ));
        // For another server: decrypts, but the server is not in its list.
        let elsewhere: SocketAddr = "127.0.0.1:9".parse().unwrap();
        refused_tokens.push(request(
            &token(&[elsewhere], 30, PROTOCOL_ID, id),
            PROTOCOL_ID,
        ));
    }
    // Valid tokens, one per source address of the mapping stage.
    let valid: Vec<Vec<u8>> = (0..MAPPING_ATTACKERS as u64)
        .map(|i| {
            let valid =
                ConnectToken::generate(relay_only(), &key, 30, i, PROTOCOL_ID, 10_000 + i, None);
            request(&valid.unwrap(), PROTOCOL_ID)
        })
        .collect();
    let mapping_attackers: Vec<UdpSocket> = (0..MAPPING_ATTACKERS)
        .map(|_| {
            let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
            socket.set_nonblocking(true).unwrap();
            socket
        })
        .collect();

    // 2. The flood, from many ports, with the server updating as it goes.
    let attackers: Vec<UdpSocket> = (0..ATTACKERS)
        .map(|_| UdpSocket::bind("127.0.0.1:0").unwrap())
        .collect();
    let mut random = Random(0x9E37_79B9_7F4A_7C15);
    let mut datagram = vec![0u8; 2048];
    let expire = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 60;
    let heap_before = heap_in_use();
    for n in 0..DATAGRAMS {
        let len = match n % 12 {
            // Random bytes, any length up to beyond the largest packet.
            0 => {
                let len = 1 + random.below(1500);
                random.fill(&mut datagram[..len]);
                len
            }
            // A captured packet, truncated.
            1 => {
                let packet = &captured[random.below(captured.len())];
                let len = 1 + random.below(packet.len());
                datagram[..len].copy_from_slice(&packet[..len]);
                len
            }
            // A captured packet with junk appended (oversized).
            2 => {
                let packet = &captured[random.below(captured.len())];
                let extra = 1 + random.below(600);
                datagram[..packet.len()].copy_from_slice(packet);
                random.fill(&mut datagram[packet.len()..packet.len() + extra]);
                packet.len() + extra
            }
            // A forged connection request: right length, version, protocol id and expiry, so
            // that it reaches decryption, which fails.
            3 => {
                datagram[0] = 0;
                datagram[1..14].copy_from_slice(b"NETCODE 1.00\0");
                datagram[14..22].copy_from_slice(&PROTOCOL_ID.to_le_bytes());
                datagram[22..30].copy_from_slice(&expire.to_le_bytes());
                random.fill(&mut datagram[30..REQUEST_BYTES]);
                REQUEST_BYTES
            }
            // The captured request a byte short, a byte long, or of another version.
            4 => {
                datagram[..REQUEST_BYTES].copy_from_slice(&captured_request);
                datagram[REQUEST_BYTES] = 0;
                match random.below(3) {
                    0 => REQUEST_BYTES - 1,
                    1 => REQUEST_BYTES + 1,
                    _ => {
                        datagram[1..14].copy_from_slice(b"NETCODE 1.02\0");
                        REQUEST_BYTES
                    }
                }
            }
            // A real token the server refuses (see above).
            5 | 6 => {
                let refused = &refused_tokens[random.below(refused_tokens.len())];
                datagram[..refused.len()].copy_from_slice(refused);
                refused.len()
            }
            // The real client's request from another address: its token is bound to the
            // address that used it first.
            7 => {
                datagram[..REQUEST_BYTES].copy_from_slice(&captured_request);
                REQUEST_BYTES
            }
            // Its challenge response from another address: no encryption mapping there.
            8 => {
                datagram[..captured_response.len()].copy_from_slice(&captured_response);
                captured_response.len()
            }
            // A captured packet, replayed as it was.
            _ => {
                let packet = &captured[random.below(captured.len())];
                datagram[..packet.len()].copy_from_slice(packet);
                packet.len()
            }
        };
        let _ = attackers[n % ATTACKERS].send_to(&datagram[..len], server_address);
        if n % 256 == 255 {
            // An empty datagram, last before each update: the pinned C ends an update's
            // receive loop at an empty datagram (REFERENCE.md), so one mid-batch would leave
            // the rest of the batch for later updates.
            let _ = attackers[n % ATTACKERS].send_to(&[], server_address);
            server.update(clock.elapsed().as_secs_f64());
        }
    }
    keep_updating(&mut server, &clock, 0.1);

    // 3. Valid requests from 2,500 addresses at once: every encryption mapping is taken, and
    // each request that got one (and only those) is answered with a challenge.
    for (n, (socket, valid)) in mapping_attackers.iter().zip(&valid).enumerate() {
        let _ = socket.send_to(valid, server_address);
        if n % 32 == 31 {
            server.update(clock.elapsed().as_secs_f64());
        }
    }
    keep_updating(&mut server, &clock, 0.1);
    let mut buffer = [0u8; 2048];
    let challenged = mapping_attackers
        .iter()
        .filter(|socket| {
            matches!(socket.recv(&mut buffer), Ok(n) if n == CHALLENGE_BYTES && buffer[0] == 0x82)
        })
        .count();
    assert_eq!(
        challenged, ENCRYPTION_MAPPINGS,
        "valid requests answered while the mappings fill"
    );
    // Each address that now has a mapping (and so a key) sends the real client's packets,
    // which fail to decrypt with that key, and packets with a bad sequence byte count.
    for (n, socket) in mapping_attackers.iter().enumerate() {
        let packet = encrypted[n % encrypted.len()];
        let _ = socket.send_to(packet, server_address);
        let _ = socket.send_to(&captured_response, server_address);
        datagram[0] = 0x05 | (random.below(2) as u8 * 9) << 4;
        random.fill(&mut datagram[1..40]);
        let _ = socket.send_to(&datagram[..40], server_address);
        if n % 32 == 31 {
            server.update(clock.elapsed().as_secs_f64());
        }
    }
    keep_updating(&mut server, &clock, 0.1);
    let heap_after = heap_in_use();
    assert_eq!(
        server.num_connected_clients(),
        0,
        "a hostile datagram got a slot"
    );
    // The server's memory is allocated up front; every packet it allocates is freed again.
    assert!(
        heap_after <= heap_before,
        "the heap grew from {heap_before} to {heap_after} bytes during the flood"
    );
    // Every stage of the receive path was reached, as the server's own counts of what it
    // dropped show.
    let ignored = server.ignored_requests();
    for (stage, count) in [
        (
            "a request of the wrong length",
            ignored.request_wrong_length,
        ),
        ("a token for another protocol id", ignored.wrong_protocol_id),
        ("an expired token", ignored.token_expired),
        (
            "a private part that does not decrypt",
            ignored.token_not_decrypted,
        ),
        (
            "a token for another server",
            ignored.server_address_not_in_token,
        ),
        (
            "no encryption mapping left",
            ignored.encryption_mappings_full,
        ),
        (
            "a packet that does not decrypt",
            ignored.packets_not_decrypted,
        ),
        (
            "a packet from an address without a key",
            ignored.packets_without_key,
        ),
        ("a malformed packet", ignored.malformed_packets),
    ] {
        assert!(
            count > 0,
            "the flood never reached the stage of {stage}: {ignored:?}"
        );
    }

    // 4. An honest client is unaffected once the mappings have expired (5 s unused).
    keep_updating(&mut server, &clock, 5.5);
    let _second = honest_session(&mut server, relay.address, 2, &clock);
    assert_eq!(server.num_connected_clients(), 1);

    // 5. The pinned C remembers the tokens it has seen, with the address that used each first,
    // in 2048 entries, and replaces the oldest: the 2,500 valid tokens of step 3 would have
    // pushed the first client's token out, and its captured request, from a new address, would
    // be answered, its captured response get a slot. This crate's token history (patch 0023,
    // SECURITY.md) evicts nothing and remembers the token as used: neither gets an answer.
    let thief = UdpSocket::bind("127.0.0.1:0").unwrap();
    thief
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    thief.send_to(&captured_request, server_address).unwrap();
    keep_updating(&mut server, &clock, 0.05);
    let answer = thief.recv(&mut buffer).unwrap_or(0);
    assert_eq!(answer, 0, "the used token's replayed request was answered");
    thief.send_to(&captured_response, server_address).unwrap();
    keep_updating(&mut server, &clock, 0.2);
    let answer = thief.recv(&mut buffer).unwrap_or(0);
    assert_eq!(answer, 0, "the replayed handshake got an answer");
    assert_eq!(
        server.num_connected_clients(),
        1,
        "a replayed handshake kept a slot"
    );
}
