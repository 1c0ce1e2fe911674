"""Tokenize the corpus once into the streams that several train.py runs share (--stream-npz).

    python3 prep_stream.py --corpus DIR --tokenizer tokenizer.json --out streams.npz [--limit-bytes N]
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np

from statewise_models import tokenizer as toklib
from statewise_models.data import FIM_LAYOUTS, build_streams


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--limit-bytes", type=int, default=0)
    ap.add_argument("--eval-bytes", type=int, default=3_000_000)
    ap.add_argument("--qa-rate", type=float, default=0.4)
    ap.add_argument("--recall-rate", type=float, default=0.35, help="share of files that define synthetic recall keys (statewise_models/recall.py)")
    ap.add_argument("--fim-layout", default="suffix-first", choices=FIM_LAYOUTS, help="how FIM examples are laid out (statewise_models/data.py)")
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()
    t0 = time.time()
    tok = toklib.load(args.tokenizer)
    tok.encode_special_tokens = True
    z = build_streams(tok, args.corpus, limit_bytes=args.limit_bytes, eval_bytes=args.eval_bytes, seed=args.seed, qa_rate=args.qa_rate, recall_rate=args.recall_rate, fim_layout=args.fim_layout)
    stream, ev = z["train"], z["eval"]
    np.savez(args.out, train=stream, eval=ev, eval_mask=z["eval_mask"], eval_bytes=np.array(z["eval_bytes"]), info=np.array(json.dumps(z["info"])))
    print(f"[prep] {len(stream)/1e6:.1f}M train tokens, {len(ev)/1e6:.2f}M eval tokens, {time.time()-t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
