#!/usr/bin/env bash
# After the zoo's device calls, on this (CPU) machine: unpack what the calls returned, export each
# architecture to its model folder (int8 ONNX, manifest, fixtures), record its training report and
# PyTorch results in models/results/ARCH.json and keep the device logs.
#
#   bash models/python/zoo_import.sh RETURNED_DIR ["ARCHS"]     # default: all of statewise_models/registry.py
#
# RETURNED_DIR holds one folder per device call (any names), each with the files that call's $OUT
# brought back: report.tar.xz and ckpt.tar.xz.part-* (and rest.tar.xz.part-* from `gpu.sh fetch`).
# MODELS_OUT (default models) and RESULTS_OUT (default models/results) move the outputs elsewhere (the
# smoke test writes to a scratch folder); PY is a python with torch and onnx (Debian: /usr/bin/python3);
# EXPORT_ARGS go to export_onnx.py (griffin since runs 4-6: --ask-layout excerpt).
# It stops with a clear message when an architecture's checkpoint or report is missing, and prints
# results_table.budget_line: whether the runs had the same tokens and token streams.
# Then: npm run build; node --import tsx --test test/engine/onnx-parity.test.ts;
#       bash scripts/eval-zoo.sh "ARCHS"; python3 models/python/results_table.py
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RET=$(cd "$1" && pwd); ARCHS=${2:-$(cd "$ROOT/models/python" && python3 -m statewise_models.registry)}
PY=${PY:-/usr/bin/python3}; MODELS_OUT=${MODELS_OUT:-$ROOT/models}; RESULTS_OUT=${RESULTS_OUT:-$ROOT/models/results}
mkdir -p "$MODELS_OUT" "$RESULTS_OUT/logs"
Z=$(mktemp -d); trap 'rm -rf "$Z"' EXIT

# 1. unpack every call's returns into Z/CALL/ (checkpoints and reports of one call land in one run-ARCH/)
for d in "$RET"/*/; do
  c=$(basename "$d"); mkdir -p "$Z/$c"
  [ -f "$d/report.tar.xz" ] && tar xJf "$d/report.tar.xz" -C "$Z/$c"
  for p in ckpt rest; do
    ls "$d"/$p.tar.xz.part-* >/dev/null 2>&1 && cat "$d"/$p.tar.xz.part-* | tar xJf - -C "$Z/$c"
  done
done

# 2. per architecture: the call that trained it
declare -A RUN
for a in $ARCHS; do
  for r in "$Z"/*/run-"$a"; do
    [ -f "$r/model-q8.pt" ] && [ -f "$r/train_report.json" ] && RUN[$a]=$r
  done
  [ -n "${RUN[$a]:-}" ] || { echo "zoo_import: no model-q8.pt with a train_report.json for $a in $RET (did its call return it?)" >&2; exit 1; }
done
(cd "$ROOT/models/python" && "$PY" - "$ARCHS" "${RUN[@]}") <<'EOF'
import json, os, sys
from results_table import budget_line
archs, runs = sys.argv[1].split(), sys.argv[2:]
tr = {a: json.load(open(os.path.join(r, "train_report.json")))["train"] for a, r in zip(archs, runs)}
for a, t in tr.items():
    print(f"{a}: {t['steps']} of {t['planned_steps']} planned steps, {t['tokens_seen'] / 1e6:.1f}M tokens, streams {t.get('stream_sha1')}, {t['device']}")
print("zoo_import: " + budget_line(tr))
EOF

# 3. the parity sample: the text the shipped fixtures use, tokenized by the engine's tokenizer
TOK=$ROOT/models/hawk/tokenizer.json
"$PY" -c 'import json,sys; open(sys.argv[2], "w").write(json.load(open(sys.argv[1]))["text"])' "$ROOT/models/hawk/fixture.json" "$Z/sample.ts"
(cd "$ROOT" && node --import tsx models/python/encode_ids.ts "$TOK" "$Z/sample.ts" "$Z/ids.json" "$Z/ids.txt")

# 4. export and record
for a in $ARCHS; do
  r=${RUN[$a]}
  echo "== export $a from $r"
  (cd "$ROOT/models/python" && "$PY" export_onnx.py --ckpt "$r/model-q8.pt" --tokenizer "$TOK" --out "$MODELS_OUT/$a" \
     --report "$r/train_report.json" --sample-text "$Z/sample.ts" --sample-ids "$Z/ids.json" --sample-ids-text "$Z/ids.txt" ${EXPORT_ARGS:-})
  "$PY" - "$r" "$RESULTS_OUT/$a.json" <<'EOF'
import json, os, sys
run, out = sys.argv[1], sys.argv[2]
rep = json.load(open(os.path.join(run, "train_report.json")))
res = {k: rep[k] for k in ("arch", "config", "params", "train", "heldout")}
ex = os.path.join(run, "extrapolation.json")
res["extrapolation"] = json.load(open(ex)) if os.path.exists(ex) else None
json.dump(res, open(out, "w"), indent=1)
print(f"{out}: held-out {res['heldout'] and round(res['heldout']['bits_per_byte'], 4)} bits/byte, extrapolation {'yes' if res['extrapolation'] else 'none'}")
EOF
  for f in "$(dirname "$r")"/logs/train-"$a".log "$(dirname "$r")"/logs/extrap-"$a".log; do
    [ -f "$f" ] && cp "$f" "$RESULTS_OUT/logs/"
  done
done
for d in "$Z"/*/logs; do [ -f "$d/prep.log" ] && cp "$d/prep.log" "$RESULTS_OUT/logs/prep-$(basename "$(dirname "$d")").log"; done
echo "zoo_import: exported $ARCHS to $MODELS_OUT, results in $RESULTS_OUT"
