"""When a training run stops, pauses or learns its step count: what time-limited GPU calls need and
an ordinary GPU box does not (train.py works without any of these flags).

- a budget in seconds: the step count is planned from the speed measured over steps WARM..MEASURE
  (--budget-s, --budget-safety); --max-steps fixes it instead;
- a hard deadline (--stop-at) or a fixed last step (--stop-step, the LR schedule still that of
  --max-steps);
- pause and resume: at --pause-at (or --pause-step) the run saves resume.pt and exits; --resume
  continues it with the same steps, schedule, data order, carried state and RNG;
- several runs sharing one GPU (--sync-dir, --sync-n; shared_gpu.py): they plan one step count
  together and stop or pause at the same step.
"""
from __future__ import annotations

import argparse
import os
import random
import time

import torch

from shared_gpu import Lockstep, plan_shared_steps, sync_ready, sync_steps

WARM, MEASURE = 10, 30  # compiled and warm by WARM; the speed is measured over WARM..MEASURE


def _log(msg: str):
    print(f"[train {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def add_args(ap: argparse.ArgumentParser):
    g = ap.add_argument_group("time-limited runs (run_control.py)")
    g.add_argument("--budget-safety", type=float, default=1.0, help="plan this share of the steps the measured speed allows (the rest is margin for noise and the end of training)")
    g.add_argument("--stop-at", type=float, default=0, help="unix time: stop training by then whatever the step count (a hard deadline; the report says how many steps ran)")
    g.add_argument("--stop-step", type=int, default=0, help="stop after this many steps, the LR schedule still that of --max-steps: repeats, in another device call, a run a deadline stopped early (the same tokens and schedule)")
    g.add_argument("--pause-at", type=float, default=0, help="unix time: by then save everything --resume needs to OUT/resume.pt and exit without finishing (one training over several device calls; --budget-s is the whole training's)")
    g.add_argument("--pause-step", type=int, default=0, help="pause (as --pause-at) after this many steps (tests)")
    g.add_argument("--resume", default="", help="a paused run's resume.pt: continue it with the same planned steps, LR schedule, data order, carried state and RNG")
    g.add_argument("--sync-dir", default="", help="runs that share this folder (and one GPU) wait for each other to be warm, measure their speeds together and train the same number of steps (plan_shared_steps)")
    g.add_argument("--sync-n", type=int, default=1, help="how many runs share --sync-dir")


class RunControl:
    def __init__(self, args, call: int):
        self.a = args
        # runs sharing a GPU meet every 25 steps and stop or pause at the same step (the same token
        # budget); the per-step limits stay as a last resort (a pause then waits 12 s more for the barrier)
        self.lock = Lockstep(args.sync_dir, args.sync_n, args.arch, call=call) if args.sync_dir else None
        self.pause_hard = args.pause_at + (12 if self.lock and args.pause_at else 0)
        self.t_warm = 0.0

    def action(self, step: int, total_steps: int | None) -> str:
        """'go', 'stop' or 'pause' before training step `step` (logged when not 'go')."""
        a = self.a
        if a.stop_step and step >= a.stop_step:
            _log(f"stop step: stopping after {step} of {total_steps} steps")
            return "stop"
        decision = "go"
        if self.lock and total_steps is not None and self.lock.due(step):
            decision = self.lock.decide(step, a.stop_at, a.pause_at)
        if decision == "stop":
            _log(f"deadline (lockstep): stopping after {step} of {total_steps} steps")
            return "stop"
        if a.stop_at and time.time() > a.stop_at:
            _log(f"deadline: stopping after {step} of {total_steps} steps")
            return "stop"
        if decision == "pause" or (a.pause_at and time.time() > self.pause_hard) or (a.pause_step and step >= a.pause_step):
            return "pause"
        return "go"

    def plan(self, step: int, t_train: float, tokens_per_step: int) -> int | None:
        """While the step count is unknown (no --max-steps): the planned total once MEASURE steps
        have run, else None. Compile and warm-up time count against --budget-s."""
        a = self.a
        if step == WARM:
            if a.sync_dir:
                sync_ready(a.sync_dir, a.sync_n, a.arch)
            self.t_warm = time.time()
        if step != MEASURE:
            return None
        per_step = (time.time() - self.t_warm) / (MEASURE - WARM)
        left = a.budget_s - (time.time() - t_train)
        if a.sync_dir:
            total = sync_steps(a.sync_dir, a.sync_n, a.arch, per_step, left, a.budget_safety, step)
        else:
            total = step + plan_shared_steps([per_step], left, a.budget_safety)
        total = max(total, 2 * MEASURE)
        _log(f"{per_step*1000:.0f} ms/step, {tokens_per_step/per_step/1e6:.2f}M tok/s -> {total} steps")
        return total


# --- pause and resume -------------------------------------------------------------------------------
def save_resume(out_dir: str, arch: str, batch: int, seq: int, model, opt, progress: dict, state: list):
    """Everything --resume needs, written atomically to OUT/resume.pt."""
    cuda = next(model.parameters()).device.type == "cuda"
    ck = {
        "arch": arch, "batch": batch, "seq": seq, "model": model.state_dict(), "opt": opt.state_dict(), **progress,
        "state": [s.detach().cpu() for s in state],
        "py_rng": random.getstate(), "torch_rng": torch.get_rng_state(), "cuda_rng": torch.cuda.get_rng_state() if cuda else None,
    }
    path = os.path.join(out_dir, "resume.pt")
    torch.save(ck, path + ".tmp")
    os.replace(path + ".tmp", path)
    return path


PROGRESS = ("step", "total_steps", "warmup", "tokens_seen", "rolled", "phases", "history")


def load_resume(path: str, arch: str, batch: int, seq: int, model, opt, device) -> tuple[dict, list]:
    """(progress, carried state) of a paused run; restores the model, optimiser and RNGs."""
    ck = torch.load(path, map_location=device, weights_only=False)
    assert ck["arch"] == arch and ck["batch"] == batch and ck["seq"] == seq, "resume.pt is from another run"
    model.load_state_dict(ck["model"])
    opt.load_state_dict(ck["opt"])
    random.setstate(ck["py_rng"])
    torch.set_rng_state(ck["torch_rng"])
    if device.type == "cuda" and ck.get("cuda_rng") is not None:
        torch.cuda.set_rng_state(ck["cuda_rng"])
    if ck["total_steps"] is None:
        raise SystemExit("resume.pt was saved before the step count was planned (step 20): start the run again")
    return {k: ck[k] for k in PROGRESS}, [s.to(device) for s in ck["state"]]
