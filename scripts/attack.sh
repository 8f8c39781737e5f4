#!/usr/bin/env bash
# The attacks of docs/reliability.md's attack table (examples/attack.rs),
# against each BIN given (default: this checkout's release build). Each
# attack is bounded in time and traffic and stays on loopback; together
# they take about two minutes per binary. Run from anywhere:
#
#   scripts/attack.sh [BIN...]            # every attack
#   ATTACKS="bodies rebind" scripts/attack.sh BIN
set -euo pipefail
cd "$(dirname "$0")/.."
# Room for the slow-body attack's 1,000 connections (client and server).
ulimit -n 4096 2>/dev/null || true
cargo build --release --example attack --quiet
bins=("$@")
if [ ${#bins[@]} -eq 0 ]; then
  cargo build --release --quiet
  bins=(target/release/apib-mock)
fi
for bin in "${bins[@]}"; do
  echo "== $bin"
  # shellcheck disable=SC2086
  target/release/examples/attack "$bin" ${ATTACKS:-}
done
