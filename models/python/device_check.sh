#!/usr/bin/env bash
# A short device call that checks the training path under the device's torch before a long one:
# the Python tests, reference vs fast training-step times (bench_train.py, JSON to $OUT), and
# STEPS compiled steps of every architecture side by side on a synthetic token stream.
#   bash models/python/device_check.sh [STEPS] [BENCH_S] [TRAIN_S]
set -uo pipefail
OUT=${OUT:-/tmp/out}; PY=${PY:-python3}; STEPS=${1:-30}; BENCH_S=${2:-60}; TRAIN_S=${3:-80}
mkdir -p "$OUT"; cd "$(dirname "$0")"
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=3
T0=$(date +%s)
timeout 40 $PY -m pytest -q tests 2>&1 | tail -3
echo "tests at $(( $(date +%s) - T0 )) s"
timeout "$BENCH_S" $PY bench_train.py --batch 16 --seq 2048 --repeats 3 --out "$OUT/bench-train.json" 2>&1 | grep -v Warning
echo "bench at $(( $(date +%s) - T0 )) s"
W=/tmp/check; mkdir -p "$W"
$PY -c 'import numpy as np, json, sys
r = np.random.default_rng(0)
np.savez(sys.argv[1], train=r.integers(0, 16384, 4_000_000).astype(np.uint16), eval=r.integers(0, 16384, 40_000).astype(np.uint16),
         eval_mask=np.ones(40_000, bool), eval_bytes=np.array(160_000), info=np.array(json.dumps({"packages": 0, "bytes": 16_000_000})))' "$W/fake.npz"
for a in hawk griffin based alibi linearized; do
  cfg='{}'; [ "$a" = alibi ] && cfg='{"train_cache": false}'
  timeout "$TRAIN_S" $PY train.py --arch "$a" --corpus none --tokenizer ../hawk/tokenizer.json --stream-npz "$W/fake.npz" --out "$W/run-$a" \
    --batch 16 --max-steps "$STEPS" --compile 1 --config "$cfg" > "$W/train-$a.log" 2>&1 &
done
wait
for a in hawk griffin based alibi linearized; do echo "$a: $(grep -hE "trained|held-out|Error" "$W/train-$a.log" | cut -c1-160 | tr '\n' ' ')"; done
tar cf - -C "$W" $(cd "$W" && ls train-*.log) | xz > "$OUT/check-logs.tar.xz"
echo "done at $(( $(date +%s) - T0 )) s"
