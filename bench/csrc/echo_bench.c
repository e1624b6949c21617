/*
    The benchmark scenario in plain C, over netcode.h (and our shim's port-0 bind): one server
    and N clients on 127.0.0.1; once all are connected, each tick every client sends K payloads
    of P bytes, the server echoes each, the clients drain. Every payload's content is checked.

    Linked into the benchmark's own process and called from it (src/main.rs, run_c), so that the
    C and the Rust variants run in one process, one after the other, with one heap and one
    library: the comparison measures the code, not a fresh small process against a long-lived
    one. The caller has initialized netcode (the crate did) and passes the servers' key.
*/

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#include "netcode.h"

uint16_t netcode_sys_server_port( struct netcode_server_t * server );
struct netcode_server_t * netcode_sys_server_create( const char * bind_address, const char * public_address, uint64_t protocol_id, const uint8_t * private_key, double time );

static double now( void )
{
    struct timespec ts;
    clock_gettime( CLOCK_MONOTONIC, &ts );
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu( void )
{
    struct rusage usage;
    getrusage( RUSAGE_SELF, &usage );
    return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

void bench_fill( uint8_t * data, int bytes, uint32_t n, int c );
int bench_check( const uint8_t * data, int bytes, int expected_bytes, int c );

/* One run's measurements: the layout of Sample in src/main.rs (#[repr(C)]). */
struct echo_bench_sample
{
    double connect_seconds;
    uint64_t received;
    double wall;
    double cpu;
    int64_t lost;
    uint64_t bad;
};

/* Returns 0, or 3 if the clients did not connect within 30 s. */
int echo_bench_run( int clients, int k, int p, int ticks, uint8_t * key, struct echo_bench_sample * sample )
{
    struct netcode_server_t * server = netcode_sys_server_create( "127.0.0.1:0", "127.0.0.1:0", 0x42, key, 0.0 );
    netcode_server_start( server, clients );
    char address[64];
    snprintf( address, sizeof( address ), "127.0.0.1:%d", (int) netcode_sys_server_port( server ) );
    char * addresses[1] = { address };

    struct netcode_client_t ** client = calloc( (size_t) clients, sizeof( *client ) );
    double time = 0.0;
    int c, i, t, status = 0;
    for ( c = 0; c < clients; ++c )
    {
        uint8_t token[NETCODE_CONNECT_TOKEN_BYTES];
        netcode_generate_connect_token( 1, addresses, 30, (uint64_t) c + 1, 0x42, (uint64_t) c, key, token );
        client[c] = netcode_client_create( "0.0.0.0:0", time );
        netcode_client_connect( client[c], token );
    }
    double start = now();
    while ( netcode_server_num_clients_connected( server ) < clients )
    {
        time += 0.1;
        for ( c = 0; c < clients; ++c )
            netcode_client_update( client[c], time );
        netcode_server_update( server, time );
        if ( now() - start > 30.0 )
        {
            status = 3;
            goto done;
        }
    }
    for ( c = 0; c < clients; ++c )
        netcode_client_update( client[c], time );
    double connect_seconds = now() - start;

    uint8_t payload[NETCODE_MAX_PACKET_SIZE];
    long long received = 0, bad = 0, sent = 0;
    uint32_t n = 0;
    double wall0 = now(), cpu0 = cpu();
    for ( t = 0; t < ticks; ++t )
    {
        time += 0.001;
        for ( c = 0; c < clients; ++c )
        {
            for ( i = 0; i < k; ++i )
            {
                bench_fill( payload, p, n++, c );
                netcode_client_send_packet( client[c], payload, p );
                sent++;
            }
        }
        netcode_server_update( server, time );
        for ( c = 0; c < clients; ++c )
        {
            while ( 1 )
            {
                int bytes;
                uint64_t sequence;
                uint8_t * packet = netcode_server_receive_packet( server, c, &bytes, &sequence );
                if ( !packet )
                    break;
                received++;
                netcode_server_send_packet( server, c, packet, bytes );
                netcode_server_free_packet( server, packet );
            }
        }
        for ( c = 0; c < clients; ++c )
        {
            netcode_client_update( client[c], time );
            while ( 1 )
            {
                int bytes;
                uint64_t sequence;
                uint8_t * packet = netcode_client_receive_packet( client[c], &bytes, &sequence );
                if ( !packet )
                    break;
                /* The client index in the server is the connect order here. */
                received++;
                if ( !bench_check( packet, bytes, p, c ) )
                    bad++;
                netcode_client_free_packet( client[c], packet );
            }
        }
    }
    double wall = now() - wall0, used = cpu() - cpu0;
    sample->connect_seconds = connect_seconds;
    sample->received = (uint64_t) received;
    sample->wall = wall;
    sample->cpu = used;
    sample->lost = 2 * sent - received;
    sample->bad = (uint64_t) bad;
done:
    for ( c = 0; c < clients; ++c )
        netcode_client_destroy( client[c] );
    netcode_server_destroy( server );
    free( client );
    return status;
}
