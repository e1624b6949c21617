/*
    netcode-sys: the pinned netcode.c (patched, from OUT_DIR) and our additions, in one
    translation unit so that our functions can use the structs netcode.c defines.
*/

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "netcode_sys.h"

/* ---- State that our patches add to netcode.c (patches 0008 and 0009) ------------------------
   Declared before netcode.c so that the patched lines can use it; the functions are defined
   below, once netcode.c's structs are known. */

static int netcode_sys_log_threshold = NETCODE_LOG_LEVEL_NONE;

struct netcode_server_t;
struct netcode_client_t;
struct netcode_address_t;

struct netcode_sys_server_state
{
    struct netcode_sys_server_event events[NETCODE_SYS_SERVER_EVENTS];
    int event_head;
    int event_count;
    uint64_t events_dropped;
    int record_info;
    int disconnect_reason;
    uint64_t next_session;
    uint64_t session[NETCODE_MAX_CLIENTS];
    int refuse_reuse;
    int recent_next;
    int recent_count;
    uint8_t recent_keys[NETCODE_SYS_RECENT_SESSIONS][NETCODE_KEY_BYTES];
};

struct netcode_sys_client_state
{
    struct netcode_sys_client_event events[NETCODE_SYS_CLIENT_EVENTS];
    int event_head;
    int event_count;
    uint64_t events_dropped;
    int record_info;
    int local_call;
};

static void netcode_sys_server_connected( struct netcode_server_t * server, int client_index );
static void netcode_sys_server_disconnecting( struct netcode_server_t * server, int client_index );
static int netcode_sys_server_admit( struct netcode_server_t * server, int encryption_index );
static void netcode_sys_server_denied( struct netcode_server_t * server, struct netcode_address_t * from, uint64_t client_id );
static void netcode_sys_server_keep_alive_sent( struct netcode_server_t * server, int client_index );
static void netcode_sys_client_state_changed( struct netcode_client_t * client, int state );
static void netcode_sys_client_keep_alive_sent( struct netcode_client_t * client );

/* ---- Log lines ------------------------------------------------------------------------------
   netcode_printf( level, ... ) filters by level (patch 0009: the atomic threshold above) and
   calls vprintf( format, args ); the few plain printf calls print unconditionally. Both are
   redirected here by the macros below, which are defined only around netcode.c. `level` is
   netcode_printf's parameter: vprintf is called nowhere else, and a use outside it would not
   compile. Captured lines wait in a buffer of the calling thread until the wrapper takes them,
   after the C call returns: no foreign code runs inside netcode.c. */

static void netcode_sys_log_vprintf( int level, const char * format, va_list args );
static void netcode_sys_log_printf( const char * format, ... );

#define vprintf( format, args ) netcode_sys_log_vprintf( level, format, args )
#define printf( ... ) netcode_sys_log_printf( __VA_ARGS__ )

#include <netcode.c>

#undef vprintf
#undef printf

static int netcode_sys_log_capturing;

/* One thread's captured lines: entries of a level byte and a NUL-terminated line, appended at
   `used`, taken from `read`. */
struct netcode_sys_log_buffer
{
    char text[NETCODE_SYS_LOG_BUFFER_BYTES];
    int used;
    int read;
    uint64_t dropped;
};

static __thread struct netcode_sys_log_buffer netcode_sys_log;

void netcode_sys_log_capture( int capture )
{
    __atomic_store_n( &netcode_sys_log_capturing, capture, __ATOMIC_RELAXED );
}

void netcode_sys_set_log_level( int level )
{
    __atomic_store_n( &netcode_sys_log_threshold, level, __ATOMIC_RELAXED );
}

static void netcode_sys_log_vprintf( int level, const char * format, va_list args )
{
    if ( !__atomic_load_n( &netcode_sys_log_capturing, __ATOMIC_RELAXED ) )
    {
        vprintf( format, args );
        return;
    }

    if ( level > __atomic_load_n( &netcode_sys_log_threshold, __ATOMIC_RELAXED ) )
        return;

    struct netcode_sys_log_buffer * log = &netcode_sys_log;
    /* After the level byte; a line longer than NETCODE_SYS_LOG_LINE_BYTES is cut there. */
    int room = NETCODE_SYS_LOG_BUFFER_BYTES - log->used - 1;
    int limit = room < NETCODE_SYS_LOG_LINE_BYTES ? room : NETCODE_SYS_LOG_LINE_BYTES;
    if ( limit < 2 )
    {
        log->dropped++;
        return;
    }
    char * line = log->text + log->used + 1;
    int length = vsnprintf( line, (size_t) limit, format, args );
    if ( length < 0 )
        return;
    if ( length >= limit )
    {
        if ( limit < NETCODE_SYS_LOG_LINE_BYTES )
        {
            /* The buffer is full: the line is dropped whole, not cut short. */
            log->dropped++;
            return;
        }
        length = limit - 1;
    }
    while ( length > 0 && ( line[length - 1] == '\n' || line[length - 1] == '\r' ) )
        line[--length] = '\0';
    if ( length == 0 )
        return;
    log->text[log->used] = (char) level;
    log->used += 1 + length + 1;
}

static void netcode_sys_log_printf( const char * format, ... )
{
    va_list args;
    va_start( args, format );
    netcode_sys_log_vprintf( NETCODE_LOG_LEVEL_ERROR, format, args );
    va_end( args );
}

const char * netcode_sys_log_next( int * level )
{
    struct netcode_sys_log_buffer * log = &netcode_sys_log;
    if ( log->read >= log->used )
        return NULL;
    const char * line = log->text + log->read + 1;
    *level = (unsigned char) log->text[log->read];
    log->read += 1 + (int) strlen( line ) + 1;
    if ( log->read >= log->used )
    {
        /* Everything taken: the next line starts at the beginning again. The line returned
           stays readable until the next C call on this thread writes over it. */
        log->read = 0;
        log->used = 0;
    }
    return line;
}

uint64_t netcode_sys_log_take_dropped( void )
{
    uint64_t dropped = netcode_sys_log.dropped;
    netcode_sys_log.dropped = 0;
    return dropped;
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

struct netcode_server_t * netcode_sys_server_create( const char * bind_address, const char * public_address, uint64_t protocol_id, const uint8_t * private_key, double time )
{
    /* netcode.c only reads the strings and copies the key; patch 0020 allows port 0. */
    return netcode_server_create_internal( (char*) bind_address, (char*) public_address, protocol_id, (uint8_t*) private_key, time, NULL );
}

uint16_t netcode_sys_server_port( struct netcode_server_t * server )
{
    return server->network_simulator ? server->public_address.port : server->socket.address.port;
}

int netcode_sys_server_max_clients( struct netcode_server_t * server )
{
    return server->running ? server->max_clients : 0;
}

/* ---- Server events (patch 0008) ------------------------------------------------------------- */

_Static_assert( NETCODE_SYS_SERVER_EVENTS >= 2 * NETCODE_MAX_CLIENTS + 2, "room for every connect and disconnect" );

static struct netcode_sys_server_event * netcode_sys_server_event_push( struct netcode_server_t * server, int type, int client_index )
{
    struct netcode_sys_server_state * sys = &server->sys;
    int slot = ( sys->event_head + sys->event_count ) % NETCODE_SYS_SERVER_EVENTS;
    sys->event_count++;
    struct netcode_sys_server_event * event = &sys->events[slot];
    event->type = type;
    event->client_index = client_index;
    event->client_id = 0;
    event->session = 0;
    event->reason = NETCODE_SYS_DISCONNECT_NONE;
    memset( &event->address, 0, sizeof( event->address ) );
    return event;
}

/* The room a server keeps: one event for a later disconnect of every connected client. */
static int netcode_sys_server_event_room( struct netcode_server_t * server )
{
    return NETCODE_SYS_SERVER_EVENTS - server->sys.event_count - server->num_connected_clients;
}

static void netcode_sys_server_connected( struct netcode_server_t * server, int client_index )
{
    struct netcode_sys_server_state * sys = &server->sys;
    sys->session[client_index] = ++sys->next_session;
    struct netcode_sys_server_event * event = netcode_sys_server_event_push( server, NETCODE_SYS_SERVER_EVENT_CONNECTED, client_index );
    event->client_id = server->client_id[client_index];
    event->session = sys->session[client_index];
    netcode_sys_address_export( &server->client_address[client_index], &event->address );
    memcpy( event->user_data, server->client_user_data[client_index], NETCODE_USER_DATA_BYTES );
}

static void netcode_sys_server_disconnecting( struct netcode_server_t * server, int client_index )
{
    struct netcode_sys_server_state * sys = &server->sys;
    /* netcode_sys_server_admit keeps room for this (see netcode_sys_server_event_room). */
    if ( sys->event_count < NETCODE_SYS_SERVER_EVENTS )
    {
        struct netcode_sys_server_event * event = netcode_sys_server_event_push( server, NETCODE_SYS_SERVER_EVENT_DISCONNECTED, client_index );
        event->client_id = server->client_id[client_index];
        event->session = sys->session[client_index];
        event->reason = sys->disconnect_reason;
        netcode_sys_address_export( &server->client_address[client_index], &event->address );
    }
    else
    {
        sys->events_dropped++;
    }
    sys->session[client_index] = 0;
    sys->disconnect_reason = NETCODE_SYS_DISCONNECT_LOCAL;
}

static int netcode_sys_server_admit( struct netcode_server_t * server, int encryption_index )
{
    struct netcode_sys_server_state * sys = &server->sys;
    /* The connect, and a disconnect for every client including this one. */
    if ( netcode_sys_server_event_room( server ) < 2 )
    {
        netcode_printf( NETCODE_LOG_LEVEL_DEBUG, "server ignored connection response. its events are not read yet\n" );
        return 0;
    }
    if ( !sys->refuse_reuse )
        return 1;
    uint8_t * key = netcode_encryption_manager_get_receive_key( &server->encryption_manager, encryption_index );
    if ( !key )
        return 0;
    int i;
    for ( i = 0; i < sys->recent_count; ++i )
    {
        if ( memcmp( sys->recent_keys[i], key, NETCODE_KEY_BYTES ) == 0 )
        {
            netcode_printf( NETCODE_LOG_LEVEL_INFO, "server ignored connection response. its connect token was already used\n" );
            return 0;
        }
    }
    memcpy( sys->recent_keys[sys->recent_next], key, NETCODE_KEY_BYTES );
    sys->recent_next = ( sys->recent_next + 1 ) % NETCODE_SYS_RECENT_SESSIONS;
    if ( sys->recent_count < NETCODE_SYS_RECENT_SESSIONS )
        sys->recent_count++;
    return 1;
}

/* Keep-alive and denial events: only when asked for, and never from the reserved room. */
static struct netcode_sys_server_event * netcode_sys_server_info_event( struct netcode_server_t * server, int type, int client_index )
{
    if ( !server->sys.record_info )
        return NULL;
    if ( netcode_sys_server_event_room( server ) < 1 )
    {
        server->sys.events_dropped++;
        return NULL;
    }
    return netcode_sys_server_event_push( server, type, client_index );
}

static void netcode_sys_server_denied( struct netcode_server_t * server, struct netcode_address_t * from, uint64_t client_id )
{
    struct netcode_sys_server_event * event = netcode_sys_server_info_event( server, NETCODE_SYS_SERVER_EVENT_DENIED, -1 );
    if ( !event )
        return;
    event->client_id = client_id;
    netcode_sys_address_export( from, &event->address );
}

static void netcode_sys_server_keep_alive_sent( struct netcode_server_t * server, int client_index )
{
    struct netcode_sys_server_event * event = netcode_sys_server_info_event( server, NETCODE_SYS_SERVER_EVENT_KEEP_ALIVE_SENT, client_index );
    if ( !event )
        return;
    event->client_id = server->client_id[client_index];
    event->session = server->sys.session[client_index];
    netcode_sys_address_export( &server->client_address[client_index], &event->address );
}

const struct netcode_sys_server_event * netcode_sys_server_peek_event( struct netcode_server_t * server )
{
    struct netcode_sys_server_state * sys = &server->sys;
    return sys->event_count > 0 ? &sys->events[sys->event_head] : NULL;
}

void netcode_sys_server_pop_event( struct netcode_server_t * server )
{
    struct netcode_sys_server_state * sys = &server->sys;
    if ( sys->event_count == 0 )
        return;
    sys->event_head = ( sys->event_head + 1 ) % NETCODE_SYS_SERVER_EVENTS;
    sys->event_count--;
}

void netcode_sys_server_requeue_event( struct netcode_server_t * server )
{
    struct netcode_sys_server_state * sys = &server->sys;
    if ( sys->event_count == 0 )
        return;
    int last = ( sys->event_head + sys->event_count ) % NETCODE_SYS_SERVER_EVENTS;
    if ( last != sys->event_head )
        sys->events[last] = sys->events[sys->event_head];
    sys->event_head = ( sys->event_head + 1 ) % NETCODE_SYS_SERVER_EVENTS;
}

int netcode_sys_server_num_events( struct netcode_server_t * server )
{
    return server->sys.event_count;
}

uint64_t netcode_sys_server_events_dropped( struct netcode_server_t * server )
{
    return server->sys.events_dropped;
}

void netcode_sys_server_record_info_events( struct netcode_server_t * server, int record )
{
    server->sys.record_info = record;
}

void netcode_sys_server_refuse_token_reuse( struct netcode_server_t * server, int refuse )
{
    server->sys.refuse_reuse = refuse;
}

/* ---- Sessions ------------------------------------------------------------------------------- */

uint64_t netcode_sys_server_client_session( struct netcode_server_t * server, int client_index )
{
    if ( !netcode_server_client_connected( server, client_index ) )
        return 0;
    return server->sys.session[client_index];
}

static int netcode_sys_server_session_connected( struct netcode_server_t * server, int client_index, uint64_t session )
{
    return session != 0 && netcode_sys_server_client_session( server, client_index ) == session;
}

int netcode_sys_server_client_info( struct netcode_server_t * server, int client_index, struct netcode_sys_client_info * info )
{
    uint64_t session = netcode_sys_server_client_session( server, client_index );
    if ( !session )
        return 0;
    info->client_id = server->client_id[client_index];
    info->session = session;
    netcode_sys_address_export( &server->client_address[client_index], &info->address );
    return 1;
}

int netcode_sys_server_find_client( struct netcode_server_t * server, uint64_t client_id, struct netcode_sys_client_info * info )
{
    if ( !server->running )
        return -1;
    int client_index = netcode_server_find_client_index_by_id( server, client_id );
    if ( client_index < 0 || !netcode_sys_server_client_info( server, client_index, info ) )
        return -1;
    return client_index;
}

void * netcode_sys_server_receive( struct netcode_server_t * server, int client_index, uint64_t session, int * packet_bytes, uint64_t * packet_sequence )
{
    if ( !netcode_sys_server_session_connected( server, client_index, session ) )
        return NULL;
    return netcode_server_receive_packet( server, client_index, packet_bytes, packet_sequence );
}

int netcode_sys_server_disconnect( struct netcode_server_t * server, int client_index, uint64_t session )
{
    if ( !netcode_sys_server_session_connected( server, client_index, session ) )
        return 0;
    netcode_server_disconnect_client( server, client_index );
    return 1;
}

const uint8_t * netcode_sys_server_client_user_data( struct netcode_server_t * server, int client_index, uint64_t session )
{
    if ( !netcode_sys_server_session_connected( server, client_index, session ) )
        return NULL;
    return server->client_user_data[client_index];
}

/* ---- Client events (patch 0008) ------------------------------------------------------------- */

static void netcode_sys_client_event_push( struct netcode_client_t * client, int type, int from, int to, int reason )
{
    struct netcode_sys_client_state * sys = &client->sys;
    if ( sys->event_count == NETCODE_SYS_CLIENT_EVENTS )
    {
        /* Cannot happen while the wrapper reads them after every call (a call makes at most
           four); if it did, the oldest goes. */
        sys->event_head = ( sys->event_head + 1 ) % NETCODE_SYS_CLIENT_EVENTS;
        sys->event_count--;
        sys->events_dropped++;
    }
    struct netcode_sys_client_event * event = &sys->events[( sys->event_head + sys->event_count ) % NETCODE_SYS_CLIENT_EVENTS];
    sys->event_count++;
    event->type = type;
    event->from = from;
    event->to = to;
    event->reason = reason;
}

static void netcode_sys_client_state_changed( struct netcode_client_t * client, int state )
{
    if ( state == client->state )
        return;
    int reason = NETCODE_SYS_DISCONNECT_NONE;
    if ( state == NETCODE_CLIENT_STATE_DISCONNECTED )
        reason = client->sys.local_call ? NETCODE_SYS_DISCONNECT_LOCAL : NETCODE_SYS_DISCONNECT_PACKET;
    else if ( state == NETCODE_CLIENT_STATE_CONNECTION_TIMED_OUT )
        reason = NETCODE_SYS_DISCONNECT_TIMED_OUT;
    netcode_sys_client_event_push( client, NETCODE_SYS_CLIENT_EVENT_STATE_CHANGED, client->state, state, reason );
}

static void netcode_sys_client_keep_alive_sent( struct netcode_client_t * client )
{
    if ( client->sys.record_info )
        netcode_sys_client_event_push( client, NETCODE_SYS_CLIENT_EVENT_KEEP_ALIVE_SENT, client->state, client->state, NETCODE_SYS_DISCONNECT_NONE );
}

const struct netcode_sys_client_event * netcode_sys_client_peek_event( struct netcode_client_t * client )
{
    struct netcode_sys_client_state * sys = &client->sys;
    return sys->event_count > 0 ? &sys->events[sys->event_head] : NULL;
}

void netcode_sys_client_pop_event( struct netcode_client_t * client )
{
    struct netcode_sys_client_state * sys = &client->sys;
    if ( sys->event_count == 0 )
        return;
    sys->event_head = ( sys->event_head + 1 ) % NETCODE_SYS_CLIENT_EVENTS;
    sys->event_count--;
}

void netcode_sys_client_requeue_event( struct netcode_client_t * client )
{
    struct netcode_sys_client_state * sys = &client->sys;
    if ( sys->event_count == 0 )
        return;
    int last = ( sys->event_head + sys->event_count ) % NETCODE_SYS_CLIENT_EVENTS;
    if ( last != sys->event_head )
        sys->events[last] = sys->events[sys->event_head];
    sys->event_head = ( sys->event_head + 1 ) % NETCODE_SYS_CLIENT_EVENTS;
}

int netcode_sys_client_num_events( struct netcode_client_t * client )
{
    return client->sys.event_count;
}

void netcode_sys_client_record_info_events( struct netcode_client_t * client, int record )
{
    client->sys.record_info = record;
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

int netcode_sys_server_send( struct netcode_server_t * server, int client_index, uint64_t session, const uint8_t * payload, int payload_bytes )
{
    if ( !netcode_sys_server_session_connected( server, client_index, session ) )
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
