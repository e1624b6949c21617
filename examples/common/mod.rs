//! What examples/server.rs and examples/client.rs share: the demo key and protocol id, their
//! argument parsing, and the few lines of HTTP they speak to the backend (backend/) with.
//! Each example uses part of it.
#![allow(dead_code)]

pub mod http;

use std::net::SocketAddr;

use netcode::Version;

/// The demo protocol id, shared by the examples (a real game picks its own).
pub const DEMO_PROTOCOL_ID: u64 = 0x1122_3344_5566_7788;
/// The demo key, shared by the examples: published, so never one for a real game.
pub const DEMO_KEY: [u8; 32] = *b"netcode-rs demo key: not secret!";

/// A command-line argument: a positional one, or an option with its value (`--name VALUE` or
/// `--name=VALUE`; every option of the examples takes one).
pub enum Arg {
    /// An argument that is not an option.
    Positional(String),
    /// `--name` and its value.
    Named(String, String),
}

/// `args` as [`Arg`]s, in order; `Err` for an option not in `known` or without its value.
pub fn args(args: &[String], known: &[&str]) -> Result<Vec<Arg>, String> {
    let mut parsed = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if !arg.starts_with('-') {
            parsed.push(Arg::Positional(arg.clone()));
            continue;
        }
        let name = match arg.split_once('=') {
            Some((name, _)) if name.starts_with("--") => name,
            _ => arg.as_str(),
        };
        if !known.contains(&name) {
            return Err(format!("unknown option {name}"));
        }
        let (name, value) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, value.to_string()),
            _ => (
                arg.as_str(),
                args.next()
                    .cloned()
                    .ok_or_else(|| format!("{arg} needs a value"))?,
            ),
        };
        parsed.push(Arg::Named(name.to_string(), value));
    }
    Ok(parsed)
}

/// An IP address with a port; `what` names the argument in the error.
pub fn address(text: &str, what: &str) -> Result<SocketAddr, String> {
    text.parse().map_err(|_| {
        format!("{what}: {text:?} is not an IP address with a port (127.0.0.1:40000, [::1]:40000)")
    })
}

/// Puts the address `text` in `slot`, which must be empty: there is one `what` at most.
pub fn only_address(slot: &mut Option<SocketAddr>, text: &str, what: &str) -> Result<(), String> {
    if slot.replace(address(text, what)?).is_some() {
        return Err(format!("unexpected argument {text:?}: one {what} at most"));
    }
    Ok(())
}

/// `1.00` or `1.02`.
pub fn version(text: &str) -> Result<Version, String> {
    text.parse()
        .map_err(|_| format!("--protocol: {text:?} is neither 1.00 nor 1.02"))
}

/// A protocol id in hex, `0x` optional.
pub fn protocol_id(text: &str) -> Result<u64, String> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text)
        .replace('_', "");
    u64::from_str_radix(&digits, 16)
        .map_err(|_| format!("--protocol-id: {text:?} is not a 64-bit hex number"))
}

/// A key file: exactly 32 raw bytes.
pub fn key_file(path: &str) -> Result<[u8; 32], String> {
    let bytes = std::fs::read(path).map_err(|e| format!("--key-file: cannot read {path}: {e}"))?;
    bytes.as_slice().try_into().map_err(|_| {
        format!(
            "--key-file: {path} holds {} bytes; a key is exactly 32 raw bytes",
            bytes.len()
        )
    })
}

/// A number of seconds, 0 or more.
pub fn seconds(text: &str, what: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds >= 0.0 => Ok(seconds),
        _ => Err(format!("{what}: {text:?} is not a number of seconds")),
    }
}

/// The backend's base URL, checked now so that a typo is a usage error, not a failure later.
pub fn backend(text: &str) -> Result<http::Url, String> {
    http::Url::parse(text).map_err(|e| format!("--backend: {e}"))
}
