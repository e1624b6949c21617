//! One process-wide initialization of the reference C, and its log lines handed to `log`.

use std::cell::Cell;
use std::ffi::{c_int, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use netcode_sys as raw;

use crate::Error;

/// Initializes the C library once per process, thread-safely, and brings its log level up to
/// date. Every constructor calls it.
///
/// The library is never terminated: `netcode_term` only resets a flag (and calls `WSACleanup`
/// on Windows), and a later `netcode_init` would have to race with handles still alive.
pub(crate) fn ensure_init() -> Result<(), Error> {
    static INIT: OnceLock<bool> = OnceLock::new();
    let ok = *INIT.get_or_init(|| {
        // SAFETY: OnceLock runs this exactly once per process, so netcode_init (which asserts
        // on a second call) is called once, before any other C function of the crate. The
        // shim's capture flag is an atomic: from now on the C's lines wait in a buffer of the
        // thread that made them until flush_log takes them.
        unsafe {
            raw::netcode_sys_log_capture(1);
            raw::netcode_init() == 1
        }
    });
    if ok {
        sync_log_level();
        Ok(())
    } else {
        Err(Error::Init)
    }
}

/// Sets the C's log level (an atomic in the shim, patch 0009) to what the `log` crate's
/// maximum level can show now, so that lines nobody reads are never formatted. Called by every
/// constructor and update: a logger installed at any time gets every line from then on.
pub(crate) fn sync_log_level() {
    // SAFETY: an atomic store in the shim; callable from any thread.
    unsafe { raw::netcode_sys_set_log_level(c_level(log::max_level())) };
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

/// Hands the C's lines that this thread's calls left in the shim's buffer to the `log` crate,
/// under the target `netcode`. Called after every C call that may log, once the call has
/// returned (and any simulator lock is released), so the logger runs outside the C and may do
/// anything, call this crate included. A logger that panics loses its line, nothing else.
#[inline]
pub(crate) fn flush_log() {
    // SAFETY: reads a counter of this thread's buffer.
    if unsafe { raw::netcode_sys_log_lines() } == 0 {
        return;
    }
    flush_log_lines();
}

thread_local! {
    static FLUSHING: Cell<bool> = const { Cell::new(false) };
}

#[cold]
fn flush_log_lines() {
    // A logger that calls this crate makes more lines: they wait for the next flush (no
    // recursion), and a flush takes only the lines there were when it began (no endless loop
    // with a logger whose calls log).
    if FLUSHING.with(|flushing| flushing.replace(true)) {
        return;
    }
    // SAFETY: reads a counter of this thread's buffer.
    let lines = unsafe { raw::netcode_sys_log_lines() };
    let mut level: c_int = 0;
    for _ in 0..lines {
        // SAFETY: the shim returns this thread's oldest line, NUL-terminated, valid until the
        // next C call on this thread: it is copied out before the logger (which may make such
        // calls) runs.
        let line = unsafe { raw::netcode_sys_log_next(&mut level) };
        if line.is_null() {
            break;
        }
        let mut copy = [0u8; raw::NETCODE_SYS_LOG_LINE_BYTES as usize];
        // SAFETY: as above; the shim cuts lines to fit NETCODE_SYS_LOG_LINE_BYTES with the NUL.
        let bytes = unsafe { CStr::from_ptr(line) }.to_bytes();
        let len = bytes.len().min(copy.len());
        copy[..len].copy_from_slice(&bytes[..len]);
        let level = match level {
            raw::NETCODE_LOG_LEVEL_ERROR => log::Level::Error,
            raw::NETCODE_LOG_LEVEL_INFO => log::Level::Info,
            _ => log::Level::Debug,
        };
        let text = String::from_utf8_lossy(&copy[..len]);
        guarded(|| log::log!(target: "netcode", level, "{text}"));
    }
    // SAFETY: reads and resets a counter of this thread's buffer.
    let dropped = unsafe { raw::netcode_sys_log_take_dropped() };
    if dropped > 0 {
        guarded(
            || log::warn!(target: "netcode", "{dropped} log lines of the C were dropped: its buffer was full"),
        );
    }
    FLUSHING.with(|flushing| flushing.set(false));
}

/// Runs a logger call, containing a panic, and the panic of a panic payload's drop: neither may
/// leave this function.
fn guarded(f: impl FnOnce()) {
    let mut payload = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(()) => return,
        Err(payload) => payload,
    };
    // Dropping a payload runs foreign code that may panic again, with a new payload.
    for _ in 0..8 {
        match catch_unwind(AssertUnwindSafe(move || drop(payload))) {
            Ok(()) => return,
            Err(next) => payload = next,
        }
    }
    // A payload that keeps panicking when dropped is leaked rather than dropped.
    std::mem::forget(payload);
}
