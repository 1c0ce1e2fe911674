# device: the workspace fold with runs (dist) against file by file (.gpuprobe/dist-old), the profile of
# ingest-blocked.onnx at 8192 tokens, and the step graph with its state on the GPU (timing only, filled weights)
set -u
T0=$(date +%s)
source .devkit/setup.sh >/dev/null
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
M=.gpuprobe/ship
node scripts/gpu-placement.mjs --fill-weights $M/griffin >/dev/null
for d in new old; do
  D=dist; [ $d = old ] && D=.gpuprobe/dist-old
  echo "== save bench, $d ($(( $(date +%s) - T0 )) s)"
  J=$OUT/save-$d-$(date +%s).json
  timeout 110 node $D/cli.js bench --only save --ep auto --arch griffin --models $M --out $J 2>&1 | grep -E "first index|workspace state|folded|ready|save|ms" | head -14
  python3 -c "import json,sys; [print(f\"  {e['ms']:>9} {e['event'][:150]}\") for e in json.load(open(sys.argv[1]))['save'].get('firstIndexTimeline',[])]" $J 2>/dev/null | head -30
done
left() { echo $(( ${DEADLINE:-480} - ($(date +%s) - T0) )); }
echo "== ingest-blocked: accuracy_level 4 (shipped, DP4A) vs 0 ($(( $(date +%s) - T0 )) s)"
for f in weights-0.bin weights-1.bin weights-2.bin ingest.onnx tokenizer.json step.onnx prefill.onnx score.onnx; do cp $M/griffin/$f .gpuprobe/acc0/griffin/; done
timeout 60 node models/python/graph_bench.mjs --ep webgpu --reps 6 --cases ingestBlocked:2048,ingestBlocked:8192 $M/griffin .gpuprobe/acc0/griffin 2>&1 | tail -8
echo "== ingest-blocked profile ($(( $(date +%s) - T0 )) s)"
[ $(left) -gt 60 ] && timeout $(( $(left) > 120 ? 120 : $(left) - 10 )) node scripts/gpu-placement.mjs $M/griffin --ep webgpu --graphs ingestBlocked --tokens 2048,8192 --profile --profile-tokens 8192 --reps 6 --timeout 110 --out $OUT/profile-blocked.json 2>&1 | tail -60
echo "== step io variants ($(( $(date +%s) - T0 )) s)"
[ $(left) -gt 40 ] && timeout $(( $(left) > 90 ? 90 : $(left) - 5 )) node scripts/gpu-placement.mjs $M/griffin --ep webgpu --graphs step --io --reps 40 --timeout 80 --out $OUT/step-io.json 2>&1 | tail -40
echo "== done ($(( $(date +%s) - T0 )) s)"
