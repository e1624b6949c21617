//! Where the pinned C comes from, in each situation a user can be in: sources given by
//! NETCODE_SYS_SOURCE_DIR or the submodule (no nested cargo, offline), offline without sources
//! (one message naming every way), the registry fallback (cargo downloads netcode-0.3.1.crate
//! alone, into the user's CARGO_HOME), and source replacement (a local directory of crates,
//! offline). These run
//! this package's real build script, which stops at compiling (no compiler settings here).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::{env, fs};

use common::build_script;

/// The verified source directory this build used.
const VERIFIED: &str = env!("NETCODE_SYS_VERIFIED_SOURCE");

/// A scratch copy of what the build script reads from netcode-sys's directory.
fn manifest_copy(name: &str) -> PathBuf {
    let root = env::temp_dir().join(format!("netcode-sys-sources-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&root);
    let manifest_dir = root.join("netcode-sys");
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["patches", "reference"] {
        fs::create_dir_all(manifest_dir.join(dir)).expect("create a directory");
        for entry in fs::read_dir(here.join(dir)).expect("read a directory") {
            let path = entry.expect("an entry").path();
            fs::copy(
                &path,
                manifest_dir.join(dir).join(path.file_name().unwrap()),
            )
            .expect("copy a file");
        }
    }
    manifest_dir
}

fn run(manifest_dir: &Path, configure: impl FnOnce(&mut Command)) -> (Output, String) {
    let out_dir = manifest_dir.parent().unwrap().join("out");
    fs::create_dir_all(&out_dir).expect("create OUT_DIR");
    let mut command = Command::new(build_script());
    command
        .env("CARGO_MANIFEST_DIR", manifest_dir)
        .env("OUT_DIR", &out_dir)
        .env_remove("NETCODE_SYS_SOURCE_DIR")
        .env_remove("CARGO_NET_OFFLINE")
        .env_remove("DOCS_RS");
    configure(&mut command);
    let output = command.output().expect("run the build script");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output, text)
}

fn patched_copy_exists(manifest_dir: &Path) -> bool {
    let patched = manifest_dir.parent().unwrap().join("out/netcode/netcode.c");
    fs::read_to_string(patched).is_ok_and(|text| text.contains("netcode-sys patch 0013"))
}

/// With NETCODE_SYS_SOURCE_DIR, an offline build verifies and patches the files without
/// running cargo at all: CARGO names a program that does not exist.
#[test]
fn a_source_dir_builds_offline_without_a_nested_cargo() {
    let manifest_dir = manifest_copy("source-dir");
    let (_, text) = run(&manifest_dir, |command| {
        command
            .env("NETCODE_SYS_SOURCE_DIR", VERIFIED)
            .env("CARGO_NET_OFFLINE", "true")
            .env("CARGO", "/nonexistent/cargo");
    });
    assert!(!text.contains("could not run cargo"), "{text}");
    assert!(!text.contains("could not fetch"), "{text}");
    assert!(
        patched_copy_exists(&manifest_dir),
        "no patched netcode.c:\n{text}"
    );
    let _ = fs::remove_dir_all(manifest_dir.parent().unwrap());
}

/// Offline, with no source given and an empty cargo cache: the build stops with one message
/// that says it is offline and names every way to provide the C.
#[test]
fn offline_without_sources_names_every_way_to_provide_them() {
    let manifest_dir = manifest_copy("offline");
    let cargo_home = manifest_dir.parent().unwrap().join("cargo-home");
    fs::create_dir_all(&cargo_home).unwrap();
    let (output, text) = run(&manifest_dir, |command| {
        command
            .env("CARGO_NET_OFFLINE", "true")
            .env("CARGO_HOME", &cargo_home)
            .env("CARGO", env!("CARGO"));
    });
    assert!(
        !output.status.success(),
        "an offline build without sources went on:\n{text}"
    );
    for needed in [
        "The build is offline",
        "NETCODE_SYS_SOURCE_DIR",
        "git submodule update --init",
        "a6da210d6fdd7f7ac8dd7a80ea91f91b5849a63f",
    ] {
        assert!(
            text.contains(needed),
            "the message does not say {needed:?}:\n{text}"
        );
    }
    let _ = fs::remove_dir_all(manifest_dir.parent().unwrap());
}

/// The registry fallback, online, with an empty CARGO_HOME: cargo downloads netcode 0.3.1
/// alone, into that CARGO_HOME; then, offline, from a replacement directory source. Needs the
/// crates.io registry.
///
/// Online:
/// alone (its 2017 dependencies are stubbed out), into that CARGO_HOME, and the files it
/// carries pass verification and are patched. Needs the crates.io registry.
#[test]
fn the_registry_fallback_downloads_only_netcode_0_3_1() {
    let manifest_dir = manifest_copy("registry");
    let cargo_home = manifest_dir.parent().unwrap().join("cargo-home");
    fs::create_dir_all(&cargo_home).unwrap();
    let (output, text) = run(&manifest_dir, |command| {
        command
            .env("CARGO_HOME", &cargo_home)
            .env("CARGO", env!("CARGO"));
    });
    assert!(
        patched_copy_exists(&manifest_dir),
        "no patched netcode.c:\n{text}"
    );
    let mut downloaded: Vec<String> = fs::read_dir(cargo_home.join("registry/cache"))
        .expect("cargo downloaded into the given CARGO_HOME")
        .flat_map(|index| fs::read_dir(index.unwrap().path()).unwrap())
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    downloaded.sort();
    assert_eq!(downloaded, ["netcode-0.3.1.crate"], "{text}");
    // The build script stops at compiling, having no compiler settings: that is expected.
    let _ = output;

    // Source replacement, offline: a user whose cargo reads crates from a local directory
    // (as `cargo vendor` sets up) gets the package from there, with no network.
    let cache = fs::read_dir(cargo_home.join("registry/cache"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let unpacked = fs::read_dir(cargo_home.join("registry/src"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
        .join("netcode-0.3.1");
    let vendor = manifest_dir.parent().unwrap().join("vendor");
    copy_tree(&unpacked, &vendor.join("netcode-0.3.1"));
    let crate_file = fs::read(cache.join("netcode-0.3.1.crate")).unwrap();
    fs::write(
        vendor.join("netcode-0.3.1/.cargo-checksum.json"),
        format!(r#"{{"files":{{}},"package":"{}"}}"#, sha256(&crate_file)),
    )
    .unwrap();
    let vendored_home = manifest_dir.parent().unwrap().join("vendored-home");
    fs::create_dir_all(&vendored_home).unwrap();
    fs::write(
        vendored_home.join("config.toml"),
        format!(
            "[source.crates-io]\nreplace-with = \"vendored\"\n[source.vendored]\ndirectory = {:?}\n",
            vendor.display().to_string()
        ),
    )
    .unwrap();
    let _ = fs::remove_dir_all(manifest_dir.parent().unwrap().join("out"));
    let (_, text) = run(&manifest_dir, |command| {
        command
            .env("CARGO_HOME", &vendored_home)
            .env("CARGO_NET_OFFLINE", "true")
            .env("CARGO", env!("CARGO"));
    });
    assert!(
        patched_copy_exists(&manifest_dir),
        "the fallback did not use the replacement source:\n{text}"
    );
    assert!(
        !vendored_home.join("registry/cache").exists(),
        "cargo downloaded although a replacement source holds the package:\n{text}"
    );
    let _ = fs::remove_dir_all(manifest_dir.parent().unwrap());
}

/// With the netcode.io submodule populated, an offline build needs no nested cargo either.
#[test]
fn a_populated_submodule_builds_offline_without_a_nested_cargo() {
    let manifest_dir = manifest_copy("submodule");
    let checkout = manifest_dir.parent().unwrap().join("netcode.io").join("c");
    fs::create_dir_all(&checkout).unwrap();
    for name in ["netcode.c", "netcode.h"] {
        fs::copy(Path::new(VERIFIED).join(name), checkout.join(name)).unwrap();
    }
    let (_, text) = run(&manifest_dir, |command| {
        command
            .env("CARGO_NET_OFFLINE", "true")
            .env("CARGO", "/nonexistent/cargo");
    });
    assert!(!text.contains("could not run cargo"), "{text}");
    assert!(
        patched_copy_exists(&manifest_dir),
        "no patched netcode.c:\n{text}"
    );
    let _ = fs::remove_dir_all(manifest_dir.parent().unwrap());
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// SHA-256 in hex, by the system's sha256sum (the test has no hashing crate).
fn sha256(bytes: &[u8]) -> String {
    use std::io::Write;
    let mut child = Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run sha256sum");
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let output = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}
