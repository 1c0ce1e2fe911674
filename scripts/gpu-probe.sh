#!/usr/bin/env bash
# Where a WebGPU call's time goes (issue 17), in one device call of < 540 s. The graphs travel without
# their weights (the carry budget): .gpuprobe/{old,new}/griffin hold the shipped and the shape-free
# step/prefill graphs, manifest.json and weights.json (the weights files' sizes); the weights are
# written here with small deterministic values (gpu-placement.mjs --fill-weights).
#
# Here:         (.gpuprobe built from .gpumodels/{old,new}/griffin: the .onnx graphs but score, manifest.json,
#               weights.json) bash models/python/device_tree.sh out
# Device call:  carry [".devkit", ".gpuprobe"]   command: bash scripts/gpu-probe.sh
# Here:         bash models/python/device_tree.sh back
# Outputs in $OUT: probe.log (everything), state-repro.jsonl (gpu-state-repro.mjs, ort 1.30.0 and 1.31.1,
# n 1024 and 4M), placement-{new,old}.json and placement-new-ort131.json (gpu-placement.mjs --profile --io,
# WebGPU and CPU), summary.txt (the numbers that matter, from those files).
# Each step runs under `timeout` and against a deadline (DEADLINE_S, default 530 s after the start), so
# one hang costs its own step only.
set -uo pipefail
cd "$(dirname "$0")/.."
START=$SECONDS
DEADLINE=${DEADLINE_S:-530}
out=${OUT:-bench-results/probe}
mkdir -p "$out"
exec > >(tee -a "$out/probe.log") 2>&1
# seconds for a step: its cap, or what is left before the deadline (less a margin), whichever is less
left() { local l=$((DEADLINE - (SECONDS - START) - 10)); [ "$l" -lt "$1" ] && echo $((l > 1 ? l : 1)) || echo "$1"; }
step() { echo; echo "=== [$((SECONDS - START)) s] $*"; }
ORT131=/tmp/ort/ort131/node_modules

step setup
# a node_modules link to another machine's folder dangles here
if [ -L node_modules ] && [ ! -e node_modules ]; then rm node_modules; fi
if command -v node >/dev/null && [ -d node_modules/onnxruntime-node ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
else
  # shellcheck disable=SC1091
  source .devkit/setup.sh
fi
[ -d "$ORT131/onnxruntime-node" ] || { mkdir -p /tmp/ort && tar xJf .devkit/ort-1.31.1.tar.xz -C /tmp/ort; }
command -v node >/dev/null || { echo "no node: setup failed"; exit 1; }
echo "node $(node --version)"
echo "onnxruntime-node $(node -p "require('onnxruntime-node/package.json').version")"
echo "onnxruntime-node (--ort) $(node -p "require('$ORT131/onnxruntime-node/package.json').version" 2>&1)"

step machine
nvidia-smi 2>&1 | head -20 || echo "no nvidia-smi"
if command -v vulkaninfo >/dev/null; then timeout 20 vulkaninfo --summary 2>&1 | head -40; else echo "no vulkaninfo"; fi
echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-} cores $(nproc)"

step weights
for v in new old; do
  timeout 60 node scripts/gpu-placement.mjs --fill-weights ".gpuprobe/$v/griffin"
  ls -l ".gpuprobe/$v/griffin"
done

repro() { # ORT_LABEL [--ort DIR]
  local label=$1; shift
  for n in 1024 4194304; do
    step "state-repro ort $label n $n"
    timeout "$(left 60)" node scripts/gpu-state-repro.mjs --n "$n" "$@" | tee -a "$out/state-repro.jsonl"
  done
}
placement() { # VARIANT OUTFILE CAP EPS [args]
  local v=$1 file=$2 cap=$3 eps=$4; shift 4
  step "placement $v --ep $eps $*"
  timeout "$(left "$cap")" node scripts/gpu-placement.mjs ".gpuprobe/$v/griffin" --ep "$eps" --profile --io --timeout 100 \
    --out "$out/$file" "$@" | cut -c1-400
}

# the question first (where the time goes), then the toy repro, then onnxruntime-node 1.31.1
placement new placement-new.json 180 webgpu,cpu
placement old placement-old.json 160 webgpu,cpu
repro 1.30.0
repro 1.31.1 --ort "$ORT131"
placement new placement-new-ort131.json 120 webgpu --ort "$ORT131" --tokens 1,16,256,1024

step summary
timeout 30 node - "$out" <<'EOF' | tee "$out/summary.txt"
const fs = require('fs');
const dir = process.argv[2];
const j = (x) => JSON.stringify(x);
for (const f of fs.readdirSync(dir).filter((x) => x.startsWith('placement-')).sort()) {
  const { results } = JSON.parse(fs.readFileSync(`${dir}/${f}`, 'utf8'));
  console.log(`\n## ${f}`);
  for (const r of results) {
    if (r.io) {
      console.log(`${r.graph} io=${r.io} exit=${r.exit}${r.signal ? ' ' + r.signal : ''} ms/call=${r.msPerCall} min=${r.msPerCallMin} diff=${r.maxAbsDiffVsPlain} state=${r.stateLocation}${r.tail ? ' | ' + r.tail.split('\n').pop().slice(0, 200) : ''}`);
      continue;
    }
    console.log(`${r.graph} ${r.ep} ort=${r.ort} exit=${r.exit} placed=${j(r.placed)} cpuOps=${j(r.cpuOps)} createMs=${r.createMs}`);
    console.log(`  median ms by T ${j(r.medianMsByTokens)} first ${j(r.firstMsByTokens)} nonFinite ${j(Object.values(r.logits ?? {}).map((x) => x.nonFinite))}`);
    for (const [T, p] of Object.entries(r.profile ?? {})) {
      if (p.error) { console.log(`  profile T=${T} error ${p.error.slice(0, 200)}`); continue; }
      const top = Object.entries(p.byOp).slice(0, 6).map(([o, v]) => `${o}:${v.us}us/${v.count}`).join(' ');
      console.log(`  profile T=${T} ${j(p.median)} providers ${j(p.byProvider)}`);
      console.log(`    top ops ${top}`);
      if (p.gpu) console.log(`    gpu kernels/call ${p.gpu.kernelUsPerCall}us in ${p.gpu.dispatchesPerCall} dispatches; ${Object.entries(p.gpu.byOp).slice(0, 6).map(([o, v]) => `${o}:${v.us}us/${v.count}`).join(' ')}`);
    }
    if (r.tail) console.log(`  tail: ${r.tail.split('\n').slice(-3).join(' | ').slice(0, 400)}`);
  }
}
EOF
step "done in $((SECONDS - START)) s"; ls -l "$out"
