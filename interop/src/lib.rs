//! Helpers for the interop tests: the C programs this crate's build script made, run as child
//! processes that are stopped the way their authors meant (SIGINT), with their output kept.

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// The reference's own example client (`c/client.c`, unmodified).
pub const UPSTREAM_CLIENT: &str = env!("NETCODE_INTEROP_UPSTREAM_CLIENT");
/// The reference's own example server (`c/server.c`, unmodified).
pub const UPSTREAM_SERVER: &str = env!("NETCODE_INTEROP_UPSTREAM_SERVER");
/// The reference's client and server in one process (`c/client_server.c`, unmodified).
pub const UPSTREAM_CLIENT_SERVER: &str = env!("NETCODE_INTEROP_UPSTREAM_CLIENT_SERVER");
/// Our own C peer (`interop/csrc/peer.c`).
pub const PEER: &str = env!("NETCODE_INTEROP_PEER");

/// The protocol id of the upstream example programs.
pub const UPSTREAM_PROTOCOL_ID: u64 = 0x1122_3344_5566_7788;
/// The private key the upstream example programs share (from their sources).
pub const UPSTREAM_KEY: [u8; 32] = [
    0x60, 0x6a, 0xbe, 0x6e, 0xc9, 0x19, 0x10, 0xea, 0x9a, 0x65, 0x62, 0xf6, 0x6f, 0x2b, 0x30, 0xe4,
    0x43, 0x71, 0xd6, 0x2c, 0xd1, 0x99, 0x27, 0x26, 0x6b, 0x3c, 0x60, 0xf4, 0xb7, 0x15, 0xab, 0xa1,
];
/// The address the upstream server listens at, and its clients connect to.
pub const UPSTREAM_ADDRESS: &str = "[::1]:40000";

/// The payload the upstream programs send and assert on: 1200 bytes, byte i is `i & 0xFF`.
pub fn upstream_payload() -> Vec<u8> {
    (0..netcode::NETCODE_MAX_PAYLOAD_SIZE)
        .map(|i| i as u8)
        .collect()
}

/// The upstream programs use fixed ports: tests that run them take this lock.
pub fn fixed_ports() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A C program running as a child process, its stdout collected.
pub struct Program {
    child: Child,
    output: Arc<Mutex<String>>,
    reader: Option<JoinHandle<()>>,
}

impl Program {
    /// Starts `path` with line-buffered stdout (through coreutils' `stdbuf`), so that what it
    /// prints can be waited for while it runs.
    pub fn start(path: &str, args: &[&str]) -> Program {
        let mut child = Command::new("stdbuf")
            .arg("-oL")
            .arg(path)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {path}: {e}"));
        let output = Arc::new(Mutex::new(String::new()));
        let mut stdout = child.stdout.take().expect("piped stdout");
        let sink = Arc::clone(&output);
        let reader = thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        Program {
            child,
            output,
            reader: Some(reader),
        }
    }

    /// What it printed so far.
    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// Waits until its output contains `text` (true), or `seconds` pass (false).
    pub fn wait_for(&self, text: &str, seconds: f64) -> bool {
        let deadline = Instant::now() + Duration::from_secs_f64(seconds);
        while Instant::now() < deadline {
            if self.output().contains(text) {
                return true;
            }
            thread::sleep(Duration::from_millis(10));
        }
        false
    }

    /// Sends SIGINT (the upstream programs then shut down cleanly) and waits for the exit;
    /// SIGKILL after 5 seconds. Returns the exit status, stdout and stderr.
    pub fn interrupt(self) -> (ExitStatus, String, String) {
        // SAFETY: kill with a child's pid and a valid signal; the child has not been reaped.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGINT) };
        self.wait(5.0)
    }

    /// Waits for the exit (SIGKILL after `seconds`).
    pub fn wait(mut self, seconds: f64) -> (ExitStatus, String, String) {
        let deadline = Instant::now() + Duration::from_secs_f64(seconds);
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for the child") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                break self.child.wait().expect("wait for the killed child");
            }
            thread::sleep(Duration::from_millis(10));
        };
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            let _ = pipe.read_to_string(&mut stderr);
        }
        (status, self.output(), stderr)
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
