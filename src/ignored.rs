//! What a server dropped instead of answering, by reason ([`IgnoredRequests`]), and the one
//! warning a server logs for each reason.

use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};

use netcode_sys as raw;

/// The connection requests and other packets a [`NetcodeServer`](crate::NetcodeServer)
/// dropped since it was created, by reason, counted by the C at the line that drops each one
/// (patch 0022; see [`NetcodeServer::ignored_requests`](crate::NetcodeServer::ignored_requests)).
///
/// A client whose requests are dropped hears nothing: to the player a wrong key, a wrong
/// protocol id and a server that is not running all end in "connection request timed out".
/// These counts, and the warning the server logs the first time it counts each reason, tell
/// them apart on the server.
///
/// The request fields follow the order in which the server checks a request: a request is
/// counted once, for the first check it fails. Only [`server_full`](Self::server_full) is
/// answered (with a denial packet); everything else gets no answer at all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct IgnoredRequests {
    /// Connection requests of neither version's size (1062 bytes in NETCODE 1.00, 1078 in
    /// 1.02): not a netcode.io client.
    pub request_wrong_length: u64,
    /// Connection requests of another version than the server's
    /// ([`ServerConfig::version`](crate::ServerConfig::version)), or whose length is not their
    /// version's: a client of the other netcode.io version (a 1.02 client of a 1.00 server, or
    /// the reverse).
    pub wrong_version: u64,
    /// Connection requests for another protocol id: the token was made for another game or
    /// build (the backend and the server disagree on `protocol_id`).
    pub wrong_protocol_id: u64,
    /// Connection requests whose token had expired by the server's clock (UNIX time): tokens
    /// that live too short, or clocks of the backend and the server that disagree. Also
    /// connection responses whose token expired during the handshake.
    pub token_expired: u64,
    /// Connection requests whose token's private part did not decrypt: made with another
    /// private key than the server's, or altered on the way.
    pub token_not_decrypted: u64,
    /// Connection requests whose token decrypted but whose contents did not parse (server
    /// count or address types): made with the right key by a broken token generator.
    pub token_unreadable: u64,
    /// Connection requests whose token does not list this server's public address.
    pub server_address_not_in_token: u64,
    /// Connection requests from an address whose client is connected.
    pub address_already_connected: u64,
    /// Connection requests and responses for a client id that is connected (from another
    /// address).
    pub client_id_already_connected: u64,
    /// Connection requests whose token expires before the server started plus
    /// [`ServerConfig::max_token_lifetime`](crate::ServerConfig::max_token_lifetime): it could
    /// have been used before this server started (the restart rule). Right after a start,
    /// usually tokens made shorter-lived than the maximum, or a backend clock behind the
    /// server's.
    pub token_before_start: u64,
    /// Connection requests whose token expires later than now plus
    /// [`ServerConfig::max_token_lifetime`](crate::ServerConfig::max_token_lifetime): the
    /// backend makes longer-lived tokens than the server allows, or its clock is ahead of the
    /// server's.
    pub token_lifetime_too_long: u64,
    /// Connection requests with a token that already got a client a slot on this server, from
    /// any address, and connection responses under such a token's keys
    /// ([`ServerConfig::refuse_token_reuse`](crate::ServerConfig::refuse_token_reuse)): a
    /// client reusing its token, or a replay.
    pub token_already_used: u64,
    /// Connection requests with a token whose handshake another address started: a replay
    /// of a captured request, or a client that changed address mid-handshake.
    pub token_in_use_elsewhere: u64,
    /// Connection requests with a new token while every entry of the server's token history
    /// ([`NetcodeServer::TOKEN_HISTORY`](crate::NetcodeServer::TOKEN_HISTORY)) holds a token
    /// that has not expired: more distinct tokens within a token lifetime than it holds, a
    /// flood of valid tokens.
    pub token_history_full: u64,
    /// Connection requests and responses denied because every slot is taken. These are
    /// answered, with a denial packet.
    pub server_full: u64,
    /// Connection requests with a valid token for which the server had no free encryption
    /// mapping (1024, each held 5 seconds by a request from a new address).
    pub encryption_mappings_full: u64,
    /// Connection responses whose challenge token did not decrypt: forged, or a challenge of
    /// an earlier run of this server.
    pub challenge_not_decrypted: u64,
    /// Connection responses from the address of a client that is connected already: almost
    /// always that client's own last responses, sent before it heard it was in. Harmless.
    pub late_responses: u64,
    /// Connection responses put off because the server's queue of unread events was full
    /// (the client is admitted once events are read and it sends its response again).
    pub events_unread: u64,
    /// Packets from a connected or handshaking address that the server cannot read: too
    /// short, a type a server never receives, bad sequence bytes.
    pub malformed_packets: u64,
    /// Packets other than connection requests from an address with no connection or
    /// handshake on this server: internet noise, or a client the server already timed out or
    /// disconnected, still sending.
    pub packets_without_key: u64,
    /// Packets that failed to decrypt with the keys of their sender's address: forged or
    /// corrupted.
    pub packets_not_decrypted: u64,
}

impl IgnoredRequests {
    /// The sum of every count (saturating).
    pub fn total(&self) -> u64 {
        [
            self.request_wrong_length,
            self.wrong_version,
            self.wrong_protocol_id,
            self.token_expired,
            self.token_not_decrypted,
            self.token_unreadable,
            self.server_address_not_in_token,
            self.address_already_connected,
            self.client_id_already_connected,
            self.token_before_start,
            self.token_lifetime_too_long,
            self.token_already_used,
            self.token_in_use_elsewhere,
            self.token_history_full,
            self.server_full,
            self.encryption_mappings_full,
            self.challenge_not_decrypted,
            self.late_responses,
            self.events_unread,
            self.malformed_packets,
            self.packets_without_key,
            self.packets_not_decrypted,
        ]
        .iter()
        .fold(0u64, |sum, count| sum.saturating_add(*count))
    }

    pub(crate) fn from_raw(counts: &raw::netcode_sys_ignored_requests) -> IgnoredRequests {
        IgnoredRequests {
            request_wrong_length: counts.request_wrong_length,
            wrong_version: counts.wrong_version,
            wrong_protocol_id: counts.wrong_protocol_id,
            token_expired: counts.token_expired,
            token_not_decrypted: counts.token_not_decrypted,
            token_unreadable: counts.token_unreadable,
            server_address_not_in_token: counts.server_address_not_in_token,
            address_already_connected: counts.address_already_connected,
            client_id_already_connected: counts.client_id_already_connected,
            token_before_start: counts.token_before_start,
            token_lifetime_too_long: counts.token_lifetime_too_long,
            token_already_used: counts.token_already_used,
            token_in_use_elsewhere: counts.token_in_use_elsewhere,
            token_history_full: counts.token_history_full,
            server_full: counts.server_full,
            encryption_mappings_full: counts.encryption_mappings_full,
            challenge_not_decrypted: counts.challenge_not_decrypted,
            late_responses: counts.late_responses,
            events_unread: counts.events_unread,
            malformed_packets: counts.malformed_packets,
            packets_without_key: counts.packets_without_key,
            packets_not_decrypted: counts.packets_not_decrypted,
        }
    }
}

/// Each reason's bit (the C's `NETCODE_SYS_IGNORED_*`), the level it is logged at, and what
/// usually causes it and what to do. Warnings for what points at a misconfiguration, a broken
/// client or an attack; info for what every busy server sees.
const REASONS: [(i32, log::Level, &str); raw::NETCODE_SYS_IGNORED_REASONS as usize] = [
    (
        raw::NETCODE_SYS_IGNORED_REQUEST_WRONG_LENGTH,
        log::Level::Warn,
        "ignored a connection request of the wrong size (neither NETCODE 1.00's 1062 bytes nor \
         1.02's 1078): not a netcode.io client",
    ),
    (
        raw::NETCODE_SYS_IGNORED_WRONG_VERSION,
        log::Level::Warn,
        "ignored a connection request of another protocol version: the client speaks the other \
         netcode.io version (1.00 or 1.02) than this server; make the server's \
         ServerConfig::version and the backend's TokenSettings::version agree",
    ),
    (
        raw::NETCODE_SYS_IGNORED_WRONG_PROTOCOL_ID,
        log::Level::Warn,
        "ignored a connection request with a token for another protocol id: the backend that \
         makes tokens and this server disagree on protocol_id",
    ),
    (
        raw::NETCODE_SYS_IGNORED_TOKEN_EXPIRED,
        log::Level::Warn,
        "ignored a connection request with an expired token: tokens expire before players use \
         them, or the clocks of the backend and this server disagree (expiry is UNIX time)",
    ),
    (
        raw::NETCODE_SYS_IGNORED_TOKEN_NOT_DECRYPTED,
        log::Level::Warn,
        "ignored a connection request whose token did not decrypt: the backend makes tokens \
         with another private key than this server's (or the token was altered)",
    ),
    (
        raw::NETCODE_SYS_IGNORED_TOKEN_UNREADABLE,
        log::Level::Warn,
        "ignored a connection request whose token decrypted but did not parse: the token \
         generator, which has this server's key, writes broken tokens",
    ),
    (
        raw::NETCODE_SYS_IGNORED_SERVER_ADDRESS_NOT_IN_TOKEN,
        log::Level::Warn,
        "ignored a connection request whose token does not list this server's public address: \
         the backend lists another address or port for this server than its public_address",
    ),
    (
        raw::NETCODE_SYS_IGNORED_ADDRESS_ALREADY_CONNECTED,
        log::Level::Warn,
        "ignored a connection request from the address of a connected client: usually a client \
         that restarted on the same address and port; it gets in once its old connection times \
         out (5 s)",
    ),
    (
        raw::NETCODE_SYS_IGNORED_CLIENT_ID_ALREADY_CONNECTED,
        log::Level::Warn,
        "ignored a connection for a client id that is connected from another address: the \
         backend gave one client id to two players, or a player reconnected from a new address \
         before its old connection timed out (5 s)",
    ),
    (
        raw::NETCODE_SYS_IGNORED_TOKEN_BEFORE_START,
        log::Level::Warn,
        "ignored a connection request with a token that expires before this server's start plus \
         max_token_lifetime, so it may have been used before the start: tokens shorter-lived \
         than the maximum are refused that long after a start, or the backend's clock is behind \
         this server's",
    ),
    (
        raw::NETCODE_SYS_IGNORED_TOKEN_LIFETIME_TOO_LONG,
        log::Level::Warn,
        "ignored a connection request with a token that expires later than now plus \
         max_token_lifetime: the backend makes longer-lived tokens than this server allows, or \
         its clock is ahead of this server's",
    ),
    (
        raw::NETCODE_SYS_IGNORED_TOKEN_ALREADY_USED,
        log::Level::Warn,
        "ignored a connection with a token that already opened a session here: a token reused \
         or replayed; clients need a fresh token for every connect",
    ),
    (
        raw::NETCODE_SYS_IGNORED_TOKEN_IN_USE_ELSEWHERE,
        log::Level::Warn,
        "ignored a connection request with a token whose handshake another address started: a \
         captured request replayed, or a client that moved mid-handshake",
    ),
    (
        raw::NETCODE_SYS_IGNORED_TOKEN_HISTORY_FULL,
        log::Level::Warn,
        "ignored a connection request with a new token: every entry of the token history holds \
         a token that has not expired (more distinct tokens within a token lifetime than it \
         holds, or a flood of valid tokens; issue fewer or shorter-lived tokens)",
    ),
    (
        raw::NETCODE_SYS_IGNORED_SERVER_FULL,
        log::Level::Warn,
        "denied a connection: every slot is taken (max_clients); add slots or servers, or list \
         more servers in the tokens",
    ),
    (
        raw::NETCODE_SYS_IGNORED_ENCRYPTION_MAPPINGS_FULL,
        log::Level::Warn,
        "ignored a connection request: all 1024 encryption mappings are taken by connect \
         attempts of the last 5 s, more than the server can hold; a flood of valid tokens looks \
         like this (limit the tokens the backend issues)",
    ),
    (
        raw::NETCODE_SYS_IGNORED_CHALLENGE_NOT_DECRYPTED,
        log::Level::Warn,
        "ignored a connection response whose challenge token did not decrypt: forged, or an \
         answer to an earlier run of this server",
    ),
    (
        raw::NETCODE_SYS_IGNORED_LATE_RESPONSES,
        log::Level::Info,
        "ignored a connection response from a client that is already connected: its last \
         responses crossed the server's welcome (harmless)",
    ),
    (
        raw::NETCODE_SYS_IGNORED_EVENTS_UNREAD,
        log::Level::Warn,
        "put off a connection: the queue of unread events is full; read the server's events \
         after every update",
    ),
    (
        raw::NETCODE_SYS_IGNORED_MALFORMED_PACKETS,
        log::Level::Info,
        "ignored a packet it cannot read from a connected or connecting address (too short, a \
         type a server never receives, bad sequence bytes)",
    ),
    (
        raw::NETCODE_SYS_IGNORED_PACKETS_WITHOUT_KEY,
        log::Level::Info,
        "ignored a packet from an address with no connection or handshake here: internet \
         noise, or a client this server already timed out or disconnected, still sending",
    ),
    (
        raw::NETCODE_SYS_IGNORED_PACKETS_NOT_DECRYPTED,
        log::Level::Info,
        "ignored a packet that failed to decrypt with its sender's keys: forged or corrupted",
    ),
];

/// Logs, under the target `netcode`, one line for each reason in `reasons` (bits
/// `1 << NETCODE_SYS_IGNORED_*`, each given once in a server's life by the C). Called after
/// the C's update has returned. A logger's panic is contained (and its payload leaked rather
/// than dropped, since dropping it could panic again).
#[cold]
pub(crate) fn log_reasons(reasons: u32, server: SocketAddr) {
    for (bit, level, message) in REASONS {
        if reasons & (1u32 << bit) == 0 {
            continue;
        }
        let logged = catch_unwind(AssertUnwindSafe(|| {
            log::log!(target: "netcode", level, "server {server} {message} (logged once; see NetcodeServer::ignored_requests)");
        }));
        if let Err(payload) = logged {
            std::mem::forget(payload);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_has_one_line_in_field_order() {
        for (position, (bit, _, message)) in REASONS.iter().enumerate() {
            assert_eq!(*bit as usize, position, "{message}");
        }
        assert_eq!(
            std::mem::size_of::<raw::netcode_sys_ignored_requests>(),
            REASONS.len() * 8
        );
    }

    #[test]
    fn total_saturates() {
        let counts = IgnoredRequests {
            wrong_version: u64::MAX,
            token_expired: 2,
            ..IgnoredRequests::default()
        };
        assert_eq!(counts.total(), u64::MAX);
        let counts = IgnoredRequests {
            wrong_version: 3,
            packets_not_decrypted: 4,
            ..IgnoredRequests::default()
        };
        assert_eq!(counts.total(), 7);
    }
}
