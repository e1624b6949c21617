//! A standalone client, to check examples/server.rs or any netcode.io echo server: it
//! connects, sends payloads, checks every echo, disconnects, and says in one line whether all
//! of that worked.
//!
//!     cargo run --example client -- [SERVER_ADDRESS] [OPTIONS]
//!
//! By default (demo mode), like the reference's example client, it makes its own connect token
//! for SERVER_ADDRESS (default 127.0.0.1:40000) with the demo protocol id and demo key shared
//! with examples/server.rs (a real game gets its token from its web backend). Options:
//!
//! - `--protocol 1.00|1.02`: the version of the demo-mode token, hence of the client (default
//!   1.02, as the server's default).
//! - `--token-file FILE`: connect with this connect token instead, the 2048 bytes a backend or
//!   any implementation writes, of either version (it names the servers and the version, so it
//!   goes without SERVER_ADDRESS and `--protocol`).
//! - `--backend URL`: fetch the tokens from the backend at URL (backend/, `http://HOST:PORT`)
//!   with the player's session from `NETCODE_SESSION` (what the game's login hands out); when
//!   a connection fails in a way a new token may mend (no server answered, denied because
//!   full, the token expired, the server went silent), fetch a new one, up to 5 in a row
//!   without connecting. A 429 or 503 is waited out within `--seconds`; a 401 ends the run.
//! - `--seconds N`: send payloads for N seconds once connected, then wait up to a second for
//!   the last echoes and disconnect; N counts from the start, so a client still connecting
//!   after N seconds gives up. Without it the client runs until the server disconnects it,
//!   an error, or Ctrl-C (which prints nothing).
//! - `--help`: print the usage.
//!
//! While connected it sends a payload every 10 ms, of 8 to 1200 bytes, each one different
//! (numbered), and checks that every echo is one it sent, unchanged, and arrived once.
//!
//! It ends with a one-line summary, `client: OK: ...` or `client: FAILED: ...`, and exit code
//! 0 only if it connected, got echoes that were all intact, and disconnected cleanly: it
//! disconnected itself (after `--seconds`) or the server disconnected it (with its disconnect
//! packets); the summary says which, and how many echoes went missing (not an error: UDP may
//! lose packets). Otherwise exit code 1, and the summary says what failed: never connected
//! (and the client's error state, e.g. "connection request timed out": no server there, or
//! one with another key, protocol id or version than the token's; "connection denied": the
//! server is full), still connecting when `--seconds` ran out, an echo that differs from
//! every payload sent, no echo at all, or the connection timing out. Exit code 2: bad
//! arguments, or a token or key file that cannot be used.

mod common;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use common::{http, Arg, DEMO_KEY, DEMO_PROTOCOL_ID};
use netcode::{
    ConnectionState, DisconnectReason, NetcodeClient, ServerAddresses, Token, TokenGenerator,
    TokenSettings, Version,
};

/// How long the client waits for the last echoes before it disconnects.
const DRAIN_SECONDS: f64 = 1.0;

/// In backend mode, how many tokens in a row the client fetches without connecting before it
/// gives up.
const MAX_ATTEMPTS: u32 = 5;

const USAGE: &str = "\
usage: client [SERVER_ADDRESS] [--protocol 1.00|1.02] [--seconds N]
       client --token-file FILE [--seconds N]
       client --backend URL [--seconds N]

Connects to an echo server, sends payloads, checks every echo, and exits 0 only if it connected,
got its payloads back intact and disconnected cleanly, with a one-line summary either way.
Demo mode (default): a token of its own for SERVER_ADDRESS (default 127.0.0.1:40000) with the
demo key and protocol id of examples/server.rs, --protocol 1.02 by default. --token-file FILE:
a 2048-byte connect token of either version instead. --backend URL: fetch tokens from the
backend at URL (http://HOST:PORT) with the session in NETCODE_SESSION, and a new one when a
connection fails. --seconds N: disconnect after N seconds (default: run until the server
disconnects it).
";

enum Mode {
    Demo {
        server: SocketAddr,
        version: Version,
    },
    TokenFile(String),
    Backend {
        url: http::Url,
        session: String,
    },
}

struct Options {
    mode: Mode,
    seconds: Option<f64>,
}

fn main() -> ExitCode {
    let start = Instant::now();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let options = match parse(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("client: {message}\n");
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let outcome = match &options.mode {
        Mode::Backend { url, session } => via_backend(url, session, start, options.seconds),
        mode => match token(mode) {
            Ok(token) => run(&token, start, options.seconds).map_err(|failure| failure.summary),
            Err(message) => {
                eprintln!("client: {message}");
                return ExitCode::from(2);
            }
        },
    };
    match outcome {
        Ok(summary) => {
            println!("client: OK: {summary}");
            ExitCode::SUCCESS
        }
        Err(summary) => {
            println!("client: FAILED: {summary}");
            ExitCode::FAILURE
        }
    }
}

fn parse(args: &[String]) -> Result<Options, String> {
    let (mut server, mut version, mut token_file, mut backend, mut seconds) =
        (None, None, None, None, None);
    let known = ["--protocol", "--token-file", "--backend", "--seconds"];
    for arg in common::args(args, &known)? {
        let (name, value) = match arg {
            Arg::Positional(text) => {
                common::only_address(&mut server, &text, "SERVER_ADDRESS")?;
                continue;
            }
            Arg::Named(name, value) => (name, value),
        };
        match name.as_str() {
            "--protocol" => version = Some(common::version(&value)?),
            "--token-file" => token_file = Some(value),
            "--backend" => backend = Some(common::backend(&value)?),
            "--seconds" => seconds = Some(common::seconds(&value, &name)?),
            other => return Err(format!("unknown option {other}")),
        }
    }
    let mode = match (token_file, backend) {
        (Some(_), Some(_)) => return Err("give --token-file or --backend, not both".into()),
        (Some(_), None) | (None, Some(_)) if server.is_some() => {
            return Err(
                "--token-file, --backend: the token lists its servers; give no SERVER_ADDRESS"
                    .into(),
            )
        }
        (Some(_), None) | (None, Some(_)) if version.is_some() => {
            return Err(
                "--token-file, --backend: the token carries its version; give no --protocol".into(),
            )
        }
        (Some(path), None) => Mode::TokenFile(path),
        (None, Some(url)) => Mode::Backend {
            url,
            session: std::env::var("NETCODE_SESSION").map_err(|_| {
                "--backend: put the player's session (from the game's login) in NETCODE_SESSION"
                    .to_string()
            })?,
        },
        (None, None) => Mode::Demo {
            server: server.unwrap_or_else(|| "127.0.0.1:40000".parse().expect("a valid address")),
            version: version.unwrap_or_default(),
        },
    };
    Ok(Options { mode, seconds })
}

fn token(mode: &Mode) -> Result<Token, String> {
    match mode {
        Mode::Demo { server, version } => {
            let random = netcode::generate_key();
            let client_id = u64::from_le_bytes(random[..8].try_into().expect("8 bytes"));
            let settings = TokenSettings::new(DEMO_PROTOCOL_ID, ServerAddresses::one(*server))
                .version(*version);
            TokenGenerator::new(settings, &DEMO_KEY)
                .and_then(|generator| generator.generate(client_id, &[0; 256]))
                .map_err(|e| format!("cannot make a demo token: {e}"))
        }
        Mode::TokenFile(path) => {
            let bytes = std::fs::read(path)
                .map_err(|e| format!("--token-file: cannot read {path}: {e}"))?;
            Token::from_bytes(&bytes).map_err(|e| format!("--token-file: {path}: {e}"))
        }
        Mode::Backend { .. } => Err("backend mode fetches its tokens".into()),
    }
}

/// Backend mode: fetches a token, connects, exchanges payloads; when a connection fails in a
/// way another token may mend (no server answered, denied because full, the token expired,
/// the server vanished), fetches a new one, up to [`MAX_ATTEMPTS`] in a row without
/// connecting. Waits out a 429's `Retry-After` and a 503 (no server has room) within the
/// time `--seconds` leaves.
fn via_backend(
    url: &http::Url,
    session: &str,
    start: Instant,
    seconds: Option<f64>,
) -> Result<String, String> {
    let (mut fetched, mut failed_in_a_row) = (0u32, 0u32);
    let time_left = || seconds.map(|limit| limit - start.elapsed().as_secs_f64());
    loop {
        let answer = http::post(
            url,
            "/v1/connect",
            session,
            "application/octet-stream",
            "",
            Duration::from_secs(5),
        )?;
        let wait = match answer.status {
            200 => None,
            429 => Some(
                answer
                    .header("retry-after")
                    .and_then(|s| s.parse::<f64>().ok())
                    .unwrap_or(1.0),
            ),
            503 => Some(1.0),
            status => {
                return Err(format!(
                    "the backend at {url} refused a token: {status} {}",
                    answer.text()
                ))
            }
        };
        if let Some(wait) = wait {
            println!(
                "backend: {} {}; asking again in {wait} s",
                answer.status,
                answer.text()
            );
            if time_left().is_some_and(|left| left < wait) {
                return Err(format!(
                    "no token from the backend at {url} before --seconds ran out: {} {}",
                    answer.status,
                    answer.text()
                ));
            }
            std::thread::sleep(Duration::from_secs_f64(wait));
            continue;
        }
        let token = Token::from_bytes(&answer.body)
            .map_err(|e| format!("the backend at {url} sent a token that is not one: {e}"))?;
        fetched += 1;
        println!(
            "backend: token {fetched}, for {}",
            list(token.servers().as_slice())
        );
        match run(&token, start, seconds) {
            Ok(summary) => return Ok(format!("{summary} (token {fetched} of the backend)")),
            Err(failure) if failure.retry && !time_left().is_some_and(|left| left <= 0.0) => {
                failed_in_a_row = if failure.connected {
                    1
                } else {
                    failed_in_a_row + 1
                };
                if failed_in_a_row >= MAX_ATTEMPTS {
                    return Err(format!(
                        "{} ({failed_in_a_row} tokens in a row without connecting)",
                        failure.summary
                    ));
                }
                println!("client: {}; fetching a new token", failure.summary);
            }
            Err(failure) => return Err(failure.summary),
        }
    }
}

fn list(servers: &[SocketAddr]) -> String {
    servers
        .iter()
        .map(SocketAddr::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why a run failed, and whether another token might help.
struct Failure {
    summary: String,
    /// The client had connected before it failed.
    connected: bool,
    /// A fresh token may mend it (an error state of the connection).
    retry: bool,
}

/// The payload numbered `sequence`: the number, then bytes that depend on it, 8 to 1200 bytes
/// long.
fn payload(sequence: u64) -> Vec<u8> {
    let max = netcode::NETCODE_MAX_PAYLOAD_SIZE as u64;
    let length = 8 + (sequence * 131) % (max - 7);
    let mut bytes = sequence.to_le_bytes().to_vec();
    bytes.extend((8..length).map(|i| (i as u8) ^ (sequence as u8).wrapping_mul(37)));
    bytes
}

/// Connects with `token`, exchanges payloads and disconnects: the summary, `Err` if any of it
/// failed.
fn run(token: &Token, start: Instant, seconds: Option<f64>) -> Result<String, Failure> {
    let servers = token.servers().as_slice();
    let server = match servers {
        [one] => one.to_string(),
        many => format!("one of {}", list(many)),
    };
    let bind: SocketAddr = if servers[0].is_ipv4() {
        "0.0.0.0:0".parse().expect("a valid address")
    } else {
        "[::]:0".parse().expect("a valid address")
    };
    let mut client = NetcodeClient::new(bind).map_err(|e| Failure::fatal(e.to_string()))?;
    client
        .connect(token)
        .map_err(|e| Failure::fatal(format!("cannot connect: {e}")))?;
    println!(
        "client connecting to {server} from {} ({}, protocol id {:#018x})",
        client.local_address(),
        token.version(),
        token.protocol_id()
    );

    let mut sent = 0u64;
    let mut echoed = HashSet::new();
    let mut connected_at = None;
    let mut drain_from = None;
    let mut server_disconnected = false;
    loop {
        let time = start.elapsed().as_secs_f64();
        client.update(time);
        while let Some(change) = client.next_event() {
            match change.reason {
                Some(reason) => println!("{} -> {} ({reason})", change.from, change.to),
                None => println!("{} -> {}", change.from, change.to),
            }
            if change.to == ConnectionState::Disconnected
                && change.reason == Some(DisconnectReason::DisconnectPacket)
            {
                server_disconnected = true;
            }
        }
        let state = client.state();
        if state == ConnectionState::Connected && connected_at.is_none() {
            connected_at = Some(time);
        }

        loop {
            let Some(echo) = client.receive() else {
                break;
            };
            let sequence = echo
                .get(..8)
                .map(|bytes| u64::from_le_bytes(bytes.try_into().expect("8 bytes")));
            let fault = match sequence {
                Some(n) if n < sent && echo[..] == payload(n)[..] => {
                    if echoed.insert(n) {
                        continue;
                    }
                    format!("the echo of payload {n} arrived twice")
                }
                Some(n) if n < sent => format!(
                    "the echo of payload {n} differs from it ({} bytes back, {} sent)",
                    echo.len(),
                    payload(n).len()
                ),
                _ => format!(
                    "an echo of {} bytes matches no payload sent ({sent} sent)",
                    echo.len()
                ),
            };
            drop(echo);
            client.disconnect();
            return Err(Failure::fatal(format!("payload mismatch: {fault}")));
        }

        if state.is_error() || state == ConnectionState::Disconnected {
            let Some(connected_at) = connected_at else {
                return Err(Failure::retry(
                    false,
                    format!(
                        "never connected to {server}: {}",
                        explain(state, token.version())
                    ),
                ));
            };
            let exchanged = format!(
                "{} payload(s) echoed intact of {sent} sent in {:.1} s",
                echoed.len(),
                time - connected_at
            );
            if state.is_error() {
                return Err(Failure::retry(
                    true,
                    format!(
                        "connected to {server}, {exchanged}, then {}",
                        explain(state, token.version())
                    ),
                ));
            }
            if !server_disconnected {
                return Err(Failure::fatal(format!(
                    "connected to {server}, {exchanged}, then disconnected without the server's disconnect packets"
                )));
            }
            if echoed.is_empty() {
                return Err(Failure::fatal(format!(
                    "connected to {server}, but the server disconnected the client before any echo ({sent} sent)"
                )));
            }
            return Ok(format!(
                "connected to {server} ({}), {exchanged} ({} lost), disconnected by the server",
                token.version(),
                sent - echoed.len() as u64
            ));
        }

        if seconds.is_some_and(|limit| time > limit) {
            if connected_at.is_none() {
                client.disconnect();
                return Err(Failure::fatal(format!(
                    "timed out: still {state} to {server} after {} s",
                    seconds.unwrap_or_default()
                )));
            }
            let drain = *drain_from.get_or_insert(time);
            if echoed.len() as u64 == sent || time - drain > DRAIN_SECONDS {
                client.disconnect();
                let exchanged = format!(
                    "{} payload(s) echoed intact of {sent} sent in {:.1} s",
                    echoed.len(),
                    drain - connected_at.unwrap_or_default()
                );
                if echoed.is_empty() {
                    return Err(Failure::fatal(format!(
                        "connected to {server}, but no payload came back ({sent} sent)"
                    )));
                }
                if client.state() != ConnectionState::Disconnected {
                    return Err(Failure::fatal(format!(
                        "connected to {server}, {exchanged}, but ended {} after disconnecting",
                        client.state()
                    )));
                }
                return Ok(format!(
                    "connected to {server} ({}), {exchanged} ({} lost), disconnected by the client",
                    token.version(),
                    sent - echoed.len() as u64
                ));
            }
        } else if state == ConnectionState::Connected {
            client
                .send(&payload(sent))
                .map_err(|e| Failure::fatal(format!("cannot send payload {sent}: {e}")))?;
            sent += 1;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

impl Failure {
    fn fatal(summary: String) -> Failure {
        Failure {
            summary,
            connected: false,
            retry: false,
        }
    }

    fn retry(connected: bool, summary: String) -> Failure {
        Failure {
            summary,
            connected,
            retry: true,
        }
    }
}

/// An error state in words, with what usually causes it.
fn explain(state: ConnectionState, version: Version) -> String {
    match state {
        ConnectionState::ConnectionRequestTimedOut => format!(
            "{state}: no server answered; check that one runs at the token's address, speaks \
             {version}, and has the key and protocol id the token was made with"
        ),
        _ => match state.hint() {
            Some(hint) => format!("{state}: {hint}"),
            None => state.to_string(),
        },
    }
}
