/*
    A netcode.io peer of our own, in C, over the pinned reference (netcode.h) and our shim, for
    interop tests that need parameters the upstream example programs hard-code.

    peer server ADDRESS KEY_HEX PROTOCOL_ID PAYLOADS SECONDS
        Binds ADDRESS (port 0: any; prints "port N" once listening), echoes every payload, and
        exits 0 once PAYLOADS payloads were echoed and every client has left, or 1 after
        SECONDS seconds.
    peer client TOKEN_FILE PAYLOADS SECONDS
        Connects with the 2048-byte token in TOKEN_FILE, sends PAYLOADS payloads of 1200 bytes
        (byte i is (i + n) & 0xFF for the n-th), checks each echo, disconnects, and exits 0, or 1
        on a wrong echo, an error state, or after SECONDS seconds.
*/

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcode_sys.h"

#define PAYLOAD_BYTES NETCODE_MAX_PACKET_SIZE
#define TICK ( 1.0 / 100.0 )

static void fill( uint8_t * data, int n )
{
    int i;
    for ( i = 0; i < PAYLOAD_BYTES; ++i )
        data[i] = (uint8_t) ( i + n );
}

static int parse_key( const char * hex, uint8_t * key )
{
    int i;
    if ( strlen( hex ) != 2 * NETCODE_KEY_BYTES )
        return 0;
    for ( i = 0; i < NETCODE_KEY_BYTES; ++i )
    {
        unsigned int byte;
        if ( sscanf( hex + 2 * i, "%2x", &byte ) != 1 )
            return 0;
        key[i] = (uint8_t) byte;
    }
    return 1;
}

static int run_server( const char * address, const char * key_hex, uint64_t protocol_id, int payloads, double seconds )
{
    uint8_t key[NETCODE_KEY_BYTES];
    if ( !parse_key( key_hex, key ) )
    {
        printf( "error: the key is 64 hex digits\n" );
        return 1;
    }
    struct netcode_server_t * server = netcode_sys_server_create( address, address, protocol_id, key, 0.0 );
    if ( !server )
    {
        printf( "error: cannot create a server on %s\n", address );
        return 1;
    }
    netcode_server_start( server, NETCODE_MAX_CLIENTS );
    printf( "port %d\n", (int) netcode_sys_server_port( server ) );
    fflush( stdout );

    int echoed = 0;
    int result = 1;
    double time = 0.0;
    for ( time = 0.0; time < seconds; time += TICK )
    {
        netcode_server_update( server, time );
        int client_index;
        for ( client_index = 0; client_index < NETCODE_MAX_CLIENTS; ++client_index )
        {
            while ( 1 )
            {
                int bytes;
                uint64_t sequence;
                uint8_t * packet = (uint8_t*) netcode_server_receive_packet( server, client_index, &bytes, &sequence );
                if ( !packet )
                    break;
                netcode_server_send_packet( server, client_index, packet, bytes );
                netcode_server_free_packet( server, packet );
                echoed++;
            }
        }
        if ( echoed >= payloads && netcode_server_num_clients_connected( server ) == 0 )
        {
            result = 0;
            break;
        }
        netcode_sleep( TICK );
    }
    printf( "server echoed %d payloads\n", echoed );
    netcode_server_destroy( server );
    return result;
}

static int run_client( const char * token_file, int payloads, double seconds )
{
    uint8_t token[NETCODE_CONNECT_TOKEN_BYTES];
    FILE * file = fopen( token_file, "rb" );
    if ( !file || fread( token, 1, sizeof( token ), file ) != sizeof( token ) )
    {
        printf( "error: cannot read a %d-byte token from %s\n", NETCODE_CONNECT_TOKEN_BYTES, token_file );
        return 1;
    }
    fclose( file );

    struct netcode_sys_connect_token parsed;
    if ( !netcode_sys_read_connect_token( token, sizeof( token ), &parsed ) )
    {
        printf( "error: not a connect token\n" );
        return 1;
    }
    const char * bind = parsed.server_addresses[0].type == NETCODE_SYS_ADDRESS_IPV4 ? "0.0.0.0:0" : "[::]:0";
    struct netcode_client_t * client = netcode_client_create( (char*) bind, 0.0 );
    if ( !client )
    {
        printf( "error: cannot create a client on %s\n", bind );
        return 1;
    }
    netcode_client_connect( client, token );

    uint8_t sent[PAYLOAD_BYTES];
    int next = 0, echoed = 0, result = 1;
    double time;
    for ( time = 0.0; time < seconds; time += TICK )
    {
        netcode_client_update( client, time );
        int state = netcode_client_state( client );
        if ( state < NETCODE_CLIENT_STATE_DISCONNECTED )
        {
            printf( "error: client state %d\n", state );
            break;
        }
        if ( state == NETCODE_CLIENT_STATE_CONNECTED && next == echoed && next < payloads )
        {
            fill( sent, next++ );
            netcode_client_send_packet( client, sent, PAYLOAD_BYTES );
        }
        while ( 1 )
        {
            int bytes;
            uint64_t sequence;
            uint8_t * packet = (uint8_t*) netcode_client_receive_packet( client, &bytes, &sequence );
            if ( !packet )
                break;
            uint8_t expected[PAYLOAD_BYTES];
            fill( expected, echoed );
            int same = bytes == PAYLOAD_BYTES && memcmp( packet, expected, PAYLOAD_BYTES ) == 0;
            netcode_client_free_packet( client, packet );
            if ( !same )
            {
                printf( "error: echo %d differs\n", echoed );
                netcode_client_destroy( client );
                return 1;
            }
            echoed++;
        }
        if ( echoed == payloads )
        {
            result = 0;
            break;
        }
        netcode_sleep( TICK );
    }
    printf( "client got %d of %d echoes\n", echoed, payloads );
    netcode_client_disconnect( client );
    netcode_client_destroy( client );
    return result;
}

int main( int argc, char ** argv )
{
    if ( !netcode_init() )
        return 1;
    int result = 2;
    if ( argc == 7 && strcmp( argv[1], "server" ) == 0 )
        result = run_server( argv[2], argv[3], strtoull( argv[4], NULL, 0 ), atoi( argv[5] ), atof( argv[6] ) );
    else if ( argc == 5 && strcmp( argv[1], "client" ) == 0 )
        result = run_client( argv[2], atoi( argv[3] ), atof( argv[4] ) );
    else
        printf( "usage: peer server ADDRESS KEY_HEX PROTOCOL_ID PAYLOADS SECONDS | peer client TOKEN_FILE PAYLOADS SECONDS\n" );
    netcode_term();
    return result;
}
