#!/usr/bin/env bash
# The device tool carries at most 64 MiB of the working tree, and the five shipped model folders
# are ~190 MB: move their large files (graphs, weights) out of what travels for a device call and
# back afterwards. Each file moves into its own folder's git-ignored `.stash/` and is replaced by a
# relative symbolic link to it, so the link resolves inside the model folder: the engine's checks
# (server/engine/integrity.ts: no path leading out of the folder, checksums) still pass and this
# machine's tests and evals keep working during the call. A link travels as a link (a few bytes) and
# dangles on the device, where only the tokenizers are needed. Nothing is committed or deleted;
# `git status` shows the links as type changes until `back`.
#   bash models/python/device_tree.sh out    # before the call
#   bash models/python/device_tree.sh back   # after it
set -euo pipefail
cd "$(dirname "$0")/../.."
ARCHS=$(cd models && ls -d */manifest.json | cut -d/ -f1 | xargs)  # every shipped model folder
# graphs and weights; the tokenizers too except hawk's, the one gpu.sh trains with (all five are one file)
big() { find "models/$1" -maxdepth 1 -type f \( -name '*.onnx' -o -name '*.bin' \); [ "$1" = hawk ] || find "models/$1" -maxdepth 1 -type f -name tokenizer.json; }
case "${1:-}" in
  out)
    for a in $ARCHS; do
      [ -d "models/$a/.stash" ] && [ -n "$(ls -A "models/$a/.stash")" ] && { echo "models/$a/.stash is not empty: run 'back' first" >&2; exit 1; }
      mkdir -p "models/$a/.stash"
      for f in $(big "$a"); do n=$(basename "$f"); mv "$f" "models/$a/.stash/$n"; ln -s ".stash/$n" "$f"; done
    done
    echo "large model files in models/*/.stash (linked); tree without .git/node_modules/.corpus: $(du -sh --exclude=.git --exclude=node_modules --exclude='.corpus' --exclude='.zoo*' --exclude='.init*' --exclude=.stash . | cut -f1)" ;;
  back)
    for a in $ARCHS; do
      [ -d "models/$a/.stash" ] || continue
      for f in "models/$a/.stash"/*; do [ -e "$f" ] || continue; rm -f "models/$a/$(basename "$f")"; mv "$f" "models/$a/"; done
      rmdir "models/$a/.stash"
    done
    # what is left changed (nothing when clean: grep's 1 is not a failure)
    git status --short models | { grep -v '^??' || true; } | head ;;
  *) echo "usage: $0 out|back" >&2; exit 2 ;;
esac
