"""Where a training step's time goes: one architecture's step exactly as train.py runs it (fast
paths, torch.compile of the MLPs and norms, bf16 autocast, the chunked tied head, AdamW), warmed
up, timed, then profiled with torch.profiler. Prints tokens/s, the model FLOP utilisation
(6 x non-embedding params x tokens, plus the head, over the card's dense bf16 peak) and the top
CUDA kernels; writes JSON.

    python3 profile_step.py --arch griffin [--batch 32] [--seq 2048] [--steps 10] [--out profile.json]
"""
from __future__ import annotations

import argparse
import json
import time

import torch

from statewise_models.head import chunked_loss
from statewise_models.registry import make_model
from train import compile_parts

# Dense bf16 tensor-core peak, TFLOP/s (vendor figures, no sparsity).
PEAK_BF16 = {"H100": 989.0, "H200": 989.0}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", default="griffin")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seq", type=int, default=2048)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--compile", type=int, default=1)
    ap.add_argument("--out", default="profile.json")
    ap.add_argument("--device", default="cuda", help="cpu: a smoke run of the script itself (no MFU)")
    a = ap.parse_args()
    dev = torch.device(a.device)
    cuda = dev.type == "cuda"
    torch.backends.cuda.matmul.allow_tf32 = True
    model = make_model(a.arch).to(dev)
    model.fast_train = True
    if a.compile:
        compile_parts(model)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, **({"fused": True} if cuda else {}))
    x = torch.randint(0, model.cfg.vocab_size, (a.batch, a.seq + 1), device=dev)
    state = model.init_state(a.batch, dev)

    def step():
        nonlocal state
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=cuda):
            h, new = model(x[:, :-1], state, hidden=True)
            loss = chunked_loss(h, model.embed.weight, x[:, 1:])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        state = [s.detach() for s in new]

    for _ in range(5):
        step()
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    sync()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    sync()
    ms = (time.perf_counter() - t0) * 1000 / a.steps
    acts = [torch.profiler.ProfilerActivity.CPU] + ([torch.profiler.ProfilerActivity.CUDA] if cuda else [])
    with torch.profiler.profile(activities=acts) as prof:
        for _ in range(3):
            step()
        sync()
    pc = model.param_count()
    tokens = a.batch * a.seq
    flops = 6 * pc["non_embedding"] * tokens + 6 * model.cfg.vocab_size * model.cfg.d_model * tokens  # + the tied head
    name = torch.cuda.get_device_name(0) if cuda else "cpu"
    peak = next((v for k, v in PEAK_BF16.items() if k in name), None)
    tflops = flops / (ms / 1000) / 1e12
    # self device time sits on both the aten op and the kernel it launched: sum kernels only (names not "aten::")
    dev_total = sum(getattr(e, "self_device_time_total", getattr(e, "self_cuda_time_total", 0)) for e in prof.key_averages() if not e.key.startswith("aten::"))
    top = []
    for e in sorted(prof.key_averages(), key=lambda e: getattr(e, "self_device_time_total", getattr(e, "self_cuda_time_total", 0)), reverse=True)[:25]:
        self_us = getattr(e, "self_device_time_total", getattr(e, "self_cuda_time_total", 0))
        top.append({"op": e.key[:90], "self_device_ms_per_step": self_us / 1000 / 3, "share": self_us / max(1, dev_total), "calls_per_step": e.count / 3})
    out = {
        "arch": a.arch, "device": name, "torch": str(torch.__version__), "batch": a.batch, "seq": a.seq, "compiled": bool(a.compile),
        "ms_per_step": ms, "tokens_per_s": tokens / (ms / 1000), "model_tflops": tflops,
        "mfu": tflops / peak if peak else None, "device_busy_share": dev_total / 1000 / 3 / ms,
        "params": pc, "top_device_ops": top,
    }
    print(f"{a.arch}: {ms:.1f} ms/step, {out['tokens_per_s'] / 1e6:.2f}M tok/s, {tflops:.0f} TFLOP/s model"
          + (f" = {100 * out['mfu']:.1f} % of {peak:.0f}" if peak else "")
          + f"; GPU busy {100 * out['device_busy_share']:.0f} % of the step")
    for t in top[:15]:
        print(f"  {t['self_device_ms_per_step']:7.2f} ms  {100 * t['share']:5.1f} %  x{t['calls_per_step']:.0f}  {t['op']}")
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
