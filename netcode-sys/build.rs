//! Builds the pinned netcode.io reference C implementation.
//!
//! 1. Find `netcode.c` and `netcode.h`: `NETCODE_SYS_SOURCE_DIR`, else the `netcode.io`
//!    submodule, else the registry package `netcode` =0.3.1, downloaded by cargo itself.
//! 2. Verify both files against the SHA-256 sums of the pinned commit (line endings normalized).
//! 3. Copy them to `OUT_DIR`, applying our patch set (`patches/*.patch`) to `netcode.c`.
//! 4. Compile `csrc/netcode_sys.c`, which includes the patched `netcode.c`, with `cc`.
//! 5. Bindings: the committed `src/bindings.rs`, or bindgen with `buildtime-bindgen`.
//!
//! Nothing is written outside `OUT_DIR`.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

mod pinned;
use pinned::{normalize, sha256_hex};

/// The pinned upstream commit (see REFERENCE.md).
const PINNED_COMMIT: &str = "a6da210d6fdd7f7ac8dd7a80ea91f91b5849a63f";

/// SHA-256 of the pinned files, with CRLF normalized to LF.
const PINNED_FILES: &[(&str, &str)] = &[
    (
        "netcode.c",
        "b357bc2f683110104a6352355460c2c8d7835cfe25e889bf0773505556e4f78b",
    ),
    (
        "netcode.h",
        "887c5807917b1b4b3b615779f44938f94d38438859fef8398a0c89056a3784c9",
    ),
];

const SOURCE_DIR_ENV: &str = "NETCODE_SYS_SOURCE_DIR";
const UNPATCHED_ENV: &str = "NETCODE_SYS_UNPATCHED";
const SKIP_PATCH_ENV: &str = "NETCODE_SYS_SKIP_PATCH";

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));

    // docs.rs builds documentation only, without network: the committed bindings are all the
    // docs need, so the C is neither fetched nor compiled (nothing is linked by `cargo doc`).
    println!("cargo:rerun-if-env-changed=DOCS_RS");
    if env::var_os("DOCS_RS").is_some() && cfg!(not(feature = "buildtime-bindgen")) {
        println!(
            "cargo:warning=netcode-sys: DOCS_RS is set, so the C is not built (documentation only)"
        );
        return;
    }

    let source = locate_sources(&manifest_dir, &out_dir);
    let files = verify_sources(&source);

    // The verified, patched copy lives in OUT_DIR/netcode; nothing else is read after this.
    let include_dir = out_dir.join("netcode");
    fs::create_dir_all(&include_dir).expect("create OUT_DIR/netcode");
    let leave_out = patches_to_leave_out(&manifest_dir, &out_dir);
    let patched = apply_patches(&manifest_dir.join("patches"), &files.netcode_c, &leave_out);
    fs::write(include_dir.join("netcode.c"), patched).expect("write patched netcode.c");
    fs::write(include_dir.join("netcode.h"), &files.netcode_h).expect("write netcode.h");

    compile(&manifest_dir, &include_dir);
    bindings(&manifest_dir, &include_dir, &out_dir);

    // Dependents get the verified sources (DEP_NETCODE_INCLUDE, DEP_NETCODE_SOURCE) and the
    // library (DEP_NETCODE_LIB/libnetcode.a), e.g. to build the upstream example programs
    // against this very library (see interop/).
    println!("cargo:include={}", include_dir.display());
    println!("cargo:lib={}", out_dir.display());
    println!("cargo:source={}", source.dir.display());
    // Tests compare the build's behaviour on these very files (tests/checksum.rs).
    println!(
        "cargo:rustc-env=NETCODE_SYS_VERIFIED_SOURCE={}",
        source.dir.display()
    );
}

// ------------------------------------------------------------------------------------------
// Finding the sources

struct Source {
    dir: PathBuf,
    origin: Origin,
}

enum Origin {
    EnvVar,
    Submodule,
    Registry,
}

impl Source {
    fn describe(&self) -> String {
        let what = match self.origin {
            Origin::EnvVar => format!("the directory named by {SOURCE_DIR_ENV}"),
            Origin::Submodule => "the netcode.io git submodule".to_string(),
            Origin::Registry => "the registry package netcode 0.3.1 (its c/ directory)".to_string(),
        };
        format!("{what}: {}", self.dir.display())
    }

    fn how_to_fix(&self) -> String {
        match self.origin {
            Origin::EnvVar => format!(
                "point {SOURCE_DIR_ENV} at the c/ directory of a netcode.io checkout at commit \
                 {PINNED_COMMIT}, or unset it to use the submodule or the registry copy"
            ),
            Origin::Submodule => format!(
                "restore the submodule with `git submodule update --init --force netcode.io` \
                 (it must be at commit {PINNED_COMMIT}), or deinitialize it with \
                 `git submodule deinit netcode.io` to build from the registry copy"
            ),
            Origin::Registry => "the registry copy of netcode 0.3.1 differs from the pinned \
                 reference; remove it from cargo's cache (~/.cargo/registry/src/*/netcode-0.3.1 \
                 and ~/.cargo/registry/cache/*/netcode-0.3.1.crate) and build again, or use the \
                 netcode.io submodule (`git submodule update --init`)"
                .to_string(),
        }
    }
}

fn locate_sources(manifest_dir: &Path, out_dir: &Path) -> Source {
    println!("cargo:rerun-if-env-changed={SOURCE_DIR_ENV}");
    if let Some(dir) = env::var_os(SOURCE_DIR_ENV) {
        let dir = PathBuf::from(dir);
        // Accept the checkout itself as well as its c/ directory.
        let dir = if dir.join("c").join("netcode.c").is_file() {
            dir.join("c")
        } else {
            dir
        };
        if !dir.join("netcode.c").is_file() {
            fail(&format!(
                "{SOURCE_DIR_ENV}={} holds no netcode.c (nor c/netcode.c).\n\
                 Point it at the c/ directory of a netcode.io checkout at commit {PINNED_COMMIT}, \
                 or unset it.",
                dir.display()
            ));
        }
        return Source {
            dir,
            origin: Origin::EnvVar,
        };
    }

    let parent = manifest_dir.parent().unwrap_or(manifest_dir);
    let checkout = parent.join("netcode.io");
    // Watch the submodule directory only where it exists (a git clone of this repository, not
    // the published crate): cargo reruns a build script on every build for a missing path.
    if checkout.is_dir() {
        println!("cargo:rerun-if-changed={}", checkout.display());
    }
    let submodule = checkout.join("c");
    if submodule.join("netcode.c").is_file() {
        return Source {
            dir: submodule,
            origin: Origin::Submodule,
        };
    }

    Source {
        dir: fetch_from_registry(manifest_dir, out_dir),
        origin: Origin::Registry,
    }
}

/// The dependencies of netcode 0.3.1 (normal and build), each with a version its requirement
/// accepts; fetch.toml patches each with an empty package of that name and version.
const REFERENCE_STUBS: &[(&str, &str)] = &[
    ("libsodium-sys", "0.0.14"),
    ("log", "0.3.9"),
    ("byteorder", "1.5.0"),
    ("env_logger", "0.4.3"),
    ("time", "0.1.45"),
    ("gcc", "0.3.55"),
    ("bindgen", "0.22.1"),
];

/// Asks cargo for the package `netcode` =0.3.1, so that the user's registry configuration,
/// offline mode and download cache all apply, and returns its `c/` directory.
fn fetch_from_registry(manifest_dir: &Path, out_dir: &Path) -> PathBuf {
    let reference = manifest_dir.join("reference");
    let work = out_dir.join("reference");
    fs::create_dir_all(&work).expect("create OUT_DIR/reference");
    for (from, to) in [("fetch.toml", "Cargo.toml"), ("fetch.lock", "Cargo.lock")] {
        println!("cargo:rerun-if-changed={}", reference.join(from).display());
        fs::copy(reference.join(from), work.join(to)).expect("copy the reference manifest");
    }
    fs::write(work.join("lib.rs"), "").expect("write OUT_DIR/reference/lib.rs");
    // netcode 0.3.1's own dependencies, replaced (fetch.toml's [patch]) by empty local packages:
    // cargo then downloads only netcode-0.3.1.crate, not its 2017 dependency graph.
    for (name, version) in REFERENCE_STUBS {
        let dir = work.join("stubs").join(name);
        fs::create_dir_all(&dir).expect("create a stub package");
        fs::write(
            dir.join("Cargo.toml"),
            format!(
                "[package]\nname = \"{name}\"\nversion = \"{version}\"\nedition = \"2015\"\n\
                 [lib]\npath = \"lib.rs\"\n"
            ),
        )
        .expect("write a stub manifest");
        fs::write(dir.join("lib.rs"), "").expect("write a stub lib.rs");
    }

    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(&work)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--locked",
            "--manifest-path",
        ])
        .arg(work.join("Cargo.toml"));
    let offline = env::var_os("CARGO_NET_OFFLINE").is_some_and(|v| v == "true");
    if offline {
        command.arg("--offline");
    }
    let output = command
        .output()
        .unwrap_or_else(|e| fail(&format!("could not run cargo: {e}")));
    if !output.status.success() {
        let why = if offline {
            "The build is offline and cargo's cache does not hold netcode 0.3.1."
        } else {
            "Fix the registry access (cargo's own message is above), or provide the sources \
             another way."
        };
        fail(&format!(
            "cargo could not fetch the registry package netcode 0.3.1, which carries the pinned \
             netcode.io C sources:\n{}\n{why} The ways to provide them:\n\
             - set {SOURCE_DIR_ENV} to a checkout of netcode.io at commit {PINNED_COMMIT} (or its \
             c/ directory);\n\
             - in a clone of this repository: `git submodule update --init` (the netcode.io \
             submodule);\n\
             - online once: any build with registry access caches netcode 0.3.1 for later offline \
             builds (`cargo fetch` does not: it is not in your dependency graph).",
            String::from_utf8_lossy(&output.stderr).trim_end()
        ));
    }
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata printed invalid JSON");
    let package = metadata["packages"]
        .as_array()
        .and_then(|packages| {
            packages
                .iter()
                .find(|p| p["name"] == "netcode" && p["version"] == "0.3.1")
        })
        .unwrap_or_else(|| fail("cargo metadata did not list the package netcode 0.3.1"));
    let manifest = package["manifest_path"]
        .as_str()
        .expect("manifest_path is a string");
    Path::new(manifest)
        .parent()
        .expect("manifest has a directory")
        .join("c")
}

// ------------------------------------------------------------------------------------------
// Verifying

struct VerifiedFiles {
    netcode_c: String,
    netcode_h: String,
}

fn verify_sources(source: &Source) -> VerifiedFiles {
    let mut texts = Vec::new();
    for (name, expected) in PINNED_FILES {
        let path = source.dir.join(name);
        println!("cargo:rerun-if-changed={}", path.display());
        let bytes = fs::read(&path).unwrap_or_else(|e| {
            fail(&format!(
                "cannot read {} from {}: {e}",
                name,
                source.describe()
            ))
        });
        let text = normalize(&bytes);
        let actual = sha256_hex(&text);
        if actual != *expected {
            fail(&format!(
                "{name} does not match the pinned netcode.io reference (commit {PINNED_COMMIT}).\n\
                 file:     {}\n\
                 source:   {}\n\
                 expected: SHA-256 {expected} (line endings normalized to LF)\n\
                 actual:   SHA-256 {actual}\n\
                 To fix: {}.",
                path.display(),
                source.describe(),
                source.how_to_fix()
            ));
        }
        texts.push(
            String::from_utf8(text).unwrap_or_else(|_| fail(&format!("{name} is not UTF-8"))),
        );
    }
    let netcode_h = texts.pop().expect("two files");
    let netcode_c = texts.pop().expect("two files");
    VerifiedFiles {
        netcode_c,
        netcode_h,
    }
}

// ------------------------------------------------------------------------------------------
// Patching

/// One replacement: lines `first..=last` (1-based, of the verified file) become `lines`.
struct Hunk {
    patch: String,
    first: usize,
    last: usize,
    /// 12 hex digits of the SHA-256 of the lines it replaces, each with its newline.
    hash: String,
    lines: Vec<String>,
}

/// Which patches the build leaves out: none, unless `NETCODE_SYS_UNPATCHED=1` (all of them) or
/// `NETCODE_SYS_SKIP_PATCH=NNNN[,NNNN...]` (those, by number) is set. Both exist to show that
/// each patch is needed (scripts/check-patches.sh), and both are honoured only when netcode-sys
/// is built as a member of its own workspace in a checkout of this repository, with the target
/// directory inside that checkout: a dependent's program must never get the defective C
/// because of a variable left in someone's environment. Anywhere else either variable stops
/// the build.
fn patches_to_leave_out(manifest_dir: &Path, out_dir: &Path) -> LeaveOut {
    println!("cargo:rerun-if-env-changed={UNPATCHED_ENV}");
    println!("cargo:rerun-if-env-changed={SKIP_PATCH_ENV}");
    let unpatched = env::var_os(UNPATCHED_ENV).filter(|v| !v.is_empty());
    let skip = env::var_os(SKIP_PATCH_ENV).filter(|v| !v.is_empty());
    let (name, value) = match (&unpatched, &skip) {
        (None, None) => return LeaveOut::Nothing,
        (Some(_), Some(_)) => fail(&format!(
            "set {UNPATCHED_ENV} or {SKIP_PATCH_ENV}, not both"
        )),
        (Some(v), None) => (UNPATCHED_ENV, v.to_string_lossy().into_owned()),
        (None, Some(v)) => (SKIP_PATCH_ENV, v.to_string_lossy().into_owned()),
    };
    if let Err(why) = own_checkout(manifest_dir, out_dir) {
        fail(&format!(
            "{name}={value} is set, but this build of netcode-sys is not from this \
             repository's own checkout ({why}).\n\
             {name} builds the pinned C without (some of) its patches, defects included; it is \
             honoured only when netcode-sys is built as a member of its own workspace with the \
             target directory inside that checkout (as scripts/check-patches.sh does), so that \
             it can never reach a dependent's program. Unset {name}."
        ));
    }
    if unpatched.is_some() {
        if value != "1" {
            fail(&format!("{UNPATCHED_ENV} is `1` or unset, not `{value}`"));
        }
        println!(
            "cargo:warning={UNPATCHED_ENV}=1: building the reference C without our patch set \
             (IPv4 will not work; see netcode-sys/patches)"
        );
        return LeaveOut::All;
    }
    let numbers: Vec<String> = value.split(',').map(|n| n.trim().to_string()).collect();
    if numbers
        .iter()
        .any(|n| n.len() != 4 || !n.bytes().all(|b| b.is_ascii_digit()))
    {
        fail(&format!(
            "{SKIP_PATCH_ENV}={value}: name patches by their four-digit numbers, e.g. 0002 or \
             0002,0005"
        ));
    }
    println!(
        "cargo:warning={SKIP_PATCH_ENV}={value}: building the reference C without patch(es) \
         {value}"
    );
    LeaveOut::Numbered(numbers)
}

enum LeaveOut {
    Nothing,
    All,
    Numbered(Vec<String>),
}

/// Ok if `manifest_dir` is the netcode-sys directory of a checkout of this repository whose
/// workspace is the one being built (`out_dir` is inside the checkout); otherwise why not.
fn own_checkout(manifest_dir: &Path, out_dir: &Path) -> Result<(), String> {
    let real = |path: &Path| fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let manifest_dir = real(manifest_dir);
    let root = manifest_dir
        .parent()
        .ok_or("netcode-sys has no parent directory")?;
    let workspace = fs::read_to_string(root.join("Cargo.toml"))
        .map_err(|_| format!("no Cargo.toml in {}", root.display()))?;
    let member = workspace.lines().any(|line| {
        let line = line.trim();
        line.starts_with("members") && line.contains("\"netcode-sys\"")
    });
    if !workspace.lines().any(|line| line.trim() == "[workspace]") || !member {
        return Err(format!(
            "{} is not this repository's workspace manifest (a [workspace] with the member \
             \"netcode-sys\")",
            root.join("Cargo.toml").display()
        ));
    }
    if !root.join("scripts").join("check-patches.sh").is_file() {
        return Err(format!(
            "{} has no scripts/check-patches.sh",
            root.display()
        ));
    }
    if !real(out_dir).starts_with(root) {
        return Err(format!(
            "the build's target directory is outside the checkout {}",
            root.display()
        ));
    }
    Ok(())
}

/// Applies every `patches/*.patch` in name order (but those `leave_out` names). A patch file is
/// our own format: a hunk header `@@ FIRST LAST` names lines of the verified netcode.c, and the
/// lines after it that start with `+` replace them (without the `+`). Lines starting with `#`
/// are documentation, blank lines separate. Since the input is pinned by its checksum, the line
/// numbers always address the same code, and no upstream text has to be quoted.
fn apply_patches(dir: &Path, netcode_c: &str, leave_out: &LeaveOut) -> String {
    println!("cargo:rerun-if-changed={}", dir.display());
    if let LeaveOut::All = leave_out {
        return netcode_c.to_string();
    }

    let mut names: Vec<PathBuf> = fs::read_dir(dir)
        .expect("read netcode-sys/patches")
        .map(|entry| entry.expect("read patches entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "patch"))
        .collect();
    names.sort();
    if let LeaveOut::Numbered(numbers) = leave_out {
        let number_of = |path: &PathBuf| {
            path.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.get(..4))
                .map(str::to_string)
        };
        for number in numbers {
            if !names.iter().any(|p| number_of(p).as_ref() == Some(number)) {
                fail(&format!(
                    "{SKIP_PATCH_ENV}: there is no patch {number} in {}",
                    dir.display()
                ));
            }
        }
        names.retain(|p| !matches!(number_of(p), Some(n) if numbers.contains(&n)));
    }

    let mut hunks = Vec::new();
    for path in &names {
        println!("cargo:rerun-if-changed={}", path.display());
        hunks.extend(parse_patch(path));
    }

    let mut lines: Vec<String> = netcode_c.lines().map(str::to_string).collect();
    hunks.sort_by_key(|h| h.first);
    for pair in hunks.windows(2) {
        if pair[0].last >= pair[1].first {
            fail(&format!(
                "patches {} and {} both change line {}",
                pair[0].patch, pair[1].patch, pair[1].first
            ));
        }
    }
    // From the bottom up, so that the line numbers of the hunks still to apply stay valid.
    for hunk in hunks.into_iter().rev() {
        if hunk.first == 0 || hunk.last < hunk.first || hunk.last > lines.len() {
            fail(&format!(
                "patch {}: lines {}-{} are not within netcode.c ({} lines)",
                hunk.patch,
                hunk.first,
                hunk.last,
                lines.len()
            ));
        }
        // The lines it replaces are the ones it was written for (the file's checksum pins the
        // file; this pins each hunk's aim).
        let replaced: String = lines[hunk.first - 1..hunk.last]
            .iter()
            .map(|line| format!("{line}\n"))
            .collect();
        let actual = sha256_hex(replaced.as_bytes());
        if actual[..12] != hunk.hash {
            fail(&format!(
                "patch {}: lines {}-{} of netcode.c are not the lines it was written for (their \
                 hash is {}, the hunk's {}); see `scripts/patch-review.py diff`",
                hunk.patch,
                hunk.first,
                hunk.last,
                &actual[..12],
                hunk.hash
            ));
        }
        lines.splice(hunk.first - 1..hunk.last, hunk.lines);
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

fn parse_patch(path: &Path) -> Vec<Hunk> {
    let name = path
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let text = fs::read_to_string(path).expect("read patch");
    let mut hunks: Vec<Hunk> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let at = || format!("{name}:{}", number + 1);
        if let Some(range) = line.strip_prefix("@@ ") {
            let mut fields = range.split_whitespace();
            let (first, last, hash) = (fields.next(), fields.next(), fields.next());
            match (
                first.map(str::parse::<usize>),
                last.map(str::parse::<usize>),
                hash,
                fields.next(),
            ) {
                (Some(Ok(first)), Some(Ok(last)), Some(hash), None) if hash.len() == 12 => hunks
                    .push(Hunk {
                        patch: name.clone(),
                        first,
                        last,
                        hash: hash.to_string(),
                        lines: Vec::new(),
                    }),
                _ => fail(&format!(
                    "{}: a hunk header is `@@ FIRST LAST HASH` (HASH: 12 hex digits of the \
                     SHA-256 of the replaced lines; scripts/patch-review.py annotate writes it)",
                    at()
                )),
            }
        } else if let Some(code) = line.strip_prefix('+') {
            match hunks.last_mut() {
                Some(hunk) => hunk.lines.push(code.to_string()),
                None => fail(&format!(
                    "{}: a `+` line before the first `@@` header",
                    at()
                )),
            }
        } else if !(line.starts_with('#') || line.trim().is_empty()) {
            fail(&format!("{}: lines start with `@@ `, `+` or `#`", at()));
        }
    }
    if hunks.is_empty() {
        fail(&format!("{name} has no hunks"));
    }
    hunks
}

// ------------------------------------------------------------------------------------------
// Compiling

fn compile(manifest_dir: &Path, include_dir: &Path) {
    let csrc = manifest_dir.join("csrc");
    for file in ["netcode_sys.c", "netcode_sys.h"] {
        println!("cargo:rerun-if-changed={}", csrc.join(file).display());
    }
    let sodium_include = env::var_os("DEP_SODIUM_INCLUDE").map(PathBuf::from);

    let mut build = cc::Build::new();
    build.file(csrc.join("netcode_sys.c")).include(&csrc);
    // netcode.c and netcode.h come from a system-include directory: our shim includes the whole
    // of netcode.c, and upstream's warnings (old-style prototypes, char* for string literals)
    // would otherwise flood every build. Our own code keeps its warnings.
    build.flag(format!("-isystem{}", include_dir.display()));
    if let Some(dir) = &sodium_include {
        build.include(dir);
    }
    build.warnings(true).extra_warnings(true);
    // netcode.c's helpers (netcode_write_bytes, netcode_write_uint8, ...) are not static, and in
    // position-independent code gcc assumes any non-static function may be interposed at run
    // time, so it calls them instead of inlining them: every payload byte went through a call.
    // This library is linked statically; nothing interposes it. (clang behaves so by default.)
    build.flag_if_supported("-fno-semantic-interposition");

    // The C checks its arguments with assert(). In builds with debug assertions we keep them, so
    // that a misuse the wrapper failed to catch stops loudly instead of corrupting memory; in
    // other builds NDEBUG removes them, as upstream intends for release builds.
    if env::var_os("CARGO_CFG_DEBUG_ASSERTIONS").is_none() {
        build.define("NDEBUG", None);
    }
    // netcode.c compiles its own test suite (netcode_test) unless told otherwise. Only the
    // `reference-tests` feature (used by this crate's tests) keeps it; users' binaries do not
    // carry ~2300 lines of test code.
    let tests = if env::var_os("CARGO_FEATURE_REFERENCE_TESTS").is_some() {
        "1"
    } else {
        "0"
    };
    build.define("NETCODE_ENABLE_TESTS", tests);
    let hooks = if env::var_os("CARGO_FEATURE_TEST_HOOKS").is_some() {
        "1"
    } else {
        "0"
    };
    build.define("NETCODE_SYS_TEST_HOOKS", hooks);

    build.compile("netcode");
}

// ------------------------------------------------------------------------------------------
// Bindings

#[cfg(not(feature = "buildtime-bindgen"))]
fn bindings(_manifest_dir: &Path, _include_dir: &Path, _out_dir: &Path) {
    // src/lib.rs includes the committed src/bindings.rs.
}

#[cfg(feature = "buildtime-bindgen")]
fn bindings(manifest_dir: &Path, include_dir: &Path, out_dir: &Path) {
    let header = manifest_dir.join("csrc").join("netcode_sys.h");
    let bindings = bindgen::Builder::default()
        .header(header.to_string_lossy())
        .clang_arg(format!("-I{}", include_dir.display()))
        .allowlist_function("netcode_.*")
        .allowlist_type("netcode_.*")
        .allowlist_var("NETCODE_.*")
        // These describe the machine that generated the bindings, not the one using them.
        .blocklist_item("NETCODE_PLATFORM.*|NETCODE_LITTLE_ENDIAN|NETCODE_BIG_ENDIAN")
        // netcode.h declares it, but netcode.c defines only netcode_client_next_send_packet_sequence:
        // a binding would fail at link time.
        .blocklist_function("netcode_client_next_packet_sequence")
        // Client states are negative; keep every constant an i32, as the C's int.
        .default_macro_constant_type(bindgen::MacroTypeVariation::Signed)
        .use_core()
        .ctypes_prefix("::libc")
        // tests/layout.rs checks sizes against the C compiler instead.
        .layout_tests(false)
        // src/lib.rs implements Default by hand, without the unsafe zeroing bindgen would write.
        // Bindings the declared rust-version compiles (no `unsafe extern` blocks before 1.82).
        .rust_target(rust_target())
        .generate()
        .unwrap_or_else(|e| fail(&format!("bindgen failed: {e}")));
    let text = format!(
        "// Generated by bindgen from csrc/netcode_sys.h and the pinned netcode.h.\n\
         // Regenerate with scripts/bindings.sh; do not edit by hand.\n\n{bindings}"
    );
    fs::write(out_dir.join("bindings.rs"), text).expect("write bindings.rs");
}

/// The package's `rust-version` as bindgen's target.
#[cfg(feature = "buildtime-bindgen")]
fn rust_target() -> bindgen::RustTarget {
    let version = env!("CARGO_PKG_RUST_VERSION");
    let minor = version
        .split('.')
        .nth(1)
        .and_then(|minor| minor.parse().ok())
        .unwrap_or_else(|| fail(&format!("rust-version {version:?} is not 1.MINOR")));
    bindgen::RustTarget::stable(minor, 0)
        .unwrap_or_else(|e| fail(&format!("bindgen cannot target Rust {version}: {e}")))
}

// ------------------------------------------------------------------------------------------

/// Stops the build with a message cargo shows in full.
fn fail(message: &str) -> ! {
    eprintln!("\nnetcode-sys: {message}\n");
    for line in message.lines() {
        println!("cargo:warning=netcode-sys: {line}");
    }
    std::process::exit(1);
}
