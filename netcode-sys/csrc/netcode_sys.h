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

/* Disconnects every client and frees the slots; netcode_server_start starts it again. */
void netcode_server_stop( struct netcode_server_t * server );

/* Frees the slot of the client in `client_index`, sending it the disconnect packets or not. */
void netcode_server_disconnect_client_internal( struct netcode_server_t * server, int client_index, int send_disconnect_packets );

/* The slot of the connected client with this id, or -1. */
int netcode_server_find_client_index_by_id( struct netcode_server_t * server, uint64_t client_id );

/* The sequence number of the client's next packet (netcode.h declares a
   netcode_client_next_packet_sequence that netcode.c never defines; this is the real one). */
uint64_t netcode_client_next_send_packet_sequence( struct netcode_client_t * client );

/* The reference's own test suite: only in builds with the `reference-tests` feature. */
void netcode_test();

/* ---- 2. Our own additions ----------------------------------------------------------------- */

#define NETCODE_SYS_ADDRESS_NONE 0
#define NETCODE_SYS_ADDRESS_IPV4 1
#define NETCODE_SYS_ADDRESS_IPV6 2

#define NETCODE_SYS_USER_DATA_BYTES 256
#define NETCODE_SYS_CONNECT_TOKEN_PRIVATE_BYTES 1024

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
};

/* A connect token, as the client reads it (the version info is implied). */
struct netcode_sys_connect_token
{
    uint64_t protocol_id;
    uint64_t create_timestamp;
    uint64_t expire_timestamp;
    uint64_t sequence;
    uint8_t private_data[NETCODE_SYS_CONNECT_TOKEN_PRIVATE_BYTES];
    int num_server_addresses;
    struct netcode_sys_address server_addresses[NETCODE_MAX_SERVERS_PER_CONNECT];
    uint8_t client_to_server_key[NETCODE_KEY_BYTES];
    uint8_t server_to_client_key[NETCODE_KEY_BYTES];
    int timeout_seconds;
};

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
#define NETCODE_SYS_MAX_PACKET_BYTES 1220

struct netcode_sys_packet
{
    int type;
    /* request */
    uint64_t connect_token_expire_timestamp;
    uint64_t connect_token_sequence;
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

/* The largest payload a packet with this sequence number can carry: 1200 while the sequence
   fits in 3 bytes, then one byte less for each further sequence byte (a packet is at most
   NETCODE_SYS_MAX_PACKET_BYTES: prefix, 1 to 8 sequence bytes, payload, 16-byte MAC). Larger
   payloads would overflow netcode.c's packet buffer. */
int netcode_sys_max_payload_bytes( uint64_t sequence );

/* The sequence number the next payload to the client in `client_index` will carry (the server
   sends a keep-alive before it while the client has not confirmed its connection), or 0. */
uint64_t netcode_sys_server_next_payload_sequence( struct netcode_server_t * server, int client_index );

/* netcode_server_send_packet and netcode_client_send_packet, checked: they send only to a
   connected client (or, for a client, while connected) a payload of 1 to
   netcode_sys_max_payload_bytes bytes for the packet's sequence number. Return
   NETCODE_SYS_SENT, NETCODE_SYS_NOT_CONNECTED, or the room left (0 to 1200) when the payload is
   too long or empty, in which case nothing is sent. */
#define NETCODE_SYS_SENT -1
#define NETCODE_SYS_NOT_CONNECTED -2
int netcode_sys_server_send( struct netcode_server_t * server, int client_index, const uint8_t * payload, int payload_bytes );
int netcode_sys_client_send( struct netcode_client_t * client, const uint8_t * payload, int payload_bytes );

/* For tests: sets the sequence number of the client's next packet, or of the server's next
   packet to the client in `client_index` (to reach long-running connections quickly). */
void netcode_sys_client_set_sequence( struct netcode_client_t * client, uint64_t sequence );
void netcode_sys_server_set_client_sequence( struct netcode_server_t * server, int client_index, uint64_t sequence );

/* Writes `packet` as netcode_write_packet does (encrypted with `key` and sequence number
   `sequence`, except a request) into `buffer` (NETCODE_SYS_MAX_PACKET_BYTES). Returns its length,
   or 0 for an invalid type or a payload size beyond netcode_sys_max_payload_bytes( sequence ). */
int netcode_sys_write_packet( const struct netcode_sys_packet * packet, uint64_t sequence, const uint8_t * key, uint64_t protocol_id, uint8_t * buffer );

/* Writes and encrypts a challenge token (client id and user data) with `key` and `sequence`
   into `buffer` (NETCODE_SYS_CHALLENGE_TOKEN_BYTES), as a server does. Returns 1, or 0. */
int netcode_sys_write_challenge_token( uint64_t client_id, const uint8_t * user_data, uint64_t sequence, const uint8_t * key, uint8_t * buffer );

void netcode_sys_layout_packet( size_t * size, size_t * align );

/* Log lines: netcode.c prints with vprintf (and a few plain printf calls). Once a callback is
   set, every such line goes to it instead of stdout, without its trailing newline, with the
   level netcode.c gave it (NETCODE_LOG_LEVEL_*; plain printf calls count as errors). Lines are
   still filtered by netcode_log_level first. NULL restores stdout. */
typedef void ( * netcode_sys_log_callback_t )( int level, const char * line );

void netcode_sys_set_log_callback( netcode_sys_log_callback_t callback );

/* While a callback is set, lines above this level (NETCODE_LOG_LEVEL_*) are dropped before they
   are formatted. Unlike netcode_log_level, which writes a plain int that every thread reads,
   this may be called from any thread at any time. */
void netcode_sys_set_log_threshold( int level );

/* netcode_server_create over a real socket, but bind port 0 is allowed: the system picks a
   port (see netcode_sys_server_port), and a public address with port 0 gets that port too.
   Returns NULL if an address does not parse or the socket cannot be bound. */
struct netcode_server_t * netcode_sys_server_create( const char * bind_address, const char * public_address, uint64_t protocol_id, const uint8_t * private_key, double time );

/* The port the server's socket is bound to (the public address's port over the simulator). */
uint16_t netcode_sys_server_port( struct netcode_server_t * server );

/* The number of client slots, 0 while the server is not running. */
int netcode_sys_server_max_clients( struct netcode_server_t * server );

/* The address of the client in `client_index`: 1, or 0 if that slot holds no client. */
int netcode_sys_server_client_address( struct netcode_server_t * server, int client_index, struct netcode_sys_address * address );

/* When the server last sent a packet to the client in `client_index` (server time), or -1.0 if
   that slot holds no client. A change across netcode_server_update means a keep-alive. */
double netcode_sys_server_client_last_send_time( struct netcode_server_t * server, int client_index );

/* Copies the key the client in `client_index` encrypts its packets with (its connect token's
   client-to-server key) into `key` (NETCODE_KEY_BYTES): 1, or 0 if that slot holds no client. */
int netcode_sys_server_client_key( struct netcode_server_t * server, int client_index, uint8_t * key );

/* How many connection denied packets the server has sent since it started ("server full"):
   its global packet sequence counts challenges and denials, its challenge sequence challenges. */
uint64_t netcode_sys_server_denied_count( struct netcode_server_t * server );

/* When the client last sent a packet (client time). */
double netcode_sys_client_last_send_time( struct netcode_client_t * client );

/* Restarts the clocks of a connect that has just begun (netcode_client_connect stamps it with
   the time of the client's last update): as if netcode_client_connect had been called at
   `time`. Does nothing unless the client is sending connection requests. */
void netcode_sys_client_start_connect_at( struct netcode_client_t * client, double time );

/* The port the client's socket is bound to (its own address's port over the simulator). */
uint16_t netcode_sys_client_port( struct netcode_client_t * client );

/* Sets the simulator's conditions: latency and jitter in milliseconds, loss and duplicates in
   percent. */
void netcode_sys_network_simulator_configure( struct netcode_network_simulator_t * network_simulator, float latency_milliseconds, float jitter_milliseconds, float packet_loss_percent, float duplicate_packet_percent );

/* Sends `packet_bytes` bytes through the simulator as if `from` had sent them to `to` (a raw
   datagram: no encryption). Returns 0 if an address does not parse or the size is not
   1..=1220. */
int netcode_sys_network_simulator_send( struct netcode_network_simulator_t * network_simulator, const char * from, const char * to, const uint8_t * packet_data, int packet_bytes );

/* Writes `private_part` and encrypts it with `private_key` into token->private_data, bound to
   token->protocol_id, token->expire_timestamp and token->sequence (set those first).
   Returns 0 if private_part has no, or more than NETCODE_MAX_SERVERS_PER_CONNECT, addresses or
   an address of no type. */
int netcode_sys_encrypt_connect_token_private( const struct netcode_sys_connect_token_private * private_part, const uint8_t * private_key, struct netcode_sys_connect_token * token );

/* Decrypts token->private_data with `private_key`: 1, or 0 if it fails to decrypt (wrong key,
   protocol id, expiry or sequence) or to read. */
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

#endif /* #ifndef NETCODE_SYS_H */
