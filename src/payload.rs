//! A received payload, lent by the C until dropped.

use std::ffi::{c_int, c_void};
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::ptr::NonNull;

use netcode_sys as raw;

/// A payload received by a [`NetcodeServer`](crate::NetcodeServer) or
/// [`NetcodeClient`](crate::NetcodeClient): a view of the C's own buffer, no copy. It derefs
/// to `&[u8]`, and goes back to the C (`netcode_*_free_packet`) exactly once, when dropped.
/// It borrows its handle mutably, so the handle cannot be used, or dropped, while it lives.
pub struct Payload<'a> {
    data: NonNull<u8>,
    len: usize,
    sequence: u64,
    owner: Owner,
    _handle: PhantomData<&'a mut ()>,
}

#[derive(Clone, Copy)]
enum Owner {
    Server(NonNull<raw::netcode_server_t>),
    Client(NonNull<raw::netcode_client_t>),
}

impl Payload<'_> {
    /// Takes the next payload the C has queued from the client of `session` in `client_index`.
    ///
    /// # Safety
    /// `server` must be a live handle. The returned payload must not outlive it, nor any call
    /// that could destroy it (the caller ties it to a mutable borrow of the handle).
    pub(crate) unsafe fn from_server(
        server: NonNull<raw::netcode_server_t>,
        client_index: c_int,
        session: u64,
    ) -> Option<Self> {
        let mut bytes = 0;
        let mut sequence = 0;
        let packet = raw::netcode_sys_server_receive(
            server.as_ptr(),
            client_index,
            session,
            &mut bytes,
            &mut sequence,
        );
        Self::new(packet, bytes, sequence, Owner::Server(server))
    }

    /// Takes the next payload the C has queued from the server.
    ///
    /// # Safety
    /// As for [`from_server`](Payload::from_server), for a client.
    pub(crate) unsafe fn from_client(client: NonNull<raw::netcode_client_t>) -> Option<Self> {
        let mut bytes = 0;
        let mut sequence = 0;
        let packet = raw::netcode_client_receive_packet(client.as_ptr(), &mut bytes, &mut sequence);
        Self::new(packet, bytes, sequence, Owner::Client(client))
    }

    fn new(packet: *mut c_void, bytes: c_int, sequence: u64, owner: Owner) -> Option<Self> {
        let data = NonNull::new(packet.cast::<u8>())?;
        // The C only queues payloads of 1..=1200 bytes, so the length is never negative.
        let len = usize::try_from(bytes).unwrap_or(0);
        Some(Payload {
            data,
            len,
            sequence,
            owner,
            _handle: PhantomData,
        })
    }

    /// The packet sequence number the payload arrived with.
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// The payload's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        // SAFETY: the C allocated `len` bytes at `data` for this payload; they stay valid and
        // unchanged until Drop hands them back.
        unsafe { std::slice::from_raw_parts(self.data.as_ptr(), self.len) }
    }
}

impl Deref for Payload<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for Payload<'_> {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl fmt::Debug for Payload<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Payload")
            .field("len", &self.len)
            .field("sequence", &self.sequence)
            .finish()
    }
}

impl Drop for Payload<'_> {
    fn drop(&mut self) {
        // SAFETY: `data` came from this owner's receive call and is freed exactly once, here;
        // the owner is alive (the payload borrows it).
        unsafe {
            match self.owner {
                Owner::Server(server) => {
                    raw::netcode_server_free_packet(server.as_ptr(), self.data.as_ptr().cast())
                }
                Owner::Client(client) => {
                    raw::netcode_client_free_packet(client.as_ptr(), self.data.as_ptr().cast())
                }
            }
        }
    }
}
