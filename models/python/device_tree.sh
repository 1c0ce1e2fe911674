#!/usr/bin/env bash
# The device tool carries at most 64 MiB of the working tree, and the five shipped model folders
# are ~190 MB: move them out of the tree for a device call (keeping the tokenizer the training
# reads), and back afterwards. Nothing is committed or deleted; `git status` shows the move.
#   bash models/python/device_tree.sh out    # before the call
#   bash models/python/device_tree.sh back   # after it
set -euo pipefail
cd "$(dirname "$0")/../.."
STASH=${STASH:-../statewise-model-stash}
ARCHS="hawk griffin based alibi linearized"
case "${1:-}" in
  out)
    [ -e "$STASH" ] && { echo "$STASH exists: run 'back' first" >&2; exit 1; }
    mkdir -p "$STASH"
    for a in $ARCHS; do mv "models/$a" "$STASH/"; done
    mkdir -p models/hawk && cp "$STASH/hawk/tokenizer.json" models/hawk/
    echo "model folders in $STASH; tree without .git/node_modules/.corpus: $(du -sh --exclude=.git --exclude=node_modules --exclude=.corpus --exclude=.zoo . | cut -f1)" ;;
  back)
    [ -d "$STASH/hawk" ] || { echo "no stash at $STASH" >&2; exit 1; }
    rm -rf models/hawk
    for a in $ARCHS; do mv "$STASH/$a" models/; done
    rmdir "$STASH"; git status --short models | head ;;
  *) echo "usage: $0 out|back" >&2; exit 2 ;;
esac
