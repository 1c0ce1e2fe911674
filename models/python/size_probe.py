"""Untrained griffin checkpoints of several sizes, to time each size's graphs before training one
(call times do not depend on the weights). Writes OUT/SIZE.pt (train.py's model.pt format) and prints
each size's parameter count; then, per size:

    python3 size_probe.py --out /tmp/sizes
    python3 export_onnx.py --ckpt /tmp/sizes/m.pt --out /tmp/sizes/m/griffin --int8-tol 0.15 ...
    node graph_bench.mjs --reps 15 --threads 2 /tmp/sizes/xs/griffin /tmp/sizes/s/griffin ...

(--int8-tol: random weights accumulate more int8 error through deep stacks than trained ones.)"""
from __future__ import annotations

import argparse
import os
from dataclasses import asdict

import torch

from statewise_models.registry import make_model

# s is the shipped configuration (statewise_models/griffin.py); the others scale width and depth (s12,
# s18: depth only, what growing s gives)
SIZES = {
    "xs": dict(d_model=256, d_rnn=384, n_layers=6, n_heads=4),
    "s": {},
    "s12": dict(n_layers=12),  # s grown in depth (statewise_models/grow.py: train.py --grow-layers)
    "s18": dict(n_layers=18),
    "m": dict(d_model=512, d_rnn=768, n_layers=12, n_heads=8),
    "l": dict(d_model=640, d_rnn=1024, n_layers=15, n_heads=10),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--sizes", default=",".join(SIZES))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    for k in args.sizes.split(","):
        m = make_model("griffin", SIZES[k])
        torch.save({"arch": "griffin", "config": asdict(m.cfg), "state_dict": m.state_dict()}, os.path.join(args.out, f"{k}.pt"))
        print(k, sum(p.numel() for p in m.parameters()), "parameters", SIZES[k] or "(shipped)")


if __name__ == "__main__":
    main()
