/*
    Making and checking the benchmark's payloads, shared by every variant (the Rust ones link it
    too), so that the variants differ only in how they move packets.
    Payload n of client c: byte i is (i + n + c) & 0xFF, its first 4 bytes n.
*/

#include <stdint.h>
#include <string.h>

void bench_fill( uint8_t * data, int bytes, uint32_t n, int c )
{
    int i;
    for ( i = 0; i < bytes; ++i )
        data[i] = (uint8_t) ( i + n + c );
    if ( bytes >= 4 )
        memcpy( data, &n, 4 );
}

int bench_check( const uint8_t * data, int bytes, int expected_bytes, int c )
{
    uint32_t n = 0;
    int i;
    if ( bytes != expected_bytes )
        return 0;
    if ( bytes >= 4 )
        memcpy( &n, data, 4 );
    for ( i = 4; i < bytes; ++i )
        if ( data[i] != (uint8_t) ( i + n + c ) )
            return 0;
    return 1;
}
