#!/usr/bin/env bash
# Builds and runs one fuzz target (fuzz/fuzz_targets/) with cargo-fuzz on the stable toolchain
# (RUSTC_BOOTSTRAP=1). netcode.c and our shim are compiled by clang with libFuzzer's coverage
# hooks, so the fuzzer is guided by the C's branches too. Needs: cargo install cargo-fuzz;
# apt-get install clang-14 libsodium-dev pkg-config.
#
#   scripts/fuzz.sh TARGET [SECONDS]     (default 300; the corpus is fuzz/corpus/TARGET)
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
target=${1:?usage: scripts/fuzz.sh TARGET [SECONDS]}
seconds=${2:-300}

export RUSTC_BOOTSTRAP=1
export CC=clang-14
# The two functions fuzz/coverage-ignorelist.txt names (reached by the rigs' handshakes only)
# get no coverage hooks.
export CFLAGS="-fsanitize=fuzzer-no-link -fsanitize-coverage-ignorelist=$PWD/coverage-ignorelist.txt -g -O1"
mkdir -p "corpus/$target"
# A scratch copy of the corpus takes the new inputs; the committed seeds stay small.
work=$(mktemp -d)
cp -r "corpus/$target/." "$work/" 2>/dev/null || true
cargo fuzz run "$target" "$work" -- -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=4096
rm -rf "$work"
