"""results_table.budget_line says plainly whether the table compares equal training budgets (standard
library only: runs in CI)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import json  # noqa: E402

from results_table import budget_line, lines_table, zoo_table  # noqa: E402


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


def test_lines_table_has_a_row_per_kind_and_the_overall_row(tmp_path):
    cell = lambda e, s, n: {"exactMatch": e, "editSimilarity": s, "shown": 1, "samples": n}  # noqa: E731
    ln = {"methods": ["product", "plain", "baseline"], "productLayout": "plain",
          "byKind": {"dot": {"product": cell(0.5, 0.7, 2), "plain": cell(0.5, 0.7, 2), "baseline": cell(0, 0.1, 2)}},
          "overall": {"product": cell(0.5, 0.7, 2), "plain": cell(0.5, 0.7, 2), "baseline": cell(0, 0.1, 2)}}
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "lines-hawk.json").write_text(json.dumps(ln))
    rows = lines_table(["hawk", "missing"], str(tmp_path))
    assert rows[0] == "| model | kind | n | product | plain | baseline |"
    assert rows[2] == "| hawk | dot | 2 | 50.0 % / 0.700 | 50.0 % / 0.700 | 0.0 % / 0.100 |"
    assert rows[3].startswith("| **hawk** (plain) | **all** | 2 |")
    assert len(rows) == 4


def test_budgets_count_every_run_of_a_warm_started_model():
    line = budget_line({"griffin": {"tokens_seen": 110_000_000, "tokens_total": 552_900_000, "stream_sha1": "a"},
                        "hawk": {"tokens_seen": 552_900_000, "stream_sha1": "a"}})
    assert line == "training budget: the same for all (552.9M tokens each, streams a)"


def test_zoo_table_compares_each_run_with_alibi_and_checks_the_budget(tmp_path):
    zoo = tmp_path / "results" / "zoo"
    zoo.mkdir(parents=True)
    for arch, bpb, sha in (("hawk", 1.2, "s1"), ("alibi", 1.0, "s1")):
        train = {"steps": 10, "batch": 16, "seq": 2048, "tokens_seen": 327680, "gpu_seconds": 5.0,
                 "device": "NVIDIA H100", "stream_sha1": sha}
        (zoo / f"{arch}.json").write_text(json.dumps({
            "params": {"total": 2e7}, "train": train, "heldout": {"bits_per_byte": bpb, "bytes": 3e6},
            "extrapolation": {"bitsPerByte": {"1x": bpb, "2x": bpb}}}))
    out = zoo_table(["hawk", "alibi", "based"], root=str(tmp_path))
    assert out[0] == "| | hawk | alibi |"
    assert "| vs the ALiBi transformer | +20.0 % | +0.0 % |" in out
    assert out[-1].startswith("training budget: the same for all")
    (zoo / "alibi.json").write_text((zoo / "alibi.json").read_text().replace('"s1"', '"s2"'))
    assert "NOT the same" in zoo_table(["hawk", "alibi"], root=str(tmp_path))[-1]
