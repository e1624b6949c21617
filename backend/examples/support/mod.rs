//! A local fleet, as processes and threads: the backend (in this process, on a runtime of
//! its own), dedicated servers and players (the netcode crate's examples/server.rs and
//! examples/client.rs, as processes), and a Redis server. examples/demo.rs and tests/e2e.rs
//! both run on it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use netcode_backend::{App, Config, SessionTokens};

/// The fleet's shared secret in these runs.
pub const FLEET_SECRET: &str = "a fleet secret for local runs only";
/// The demo authentication's key in these runs.
pub const SESSION_SECRET: &[u8] = b"a session secret for local runs only, 32+";
/// The protocol id of these runs.
pub const PROTOCOL_ID: u64 = 0x00c0_ffee_0000_0001;

/// The example binaries (`server`, `client`) of the netcode crate, built once for the
/// profile and target directory of the running binary (a no-op when they are fresh).
pub fn examples() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().expect("the running binary's path");
        // target/<profile dir>/deps/e2e-<hash> or target/<profile dir>/examples/demo
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>");
        let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") | None => "dev",
            Some(name) => name,
        };
        let target_dir = profile_dir.parent().expect("the target directory");
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the workspace");
        let output = Command::new(env!("CARGO"))
            .args(["build", "--offline", "-p", "netcode", "--profile", profile])
            .arg("--target-dir")
            .arg(target_dir)
            .args(["--example", "server", "--example", "client"])
            .current_dir(workspace)
            .output()
            .expect("cargo runs");
        assert!(
            output.status.success(),
            "cargo build of the netcode examples failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        profile_dir.join("examples")
    })
}

/// A file that is removed when dropped.
pub struct TempFile(pub PathBuf);

impl TempFile {
    /// A new file holding `bytes`.
    pub fn new(name: &str, bytes: &[u8]) -> TempFile {
        static COUNT: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "netcode-backend-{}-{}-{name}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, bytes).expect("the temporary directory is writable");
        TempFile(path)
    }

    /// The path, as an argument.
    pub fn arg(&self) -> &str {
        self.0.to_str().expect("a UTF-8 temporary path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A fresh fleet key, in a file the backend and the servers read.
pub fn key_file() -> TempFile {
    TempFile::new("key", &netcode::generate_key())
}

/// The backend's settings for a local run: `extra` overrides the defaults, as environment
/// variables would.
pub fn config(key: &TempFile, extra: &[(&str, &str)]) -> Config {
    let protocol_id = format!("{PROTOCOL_ID:#x}");
    let defaults = [
        ("NETCODE_BACKEND_LISTEN", "127.0.0.1:0"),
        ("NETCODE_BACKEND_PROTOCOL_ID", protocol_id.as_str()),
        ("NETCODE_BACKEND_PRIVATE_KEY_FILE", key.arg()),
        ("NETCODE_FLEET_SECRET", FLEET_SECRET),
        ("NETCODE_BACKEND_SERVER_TTL_SECONDS", "3"),
    ];
    Config::from_vars(|name| {
        extra
            .iter()
            .chain(&defaults)
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
    })
    .expect("a valid local configuration")
}

/// The demo authentication of these runs.
pub fn sessions() -> SessionTokens {
    SessionTokens::new(SESSION_SECRET.to_vec()).expect("a long enough secret")
}

/// A player's session, as the game's login would hand it out.
pub fn session(player: u64) -> String {
    sessions().issue(player, Duration::from_secs(600))
}

/// A backend instance serving on loopback from a thread of its own; stops when dropped.
pub struct Backend {
    pub address: SocketAddr,
    pub url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Backend {
    /// Starts an instance with `config` (its `redis_url` chooses the store).
    pub fn start(config: Config) -> Backend {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free TCP port");
        let address = listener.local_addr().expect("its address");
        listener.set_nonblocking(true).expect("non-blocking");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready, started) = mpsc::channel::<Result<(), String>>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a tokio runtime");
            runtime.block_on(async move {
                let app = match App::new(config, sessions()).await {
                    Ok(app) => app,
                    Err(e) => {
                        let _ = ready.send(Err(e.0));
                        return;
                    }
                };
                let listener = tokio::net::TcpListener::from_std(listener).expect("a listener");
                let _ = ready.send(Ok(()));
                let _ = netcode_backend::serve(listener, app, async {
                    let _ = stopped.await;
                })
                .await;
            });
        });
        started
            .recv()
            .expect("the backend thread answers")
            .expect("the backend starts");
        Backend {
            address,
            url: format!("http://{address}"),
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `path` under this instance.
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// The value of the `/metrics` sample `name` (with its labels), if shown.
    pub fn metric(&self, name: &str) -> Option<f64> {
        let text = reqwest::blocking::get(self.at("/metrics"))
            .ok()?
            .text()
            .ok()?;
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A child process whose output lines are collected (and, with `echo`, printed with its
/// name in front); killed when dropped.
pub struct Proc {
    pub name: String,
    child: Child,
    lines: Receiver<String>,
    seen: Arc<Mutex<Vec<String>>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl Proc {
    /// Starts `command` with its stdout and stderr read line by line.
    pub fn spawn(name: &str, mut command: Command, echo: bool) -> Proc {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env_remove("NETCODE_LOG")
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let (send, lines) = mpsc::channel();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let streams: [Box<dyn Read + Send>; 2] = [
            Box::new(child.stdout.take().expect("piped")),
            Box::new(child.stderr.take().expect("piped")),
        ];
        let mut readers = Vec::new();
        for stream in streams {
            let (send, seen, name) = (send.clone(), seen.clone(), name.to_string());
            readers.push(std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if echo {
                        println!("{name:>10} | {line}");
                    }
                    seen.lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(line.clone());
                    let _ = send.send(line);
                }
            }));
        }
        Proc {
            name: name.to_string(),
            child,
            lines,
            seen,
            readers,
        }
    }

    /// Waits up to `timeout` for a line containing `needle`.
    pub fn wait_for(&mut self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
        false
    }

    /// Waits up to `timeout` for the process to end (killing it after that), and for its
    /// last lines to be read, so that [`Proc::output`] then holds all it wrote.
    pub fn wait(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                break self.child.wait().expect("wait");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // Its pipes are closed now: the readers reach their end.
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        status
    }

    /// Kills the process at once (SIGKILL: no disconnect packets, no last report).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Every line so far.
    pub fn output(&self) -> String {
        self.seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .join("\n")
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A loopback address whose UDP port was free a moment ago.
pub fn free_udp_address() -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("a free UDP port");
    socket.local_addr().expect("its address")
}

/// A dedicated server (examples/server.rs) on `bind`, with the fleet's key, reporting to
/// `backend`; `extra` are more arguments.
pub fn server(
    name: &str,
    bind: SocketAddr,
    key: &TempFile,
    backend: &str,
    extra: &[&str],
    echo: bool,
) -> Proc {
    let mut command =
        Command::new(examples().join(format!("server{}", std::env::consts::EXE_SUFFIX)));
    command
        .arg(bind.to_string())
        .args([
            "--key-file",
            key.arg(),
            "--protocol-id",
            &format!("{PROTOCOL_ID:#x}"),
        ])
        .args(["--backend", backend])
        .args(extra)
        .env("NETCODE_FLEET_SECRET", FLEET_SECRET);
    Proc::spawn(name, command, echo)
}

/// A player (examples/client.rs) with `session`, fetching its tokens from `backend`, for
/// `seconds`.
pub fn player(name: &str, backend: &str, session: &str, seconds: f64, echo: bool) -> Proc {
    let mut command =
        Command::new(examples().join(format!("client{}", std::env::consts::EXE_SUFFIX)));
    command
        .args(["--backend", backend, "--seconds", &seconds.to_string()])
        .env("NETCODE_SESSION", session);
    Proc::spawn(name, command, echo)
}

/// A redis-server of its own on a free port, with no persistence; stopped when dropped.
pub struct Redis {
    pub url: String,
    port: u16,
    child: Child,
}

impl Redis {
    /// Starts one, or `None` when redis-server is not installed and this is not CI (where
    /// .ci/run installs it, so its absence fails the run).
    pub fn start() -> Option<Redis> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free TCP port")
            .port();
        Redis::start_on(port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Starts one on `port` (see [`Redis::start`]).
    pub fn start_on(port: u16) -> Option<Redis> {
        let spawned = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(e) if std::env::var_os("CI").is_none() => {
                eprintln!("redis-server cannot start ({e}): skipped; .ci/run installs it");
                return None;
            }
            Err(e) => panic!("redis-server cannot start ({e}); .ci/run installs it with apt-get"),
        };
        let redis = Redis {
            url: format!("redis://127.0.0.1:{port}/"),
            port,
            child,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !ping(port) {
            assert!(
                Instant::now() < deadline,
                "redis-server did not answer on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(redis)
    }
}

fn ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let mut answer = [0; 7];
    stream
        .set_read_timeout(Some(Duration::from_secs(1)))
        .is_ok()
        && stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut answer).is_ok()
        && &answer == b"+PONG\r\n"
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
