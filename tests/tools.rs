//! The standalone examples as tools: examples/server.rs and examples/client.rs run as
//! processes against each other over loopback, with their exit codes and summaries checked.
//!
//! `cargo test` builds the examples, but `cargo test --test tools` does not (and would run
//! stale ones): the tests build them first, once, with the cargo that runs them (a no-op when
//! they are fresh), into the target directory of this test binary. (Under `--target TRIPLE`
//! that is a host build in target/TRIPLE/, a first time a slow one.)

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use netcode::{ServerAddresses, TokenGenerator, TokenSettings, Version};

/// Whether this test runs: false where the run leaves the tools to the normal runs
/// (scripts/sanitize.sh sets `NETCODE_TOOL_TESTS=skip`, since its build of this test, for
/// another target, features and flags, is not one the examples can be built alongside
/// cheaply; it says so). Otherwise the examples are built first, before the test makes any
/// token: a build can take longer than a token lives.
fn ready() -> bool {
    if std::env::var_os("NETCODE_TOOL_TESTS").is_some_and(|v| v == "skip") {
        eprintln!("tools: skipped (NETCODE_TOOL_TESTS=skip); the normal test runs cover them");
        return false;
    }
    examples();
    true
}

/// The directory of the example binaries, built for this test binary's profile.
fn examples() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().expect("the test binary's path");
        // target/<profile dir>/deps/tools-<hash>
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>");
        let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") => "dev",
            Some(name) => name,
            None => "dev",
        };
        // Into the target directory of this binary, whatever flag or variable chose it.
        let target_dir = profile_dir.parent().expect("the target directory");
        let output = Command::new(env!("CARGO"))
            .args(["build", "--offline", "--profile", profile])
            .arg("--target-dir")
            .arg(target_dir)
            .args(["--example", "server", "--example", "client"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("cargo runs");
        assert!(
            output.status.success(),
            "cargo build of the examples failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let dir = profile_dir.join("examples");
        for name in ["server", "client"] {
            let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
            assert!(path.exists(), "{} was not built", path.display());
        }
        dir
    })
}

fn example(name: &str) -> Command {
    let mut command =
        Command::new(examples().join(format!("{name}{}", std::env::consts::EXE_SUFFIX)));
    command.stdin(Stdio::null()).env_remove("NETCODE_LOG");
    command
}

/// Starts the example `name` with `args`, its stdout piped (and returned), its stderr inherited;
/// `what` names it in the panic if it does not start.
fn spawn(name: &str, args: &[&str], what: &str) -> (Child, ChildStdout) {
    let mut child = example(name)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect(what);
    let stdout = child.stdout.take().expect("piped stdout");
    (child, stdout)
}

/// A loopback address whose UDP port was free a moment ago.
fn free_address() -> SocketAddr {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|socket| socket.local_addr())
        .expect("a free port")
}

/// A file in the temporary directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, bytes: &[u8]) -> TempFile {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let unique = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "netcode-tools-{}-{unique}-{name}",
            std::process::id()
        ));
        std::fs::write(&path, bytes).expect("a temporary file");
        TempFile(path)
    }

    fn arg(&self) -> &str {
        self.0.to_str().expect("a UTF-8 temporary path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A running server tool, killed when dropped, with the lines it printed.
struct Server {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Server {
    /// Starts it with `args` and waits until it says it listens.
    fn start(args: &[&str]) -> Server {
        let (child, stdout) = spawn("server", args, "the server example starts");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            lines,
            seen: Vec::new(),
        };
        assert!(
            server.wait_for("echo server on", Duration::from_secs(10)),
            "the server did not start: {:?}",
            server.seen
        );
        server
    }

    /// Whether it printed a line containing `needle` (before, or within `timeout`).
    fn wait_for(&mut self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.seen.iter().any(|line| line.contains(needle)) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => return false,
            }
        }
    }

    /// Requires that it printed a line containing `needle` (before, or within `timeout`);
    /// the panic shows every line it printed.
    #[track_caller]
    fn expect_line(&mut self, needle: &str, timeout: Duration) {
        assert!(self.wait_for(needle, timeout), "{:?}", self.seen);
    }

    /// Waits for it to exit by itself (after its `--seconds`); its exit status.
    fn wait(&mut self, timeout: Duration) -> ExitStatus {
        let status = wait(&mut self.child, timeout);
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(1)) {
            self.seen.push(line);
        }
        status
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait(child: &mut Child, timeout: Duration) -> ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the process did not exit within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// What a client tool run ended with.
struct ClientRun {
    status: ExitStatus,
    stdout: String,
    elapsed: Duration,
}

impl ClientRun {
    /// Its last line: the summary.
    fn summary(&self) -> &str {
        self.stdout.lines().last().unwrap_or("")
    }

    /// Requires that the run succeeded, having connected to `address` on `protocol` (as the
    /// summary names it: `NETCODE 1.02`) and ended `how`; returns the summary.
    #[track_caller]
    fn expect_ok(&self, address: SocketAddr, protocol: impl std::fmt::Display, how: &str) -> &str {
        assert!(self.status.success(), "{}", self.stdout);
        let summary = self.summary();
        assert!(
            summary.starts_with(&format!(
                "client: OK: connected to {address} ({protocol}), "
            )),
            "{summary}"
        );
        assert!(summary.ends_with(how), "{summary}");
        summary
    }

    /// The (echoed, sent) counts of a summary.
    fn counts(&self) -> (u64, u64) {
        let summary = self.summary();
        let words: Vec<&str> = summary.split_whitespace().collect();
        let at = words
            .iter()
            .position(|w| *w == "payload(s)")
            .unwrap_or_else(|| panic!("no counts in {summary:?}"));
        let echoed = words[at - 1].parse().expect("an echoed count");
        let sent = words[at + 4].parse().expect("a sent count");
        (echoed, sent)
    }
}

fn run_client(args: &[&str]) -> ClientRun {
    let start = Instant::now();
    let (mut child, mut stdout) = spawn("client", args, "the client example starts");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let status = wait(&mut child, Duration::from_secs(20));
    let stdout = reader.join().expect("the reader thread");
    println!("client {args:?}:\n{stdout}");
    ClientRun {
        status,
        stdout,
        elapsed: start.elapsed(),
    }
}

const PROTOCOL_ID: u64 = 0x0123_4567_89ab_cdef;

/// A token file for `server` made with `key` and `protocol_id`, on `version`, with a 2-second
/// timeout (so that a connection request nobody answers times out in 2 s).
fn token_file(server: SocketAddr, version: Version, protocol_id: u64, key: &[u8; 32]) -> TempFile {
    let settings = TokenSettings::new(protocol_id, ServerAddresses::one(server))
        .version(version)
        .timeout_seconds(2);
    let token = TokenGenerator::new(settings, key)
        .and_then(|generator| generator.generate(0x7001, &[0; 256]))
        .expect("a token");
    assert_eq!(token.as_bytes().len(), 2048);
    TempFile::new("token", token.as_bytes())
}

/// A server tool with its own key and protocol id on `version`, and a client tool with a token
/// file for it: they connect, exchange payloads for 2 s, and the client disconnects.
/// (Nothing where the tools are skipped: `ready`.)
fn token_file_round_trip(version: Version, protocol: &str) {
    if !ready() {
        return;
    }
    let key = netcode::generate_key();
    let key_file = TempFile::new("key", &key);
    let address = free_address();
    let bind = address.to_string();
    let mut server = Server::start(&[
        "--bind",
        &bind,
        "--protocol",
        protocol,
        "--protocol-id",
        &format!("{PROTOCOL_ID:x}"),
        "--key-file",
        key_file.arg(),
        "--seconds",
        "12",
    ]);
    // After the server started: its restart rule refuses tokens that expire within 30 s of
    // its start.
    let token = token_file(address, version, PROTOCOL_ID, &key);
    let run = run_client(&["--token-file", token.arg(), "--seconds", "2"]);

    let summary = run.expect_ok(address, version, "disconnected by the client");
    let (echoed, sent) = run.counts();
    // A payload every 10 ms for about 2 s, all back over loopback.
    assert!(echoed > 20, "{summary}");
    assert_eq!(echoed, sent, "{summary}");
    assert!(run.elapsed < Duration::from_secs(6), "{:?}", run.elapsed);

    server.expect_line("connected from 127.0.0.1", Duration::from_secs(1));
    server.expect_line(
        "0x7001 left: the other side disconnected",
        Duration::from_secs(2),
    );
    assert!(
        !server.seen.iter().any(|line| line.contains("refused")),
        "{:?}",
        server.seen
    );
}

#[test]
fn token_file_on_1_02() {
    token_file_round_trip(Version::V1_02, "1.02");
}

#[test]
fn token_file_on_1_00() {
    token_file_round_trip(Version::V1_00, "1.00");
}

/// A token of the other version than the server's: the server ignores the requests (and counts
/// why), the client never connects and says so.
/// (Nothing where the tools are skipped: `ready`.)
fn wrong_version(server_protocol: &str, token_version: Version) {
    if !ready() {
        return;
    }
    let key = netcode::generate_key();
    let key_file = TempFile::new("key", &key);
    let address = free_address();
    let bind = address.to_string();
    let id = format!("0x{PROTOCOL_ID:x}");
    let mut server = Server::start(&[
        &bind,
        "--protocol",
        server_protocol,
        "--protocol-id",
        &id,
        "--key-file",
        key_file.arg(),
        "--seconds",
        "12",
    ]);
    let token = token_file(address, token_version, PROTOCOL_ID, &key);
    let run = run_client(&["--token-file", token.arg(), "--seconds", "8"]);

    assert_eq!(run.status.code(), Some(1), "{}", run.stdout);
    let summary = run.summary();
    assert!(
        summary.starts_with(&format!(
            "client: FAILED: never connected to {address}: connection request timed out: "
        )),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("speaks {token_version}")),
        "{summary}"
    );
    // The token's 2-second timeout, not the 8 seconds of --seconds.
    assert!(run.elapsed < Duration::from_secs(5), "{:?}", run.elapsed);
    server.expect_line("refused so far: wrong_version", Duration::from_secs(2));
    assert!(!server
        .seen
        .iter()
        .any(|line| line.contains("connected from")));
}

#[test]
fn token_of_1_00_against_a_1_02_server() {
    wrong_version("1.02", Version::V1_00);
}

#[test]
fn token_of_1_02_against_a_1_00_server() {
    wrong_version("1.00", Version::V1_02);
}

/// A token made with another key: the server cannot decrypt it.
#[test]
fn token_of_another_key() {
    if !ready() {
        return;
    }
    let key_file = TempFile::new("key", &netcode::generate_key());
    let address = free_address();
    let bind = address.to_string();
    let id = format!("{PROTOCOL_ID:#x}");
    let mut server = Server::start(&[
        "--bind",
        &bind,
        "--protocol-id",
        &id,
        "--key-file",
        key_file.arg(),
        "--seconds",
        "12",
    ]);
    let token = token_file(
        address,
        Version::V1_02,
        PROTOCOL_ID,
        &netcode::generate_key(),
    );
    let run = run_client(&["--token-file", token.arg(), "--seconds", "8"]);

    assert_eq!(run.status.code(), Some(1), "{}", run.stdout);
    assert!(
        run.summary().contains("never connected to 127.0.0.1:")
            && run.summary().contains("connection request timed out"),
        "{}",
        run.summary()
    );
    server.expect_line(
        "refused so far: token_not_decrypted",
        Duration::from_secs(2),
    );
}

/// Both tools with their defaults but the port: the demo key and protocol id, 1.02.
#[test]
fn demo_mode() {
    if !ready() {
        return;
    }
    let address = free_address();
    let bind = address.to_string();
    let mut server = Server::start(&[&bind, "--seconds", "12"]);
    assert!(
        server.seen[0].contains("NETCODE 1.02, protocol id 0x1122334455667788"),
        "{:?}",
        server.seen
    );
    let run = run_client(&[&bind, "--seconds", "2"]);

    let summary = run.expect_ok(address, "NETCODE 1.02", "disconnected by the client");
    let (echoed, sent) = run.counts();
    assert!(echoed > 20 && echoed == sent, "{summary}");
    server.expect_line("left: the other side disconnected", Duration::from_secs(2));
}

/// Demo mode on 1.00, with the server stopping first: it disconnects the client, which counts
/// as a clean end; the server's summary counts the client and its echoes.
#[test]
fn demo_mode_on_1_00_until_the_server_stops() {
    if !ready() {
        return;
    }
    let address = free_address();
    let bind = address.to_string();
    let mut server = Server::start(&["--bind", &bind, "--protocol", "1.00", "--seconds", "2"]);
    let run = run_client(&[&bind, "--protocol", "1.00"]);

    let summary = run.expect_ok(address, "NETCODE 1.00", "disconnected by the server");
    assert!(
        run.stdout
            .contains("connected -> disconnected (the other side disconnected)"),
        "{}",
        run.stdout
    );
    let (echoed, _) = run.counts();
    assert!(echoed > 20, "{summary}");

    assert!(server.wait(Duration::from_secs(5)).success());
    let last = server.seen.last().cloned().unwrap_or_default();
    assert!(
        last.starts_with("server: stopped after 2.0 s: 1 client(s) connected, "),
        "{last}"
    );
    let echoes: u64 = last
        .split_whitespace()
        .skip_while(|w| *w != "connected,")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{last}"));
    // The server echoed at least what came back, and at most a few more (lost on the way
    // back, or in flight when it stopped).
    assert!(
        echoes >= echoed && echoes <= echoed + 5,
        "{last} / {summary}"
    );
}

/// A client demo token on 1.02 against a server on 1.00 with its defaults otherwise.
#[test]
fn demo_mode_versions_must_match() {
    if !ready() {
        return;
    }
    let address = free_address();
    let bind = address.to_string();
    let _server = Server::start(&[&bind, "--protocol", "1.00", "--seconds", "12"]);
    // Still connecting when --seconds runs out (before the demo token's 5-second timeout).
    let run = run_client(&[&bind, "--seconds", "1.5"]);

    assert_eq!(run.status.code(), Some(1), "{}", run.stdout);
    assert_eq!(
        run.summary(),
        format!(
            "client: FAILED: timed out: still sending connection request to {address} after 1.5 s"
        )
    );
}

/// Bad arguments: usage on stderr, exit code 2, no panic; `--help`: usage, exit code 0.
#[test]
fn bad_arguments() {
    if !ready() {
        return;
    }
    let short_key = TempFile::new("short-key", &[7; 31]);
    let short_token = TempFile::new("short-token", &[0; 2047]);
    let cases: &[(&str, &[&str], &str)] = &[
        ("server", &["--protocol", "1.01"], "neither 1.00 nor 1.02"),
        (
            "server",
            &["--protocol-id", "xyz"],
            "not a 64-bit hex number",
        ),
        ("server", &["--key-file", short_key.arg()], "holds 31 bytes"),
        ("server", &["--key-file", "/nonexistent/key"], "cannot read"),
        ("server", &["--seconds"], "--seconds needs a value"),
        ("server", &["--seconds", "-1"], "not a number of seconds"),
        ("server", &["--frobnicate"], "unknown option --frobnicate"),
        (
            "server",
            &["--max-token-lifetime", "soon"],
            "neither a number of seconds nor none",
        ),
        ("server", &["--max-clients", "0"], "is not 1 to 256"),
        (
            "server",
            &["--backend", "https://x:1"],
            "give http://HOST:PORT",
        ),
        (
            "client",
            &["--backend", "localhost"],
            "give http://HOST:PORT",
        ),
        (
            "client",
            &["--backend", "http://127.0.0.1:1", "--token-file", "t"],
            "not both",
        ),
        ("server", &["nowhere"], "not an IP address with a port"),
        (
            "server",
            &["127.0.0.1:1", "--bind", "127.0.0.1:2"],
            "not both",
        ),
        ("client", &["--protocol", "2"], "neither 1.00 nor 1.02"),
        ("client", &["--seconds", "soon"], "not a number of seconds"),
        (
            "client",
            &["1.2.3.4:5", "6.7.8.9:10"],
            "one SERVER_ADDRESS at most",
        ),
        (
            "client",
            &["--token-file", "/nonexistent/token"],
            "cannot read",
        ),
        (
            "client",
            &["--token-file", short_token.arg()],
            "not 2048 bytes long",
        ),
        (
            "client",
            &["--token-file", "t", "1.2.3.4:5"],
            "give no SERVER_ADDRESS",
        ),
        (
            "client",
            &["--token-file", "t", "--protocol", "1.00"],
            "give no --protocol",
        ),
    ];
    for (tool, args, message) in cases {
        let output = example(tool).args(*args).output().expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{tool} {args:?}: {stderr}");
        assert!(stderr.contains(message), "{tool} {args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{tool} {args:?}: {stderr}");
    }
    for tool in ["server", "client"] {
        let output = example(tool).arg("--help").output().expect("runs");
        assert!(output.status.success());
        assert!(String::from_utf8_lossy(&output.stdout).starts_with(&format!("usage: {tool} ")));
    }
}

/// A server (this crate's, in the test process) that echoes payloads with their last byte
/// changed from the fifth on: the client notices, and fails.
#[test]
fn altered_echo() {
    if !ready() {
        return;
    }
    use netcode::{NetcodeServer, ServerConfig};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    let key = netcode::generate_key();
    let mut server =
        NetcodeServer::new(ServerConfig::new(free_address(), PROTOCOL_ID, key)).expect("a server");
    let token = TempFile::new(
        "token",
        server
            .generate_token(0x7002, &[0; 256])
            .expect("a token")
            .as_bytes(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    let echoing = std::thread::spawn(move || {
        let (start, mut echoed) = (Instant::now(), 0);
        while !stopped.load(Ordering::Relaxed) {
            server.update(start.elapsed().as_secs_f64());
            for client in server.clients().collect::<Vec<_>>() {
                loop {
                    let Some(payload) = server.receive(client.session) else {
                        break;
                    };
                    let mut message = payload.to_vec();
                    drop(payload);
                    echoed += 1;
                    if echoed >= 5 {
                        *message.last_mut().expect("not empty") ^= 1;
                    }
                    let _ = server.send(client.session, &message);
                }
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        echoed
    });
    let run = run_client(&["--token-file", token.arg(), "--seconds", "5"]);
    stop.store(true, Ordering::Relaxed);
    let echoed = echoing.join().expect("the server thread");

    assert_eq!(run.status.code(), Some(1), "{}", run.stdout);
    assert!(echoed >= 5, "{echoed}");
    assert!(
        run.summary()
            .starts_with("client: FAILED: payload mismatch: the echo of payload 4 differs from it"),
        "{}",
        run.summary()
    );
    assert!(run.elapsed < Duration::from_secs(4), "{:?}", run.elapsed);
}
