"""Export a trained checkpoint to the Statewise model folder: two ONNX graphs (single-token step and
dynamic-length prefill) sharing fp16-stored weight files, manifest.json, tokenizer.json and a parity
fixture; then check ONNX (onnxruntime, CPU) against PyTorch.

    python3 export_onnx.py --ckpt /tmp/run/model.pt --tokenizer ../hawk/tokenizer.json --out ../hawk \
        --report /tmp/run/train_report.json --sample-text some_heldout_file.ts

Graph contract (the engine reads every name from manifest.json):
  inputs  input_ids int64 [1, T]; state_in.<name> float32 per state tensor
  outputs logits float32 [1, V] (last position); state_out.<name> one to one with state_in.<name>
Weights are stored as float16 initializers followed by a Cast to float32, which onnxruntime folds
at load, so compute is float32 and the PyTorch reference (weights rounded to fp16) matches it.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import time

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from statewise_models import tokenizer as toklib
from statewise_models.hawk import Hawk, HawkConfig

ARCHS = {"hawk": (Hawk, HawkConfig)}
MAX_WEIGHT_FILE = 24 * 1024 * 1024
FORMAT = "statewise-model/1"


def log(msg):
    print(f"[export {time.strftime('%H:%M:%S')}] {msg}", flush=True)


class ExportWrapper(torch.nn.Module):
    def __init__(self, model, mode):
        super().__init__()
        self.model, self.mode = model, mode

    def forward(self, input_ids, *state):
        logits, new_state = self.model(input_ids, list(state), mode=self.mode, last_only=True)
        return (logits, *new_state)


def export_graph(model, mode: str, path: str, state_names: list[str]):
    t = 1 if mode == "step" else 5
    ids = torch.randint(20, 1000, (1, t))
    state = model.init_state(1)
    wrapper = ExportWrapper(model, mode).eval()
    inputs = ["input_ids"] + [f"state_in.{n}" for n in state_names]
    outputs = ["logits"] + [f"state_out.{n}" for n in state_names]
    dyn = {"input_ids": {1: "T"}} if mode != "step" else None
    kwargs = dict(input_names=inputs, output_names=outputs, opset_version=17, do_constant_folding=False)
    try:
        torch.onnx.export(wrapper, (ids, *state), path, dynamic_axes=dyn, dynamo=False, **kwargs)
    except TypeError:
        torch.onnx.export(wrapper, (ids, *state), path, dynamic_axes=dyn, **kwargs)
    return inputs, outputs


def fp16_storage(m: onnx.ModelProto, min_elems: int = 1024) -> onnx.ModelProto:
    """Store big float32 initializers as float16 + Cast(to float32)."""
    g = m.graph
    new_inits, casts = [], []
    for init in g.initializer:
        arr = numpy_helper.to_array(init)
        if init.data_type == TensorProto.FLOAT and arr.size >= min_elems:
            new_inits.append(numpy_helper.from_array(arr.astype(np.float16), init.name + "__fp16"))
            casts.append(helper.make_node("Cast", [init.name + "__fp16"], [init.name], to=TensorProto.FLOAT, name="cast_" + init.name))
        else:
            new_inits.append(init)
    del g.initializer[:]
    g.initializer.extend(new_inits)
    nodes = list(g.node)
    del g.node[:]
    g.node.extend(casts + nodes)
    return m


def share_external(models: dict[str, onnx.ModelProto], out_dir: str) -> list[str]:
    """Move every large initializer of every graph into shared weight files (each <= 24 MiB),
    deduplicated by content, and point the graphs at them."""
    table: dict[str, tuple[str, int, int]] = {}
    files: list[bytearray] = []
    names: list[str] = []
    for m in models.values():
        for init in m.graph.initializer:
            raw = numpy_helper.to_array(init).tobytes()
            if len(raw) < 4096:
                continue
            key = hashlib.sha1(raw).hexdigest() + str(init.data_type) + str(list(init.dims))
            if key not in table:
                if not files or len(files[-1]) + len(raw) > MAX_WEIGHT_FILE:
                    files.append(bytearray())
                    names.append(f"weights-{len(files) - 1}.bin")
                buf = files[-1]
                pad = (-len(buf)) % 64
                buf += b"\0" * pad
                table[key] = (names[-1], len(buf), len(raw))
                buf += raw
            loc, off, ln = table[key]
            init.ClearField("raw_data")
            for f in ("float_data", "int32_data", "int64_data", "double_data"):
                init.ClearField(f)
            init.data_location = TensorProto.EXTERNAL
            del init.external_data[:]
            for k, v in (("location", loc), ("offset", str(off)), ("length", str(ln))):
                e = init.external_data.add()
                e.key, e.value = k, v
    for name, buf in zip(names, files):
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(buf)
    for fname, m in models.items():
        onnx.save_model(m, os.path.join(out_dir, fname))
    return names


def b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype=np.float32).tobytes()).decode()


def run_ort(sess, ids: list[int], state: dict[str, np.ndarray], state_names):
    feeds = {"input_ids": np.array([ids], dtype=np.int64)}
    feeds.update({f"state_in.{n}": state[n] for n in state_names})
    outs = sess.run(None, feeds)
    names = [o.name for o in sess.get_outputs()]
    res = dict(zip(names, outs))
    return res["logits"][0], {n: res[f"state_out.{n}"] for n in state_names}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--report", default="")
    ap.add_argument("--sample-text", required=True)
    ap.add_argument("--version", default=time.strftime("%Y%m%d.%H%M"))
    args = ap.parse_args()

    ck = torch.load(args.ckpt, map_location="cpu")
    cls, cfg_cls = ARCHS[ck["arch"]]
    model = cls(cfg_cls(**ck["config"]))
    model.load_state_dict(ck["state_dict"])
    model.eval()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.half().float())
    model.set_export_chunk(model.cfg.max_chunk)
    spec = model.state_spec()
    state_names = [n for n, _ in spec]

    os.makedirs(args.out, exist_ok=True)
    tmp = os.path.join(args.out, ".tmp-export")
    os.makedirs(tmp, exist_ok=True)
    with torch.no_grad():
        export_graph(model, "step", os.path.join(tmp, "step.onnx"), state_names)
        export_graph(model, "export", os.path.join(tmp, "prefill.onnx"), state_names)
    graphs = {f: fp16_storage(onnx.load(os.path.join(tmp, f))) for f in ("step.onnx", "prefill.onnx")}
    for f in os.listdir(args.out):
        if f.startswith("weights-") or f.endswith(".onnx"):
            os.remove(os.path.join(args.out, f))
    weight_files = share_external(graphs, args.out)
    shutil.rmtree(tmp)
    for f in ("step.onnx", "prefill.onnx"):
        onnx.checker.check_model(os.path.join(args.out, f))
    if os.path.abspath(args.tokenizer) != os.path.abspath(os.path.join(args.out, "tokenizer.json")):
        shutil.copy(args.tokenizer, os.path.join(args.out, "tokenizer.json"))
    log(f"graphs written; weights {weight_files}")

    # --- parity: PyTorch vs onnxruntime ------------------------------------------------------
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 4
    step = ort.InferenceSession(os.path.join(args.out, "step.onnx"), so, providers=["CPUExecutionProvider"])
    pre = ort.InferenceSession(os.path.join(args.out, "prefill.onnx"), so, providers=["CPUExecutionProvider"])

    tok = toklib.load(args.tokenizer)
    tok.encode_special_tokens = True
    text = open(args.sample_text, encoding="utf-8").read()
    ids = tok.encode(text, add_special_tokens=False).ids[:64]
    assert len(ids) == 64, "sample text too short"
    zero = {n: np.zeros([1, *shape], dtype=np.float32) for n, shape in spec}

    with torch.no_grad():
        ref_all, ref_state = model(torch.tensor([ids]), model.init_state(1), mode="train")
        ref_first, _ = model(torch.tensor([ids[:37]]), model.init_state(1), mode="train")
    ref_last = ref_all[0, -1].numpy()
    scale = float(np.abs(ref_last).max())

    def close(a, b, what, tol=2e-4):
        err = float(np.abs(a - b).max()) / scale
        log(f"parity {what}: max |diff| / max|ref| = {err:.2e}")
        assert err < tol, f"{what} parity failed: {err}"
        return err

    errs = {}
    lg, st = run_ort(pre, ids, zero, state_names)
    errs["prefill64_vs_torch"] = close(lg, ref_last, "prefill(64) vs torch")
    lg1, st1 = run_ort(pre, ids[:37], zero, state_names)
    errs["prefill37_vs_torch"] = close(lg1, ref_first[0, -1].numpy(), "prefill(37) vs torch")
    lg2, st2 = run_ort(pre, ids[37:], st1, state_names)
    errs["prefill37+27_vs_prefill64"] = close(lg2, lg, "prefill(37)+prefill(27) vs prefill(64)")
    s = zero
    for t in ids:
        lgs, s = run_ort(step, [t], s, state_names)
    errs["64steps_vs_prefill64"] = close(lgs, lg, "64 steps vs prefill(64)")
    for n in state_names:
        d = float(np.abs(s[n] - st[n]).max())
        assert d < 1e-3 * max(1.0, float(np.abs(st[n]).max())), f"state {n} differs by {d}"
    # greedy continuation from the torch model, step by step
    greedy = []
    with torch.no_grad():
        tstate = [x.clone() for x in ref_state]
        nxt = int(ref_all[0, -1].argmax())
        for _ in range(8):
            greedy.append(nxt)
            lgt, tstate = model(torch.tensor([[nxt]]), tstate, mode="step", last_only=True)
            nxt = int(lgt[0].argmax())

    fixture = {
        "tokens": ids,
        "chunks": [37, 27],
        "logitsAfterFirstChunk": b64(ref_first[0, -1].numpy()),
        "logitsAfterAll": b64(ref_last),
        "stateAbsSum": {n: float(np.abs(ref_state[i].numpy()).sum()) for i, n in enumerate(state_names)},
        "greedy": greedy,
        "tolerance": 2e-4,
        "text": tok.decode(ids),
    }
    with open(os.path.join(args.out, "fixture.json"), "w") as f:
        json.dump(fixture, f)
    toklib.write_parity_fixture(tok, os.path.join(args.out, "tokenizer-parity.json"), iter([text[:4000]]))

    report = json.load(open(args.report)) if args.report else {}
    cfg = model.cfg.to_dict()
    manifest = {
        "format": FORMAT,
        "name": f"{ck['arch']}-s",
        "architecture": ck["arch"],
        "version": args.version,
        "config": cfg,
        "params": model.param_count(),
        "vocabSize": cfg["vocab_size"],
        "tokenizer": "tokenizer.json",
        "specialTokens": {k: v for k, v in toklib.SPECIAL.items() if not k.startswith("reserved")},
        "trainLength": report.get("train", {}).get("seq", 2048),
        "graphs": {
            "step": {"file": "step.onnx", "maxTokens": 1},
            "prefill": {"file": "prefill.onnx", "maxTokens": cfg["max_chunk"]},
        },
        "weights": weight_files,
        "inputs": {"tokens": "input_ids"},
        "outputs": {"logits": "logits"},
        "state": [
            {"name": n, "input": f"state_in.{n}", "output": f"state_out.{n}", "shape": [1, *shape], "dtype": "float32"}
            for n, shape in spec
        ],
        "stateBytes": int(sum(4 * int(np.prod(shape)) for _, shape in spec)),
        "weightsDtype": "float16-stored, float32 compute",
        "parity": errs,
        "training": report.get("train", {}),
        "heldout": report.get("heldout", {}),
    }
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    log("manifest, fixture and tokenizer parity written")


if __name__ == "__main__":
    main()
