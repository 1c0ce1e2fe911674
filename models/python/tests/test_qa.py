"""Synthetic Ask data: facts read off code, and the training layout of models/ask-format.json."""
import random

from statewise_models import qa
from statewise_models.data import Piece, package_pieces
from statewise_models.tokenizer import SPECIAL

TS = """import { x } from './x';

export const MAX_RETRIES = 5;
const NAME = "statewise";

export function add(a: number, b: number): number {
  return a + b;
}

export function twice(n: number) {
  const y = add(n, n);
  return y;
}

class Box {
  open(key: string) {
    return twice(1);
  }
}
"""

PY = '''LIMIT = 1024


def scale(x, factor=2):
    return x * factor


def run(items):
    out = [scale(i) for i in items]
    return out
'''


def by_name(syms):
    return {s.name: s for s in syms}


def test_typescript_facts():
    s = by_name(qa.extract("src/a.ts", TS))
    assert s["MAX_RETRIES"].kind == "constant" and s["MAX_RETRIES"].value == "5"
    assert s["NAME"].value == '"statewise"'
    assert s["add"].params == "a: number, b: number" and s["add"].returns == "a + b"
    assert s["add"].callers == ["twice"]
    assert s["twice"].callers == ["open"]
    assert s["Box"].kind == "class"
    assert s["open"].kind == "method" and s["open"].params == "key: string"


def test_python_facts():
    s = by_name(qa.extract("pkg/m.py", PY))
    assert s["LIMIT"].value == "1024"
    assert s["scale"].params == "x, factor=2" and s["scale"].returns == "x * factor"
    assert s["scale"].callers == ["run"]
    assert s["run"].callers == []
    assert dict(qa.facts(s["run"]))["callers"] == "none"


def test_questions_follow_the_format():
    assert qa.question("value", "LIMIT") == "What is the value of LIMIT?"
    turns = qa.sample_turns("pkg/m.py", PY, random.Random(0), 3)
    assert 1 <= len(turns) <= 3
    assert len({q for q, _ in turns}) == len(turns)


def test_training_layout():
    pkg = {"files": [{"path": "pkg/m.py", "text": PY}]}
    pieces = package_pieces(pkg, random.Random(3), fim_rate=0.0, qa_rate=1.0)
    specials = [p.special for p in pieces if p.special is not None]
    assert specials[0] == SPECIAL["file"] and specials[-1] == SPECIAL["endoftext"]
    assert pieces[1] == Piece(text="pkg/m.py\n") and pieces[2] == Piece(text=PY + "\n")
    turn = specials[1:-1]
    assert len(turn) % 3 == 0 and turn[:3] == [SPECIAL["question"], SPECIAL["answer"], SPECIAL["end"]]


def test_layout_matches_the_engine_fixture():
    """models/ask-parity.json is what the engine's prompt builder produces (test/engine/askPrompt.test.ts)."""
    import json
    import os

    from statewise_models.data import ask_layout
    from statewise_models.tokenizer import SPECIAL_TOKENS

    fx = json.load(open(os.path.join(os.path.dirname(__file__), "..", "..", "ask-parity.json")))
    names = {SPECIAL[n.strip("<|>")]: n for n in SPECIAL_TOKENS}
    for case in fx["cases"]:
        inp = case["input"]
        q = inp["question"]
        if "selection" in inp:
            q = qa.FORMAT["selection"].format(question=q, selection=inp["selection"])
        turns = [(h["question"], h["answer"]) for h in inp.get("history", [])]
        got = [{"special": names[p.special]} if p.special is not None else {"text": p.text}
               for p in ask_layout(inp["path"], inp["text"], turns, q)]
        assert got == case["pieces"], case["name"]


class _CharTokenizer:
    """A stand-in with the one method the stream builders use: one id per character."""

    class _Enc:
        def __init__(self, ids):
            self.ids = ids

    def encode_batch(self, texts, add_special_tokens=False):
        return [self._Enc([16 + (ord(c) % 1000) for c in t]) for t in texts]


def test_build_streams(tmp_path):
    import json

    from statewise_models.data import build_streams

    pkgs = [{"pkg": f"p{i}", "files": [{"path": f"p{i}/m.py", "text": PY}, {"path": f"p{i}/a.ts", "text": TS}]} for i in range(6)]
    (tmp_path / "train.jsonl").write_text("\n".join(json.dumps(p) for p in pkgs) + "\n")
    (tmp_path / "heldout.jsonl").write_text(json.dumps(pkgs[0]) + "\n")
    z = build_streams(_CharTokenizer(), str(tmp_path), eval_bytes=10_000, qa_rate=1.0)
    train = z["train"].tolist()
    assert train.count(SPECIAL["endoftext"]) == 6 and train.count(SPECIAL["file"]) == 12
    assert train.count(SPECIAL["question"]) == train.count(SPECIAL["answer"]) >= 1
    assert z["info"]["packages"] == 6 and z["eval_bytes"] == len((PY + TS).encode())
    assert len(z["eval"]) == len(z["eval_mask"]) and not z["eval_mask"][0]
