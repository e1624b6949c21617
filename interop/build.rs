//! Builds the pinned reference's unmodified example programs, and our own C peer, as
//! executables linked with the very library netcode-sys built (libnetcode.a: the verified,
//! patched netcode.c and our shim) and libsodium. Only this test crate runs this.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

#[path = "../netcode-sys/pinned.rs"]
mod pinned;

/// The upstream example programs and the SHA-256 of each at the pinned commit (line endings
/// normalized to LF), read from the source directory netcode-sys verified its C in.
const UPSTREAM: &[(&str, &str, &str)] = &[
    (
        "client.c",
        "UPSTREAM_CLIENT",
        "1cdde7c14d0154d1013df6ffa6566e408377d17922dc5ac0185ecc032b330ead",
    ),
    (
        "server.c",
        "UPSTREAM_SERVER",
        "17efa65476fb93d21967bf6e1ae9d9f1ea99951cf860279459e0c8696b1641bf",
    ),
    (
        "client_server.c",
        "UPSTREAM_CLIENT_SERVER",
        "38978654af7fd7c3c3381386fe42f410d6a138e2ca7911d12717b36894649b91",
    ),
];

fn main() {
    let include = PathBuf::from(
        env::var_os("DEP_NETCODE_INCLUDE").expect("netcode-sys exports its include directory"),
    );
    let libnetcode =
        PathBuf::from(env::var_os("DEP_NETCODE_LIB").expect("netcode-sys exports its library"))
            .join("libnetcode.a");
    let sodium_lib = env::var_os("DEP_SODIUM_LIB").map(PathBuf::from);
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let shim = manifest_dir.join("..").join("netcode-sys").join("csrc");
    println!("cargo:rerun-if-changed={}", libnetcode.display());

    // The directory netcode-sys took (and verified) netcode.c from holds the example programs
    // too; they are verified here and copied, with LF line endings, to this OUT_DIR.
    let sources = PathBuf::from(
        env::var_os("DEP_NETCODE_SOURCE").expect("netcode-sys exports its source directory"),
    );
    for (file, name, expected) in UPSTREAM {
        let original = sources.join(file);
        println!("cargo:rerun-if-changed={}", original.display());
        let text = fs::read(&original).unwrap_or_else(|e| {
            panic!(
                "{} is missing ({e}): the source directory netcode-sys used has no upstream example \
                 programs; use the submodule or the registry copy, which carry them",
                original.display()
            )
        });
        let normalized = pinned::normalize(&text);
        let actual = pinned::sha256_hex(&normalized);
        assert_eq!(
            &actual, expected,
            "{file} is not the pinned upstream program"
        );
        let source = out_dir.join(file);
        fs::write(&source, &normalized).expect("copy the example program to OUT_DIR");
        link(
            &source,
            &include,
            &libnetcode,
            sodium_lib.as_deref(),
            &out_dir,
            name,
        );
    }

    let peer = manifest_dir.join("csrc").join("peer.c");
    println!("cargo:rerun-if-changed={}", peer.display());
    let mut build = cc::Build::new();
    build.include(&shim);
    link_with(
        &mut build,
        &peer,
        &include,
        &libnetcode,
        sodium_lib.as_deref(),
        &out_dir,
        "PEER",
    );
}

fn link(
    source: &Path,
    include: &Path,
    libnetcode: &Path,
    sodium_lib: Option<&Path>,
    out_dir: &Path,
    name: &str,
) {
    // Upstream's warnings (unused results, char* literals) are not ours to fix.
    let mut build = cc::Build::new();
    build.flag("-w");
    link_with(
        &mut build, source, include, libnetcode, sodium_lib, out_dir, name,
    );
}

/// Compiles `source` into an executable and tells the tests where it is (env NETCODE_INTEROP_<NAME>).
fn link_with(
    build: &mut cc::Build,
    source: &Path,
    include: &Path,
    libnetcode: &Path,
    sodium_lib: Option<&Path>,
    out_dir: &Path,
    name: &str,
) {
    // No NDEBUG: the programs' own asserts (on every payload's content) stay live.
    build.include(include).cargo_metadata(false);
    let executable = out_dir.join(name.to_lowercase());
    let mut command = build.get_compiler().to_command();
    command.arg(source).arg(libnetcode);
    match sodium_lib {
        Some(dir) if dir.join("libsodium.a").is_file() => command.arg(dir.join("libsodium.a")),
        Some(dir) => command.arg(format!("-L{}", dir.display())).arg("-lsodium"),
        None => command.arg("-lsodium"),
    };
    command.args(["-lm", "-pthread", "-o"]).arg(&executable);
    let status = command
        .status()
        .unwrap_or_else(|e| panic!("cannot run the C compiler: {e}"));
    assert!(
        status.success(),
        "building {} failed: {command:?}",
        executable.display()
    );
    println!(
        "cargo:rustc-env=NETCODE_INTEROP_{name}={}",
        executable.display()
    );
}
