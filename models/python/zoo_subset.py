"""A random subset of the corpus small enough to carry to the GPU machine in one call (stdlib only).

    python3 models/python/zoo_subset.py .corpus .zoo --train-mb 60 --heldout-mb 3
"""
from __future__ import annotations

import argparse
import json
import lzma
import os
import random


def take(src: str, dst: str, limit: int, shuffle: bool, seed: int) -> tuple[int, int]:
    with open(src, encoding="utf-8") as f:
        lines = f.readlines()
    if shuffle:
        random.Random(seed).shuffle(lines)
    total, n = 0, 0
    with lzma.open(dst, "wt", encoding="utf-8", preset=6) as out:
        for line in lines:
            if total >= limit:
                break
            total += sum(len(x["text"].encode("utf-8")) for x in json.loads(line)["files"])
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
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for name, mb, shuffle in (("train", a.train_mb, True), ("heldout", a.heldout_mb, False)):
        n, b = take(os.path.join(a.corpus, f"{name}.jsonl"), os.path.join(a.out, f"{name}.jsonl.xz"), int(mb * 1e6), shuffle, a.seed)
        print(f"{name}: {n} packages, {b/1e6:.1f} MB")


if __name__ == "__main__":
    main()
