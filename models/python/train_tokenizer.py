"""Train the byte-level BPE on a language-balanced sample of the training split.

    python3 train_tokenizer.py --corpus .corpus --out ../hawk/tokenizer.json --sample-bytes 120000000
"""
import argparse
import json
import random
import time

from statewise_models import tokenizer as toklib


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--vocab", type=int, default=16384)
    ap.add_argument("--sample-bytes", type=int, default=120_000_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    t0 = time.time()
    rng = random.Random(args.seed)
    pkgs = [json.loads(l) for l in open(f"{args.corpus}/train.jsonl", encoding="utf-8")]
    rng.shuffle(pkgs)
    texts, total = [], 0
    for p in pkgs:
        for f in p["files"]:
            texts.append(f["path"] + "\n" + f["text"])
            total += len(f["text"])
        if total >= args.sample_bytes:
            break
    tok = toklib.train(texts, args.vocab)
    tok.save(args.out)
    tok.encode_special_tokens = True
    sample = texts[: min(2000, len(texts))]
    n_bytes = sum(len(t.encode("utf-8")) for t in sample)
    n_tok = sum(len(e.ids) for e in tok.encode_batch(sample, add_special_tokens=False))
    print(f"[tokenizer] {len(texts)} files, {total/1e6:.1f} MB sample, vocab {tok.get_vocab_size()}, "
          f"{n_bytes/n_tok:.2f} bytes/token on a sample, {time.time()-t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
