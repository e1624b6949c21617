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

use std::collections::HashSet;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use netcode::{
    ConnectionState, DisconnectReason, NetcodeClient, ServerAddresses, Token, TokenGenerator,
    TokenSettings, Version,
};

const DEMO_PROTOCOL_ID: u64 = 0x1122_3344_5566_7788;
const DEMO_KEY: [u8; 32] = *b"netcode-rs demo key: not secret!";

/// How long the client waits for the last echoes before it disconnects.
const DRAIN_SECONDS: f64 = 1.0;

const USAGE: &str = "\
usage: client [SERVER_ADDRESS] [--protocol 1.00|1.02] [--seconds N]
       client --token-file FILE [--seconds N]

Connects to an echo server, sends payloads, checks every echo, and exits 0 only if it connected,
got its payloads back intact and disconnected cleanly, with a one-line summary either way.
Demo mode (default): a token of its own for SERVER_ADDRESS (default 127.0.0.1:40000) with the
demo key and protocol id of examples/server.rs, --protocol 1.02 by default. --token-file FILE:
a 2048-byte connect token of either version instead. --seconds N: disconnect after N seconds
(default: run until the server disconnects it).
";

enum Mode {
    Demo {
        server: SocketAddr,
        version: Version,
    },
    TokenFile(String),
}

struct Options {
    mode: Mode,
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
            eprintln!("client: {message}\n");
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let token = match token(&options.mode) {
        Ok(token) => token,
        Err(message) => {
            eprintln!("client: {message}");
            return ExitCode::from(2);
        }
    };
    match run(&token, options.seconds) {
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
    let (mut server, mut version, mut token_file, mut seconds) = (None, None, None, None);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value.to_string())),
            _ => (arg.as_str(), None),
        };
        if !name.starts_with('-') {
            let address = name.parse::<SocketAddr>().map_err(|_| {
                format!("SERVER_ADDRESS: {name:?} is not an IP address with a port (127.0.0.1:40000, [::1]:40000)")
            })?;
            if server.replace(address).is_some() {
                return Err(format!(
                    "unexpected argument {name:?}: one SERVER_ADDRESS at most"
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
            "--protocol" => {
                let text = value()?;
                version = Some(
                    text.parse::<Version>()
                        .map_err(|_| format!("--protocol: {text:?} is neither 1.00 nor 1.02"))?,
                );
            }
            "--token-file" => token_file = Some(value()?),
            "--seconds" => {
                let text = value()?;
                seconds = Some(match text.parse::<f64>() {
                    Ok(s) if s.is_finite() && s >= 0.0 => s,
                    _ => return Err(format!("--seconds: {text:?} is not a number of seconds")),
                });
            }
            _ => return Err(format!("unknown option {name}")),
        }
    }
    let mode = match token_file {
        Some(_) if server.is_some() => {
            return Err("--token-file: the token lists its servers; give no SERVER_ADDRESS".into())
        }
        Some(_) if version.is_some() => {
            return Err("--token-file: the token carries its version; give no --protocol".into())
        }
        Some(path) => Mode::TokenFile(path),
        None => Mode::Demo {
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
    }
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
fn run(token: &Token, seconds: Option<f64>) -> Result<String, String> {
    let servers = token.servers().as_slice();
    let server = match servers {
        [one] => one.to_string(),
        many => format!(
            "one of {}",
            many.iter()
                .map(SocketAddr::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let bind: SocketAddr = if servers[0].is_ipv4() {
        "0.0.0.0:0".parse().expect("a valid address")
    } else {
        "[::]:0".parse().expect("a valid address")
    };
    let mut client = NetcodeClient::new(bind).map_err(|e| e.to_string())?;
    client
        .connect(token)
        .map_err(|e| format!("cannot connect: {e}"))?;
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
    let start = Instant::now();
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
            return Err(format!("payload mismatch: {fault}"));
        }

        if state.is_error() || state == ConnectionState::Disconnected {
            let Some(connected_at) = connected_at else {
                return Err(format!(
                    "never connected to {server}: {}",
                    explain(state, token.version())
                ));
            };
            let exchanged = format!(
                "{} payload(s) echoed intact of {sent} sent in {:.1} s",
                echoed.len(),
                time - connected_at
            );
            if state.is_error() {
                return Err(format!(
                    "connected to {server}, {exchanged}, then {}",
                    explain(state, token.version())
                ));
            }
            if !server_disconnected {
                return Err(format!(
                    "connected to {server}, {exchanged}, then disconnected without the server's disconnect packets"
                ));
            }
            if echoed.is_empty() {
                return Err(format!(
                    "connected to {server}, but the server disconnected the client before any echo ({sent} sent)"
                ));
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
                return Err(format!(
                    "timed out: still {state} to {server} after {} s",
                    seconds.unwrap_or_default()
                ));
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
                    return Err(format!(
                        "connected to {server}, but no payload came back ({sent} sent)"
                    ));
                }
                if client.state() != ConnectionState::Disconnected {
                    return Err(format!(
                        "connected to {server}, {exchanged}, but ended {} after disconnecting",
                        client.state()
                    ));
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
                .map_err(|e| format!("cannot send payload {sent}: {e}"))?;
            sent += 1;
        }
        std::thread::sleep(Duration::from_millis(10));
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
