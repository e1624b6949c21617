//! Builds the plain-C variant of the benchmark (csrc/echo_bench.c) against the very library
//! netcode-sys built, with the optimization level of this build.

use std::env;
use std::path::PathBuf;

fn main() {
    let include = PathBuf::from(
        env::var_os("DEP_NETCODE_INCLUDE").expect("netcode-sys exports its include directory"),
    );
    let libnetcode =
        PathBuf::from(env::var_os("DEP_NETCODE_LIB").expect("netcode-sys exports its library"))
            .join("libnetcode.a");
    let sodium = env::var_os("DEP_SODIUM_LIB").map(PathBuf::from);
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR")).join("echo_bench_c");
    let csrc = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("manifest dir")).join("csrc");
    let source = csrc.join("echo_bench.c");
    let payload = csrc.join("payload.c");
    println!("cargo:rerun-if-changed={}", source.display());
    println!("cargo:rerun-if-changed={}", payload.display());
    // The payload code every variant uses, for the Rust ones as a library.
    cc::Build::new().file(&payload).compile("benchpayload");
    println!("cargo:rerun-if-changed={}", libnetcode.display());

    let mut build = cc::Build::new();
    build.include(&include).cargo_metadata(false);
    let mut command = build.get_compiler().to_command();
    command.arg(&source).arg(&payload).arg(&libnetcode);
    match sodium {
        Some(dir) if dir.join("libsodium.a").is_file() => command.arg(dir.join("libsodium.a")),
        Some(dir) => command.arg(format!("-L{}", dir.display())).arg("-lsodium"),
        None => command.arg("-lsodium"),
    };
    command.args(["-lm", "-pthread", "-o"]).arg(&out);
    let status = command.status().expect("run the C compiler");
    assert!(
        status.success(),
        "building the C benchmark failed: {command:?}"
    );
    println!("cargo:rustc-env=NETCODE_BENCH_C={}", out.display());
}
