//! The reference's network simulator as a safe type, and the transport a handle uses.

use std::ptr::NonNull;
use std::sync::{Arc, Mutex, MutexGuard};

use netcode_sys as raw;

use crate::init::{ensure_init, flush_log};
use crate::Error;

/// The reference's own network simulator: clients and servers created with it exchange packets
/// through it instead of sockets, with the latency, jitter, loss and duplicates you set, so that
/// a whole game session runs deterministically in one process, on your clock.
///
/// Each tick, call [`update`](NetworkSimulator::update) first, then the clients' and servers'
/// `update`, all with the same time. A simulated address is only a name: give every client and
/// server its own, with a port.
///
/// ```
/// use netcode::{ConnectToken, ConnectionState, NetcodeClient, NetcodeServer, NetworkSimulator, ServerConfig};
///
/// let simulator = NetworkSimulator::new().unwrap();
/// let key = netcode::generate_key();
/// let config = ServerConfig::new("[::1]:40000".parse().unwrap(), 0x1122334455667788, key);
/// let mut server = NetcodeServer::with_simulator(&simulator, config).unwrap();
/// let token = server.generate_token(1, &[0; 256]).unwrap();
/// let mut client = NetcodeClient::with_simulator(&simulator, "[::1]:50000".parse().unwrap()).unwrap();
/// client.connect(&token).unwrap();
///
/// let mut time = 0.0;
/// while client.state() != ConnectionState::Connected && time < 5.0 {
///     simulator.update(time);
///     client.update(time);
///     server.update(time);
///     time += 0.1;
/// }
/// assert_eq!(client.state(), ConnectionState::Connected);
/// ```
#[derive(Clone)]
pub struct NetworkSimulator {
    shared: Arc<Shared>,
}

/// The simulator and the lock that every C call touching it holds.
pub(crate) struct Shared {
    raw: NonNull<raw::netcode_network_simulator_t>,
    lock: Mutex<()>,
}

// SAFETY: the C simulator has no thread affinity. Every C call that reads or writes it (its own
// functions, and client/server calls that send or receive through it) holds `lock`, and it is
// destroyed only in Drop, when no handle refers to it any more.
unsafe impl Send for Shared {}
// SAFETY: as above; shared access goes through `lock`.
unsafe impl Sync for Shared {}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, ()> {
        // The guarded data is (); a panic elsewhere leaves nothing inconsistent behind.
        self.lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn as_ptr(&self) -> *mut raw::netcode_network_simulator_t {
        self.raw.as_ptr()
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // SAFETY: the last reference is going away; discarding frees the packets in flight,
        // which netcode_network_simulator_destroy alone would leak.
        unsafe {
            raw::netcode_network_simulator_discard_packets(self.raw.as_ptr());
            raw::netcode_network_simulator_destroy(self.raw.as_ptr());
        }
    }
}

impl NetworkSimulator {
    /// A simulator that delivers every packet at the next update (no latency, no loss).
    pub fn new() -> Result<NetworkSimulator, Error> {
        ensure_init()?;
        // SAFETY: no preconditions; the C allocates and zeroes the simulator.
        let raw =
            NonNull::new(unsafe { raw::netcode_network_simulator_create() }).ok_or(Error::Init)?;
        Ok(NetworkSimulator {
            shared: Arc::new(Shared {
                raw,
                lock: Mutex::new(()),
            }),
        })
    }

    /// Sets the conditions: one-way latency and jitter (± around it) in milliseconds, the
    /// percentage of packets lost, and the percentage duplicated (a duplicate arrives up to a
    /// second later). The randomness comes from the C library's `rand()`.
    pub fn configure(
        &self,
        latency_ms: f32,
        jitter_ms: f32,
        packet_loss_percent: f32,
        duplicate_packet_percent: f32,
    ) -> Result<(), Error> {
        let valid = |value: f32, max: f32| value.is_finite() && (0.0..=max).contains(&value);
        if !valid(latency_ms, 1.0e6) || !valid(jitter_ms, 1.0e6) {
            return Err(Error::InvalidSimulatorSetting(
                "latency and jitter are 0 to 1e6 ms",
            ));
        }
        if !valid(packet_loss_percent, 100.0) || !valid(duplicate_packet_percent, 100.0) {
            return Err(Error::InvalidSimulatorSetting(
                "loss and duplicates are 0 to 100 percent",
            ));
        }
        let _guard = self.shared.lock();
        // SAFETY: the simulator is alive and we hold its lock.
        unsafe {
            raw::netcode_sys_network_simulator_configure(
                self.shared.as_ptr(),
                latency_ms,
                jitter_ms,
                packet_loss_percent,
                duplicate_packet_percent,
            )
        };
        Ok(())
    }

    /// Advances the simulator to `time` (seconds, the clock you give your clients and servers)
    /// and makes the packets due by then ready to receive. Packets not received by the next
    /// update are dropped. A time that is not finite is ignored.
    pub fn update(&self, time: f64) {
        if !time.is_finite() {
            return;
        }
        {
            let _guard = self.shared.lock();
            // SAFETY: the simulator is alive and we hold its lock.
            unsafe { raw::netcode_network_simulator_update(self.shared.as_ptr(), time) };
        }
        flush_log();
    }

    /// Drops every packet in flight.
    pub fn discard_packets(&self) {
        let _guard = self.shared.lock();
        // SAFETY: the simulator is alive and we hold its lock.
        unsafe { raw::netcode_network_simulator_discard_packets(self.shared.as_ptr()) };
    }

    /// Runs `f` on the C simulator, for calls this crate does not wrap, holding the lock that
    /// every call touching the simulator holds (no client or server on it runs meanwhile); the
    /// C's log lines reach the `log` crate afterwards. The pointer is valid while `f` runs;
    /// calls through it must respect the C's preconditions (its `assert`s) and must not
    /// destroy it.
    ///
    /// ```
    /// let simulator = netcode::NetworkSimulator::new()?;
    /// // SAFETY: a live simulator, which discarding its packets leaves valid.
    /// simulator.with_raw(|raw| unsafe {
    ///     netcode::netcode_sys::netcode_network_simulator_discard_packets(raw)
    /// });
    /// # Ok::<(), netcode::Error>(())
    /// ```
    pub fn with_raw<R>(&self, f: impl FnOnce(*mut raw::netcode_network_simulator_t) -> R) -> R {
        let result = {
            let _guard = self.shared.lock();
            f(self.shared.as_ptr())
        };
        flush_log();
        result
    }

    /// Sends a raw datagram through the simulator, as if `from` had sent it to `to`: for tests
    /// that feed hostile or malformed packets to a client or server. Returns false if it is not
    /// 1 to 1300 bytes (the longest datagram the C reads: a NETCODE 1.02 packet may be longer
    /// than 1.00's [`NETCODE_MAX_PACKET_SIZE`](crate::NETCODE_MAX_PACKET_SIZE)).
    pub fn send_raw(
        &self,
        from: std::net::SocketAddr,
        to: std::net::SocketAddr,
        datagram: &[u8],
    ) -> bool {
        if datagram.is_empty() || datagram.len() > raw::NETCODE_SYS_MAX_PACKET_BYTES as usize {
            return false;
        }
        let from = crate::address::to_c_string(&from);
        let to = crate::address::to_c_string(&to);
        let _guard = self.shared.lock();
        // SAFETY: the simulator is alive and locked; the strings and datagram outlive the call;
        // the length is 1..=NETCODE_SYS_MAX_PACKET_BYTES, which the shim checks again before
        // the C sees it.
        unsafe {
            raw::netcode_sys_network_simulator_send(
                self.shared.as_ptr(),
                from.as_ptr(),
                to.as_ptr(),
                datagram.as_ptr(),
                datagram.len() as i32,
            ) == 1
        }
    }

    pub(crate) fn shared(&self) -> Arc<Shared> {
        Arc::clone(&self.shared)
    }
}

impl std::fmt::Debug for NetworkSimulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetworkSimulator").finish_non_exhaustive()
    }
}

/// How a client or server exchanges packets.
pub(crate) enum Transport {
    /// Its own UDP socket.
    Udp,
    /// A network simulator, shared with other handles.
    Simulated(Arc<Shared>),
}

impl Transport {
    /// Runs `f`, a C call that may send or receive, with exclusive use of the simulator if
    /// there is one; then, with the simulator released, hands the call's log lines on.
    #[inline]
    pub(crate) fn exclusive<T>(&self, f: impl FnOnce() -> T) -> T {
        let result = match self {
            Transport::Udp => f(),
            Transport::Simulated(shared) => {
                let _guard = shared.lock();
                f()
            }
        };
        flush_log();
        result
    }

    pub(crate) fn simulator_ptr(&self) -> *mut raw::netcode_network_simulator_t {
        match self {
            Transport::Udp => std::ptr::null_mut(),
            Transport::Simulated(shared) => shared.as_ptr(),
        }
    }
}
