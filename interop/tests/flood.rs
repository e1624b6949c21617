//! A running server is flooded over loopback with tens of thousands of hostile datagrams, from
//! many source ports: random bytes, truncated and oversized packets, forged connection requests
//! with the right version and protocol id, and replays of a real client's captured packets.
//! Afterwards the server is alive, its heap did not grow, and an honest client connects and
//! exchanges payloads. Bounded: a fixed number of datagrams, then it stops.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use netcode::{ConnectionState, NetcodeClient, NetcodeServer, ServerConfig};

const PROTOCOL_ID: u64 = 0x1122_3344_5566_7788;
const ATTACKERS: usize = 64;
const DATAGRAMS: usize = 40_000;

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
    let token = server.generate_token(30, client_id, None).unwrap();
    assert_eq!(token.hosts.as_slice(), &[relay]);
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

#[test]
fn flood_then_an_honest_client() {
    let clock = Instant::now();
    // The server's public address is the relay's: that is where tokens send clients.
    let key = netcode::generate_key();
    let config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), PROTOCOL_ID, key).max_clients(8);
    let probe = NetcodeServer::new(config.clone()).unwrap();
    let server_address = probe.local_address();
    drop(probe);
    let config = ServerConfig::new(server_address, PROTOCOL_ID, key).max_clients(8);
    let relay = Relay::start(server_address);
    let mut server = NetcodeServer::new(config.public_address(relay.address)).unwrap();

    // 1. A real client, whose packets the relay captures, then leaves.
    let mut first = honest_session(&mut server, relay.address, 1, &clock);
    first.disconnect();
    relay.recording.store(false, Ordering::Relaxed);
    let captured = relay.captured.lock().unwrap().clone();
    assert!(captured.len() >= 10, "captured {} packets", captured.len());
    for _ in 0..20 {
        server.update(clock.elapsed().as_secs_f64());
        thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(server.num_connected_clients(), 0);

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
        let len = match n % 6 {
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
            // A forged connection request: right length, version, protocol id and expiry.
            3 => {
                datagram[0] = 0;
                datagram[1..14].copy_from_slice(b"NETCODE 1.00\0");
                datagram[14..22].copy_from_slice(&PROTOCOL_ID.to_le_bytes());
                datagram[22..30].copy_from_slice(&expire.to_le_bytes());
                random.fill(&mut datagram[30..1078]);
                1078
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
            server.update(clock.elapsed().as_secs_f64());
        }
    }
    for _ in 0..50 {
        server.update(clock.elapsed().as_secs_f64());
        thread::sleep(Duration::from_millis(1));
    }
    let heap_after = heap_in_use();
    assert_eq!(
        server.num_connected_clients(),
        0,
        "a hostile datagram got a slot"
    );
    // The server's memory is allocated up front; every packet it allocates is freed again.
    assert!(
        heap_after <= heap_before + 64 * 1024,
        "the heap grew from {heap_before} to {heap_after} bytes during the flood"
    );

    // 3. An honest client is unaffected.
    let _second = honest_session(&mut server, relay.address, 2, &clock);
    assert_eq!(server.num_connected_clients(), 1);
}
