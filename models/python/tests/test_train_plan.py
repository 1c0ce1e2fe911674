"""The training loss through the chunked head equals the plain one, and runs sharing a GPU plan one
step count together and stop or pause at the same step (train.py --sync-dir, shared_gpu.py)."""
import json
import math
import os
import subprocess
import sys
import threading
import time

import numpy as np
import torch
import torch.nn.functional as F

from statewise_models.head import chunked_loss, tied_logits
from shared_gpu import Lockstep, plan_shared_steps

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKENIZER = os.path.join(HERE, "..", "hawk", "tokenizer.json")


TINY_HAWK = {"vocab_size": 300, "d_model": 16, "d_rnn": 16, "n_layers": 1, "n_gate_blocks": 2, "mlp_mult": 2}


def _tiny_streams(tmp_path):
    """A streams.npz of random tokens (vocabulary 300) for CPU runs of train.py."""
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "s.npz", train=rng.integers(0, 300, 2 * 2000).astype(np.uint16), eval=rng.integers(0, 300, 65).astype(np.uint16),
             eval_mask=np.ones(65, dtype=bool), eval_bytes=np.int64(200), info=np.array(json.dumps({"packages": 1, "bytes": 1000})))


def _train_cmd(tmp_path, arch, *rest):
    """train.py on the CPU, uncompiled, 2 streams x 16 tokens, on _tiny_streams, into tmp_path/arch."""
    return [sys.executable, "train.py", "--arch", arch, "--corpus", str(tmp_path), "--tokenizer", TOKENIZER, "--stream-npz", str(tmp_path / "s.npz"),
            "--out", str(tmp_path / arch), "--device", "cpu", "--compile", "0", "--batch", "2", "--seq", "16", *rest]


def test_chunked_loss_equals_the_whole_logits_loss_and_its_gradients():
    torch.manual_seed(0)
    h = torch.randn(3, 37, 16, dtype=torch.float64, requires_grad=True)
    w = torch.randn(50, 16, dtype=torch.float64, requires_grad=True)
    y = torch.randint(0, 50, (3, 37))
    ref = F.cross_entropy(tied_logits(h, w).reshape(-1, 50), y.reshape(-1))
    gh, gw = torch.autograd.grad(ref, (h, w))
    for chunk in (5, 37, 64):
        got = chunked_loss(h, w, y, chunk=chunk)
        ch, cw = torch.autograd.grad(got, (h, w))
        assert torch.allclose(got, ref, rtol=1e-12)
        assert torch.allclose(ch, gh, atol=1e-12) and torch.allclose(cw, gw, atol=1e-12)


def test_plan_shared_steps_uses_the_mean_shared_step_time():
    # three runs measured at 0.25, 0.5 and 0.75 s a step while sharing: one step of all costs ~0.5 s
    assert plan_shared_steps([0.25, 0.5, 0.75], 500.0, 1.0) == 1000
    assert plan_shared_steps([0.2], 100.0, 0.5) == 250


def test_runs_sharing_a_sync_dir_plan_the_same_steps(tmp_path):
    _tiny_streams(tmp_path)
    cfgs = {"hawk": TINY_HAWK,
            "based": {"vocab_size": 300, "d_model": 16, "layout": "CLS", "n_heads": 2, "feature_dim": 4, "window": 8}}
    procs = {a: subprocess.Popen(_train_cmd(tmp_path, a, "--budget-s", "6", "--sync-dir", str(tmp_path / "sync"), "--sync-n", "2",
                                  "--config", json.dumps(c)), cwd=HERE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for a, c in cfgs.items()}
    logs = {a: p.communicate(timeout=300)[0] for a, p in procs.items()}
    assert all(p.returncode == 0 for p in procs.values()), logs
    steps = {a: json.load(open(tmp_path / a / "train_report.json"))["train"]["steps"] for a in cfgs}
    assert steps["hawk"] == steps["based"] >= 60, (steps, logs)
    assert all("sync: 2 of 2 runs warm" in l and "sync: 2 runs" in l for l in logs.values()), logs


def test_lockstep_runs_take_the_same_decision_at_the_same_step(tmp_path):
    # three runs of different speeds; the deadline comes while they train: all stop at one barrier
    folder, stop_at = str(tmp_path / "sync"), time.time() + 3.0
    out = {}

    def run(name, step_s):
        lock, step = Lockstep(folder, 3, name, call=0, every=5, timeout_s=10, first_timeout_s=10), 0
        while step < 10_000:
            if lock.due(step):
                d = lock.decide(step, stop_at, 0)
                if d != "go":
                    out[name] = (d, step, time.time())
                    return
            time.sleep(step_s)
            step += 1
        out[name] = ("end", step, time.time())

    threads = [threading.Thread(target=run, args=(n, s)) for n, s in (("a", 0.004), ("b", 0.01), ("c", 0.02))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert {d for d, _, _ in out.values()} == {"stop"}, out
    assert len({s for _, s, _ in out.values()}) == 1 and next(iter(out.values()))[1] > 0, out
    assert all(t <= stop_at for _, _, t in out.values()), out  # decided before the deadline, not at it


def test_a_resumed_call_meets_at_its_own_barriers(tmp_path):
    folder = str(tmp_path / "sync")
    first = [Lockstep(folder, 2, n, call=0, every=25, first_timeout_s=5) for n in ("a", "b")]
    ts = [threading.Thread(target=l.arrive, args=(850,)) for l in first]
    for t in ts:
        t.start()
    for t in ts:
        t.join(10)
    assert all(l.live == 2 for l in first)
    # the second call: "a" alone at step 850 must not count the first call's files as "b" being there
    again = Lockstep(folder, 2, "a", call=1, every=25, first_timeout_s=0.5)
    again.arrive(850)
    assert again.live == 1


def test_a_deadline_stops_runs_sharing_a_gpu_at_the_same_step(tmp_path):
    _tiny_streams(tmp_path)
    cfgs = {"hawk": TINY_HAWK,
            "based": {"vocab_size": 300, "d_model": 32, "layout": "CLSC", "n_heads": 2, "feature_dim": 4, "window": 8}}
    stop_at = time.time() + 25  # planned for 300 s, stopped by the deadline long before
    procs = {a: subprocess.Popen(_train_cmd(tmp_path, a, "--budget-s", "300", "--sync-dir", str(tmp_path / "sync"), "--sync-n", "2",
                                  "--stop-at", str(stop_at), "--config", json.dumps(c)), cwd=HERE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for a, c in cfgs.items()}
    logs = {a: p.communicate(timeout=300)[0] for a, p in procs.items()}
    assert all(p.returncode == 0 for p in procs.values()), logs
    reps = {a: json.load(open(tmp_path / a / "train_report.json"))["train"] for a in cfgs}
    assert reps["hawk"]["steps"] == reps["based"]["steps"] < reps["hawk"]["planned_steps"], (reps, logs)
    assert all("deadline (lockstep)" in l for l in logs.values()), logs


def test_stop_step_keeps_the_planned_schedule(tmp_path):
    # the second call of a split zoo run: exactly the first call's plan, cut where the first was cut
    _tiny_streams(tmp_path)
    r = subprocess.run(_train_cmd(tmp_path, "hawk", "--max-steps", "120", "--stop-step", "75", "--config", json.dumps(TINY_HAWK)),
                       cwd=HERE, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    rep = json.load(open(tmp_path / "hawk" / "train_report.json"))
    assert rep["train"]["steps"] == 75 and rep["train"]["planned_steps"] == 120, rep["train"]
    assert "stop step: stopping after 75 of 120 steps" in r.stdout
    assert len(rep["train"]["stream_sha1"]) == 16
    # the LR at step 50 is the 120-step cosine's (warmup 12), not a 75-step one's
    lr50 = rep["history"][0]["lr"]
    assert rep["history"][0]["step"] == 50
    want = 2e-3 * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (49 - 12) / (120 - 12))))
    assert abs(lr50 - want) < 1e-12, (lr50, want)


def test_a_warm_start_continues_the_checkpoint_and_keeps_running_totals(tmp_path):
    # every short GPU run adds to the same model: run 2 starts from run 1's weights (model.pt or the
    # int8 model-q8.pt that comes back from the GPU machine) and its report adds up both runs
    _tiny_streams(tmp_path)
    cfg = json.dumps(TINY_HAWK)
    r1 = subprocess.run(_train_cmd(tmp_path, "hawk", "--max-steps", "60", "--config", cfg), cwd=HERE, capture_output=True, text=True, timeout=300)
    assert r1.returncode == 0, r1.stdout + r1.stderr
    first = json.load(open(tmp_path / "hawk" / "train_report.json"))["train"]
    os.rename(tmp_path / "hawk", tmp_path / "run1")
    r2 = subprocess.run(_train_cmd(tmp_path, "hawk", "--max-steps", "40", "--config", cfg, "--init", str(tmp_path / "run1" / "model-q8.pt")),
                        cwd=HERE, capture_output=True, text=True, timeout=300)
    assert r2.returncode == 0, r2.stdout + r2.stderr
    assert "warm start from" in r2.stdout
    second = json.load(open(tmp_path / "hawk" / "train_report.json"))["train"]
    assert second["tokens_total"] == first["tokens_seen"] + second["tokens_seen"] == 100 * 2 * 16
    assert abs(second["gpu_seconds_total"] - first["gpu_seconds"] - second["gpu_seconds"]) < 1e-6
    assert second["runs_total"] == 2 and second["init"]["tokens_seen"] == first["tokens_seen"]
    # with a zero learning rate the warm run ends with the checkpoint's weights (fp16-rounded)
    r3 = subprocess.run(_train_cmd(tmp_path, "hawk", "--max-steps", "40", "--lr", "0", "--config", cfg, "--out", str(tmp_path / "run3"),
                                   "--init", str(tmp_path / "run1" / "model-q8.pt")), cwd=HERE, capture_output=True, text=True, timeout=300)
    assert r3.returncode == 0, r3.stdout + r3.stderr
    from statewise_models.registry import dequantize_state_dict
    want = dequantize_state_dict(torch.load(tmp_path / "run1" / "model-q8.pt")["q8"])
    got = torch.load(tmp_path / "run3" / "model.pt")["state_dict"]
    for k, v in want.items():
        assert torch.allclose(got[k], v.half().float(), atol=1e-6), k


def test_lr_schedule_warms_up_then_decays_to_a_tenth():
    from train import lr_at, warmup_steps

    assert warmup_steps(0) == 100 and warmup_steps(120) == 12 and warmup_steps(5000) == 100
    assert lr_at(4, 1.0, 100, None) == 0.05 and lr_at(500, 1.0, 100, None) == 1.0  # step count not planned yet
    assert lr_at(0, 2.0, 10, 110) == 0.2 and lr_at(10, 2.0, 10, 110) == 2.0
    assert abs(lr_at(60, 2.0, 10, 110) - 2.0 * 0.55) < 1e-12 and abs(lr_at(110, 2.0, 10, 110) - 0.2) < 1e-12
