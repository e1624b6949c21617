//! Events recorded by the C where they happen (patch 0008), read through both APIs: the
//! same-id takeover that a diff of slots got wrong, sessions that cannot reach a slot's next
//! client, disconnect reasons, and a full queue that defers connects and loses no disconnect.

mod common;

use std::net::SocketAddr;

use common::{addr, PROTOCOL_ID};
use netcode::server::Event;
use netcode::{
    ClientEvent, ConnectionState, DisconnectReason, Error, NetcodeClient, NetcodeServer,
    NetworkSimulator, ServerConfig, ServerEvent, UdpClient, UdpServer,
};

/// Longer than the reference's send interval (0.1 s), so a connecting client sends at every
/// update and two packets of two clients can be made to meet in one server update.
const TICK: f64 = 0.11;

struct Sim {
    simulator: NetworkSimulator,
    server: NetcodeServer,
    time: f64,
    events: Vec<Event>,
}

impl Sim {
    fn new() -> Sim {
        let simulator = NetworkSimulator::new().unwrap();
        let config = ServerConfig::new(addr("[::1]:40000"), PROTOCOL_ID, netcode::generate_key())
            .max_clients(4);
        let server = NetcodeServer::with_simulator(&simulator, config).unwrap();
        Sim {
            simulator,
            server,
            time: 0.0,
            events: Vec::new(),
        }
    }

    fn client(&mut self, port: u16, client_id: u64) -> NetcodeClient {
        let mut client =
            NetcodeClient::with_simulator(&self.simulator, addr(&format!("[::1]:{port}"))).unwrap();
        let token = self.server.generate_token(client_id, &[0; 256]).unwrap();
        client.connect(&token).unwrap();
        client
    }

    /// One tick: the simulator, these clients, the server; the server's events are collected.
    fn step(&mut self, clients: &mut [&mut NetcodeClient]) {
        self.time += TICK;
        self.simulator.update(self.time);
        for client in clients.iter_mut() {
            client.update(self.time);
        }
        self.server.update(self.time);
        while let Some(event) = self.server.next_event() {
            self.events.push(event);
        }
    }
}

/// A takes a slot with id 42; B, with another token for id 42, got its challenge before A
/// connected and keeps answering it (the server ignores it: the id is taken). A leaves and B's
/// next response arrives in the same server update. With `lower`, another client held slot 0
/// before and left, so B lands below A's slot.
fn takeover(lower: bool) {
    let mut sim = Sim::new();
    let mut first = sim.client(50001, 7);
    if lower {
        while !first.state().is_connected() {
            sim.step(&mut [&mut first]);
        }
    }
    let mut a = sim.client(50002, 42);
    let mut b = sim.client(50003, 42);
    for _ in 0..20 {
        if a.state().is_connected() {
            break;
        }
        // A updates first, so its response reaches the server first.
        sim.step(&mut [&mut a, &mut b]);
    }
    assert_eq!(a.state(), ConnectionState::Connected);
    assert_eq!(b.state(), ConnectionState::SendingConnectionResponse);
    if lower {
        first.disconnect();
        sim.step(&mut [&mut a, &mut b]);
        assert_eq!(sim.server.num_connected_clients(), 1);
    }
    let a_info = sim.server.find_client(42).unwrap();
    assert_eq!(a_info.session.index(), usize::from(lower));
    sim.events.clear();

    // A's disconnect packets and B's next response, delivered to one server update.
    a.disconnect();
    sim.time += TICK;
    b.update(sim.time);
    sim.simulator.update(sim.time);
    sim.server.update(sim.time);
    while let Some(event) = sim.server.next_event() {
        sim.events.push(event);
    }

    let b_info = sim
        .server
        .find_client(42)
        .expect("client 42 is connected again");
    assert_eq!(
        b_info.address,
        addr("[::1]:50003"),
        "the newcomer's address"
    );
    assert_eq!(b_info.session.index(), 0);
    assert_ne!(b_info.session, a_info.session);
    assert_eq!(
        sim.events,
        vec![
            Event::Disconnected {
                client: a_info,
                reason: DisconnectReason::DisconnectPacket
            },
            Event::Connected {
                client: b_info,
                user_data: match &sim.events[1] {
                    Event::Connected { user_data, .. } => *user_data,
                    other => panic!("not a connect: {other:?}"),
                },
            },
        ],
        "events of the takeover, in order"
    );
    assert_eq!(sim.server.num_connected_clients(), 1);

    // The old session reaches nobody; the new one reaches B.
    assert!(matches!(
        sim.server.send(a_info.session, b"to a"),
        Err(Error::ClientNotConnected(s)) if s == a_info.session
    ));
    sim.server.send(b_info.session, b"to b").unwrap();
    let mut got = Vec::new();
    for _ in 0..5 {
        sim.step(&mut [&mut b]);
        while let Some(payload) = b.receive() {
            got.push(payload.to_vec());
        }
    }
    assert_eq!(got, vec![b"to b".to_vec()]);
}

#[test]
fn same_id_takes_over_the_same_slot_in_one_update() {
    takeover(false);
}

#[test]
fn same_id_takes_over_a_lower_slot_in_one_update() {
    takeover(true);
}

/// The same takeover through the 0.3.1 API, over real UDP: the events come in order and
/// `send(42)` reaches the client that is connected now.
fn takeover_031(lower: bool) {
    let mut server =
        UdpServer::new("127.0.0.1:0", 4, PROTOCOL_ID, &netcode::generate_key()).unwrap();
    let mut packet = [0; netcode::NETCODE_MAX_PAYLOAD_SIZE];
    let mut events = Vec::new();
    let mut drain = |server: &mut UdpServer, events: &mut Vec<ServerEvent>| {
        while let Ok(Some(event)) = server.next_event(&mut packet) {
            if !matches!(event, ServerEvent::SentKeepAlive(_)) {
                events.push(event);
            }
        }
    };
    let mut step =
        |server: &mut UdpServer, clients: &mut [&mut UdpClient], events: &mut Vec<ServerEvent>| {
            for client in clients.iter_mut() {
                client.update(TICK);
                let mut buffer = [0; netcode::NETCODE_MAX_PAYLOAD_SIZE];
                while let Ok(Some(_)) = client.next_event(&mut buffer) {}
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
            server.update(TICK);
            drain(server, events);
        };
    let mut first = UdpClient::new(&server.generate_token(30, 7, None).unwrap()).unwrap();
    if lower {
        for _ in 0..4 {
            step(&mut server, &mut [&mut first], &mut events);
        }
        assert_eq!(first.get_state(), netcode::ClientState::Connected);
    }
    let mut a = UdpClient::new(&server.generate_token(30, 42, None).unwrap()).unwrap();
    let mut b = UdpClient::new(&server.generate_token(30, 42, None).unwrap()).unwrap();
    for _ in 0..3 {
        step(&mut server, &mut [&mut first, &mut a, &mut b], &mut events);
    }
    assert_eq!(a.get_state(), netcode::ClientState::Connected);
    assert_eq!(
        b.get_state(),
        netcode::ClientState::SendingConnectionResponse
    );
    if lower {
        first.disconnect().unwrap();
        step(&mut server, &mut [&mut a, &mut b], &mut events);
    }
    events.clear();
    a.disconnect().unwrap();
    step(&mut server, &mut [&mut b], &mut events);
    assert_eq!(
        events,
        vec![
            ServerEvent::ClientDisconnect(42),
            ServerEvent::ClientConnect(42)
        ]
    );
    server.send(42, b"to b").unwrap();
    let mut got = Vec::new();
    let mut buffer = [0; netcode::NETCODE_MAX_PAYLOAD_SIZE];
    for _ in 0..5 {
        std::thread::sleep(std::time::Duration::from_millis(2));
        b.update(TICK);
        while let Ok(Some(event)) = b.next_event(&mut buffer) {
            if let ClientEvent::Packet(len) = event {
                got.push(buffer[..len].to_vec());
            }
        }
        server.update(TICK);
        drain(&mut server, &mut events);
    }
    assert_eq!(got, vec![b"to b".to_vec()]);
}

#[test]
fn same_id_takeover_through_the_031_api_same_slot() {
    takeover_031(false);
}

#[test]
fn same_id_takeover_through_the_031_api_lower_slot() {
    takeover_031(true);
}

/// Closures take the events of their kind; the rest stay for `next_event`, in order; events
/// nobody read are discarded by the next update but the one after a call keeps its own.
#[test]
fn closures_and_next_event_share_one_queue() {
    let mut sim = Sim::new();
    let (sender, receiver) = std::sync::mpsc::channel();
    sim.server
        .on_client_connect(move |client, _| sender.send(client.id).unwrap());
    let mut a = sim.client(50001, 1);
    while !a.state().is_connected() {
        sim.step(&mut [&mut a]);
    }
    assert_eq!(receiver.try_iter().collect::<Vec<_>>(), vec![1]);
    assert!(sim.events.is_empty(), "a connect reached next_event too");
    let session = sim.server.find_client(1).unwrap().session;
    sim.server.disconnect(session).unwrap();
    // Read after the next update: a call's event waits for it.
    sim.step(&mut [&mut a]);
    assert_eq!(
        sim.events,
        vec![Event::Disconnected {
            client: netcode::ClientInfo {
                session,
                id: 1,
                address: addr("[::1]:50001")
            },
            reason: DisconnectReason::Local
        }]
    );
}

/// The 0.3.1 API keeps unread events: while a program does not read them, keep-alive events
/// fill the queue, new clients wait (they are admitted once the events are read) and a
/// disconnect is still reported.
#[test]
fn a_full_queue_defers_connects_and_keeps_disconnects() {
    let mut server =
        UdpServer::new("127.0.0.1:0", 4, PROTOCOL_ID, &netcode::generate_key()).unwrap();
    let mut packet = [0; netcode::NETCODE_MAX_PAYLOAD_SIZE];
    let mut a = UdpClient::new(&server.generate_token(30, 1, None).unwrap()).unwrap();
    let mut buffer = [0; netcode::NETCODE_MAX_PAYLOAD_SIZE];
    // 80 s of keep-alives (10 a second), unread.
    for _ in 0..800 {
        a.update(0.1);
        while let Ok(Some(_)) = a.next_event(&mut buffer) {}
        server.update(0.1);
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
    let mut b = UdpClient::new(&server.generate_token(30, 2, None).unwrap()).unwrap();
    for _ in 0..20 {
        a.update(0.1);
        b.update(0.1);
        while let Ok(Some(_)) = a.next_event(&mut buffer) {}
        while let Ok(Some(_)) = b.next_event(&mut buffer) {}
        server.update(0.1);
        std::thread::sleep(std::time::Duration::from_micros(500));
    }
    assert_ne!(
        b.get_state(),
        netcode::ClientState::Connected,
        "admitted while the queue was full"
    );
    a.disconnect().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    server.update(0.1);
    let mut events = Vec::new();
    while let Ok(Some(event)) = server.next_event(&mut packet) {
        events.push(event);
    }
    assert_eq!(events.first(), Some(&ServerEvent::ClientConnect(1)));
    assert!(
        events.contains(&ServerEvent::ClientDisconnect(1)),
        "the disconnect was lost"
    );
    // Read: B gets in.
    for _ in 0..20 {
        b.update(0.1);
        while let Ok(Some(_)) = b.next_event(&mut buffer) {}
        std::thread::sleep(std::time::Duration::from_millis(1));
        server.update(0.1);
        while let Ok(Some(_)) = server.next_event(&mut packet) {}
    }
    assert_eq!(b.get_state(), netcode::ClientState::Connected);
}

/// A client's state changes, with the reasons of their ends.
#[test]
fn client_state_changes_carry_their_reasons() {
    let mut sim = Sim::new();
    let mut a = sim.client(50001, 1);
    let mut changes = Vec::new();
    while !a.state().is_connected() {
        sim.step(&mut [&mut a]);
        while let Some(change) = a.next_event() {
            changes.push((change.from, change.to));
        }
    }
    assert_eq!(
        changes,
        vec![
            (
                ConnectionState::Disconnected,
                ConnectionState::SendingConnectionRequest
            ),
            (
                ConnectionState::SendingConnectionRequest,
                ConnectionState::SendingConnectionResponse
            ),
            (
                ConnectionState::SendingConnectionResponse,
                ConnectionState::Connected
            ),
        ]
    );
    let session = sim.server.find_client(1).unwrap().session;
    sim.server.disconnect(session).unwrap();
    sim.step(&mut [&mut a]);
    let ends: Vec<_> = std::iter::from_fn(|| a.next_event()).collect();
    assert_eq!(
        ends.last().map(|c| (c.to, c.reason)),
        Some((
            ConnectionState::Disconnected,
            Some(DisconnectReason::DisconnectPacket)
        ))
    );
    let _: SocketAddr = a.local_address();
}
