#!/usr/bin/env bash
# Shows that each patch in netcode-sys/patches is needed, one patch at a time: for each patch,
# netcode-sys is built with only that patch left out (NETCODE_SYS_SKIP_PATCH=NNNN) and that
# patch's test must FAIL, with its own message (the assertion text it prints, not just any
# failure); then every test passes with all patches applied.
#
# The left-out builds share one target directory, target/check-patches (the variable changes
# only netcode-sys and what depends on it; libsodium is built there once), so the normal
# target directory keeps its patched build. Only the test binaries named below are built.
set -euo pipefail
cd "$(dirname "$0")/.."

# patch, package, test target, test name, and the text its failure must print; one a line.
# "build:TEXT": the shim needs the patch, so without it netcode-sys must fail to build, saying
# TEXT (the patch's test then runs with every patch, below).
# Every patch file needs a line here, and its `# Test:` line must name the test.
checks=(
  "0001|netcode-sys|round_trip|ipv4_loopback|the C server could not bind 127.0.0.1:0"
  "0002|netcode-sys|patches|replay_check_stays_inside_the_slot_array|changed the user data of the last client slots"
  "0003|netcode-sys|round_trip|ipv6_loopback|the C server could not bind [::1]:0"
  "0004|netcode-sys|patches|connect_token_lifetime_starts_at_connect|(-6: connect token expired) for a token that lives 30 s"
  "0005|netcode|replay_window|a_forged_sequence_number_does_not_knock_out_a_connected_client|the server timed out a client whose packets were real"
  "0006|netcode-interop|leaks|clean_disconnects_leak_nothing|100 clean disconnects grew the heap"
  "0007|netcode-sys|patches|a_slot_keeps_no_payloads_of_a_client_that_left|the freed slot still holds a payload of the client that left"
  "0008|netcode-sys|events|events_are_recorded_where_they_happen|build:has no member named"
  "0009|netcode|logger|late_and_misbehaving_loggers|a logger installed after generate_key got no info line"
  "0020|netcode-sys|events|a_server_binds_port_zero|the C refused bind port 0"
  "0021|netcode-sys|events|every_due_timeout_in_one_update|clients still connected after one update past their timeout"
  "0022|netcode|admission|wrong_protocol_id_is_ignored_and_counted|the server counted 0 packets as wrong_protocol_id, not 2"
  "0022|netcode|admission|a_server_address_not_in_the_token_is_ignored_and_counted|the server counted 0 packets as server_address_not_in_token, not 1"
  "0023|netcode|history|a_token_is_refused_after_its_session_ended|a token whose session ended (disconnected cleanly) was answered again"
  "0023|netcode|history|a_server_started_after_a_token_was_used_refuses_it|a server started after the token was used accepted it"
  "0024|netcode|wipe|freed_servers_and_clients_hold_no_keys|bytes that were not zero when freed"
  "0025|netcode-sys|vectors_102|connection_request|build:has no member named"
  "0010|netcode-sys|empty_datagrams|empty_datagrams_do_not_delay_payloads|empty datagrams ended the receive loop"
  "0011|netcode-sys|encryption_mappings|a_client_leaving_during_a_server_stall_leaves_the_table_consistent|a client leaving during a server stall broke the encryption mappings"
  "0011|netcode-sys|encryption_mappings|a_connection_request_after_a_stall_takes_no_connected_mapping|a connection request after a server stall took a connected client's encryption mapping"
  "0012|netcode-sys|simulator_ring|duplicates_leak_nothing_once_the_ring_wraps|it leaks the packets duplicates overwrite"
  "0013|netcode-sys|sockets|the_ipv4_bind_address_is_zeroed|an IPv4 bind address reached the kernel with uninitialized padding"
  "0014|netcode-sys|sockets|a_socket_may_get_file_descriptor_zero|with fd 0 free, a server socket on 127.0.0.1 was refused"
)

status=0
complain() {
  echo "check-patches: $*" >&2
  status=1
}

# Every patch has a check, and its `# Test:` line names the test.
for file in netcode-sys/patches/*.patch; do
  number=$(basename "$file" | cut -c1-4)
  found=0
  for entry in "${checks[@]}"; do
    IFS='|' read -r patch _package _target name _message <<<"$entry"
    [ "$patch" = "$number" ] || continue
    found=1
    # The `# Test:` paragraph may wrap; join the patch's comment lines before looking.
    if ! grep '^#' "$file" | tr '\n' ' ' | grep -q "# Test:.*\`$name\`"; then
      complain "$(basename "$file"): its '# Test:' line does not name \`$name\`"
    fi
  done
  [ $found = 1 ] || complain "$(basename "$file") has no check in scripts/check-patches.sh"
done

export CARGO_TERM_COLOR=never
skipped_target="$PWD/target/check-patches"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for entry in "${checks[@]}"; do
  IFS='|' read -r patch package target name message <<<"$entry"
  if [ "${message#build:}" != "$message" ]; then
    if CARGO_TARGET_DIR="$skipped_target" NETCODE_SYS_SKIP_PATCH="$patch" \
      cargo build -q -p netcode-sys >"$log" 2>&1; then
      complain "$patch: netcode-sys BUILT with only patch $patch left out, though the shim needs it"
    elif ! grep -qF -- "${message#build:}" "$log"; then
      complain "$patch: netcode-sys failed to build with only patch $patch left out, but not for its own reason:"
      tail -20 "$log" >&2
    else
      echo "check-patches: $patch: netcode-sys does not build with only patch $patch left out, as it must: ${message#build:}"
    fi
    continue
  fi
  if CARGO_TARGET_DIR="$skipped_target" NETCODE_SYS_SKIP_PATCH="$patch" \
    cargo test -q -p "$package" --test "$target" -- --exact "$name" >"$log" 2>&1; then
    complain "$patch: $target::$name PASSED with only patch $patch left out; it does not show its patch"
  elif ! grep -q -- "---- $name stdout ----" "$log"; then
    complain "$patch: $target::$name did not run with only patch $patch left out:"
    tail -20 "$log" >&2
  elif ! grep -qF -- "$message" "$log"; then
    complain "$patch: $target::$name failed with only patch $patch left out, but not for its own reason (no \"$message\"):"
    grep -A8 -- "---- $name stdout ----" "$log" >&2
  else
    echo "check-patches: $patch: $target::$name fails with only patch $patch left out, as it must: $message"
  fi
done

# With every patch applied (the normal target directory), each of these tests passes.
for entry in "${checks[@]}"; do
  IFS='|' read -r patch package target name _message <<<"$entry"
  if cargo test -q -p "$package" --test "$target" -- --exact "$name" >"$log" 2>&1; then
    echo "check-patches: $patch: $target::$name passes with all patches"
  else
    complain "$patch: $target::$name FAILED with all patches applied:"
    tail -20 "$log" >&2
  fi
done
exit $status
