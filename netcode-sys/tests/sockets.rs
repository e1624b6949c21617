//! Patches 0013 and 0014: how netcode_socket_create makes its socket.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use common::{cstring, PRIVATE_KEY, PROTOCOL_ID};
use netcode_sys::*;

/// AF_INET binds seen in this process, and how many of them had non-zero padding.
static IPV4_BINDS: AtomicUsize = AtomicUsize::new(0);
static DIRTY_IPV4_BINDS: AtomicUsize = AtomicUsize::new(0);

/// Every `bind` of this test binary (netcode.c's included: it is linked statically, so this
/// definition comes before the C library's) comes here first. It notes whether an IPv4
/// address's padding (`sin_zero`) is zero, and then makes the real system call unchanged.
///
/// # Safety
/// As `bind(2)`: `address` points to `length` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn bind(
    socket: libc::c_int,
    address: *const libc::sockaddr,
    length: libc::socklen_t,
) -> libc::c_int {
    if !address.is_null()
        && length as usize >= std::mem::size_of::<libc::sockaddr_in>()
        && libc::c_int::from((*address).sa_family) == libc::AF_INET
    {
        let ipv4 = &*(address as *const libc::sockaddr_in);
        IPV4_BINDS.fetch_add(1, Ordering::SeqCst);
        if ipv4.sin_zero != [0; 8] {
            DIRTY_IPV4_BINDS.fetch_add(1, Ordering::SeqCst);
        }
    }
    libc::syscall(libc::SYS_bind, socket, address, length) as libc::c_int
}

/// Fills a stretch of the stack below the caller's frame with non-zero bytes, so that a callee
/// that leaves a local uninitialized finds them there.
#[inline(never)]
fn dirty_the_stack() {
    let mut junk = [0xA5u8; 32 * 1024];
    std::hint::black_box(&mut junk);
}

/// Patch 0013. The sockaddr_in the C binds an IPv4 socket to has zero padding.
#[test]
fn the_ipv4_bind_address_is_zeroed() {
    common::init();
    let bind_address = cstring("127.0.0.1:0");
    let key = PRIVATE_KEY;
    let before = IPV4_BINDS.load(Ordering::SeqCst);
    for _ in 0..4 {
        dirty_the_stack();
        // SAFETY: valid NUL-terminated strings and a 32-byte key; the server is destroyed.
        unsafe {
            let server = netcode_sys_server_create(
                bind_address.as_ptr(),
                bind_address.as_ptr(),
                PROTOCOL_ID,
                key.as_ptr(),
                0.0,
            );
            assert!(!server.is_null(), "the C server could not bind 127.0.0.1:0");
            netcode_server_destroy(server);
        }
    }
    assert!(
        IPV4_BINDS.load(Ordering::SeqCst) >= before + 4,
        "the C's binds did not go through this binary's bind()"
    );
    assert_eq!(
        DIRTY_IPV4_BINDS.load(Ordering::SeqCst),
        0,
        "an IPv4 bind address reached the kernel with uninitialized padding (sin_zero)"
    );
}

const FD0_CHILD: &str = "NETCODE_SYS_TEST_FD0_CHILD";

/// Whether file descriptor 0 is open.
fn fd0_open() -> bool {
    // SAFETY: F_GETFD only reads the descriptor's flags.
    unsafe { libc::fcntl(0, libc::F_GETFD) != -1 }
}

/// Patch 0014. With standard input closed, the first socket a process makes gets fd 0: a server
/// and a client must still work, over IPv4 and IPv6, and nothing may stay open on fd 0.
#[test]
fn a_socket_may_get_file_descriptor_zero() {
    if std::env::var_os(FD0_CHILD).is_some() {
        common::init();
        // SAFETY: this child process runs only this test; nothing else uses fd 0.
        unsafe { libc::close(0) };
        assert!(!fd0_open());
        for host in ["127.0.0.1", "[::1]"] {
            for _ in 0..2 {
                let bind = cstring(&format!("{host}:0"));
                let key = PRIVATE_KEY;
                // SAFETY: valid strings and a 32-byte key; the server is destroyed.
                let server = unsafe {
                    netcode_sys_server_create(
                        bind.as_ptr(),
                        bind.as_ptr(),
                        PROTOCOL_ID,
                        key.as_ptr(),
                        0.0,
                    )
                };
                assert!(
                    !server.is_null(),
                    "with fd 0 free, a server socket on {host} was refused"
                );
                // SAFETY: a live server, destroyed once.
                unsafe { netcode_server_destroy(server) };
                assert!(!fd0_open(), "a socket on fd 0 was left open (leaked)");
                // A whole connection: the server's socket is the first one again.
                let (pair, _) = common::UdpPair::connect(host, 0.0, 0.1);
                drop(pair);
                assert!(!fd0_open(), "a socket on fd 0 was left open (leaked)");
            }
        }
        return;
    }
    let output = common::run_in_child("a_socket_may_get_file_descriptor_zero", FD0_CHILD, "1");
    assert!(
        output.status.success(),
        "with standard input closed (fd 0 free) the C's sockets failed ({}):\n{}",
        output.status,
        common::child_output_tail(&output, 12)
    );
}
