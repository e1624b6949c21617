//! [netcode.io](https://github.com/networkprotocol/netcode.io) for Rust: the reference C
//! implementation behind a safe API, and a drop-in replacement for the `netcode` 0.3.1 crate.
//!
//! netcode.io is a small secure protocol over UDP for dedicated game servers. A web backend
//! hands an authenticated player a short-lived connect [`Token`]; only a holder of a valid
//! token can connect; every packet is encrypted and signed; servers have client slots,
//! keep-alives, timeouts, clean disconnects and replay protection. All of that is done by the
//! reference C (pinned to commit `a6da210`, protocol `NETCODE 1.00`), built by the
//! [`netcode-sys`](https://docs.rs/netcode-sys/0.4) crate from verified sources (re-exported as
//! `netcode::netcode_sys`; [REFERENCE.md](docs::reference) tells its story). What it
//! defends against, and the test behind each claim: [SECURITY.md](docs::security).
//!
//! It speaks both versions of the protocol alive today ([`Version`]): **NETCODE 1.02**, what
//! every current implementation speaks, the default of the idiomatic API; and **NETCODE
//! 1.00**, the pinned C's own, which netcode 0.3.1 deployments speak (the 0.3.1 API's only
//! version). A server speaks the version it is configured with, a client the version of its
//! token. [WIRE.md](docs::wire) lists the differences.
//!
//! # Two APIs
//!
//! - For new code: [`NetcodeServer`] and [`NetcodeClient`], configured with `SocketAddr`s,
//!   driven by your clock; what happened comes back as values ([`server::Event`],
//!   [`StateChange`]) recorded by the C where it happened (or, if you prefer, through
//!   closures); clients are named by [`Session`]s that cannot reach a slot's next client; payloads
//!   received without copies ([`Payload`]), the reference's full [`ConnectionState`] set, and
//!   the reference's [`NetworkSimulator`] to run a session in one process without sockets.
//! - For code written against netcode 0.3.1: the [`compat`] module ([`UdpServer`],
//!   [`UdpClient`], [`ServerEvent`], [`ClientEvent`], [`ClientState`] and the rest of its API,
//!   unchanged, also at the crate root where 0.3.1 had them). [MIGRATING.md](docs::migrating) says what behaves
//!   differently (the reference wins where 0.3.1 differed from it).
//!
//! # A server and a client
//!
//! ```
//! use netcode::{server::Event, ConnectionState, NetcodeClient, NetcodeServer, ServerConfig};
//!
//! const PROTOCOL_ID: u64 = 0x1122_3344_5566_7788;
//! let key = netcode::generate_key();
//!
//! let mut server = NetcodeServer::new(ServerConfig::new("127.0.0.1:0".parse()?, PROTOCOL_ID, key))?;
//! let token = server.generate_token(42, &[0; netcode::NETCODE_USER_DATA_BYTES])?;
//!
//! let mut client = NetcodeClient::new("0.0.0.0:0".parse()?)?;
//! client.connect(&token)?;
//!
//! let mut time = 0.0;
//! let mut echoed = false;
//! while !echoed && time < 5.0 {
//!     client.update(time);
//!     server.update(time);
//!     if client.state() == ConnectionState::Connected {
//!         client.send(b"ping")?;
//!     }
//!     // What happened, in order, as the C recorded it.
//!     while let Some(event) = server.next_event() {
//!         if let Event::Connected { client, .. } = event {
//!             println!("client {} joined ({})", client.id, client.session);
//!         }
//!     }
//!     for index in 0..server.max_clients() {
//!         let Some(client) = server.client(index) else { continue };
//!         // `let ... else` ends the payload's borrow before the reply (a `while let` would not).
//!         loop {
//!             let Some(payload) = server.receive(client.session) else { break };
//!             let message = payload.to_vec();
//!             drop(payload); // hands the buffer back to the C
//!             server.send(client.session, &message)?;
//!         }
//!     }
//!     while let Some(payload) = client.receive() {
//!         echoed = &payload[..] == b"ping";
//!     }
//!     std::thread::sleep(std::time::Duration::from_millis(1));
//!     time += 0.02;
//! }
//! assert!(echoed);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Tokens
//!
//! Tokens are made where players log in, with the servers' private key, by a
//! [`TokenGenerator`] whose [`TokenSettings`] are checked once; each token gets a fresh random
//! nonce (nobody picks one, so restarts and fleets sharing a key cannot repeat it). The player
//! gets the token's 2048 bytes:
//!
//! ```
//! use netcode::{ServerAddresses, Token, TokenGenerator, TokenSettings};
//!
//! let key = netcode::generate_key();
//! let servers = ServerAddresses::new(["127.0.0.1:40000".parse()?, "127.0.0.1:40001".parse()?])?;
//! let settings = TokenSettings::new(0x1122_3344_5566_7788, servers.clone()).expire_seconds(30);
//! let generator = TokenGenerator::new(settings, &key)?;
//! let token = generator.generate(42, &[0; netcode::NETCODE_USER_DATA_BYTES])?;
//!
//! let received = Token::from_bytes(token.as_bytes())?;
//! assert_eq!(received.servers(), &servers);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! 0.3.1's [`ConnectToken`] (public fields, a caller-chosen sequence) stays in [`compat`], and
//! converts to and from [`Token`].
//!
//! # Safety and threads
//!
//! Every argument is checked before it reaches the C, which would otherwise `assert` (or,
//! built without assertions, misbehave): payload sizes, slot indices, `max_clients`, tokens,
//! addresses. Handles are `Send` (not `Sync`); the C library is initialized once per process.
//! The C's log lines go to the [`log`](https://docs.rs/log/0.4) crate under the target `netcode`, handed over after each
//! C call returns (no Rust code runs inside the C, so a logger may do anything, and its panics
//! are contained). Every update sets the C's level from
//! [`log::max_level`](https://docs.rs/log/0.4/log/fn.max_level.html), so a logger
//! installed at any time gets every line from then on, and lines nobody reads are never
//! formatted.
#![deny(missing_docs)]

mod address;
pub mod client;
pub mod compat;
pub mod docs;
pub mod error;
mod ffi;
mod ignored;
mod init;
mod limits;
mod payload;
pub mod server;
mod simulator;
mod token;
mod version;

pub use client::{ConnectionState, NetcodeClient, StateChange};
pub use error::{Error, Result};
pub use ignored::IgnoredRequests;
pub use limits::*;
pub use netcode_sys;
pub use payload::Payload;
pub use server::{ClientInfo, DisconnectReason, NetcodeServer, ServerConfig, Session};
pub use simulator::NetworkSimulator;

// The netcode 0.3.1 API at the paths 0.3.1 had; documented in `compat`.
#[doc(no_inline)]
pub use compat::{
    Client, ClientEvent, ConnectToken, DecodeError, GenerateError, HostList, InternalError,
    PrivateData, RecvError, SendError, Server, ServerEvent, State as ClientState, UdpClient,
    UdpServer, UpdateError,
};
pub use token::{
    generate_key, ServerAddresses, Token, TokenGenerator, TokenPrivate, TokenSettings, NONCE_BYTES,
};
pub use version::Version;
