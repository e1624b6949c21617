//! One process-wide initialization of the reference C, and its log lines routed to `log`.

use std::ffi::{c_char, c_int, CStr};
use std::sync::OnceLock;

use netcode_sys as raw;

use crate::Error;

/// Initializes the C library once per process, thread-safely, and brings the log threshold up
/// to date. Every constructor calls it.
///
/// The library is never terminated: `netcode_term` only resets a flag (and calls `WSACleanup`
/// on Windows), and a later `netcode_init` would have to race with handles still alive.
pub(crate) fn ensure_init() -> Result<(), Error> {
    static INIT: OnceLock<bool> = OnceLock::new();
    let ok = *INIT.get_or_init(|| {
        // SAFETY: OnceLock runs this exactly once per process, so netcode_init (which asserts
        // on a second call) is called once, before any other C function of the crate.
        let ok = unsafe { raw::netcode_init() } == 1;
        if ok {
            // SAFETY: log_line is a valid callback for the whole process lifetime. The C's own
            // level is set once, here, before any handle exists (so before any other thread
            // can read it: it is a plain int): lines above the level `log` allows now are
            // never even passed on, which keeps the C's per-packet debug lines off the hot
            // path. Later, only the shim's atomic threshold changes (sync_log_threshold), so a
            // logger installed after the first handle sees only lines up to this level.
            unsafe {
                raw::netcode_sys_set_log_callback(Some(log_line));
                raw::netcode_log_level(c_level(log::max_level()));
            }
        }
        ok
    });
    if ok {
        sync_log_threshold();
        Ok(())
    } else {
        Err(Error::Init)
    }
}

/// Lets through the C's log lines that the `log` crate's current maximum level can show, so
/// that lines nobody reads are never formatted. Called on every update (one atomic store).
pub(crate) fn sync_log_threshold() {
    // SAFETY: an atomic store in the shim; callable from any thread.
    unsafe { raw::netcode_sys_set_log_threshold(c_level(log::max_level())) };
}

/// The C's level that lets through the lines `log` can show at `filter`.
fn c_level(filter: log::LevelFilter) -> i32 {
    match filter {
        log::LevelFilter::Off => raw::NETCODE_LOG_LEVEL_NONE,
        // The C's levels run NONE < INFO < ERROR < DEBUG, so errors bring info lines along;
        // `log` filters those itself.
        log::LevelFilter::Error | log::LevelFilter::Warn | log::LevelFilter::Info => {
            raw::NETCODE_LOG_LEVEL_ERROR
        }
        log::LevelFilter::Debug | log::LevelFilter::Trace => raw::NETCODE_LOG_LEVEL_DEBUG,
    }
}

/// Receives each log line of the C, without its newline, under the target `netcode`.
extern "C" fn log_line(level: c_int, line: *const c_char) {
    // A panicking logger must not unwind into C.
    let _ = std::panic::catch_unwind(|| {
        if line.is_null() {
            return;
        }
        // SAFETY: the shim passes a NUL-terminated buffer that lives for this call.
        let text = unsafe { CStr::from_ptr(line) }.to_string_lossy();
        let level = match level {
            raw::NETCODE_LOG_LEVEL_ERROR => log::Level::Error,
            raw::NETCODE_LOG_LEVEL_INFO => log::Level::Info,
            _ => log::Level::Debug,
        };
        log::log!(target: "netcode", level, "{text}");
    });
}
