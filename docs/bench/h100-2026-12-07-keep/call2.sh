# device call 2 (warm after call 1): the engine bench with the shipped griffin, auto and cpu alternated, two rounds
set -u
T0=$(date +%s)
command -v node >/dev/null || { echo "fresh machine: no node (call 1 did not leave it warm)"; exit 3; }
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for r in 1 2; do for ep in auto cpu; do
  [ $(( $(date +%s) - T0 )) -gt 430 ] && { echo "skip $ep $r: time"; continue; }
  echo "== engine bench --ep $ep, round $r ($(( $(date +%s) - T0 )) s)"
  timeout 150 node dist/cli.js bench --only engine --ep $ep --arch griffin --models .gpumodels --sizes 1000,10000,100000 --keystrokes 10 --out $OUT/bench-$ep-$r.json > $OUT/bench-$ep-$r.log 2>&1 || echo "rc $?"
  grep -E "^bench engine: (griffin|  document| *~)" $OUT/bench-$ep-$r.log | cut -c1-300 | head -3
done; done
ls $OUT/*.json && node scripts/bench-side-by-side.mjs $OUT/bench-*.json | tee $OUT/side-by-side.txt
echo "== done ($(( $(date +%s) - T0 )) s)"
