# device: bench --only save, new (dist: runs of 4 chunks; o32 ingest-blocked.onnx) against old (dist-old; shipped graph), alternated
set -u
T0=$(date +%s)
source .devkit/setup.sh >/dev/null
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
node scripts/gpu-placement.mjs --fill-weights .gpuprobe/ship/griffin >/dev/null
for f in weights-0.bin weights-1.bin; do cp .gpuprobe/ship/griffin/$f .gpuprobe/ship2/griffin/; done
rm -rf dist-old && cp -r .gpuprobe/dist-old dist-old
for r in 1 2; do for d in new old; do
  D=dist; M=.gpuprobe/ship2; [ $d = old ] && { D=dist-old; M=.gpuprobe/ship; }
  echo "== save bench, $d $r ($(( $(date +%s) - T0 )) s)"
  J=$OUT/save-$d-$r.json
  timeout 110 node $D/cli.js bench --only save --ep auto --arch griffin --models $M --out $J 2>&1 | grep -E "first index|save,|graphs" | cut -c1-900 | head -8
  python3 -c "import json,sys; [print(f\"  {e['ms']:>9} {e['event'][:150]}\") for e in json.load(open(sys.argv[1]))['save'].get('firstIndexTimeline',[]) if 'indexing' not in e['event'] or '100%' in e['event'] or ' 0%' in e['event']]" $J 2>/dev/null | head -16
done; done
echo "== ingest-blocked profile, new ($(( $(date +%s) - T0 )) s)"
[ $(( $(date +%s) - T0 )) -lt 380 ] && timeout 100 node scripts/gpu-placement.mjs .gpuprobe/ship2/griffin --ep webgpu --graphs ingestBlocked --tokens 2048,8192 --profile --profile-tokens 8192 --reps 6 --timeout 95 --out $OUT/profile-blocked-o32.json 2>&1 | tail -3 | cut -c1-1500
echo "== done ($(( $(date +%s) - T0 )) s)"
