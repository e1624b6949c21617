#!/usr/bin/env bash
# Packages netcode-sys and netcode as they would be published, checks that no upstream file is
# inside, unpacks both .crate files, and builds and runs a small program that depends on them
# as a user of the published crates would (netcode-sys through [patch], since it is not on the
# registry yet). The pinned C reaches that build as it reaches any user's: from the registry.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

cargo package -q -p netcode-sys -p netcode --no-verify --allow-dirty
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for crate in netcode-sys netcode; do
  file=target/package/$crate-0.4.0.crate
  tar xzf "$file" -C "$work"
  # No upstream file, by name or by content (the pinned files' SHA-256, CRLF normalized).
  if tar tzf "$file" | grep -E '/(netcode\.[ch]|client\.c|server\.c|client_server\.c|test\.c|STANDARD\.md)$'; then
    echo "package-check: $crate's package holds an upstream file (above)" >&2
    exit 1
  fi
  while IFS= read -r -d '' packaged; do
    sum=$(tr -d '\r' <"$packaged" | sha256sum | cut -d' ' -f1)
    if grep -q "$sum" netcode-sys/build.rs; then
      echo "package-check: $packaged is a pinned upstream file" >&2
      exit 1
    fi
  done < <(find "$work/$crate-0.4.0" -type f -print0)
  echo "package-check: $crate: $(tar tzf "$file" | wc -l) files, none from upstream"
done

mkdir -p "$work/dependent/src"
cat >"$work/dependent/Cargo.toml" <<TOML
[package]
name = "dependent"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
netcode = { path = "$work/netcode-0.4.0" }

[patch.crates-io]
netcode-sys = { path = "$work/netcode-sys-0.4.0" }

[workspace]
TOML
cat >"$work/dependent/src/main.rs" <<'RUST'
//! A user of the published crates: a server and a client over UDP on loopback, one echo.
use netcode::{ConnectionState, NetcodeClient, NetcodeServer, ServerConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let key = netcode::generate_key();
    let mut server = NetcodeServer::new(ServerConfig::new("127.0.0.1:0".parse()?, 7, key))?;
    let token = server.generate_token(1, &[0; netcode::NETCODE_USER_DATA_BYTES])?;
    let mut client = NetcodeClient::new("0.0.0.0:0".parse()?)?;
    client.connect(&token)?;
    let mut time = 0.0;
    while time < 5.0 {
        client.update(time);
        server.update(time);
        if client.state() == ConnectionState::Connected {
            client.send(b"ping")?;
        }
        let player = server.clients().next();
        if let Some(player) = player {
            if let Some(payload) = server.receive(player.session) {
                assert_eq!(&payload[..], b"ping");
                println!("dependent: the published crates connect and deliver");
                return Ok(());
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
        time += 0.02;
    }
    Err("no payload arrived".into())
}
RUST
# The workspace's target directory, so that libsodium is not built a second time.
(cd "$work/dependent" && CARGO_TARGET_DIR="$root/target" cargo run -q)
