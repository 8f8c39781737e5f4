#!/usr/bin/env bash
# Interleaved A/B of apib-mock builds against the bare hyper server
# (limit-fixed from ../shared/bench), pinned like the harness: server on
# CPU 0, wrk on CPU 1, 50 connections. Each round measures limit-fixed and
# then every binary, GET agents and the 3-parameter notification POST;
# prints per-round req/s and the median ratio to limit-fixed per binary.
# Single runs move by ±4% on this machine: compare medians of rounds.
#
#   scripts/ab-serve.sh target/release/apib-mock /tmp/old-apib-mock
#   ROUNDS=5 D=4 scripts/ab-serve.sh BIN...   (D: seconds per measurement)
#
# BENCH_DIR=/path/to/bench-copy reuses an installed harness copy; a
# binary may be a wrapper script adding flags (`exec BIN "$@" --log-format off`).
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${APIB_MOCK_SHARED:-$PWD/../shared}
bench=${BENCH_DIR:-$(mktemp -d)/bench}
[ -d "$bench" ] || cp -r "$shared/bench" "$bench"
"$bench/run.sh" --setup >/dev/null
ROUNDS=${ROUNDS:-4}
D=${D:-4}
port=${PORT:-18999}
agents=http://127.0.0.1:$port/retailers/api/v1/agents
notify=http://127.0.0.1:$port/retailers/api/v1/whatsapp/send_notification_by_id
pid=
# Server output goes to a file, as in the harness (the request log is
# part of the cost measured).
own_log=
if [ -z "${SERVER_LOG:-}" ]; then own_log=$(mktemp); fi
server_log=${SERVER_LOG:-$own_log}
start() {
  taskset -c 0 "$@" >>"$server_log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -s -o /dev/null "$agents" && return; sleep 0.05; done
  echo "server did not start: $*" >&2
  exit 1
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; : >"$server_log"; }
trap '{ [ -n "$pid" ] && kill "$pid" 2>/dev/null; } || true; [ -z "$own_log" ] || rm -f "$own_log"' EXIT
load() {
  local lua=$1 url=$2
  taskset -c 1 wrk -t1 -c50 -d1s -s "$bench/wrk/$lua" "$url" >/dev/null 2>&1
  taskset -c 1 wrk -t1 -c50 -d"${D}s" -s "$bench/wrk/$lua" "$url" 2>/dev/null | awk '/Requests\/sec/{print $2}'
}
declare -A ratios
for r in $(seq "$ROUNDS"); do
  start "$bench/limit-server/target/release/limit-server" fixed --port "$port"
  fg=$(load get.lua "$agents"); fp=$(load post.lua "$notify"); stop
  line="round $r: limit-fixed $fg $fp"
  for bin in "$@"; do
    start "$bin" serve "$bench/seed.apib" --port "$port"
    g=$(load get.lua "$agents"); p=$(load post.lua "$notify"); stop
    ratios[$bin]="${ratios[$bin]:-} $(echo "$g / $fg" | bc -l) $(echo "$p / $fp" | bc -l)"
    line="$line | $bin $g $p"
  done
  echo "$line"
done
for bin in "$@"; do
  echo "${ratios[$bin]}" | python3 -c "
import statistics as s, sys
v = list(map(float, sys.stdin.read().split()))
g, p = v[0::2], v[1::2]
print('$bin: GET %.3f (%.3f-%.3f)  POST %.3f (%.3f-%.3f)  median ratio to limit-fixed (min-max)'
      % (s.median(g), min(g), max(g), s.median(p), min(p), max(p)))"
done
