"""The lines of a file that an Ask question is about (standard library only).

A model whose exact memory is a short attention window (griffin's 256 tokens) cannot copy an answer
from a definition 10k tokens back. So the question carries the lines it names: the definitions of
the identifiers it mentions (with the start of their bodies) and the places that use them (with the
line that opens the enclosing block), at most MAX_CHARS, the most important lines last, right before
the answer. They go into the question as a selection (models/ask-format.json's "selection"
template), the layout training teaches (data.py qa_pieces) and the engine builds
(server/engine/askExcerpt.ts: the same function, checked against models/ask-excerpt-parity.json).

Every character class is spelled out ASCII (no \\w, no str.strip()) so that the TypeScript twin gives
the same lines for every input.
"""
from __future__ import annotations

import json
import os
import re

MAX_CHARS = 800  # ~230 tokens: the whole excerpt fits griffin's 256-token window with the question
MAX_LINE = 300  # longer lines (minified code, data) are never hits
DEF_BODY_LINES = 8  # a definition's block: its line and at most 7 more
USES_PER_NAME = 6
MAX_NAMES = 3
HEADER_SCAN = 300  # how far up a use looks for the line that opens its block

_ID = "A-Za-z0-9_$"
_NAME = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_BLANK = re.compile(r"^[ \t\r]*$")
_INDENT = re.compile(r"^[ \t]*")

# Words of the question templates and of ordinary questions: never the name a question is about.
STOP = frozenset("""
a about an and any are as at be by call called calls can class code constant could define defined definition
did do does doing done each else explain file for from function functions get gets give has have here how i if
in into is it its kind line lines me mean means method my no not of on or our parameter parameters return
returned returns set should show tell than that the their them then there these they thing this those to type
use used uses value variable was we what whats when where which who why will with would you your
""".split())


with open(os.path.join(os.path.dirname(__file__), "..", "..", "ask-format.json"), encoding="utf-8") as _f:
    # A question in one of the trained kinds' words names exactly one identifier, stop word or not
    # ("Which parameters does value take?"): one pattern per kind, the name in its placeholder.
    TEMPLATES = [re.compile("^" + re.escape(t).replace(re.escape("{name}"), "([A-Za-z_$][A-Za-z0-9_$]*)") + "$")
                 for t in json.load(_f)["kinds"].values()]


def question_names(question: str, text: str) -> list[str]:
    """Identifiers of the question, in order, that the file has as whole words (at most MAX_NAMES);
    for a question in a trained kind's words, the one name it is about."""
    for t in TEMPLATES:
        if m := t.match(question):
            return [m.group(1)] if _word(m.group(1)).search(text) else []
    out: list[str] = []
    for m in _NAME.finditer(question):
        n = m.group(0)
        if len(n) < 2 or n.lower() in STOP or n in out:
            continue
        if _word(n).search(text):
            out.append(n)
            if len(out) == MAX_NAMES:
                break
    return out


def _word(name: str) -> re.Pattern:
    return re.compile(rf"(?<![{_ID}]){re.escape(name)}(?![{_ID}])")


def _def_patterns(name: str) -> list[re.Pattern]:
    n = re.escape(name)
    return [
        re.compile(rf"(?:^|[^{_ID}.])(?:function\*?|def|class|interface|type|enum|const|let|var)[ \t]+{n}(?![{_ID}])"),
        re.compile(rf"^[ \t]*(?:(?:public|private|protected|static|async|readonly|override|get|set)[ \t]+)*{n}[ \t]*(?:<[^<>]*>)?[ \t]*\([^\n]*[{{:][ \t\r]*$"),
        re.compile(rf"^[ \t]*(?:export[ \t]+)?{n}[ \t]*(?::[^=]*)?=(?![=>])"),
    ]


def _u16(s: str) -> int:
    """Length in UTF-16 code units, as JavaScript counts it."""
    return len(s.encode("utf-16-le")) // 2


def _indent(line: str) -> int:
    return len(_INDENT.match(line).group(0))


def _def_block(lines: list[str], i: int) -> list[int]:
    ind = _indent(lines[i])
    out = [i]
    j = i + 1
    while j < len(lines) and len(out) < DEF_BODY_LINES:
        if _BLANK.match(lines[j]):
            j += 1
            continue
        if _indent(lines[j]) > ind:
            out.append(j)
            j += 1
            continue
        if _indent(lines[j]) == ind and lines[j][ind:ind + 1] in ("}", ")", "]"):
            out.append(j)
        break
    return out


_OPENER = re.compile(rf"(?:^|[^{_ID}.])(?:function|def|class)(?![{_ID}])|=>")
_METHOD = re.compile(
    r"^[ \t]*(?:(?:public|private|protected|static|async|readonly|override|get|set)[ \t]+)*([A-Za-z_$][A-Za-z0-9_$]*)[ \t]*(?:<[^<>]*>)?[ \t]*\([^\n]*\)[^\n]*\{[ \t\r]*$")
_KEYWORDS = frozenset("if for while switch catch with return function else do try new typeof await super".split())


def _opens_function(line: str) -> bool:
    if _OPENER.search(line):
        return True
    m = _METHOD.match(line)
    return m is not None and m.group(1) not in _KEYWORDS


def _use_block(lines: list[str], i: int) -> list[int]:
    """The use and the line that opens the function around it (else the outermost enclosing line)."""
    ind = _indent(lines[i])
    outer = -1
    for k in range(i - 1, max(-1, i - 1 - HEADER_SCAN), -1):
        if ind == 0:
            break
        if _BLANK.match(lines[k]) or _indent(lines[k]) >= ind or _u16(lines[k]) > MAX_LINE:
            continue
        ind = _indent(lines[k])
        outer = k
        if _opens_function(lines[k]):
            break
    return [outer, i] if outer >= 0 else [i]


def excerpt(text: str, question: str, max_chars: int = MAX_CHARS) -> str:
    """The lines of `text` the question names, as one string ('' when it names nothing in the file)."""
    names = question_names(question, text)
    if not names:
        return ""
    lines = text.split("\n")
    defs: list[list[int]] = []
    uses: list[list[int]] = []
    for name in names:
        word, pats = _word(name), _def_patterns(name)
        n_uses = 0
        for i, line in enumerate(lines):
            if _u16(line) > MAX_LINE or not word.search(line):
                continue
            if any(p.search(line) for p in pats):
                defs.append(_def_block(lines, i))
            elif n_uses < USES_PER_NAME:
                uses.append(_use_block(lines, i))
                n_uses += 1
    chosen: list[list[int]] = []
    taken: set[int] = set()
    size = 0
    for block in defs + uses:
        fresh = [i for i in block if i not in taken]
        cost = sum(_u16(lines[i]) + 1 for i in fresh)
        if not fresh or size + cost > max_chars:
            continue
        chosen.append(fresh)
        taken.update(fresh)
        size += cost
    parts = []
    for block in reversed(chosen):  # the most important block last, nearest the answer
        rows: list[str] = []
        for a, b in zip(block, block[1:] + [None]):
            rows.append(lines[a])
            if b is not None and b != a + 1:
                rows.append("...")
        parts.append("\n".join(rows))
    return "\n...\n".join(parts)
