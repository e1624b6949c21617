//! A 1.00 and a 1.02 server and their clients on one thread, every call interleaved
//! with token work of the other version (which sets the shim's thread-local wire), then each
//! exit path that sends packets without an update of its own: disconnect_all, a server
//! disconnect, a client disconnect, and dropping the server (stop).

mod common;

use common::*;
use netcode::{ConnectionState, Version};

fn session(version: Version) -> Session {
    Session::udp_with("127.0.0.1", 4, |config| config.version(version))
}

fn noise(a: &mut Session, b: &mut Session) {
    // Token work of both versions between every call.
    let ta = a.token(99, None);
    let tb = b.token(98, None);
    ta.decode(&a.key).unwrap();
    tb.decode(&b.key).unwrap();
}

fn step_both(a: &mut Session, b: &mut Session, steps: usize) {
    for _ in 0..steps {
        noise(a, b);
        a.step();
        noise(a, b);
        b.step();
    }
}

#[test]
fn exit_paths_on_a_mixed_thread_use_their_own_wire() {
    for exit in 0..4 {
        let mut old = session(Version::V1_00);
        let mut new = session(Version::V1_02);
        let a = old.connect_client(1, None);
        let b = new.connect_client(2, None);
        step_both(&mut old, &mut new, 40);
        assert_eq!(old.clients[a].state(), ConnectionState::Connected);
        assert_eq!(new.clients[b].state(), ConnectionState::Connected);
        for _ in 0..5 {
            old.clients[a].send(&pattern(1200, 1)).unwrap();
            noise(&mut old, &mut new);
            new.clients[b].send(&pattern(1200, 2)).unwrap();
            noise(&mut old, &mut new);
            let sa = old.info(a).session;
            old.server.send(sa, &pattern(1200, 3)).unwrap();
            noise(&mut old, &mut new);
            let sb = new.info(b).session;
            new.server.send(sb, &pattern(1200, 4)).unwrap();
            step_both(&mut old, &mut new, 1);
        }
        step_both(&mut old, &mut new, 5);
        assert_eq!(old.server_received().len(), 5);
        assert_eq!(new.server_received().len(), 5);
        assert_eq!(old.client_received(a).len(), 5);
        assert_eq!(new.client_received(b).len(), 5);
        match exit {
            0 => {
                // Server side, no update: disconnect_all, interleaved with the other version.
                noise(&mut old, &mut new);
                old.server.disconnect_all();
                noise(&mut old, &mut new);
                new.server.disconnect_all();
            }
            1 => {
                let sa = old.info(a).session;
                let sb = new.info(b).session;
                noise(&mut old, &mut new);
                old.server.disconnect(sa).unwrap();
                noise(&mut old, &mut new);
                new.server.disconnect(sb).unwrap();
            }
            2 => {
                noise(&mut old, &mut new);
                old.clients[a].disconnect();
                noise(&mut old, &mut new);
                new.clients[b].disconnect();
                old.server_alive = true;
                step_both(&mut old, &mut new, 5);
                assert_eq!(
                    old.server.num_connected_clients(),
                    0,
                    "1.00 server saw no disconnect packet"
                );
                assert_eq!(
                    new.server.num_connected_clients(),
                    0,
                    "1.02 server saw no disconnect packet"
                );
                continue;
            }
            _ => {
                // Replace each server by a fresh one of the other version (drops = stops).
                noise(&mut old, &mut new);
                let s = session(Version::V1_02);
                old.key = s.key;
                let old_server = std::mem::replace(&mut old.server, s.server);
                drop(old_server);
                noise(&mut old, &mut new);
                let s = session(Version::V1_00);
                new.key = s.key;
                let new_server = std::mem::replace(&mut new.server, s.server);
                drop(new_server);
            }
        }
        for _ in 0..5 {
            noise(&mut old, &mut new);
            old.clients[a].update(old.time);
            new.clients[b].update(new.time);
            old.time += TICK;
            new.time += TICK;
        }
        assert_eq!(
            old.clients[a].state(),
            ConnectionState::Disconnected,
            "exit {exit}: 1.00 client"
        );
        assert_eq!(
            new.clients[b].state(),
            ConnectionState::Disconnected,
            "exit {exit}: 1.02 client"
        );
    }
}
