"""results_table.budget_line says plainly whether the table compares equal training budgets (standard
library only: runs in CI)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from results_table import budget_line  # noqa: E402


def test_equal_tokens_and_streams_are_one_budget():
    t = {"tokens_seen": 45_000_000, "stream_sha1": "ab12"}
    assert budget_line({"hawk": t, "based": dict(t)}) == "training budget: the same for all (45.0M tokens each, streams ab12)"


def test_different_tokens_or_streams_are_named():
    line = budget_line({"hawk": {"tokens_seen": 346_300_000, "stream_sha1": "ab12"}, "based": {"tokens_seen": 6_300_000, "stream_sha1": "ab12"}})
    assert line.startswith("training budget: NOT the same") and "hawk 346.3M" in line and "based 6.3M" in line
    line = budget_line({"hawk": {"tokens_seen": 5, "stream_sha1": "ab12"}, "based": {"tokens_seen": 5, "stream_sha1": "cd34"}})
    assert "NOT the same" in line and "streams hawk ab12, based cd34" in line
    line = budget_line({"hawk": {"tokens_seen": 5}, "based": {"tokens_seen": 5}})
    assert "NOT the same" in line and "unrecorded" in line
