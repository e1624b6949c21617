#!/usr/bin/env bash
# Runs the whole test suite with the C (netcode.c, our shim, the interop programs) compiled
# under AddressSanitizer (with LeakSanitizer) and UndefinedBehaviorSanitizer. Any report fails
# the run. Uses its own target directory, and the system libsodium (libsodium-dev, through
# pkg-config): libsodium's own `make check`, which a source build runs, fails instrumented.
#
#   scripts/sanitize.sh [extra cargo test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

target=$(rustc -vV | sed -n 's/^host: //p')
# UBSan traps (SIGILL) instead of calling a runtime: the Rust binaries link no UBSan runtime.
export CFLAGS="-fsanitize=address,undefined -fsanitize-undefined-trap-on-error -fno-omit-frame-pointer -g -O1"
# The Rust code is not instrumented. Rust links with -nodefaultlibs, so the ASan runtime is
# linked in by hand, statically, as gcc -static-libasan does. An explicit --target keeps these
# flags off the build scripts.
asan_a=$(gcc -print-file-name=libasan.a)
asan_preinit=$(gcc -print-file-name=libasan_preinit.o)
export RUSTFLAGS="-C link-arg=$asan_preinit -C link-arg=-Wl,--whole-archive -C link-arg=$asan_a \
  -C link-arg=-Wl,--no-whole-archive -C link-arg=-lrt -C link-arg=-ldl -C link-arg=-lpthread -C link-arg=-lm"
export CARGO_TARGET_DIR=target/sanitize
# verify_asan_link_order=0: the interop tests start the C programs under coreutils' stdbuf,
# which preloads libstdbuf.so (it defines no allocator functions) ahead of the ASan runtime.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:verify_asan_link_order=0"
# The test harness's own threads and Rust statics are not leaks of ours.
export LSAN_OPTIONS="suppressions=$(pwd)/scripts/lsan.supp"

if ! pkg-config --exists libsodium; then
  echo "sanitize: needs the system libsodium: apt-get install libsodium-dev pkg-config" >&2
  exit 2
fi
# Doctests are left to the normal run: rustdoc does not take RUSTFLAGS, so they would link
# the instrumented C without the ASan runtime. So are the tests of the example tools
# (tests/tools.rs), which build the examples with cargo: not for this target and flags.
# So is the backend (backend/): pure Rust over the crate, whose own tests run here, and its
# end-to-end tests build and run the examples as processes, as tests/tools.rs does.
export NETCODE_TOOL_TESTS=skip
cargo test --workspace --exclude netcode-backend --lib --bins --tests --no-fail-fast \
  --features netcode/system-libsodium --target "$target" "$@"
echo "sanitize: the test suite passed under ASan, LSan and UBSan"
