//! Shared by the fuzz targets: a reader of the fuzzer's bytes; the datagram targets' rigs (a
//! real server or client on its UDP socket, served from memory by [`net`], and its peer played
//! by hand, so that datagrams can come from the peer's own address with its real keys); the
//! simulator pair of `api_calls`; and the keeping of rigs across inputs, one per protocol
//! version (the input's first byte picks it: [`version_of`]).
//!
//! Making a rig costs far more than an input, so a rig is kept across inputs, and after each
//! it is made ready for the next as a new rig would be (see [`Rig::tidy`]): its handles are put
//! back into the C state its first input started from, which the shim copied (see
//! [`Datagrams`] and [`Pair`]), so what an input sees of the connection (sequence numbers,
//! replay protection, keys, slot, times, the server's token history and counters, and the
//! simulator's settings and clock) is what it would see on a fresh rig. A rig is also made
//! again when it cannot be made ready, and after
//! [`Rig::LIFETIME`] inputs. `NETCODE_FUZZ_FRESH=1` makes a fresh rig for every input
//! (scripts/fuzz-corpus.sh replays the corpora so), and a panic on a kept rig writes the
//! inputs it served (see [`with_rig`]). TESTING.md has the measurements.

use std::cell::RefCell;
use std::net::{SocketAddr, SocketAddrV6};
use std::sync::{Once, OnceLock};

pub mod net;

use netcode::netcode_sys as raw;
use netcode::{
    ConnectionState, NetcodeClient, NetcodeServer, NetworkSimulator, ServerAddresses, ServerConfig,
    Token, TokenGenerator, TokenSettings, Version,
};

pub const PROTOCOL_ID: u64 = 0x1122_3344_5566_7788;
/// The server's private key.
pub const KEY: [u8; 32] = [9; 32];

/// At most this many inputs run on one rig before it is made again (unless the rig's
/// [`Rig::LIFETIME`] is shorter, or their bytes reach [`HISTORY_BYTES`]): bounds the history a
/// crash leaves behind. Making a rig allocates more than it frees, which makes libFuzzer run
/// that input again and scan the heap for leaks (see [`Rig::tidy`]); at this lifetime that is
/// about one input in 10,000.
pub const INPUTS_PER_RIG: usize = 10_000;

/// The most bytes of inputs one rig serves (see [`INPUTS_PER_RIG`]).
pub const HISTORY_BYTES: usize = 64 << 20;

/// Whether every input gets a fresh rig (`NETCODE_FUZZ_FRESH` set to anything but `0` or
/// empty): slower, but an input's outcome then depends on that input alone.
pub fn fresh_rigs() -> bool {
    static FRESH: OnceLock<bool> = OnceLock::new();
    *FRESH.get_or_init(|| {
        std::env::var_os("NETCODE_FUZZ_FRESH")
            .is_some_and(|value| !value.is_empty() && value != "0")
    })
}

/// Something a target keeps across inputs.
pub trait Rig: Sized {
    /// A new one speaking `version`, ready for an input. Panics if it cannot be made (a broken
    /// rig, not a finding of an input: no input has run on it).
    fn make(version: Version) -> Self;
    /// After an input, gets it ready for the next as a new one would be (a datagram rig: its
    /// first input's state put back; the simulator pair: a new session, in a new handshake);
    /// false if it has to be made again. This runs within the input that left
    /// the state behind, so that a crash it meets is that input's, and what the input
    /// allocated is freed by it (libFuzzer runs an input that allocates more than it frees a
    /// second time and scans the heap for leaks; after 1000 such inputs it stops looking for
    /// leaks after each input).
    fn tidy(&mut self) -> bool;
    /// The most inputs one rig serves.
    const LIFETIME: usize = INPUTS_PER_RIG;
}

/// A target's kept rig, and how many inputs it has served.
pub struct Kept<R> {
    rig: Option<R>,
    served: usize,
}

impl<R> Kept<R> {
    pub const fn new() -> Kept<R> {
        Kept {
            rig: None,
            served: 0,
        }
    }
}

impl<R> Default for Kept<R> {
    fn default() -> Kept<R> {
        Kept::new()
    }
}

/// The inputs the current rig has served, the running one last (not kept in fresh mode): their
/// bytes one after the other, and where each ends. Cleared, not freed, when a rig is made, so
/// that keeping an input allocates nothing but when the buffers grow (which frees as much as
/// it allocates: an input that allocates more than it frees makes libFuzzer run it again and
/// scan the heap for leaks, and after 1000 such inputs it stops looking for leaks after each).
struct History {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl History {
    fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }

    fn push(&mut self, input: &[u8]) {
        self.bytes.extend_from_slice(input);
        self.ends.push(self.bytes.len());
    }

    fn inputs(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .map(|(start, &end)| &self.bytes[start..end])
    }
}

thread_local! {
    static HISTORY: RefCell<History> = const {
        RefCell::new(History {
            bytes: Vec::new(),
            ends: Vec::new(),
        })
    };
}

/// Runs `f` on the kept rig: made for the first input, then tidied after each input and made
/// again (at the end of the input that needs it) when it cannot be, or after
/// [`INPUTS_PER_RIG`] inputs. In fresh mode, made for each input and dropped at its end.
pub fn with_rig<R: Rig>(
    kept: &RefCell<Kept<R>>,
    version: Version,
    data: &[u8],
    f: impl FnOnce(&mut R),
) {
    install_history_hook();
    let mut kept = kept.borrow_mut();
    let fresh = fresh_rigs();
    if kept.rig.is_none() {
        kept.rig = Some(unguided(|| R::make(version)));
        kept.served = 0;
        stats(|stats| stats.made += 1);
    }
    if !fresh {
        HISTORY.with(|history| {
            let mut history = history.borrow_mut();
            if kept.served == 0 {
                history.clear();
            }
            history.push(data);
        });
    }
    kept.served += 1;
    stats(|stats| stats.inputs += 1);
    let served = kept.served;
    let rig = kept.rig.as_mut().expect("made above");
    f(rig);
    if fresh {
        let rig = kept.rig.take();
        unguided(|| drop(rig));
        return;
    }
    let history_full = HISTORY.with(|history| history.borrow().bytes.len() >= HISTORY_BYTES);
    if served < R::LIFETIME.min(INPUTS_PER_RIG) && !history_full && unguided(|| rig.tidy()) {
        return;
    }
    // The old rig goes first: its sockets and handles are released before the new ones.
    unguided(|| {
        kept.rig = None;
        kept.rig = Some(R::make(version));
    });
    kept.served = 0;
    stats(|stats| stats.made += 1);
}

/// Counts, printed every 100,000 inputs with `NETCODE_FUZZ_STATS=1`: how often the rig was made
/// and the connection made again.
#[derive(Default)]
struct Stats {
    inputs: u64,
    made: u64,
    handshakes: u64,
    datagrams: u64,
    ticks: u64,
}

fn stats(f: impl FnOnce(&mut Stats)) {
    thread_local! {
        static STATS: RefCell<Stats> = RefCell::new(Stats::default());
    }
    static PRINT: OnceLock<bool> = OnceLock::new();
    if !*PRINT.get_or_init(|| std::env::var_os("NETCODE_FUZZ_STATS").is_some()) {
        return;
    }
    STATS.with(|stats| {
        let mut stats = stats.borrow_mut();
        let before = stats.inputs;
        f(&mut stats);
        if stats.inputs != before && stats.inputs % 100_000 == 0 {
            eprintln!(
                "netcode-fuzz: {} inputs, {} rigs made, {} handshakes, {} datagrams, {} ticks",
                stats.inputs, stats.made, stats.handshakes, stats.datagrams, stats.ticks
            );
        }
    });
}

/// On a panic (a failed assert of a target or a panic in the library) in an input that was not
/// the first on its rig, writes the inputs the rig served, in order, to files in a new
/// directory: run the target on them in that order (`TARGET DIR/*`) to replay what the rig
/// went through. Then the panic goes on to libFuzzer's hook, which reports the crash.
fn install_history_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            write_history();
            previous(info);
        }));
    });
}

fn write_history() {
    let inputs = HISTORY.try_with(|history| {
        let history = history.try_borrow().ok()?;
        Some(history.inputs().map(<[u8]>::to_vec).collect::<Vec<_>>())
    });
    let Ok(Some(inputs)) = inputs else {
        return;
    };
    if inputs.len() < 2 {
        return;
    }
    let dir = std::env::temp_dir().join(format!("netcode-fuzz-history-{}", std::process::id()));
    let written = std::fs::create_dir_all(&dir).and_then(|()| {
        inputs
            .iter()
            .enumerate()
            .try_for_each(|(i, input)| std::fs::write(dir.join(format!("{i:05}")), input))
    });
    match written {
        Ok(()) => eprintln!(
            "netcode-fuzz: this input was number {} on its rig; all {} are in {} \
             (replay them in order, in one process: TARGET {}/*)",
            inputs.len(),
            inputs.len(),
            dir.display(),
            dir.display()
        ),
        Err(error) => eprintln!("netcode-fuzz: could not write the rig's history: {error}"),
    }
}

/// Runs `f`, a rig's own work that no input drives (a handshake, a new rig), unseen by
/// libFuzzer as far as it can be:
///
/// - with libFuzzer's hooks for `memcmp`, `strcmp` and the like off: each comparison they see
///   costs a fraction of a microsecond, and a server's handshake makes thousands (the shim
///   compares the token's MAC and key with each entry of its 4096-entry token history), and
///   their operands (random MACs and keys) are no hints for mutating inputs anyway. The switch
///   is libFuzzer's own flag for "the target is running", which those hooks read.
/// - with the coverage counters put back afterwards as `f` found them (see [`counters`]): what
///   `f` covers is the same for every input, so it tells the inputs apart by nothing, and
///   libFuzzer's handling of every counter a run touched was, for the handshake's counters, a
///   third of the datagram targets' time. The coverage libFuzzer reports is then the inputs'
///   own. (The comparisons the C's instrumentation reports, `-fsanitize-coverage=trace-cmp`,
///   cannot be undone; fuzz/coverage-ignorelist.txt leaves the worst of them out.)
pub fn unguided<R>(f: impl FnOnce() -> R) -> R {
    extern "C" {
        #[link_name = "_ZN6fuzzer19RunningUserCallbackE"]
        static mut RUNNING_USER_CALLBACK: bool;
    }
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            // SAFETY: as below; puts back the value libFuzzer set.
            unsafe { std::ptr::addr_of_mut!(RUNNING_USER_CALLBACK).write(self.0) };
        }
    }
    let counters = counters();
    let saved = counters.map(|(start, length)| {
        let mut saved = vec![0; length];
        // SAFETY: `counters` gives the bounds of the counters' section, writable memory of
        // this binary that only the instrumented code of this thread (the fuzzing thread)
        // writes, with plain byte stores, and libFuzzer reads between runs; nothing writes it
        // while we copy.
        unsafe { std::ptr::copy_nonoverlapping(start, saved.as_mut_ptr(), length) };
        saved
    });
    // SAFETY: libFuzzer's flag is a plain bool that only the fuzzing thread, this one, reads
    // and writes (around each run of the target, and in its hooks); we are inside a run, and
    // Restore puts the value back before the run returns, or unwinds.
    let restore = Restore(unsafe { std::ptr::addr_of_mut!(RUNNING_USER_CALLBACK).replace(false) });
    let result = f();
    drop(restore);
    if let (Some((start, length)), Some(saved)) = (counters, saved) {
        // SAFETY: as above; `saved` holds the `length` bytes copied from there.
        unsafe { std::ptr::copy_nonoverlapping(saved.as_ptr(), start, length) };
    }
    result
}

/// libFuzzer's 8-bit coverage counters in this binary: the bounds of the `__sancov_cntrs`
/// section, which the instrumented code (all of it: the C, compiled with
/// `-fsanitize=fuzzer-no-link`, and the Rust) increments, one counter an edge, and libFuzzer
/// reads after each run and clears before the next. None in a build without coverage
/// instrumentation (scripts/fuzz-corpus.sh's), which has no such section, or on another
/// architecture than x86-64.
fn counters() -> Option<(*mut u8, usize)> {
    static BOUNDS: OnceLock<(usize, usize)> = OnceLock::new();
    let &(start, stop) = BOUNDS.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            let (start, stop): (usize, usize);
            // SAFETY: loads two entries of the global offset table, which the linker and the
            // loader fill in: the addresses of the symbols the linker defines at the bounds of
            // the section, or 0 where it does not (the references are weak). Only
            // registers are written.
            unsafe {
                std::arch::asm!(
                    // Weak references, in the object this is assembled into.
                    ".weak __start___sancov_cntrs",
                    ".weak __stop___sancov_cntrs",
                    "mov {start}, qword ptr [rip + __start___sancov_cntrs@GOTPCREL]",
                    "mov {stop}, qword ptr [rip + __stop___sancov_cntrs@GOTPCREL]",
                    start = out(reg) start,
                    stop = out(reg) stop,
                    options(nostack, readonly, preserves_flags),
                )
            };
            (start, stop)
        }
        #[cfg(not(target_arch = "x86_64"))]
        (0, 0)
    });
    (start != 0 && stop > start).then_some((start as *mut u8, stop - start))
}

/// The protocol version an input's first byte picks (its lowest bit: 0 for NETCODE 1.00, 1 for
/// 1.02), and the rest of the input. The targets keep a rig for each version, so both are
/// fuzzed in one process; an empty input picks 1.00.
pub fn version_of(data: &[u8]) -> (Version, &[u8]) {
    match data.split_first() {
        Some((first, rest)) if first & 1 == 1 => (Version::V1_02, rest),
        Some((_, rest)) => (Version::V1_00, rest),
        None => (Version::V1_00, data),
    }
}

/// Reads the fuzzer's bytes front to back; runs dry with zeros.
pub struct Input<'a>(pub &'a [u8]);

impl<'a> Input<'a> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn byte(&mut self) -> u8 {
        let (first, rest) = self.0.split_first().map_or((0, &[][..]), |(f, r)| (*f, r));
        self.0 = rest;
        first
    }
    pub fn u64(&mut self) -> u64 {
        (0..8).fold(0, |v, i| v | u64::from(self.byte()) << (8 * i))
    }
    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (taken, rest) = self.0.split_at(n);
        self.0 = rest;
        taken
    }
}

// ------------------------------------------------------------------------------------------
// The datagram targets

/// Which side the datagram targets feed.
#[derive(Clone, Copy)]
pub enum Side {
    Server,
    Client,
}

/// The unit of the datagram rigs' clocks, in seconds: a tick record moves the clock by 0 to
/// 255 of them, and the handshakes by whole numbers of them. A binary fraction, so that every
/// time a rig passes to its handle is exact (a multiple of 1/64 s below 2^46 s), and a time
/// difference comes out the same after any start of the clock (see [`next_start`]).
const TICK: f64 = 1.0 / 64.0;

/// Where a rig's clock starts its next session: the next multiple of 64 s above `time` (so
/// 64 s for a new rig, whose clock is at 0; a datagram rig has only that one session, the
/// simulator pair one per input). Every session of a rig, the first included, runs at the
/// same offsets from its start, and those offsets are exact (see
/// [`TICK`]); what the C compares, differences of two such times with its own constants (0.1 s
/// send rates, whole-second timeouts), then comes out the same in every session, as it does
/// in a fresh rig's: the C's constants are at least 0.4/64 s from any multiple of 1/64 s, far
/// above the rounding of times this large. And whatever the handle kept from the last
/// session (an encryption mapping, a connect token entry) is then at least 64 s old.
pub fn next_start(time: f64) -> f64 {
    ((time / 64.0).floor() + 1.0) * 64.0
}

/// The client id of every token the datagram rigs make (each rig connects one client, once).
const CLIENT_ID: u64 = 1;

/// The addresses the hand-made peers and strangers send from (documentation addresses: none of
/// them is this machine's, and nothing is sent to them outside [`net`]).
const PEER_CLIENT: &str = "[2001:db8::2]:50000";
const PEER_SERVER: &str = "[2001:db8::1]:40000";
const STRANGER: &str = "[2001:db8::3]:50001";

fn address(text: &str) -> SocketAddrV6 {
    text.parse().expect("an IPv6 address")
}

/// The connection's wire format and keys, and the token fields a request carries.
#[derive(Clone, Copy)]
struct Keys {
    /// NETCODE_SYS_WIRE_100 or NETCODE_SYS_WIRE_102: the token's version, which the peer's
    /// packets follow.
    wire: i32,
    client_to_server: [u8; 32],
    server_to_client: [u8; 32],
    expire_timestamp: u64,
    nonce: [u8; raw::NETCODE_SYS_TOKEN_NONCE_BYTES as usize],
    private_data: [u8; 1024],
}

impl Keys {
    fn none(version: Version) -> Keys {
        Keys {
            wire: wire(version),
            client_to_server: [0; 32],
            server_to_client: [0; 32],
            expire_timestamp: 0,
            nonce: [0; raw::NETCODE_SYS_TOKEN_NONCE_BYTES as usize],
            private_data: [0; 1024],
        }
    }

    fn of(token: &Token) -> Keys {
        let mut read = raw::netcode_sys_connect_token::default();
        let bytes = token.as_bytes();
        // SAFETY: a 2048-byte buffer the C only reads, and a valid struct it writes.
        let ok = unsafe {
            raw::netcode_sys_read_connect_token(bytes.as_ptr(), bytes.len() as i32, &mut read)
        };
        assert_eq!(ok, 1, "a token this crate made reads back");
        assert_eq!(read.wire, wire(token.version()), "the token's version");
        Keys {
            wire: read.wire,
            client_to_server: read.client_to_server_key,
            server_to_client: read.server_to_client_key,
            expire_timestamp: read.expire_timestamp,
            nonce: read.nonce,
            private_data: read.private_data,
        }
    }
}

/// The shim's number for `version`'s wire format.
fn wire(version: Version) -> i32 {
    match version {
        Version::V1_00 => raw::NETCODE_SYS_WIRE_100,
        Version::V1_02 => raw::NETCODE_SYS_WIRE_102,
    }
}

/// A packet on `wire` read with `key` as a client reads it, or None if it does not decrypt
/// (or is a request).
fn read_packet(wire: i32, datagram: &[u8], key: &[u8; 32]) -> Option<raw::netcode_sys_packet> {
    let mut packet = raw::netcode_sys_packet::default();
    let mut sequence = 0;
    // SAFETY: the datagram is valid for its length (the shim refuses more than the wire's
    // largest packet and copies it before decrypting), the key has 32 bytes, a null private
    // key reads as a client (requests are refused), the outputs are valid.
    let read = unsafe {
        raw::netcode_sys_read_packet(
            wire,
            datagram.as_ptr(),
            datagram.len() as i32,
            key.as_ptr(),
            PROTOCOL_ID,
            std::ptr::null(),
            &mut packet,
            &mut sequence,
        )
    };
    (read == 1).then_some(packet)
}

const REQUEST: i32 = 0;
const CHALLENGE: i32 = 2;
const RESPONSE: i32 = 3;
const KEEP_ALIVE: i32 = 4;
const PAYLOAD: i32 = 5;

/// A real handle's socket, served by [`net`] while this lives. Declared after the handle in a
/// rig, so that it is dropped after it: what the handle sends as it goes stays in memory.
struct Registration(std::ffi::c_int);

impl Registration {
    fn new(port: u16) -> Registration {
        let fd = net::find_socket(port);
        net::register(fd);
        Registration(fd)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        net::unregister(self.0);
    }
}

/// How often the hand-made peer sends a keep-alive, in seconds of the rig's clock. The
/// reference sends 10 a second; the other side only needs one within its timeout (5 s), and
/// since the peer sends before each update of the handle, one at least every 4 s keeps the
/// handle from timing it out, as the reference's rate would. Each costs an encryption and a
/// decryption (half the cost of a tick at the reference's rate).
const KEEP_ALIVE_SECONDS: f64 = 4.0;

/// The hand-made side of a datagram rig, a live peer: once connected it sends keep-alives
/// (see [`KEEP_ALIVE_SECONDS`]), numbered by its own counter as the reference's are, so an
/// input that sends packets with higher sequence numbers makes the peer's keep-alives replays,
/// as it would the reference's.
struct Peer {
    /// The real handle's socket, where the peer and the stranger send.
    fd: std::ffi::c_int,
    address: SocketAddrV6,
    stranger: SocketAddrV6,
    keys: Keys,
    /// Whether the peer plays the client (else the server): which key it encrypts with.
    is_client: bool,
    /// The sequence number of the peer's next packet.
    sequence: u64,
    /// When the peer last sent a keep-alive; None while it is not connected.
    last_keep_alive: Option<f64>,
    /// The keep-alives' slot index and slot count.
    client_index: i32,
    max_clients: i32,
    /// The packet being written and the datagram it is written to, kept (not on the stack or
    /// allocated for every packet).
    packet: Box<raw::netcode_sys_packet>,
    buffer: Box<[u8; raw::NETCODE_SYS_MAX_PACKET_BYTES as usize]>,
}

impl Peer {
    fn new(is_client: bool, fd: std::ffi::c_int, version: Version) -> Peer {
        Peer {
            fd,
            address: address(if is_client { PEER_CLIENT } else { PEER_SERVER }),
            stranger: address(STRANGER),
            keys: Keys::none(version),
            is_client,
            sequence: 0,
            last_keep_alive: None,
            client_index: 0,
            max_clients: 2,
            packet: Box::default(),
            buffer: Box::new([0; raw::NETCODE_SYS_MAX_PACKET_BYTES as usize]),
        }
    }

    /// A new connection's keys; numbering starts again.
    fn start(&mut self, token: &Token) {
        self.keys = Keys::of(token);
        self.sequence = 0;
        self.last_keep_alive = None;
    }

    /// Raw bytes from the peer's address or the stranger's.
    fn send_raw(&self, stranger: bool, datagram: &[u8]) {
        let from = if stranger {
            self.stranger
        } else {
            self.address
        };
        net::deliver(self.fd, from, datagram);
    }

    /// Writes `self.packet` as the C does, numbered `sequence`, encrypted with the peer's key,
    /// and sends it; false if the shim refuses to write it.
    fn send_packet(&mut self, sequence: u64) -> bool {
        let key = if self.is_client {
            &self.keys.client_to_server
        } else {
            &self.keys.server_to_client
        };
        // SAFETY: a valid packet, a 32-byte key and a buffer of NETCODE_SYS_MAX_PACKET_BYTES,
        // the most the C writes; the shim checks the payload size.
        let length = unsafe {
            raw::netcode_sys_write_packet(
                self.keys.wire,
                &*self.packet,
                sequence,
                key.as_ptr(),
                PROTOCOL_ID,
                self.buffer.as_mut_ptr(),
            )
        };
        let Ok(length @ 1..) = usize::try_from(length) else {
            return false;
        };
        net::deliver(self.fd, self.address, &self.buffer[..length]);
        true
    }

    /// Sends `self.packet` as the peer's next packet.
    fn send_next(&mut self) {
        self.send_packet(self.sequence);
        self.sequence = self.sequence.saturating_add(1);
    }

    /// The connection request of the current token (not encrypted, not numbered).
    fn send_request(&mut self) {
        let packet = &mut *self.packet;
        packet.type_ = REQUEST;
        packet.connect_token_expire_timestamp = self.keys.expire_timestamp;
        packet.connect_token_nonce = self.keys.nonce;
        packet.connect_token_data = self.keys.private_data;
        self.send_packet(0);
    }

    /// A challenge (as the server) or a response (as the client) with this challenge token.
    fn send_challenge(&mut self, type_: i32, sequence: u64, token: &[u8; 300]) {
        self.packet.type_ = type_;
        self.packet.challenge_token_sequence = sequence;
        self.packet.challenge_token_data = *token;
        self.send_next();
    }

    /// A keep-alive.
    fn send_keep_alive(&mut self) {
        self.packet.type_ = KEEP_ALIVE;
        self.packet.client_index = self.client_index;
        self.packet.max_clients = self.max_clients;
        self.send_next();
    }

    /// A keep-alive, if connected and [`KEEP_ALIVE_SECONDS`] have passed since the last.
    fn keep_alive(&mut self, time: f64) {
        let Some(last) = self.last_keep_alive else {
            return;
        };
        if time - last >= KEEP_ALIVE_SECONDS {
            self.send_keep_alive();
            self.last_keep_alive = Some(time);
        }
    }

    /// A packet of `packet_type` with the given sequence and body, encrypted with the peer's
    /// key as the reference would (so it passes the MAC check); nothing if the shim refuses it.
    /// The body fills the field the type has (a request's private part of the token, the
    /// challenge token, the payload; zeros after it), and its first bytes the slot index and
    /// count.
    fn send_encrypted(&mut self, packet_type: u8, sequence: u64, body: &[u8]) {
        fn fill(field: &mut [u8], body: &[u8]) -> usize {
            let n = body.len().min(field.len());
            field[..n].copy_from_slice(&body[..n]);
            field[n..].fill(0);
            n
        }
        let packet = &mut *self.packet;
        packet.type_ = i32::from(packet_type % 7);
        // The other fields are not written for this type (the shim writes only the type's).
        match packet.type_ {
            REQUEST => {
                fill(&mut packet.connect_token_data, body);
            }
            CHALLENGE | RESPONSE => {
                fill(&mut packet.challenge_token_data, body);
            }
            PAYLOAD => packet.payload_bytes = fill(&mut packet.payload_data, body) as i32,
            _ => {}
        }
        packet.challenge_token_sequence = sequence;
        packet.client_index = body.first().copied().unwrap_or(0) as i32;
        packet.max_clients = body.get(1).copied().unwrap_or(0) as i32;
        packet.connect_token_expire_timestamp = self.keys.expire_timestamp;
        packet.connect_token_nonce = self.keys.nonce;
        self.send_packet(sequence);
    }
}

/// A copy of a handle's C state, made by the shim's `netcode_sys_server_save` or
/// `netcode_sys_client_save` and freed when dropped.
struct Saved(*mut std::ffi::c_void);

impl Saved {
    /// Panics if the shim made no copy (a handle with payloads queued, or no memory): a
    /// broken rig, not an input's finding.
    fn new(saved: *mut std::ffi::c_void) -> Saved {
        assert!(!saved.is_null(), "the shim copies the rig's handle");
        Saved(saved)
    }
}

impl Drop for Saved {
    fn drop(&mut self) {
        // SAFETY: a copy the shim made, freed once, here.
        unsafe { raw::netcode_sys_free_saved(self.0) };
    }
}

/// Where a datagram rig's first session started: the handle's C state (all of it that a
/// session can change), the peer's keys and numbering, and the clock.
struct Start {
    saved: Saved,
    keys: Keys,
    sequence: u64,
    last_keep_alive: Option<f64>,
    client_index: i32,
    time: f64,
}

impl Start {
    fn new(saved: Saved, peer: &Peer, time: f64) -> Start {
        Start {
            saved,
            keys: peer.keys,
            sequence: peer.sequence,
            last_keep_alive: peer.last_keep_alive,
            client_index: peer.client_index,
            time,
        }
    }

    /// Drops what the handle sent, puts the handle back with `restore` (given the copy; the
    /// shim's 1 if it did), then the peer; returns the clock to go back to, or None if the
    /// shim refused.
    fn put_back(
        &self,
        peer: &mut Peer,
        restore: impl FnOnce(*const std::ffi::c_void) -> std::ffi::c_int,
    ) -> Option<f64> {
        net::clear(peer.fd);
        if restore(self.saved.0) != 1 {
            return None;
        }
        peer.keys = self.keys;
        peer.sequence = self.sequence;
        peer.last_keep_alive = self.last_keep_alive;
        peer.client_index = self.client_index;
        Some(self.time)
    }
}

/// What the datagram records act on, on either side. A datagram rig is put back after every
/// input ([`Rig::tidy`]) into the state its first input started from: once the hand-made peer
/// has connected, the shim copies the handle's C state (`netcode_sys_server_save`,
/// `netcode_sys_client_save`; its events read first, so none is queued), and after each input
/// copies it back (`..._restore`, which also frees the payloads queued since; the events the
/// input left are read first, so that the wrapper counts none unread), and the rig puts back
/// the peer's keys and numbering and the clock. Every input then starts from the same
/// connected state, the same in the C as a fresh rig's, without a handshake of its own.
trait Datagrams {
    fn peer(&mut self) -> &mut Peer;
    /// The peer's keep-alive if due, an update of the handle at the current time, and the
    /// clock moved on by `delta`.
    fn step(&mut self, delta: f64);
    /// The checks after an input.
    fn check(&mut self);
}

/// The datagram targets: the input is a list of records, each raw bytes from the peer's
/// address, raw bytes from a stranger, a packet of any type and sequence encrypted with the
/// peer's real key (so the C's logic behind the MAC check is reached), or a tick. Datagrams
/// arrive at the handle's next update, of any length the record gives (0 to 1530 bytes, in
/// steps of 6; the C reads up to 1300, as a socket cuts them, and a 1.00 handle takes up to
/// 1220). Ticks move the clock by 0 to 255 [`TICK`]s.
///
/// The input's first byte picks the protocol version (see [`version_of`]); each version has
/// its own kept rig.
pub fn datagrams(side: Side, data: &[u8]) {
    type Pair<R> = [RefCell<Kept<R>>; 2];
    thread_local! {
        static SERVER: Pair<ServerRig> = const { [RefCell::new(Kept::new()), RefCell::new(Kept::new())] };
        static CLIENT: Pair<ClientRig> = const { [RefCell::new(Kept::new()), RefCell::new(Kept::new())] };
    }
    let (version, records) = version_of(data);
    let which = usize::from(version == Version::V1_02);
    match side {
        Side::Server => {
            SERVER.with(|kept| with_rig(&kept[which], version, data, |rig| feed(rig, records)))
        }
        Side::Client => {
            CLIENT.with(|kept| with_rig(&kept[which], version, data, |rig| feed(rig, records)))
        }
    }
}

fn feed(rig: &mut impl Datagrams, records: &[u8]) {
    let mut input = Input(records);
    let (mut datagrams, mut ticks) = (0, 0);
    while !input.is_empty() {
        let kind = input.byte() % 4;
        if kind == 3 {
            ticks += 1;
        } else {
            datagrams += 1;
        }
        match kind {
            kind @ (0 | 1) => {
                let n = usize::from(input.byte()) * 6;
                rig.peer().send_raw(kind == 1, input.bytes(n));
            }
            2 => {
                let (packet_type, sequence) = (input.byte(), input.u64());
                let n = usize::from(input.byte()) * 5;
                let body = input.bytes(n);
                rig.peer().send_encrypted(packet_type, sequence, body);
            }
            _ => rig.step(f64::from(input.byte()) * TICK),
        }
    }
    rig.step(TICK);
    rig.check();
    stats(|stats| {
        stats.datagrams += datagrams;
        stats.ticks += ticks + 1;
    });
}

/// A real server with 2 slots on [::1] (its socket served by [`net`]), and a client connected
/// to it played by hand.
pub struct ServerRig {
    server: NetcodeServer,
    _registration: Registration,
    peer: Peer,
    time: f64,
    /// The state the first session started from, put back after every input.
    start: Option<Start>,
}

impl ServerRig {
    /// Connects the peer to the new server with a new token, from the next start of the clock
    /// (see [`next_start`]): a request, the challenge read, a response.
    fn handshake(&mut self) -> bool {
        stats(|stats| stats.handshakes += 1);
        self.time = next_start(self.time);
        let token = self
            .server
            .generate_token(CLIENT_ID, &[7; 256])
            .expect("a token");
        self.peer.start(&token);
        net::clear(self.peer.fd);
        net::listen(self.peer.fd, true);
        self.peer.send_request();
        self.step(TICK);
        let (wire, key) = (self.peer.keys.wire, self.peer.keys.server_to_client);
        let to = self.peer.address;
        let challenge = net::listen(self.peer.fd, false)
            .into_iter()
            .filter(|(address, _)| *address == to)
            .find_map(|(_, datagram)| read_packet(wire, &datagram, &key))
            .filter(|packet| packet.type_ == CHALLENGE);
        let Some(challenge) = challenge else {
            return false;
        };
        self.peer.send_challenge(
            RESPONSE,
            challenge.challenge_token_sequence,
            &challenge.challenge_token_data,
        );
        self.step(TICK);
        let Some(client) = self.server.find_client(CLIENT_ID) else {
            return false;
        };
        self.peer.client_index = client.session.index() as i32;
        self.peer.last_keep_alive = Some(self.time);
        // The reference's client sends a keep-alive once it is connected.
        self.peer.send_keep_alive();
        true
    }
}

impl Rig for ServerRig {
    fn make(version: Version) -> ServerRig {
        let config = ServerConfig::new("[::1]:0".parse().unwrap(), PROTOCOL_ID, KEY)
            .max_clients(2)
            .version(version);
        let server = NetcodeServer::new(config).expect("a server on [::1]");
        let registration = Registration::new(server.local_address().port());
        let mut rig = ServerRig {
            peer: Peer::new(true, registration.0, version),
            server,
            _registration: registration,
            time: 0.0,
            start: None,
        };
        assert!(
            rig.handshake(),
            "the hand-made client connects to a new server"
        );
        while rig.server.next_event().is_some() {}
        // SAFETY: a live server; the shim copies it into memory of its own, or returns NULL.
        let saved = Saved::new(unsafe { raw::netcode_sys_server_save(rig.server.as_raw()) });
        rig.start = Some(Start::new(saved, &rig.peer, rig.time));
        rig
    }

    /// Back to the state the first session started from (see [`Datagrams`]).
    fn tidy(&mut self) -> bool {
        // Read, so that the wrapper counts no unread event, as on a new rig.
        while self.server.next_event().is_some() {}
        let server = self.server.as_raw();
        // SAFETY: a live server, and a copy the shim made (of this server: the shim checks);
        // it frees what the server queued since.
        let restore = |saved| unsafe { raw::netcode_sys_server_restore(server, saved) };
        let Some(time) = self
            .start
            .as_ref()
            .and_then(|start| start.put_back(&mut self.peer, restore))
        else {
            return false;
        };
        assert!(
            self.server.find_client(CLIENT_ID).is_some(),
            "the restored server has its client"
        );
        self.time = time;
        true
    }
}

impl Datagrams for ServerRig {
    fn peer(&mut self) -> &mut Peer {
        &mut self.peer
    }
    fn step(&mut self, delta: f64) {
        self.peer.keep_alive(self.time);
        self.server.update(self.time);
        self.time += delta;
    }
    fn check(&mut self) {
        assert!(self.server.num_connected_clients() <= 2);
        for index in 0..2 {
            let Some(client) = self.server.client(index) else {
                continue;
            };
            while let Some(payload) = self.server.receive(client.session) {
                assert!(!payload.is_empty() && payload.len() <= 1200);
            }
        }
    }
}

/// A real client on [::1] (its socket served by [`net`]), connected to a server played by
/// hand.
pub struct ClientRig {
    client: NetcodeClient,
    _registration: Registration,
    peer: Peer,
    generator: TokenGenerator,
    time: f64,
    /// The state the first session started from, put back after every input.
    start: Option<Start>,
}

impl ClientRig {
    /// Connects the new client with a new token, from the next start of the clock (see
    /// [`next_start`]): the hand-made server answers the request with a challenge, and the
    /// response with a keep-alive.
    fn handshake(&mut self) -> bool {
        stats(|stats| stats.handshakes += 1);
        self.time = next_start(self.time);
        let token = self
            .generator
            .generate(CLIENT_ID, &[7; 256])
            .expect("a token");
        self.peer.start(&token);
        net::clear(self.peer.fd);
        if self.client.connect(&token).is_err() {
            return false;
        }
        for _ in 0..3 {
            self.step(8.0 * TICK);
            match self.client.state() {
                ConnectionState::Connected => {
                    self.peer.last_keep_alive = Some(self.time);
                    return true;
                }
                ConnectionState::SendingConnectionRequest => {
                    self.peer
                        .send_challenge(CHALLENGE, CLIENT_ID, &[CLIENT_ID as u8; 300])
                }
                ConnectionState::SendingConnectionResponse => self.peer.send_keep_alive(),
                _ => return false,
            }
        }
        self.step(8.0 * TICK);
        self.peer.last_keep_alive = Some(self.time);
        self.client.state() == ConnectionState::Connected
    }
}

impl Rig for ClientRig {
    fn make(version: Version) -> ClientRig {
        let client = NetcodeClient::new("[::1]:0".parse().unwrap()).expect("a client on [::1]");
        let registration = Registration::new(client.local_address().port());
        let peer = Peer::new(false, registration.0, version);
        let server = SocketAddr::V6(peer.address);
        let settings =
            TokenSettings::new(PROTOCOL_ID, ServerAddresses::one(server)).version(version);
        let generator = TokenGenerator::new(settings, &KEY).expect("a token generator");
        let mut rig = ClientRig {
            client,
            _registration: registration,
            peer,
            generator,
            time: 0.0,
            start: None,
        };
        assert!(
            rig.handshake(),
            "a new client connects to the hand-made server"
        );
        while rig.client.next_event().is_some() {}
        // SAFETY: a live client; the shim copies it into memory of its own, or returns NULL.
        let saved = Saved::new(unsafe { raw::netcode_sys_client_save(rig.client.as_raw()) });
        rig.start = Some(Start::new(saved, &rig.peer, rig.time));
        rig
    }

    /// Back to the state the first session started from (see [`Datagrams`]).
    fn tidy(&mut self) -> bool {
        // Read, so that the wrapper counts no unread event, as on a new rig.
        while self.client.next_event().is_some() {}
        let client = self.client.as_raw();
        // SAFETY: a live client, and a copy the shim made (of this client: the shim checks);
        // it frees what the client queued since.
        let restore = |saved| unsafe { raw::netcode_sys_client_restore(client, saved) };
        let Some(time) = self
            .start
            .as_ref()
            .and_then(|start| start.put_back(&mut self.peer, restore))
        else {
            return false;
        };
        assert_eq!(
            self.client.state(),
            ConnectionState::Connected,
            "the restored client is connected"
        );
        self.time = time;
        true
    }
}

impl Datagrams for ClientRig {
    fn peer(&mut self) -> &mut Peer {
        &mut self.peer
    }
    fn step(&mut self, delta: f64) {
        self.peer.keep_alive(self.time);
        self.client.update(self.time);
        self.time += delta;
    }
    fn check(&mut self) {
        while let Some(payload) = self.client.receive() {
            assert!(!payload.is_empty() && payload.len() <= 1200);
        }
    }
}

// ------------------------------------------------------------------------------------------
// api_calls

/// A server with 2 slots and one client connected to it, over the simulator, kept across
/// inputs and put back after each into the state its first input started from (see
/// [`Rig::tidy`] below).
pub struct Pair {
    pub simulator: NetworkSimulator,
    pub server: NetcodeServer,
    pub client: NetcodeClient,
    /// The clock of [`step`](Pair::step), which only moves forward.
    pub time: f64,
    /// The C state of all three and the clock when the first input started.
    start: Option<PairStart>,
}

/// Where a pair's first input started (see [`Pair`]).
struct PairStart {
    simulator: Saved,
    server: Saved,
    client: Saved,
    time: f64,
}

impl Pair {
    /// Updates the simulator, the client and the server at `time`, any time at all (not the
    /// pair's clock, which does not move).
    pub fn update_at(&mut self, time: f64) {
        self.simulator.update(time);
        self.client.update(time);
        self.server.update(time);
    }

    /// Updates all three at the pair's clock, then moves it on by `delta`.
    pub fn step(&mut self, delta: f64) {
        self.simulator.update(self.time);
        self.client.update(self.time);
        self.server.update(self.time);
        self.time += delta;
    }

    /// Connects the new client with a new token, in as few updates of the simulator as the
    /// handshake allows (four, each costing a walk over its 65,536 packet entries), and a last
    /// round at the same time that delivers the keep-alives both sides sent then.
    fn connect_first(&mut self) -> bool {
        stats(|stats| stats.handshakes += 1);
        self.time = next_start(self.time);
        let Ok(token) = self.server.generate_token(CLIENT_ID, &[0; 256]) else {
            return false;
        };
        if self.client.connect(&token).is_err() {
            return false;
        }
        // The request goes out now, and is received at the first step.
        self.client.update(self.time);
        for _ in 0..50 {
            self.time += 8.0 * TICK;
            self.step(0.0);
            if self.client.state() == ConnectionState::Connected {
                self.step(8.0 * TICK);
                return self.server.find_client(CLIENT_ID).is_some();
            }
        }
        false
    }

    /// Reads (and frees) the payloads and events neither side read.
    fn read_everything(&mut self) {
        for client in self.server.clients().collect::<Vec<_>>() {
            while self.server.receive(client.session).is_some() {}
        }
        while self.client.receive().is_some() {}
        while self.server.next_event().is_some() {}
        while self.client.next_event().is_some() {}
    }
}

impl Rig for Pair {
    /// A server with 2 slots and one client connected to it, nothing in flight, no payload or
    /// event unread, and the C's `rand()` (the simulator's losses) seeded: the state saved
    /// for [`tidy`](Rig::tidy).
    fn make(version: Version) -> Pair {
        let simulator = NetworkSimulator::new().unwrap();
        let server_address: SocketAddr = "[::1]:40000".parse().unwrap();
        let client_address: SocketAddr = "[::1]:50000".parse().unwrap();
        let config = ServerConfig::new(server_address, PROTOCOL_ID, KEY)
            .max_clients(2)
            .version(version);
        let server = NetcodeServer::with_simulator(&simulator, config).unwrap();
        let client = NetcodeClient::with_simulator(&simulator, client_address).unwrap();
        let mut pair = Pair {
            simulator,
            server,
            client,
            time: 0.0,
            start: None,
        };
        assert!(
            pair.connect_first(),
            "a new client connects to a new server"
        );
        pair.simulator.discard_packets();
        pair.read_everything();
        let simulator = pair
            .simulator
            // SAFETY: a live simulator; the shim copies its settings and clock, or returns
            // NULL.
            .with_raw(|simulator| unsafe { raw::netcode_sys_network_simulator_save(simulator) });
        pair.start = Some(PairStart {
            simulator: Saved::new(simulator),
            // SAFETY: a live server; the shim copies it into memory of its own, or returns
            // NULL.
            server: Saved::new(unsafe { raw::netcode_sys_server_save(pair.server.as_raw()) }),
            // SAFETY: a live client; likewise.
            client: Saved::new(unsafe { raw::netcode_sys_client_save(pair.client.as_raw()) }),
            time: pair.time,
        });
        reseed();
        pair
    }

    /// After an input, back to the state the first input started from: the payloads and
    /// events neither side read read (so the wrappers count no unread event, as on a new
    /// pair); then the shim puts back the C state of the simulator (settings and clock; every
    /// packet in flight freed), the server (slots, mappings, token history, events, counters;
    /// its queued payloads freed) and the client (all of it; likewise), the clock goes back,
    /// and the C's `rand()` is seeded again. So an input that updated at times of its own,
    /// configured the simulator or presented many tokens leaves nothing behind either (the
    /// client's memory of the tokens it used is the one thing kept: at most 16, each of a
    /// token an input made, whose random nonce no later input's token shares).
    fn tidy(&mut self) -> bool {
        self.read_everything();
        let (server, client) = (self.server.as_raw(), self.client.as_raw());
        let Some(start) = &self.start else {
            return false;
        };
        // SAFETY: live handles, and copies the shim made of these (the shim checks the
        // server's and client's); each restore frees what its handle queued since.
        let restored = self
            .simulator
            .with_raw(|simulator| unsafe {
                raw::netcode_sys_network_simulator_restore(simulator, start.simulator.0)
            })
            == 1
            // SAFETY: as above.
            && unsafe { raw::netcode_sys_server_restore(server, start.server.0) } == 1
            // SAFETY: as above.
            && unsafe { raw::netcode_sys_client_restore(client, start.client.0) } == 1;
        if !restored {
            return false;
        }
        assert!(
            self.server.find_client(CLIENT_ID).is_some()
                && self.client.state() == ConnectionState::Connected,
            "the restored pair is connected"
        );
        self.time = start.time;
        reseed();
        true
    }
}
/// Seeds the C library's `rand()` (the simulator's only randomness) with a fixed value.
fn reseed() {
    extern "C" {
        fn srand(seed: std::ffi::c_uint);
    }
    // SAFETY: libc's srand takes any seed; the fuzz targets run on one thread.
    unsafe { srand(1) };
}

/// Runs `f` on the kept pair of `api_calls` (see [`with_rig`]) for the version the input's
/// first byte picks (see [`version_of`]), with the rest of the input.
pub fn with_pair(data: &[u8], f: impl FnOnce(&mut Pair, &[u8])) {
    thread_local! {
        static PAIRS: [RefCell<Kept<Pair>>; 2] =
            const { [RefCell::new(Kept::new()), RefCell::new(Kept::new())] };
    }
    let (version, calls) = version_of(data);
    let which = usize::from(version == Version::V1_02);
    PAIRS.with(|kept| with_rig(&kept[which], version, data, |pair| f(pair, calls)));
}
