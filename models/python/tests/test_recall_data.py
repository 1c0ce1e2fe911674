"""Synthetic recall keys in the training mix (statewise_models/recall.py): every use names a key
defined earlier in the sequence with the same value; definitions and uses sit at the top level;
the eval probe's use lines and word list never appear."""
import random
import re

from statewise_models import recall
from statewise_models.data import package_pieces

TS = "\n".join(["import { a } from './a';", "", "export function f(x: number) {", "  return x + 1;", "}", ""] * 20)
PY = "\n".join(["import os", "", "def g(x):", "    return x * 2", "", "LIMIT = 3"] * 20)
FILES = [{"path": "pkg/a.ts", "text": TS}, {"path": "pkg/b.py", "text": PY}, {"path": "pkg/c.ts", "text": TS}]
EVAL_WORDS = ["RETRY", "CACHE", "TOKEN", "BUCKET", "RENDER", "SOCKET", "QUEUE", "PARSER", "LAYOUT", "SIGNAL"]

DEF = re.compile(r"""^(?:export )?(?:const |let |var )?(\w+)(?:: str)? = (["'])(\w+)\2;?$""")


def defs_and_uses(files):
    """Every key definition, then every other line that names a key (wherever it is)."""
    defined, uses = {}, []
    for fi, f in enumerate(files):
        for li, line in enumerate(f["text"].split("\n")):
            m = DEF.match(line)
            if m and m.group(1) not in ("LIMIT",):
                assert m.group(1) not in defined, "a key is defined once"
                defined[m.group(1)] = (fi, li, m.group(3))
    for fi, f in enumerate(files):
        for li, line in enumerate(f["text"].split("\n")):
            for name, (dfi, dli, value) in defined.items():
                if name in line and (fi, li) != (dfi, dli):
                    uses.append((name, fi, li, line, value, (dfi, dli)))
    return defined, uses


def test_keys_defined_before_use_with_the_same_value():
    n_defs = n_uses = n_cross = 0
    for seed in range(40):
        out = recall.add_recall_keys(FILES, random.Random(seed), rate=0.8)
        assert [f["path"] for f in out] == [f["path"] for f in FILES]
        defined, uses = defs_and_uses(out)
        n_defs += len(defined)
        for name, fi, li, line, value, (dfi, dli) in uses:
            assert (fi, li) > (dfi, dli), "a use comes after its definition"
            assert value in line, (line, value)
            assert not line.startswith((" ", "\t")), "uses are inserted at the top level"
            assert not line.startswith("assert.equal(") and not line.startswith(f"assert {name} =="), line
            n_uses += 1
            n_cross += fi != dfi
        for name in defined:
            assert not any(w in name for w in EVAL_WORDS), name
    assert n_defs > 60 and n_uses > 30 and n_cross > 5, (n_defs, n_uses, n_cross)


def test_original_lines_kept_in_order():
    out = recall.add_recall_keys(FILES, random.Random(3), rate=1.0)
    for a, b in zip(FILES, out):
        added = [l for l in b["text"].split("\n") if l not in a["text"].split("\n")]
        kept = [l for l in b["text"].split("\n") if l not in added]
        assert kept == a["text"].split("\n")


def test_rate_zero_changes_nothing():
    rng = random.Random(1)
    assert recall.add_recall_keys(FILES, rng, rate=0.0) == FILES


def test_in_training_pieces():
    pieces = package_pieces({"files": FILES}, random.Random(5), fim_rate=0.0, qa_rate=0.0, recall_rate=1.0)
    text = "".join(p.text or "" for p in pieces)
    assert any(w.upper() in text or w.capitalize() in text for w in recall.WORDS)
