"""Compare CPU speed and quality of weight formats for the exported graphs (device experiment).

    python3 quant_experiment.py --ckpt /tmp/sw/run/model.pt --sample /tmp/sample.ts --tokenizer T
"""
import argparse
import os
import time

import numpy as np
import onnx
import onnxruntime as ort
import torch

from statewise_models.registry import load_checkpoint
from statewise_models import tokenizer as toklib


def sess(path, threads=2):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--sample", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--dir", default="/tmp/quant")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    ck = torch.load(args.ckpt, map_location="cpu", weights_only=False)
    model = load_checkpoint(ck)
    model.eval()
    model.set_export_chunk(model.cfg.max_chunk)
    names = [n for n, _ in model.state_spec()]
    spec = model.state_spec()
    import export_onnx
    variants = {}
    for g in ("step", "prefill"):
        p = f"{args.dir}/fp32_{g}.onnx"
        # constant folding on, so MatMul weights are plain initializers the quantizers see
        with torch.no_grad():
            wrapper = export_onnx.ExportWrapper(model, "step" if g == "step" else "export").eval()
            t = 1 if g == "step" else 5
            torch.onnx.export(wrapper, (torch.randint(20, 900, (1, t)), *model.init_state(1)), p,
                              input_names=["input_ids"] + [f"state_in.{n}" for n in names],
                              output_names=["logits"] + [f"state_out.{n}" for n in names],
                              dynamic_axes=None if g == "step" else {"input_ids": {1: "T"}},
                              opset_version=17, do_constant_folding=True, dynamo=False)
        variants.setdefault("fp32", {})[g] = p
    from onnxruntime.quantization import QuantType, quantize_dynamic
    for g in ("step", "prefill"):
        p = f"{args.dir}/dyn8_{g}.onnx"
        quantize_dynamic(variants["fp32"][g], p, weight_type=QuantType.QInt8, per_channel=False)
        variants.setdefault("dyn8", {})[g] = p
    try:
        from onnxruntime.quantization.matmul_nbits_quantizer import DefaultWeightOnlyQuantConfig, MatMulNBitsQuantizer
        for bits, acc in ((8, 0), (8, 4), (4, 0), (4, 4)):
            key = f"nbits{bits}_acc{acc}"
            for g in ("step", "prefill"):
                m = onnx.load(variants["fp32"][g])
                try:
                    cfg = DefaultWeightOnlyQuantConfig(block_size=32, is_symmetric=True, accuracy_level=acc, bits=bits)
                    q = MatMulNBitsQuantizer(m, algo_config=cfg)
                except TypeError:
                    q = MatMulNBitsQuantizer(m, block_size=32, is_symmetric=True, accuracy_level=acc, bits=bits)
                q.process()
                p = f"{args.dir}/{key}_{g}.onnx"
                q.model.save_model_to_file(p, use_external_data_format=False)
                variants.setdefault(key, {})[g] = p
    except Exception as e:
        print("nbits failed:", repr(e))

    tok = toklib.load(args.tokenizer)
    tok.encode_special_tokens = True
    ids = tok.encode(open(args.sample).read(), add_special_tokens=False).ids[:300]
    zero = {f"state_in.{n}": np.zeros([1, *s], np.float32) for n, s in spec}

    def run(s, toks, st):
        out = s.run(None, {"input_ids": np.array([toks], np.int64), **st})
        outn = [o.name for o in s.get_outputs()]
        d = dict(zip(outn, out))
        return d["logits"][0], {f"state_in.{n}": d[f"state_out.{n}"] for n in names}

    print(f"{'variant':14s} {'size MB':>8s} {'step ms':>8s} {'pre32 ms':>9s} {'pre256 ms':>9s} {'nll/tok':>8s} {'top1 agree':>10s}")
    ref_top = None
    def measure(key, gs):
        nonlocal ref_top
        size = sum(os.path.getsize(p) for p in gs.values()) / 2 / 1e6
        st_s, pre_s = sess(gs["step"]), sess(gs["prefill"])
        st = zero
        for t in ids[:8]:
            _, st = run(st_s, [t], st)
        ts = []
        for t in ids[8:40]:
            a = time.perf_counter(); _, st = run(st_s, [t], st); ts.append(time.perf_counter() - a)
        ps = []
        for _ in range(5):
            a = time.perf_counter(); run(pre_s, ids[:32], zero); ps.append(time.perf_counter() - a)
        p256 = []
        for _ in range(3):
            a = time.perf_counter(); run(pre_s, ids[:256], zero); p256.append(time.perf_counter() - a)
        # quality: teacher-forced step decoding over 256 tokens
        st, nll, tops = zero, 0.0, []
        s16 = sess(gs["step"], 16)
        for i in range(256):
            lg, st = run(s16, [ids[i]], st)
            lse = np.log(np.exp(lg - lg.max()).sum()) + lg.max()
            nll += lse - lg[ids[i + 1]]
            tops.append(int(lg.argmax()))
        if ref_top is None:
            ref_top = tops
        agree = np.mean([a == b for a, b in zip(tops, ref_top)])
        print(f"{key:14s} {size:8.1f} {np.median(ts)*1e3:8.2f} {np.median(ps)*1e3:9.1f} {np.median(p256)*1e3:9.1f} {nll/256:8.4f} {agree:10.3f}", flush=True)

    for key, gs in variants.items():
        try:
            measure(key, gs)
        except Exception as e:
            print(key, "failed:", repr(e)[:300], flush=True)


if __name__ == "__main__":
    main()
