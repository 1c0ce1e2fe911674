"""Shard index of the code corpus: plan and index checks on a tiny synthetic corpus (no downloads).

    python3 -m pytest -q models/corpus/test_shards.py
"""

import json
import lzma
import os
import random
import shutil
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import build_corpus as bc  # noqa: E402
import shards as sh  # noqa: E402


def synthetic(n=60, seed=1):
    rnd = random.Random(seed)
    recs = []
    for i in range(n):
        lang = ("typescript", "javascript", "python")[i % 3]
        ext = {"typescript": "ts", "javascript": "js", "python": "py"}[lang]
        files = []
        for j in range(rnd.randint(1, 4)):
            body = "\n".join("const v%d_%d = %d;  // line %d" % (i, k, rnd.randint(0, 10 ** 6), k)
                             for k in range(rnd.randint(5, 200)))
            files.append({"path": "p%d/f%d.%s" % (i, j, ext), "lang": lang, "text": body + "\n"})
        recs.append({"pkg": "npm:p%d@1.0.0" % i, "source": "npm", "name": "p%d" % i,
                     "license": "MIT", "files": files})
    return recs


def fake_index(plan, sizes, xz=lambda b: b // 5):
    return {"shards": [{"name": sh.shard_name(i), "packages": ids, "n_packages": len(ids),
                        "bytes": sum(sizes[p] for p in ids), "xz_bytes": xz(sum(sizes[p] for p in ids)),
                        "sha256": "0" * 64} for i, ids in enumerate(plan)]}


def test_plan_is_disjoint_covering_balanced_and_deterministic():
    recs = synthetic()
    pkgs = [(r["pkg"], sum(bc.pkg_bytes(r).values())) for r in recs]
    sizes = dict(pkgs)
    plan = sh.plan(pkgs, 4)
    assert len(plan) == 4
    flat = [p for ids in plan for p in ids]
    assert sorted(flat) == sorted(sizes) and len(flat) == len(set(flat))
    loads = [sum(sizes[p] for p in ids) for ids in plan]
    assert max(loads) - min(loads) <= max(sizes.values())
    assert sh.plan(list(reversed(pkgs)), 4) == plan          # input order does not matter
    assert sh.check_index(fake_index(plan, sizes), sizes) == []
    with pytest.raises(ValueError):
        sh.plan(pkgs + pkgs[:1], 4)


def test_check_index_finds_overlap_gaps_and_oversize():
    recs = synthetic(12)
    pkgs = [(r["pkg"], sum(bc.pkg_bytes(r).values())) for r in recs]
    sizes = dict(pkgs)
    plan = sh.plan(pkgs, 3)
    overlap = [plan[0], plan[1] + plan[0][:1], plan[2]]
    assert any("in both" in e for e in sh.check_index(fake_index(overlap, sizes), sizes))
    gap = [plan[0], plan[1], plan[2][1:]]
    assert any("in no shard" in e for e in sh.check_index(fake_index(gap, sizes), sizes))
    assert any("not in train" in e for e in sh.check_index(fake_index(plan, sizes), list(sizes)[1:]))
    big = fake_index(plan, sizes, xz=lambda b: sh.SHARD_CAP + 1)
    assert any("over the cap" in e for e in sh.check_index(big, sizes))
    assert sh.check_index(big, sizes, cap=10 ** 12) == []
    bad_name = fake_index(plan, sizes)
    bad_name["shards"][1]["name"] = "train-7.jsonl.xz"
    assert any("named" in e for e in sh.check_index(bad_name, sizes))


def test_n_shards_and_pick():
    assert sh.n_shards_for(0, 0.15) == 1
    assert sh.n_shards_for(1000 * sh.MiB, 0.15, target=30 * sh.MiB) == 5
    idx = {"shards": [{"name": sh.shard_name(i)} for i in range(3)]}
    assert [os.path.basename(sh.pick(k, idx, "/x")[0]) for k in range(5)] == [
        "train-000.jsonl.xz", "train-001.jsonl.xz", "train-002.jsonl.xz",
        "train-000.jsonl.xz", "train-001.jsonl.xz"]


@pytest.mark.skipif(shutil.which("xz") is None, reason="needs xz")
def test_write_shards_end_to_end(tmp_path, monkeypatch):
    """build_corpus.write_shards on a synthetic train split: files match the index, the
    shards' lines are exactly the train packages, and the cap is honoured."""
    monkeypatch.setattr(sh, "SHARD_DIR", str(tmp_path / "shards"))
    monkeypatch.setattr(sh, "INDEX", str(tmp_path / "shards.json"))
    monkeypatch.setattr(sh, "SHARD_TARGET", 20_000)  # tiny shards: several of them
    recs = synthetic(40)
    total = sum(sum(bc.pkg_bytes(r).values()) for r in recs)
    (tmp_path / "shards").mkdir()
    (tmp_path / "shards" / "train-099.jsonl.xz").write_bytes(b"stale")
    idx = bc.write_shards(recs, 1, ratio_hint=0.2)
    assert idx["count"] == len(idx["shards"]) >= 2
    assert json.load(open(tmp_path / "shards.json")) == idx
    assert sh.verify(idx, str(tmp_path / "shards")) == []
    assert not (tmp_path / "shards" / "train-099.jsonl.xz").exists()
    seen = []
    for s in idx["shards"]:
        with lzma.open(tmp_path / "shards" / s["name"], "rt", encoding="utf-8") as f:
            lines = [json.loads(l) for l in f]
        assert [l["pkg"] for l in lines] == s["packages"]
        assert sum(len(x["text"].encode()) for l in lines for x in l["files"]) == s["bytes"]
        seen += s["packages"]
    assert sorted(seen) == sorted(r["pkg"] for r in recs)
    assert sum(s["bytes"] for s in idx["shards"]) == total
    assert sh.check_index(idx, [r["pkg"] for r in recs]) == []
