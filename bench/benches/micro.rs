//! Micro-benchmarks: connect tokens (generate, write, read, decode) and one payload through
//! the reference's network simulator (client send, simulator, server receive).
//!
//! ```text
//! cargo bench -p netcode-bench --bench micro
//! ```

use criterion::{criterion_group, criterion_main, Criterion};
use netcode::{
    ConnectToken, ConnectionState, NetcodeClient, NetcodeServer, NetworkSimulator, ServerConfig,
};

const PROTOCOL_ID: u64 = 0x42;

fn tokens(c: &mut Criterion) {
    let key = netcode::generate_key();
    let hosts = [
        "127.0.0.1:40000".parse().unwrap(),
        "[::1]:40001".parse().unwrap(),
    ];
    let generate =
        || ConnectToken::generate(hosts.into_iter(), &key, 30, 0, PROTOCOL_ID, 7, None).unwrap();
    c.bench_function("token generate", |b| b.iter(generate));
    let token = generate();
    c.bench_function("token write", |b| b.iter(|| token.to_bytes().unwrap()));
    let bytes = token.to_bytes().unwrap();
    c.bench_function("token read", |b| {
        b.iter(|| ConnectToken::from_bytes(&bytes).unwrap())
    });
    let mut read = ConnectToken::from_bytes(&bytes).unwrap();
    c.bench_function("token decode", |b| b.iter(|| read.decode(&key).unwrap()));
}

fn simulator(c: &mut Criterion) {
    let simulator = NetworkSimulator::new().unwrap();
    let config = ServerConfig::new(
        "[::1]:40000".parse().unwrap(),
        PROTOCOL_ID,
        netcode::generate_key(),
    )
    .max_clients(1);
    let mut server = NetcodeServer::with_simulator(&simulator, config).unwrap();
    let mut client =
        NetcodeClient::with_simulator(&simulator, "[::1]:50000".parse().unwrap()).unwrap();
    client
        .connect(&server.generate_token(1, &[0; 256]).unwrap())
        .unwrap();
    let mut time = 0.0;
    while client.state() != ConnectionState::Connected {
        simulator.update(time);
        client.update(time);
        server.update(time);
        time += 0.1;
    }
    let payload = [7u8; 100];
    c.bench_function("one 100-byte payload through the simulator", |b| {
        b.iter(|| {
            time += 0.001;
            client.send(&payload).unwrap();
            simulator.update(time);
            server.update(time);
            // The client too, so that neither side times out over millions of iterations.
            client.update(time);
            let session = server.client(0).expect("the client is connected").session;
            let received = server.receive(session).expect("the payload arrived");
            assert_eq!(received.len(), 100);
        })
    });
}

criterion_group!(benches, tokens, simulator);
criterion_main!(benches);
