#!/usr/bin/env bash
# The benchmark's deterministic side: user-space instructions (valgrind's callgrind) and
# system calls (strace -c) of one run of each variant, for N clients and P-byte payloads.
# Unlike packets per second, these do not move with the machine's load, so they show what the
# wrapper adds to the plain C. Needs valgrind and strace.
#
#   scripts/bench-instructions.sh [N] [P]     (default 1 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1}
p=${2:-1000}
cargo build -q --release -p netcode-bench
bench=$PWD/target/release/netcode-bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for variant in c crate crate-0.3.1; do
  valgrind --tool=callgrind --trace-children=yes \
    --callgrind-out-file="$work/$variant.%p.cg" "$bench" --only "$variant" "$n" "$p" \
    >/dev/null 2>"$work/$variant.log"
  # Every process of the run, setup included (the C variant runs in the benchmark's process too).
  instructions=$(grep -h '^summary:' "$work/$variant".*.cg | awk '{s += $2} END {print s}')
  strace -f -c -o "$work/$variant.strace" "$bench" --only "$variant" "$n" "$p" >/dev/null 2>&1
  calls=$(awk '$NF == "sendto" || $NF == "recvfrom" {s += $4} END {print s}' "$work/$variant.strace")
  echo "$variant $instructions $calls"
done | awk -v n="$n" -v p="$p" '
  { name[NR] = $1; ir[NR] = $2; sc[NR] = $3 }
  END {
    printf "N=%s P=%s: user-space instructions and sendto+recvfrom calls of one run\n", n, p
    printf "| variant | instructions | vs c | sendto+recvfrom | vs c |\n|---|---|---|---|---|\n"
    for (i = 1; i <= NR; i++)
      printf "| %s | %.0f | %.4f | %.0f | %.4f |\n", name[i], ir[i], ir[i] / ir[1], sc[i], sc[i] / sc[1]
  }'
