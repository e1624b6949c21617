#!/usr/bin/env bash
# Runs each fuzz target (fuzz/fuzz_targets/) once over every file of its seed corpus
# (fuzz/corpus/TARGET): no fuzzing, no nightly, no cargo-fuzz. The targets are built as plain
# binaries (libFuzzer linked, no coverage instrumentation); given files instead of a corpus
# directory, libFuzzer executes each once and stops at the first crash or failed assert.
# Twice: with NETCODE_FUZZ_FRESH=1, every input gets a fresh server, client or pair, so that
# pass does not depend on the files' order; then as fuzzing runs them, on rigs kept across
# inputs (TESTING.md), so the rigs' restore runs too.
# Needs libsodium-dev and pkg-config (the fuzz crate links the system libsodium).
# scripts/fuzz.sh does the fuzzing.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

cargo build -q --bins
status=0
for source in fuzz_targets/*.rs; do
  target=$(basename "$source" .rs)
  shopt -s nullglob
  inputs=(corpus/"$target"/*)
  shopt -u nullglob
  if [ ${#inputs[@]} -eq 0 ]; then
    echo "fuzz-corpus: $target has no seed corpus in fuzz/corpus/$target" >&2
    status=1
    continue
  fi
  for fresh in 1 0; do
    rigs=$([ $fresh = 1 ] && echo "fresh rigs" || echo "kept rigs")
    log=$(mktemp)
    if NETCODE_FUZZ_FRESH=$fresh target/debug/"$target" -runs=0 "${inputs[@]}" >"$log" 2>&1 \
       && [ "$(grep -c '^Executed ' "$log")" -eq ${#inputs[@]} ]; then
      echo "fuzz-corpus: $target: ${#inputs[@]} inputs on $rigs, no crash"
    else
      echo "fuzz-corpus: $target FAILED on its corpus ($rigs):" >&2
      tail -30 "$log" >&2
      status=1
    fi
    rm -f "$log"
  done
done
exit $status
