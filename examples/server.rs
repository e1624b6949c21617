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
//! - `--max-clients N`: the number of slots, 1 to 256 (default 256).
//! - `--max-token-lifetime N|none`: the restart rule's longest token lifetime (default 30,
//!   the tokens' usual lifetime; see `ServerConfig::max_token_lifetime`). Set it to the
//!   backend's token lifetime: a server refuses shorter-lived tokens for its first `max - N`
//!   seconds (counted as token_before_start), and longer-lived ones always
//!   (token_lifetime_too_long).
//! - `--seconds N`: stop after N seconds, disconnecting every client (default: run until
//!   Ctrl-C).
//! - `--backend URL`: join the fleet of the backend at URL (backend/, `http://HOST:PORT`):
//!   report the public address, free slots, protocol and protocol id every second, with the
//!   fleet's secret from `NETCODE_FLEET_SECRET`; the last report, when the server stops, has
//!   no free slot. It prints whether the backend accepts the reports, and why not (400: an
//!   address players cannot dial; 409: another protocol or protocol id than its tokens').
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

mod common;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{http, Arg, DEMO_KEY, DEMO_PROTOCOL_ID};
use netcode::{IgnoredRequests, NetcodeServer, ServerConfig, Version, NETCODE_MAX_CLIENTS};

const USAGE: &str = "\
usage: server [BIND_ADDRESS] [--bind ADDR] [--public-address ADDR] [--protocol 1.00|1.02]
              [--protocol-id HEX] [--key-file FILE] [--max-clients N]
              [--max-token-lifetime N|none] [--seconds N] [--backend URL]

An echo server. Defaults: --bind 127.0.0.1:40000, the public address is the bound one,
--protocol 1.02, the demo protocol id (0x1122334455667788) and demo key of examples/client.rs,
256 slots, tokens of up to 30 s (--max-token-lifetime: match the backend's), and it runs until
Ctrl-C. --key-file FILE: 32 raw bytes. --seconds N: stop after N seconds. --backend URL: report
to the backend at URL (http://HOST:PORT) every second, with the secret in NETCODE_FLEET_SECRET.
";

struct Options {
    bind: SocketAddr,
    public_address: Option<SocketAddr>,
    version: Version,
    protocol_id: u64,
    key: [u8; 32],
    max_clients: usize,
    max_token_lifetime: Option<u32>,
    seconds: Option<f64>,
    backend: Option<http::Url>,
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
        max_clients: NETCODE_MAX_CLIENTS,
        max_token_lifetime: Some(30),
        seconds: None,
        backend: None,
    };
    let (mut bind, mut positional) = (None, None);
    let known = [
        "--bind",
        "--public-address",
        "--protocol",
        "--protocol-id",
        "--key-file",
        "--max-clients",
        "--max-token-lifetime",
        "--seconds",
        "--backend",
    ];
    for arg in common::args(args, &known)? {
        let (name, value) = match arg {
            Arg::Positional(text) => {
                common::only_address(&mut positional, &text, "BIND_ADDRESS")?;
                continue;
            }
            Arg::Named(name, value) => (name, value),
        };
        match name.as_str() {
            "--bind" => bind = Some(common::address(&value, &name)?),
            "--public-address" => options.public_address = Some(common::address(&value, &name)?),
            "--protocol" => options.version = common::version(&value)?,
            "--protocol-id" => options.protocol_id = common::protocol_id(&value)?,
            "--key-file" => options.key = common::key_file(&value)?,
            "--max-clients" => {
                options.max_clients = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=NETCODE_MAX_CLIENTS).contains(n))
                    .ok_or_else(|| {
                        format!("--max-clients: {value:?} is not 1 to {NETCODE_MAX_CLIENTS}")
                    })?
            }
            "--max-token-lifetime" => {
                options.max_token_lifetime = match value.as_str() {
                    "none" => None,
                    text => Some(text.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
                        format!(
                        "--max-token-lifetime: {text:?} is neither a number of seconds nor none"
                    )
                    })?),
                }
            }
            "--seconds" => options.seconds = Some(common::seconds(&value, &name)?),
            "--backend" => options.backend = Some(common::backend(&value)?),
            other => return Err(format!("unknown option {other}")),
        }
    }
    options.bind = match (bind, positional) {
        (Some(_), Some(_)) => return Err("give BIND_ADDRESS or --bind, not both".into()),
        (Some(address), None) | (None, Some(address)) => address,
        (None, None) => options.bind,
    };
    Ok(options)
}

fn run(options: &Options) -> Result<(), String> {
    let mut config =
        ServerConfig::new(options.bind, options.protocol_id, options.key).version(options.version);
    if let Some(public) = options.public_address {
        config = config.public_address(public);
    }
    config = config
        .max_clients(options.max_clients)
        .max_token_lifetime(options.max_token_lifetime);
    let mut server = NetcodeServer::new(config).map_err(|e| e.to_string())?;
    let connected = Arc::new(AtomicU64::new(0));
    let counter = connected.clone();
    server.on_client_connect(move |c, _| {
        counter.fetch_add(1, Ordering::Relaxed);
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

    let reporter = match &options.backend {
        Some(url) => Some(Reporter::start(
            url.clone(),
            &server,
            options.max_token_lifetime,
        )?),
        None => None,
    };

    let start = Instant::now();
    let (mut echoed, mut refused, mut reported_at) = (0u64, String::new(), None);
    loop {
        let time = start.elapsed().as_secs_f64();
        if options.seconds.is_some_and(|limit| time > limit) {
            break;
        }
        server.update(time);
        if let Some(reporter) = &reporter {
            reporter.free_slots(server.max_clients() - server.num_connected_clients());
        }
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
    if let Some(reporter) = reporter {
        reporter.stop();
    }
    server.disconnect_all();
    server.update(start.elapsed().as_secs_f64());
    let now = server.ignored_requests();
    println!(
        "server: stopped after {:.1} s: {} client(s) connected, {echoed} payload(s) echoed, {}",
        start.elapsed().as_secs_f64(),
        connected.load(Ordering::Relaxed),
        if now.total() == 0 {
            "nothing ignored".to_string()
        } else {
            format!("ignored {}", describe(&now, false))
        }
    );
    Ok(())
}

/// Reports the server to the backend every second, from a thread of its own (the game loop
/// never waits on HTTP): its public address, free slots, protocol and protocol id, with the
/// fleet's shared secret. It prints when the backend first accepts the reports and whenever
/// that changes (a 409 says the backend issues tokens of another protocol or protocol id; a
/// 400 that the public address is one players cannot dial).
struct Reporter {
    free: Arc<AtomicU32>,
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Reporter {
    fn start(
        url: http::Url,
        server: &NetcodeServer,
        max_token_lifetime: Option<u32>,
    ) -> Result<Reporter, String> {
        let secret = std::env::var("NETCODE_FLEET_SECRET").map_err(|_| {
            "--backend needs the fleet's secret in NETCODE_FLEET_SECRET (the backend's too)"
                .to_string()
        })?;
        let max = server.max_clients();
        let free = Arc::new(AtomicU32::new(max as u32));
        let stop = Arc::new(AtomicBool::new(false));
        let report = {
            let (address, version, id) = (
                server.public_address(),
                server.version(),
                server.protocol_id(),
            );
            let protocol = version.to_string().replace("NETCODE ", "");
            let lifetime = max_token_lifetime.map_or("null".to_string(), |s| s.to_string());
            move |free: u32| {
                format!(
                    "{{\"address\":\"{address}\",\"free_slots\":{free},\"max_slots\":{max},\
                     \"protocol\":\"{protocol}\",\"protocol_id\":\"{id:#x}\",\
                     \"max_token_lifetime\":{lifetime}}}"
                )
            }
        };
        let (shared_free, shared_stop) = (free.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut last = String::new();
            loop {
                let stopping = shared_stop.load(Ordering::Relaxed);
                // The last report has no free slot: the backend stops listing the server at
                // once instead of after its TTL.
                let free = if stopping {
                    0
                } else {
                    shared_free.load(Ordering::Relaxed)
                };
                let timeout = Duration::from_secs(2);
                let outcome = match http::post(
                    &url,
                    "/v1/servers/heartbeat",
                    &secret,
                    "*/*",
                    &report(free),
                    timeout,
                ) {
                    Ok(answer) if answer.status == 204 => format!("backend: reporting to {url}"),
                    Ok(answer) => format!(
                        "backend: {url} refused the report: {} {}",
                        answer.status,
                        answer.text()
                    ),
                    Err(message) => format!("backend: {message}"),
                };
                if outcome != last {
                    println!("{outcome}");
                    last = outcome;
                }
                if stopping {
                    return;
                }
                for _ in 0..10 {
                    if shared_stop.load(Ordering::Relaxed) {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        });
        Ok(Reporter { free, stop, thread })
    }

    fn free_slots(&self, free: usize) {
        self.free.store(free as u32, Ordering::Relaxed);
    }

    /// Sends the last report and waits for it.
    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
    }
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
