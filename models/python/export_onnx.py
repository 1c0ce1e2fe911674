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
import math
import os
import re
import shutil
import time

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from graph_fold import drop_unfolded, fold_shapes, op_counts, runtime_shape_nodes
from manifest_checksums import checksums as file_checksums
from statewise_models import tokenizer as toklib
from statewise_models.layers import fused_export
from statewise_models.registry import load_checkpoint
MAX_WEIGHT_FILE = 23 * 1024 * 1024
FORMAT = "statewise-model/1"


def log(msg):
    print(f"[export {time.strftime('%H:%M:%S')}] {msg}", flush=True)


class ExportWrapper(torch.nn.Module):
    def __init__(self, model, mode, last_only=True):
        super().__init__()
        self.model, self.mode, self.last_only = model, mode, last_only

    def forward(self, input_ids, *state):
        logits, new_state = self.model(input_ids, list(state), mode=self.mode, last_only=self.last_only)
        return (logits, *new_state)


GRAPHS = {  # file -> (model mode, last position only)
    "step.onnx": ("step", True),
    "prefill.onnx": ("export", True),
    "score.onnx": ("export", False),
}
# With --ingest-chunk N: the prefill graph again, exact for calls of up to N tokens, for folding on a GPU
# where a call's fixed cost dwarfs its length (issue #17); the engine keeps prefill.onnx for the CPU.
INGEST = "ingest.onnx"
# With --ingest-blocked N (griffin): the ingest graph with its attention block by block, for calls of a
# multiple of the window up to N tokens (manifest graphs.ingestBlocked, multipleOf = window). It needs
# --ingest-chunk: the engine feeds each chunk's largest multiple of the window through it and the tail through
# ingest.onnx (server/engine/model.ts).
INGEST_BLOCKED = "ingest-blocked.onnx"


def export_graph(model, graph: str, path: str, state_names: list[str], t: int = 5):
    mode, last_only = ("export", True) if graph in (INGEST, INGEST_BLOCKED) else GRAPHS[graph]
    t = 1 if mode == "step" else t
    ids = torch.randint(20, 1000, (1, t))
    state = model.init_state(1)
    wrapper = ExportWrapper(model, mode, last_only).eval()
    inputs = ["input_ids"] + [f"state_in.{n}" for n in state_names]
    outputs = ["logits"] + [f"state_out.{n}" for n in state_names]
    dyn = {"input_ids": {1: "T"}} if mode != "step" else None
    if not last_only:
        dyn["logits"] = {1: "T"}
    # Constant folding on: MatMul weights become plain initializers that the quantizer can see.
    kwargs = dict(input_names=inputs, output_names=outputs, opset_version=17, do_constant_folding=True)
    if int(torch.__version__.split(".")[0]) >= 2:
        kwargs["dynamo"] = False
    with fused_export(getattr(model, "gpu_shaped", False)):
        torch.onnx.export(wrapper, (ids, *state), path, dynamic_axes=dyn, **kwargs)
    # Shape arithmetic that export time knows is folded away (graph_fold.py, issue #17).
    m = onnx.load(path)
    n0 = len(m.graph.node)
    fold_shapes(m)
    # after folding: what a marked parameter feeds (layers.unfolded) stays for onnxruntime to fold at load
    drop_unfolded(m)
    declare_outputs(m, model.cfg.vocab_size, last_only)
    onnx.save(m, path)
    left = runtime_shape_nodes(m)
    log(f"{graph}: {n0} -> {len(m.graph.node)} nodes after shape folding; {len(left)} computing shapes at run time")
    if getattr(model, "gpu_shaped", False):
        assert not left, f"{graph}: shape computations left at run time: {left[:10]}"
    return inputs, outputs


def declare_outputs(m: onnx.ModelProto, vocab: int, last_only: bool):
    """The graph contract's output shapes, where torch's shape inference left made-up names (it
    cannot see through the com.microsoft nodes): logits [1, V] ([1, T, V] for all positions) and
    every state_out.<name> the shape of its state_in.<name>."""
    ins = {v.name: v for v in m.graph.input}
    for out in m.graph.output:
        if out.name == "logits":
            dims = [1, vocab] if last_only else [1, "T", vocab]
            out.type.CopyFrom(helper.make_tensor_type_proto(TensorProto.FLOAT, dims))
        elif out.name.startswith("state_out.") and "state_in." + out.name[len("state_out."):] in ins:
            out.type.CopyFrom(ins["state_in." + out.name[len("state_out."):]].type)


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


def _quantize_nbits_ort(m: onnx.ModelProto, bits: int = 8, block: int = 32) -> onnx.ModelProto:
    """Weight-only block quantization of every 2-D MatMul weight (MatMulNBits, symmetric). With
    accuracy level 4 the CPU kernel quantizes activations per row block, so a token's result does
    not depend on the other tokens in the call: prefill(T) still equals T single steps."""
    from onnxruntime.quantization.matmul_nbits_quantizer import DefaultWeightOnlyQuantConfig, MatMulNBitsQuantizer

    cfg = DefaultWeightOnlyQuantConfig(block_size=block, is_symmetric=True, accuracy_level=4, bits=bits)
    q = MatMulNBitsQuantizer(m, algo_config=cfg)
    q.process()
    return q.model.model


def quantize_nbits_numpy(m: onnx.ModelProto, bits: int = 8, block: int = 32, min_elems: int = 4096) -> onnx.ModelProto:
    """The same weight-only block quantization written out with numpy (MatMulNBits, symmetric, the
    default zero point 2^(bits-1)), for machines without Python onnxruntime: every MatMul whose B is a
    2-D float initializer with K a multiple of `block` becomes MatMulNBits(A, B_q, scales)."""
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    used_elsewhere: dict[str, int] = {}
    for node in g.node:
        for x in node.input:
            used_elsewhere[x] = used_elsewhere.get(x, 0) + 1
    new_nodes, drop = [], set()
    zp = 1 << (bits - 1)
    for node in g.node:
        b = inits.get(node.input[1]) if node.op_type == "MatMul" and len(node.input) == 2 else None
        arr = numpy_helper.to_array(b) if b is not None and b.data_type == TensorProto.FLOAT else None
        if arr is None or arr.ndim != 2 or arr.size < min_elems or arr.shape[0] % block:
            new_nodes.append(node)
            continue
        k, n = arr.shape
        w = arr.T.reshape(n, k // block, block).astype(np.float32)  # [N, blocks, block]: column n's K values
        amax = np.abs(w).max(axis=2, keepdims=True)
        scale = np.where(amax > 0, amax / (zp - 1), 1.0).astype(np.float32)
        q = (np.clip(np.rint(w / scale), -(zp - 1), zp - 1) + zp).astype(np.uint8)
        if bits == 4:
            q = (q[..., 0::2] | (q[..., 1::2] << 4)).astype(np.uint8)
        name = node.input[1]
        qi = numpy_helper.from_array(q, name + "_Q%d" % bits)
        si = numpy_helper.from_array(scale.reshape(-1), name + "_scales")
        g.initializer.extend([qi, si])
        if used_elsewhere.get(name, 0) <= 1:
            drop.add(name)
        new_nodes.append(helper.make_node(
            "MatMulNBits", [node.input[0], qi.name, si.name], list(node.output), name=(node.name or name) + "_Q%d" % bits,
            domain="com.microsoft", K=k, N=n, bits=bits, block_size=block, accuracy_level=4))
    del g.node[:]
    g.node.extend(new_nodes)
    keep = [i for i in g.initializer if i.name not in drop]
    del g.initializer[:]
    g.initializer.extend(keep)
    if not any(o.domain == "com.microsoft" for o in m.opset_import):
        m.opset_import.extend([helper.make_opsetid("com.microsoft", 1)])
    return m


def quantize_nbits(m: onnx.ModelProto, bits: int = 8, block: int = 32) -> onnx.ModelProto:
    try:
        import onnxruntime.quantization as _probe  # only checks that the ORT quantizer imports
        del _probe
    except ImportError:
        return quantize_nbits_numpy(m, bits, block)
    return _quantize_nbits_ort(m, bits, block)


def check_ops(m: onnx.ModelProto, graph: str) -> list[str]:
    """The exported graphs must run as plain dataflow (docs/models.md §8.1): no Scan, Loop or If."""
    log(f"{graph} ops: {op_counts(m)}")
    ops = sorted({n.op_type for n in m.graph.node})
    bad = [o for o in ops if o in ("Scan", "Loop", "If")]
    assert not bad, f"{graph} contains control flow ops {bad}"
    return ops


def _tensor_key(raw: bytes, data_type: int, dims) -> str:
    return hashlib.sha1(raw).hexdigest() + str(data_type) + str(list(dims))


def weights_layout(folder: str) -> tuple[dict[str, tuple[str, int, int]], list[str], list[bytearray]]:
    """An exported folder's weight files and where each of its graphs' external tensors lies in them
    (share_external's table): an export that keeps them writes byte-identical weight files whenever
    the weights are the same, however its graphs changed (a graph-only change then ships no new
    weight binaries)."""
    names = sorted((f for f in os.listdir(folder) if re.fullmatch(r"weights-\d+\.bin", f)), key=lambda f: int(f[8:-4]))
    assert names == [f"weights-{i}.bin" for i in range(len(names))], f"{folder}: weight files {names}"
    files = [bytearray(open(os.path.join(folder, f), "rb").read()) for f in names]
    table: dict[str, tuple[str, int, int]] = {}
    for g in sorted(f for f in os.listdir(folder) if f.endswith(".onnx")):
        m = onnx.load(os.path.join(folder, g), load_external_data=False)
        for init in m.graph.initializer:
            if init.data_location != TensorProto.EXTERNAL:
                continue
            ext = {e.key: e.value for e in init.external_data}
            loc, off, ln = ext["location"], int(ext.get("offset", 0)), int(ext["length"])
            raw = bytes(files[names.index(loc)][off : off + ln])
            table.setdefault(_tensor_key(raw, init.data_type, init.dims), (loc, off, ln))
    return table, names, files


def share_external(models: dict[str, onnx.ModelProto], out_dir: str, layout=None) -> list[str]:
    """Move every large initializer of every graph into shared weight files (each <= 24 MiB),
    deduplicated by content, and point the graphs at them. `layout` (weights_layout of an earlier
    export) keeps that export's files and offsets byte for byte; the tensors it lacks go to new files
    after them (weights-N.bin with the next N)."""
    table: dict[str, tuple[str, int, int]] = {}
    files: list[bytearray] = []
    names: list[str] = []
    kept = 0  # files taken whole from `layout`: new tensors go to files after them
    if layout is not None:
        table, names, files = dict(layout[0]), list(layout[1]), [bytearray(b) for b in layout[2]]
        kept = len(files)
    for m in models.values():
        for init in m.graph.initializer:
            raw = numpy_helper.to_array(init).tobytes()
            if len(raw) < 4096:
                continue
            key = _tensor_key(raw, init.data_type, init.dims)
            if key not in table:
                if len(files) == kept or len(files[-1]) + len(raw) > MAX_WEIGHT_FILE:
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


def text_of(path: str, fallback: str) -> str:
    return open(path, encoding="utf-8").read() if path else fallback[:200]


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
    ap.add_argument("--bits", type=int, default=8, choices=[4, 8])
    ap.add_argument("--completion-layout", default="plain", choices=["plain", "fim", "suffix-first"],
                    help="how the engine prompts completions with this model (manifest completion.layout); "
                         "choose by measurement: statewise eval lines --layout product,plain,fim,suffix-first")
    ap.add_argument("--ask-layout", default="plain", choices=["plain", "excerpt"],
                    help="how the engine puts Ask questions to this model (manifest ask.layout): excerpt only for a model "
                         "trained with excerpts (data.py with_excerpt); check with statewise eval qa --layout product,plain,excerpt")
    ap.add_argument("--sample-ids", default="", help="token ids of --sample-text (JSON), where Python tokenizers is missing")
    ap.add_argument("--sample-ids-text", default="", help="the text those 64 ids decode to")
    ap.add_argument("--int8-tol", type=float, default=5e-2,
                    help="relative tolerance of the int8 graphs' parity checks; untrained (random) weights, exported only to time a size, "
                         "accumulate more int8 error through deep stacks than trained ones (a 12-layer random griffin: 5.9e-2)")
    ap.add_argument("--ingest-blocked", type=int, default=0,
                    help="griffin: also export ingest-blocked.onnx, the ingest graph with block-by-block attention for "
                         "calls of a multiple of the window up to N tokens (manifest graphs.ingestBlocked; needs --ingest-chunk)")
    ap.add_argument("--weights-layout", default="",
                    help="an exported folder (e.g. the shipped one) whose weight files and offsets to keep byte for byte; tensors it lacks go to new files: "
                         "a graph-only change then writes byte-identical weights-*.bin")
    ap.add_argument("--ingest-scan-chunk", type=int, default=0,
                    help="griffin: ingest-blocked.onnx computes its recurrences in chunks of this many steps (scan_chunked, "
                         "a divisor of the window) instead of the doubling scan")
    ap.add_argument("--ingest-scan-outer", type=int, default=0,
                    help="griffin, with --ingest-scan-chunk C: the states between chunks computed in chunks of this many chunks too "
                         "(scan_chunked's outer; C times it must divide the window), leaving the doubling scan fewer stages")
    ap.add_argument("--ingest-scan-sums", default="",
                    help="griffin: ingest-blocked.onnx computes its recurrences as running sums within chunks of these "
                         "many steps at each level, e.g. 8,8,4 (scan_cumsum: no tensor larger than [T, D]; their product must "
                         "divide the window), instead of --ingest-scan-chunk's decay matrices")
    ap.add_argument("--ingest-chunk", type=int, default=0,
                    help="also export ingest.onnx, the prefill graph exact for calls of up to N tokens (a power of two "
                         "above max_chunk; manifest graphs.ingest): the engine folds documents on a GPU with it")
    ap.add_argument("--config", default="", help='JSON object overriding config fields that hold no weights, e.g. \'{"max_context": 32768}\' (ALiBi\'s cache cap)')
    args = ap.parse_args()

    ck = torch.load(args.ckpt, map_location="cpu", weights_only=False)
    model = load_checkpoint(ck, json.loads(args.config) if args.config else None)
    model.eval()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.half().float())
    model.set_export_chunk(model.cfg.max_chunk)
    spec = model.state_spec()
    windows = model.state_windows()
    state_names = [n for n, _ in spec]

    os.makedirs(args.out, exist_ok=True)
    tmp = os.path.join(args.out, ".tmp-export")
    os.makedirs(tmp, exist_ok=True)
    names = list(GRAPHS)
    with torch.no_grad():
        for g in GRAPHS:
            export_graph(model, g, os.path.join(tmp, g), state_names)
        if args.ingest_chunk:
            chunk = model.cfg.max_chunk
            assert args.ingest_chunk > chunk, f"--ingest-chunk {args.ingest_chunk} must exceed max_chunk {chunk}"
            model.set_export_chunk(args.ingest_chunk)  # sets cfg.max_chunk: put back below
            export_graph(model, INGEST, os.path.join(tmp, INGEST), state_names)
            model.set_export_chunk(chunk)
            names.append(INGEST)
        if args.ingest_blocked:
            assert args.ingest_chunk, "--ingest-blocked needs --ingest-chunk (the engine feeds the tails through ingest.onnx)"
            chunk, w = model.cfg.max_chunk, model.cfg.window
            assert args.ingest_blocked % w == 0, f"--ingest-blocked {args.ingest_blocked} must be a multiple of the window {w}"
            model.set_export_chunk(args.ingest_blocked)
            assert model.set_blocked_attention(True), f"{model.arch} has no attention to block"
            sums = tuple(int(x) for x in args.ingest_scan_sums.split(",") if x)
            if sums:
                assert not args.ingest_scan_chunk, "--ingest-scan-sums and --ingest-scan-chunk are two forms of one scan: one of them"
                assert w % math.prod(sums) == 0, f"the product of --ingest-scan-sums {sums} must divide the window {w}"
                assert model.set_cumsum_scan(sums), f"{model.arch} has no recurrence to chunk"
            elif args.ingest_scan_chunk:
                assert w % args.ingest_scan_chunk == 0, f"--ingest-scan-chunk {args.ingest_scan_chunk} must divide the window {w}"
                outer = args.ingest_scan_outer
                assert w % (args.ingest_scan_chunk * max(1, outer)) == 0, \
                    f"--ingest-scan-chunk {args.ingest_scan_chunk} times --ingest-scan-outer {outer} must divide the window {w}"
                assert model.set_chunked_scan(args.ingest_scan_chunk, outer), f"{model.arch} has no recurrence to chunk"
            else:
                assert not args.ingest_scan_outer, "--ingest-scan-outer needs --ingest-scan-chunk"
            export_graph(model, INGEST_BLOCKED, os.path.join(tmp, INGEST_BLOCKED), state_names, t=2 * w)
            model.set_chunked_scan(0)
            model.set_cumsum_scan(())
            model.set_blocked_attention(False)
            model.set_export_chunk(chunk)
            names.append(INGEST_BLOCKED)
    log("fp32 graphs exported")

    def session(path, threads=4):
        try:
            import onnxruntime as ort
        except ImportError:  # the CPU machine: onnxruntime-node through ort_run.mjs
            from ort_node import NodeSession
            return NodeSession(path, threads)
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])

    text = open(args.sample_text, encoding="utf-8").read()
    try:
        tok = toklib.load(args.tokenizer)
        tok.encode_special_tokens = True
        ids = tok.encode(text, add_special_tokens=False).ids[:64]
    except ImportError:  # no Python `tokenizers` here: the ids come from the engine's tokenizer (tested identical)
        tok = None
        assert args.sample_ids, "without the tokenizers package, pass --sample-ids (the sample's token ids, JSON)"
        ids = json.load(open(args.sample_ids))[:64]
    assert len(ids) == 64, "sample text too short"
    zero = {n: np.zeros([1, *shape], dtype=np.float32) for n, shape in spec}

    with torch.no_grad():
        ref_all, ref_state = model(torch.tensor([ids]), model.init_state(1), mode="train")
        ref_first, _ = model(torch.tensor([ids[:37]]), model.init_state(1), mode="train")
    ref_last = ref_all[0, -1].numpy()
    scale = float(np.abs(ref_last).max())

    def close(a, b, what, tol):
        err = float(np.abs(a - b).max()) / scale
        log(f"parity {what}: max |diff| / max|ref| = {err:.2e} (tolerance {tol:.0e})")
        assert err < tol, f"{what} parity failed: {err}"
        return err

    def check_graphs(d, tag, tol):
        step, pre, score = (session(os.path.join(d, g)) for g in GRAPHS)
        e = {}
        lg, st = run_ort(pre, ids, zero, state_names)
        e[f"{tag}:prefill64_vs_torch"] = close(lg, ref_last, f"{tag} prefill(64) vs torch fp32", args.int8_tol if tag != "fp32" else 2e-4)
        lg1, st1 = run_ort(pre, ids[:37], zero, state_names)
        lg2, _ = run_ort(pre, ids[37:], st1, state_names)
        e[f"{tag}:prefill37+27_vs_prefill64"] = close(lg2, lg, f"{tag} prefill(37)+prefill(27) vs prefill(64)", tol)
        s_ = zero
        for t in ids:
            lgs, s_ = run_ort(step, [t], s_, state_names)
        e[f"{tag}:64steps_vs_prefill64"] = close(lgs, lg, f"{tag} 64 steps vs prefill(64)", tol)
        all_lg, _ = run_ort(score, ids, zero, state_names)
        e[f"{tag}:score_last_vs_prefill64"] = close(all_lg[-1], lg, f"{tag} score[-1] vs prefill(64)", tol)
        if args.ingest_chunk:  # past prefill's limit: one ingest call against prefill chunks of max_chunk
            ing = session(os.path.join(d, INGEST))
            lgi, _ = run_ort(ing, ids, zero, state_names)
            e[f"{tag}:ingest64_vs_prefill64"] = close(lgi, lg, f"{tag} ingest(64) vs prefill(64)", tol)
            n = min(args.ingest_chunk, model.cfg.max_chunk * 2 + 64)
            e[f"{tag}:ingest{n}_vs_prefill_chunks"] = long_vs_prefill(ing, pre, n, f"{tag} ingest({n})", tol)
        if args.ingest_blocked:  # a multiple of the window, past prefill's limit
            w = model.cfg.window
            n = min(args.ingest_blocked, (2 * model.cfg.max_chunk // w + 1) * w)
            ing = session(os.path.join(d, INGEST_BLOCKED))
            e[f"{tag}:ingestBlocked{n}_vs_prefill_chunks"] = long_vs_prefill(ing, pre, n, f"{tag} ingest-blocked({n})", tol)
        return e

    def long_vs_prefill(ing, pre, n, what, tol):
        """One call of `ing` on n tokens (the sample repeated) against prefill in chunks of max_chunk."""
        c = model.cfg.max_chunk
        long_ids = (ids * (n // len(ids) + 1))[:n]
        lgi, _ = run_ort(ing, long_ids, zero, state_names)
        s_ = zero
        for i in range(0, n, c):
            lgp, s_ = run_ort(pre, long_ids[i : i + c], s_, state_names)
        return close(lgi, lgp, f"{what} vs prefill in chunks of {c}", tol)

    errs = check_graphs(tmp, "fp32", 2e-4)
    ops = {g: check_ops(onnx.load(os.path.join(tmp, g)), g) for g in names}
    graphs = {g: quantize_nbits(onnx.load(os.path.join(tmp, g)), args.bits) for g in names}
    graphs = {g: fp16_storage(m) for g, m in graphs.items()}
    layout = weights_layout(args.weights_layout) if args.weights_layout else None  # read before the out folder is cleared
    for f in os.listdir(args.out):
        if f.startswith("weights-") or f.endswith(".onnx"):
            os.remove(os.path.join(args.out, f))
    weight_files = share_external(graphs, args.out, layout)
    if layout is not None:
        same = [w for w in weight_files if w in layout[1] and open(os.path.join(args.out, w), "rb").read() == bytes(layout[2][layout[1].index(w)])]
        log(f"weights laid out as {args.weights_layout}: {same} byte-identical, {sorted(set(weight_files) - set(same))} changed or new")
    shutil.rmtree(tmp)
    for g in names:
        onnx.checker.check_model(os.path.join(args.out, g))
    if os.path.abspath(args.tokenizer) != os.path.abspath(os.path.join(args.out, "tokenizer.json")):
        shutil.copy(args.tokenizer, os.path.join(args.out, "tokenizer.json"))
    log(f"int8 graphs written; weights {weight_files} " + str([os.path.getsize(os.path.join(args.out, w)) for w in weight_files]))
    # int8 kernels quantize activations per call, so results depend slightly on how tokens are
    # grouped into calls (measured ~1e-2 relative); the fp32 graphs above agree to 2e-4.
    errs.update(check_graphs(args.out, "int8", args.int8_tol))

    # The fixture is what the shipped graphs compute (onnxruntime, CPU): the engine must match it.
    step, pre = session(os.path.join(args.out, "step.onnx")), session(os.path.join(args.out, "prefill.onnx"))
    lg1, st1 = run_ort(pre, ids[:37], zero, state_names)
    lg2, st2 = run_ort(pre, ids[37:], st1, state_names)
    greedy, s_ = [], st2
    nxt = int(lg2.argmax())
    for _ in range(8):
        greedy.append(nxt)
        lgs, s_ = run_ort(step, [nxt], s_, state_names)
        nxt = int(lgs.argmax())
    fixture = {
        "tokens": ids,
        "chunks": [37, 27],
        "logitsAfterFirstChunk": b64(lg1),
        "logitsAfterAll": b64(lg2),
        "stateAbsSum": {n: float(np.abs(st2[n]).sum()) for n in state_names},
        "greedy": greedy,
        "tolerance": 1e-3,
        # the shipped graphs agree with themselves across different groupings of tokens into
        # calls (prefill(T) vs T steps, split prefills) within this relative error
        "groupingTolerance": args.int8_tol,
        "text": tok.decode(ids) if tok else text_of(args.sample_ids_text, text),
    }
    with open(os.path.join(args.out, "fixture.json"), "w") as f:
        json.dump(fixture, f)
    if tok:
        toklib.write_parity_fixture(tok, os.path.join(args.out, "tokenizer-parity.json"), iter([text[:4000]]))
    else:  # the same tokenizer file as the folder it came from: its parity fixture holds
        shutil.copy(os.path.join(os.path.dirname(os.path.abspath(args.tokenizer)), "tokenizer-parity.json"), os.path.join(args.out, "tokenizer-parity.json"))

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
            "score": {"file": "score.onnx", "maxTokens": cfg["max_chunk"], "allLogits": True},
            **({"ingest": {"file": INGEST, "maxTokens": args.ingest_chunk}} if args.ingest_chunk else {}),
            **(
                {"ingestBlocked": {"file": INGEST_BLOCKED, "maxTokens": args.ingest_blocked, "multipleOf": model.cfg.window}}
                if args.ingest_blocked
                else {}
            ),
        },
        "weights": weight_files,
        "inputs": {"tokens": "input_ids"},
        "outputs": {"logits": "logits"},
        "state": [
            {
                "name": n,
                "input": f"state_in.{n}",
                "output": f"state_out.{n}",
                "shape": [1, *shape],
                "dtype": "float32",
                **({"window": windows[n]} if n in windows else {}),
            }
            for n, shape in spec
        ],
        "stateBytes": int(sum(4 * int(np.prod(shape)) for _, shape in spec)),
        "weightsDtype": f"int{args.bits} block-32 symmetric MatMul weights (MatMulNBits, accuracy level 4); embedding float16-stored",
        "ops": ops["prefill.onnx"],
        "parity": errs,
        "training": report.get("train", {}),
        "heldout": report.get("heldout", {}),
        "completion": {"layout": args.completion_layout},
        "ask": {"layout": args.ask_layout},
    }
    # sha256 of every file named above: the engine verifies them at each load (integrity.ts)
    manifest["checksums"] = file_checksums(args.out, manifest)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    log("manifest, fixture and tokenizer parity written")


if __name__ == "__main__":
    main()
