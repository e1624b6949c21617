//! Shared by the fuzz targets: a reader of the fuzzer's bytes; the datagram targets' rigs (a
//! real server or client on its UDP socket, served from memory by [`net`], and its peer played
//! by hand, so that datagrams can come from the peer's own address with its real keys); the
//! simulator pair of `api_calls`; and the keeping of one rig per process across inputs.
//!
//! Making a rig and its handshake costs far more than an input, so a rig is kept across inputs
//! and tidied after each (see [`Rig::tidy`]); it is made again only when an input left it
//! unusable, or after [`INPUTS_PER_RIG`] inputs. Inputs are then not perfectly independent:
//! `NETCODE_FUZZ_FRESH=1` makes a fresh rig for every input instead, and a crash's history is
//! kept (see [`with_rig`]). TESTING.md has the details and the measurements.

use std::cell::RefCell;
use std::net::{SocketAddr, SocketAddrV6};
use std::sync::{Once, OnceLock};

pub mod net;

use netcode::netcode_sys as raw;
use netcode::{
    ConnectionState, NetcodeClient, NetcodeServer, NetworkSimulator, ServerAddresses, ServerConfig,
    Session, Token, TokenGenerator, TokenSettings,
};

pub const PROTOCOL_ID: u64 = 0x1122_3344_5566_7788;
/// The server's private key.
pub const KEY: [u8; 32] = [9; 32];

/// At most this many inputs run on one rig before it is made again (or fewer, if their bytes
/// reach [`HISTORY_BYTES`]): bounds what an input can inherit from earlier ones, and the
/// history a crash leaves behind. Making a rig allocates more than it frees, which makes
/// libFuzzer run that input again and scan the heap for leaks (see [`Rig::tidy`]); at this
/// lifetime that is about one input in 10,000.
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
    /// A new one, ready for an input. Panics if it cannot be made (a broken rig, not a finding
    /// of an input: no input has run on it).
    fn make() -> Self;
    /// After an input, gets it ready for the next, cheaply (a new handshake at most); false if
    /// it has to be made again. This runs within the input that left the state behind, so that
    /// a crash it meets is that input's, and what the input allocated is freed by it (libFuzzer
    /// runs an input that allocates more than it frees a second time and scans the heap for
    /// leaks; after 1000 such inputs it stops looking for leaks after each input).
    fn tidy(&mut self) -> bool;
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
pub fn with_rig<R: Rig>(kept: &RefCell<Kept<R>>, data: &[u8], f: impl FnOnce(&mut R)) {
    install_history_hook();
    let mut kept = kept.borrow_mut();
    let fresh = fresh_rigs();
    if kept.rig.is_none() {
        kept.rig = Some(unguided(R::make));
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
        kept.rig = None;
        return;
    }
    let history_full = HISTORY.with(|history| history.borrow().bytes.len() >= HISTORY_BYTES);
    if served < INPUTS_PER_RIG && !history_full && unguided(|| rig.tidy()) {
        return;
    }
    // The old rig goes first: its sockets and handles are released before the new ones.
    kept.rig = None;
    kept.rig = Some(unguided(R::make));
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

/// Runs `f`, a rig's own work that no input drives (a handshake, a new rig), with libFuzzer's
/// hooks for `memcmp`, `strcmp` and the like off: each comparison they see costs a fraction of
/// a microsecond, and a server's handshake makes thousands (the C compares the token's MAC
/// with each of its 2048 token entries, and the key with each recent session's), which made
/// the handshakes half of the datagram targets' time; and their operands (random MACs and
/// keys) are no hints for mutating inputs anyway. Coverage is still recorded. The switch is
/// libFuzzer's own flag for "the target is running", which those hooks read.
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
    // SAFETY: libFuzzer's flag is a plain bool that only the fuzzing thread, this one, reads
    // and writes (around each run of the target, and in its hooks); we are inside a run, and
    // Restore puts the value back before the run returns, or unwinds.
    let _restore = Restore(unsafe { std::ptr::addr_of_mut!(RUNNING_USER_CALLBACK).replace(false) });
    f()
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

/// The hand-made peer numbers its packets up to here; past it, the connection is made again.
/// An input has room for 65,536 packets above it (an input of 4096 bytes has 2048 ticks at most).
const SEQUENCE_LIMIT: u64 = u64::MAX - (1 << 16);

/// The addresses the hand-made peers and strangers send from (documentation addresses: none of
/// them is this machine's, and nothing is sent to them outside [`net`]).
const PEER_CLIENT: &str = "[2001:db8::2]:50000";
const PEER_SERVER: &str = "[2001:db8::1]:40000";
const STRANGER: &str = "[2001:db8::3]:50001";

fn address(text: &str) -> SocketAddrV6 {
    text.parse().expect("an IPv6 address")
}

/// The connection's keys and the token fields a request carries.
#[derive(Clone, Copy)]
struct Keys {
    client_to_server: [u8; 32],
    server_to_client: [u8; 32],
    expire_timestamp: u64,
    sequence: u64,
    private_data: [u8; 1024],
}

impl Keys {
    fn none() -> Keys {
        Keys {
            client_to_server: [0; 32],
            server_to_client: [0; 32],
            expire_timestamp: 0,
            sequence: 0,
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
        Keys {
            client_to_server: read.client_to_server_key,
            server_to_client: read.server_to_client_key,
            expire_timestamp: read.expire_timestamp,
            sequence: read.sequence,
            private_data: read.private_data,
        }
    }
}

/// A packet read with `key`, or None if it does not decrypt (or is a request).
fn read_packet(datagram: &[u8], key: &[u8; 32]) -> Option<raw::netcode_sys_packet> {
    let mut packet = raw::netcode_sys_packet::default();
    let mut sequence = 0;
    // SAFETY: the datagram is valid for its length (the shim refuses more than 1220 bytes and
    // copies it before decrypting), the key has 32 bytes, the outputs are valid.
    let read = unsafe {
        raw::netcode_sys_read_packet(
            datagram.as_ptr(),
            datagram.len() as i32,
            key.as_ptr(),
            PROTOCOL_ID,
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
    /// The highest sequence number the input sent a packet with, with the peer's key.
    used: Option<u64>,
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
    fn new(is_client: bool, fd: std::ffi::c_int) -> Peer {
        Peer {
            fd,
            address: address(if is_client { PEER_CLIENT } else { PEER_SERVER }),
            stranger: address(STRANGER),
            keys: Keys::none(),
            is_client,
            sequence: 0,
            used: None,
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
        self.used = None;
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
        packet.connect_token_sequence = self.keys.sequence;
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

    /// After an input: numbers the peer's packets above those the input sent (which a real
    /// peer would not know to do, but it keeps the inputs apart). False if there is no room
    /// left above them for the next input's keep-alives.
    fn catch_up(&mut self) -> bool {
        if let Some(used) = self.used.take() {
            self.sequence = self.sequence.max(used.saturating_add(1));
        }
        self.sequence < SEQUENCE_LIMIT
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
        packet.connect_token_sequence = self.keys.sequence;
        if self.send_packet(sequence) {
            self.used = Some(self.used.map_or(sequence, |used| used.max(sequence)));
        }
    }
}

/// What the datagram records act on, on either side.
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
/// arrive at the handle's next update, of any length the record gives (0 to 1275 bytes; the C
/// reads up to 1220, as a socket cuts them).
pub fn datagrams(side: Side, data: &[u8]) {
    thread_local! {
        static SERVER: RefCell<Kept<ServerRig>> = const { RefCell::new(Kept::new()) };
        static CLIENT: RefCell<Kept<ClientRig>> = const { RefCell::new(Kept::new()) };
    }
    match side {
        Side::Server => SERVER.with(|kept| with_rig(kept, data, |rig| feed(rig, data))),
        Side::Client => CLIENT.with(|kept| with_rig(kept, data, |rig| feed(rig, data))),
    }
}

fn feed(rig: &mut impl Datagrams, data: &[u8]) {
    let mut input = Input(data);
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
                let n = usize::from(input.byte()) * 5;
                rig.peer().send_raw(kind == 1, input.bytes(n));
            }
            2 => {
                let (packet_type, sequence) = (input.byte(), input.u64());
                let n = usize::from(input.byte()) * 5;
                let body = input.bytes(n);
                rig.peer().send_encrypted(packet_type, sequence, body);
            }
            _ => rig.step(f64::from(input.byte()) / 50.0),
        }
    }
    rig.step(0.1);
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
    /// The connected peer's session.
    session: Option<Session>,
    client_id: u64,
    time: f64,
}

impl ServerRig {
    /// Connects the peer with a new token: a request, the challenge read, a response.
    fn handshake(&mut self) -> bool {
        stats(|stats| stats.handshakes += 1);
        // No client may keep our id or slot.
        self.server.disconnect_all();
        self.session = None;
        self.client_id += 1;
        let token = self
            .server
            .generate_token(self.client_id, &[7; 256])
            .expect("a token");
        self.peer.start(&token);
        net::clear(self.peer.fd);
        net::listen(self.peer.fd, true);
        self.peer.send_request();
        self.step(0.01);
        let key = self.peer.keys.server_to_client;
        let to = self.peer.address;
        let challenge = net::listen(self.peer.fd, false)
            .into_iter()
            .filter(|(address, _)| *address == to)
            .find_map(|(_, datagram)| read_packet(&datagram, &key))
            .filter(|packet| packet.type_ == CHALLENGE);
        let Some(challenge) = challenge else {
            return false;
        };
        self.peer.send_challenge(
            RESPONSE,
            challenge.challenge_token_sequence,
            &challenge.challenge_token_data,
        );
        self.step(0.01);
        let Some(client) = self.server.find_client(self.client_id) else {
            return false;
        };
        self.session = Some(client.session);
        self.peer.client_index = client.session.index() as i32;
        self.peer.last_keep_alive = Some(self.time);
        // The reference's client sends a keep-alive once it is connected.
        self.peer.send_keep_alive();
        true
    }

    fn connected(&self) -> bool {
        let Some(session) = self.session else {
            return false;
        };
        self.server.num_connected_clients() == 1
            && self
                .server
                .client(session.index())
                .is_some_and(|client| client.session == session)
    }
}

impl Rig for ServerRig {
    fn make() -> ServerRig {
        let config = ServerConfig::new("[::1]:0".parse().unwrap(), PROTOCOL_ID, KEY).max_clients(2);
        let server = NetcodeServer::new(config).expect("a server on [::1]");
        let registration = Registration::new(server.local_address().port());
        let mut rig = ServerRig {
            peer: Peer::new(true, registration.0),
            server,
            _registration: registration,
            session: None,
            client_id: 0,
            time: 0.0,
        };
        assert!(
            rig.handshake(),
            "the hand-made client connects to a new server"
        );
        rig
    }

    fn tidy(&mut self) -> bool {
        (self.peer.catch_up() && self.connected()) || self.handshake()
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
    client_id: u64,
    time: f64,
}

impl ClientRig {
    /// Connects with a new token: the hand-made server answers the request with a challenge,
    /// and the response with a keep-alive.
    fn handshake(&mut self) -> bool {
        stats(|stats| stats.handshakes += 1);
        self.client_id += 1;
        let token = self
            .generator
            .generate(self.client_id, &[7; 256])
            .expect("a token");
        self.peer.start(&token);
        net::clear(self.peer.fd);
        if self.client.connect(&token).is_err() {
            return false;
        }
        for _ in 0..3 {
            self.step(0.1);
            match self.client.state() {
                ConnectionState::Connected => {
                    self.peer.last_keep_alive = Some(self.time);
                    return true;
                }
                ConnectionState::SendingConnectionRequest => {
                    let token = [self.client_id as u8; 300];
                    self.peer.send_challenge(CHALLENGE, self.client_id, &token)
                }
                ConnectionState::SendingConnectionResponse => self.peer.send_keep_alive(),
                _ => return false,
            }
        }
        self.step(0.1);
        self.peer.last_keep_alive = Some(self.time);
        self.client.state() == ConnectionState::Connected
    }
}

impl Rig for ClientRig {
    fn make() -> ClientRig {
        let client = NetcodeClient::new("[::1]:0".parse().unwrap()).expect("a client on [::1]");
        let registration = Registration::new(client.local_address().port());
        let peer = Peer::new(false, registration.0);
        let server = SocketAddr::V6(peer.address);
        let settings = TokenSettings::new(PROTOCOL_ID, ServerAddresses::one(server));
        let generator = TokenGenerator::new(settings, &KEY).expect("a token generator");
        let mut rig = ClientRig {
            client,
            _registration: registration,
            peer,
            generator,
            client_id: 0,
            time: 0.0,
        };
        assert!(
            rig.handshake(),
            "a new client connects to the hand-made server"
        );
        rig
    }

    fn tidy(&mut self) -> bool {
        let connected = self.client.state() == ConnectionState::Connected;
        (self.peer.catch_up() && connected) || self.handshake()
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
/// inputs: what an input did that the next one must not inherit is undone after it (see
/// [`Rig::tidy`] below).
pub struct Pair {
    pub simulator: NetworkSimulator,
    pub server: NetcodeServer,
    pub client: NetcodeClient,
    /// The clock of [`step`](Pair::step), which only moves forward.
    pub time: f64,
    /// The session the pair connected, and the last token's client id.
    session: Option<Session>,
    client_id: u64,
    /// The input updated at a time of its own (see [`update_at`](Pair::update_at)).
    odd_time: bool,
    /// The input configured the simulator (see [`configure`](Pair::configure)).
    configured: bool,
}

impl Pair {
    /// Updates the simulator, the client and the server at `time`, any time at all (not the
    /// pair's clock, which does not move).
    pub fn update_at(&mut self, time: f64) {
        self.odd_time = true;
        self.simulator.update(time);
        self.client.update(time);
        self.server.update(time);
    }

    /// Sets the simulator's latency, jitter, loss and duplicates.
    pub fn configure(
        &mut self,
        latency_ms: f32,
        jitter_ms: f32,
        packet_loss_percent: f32,
        duplicate_packet_percent: f32,
    ) -> Result<(), netcode::Error> {
        self.configured = true;
        self.simulator.configure(
            latency_ms,
            jitter_ms,
            packet_loss_percent,
            duplicate_packet_percent,
        )
    }

    /// Updates all three at the pair's clock, then moves it on by `delta`.
    pub fn step(&mut self, delta: f64) {
        self.simulator.update(self.time);
        self.client.update(self.time);
        self.server.update(self.time);
        self.time += delta;
    }

    /// Connects the client again with a new token (the server forgets every client first),
    /// in as few updates of the simulator as the handshake allows (four, each costing a walk
    /// over its 65,536 packet entries), and a last round at the same time that delivers the
    /// keep-alives both sides sent then, so that nothing is left in flight.
    fn reconnect(&mut self) -> bool {
        stats(|stats| stats.handshakes += 1);
        self.server.disconnect_all();
        self.session = None;
        self.client_id += 1;
        let Ok(token) = self.server.generate_token(self.client_id, &[0; 256]) else {
            return false;
        };
        if self.client.connect(&token).is_err() {
            return false;
        }
        // The request goes out now, and is received at the first step.
        self.client.update(self.time);
        for _ in 0..50 {
            self.time += 0.1;
            self.step(0.0);
            if self.client.state() == ConnectionState::Connected {
                self.step(0.1);
                self.session = self.server.find_client(self.client_id).map(|c| c.session);
                return self.session.is_some();
            }
        }
        false
    }

    fn connected(&self) -> bool {
        let Some(session) = self.session else {
            return false;
        };
        self.client.state() == ConnectionState::Connected
            && self.server.num_connected_clients() == 1
            && self
                .server
                .client(session.index())
                .is_some_and(|client| client.session == session)
    }
}

impl Rig for Pair {
    /// A server with 2 slots and one client connected to it.
    fn make() -> Pair {
        let simulator = NetworkSimulator::new().unwrap();
        let server_address: SocketAddr = "[::1]:40000".parse().unwrap();
        let client_address: SocketAddr = "[::1]:50000".parse().unwrap();
        let config = ServerConfig::new(server_address, PROTOCOL_ID, KEY).max_clients(2);
        let server = NetcodeServer::with_simulator(&simulator, config).unwrap();
        let client = NetcodeClient::with_simulator(&simulator, client_address).unwrap();
        let mut pair = Pair {
            simulator,
            server,
            client,
            time: 0.0,
            session: None,
            client_id: 0,
            odd_time: false,
            configured: false,
        };
        assert!(pair.reconnect(), "a new client connects to a new server");
        reseed();
        pair
    }

    /// After an input: after one that configured the simulator, no latency, loss or
    /// duplicates again and the clock 2 s on (the settings allow at most 0.51 s of delay, and
    /// duplicates 1 s later), so every packet in flight is due. After one that updated at
    /// times of its own, the packets in flight dropped, and a new connection (the handles keep
    /// times from those updates). Else
    /// two rounds of updates at one time, which deliver what is in flight and the keep-alives
    /// the first round sends, so that each side has just heard from the other and nothing is
    /// left in flight; and a new connection if the client is then anything but connected in
    /// the pair's session. Then the payloads neither side read are read (and freed), and the
    /// C's `rand()`, which draws the simulator's losses, seeded again.
    fn tidy(&mut self) -> bool {
        if std::mem::take(&mut self.configured) {
            if self.simulator.configure(0.0, 0.0, 0.0, 0.0).is_err() {
                return false;
            }
            self.time += 2.0;
        }
        let reconnect = if std::mem::take(&mut self.odd_time) {
            // What was sent after an update at a time far ahead is due only then: an update
            // at the latest time there is makes everything in flight due, and the next, with
            // nothing received in between, drops it.
            self.simulator.update(f64::MAX);
            self.simulator.update(self.time);
            true
        } else {
            self.settle();
            !self.connected()
        };
        if reconnect && !self.reconnect() {
            return false;
        }
        for client in self.server.clients().collect::<Vec<_>>() {
            while self.server.receive(client.session).is_some() {}
        }
        while self.client.receive().is_some() {}
        reseed();
        true
    }
}

impl Pair {
    /// Two rounds of updates at the pair's clock, then the clock a tenth of a second on.
    fn settle(&mut self) {
        self.step(0.0);
        self.step(0.1);
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

/// Runs `f` on the kept pair of `api_calls` (see [`with_rig`]).
pub fn with_pair(data: &[u8], f: impl FnOnce(&mut Pair)) {
    thread_local! {
        static PAIR: RefCell<Kept<Pair>> = const { RefCell::new(Kept::new()) };
    }
    PAIR.with(|kept| with_rig(kept, data, f));
}
