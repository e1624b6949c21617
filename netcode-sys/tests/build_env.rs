//! NETCODE_SYS_UNPATCHED and NETCODE_SYS_SKIP_PATCH build the C without (some of) its patches.
//! They are honoured only when netcode-sys is built in a checkout of this repository, as a
//! member of its workspace with the target directory inside it (scripts/check-patches.sh), and
//! stop the build anywhere else, so that they can never put the defective C into a
//! dependent's program. These tests run this package's real build script (the binary cargo
//! built for this test run) on scratch directories, as tests/checksum.rs does, without
//! compiling anything.

mod common;

use common::build_script;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::{env, fs};

const VERIFIED: &str = env!("NETCODE_SYS_VERIFIED_SOURCE");

/// A scratch directory with the verified sources in `sources/` and a copy of the patch set in
/// `netcode-sys/patches/`; with `checkout`, it is also laid out as this repository's checkout
/// (a workspace manifest with the member netcode-sys, scripts/check-patches.sh).
fn scratch(name: &str, checkout: bool) -> PathBuf {
    let root = env::temp_dir().join(format!(
        "netcode-sys-build-env-{}-{name}",
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&root);
    let sources = root.join("sources");
    fs::create_dir_all(&sources).expect("create scratch sources");
    for file in ["netcode.c", "netcode.h"] {
        fs::copy(Path::new(VERIFIED).join(file), sources.join(file)).expect("copy a source");
    }
    let patches = root.join("netcode-sys").join("patches");
    fs::create_dir_all(&patches).expect("create patches directory");
    for entry in
        fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("patches")).expect("patches")
    {
        let path = entry.expect("patch entry").path();
        fs::copy(&path, patches.join(path.file_name().expect("file name"))).expect("copy patch");
    }
    if checkout {
        fs::write(
            root.join("Cargo.toml"),
            "[workspace]\nmembers = [\"netcode-sys\", \"interop\", \"bench\"]\n",
        )
        .expect("write the workspace manifest");
        fs::create_dir_all(root.join("scripts")).expect("create scripts");
        fs::write(root.join("scripts").join("check-patches.sh"), "").expect("write the script");
    }
    root
}

/// Runs the build script with `root/netcode-sys` as its package and `out_dir` as OUT_DIR,
/// with `vars` set (and the two variables unset otherwise).
fn run(root: &Path, out_dir: &Path, vars: &[(&str, &str)]) -> Output {
    fs::create_dir_all(out_dir).expect("create out directory");
    let mut command = Command::new(build_script());
    command
        .env("CARGO_MANIFEST_DIR", root.join("netcode-sys"))
        .env("OUT_DIR", out_dir)
        .env("NETCODE_SYS_SOURCE_DIR", root.join("sources"))
        .env_remove("NETCODE_SYS_UNPATCHED")
        .env_remove("NETCODE_SYS_SKIP_PATCH");
    for (key, value) in vars {
        command.env(key, value);
    }
    command.output().expect("run the build script")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn written(out_dir: &Path) -> Option<String> {
    fs::read_to_string(out_dir.join("netcode").join("netcode.c")).ok()
}

/// What patch 0001 writes, and what patch 0010 writes.
const PATCH_0001: &str = "memcpy( &sock_address.sin_addr.s_addr";
const PATCH_0010: &str = "netcode-sys patch 0010";

#[test]
fn the_variables_stop_a_build_outside_this_repository() {
    let vars: [&[(&str, &str)]; 2] = [
        &[("NETCODE_SYS_UNPATCHED", "1")],
        &[("NETCODE_SYS_SKIP_PATCH", "0001")],
    ];
    for (n, vars) in vars.into_iter().enumerate() {
        // A dependent's build: netcode-sys from a registry, vendor or git directory, without
        // this repository's workspace around it.
        let root = scratch(&format!("dependent-{n}"), false);
        let out_dir = root.join("target").join("out");
        let output = run(&root, &out_dir, vars);
        let all = text(&output);
        assert!(
            !output.status.success() && written(&out_dir).is_none(),
            "{vars:?} built the C without its patches outside this repository:\n{all}"
        );
        assert!(
            all.contains("is not from this repository's own checkout"),
            "{all}"
        );
        assert!(all.contains(&format!("Unset {}", vars[0].0)), "{all}");
        let _ = fs::remove_dir_all(&root);

        // A checkout of this repository used as a path dependency by another project: the
        // target directory (OUT_DIR) is the other project's.
        let root = scratch(&format!("path-dependency-{n}"), true);
        let elsewhere = scratch(&format!("elsewhere-{n}"), false);
        let out_dir = elsewhere.join("target").join("out");
        let output = run(&root, &out_dir, vars);
        let all = text(&output);
        assert!(
            !output.status.success() && written(&out_dir).is_none(),
            "{vars:?} built the C without its patches into another project's target directory:\n{all}"
        );
        assert!(
            all.contains("target directory is outside the checkout"),
            "{all}"
        );
        let _ = fs::remove_dir_all(&root);
        let _ = fs::remove_dir_all(&elsewhere);
    }
}

/// The control: in this repository's own checkout both variables do what they say.
#[test]
fn the_variables_work_in_this_repositorys_checkout() {
    let root = scratch("checkout", true);
    // The build writes the sources with LF line endings (the registry copy has CRLF).
    let verified: String = fs::read_to_string(root.join("sources").join("netcode.c"))
        .expect("read")
        .replace('\r', "");

    let out_dir = root.join("target").join("all");
    let all = text(&run(&root, &out_dir, &[]));
    let patched = written(&out_dir).unwrap_or_else(|| panic!("nothing written:\n{all}"));
    assert!(patched.contains(PATCH_0001) && patched.contains(PATCH_0010));

    let out_dir = root.join("target").join("unpatched");
    let all = text(&run(&root, &out_dir, &[("NETCODE_SYS_UNPATCHED", "1")]));
    let unpatched = written(&out_dir).unwrap_or_else(|| panic!("nothing written:\n{all}"));
    assert!(
        unpatched == verified,
        "NETCODE_SYS_UNPATCHED=1 did not write the verified C unchanged:\n{all}"
    );

    let out_dir = root.join("target").join("skip");
    let all = text(&run(&root, &out_dir, &[("NETCODE_SYS_SKIP_PATCH", "0001")]));
    let skipped = written(&out_dir).unwrap_or_else(|| panic!("nothing written:\n{all}"));
    assert!(
        !skipped.contains(PATCH_0001) && skipped.contains(PATCH_0010),
        "NETCODE_SYS_SKIP_PATCH=0001 did not leave out patch 0001, and only it:\n{all}"
    );

    let out_dir = root.join("target").join("unknown");
    let output = run(&root, &out_dir, &[("NETCODE_SYS_SKIP_PATCH", "0099")]);
    assert!(!output.status.success() && written(&out_dir).is_none());
    assert!(text(&output).contains("there is no patch 0099"));
    let _ = fs::remove_dir_all(&root);
}
