//! The reference's own test suite (`netcode_test`, ~25 tests over its network simulator), built
//! from the verified and patched netcode.c.
//!
//! A failed check in the suite traps or exits the process, so the suite runs in a child process
//! (this same test binary, re-run with an environment variable) and this test judges the child
//! by its exit status and its closing line. The child's output is copied to this test's stdout,
//! so the suite's `*** ALL TESTS PASSED ***` shows in `cargo test` output.

use std::io::Write;
use std::process::Command;

const CHILD: &str = "NETCODE_SYS_REFERENCE_SUITE_CHILD";
const SUCCESS_LINE: &str = "*** ALL TESTS PASSED ***";

#[test]
fn reference_suite() {
    if std::env::var_os(CHILD).is_some() {
        // SAFETY: the child process runs only this test, so netcode_init is called once; the
        // suite creates and destroys everything it uses.
        unsafe {
            assert_eq!(netcode_sys::netcode_init(), 1);
            netcode_sys::netcode_test();
            libc::fflush(std::ptr::null_mut());
        }
        return;
    }

    let exe = std::env::current_exe().expect("path of this test binary");
    let output = Command::new(exe)
        .args([
            "--exact",
            "reference_suite",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .expect("run the reference suite in a child process");
    let stdout = String::from_utf8_lossy(&output.stdout);
    // Written to the real stdout: the test harness captures print!, not io::stdout().
    let _ = std::io::stdout().write_all(output.stdout.as_slice());
    let _ = std::io::stdout().flush();

    assert!(
        output.status.success(),
        "the reference suite failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(SUCCESS_LINE),
        "no `{SUCCESS_LINE}` in:\n{stdout}"
    );
}
