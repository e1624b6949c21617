//! Handles move between threads (they are Send), and the C library is initialized once even
//! when many threads create handles at the same time.

use std::sync::mpsc;
use std::thread;

use netcode::{
    ConnectionState, NetcodeClient, NetcodeServer, NetworkSimulator, ServerConfig, UdpClient,
    UdpServer,
};

fn assert_send<T: Send>() {}

#[test]
fn handles_are_send() {
    assert_send::<NetcodeServer>();
    assert_send::<NetcodeClient>();
    assert_send::<UdpServer>();
    assert_send::<UdpClient>();
    assert_send::<NetworkSimulator>();
}

#[test]
fn concurrent_first_use_and_cross_thread_updates() {
    // The first use of the library on many threads at once (no other test of this binary
    // touches it): all are spawned, then released together by a barrier, and only then joined.
    // One init, no assert, and every handle works.
    const THREADS: usize = 8;
    let start = std::sync::Arc::new(std::sync::Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|i| {
            let start = std::sync::Arc::clone(&start);
            thread::spawn(move || {
                start.wait();
                let key = match i % 2 {
                    0 => netcode::generate_key(),
                    _ => [4; 32],
                };
                let config =
                    ServerConfig::new("127.0.0.1:0".parse().unwrap(), 5, key).max_clients(2);
                let server = NetcodeServer::new(config).unwrap();
                let client = NetcodeClient::new("0.0.0.0:0".parse().unwrap()).unwrap();
                (server, client)
            })
        })
        .collect();
    let handles: Vec<(NetcodeServer, NetcodeClient)> =
        threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(handles.len(), THREADS);
    drop(handles);

    // A client and a server sharing a simulator, updated on two threads in lockstep: the
    // server moves to its thread and back.
    let simulator = NetworkSimulator::new().unwrap();
    let config = ServerConfig::new("[::1]:40000".parse().unwrap(), 5, [4; 32]).max_clients(2);
    let mut server = NetcodeServer::with_simulator(&simulator, config).unwrap();
    let token = server.generate_token(1, &[0; 256]).unwrap();
    let mut client =
        NetcodeClient::with_simulator(&simulator, "[::1]:50000".parse().unwrap()).unwrap();
    client.connect(&token).unwrap();
    let (to_server, ticks) = mpsc::channel::<f64>();
    let (done, acks) = mpsc::channel::<()>();
    let server_thread = thread::spawn(move || {
        for time in ticks {
            server.update(time);
            done.send(()).unwrap();
        }
        server
    });
    for step in 0..50 {
        let time = f64::from(step) * 0.1;
        simulator.update(time);
        client.update(time);
        to_server.send(time).unwrap();
        acks.recv().unwrap();
    }
    drop(to_server);
    let server = server_thread.join().unwrap();
    assert_eq!(client.state(), ConnectionState::Connected);
    assert_eq!(server.num_connected_clients(), 1);
}
