#!/usr/bin/env bash
# Train several architectures side by side on ONE GPU in ONE device call, with the same data and the
# same number of steps (train.py --sync-dir), then measure extrapolation and pack int8 checkpoints.
# ONNX export runs afterwards on the CPU machine (export_onnx.py), so only ~1.06 bytes per parameter
# travel back.
#
#   bash models/python/device_zoo.sh CORPUS_DIR BUDGET_S "based alibi linearized" [DEADLINE_S]
#
# CORPUS_DIR holds train.jsonl.xz and heldout.jsonl.xz (see models/corpus/). Everything is written
# to $OUT: report.tar.xz (logs, train reports, extrapolation JSON) and
# ckpt.tar.xz.part-* (model-q8.pt of each architecture). DEADLINE_S (default 215) bounds the whole
# script: training is stopped and what exists is packed by then.
set -uo pipefail
ROOT=$PWD; W=/tmp/zoo; OUT=${OUT:-/tmp/out}; mkdir -p "$W/corpus" "$W/logs" "$OUT"
export PYTHONUNBUFFERED=1
CORPUS=$1; BUDGET=$2; ARCHS=$3; DEADLINE=${4:-215}
case "$CORPUS" in /*) ;; *) CORPUS="$ROOT/$CORPUS" ;; esac
T0=$(date +%s)
left() { echo $(( DEADLINE - ($(date +%s) - T0) )); }
cd "$ROOT/models/python"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
for f in train heldout; do xz -dc -T16 "$CORPUS/$f.jsonl.xz" > "$W/corpus/$f.jsonl" & done; wait
TOK=$ROOT/models/hawk/tokenizer.json
timeout 90 python3 prep_stream.py --corpus "$W/corpus" --tokenizer "$TOK" --out "$W/streams.npz" --eval-bytes 1500000 2>&1 | tee "$W/logs/prep.log"
n=$(echo $ARCHS | wc -w)
B=$(( $(left) - 85 )); [ "$B" -gt "$BUDGET" ] && B=$BUDGET
echo "training budget $B s (asked $BUDGET), $(left) s left"
for a in $ARCHS; do
  cfg='{}'; [ "$a" = alibi ] && cfg='{"train_cache": false}'
  timeout $(( $(left) - 25 )) python3 train.py --arch "$a" --corpus "$W/corpus" --tokenizer "$TOK" --stream-npz "$W/streams.npz" \
    --out "$W/run-$a" --budget-s "$B" --batch 16 --compile 0 --sync-dir "$W/sync" --sync-n "$n" --config "$cfg" \
    > "$W/logs/train-$a.log" 2>&1 &
done
wait
grep -hE "data:|model |ms/step|sync:|trained|held-out|Error|error" "$W"/logs/train-*.log | cut -c1-300
echo "trained at $(( $(date +%s) - T0 )) s"
for a in $ARCHS; do
  [ -f "$W/run-$a/model.pt" ] || continue
  timeout $(( $(left) - 12 )) python3 eval_torch.py --ckpt "$W/run-$a/model.pt" --stream-npz "$W/streams.npz" --tokenizer "$TOK" \
    --out "$W/run-$a/extrapolation.json" > "$W/logs/extrap-$a.log" 2>&1 &
done
wait
cat "$W"/logs/extrap-*.log | tail -20
echo "evaluated at $(( $(date +%s) - T0 )) s"
(cd "$W" && tar cf - run-*/train_report.json run-*/extrapolation.json sync logs 2>/dev/null) | xz -T16 > "$OUT/report.tar.xz"
(cd "$W" && tar cf - run-*/model-q8.pt 2>/dev/null) | xz -T16 -6 | split -b 15M - "$OUT/ckpt.tar.xz.part-"
ls -la "$OUT"; echo "done at $(( $(date +%s) - T0 )) s"
