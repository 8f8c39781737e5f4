#!/usr/bin/env bash
# Throughput of the sandbox (`serve --sandbox`) on the seed's customers,
# next to the same routes answered as plain documented examples. Pinned
# like the harness: server on CPU 0, wrk on CPU 1, 50 connections, the
# request log off (the sandbox's own cost, not the log's). Not a CI step.
#
#   scripts/bench-sandbox.sh [BIN]        (default target/release/apib-mock)
#   D=10 scripts/bench-sandbox.sh         (seconds per measurement)
#
# Measures: GET the list with the 3 documented customers; GET one
# customer; POST a customer (each request stores one more: the state
# grows by ~600 bytes a request, --state-bytes is raised for it); GET the
# list again once it holds 100 customers.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/apib-mock}
[ "$bin" != target/release/apib-mock ] || cargo build --release -q
D=${D:-5}
port=${PORT:-18998}
base=http://127.0.0.1:$port/retailers/api/v1/customers
pid=
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null || true' EXIT
start() {
  taskset -c 0 "$bin" serve specs/retailers.apib --port "$port" --log-format off --no-watch "$@" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -s -o /dev/null "$base" && return; sleep 0.05; done
  echo "server did not start" >&2; exit 1
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }
rate() { # rate URL [lua]
  local args=(-t1 -c50 -d"${D}s")
  [ -z "${2:-}" ] || args+=(-s "$2")
  taskset -c 1 wrk "${args[@]}" "$1" 2>/dev/null | awk '/Requests\/sec/{print $2}'
}
for mode in plain sandbox; do
  if [ "$mode" = sandbox ]; then start --sandbox --state-bytes 8GiB; else start; fi
  list=$(rate "$base")
  read=$(rate "$base/4881ljusi3874")
  create=$(rate "$base" scripts/wrk/sandbox-create.lua)
  if [ "$mode" = sandbox ]; then
    stop; start --sandbox
    for _ in $(seq 97); do
      curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"customer":{"first_name":"x"}}' "$base"
    done
    list100=$(rate "$base")
  else
    list100=-
  fi
  stop
  printf '%-8s list(3) %10s  read %10s  create %10s  list(100) %10s  req/s\n' "$mode" "$list" "$read" "$create" "$list100"
done
