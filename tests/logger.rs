//! Loggers that arrive late or misbehave: the C's lines are handed to `log` after each C call
//! returns (patch 0009 and the shim's per-thread buffer), so a logger installed after the first
//! call gets every line, a logger may call back into this crate, and a logger's panic (even one
//! whose payload panics when dropped) is contained. Its own test binary: it installs a global
//! logger.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex, OnceLock};
use std::time::Duration;

use log::{LevelFilter, Log, Metadata, Record};
use netcode::{ConnectionState, NetcodeClient, NetcodeServer, NetworkSimulator, ServerConfig};

const CAPTURE: usize = 0;
const CALL_THE_SIMULATOR: usize = 1;
const PANIC_BADLY: usize = 2;

static MODE: AtomicUsize = AtomicUsize::new(CAPTURE);
static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());
static SIMULATOR: OnceLock<NetworkSimulator> = OnceLock::new();

/// A panic payload whose drop panics too.
struct Nasty;

impl Drop for Nasty {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("dropping the payload panics as well");
        }
    }
}

struct Logger;

impl Log for Logger {
    fn enabled(&self, _: &Metadata) -> bool {
        true
    }
    fn log(&self, record: &Record) {
        if record.target() != "netcode" {
            return;
        }
        LINES.lock().unwrap().push(record.args().to_string());
        match MODE.load(Ordering::SeqCst) {
            CALL_THE_SIMULATOR => {
                if let Some(simulator) = SIMULATOR.get() {
                    simulator.discard_packets();
                }
            }
            PANIC_BADLY => std::panic::panic_any(Nasty),
            _ => {}
        }
    }
    fn flush(&self) {}
}

static LOGGER: Logger = Logger;

/// A server and a client over the simulator, connected; returns whether they connected.
fn session(simulator: &NetworkSimulator) -> bool {
    let config = ServerConfig::new("[::1]:40000".parse().unwrap(), 1, netcode::generate_key());
    let mut server = NetcodeServer::with_simulator(simulator, config).unwrap();
    let mut client =
        NetcodeClient::with_simulator(simulator, "[::1]:50000".parse().unwrap()).unwrap();
    client
        .connect(&server.generate_token(1, &[0; 256]).unwrap())
        .unwrap();
    let mut time = 0.0;
    while time < 3.0 && client.state() != ConnectionState::Connected {
        simulator.update(time);
        client.update(time);
        server.update(time);
        time += 0.11;
    }
    client.state() == ConnectionState::Connected
}

/// Runs `f` on another thread; fails if it does not return within 30 s (a deadlock).
fn within_30_s(what: &str, f: impl FnOnce() -> bool + Send + 'static) {
    let (done, wait) = mpsc::channel();
    std::thread::spawn(move || done.send(f()).unwrap());
    match wait.recv_timeout(Duration::from_secs(30)) {
        Ok(result) => assert!(result, "{what}: the client did not connect"),
        Err(_) => panic!("{what}: the session hung (a deadlock)"),
    }
}

#[test]
fn late_and_misbehaving_loggers() {
    // The first call into the crate happens before any logger exists, with logging off.
    let _ = netcode::generate_key();
    log::set_logger(&LOGGER).unwrap();
    log::set_max_level(LevelFilter::Debug);

    // A logger installed after generate_key gets every line, debug ones included.
    let simulator = NetworkSimulator::new().unwrap();
    assert!(session(&simulator));
    {
        let lines = LINES.lock().unwrap();
        assert!(
            lines.iter().any(|l| l.starts_with("server started with")),
            "a logger installed after generate_key got no info line: {lines:?}"
        );
        assert!(
            lines.iter().any(|l| l.contains("connection request")),
            "a logger installed after generate_key got no debug line"
        );
    }

    // A logger that calls the simulator the C is sending through.
    SIMULATOR
        .set(NetworkSimulator::new().unwrap())
        .ok()
        .unwrap();
    MODE.store(CALL_THE_SIMULATOR, Ordering::SeqCst);
    // (It throws away the packets in flight, so the client cannot connect: the point is that
    // nothing hangs.)
    within_30_s("a logger calling the simulator", || {
        let _ = session(SIMULATOR.get().unwrap());
        true
    });

    // A logger that panics with a payload whose drop panics.
    MODE.store(PANIC_BADLY, Ordering::SeqCst);
    LINES.lock().unwrap().clear();
    within_30_s("a panicking logger", || {
        session(&NetworkSimulator::new().unwrap())
    });
    assert!(
        !LINES.lock().unwrap().is_empty(),
        "the logger was not called"
    );
}
