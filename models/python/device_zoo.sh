#!/usr/bin/env bash
# Train several architectures side by side on ONE GPU in ONE device call, with the same data and the
# same number of steps (train.py --sync-dir), then measure held-out bits per byte and extrapolation in
# PyTorch and pack int8 checkpoints. ONNX export runs afterwards on the CPU machine (export_onnx.py),
# so only ~1.06 bytes per parameter travel back.
#
#   bash models/python/device_zoo.sh CORPUS_DIR BUDGET_S "hawk griffin based alibi linearized" DEADLINE_S "based alibi"
#
# CORPUS_DIR holds train.jsonl.xz and heldout.jsonl.xz (models/python/zoo_subset.py). DEADLINE_S
# bounds the whole script: training stops by then (train.py --stop-at) and what exists is packed.
# $OUT gets report.tar.xz (logs, train reports, extrapolation JSON) and ckpt.tar.xz.part-* (the
# model-q8.pt of the architectures the last argument names: at most three fit the 64 MiB a call
# returns); the others wait in /tmp/zoo/pack/rest.tar.xz.part-* for device_zoo_fetch.sh, which the
# next call runs while the machine is still warm.
# The same budget over two independent calls (nothing needs the machine to stay warm between them):
#   bash models/python/device_zoo.sh CORPUS_DIR 0 "based alibi linearized" 590 "based alibi linearized"
#   STEPS=P [STOP_STEP=S] bash models/python/device_zoo.sh CORPUS_DIR 0 "hawk griffin" 590 "hawk griffin"
# The first plans P steps for its runs (lockstep: a deadline stops them all at one step S <= P); the
# second trains its runs on the same streams for exactly P planned steps (--max-steps, so the same LR
# schedule), stopping at S where the first was cut short (--stop-step). Put the slowest architectures in
# the first call: the second, fixed in steps, then needs less time than it has.
# One training over two calls (the second must start while the machine is still warm, within ~30 s):
#   EXTRA_S=430 bash models/python/device_zoo.sh CORPUS_DIR 0 "ARCHS" 570    # prepares, trains, pauses
#   RESUME=1 bash models/python/device_zoo.sh CORPUS_DIR 0 "ARCHS" 585 "based alibi"   # finishes, evaluates, packs
# The first plans the step count for its own training time plus EXTRA_S (the second call's training
# time) and saves /tmp/zoo/run-*/resume.pt; the second continues from there (train.py --resume).
# For a CPU smoke run of this script: PY (python), TRAIN_ARGS / EVAL_ARGS (appended to train.py /
# eval_torch.py), and a streams.npz already in /tmp/zoo skips the corpus preparation.
set -uo pipefail
PY=${PY:-python3}; TRAIN_ARGS=${TRAIN_ARGS:-}; EVAL_ARGS=${EVAL_ARGS:-}; EXTRA_S=${EXTRA_S:-0}; RESUME=${RESUME:-0}; STEPS=${STEPS:-0}; STOP_STEP=${STOP_STEP:-0}; SAFETY=${SAFETY:-0.85}
ROOT=$PWD; W=${ZOO_DIR:-/tmp/zoo}; OUT=${OUT:-/tmp/out}; mkdir -p "$W/corpus" "$W/logs" "$W/pack" "$OUT"
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=3 PYTORCH_CUDA_ALLOC_CONF=${PYTORCH_CUDA_ALLOC_CONF:-expandable_segments:True}
CORPUS=$1; BUDGET=$2; ARCHS=$3; DEADLINE=${4:-460}; RETURN=${5:-}
case "$CORPUS" in /*) ;; *) CORPUS="$ROOT/$CORPUS" ;; esac
T0=$(date +%s)
# streams are cached per corpus on a warm machine: a call with another shard must not reuse the last one's
STREAMS=${STREAMS:-$W/streams-$(cat "$CORPUS"/*.jsonl.xz 2>/dev/null | sha1sum | cut -c1-12).npz}
left() { echo $(( DEADLINE - ($(date +%s) - T0) )); }
cd "$ROOT/models/python"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
$PY -c 'import torch; print("torch", torch.__version__, torch.cuda.is_available() and torch.cuda.get_device_name(0))'
TOK=$ROOT/models/hawk/tokenizer.json
[ "$RESUME" = 1 ] || timeout 60 nice -n 10 $PY -m pytest -q -x tests/test_fast_train.py tests/test_train_plan.py > "$W/logs/pytest.log" 2>&1 &  # the fast paths under this torch, beside the preparation
echo "torch checked at $(( $(date +%s) - T0 )) s"
[ -f "$STREAMS" ] || { for f in train heldout; do xz -dc -T16 "$CORPUS/$f.jsonl.xz" > "$W/corpus/$f.jsonl" & done; wait; echo "corpus unpacked at $(( $(date +%s) - T0 )) s"; }
[ -f "$STREAMS" ] || timeout ${PREP_S:-180} $PY prep_stream.py --corpus "$W/corpus" --tokenizer "$TOK" --out "$STREAMS" --eval-bytes 3000000 2>&1 | tee "$W/logs/prep.log"
echo "prepared at $(( $(date +%s) - T0 )) s"; tail -3 "$W/logs/pytest.log"
n=$(echo $ARCHS | wc -w)
if [ "$EXTRA_S" -gt 0 ]; then
  # first of two calls: train until 25 s before the deadline, then save resume.pt (a few seconds)
  B=$(( $(left) - 25 )); STOP=$(( $(date +%s) + B )); WHEN="--pause-at $STOP"
  echo "training $B s now + $EXTRA_S s in the next call, pause in $B s"
  B=$(( B + EXTRA_S ))
else
  # reserve: held-out eval + checkpoints (~25 s), extrapolation (~45 s), packing (~15 s)
  B=$(( $(left) - 95 )); [ "$BUDGET" -gt 0 ] && [ "$B" -gt "$BUDGET" ] && B=$BUDGET
  STOP=$(( $(date +%s) + B + 20 )); WHEN="--stop-at $STOP"
  echo "training until $B s from now (asked $BUDGET), hard stop in $(( B + 20 )) s, $(left) s left"
fi
FIXED=""; [ "$STEPS" -gt 0 ] && FIXED="--max-steps $STEPS"; [ "$STOP_STEP" -gt 0 ] && FIXED="$FIXED --stop-step $STOP_STEP"
[ -n "$FIXED" ] && echo "fixed steps: $FIXED"
for a in $ARCHS; do
  cfg='{}'; [ "$a" = alibi ] && cfg='{"train_cache": false}'
  R=""
  if [ "$RESUME" = 1 ]; then
    if [ ! -f "$W/run-$a/resume.pt" ]; then
      [ -f "$W/run-$a/model.pt" ] && echo "$a: finished in the first call" || echo "$a: no resume.pt and no model.pt (see logs/train-$a.log)"
      continue
    fi
    R="--resume $W/run-$a/resume.pt"
  fi
  timeout $(( $(left) - 10 )) $PY train.py --arch "$a" --corpus "$W/corpus" --tokenizer "$TOK" --stream-npz "$STREAMS" \
    --out "$W/run-$a" --budget-s "$B" --batch 16 --compile 1 --sync-dir "$W/sync" --sync-n "$n" --config "$cfg" $WHEN --budget-safety "$SAFETY" --q8-block 64 $FIXED $R $TRAIN_ARGS \
    >> "$W/logs/train-$a.log" 2>&1 &
done
wait
grep -hE "data:|model |ms/step|sync:|deadline|stop step|lockstep|paused|resumed|trained|held-out|Error|error" "$W"/logs/train-*.log | cut -c1-300
echo "trained at $(( $(date +%s) - T0 )) s"
if [ "$EXTRA_S" -gt 0 ]; then
  (cd "$W" && tar cf - sync logs) | xz -T16 > "$OUT/report-1.tar.xz"
  ls -la "$W"/run-*/resume.pt; echo "paused at $(( $(date +%s) - T0 )) s: now the RESUME=1 call"; exit 0
fi
EX=$(( $(left) - 15 )); [ "$EX" -gt 60 ] && EX=60; [ "$EX" -lt 5 ] && { echo "no time left for the extrapolation runs"; EX=0; }
for a in $ARCHS; do
  [ -f "$W/run-$a/model.pt" ] && [ "$EX" -gt 0 ] || continue
  timeout "$EX" $PY eval_torch.py --ckpt "$W/run-$a/model.pt" --stream-npz "$STREAMS" --tokenizer "$TOK" \
    --windows 8 --out "$W/run-$a/extrapolation.json" $EVAL_ARGS > "$W/logs/extrap-$a.log" 2>&1 &
done
wait
cat "$W"/logs/extrap-*.log | grep -v Warning | tail -25
echo "evaluated at $(( $(date +%s) - T0 )) s"
(cd "$W" && tar cf - run-*/train_report.json run-*/extrapolation.json sync logs 2>/dev/null) | xz -T16 > "$OUT/report.tar.xz"
# int8 checkpoints (block 64, ~1.03 bytes per parameter), xz'd in one stream and split under 16 MiB:
# RETURN's go to $OUT now (three fit in 64 MiB), the rest wait in $W/pack for device_zoo_fetch.sh
pack() { (cd "$W" && for a in $1; do [ -f "run-$a/model-q8.pt" ] && echo "run-$a/model-q8.pt"; done | tar cf - -T -) | xz -1 -T16 | split -b 16000000 - "$2"; }
REST=$(for a in $ARCHS; do case " $RETURN " in *" $a "*) ;; *) echo "$a" ;; esac; done | xargs)
[ -n "$RETURN" ] && pack "$RETURN" "$OUT/ckpt.tar.xz.part-"
[ -n "$REST" ] && pack "$REST" "$W/pack/rest.tar.xz.part-"
echo "returned now: $RETURN; left on the machine: $REST"
ls -la "$W/pack" "$OUT"; echo "done at $(( $(date +%s) - T0 )) s"
