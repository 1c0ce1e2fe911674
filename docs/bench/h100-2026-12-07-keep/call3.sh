# device call: do WebGPU sessions in the process slow the CPU's decode step? (stepnoise.cjs), alternated
set -u
T0=$(date +%s)
source .devkit/setup.sh >/dev/null
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
node scripts/gpu-placement.mjs --fill-weights docs/bench/h100-2026-12-07-keep/griffin >/dev/null
for r in 1 2 3; do for mode in cpu gpu gpu1 gpurel; do
  timeout 60 node docs/bench/h100-2026-12-07-keep/stepnoise.cjs docs/bench/h100-2026-12-07-keep/griffin $mode 2>&1 | tail -1
done; done
echo "== done ($(( $(date +%s) - T0 )) s)"
