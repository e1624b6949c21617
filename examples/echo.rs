//! The demo: a server and three clients in one process, over real UDP on loopback. Each client
//! connects with its own token, sends a few messages, gets them echoed back, and disconnects.
//!
//!     cargo run --example echo            # IPv4
//!     cargo run --example echo -- ipv6    # IPv6

use std::time::{Duration, Instant};

use netcode::{server::Event, ConnectionState, NetcodeClient, NetcodeServer, ServerConfig};

const PROTOCOL_ID: u64 = 0x1122_3344_5566_7788;
const CLIENTS: u64 = 3;
const MESSAGES: usize = 5;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ipv6 = std::env::args().any(|arg| arg == "ipv6");
    let (server_bind, client_bind) = if ipv6 {
        ("[::1]:0", "[::]:0")
    } else {
        ("127.0.0.1:0", "0.0.0.0:0")
    };

    let key = netcode::generate_key();
    let mut server = NetcodeServer::new(
        ServerConfig::new(server_bind.parse()?, PROTOCOL_ID, key).max_clients(8),
    )?;
    println!("server: listening on {}", server.local_address());

    let mut clients = Vec::new();
    for id in 1..=CLIENTS {
        let token = server.generate_token(id, &[0; 256])?;
        let mut client = NetcodeClient::new(client_bind.parse()?)?;
        client.on_state_change(move |change| {
            println!("client {id}: {} -> {}", change.from, change.to)
        });
        client.connect(&token)?;
        clients.push((id, client, 0usize, false));
    }

    let start = Instant::now();
    let tick = Duration::from_millis(10);
    while clients
        .iter()
        .any(|(_, c, _, _)| c.state() != ConnectionState::Disconnected)
    {
        let time = start.elapsed().as_secs_f64();
        if time > 10.0 {
            return Err("the demo did not finish within 10 seconds".into());
        }
        for (_, client, _, _) in &mut clients {
            client.update(time);
        }
        server.update(time);
        while let Some(event) = server.next_event() {
            match event {
                Event::Connected { client, .. } => println!(
                    "server: client {} connected from {} ({})",
                    client.id, client.address, client.session
                ),
                Event::Disconnected { client, reason } => {
                    println!("server: client {} left: {reason}", client.id)
                }
            }
        }

        // The server echoes every payload back to its sender.
        for index in 0..server.max_clients() {
            let Some(client) = server.client(index) else {
                continue;
            };
            loop {
                let Some(payload) = server.receive(client.session) else {
                    break;
                };
                let message = payload.to_vec();
                drop(payload);
                server.send(client.session, &message)?;
            }
        }

        // Each client keeps one message in flight: it sends the next when the echo is back.
        for (id, client, echoed, waiting) in &mut clients {
            while let Some(payload) = client.receive() {
                println!("client {id}: echo {:?}", String::from_utf8_lossy(&payload));
                *echoed += 1;
                *waiting = false;
            }
            if client.state() == ConnectionState::Connected && !*waiting {
                if *echoed >= MESSAGES {
                    client.disconnect();
                } else {
                    client.send(format!("message {} from client {id}", *echoed + 1).as_bytes())?;
                    *waiting = true;
                }
            } else if client.state().is_error() {
                return Err(format!("client {id} failed: {}", client.state()).into());
            }
        }
        std::thread::sleep(tick);
    }
    // One more update lets the server see the last disconnects.
    server.update(start.elapsed().as_secs_f64());
    while let Some(event) = server.next_event() {
        if let Event::Disconnected { client, reason } = event {
            println!("server: client {} left: {reason}", client.id);
        }
    }
    println!(
        "done: {} clients connected, exchanged {MESSAGES} messages each, and left",
        CLIENTS
    );
    Ok(())
}
