"""Rebuild a PyTorch checkpoint from a shipped Statewise model folder (the inverse of export_onnx.py),
so that the shipped weights can warm-start the next training run (train.py --init).

    python3 import_onnx.py --model-dir ../griffin --out /tmp/griffin-init.pt [--q8 /tmp/griffin-init-q8.pt]

--out is train.py's model.pt format, {"arch", "config", "state_dict"} (plus the manifest's "training"
block, which train.py logs on a warm start); --q8 also writes model-q8.pt's int8 block form
(train.quantize_state_dict, --q8-block 64 by default, about 1.06 bytes per parameter).

How the graphs hold the parameters (export_onnx.py; read from the graphs, not from their names):
- Initializers that keep the torch name ("model.<key>", optionally "__fp16"-stored behind a Cast) are
  the parameter itself.
- Every other parameter is found by the node that consumes it: torch.onnx names nodes by module
  scope ("/model/layers.0/mixer/lru/gate_x/MatMul"), so the scope gives the module and RULES the
  parameter and the inverse of what constant folding did to it (Linear weights are transposed,
  RMSNorm scales are folded into 1 + scale, the conv weight is a [1, 4, D] tensor in the step graph
  and four [D] rows in the prefill graphs, the tied head is the transposed embedding).
- MatMulNBits weights are dequantized exactly as onnxruntime does: (q - zero_point) * scale per block
  of K, zero point 2^(bits-1) when the node has none; they equal the weights the shipped graphs
  compute with, and the exported float weights to within half an int8 step (|scale| / 2) with
  export_onnx's numpy writer, one step with onnxruntime's quantizer (it maps a block's largest
  magnitude to -128 and clips values of the other sign near it at +127), plus the fp16 rounding of
  the scales (at most 128 * 2^-11 of a step).
- Float16 + Cast storage (fp16_storage) is lossless: the exporter rounds every parameter to fp16 first.
- Cast and Identity nodes are followed (torch deduplicates equal initializers through Identity).
Every graph of the folder is read; a parameter seen several times (three graphs, embedding and tied
head) must agree everywhere, and the most exact copy is kept. A parameter found nowhere, a rule whose
shape does not fit, or a disagreement is an error. RULES cover hawk, griffin (and alibi, whose modules
are the same kinds); based's and linearized's mixers hold parameters no rule knows yet, so they stop
with the list of parameters not found.

Not recovered bit for bit: an RMSNorm scale s is stored as fp32(1 + s), so s is known to 2^-24 (half
an fp32 step at 1). s - 1 is taken exactly and snapped to the nearest fp16 value when that maps back to
the same stored number, which returns the exported s whenever |s| >= 2^-13; smaller scales come back
within 6e-8. Buffers that are not parameters (ALiBi slopes, non-persistent) come from a fresh model.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import dataclass

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from statewise_models.lm import migrate_key
from statewise_models.registry import ARCHS

SCOPE = "/model/"  # ExportWrapper keeps the network as .model: every scope starts here
PARAM_PREFIX = "model."


def log(msg):
    print(f"[import {time.strftime('%H:%M:%S')}] {msg}", flush=True)


@dataclass
class Const:
    """A constant tensor of a graph; `step` is the int8 quantization step per element (None: stored
    exactly) and `kind` says how it is stored."""

    value: np.ndarray
    kind: str
    step: np.ndarray | None = None


@dataclass
class Candidate:
    key: str
    value: np.ndarray
    kind: str
    source: str
    step: np.ndarray | None = None
    row: int | None = None  # a row of the parameter (prefill's conv weight slices), else the whole


# --- constants of a graph ---------------------------------------------------------------------------
def dequantize_matmul_nbits(node: onnx.NodeProto, consts: dict[str, Const]) -> Const:
    """B [K, N] of MatMulNBits(A, B_q, scales[, zero_points]) as onnxruntime computes it."""
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    k, n, bits, block = attrs["K"], attrs["N"], attrs["bits"], attrs["block_size"]
    assert len(node.input) <= 4 or not any(node.input[4:]), f"{node.name}: g_idx/bias inputs not supported"
    assert bits in (4, 8), f"{node.name}: {bits}-bit weights not supported"
    q = consts[node.input[1]].value.astype(np.uint8).reshape(n, -1)
    if bits == 4:  # two values a byte, low nibble first
        q = np.stack([q & 0x0F, q >> 4], axis=-1).reshape(n, -1)
    blocks = (k + block - 1) // block
    q = q.reshape(n, blocks, block).astype(np.float32)
    scale = consts[node.input[2]].value.astype(np.float32).reshape(n, blocks, 1)
    if len(node.input) > 3 and node.input[3]:
        zp = consts[node.input[3]]
        assert zp.value.dtype == np.uint8, f"{node.name}: only uint8 zero points are supported"
        z = zp.value.reshape(n, -1)
        if bits == 4:
            z = np.stack([z & 0x0F, z >> 4], axis=-1).reshape(n, -1)
        zero = z[:, :blocks].astype(np.float32).reshape(n, blocks, 1)
    else:
        zero = np.float32(1 << (bits - 1))
    w = ((q - zero) * scale).reshape(n, -1)[:, :k]
    step = np.broadcast_to(np.abs(scale), (n, blocks, block)).reshape(n, -1)[:, :k]
    return Const(np.ascontiguousarray(w.T), f"int{bits}", np.ascontiguousarray(step.T))


def graph_constants(g: onnx.GraphProto) -> dict[str, Const]:
    """Initializers by name, followed through Cast and Identity; each MatMulNBits node's dequantized
    weight under the name '<node name>:B'."""
    consts = {}
    for init in g.initializer:
        arr = numpy_helper.to_array(init)
        kind = {np.dtype(np.float16): "fp16", np.dtype(np.float32): "fp32"}.get(arr.dtype, str(arr.dtype))
        consts[init.name] = Const(arr, kind)
    for node in g.node:  # topological order: a Cast's input is known before it
        if node.op_type in ("Cast", "Identity") and node.input[0] in consts:
            src = consts[node.input[0]]
            to = next((a.i for a in node.attribute if a.name == "to"), None) if node.op_type == "Cast" else None
            val = src.value.astype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[to]) if to else src.value
            consts[node.output[0]] = Const(val, src.kind, src.step)
        elif node.op_type == "MatMulNBits":
            consts[node.name + ":B"] = dequantize_matmul_nbits(node, consts)
    return consts


def constant_uses(g: onnx.GraphProto, consts: dict[str, Const]):
    """(node, input name, constant) for every float constant a computing node reads; Cast and
    Identity only pass constants on, and MatMulNBits reads its dequantized weight."""
    for node in g.node:
        if node.op_type in ("Cast", "Identity") and node.input[0] in consts:
            continue
        if node.op_type == "MatMulNBits":
            yield node, node.input[1], consts[node.name + ":B"]
            continue
        for x in node.input:
            c = consts.get(x)
            if c is not None and c.value.dtype.kind == "f":
                yield node, x, c


# --- which parameter a constant is ----------------------------------------------------------------------
def module_path(node_name: str) -> str | None:
    """'/model/layers.0/mixer/lru/gate_x/MatMul' -> 'layers.0.mixer.lru.gate_x' ('' for the model
    itself); graphs exported before the shared model shell ('/model/layers.0/rec/...') map to
    today's module names (lm.migrate_key)."""
    if not node_name.startswith(SCOPE):
        return None
    return migrate_key(".".join(node_name[len(SCOPE):].split("/")[:-1]))


def _same(v):
    return v


def _transpose(v):
    return v.T


def _minus_one(v):
    """RMSNorm's folded fp32(1 + s) -> s, snapped to fp16 where that is the same stored number."""
    r = (v.astype(np.float32) - np.float32(1)).astype(np.float32)
    snap = r.astype(np.float16).astype(np.float32)
    return np.where((snap + np.float32(1)).astype(np.float32) == v, snap, r)


# (module class, op type) -> (parameter of that module, inverse of the form the graph holds)
RULES = {
    ("Embedding", "Gather"): ("weight", _same),
    ("Linear", "MatMul"): ("weight", _transpose),
    ("Linear", "MatMulNBits"): ("weight", _transpose),
    ("Linear", "Add"): ("bias", _same),
    ("BlockDiagonal", "MatMul"): ("w", _same),
    ("BlockDiagonal", "Add"): ("b", _same),
    ("RMSNorm", "Mul"): ("scale", _minus_one),
    ("RMSNorm", "SkipSimplifiedLayerNormalization"): ("scale", _minus_one),  # residual add + norm, fused (layers.py)
    ("RGLRU", "Softplus"): ("a_param", _same),
    ("RecurrentBlock", "Mul"): ("conv_w", _same),
    ("RecurrentBlock", "Add"): ("conv_b", _same),
    # the tied output head (head.tied_logits, no module of its own): x @ embed.weight.T
    ("<root>", "MatMul"): ("embed.weight", _transpose),
    ("<root>", "MatMulNBits"): ("embed.weight", _transpose),
}


def param_of(model: torch.nn.Module, node: onnx.NodeProto, name: str, c: Const, shapes: dict):
    """The state_dict key and value (in the parameter's layout) a constant use stands for, or None."""
    key = migrate_key(name[len(PARAM_PREFIX):]) if name.startswith(PARAM_PREFIX) else None
    if key in shapes:  # fp16_storage's Cast keeps the name
        return key, c.value, c.step
    path = module_path(node.name)
    if path is None:
        return None
    try:
        mod = model.get_submodule(path)
    except AttributeError:
        return None
    cls = "<root>" if path == "" else type(mod).__name__
    rule = RULES.get((cls, node.op_type))
    if rule is None or c.value.size == 1:  # scalars are literals of the maths, not parameters
        return None
    if node.op_type == "MatMul" and node.input[1] != name:  # a weight is always the right operand
        return None
    if node.op_type == "SkipSimplifiedLayerNormalization" and node.input[2] != name:  # the gain; the step
        return None  # graph's first norm has a constant zero skip (layers.RMSNorm, single)
    pname, inverse = rule
    key = f"{path}.{pname}" if path else pname
    step = None if c.step is None else inverse(c.step)
    return key, inverse(c.value), step


def candidates_of_graph(path: str, model: torch.nn.Module) -> list[Candidate]:
    m = onnx.load(path, load_external_data=True)
    consts = graph_constants(m.graph)
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    out, rows = [], {}
    for node, name, c in constant_uses(m.graph, consts):
        found = param_of(model, node, name, c, shapes)
        if found is None:
            continue
        key, val, step = found
        shape = shapes.get(key)
        assert shape is not None, f"{path}: {node.name} maps to {key}, not a parameter"
        kind = "fp32(1+s)" if key.endswith("scale") and not name.startswith(PARAM_PREFIX) else c.kind
        src = f"{os.path.basename(path)}:{node.name}"
        if val.size == int(np.prod(shape)):
            out.append(Candidate(key, val.reshape(shape).astype(np.float32), kind, src, None if step is None else step.reshape(shape)))
        elif len(shape) >= 2 and val.size == int(np.prod(shape[1:])):  # one row (conv_w[j] in prefill); rows come in order j
            j = rows.get(key, 0)
            rows[key] = j + 1
            out.append(Candidate(key, val.reshape(shape[1:]).astype(np.float32), kind, src, row=j))
        else:
            raise AssertionError(f"{src}: {list(val.shape)} does not fit {key} {list(shape)}")
    return out


# --- one value per parameter ------------------------------------------------------------------------------
def whole_candidates(cands: list[Candidate], shape: tuple) -> list[Candidate]:
    """Whole-tensor candidates, rows (of one graph) stacked into one."""
    whole = [c for c in cands if c.row is None]
    graphs = sorted({c.source.split(":")[0] for c in cands if c.row is not None})
    for g in graphs:
        rows = sorted((c for c in cands if c.row is not None and c.source.startswith(g + ":")), key=lambda c: c.row)
        assert len(rows) == shape[0], f"{rows[0].key}: {len(rows)} rows in {g}, expected {shape[0]}"
        whole.append(Candidate(rows[0].key, np.stack([c.value for c in rows]), rows[0].kind, f"{g}:rows"))
    return whole


def reconcile(key: str, cands: list[Candidate], shape: tuple) -> Candidate:
    """The most exact candidate; every other one must agree with it (exact ones to float rounding,
    quantized ones within 1.1 int8 steps: see the module docstring)."""
    whole = whole_candidates(cands, shape)
    best = min(whole, key=lambda c: c.step is not None)
    for c in whole:
        diff = np.abs(c.value - best.value)
        if c.step is None and best.step is None:
            ok = diff.max() <= 1e-6 * (1.0 + np.abs(best.value).max())
        else:
            step = c.step if c.step is not None else best.step
            ok = bool(np.all(diff <= 1.1 * step + 1e-7))
        assert ok, f"{key}: {c.source} disagrees with {best.source} (max |diff| {diff.max():.3g})"
    return best


def import_model(model_dir: str) -> tuple[dict, dict[str, torch.Tensor], dict[str, str]]:
    """(checkpoint without state_dict, state_dict, how each parameter was stored) of a model folder."""
    manifest = json.load(open(os.path.join(model_dir, "manifest.json")))
    arch, cfg = manifest["architecture"], manifest["config"]
    cls, cfg_cls = ARCHS[arch]
    model = cls(cfg_cls(**cfg))
    cands: list[Candidate] = []
    for graph in manifest["graphs"].values():
        cands += candidates_of_graph(os.path.join(model_dir, graph["file"]), model)
    sd = model.state_dict()
    params = {n for n, _ in model.named_parameters()}
    by_key: dict[str, list[Candidate]] = {}
    for c in cands:
        by_key.setdefault(c.key, []).append(c)
    missing = sorted(params - set(by_key))
    assert not missing, f"parameters not found in the graphs: {missing}"
    kinds = {}
    for key, cs in by_key.items():
        best = reconcile(key, cs, tuple(sd[key].shape))
        sd[key] = torch.from_numpy(np.ascontiguousarray(best.value)).to(sd[key].dtype)
        kinds[key] = best.kind
    for key in sorted(set(sd) - set(by_key)):
        kinds[key] = "fresh buffer"
    meta = {"arch": arch, "config": cfg, "training": manifest.get("training", {})}
    return meta, sd, kinds


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model-dir", required=True, help="a shipped model folder: manifest.json, *.onnx, weights-*.bin")
    ap.add_argument("--out", required=True, help="train.py model.pt format")
    ap.add_argument("--q8", default="", help="also write train.py's model-q8.pt int8 block form here")
    ap.add_argument("--q8-block", type=int, default=64)
    args = ap.parse_args(argv)

    meta, sd, kinds = import_model(args.model_dir)
    counts: dict[str, int] = {}
    for k in kinds.values():
        counts[k] = counts.get(k, 0) + 1
    log(f"{meta['arch']}: {len(sd)} tensors, {sum(v.numel() for v in sd.values())} values; stored as {counts}")
    torch.save({**meta, "state_dict": sd}, args.out)
    log(f"wrote {args.out} ({os.path.getsize(args.out)} bytes)")
    if args.q8:
        from train import quantize_state_dict

        torch.save({**meta, "q8": quantize_state_dict(sd, args.q8_block)}, args.q8)
        log(f"wrote {args.q8} ({os.path.getsize(args.q8)} bytes)")


if __name__ == "__main__":
    main()
