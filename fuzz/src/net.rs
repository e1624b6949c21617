//! An in-process network under the C's UDP sockets, for the datagram targets ("desocketing").
//!
//! A real server or client of this crate makes its socket as always (`socket`, `bind`, the
//! options: all the real calls). The rig then registers that socket here, and from then on this
//! module's `recvfrom` and `sendto`, which take the place of the C library's in these binaries,
//! serve it from memory: `recvfrom` hands out the datagrams the rig delivered, oldest first,
//! with the address they came from, then fails with `EAGAIN` as a non-blocking socket does;
//! `sendto` drops what the handle sends (or keeps it, while the rig listens, for the
//! handshake) and reports it sent. Every other descriptor goes to the C library's functions.
//!
//! On loopback every datagram cost two system calls (about 5 us for the send and 2.5 us for the
//! receive on the machine the fuzzing runs on) and a tick four; here a datagram costs a copy.
//! The C's code is the same either way, `netcode_socket_receive_packet` and
//! `netcode_socket_send_packet` included; only the kernel's part is left out. Delivery is
//! exact: a datagram is there at the handle's next receive, which loopback almost always but
//! not always managed.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::ffi::{c_int, c_void};
use std::net::{Ipv6Addr, SocketAddrV6};
use std::sync::OnceLock;

/// At most this many datagrams wait for a socket; more are lost, as in a full socket buffer. An
/// input of libFuzzer's default maximum length (4096 bytes) holds at most 2048 records. The
/// buffers are all made when the socket is registered: one made during an input and kept would
/// count as memory the input did not free (see `Rig::tidy`).
const QUEUE: usize = 2048;

/// The longest datagram kept: a record's 1530 bytes (the C reads 1300 of them).
const DATAGRAM: usize = 1536;

struct Socket {
    fd: c_int,
    /// Datagrams waiting, oldest first: where from, how long, the bytes.
    inbox: VecDeque<(SocketAddrV6, usize, Box<[u8; DATAGRAM]>)>,
    /// Buffers for the inbox, kept (not allocated for every datagram); boxed, so that they
    /// move between the two without being copied.
    #[allow(clippy::vec_box)]
    spare: Vec<Box<[u8; DATAGRAM]>>,
    /// What the handle sent, while the rig listens.
    sent: Option<Vec<(SocketAddrV6, Vec<u8>)>>,
}

thread_local! {
    static SOCKETS: RefCell<Vec<Socket>> = const { RefCell::new(Vec::new()) };
}

/// The descriptor of the socket bound to `port` on IPv6, found by asking each open descriptor
/// (listed in /proc/self/fd) for its address: the C keeps its socket to itself.
pub fn find_socket(port: u16) -> c_int {
    let open = std::fs::read_dir("/proc/self/fd").expect("/proc/self/fd");
    for fd in open.filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<c_int>().ok()) {
        let mut address = std::mem::MaybeUninit::<libc::sockaddr_in6>::zeroed();
        let mut length = std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t;
        // SAFETY: getsockname writes at most `length` bytes into `address`, which has room for
        // them; any descriptor may be asked (one that is not a socket, or closed, fails).
        if unsafe { libc::getsockname(fd, address.as_mut_ptr().cast(), &mut length) } != 0 {
            continue;
        }
        // SAFETY: zeroed, then partly written by getsockname: every byte is initialized.
        let address = unsafe { address.assume_init() };
        if c_int::from(address.sin6_family) == libc::AF_INET6
            && u16::from_be(address.sin6_port) == port
        {
            return fd;
        }
    }
    panic!("no socket of this process is bound to port {port} on IPv6");
}

/// Serves `fd` from memory from now on.
pub fn register(fd: c_int) {
    // Keep the two functions below in the link even where nothing else names them: the C's
    // calls must find them, not the C library's.
    std::hint::black_box((recvfrom as *const (), sendto as *const ()));
    SOCKETS.with(|sockets| {
        let mut sockets = sockets.borrow_mut();
        sockets.retain(|socket| socket.fd != fd);
        sockets.push(Socket {
            fd,
            inbox: VecDeque::with_capacity(QUEUE),
            spare: (0..QUEUE).map(|_| Box::new([0; DATAGRAM])).collect(),
            sent: None,
        });
    });
}

/// Gives `fd` back to the C library's functions (before the handle closes it).
pub fn unregister(fd: c_int) {
    let _ = SOCKETS.try_with(|sockets| sockets.borrow_mut().retain(|socket| socket.fd != fd));
}

/// Runs `f` on the registered socket `fd`; None if it is not registered (or this thread's
/// registry is gone: at exit, the kept rigs may be dropped after it).
fn with_socket<R>(fd: c_int, f: impl FnOnce(&mut Socket) -> R) -> Option<R> {
    SOCKETS
        .try_with(|sockets| {
            let mut sockets = sockets.try_borrow_mut().ok()?;
            sockets.iter_mut().find(|socket| socket.fd == fd).map(f)
        })
        .ok()
        .flatten()
}

/// Queues a datagram from `from` for `fd` (lost if the queue is full).
pub fn deliver(fd: c_int, from: SocketAddrV6, datagram: &[u8]) {
    with_socket(fd, |socket| {
        if socket.inbox.len() < QUEUE {
            let mut buffer = socket
                .spare
                .pop()
                .unwrap_or_else(|| Box::new([0; DATAGRAM]));
            let n = datagram.len().min(DATAGRAM);
            buffer[..n].copy_from_slice(&datagram[..n]);
            socket.inbox.push_back((from, n, buffer));
        }
    })
    .expect("a registered socket");
}

/// Drops what waits for `fd`.
pub fn clear(fd: c_int) {
    with_socket(fd, |socket| {
        let Socket { inbox, spare, .. } = socket;
        spare.extend(inbox.drain(..).map(|(_, _, buffer)| buffer));
    });
}

/// Starts keeping what `fd` sends (`listen(fd, true)`), or stops and returns it.
pub fn listen(fd: c_int, on: bool) -> Vec<(SocketAddrV6, Vec<u8>)> {
    with_socket(fd, |socket| {
        if on {
            socket.sent = Some(Vec::new());
            Vec::new()
        } else {
            socket.sent.take().unwrap_or_default()
        }
    })
    .expect("a registered socket")
}

/// Takes what `fd` sent since the last call, while listening.
pub fn take_sent(fd: c_int) -> Vec<(SocketAddrV6, Vec<u8>)> {
    with_socket(fd, |socket| {
        socket.sent.as_mut().map(std::mem::take).unwrap_or_default()
    })
    .expect("a registered socket")
}

type RecvFrom = unsafe extern "C" fn(
    c_int,
    *mut c_void,
    usize,
    c_int,
    *mut libc::sockaddr,
    *mut libc::socklen_t,
) -> isize;
type SendTo = unsafe extern "C" fn(
    c_int,
    *const c_void,
    usize,
    c_int,
    *const libc::sockaddr,
    libc::socklen_t,
) -> isize;

/// The C library's function `name` (the next definition after this binary's own).
fn next_definition(name: &std::ffi::CStr) -> usize {
    // SAFETY: dlsym with RTLD_NEXT and a NUL-terminated name only looks the symbol up.
    let found = unsafe { libc::dlsym(libc::RTLD_NEXT, name.as_ptr()) } as usize;
    assert_ne!(found, 0, "the C library defines {name:?}");
    found
}

/// The C's `recvfrom`, for registered sockets served from memory.
///
/// # Safety
///
/// As the C library's: `buffer` is valid for `length` bytes of writes, `address` is null or
/// valid for `*address_length` bytes of writes, and `address_length` is null only if `address`
/// is.
#[no_mangle]
pub unsafe extern "C" fn recvfrom(
    fd: c_int,
    buffer: *mut c_void,
    length: usize,
    flags: c_int,
    address: *mut libc::sockaddr,
    address_length: *mut libc::socklen_t,
) -> isize {
    let served = with_socket(fd, |socket| {
        let (from, n, datagram) = socket.inbox.pop_front()?;
        // A datagram longer than the buffer is cut to it, as a socket does.
        let n = n.min(length);
        // SAFETY: the caller's buffer is valid for `length` bytes, and n <= length; the
        // datagram is ours, so the two do not overlap.
        unsafe { std::ptr::copy_nonoverlapping(datagram.as_ptr(), buffer.cast::<u8>(), n) };
        socket.spare.push(datagram);
        Some((from, n))
    });
    let Some(next) = served else {
        static REAL: OnceLock<usize> = OnceLock::new();
        let real = *REAL.get_or_init(|| next_definition(c"recvfrom"));
        // SAFETY: `real` is the C library's recvfrom, of this very signature; the caller's
        // arguments go to it unchanged, with the caller's guarantees.
        return unsafe {
            std::mem::transmute::<usize, RecvFrom>(real)(
                fd,
                buffer,
                length,
                flags,
                address,
                address_length,
            )
        };
    };
    let Some((from, n)) = next else {
        // SAFETY: errno is this thread's; writing it is what a failing recvfrom does.
        unsafe { *libc::__errno_location() = libc::EAGAIN };
        return -1;
    };
    if !address.is_null() && !address_length.is_null() {
        let from = libc::sockaddr_in6 {
            sin6_family: libc::AF_INET6 as libc::sa_family_t,
            sin6_port: from.port().to_be(),
            sin6_flowinfo: 0,
            sin6_addr: libc::in6_addr {
                s6_addr: from.ip().octets(),
            },
            sin6_scope_id: 0,
        };
        // SAFETY: the caller's address has room for *address_length bytes; at most that many
        // are written (cut as the C library cuts it), and the full length is reported.
        unsafe {
            let room = (*address_length as usize).min(std::mem::size_of_val(&from));
            std::ptr::copy_nonoverlapping(
                std::ptr::from_ref(&from).cast::<u8>(),
                address.cast::<u8>(),
                room,
            );
            *address_length = std::mem::size_of_val(&from) as libc::socklen_t;
        }
    }
    n as isize
}

/// The C's `sendto`, for registered sockets served from memory.
///
/// # Safety
///
/// As the C library's: `buffer` is valid for `length` bytes of reads and `address` for
/// `address_length` bytes.
#[no_mangle]
pub unsafe extern "C" fn sendto(
    fd: c_int,
    buffer: *const c_void,
    length: usize,
    flags: c_int,
    address: *const libc::sockaddr,
    address_length: libc::socklen_t,
) -> isize {
    let kept = with_socket(fd, |socket| {
        let Some(sent) = socket.sent.as_mut() else {
            return;
        };
        if address.is_null()
            || (address_length as usize) < std::mem::size_of::<libc::sockaddr_in6>()
        {
            return;
        }
        // SAFETY: the caller's address is valid for address_length bytes, enough for a
        // sockaddr_in6, which may be unaligned in the caller's memory.
        let to = unsafe { std::ptr::read_unaligned(address.cast::<libc::sockaddr_in6>()) };
        if c_int::from(to.sin6_family) != libc::AF_INET6 {
            return;
        }
        let to = SocketAddrV6::new(
            Ipv6Addr::from(to.sin6_addr.s6_addr),
            u16::from_be(to.sin6_port),
            0,
            0,
        );
        // SAFETY: the caller's buffer is valid for `length` bytes of reads.
        let datagram = unsafe { std::slice::from_raw_parts(buffer.cast::<u8>(), length) };
        sent.push((to, datagram.to_vec()));
    });
    if kept.is_some() {
        return length as isize;
    }
    static REAL: OnceLock<usize> = OnceLock::new();
    let real = *REAL.get_or_init(|| next_definition(c"sendto"));
    // SAFETY: `real` is the C library's sendto, of this very signature; the caller's arguments
    // go to it unchanged, with the caller's guarantees.
    unsafe {
        std::mem::transmute::<usize, SendTo>(real)(
            fd,
            buffer,
            length,
            flags,
            address,
            address_length,
        )
    }
}
