#!/usr/bin/env bash
# The checkpoints a device_zoo.sh call left on the (still warm) machine: copies the parts of the
# named architectures from /tmp/zoo/pack to $OUT. At most two per call (64 MiB).
#   bash models/python/device_zoo_fetch.sh "linearized griffin"
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
for a in $1; do cp /tmp/zoo/pack/ckpt-"$a".part-* "$OUT/" || echo "no checkpoint for $a"; done
ls -la "$OUT"
