#!/usr/bin/env bash
# Compares the bodies and schemas apib-mock generates from MSON with what
# the reference parser (drafter.js 2.6.7) generates, file by file. Not a CI
# step; needs node + npm (the registry) and a built binary.
#   scripts/mson-vs-drafter.sh fixtures/mson/*.apib
set -euo pipefail
cd "$(dirname "$0")/.."
work="${DRAFTER_DIR:-$(mktemp -d)}"
if [ ! -d "$work/node_modules/drafter.js" ]; then
  (cd "$work" && npm init -y >/dev/null 2>&1 && npm install --silent drafter.js@2.6.7 >/dev/null 2>&1)
fi
cargo build --quiet
NODE_PATH="$work/node_modules" node scripts/drafter-assets.js "$@" | python3 -c '
import json, subprocess, sys
failed = 0
for line in sys.stdin:
    ref = json.loads(line)
    out = subprocess.run(["target/debug/apib-mock", "routes", "--json", ref["file"]],
                         capture_output=True, text=True)
    ours = json.loads(out.stdout) if out.stdout.strip() else []
    flat = [m for t in ours for m in (t["request"], t["response"])]
    def value(text):
        try:
            return json.loads(text) if text else None
        except ValueError:
            return text
    diffs = []
    for i, m in enumerate(ref["messages"]):
        o = flat[i] if i < len(flat) else {}
        for theirs, mine in (("messageBody", "body"), ("messageBodySchema", "schema")):
            if value(m.get(theirs)) != value(o.get(mine)):
                diffs.append(f"  message {i} {mine}:\n    drafter: {m.get(theirs)!r}\n    ours:    {o.get(mine)!r}")
    print(("DIFF " if diffs else "same ") + ref["file"])
    print("\n".join(diffs)) if diffs else None
    failed += bool(diffs)
sys.exit(1 if failed else 0)
'
