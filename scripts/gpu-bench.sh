#!/usr/bin/env bash
# The engine's bench on WebGPU and on the CPU side by side, in one run on a GPU machine (issue 17).
# The machine has no node: ../shared/tools/device-kit.sh builds .devkit/ (node, onnxruntime-node for
# linux-x64, the Vulkan loader). Carry budget 64 MiB with the tree: the kit is ~37 MiB and the default
# model ~38 MiB, so the kit goes in a first call and stays on the warm machine (node in /usr/local/bin,
# ./node_modules), the model and dist/ in the second.
#
# Here:            bash scripts/gpu-bench.sh pack          # dist/, .devkit/, .gpumodels/<arch>/
#                  bash models/python/device_tree.sh out   # large model files out of the tree
# Device call 1:   carry [".devkit"]                 command: bash scripts/gpu-bench.sh setup
# Device call 2:   carry ["dist", ".gpumodels"]      command: bash scripts/gpu-bench.sh run
#                  (same kind, while call 1's machine is still warm; outputs in $OUT)
# Here:            bash models/python/device_tree.sh back
# `run` also works in a single call where .devkit is carried with the rest (a smaller model).
# Timing alone (folding, graph calls; not what the model writes) fits one call with the weights left
# behind: a folder holding the model's graphs, tokenizer.json, its manifest without "checksums" and
# weights.json ({"weights-0.bin": bytes, ...}); on the device `node scripts/gpu-placement.mjs
# --fill-weights DIR/griffin` writes deterministic weights of those sizes. Carry the kit's files but
# ort-1.31.1.tar.xz (".devkit/node.xz", ".devkit/node_modules.tar.xz", ".devkit/gl", ".devkit/setup.sh"),
# "dist" and DIR (~58 MiB with the tree), then `MODELS=DIR EPS=webgpu bash scripts/gpu-bench.sh run`, which
# fills them when DIR/ARCH has weights.json and no weights-0.bin (in every call: a carried DIR replaces the
# warm machine's copy, filled weights and all).
# Env for run: ARCH (default griffin), EPS (default "cpu auto webgpu"), SIZES (1000,10000,100000),
# KEYSTROKES (10), PARTS (engine), LIMIT_S (seconds per CPU/auto bench, 120), LIMIT_GPU_S (webgpu, 330):
# the three fit one 600 s device call. GPU_STATE (default on): --gpu-state for the benches, e.g.
# "on,off" runs every case with the state kept on the GPU and with it copied back (two engines).
# MAX_MEMORY_MB: statewise.engine.maxMemoryMB for the bench's engine (ALiBi uncapped at 32k: its 769 MiB
# state is over the default 256 MB, so only one checkpoint is kept and a keystroke may re-read the document).
# Comparing on and off alone: EPS=webgpu GPU_STATE=on,off bash scripts/gpu-bench.sh run
set -euo pipefail
cd "$(dirname "$0")/.."
ARCH=${ARCH:-griffin}
MODELS=${MODELS:-.gpumodels}

pack() {
  npm run build >/dev/null
  if [ ! -f .devkit/setup.sh ]; then
    # device-kit.sh writes .git/info/exclude, which a git worktree does not have: build it in a scratch repo
    tmp=$(mktemp -d)
    cp package.json package-lock.json "$tmp/"; [ -f .npmrc ] && cp .npmrc "$tmp/"
    ln -s "$(realpath node_modules)" "$tmp/node_modules"
    (cd "$tmp" && git init -q . && bash "$OLDPWD/../shared/tools/device-kit.sh")
    rm -rf .devkit && mv "$tmp/.devkit" .devkit && rm -rf "$tmp"
  fi
  rm -rf "$MODELS/$ARCH" && mkdir -p "$MODELS/$ARCH"
  # -L: the files may be device_tree.sh's links already
  for f in models/"$ARCH"/manifest.json models/"$ARCH"/tokenizer.json models/"$ARCH"/*.onnx models/"$ARCH"/*.bin; do cp -L "$f" "$MODELS/$ARCH/"; done
  du -sh .devkit "$MODELS" dist
  echo "call 1: carry [\".devkit\"], command: bash scripts/gpu-bench.sh setup"
  echo "call 2: carry [\"dist\", \"$MODELS\"], command: bash scripts/gpu-bench.sh run"
}

setup() {
  # a node_modules link to another machine's folder dangles here
  if [ -L node_modules ] && [ ! -e node_modules ]; then rm node_modules; fi
  if command -v node >/dev/null && [ -d node_modules/onnxruntime-node ]; then
    export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
    export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  elif [ -f .devkit/setup.sh ]; then
    # shellcheck disable=SC1091
    source .devkit/setup.sh
  else
    echo "no node here and no .devkit: run 'setup' with .devkit carried first" >&2; exit 1
  fi
}

run() {
  setup
  [ -f dist/cli.js ] || { echo "dist/ missing: carry dist" >&2; exit 1; }
  [ -f "$MODELS/$ARCH/manifest.json" ] || { echo "$MODELS/$ARCH missing: carry $MODELS" >&2; exit 1; }
  # a folder carried without its weights (weights.json names their sizes): write them here, every call
  if [ -f "$MODELS/$ARCH/weights.json" ] && [ ! -f "$MODELS/$ARCH/weights-0.bin" ]; then
    node scripts/gpu-placement.mjs --fill-weights "$MODELS/$ARCH" >/dev/null
  fi
  out=${OUT:-bench-results/gpu}; mkdir -p "$out"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"
  files=()
  for ep in ${EPS:-cpu auto webgpu}; do
    echo "== bench --ep $ep"
    # a bench cut by its limit leaves no report; the others still run
    limit=${LIMIT_S:-120}; [ "$ep" = webgpu ] && limit=${LIMIT_GPU_S:-330}
    if timeout "$limit" node dist/cli.js bench --only "${PARTS:-engine}" --ep "$ep" --arch "$ARCH" --models "$MODELS" \
      --sizes "${SIZES:-1000,10000,100000}" --keystrokes "${KEYSTROKES:-10}" --gpu-state "${GPU_STATE:-on}" \
      ${MAX_MEMORY_MB:+--max-memory-mb "$MAX_MEMORY_MB"} \
      --out "$out/bench-$ep.json" 2> >(tee "$out/bench-$ep.log" >&2); then
      files+=("$out/bench-$ep.json")
    else
      echo "bench --ep $ep failed or ran past $limit s (log: $out/bench-$ep.log)"
    fi
  done
  echo "== side by side"
  [ ${#files[@]} -gt 0 ] && node scripts/bench-side-by-side.mjs "${files[@]}" | tee "$out/side-by-side.txt"
}

case "${1:-}" in
  pack) pack ;;
  setup) setup; node --version; node -e "require('onnxruntime-node'); console.log('onnxruntime-node loads')" ;;
  run) run ;;
  *) echo "usage: $0 pack|setup|run" >&2; exit 2 ;;
esac
