#!/usr/bin/env bash
# Rewrites tests/data/golden.txt from the pinned C (netcode-sys/tests/golden.rs), then checks
# both golden tests against the new file and shows what changed. Review the diff before
# committing it: the golden vectors are the wire format this crate promises to keep.
# NETCODE_GOLDEN_WRITE alone (a stray variable) makes the test fail; this script also sets the
# confirmation the test asks for.
set -euo pipefail
cd "$(dirname "$0")/.."

NETCODE_GOLDEN_WRITE=1 NETCODE_GOLDEN_WRITE_CONFIRM="rewrite tests/data/golden.txt" \
  cargo test -q -p netcode-sys --test golden -- --exact vectors_match_the_golden_file
env -u NETCODE_GOLDEN_WRITE -u NETCODE_GOLDEN_WRITE_CONFIRM cargo test -q -p netcode-sys --test golden
env -u NETCODE_GOLDEN_WRITE -u NETCODE_GOLDEN_WRITE_CONFIRM cargo test -q --test golden
if git diff --quiet -- tests/data/golden.txt; then
  echo "golden-write: tests/data/golden.txt is unchanged"
else
  echo "golden-write: tests/data/golden.txt changed; review before committing:"
  git diff --stat -- tests/data/golden.txt
fi
