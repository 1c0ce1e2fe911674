#!/usr/bin/env python3
"""Train shards of the code corpus: plan, index, check, pick.

The train split is cut into shards, each a `.jsonl.xz` of whole packages (same line format as
train.jsonl) small enough to ride along with one GPU run's upload (a run carries 64 MiB in all;
each shard is at most SHARD_CAP). Shards are disjoint by package and together hold the whole
train split; the plan depends only on the package ids and sizes, so a rebuild from the same
lists gives the same shards (the index records each shard's sha256).

  python3 models/corpus/shards.py list          # the index, one line per shard
  python3 models/corpus/shards.py pick N        # path of the shard training run N takes (N mod count)
  python3 models/corpus/shards.py verify        # files in .corpus/shards/ match the index

Python 3 standard library only.
"""

import hashlib
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
SHARD_DIR = os.path.join(ROOT, ".corpus", "shards")
INDEX = os.path.join(HERE, "shards.json")

MiB = 1024 * 1024
SHARD_CAP = 35 * MiB        # hard limit for one shard's .jsonl.xz
SHARD_TARGET = 30 * MiB     # what the plan aims at (room for the estimate to be off)


def shard_name(i):
    return "train-%03d.jsonl.xz" % i


def _h(s):
    return hashlib.sha1(s.encode("utf-8")).hexdigest()


def n_shards_for(total_raw, ratio, target=None):
    """Number of shards so that each compressed shard is about `target` bytes or less."""
    target = target or SHARD_TARGET
    return max(1, math.ceil(total_raw * ratio / target))


def plan(pkgs, n):
    """Split packages into n shards. pkgs: [(pkg_id, raw_bytes)]. Returns [[pkg_id, ...]] * n.

    Packages are taken in sha1(pkg_id) order (so every shard mixes languages and sources) and
    each goes to the shard with the fewest bytes so far (ties: lowest index). Deterministic."""
    if len(set(p for p, _ in pkgs)) != len(pkgs):
        raise ValueError("duplicate package ids")
    shards = [[] for _ in range(n)]
    load = [0] * n
    for pid, b in sorted(pkgs, key=lambda x: (_h(x[0]), x[0])):
        i = min(range(n), key=lambda k: (load[k], k))
        shards[i].append(pid)
        load[i] += b
    return shards


def check_index(index, train_pkgs=None, cap=SHARD_CAP):
    """Problems with a shard index (empty list when consistent): names unique and in order,
    packages disjoint, every shard under the cap, and (given train_pkgs) the union is exactly
    the train split."""
    errs = []
    shards = index.get("shards", [])
    if not shards:
        return ["no shards"]
    seen = {}
    for i, s in enumerate(shards):
        if s.get("name") != shard_name(i):
            errs.append("shard %d is named %r, expected %r" % (i, s.get("name"), shard_name(i)))
        if s.get("n_packages") != len(s.get("packages", [])):
            errs.append("%s: n_packages %r != %d listed" % (s.get("name"), s.get("n_packages"), len(s.get("packages", []))))
        if not s.get("packages"):
            errs.append("%s: no packages" % s.get("name"))
        for p in s.get("packages", []):
            if p in seen:
                errs.append("%s in both %s and %s" % (p, seen[p], s.get("name")))
            seen[p] = s.get("name")
        if not isinstance(s.get("xz_bytes"), int) or s["xz_bytes"] > cap:
            errs.append("%s: xz_bytes %r over the cap %d" % (s.get("name"), s.get("xz_bytes"), cap))
        if not isinstance(s.get("sha256"), str) or len(s["sha256"]) != 64:
            errs.append("%s: no sha256" % s.get("name"))
    if train_pkgs is not None:
        train = set(train_pkgs)
        missing = train - set(seen)
        extra = set(seen) - train
        if missing:
            errs.append("%d train packages in no shard (e.g. %s)" % (len(missing), sorted(missing)[0]))
        if extra:
            errs.append("%d shard packages not in train (e.g. %s)" % (len(extra), sorted(extra)[0]))
    return errs


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_index(path=INDEX):
    with open(path) as f:
        return json.load(f)


def pick(run, index=None, shard_dir=SHARD_DIR):
    """Path of the shard that training run `run` (0, 1, 2, ...) takes: shard run mod count."""
    index = index or load_index()
    s = index["shards"][run % len(index["shards"])]
    return os.path.join(shard_dir, s["name"]), s


def verify(index=None, shard_dir=SHARD_DIR):
    index = index or load_index()
    errs = check_index(index)
    for s in index["shards"]:
        p = os.path.join(shard_dir, s["name"])
        if not os.path.exists(p):
            errs.append("%s: missing" % p)
        elif os.path.getsize(p) != s["xz_bytes"] or sha256_file(p) != s["sha256"]:
            errs.append("%s: size or sha256 differs from the index" % p)
    return errs


def main(argv):
    cmd = argv[1] if len(argv) > 1 else "list"
    if cmd == "list":
        idx = load_index()
        for s in idx["shards"]:
            print("%s  %4d packages  %6.1f MiB source  %5.1f MiB xz  %s" % (
                s["name"], s["n_packages"], s["bytes"] / MiB, s["xz_bytes"] / MiB, s["sha256"][:12]))
    elif cmd == "pick":
        path, s = pick(int(argv[2]))
        print(path)
    elif cmd == "verify":
        errs = verify()
        for e in errs:
            print(e)
        print("ok" if not errs else "%d problems" % len(errs))
        return 1 if errs else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
