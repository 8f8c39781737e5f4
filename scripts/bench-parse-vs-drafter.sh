#!/usr/bin/env bash
# Parse time of apib-mock (criterion) next to the reference parser
# drafter.js 2.6.7 on the same generated blueprints. Not a CI step.
#   scripts/bench-parse-vs-drafter.sh            # 500 1000 2000 4000 actions
# Needs node + npm (the registry) for drafter.js, installed in a temp dir.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm init -y >/dev/null 2>&1 && npm install --silent drafter.js@2.6.7 >/dev/null 2>&1)
cargo build --release --example gen_blueprint -q
for n in 500 1000 2000 4000; do
  target/release/examples/gen_blueprint "$n" > "$work/gen$n.apib"
  NODE_PATH="$work/node_modules" node scripts/drafter-timing.js "$work/gen$n.apib" 5
done
NODE_PATH="$work/node_modules" node scripts/drafter-timing.js specs/retailers.apib 20
cargo bench --bench parse 2>&1 | grep -E '^parse/|time:'
