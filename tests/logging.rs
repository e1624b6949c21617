//! The C's log lines reach the `log` crate, under the target `netcode`, and only when a
//! logger wants them. Its own test binary: it installs a global logger.

use std::sync::Mutex;

use log::{Level, LevelFilter, Log, Metadata, Record};

struct Capture(Mutex<Vec<(Level, String, String)>>);

impl Log for Capture {
    fn enabled(&self, _: &Metadata) -> bool {
        true
    }
    fn log(&self, record: &Record) {
        self.0.lock().unwrap().push((
            record.level(),
            record.target().to_string(),
            record.args().to_string(),
        ));
    }
    fn flush(&self) {}
}

static LOGGER: Capture = Capture(Mutex::new(Vec::new()));

#[test]
fn c_log_lines_go_to_the_log_crate() {
    log::set_logger(&LOGGER).unwrap();
    log::set_max_level(LevelFilter::Debug);

    let key = netcode::generate_key();
    let config = netcode::ServerConfig::new("127.0.0.1:0".parse().unwrap(), 1, key).max_clients(2);
    let mut server = netcode::NetcodeServer::new(config).unwrap();
    server.update(0.0);
    let port = server.local_address().port();
    {
        let lines = LOGGER.0.lock().unwrap();
        let expected = format!("server listening on 127.0.0.1:{port}");
        assert!(
            lines
                .iter()
                .any(|(level, target, text)| *level == Level::Info
                    && target == "netcode"
                    && *text == expected),
            "no {expected:?} in {lines:?}"
        );
        assert!(lines.iter().all(|(_, _, text)| !text.ends_with('\n')));
    }

    // With logging off, nothing reaches the logger.
    log::set_max_level(LevelFilter::Off);
    LOGGER.0.lock().unwrap().clear();
    let config = netcode::ServerConfig::new("127.0.0.1:0".parse().unwrap(), 1, key).max_clients(2);
    let mut quiet = netcode::NetcodeServer::new(config).unwrap();
    quiet.update(0.0);
    server.update(0.1);
    assert!(LOGGER.0.lock().unwrap().is_empty());
}
