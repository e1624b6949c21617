//! A standalone echo server, to run against examples/client.rs or any netcode.io client.
//!
//!     cargo run --example server -- [BIND_ADDRESS] [OPTIONS]
//!
//! With no options it binds 127.0.0.1:40000, speaks NETCODE 1.02 and accepts tokens for the
//! demo protocol id and demo key shared with examples/client.rs (never use a published key in
//! a real game). Options:
//!
//! - `--bind ADDR`: the address to bind (the same as BIND_ADDRESS; default 127.0.0.1:40000).
//! - `--public-address ADDR`: the address clients dial, which the tokens must list, when it is
//!   not the bound one (`--bind 0.0.0.0:40000 --public-address 203.0.113.7:40000`).
//! - `--protocol 1.00|1.02`: the protocol version (default 1.02).
//! - `--protocol-id HEX`: the protocol id, in hex, `0x` optional (default the demo's,
//!   0x1122334455667788).
//! - `--key-file FILE`: the private key, a file of exactly 32 raw bytes (default the demo key).
//! - `--seconds N`: stop after N seconds, disconnecting every client (default: run until
//!   Ctrl-C).
//! - `--help`: print the usage.
//!
//! It echoes every payload to its sender, prints who joins and leaves (and why), and, at most
//! once a second, the connection requests it refused so far when that changed, by reason (a
//! client that gets no answer sees only "connection request timed out"; these counts, the
//! fields of `netcode::IgnoredRequests`, say why: wrong_version, wrong_protocol_id,
//! token_not_decrypted for another key, token_expired...). After `--seconds` it prints a
//! one-line summary, with every packet it ignored (packets_without_key counts, among others,
//! the redundant disconnect packets of a client that left). Exit codes: 0
//! when it ran, 1 when it could not start (for instance the address is taken), 2 for bad
//! arguments. NETCODE_LOG=1 prints the C's log lines too.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use netcode::{IgnoredRequests, NetcodeServer, ServerConfig, Version};

/// The demo protocol id and key, shared with examples/client.rs.
pub const DEMO_PROTOCOL_ID: u64 = 0x1122_3344_5566_7788;
pub const DEMO_KEY: [u8; 32] = *b"netcode-rs demo key: not secret!";

const USAGE: &str = "\
usage: server [BIND_ADDRESS] [--bind ADDR] [--public-address ADDR] [--protocol 1.00|1.02]
              [--protocol-id HEX] [--key-file FILE] [--seconds N]

An echo server. Defaults: --bind 127.0.0.1:40000, the public address is the bound one,
--protocol 1.02, the demo protocol id (0x1122334455667788) and demo key of examples/client.rs,
and it runs until Ctrl-C. --key-file FILE: 32 raw bytes. --seconds N: stop after N seconds.
";

struct Options {
    bind: SocketAddr,
    public_address: Option<SocketAddr>,
    version: Version,
    protocol_id: u64,
    key: [u8; 32],
    seconds: Option<f64>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let options = match parse(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("server: {message}\n");
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    env_logger_lite();
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            println!("server: FAILED: {message}");
            ExitCode::FAILURE
        }
    }
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        bind: "127.0.0.1:40000".parse().expect("a valid address"),
        public_address: None,
        version: Version::V1_02,
        protocol_id: DEMO_PROTOCOL_ID,
        key: DEMO_KEY,
        seconds: None,
    };
    let (mut bind, mut positional) = (None, None);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value.to_string())),
            _ => (arg.as_str(), None),
        };
        if !name.starts_with('-') {
            if positional.replace(address(name, "BIND_ADDRESS")?).is_some() {
                return Err(format!(
                    "unexpected argument {name:?}: one BIND_ADDRESS at most"
                ));
            }
            continue;
        }
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next().cloned())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match name {
            "--bind" => bind = Some(address(&value()?, name)?),
            "--public-address" => options.public_address = Some(address(&value()?, name)?),
            "--protocol" => options.version = version(&value()?)?,
            "--protocol-id" => options.protocol_id = protocol_id(&value()?)?,
            "--key-file" => options.key = key_file(&value()?)?,
            "--seconds" => options.seconds = Some(seconds(&value()?)?),
            _ => return Err(format!("unknown option {name}")),
        }
    }
    options.bind = match (bind, positional) {
        (Some(_), Some(_)) => return Err("give BIND_ADDRESS or --bind, not both".into()),
        (Some(address), None) | (None, Some(address)) => address,
        (None, None) => options.bind,
    };
    Ok(options)
}

fn address(text: &str, what: &str) -> Result<SocketAddr, String> {
    text.parse().map_err(|_| {
        format!("{what}: {text:?} is not an IP address with a port (127.0.0.1:40000, [::1]:40000)")
    })
}

fn version(text: &str) -> Result<Version, String> {
    text.parse()
        .map_err(|_| format!("--protocol: {text:?} is neither 1.00 nor 1.02"))
}

fn protocol_id(text: &str) -> Result<u64, String> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text)
        .replace('_', "");
    u64::from_str_radix(&digits, 16)
        .map_err(|_| format!("--protocol-id: {text:?} is not a 64-bit hex number"))
}

fn key_file(path: &str) -> Result<[u8; 32], String> {
    let bytes = std::fs::read(path).map_err(|e| format!("--key-file: cannot read {path}: {e}"))?;
    bytes.as_slice().try_into().map_err(|_| {
        format!(
            "--key-file: {path} holds {} bytes; a key is exactly 32 raw bytes",
            bytes.len()
        )
    })
}

fn seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds >= 0.0 => Ok(seconds),
        _ => Err(format!("--seconds: {text:?} is not a number of seconds")),
    }
}

fn run(options: &Options) -> Result<(), String> {
    let mut config =
        ServerConfig::new(options.bind, options.protocol_id, options.key).version(options.version);
    if let Some(public) = options.public_address {
        config = config.public_address(public);
    }
    let mut server = NetcodeServer::new(config).map_err(|e| e.to_string())?;
    let connected = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = connected.clone();
    server.on_client_connect(move |c, _| {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        println!(
            "client {:#x} connected from {} ({})",
            c.id, c.address, c.session
        )
    });
    server.on_client_disconnect(|c, reason| println!("client {:#x} left: {reason}", c.id));
    println!(
        "echo server on {} (public address {}, {}, protocol id {:#018x}, {} slots); {}",
        server.local_address(),
        server.public_address(),
        server.version(),
        server.protocol_id(),
        server.max_clients(),
        match options.seconds {
            Some(limit) => format!("stops after {limit} s"),
            None => "Ctrl-C stops it".into(),
        }
    );

    let start = Instant::now();
    let (mut echoed, mut refused, mut reported_at) = (0u64, String::new(), None);
    loop {
        let time = start.elapsed().as_secs_f64();
        if options.seconds.is_some_and(|limit| time > limit) {
            break;
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
                // Fails only if the client left meanwhile: its other payloads are gone too.
                if server.send(client.session, &message).is_err() {
                    break;
                }
                echoed += 1;
            }
        }
        let now = describe(&server.ignored_requests(), true);
        if now != refused && reported_at.is_none_or(|at: f64| time - at >= 1.0) {
            println!("refused so far: {now}");
            (refused, reported_at) = (now, Some(time));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    server.disconnect_all();
    server.update(start.elapsed().as_secs_f64());
    let now = server.ignored_requests();
    println!(
        "server: stopped after {:.1} s: {} client(s) connected, {echoed} payload(s) echoed, {}",
        start.elapsed().as_secs_f64(),
        connected.load(std::sync::atomic::Ordering::Relaxed),
        if now.total() == 0 {
            "nothing ignored".to_string()
        } else {
            format!("ignored {}", describe(&now, false))
        }
    );
    Ok(())
}

/// The non-zero counts, by the name of their field: with `requests_only`, those of connection
/// requests and responses refused (what explains a client that cannot connect).
fn describe(ignored: &IgnoredRequests, requests_only: bool) -> String {
    let counts = [
        ("request_wrong_length", ignored.request_wrong_length),
        ("wrong_version", ignored.wrong_version),
        ("wrong_protocol_id", ignored.wrong_protocol_id),
        ("token_expired", ignored.token_expired),
        ("token_not_decrypted", ignored.token_not_decrypted),
        ("token_unreadable", ignored.token_unreadable),
        (
            "server_address_not_in_token",
            ignored.server_address_not_in_token,
        ),
        (
            "address_already_connected",
            ignored.address_already_connected,
        ),
        (
            "client_id_already_connected",
            ignored.client_id_already_connected,
        ),
        ("token_before_start", ignored.token_before_start),
        ("token_lifetime_too_long", ignored.token_lifetime_too_long),
        ("token_already_used", ignored.token_already_used),
        ("token_in_use_elsewhere", ignored.token_in_use_elsewhere),
        ("token_history_full", ignored.token_history_full),
        ("server_full", ignored.server_full),
        ("encryption_mappings_full", ignored.encryption_mappings_full),
        ("challenge_not_decrypted", ignored.challenge_not_decrypted),
        ("events_unread", ignored.events_unread),
    ];
    let packets = [
        ("late_responses", ignored.late_responses),
        ("malformed_packets", ignored.malformed_packets),
        ("packets_without_key", ignored.packets_without_key),
        ("packets_not_decrypted", ignored.packets_not_decrypted),
    ];
    let packets = if requests_only { &[][..] } else { &packets[..] };
    let listed: Vec<String> = counts
        .iter()
        .chain(packets)
        .filter(|(_, count)| *count > 0)
        .map(|(name, count)| format!("{name} {count}"))
        .collect();
    listed.join(", ")
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
