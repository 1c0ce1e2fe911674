#!/usr/bin/env bash
# The CPU half of the model table (models/README.md): every eval command for each architecture, JSON
# into models/results/eval-ARCH.json, and the completion benchmark into models/results/lines-ARCH.json
# (every layout and the trivial baseline on the same cursors; docs/completion.md). Sample sizes are flags.
#   bash scripts/eval-zoo.sh "hawk griffin based alibi linearized" [LINES] [RECALL] [QA]
set -euo pipefail
cd "$(dirname "$0")/.."
ARCHS=${1:-"hawk griffin based alibi linearized"}; LINES=${2:-210}; RECALL=${3:-10}; QA=${4:-6}
H=$(mktemp -d)
node -e '
const zlib = require("zlib"), fs = require("fs"), path = require("path");
const rows = zlib.gunzipSync(fs.readFileSync("models/eval/heldout.jsonl.gz")).toString().trim().split("\n").map(JSON.parse);
let n = 0;
for (const r of rows) { const f = path.join(process.argv[1], String(n++) + "-" + path.basename(r.path)); fs.writeFileSync(f, r.text); }
' "$H"
for a in $ARCHS; do
  out=models/results/eval-$a.json
  echo "== $a $(date +%T)"
  node dist/cli.js eval lines --arch "$a" --ep cpu --samples "$LINES" --layout product,no-defs,plain,fim,suffix-first --per-sample --json > "models/results/lines-$a.json"
  bpb=$(node dist/cli.js eval bpb --arch "$a" --ep cpu --files "$H"/* --json)
  recall=$(node dist/cli.js eval recall --arch "$a" --ep cpu --distances 128,512,2048,8192,32768 --variants same,cross,control --samples "$RECALL" --json)
  extrap=$(node dist/cli.js eval extrapolation --arch "$a" --ep cpu --max-windows 2 --json)
  qa=$(node dist/cli.js eval qa --arch "$a" --ep cpu --samples "$QA" --json)
  printf '{"arch": "%s", "bpb": %s, "recall": %s, "extrapolation": %s, "qa": %s}\n' "$a" "$bpb" "$recall" "$extrap" "$qa" > "$out"
  echo "   -> $out, models/results/lines-$a.json $(date +%T)"
done
rm -rf "$H"
