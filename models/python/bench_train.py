"""Training-step time of each architecture, reference forward against the training-only fast paths
(`fast_train`, tests/test_fast_train.py), side by side in one run: forward + backward of one
[batch, seq] step from a carried state, as train.py runs it. Prints a table and writes JSON.

    python3 bench_train.py [--archs based,alibi,linearized,hawk,griffin] [--device cpu|cuda]
                           [--batch 2] [--seq 2048] [--repeats 3] [--out bench-train.json]

On the GPU (cuda) steps run under bf16 autocast and the peak memory of each step is reported too.
Architectures without a fast path (hawk, griffin) are timed once, as a yardstick.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F

from statewise_models.registry import make_model

FAST = {"based", "alibi", "linearized"}
TRAIN_OVERRIDES = {"alibi": {"train_cache": False}}  # what `gpu.sh zoo` trains


def step_fn(model, x, y, state, device):
    def run():
        model.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            logits, new = model(x, state, mode="train")
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        loss.backward()
        if device.type == "cuda":
            torch.cuda.synchronize()
        return float(loss)

    return run


def time_it(run, repeats: int, device) -> dict:
    run()  # warm-up
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        times.append((time.perf_counter() - t0) * 1000)
    out = {"ms": times, "ms_median": statistics.median(times)}
    if device.type == "cuda":
        out["peak_mib"] = torch.cuda.max_memory_allocated() / 2**20
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--archs", default="based,alibi,linearized,hawk,griffin")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--seq", type=int, default=2048)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.manual_seed(0)
    rows = []
    for arch in args.archs.split(","):
        model = make_model(arch, TRAIN_OVERRIDES.get(arch)).to(device)
        x = torch.randint(0, model.cfg.vocab_size, (args.batch, args.seq), device=device)
        y = torch.randint(0, model.cfg.vocab_size, (args.batch, args.seq), device=device)
        state = model.init_state(args.batch, device)
        row = {"arch": arch, "params": model.param_count()["total"]}
        for fast in ([False, True] if arch in FAST else [False]):
            model.fast_train = fast
            try:
                row["fast" if fast else "reference"] = time_it(step_fn(model, x, y, state, device), args.repeats, device)
            except (RuntimeError, AttributeError) as e:  # e.g. torch < 2 has no fused attention (griffin's training path)
                row["fast" if fast else "reference"] = {"error": f"{type(e).__name__}: {e}"[:200]}
        if "ms_median" in row.get("fast", {}) and "ms_median" in row.get("reference", {}):
            row["speedup"] = row["reference"]["ms_median"] / row["fast"]["ms_median"]
        rows.append(row)
        ref, fast = row.get("reference", {}), row.get("fast", {})
        cell = lambda r: r.get("error", "")[:60] or f"{r['ms_median']:.0f} ms ({args.batch * args.seq / r['ms_median'] * 1000:,.0f} tok/s)" + (f", {r['peak_mib']:.0f} MiB" if "peak_mib" in r else "")
        print(f"{arch:11s} reference {cell(ref) if ref else '-':45s} fast {cell(fast) if fast else '-':45s}"
              + (f" x{row['speedup']:.1f}" if "speedup" in row else ""), flush=True)
    result = {"device": str(device), "name": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu",
              "torch": torch.__version__, "threads": torch.get_num_threads(), "batch": args.batch, "seq": args.seq,
              "repeats": args.repeats, "rows": rows}
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
