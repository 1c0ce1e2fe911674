"""The Ask excerpt (statewise_models/excerpt.py) against models/ask-excerpt-parity.json, which
server/engine/askExcerpt.ts must reproduce too (test/engine/askExcerpt.test.ts); standard library only."""
import json
import os

from statewise_models import qa
from statewise_models.data import with_excerpt
from statewise_models.excerpt import MAX_CHARS, MAX_LINE, excerpt, question_names

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "ask-excerpt-parity.json")

TS = """export function total(items: number[]): number {
  let sum = 0;
  return sum;
}

class Cart {
  price() {
    if (this.items.length) {
      return total(this.items);
    }
  }
}
"""


def test_fixture_is_reproduced():
    fx = json.load(open(FIXTURE, encoding="utf-8"))
    assert len(fx["cases"]) >= 80
    for case in fx["cases"]:
        assert excerpt(fx["files"][case["path"]], case["question"]) == case["excerpt"], (case["path"], case["question"])


def test_fixture_is_what_the_generator_writes():
    import make_excerpt_parity

    assert make_excerpt_parity.build() == json.load(open(FIXTURE, encoding="utf-8"))


def test_definition_last_use_with_its_function():
    assert excerpt(TS, "What does total return?") == "\n".join(
        ["  price() {", "...", "      return total(this.items);", "...",
         "export function total(items: number[]): number {", "  let sum = 0;", "  return sum;", "}"])


def test_names_and_nothing_named():
    assert question_names("What does total return? Where is Cart used, and x?", TS) == ["total", "Cart"]
    assert excerpt(TS, "What does this file do?") == ""
    assert excerpt(TS, "What is missingName?") == ""
    assert question_names("is $x or $ or _y here", "f($x, _y)") == ["$x", "_y"]


def test_budget_and_long_lines():
    many = "\n".join(f"function f{i}() {{\n  return usedEverywhere({i}) + {'1 + ' * 20}0;\n}}" for i in range(200))
    e = excerpt("const usedEverywhere = (n) => n;\n" + many, "Where is usedEverywhere used?")
    kept = [line for line in e.split("\n") if line != "..."]
    assert len(kept) > 4 and sum(len(line) + 1 for line in kept) <= MAX_CHARS
    astral = "const big = '" + "\U0001F600" * 10 + "x" * (MAX_LINE - 30) + "';"  # < MAX_LINE code points, > in UTF-16
    assert len(astral) < MAX_LINE and excerpt(astral, "What is big?") == ""


def test_with_excerpt_is_the_selection_layout():
    q = "What does total return?"
    assert with_excerpt(q, TS) == qa.selection_question(q, excerpt(TS, q))
    assert with_excerpt(q, TS).startswith(q + "\n```\n") and with_excerpt(q, TS).endswith("\n```")
    assert with_excerpt("What does this file do?", TS) == "What does this file do?"


def test_a_trained_kind_names_its_subject_even_a_stop_word():
    text = "def value(a, b):\n    return a + b\n\n\nx = value(1, 2)\n"
    assert question_names("Which parameters does value take?", text) == ["value"]
    assert excerpt(text, "Which parameters does value take?").endswith("def value(a, b):\n    return a + b")
    assert question_names("What does missing return?", text) == []
    assert question_names("what does value do?", text) == []  # free form: the stop list applies
