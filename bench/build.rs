//! Compiles the benchmark's C (csrc/): the payload code every variant shares and the plain-C
//! variant of the scenario, into one library linked into the benchmark. The C variant calls the
//! very libnetcode.a that netcode-sys built and the crate links, with this build's optimization
//! level.

use std::env;
use std::path::PathBuf;

fn main() {
    let include = PathBuf::from(
        env::var_os("DEP_NETCODE_INCLUDE").expect("netcode-sys exports its include directory"),
    );
    let csrc = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("manifest dir")).join("csrc");
    let files = [csrc.join("echo_bench.c"), csrc.join("payload.c")];
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    cc::Build::new()
        .include(&include)
        .files(&files)
        .compile("benchc");
}
