"""Length extrapolation in PyTorch on the GPU: bits per byte of the same scored tokens with 1x, 2x, 4x
and 8x the training length of context (docs/models.md §10). Each window starts from the zero state and
ends at a fixed position; only its last `train_len` tokens are scored, so the four numbers differ
only in how much context precedes the scored tokens.

    python3 eval_torch.py --ckpt run/model.pt --stream-npz streams.npz --tokenizer tok.json --out extrap.json

ALiBi is evaluated with its KV cache uncapped (max_context = 8x), i.e. full causal attention over the
whole window: that is the extrapolation the ALiBi paper measures; the shipped cap (2,048) would make
every window a 2,048-token sliding window.
"""
from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

from statewise_models import tokenizer as toklib
from statewise_models.registry import load_checkpoint


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--stream-npz", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--train-len", type=int, default=2048)
    ap.add_argument("--windows", type=int, default=12)
    ap.add_argument("--factors", default="1,2,4,8")
    args = ap.parse_args()
    t0 = time.time()
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    ck = torch.load(args.ckpt, map_location="cpu", weights_only=False)
    factors = [int(x) for x in args.factors.split(",")]
    uncapped = {"max_context": max(factors) * args.train_len, "train_cache": False} if ck["arch"] == "alibi" else None
    model = load_checkpoint(ck, uncapped)
    model.fast_train = True  # windows from the zero state, multiples of 64 tokens: the fused/chunked forms
    model.to(dev).eval()
    z = np.load(args.stream_npz)
    toks, mask = z["eval"].astype(np.int64), z["eval_mask"]
    blen = np.array(toklib.token_byte_lengths_json(args.tokenizer))
    L, longest = args.train_len, max(factors) * args.train_len
    ends = np.linspace(longest, len(toks) - 1, args.windows).astype(int)
    out = {"arch": ck["arch"], "trainLength": L, "windows": int(len(ends)), "bitsPerByte": {}}
    with torch.no_grad():
        for fct in factors:
            nll, nbytes = 0.0, 0
            for e in ends:
                s = e - fct * L
                x = torch.from_numpy(toks[s:e]).to(dev)[None]
                y = torch.from_numpy(toks[s + 1 : e + 1]).to(dev)[None]
                with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=dev.type == "cuda"):
                    logits, _ = model(x, model.init_state(1, dev))
                lg, yy = logits[0, -L:].float(), y[0, -L:]
                m = torch.from_numpy(mask[e - L + 1 : e + 1]).to(dev)
                loss = F.cross_entropy(lg, yy, reduction="none")
                nll += float((loss * m).sum())
                nbytes += int((torch.from_numpy(blen).to(dev)[yy] * m).sum())
            out["bitsPerByte"][f"{fct}x"] = nll / math.log(2) / nbytes
            print(f"[extrap {ck['arch']}] {fct}x: {out['bitsPerByte'][f'{fct}x']:.4f}", flush=True)
    out["seconds"] = time.time() - t0
    json.dump(out, open(args.out, "w"), indent=1)


if __name__ == "__main__":
    main()
