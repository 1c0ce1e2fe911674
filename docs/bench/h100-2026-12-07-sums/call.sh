# device call (session 8, B): the RG-LRU as running sums (scan_cumsum, --ingest-scan-sums 8,8,4) against the shipped
# decay matrices (--ingest-scan-chunk 8 --ingest-scan-outer 32) in griffin's blocked ingest graph, on WebGPU; pytest without -x
set -u
T0=$(date +%s)
el() { echo "($(( $(date +%s) - T0 )) s)"; }
[ -x /usr/local/bin/node ] || source .devkit/setup.sh >/dev/null
nvidia-smi --query-gpu=name --format=csv,noheader
for d in griffin s/griffin s32/griffin; do [ -d .gpuprobe/t/$d ] && node scripts/gpu-placement.mjs --fill-weights .gpuprobe/t/$d >/dev/null; done
echo "== pytest $(el)"
(cd models/python && timeout 100 python3 -m pytest -q -rf tests 2>&1 | grep -v Warning | tail -30) > $OUT/pytest.log; tail -4 $OUT/pytest.log
for r in 1 2; do for v in griffin s/griffin; do
  echo "== placement $v $r $(el)"
  timeout 60 node scripts/gpu-placement.mjs .gpuprobe/t/$v --ep webgpu --graphs ingestBlocked --tokens 2048,8192 --reps 10 --out /tmp/place-${v//\//-}-$r.json 2>/dev/null | python3 -c "import sys,json; [print(json.loads(l).get('medianMsByTokens'), json.loads(l).get('exit')) for l in sys.stdin if l.startswith('{')]"
done; done
echo "== profile s $(el)"
timeout 70 node scripts/gpu-placement.mjs .gpuprobe/t/s/griffin --ep webgpu --graphs ingestBlocked --tokens 8192 --reps 5 --profile --profile-tokens 8192 --out $OUT/profile-s.json 2>/dev/null | python3 -c "import sys,json; [print(json.loads(l).get('medianMsByTokens'), (json.loads(l).get('profile') or {}).get('8192',{}).get('gpu',{}).get('kernelUsPerCall'), (json.loads(l).get('profile') or {}).get('8192',{}).get('gpu',{}).get('dispatchesPerCall')) for l in sys.stdin if l.startswith('{')]"
if [ -d .gpuprobe/t/s32/griffin ]; then
  echo "== placement s32 $(el)"
  timeout 90 node scripts/gpu-placement.mjs .gpuprobe/t/s32/griffin --ep webgpu --graphs ingestBlocked --tokens 8192,16384,32768 --reps 6 --out /tmp/place-s32.json 2>/dev/null | python3 -c "import sys,json; [print(json.loads(l).get('medianMsByTokens'), json.loads(l).get('exit')) for l in sys.stdin if l.startswith('{')]"
fi
for r in 1 2; do for v in "" s; do
  echo "== save ${v:-shipped} $r $(el)"
  timeout 60 node dist/cli.js bench --only save --ep auto --arch griffin --models .gpuprobe/t/$v --global-storage /tmp/gs-${v:-shipped} --out $OUT/save-${v:-shipped}-$r.json > /tmp/save.log 2>&1 || echo "rc $?"
  grep -E "first index|least recently" /tmp/save.log | grep -E "^ " | cut -c1-200
done; done
for f in /tmp/place-*.json; do echo "$f $(cat $f | tr -d "\n")"; done > $OUT/place.txt
echo "== done $(el)"
