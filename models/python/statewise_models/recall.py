"""Synthetic recall keys for the training mix (standard library only).

A package's files get random constants defined near their top (`const NAME = "k3v9qz";`, `NAME =
'k3v9qz'`) and used further down, in the same file or in a later file of the same workspace sequence
(`expect(NAME).toBe("k3v9qz");`, `self.assertEqual(NAME, "k3v9qz")`, ...). A value is random, so the
only way to predict it at the use site is to recall the definition, hundreds to thousands of tokens
back: the associative-recall skill MQAR trains (docs/models.md §9), in code form.

The held-out probe (`statewise eval recall`, server/cli/eval/recallPrompt.ts) must measure a skill,
not a memorised template, so nothing here writes its use lines (`assert.equal(NAME, "` and
`assert NAME == "`) and the names come from another word list.
"""
from __future__ import annotations

import random

WORDS = ["alpha", "delta", "config", "session", "buffer", "handler", "widget", "matrix", "option", "secret",
         "region", "domain", "cluster", "target", "source", "prefix", "policy", "schema", "client", "module",
         "branch", "commit", "engine", "kernel", "lambda", "portal", "ticket", "vertex"]
VALUE_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"

JS_DEFS = ['const {n} = {q}{v}{q};', 'export const {n} = {q}{v}{q};', 'let {n} = {q}{v}{q};', 'var {n} = {q}{v}{q};']
PY_DEFS = ['{n} = {q}{v}{q}', '{n}: str = {q}{v}{q}']
JS_USES = ['expect({n}).toBe({q}{v}{q});', 'assert.strictEqual({n}, {q}{v}{q});', 'console.assert({n} === {q}{v}{q});',
           'check({n}, {q}{v}{q});', 'if ({n} !== {q}{v}{q}) throw new Error("bad key");', 'keys.set({n}, {q}{v}{q});']
PY_USES = ['self.assertEqual({n}, {q}{v}{q})', 'check({n}, {q}{v}{q})', 'keys[{n}] = {q}{v}{q}',
           'print({n} == {q}{v}{q})', 'expect({n}).to_be({q}{v}{q})']


def is_python(path: str) -> bool:
    return path.endswith(".py")


def make_key(rng: random.Random) -> tuple[str, str, str]:
    """(name, value, quote): a name in one of three cases, 5-10 random characters, a quote style."""
    words = [rng.choice(WORDS) for _ in range(rng.randint(2, 3))]
    digits = str(rng.randint(1, 99))
    style = rng.random()
    if style < 0.5:
        name = "_".join(w.upper() for w in words) + "_" + digits
    elif style < 0.8:
        name = words[0] + "".join(w.capitalize() for w in words[1:]) + digits
    else:
        name = "_".join(words) + digits
    value = "".join(rng.choice(VALUE_CHARS) for _ in range(rng.randint(5, 10)))
    return name, value, '"' if rng.random() < 0.75 else "'"


def top_level_slots(lines: list[str], lo: int, hi: int) -> list[int]:
    """Indices i in [lo, hi] where a new line can go before lines[i] at the top level: the line
    there is not indented (or is the end of the file)."""
    out = [i for i in range(max(0, lo), min(len(lines), hi) + 1)
           if i == len(lines) or (lines[i][:1] not in (" ", "\t") and lines[i].strip() != "")]
    return out


def add_recall_keys(files: list[dict], rng: random.Random, rate: float, max_keys: int = 3) -> list[dict]:
    """A copy of a package's files (in sequence order) with recall keys. Each file, with probability
    `rate`, defines 1..max_keys keys in its first half; every key defined so far (in this file
    after its definition, or in an earlier file) is used once, at a random later top-level line of
    the first file where a use is drawn (probability 0.5 per file)."""
    out = []
    pending: list[tuple[str, str, str]] = []  # defined in earlier files, not used yet
    for f in files:
        lines = f["text"].split("\n")
        py = is_python(f["path"])
        inserts: list[tuple[int, int, str]] = []  # (slot, order, line): stable order at one slot
        order = 0
        fresh: list[tuple[str, str, str]] = []  # defined here, left for later files
        if rng.random() < rate:
            for _ in range(rng.randint(1, max_keys)):
                slots = top_level_slots(lines, 0, len(lines) // 2)
                if not slots:
                    break
                name, value, q = make_key(rng)
                at = rng.choice(slots)
                inserts.append((at, order, rng.choice(PY_DEFS if py else JS_DEFS).format(n=name, q=q, v=value)))
                order += 1
                later = [s for s in top_level_slots(lines, at + 1, len(lines)) if s > at]
                if later and rng.random() < 0.5:  # used in this file
                    inserts.append((rng.choice(later), 1000 + order, use_line(py, name, value, q, rng)))
                    order += 1
                else:
                    fresh.append((name, value, q))
        keep = []
        for name, value, q in pending:
            slots = top_level_slots(lines, 0, len(lines))
            if slots and rng.random() < 0.5:
                inserts.append((rng.choice(slots), 1000 + order, use_line(py, name, value, q, rng)))
                order += 1
            else:
                keep.append((name, value, q))
        pending = keep + fresh
        for at, _, line in sorted(inserts, key=lambda x: (x[0], x[1]), reverse=True):
            lines.insert(at, line)
        out.append({**f, "text": "\n".join(lines)})
    return out


def use_line(py: bool, name: str, value: str, q: str, rng: random.Random) -> str:
    return rng.choice(PY_USES if py else JS_USES).format(n=name, q=q, v=value)
