#!/usr/bin/env bash
# Regenerates netcode-sys/src/bindings.rs with bindgen (needs libclang: apt-get install
# libclang-dev), or with --check, fails if the committed file differs from a fresh generation.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-write}
messages=$(cargo build -p netcode-sys --features buildtime-bindgen --message-format=json)
out_dir=$(printf '%s\n' "$messages" | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "build-script-executed" and m["package_id"].find("netcode-sys") >= 0:
        print(m["out_dir"])
')
generated="$out_dir/bindings.rs"
committed=netcode-sys/src/bindings.rs

case "$mode" in
  write)
    cp "$generated" "$committed"
    echo "wrote $committed"
    ;;
  --check)
    if ! diff -u "$committed" "$generated"; then
      echo "error: $committed is out of date; run scripts/bindings.sh and commit the result" >&2
      exit 1
    fi
    echo "bindings: $committed matches a fresh bindgen run"
    ;;
  *)
    echo "usage: scripts/bindings.sh [--check]" >&2
    exit 2
    ;;
esac
