#!/usr/bin/env bash
# The soak program (interop/src/bin/soak.rs: 64 clients over the simulator, 10 % loss, jitter,
# duplicates, connecting and disconnecting over and over) under valgrind's memcheck. Fails on
# any memory error or any definite, indirect or possible leak.
#
#   scripts/soak-valgrind.sh [SIMULATED_SECONDS]   (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "soak-valgrind: install valgrind (apt-get install valgrind)" >&2; exit 2; }

cargo build -q -p netcode-interop --bin soak
valgrind --quiet --error-exitcode=1 --leak-check=full \
  --errors-for-leak-kinds=definite,indirect,possible --show-leak-kinds=definite,indirect,possible \
  target/debug/soak "${1:-60}"
echo "soak-valgrind: no memory errors, no leaks"
