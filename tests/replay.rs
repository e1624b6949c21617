//! Replay protection, tested with authentic packets: a relay on 127.0.0.1 sits between a
//! `UdpClient` and a `UdpServer` (the 0.3.1 API), records every datagram in each direction,
//! and sends captured datagrams again from the same relay socket, so that the receiver sees
//! them come from its real peer's address. Payload, keep-alive and disconnect packets are
//! replayed both ways: at once (a duplicate inside the 256-entry window), after later packets
//! (inside the window) and after more than 256 later packets (outside it).
//!
//! What must hold: every payload is delivered exactly once, replayed keep-alives do not keep
//! a peer alive that went silent, and a disconnect packet is never acted on twice. Each test
//! but the last fails when the C is built without replay protection (a NULL window passed to
//! `netcode_read_packet` on both sides); the last is protected by the session keys instead,
//! and says so.

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::thread;
use std::time::Duration;

use netcode::{
    ClientEvent, ClientState, ConnectToken, ServerEvent, UdpClient, UdpServer,
    NETCODE_MAX_PAYLOAD_SIZE,
};

const PROTOCOL_ID: u64 = 0x1122_3344_5566_7788;
/// One step of the virtual clock, in seconds (keep-alives go out every 0.1 s).
const TICK: f64 = 0.05;

/// The packet types of the protocol (the low 4 bits of the prefix byte).
const KEEP_ALIVE: u8 = 4;
const PAYLOAD: u8 = 5;
const DISCONNECT: u8 = 6;

/// The size of the replay window (NETCODE_REPLAY_PROTECTION_BUFFER_SIZE in the C).
const WINDOW: u64 = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dir {
    /// Client to server.
    Up,
    /// Server to client.
    Down,
}

/// What the relay does with new datagrams going one way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Policy {
    /// Record and pass on.
    Forward,
    /// Record only (the receiver never sees it, unless it is sent later by hand).
    Hold,
}

/// A datagram the relay saw.
struct Captured {
    dir: Dir,
    bytes: Vec<u8>,
    /// Whether the relay passed it on when it arrived.
    forwarded: bool,
}

impl Captured {
    fn packet_type(&self) -> u8 {
        self.bytes[0] & 0x0F
    }

    /// The sequence number, in the clear after the prefix byte (not for requests, type 0).
    fn sequence(&self) -> u64 {
        let count = usize::from(self.bytes[0] >> 4);
        let mut sequence = [0u8; 8];
        sequence[..count].copy_from_slice(&self.bytes[1..1 + count]);
        u64::from_le_bytes(sequence)
    }
}

/// The relay: `front` is the server as the client sees it (the first address in the token),
/// `back` is the client as the server sees it.
struct Relay {
    front: UdpSocket,
    back: UdpSocket,
    server: SocketAddr,
    client: Option<SocketAddr>,
    policy_up: Policy,
    policy_down: Policy,
    /// Which payload packets (counted per direction from 0) to hold even under `Forward`.
    withhold: fn(Dir, usize) -> bool,
    payloads_seen: [usize; 2],
    log: Vec<Captured>,
}

impl Relay {
    fn new(server: SocketAddr) -> Relay {
        let bind = || {
            let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
            socket.set_nonblocking(true).unwrap();
            socket
        };
        Relay {
            front: bind(),
            back: bind(),
            server,
            client: None,
            policy_up: Policy::Forward,
            policy_down: Policy::Forward,
            withhold: |_, _| false,
            payloads_seen: [0, 0],
            log: Vec::new(),
        }
    }

    fn front_address(&self) -> SocketAddr {
        self.front.local_addr().unwrap()
    }

    /// Receives everything waiting on both sockets, records it and applies the policies.
    fn pump(&mut self) {
        // Loopback delivers within the sender's system call; this only absorbs scheduling.
        thread::sleep(Duration::from_micros(200));
        let mut buffer = [0u8; 2048];
        loop {
            let mut got = false;
            match self.front.recv_from(&mut buffer) {
                Ok((n, from)) => {
                    got = true;
                    self.client = Some(from);
                    self.arrive(Dir::Up, &buffer[..n]);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => panic!("relay front: {e}"),
            }
            match self.back.recv_from(&mut buffer) {
                Ok((n, from)) => {
                    got = true;
                    assert_eq!(
                        from, self.server,
                        "only the server talks to the back socket"
                    );
                    self.arrive(Dir::Down, &buffer[..n]);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => panic!("relay back: {e}"),
            }
            if !got {
                break;
            }
        }
    }

    fn arrive(&mut self, dir: Dir, bytes: &[u8]) {
        let mut forward = match dir {
            Dir::Up => self.policy_up,
            Dir::Down => self.policy_down,
        } == Policy::Forward;
        if !bytes.is_empty() && bytes[0] & 0x0F == PAYLOAD {
            let seen = &mut self.payloads_seen[dir as usize];
            if (self.withhold)(dir, *seen) {
                forward = false;
            }
            *seen += 1;
        }
        if forward {
            self.send(dir, bytes);
        }
        self.log.push(Captured {
            dir,
            bytes: bytes.to_vec(),
            forwarded: forward,
        });
    }

    /// Sends `bytes` on to the receiver of direction `dir`, from the relay socket that
    /// receiver knows as its peer.
    fn send(&self, dir: Dir, bytes: &[u8]) {
        let sent = match dir {
            Dir::Up => self.back.send_to(bytes, self.server),
            Dir::Down => self
                .front
                .send_to(bytes, self.client.expect("the client has sent something")),
        };
        assert_eq!(sent.unwrap(), bytes.len());
    }

    /// Indices into `log` of the captured packets of this direction and type.
    fn captured(&self, dir: Dir, packet_type: u8) -> Vec<usize> {
        (0..self.log.len())
            .filter(|&i| self.log[i].dir == dir && self.log[i].packet_type() == packet_type)
            .collect()
    }

    /// Sends the captured packet `log[index]` again.
    fn replay(&self, index: usize) {
        let packet = &self.log[index];
        self.send(packet.dir, &packet.bytes);
    }
}

/// A server, a client connected to it through the relay, and what each has delivered.
struct Session {
    server: UdpServer,
    client: UdpClient,
    relay: Relay,
    key: [u8; 32],
    client_id: u64,
    at_server: Vec<Vec<u8>>,
    at_client: Vec<Vec<u8>>,
    server_connects: Vec<u64>,
    server_disconnects: Vec<u64>,
    client_states: Vec<ClientState>,
}

/// A token for the server behind `relay`: the relay first (where the client goes), then the
/// server itself, which must find its own address in the token.
fn token(relay: &Relay, server: SocketAddr, key: &[u8; 32], client_id: u64) -> ConnectToken {
    let hosts = [relay.front_address(), server];
    ConnectToken::generate(
        hosts.into_iter(),
        key,
        30,
        client_id,
        PROTOCOL_ID,
        client_id,
        None,
    )
    .unwrap()
}

impl Session {
    /// A session whose client has connected through the relay.
    fn connected() -> Session {
        let key = netcode::generate_key();
        let server = UdpServer::new("127.0.0.1:0", 4, PROTOCOL_ID, &key).unwrap();
        let relay = Relay::new(server.get_local_addr().unwrap());
        let client =
            UdpClient::new(&token(&relay, server.get_local_addr().unwrap(), &key, 1)).unwrap();
        let mut s = Session {
            server,
            client,
            relay,
            key,
            client_id: 1,
            at_server: Vec::new(),
            at_client: Vec::new(),
            server_connects: Vec::new(),
            server_disconnects: Vec::new(),
            client_states: Vec::new(),
        };
        s.connect();
        s
    }

    /// Steps until the client and the server both see the connection (10 virtual seconds).
    fn connect(&mut self) {
        for _ in 0..200 {
            self.step();
            if self.client.get_state() == ClientState::Connected
                && self.server_connects.contains(&self.client_id)
            {
                let via_relay = self.relay.log.iter().any(|p| p.dir == Dir::Down);
                assert!(via_relay, "the client connected around the relay");
                return;
            }
        }
        panic!("no connection: {:?}", self.client.get_state());
    }

    /// Replaces the client by a new one, with a new token, connecting through the relay.
    fn reconnect(&mut self, client_id: u64) {
        let server = self.server.get_local_addr().unwrap();
        self.client = UdpClient::new(&token(&self.relay, server, &self.key, client_id)).unwrap();
        self.client_id = client_id;
        self.connect();
    }

    /// One tick: the client, the relay, the server, the relay; then both drained.
    fn step(&mut self) {
        self.client.update(TICK);
        self.relay.pump();
        self.server.update(TICK);
        self.relay.pump();
        self.drain();
    }

    fn drain(&mut self) {
        let mut packet = [0u8; NETCODE_MAX_PAYLOAD_SIZE];
        loop {
            match self.server.next_event(&mut packet).unwrap() {
                Some(ServerEvent::Packet(id, len)) => {
                    assert_eq!(id, self.client_id, "a payload of another client");
                    self.at_server.push(packet[..len].to_vec());
                }
                Some(ServerEvent::ClientConnect(id)) => self.server_connects.push(id),
                Some(ServerEvent::ClientDisconnect(id)) => self.server_disconnects.push(id),
                Some(_) => {}
                None => break,
            }
        }
        while let Some(event) = self.client.next_event(&mut packet).unwrap() {
            match event {
                ClientEvent::Packet(len) => self.at_client.push(packet[..len].to_vec()),
                ClientEvent::NewState(state) => self.client_states.push(state),
                ClientEvent::SentKeepAlive => {}
            }
        }
    }

    fn run(&mut self, seconds: f64) {
        for _ in 0..(seconds / TICK).round() as usize {
            self.step();
        }
    }

    /// Sends a payload the way `dir` goes.
    fn send(&mut self, dir: Dir, payload: &[u8]) {
        match dir {
            Dir::Up => assert_eq!(self.client.send(payload).unwrap(), payload.len()),
            Dir::Down => assert_eq!(
                self.server.send(self.client_id, payload).unwrap(),
                payload.len()
            ),
        }
    }

    /// The payloads delivered at the receiving end of `dir`.
    fn delivered(&self, dir: Dir) -> &[Vec<u8>] {
        match dir {
            Dir::Up => &self.at_server,
            Dir::Down => &self.at_client,
        }
    }

    fn still_connected(&self) -> bool {
        self.client.get_state() == ClientState::Connected
            && self.server_disconnects.is_empty()
            && self.server_connects.len() == 1
    }
}

/// Payload number `i` of direction `dir`: unique content.
fn numbered(dir: Dir, i: usize) -> Vec<u8> {
    let mut payload = format!("{dir:?} payload {i:05} ").into_bytes();
    payload.resize(64, b'.');
    payload
}

/// How many times each distinct payload was delivered.
fn counts(delivered: &[Vec<u8>]) -> BTreeMap<Vec<u8>, usize> {
    let mut counts = BTreeMap::new();
    for payload in delivered {
        *counts.entry(payload.clone()).or_insert(0) += 1;
    }
    counts
}

const PAYLOADS: usize = 600;
/// Payload packets the relay holds back and sends later, as if they had been delayed: these
/// 20 payload packets later (inside the window: they must arrive once) ...
fn late(k: usize) -> bool {
    k < PAYLOADS - 300 && k % 50 == 7
}
/// ... and these 300 payload packets later (outside the window: they must never arrive).
fn too_late(k: usize) -> bool {
    k < PAYLOADS - 300 && k % 50 == 32
}

fn payloads_arrive_once(dir: Dir) {
    let mut s = Session::connected();
    s.relay.withhold = |_, k| late(k) || too_late(k);
    let payload_packets = |s: &Session| s.relay.captured(dir, PAYLOAD);

    let mut sent = 0;
    let mut handled = 0;
    let mut outside_window = 0;
    while sent < PAYLOADS {
        for _ in 0..4 {
            s.send(dir, &numbered(dir, sent));
            sent += 1;
        }
        s.step();
        let packets = payload_packets(&s);
        for m in handled..packets.len() {
            let newest = packets[m];
            // A duplicate of the newest packet, before any later one arrives.
            if s.relay.log[newest].forwarded {
                s.relay.replay(newest);
            }
            // A duplicate of the one 10 packets back: inside the window, after later packets.
            if let Some(&earlier) = m.checked_sub(10).and_then(|j| packets.get(j)) {
                if s.relay.log[earlier].forwarded {
                    s.relay.replay(earlier);
                }
            }
            // A held-back packet, 20 packets late: its first delivery.
            if let Some(j) = m.checked_sub(20).filter(|&j| late(j)) {
                s.relay.replay(packets[j]);
            }
            // 300 packets back: outside the window, whether it was delivered before or not.
            if let Some(j) = m.checked_sub(300) {
                let (old, new) = (&s.relay.log[packets[j]], &s.relay.log[newest]);
                assert!(old.sequence() + WINDOW <= new.sequence());
                outside_window += 1;
                s.relay.replay(packets[j]);
            }
        }
        handled = packets.len();
    }
    s.run(0.5);
    assert_eq!(handled, PAYLOADS, "the relay saw every payload packet");
    assert!(outside_window > 0);

    // Then every packet ever captured in this direction, newest first (requests, responses,
    // keep-alives and payloads), and a last fresh payload.
    for index in (0..s.relay.log.len()).rev() {
        if s.relay.log[index].dir == dir {
            s.relay.replay(index);
        }
    }
    s.run(0.5);
    s.send(dir, b"after the replays");
    s.run(0.5);

    let counts = counts(s.delivered(dir));
    let mut expected: BTreeMap<Vec<u8>, usize> = (0..PAYLOADS)
        .filter(|&i| !too_late(i))
        .map(|i| (numbered(dir, i), 1))
        .collect();
    expected.insert(b"after the replays".to_vec(), 1);
    let duplicated = counts.values().filter(|&&n| n > 1).count();
    let old_arrived = (0..PAYLOADS)
        .filter(|&i| too_late(i) && counts.contains_key(&numbered(dir, i)))
        .count();
    assert_eq!(
        duplicated, 0,
        "{dir:?}: {duplicated} payloads were delivered more than once"
    );
    assert_eq!(
        old_arrived, 0,
        "{dir:?}: {old_arrived} payloads older than the window were delivered"
    );
    assert!(counts == expected, "{dir:?}: the payloads delivered differ");
    assert!(s.still_connected(), "{dir:?}: the session ended");
}

#[test]
fn replayed_payloads_reach_the_server_once() {
    payloads_arrive_once(Dir::Up);
}

#[test]
fn replayed_payloads_reach_the_client_once() {
    payloads_arrive_once(Dir::Down);
}

/// The relay cuts one direction off and replays that direction's captured keep-alives (some
/// older than the window, some recent) every tick: the receiver must still time its peer out.
fn keep_alive_replays_do_not_hide_a_silent_peer(dir: Dir) {
    let mut s = Session::connected();
    s.run(1.0);
    for i in 0..300 {
        s.send(dir, &numbered(dir, i));
        if i % 5 == 4 {
            s.step();
        }
    }
    s.run(0.5);
    let keep_alives = s.relay.captured(dir, KEEP_ALIVE);
    let newest = s.relay.log.iter().rev().find(|p| p.dir == dir).unwrap();
    let oldest = &s.relay.log[keep_alives[0]];
    assert!(keep_alives.len() >= 10, "{} keep-alives", keep_alives.len());
    assert!(oldest.sequence() + WINDOW <= newest.sequence());
    assert!(s.still_connected());
    assert_eq!(s.delivered(dir).len(), 300);

    match dir {
        Dir::Up => s.relay.policy_up = Policy::Hold,
        Dir::Down => s.relay.policy_down = Policy::Hold,
    }
    let timed_out = |s: &Session| match dir {
        Dir::Up => s.server_disconnects.contains(&s.client_id),
        Dir::Down => s.client_states.contains(&ClientState::ConnectionTimedOut),
    };
    // The timeout is 5 s; allow 10 of virtual time.
    for _ in 0..200 {
        for &index in &keep_alives {
            s.relay.replay(index);
        }
        s.step();
        if timed_out(&s) {
            return;
        }
    }
    panic!("{dir:?}: replayed keep-alives kept a silent peer connected for 10 s");
}

#[test]
fn replayed_keep_alives_do_not_keep_a_silent_client_connected() {
    keep_alive_replays_do_not_hide_a_silent_peer(Dir::Up);
}

#[test]
fn replayed_keep_alives_do_not_keep_a_silent_server_connected() {
    keep_alive_replays_do_not_hide_a_silent_peer(Dir::Down);
}

/// The one way a disconnect packet can be received without ending a session: the client gets
/// the server's disconnect packets while it is still answering the challenge (it ignores
/// them), because the relay held back the keep-alive that the server sent first. Once that
/// keep-alive arrives the client is connected; the disconnect packets, replayed now, must not
/// disconnect it: they were already received.
#[test]
fn a_disconnect_already_received_is_not_acted_on_when_replayed() {
    let key = netcode::generate_key();
    let mut server = UdpServer::new("127.0.0.1:0", 4, PROTOCOL_ID, &key).unwrap();
    let server_address = server.get_local_addr().unwrap();
    let mut relay = Relay::new(server_address);
    let mut client = UdpClient::new(&token(&relay, server_address, &key, 9)).unwrap();
    let mut packet = [0u8; NETCODE_MAX_PAYLOAD_SIZE];

    // Until the client answers the challenge; from then on nothing reaches it.
    let mut ticks = 0;
    while client.get_state() != ClientState::SendingConnectionResponse {
        client.update(TICK);
        relay.pump();
        server.update(TICK);
        relay.pump();
        ticks += 1;
        assert!(ticks < 100, "no challenge: {:?}", client.get_state());
    }
    relay.policy_down = Policy::Hold;
    let mut connected = false;
    while !connected {
        client.update(TICK);
        relay.pump();
        server.update(TICK);
        while let Some(event) = server.next_event(&mut packet).unwrap() {
            connected |= event == ServerEvent::ClientConnect(9);
        }
        ticks += 1;
        assert!(ticks < 100, "the server did not connect the client");
    }
    // The server has sent its keep-alive; now it disconnects the client (10 disconnect
    // packets) and hears nothing more from it.
    server.disconnect(9).unwrap();
    relay.policy_up = Policy::Hold;
    relay.pump();
    let keep_alives = relay.captured(Dir::Down, KEEP_ALIVE);
    let disconnects = relay.captured(Dir::Down, DISCONNECT);
    assert_eq!(keep_alives.len(), 1);
    assert_eq!(disconnects.len(), 10);
    assert!(relay.log[keep_alives[0]].sequence() < relay.log[disconnects[0]].sequence());

    // The disconnect packets first: the client is not connected yet and ignores them.
    for &index in &disconnects {
        relay.replay(index);
    }
    thread::sleep(Duration::from_millis(5));
    client.update(TICK);
    assert_eq!(client.get_state(), ClientState::SendingConnectionResponse);
    // The keep-alive: connected.
    relay.replay(keep_alives[0]);
    thread::sleep(Duration::from_millis(5));
    client.update(TICK);
    assert_eq!(client.get_state(), ClientState::Connected);
    // The disconnect packets again, twice over: nothing happens.
    for _ in 0..2 {
        for &index in &disconnects {
            relay.replay(index);
        }
        thread::sleep(Duration::from_millis(5));
        client.update(TICK);
        assert_eq!(
            client.get_state(),
            ClientState::Connected,
            "a replayed disconnect packet disconnected the client"
        );
    }
    // Nothing real reaches the client any more: it times out, it is not disconnected.
    let mut states = Vec::new();
    for _ in 0..200 {
        client.update(TICK);
        while let Some(event) = client.next_event(&mut packet).unwrap() {
            if let ClientEvent::NewState(state) = event {
                states.push(state);
            }
        }
        if client.get_state() != ClientState::Connected {
            break;
        }
    }
    assert_eq!(
        client.get_state(),
        ClientState::ConnectionTimedOut,
        "{states:?}"
    );
}

/// A session's disconnect packets, replayed from the same address into the next session
/// (a new client through the same relay, so the same address at the server and often the
/// same slot), end nothing: both ways. This is not the replay window's doing (the next
/// session has new keys, so the old packets fail to decrypt; the server drops the old
/// encryption mapping with the client), and it still passes without replay protection; it is
/// here because a replayed disconnect is the obvious attack on a reconnected player.
#[test]
fn replayed_disconnects_do_not_end_a_later_session() {
    let mut s = Session::connected();
    // Client to server: the first client leaves cleanly.
    s.client.disconnect().unwrap();
    s.run(0.5);
    assert_eq!(s.server_disconnects, vec![1]);
    let up = s.relay.captured(Dir::Up, DISCONNECT);
    assert_eq!(up.len(), 10);

    s.reconnect(2);
    for &index in &up {
        s.relay.replay(index);
    }
    s.run(0.5);
    s.send(Dir::Up, b"still here");
    s.send(Dir::Down, b"still here too");
    s.run(0.5);
    assert_eq!(
        s.server_disconnects,
        vec![1],
        "the second client was disconnected"
    );
    assert_eq!(s.client.get_state(), ClientState::Connected);
    assert_eq!(s.at_server.last().unwrap(), b"still here");
    assert_eq!(s.at_client.last().unwrap(), b"still here too");

    // Server to client: the server disconnects the second client.
    // (The pinned C then has the client try the next server in its token, the server's own
    // address here: it is replaced before it sends anything there.)
    s.server.disconnect(2).unwrap();
    for _ in 0..20 {
        s.step();
        if s.client.get_state() != ClientState::Connected {
            break;
        }
    }
    assert_ne!(s.client.get_state(), ClientState::Connected);
    let down = s.relay.captured(Dir::Down, DISCONNECT);
    assert_eq!(down.len(), 10);

    s.reconnect(3);
    for &index in &down {
        s.relay.replay(index);
    }
    s.run(0.5);
    s.send(Dir::Down, b"third");
    s.run(0.5);
    assert_eq!(s.client.get_state(), ClientState::Connected);
    assert_eq!(s.at_client.last().unwrap(), b"third");
    assert_eq!(s.server_connects, vec![1, 2, 3]);
}
