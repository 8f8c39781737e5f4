#!/usr/bin/env bash
# Load benchmark of `apib-mock serve` with the shared harness (../shared/bench):
# apib-mock next to a bare hyper server (limit-fixed) and a hyper router
# (limit-route) in one run, then apib-mock again with the seed plus a
# generated 10,000-action spec. Not a CI step: takes ~10 minutes.
#
#   scripts/bench-serve.sh                 # pinned mode, 3 rounds of 10 s
#   MODES='pinned unpinned' SERVERS='limit-fixed limit-route drakov prism wiremock mockoon' scripts/bench-serve.sh
#
# Results: $OUT/seed/summary.md and $OUT/big/summary.md (OUT defaults to a temp dir).
# BENCH_DIR=/path/to/bench-copy reuses an installed harness copy.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
shared=${APIB_MOCK_SHARED:-$root/../shared}
# BENCH_DIR reuses a copy where the peers are already installed.
bench=${BENCH_DIR:-$(mktemp -d)/bench}
[ -d "$bench" ] || cp -r "$shared/bench" "$bench"
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
"$bench/run.sh" --setup >/dev/null
cargo build --release -q
cargo build --release -q --example gen_blueprint
target/release/examples/gen_blueprint 10000 > "$out/gen10000.apib"

export MODES=${MODES:-pinned} ROUNDS=${ROUNDS:-3} DURATION=${DURATION:-10} WARMUP=${WARMUP:-5}
SERVERS=${SERVERS:-limit-fixed limit-route} EXTRA_NAME=apib-mock \
  EXTRA_CMD="$root/target/release/apib-mock serve {spec} --port {port}" \
  OUT_DIR="$out/seed" "$bench/run.sh"
SERVERS=limit-fixed EXTRA_NAME=apib-mock-10k \
  EXTRA_CMD="$root/target/release/apib-mock serve {spec} $out/gen10000.apib --port {port}" \
  OUT_DIR="$out/big" "$bench/run.sh"
echo "results: $out/seed/summary.md $out/big/summary.md"
