# device: engine fold + graph calls of the ingest variants (timing only, filled weights)
set -u
source .devkit/setup.sh >/dev/null
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
V=${V:-ing blk chk8 chk16}
# ing = blk without ingestBlocked; chk* carry only their ingest-blocked.onnx and manifest
mkdir -p .gpuprobe/ing/griffin && cp .gpuprobe/blk/griffin/{step,prefill,score,ingest}.onnx .gpuprobe/blk/griffin/tokenizer.json .gpuprobe/blk/griffin/weights.json .gpuprobe/ing/griffin/
python3 -c "import json; m=json.load(open('.gpuprobe/blk/griffin/manifest.json')); m['graphs'].pop('ingestBlocked'); json.dump(m, open('.gpuprobe/ing/griffin/manifest.json','w'))"
for v in chk8 chk16; do cp -n .gpuprobe/blk/griffin/{step,prefill,score,ingest}.onnx .gpuprobe/blk/griffin/tokenizer.json .gpuprobe/$v/griffin/; done
for v in $V; do node scripts/gpu-placement.mjs --fill-weights .gpuprobe/$v/griffin >/dev/null; done
echo "== graph calls (state through the CPU; compare lengths only)"
for v in $V; do
  c=ingest:2048
  if [ -f .gpuprobe/$v/griffin/ingest-blocked.onnx ]; then
    mx=$(python3 -c "import json; print(json.load(open('.gpuprobe/$v/griffin/manifest.json'))['graphs']['ingestBlocked']['maxTokens'])")
    c=ingest:2048,ingestBlocked:2048,ingestBlocked:4096; [ "$mx" -ge 8192 ] && c=$c,ingestBlocked:8192
  fi
  echo "-- $v"; timeout 120 node models/python/graph_bench.mjs --ep webgpu --reps ${REPS:-8} --cases $c .gpuprobe/$v/griffin 2>&1 | grep -v "^\s*$" | tail -8
done
echo "== engine bench (webgpu)"
for v in $V; do
  echo "-- $v"
  MODELS=.gpuprobe/$v EPS=webgpu SIZES=${SIZES:-10000,100000} KEYSTROKES=${KEYSTROKES:-2} LIMIT_GPU_S=${LIMIT_GPU_S:-100} OUT=$OUT/$v bash scripts/gpu-bench.sh run 2>&1 | grep -E "fold|ingest|tok/s|graphs|p50|keystroke|workspace|document|==|failed|Error" | head -30
done
