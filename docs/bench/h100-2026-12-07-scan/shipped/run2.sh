set -u
source .devkit/setup.sh >/dev/null
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for v in blk new; do node scripts/gpu-placement.mjs --fill-weights .gpuprobe/$v/griffin >/dev/null; done
echo "== step graph, old (blk) vs new, webgpu"
timeout 90 node models/python/graph_bench.mjs --ep webgpu --reps 40 --cases step:1 .gpuprobe/blk/griffin .gpuprobe/new/griffin 2>&1 | tail -6
echo "== step graph, old vs new, cpu 16 threads"
timeout 60 node models/python/graph_bench.mjs --ep cpu --threads 16 --reps 60 --cases step:1 .gpuprobe/blk/griffin .gpuprobe/new/griffin 2>&1 | tail -6
MODELS=.gpuprobe/new EPS="${EPS:-cpu auto webgpu}" SIZES=1000,10000,100000 KEYSTROKES=5 LIMIT_S=110 LIMIT_GPU_S=110 OUT=$OUT/new bash scripts/gpu-bench.sh run 2>&1 | grep -E "fed in|folded in|side by side|^tokens|^ *[0-9]|why|--ep|failed" | head -60
