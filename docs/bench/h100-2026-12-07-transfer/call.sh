# device call (session 8, A): python tests with torch, alibi transfers whole against parts on WebGPU, the kept load, python ORT's providers
set -u
T0=$(date +%s)
source .devkit/setup.sh >/dev/null
nvidia-smi --query-gpu=name --format=csv,noheader
python3 -c "import onnxruntime as o, torch; print('ort', o.__version__, o.get_available_providers(), 'torch', torch.__version__)"
echo "== pytest ($(( $(date +%s) - T0 )) s)"
(cd models/python && timeout 150 python3 -m pytest -q -x tests 2>&1 | tail -5) | tee $OUT/pytest.log
node scripts/gpu-placement.mjs --fill-weights .gpuprobe/t/griffin >/dev/null
node scripts/gpu-placement.mjs --fill-weights .gpuprobe/t/alibi >/dev/null
echo "== transfer bench ($(( $(date +%s) - T0 )) s)"
timeout 150 node scripts/gpu-transfer-bench.mjs .gpuprobe/t/alibi --lib .gpuprobe/t/transfer-lib.mjs --ep webgpu --reps 5 --fills 16,1024,2000 --out $OUT/transfer.json 2>&1 | tee $OUT/transfer.log | cut -c1-400
echo "== kept load ($(( $(date +%s) - T0 )) s)"
rm -rf /tmp/gs
for r in 1 2; do
  timeout 60 node dist/cli.js bench --only save --ep auto --arch griffin --models .gpuprobe/t --global-storage /tmp/gs --out $OUT/save-$r.json > $OUT/save-$r.log 2>&1 || echo "rc $? run $r"
  grep -E "loaded griffin|ingest graphs alone|not kept|first index|reopened" $OUT/save-$r.log | cut -c1-300 | head -6
  echo "-- ($(( $(date +%s) - T0 )) s)"
done
P=$(python3 -c "import onnxruntime,os;print(os.path.dirname(onnxruntime.__file__))"); ls $P/capi | head -20
echo "== done ($(( $(date +%s) - T0 )) s)"
