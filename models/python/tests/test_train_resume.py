"""A training paused (train.py --pause-step / --pause-at) and continued with --resume ends with the
same weights as the same training run in one go: same steps, LR schedule, data order (the epoch
rolls included), carried state, state resets and optimiser moments. The zoo's training spans two
device calls this way."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKENIZER = os.path.join(HERE, "..", "hawk", "tokenizer.json")
TINY = {
    "hawk": {"vocab_size": 300, "d_model": 32, "d_rnn": 32, "n_layers": 2, "n_gate_blocks": 2, "mlp_mult": 2},
    "based": {"vocab_size": 300, "d_model": 32, "layout": "CLS", "n_heads": 2, "feature_dim": 4, "window": 8},
}


def streams(path):
    rng = np.random.default_rng(0)
    train = rng.integers(0, 300, size=2 * (3 * 16 + 1)).astype(np.uint16)  # batch 2, seq 16: 3 steps an epoch
    ev = rng.integers(0, 300, size=65).astype(np.uint16)
    info = json.dumps({"packages": 1, "bytes": 1000})
    np.savez(path, train=train, eval=ev, eval_mask=np.ones(65, dtype=bool), eval_bytes=np.int64(200), info=np.array(info))


def train(tmp, arch, out, *extra):
    cmd = [sys.executable, "train.py", "--arch", arch, "--corpus", str(tmp), "--tokenizer", TOKENIZER,
           "--stream-npz", str(tmp / "s.npz"), "--out", str(tmp / out), "--device", "cpu", "--compile", "0",
           "--batch", "2", "--seq", "16", "--max-steps", "8", "--reset-p", "0.5", "--config", json.dumps(TINY[arch]), *extra]
    r = subprocess.run(cmd, cwd=HERE, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


@pytest.mark.parametrize("arch,pause", [("hawk", 3), ("hawk", 5), ("based", 4)])
def test_pause_and_resume_equal_one_run(tmp_path, arch, pause):
    streams(tmp_path / "s.npz")
    train(tmp_path, arch, "whole")
    log = train(tmp_path, arch, "split", "--pause-step", str(pause))
    assert "paused after" in log and not os.path.exists(tmp_path / "split" / "model.pt")
    log = train(tmp_path, arch, "split", "--resume", str(tmp_path / "split" / "resume.pt"))
    assert f"resumed at step {pause} of 8" in log
    a = torch.load(tmp_path / "whole" / "model.pt")["state_dict"]
    b = torch.load(tmp_path / "split" / "model.pt")["state_dict"]
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), (k, (a[k] - b[k]).abs().max())
    rep = json.load(open(tmp_path / "split" / "train_report.json"))["train"]
    assert rep["steps"] == 8 and [c["steps"] for c in rep["calls"]] == [pause, 8 - pause]
    assert rep["tokens_seen"] == 8 * 2 * 16


def test_resume_refuses_another_run(tmp_path):
    streams(tmp_path / "s.npz")
    train(tmp_path, "hawk", "h", "--pause-step", "3")
    cmd = [sys.executable, "train.py", "--arch", "based", "--corpus", str(tmp_path), "--tokenizer", TOKENIZER,
           "--stream-npz", str(tmp_path / "s.npz"), "--out", str(tmp_path / "b"), "--device", "cpu", "--compile", "0",
           "--batch", "2", "--seq", "16", "--max-steps", "8", "--config", json.dumps(TINY["based"]), "--resume", str(tmp_path / "h" / "resume.pt")]
    r = subprocess.run(cmd, cwd=HERE, capture_output=True, text=True, timeout=300)
    assert r.returncode != 0 and "resume.pt is from another run" in r.stderr


def test_fast_path_failure_falls_back_to_the_reference_forward(tmp_path):
    """A fast path that raises at the first step (here: linearized's, made to raise) does not lose
    the run: it goes on through the reference forward, says so, and the report records it."""
    streams(tmp_path / "s.npz")
    cfg = {"vocab_size": 300, "d_model": 32, "n_layers": 1, "qk_dim": 8, "group": 8, "conv_k": 3}
    argv = ["train.py", "--arch", "linearized", "--corpus", str(tmp_path), "--tokenizer", TOKENIZER,
            "--stream-npz", str(tmp_path / "s.npz"), "--out", str(tmp_path / "l"), "--device", "cpu", "--compile", "0",
            "--batch", "2", "--seq", "16", "--max-steps", "3", "--config", json.dumps(cfg)]
    code = ("import sys, runpy; from statewise_models import linearized as L\n"
            "def boom(*a, **k): raise RuntimeError('no kernel for this')\n"
            "L.AugmentedGAU.forward_aligned = boom\n"
            f"sys.argv = {argv!r}; runpy.run_path('train.py', run_name='__main__')")
    r = subprocess.run([sys.executable, "-c", code], cwd=HERE, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "fast path failed (RuntimeError: no kernel for this)" in r.stdout
    rep = json.load(open(tmp_path / "l" / "train_report.json"))["train"]
    assert rep["steps"] == 3 and rep["fast_paths"] is False
