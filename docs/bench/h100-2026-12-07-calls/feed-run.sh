# device: ingest call costs and fold patterns (scratch feedbench), variants of ingest-blocked.onnx
set -u
T0=$(date +%s)
source .devkit/setup.sh >/dev/null
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
node scripts/gpu-placement.mjs --fill-weights .gpuprobe/ship/griffin >/dev/null
for v in $VARIANTS; do
  for f in weights-0.bin weights-1.bin step.onnx prefill.onnx ingest.onnx score.onnx tokenizer.json; do [ -e .gpuprobe/v/$v/griffin/$f ] || cp .gpuprobe/ship/griffin/$f .gpuprobe/v/$v/griffin/; done
done
echo "== setup done $(( $(date +%s) - T0 )) s"
DIRS=".gpuprobe/ship/griffin"; for v in $VARIANTS; do DIRS="$DIRS .gpuprobe/v/$v/griffin"; done
timeout ${FEED_S:-300} node .gpuprobe/feed/feedbench.js $DIRS 2>&1 | tee $OUT/feed.log
echo "== done $(( $(date +%s) - T0 )) s"
