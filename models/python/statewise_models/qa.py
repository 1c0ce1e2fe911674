"""Synthetic code question-answer turns, answered from the source (standard library only).

Facts are read off a file with line-level patterns (TypeScript/JavaScript and Python): functions and
methods with their parameters, bodies and single return expressions, classes, interfaces, constants
with literal values, and which functions call which. Each fact becomes a question in one of the kinds
of `models/ask-format.json`, whose layout the engine's Ask uses too:

    <|file|>path\\n TEXT \\n <|question|>Q<|answer|>A<|end|> [<|question|>Q<|answer|>A<|end|> ...]

`build_eval_sets.py` uses the same extraction for the held-out Ask evaluation.
"""
from __future__ import annotations

import json
import os
import random
import re
from dataclasses import dataclass, field

FORMAT_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "ask-format.json")
with open(FORMAT_PATH, encoding="utf-8") as _f:
    FORMAT = json.load(_f)
KINDS: dict[str, str] = FORMAT["kinds"]

_KEYWORDS = {
    "if", "for", "while", "switch", "catch", "return", "function", "constructor", "else", "do", "try",
    "with", "new", "typeof", "await", "super", "import", "export", "delete", "void", "yield", "case",
}
_IDENT = r"[A-Za-z_$][\w$]*"
_JS_FUNC = re.compile(rf"^(\s*)(?:export\s+)?(?:default\s+)?(?:async\s+)?function\s*\*?\s*({_IDENT})\s*(?:<[^>()]*>)?\s*\(([^()]*)\)")
_JS_ARROW = re.compile(rf"^(\s*)(?:export\s+)?(?:const|let|var)\s+({_IDENT})\s*(?::[^=]+)?=\s*(?:async\s+)?(?:function\s*)?\(([^()]*)\)[^=;]*?(?:=>|\{{)")
_JS_METHOD = re.compile(rf"^(\s+)(?:(?:public|private|protected|static|async|readonly|override)\s+)*({_IDENT})\s*(?:<[^>()]*>)?\s*\(([^()]*)\)\s*(?::\s*[^{{;]+)?\{{\s*$")
_JS_CLASS = re.compile(rf"^(\s*)(?:export\s+)?(?:default\s+)?(?:abstract\s+)?class\s+({_IDENT})")
_JS_IFACE = re.compile(rf"^(\s*)(?:export\s+)?(interface|type|enum)\s+({_IDENT})")
_JS_CONST = re.compile(rf"^()(?:export\s+)?(?:const|let|var)\s+({_IDENT})\s*(?::\s*[\w$.<>\[\] |]+)?\s*=\s*(.+?);?\s*$")
_PY_FUNC = re.compile(rf"^(\s*)(?:async\s+)?def\s+({_IDENT})\s*\(([^()]*)\)")
_PY_CLASS = re.compile(rf"^(\s*)class\s+({_IDENT})")
_PY_CONST = re.compile(rf"^()({_IDENT})\s*(?::\s*[\w.\[\], ]+)?\s*=\s*(.+?)\s*$")
_LITERAL = re.compile(r"""^(?:-?\d[\d_]*(?:\.\d+)?(?:e-?\d+)?n?|0x[\da-fA-F_]+|true|false|True|False|None|null|'[^'\\\n]{0,48}'|"[^"\\\n]{0,48}"|`[^`$\\\n]{0,48}`)$""")
_RETURN_JS = re.compile(r"^\s*return\s+(.+?);?\s*$")
_RETURN_PY = re.compile(r"^\s*return\s+(.+?)\s*$")


@dataclass
class Symbol:
    name: str
    kind: str  # function, method, class, interface, type, enum, constant
    line: int  # 0-based line of the definition
    definition: str  # the definition line, stripped
    params: str | None = None
    body: tuple[int, int] | None = None  # [first, last) lines of the body
    value: str | None = None
    returns: str | None = None
    callers: list[str] = field(default_factory=list)


def _is_python(path: str) -> bool:
    return path.endswith(".py")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _python_body(lines: list[str], i: int) -> tuple[int, int]:
    ind = _indent(lines[i])
    j = i + 1
    while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > ind):
        j += 1
    return i + 1, j


def _brace_body(lines: list[str], i: int, limit: int = 400) -> tuple[int, int] | None:
    depth, opened = 0, False
    for j in range(i, min(len(lines), i + limit)):
        for ch in lines[j]:
            if ch == "{":
                depth += 1
                opened = True
            elif ch == "}":
                depth -= 1
                if opened and depth == 0:
                    return i + 1, j
    return None


def normalize_params(params: str) -> str:
    p = " ".join(params.split()).strip().rstrip(",")
    return p if p else "none"


def extract(path: str, text: str) -> list[Symbol]:
    """Every symbol the patterns find, in file order."""
    lines = text.split("\n")
    py = _is_python(path)
    syms: list[Symbol] = []
    for i, line in enumerate(lines):
        if len(line) > 200:
            continue
        s = line.strip()
        if py:
            if m := _PY_FUNC.match(line):
                sym = Symbol(m[2], "method" if m[1] else "function", i, s, normalize_params(m[3]))
                sym.body = _python_body(lines, i)
                syms.append(sym)
            elif m := _PY_CLASS.match(line):
                syms.append(Symbol(m[2], "class", i, s))
            elif (m := _PY_CONST.match(line)) and _LITERAL.match(m[3]) and m[2].isupper():
                syms.append(Symbol(m[2], "constant", i, s, value=m[3]))
            continue
        if m := _JS_FUNC.match(line) or _JS_ARROW.match(line):
            sym = Symbol(m[2], "function", i, s, normalize_params(m[3]))
            sym.body = _brace_body(lines, i) if "{" in line[m.end():] or line.rstrip().endswith(("{", "=>")) else None
            syms.append(sym)
        elif (m := _JS_METHOD.match(line)) and m[2] not in _KEYWORDS:
            sym = Symbol(m[2], "method", i, s, normalize_params(m[3]))
            sym.body = _brace_body(lines, i)
            syms.append(sym)
        elif m := _JS_CLASS.match(line):
            syms.append(Symbol(m[2], "class", i, s))
        elif m := _JS_IFACE.match(line):
            syms.append(Symbol(m[3], m[2], i, s))
        elif (m := _JS_CONST.match(line)) and _LITERAL.match(m[3]):
            syms.append(Symbol(m[2], "constant", i, s, value=m[3]))
    _fill_returns(syms, lines, py)
    _fill_callers(syms, lines)
    # a name defined twice (overloads, redefinitions) has no single answer
    counts: dict[str, int] = {}
    for s in syms:
        counts[s.name] = counts.get(s.name, 0) + 1
    return [s for s in syms if counts[s.name] == 1 and len(s.name) > 1]


def _fill_returns(syms: list[Symbol], lines: list[str], py: bool) -> None:
    pat = _RETURN_PY if py else _RETURN_JS
    for s in syms:
        if not s.body:
            continue
        a, b = s.body
        rets = [m[1] for j in range(a, b) if (m := pat.match(lines[j]))]
        if len(rets) == 1 and len(rets[0]) <= 60 and not rets[0].endswith(("(", "{", "[", ",")):
            s.returns = rets[0]


def _fill_callers(syms: list[Symbol], lines: list[str]) -> None:
    funcs = [s for s in syms if s.kind in ("function", "method") and s.body]
    for target in funcs:
        call = re.compile(rf"(?<![\w$.]){re.escape(target.name)}\s*\(") if target.kind == "function" else re.compile(rf"\.{re.escape(target.name)}\s*\(")
        for f in funcs:
            if f is target:
                continue
            a, b = f.body
            if any(call.search(lines[j]) for j in range(a, b)):
                f_name = f.name
                if f_name not in target.callers:
                    target.callers.append(f_name)


def facts(sym: Symbol) -> list[tuple[str, str]]:
    """(kind, answer) pairs this symbol can be asked about."""
    out = [("kind", sym.kind), ("defined", sym.definition[:120])]
    if sym.value is not None:
        out.append(("value", sym.value))
    if sym.params is not None:
        out.append(("params", sym.params[:100]))
    if sym.returns is not None:
        out.append(("returns", sym.returns))
    if sym.kind == "function" and sym.body:
        out.append(("callers", ", ".join(sym.callers[:6]) if sym.callers else "none"))
    return out


def question(kind: str, name: str) -> str:
    return KINDS[kind].format(name=name)


def selection_question(question: str, selection: str) -> str:
    """ask-format.json's selection template filled (what the engine's questionText builds)."""
    return re.sub(r"\{([A-Za-z]+)\}", lambda m: {"question": question, "selection": selection}[m.group(1)], FORMAT["selection"])


# Harder, more informative kinds are drawn more often than "kind" and "defined".
KIND_WEIGHTS = {"value": 3.0, "returns": 3.0, "params": 2.5, "callers": 2.0, "defined": 1.0, "kind": 0.7}


def sample_turns(path: str, text: str, rng: random.Random, n: int) -> list[tuple[str, str]]:
    """Up to n (question, answer) pairs about distinct symbols of the file."""
    syms = extract(path, text)
    if not syms:
        return []
    cands = [(s, k, a) for s in syms for k, a in facts(s)]
    weights = [KIND_WEIGHTS[k] for _, k, _ in cands]
    out, used = [], set()
    for _ in range(4 * n):
        if len(out) >= n:
            break
        s, k, a = rng.choices(cands, weights)[0]
        if s.name in used:
            continue
        used.add(s.name)
        out.append((question(k, s.name), a))
    return out
