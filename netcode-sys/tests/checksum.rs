//! The build refuses sources that are not the pinned reference. These tests run this package's
//! real build script (the binary cargo built for this test run) on copies of the verified
//! files, modified or not, without compiling anything.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::{env, fs};

use common::build_script;

/// The verified source directory this build used.
const VERIFIED: &str = env!("NETCODE_SYS_VERIFIED_SOURCE");

fn scratch(name: &str) -> PathBuf {
    let dir = env::temp_dir().join(format!(
        "netcode-sys-checksum-{}-{name}",
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create scratch directory");
    dir
}

/// Copies the verified netcode.c and netcode.h into `dir`, appending `change` to netcode.c.
fn place_sources(dir: &Path, change: &str) {
    fs::create_dir_all(dir).expect("create source directory");
    let mut netcode_c = fs::read(Path::new(VERIFIED).join("netcode.c")).expect("read netcode.c");
    netcode_c.extend_from_slice(change.as_bytes());
    fs::write(dir.join("netcode.c"), netcode_c).expect("write netcode.c");
    fs::copy(Path::new(VERIFIED).join("netcode.h"), dir.join("netcode.h")).expect("copy netcode.h");
}

/// Runs the build script as cargo would, with `manifest_dir` as netcode-sys's directory.
fn run_build_script(manifest_dir: &Path, out_dir: &Path, source_dir: Option<&Path>) -> Output {
    fs::create_dir_all(manifest_dir).expect("create manifest directory");
    fs::create_dir_all(out_dir).expect("create out directory");
    let mut command = Command::new(build_script());
    command
        .env("CARGO_MANIFEST_DIR", manifest_dir)
        .env("OUT_DIR", out_dir);
    match source_dir {
        Some(dir) => command.env("NETCODE_SYS_SOURCE_DIR", dir),
        None => command.env_remove("NETCODE_SYS_SOURCE_DIR"),
    };
    command.output().expect("run the build script")
}

fn all_output(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn a_modified_netcode_c_in_the_source_dir_is_refused() {
    let root = scratch("env");
    let sources = root.join("sources");
    place_sources(&sources, "\n/* modified */\n");
    let output = run_build_script(&root.join("netcode-sys"), &root.join("out"), Some(&sources));
    let text = all_output(&output);
    assert!(
        !output.status.success(),
        "the build accepted a modified netcode.c:\n{text}"
    );
    assert!(
        text.contains("netcode.c does not match the pinned netcode.io reference"),
        "{text}"
    );
    assert!(
        text.contains(&sources.join("netcode.c").display().to_string()),
        "{text}"
    );
    assert!(
        text.contains("b357bc2f683110104a6352355460c2c8d7835cfe25e889bf0773505556e4f78b"),
        "{text}"
    );
    assert!(text.contains("NETCODE_SYS_SOURCE_DIR"), "{text}");
    assert!(
        !root.join("out").join("netcode").exists(),
        "nothing is written before verification"
    );
    let _ = fs::remove_dir_all(root);
}

#[test]
fn a_modified_netcode_c_in_the_submodule_is_refused() {
    let root = scratch("submodule");
    place_sources(&root.join("netcode.io").join("c"), "\n/* modified */\n");
    let output = run_build_script(&root.join("netcode-sys"), &root.join("out"), None);
    let text = all_output(&output);
    assert!(
        !output.status.success(),
        "the build accepted a modified netcode.c:\n{text}"
    );
    assert!(
        text.contains("netcode.c does not match the pinned netcode.io reference"),
        "{text}"
    );
    assert!(text.contains("the netcode.io git submodule"), "{text}");
    assert!(
        text.contains("git submodule update --init --force netcode.io"),
        "{text}"
    );
    let _ = fs::remove_dir_all(root);
}

/// The control for the tests above: the same files unmodified pass verification and are
/// patched into OUT_DIR (the script then stops at compiling, having no compiler settings).
#[test]
fn the_pinned_files_in_the_submodule_are_accepted() {
    let root = scratch("pinned");
    place_sources(&root.join("netcode.io").join("c"), "");
    let manifest_dir = root.join("netcode-sys");
    let patches = manifest_dir.join("patches");
    fs::create_dir_all(&patches).expect("create patches directory");
    for entry in
        fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("patches")).expect("patches")
    {
        let path = entry.expect("patch entry").path();
        fs::copy(&path, patches.join(path.file_name().expect("file name"))).expect("copy patch");
    }
    let output = run_build_script(&manifest_dir, &root.join("out"), None);
    let text = all_output(&output);
    assert!(!text.contains("does not match"), "{text}");
    let patched = fs::read_to_string(root.join("out").join("netcode").join("netcode.c"))
        .unwrap_or_else(|e| panic!("no patched netcode.c in OUT_DIR ({e}):\n{text}"));
    assert!(
        patched.contains("memcpy( &sock_address.sin_addr.s_addr"),
        "patch 0001 applied"
    );
    let _ = fs::remove_dir_all(root);
}
