//! Where the pinned C comes from, in each situation a user can be in: sources given (no nested
//! cargo, offline), offline without sources (one message naming every way), and the registry
//! fallback (cargo downloads netcode-0.3.1.crate alone, into the user's CARGO_HOME). These run
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
    let _ = fs::remove_dir_all(manifest_dir.parent().unwrap());
}
