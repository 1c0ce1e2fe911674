"""Toy-scale associative recall (MQAR, docs/models.md §9.3): the five mixers at d_model 64, trained from
scratch on the same synthetic batches, then exact-match recall by number of key-value pairs, against
the bytes of state each keeps (the Based paper's recall/state trade-off, Fig. 2). Runs on a CPU in
minutes; it ranks the mixers before (and beside) the full-size runs.

A sequence is n key-value pairs `k1 v1 ... kn vn`, then the n keys again in a random order, each
followed by its value: `q1 a1 ... qn an` (keys and values from disjoint halves of a 256-token
vocabulary, keys unique in a sequence). Loss and accuracy count only the answers a_j, predicted at
q_j. Training mixes n = 4, 8, 16, 32 (sequences of 16 to 128 tokens); the test adds n = 48 (192
tokens: longer than any training sequence).

    python3 toy_recall.py [--steps 1500] [--archs hawk,griffin,based,alibi,linearized] [--out toy-recall.json] [--png toy-recall.png]
"""
from __future__ import annotations

import argparse
import json
import math
import time

import torch
import torch.nn.functional as F

from statewise_models.registry import make_model

V = 256
KEYS = (16, 136)  # [lo, hi)
VALUES = (136, 256)
TRAIN_N = (4, 8, 16, 32)
TEST_N = (8, 16, 32, 48)

# Small configs of every mixer (d_model 64); the variant suffix is what sets the state size.
CONFIGS = {
    "hawk": {"d_model": 64, "d_rnn": 64, "n_layers": 2, "n_gate_blocks": 4, "mlp_mult": 2},
    "griffin-w16": {"d_model": 64, "d_rnn": 64, "n_layers": 3, "n_gate_blocks": 4, "mlp_mult": 2, "n_heads": 2, "head_dim": 32, "window": 16},
    "griffin-w64": {"d_model": 64, "d_rnn": 64, "n_layers": 3, "n_gate_blocks": 4, "mlp_mult": 2, "n_heads": 2, "head_dim": 32, "window": 64},
    "based": {"d_model": 64, "layout": "CLS", "n_heads": 2, "feature_dim": 16, "window": 16, "mlp_mult": 2},
    "alibi": {"d_model": 64, "n_layers": 2, "n_heads": 2, "mlp_mult": 2, "max_context": 256, "train_cache": False},
    "linearized": {"d_model": 64, "n_layers": 2, "qk_dim": 32, "expansion": 2, "group": 16, "conv_k": 4},
}


def arch_of(name: str) -> str:
    return name.split("-")[0]


def batch(g: torch.Generator, b: int, n: int):
    """tokens [b, 4n], targets [b, 4n] (next token), mask [b, 4n] (1 at the positions of q_j)."""
    keys = torch.stack([torch.randperm(KEYS[1] - KEYS[0], generator=g)[:n] for _ in range(b)]) + KEYS[0]
    vals = torch.randint(VALUES[0], VALUES[1], (b, n), generator=g)
    order = torch.stack([torch.randperm(n, generator=g) for _ in range(b)])
    qk, qv = keys.gather(1, order), vals.gather(1, order)
    x = torch.cat([torch.stack([keys, vals], 2).reshape(b, 2 * n), torch.stack([qk, qv], 2).reshape(b, 2 * n)], 1)
    y = torch.cat([x[:, 1:], torch.zeros(b, 1, dtype=x.dtype)], 1)
    mask = torch.zeros(b, 4 * n)
    mask[:, 2 * n :: 2] = 1.0
    return x, y, mask


def state_bytes(model, arch: str, length: int) -> int:
    """float32 bytes of the recurrent state after `length` tokens; ALiBi's cache holds every token."""
    if arch == "alibi":
        c = model.cfg
        return c.n_layers * 2 * c.d_model * 4 * min(length, c.max_context)
    return sum(4 * math.prod(shape) for _, shape in model.state_spec())


def accuracy(model, g, n: int, samples: int) -> float:
    model.eval()
    with torch.no_grad():
        x, y, m = batch(g, samples, n)
        logits, _ = model(x, model.init_state(samples), mode="train")
        hit = (logits.argmax(-1) == y).float()
    model.train()
    return float((hit * m).sum() / m.sum())


def run(name: str, steps: int, batch_size: int, lr: float, seed: int, test_samples: int) -> dict:
    arch = arch_of(name)
    torch.manual_seed(seed)
    model = make_model(arch, {"vocab_size": V, **CONFIGS[name]})
    model.fast_train = True
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.1)
    g = torch.Generator().manual_seed(seed)
    t0 = time.time()
    for step in range(steps):
        frac = step / steps
        for grp in opt.param_groups:
            grp["lr"] = lr * min(1.0, (step + 1) / 100) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))
        x, y, m = batch(g, batch_size, TRAIN_N[step % len(TRAIN_N)])
        logits, _ = model(x, model.init_state(batch_size), mode="train")
        loss = (F.cross_entropy(logits.reshape(-1, V), y.reshape(-1), reduction="none") * m.reshape(-1)).sum() / m.sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    train_s = time.time() - t0
    tg = torch.Generator().manual_seed(10_000 + seed)
    acc = {str(n): accuracy(model, tg, n, test_samples) for n in TEST_N}
    out = {"name": name, "arch": arch, "config": CONFIGS[name], "params": model.param_count()["total"],
           "stateBytes": {str(4 * n): state_bytes(model, arch, 4 * n) for n in TEST_N},
           "accuracy": acc, "finalLoss": float(loss), "trainSeconds": train_s}
    print(f"{name:12s} params {out['params']:>7,} state@128 {out['stateBytes']['128']:>8,} B  "
          + "  ".join(f"n={n}: {100 * a:5.1f}%" for n, a in acc.items()) + f"  ({train_s:.0f} s)", flush=True)
    return out


def plot(rows: list[dict], path: str):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for r in rows:
        ax.scatter(r["stateBytes"]["128"], 100 * r["accuracy"]["32"], s=40)
        ax.annotate(r["name"], (r["stateBytes"]["128"], 100 * r["accuracy"]["32"]), textcoords="offset points", xytext=(5, 3), fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("state bytes after 128 tokens (float32)")
    ax.set_ylabel("recall accuracy, 32 key-value pairs (%)")
    ax.set_title("Toy MQAR (d_model 64): recall against state size")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--archs", default=",".join(CONFIGS))
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--test-samples", type=int, default=512)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--out", default="")
    ap.add_argument("--png", default="")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = [run(n, args.steps, args.batch, args.lr, args.seed, args.test_samples) for n in args.archs.split(",")]
    result = {"task": "MQAR", "vocab": V, "trainPairs": list(TRAIN_N), "testPairs": list(TEST_N), "steps": args.steps,
              "batch": args.batch, "lr": args.lr, "seed": args.seed, "testSamples": args.test_samples,
              "torch": torch.__version__, "rows": rows}
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)
    if args.png:
        plot(rows, args.png)


if __name__ == "__main__":
    main()
