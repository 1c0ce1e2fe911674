"""Tokenize the corpus once into the streams that several train.py runs share (--stream-npz).

    python3 prep_stream.py --corpus DIR --tokenizer tokenizer.json --out streams.npz [--limit-bytes N]
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from statewise_models import tokenizer as toklib
from statewise_models.data import build_eval_stream, build_train_stream, read_packages


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--limit-bytes", type=int, default=0)
    ap.add_argument("--eval-bytes", type=int, default=3_000_000)
    ap.add_argument("--qa-rate", type=float, default=0.4)
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()
    t0 = time.time()
    tok = toklib.load(args.tokenizer)
    tok.encode_special_tokens = True
    train_pk = read_packages(os.path.join(args.corpus, "train.jsonl"), args.limit_bytes or None)
    held_pk = read_packages(os.path.join(args.corpus, "heldout.jsonl"))
    stream = build_train_stream(tok, train_pk, seed=args.seed, qa_rate=args.qa_rate)
    ev, mask, ev_bytes = build_eval_stream(tok, held_pk, args.eval_bytes)
    info = {"packages": len(train_pk), "bytes": sum(len(f["text"].encode("utf-8")) for p in train_pk for f in p["files"]),
            "qa_rate": args.qa_rate, "seed": args.seed}
    np.savez(args.out, train=stream, eval=ev, eval_mask=mask, eval_bytes=np.array(ev_bytes), info=np.array(json.dumps(info)))
    print(f"[prep] {len(stream)/1e6:.1f}M train tokens, {len(ev)/1e6:.2f}M eval tokens, {time.time()-t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
