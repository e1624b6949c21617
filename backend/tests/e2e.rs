//! The whole architecture over loopback: the backend (in this process), dedicated servers and
//! players (the netcode crate's examples, as processes), and for the shared-store tests a
//! redis-server of their own.

#[path = "../examples/support/mod.rs"]
mod support;

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use base64::Engine;
use netcode::Token;
use netcode_backend::ConnectResponse;
use reqwest::blocking::{Client, Response};
use reqwest::StatusCode;
use support::{Backend, Proc, Redis, TempFile};

const WAIT: Duration = Duration::from_secs(20);

/// A token request for `session` (any bearer value), from the address `from` as the load
/// balancer would name it (`X-Forwarded-For`; the backend trusts it only when told to).
fn ask(backend: &Backend, session: &str, from: Option<&str>) -> Response {
    let mut request = Client::new()
        .post(backend.at("/v1/connect"))
        .bearer_auth(session);
    if let Some(from) = from {
        request = request.header("x-forwarded-for", from);
    }
    request.send().expect("the backend answers")
}

/// The JSON answer of a 200, with its token decoded.
fn token_of(response: Response) -> (ConnectResponse, Token) {
    assert_eq!(response.status(), StatusCode::OK);
    let answer: ConnectResponse = response.json().expect("JSON");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&answer.connect_token)
        .expect("base64");
    let token = Token::from_bytes(&bytes).expect("a connect token");
    (answer, token)
}

/// A server report, as examples/server.rs sends it.
fn report(backend: &Backend, secret: &str, body: &str) -> Response {
    Client::new()
        .post(backend.at("/v1/servers/heartbeat"))
        .bearer_auth(secret)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .expect("the backend answers")
}

fn report_of(address: SocketAddr, free: u32) -> String {
    format!(
        r#"{{"address":"{address}","free_slots":{free},"max_slots":64,"protocol":"1.02","protocol_id":"{:#x}"}}"#,
        support::PROTOCOL_ID
    )
}

/// Waits until `condition` holds, up to `timeout`.
fn eventually(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    condition()
}

/// A server example reporting to `backend`, waited for until the backend accepts it.
fn server(name: &str, key: &TempFile, backend: &Backend, extra: &[&str]) -> (Proc, SocketAddr) {
    let address = support::free_udp_address();
    let mut server = support::server(name, address, key, &backend.url, extra, false);
    assert!(
        server.wait_for("backend: reporting to", WAIT),
        "{name} never registered:\n{}",
        server.output()
    );
    (server, address)
}

/// The backend, two dedicated servers and 20 players fetching tokens over HTTP and
/// exchanging payloads; then one server is killed and new tokens name only the other.
#[test]
fn two_servers_twenty_players_then_one_server_dies() {
    support::examples();
    let key = support::key_file();
    let backend = Backend::start(support::config(&key, &[]));
    let (mut a, address_a) = server("server A", &key, &backend, &["--max-clients", "16"]);
    let (b, address_b) = server("server B", &key, &backend, &["--max-clients", "16"]);
    assert_eq!(backend.metric("netcode_backend_live_servers"), Some(2.0));

    let mut players: Vec<Proc> = (1..=20)
        .map(|id| {
            support::player(
                &format!("player {id}"),
                &backend.url,
                &support::session(id),
                3.0,
                false,
            )
        })
        .collect();
    for player in &mut players {
        let status = player.wait(WAIT);
        let output = player.output();
        assert!(status.success(), "{} failed:\n{output}", player.name);
        assert!(
            output.contains("client: OK: connected to"),
            "{}:\n{output}",
            player.name
        );
    }
    assert_eq!(
        backend.metric("netcode_backend_tokens_issued_total"),
        Some(20.0)
    );
    // Least loaded first, counting the slots of tokens just issued as taken: a burst of
    // players spreads over both servers.
    let on = |server: &Proc| server.output().matches(" connected from ").count();
    assert_eq!(
        on(&a) + on(&b),
        20,
        "A:\n{}\nB:\n{}",
        a.output(),
        b.output()
    );
    assert!(on(&a) >= 5 && on(&b) >= 5, "A got {}, B {}", on(&a), on(&b));
    // Once the servers have reported that the players left:
    assert!(eventually(Duration::from_secs(5), || backend
        .metric("netcode_backend_free_slots")
        == Some(32.0)));

    // Each token: both servers, this backend's version and protocol id, the player's id.
    let (answer, token) = token_of(ask(&backend, &support::session(21), None));
    let listed: HashSet<SocketAddr> = token.servers().as_slice().iter().copied().collect();
    assert_eq!(listed, HashSet::from([address_a, address_b]), "{answer:?}");
    assert_eq!(answer.servers, token.servers().as_slice());
    assert_eq!(
        (token.version(), token.protocol_id()),
        (netcode::Version::V1_02, support::PROTOCOL_ID)
    );
    let key_bytes = std::fs::read(&key.0).unwrap();
    let private = token
        .decode(key_bytes.as_slice().try_into().unwrap())
        .unwrap();
    assert_eq!((private.client_id, answer.client_id), (21, 21));

    a.kill();
    assert!(
        eventually(Duration::from_secs(8), || backend
            .metric("netcode_backend_live_servers")
            == Some(1.0)),
        "the backend still lists server A after it died"
    );
    let (_, token) = token_of(ask(&backend, &support::session(22), None));
    assert_eq!(token.servers().as_slice(), [address_b]);
    let mut late = support::player("late", &backend.url, &support::session(23), 1.0, false);
    assert!(late.wait(WAIT).success(), "{}", late.output());
    assert!(
        late.output().contains(&format!("connected to {address_b}")),
        "{}",
        late.output()
    );
    drop(b);
}

/// A player whose server dies times out, fetches a new token, and carries on on the other.
#[test]
fn a_player_moves_on_when_its_server_dies() {
    support::examples();
    let key = support::key_file();
    let config = support::config(&key, &[("NETCODE_BACKEND_TIMEOUT_SECONDS", "2")]);
    let backend = Backend::start(config);
    let (mut a, _) = server("server A", &key, &backend, &[]);
    let mut player = support::player("player", &backend.url, &support::session(7), 12.0, false);
    assert!(
        a.wait_for(" connected from ", WAIT),
        "{}\n{}",
        a.output(),
        player.output()
    );
    let (mut b, _) = server("server B", &key, &backend, &[]);
    a.kill();
    let status = player.wait(Duration::from_secs(30));
    let output = player.output();
    assert!(status.success(), "{output}");
    assert!(
        output.contains("then connection timed out: the server went silent"),
        "{output}"
    );
    assert!(output.contains("client: OK: connected to"), "{output}");
    assert!(output.contains("(token 2 of the backend)"), "{output}");
    assert!(
        b.wait_for(" connected from ", Duration::from_secs(5)),
        "{}",
        b.output()
    );
}

/// A player whose token expires before any server answers (its only server is gone without a
/// word) fetches another, and connects once a live server is listed.
#[test]
fn a_player_fetches_a_new_token_when_its_token_expires() {
    support::examples();
    let key = support::key_file();
    let config = support::config(&key, &[("NETCODE_BACKEND_TOKEN_SECONDS", "2")]);
    let backend = Backend::start(config);
    // A server that reported once and died: listed until the TTL (3 s) ends.
    let dead = support::free_udp_address();
    assert_eq!(
        report(&backend, support::FLEET_SECRET, &report_of(dead, 64)).status(),
        StatusCode::NO_CONTENT
    );
    let mut player = support::player("player", &backend.url, &support::session(3), 10.0, false);
    assert!(
        player.wait_for(&format!("backend: token 1, for {dead}"), WAIT),
        "{}",
        player.output()
    );
    // (A server refuses tokens shorter-lived than its max_token_lifetime for that long after
    // it starts: the restart rule, finding 5d. This one's matches the backend's 2 s. Expiries
    // are whole seconds, so a 1-s token can reach a server already expired.)
    let (mut live, _) = server("live", &key, &backend, &["--max-token-lifetime", "2"]);
    let status = player.wait(Duration::from_secs(30));
    let output = player.output();
    assert!(status.success(), "{output}");
    assert!(
        output.contains("connect token expired") && output.contains("fetching a new token"),
        "{output}"
    );
    assert!(output.contains("client: OK: connected to"), "{output}");
    assert!(
        live.wait_for(" connected from ", Duration::from_secs(5)),
        "{}",
        live.output()
    );
}

/// 429 with Retry-After over the per-player limit; the per-address limit counts before
/// authentication, IPv6 by /64; 401 for bad credentials; 503 with no server.
#[test]
fn limits_and_refusals() {
    let key = support::key_file();
    let config = support::config(
        &key,
        &[
            ("NETCODE_BACKEND_PLAYER_LIMIT", "3/60"),
            ("NETCODE_BACKEND_ADDRESS_LIMIT", "5/60"),
            ("NETCODE_BACKEND_TRUST_FORWARDED_FOR", "1"),
        ],
    );
    let backend = Backend::start(config);
    let good = support::session(1);

    // No server yet.
    let response = ask(&backend, &good, Some("192.0.2.1"));
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.text().unwrap().contains("no_server"));

    assert_eq!(
        report(
            &backend,
            support::FLEET_SECRET,
            &report_of("127.0.0.1:40000".parse().unwrap(), 64)
        )
        .status(),
        StatusCode::NO_CONTENT
    );
    // The 503 did not count against player 1: three pass, the fourth is over. (The address
    // is the last X-Forwarded-For entry, with or without a port, whatever comes before it.)
    for from in [
        "192.0.2.2",
        "\u{e9}t\u{e9}, 192.0.2.3:5555",
        "[2001:db8:9::1]:443",
    ] {
        assert_eq!(ask(&backend, &good, Some(from)).status(), StatusCode::OK);
    }
    let limited = ask(&backend, &good, Some("192.0.2.4"));
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert!(limited.text().unwrap().contains("this player"));

    // Per address: five requests, whoever makes them (bad credentials count too).
    for _ in 0..3 {
        assert_eq!(
            ask(&backend, "guess", Some("198.51.100.9")).status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        ask(&backend, &support::session(2), Some("198.51.100.9")).status(),
        StatusCode::OK
    );
    assert_eq!(
        ask(&backend, &support::session(3), Some("198.51.100.9")).status(),
        StatusCode::OK
    );
    let limited = ask(&backend, &support::session(4), Some("198.51.100.9"));
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.text().unwrap().contains("this address"));
    // IPv6: one /64 is one address; the next /64 is another.
    for host in 1..=5 {
        let from = format!("2001:db8:0:1::{host}");
        assert_eq!(
            ask(&backend, &support::session(100 + host), Some(&from)).status(),
            StatusCode::OK
        );
    }
    assert_eq!(
        ask(
            &backend,
            &support::session(106),
            Some("2001:db8:0:1:ffff::1")
        )
        .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        ask(&backend, &support::session(107), Some("2001:db8:0:2::1")).status(),
        StatusCode::OK
    );

    // A last entry that is not an address is the balancer's mistake, not the client's
    // budget: 400, counted nowhere.
    let bad = ask(
        &backend,
        &support::session(30),
        Some("192.0.2.9, not-an-address"),
    );
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(bad.text().unwrap().contains("X-Forwarded-For"));

    // 401s: forged, altered, expired, another secret's, missing.
    let other = netcode_backend::SessionTokens::new(b"another secret of 32 bytes or more".to_vec())
        .unwrap();
    let expired = support::sessions().issue(8, Duration::ZERO);
    let altered = support::session(9).replacen('9', "1", 1);
    let cases = [
        ("garbage", "garbage".to_string()),
        ("altered", altered),
        ("another secret", other.issue(10, Duration::from_secs(60))),
        ("expired", expired),
    ];
    for (n, (what, session)) in cases.iter().enumerate() {
        let response = ask(&backend, session, Some(&format!("203.0.113.{n}")));
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{what}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let text = response.text().unwrap();
        assert!(
            text.contains(if *what == "expired" {
                "expired"
            } else {
                "not valid"
            }),
            "{what}: {text}"
        );
    }
    let missing = Client::new()
        .post(backend.at("/v1/connect"))
        .header("x-forwarded-for", "203.0.113.50")
        .send()
        .unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert!(missing.text().unwrap().contains("no credentials"));

    assert_eq!(
        backend.metric("netcode_backend_rate_limited_total{limit=\"player\"}"),
        Some(1.0)
    );
    assert_eq!(
        backend.metric("netcode_backend_rate_limited_total{limit=\"address\"}"),
        Some(2.0)
    );
    assert_eq!(
        backend.metric("netcode_backend_rejected_total{reason=\"unauthorized\"}"),
        Some(8.0)
    );
    // Wrong fleet secrets are throttled like token requests (5 per address here).
    for n in 0..6 {
        let response = Client::new()
            .post(backend.at("/v1/servers/heartbeat"))
            .bearer_auth("a guess at the fleet secret")
            .header("x-forwarded-for", "198.51.100.77")
            .body("{}")
            .send()
            .unwrap();
        let expected = if n < 5 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(response.status(), expected, "guess {n}");
    }
    assert_eq!(
        backend.metric("netcode_backend_rejected_total{reason=\"no_server\"}"),
        Some(1.0)
    );
}

/// Raw bytes to the backend's port: its answer's status line (empty if it closed).
fn raw(backend: &Backend, bytes: &[u8]) -> String {
    let mut stream = TcpStream::connect(backend.address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let _ = stream.write_all(bytes);
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

/// Malformed, oversized and garbage requests get 4xx answers (or a closed connection), never
/// a crash: the backend answers normally afterwards. Server reports are checked: the fleet
/// secret, the JSON, an address players can dial, the protocol and protocol id.
#[test]
fn garbage_and_bad_reports() {
    let key = support::key_file();
    let backend = Backend::start(support::config(&key, &[]));
    let session = support::session(1);
    let post = |path: &str, body: Vec<u8>| {
        Client::new()
            .post(backend.at(path))
            .bearer_auth(&session)
            .body(body)
            .send()
            .unwrap()
            .status()
    };
    assert_eq!(
        post("/v1/connect", b"{not json".to_vec()),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        post("/v1/connect", br#"{"client_id": 7}"#.to_vec()),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        post("/v1/connect", vec![0xff; 100]),
        StatusCode::BAD_REQUEST
    );
    // Over the limit (4096 bytes): 413. (Raw, and small enough for the socket's buffers: the
    // answer and the close may come while a client is still writing a long body.)
    let status = raw(
        &backend,
        format!(
            "POST /v1/connect HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {session}\r\n\
             Content-Length: {}\r\n\r\n{}",
            8192,
            " ".repeat(8192)
        )
        .as_bytes(),
    );
    assert!(status.starts_with("HTTP/1.1 413"), "{status:?}");
    assert_eq!(post("/v1/nowhere", Vec::new()), StatusCode::NOT_FOUND);
    assert_eq!(post("/v1/connect", b"[]".to_vec()), StatusCode::BAD_REQUEST);
    let get = reqwest::blocking::get(backend.at("/v1/connect")).unwrap();
    assert_eq!(get.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(get.text().unwrap().contains("method_not_allowed"));
    let tab = Client::new()
        .post(backend.at("/v1/connect"))
        .header("authorization", format!("Bearer\t{session}"))
        .send()
        .unwrap();
    assert_eq!(
        tab.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "a tab after Bearer is a separator"
    );
    let bad_header = Client::new()
        .post(backend.at("/v1/connect"))
        .header(
            "authorization",
            reqwest::header::HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap(),
        )
        .send()
        .unwrap();
    assert_eq!(bad_header.status(), StatusCode::UNAUTHORIZED);

    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    for bytes in [
        &garbage[..],
        b"\r\n\r\n",
        b"POST /v1/connect HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
        b"POST /v1/connect HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc",
        b"GET /metrics HTTP/9.9\r\n\r\n",
    ] {
        let status = raw(&backend, bytes);
        assert!(
            status.is_empty() || status.starts_with("HTTP/1.1 4"),
            "{status:?} for {:?}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(40)])
        );
    }
    let huge_header = format!(
        "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(1 << 20)
    );
    let status = raw(&backend, huge_header.as_bytes());
    assert!(
        status.is_empty() || status.starts_with("HTTP/1.1 4"),
        "{status:?}"
    );

    // Reports.
    let address: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    let cases: [(&str, String, StatusCode, &str); 9] = [
        (
            "wrong secret",
            report_of(address, 64),
            StatusCode::UNAUTHORIZED,
            "NETCODE_FLEET_SECRET",
        ),
        (
            "not JSON",
            "{".into(),
            StatusCode::BAD_REQUEST,
            "not the JSON",
        ),
        (
            "unspecified address",
            report_of("0.0.0.0:40000".parse().unwrap(), 1),
            StatusCode::BAD_REQUEST,
            "--public-address",
        ),
        (
            "broadcast address",
            report_of("255.255.255.255:40000".parse().unwrap(), 1),
            StatusCode::BAD_REQUEST,
            "not one players can dial",
        ),
        (
            "multicast address",
            report_of("224.0.0.1:40000".parse().unwrap(), 1),
            StatusCode::BAD_REQUEST,
            "not one players can dial",
        ),
        (
            "IPv4-mapped address",
            report_of("[::ffff:127.0.0.1]:40000".parse().unwrap(), 1),
            StatusCode::BAD_REQUEST,
            "not one players can dial",
        ),
        (
            "more free than max",
            report_of(address, 65),
            StatusCode::BAD_REQUEST,
            "more than max_slots",
        ),
        (
            "another protocol",
            report_of(address, 64).replace("1.02", "1.00"),
            StatusCode::CONFLICT,
            "issues NETCODE 1.02 tokens",
        ),
        (
            "another protocol id",
            report_of(address, 64).replace(&format!("{:#x}", support::PROTOCOL_ID), "0x1"),
            StatusCode::CONFLICT,
            "protocol id",
        ),
    ];
    for (what, body, status, message) in cases {
        let secret = if what == "wrong secret" {
            "a fleet secret for local runs onlY"
        } else {
            support::FLEET_SECRET
        };
        let response = report(&backend, secret, &body);
        assert_eq!(response.status(), status, "{what}");
        let text = response.text().unwrap();
        assert!(text.contains(message), "{what}: {text}");
    }
    assert_eq!(backend.metric("netcode_backend_live_servers"), Some(0.0));

    // Still serving.
    assert_eq!(
        report(&backend, support::FLEET_SECRET, &report_of(address, 64)).status(),
        StatusCode::NO_CONTENT
    );
    let (answer, _) = token_of(ask(&backend, &session, None));
    assert_eq!(answer.servers, [address]);
    assert_eq!(
        reqwest::blocking::get(backend.at("/healthz"))
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

/// A server the backend refuses says why, and a player with bad credentials says why: the
/// operator and the player see more than "timed out".
#[test]
fn the_examples_say_why_they_are_refused() {
    support::examples();
    let key = support::key_file();
    let backend = Backend::start(support::config(&key, &[]));
    // (The crate refuses an unspecified public address before any report; the backend's own
    // check, for servers of other implementations, is in garbage_and_bad_reports.)
    let mut unspecified = support::server(
        "unspecified",
        "0.0.0.0:0".parse().unwrap(),
        &key,
        &backend.url,
        &[],
        false,
    );
    assert_eq!(
        unspecified.wait(WAIT).code(),
        Some(1),
        "{}",
        unspecified.output()
    );
    assert!(
        unspecified
            .output()
            .contains("public address 0.0.0.0:0 is unspecified"),
        "{}",
        unspecified.output()
    );
    let mut old = support::server(
        "1.00",
        support::free_udp_address(),
        &key,
        &backend.url,
        &["--protocol", "1.00"],
        false,
    );
    assert!(
        old.wait_for("refused the report: 409", WAIT),
        "{}",
        old.output()
    );
    // Tokens (30 s) longer than the server accepts: every one would be refused.
    let mut strict = support::server(
        "strict",
        support::free_udp_address(),
        &key,
        &backend.url,
        &["--max-token-lifetime", "10"],
        false,
    );
    assert!(
        strict.wait_for("refused the report: 409", WAIT),
        "{}",
        strict.output()
    );
    assert!(
        strict.output().contains("--max-token-lifetime 30"),
        "{}",
        strict.output()
    );

    let mut player = support::player("player", &backend.url, "not a session", 5.0, false);
    assert_eq!(player.wait(WAIT).code(), Some(1));
    assert!(
        player.output().contains("client: FAILED: the backend at"),
        "{}",
        player.output()
    );
    assert!(
        player.output().contains("refused a token: 401"),
        "{}",
        player.output()
    );

    let (mut server, address) = server("server", &key, &backend, &["--seconds", "1"]);
    // Its last report says it has no free slot: the backend stops listing it at once.
    assert!(server.wait(WAIT).success(), "{}", server.output());
    let response = ask(&backend, &support::session(1), None);
    assert_eq!(
        response.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "{address} still listed"
    );
}

/// Two instances on one Redis share a player's limit and the fleet registry; a third with no
/// Redis does not.
#[test]
fn two_instances_share_limits_and_fleet_through_redis() {
    let Some(redis) = Redis::start() else {
        return;
    };
    let key = support::key_file();
    let shared = [
        ("NETCODE_BACKEND_REDIS_URL", redis.url.as_str()),
        ("NETCODE_BACKEND_PLAYER_LIMIT", "3/60"),
    ];
    let one = Backend::start(support::config(&key, &shared));
    let two = Backend::start(support::config(&key, &shared));
    let alone = Backend::start(support::config(
        &key,
        &[("NETCODE_BACKEND_PLAYER_LIMIT", "3/60")],
    ));

    let address: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    assert_eq!(
        report(&one, support::FLEET_SECRET, &report_of(address, 64)).status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        report(&alone, support::FLEET_SECRET, &report_of(address, 64)).status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        two.metric("netcode_backend_live_servers"),
        Some(1.0),
        "the registry is shared"
    );

    let session = support::session(5);
    let (answer, _) = token_of(ask(&one, &session, None));
    assert_eq!(answer.servers, [address]);
    token_of(ask(&two, &session, None));
    token_of(ask(&one, &session, None));
    // The fourth request of player 5, on either instance, is over the shared limit.
    for backend in [&two, &one] {
        let response = ask(backend, &session, None);
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(response.headers().contains_key("retry-after"));
    }
    // The instance without Redis counts alone.
    token_of(ask(&alone, &session, None));

    // Forgotten on both when it stops reporting (TTL 3 s).
    assert!(eventually(Duration::from_secs(8), || one
        .metric("netcode_backend_live_servers")
        == Some(0.0)));
    assert_eq!(two.metric("netcode_backend_live_servers"), Some(0.0));

    // With Redis gone: 503 within about the store timeout (1 s), not a hang or a panic, on
    // every request while it stays down.
    let port = redis.port();
    drop(redis);
    for n in 0..3 {
        let start = Instant::now();
        let response = ask(&one, &support::session(6), None);
        assert_eq!(
            response.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "request {n}"
        );
        assert!(response.text().unwrap().contains("store_unavailable"));
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "request {n} took {:?}",
            start.elapsed()
        );
    }
    // Back after a few seconds (empty: it keeps nothing): served again within seconds. (The
    // Redis client's default backoff made every request wait up to two minutes here.)
    std::thread::sleep(Duration::from_secs(3));
    let _redis = Redis::start_on(port).expect("redis-server starts again");
    let mut polls = 0;
    let served = eventually(Duration::from_secs(10), || {
        polls += 1;
        report(&two, support::FLEET_SECRET, &report_of(address, 64)).status()
            == StatusCode::NO_CONTENT
            && ask(&one, &support::session(1000 + polls), None).status() == StatusCode::OK
    });
    assert!(
        served,
        "the instances did not recover within 10 s of Redis's return"
    );
    let (answer, _) = token_of(ask(&two, &support::session(7), None));
    assert_eq!(answer.servers, [address]);
}

/// The settings' `Debug` (what a careless log line would print) shows no secret: not the
/// private key, the fleet secret, the session secret or the Redis URL (which may hold a
/// password).
#[test]
fn settings_print_no_secret() {
    let key = support::key_file();
    let session = "a session secret that is long enough";
    let redis = "redis://:hunter2-password@127.0.0.1:6379/";
    let config = support::config(
        &key,
        &[
            ("NETCODE_BACKEND_SESSION_SECRET", session),
            ("NETCODE_BACKEND_REDIS_URL", redis),
        ],
    );
    let printed = format!("{config:?}");
    let key_bytes = std::fs::read(&key.0).unwrap();
    for secret in [support::FLEET_SECRET, session, redis, "hunter2"] {
        assert!(!printed.contains(secret), "{secret:?} in {printed}");
    }
    let as_array: [u8; 32] = key_bytes.as_slice().try_into().unwrap();
    assert!(!printed.contains(&format!("{as_array:?}")), "{printed}");
    assert!(printed.contains("<redacted>"));
    assert_eq!(config.private_key.expose()[..], key_bytes[..]);
}

/// A client that opens connections and sends a request head slowly, or nothing, is cut off
/// after `HEAD_TIMEOUT`, and a kept-alive connection left idle is closed as well; meanwhile
/// the backend answers others.
#[test]
fn slow_and_idle_connections_are_cut_off() {
    let key = support::key_file();
    let backend = Backend::start(support::config(&key, &[]));
    let start = Instant::now();
    let open = |first: &[u8]| {
        let mut stream = TcpStream::connect(backend.address).unwrap();
        stream.write_all(first).unwrap();
        stream
    };
    let mut silent = open(b"");
    let mut slow = open(b"GET /metrics HTTP/1.1\r\nHost: x\r\n");
    let mut idle = open(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut slow_body =
        open(b"POST /v1/connect HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\n{");
    let mut first = [0; 12];
    idle.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    for _ in 0..3 {
        std::thread::sleep(Duration::from_secs(1));
        let _ = slow.write_all(b"X-Drip: 1\r\n");
        let _ = slow_body.write_all(b" ");
        assert_eq!(
            reqwest::blocking::get(backend.at("/healthz"))
                .unwrap()
                .status(),
            StatusCode::OK
        );
    }
    let limit = netcode_backend::HEAD_TIMEOUT + Duration::from_secs(5);
    for (what, stream) in [
        ("silent", &mut silent),
        ("slow", &mut slow),
        ("idle", &mut idle),
        ("slow body", &mut slow_body),
    ] {
        stream.set_read_timeout(Some(limit)).unwrap();
        let mut rest = Vec::new();
        // Ends (EOF, or an error once the server closed) rather than timing out.
        let ended = match stream.read_to_end(&mut rest) {
            Ok(_) => true,
            Err(e) => !matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
        };
        assert!(
            ended,
            "the {what} connection was still open after {:?}",
            start.elapsed()
        );
    }
    assert!(start.elapsed() < netcode_backend::HEAD_TIMEOUT + Duration::from_secs(5));
}

/// One address cannot take every connection: past 32 open ones from it, its new connections
/// are closed at once, and other addresses are served.
#[test]
fn one_address_holds_32_connections_at_most() {
    let key = support::key_file();
    let backend = Backend::start(support::config(&key, &[]));
    let held: Vec<TcpStream> = (0..netcode_backend::MAX_CONNECTIONS_PER_ADDRESS)
        .map(|_| TcpStream::connect(backend.address).unwrap())
        .collect();
    // Let the backend accept them all.
    std::thread::sleep(Duration::from_millis(300));
    let mut over = TcpStream::connect(backend.address).unwrap();
    over.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = over.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut answer = Vec::new();
    let _ = over.read_to_end(&mut answer);
    assert!(
        answer.is_empty(),
        "the 33rd connection was served: {:?}",
        String::from_utf8_lossy(&answer)
    );

    let other = Client::builder()
        .local_address(Some("127.0.0.2".parse().unwrap()))
        .build()
        .unwrap();
    let response = other.get(backend.at("/healthz")).send().unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "another address is served"
    );
    drop(held);
    assert!(eventually(Duration::from_secs(5), || {
        reqwest::blocking::get(backend.at("/healthz")).is_ok_and(|r| r.status() == StatusCode::OK)
    }));
}
