# device call 1: kit setup, then bench --only save --ep auto (first index, refolds, reopen with auto's kept choice), twice
# .gpuprobe/t/griffin: the shipped griffin graphs, tokenizer.json and weights-2.bin, its manifest without "checksums" and
# weights.json ({"weights-0.bin": 23675904, "weights-1.bin": 13940736}): gpu-placement.mjs --fill-weights writes those.
# Carried: .devkit (node.xz, node_modules.tar.xz, gl, setup.sh), dist, .gpuprobe/t (with this script, create.cjs).
set -u
T0=$(date +%s)
source .devkit/setup.sh >/dev/null
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
node scripts/gpu-placement.mjs --fill-weights docs/bench/h100-2026-12-07-keep/griffin >/dev/null
rm -rf /tmp/gs
for r in 1 2; do
  echo "== save bench $r ($(( $(date +%s) - T0 )) s)"
  J=$OUT/save-$r.json
  timeout 200 node dist/cli.js bench --only save --ep auto --arch griffin --models .gpuprobe/t --global-storage /tmp/gs --out $J > $OUT/save-$r.log 2>&1
  grep -E "first index|reopened|graphs|kept|timed" $OUT/save-$r.log | cut -c1-700 | head -8
  python3 - $J <<'PY'
import json,sys
r=json.load(open(sys.argv[1]))['save']
print('epReason', str(r['server'].get('epReason'))[:600])
print('firstIndexMs', r.get('firstIndexMs'), 'reopenMs', r.get('reopenMs'))
for k in ('firstIndexTimeline','reopenTimeline'):
  print('--', k)
  for e in r.get(k,[]):
    if 'indexing' not in e['event'] or '100%' in e['event'] or ' 0%' in e['event']: print(f"  {e['ms']:>9} {e['event'][:160]}")
PY
done
echo "== done ($(( $(date +%s) - T0 )) s)"
echo "== session creation"
for o in step:cpu,prefill:cpu,step:webgpu,prefill:webgpu,ingest:webgpu,ingestBlocked:webgpu step:cpu,prefill:cpu,ingest:webgpu,ingestBlocked:webgpu ingest:webgpu,ingestBlocked:webgpu,step:webgpu,prefill:webgpu step:cpu,prefill:cpu,step:webgpu,prefill:webgpu,ingest:webgpu,ingestBlocked:webgpu step:cpu,prefill:cpu,ingest:webgpu,ingestBlocked:webgpu; do
  timeout 30 node docs/bench/h100-2026-12-07-keep/create.cjs docs/bench/h100-2026-12-07-keep/griffin $o 2>&1 | tail -1
done
echo "== end ($(( $(date +%s) - T0 )) s)"
