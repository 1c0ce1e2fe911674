"""Held-out bits per byte of the shipped ONNX model (onnxruntime, CPU), on the same stream and in the
same 2048-token windows (zero state at each window start) as train.py's PyTorch evaluation.

    python3 eval_onnx.py --model-dir ../hawk --heldout .corpus/heldout.jsonl --max-tokens 200000
"""
import argparse
import json
import math
import os
import time

import numpy as np
import onnxruntime as ort

from statewise_models import tokenizer as toklib
from statewise_models.data import build_eval_stream, read_packages


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--heldout", required=True)
    ap.add_argument("--max-tokens", type=int, default=200_000)
    ap.add_argument("--window", type=int, default=2048)
    ap.add_argument("--threads", type=int, default=16)
    args = ap.parse_args()
    man = json.load(open(os.path.join(args.model_dir, "manifest.json")))
    tok = toklib.load(os.path.join(args.model_dir, "tokenizer.json"))
    tok.encode_special_tokens = True
    toks, mask, _ = build_eval_stream(tok, read_packages(args.heldout), 3_000_000)
    blen = np.array(toklib.token_byte_lengths(tok))
    so = ort.SessionOptions()
    so.intra_op_num_threads = args.threads
    g = man["graphs"]["score"]
    sess = ort.InferenceSession(os.path.join(args.model_dir, g["file"]), so, providers=["CPUExecutionProvider"])
    chunk = g["maxTokens"]
    W = args.window
    n = min(len(toks) - 1, args.max_tokens) // W
    nll, bytes_, count = 0.0, 0, 0
    t0 = time.time()
    for w in range(n):
        st = {s["input"]: np.zeros(s["shape"], np.float32) for s in man["state"]}
        for c in range(0, W, chunk):
            lo = w * W + c
            x = toks[lo : lo + chunk].astype(np.int64)[None]
            y = toks[lo + 1 : lo + chunk + 1]
            m = mask[lo + 1 : lo + chunk + 1]
            out = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, {"input_ids": x, **st})))
            lg = out["logits"][0].astype(np.float64)
            mx = lg.max(-1, keepdims=True)
            lse = np.log(np.exp(lg - mx).sum(-1)) + mx[:, 0]
            tok_nll = lse - lg[np.arange(len(y)), y]
            nll += float((tok_nll * m).sum())
            bytes_ += int((blen[y] * m).sum())
            count += int(m.sum())
            st = {s["input"]: out[s["output"]] for s in man["state"]}
    res = {"bits_per_byte": nll / math.log(2) / bytes_, "tokens": count, "bytes": bytes_, "seconds": time.time() - t0}
    print(json.dumps(res))


if __name__ == "__main__":
    main()
