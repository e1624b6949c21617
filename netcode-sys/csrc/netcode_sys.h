/*
    netcode-sys: what the safe crate needs beyond netcode.h.

    Two kinds of declarations:
    1. functions that the pinned netcode.c defines (non-static, so linkable) but netcode.h does
       not declare: the network simulator and the constructors that take it;
    2. our own functions (prefix netcode_sys_), defined in netcode_sys.c, which is compiled in
       the same translation unit as netcode.c and so can use the structs defined only there.

    This header is the input of bindgen (with netcode.h), and netcode_sys.c includes it, so the
    compiler checks every declaration here against netcode.c's definitions.
*/

#ifndef NETCODE_SYS_H
#define NETCODE_SYS_H

#include <stddef.h>
#include <stdint.h>
#include <netcode.h>

/* ---- 1. Internals of netcode.c ---------------------------------------------------------- */

/* The reference's network simulator: latency, jitter, loss and duplicates, no sockets. */
struct netcode_network_simulator_t;

struct netcode_network_simulator_t * netcode_network_simulator_create();

void netcode_network_simulator_destroy( struct netcode_network_simulator_t * network_simulator );

/* Delivers the packets due at `time`; call once per tick, before the clients and servers. */
void netcode_network_simulator_update( struct netcode_network_simulator_t * network_simulator, double time );

/* Drops every packet in flight. */
void netcode_network_simulator_discard_packets( struct netcode_network_simulator_t * network_simulator );

/* netcode_client_create, over the simulator when `network_simulator` is not NULL (the address
   then needs a port). */
struct netcode_client_t * netcode_client_create_internal( char * address, double time, struct netcode_network_simulator_t * network_simulator );

/* netcode_server_create, over the simulator when `network_simulator` is not NULL. */
struct netcode_server_t * netcode_server_create_internal( char * bind_address, char * public_address, uint64_t protocol_id, uint8_t * private_key, double time, struct netcode_network_simulator_t * network_simulator );

/* The reference's own test suite: only in builds with the `reference-tests` feature. */
void netcode_test();

/* ---- 2. Our own additions ----------------------------------------------------------------- */


#define NETCODE_SYS_ADDRESS_NONE 0
#define NETCODE_SYS_ADDRESS_IPV4 1
#define NETCODE_SYS_ADDRESS_IPV6 2

#define NETCODE_SYS_USER_DATA_BYTES 256
#define NETCODE_SYS_CONNECT_TOKEN_PRIVATE_BYTES 1024

/* The two wire formats (patch 0025): the pinned "NETCODE 1.00" and "NETCODE 1.02". */
#define NETCODE_SYS_WIRE_100 0
#define NETCODE_SYS_WIRE_102 1

/* A connect token's nonce: 1.02 uses all 24 bytes; 1.00's 8-byte sequence is its first 8, in
   the little-endian order the token carries it, the rest zero. */
#define NETCODE_SYS_TOKEN_NONCE_BYTES 24

/* An address as netcode.c keeps it: IPv4 bytes in network order (a.b.c.d is ipv4[0..4]),
   IPv6 groups as host-order integers, port in host order. */
struct netcode_sys_address
{
    uint8_t type;
    uint8_t ipv4[4];
    uint16_t ipv6[8];
    uint16_t port;
};

/* The private part of a connect token, as the server decrypts it. */
struct netcode_sys_connect_token_private
{
    uint64_t client_id;
    int num_server_addresses;
    struct netcode_sys_address server_addresses[NETCODE_MAX_SERVERS_PER_CONNECT];
    uint8_t client_to_server_key[NETCODE_KEY_BYTES];
    uint8_t server_to_client_key[NETCODE_KEY_BYTES];
    uint8_t user_data[NETCODE_SYS_USER_DATA_BYTES];
    /* 1.02 only (1.00's private part has none): the timeout, in seconds; negative: none. */
    int timeout_seconds;
};

/* A connect token, as the client reads it. */
struct netcode_sys_connect_token
{
    /* NETCODE_SYS_WIRE_100 or NETCODE_SYS_WIRE_102: the version info it carries. */
    int wire;
    uint64_t protocol_id;
    uint64_t create_timestamp;
    uint64_t expire_timestamp;
    uint8_t nonce[NETCODE_SYS_TOKEN_NONCE_BYTES];
    uint8_t private_data[NETCODE_SYS_CONNECT_TOKEN_PRIVATE_BYTES];
    int num_server_addresses;
    struct netcode_sys_address server_addresses[NETCODE_MAX_SERVERS_PER_CONNECT];
    uint8_t client_to_server_key[NETCODE_KEY_BYTES];
    uint8_t server_to_client_key[NETCODE_KEY_BYTES];
    int timeout_seconds;
};

/* ---- Events (patch 0008) ----------------------------------------------------------------
   netcode.c records what happens, where it happens, into a bounded queue in each server and
   client. Read them with *_peek_event (a view into the queue, valid until the next call on the
   handle) and *_pop_event, in order. */

#define NETCODE_SYS_SERVER_EVENT_CONNECTED 1
#define NETCODE_SYS_SERVER_EVENT_DISCONNECTED 2
#define NETCODE_SYS_SERVER_EVENT_KEEP_ALIVE_SENT 3
#define NETCODE_SYS_SERVER_EVENT_DENIED 4

#define NETCODE_SYS_CLIENT_EVENT_STATE_CHANGED 1
#define NETCODE_SYS_CLIENT_EVENT_KEEP_ALIVE_SENT 2

/* Why a connection ended. */
#define NETCODE_SYS_DISCONNECT_NONE 0
/* This side's application asked (netcode_server_disconnect_client, netcode_client_disconnect,
   or a new netcode_client_connect). */
#define NETCODE_SYS_DISCONNECT_LOCAL 1
/* The other side sent its disconnect packets. */
#define NETCODE_SYS_DISCONNECT_PACKET 2
/* Nothing arrived from the other side for the timeout. */
#define NETCODE_SYS_DISCONNECT_TIMED_OUT 3

/* Room for a connect and a disconnect of every slot, and some keep-alive and denial events. */
#define NETCODE_SYS_SERVER_EVENTS ( 2 * NETCODE_MAX_CLIENTS + 64 )
#define NETCODE_SYS_CLIENT_EVENTS 16
/* The entries of a server's token history (patch 0023): one for every connect token presented
   to it that has not expired yet. */
#define NETCODE_SYS_TOKEN_HISTORY 4096

/* A server event. CONNECTED: the slot, the client's id, its session, address and user data.
   DISCONNECTED: the same (user data left as it was) and the reason. KEEP_ALIVE_SENT: the slot,
   id, session, address. DENIED (server full): client_index -1, the id from the token and the
   address of the request. */
struct netcode_sys_server_event
{
    int type;
    int client_index;
    uint64_t client_id;
    uint64_t session;
    int reason;
    struct netcode_sys_address address;
    uint8_t user_data[NETCODE_SYS_USER_DATA_BYTES];
};

/* A client event: a state change (NETCODE_CLIENT_STATE_*), with a reason for changes to
   DISCONNECTED and CONNECTION_TIMED_OUT, or a keep-alive sent (from == to == the state). */
struct netcode_sys_client_event
{
    int type;
    int from;
    int to;
    int reason;
};

/* The oldest unread event, or NULL. */
const struct netcode_sys_server_event * netcode_sys_server_peek_event( struct netcode_server_t * server );
const struct netcode_sys_client_event * netcode_sys_client_peek_event( struct netcode_client_t * client );

/* Removes the oldest unread event (nothing if there is none). */
void netcode_sys_server_pop_event( struct netcode_server_t * server );
void netcode_sys_client_pop_event( struct netcode_client_t * client );

/* Moves the oldest unread event behind the newest. */
void netcode_sys_server_requeue_event( struct netcode_server_t * server );
void netcode_sys_client_requeue_event( struct netcode_client_t * client );

/* How many events are unread. */
int netcode_sys_server_num_events( struct netcode_server_t * server );
int netcode_sys_client_num_events( struct netcode_client_t * client );

/* Keep-alive and denial events (and keep-alive events of a client) that found no room: the
   queue keeps room for one disconnect of every connected client, and a connection response is
   ignored until there is room for its connect too. */
uint64_t netcode_sys_server_events_dropped( struct netcode_server_t * server );

/* A client's events that found no room (NETCODE_SYS_CLIENT_EVENTS): keep-alive events first;
   a state change only once the queue holds nothing but unread state changes. */
uint64_t netcode_sys_client_events_dropped( struct netcode_client_t * client );

/* Whether events are recorded at all (default: no, so that a program that never reads them
   behaves as the reference does). While they are, a connection response is acted on only when
   the queue has room for its connect and a later disconnect of every connected client. */
void netcode_sys_server_record_events( struct netcode_server_t * server, int record );
void netcode_sys_client_record_events( struct netcode_client_t * client, int record );

/* Whether keep-alive and denial events are recorded too, while events are (default: no). */
void netcode_sys_server_record_info_events( struct netcode_server_t * server, int record );
void netcode_sys_client_record_info_events( struct netcode_client_t * client, int record );

/* ---- The token history (patch 0023) -------------------------------------------------------
   A server remembers every connect token presented to it until the token expires, in
   NETCODE_SYS_TOKEN_HISTORY entries: the token's MAC, the address that presented it first,
   its expire timestamp, its client-to-server key, and whether it is pending (its handshake
   has started) or consumed (it got a client a slot). A pending token is answered again only
   from its first address. An entry is free only once its token has expired: while every entry
   holds an unexpired token, a request with a new token is ignored (token_history_full). The
   history lives as long as the server object (a stop and start keep it). */

/* Whether a consumed token admits nothing more, from any address, whether or not its client
   is still connected (default: no, the pinned C's rule: a token is answered again from the
   address that used it first, and a second session reuses the first one's keys and nonces). */
void netcode_sys_server_refuse_token_reuse( struct netcode_server_t * server, int refuse );

/* The restart rule (default: off). With `limit`, a connection request is ignored when its
   token expires before the server's creation (wall clock, seconds) plus `max_seconds`: such a
   token could have been used before this server existed, beyond its history
   (token_before_start); or after now plus `max_seconds`: it lives longer than the maximum
   (token_lifetime_too_long). */
void netcode_sys_server_limit_token_lifetime( struct netcode_server_t * server, int limit, uint32_t max_seconds );

/* ---- Ignored requests (patch 0022) ---------------------------------------------------------
   What a server dropped instead of acting on it, counted by reason since it was created, at
   the line of netcode.c (or, for two reasons, of this shim) that drops it. netcode.c logs
   these only at debug level, one line a packet; a server in production shows nothing, and to
   a player a wrong key, a wrong protocol id and a server that is not running all look alike
   (the connection request times out). */
struct netcode_sys_ignored_requests
{
    /* Connection requests, in the order the server checks them. */
    uint64_t request_wrong_length;          /* not 1062 bytes (NETCODE 1.02's are 1078) */
    uint64_t wrong_version;                 /* version info other than "NETCODE 1.00" */
    uint64_t wrong_protocol_id;             /* not this server's protocol id */
    uint64_t token_expired;                 /* expire timestamp at or before the server's clock;
                                               also responses whose token expired during the
                                               handshake (0023) */
    uint64_t token_not_decrypted;           /* private part fails its MAC: another key, altered */
    uint64_t token_unreadable;              /* decrypted, but its server list does not parse */
    uint64_t server_address_not_in_token;   /* the token does not list the public address */
    uint64_t address_already_connected;     /* a client at the request's address is connected */
    uint64_t client_id_already_connected;   /* requests and responses for a connected id */
    uint64_t token_before_start;            /* could have been used before the server started:
                                               it expires before start + max (0023) */
    uint64_t token_lifetime_too_long;       /* expires after now + max (0023) */
    uint64_t token_already_used;            /* requests with a consumed token, from any address,
                                               and responses whose keys a consumed token
                                               carried (0023) */
    uint64_t token_in_use_elsewhere;        /* a pending token, from another address than the
                                               one that presented it first (0023) */
    uint64_t token_history_full;            /* a new token while every history entry holds an
                                               unexpired one (0023) */
    uint64_t server_full;                   /* requests and responses denied: every slot taken
                                               (these are answered, with a denial packet) */
    uint64_t encryption_mappings_full;      /* no room for the request's encryption mapping */
    /* Connection responses. */
    uint64_t challenge_not_decrypted;       /* the challenge token fails its MAC */
    uint64_t late_responses;                /* from the address of a client already connected */
    uint64_t events_unread;                 /* deferred: no room in the event queue (0008) */
    /* Other packets. */
    uint64_t malformed_packets;             /* from a known address: too short, a type a server
                                               never receives, bad sequence bytes */
    uint64_t packets_without_key;           /* not a request, from an address with no
                                               connection or pending handshake */
    uint64_t packets_not_decrypted;         /* fail their MAC under the sender's keys */
};

/* Each reason's bit in netcode_sys_server_take_new_ignored_reasons: its field's position. */
#define NETCODE_SYS_IGNORED_REQUEST_WRONG_LENGTH 0
#define NETCODE_SYS_IGNORED_WRONG_VERSION 1
#define NETCODE_SYS_IGNORED_WRONG_PROTOCOL_ID 2
#define NETCODE_SYS_IGNORED_TOKEN_EXPIRED 3
#define NETCODE_SYS_IGNORED_TOKEN_NOT_DECRYPTED 4
#define NETCODE_SYS_IGNORED_TOKEN_UNREADABLE 5
#define NETCODE_SYS_IGNORED_SERVER_ADDRESS_NOT_IN_TOKEN 6
#define NETCODE_SYS_IGNORED_ADDRESS_ALREADY_CONNECTED 7
#define NETCODE_SYS_IGNORED_CLIENT_ID_ALREADY_CONNECTED 8
#define NETCODE_SYS_IGNORED_TOKEN_BEFORE_START 9
#define NETCODE_SYS_IGNORED_TOKEN_LIFETIME_TOO_LONG 10
#define NETCODE_SYS_IGNORED_TOKEN_ALREADY_USED 11
#define NETCODE_SYS_IGNORED_TOKEN_IN_USE_ELSEWHERE 12
#define NETCODE_SYS_IGNORED_TOKEN_HISTORY_FULL 13
#define NETCODE_SYS_IGNORED_SERVER_FULL 14
#define NETCODE_SYS_IGNORED_ENCRYPTION_MAPPINGS_FULL 15
#define NETCODE_SYS_IGNORED_CHALLENGE_NOT_DECRYPTED 16
#define NETCODE_SYS_IGNORED_LATE_RESPONSES 17
#define NETCODE_SYS_IGNORED_EVENTS_UNREAD 18
#define NETCODE_SYS_IGNORED_MALFORMED_PACKETS 19
#define NETCODE_SYS_IGNORED_PACKETS_WITHOUT_KEY 20
#define NETCODE_SYS_IGNORED_PACKETS_NOT_DECRYPTED 21
#define NETCODE_SYS_IGNORED_REASONS 22

/* Copies the server's counters into `ignored` (every field written). */
void netcode_sys_server_ignored_requests( struct netcode_server_t * server, struct netcode_sys_ignored_requests * ignored );

/* The reasons (1 << NETCODE_SYS_IGNORED_*) counted at least once that no earlier call
   returned: each reason is returned once in a server's life. A few comparisons, for every
   update. */
uint32_t netcode_sys_server_take_new_ignored_reasons( struct netcode_server_t * server );

/* ---- Sessions (patch 0008) -----------------------------------------------------------------
   Every connection a server accepts gets a session number, 1, 2, 3, ... never reused by that
   server; the calls below act only if the slot still holds that session. */

struct netcode_sys_client_info
{
    uint64_t client_id;
    uint64_t session;
    struct netcode_sys_address address;
};

/* The session of the client in `client_index`, or 0 if the slot is empty or out of range. */
uint64_t netcode_sys_server_client_session( struct netcode_server_t * server, int client_index );

/* Fills `info` for the client in `client_index`: 1, or 0 if there is none. */
int netcode_sys_server_client_info( struct netcode_server_t * server, int client_index, struct netcode_sys_client_info * info );

/* The slot of the connected client with this id (and its `info`), or -1. */
int netcode_sys_server_find_client( struct netcode_server_t * server, uint64_t client_id, struct netcode_sys_client_info * info );

/* netcode_server_receive_packet for the client of `session`: NULL if it is not connected. */
void * netcode_sys_server_receive( struct netcode_server_t * server, int client_index, uint64_t session, int * packet_bytes, uint64_t * packet_sequence );

/* netcode_server_disconnect_client for the client of `session`: 1, or 0 if it is not
   connected. */
int netcode_sys_server_disconnect( struct netcode_server_t * server, int client_index, uint64_t session );

/* The user data (NETCODE_SYS_USER_DATA_BYTES) of the client of `session`, or NULL. */
const uint8_t * netcode_sys_server_client_user_data( struct netcode_server_t * server, int client_index, uint64_t session );

/* ---- Log lines (patch 0009) ----------------------------------------------------------------
   netcode.c prints with vprintf (and a few plain printf calls, which count as errors). By
   default they go to stdout. Once capture is on, each line (without its newline, cut at
   NETCODE_SYS_LOG_LINE_BYTES - 1 bytes) waits in a buffer of the thread that made it, with its
   level (NETCODE_LOG_LEVEL_*), until netcode_sys_log_next takes it: after the C call returns,
   so that no foreign code runs inside netcode.c. Lines above the level
   (netcode_sys_set_log_level, which netcode_log_level also sets) are never formatted. */

#define NETCODE_SYS_LOG_BUFFER_BYTES 16384
#define NETCODE_SYS_LOG_LINE_BYTES 512

void netcode_sys_log_capture( int capture );

/* The log level, from any thread at any time (netcode_log_level writes the same value). */
void netcode_sys_set_log_level( int level );

/* The calling thread's oldest captured line and its level, or NULL. The line stays valid until
   the next C call on this thread. */
const char * netcode_sys_log_next( int * level );

/* How many captured lines of the calling thread wait. */
int netcode_sys_log_lines( void );

/* How many of the calling thread's lines were dropped, since the last call, because its buffer
   was full. */
uint64_t netcode_sys_log_take_dropped( void );

/* Any packet, by its fields: what netcode_sys_write_packet writes. Only the fields of `type`
   (NETCODE_SYS_*_PACKET) are read. */
#define NETCODE_SYS_CONNECTION_REQUEST_PACKET 0
#define NETCODE_SYS_CONNECTION_DENIED_PACKET 1
#define NETCODE_SYS_CONNECTION_CHALLENGE_PACKET 2
#define NETCODE_SYS_CONNECTION_RESPONSE_PACKET 3
#define NETCODE_SYS_CONNECTION_KEEP_ALIVE_PACKET 4
#define NETCODE_SYS_CONNECTION_PAYLOAD_PACKET 5
#define NETCODE_SYS_CONNECTION_DISCONNECT_PACKET 6
#define NETCODE_SYS_CHALLENGE_TOKEN_BYTES 300
/* The longest datagram netcode.c reads (patch 0025: the current reference's 1300; the pinned
   C read 1220), and the longest a 1.00 packet may be (a pinned peer reads no more). */
#define NETCODE_SYS_MAX_PACKET_BYTES 1300
#define NETCODE_SYS_MAX_PACKET_BYTES_100 1220

struct netcode_sys_packet
{
    int type;
    /* request */
    uint64_t connect_token_expire_timestamp;
    uint8_t connect_token_nonce[NETCODE_SYS_TOKEN_NONCE_BYTES];
    uint8_t connect_token_data[NETCODE_SYS_CONNECT_TOKEN_PRIVATE_BYTES];
    /* challenge, response */
    uint64_t challenge_token_sequence;
    uint8_t challenge_token_data[NETCODE_SYS_CHALLENGE_TOKEN_BYTES];
    /* keep-alive */
    int client_index;
    int max_clients;
    /* payload */
    int payload_bytes;
    uint8_t payload_data[NETCODE_MAX_PACKET_SIZE];
};

/* The largest payload a packet on `wire` with this sequence number can carry. On 1.02 always
   1200. On 1.00, 1200 while the sequence fits in 3 bytes, then one byte less for each further
   sequence byte (a 1.00 packet is at most NETCODE_SYS_MAX_PACKET_BYTES_100: prefix, 1 to 8
   sequence bytes, payload, 16-byte MAC, and a pinned peer reads no more). */
int netcode_sys_max_payload_bytes( int wire, uint64_t sequence );

/* The sequence number the next payload to the client in `client_index` will carry (the server
   sends a keep-alive before it while the client has not confirmed its connection), or 0. */
uint64_t netcode_sys_server_next_payload_sequence( struct netcode_server_t * server, int client_index );

/* netcode_server_send_packet and netcode_client_send_packet, checked: they send only to the
   connected client of `session` (or, for a client, while connected) a payload of 1 to
   netcode_sys_max_payload_bytes bytes for the packet's sequence number. Return
   NETCODE_SYS_SENT, NETCODE_SYS_NOT_CONNECTED, or the room left (0 to 1200) when the payload is
   too long or empty, in which case nothing is sent. */
#define NETCODE_SYS_SENT -1
#define NETCODE_SYS_NOT_CONNECTED -2
int netcode_sys_server_send( struct netcode_server_t * server, int client_index, uint64_t session, const uint8_t * payload, int payload_bytes );
int netcode_sys_client_send( struct netcode_client_t * client, const uint8_t * payload, int payload_bytes );

/* Test hooks: compiled only with the `test-hooks` feature (NETCODE_SYS_TEST_HOOKS), so that
   they are in no user's binary. */

/* For tests: sets the sequence number of the client's next packet, or of the server's next
   packet to the client in `client_index` (to reach long-running connections quickly). */
void netcode_sys_client_set_sequence( struct netcode_client_t * client, uint64_t sequence );
void netcode_sys_server_set_client_sequence( struct netcode_server_t * server, int client_index, uint64_t sequence );

/* For the fuzz rigs: a copy of a server's state (netcode_sys_server_save), put back into that
   server (netcode_sys_server_restore) to start each input from the same connected state. Save
   refuses (NULL) a server with payloads queued (the copy would share them). Restore frees the
   payloads queued since and copies back every field the server's slots, mappings, token
   history and events use; it refuses (0), and copies nothing, if the copy is not of this
   server as it runs now (another socket, slot count or start). The client's pair copies a
   client whole (its queued payloads freed likewise; another socket or address refused). Free a
   copy with netcode_sys_free_saved. */
void * netcode_sys_server_save( struct netcode_server_t * server );
int netcode_sys_server_restore( struct netcode_server_t * server, const void * saved );
void * netcode_sys_client_save( struct netcode_client_t * client );
int netcode_sys_client_restore( struct netcode_client_t * client, const void * saved );
void netcode_sys_free_saved( void * saved );
/* The simulator's likewise, for the simulator pair of the fuzz target api_calls: save refuses
   (NULL) a simulator with a packet in flight, and copies its settings and clock; restore frees
   every packet in flight since and puts them back (0 only for no copy). Freed with
   netcode_sys_free_saved too. */
void * netcode_sys_network_simulator_save( struct netcode_network_simulator_t * network_simulator );
int netcode_sys_network_simulator_restore( struct netcode_network_simulator_t * network_simulator, const void * saved );

/* Writes `packet` on `wire` as netcode_write_packet does (encrypted with `key` and sequence
   number `sequence`, except a request) into `buffer` (NETCODE_SYS_MAX_PACKET_BYTES). Returns its
   length, or 0 for an invalid type or wire, or a payload size beyond
   netcode_sys_max_payload_bytes( wire, sequence ). */
int netcode_sys_write_packet( int wire, const struct netcode_sys_packet * packet, uint64_t sequence, const uint8_t * key, uint64_t protocol_id, uint8_t * buffer );

/* Writes and encrypts a challenge token (client id and user data) on `wire` with `key` and
   `sequence` into `buffer` (NETCODE_SYS_CHALLENGE_TOKEN_BYTES), as a server does. Returns 1, or
   0. */
int netcode_sys_write_challenge_token( int wire, uint64_t client_id, const uint8_t * user_data, uint64_t sequence, const uint8_t * key, uint8_t * buffer );

/* Decrypts a challenge token in `buffer` (NETCODE_SYS_CHALLENGE_TOKEN_BYTES) on `wire` and
   reads it, as a server does: 1, or 0. */
int netcode_sys_read_challenge_token( int wire, const uint8_t * buffer, uint64_t sequence, const uint8_t * key, uint64_t * client_id, uint8_t * user_data );

/* Reads a packet of `buffer_length` bytes on `wire` as a client does (decrypted with `key`,
   bound to `protocol_id`; no replay protection) into `packet` and `sequence`: 1, or 0 if
   netcode_read_packet refuses it. With a `private_key`, as a server does: connection requests
   too (their private part decrypted, as of time 0). The buffer is not changed. */
int netcode_sys_read_packet( int wire, const uint8_t * buffer, int buffer_length, const uint8_t * key, uint64_t protocol_id, const uint8_t * private_key, struct netcode_sys_packet * packet, uint64_t * sequence );

/* Encrypts the first NETCODE_SYS_CONNECT_TOKEN_PRIVATE_BYTES - 16 bytes of `data` in place,
   whatever they hold, as a connect token's private part on `wire` (its MAC in the last 16
   bytes), bound to `protocol_id`, `expire_timestamp` and `nonce`. Returns 1, or 0. */
int netcode_sys_encrypt_connect_token_data( int wire, uint8_t * data, uint64_t protocol_id, uint64_t expire_timestamp, const uint8_t * nonce, const uint8_t * key );

/* Writes a private part (`private_part`, on `wire`) into `data`
   (NETCODE_SYS_CONNECT_TOKEN_PRIVATE_BYTES), unencrypted: 1, or 0 for a bad address count or
   type. */
int netcode_sys_write_connect_token_private( int wire, const struct netcode_sys_connect_token_private * private_part, uint8_t * data );

/* Watches the next free of `server`'s (or `client`'s) struct by netcode.c on this thread:
   netcode_sys_test_watched_free_nonzero_bytes then tells how many of its bytes were not zero
   when it was freed (key material left in freed memory), or -1 while it was not freed. */
void netcode_sys_test_watch_server_free( struct netcode_server_t * server );
void netcode_sys_test_watch_client_free( struct netcode_client_t * client );
long netcode_sys_test_watched_free_nonzero_bytes( void );

/* Whether `length` bytes equal to `bytes` occur anywhere in the server's struct (its token
   history, encryption mappings, keys): 1 or 0. */
int netcode_sys_test_server_holds_bytes( struct netcode_server_t * server, const uint8_t * bytes, size_t length );

void netcode_sys_layout_packet( size_t * size, size_t * align );

/* netcode_server_create with const strings. Bind port 0 lets the system pick a port (patch
   0020; see netcode_sys_server_port), and a public address with port 0 gets that port too.
   Returns NULL if an address does not parse or the socket cannot be bound. */
struct netcode_server_t * netcode_sys_server_create( const char * bind_address, const char * public_address, uint64_t protocol_id, const uint8_t * private_key, double time );

/* Sets the wire the server speaks (NETCODE_SYS_WIRE_100, the default, or NETCODE_SYS_WIRE_102):
   1, or 0 for an unknown wire or a server that is running. */
int netcode_sys_server_set_wire( struct netcode_server_t * server, int wire );

/* The port the server's socket is bound to (the public address's port over the simulator). */
uint16_t netcode_sys_server_port( struct netcode_server_t * server );

/* The number of client slots, 0 while the server is not running. */
int netcode_sys_server_max_clients( struct netcode_server_t * server );

/* The port the client's socket is bound to (its own address's port over the simulator). */
uint16_t netcode_sys_client_port( struct netcode_client_t * client );

/* Sets the simulator's conditions: latency and jitter in milliseconds, loss and duplicates in
   percent. */
void netcode_sys_network_simulator_configure( struct netcode_network_simulator_t * network_simulator, float latency_milliseconds, float jitter_milliseconds, float packet_loss_percent, float duplicate_packet_percent );

/* Sends `packet_bytes` bytes through the simulator as if `from` had sent them to `to` (a raw
   datagram: no encryption). Returns 0 if an address does not parse or the size is not
   1..=1220. */
int netcode_sys_network_simulator_send( struct netcode_network_simulator_t * network_simulator, const char * from, const char * to, const uint8_t * packet_data, int packet_bytes );

/* Writes `private_part` in the format of token->wire and encrypts it with `private_key` into
   token->private_data, bound to token->protocol_id, token->expire_timestamp and token->nonce
   (set those first).
   Returns 0 if private_part has no, or more than NETCODE_MAX_SERVERS_PER_CONNECT, addresses or
   an address of no type. */
int netcode_sys_encrypt_connect_token_private( const struct netcode_sys_connect_token_private * private_part, const uint8_t * private_key, struct netcode_sys_connect_token * token );

/* Decrypts token->private_data with `private_key`: 1, or 0 if it fails to decrypt (wrong key,
   protocol id, expiry or nonce) or to read. */
int netcode_sys_decrypt_connect_token_private( const struct netcode_sys_connect_token * token, const uint8_t * private_key, struct netcode_sys_connect_token_private * private_part );

/* Writes the NETCODE_CONNECT_TOKEN_BYTES bytes of a connect token into `buffer`.
   Returns 0 if the token's address count or an address type is invalid. */
int netcode_sys_write_connect_token( const struct netcode_sys_connect_token * token, uint8_t * buffer );

/* Reads a connect token of exactly NETCODE_CONNECT_TOKEN_BYTES bytes: 1, or 0 if it is not one
   (length, version info, timestamps, address count or types). */
int netcode_sys_read_connect_token( const uint8_t * buffer, int buffer_length, struct netcode_sys_connect_token * token );

/* Size and alignment of each struct above, as this C compiler lays it out (tests compare them
   with the Rust bindings). */
void netcode_sys_layout_address( size_t * size, size_t * align );
void netcode_sys_layout_connect_token_private( size_t * size, size_t * align );
void netcode_sys_layout_connect_token( size_t * size, size_t * align );
void netcode_sys_layout_server_event( size_t * size, size_t * align );
void netcode_sys_layout_client_event( size_t * size, size_t * align );
void netcode_sys_layout_client_info( size_t * size, size_t * align );
void netcode_sys_layout_ignored_requests( size_t * size, size_t * align );

#endif /* #ifndef NETCODE_SYS_H */
