#!/usr/bin/env bash
# Shows that each patch in netcode-sys/patches is needed: its test must FAIL when netcode-sys is
# built from the unpatched reference (NETCODE_SYS_UNPATCHED=1), and pass otherwise (the normal
# test run). Rebuilds only netcode-sys, twice.
set -euo pipefail
cd "$(dirname "$0")/.."

# package, test target and test name, one line a patch
tests=(
  "netcode-sys round_trip ipv4_loopback"                                   # 0001 IPv4 byte order
  "netcode-sys patches replay_check_stays_inside_the_slot_array"           # 0002 replay pointer for slot -1
  "netcode-sys round_trip ipv6_loopback"                                   # 0003 address port scan
  "netcode-sys patches connect_token_lifetime_starts_at_connect"           # 0004 connect start time
  "netcode replay_window a_forged_sequence_number_does_not_knock_out_a_connected_client"  # 0005 replay window
  "netcode-interop leaks clean_disconnects_leak_nothing"                 # 0006 disconnect packet leak
  "netcode-sys patches a_slot_keeps_no_payloads_of_a_client_that_left"      # 0007 queue outlives client
)

status=0
for entry in "${tests[@]}"; do
  read -r package target name <<<"$entry"
  if NETCODE_SYS_UNPATCHED=1 cargo test -q -p "$package" --test "$target" -- --exact "$name" >/tmp/netcode-unpatched.log 2>&1; then
    echo "check-patches: $target::$name PASSED without the patch set; it does not show its patch" >&2
    status=1
  else
    if grep -qx "    $name" /tmp/netcode-unpatched.log; then
      echo "check-patches: $target::$name fails on the unpatched reference, as it must"
    else
      echo "check-patches: $target::$name did not run on the unpatched reference:" >&2
      tail -20 /tmp/netcode-unpatched.log >&2
      status=1
    fi
  fi
done
# Leave the patched build in place for whatever runs next.
cargo build -q --workspace
exit $status
