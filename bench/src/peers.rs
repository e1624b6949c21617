//! The scenario with the pure-Rust netcode crates: netcode-official (a port of the current
//! upstream C API) and renetcode (transport-agnostic: we carry its packets over UDP sockets).
//! Both speak NETCODE 1.02; they are compared on the same workload, never on the wire.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use crate::{check, cpu_seconds, fill, udp_socket, Config, Sample, PROTOCOL_ID};

pub fn run_official(config: Config) -> Sample {
    use netcode_official::{generate_connect_token, generate_key, Client, ClientState, Server};
    let key = generate_key();
    let mut server = Server::new("127.0.0.1:0".parse().unwrap(), PROTOCOL_ID, &key, 0.0).unwrap();
    server.start(config.clients).unwrap();
    let address = server.address();
    let mut clients: Vec<Client> = (0..config.clients)
        .map(|c| {
            let token = generate_connect_token(
                &[address],
                &[address],
                30,
                5,
                c as u64 + 1,
                PROTOCOL_ID,
                &key,
                &[0; 256],
            )
            .unwrap();
            let mut client = Client::new("0.0.0.0:0".parse().unwrap(), 0.0).unwrap();
            client.connect(&token).unwrap();
            client
        })
        .collect();
    let mut time = 0.0;
    let start = Instant::now();
    while clients.iter().any(|c| c.state() != ClientState::Connected) {
        time += 0.1;
        clients.iter_mut().for_each(|c| c.update(time));
        server.update(time);
        while server.next_event().is_some() {}
        assert!(
            start.elapsed().as_secs() < 60,
            "netcode-official clients did not connect"
        );
    }
    let connect_seconds = start.elapsed().as_secs_f64();
    let mut buffer = vec![0u8; config.p];
    let (mut received, mut bad, mut sent, mut n) = (0u64, 0u64, 0u64, 0u32);
    let (wall0, cpu0) = (Instant::now(), cpu_seconds());
    for _ in 0..config.ticks {
        time += 0.001;
        for (c, client) in clients.iter_mut().enumerate() {
            for _ in 0..config.k {
                fill(&mut buffer, n, c);
                n = n.wrapping_add(1);
                client.send_packet(&buffer).unwrap();
                sent += 1;
            }
        }
        server.update(time);
        while server.next_event().is_some() {}
        for index in 0..config.clients {
            while let Some((payload, _)) = server.receive_packet(index) {
                received += 1;
                server.send_packet(index, &payload).unwrap();
            }
        }
        for (c, client) in clients.iter_mut().enumerate() {
            client.update(time);
            while let Some((payload, _)) = client.receive_packet() {
                received += 1;
                bad += u64::from(!check(&payload, config.p, c));
            }
        }
    }
    Sample {
        connect_seconds,
        received,
        wall: wall0.elapsed().as_secs_f64(),
        cpu: cpu_seconds() - cpu0,
        lost: 2 * sent as i64 - received as i64,
        bad,
    }
}

pub fn run_renetcode(config: Config) -> Sample {
    use renetcode::{
        ClientAuthentication, ConnectToken, NetcodeClient, NetcodeServer, ServerAuthentication,
        ServerConfig, ServerResult,
    };
    let key: [u8; 32] = netcode::generate_key();
    let socket = udp_socket();
    let address = socket.local_addr().unwrap();
    let mut time = Duration::from_secs(1);
    let mut server = NetcodeServer::new(ServerConfig {
        current_time: time,
        max_clients: config.clients,
        protocol_id: PROTOCOL_ID,
        public_addresses: vec![address],
        authentication: ServerAuthentication::Secure { private_key: key },
    });
    let mut clients: Vec<(NetcodeClient, UdpSocket)> = (0..config.clients)
        .map(|c| {
            let token = ConnectToken::generate(
                time,
                PROTOCOL_ID,
                30,
                c as u64 + 1,
                5,
                vec![address],
                None,
                &key,
            )
            .unwrap();
            let client = NetcodeClient::new(
                time,
                ClientAuthentication::Secure {
                    connect_token: token,
                },
            )
            .unwrap();
            let socket = udp_socket();
            (client, socket)
        })
        .collect();
    let mut incoming = [0u8; 2048];
    let mut echo = [0u8; 2048];

    // One pass of the server: its socket's datagrams, then its per-client upkeep. Echoes
    // payloads when `echoing`; returns how many payloads it received.
    let mut serve = |server: &mut NetcodeServer, delta: Duration, echoing: bool| -> u64 {
        let mut payloads = 0;
        server.update(delta);
        while let Ok((len, from)) = socket.recv_from(&mut incoming) {
            let mut echo_to = None;
            match server.process_packet(from, &mut incoming[..len]) {
                ServerResult::PacketToSend { addr, payload }
                | ServerResult::ClientConnected { addr, payload, .. } => {
                    let _ = socket.send_to(payload, addr);
                }
                ServerResult::Payload { client_id, payload } => {
                    payloads += 1;
                    echo[..payload.len()].copy_from_slice(payload);
                    echo_to = Some((client_id, payload.len()));
                }
                ServerResult::ClientDisconnected {
                    addr,
                    payload: Some(payload),
                    ..
                } => {
                    let _ = socket.send_to(payload, addr);
                }
                _ => {}
            }
            if let (true, Some((client_id, len))) = (echoing, echo_to) {
                if let Ok((addr, packet)) = server.generate_payload_packet(client_id, &echo[..len])
                {
                    let _ = socket.send_to(packet, addr);
                }
            }
        }
        for client_id in server.clients_id() {
            if let ServerResult::PacketToSend { addr, payload } = server.update_client(client_id) {
                let _ = socket.send_to(payload, addr);
            }
        }
        payloads
    };
    let client_pass = |clients: &mut Vec<(NetcodeClient, UdpSocket)>,
                       delta: Duration,
                       p: usize,
                       received: &mut u64,
                       bad: &mut u64| {
        let mut buffer = [0u8; 2048];
        for (c, (client, socket)) in clients.iter_mut().enumerate() {
            if let Some((packet, addr)) = client.update(delta) {
                let _ = socket.send_to(packet, addr);
            }
            while let Ok(len) = socket.recv(&mut buffer) {
                if let Some(payload) = client.process_packet(&mut buffer[..len]) {
                    *received += 1;
                    *bad += u64::from(!check(payload, p, c));
                }
            }
        }
    };

    let start = Instant::now();
    let (mut ignored, mut none) = (0u64, 0u64);
    while clients.iter().any(|(c, _)| !c.is_connected()) {
        let delta = Duration::from_millis(100);
        time += delta;
        client_pass(&mut clients, delta, config.p, &mut ignored, &mut none);
        serve(&mut server, delta, false);
        assert!(
            start.elapsed().as_secs() < 60,
            "renetcode clients did not connect"
        );
    }
    let connect_seconds = start.elapsed().as_secs_f64();
    let mut buffer = vec![0u8; config.p];
    let (mut received, mut bad, mut sent, mut n) = (0u64, 0u64, 0u64, 0u32);
    let (wall0, cpu0) = (Instant::now(), cpu_seconds());
    let delta = Duration::from_millis(1);
    for _ in 0..config.ticks {
        for (c, (client, socket)) in clients.iter_mut().enumerate() {
            for _ in 0..config.k {
                fill(&mut buffer, n, c);
                n = n.wrapping_add(1);
                let (addr, packet) = client.generate_payload_packet(&buffer).unwrap();
                let _ = socket.send_to(packet, addr);
                sent += 1;
            }
        }
        received += serve(&mut server, delta, true);
        client_pass(&mut clients, delta, config.p, &mut received, &mut bad);
    }
    let _: SocketAddr = address;
    Sample {
        connect_seconds,
        received,
        wall: wall0.elapsed().as_secs_f64(),
        cpu: cpu_seconds() - cpu0,
        lost: 2 * sent as i64 - received as i64,
        bad,
    }
}
