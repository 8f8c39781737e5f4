#!/usr/bin/env bash
# Fuzzes the parser (and MSON and URI templates on their own, and the
# request body scanner against serde_json) with
# cargo-fuzz / libFuzzer. Not a CI step. Needs the nightly toolchain and
# cargo-fuzz (`cargo install cargo-fuzz`).
#
#   scripts/fuzz.sh                 # parse for 10 minutes, the others 3 each
#   SECONDS_PER_TARGET=60 scripts/fuzz.sh parse
#
# The seed corpus is built from specs/, fixtures/ and, when present, the
# shared example corpus (copied into fuzz/corpus/, which is not committed).
# A crash leaves its input in fuzz/artifacts/TARGET/: turn it into a
# regression test (tests/it/properties.rs or a fixture) before fixing it.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${APIB_MOCK_SHARED:-../shared}
targets=${*:-parse mson uri_template json_shape}
for target in $targets; do
  corpus=fuzz/corpus/$target
  mkdir -p "$corpus"
  case $target in
    uri_template)
      grep -rhoE '\[(GET |POST |PUT |PATCH |DELETE )?/[^]]*\]' specs fixtures | tr -d '[]' |
        sed -E 's/^(GET|POST|PUT|PATCH|DELETE) //' | sort -u | while read -r t; do
          printf '%s' "$t" > "$corpus/$(printf '%s' "$t" | md5sum | cut -c1-16)"
        done
      ;;
    json_shape)
      # Every JSON body of the seed spec, one per file.
      python3 - "$corpus" <<'PY'
import json, pathlib, re, sys
text = pathlib.Path("specs/retailers.apib").read_text()
for i, block in enumerate(re.findall(r"\+ Body\n\n((?:\s{12}.*\n|\n)+)", text)):
    body = "\n".join(line[12:] for line in block.splitlines()).strip()
    if body.startswith(("{", "[")):
        pathlib.Path(sys.argv[1], f"seed-{i}.json").write_text(body)
PY
      ;;
    *)
      find specs fixtures -name '*.apib' -o -name '*.md' | while read -r f; do cp "$f" "$corpus/"; done
      if [ -d "$shared/corpus" ]; then
        find "$shared/corpus/api-blueprint-examples" "$shared/corpus/drafter-fixtures" -name '*.apib' |
          while read -r f; do cp "$f" "$corpus/$(echo "$f" | md5sum | cut -c1-16).apib"; done
      fi
      ;;
  esac
  default=180
  [ "$target" = parse ] && default=600
  secs=${SECONDS_PER_TARGET:-$default}
  echo "== $target: $(ls "$corpus" | wc -l) seed inputs, ${secs}s"
  (cd fuzz && cargo +nightly fuzz run "$target" -O -- -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=4096 2>&1 | tail -n 25)
done
