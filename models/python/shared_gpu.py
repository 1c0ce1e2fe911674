"""Several training runs on one GPU (train.py --sync-dir): they plan one step count together and keep
in lockstep, so a deadline or a pause leaves every run at the same step (the same token budget).

Runs talk through small files in one folder: `ARCH.ready` (warm), `ARCH.speed` (measured step time
and time left), `ARCH.atSTEP` (arrival time at a lockstep barrier).
"""
from __future__ import annotations

import json
import os
import time


def _log(msg: str):
    print(f"[train {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _wait_for(folder: str, suffix: str, n: int, timeout_s: float) -> list[str]:
    t0 = time.time()
    while True:
        got = sorted(f for f in os.listdir(folder) if f.endswith(suffix))
        if len(got) >= n or time.time() - t0 > timeout_s:
            return got
        time.sleep(0.1)


def _put(folder: str, name: str, text: str):
    with open(os.path.join(folder, name + ".tmp"), "w") as f:
        f.write(text)
    os.replace(os.path.join(folder, name + ".tmp"), os.path.join(folder, name))


def sync_ready(folder: str, n: int, arch: str, timeout_s: float = 240):
    """Barrier: every run sharing the GPU has compiled and warmed up, so the speeds measured next are
    the speeds of all of them running together (a run that died never arrives; the wait times out)."""
    os.makedirs(folder, exist_ok=True)
    _put(folder, f"{arch}.ready", str(time.time()))
    got = _wait_for(folder, ".ready", n, timeout_s)
    _log(f"sync: {len(got)} of {n} runs warm")


def plan_shared_steps(step_s: list[float], seconds_left: float, safety: float) -> int:
    """Steps that runs sharing one GPU can all still make in `seconds_left`, from each run's seconds per
    step measured while all of them ran. Time-sliced, a run's shared step time is about the sum of all
    runs' solo step times, whichever share each gets; so one step of every run together costs about the
    mean of the shared times (in lockstep the faster runs wait and leave the GPU to the slower)."""
    return int(safety * seconds_left / (sum(step_s) / len(step_s)))


def sync_steps(folder: str, n: int, arch: str, step_s: float, seconds_left: float, safety: float, done: int, timeout_s: float = 120) -> int:
    """Every run writes its measured step time and the time it has left; all plan the same step count."""
    _put(folder, f"{arch}.speed", json.dumps({"step_s": step_s, "left_s": seconds_left}))
    got = _wait_for(folder, ".speed", n, timeout_s)
    runs = [json.load(open(os.path.join(folder, f))) for f in got]
    total = done + plan_shared_steps([r["step_s"] for r in runs], min(r["left_s"] for r in runs), safety)
    _log(f"sync: {len(runs)} runs, shared ms/step {[round(1000 * r['step_s']) for r in runs]} -> {total} steps")
    return total


class Lockstep:
    """Every `every` steps each run writes its arrival and waits for the others. All runs then read the
    same arrival times, so they take the same decision: go on, or stop (deadline) / pause at this very
    step when the latest arrival plus two intervals would pass the deadline. A run that never arrives
    (it died) is waited for once, `timeout_s`, and not again. `call` numbers the device calls of a
    paused training, so a resumed run never meets the files its first call left."""

    def __init__(self, folder: str, n: int, arch: str, call: int, every: int = 25, timeout_s: float = 120, first_timeout_s: float = 300):
        os.makedirs(folder, exist_ok=True)
        self.folder, self.live, self.arch, self.call, self.every = folder, n, arch, call, every
        self.timeout_s, self.first_timeout_s = timeout_s, first_timeout_s
        self.last = None  # latest arrival at the previous barrier this process passed

    def due(self, step: int) -> bool:
        return step % self.every == 0

    def arrive(self, step: int) -> float:
        """Barrier at `step`; returns the latest arrival time among the runs that came."""
        tag = f".at{self.call}-{step:08d}"  # a resumed training's first barrier is at the step it paused at
        _put(self.folder, self.arch + tag, repr(time.time()))
        got = _wait_for(self.folder, tag, self.live, self.first_timeout_s if self.last is None else self.timeout_s)
        if len(got) < self.live:
            _log(f"lockstep: {len(got)} of {self.live} runs at step {step}; going on without the others")
            self.live = len(got)
        return max(float(open(os.path.join(self.folder, f)).read()) for f in got)

    def decide(self, step: int, stop_at: float, pause_at: float) -> str:
        """'go', 'stop' or 'pause' at barrier `step` (the same answer in every run)."""
        t = self.arrive(step)
        prev, self.last = self.last, t
        if prev is None:
            return "go"  # no interval measured yet in this process
        margin = 2 * (t - prev)
        if pause_at and t + margin > pause_at:
            return "pause"
        if stop_at and t + margin > stop_at:
            return "stop"
        return "go"
