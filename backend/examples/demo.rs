//! The whole netcode.io architecture on this machine, in one command:
//!
//!     cargo run -p netcode-backend --example demo
//!
//! It starts the backend (in this process, memory store), two dedicated servers and four
//! players (the netcode crate's examples/server.rs and examples/client.rs, as processes),
//! prints what each of them says, and along the way: kills server A, so its players time
//! out and fetch new tokens that name only server B; sends a player with a forged session
//! (401) and one over its limit (429); and ends with the backend's /metrics.
//!
//!     players --(HTTPS in production) POST /v1/connect--> backend --> connect token
//!     players --(UDP, netcode.io, with the token)--> server A / server B
//!     servers --POST /v1/servers/heartbeat (fleet secret)--> backend

mod support;

use std::time::Duration;

use support::{Backend, Proc};

fn say(line: &str) {
    println!("{:>10} | {line}", "demo");
}

fn main() {
    // The backend's own log lines (token issued, refusals at debug level), as it logs them.
    tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_ansi(false)
        .init();
    say("building the examples (server, client) if they are not yet...");
    support::examples();
    let key = support::key_file();
    let config = support::config(
        &key,
        &[
            ("NETCODE_BACKEND_TIMEOUT_SECONDS", "3"),
            ("NETCODE_BACKEND_PLAYER_LIMIT", "3/60"),
        ],
    );
    let backend = Backend::start(config);
    say(&format!(
        "backend on {}: tokens for NETCODE 1.02, protocol id {:#x}, 3 per player a minute",
        backend.url,
        support::PROTOCOL_ID
    ));

    let server = |name: &str| {
        let address = support::free_udp_address();
        let mut server = support::server(
            name,
            address,
            &key,
            &backend.url,
            &["--max-clients", "8"],
            true,
        );
        server.wait_for("backend: reporting to", Duration::from_secs(20));
        server
    };
    let mut a = server("server A");
    let mut b = server("server B");

    let mut players: Vec<Proc> = (1..=4)
        .map(|id| {
            let name = format!("player {id}");
            support::player(&name, &backend.url, &support::session(id), 10.0, true)
        })
        .collect();
    std::thread::sleep(Duration::from_secs(3));

    say("killing server A (no goodbye): its players time out after 3 s and ask for new tokens");
    a.kill();
    std::thread::sleep(Duration::from_secs(1));

    say("a player with a forged session:");
    let mut forged = support::player("forged", &backend.url, "42.99999999999.forged", 2.0, true);
    forged.wait(Duration::from_secs(10));

    say("player 9 asks for tokens four times in a row (limit 3 a minute):");
    let client = reqwest::blocking::Client::new();
    let session = support::session(9);
    for _ in 0..4 {
        let answer = client
            .post(backend.at("/v1/connect"))
            .bearer_auth(&session)
            .send();
        match answer {
            Ok(answer) => say(&format!(
                "  {} {}",
                answer.status(),
                answer
                    .headers()
                    .get("retry-after")
                    .map(|s| format!("(Retry-After: {} s)", s.to_str().unwrap_or("?")))
                    .unwrap_or_default()
            )),
            Err(e) => say(&format!("  no answer: {e}")),
        }
    }

    let mut all_ok = true;
    for player in &mut players {
        all_ok &= player.wait(Duration::from_secs(30)).success();
    }
    b.kill();
    say("the backend's /metrics:");
    if let Ok(text) = reqwest::blocking::get(backend.at("/metrics")).and_then(|r| r.text()) {
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            say(&format!("  {line}"));
        }
    }
    say(if all_ok {
        "every player connected, exchanged payloads and disconnected cleanly"
    } else {
        "a player failed: see its lines above"
    });
    if !all_ok {
        std::process::exit(1);
    }
}
