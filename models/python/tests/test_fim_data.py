"""Suffix-first FIM examples in the training mix (statewise_models/data.py): spliced into the file's
normal reading at cursor lines, in the order the engine's `suffix-first` layout feeds them
(standard library + numpy: runs in CI)."""
import random

from statewise_models.data import Piece, choose_cursor, fim_example, package_pieces, suffix_first_pieces
from statewise_models.tokenizer import SPECIAL

LINES = []
for i in range(120):
    LINES += [f"export function f{i}(x: number) {{", f"  const y = x.value + {i};", "  return helper(y, x);", "}", ""]
TEXT = "\n".join(LINES)


def examples(pieces: list[Piece]) -> list[tuple[str, str]]:
    """(suffix, middle) of every example."""
    out = []
    for i, p in enumerate(pieces):
        if p.special == SPECIAL["fim_suffix"]:
            assert pieces[i + 2].special == SPECIAL["fim_middle"] and pieces[i + 4].special == SPECIAL["fim_end"]
            out.append((pieces[i + 1].text, pieces[i + 3].text))
    return out


def test_the_file_reads_back_without_the_suffixes_and_fim_tokens():
    for seed in range(20):
        pieces = suffix_first_pieces(TEXT, random.Random(seed))
        skip = {i + 1 for i, p in enumerate(pieces) if p.special == SPECIAL["fim_suffix"]}
        assert "".join(p.text for i, p in enumerate(pieces) if p.text is not None and i not in skip) == TEXT


def test_each_example_starts_a_line_and_its_suffix_is_what_follows_the_middle():
    for seed in range(20):
        pieces = suffix_first_pieces(TEXT, random.Random(seed))
        assert 1 <= len(examples(pieces)) <= 8
        pos = 0  # where the file's reading stands
        for i, p in enumerate(pieces):
            if p.special == SPECIAL["fim_suffix"]:
                suffix, middle = pieces[i + 1].text, pieces[i + 3].text
                assert TEXT[pos] == "\n" and middle.startswith("\n"), "an example starts at a line start"
                assert TEXT[pos:].startswith(middle)
                end = pos + len(middle)
                assert TEXT[end:].startswith(suffix) and len(suffix) <= 250 and suffix.count("\n") <= 8
            elif p.text is not None and (i == 0 or pieces[i - 1].special != SPECIAL["fim_suffix"]):
                pos += len(p.text)
        assert pos == len(TEXT)


def test_examples_per_file_grow_with_its_length():
    short = "\n".join(LINES[:20])
    assert len(examples(suffix_first_pieces(short, random.Random(1)))) == 1
    assert len(examples(suffix_first_pieces(TEXT, random.Random(1)))) >= 6
    assert suffix_first_pieces("only one line", random.Random(1)) == [Piece(text="only one line")]


def test_cursors_fall_where_the_product_meets_them():
    line = "    const y = this.value(x);"
    seen = {choose_cursor(line, random.Random(s)) for s in range(400)}
    assert 4 in seen, "after the indentation"
    assert {line.index("y =") + 4, line.index("this.") + 5, line.index("(x") + 1} <= seen, "after '= ', '.', '('"
    assert all(4 <= c < len(line) for c in seen)
    share = sum(choose_cursor(line, random.Random(s)) == 4 for s in range(1000)) / 1000
    assert 0.25 < share < 0.45


def test_package_pieces_in_both_layouts():
    pkg = {"files": [{"path": "p/a.ts", "text": TEXT}]}
    sf = package_pieces(pkg, random.Random(2), fim_rate=1.0)
    assert len(examples(sf)) >= 1 and sf[-1].special == SPECIAL["endoftext"]
    psm = package_pieces(pkg, random.Random(2), fim_rate=1.0, fim_layout="psm")
    specials = [p.special for p in psm if p.special is not None]
    assert specials == [SPECIAL["file"], SPECIAL["fim_suffix"], SPECIAL["fim_middle"], SPECIAL["fim_end"], SPECIAL["endoftext"]]


def test_the_training_layout_is_the_engines_suffix_first_prompt():
    """models/completion-parity.json: data.fim_example up to the middle gives the pieces the engine
    feeds for the suffix-first layout (test/engine/completionParity.test.ts checks the engine side)."""
    import json
    import os

    fx = json.load(open(os.path.join(os.path.dirname(__file__), "..", "..", "completion-parity.json")))
    names = {v: k for k, v in SPECIAL.items()}
    as_fixture = lambda ps: [{"special": f"<|{names[p.special]}|>"} if p.special is not None else {"text": p.text} for p in ps]  # noqa: E731
    cases = [c for c in fx["cases"] if c["layout"] == "suffix-first"]
    assert len(cases) >= 3
    for c in cases:
        lines = c["input"]["text"].split("\n")
        line, col = c["input"]["line"], c["input"]["character"]
        before = "\n".join(lines[:line])
        after = lines[line][col:] + "\n" + "\n".join(lines[line + 1:])
        head = [{"special": "<|file|>"}, {"text": c["input"]["path"] + "\n"}]
        got = head + as_fixture(fim_example(before, "\n" + c["kept"], after)[:5])
        assert got == c["pieces"], c["name"]
