# device call (session 8, C): the kept load, 840085e^ (dist-old) against now (dist), alternated, each with its own storage primed once
set -u
T0=$(date +%s)
el() { echo "($(( $(date +%s) - T0 )) s)"; }
[ -x /usr/local/bin/node ] || source .devkit/setup.sh >/dev/null
nvidia-smi --query-gpu=name --format=csv,noheader
[ -f .gpuprobe/t/griffin/weights-0.bin ] || node scripts/gpu-placement.mjs --fill-weights .gpuprobe/t/griffin >/dev/null
load() { python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))['save']; tl=d['firstIndexTimeline']
a=next(e['ms'] for e in tl if e['event'].startswith('status loading')); b=next(e['ms'] for e in tl if e['event'].startswith('status ready'))
print(sys.argv[2], 'loading', round(b-a), 'ms; first index', round(d['firstIndexMs']), 'ms; fold', d['firstIndex']['engineMs'], 'ms; reopen', round(d['reopenMs']))" "$@"; }
R=$PWD; mkdir -p /tmp/oldroot; for f in *; do [ -e /tmp/oldroot/$f ] || ln -s $R/$f /tmp/oldroot/$f; done; rm -f /tmp/oldroot/dist; rm -rf /tmp/oldroot/dist; cp -r .gpuprobe/t/dist-old /tmp/oldroot/dist
[ -e /tmp/oldroot/node_modules ] || ln -s $R/node_modules /tmp/oldroot/node_modules
for r in 0 1 2; do for v in old new; do
  D=dist; [ $v = old ] && D=/tmp/oldroot/dist
  timeout 60 node $D/cli.js bench --only save --ep auto --arch griffin --models $R/.gpuprobe/t --global-storage /tmp/gsk2-$v --out $OUT/kept-$v-$r.json > /tmp/kept-$v-$r.log 2>&1 || echo "rc $? $v $r"
  load $OUT/kept-$v-$r.json "$v run $r $(el)"
done; done
echo "== done $(el)"
