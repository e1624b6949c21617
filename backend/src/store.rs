//! The state instances share: rate-limit windows and the fleet registry, in memory (one
//! instance) or in Redis (several behind a load balancer). Both run the same fixed-window
//! count and the same expiring server records, so one instance and many behave alike.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::fleet::ServerReport;

/// Where the shared state lives.
pub enum Store {
    /// This process only.
    Memory(Mutex<Memory>),
    /// A Redis server that all instances use.
    Redis(ConnectionManager),
}

/// The in-memory store's state.
#[derive(Default)]
pub struct Memory {
    windows: HashMap<String, (u64, Instant)>,
    servers: HashMap<SocketAddr, (ServerReport, Instant)>,
    /// When the map of windows is this long, ended windows are dropped (so an attacker with
    /// many addresses cannot grow it without bound: it holds at most the windows of one
    /// window's length of requests, which the address limit counts).
    purge_at: usize,
}

/// The store could not be reached or answered nonsense: requests get 503.
#[derive(Debug)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the shared store failed: {}", self.0)
    }
}

impl std::error::Error for StoreError {}

impl From<redis::RedisError> for StoreError {
    fn from(error: redis::RedisError) -> StoreError {
        StoreError(error.to_string())
    }
}

/// The longest a request waits for the store; then it gets 503.
pub const STORE_TIMEOUT: Duration = Duration::from_secs(1);

/// The most rate-limit windows the memory store keeps (about 100 bytes each). Beyond, while
/// no window has ended, requests of keys it does not hold yet share one window, `overflow`,
/// with the same limit: a flood from more addresses than this grows nothing, and throttles
/// only newcomers together.
pub const MAX_WINDOWS: usize = 100_000;

const PREFIX: &str = "netcode-backend:";
const SERVER_SET: &str = "netcode-backend:servers";

/// INCR the window's counter, start its expiry on the first request, and return the count
/// and the milliseconds until the window ends, in one atomic step.
const COUNT_SCRIPT: &str = r"
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); left = tonumber(ARGV[1]) end
return {count, left}
";

/// Takes one free slot, if the record still exists and has one (DECR keeps the key's
/// expiry).
const RESERVE_SCRIPT: &str = r"
local free = tonumber(redis.call('GET', KEYS[1]))
if free and free > 0 then redis.call('DECR', KEYS[1]) end
return 0
";

impl Store {
    /// A store in this process's memory.
    pub fn memory() -> Store {
        Store::Memory(Mutex::new(Memory {
            purge_at: 1024,
            ..Memory::default()
        }))
    }

    /// A store in the Redis at `url`; fails if it cannot be reached now.
    pub async fn redis(url: &str) -> Result<Store, StoreError> {
        let client = redis::Client::open(url)?;
        // Reconnects keep trying every half second at most (the default backoff grows to a
        // minute or two, and every request would wait on it); each call is bounded on top
        // (`bounded`), so a store that stops answering costs a request STORE_TIMEOUT, not a hang.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Duration::from_millis(500))
            .set_response_timeout(STORE_TIMEOUT)
            .set_factor(100)
            .set_exponent_base(2)
            .set_max_delay(500)
            .set_number_of_retries(1);
        let manager = ConnectionManager::new_with_config(client, config).await?;
        Ok(Store::Redis(manager))
    }

    /// Counts one request in `key`'s current window of `window`: the count so far, this one
    /// included, and the time until the window ends.
    pub async fn count(&self, key: &str, window: Duration) -> Result<(u64, Duration), StoreError> {
        match self {
            Store::Memory(memory) => {
                let mut memory = lock(memory);
                let now = Instant::now();
                if memory.windows.len() >= memory.purge_at {
                    memory.windows.retain(|_, (_, ends)| *ends > now);
                    memory.purge_at = (memory.windows.len() * 2).clamp(1024, MAX_WINDOWS);
                }
                let key =
                    if memory.windows.len() >= MAX_WINDOWS && !memory.windows.contains_key(key) {
                        "overflow"
                    } else {
                        key
                    };
                let (count, ends) = memory
                    .windows
                    .entry(key.to_string())
                    .or_insert((0, now + window));
                if *ends <= now {
                    (*count, *ends) = (0, now + window);
                }
                *count += 1;
                Ok((*count, *ends - now))
            }
            Store::Redis(manager) => {
                bounded(async {
                    let mut connection = manager.clone();
                    let (count, left): (u64, u64) = redis::Script::new(COUNT_SCRIPT)
                        .key(format!("{PREFIX}limit:{key}"))
                        .arg(window.as_millis() as u64)
                        .invoke_async(&mut connection)
                        .await?;
                    Ok((count, Duration::from_millis(left)))
                })
                .await
            }
        }
    }

    /// Records `report`, which lasts `ttl` unless the server reports again.
    pub async fn report(&self, report: &ServerReport, ttl: Duration) -> Result<(), StoreError> {
        match self {
            Store::Memory(memory) => {
                lock(memory)
                    .servers
                    .insert(report.address, (report.clone(), Instant::now() + ttl));
                Ok(())
            }
            Store::Redis(manager) => {
                bounded(async {
                    let mut connection = manager.clone();
                    let json =
                        serde_json::to_string(report).map_err(|e| StoreError(e.to_string()))?;
                    let ttl = ttl.as_millis() as u64;
                    redis::pipe()
                        .atomic()
                        .cmd("SET")
                        .arg(key("server", report.address))
                        .arg(json)
                        .arg("PX")
                        .arg(ttl)
                        .ignore()
                        .cmd("SET")
                        .arg(key("free", report.address))
                        .arg(report.free_slots)
                        .arg("PX")
                        .arg(ttl)
                        .ignore()
                        .cmd("SADD")
                        .arg(SERVER_SET)
                        .arg(report.address.to_string())
                        .ignore()
                        .query_async::<()>(&mut connection)
                        .await?;
                    Ok(())
                })
                .await
            }
        }
    }

    /// Counts a slot of `address` as taken until its next report: the player a token was
    /// just issued for is on its way there. (Without it, every token of a burst between two
    /// reports would name the same server first, and the players would pile onto it until
    /// it is full.)
    pub async fn reserve(&self, address: SocketAddr) -> Result<(), StoreError> {
        match self {
            Store::Memory(memory) => {
                if let Some((report, _)) = lock(memory).servers.get_mut(&address) {
                    report.free_slots = report.free_slots.saturating_sub(1);
                }
                Ok(())
            }
            Store::Redis(manager) => {
                bounded(async {
                    let mut connection = manager.clone();
                    redis::Script::new(RESERVE_SCRIPT)
                        .key(key("free", address))
                        .invoke_async::<()>(&mut connection)
                        .await?;
                    Ok(())
                })
                .await
            }
        }
    }

    /// Every server whose last report has not expired (and forgets the others).
    pub async fn servers(&self) -> Result<Vec<ServerReport>, StoreError> {
        match self {
            Store::Memory(memory) => {
                let mut memory = lock(memory);
                let now = Instant::now();
                memory.servers.retain(|_, (_, expires)| *expires > now);
                Ok(memory.servers.values().map(|(r, _)| r.clone()).collect())
            }
            Store::Redis(manager) => {
                bounded(async {
                    let mut connection = manager.clone();
                    let addresses: Vec<String> = redis::cmd("SMEMBERS")
                        .arg(SERVER_SET)
                        .query_async(&mut connection)
                        .await?;
                    if addresses.is_empty() {
                        return Ok(Vec::new());
                    }
                    let records: Vec<Option<String>> = redis::cmd("MGET")
                        .arg(
                            addresses
                                .iter()
                                .map(|a| key("server", a))
                                .collect::<Vec<_>>(),
                        )
                        .query_async(&mut connection)
                        .await?;
                    let free: Vec<Option<u32>> = redis::cmd("MGET")
                        .arg(addresses.iter().map(|a| key("free", a)).collect::<Vec<_>>())
                        .query_async(&mut connection)
                        .await?;
                    let mut live = Vec::new();
                    let mut gone = Vec::new();
                    for ((address, record), free) in addresses.iter().zip(records).zip(free) {
                        match record
                            .and_then(|json| serde_json::from_str::<ServerReport>(&json).ok())
                        {
                            Some(mut report) => {
                                report.free_slots = free.unwrap_or(0).min(report.free_slots);
                                live.push(report);
                            }
                            None => gone.push(address),
                        }
                    }
                    if !gone.is_empty() {
                        redis::cmd("SREM")
                            .arg(SERVER_SET)
                            .arg(&gone)
                            .query_async::<()>(&mut connection)
                            .await?;
                    }
                    Ok(live)
                })
                .await
            }
        }
    }

    /// Whether the store answers (the health check).
    pub async fn ping(&self) -> Result<(), StoreError> {
        match self {
            Store::Memory(_) => Ok(()),
            Store::Redis(manager) => {
                bounded(async {
                    let mut connection = manager.clone();
                    redis::cmd("PING")
                        .query_async::<()>(&mut connection)
                        .await?;
                    Ok(())
                })
                .await
            }
        }
    }

    /// `memory` or `redis`, for the logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Store::Memory(_) => "memory",
            Store::Redis(_) => "redis",
        }
    }
}

/// The Redis key of `address`'s `kind` of record (`server`: the report; `free`: its free
/// slots, less those reserved since).
fn key(kind: &str, address: impl std::fmt::Display) -> String {
    format!("{PREFIX}{kind}:{address}")
}

/// `call`, or a [`StoreError`] if the store has not answered within [`STORE_TIMEOUT`].
async fn bounded<T>(
    call: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    tokio::time::timeout(STORE_TIMEOUT, call)
        .await
        .unwrap_or_else(|_| Err(StoreError("no answer within a second".into())))
}

/// The lock, even if a thread panicked holding it (the maps stay consistent: every update is
/// one insert or retain).
fn lock(memory: &Mutex<Memory>) -> std::sync::MutexGuard<'_, Memory> {
    memory
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Past MAX_WINDOWS live windows, new keys share one window and the map stops growing;
    /// keys it already holds keep their own counts.
    #[tokio::test]
    async fn the_memory_store_holds_at_most_max_windows() {
        let store = Store::memory();
        let window = Duration::from_secs(60);
        for n in 0..MAX_WINDOWS {
            assert_eq!(store.count(&format!("k{n}"), window).await.unwrap().0, 1);
        }
        assert_eq!(
            store.count("k0", window).await.unwrap().0,
            2,
            "a held key counts alone"
        );
        assert_eq!(store.count("new 1", window).await.unwrap().0, 1);
        assert_eq!(
            store.count("new 2", window).await.unwrap().0,
            2,
            "newcomers share a window"
        );
        let Store::Memory(memory) = &store else {
            unreachable!()
        };
        assert!(lock(memory).windows.len() <= MAX_WINDOWS + 1);
    }
}
