"""A random subset of the corpus small enough to carry to the GPU machine in one call (stdlib only).

    python3 models/python/zoo_subset.py .corpus .zoo --train-mb 60 --heldout-mb 3
"""
from __future__ import annotations

import argparse
import json
import lzma
import os
import random


def take(src: str, dst: str, limit: int, shuffle: bool, seed: int, skip: int = 0) -> tuple[int, int]:
    """Packages in a seeded random order: the first `skip` bytes' worth are passed over, then
    packages are written until `limit` bytes (so shards with consecutive offsets never overlap)."""
    with open(src, encoding="utf-8") as f:
        lines = f.readlines()
    if shuffle:
        random.Random(seed).shuffle(lines)
    total, n, skipped = 0, 0, 0
    with lzma.open(dst, "wt", encoding="utf-8", preset=6) as out:
        for line in lines:
            if total >= limit:
                break
            size = sum(len(x["text"].encode("utf-8")) for x in json.loads(line)["files"])
            if skipped < skip:
                skipped += size
                continue
            total += size
            out.write(line)
            n += 1
    return n, total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("out")
    ap.add_argument("--train-mb", type=float, default=60)
    ap.add_argument("--heldout-mb", type=float, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--offset-mb", type=float, default=0, help="skip this much of the shuffled train packages first: shard k of S MB is --offset-mb k*S")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for name, mb, shuffle in (("train", a.train_mb, True), ("heldout", a.heldout_mb, False)):
        n, b = take(os.path.join(a.corpus, f"{name}.jsonl"), os.path.join(a.out, f"{name}.jsonl.xz"), int(mb * 1e6), shuffle, a.seed, int(a.offset_mb * 1e6) if name == "train" else 0)
        print(f"{name}: {n} packages, {b/1e6:.1f} MB")


if __name__ == "__main__":
    main()
