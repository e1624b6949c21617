//! A standalone echo server: run it, then `cargo run --example client` in another terminal.
//!
//!     cargo run --example server -- [BIND_ADDRESS] [--seconds N]
//!
//! BIND_ADDRESS defaults to 127.0.0.1:40000. It accepts tokens for the demo protocol id and
//! demo key shared with examples/client.rs (never use a published key in a real game), echoes
//! every payload, and runs until Ctrl-C (or for N seconds).

use std::time::{Duration, Instant};

use netcode::{NetcodeServer, ServerConfig};

/// The demo protocol id and key, shared with examples/client.rs.
pub const DEMO_PROTOCOL_ID: u64 = 0x1122_3344_5566_7788;
pub const DEMO_KEY: [u8; 32] = *b"netcode-rs demo key: not secret!";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seconds = option(&args, "--seconds")
        .map(str::parse::<f64>)
        .transpose()?;
    let bind = args
        .iter()
        .find(|a| !a.starts_with("--") && Some(a.as_str()) != option(&args, "--seconds"));
    let bind = bind.map_or("127.0.0.1:40000", String::as_str).parse()?;

    env_logger_lite();
    let mut server = NetcodeServer::new(ServerConfig::new(bind, DEMO_PROTOCOL_ID, DEMO_KEY))?;
    server.on_client_connect(|c, _| {
        println!(
            "client {:#x} connected from {} ({})",
            c.id, c.address, c.session
        )
    });
    server.on_client_disconnect(|c, reason| println!("client {:#x} left: {reason}", c.id));
    println!(
        "echo server on {} ({} slots); Ctrl-C stops it",
        server.local_address(),
        server.max_clients()
    );

    let start = Instant::now();
    loop {
        let time = start.elapsed().as_secs_f64();
        if seconds.is_some_and(|limit| time > limit) {
            return Ok(());
        }
        server.update(time);
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
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn option<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

/// Prints the C's log lines at info level and above when NETCODE_LOG is set.
fn env_logger_lite() {
    struct Stdout;
    impl log::Log for Stdout {
        fn enabled(&self, _: &log::Metadata) -> bool {
            true
        }
        fn log(&self, record: &log::Record) {
            println!("[{}] {}", record.level(), record.args());
        }
        fn flush(&self) {}
    }
    if std::env::var_os("NETCODE_LOG").is_some() && log::set_logger(&Stdout).is_ok() {
        log::set_max_level(log::LevelFilter::Info);
    }
}
