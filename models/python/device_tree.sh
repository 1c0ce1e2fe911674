#!/usr/bin/env bash
# The device tool carries at most 64 MiB of the working tree, and the five shipped model folders
# are ~190 MB: move their large files (graphs, weights) out of the tree for a device call and back
# afterwards. Each moved file is replaced by a symbolic link to its new place, so this machine's
# tests and evals keep working during the call; a link travels as a link (a few bytes) and dangles
# on the device, where only the tokenizers are needed. Nothing is committed or deleted; `git status`
# shows the links as type changes until `back`.
#   bash models/python/device_tree.sh out    # before the call
#   bash models/python/device_tree.sh back   # after it
set -euo pipefail
cd "$(dirname "$0")/../.."
STASH=$(realpath -m "${STASH:-../statewise-model-stash}")
ARCHS=$(cd models && ls -d */manifest.json | cut -d/ -f1 | xargs)  # every shipped model folder
big() { find "models/$1" -maxdepth 1 -type f \( -name '*.onnx' -o -name '*.bin' \); }
case "${1:-}" in
  out)
    [ -e "$STASH" ] && { echo "$STASH exists: run 'back' first" >&2; exit 1; }
    for a in $ARCHS; do
      mkdir -p "$STASH/$a"
      for f in $(big "$a"); do mv "$f" "$STASH/$a/"; ln -s "$STASH/$a/$(basename "$f")" "$f"; done
    done
    echo "large model files in $STASH (linked); tree without .git/node_modules/.corpus: $(du -sh --exclude=.git --exclude=node_modules --exclude='.corpus' --exclude='.zoo*' --exclude=.init . | cut -f1)" ;;
  back)
    [ -d "$STASH/hawk" ] || { echo "no stash at $STASH" >&2; exit 1; }
    for a in $ARCHS; do
      for f in "$STASH/$a"/*; do [ -e "$f" ] || continue; rm -f "models/$a/$(basename "$f")"; mv "$f" "models/$a/"; done
      rmdir "$STASH/$a"
    done
    rmdir "$STASH"; git status --short models | head ;;
  *) echo "usage: $0 out|back" >&2; exit 2 ;;
esac
