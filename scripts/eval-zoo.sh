#!/usr/bin/env bash
# The CPU half of the model table (models/README.md): every eval command for each architecture, JSON
# into models/results/eval-ARCH.json. Sample sizes are flags (defaults: ~8.5 min per architecture on a 2-core machine, hawk measured).
#   bash scripts/eval-zoo.sh "hawk griffin based alibi linearized" [LINES] [RECALL] [QA]
set -euo pipefail
cd "$(dirname "$0")/.."
ARCHS=${1:-"hawk griffin based alibi linearized"}; LINES=${2:-40}; RECALL=${3:-10}; QA=${4:-6}
H=$(mktemp -d)
node -e '
const zlib = require("zlib"), fs = require("fs"), path = require("path");
const rows = zlib.gunzipSync(fs.readFileSync("models/eval/heldout.jsonl.gz")).toString().trim().split("\n").map(JSON.parse);
let n = 0;
for (const r of rows) { if (n >= 20) break; const f = path.join(process.argv[1], String(n++) + "-" + path.basename(r.path)); fs.writeFileSync(f, r.text); }
' "$H"
for a in $ARCHS; do
  out=models/results/eval-$a.json
  echo "== $a $(date +%T)"
  bpb=$(node dist/cli.js eval bpb --arch "$a" --ep cpu --files "$H"/* --json)
  lines=$(node dist/cli.js eval lines --arch "$a" --ep cpu --samples "$LINES" --json)
  recall=$(node dist/cli.js eval recall --arch "$a" --ep cpu --distances 512,2048,8192,32768 --variants same,cross,control --samples "$RECALL" --json)
  extrap=$(node dist/cli.js eval extrapolation --arch "$a" --ep cpu --max-windows 2 --json)
  qa=$(node dist/cli.js eval qa --arch "$a" --ep cpu --samples "$QA" --json)
  printf '{"arch": "%s", "bpb": %s, "lines": %s, "recall": %s, "extrapolation": %s, "qa": %s}\n' "$a" "$bpb" "$lines" "$recall" "$extrap" "$qa" > "$out"
  echo "   -> $out $(date +%T)"
done
rm -rf "$H"
