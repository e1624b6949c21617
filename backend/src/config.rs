//! The backend's settings, from the environment (the way containers and orchestrators hand
//! settings and secrets to a process). Secrets never reach a log: [`Secret`] prints as
//! `<redacted>`, and so does the Redis URL, which may hold a password.

use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use netcode::{Version, NETCODE_KEY_BYTES};

/// A value that must not be logged: `Debug` shows `<redacted>`.
#[derive(Clone)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps `value`.
    pub fn new(value: T) -> Secret<T> {
        Secret(value)
    }

    /// The value itself, for the one place that uses it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// At most `max` requests per `window` (a fixed window: the count starts again when it ends).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// Requests allowed per window.
    pub max: u64,
    /// The window's length.
    pub window: Duration,
}

impl Limit {
    /// Parses `MAX/SECONDS`, e.g. `10/60`: ten requests a minute.
    pub fn parse(text: &str) -> Result<Limit, String> {
        let parsed = text.split_once('/').and_then(|(max, seconds)| {
            Some((
                max.trim().parse::<u64>().ok()?,
                seconds.trim().parse::<u64>().ok()?,
            ))
        });
        match parsed {
            Some((max, seconds)) if max > 0 && (1..=86_400).contains(&seconds) => Ok(Limit {
                max,
                window: Duration::from_secs(seconds),
            }),
            _ => Err(format!(
                "{text:?} is not a limit: write MAX/SECONDS with MAX >= 1 and 1 <= SECONDS <= \
                 86400, e.g. 10/60 for ten requests a minute"
            )),
        }
    }
}

/// Everything the backend is configured with. [`Config::from_env`] reads it; tests build it
/// directly.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where the HTTP service listens (`NETCODE_BACKEND_LISTEN`, default 127.0.0.1:8080).
    pub listen: SocketAddr,
    /// The protocol of the tokens and of the servers it lists (`NETCODE_BACKEND_PROTOCOL`,
    /// 1.02 by default; 1.00 for a fleet of netcode 0.3.1 servers).
    pub version: Version,
    /// The game's protocol id (`NETCODE_BACKEND_PROTOCOL_ID`, hex; required).
    pub protocol_id: u64,
    /// The dedicated servers' private key (`NETCODE_BACKEND_PRIVATE_KEY_FILE`: a file of 32
    /// raw bytes, the servers' `--key-file`; required).
    pub private_key: Secret<[u8; NETCODE_KEY_BYTES]>,
    /// How long a token can start a connection (`NETCODE_BACKEND_TOKEN_SECONDS`, default 30).
    pub token_seconds: u32,
    /// The connection timeout written into tokens (`NETCODE_BACKEND_TIMEOUT_SECONDS`,
    /// default 5; 1.02 servers and clients use it, 1.00 ones always 5).
    pub timeout_seconds: i32,
    /// What the dedicated servers send to register (`NETCODE_FLEET_SECRET`, the same variable
    /// the servers read; required, 16 bytes at least).
    pub fleet_secret: Secret<String>,
    /// The key of the demo player authentication, [`SessionTokens`](crate::SessionTokens)
    /// (`NETCODE_BACKEND_SESSION_SECRET`, 32 bytes at least; required when that
    /// authentication is used).
    pub session_secret: Option<Secret<Vec<u8>>>,
    /// The shared store of several instances (`NETCODE_BACKEND_REDIS_URL`, e.g.
    /// `redis://10.0.0.5:6379/`); unset: this instance keeps its state in memory.
    pub redis_url: Option<Secret<String>>,
    /// A server that has not reported for this long is forgotten
    /// (`NETCODE_BACKEND_SERVER_TTL_SECONDS`, default 5; servers report every second).
    pub server_ttl: Duration,
    /// Token requests per player (`NETCODE_BACKEND_PLAYER_LIMIT`, default 10/60).
    pub player_limit: Limit,
    /// Requests to /v1/connect per source address, counted before authentication, so that
    /// guessing credentials is throttled too (`NETCODE_BACKEND_ADDRESS_LIMIT`, default
    /// 60/60). IPv6 addresses count per /64, what one subscriber usually holds.
    pub address_limit: Limit,
    /// Take the source address from the last `X-Forwarded-For` entry, which the load balancer
    /// in front appends (`NETCODE_BACKEND_TRUST_FORWARDED_FOR=1`). Only behind one: a client
    /// that reaches the backend directly could otherwise pick its own address.
    pub trust_forwarded_for: bool,
}

impl Config {
    /// The settings of the documented environment variables (see the fields).
    pub fn from_env() -> Result<Config, String> {
        Config::from_vars(|name| std::env::var(name).ok())
    }

    /// The settings from `var`, a lookup of the same variables as [`Config::from_env`].
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Config, String> {
        let required = |name: &str| {
            var(name)
                .filter(|value| !value.is_empty())
                .ok_or_else(|| format!("{name} is not set; the backend README lists what to set"))
        };
        let parsed = |name: &str, default: &str| var(name).unwrap_or_else(|| default.to_string());
        let number = |name: &str, default: &str| {
            let text = parsed(name, default);
            text.trim()
                .parse::<i64>()
                .map_err(|_| format!("{name}: {text:?} is not a whole number"))
        };

        let listen = parsed("NETCODE_BACKEND_LISTEN", "127.0.0.1:8080");
        let listen = listen.parse().map_err(|_| {
            format!(
                "NETCODE_BACKEND_LISTEN: {listen:?} is not an address with a port (0.0.0.0:8080)"
            )
        })?;
        let version = parsed("NETCODE_BACKEND_PROTOCOL", "1.02");
        let version = version.parse().map_err(|_| {
            format!("NETCODE_BACKEND_PROTOCOL: {version:?} is neither 1.00 nor 1.02")
        })?;
        let protocol_id = parse_protocol_id(&required("NETCODE_BACKEND_PROTOCOL_ID")?)
            .map_err(|e| format!("NETCODE_BACKEND_PROTOCOL_ID: {e}"))?;
        let private_key = read_key(Path::new(&required("NETCODE_BACKEND_PRIVATE_KEY_FILE")?))
            .map_err(|e| format!("NETCODE_BACKEND_PRIVATE_KEY_FILE: {e}"))?;
        let token_seconds = number("NETCODE_BACKEND_TOKEN_SECONDS", "30")?;
        let token_seconds = u32::try_from(token_seconds)
            .ok()
            .filter(|s| (1..=3600).contains(s))
            .ok_or("NETCODE_BACKEND_TOKEN_SECONDS: give 1 to 3600 seconds (30 is usual)")?;
        let timeout_seconds = number("NETCODE_BACKEND_TIMEOUT_SECONDS", "5")?;
        let timeout_seconds = i32::try_from(timeout_seconds)
            .ok()
            .filter(|s| *s != 0)
            .ok_or("NETCODE_BACKEND_TIMEOUT_SECONDS: give a number of seconds other than 0 (5 is the reference's, negative: none)")?;
        let fleet_secret = required("NETCODE_FLEET_SECRET")?;
        if fleet_secret.len() < 16 {
            return Err("NETCODE_FLEET_SECRET: use 16 bytes at least (a random string)".into());
        }
        let printable = fleet_secret.bytes().all(|b| (0x20..0x7f).contains(&b));
        if fleet_secret.trim() != fleet_secret || !printable {
            return Err(
                "NETCODE_FLEET_SECRET: use printable ASCII, with no whitespace at either \
                 end (a trailing newline from a secret file is the usual cause): servers send it \
                 in an HTTP header, which cannot carry it otherwise"
                    .into(),
            );
        }
        let session_secret = match var("NETCODE_BACKEND_SESSION_SECRET") {
            Some(secret) if secret.len() < 32 => {
                return Err("NETCODE_BACKEND_SESSION_SECRET: use 32 bytes at least".into())
            }
            secret => secret.map(|s| Secret::new(s.into_bytes())),
        };
        let server_ttl = number("NETCODE_BACKEND_SERVER_TTL_SECONDS", "5")?;
        let server_ttl = u64::try_from(server_ttl)
            .ok()
            .filter(|s| (2..=600).contains(s))
            .map(Duration::from_secs)
            .ok_or("NETCODE_BACKEND_SERVER_TTL_SECONDS: give 2 to 600 seconds (servers report every second)")?;
        let limit = |name: &str, default: &str| {
            Limit::parse(&parsed(name, default)).map_err(|e| format!("{name}: {e}"))
        };
        let trust = parsed("NETCODE_BACKEND_TRUST_FORWARDED_FOR", "0");
        Ok(Config {
            listen,
            version,
            protocol_id,
            private_key: Secret::new(private_key),
            token_seconds,
            timeout_seconds,
            fleet_secret: Secret::new(fleet_secret),
            session_secret,
            redis_url: var("NETCODE_BACKEND_REDIS_URL")
                .filter(|url| !url.is_empty())
                .map(Secret::new),
            server_ttl,
            player_limit: limit("NETCODE_BACKEND_PLAYER_LIMIT", "10/60")?,
            address_limit: limit("NETCODE_BACKEND_ADDRESS_LIMIT", "60/60")?,
            trust_forwarded_for: match trust.as_str() {
                "1" | "true" => true,
                "0" | "false" => false,
                _ => {
                    return Err(format!(
                        "NETCODE_BACKEND_TRUST_FORWARDED_FOR: {trust:?} is neither 1 nor 0"
                    ))
                }
            },
        })
    }
}

/// A protocol id in hex, `0x` optional, `_` allowed between digits.
pub fn parse_protocol_id(text: &str) -> Result<u64, String> {
    let digits = text
        .trim()
        .strip_prefix("0x")
        .or_else(|| text.trim().strip_prefix("0X"))
        .unwrap_or(text.trim())
        .replace('_', "");
    u64::from_str_radix(&digits, 16).map_err(|_| format!("{text:?} is not a 64-bit hex number"))
}

/// A private key file: exactly 32 raw bytes (what `netcode-backend keygen` writes and the
/// server example's `--key-file` reads).
pub fn read_key(path: &Path) -> Result<[u8; NETCODE_KEY_BYTES], String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    bytes.as_slice().try_into().map_err(|_| {
        format!(
            "{} holds {} bytes; a key is exactly {NETCODE_KEY_BYTES} raw bytes",
            path.display(),
            bytes.len()
        )
    })
}
