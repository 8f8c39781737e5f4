#!/usr/bin/env bash
# Soak: the release server under constant load for 5 minutes while its spec
# is rewritten every second; checks zero failed and zero wrong answers, RSS
# flat (within 10% of after warm-up) and no file descriptor leak. Not a CI
# step. Figures go to docs/reliability.md.
#   scripts/soak.sh                       # 300 s, 4 clients
#   scripts/soak.sh --seconds 60 --clients 2
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
cargo build --release -q --example soak
exec target/release/examples/soak "$@"
