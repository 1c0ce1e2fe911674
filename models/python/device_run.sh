#!/usr/bin/env bash
# Runs on the GPU machine from the repository root: tests, tokenizer (when asked), training, export,
# parity; packs the model folder into $OUT (split into 15 MB parts for the transfer back).
#   bash models/python/device_run.sh CORPUS_DIR BUDGET_S [LIMIT_BYTES] [TRAIN_TOKENIZER=0|1] [ARCH]
set -euo pipefail
CORPUS_SRC=$1; BUDGET=$2; LIMIT=${3:-0}; NEWTOK=${4:-0}; ARCH=${5:-hawk}
ROOT=$PWD; W=/tmp/sw; mkdir -p "$W/corpus"; OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
exec > >(tee -a "$OUT/run.log") 2>&1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
for f in train heldout; do
  [ -f "$W/corpus/$f.jsonl" ] || xz -dc -T16 "$CORPUS_SRC/$f.jsonl.xz" > "$W/corpus/$f.jsonl"
done
ls -la "$W/corpus"
cd "$ROOT/models/python"
timeout 300 python3 -m pytest -q -x tests 2>&1 | tail -5
TOK="$ROOT/models/$ARCH/tokenizer.json"
if [ "$NEWTOK" = 1 ] || [ ! -f "$TOK" ]; then
  mkdir -p "$ROOT/models/$ARCH"
  python3 train_tokenizer.py --corpus "$W/corpus" --out "$TOK" --sample-bytes $([ "$LIMIT" = 0 ] && echo 100000000 || echo 20000000)
fi
python3 train.py --arch "$ARCH" --corpus "$W/corpus" --tokenizer "$TOK" --out "$W/run" --budget-s "$BUDGET" --limit-bytes "$LIMIT"
SAMPLE=$(python3 -c "
import json
for l in open('$W/corpus/heldout.jsonl'):
    p=json.loads(l)
    for f in p['files']:
        if 3000 < len(f['text']) < 20000:
            open('/tmp/sample.ts','w').write(f['text']); print('/tmp/sample.ts'); raise SystemExit
")
python3 export_onnx.py --ckpt "$W/run/model.pt" --tokenizer "$TOK" --out "$W/export" --report "$W/run/train_report.json" --sample-text "$SAMPLE" && python3 eval_onnx.py --model-dir "$W/export" --heldout "$W/corpus/heldout.jsonl" --max-tokens 20000
cp "$W/run/train_report.json" "$OUT/"
(cd "$W/export" && tar cf - .) | split -b 15M - "$OUT/model.tar.part-"
ls -la "$OUT"
