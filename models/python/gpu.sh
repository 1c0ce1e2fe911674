#!/usr/bin/env bash
# Training on a GPU machine, run from the repository root. One command per part:
#
#   bash models/python/gpu.sh train CORPUS_DIR ARCH [train.py flags]   # an ordinary GPU box: one go
#   bash models/python/gpu.sh start CORPUS_DIR BUDGET_S [ARCH]         # the same over two 10-minute calls:
#   bash models/python/gpu.sh finish [ARCH]                            #   detached training, then the rest
#   bash models/python/gpu.sh zoo CORPUS_DIR BUDGET_S "ARCHS" DEADLINE_S "RETURN"   # several side by side
#   bash models/python/gpu.sh fetch                                    # checkpoints a zoo call left behind
#   bash models/python/gpu.sh check [STEPS] [BENCH_S] [TRAIN_S]        # tests, fast-path bench, 30 steps each
#
# CORPUS_DIR holds train.jsonl.xz and heldout.jsonl.xz (models/corpus/build_corpus.py, or a subset from
# zoo_subset.py; train.jsonl.xz.part-* are joined first). train/start/finish leave the model folder in
# $WORK/export (export_onnx.py: ONNX graphs, manifest, parity fixture; eval_onnx.py's bits per byte in the
# manifest) and pack it into $OUT as model.tar.part-*. zoo trains ARCHS in lockstep on one GPU and returns
# int8 checkpoints, exported afterwards on any machine by zoo_import.sh. Environment: PY (python3), OUT
# (/tmp/out), WORK (/tmp/sw; zoo: ZOO_DIR, /tmp/zoo), NEWTOK=1 trains a new tokenizer instead of reusing
# models/hawk/tokenizer.json (every architecture shares it).
set -uo pipefail
PY=${PY:-python3}; ROOT=$PWD; OUT=${OUT:-/tmp/out}; W=${WORK:-/tmp/sw}
HERE=$ROOT/models/python
export PYTHONUNBUFFERED=1
mkdir -p "$OUT"
archs() { (cd "$HERE" && $PY -m statewise_models.registry); }
gpu_name() { nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"; }

# --- parts ----------------------------------------------------------------------------------------------
unpack_corpus() {  # CORPUS_DIR -> $W/corpus/{train,heldout}.jsonl
  local src=$1; case "$src" in /*) ;; *) src="$ROOT/$src" ;; esac
  mkdir -p "$W/corpus"
  [ -f "$src/train.jsonl.xz" ] || cat "$src"/train.jsonl.xz.part-* > "$src/train.jsonl.xz"
  for f in train heldout; do
    [ -f "$W/corpus/$f.jsonl" ] || xz -dc -T16 "$src/$f.jsonl.xz" > "$W/corpus/$f.jsonl"
  done
  ls -la "$W/corpus"
}

tokenizer() {  # -> $W/tok/tokenizer.json
  mkdir -p "$W/tok"
  if [ "${NEWTOK:-0}" != 1 ] && [ -f "$ROOT/models/hawk/tokenizer.json" ]; then
    cp "$ROOT/models/hawk/tokenizer.json" "$W/tok/tokenizer.json"
  else
    (cd "$HERE" && $PY train_tokenizer.py --corpus "$W/corpus" --out "$W/tok/tokenizer.json" --sample-bytes 100000000) 2>&1 | tee "$OUT/tokenizer.log"
  fi
}

quick_tests() { (cd "$HERE" && timeout 300 $PY -m pytest -q tests 2>&1 || true) | tail -15 | tee "$OUT/pytest.log"; }

sample_text() {  # a held-out TypeScript file of 3-20 kB for the parity fixture -> /tmp/sample.ts
  $PY - "$W/corpus/heldout.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    for f in json.loads(line)["files"]:
        if f["path"].endswith(".ts") and 3000 < len(f["text"]) < 20000:
            open("/tmp/sample.ts", "w").write(f["text"]); print("/tmp/sample.ts"); raise SystemExit
PY
}

export_eval_pack() {  # $W/run -> $W/export (graphs, manifest with ONNX bits per byte) -> $OUT/model.tar.part-*
  cd "$HERE"
  cp "$W/run/train_report.json" "$OUT/"
  $PY export_onnx.py --ckpt "$W/run/model.pt" --tokenizer "$W/tok/tokenizer.json" --out "$W/export" \
    --report "$W/run/train_report.json" --sample-text "$(sample_text)" 2>&1 | grep -v Warning | tee "$OUT/export.log"
  $PY eval_onnx.py --model-dir "$W/export" --heldout "$W/corpus/heldout.jsonl" --max-tokens "${EVAL_TOKENS:-200000}" | tee "$OUT/eval_onnx.json"
  $PY - "$W/export/manifest.json" "$OUT/eval_onnx.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1])); m["heldoutOnnx"] = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
json.dump(m, open(sys.argv[1], "w"), indent=1)
PY
  (cd "$W/export" && tar cf - .) | split -b 15M - "$OUT/model.tar.part-"
  ls -la "$OUT"
}

# --- commands -------------------------------------------------------------------------------------------
cmd_train() {  # CORPUS_DIR ARCH [train.py flags]: everything in one go, in the foreground
  set -e
  local corpus=$1 arch=$2; shift 2
  gpu_name; unpack_corpus "$corpus"; tokenizer
  (cd "$HERE" && $PY train.py --arch "$arch" --corpus "$W/corpus" --tokenizer "$W/tok/tokenizer.json" --out "$W/run" "$@") 2>&1 | tee "$W/train.log"
  export_eval_pack
}

cmd_start() {  # CORPUS_DIR BUDGET_S [ARCH]: tests, tokenizer, detached training; returns within ~560 s
  set -e
  local corpus=$1 budget=$2 arch=${3:-hawk} t0; t0=$(date +%s)
  gpu_name; unpack_corpus "$corpus"; quick_tests; tokenizer
  cp "$W/tok/tokenizer.json" "$OUT/"
  (cd "$HERE" && setsid nohup $PY train.py --arch "$arch" --corpus "$W/corpus" --tokenizer "$W/tok/tokenizer.json" --out "$W/run" \
    --budget-s "$budget" > "$W/train.log" 2>&1 < /dev/null &)
  echo "training started"
  while [ $(( $(date +%s) - t0 )) -lt 560 ] && ! grep -q "held-out:\|Traceback" "$W/train.log" 2>/dev/null; do sleep 10; done
  tail -5 "$W/train.log"; cp "$W/train.log" "$OUT/"
}

cmd_finish() {  # [ARCH]: wait for the detached training, then export, evaluate, pack
  set -e
  while ! grep -q "held-out:\|Traceback" "$W/train.log"; do sleep 5; done
  while pgrep -f "train.py --arch" > /dev/null; do sleep 2; done
  grep -E "data:|model |ms/step|trained|held-out" "$W/train.log" | tail -20
  cp "$W/train.log" "$OUT/"
  export_eval_pack
}

cmd_check() {  # [STEPS] [BENCH_S] [TRAIN_S]: is the training path sound under this machine's torch?
  local steps=${1:-30} bench_s=${2:-60} train_s=${3:-80} t0 c=/tmp/check; t0=$(date +%s)
  cd "$HERE"; export OMP_NUM_THREADS=3; mkdir -p "$c"
  timeout 40 $PY -m pytest -q tests 2>&1 | tail -3
  echo "tests at $(( $(date +%s) - t0 )) s"
  timeout "$bench_s" $PY bench_train.py --batch 16 --seq 2048 --repeats 3 --out "$OUT/bench-train.json" 2>&1 | grep -v Warning
  echo "bench at $(( $(date +%s) - t0 )) s"
  $PY -c 'import numpy as np, json, sys
r = np.random.default_rng(0)
np.savez(sys.argv[1], train=r.integers(0, 16384, 4_000_000).astype(np.uint16), eval=r.integers(0, 16384, 40_000).astype(np.uint16),
         eval_mask=np.ones(40_000, bool), eval_bytes=np.array(160_000), info=np.array(json.dumps({"packages": 0, "bytes": 16_000_000})))' "$c/fake.npz"
  for a in $(archs); do
    cfg='{}'; [ "$a" = alibi ] && cfg='{"train_cache": false}'
    timeout "$train_s" $PY train.py --arch "$a" --corpus none --tokenizer ../hawk/tokenizer.json --stream-npz "$c/fake.npz" --out "$c/run-$a" \
      --batch 16 --max-steps "$steps" --compile 1 --config "$cfg" ${CHECK_ARGS:-} > "$c/train-$a.log" 2>&1 &
  done
  wait
  for a in $(archs); do echo "$a: $(grep -hE "trained|held-out|Error" "$c/train-$a.log" | cut -c1-160 | tr '\n' ' ')"; done
  tar cf - -C "$c" $(cd "$c" && ls train-*.log) | xz > "$OUT/check-logs.tar.xz"
  echo "done at $(( $(date +%s) - t0 )) s"
}

cmd_fetch() {  # the checkpoints a zoo call left on the (still warm) machine -> $OUT (cat the parts, tar xJf)
  cp "${ZOO_DIR:-/tmp/zoo}"/pack/rest.tar.xz.part-* "$OUT/" || echo "nothing left on this machine"
  ls -la "$OUT"
}

# zoo CORPUS_DIR BUDGET_S "ARCHS" DEADLINE_S "RETURN": several architectures side by side on ONE GPU in ONE
# call, with the same data and the same number of steps (train.py --sync-dir), then held-out bits per byte
# and extrapolation in PyTorch and int8 checkpoints. DEADLINE_S bounds the whole command: training stops
# by then (--stop-at) and what exists is packed. $OUT gets report.tar.xz (logs, train reports,
# extrapolation JSON) and ckpt.tar.xz.part-* (the model-q8.pt of the RETURN architectures: at most three
# fit the 64 MiB a device call returns); the others wait in $ZOO_DIR/pack for `gpu.sh fetch`.
# One budget over two independent calls (nothing needs the machine to stay warm between them):
#   gpu.sh zoo CORPUS_DIR 0 "based alibi linearized" 590 "based alibi linearized"
#   STEPS=P [STOP_STEP=S] gpu.sh zoo CORPUS_DIR 0 "hawk griffin" 590 "hawk griffin"
# The first plans P steps for its runs (lockstep: a deadline stops them all at one step S <= P); the
# second trains on the same streams for exactly P planned steps (--max-steps: the same LR schedule),
# stopping at S where the first was cut short (--stop-step). Slowest architectures in the first call.
# One training over two calls (the second must start while the machine is still warm, within ~30 s):
#   EXTRA_S=430 gpu.sh zoo CORPUS_DIR 0 "ARCHS" 570                  # prepares, trains, pauses
#   RESUME=1 gpu.sh zoo CORPUS_DIR 0 "ARCHS" 585 "based alibi"       # finishes, evaluates, packs
# CONFIG_<arch>='{...}' replaces that architecture's --config (alibi's default is {"train_cache": false}).
# CPU smoke run: PY, TRAIN_ARGS / EVAL_ARGS / PREP_ARGS (appended to train.py / eval_torch.py / prep_stream.py), and a streams.npz
# already in $ZOO_DIR (STREAMS) skips the corpus preparation.
cmd_zoo() {
  local TRAIN_ARGS=${TRAIN_ARGS:-} EVAL_ARGS=${EVAL_ARGS:-} EXTRA_S=${EXTRA_S:-0} RESUME=${RESUME:-0} STEPS=${STEPS:-0} STOP_STEP=${STOP_STEP:-0} SAFETY=${SAFETY:-0.85}
  local W=${ZOO_DIR:-/tmp/zoo}; mkdir -p "$W/corpus" "$W/logs" "$W/pack"
  export OMP_NUM_THREADS=3 PYTORCH_CUDA_ALLOC_CONF=${PYTORCH_CUDA_ALLOC_CONF:-expandable_segments:True}
  local CORPUS=$1 BUDGET=$2 ARCHS=$3 DEADLINE=${4:-460} RETURN=${5:-}
  case "$CORPUS" in /*) ;; *) CORPUS="$ROOT/$CORPUS" ;; esac
  local T0; T0=$(date +%s)
  # streams are cached per corpus on a warm machine: a call with another shard must not reuse the last one's
  local STREAMS=${STREAMS:-$W/streams-$(cat "$CORPUS"/*.jsonl.xz 2>/dev/null | sha1sum | cut -c1-12).npz}
  left() { echo $(( DEADLINE - ($(date +%s) - T0) )); }
  cd "$HERE"
  gpu_name
  $PY -c 'import torch; print("torch", torch.__version__, torch.cuda.is_available() and torch.cuda.get_device_name(0))'
  local TOK=$ROOT/models/hawk/tokenizer.json
  [ "$RESUME" = 1 ] || timeout 60 nice -n 10 $PY -m pytest -q -x tests/test_fast_train.py tests/test_train_plan.py > "$W/logs/pytest.log" 2>&1 &  # the fast paths under this torch, beside the preparation
  [ -f "$STREAMS" ] || { for f in train heldout; do xz -dc -T16 "$CORPUS/$f.jsonl.xz" > "$W/corpus/$f.jsonl" & done; wait; echo "corpus unpacked at $(( $(date +%s) - T0 )) s"; }
  [ -f "$STREAMS" ] || timeout ${PREP_S:-180} $PY prep_stream.py --corpus "$W/corpus" --tokenizer "$TOK" --out "$STREAMS" --eval-bytes 3000000 ${PREP_ARGS:-} 2>&1 | tee "$W/logs/prep.log"
  echo "prepared at $(( $(date +%s) - T0 )) s"; tail -3 "$W/logs/pytest.log"
  local n B STOP WHEN FIXED="" R a cfg
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
  [ "$STEPS" -gt 0 ] && FIXED="--max-steps $STEPS"; [ "$STOP_STEP" -gt 0 ] && FIXED="$FIXED --stop-step $STOP_STEP"
  [ -n "$FIXED" ] && echo "fixed steps: $FIXED"
  for a in $ARCHS; do
    cfg='{}'; [ "$a" = alibi ] && cfg='{"train_cache": false}'
    c="CONFIG_$a"; [ -n "${!c:-}" ] && cfg=${!c}  # CONFIG_linearized='{"global_norm": true}': one architecture's config
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
    ls -la "$W"/run-*/resume.pt; echo "paused at $(( $(date +%s) - T0 )) s: now the RESUME=1 call"; return 0
  fi
  local EX; EX=$(( $(left) - 15 )); [ "$EX" -gt 60 ] && EX=60; [ "$EX" -lt 5 ] && { echo "no time left for the extrapolation runs"; EX=0; }
  for a in $ARCHS; do
    [ -f "$W/run-$a/model.pt" ] && [ "$EX" -gt 0 ] || continue
    timeout "$EX" $PY eval_torch.py --ckpt "$W/run-$a/model.pt" --stream-npz "$STREAMS" --tokenizer "$TOK" \
      --windows 8 --out "$W/run-$a/extrapolation.json" $EVAL_ARGS > "$W/logs/extrap-$a.log" 2>&1 &
  done
  wait
  cat "$W"/logs/extrap-*.log 2>/dev/null | grep -v Warning | tail -25
  echo "evaluated at $(( $(date +%s) - T0 )) s"
  (cd "$W" && tar cf - run-*/train_report.json run-*/extrapolation.json sync logs 2>/dev/null) | xz -T16 > "$OUT/report.tar.xz"
  # int8 checkpoints (block 64, ~1.03 bytes per parameter), xz'd in one stream and split under 16 MiB:
  # RETURN's go to $OUT now (three fit in 64 MiB), the rest wait in $W/pack for `gpu.sh fetch`
  pack() { (cd "$W" && for a in $1; do [ -f "run-$a/model-q8.pt" ] && echo "run-$a/model-q8.pt"; done | tar cf - -T -) | xz -1 -T16 | split -b 16000000 - "$2"; }
  local REST; REST=$(for a in $ARCHS; do case " $RETURN " in *" $a "*) ;; *) echo "$a" ;; esac; done | xargs)
  [ -n "$RETURN" ] && pack "$RETURN" "$OUT/ckpt.tar.xz.part-"
  [ -n "$REST" ] && pack "$REST" "$W/pack/rest.tar.xz.part-"
  echo "returned now: $RETURN; left on the machine: $REST"
  ls -la "$W/pack" "$OUT"; echo "done at $(( $(date +%s) - T0 )) s"
}

cmd=${1:-}; [ $# -gt 0 ] && shift
case "$cmd" in
  train|start|finish|zoo|fetch|check) "cmd_$cmd" "$@" ;;
  *) sed -n '2,9p' "$0" >&2; exit 2 ;;
esac
