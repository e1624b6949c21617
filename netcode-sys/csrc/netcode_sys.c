/*
    netcode-sys: the pinned netcode.c (patched, from OUT_DIR) and our additions, in one
    translation unit so that our functions can use the structs netcode.c defines.
*/

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "netcode_sys.h"

/* ---- Log routing --------------------------------------------------------------------------
   netcode_printf( level, ... ) filters by level and calls vprintf( format, args ); the few
   plain printf calls print unconditionally. Both are redirected here by the macros below, which
   are defined only around netcode.c. `level` is netcode_printf's parameter: vprintf is called
   nowhere else, and a use outside it would not compile. */

static void netcode_sys_log_vprintf( int level, const char * format, va_list args );
static void netcode_sys_log_printf( const char * format, ... );

#define vprintf( format, args ) netcode_sys_log_vprintf( level, format, args )
#define printf( ... ) netcode_sys_log_printf( __VA_ARGS__ )

#include <netcode.c>

#undef vprintf
#undef printf

static netcode_sys_log_callback_t netcode_sys_log_callback;
static int netcode_sys_log_threshold = NETCODE_LOG_LEVEL_DEBUG;

/* Set while netcode_sys_server_create reuses netcode_server_create_internal, whose
   "(network simulator)" line would be wrong there. */
static __thread int netcode_sys_log_suppressed;

void netcode_sys_set_log_callback( netcode_sys_log_callback_t callback )
{
    __atomic_store_n( &netcode_sys_log_callback, callback, __ATOMIC_RELEASE );
}

void netcode_sys_set_log_threshold( int level )
{
    __atomic_store_n( &netcode_sys_log_threshold, level, __ATOMIC_RELAXED );
}

static void netcode_sys_log_vprintf( int level, const char * format, va_list args )
{
    if ( netcode_sys_log_suppressed )
        return;

    netcode_sys_log_callback_t callback = __atomic_load_n( &netcode_sys_log_callback, __ATOMIC_ACQUIRE );
    if ( !callback )
    {
        vprintf( format, args );
        return;
    }

    if ( level > __atomic_load_n( &netcode_sys_log_threshold, __ATOMIC_RELAXED ) )
        return;

    char line[1024];
    int length = vsnprintf( line, sizeof( line ), format, args );
    if ( length < 0 )
        return;
    size_t end = strlen( line );
    while ( end > 0 && ( line[end - 1] == '\n' || line[end - 1] == '\r' ) )
        line[--end] = '\0';
    if ( end > 0 )
        callback( level, line );
}

static void netcode_sys_log_printf( const char * format, ... )
{
    va_list args;
    va_start( args, format );
    netcode_sys_log_vprintf( NETCODE_LOG_LEVEL_ERROR, format, args );
    va_end( args );
}

/* ---- Addresses ------------------------------------------------------------------------------ */

_Static_assert( NETCODE_SYS_ADDRESS_NONE == NETCODE_ADDRESS_NONE, "address type none" );
_Static_assert( NETCODE_SYS_ADDRESS_IPV4 == NETCODE_ADDRESS_IPV4, "address type ipv4" );
_Static_assert( NETCODE_SYS_ADDRESS_IPV6 == NETCODE_ADDRESS_IPV6, "address type ipv6" );
_Static_assert( NETCODE_SYS_USER_DATA_BYTES == NETCODE_USER_DATA_BYTES, "user data bytes" );
_Static_assert( NETCODE_SYS_CONNECT_TOKEN_PRIVATE_BYTES == NETCODE_CONNECT_TOKEN_PRIVATE_BYTES, "private token bytes" );

static void netcode_sys_address_export( const struct netcode_address_t * from, struct netcode_sys_address * to )
{
    memset( to, 0, sizeof( *to ) );
    to->type = from->type;
    to->port = from->port;
    if ( from->type == NETCODE_ADDRESS_IPV4 )
        memcpy( to->ipv4, from->data.ipv4, sizeof( to->ipv4 ) );
    else if ( from->type == NETCODE_ADDRESS_IPV6 )
        memcpy( to->ipv6, from->data.ipv6, sizeof( to->ipv6 ) );
}

/* Returns 0 for an address of no known type, which netcode.c would assert on. */
static int netcode_sys_address_import( const struct netcode_sys_address * from, struct netcode_address_t * to )
{
    memset( to, 0, sizeof( *to ) );
    to->type = from->type;
    to->port = from->port;
    if ( from->type == NETCODE_ADDRESS_IPV4 )
        memcpy( to->data.ipv4, from->ipv4, sizeof( from->ipv4 ) );
    else if ( from->type == NETCODE_ADDRESS_IPV6 )
        memcpy( to->data.ipv6, from->ipv6, sizeof( from->ipv6 ) );
    else
        return 0;
    return 1;
}

static int netcode_sys_address_count_valid( int count )
{
    return count > 0 && count <= NETCODE_MAX_SERVERS_PER_CONNECT;
}

/* ---- Server and client ---------------------------------------------------------------------- */

struct netcode_server_t * netcode_sys_server_create( const char * bind_address_string, const char * public_address_string, uint64_t protocol_id, const uint8_t * private_key, double time )
{
    struct netcode_address_t bind_address;
    struct netcode_address_t public_address;
    if ( !netcode_parse_address( bind_address_string, &bind_address ) || !netcode_parse_address( public_address_string, &public_address ) )
    {
        netcode_printf( NETCODE_LOG_LEVEL_ERROR, "error: failed to parse server address\n" );
        return NULL;
    }

    struct netcode_socket_t socket;
    memset( &socket, 0, sizeof( socket ) );
    if ( netcode_socket_create( &socket, &bind_address, NETCODE_SOCKET_SNDBUF_SIZE, NETCODE_SOCKET_RCVBUF_SIZE ) != NETCODE_SOCKET_ERROR_NONE )
        return NULL;

    if ( public_address.port == 0 )
        public_address.port = socket.address.port;

    char bound[NETCODE_MAX_ADDRESS_STRING_LENGTH];
    char public[NETCODE_MAX_ADDRESS_STRING_LENGTH];
    netcode_address_to_string( &socket.address, bound );
    netcode_address_to_string( &public_address, public );

    /* netcode_server_create_internal sets up everything but the socket when it is given a
       simulator, and it refuses bind port 0, which the socket has resolved by now. The marker
       is only stored, never used: it is replaced by NULL before anything reads it. */
    static char simulator_marker;
    netcode_sys_log_suppressed = 1;
    struct netcode_server_t * server = netcode_server_create_internal( bound, public, protocol_id, (uint8_t*) private_key, time, (struct netcode_network_simulator_t*) &simulator_marker );
    netcode_sys_log_suppressed = 0;
    if ( !server )
    {
        netcode_socket_destroy( &socket );
        return NULL;
    }
    server->network_simulator = NULL;
    server->socket = socket;

    netcode_printf( NETCODE_LOG_LEVEL_INFO, "server listening on %s\n", bound );

    return server;
}

uint16_t netcode_sys_server_port( struct netcode_server_t * server )
{
    return server->network_simulator ? server->public_address.port : server->socket.address.port;
}

int netcode_sys_server_max_clients( struct netcode_server_t * server )
{
    return server->running ? server->max_clients : 0;
}

int netcode_sys_server_client_address( struct netcode_server_t * server, int client_index, struct netcode_sys_address * address )
{
    if ( !netcode_server_client_connected( server, client_index ) )
        return 0;
    netcode_sys_address_export( &server->client_address[client_index], address );
    return 1;
}

double netcode_sys_server_client_last_send_time( struct netcode_server_t * server, int client_index )
{
    if ( !netcode_server_client_connected( server, client_index ) )
        return -1.0;
    return server->client_last_packet_send_time[client_index];
}

int netcode_sys_server_client_key( struct netcode_server_t * server, int client_index, uint8_t * key )
{
    if ( !netcode_server_client_connected( server, client_index ) )
        return 0;
    uint8_t * receive_key = netcode_encryption_manager_get_receive_key( &server->encryption_manager, server->client_encryption_index[client_index] );
    if ( !receive_key )
        return 0;
    memcpy( key, receive_key, NETCODE_KEY_BYTES );
    return 1;
}

uint64_t netcode_sys_server_denied_count( struct netcode_server_t * server )
{
    if ( !server->running )
        return 0;
    /* netcode_server_start leaves global_sequence at 1 << 63 (creation) or 0 (after a stop). */
    uint64_t global_packets = server->global_sequence & ~( 1ULL << 63 );
    return global_packets - server->challenge_sequence;
}

double netcode_sys_client_last_send_time( struct netcode_client_t * client )
{
    return client->last_packet_send_time;
}

void netcode_sys_client_start_connect_at( struct netcode_client_t * client, double time )
{
    if ( client->state != NETCODE_CLIENT_STATE_SENDING_CONNECTION_REQUEST )
        return;
    client->time = time;
    client->connect_start_time = time;
    client->last_packet_send_time = time - 1.0;
    client->last_packet_receive_time = time;
}

uint16_t netcode_sys_client_port( struct netcode_client_t * client )
{
    return client->address.port;
}

void netcode_sys_network_simulator_configure( struct netcode_network_simulator_t * network_simulator, float latency_milliseconds, float jitter_milliseconds, float packet_loss_percent, float duplicate_packet_percent )
{
    network_simulator->latency_milliseconds = latency_milliseconds;
    network_simulator->jitter_milliseconds = jitter_milliseconds;
    network_simulator->packet_loss_percent = packet_loss_percent;
    network_simulator->duplicate_packet_percent = duplicate_packet_percent;
}

int netcode_sys_network_simulator_send( struct netcode_network_simulator_t * network_simulator, const char * from, const char * to, const uint8_t * packet_data, int packet_bytes )
{
    struct netcode_address_t from_address;
    struct netcode_address_t to_address;
    if ( !netcode_parse_address( from, &from_address ) || !netcode_parse_address( to, &to_address ) )
        return 0;
    if ( packet_bytes < 1 || packet_bytes > NETCODE_MAX_PACKET_BYTES )
        return 0;
    netcode_network_simulator_send_packet( network_simulator, &from_address, &to_address, (uint8_t*) packet_data, packet_bytes );
    return 1;
}

/* ---- Connect tokens ------------------------------------------------------------------------- */

int netcode_sys_encrypt_connect_token_private( const struct netcode_sys_connect_token_private * private_part, const uint8_t * private_key, struct netcode_sys_connect_token * token )
{
    if ( !netcode_sys_address_count_valid( private_part->num_server_addresses ) )
        return 0;

    struct netcode_connect_token_private_t internal;
    memset( &internal, 0, sizeof( internal ) );
    internal.client_id = private_part->client_id;
    internal.num_server_addresses = private_part->num_server_addresses;
    int i;
    for ( i = 0; i < private_part->num_server_addresses; ++i )
    {
        if ( !netcode_sys_address_import( &private_part->server_addresses[i], &internal.server_addresses[i] ) )
            return 0;
    }
    memcpy( internal.client_to_server_key, private_part->client_to_server_key, NETCODE_KEY_BYTES );
    memcpy( internal.server_to_client_key, private_part->server_to_client_key, NETCODE_KEY_BYTES );
    memcpy( internal.user_data, private_part->user_data, NETCODE_USER_DATA_BYTES );

    netcode_write_connect_token_private( &internal, token->private_data, NETCODE_CONNECT_TOKEN_PRIVATE_BYTES );

    return netcode_encrypt_connect_token_private( token->private_data, NETCODE_CONNECT_TOKEN_PRIVATE_BYTES, NETCODE_VERSION_INFO, token->protocol_id, token->expire_timestamp, token->sequence, (uint8_t*) private_key );
}

int netcode_sys_decrypt_connect_token_private( const struct netcode_sys_connect_token * token, const uint8_t * private_key, struct netcode_sys_connect_token_private * private_part )
{
    uint8_t buffer[NETCODE_CONNECT_TOKEN_PRIVATE_BYTES];
    memcpy( buffer, token->private_data, NETCODE_CONNECT_TOKEN_PRIVATE_BYTES );

    if ( !netcode_decrypt_connect_token_private( buffer, NETCODE_CONNECT_TOKEN_PRIVATE_BYTES, NETCODE_VERSION_INFO, token->protocol_id, token->expire_timestamp, token->sequence, (uint8_t*) private_key ) )
        return 0;

    struct netcode_connect_token_private_t internal;
    memset( &internal, 0, sizeof( internal ) );
    if ( !netcode_read_connect_token_private( buffer, NETCODE_CONNECT_TOKEN_PRIVATE_BYTES, &internal ) )
        return 0;

    memset( private_part, 0, sizeof( *private_part ) );
    private_part->client_id = internal.client_id;
    private_part->num_server_addresses = internal.num_server_addresses;
    int i;
    for ( i = 0; i < internal.num_server_addresses; ++i )
        netcode_sys_address_export( &internal.server_addresses[i], &private_part->server_addresses[i] );
    memcpy( private_part->client_to_server_key, internal.client_to_server_key, NETCODE_KEY_BYTES );
    memcpy( private_part->server_to_client_key, internal.server_to_client_key, NETCODE_KEY_BYTES );
    memcpy( private_part->user_data, internal.user_data, NETCODE_USER_DATA_BYTES );
    return 1;
}

int netcode_sys_write_connect_token( const struct netcode_sys_connect_token * token, uint8_t * buffer )
{
    if ( !netcode_sys_address_count_valid( token->num_server_addresses ) )
        return 0;

    struct netcode_connect_token_t internal;
    memset( &internal, 0, sizeof( internal ) );
    memcpy( internal.version_info, NETCODE_VERSION_INFO, NETCODE_VERSION_INFO_BYTES );
    internal.protocol_id = token->protocol_id;
    internal.create_timestamp = token->create_timestamp;
    internal.expire_timestamp = token->expire_timestamp;
    internal.sequence = token->sequence;
    memcpy( internal.private_data, token->private_data, NETCODE_CONNECT_TOKEN_PRIVATE_BYTES );
    internal.num_server_addresses = token->num_server_addresses;
    int i;
    for ( i = 0; i < token->num_server_addresses; ++i )
    {
        if ( !netcode_sys_address_import( &token->server_addresses[i], &internal.server_addresses[i] ) )
            return 0;
    }
    memcpy( internal.client_to_server_key, token->client_to_server_key, NETCODE_KEY_BYTES );
    memcpy( internal.server_to_client_key, token->server_to_client_key, NETCODE_KEY_BYTES );
    internal.timeout_seconds = token->timeout_seconds;

    netcode_write_connect_token( &internal, buffer, NETCODE_CONNECT_TOKEN_BYTES );
    return 1;
}

int netcode_sys_read_connect_token( const uint8_t * buffer, int buffer_length, struct netcode_sys_connect_token * token )
{
    struct netcode_connect_token_t internal;
    memset( &internal, 0, sizeof( internal ) );
    if ( !netcode_read_connect_token( (uint8_t*) buffer, buffer_length, &internal ) )
        return 0;

    memset( token, 0, sizeof( *token ) );
    token->protocol_id = internal.protocol_id;
    token->create_timestamp = internal.create_timestamp;
    token->expire_timestamp = internal.expire_timestamp;
    token->sequence = internal.sequence;
    memcpy( token->private_data, internal.private_data, NETCODE_CONNECT_TOKEN_PRIVATE_BYTES );
    token->num_server_addresses = internal.num_server_addresses;
    int i;
    for ( i = 0; i < internal.num_server_addresses; ++i )
        netcode_sys_address_export( &internal.server_addresses[i], &token->server_addresses[i] );
    memcpy( token->client_to_server_key, internal.client_to_server_key, NETCODE_KEY_BYTES );
    memcpy( token->server_to_client_key, internal.server_to_client_key, NETCODE_KEY_BYTES );
    token->timeout_seconds = internal.timeout_seconds;
    return 1;
}

/* ---- Packets --------------------------------------------------------------------------------- */

_Static_assert( NETCODE_SYS_CHALLENGE_TOKEN_BYTES == NETCODE_CHALLENGE_TOKEN_BYTES, "challenge token bytes" );
_Static_assert( NETCODE_SYS_MAX_PACKET_BYTES == NETCODE_MAX_PACKET_BYTES, "max packet bytes" );
_Static_assert( NETCODE_SYS_CONNECTION_DISCONNECT_PACKET == NETCODE_CONNECTION_DISCONNECT_PACKET, "packet types" );

int netcode_sys_max_payload_bytes( uint64_t sequence )
{
    /* Up to 3 sequence bytes, the whole payload fits: the common case, first. */
    if ( sequence < ( 1ULL << 24 ) )
        return NETCODE_MAX_PAYLOAD_BYTES;
    int room = NETCODE_MAX_PACKET_BYTES - 1 - netcode_sequence_number_bytes_required( sequence ) - NETCODE_MAC_BYTES;
    return room < NETCODE_MAX_PAYLOAD_BYTES ? room : NETCODE_MAX_PAYLOAD_BYTES;
}

uint64_t netcode_sys_server_next_payload_sequence( struct netcode_server_t * server, int client_index )
{
    if ( !netcode_server_client_connected( server, client_index ) )
        return 0;
    return server->client_sequence[client_index] + ( server->client_confirmed[client_index] ? 0 : 1 );
}

int netcode_sys_server_send( struct netcode_server_t * server, int client_index, const uint8_t * payload, int payload_bytes )
{
    if ( !netcode_server_client_connected( server, client_index ) )
        return NETCODE_SYS_NOT_CONNECTED;
    int room = netcode_sys_max_payload_bytes( netcode_sys_server_next_payload_sequence( server, client_index ) );
    if ( payload_bytes < 1 || payload_bytes > room )
        return room;
    netcode_server_send_packet( server, client_index, (uint8_t*) payload, payload_bytes );
    return NETCODE_SYS_SENT;
}

int netcode_sys_client_send( struct netcode_client_t * client, const uint8_t * payload, int payload_bytes )
{
    if ( client->state != NETCODE_CLIENT_STATE_CONNECTED )
        return NETCODE_SYS_NOT_CONNECTED;
    int room = netcode_sys_max_payload_bytes( client->sequence );
    if ( payload_bytes < 1 || payload_bytes > room )
        return room;
    netcode_client_send_packet( client, (uint8_t*) payload, payload_bytes );
    return NETCODE_SYS_SENT;
}

void netcode_sys_client_set_sequence( struct netcode_client_t * client, uint64_t sequence )
{
    client->sequence = sequence;
}

void netcode_sys_server_set_client_sequence( struct netcode_server_t * server, int client_index, uint64_t sequence )
{
    if ( netcode_server_client_connected( server, client_index ) )
        server->client_sequence[client_index] = sequence;
}

int netcode_sys_write_packet( const struct netcode_sys_packet * packet, uint64_t sequence, const uint8_t * key, uint64_t protocol_id, uint8_t * buffer )
{
    union
    {
        struct netcode_connection_request_packet_t request;
        struct netcode_connection_denied_packet_t denied;
        struct netcode_connection_challenge_packet_t challenge;
        struct netcode_connection_response_packet_t response;
        struct netcode_connection_keep_alive_packet_t keep_alive;
        struct netcode_connection_disconnect_packet_t disconnect;
        uint8_t payload[sizeof( struct netcode_connection_payload_packet_t ) + NETCODE_MAX_PAYLOAD_BYTES];
    } p;
    memset( &p, 0, sizeof( p ) );
    switch ( packet->type )
    {
        case NETCODE_CONNECTION_REQUEST_PACKET:
            p.request.packet_type = NETCODE_CONNECTION_REQUEST_PACKET;
            memcpy( p.request.version_info, NETCODE_VERSION_INFO, NETCODE_VERSION_INFO_BYTES );
            p.request.protocol_id = protocol_id;
            p.request.connect_token_expire_timestamp = packet->connect_token_expire_timestamp;
            p.request.connect_token_sequence = packet->connect_token_sequence;
            memcpy( p.request.connect_token_data, packet->connect_token_data, NETCODE_CONNECT_TOKEN_PRIVATE_BYTES );
            break;
        case NETCODE_CONNECTION_DENIED_PACKET:
            p.denied.packet_type = NETCODE_CONNECTION_DENIED_PACKET;
            break;
        case NETCODE_CONNECTION_CHALLENGE_PACKET:
        case NETCODE_CONNECTION_RESPONSE_PACKET:
            /* The two share their layout. */
            p.challenge.packet_type = (uint8_t) packet->type;
            p.challenge.challenge_token_sequence = packet->challenge_token_sequence;
            memcpy( p.challenge.challenge_token_data, packet->challenge_token_data, NETCODE_CHALLENGE_TOKEN_BYTES );
            break;
        case NETCODE_CONNECTION_KEEP_ALIVE_PACKET:
            p.keep_alive.packet_type = NETCODE_CONNECTION_KEEP_ALIVE_PACKET;
            p.keep_alive.client_index = packet->client_index;
            p.keep_alive.max_clients = packet->max_clients;
            break;
        case NETCODE_CONNECTION_PAYLOAD_PACKET:
        {
            if ( packet->payload_bytes < 1 || packet->payload_bytes > netcode_sys_max_payload_bytes( sequence ) )
                return 0;
            struct netcode_connection_payload_packet_t * payload = (struct netcode_connection_payload_packet_t*) p.payload;
            payload->packet_type = NETCODE_CONNECTION_PAYLOAD_PACKET;
            payload->payload_bytes = (uint32_t) packet->payload_bytes;
            memcpy( payload->payload_data, packet->payload_data, (size_t) packet->payload_bytes );
            break;
        }
        case NETCODE_CONNECTION_DISCONNECT_PACKET:
            p.disconnect.packet_type = NETCODE_CONNECTION_DISCONNECT_PACKET;
            break;
        default:
            return 0;
    }
    return netcode_write_packet( &p, buffer, NETCODE_MAX_PACKET_BYTES, sequence, (uint8_t*) key, protocol_id );
}

int netcode_sys_write_challenge_token( uint64_t client_id, const uint8_t * user_data, uint64_t sequence, const uint8_t * key, uint8_t * buffer )
{
    struct netcode_challenge_token_t token;
    token.client_id = client_id;
    memcpy( token.user_data, user_data, NETCODE_USER_DATA_BYTES );
    netcode_write_challenge_token( &token, buffer, NETCODE_CHALLENGE_TOKEN_BYTES );
    return netcode_encrypt_challenge_token( buffer, NETCODE_CHALLENGE_TOKEN_BYTES, sequence, (uint8_t*) key );
}

/* ---- Layout ---------------------------------------------------------------------------------- */

#define NETCODE_SYS_LAYOUT( type, size, align ) do { *(size) = sizeof( type ); *(align) = _Alignof( type ); } while ( 0 )

void netcode_sys_layout_address( size_t * size, size_t * align )
{
    NETCODE_SYS_LAYOUT( struct netcode_sys_address, size, align );
}

void netcode_sys_layout_connect_token_private( size_t * size, size_t * align )
{
    NETCODE_SYS_LAYOUT( struct netcode_sys_connect_token_private, size, align );
}

void netcode_sys_layout_packet( size_t * size, size_t * align )
{
    NETCODE_SYS_LAYOUT( struct netcode_sys_packet, size, align );
}

void netcode_sys_layout_connect_token( size_t * size, size_t * align )
{
    NETCODE_SYS_LAYOUT( struct netcode_sys_connect_token, size, align );
}
