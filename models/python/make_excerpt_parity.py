"""Writes models/ask-excerpt-parity.json: cases that excerpt.py and its TypeScript twin
(server/engine/askExcerpt.ts) must answer alike (standard library only).

    python3 models/python/make_excerpt_parity.py [--out models/ask-excerpt-parity.json]

Texts: the smaller held-out files (models/eval/heldout.jsonl.gz) with their eval questions
(models/eval/qa.jsonl.gz) and free-form ones, plus synthetic files for the edge cases (CRLF, astral
characters near MAX_LINE, long and minified lines, tabs, `$` and `_` names). Each text is stored once
in `files`; a case is {path, question, excerpt}. Deterministic (no randomness).
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from statewise_models.excerpt import MAX_LINE, excerpt  # noqa: E402

MAX_FILE_BYTES = 20_000  # keeps the fixture small
FREE_PER_FILE = 3

# Synthetic files: the edge cases a real file rarely has.
_EMOJI = "\U0001F600"
SYNTHETIC = {
    "synthetic/crlf.ts": "export function crlfThing(a: number): number {\r\n  const b = a + 1;\r\n  return b;\r\n}\r\n\r\nfunction user() {\r\n  return crlfThing(2);\r\n}\r\n",
    # The first line is under MAX_LINE in code points but over it in UTF-16 units (astral emoji): not a hit.
    "synthetic/astral.ts": "\n".join([
        "const astral = '" + _EMOJI * 10 + "x" * (MAX_LINE - 30) + "';",
        "const astral2 = '" + _EMOJI * 5 + "y" * (MAX_LINE - 40) + "'; // astral",
        "function useAstral() {",
        "  // \u00e9t\u00e9 \U0001F680 astral",
        "  return astral + astral2;",
        "}",
        "",
    ]),
    "synthetic/long.js": "\n".join([
        "var longName = [" + ", ".join(str(i) for i in range(120)) + "];",
        "function readLong(i) {",
        "  return longName[i];",
        "}",
        "",
    ]),
    "synthetic/min.js": "!function(){var a=1;function mini(b){return b+a}window.mini=mini;" + "var z=mini(2);" * 30 + "}();\nmini(3);\n",
    "synthetic/tabs.go": "package main\n\nfunc tabbed(x int) int {\n\tif x > 0 {\n\t\treturn tabbed(x - 1)\n\t}\n\treturn 0\n}\n\nfunc main() {\n\ttabbed(3)\n}\n",
    "synthetic/dollar.js": "\n".join([
        "const $el = document.querySelector('#x');",
        "let _private_count = 0;",
        "function $update(__init__, $$) {",
        "  _private_count += 1;",
        "  if (_private_count > 2) {",
        "    $el.textContent = String(__init__ + $$);",
        "  }",
        "  return $el;",
        "}",
        "class Box {",
        "  static async open<T>(value: T): Promise<T> {",
        "    return $update(value, 1);",
        "  }",
        "  get size() {",
        "    return _private_count;",
        "  }",
        "}",
        "export const handler = (e) => $update(e, 0);",
        "",
    ]),
    "synthetic/py_class.py": "\n".join([
        "import os",
        "",
        "",
        "class Store:",
        '    """A key-value store."""',
        "",
        "    def __init__(self, root):",
        "        self.root = root",
        "        self._cache = {}",
        "",
        "    def get(self, key, default=None):",
        "        if key in self._cache:",
        "            return self._cache[key]",
        "        path = os.path.join(self.root, key)",
        "        return default",
        "",
        "",
        "def make_store(root=os.getcwd()):",
        "    return Store(root)",
        "",
        "",
        "STORE = make_store()",
        "value = STORE.get('x')",
        "",
    ]),
    "synthetic/many_uses.ts": "\n".join(
        ["export interface Shape { kind: string }", "type Area = number;", ""]
        + [f"function f{i}(s: Shape): Area {{\n  const a{i} = compute(s, {i});\n  return a{i};\n}}" for i in range(12)]
        + ["function compute(s: Shape, n: number): Area {", "  return n;", "}", ""]
    ),
    "synthetic/empty.ts": "",
}
SYNTHETIC_QUESTIONS = {
    "synthetic/crlf.ts": ["What does crlfThing return?", "Where is crlfThing used?", "What is b?"],
    "synthetic/astral.ts": ["What is the value of astral?", "What is astral2?", "What does useAstral do?"],
    "synthetic/long.js": ["What is longName?", "Which parameters does readLong take?"],
    "synthetic/min.js": ["What does mini do?", "Where is mini used?"],
    "synthetic/tabs.go": ["Show the definition of tabbed.", "Which functions call tabbed?"],
    "synthetic/dollar.js": [
        "What is $el?",
        "What does $update return?",
        "Where is _private_count used?",
        "What is __init__ here?",
        "What does $$ mean?",
        "What does Box.open do?",
        "What is size?",
        "What kind of thing is handler?",
    ],
    "synthetic/py_class.py": [
        "What does get return?",
        "Which parameters does make_store take?",
        "What is STORE and how is make_store related to Store?",
        "Show the definition of __init__.",
        "What kind of thing is Store?",
        "What is value?",
    ],
    "synthetic/many_uses.ts": ["Where is compute used?", "What is Shape?", "What are Shape, Area and compute and f3?"],
    "synthetic/empty.ts": ["What does main do?"],
}

_IDENT = re.compile(r"(?<![A-Za-z0-9_$])[A-Za-z_$][A-Za-z0-9_$]{3,}(?![A-Za-z0-9_$])")


def _read_gz_jsonl(path: str) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def free_questions(text: str, gold_names: list[str]) -> list[str]:
    """Free-form questions about a file: its most frequent identifiers, then the odd ones."""
    counts: dict[str, int] = {}
    for m in _IDENT.finditer(text):
        counts[m.group(0)] = counts.get(m.group(0), 0) + 1
    common = sorted(counts, key=lambda n: (-counts[n], n))
    names = [n for n in common if n not in gold_names][:FREE_PER_FILE + 1] or ["nothing"]
    qs = [f"what does {names[0]} do?"]
    if len(names) > 1:
        qs.append(f"Where is {names[1]} used")
    if len(names) > 2:
        qs.append(f"How do {names[2]} and {names[-1]} work together?")
    odd = [n for n in common if "$" in n or "_" in n]
    if odd:
        qs.append(f"Explain {odd[0]}.")
    return qs


def build() -> dict:
    held = {r["path"]: r for r in _read_gz_jsonl(os.path.join(MODELS, "eval", "heldout.jsonl.gz"))}
    qa = _read_gz_jsonl(os.path.join(MODELS, "eval", "qa.jsonl.gz"))
    files: dict[str, str] = {}
    cases: list[dict] = []
    for path in sorted(held):
        text = held[path]["text"]
        if len(text.encode("utf-8")) >= MAX_FILE_BYTES:
            continue
        files[path] = text
        gold = [q for q in qa if q["path"] == path]
        qs = [q["question"] for q in gold]
        names = [n for q in qs for n in re.findall(r"[A-Za-z_$][A-Za-z0-9_$]*", q)]
        qs += free_questions(text, names)
        qs += ["What does thisNameIsNotInTheFile do?", "What does this file do?"]
        cases += [{"path": path, "question": q} for q in qs]
    files.update(SYNTHETIC)
    cases += [{"path": p, "question": q} for p, qs in SYNTHETIC_QUESTIONS.items() for q in qs]
    for c in cases:
        c["excerpt"] = excerpt(files[c["path"]], c["question"])
    return {
        "comment": "excerpt(files[path], question) == excerpt for every case, in models/python/statewise_models/excerpt.py "
        "and server/engine/askExcerpt.ts. Written by models/python/make_excerpt_parity.py.",
        "files": files,
        "cases": cases,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(MODELS, "ask-excerpt-parity.json"))
    a = ap.parse_args()
    fx = build()
    with open(a.out, "w", encoding="utf-8", newline="\n") as f:
        json.dump(fx, f, ensure_ascii=False, indent=1)
        f.write("\n")
    empty = sum(1 for c in fx["cases"] if not c["excerpt"])
    print(f"{a.out}: {len(fx['cases'])} cases ({empty} empty excerpts), {len(fx['files'])} files, {os.path.getsize(a.out)} bytes")


if __name__ == "__main__":
    main()
