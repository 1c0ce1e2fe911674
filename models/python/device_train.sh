#!/usr/bin/env bash
# Full training on the GPU machine in two device calls (each call may run 10 minutes at most; the
# training runs detached in between, on the same warm machine):
#   bash models/python/device_train.sh start CORPUS_DIR BUDGET_S [ARCH]   # tokenizer, data, training
#   bash models/python/device_train.sh finish [ARCH]                     # wait, export, evaluate, pack
set -euo pipefail
CMD=$1; ROOT=$PWD; W=/tmp/sw; OUT=${OUT:-/tmp/out}; mkdir -p "$W/corpus" "$OUT"
export PYTHONUNBUFFERED=1
cd "$ROOT/models/python"
if [ "$CMD" = start ]; then
  CORPUS_SRC=$2; BUDGET=$3; ARCH=${4:-hawk}
  T0=$(date +%s)
  nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
  case "$CORPUS_SRC" in /*) ;; *) CORPUS_SRC="$ROOT/$CORPUS_SRC" ;; esac
  # the corpus may arrive in parts (a run carries at most 64 MiB): join train.jsonl.xz.part-* first
  [ -f "$CORPUS_SRC/train.jsonl.xz" ] || cat "$CORPUS_SRC"/train.jsonl.xz.part-* > "$CORPUS_SRC/train.jsonl.xz"
  for f in train heldout; do xz -dc -T16 "$CORPUS_SRC/$f.jsonl.xz" > "$W/corpus/$f.jsonl"; done
  ls -la "$W/corpus"
  (timeout 300 python3 -m pytest -q tests 2>&1 || true) | tail -15 | tee "$OUT/pytest.log"
  mkdir -p "$W/tok"
  if [ "$ARCH" != hawk ] && [ -f "$ROOT/models/hawk/tokenizer.json" ] && [ "${NEWTOK:-0}" != 1 ]; then
    cp "$ROOT/models/hawk/tokenizer.json" "$W/tok/tokenizer.json"   # every architecture shares Hawk's tokenizer
  else
    python3 train_tokenizer.py --corpus "$W/corpus" --out "$W/tok/tokenizer.json" --sample-bytes 100000000 2>&1 | tee "$OUT/tokenizer.log"
  fi
  cp "$W/tok/tokenizer.json" "$OUT/"
  setsid nohup python3 train.py --arch "$ARCH" --corpus "$W/corpus" --tokenizer "$W/tok/tokenizer.json" --out "$W/run" \
    --budget-s "$BUDGET" > "$W/train.log" 2>&1 < /dev/null &
  echo "training started (pid $!)"
  while [ $(( $(date +%s) - T0 )) -lt 560 ] && ! grep -q "held-out:" "$W/train.log" 2>/dev/null; do sleep 10; done
  tail -5 "$W/train.log"; cp "$W/train.log" "$OUT/"
else
  ARCH=${2:-hawk}
  while ! grep -q "held-out:\|Traceback" "$W/train.log"; do sleep 5; done
  while pgrep -f "train.py --arch" > /dev/null; do sleep 2; done
  grep -E "data:|model |ms/step|step .*(500|1000|1500|2000|2500|3000)/|trained|held-out" "$W/train.log" | tail -20
  cp "$W/train.log" "$W/run/train_report.json" "$OUT/"
  SAMPLE=$(python3 -c "
import json
for l in open('$W/corpus/heldout.jsonl'):
    p=json.loads(l)
    for f in p['files']:
        if f['path'].endswith('.ts') and 3000 < len(f['text']) < 20000:
            open('/tmp/sample.ts','w').write(f['text']); print('/tmp/sample.ts'); raise SystemExit
")
  python3 export_onnx.py --ckpt "$W/run/model.pt" --tokenizer "$W/tok/tokenizer.json" --out "$W/export" --report "$W/run/train_report.json" --sample-text "$SAMPLE" 2>&1 | grep -v Warning | tee "$OUT/export.log"
  python3 eval_onnx.py --model-dir "$W/export" --heldout "$W/corpus/heldout.jsonl" --max-tokens 200000 | tee "$OUT/eval_onnx.json"
  python3 - "$W/export/manifest.json" "$OUT/eval_onnx.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1])); e = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
m["heldoutOnnx"] = e
json.dump(m, open(sys.argv[1], "w"), indent=1)
PY
  python3 -c "import torch; ck=torch.load('$W/run/model.pt'); torch.save({k:(v.half() if v.is_floating_point() else v) for k,v in ck['state_dict'].items()}, '$W/ckpt16.pt'); import json; json.dump({'arch':ck['arch'],'config':ck['config']}, open('$W/ckpt16.json','w'))"
  (cd "$W/export" && tar cf - .) | split -b 15M - "$OUT/model.tar.part-"
  ls -la "$OUT"
fi
