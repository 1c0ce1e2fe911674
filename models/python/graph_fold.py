"""Shape folding for the exported graphs (issue #17): no shape-computing subgraph may be left for
onnxruntime to run at call time.

torch.onnx traces every `x.shape[i]`, `torch.zeros(b, s, d)` and `F.pad` into small int64 chains
(Shape -> Gather -> Unsqueeze -> Concat -> ConstantOfShape / Reshape). Under the WebGPU provider
onnxruntime places those chains on the CPU and copies their results to the GPU on every call. Most of
them compute numbers that are known at export time (the batch is 1, the widths are fixed); the one
dynamic number of a prefill graph is its length T, and a Reshape needs it only as the one unknown
entry of its target shape, which ONNX writes as -1. `fold_shapes` evaluates everything that is known
(onnx shape inference for the static dims of Shape outputs, numpy for the constant arithmetic),
rewrites Reshape targets with a single unknown entry to -1, drops what is left unused, and turns
Constant nodes into initializers. `runtime_shape_nodes` lists what is still computed at run time for
a shape-like input (the check export_onnx.py runs on every graph).

Only onnx and numpy (no torch, no onnxruntime), so the CI's torch-free tests run it.
"""
from __future__ import annotations

import collections

import numpy as np
import onnx
from onnx import helper, numpy_helper

# (op, input index) that onnxruntime reads on the host: shapes, axes, pads, indices of slices.
SHAPE_INPUTS = {
    "Reshape": (1,), "Expand": (1,), "ConstantOfShape": (0,), "Tile": (1,), "Range": (0, 1, 2),
    "Slice": (1, 2, 3, 4), "Pad": (1, 3), "Unsqueeze": (1,), "Squeeze": (1,), "ReduceSum": (1,),
    "Split": (1,), "TopK": (1,), "Resize": (1, 2, 3), "OneHot": (1,), "CumSum": (1,),
}
SHAPE_OPS = ("Shape", "Size", "ConstantOfShape", "Range")


def _attrs(node) -> dict:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _np_eval(node, vals: list) -> list | None:
    """numpy for the ops of shape arithmetic (and the small float constants around them); None when
    the op is not one of them."""
    op, at = node.op_type, _attrs(node)
    x = vals[0] if vals else None
    if op == "Identity":
        return [x]
    if op == "Cast":
        return [x.astype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[at["to"]])]
    if op == "Gather":
        return [np.take(x, vals[1], axis=at.get("axis", 0))]
    if op == "Unsqueeze":
        out = x
        for a in sorted(int(v) % (x.ndim + len(vals[1])) for v in vals[1].reshape(-1)):
            out = np.expand_dims(out, a)
        return [out]
    if op == "Squeeze":
        axes = tuple(int(v) % x.ndim for v in vals[1].reshape(-1)) if len(vals) > 1 else None
        return [np.squeeze(x, axis=axes)]
    if op == "Concat":
        return [np.concatenate(vals, axis=at["axis"])]
    if op == "Slice":
        starts, ends = vals[1], vals[2]
        axes = vals[3] if len(vals) > 3 and vals[3] is not None else np.arange(len(starts))
        steps = vals[4] if len(vals) > 4 and vals[4] is not None else np.ones(len(starts), dtype=np.int64)
        sl = [slice(None)] * x.ndim
        for s, e, a, st in zip(starts, ends, axes, steps):
            sl[int(a)] = slice(int(s), int(e), int(st))
        return [x[tuple(sl)]]
    if op in ("Add", "Sub", "Mul", "Div", "Equal", "Less", "Greater", "Max", "Min"):
        f = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Equal": np.equal, "Less": np.less,
             "Greater": np.greater, "Max": np.maximum, "Min": np.minimum}.get(op)
        if op == "Div":
            r = (vals[0] // vals[1]) if x.dtype.kind in "iu" else vals[0] / vals[1]
            return [r.astype(x.dtype)]
        r = f(vals[0], vals[1])
        return [r if op in ("Equal", "Less", "Greater") else r.astype(x.dtype)]
    if op in ("Or", "And"):
        return [(np.logical_or if op == "Or" else np.logical_and)(vals[0], vals[1])]
    if op == "Clip":
        lo = vals[1] if len(vals) > 1 and vals[1] is not None else None
        hi = vals[2] if len(vals) > 2 and vals[2] is not None else None
        return [np.clip(x, lo, hi).astype(x.dtype)]
    if op == "Neg":
        return [-x]
    if op == "Not":
        return [np.logical_not(x)]
    if op == "Where":
        return [np.where(vals[0], vals[1], vals[2])]
    if op == "ConstantOfShape":
        v = numpy_helper.to_array(at["value"]) if "value" in at else np.zeros(1, np.float32)
        return [np.full(tuple(int(d) for d in x), v.reshape(-1)[0], dtype=v.dtype)]
    if op == "Expand":
        return [x * np.ones(tuple(int(d) for d in vals[1]), dtype=x.dtype)]
    if op == "Reshape":
        shape = [int(d) for d in vals[1]]
        shape = [x.shape[i] if d == 0 else d for i, d in enumerate(shape)]
        return [x.reshape(shape)]
    if op == "Transpose":
        return [np.transpose(x, at.get("perm"))]
    if op == "Range":
        return [np.arange(vals[0], vals[1], vals[2]).astype(x.dtype)]
    if op == "Shape":
        return [np.array(x.shape, dtype=np.int64)]
    if op == "Pad":  # constant mode only
        if at.get("mode", b"constant") not in (b"constant", "constant"):
            return None
        pads = vals[1].reshape(2, -1).T
        cv = vals[2].reshape(-1)[0] if len(vals) > 2 and vals[2] is not None else 0
        return [np.pad(x, [tuple(int(v) for v in p) for p in pads], constant_values=cv)]
    return None


# com.microsoft ops whose outputs listed here have the shape of their first input (onnx's shape
# inference does not know them): op -> output indices
_SAME_SHAPE = {"FastGelu": (0,), "SkipSimplifiedLayerNormalization": (0, 3), "SimplifiedLayerNormalization": (0,),
               "Unfolded": (0,)}


def _static_shapes(m: onnx.ModelProto, types: dict | None = None) -> dict[str, list]:
    """Tensor name -> dims (int, or None where unknown or symbolic) from onnx shape inference, run on a
    light copy of the graph (large initializers as typed inputs) and repeated through the com.microsoft
    nodes of _SAME_SHAPE; `types` (if given) gets tensor name -> element type."""
    g = m.graph
    small = [i for i in g.initializer if int(np.prod(i.dims)) <= 64]
    big = [helper.make_tensor_value_info(i.name, i.data_type, list(i.dims)) for i in g.initializer if int(np.prod(i.dims)) > 64]
    seeded: dict[str, onnx.ValueInfoProto] = {}
    for _ in range(200):
        light = helper.make_graph(list(g.node), g.name, list(g.input) + big, list(g.output), small, value_info=list(seeded.values()))
        lm = helper.make_model(light, opset_imports=list(m.opset_import), ir_version=m.ir_version)
        inferred = onnx.shape_inference.infer_shapes(lm)
        vis = {vi.name: vi for vi in list(inferred.graph.value_info) + list(inferred.graph.input) + list(inferred.graph.output)}
        grew = False
        for node in g.node:
            for i in _SAME_SHAPE.get(node.op_type, ()):
                src = vis.get(node.input[0])
                known = src is not None and src.type.tensor_type.HasField("shape") and all(
                    d.HasField("dim_value") or d.HasField("dim_param") for d in src.type.tensor_type.shape.dim)
                if i < len(node.output) and node.output[i] and node.output[i] not in seeded and known:
                    vi = onnx.ValueInfoProto()
                    vi.CopyFrom(vis[node.input[0]])
                    vi.name = node.output[i]
                    seeded[vi.name] = vi
                    grew = True
        if not grew:
            break
    out = {}
    for vi in vis.values():
        t = vi.type.tensor_type
        if types is not None and t.elem_type:
            types[vi.name] = t.elem_type
        if t.HasField("shape"):
            out[vi.name] = [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]
    for init in g.initializer:
        out[init.name] = list(init.dims)
        if types is not None:
            types[init.name] = init.data_type
    return out


def _fold_once(m: onnx.ModelProto) -> int:
    g = m.graph
    types: dict[str, int] = {}
    shapes = _static_shapes(m, types)
    graph_outputs = {o.name for o in g.output}
    rename: dict[str, str] = {}  # outputs of dropped no-op Casts -> their inputs
    consts = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    partial: dict[str, list] = {}  # int64 vectors with some entries known (None: unknown)
    folded, changed, keep = set(), 0, []
    for node in g.node:
        for i, x in enumerate(node.input):
            if x in rename:
                node.input[i] = rename[x]
        ins = list(node.input)
        if (node.op_type == "Cast" and ins[0] not in consts and node.output[0] not in graph_outputs
                and types.get(ins[0]) == _attrs(node)["to"]):  # a no-op Cast (torch's .to(same dtype))
            rename[node.output[0]] = ins[0]
            changed += 1
            continue
        if node.op_type == "Constant":
            at = _attrs(node)
            if "value" in at:
                consts[node.output[0]] = numpy_helper.to_array(at["value"])
                folded.add(node.output[0])
                changed += 1
                continue
        if node.op_type == "Shape":
            dims = shapes.get(ins[0])
            at = _attrs(node)
            if dims is not None:
                dims = dims[at.get("start", 0): at.get("end", len(dims))]
                if all(d is not None for d in dims):
                    consts[node.output[0]] = np.array(dims, dtype=np.int64)
                    folded.add(node.output[0])
                    changed += 1
                    continue
                partial[node.output[0]] = dims
        if ins and all((x in consts) or x == "" for x in ins):
            try:
                res = _np_eval(node, [consts.get(x) if x else None for x in ins])
            except Exception:  # noqa: BLE001 - leave anything numpy cannot evaluate to onnxruntime
                res = None
            if res is not None:
                for o, v in zip(node.output, res):
                    consts[o] = np.asarray(v)
                    folded.add(o)
                changed += 1
                continue
        # partially known int vectors: Gather / Unsqueeze / Concat / Slice of a Shape
        op = node.op_type
        if op == "Gather" and ins[0] in partial and ins[1] in consts and consts[ins[1]].ndim == 0:
            d = partial[ins[0]][int(consts[ins[1]])]
            if d is not None:
                consts[node.output[0]] = np.array(d, dtype=np.int64)
                folded.add(node.output[0])
                changed += 1
                continue
            partial[node.output[0]] = [None]
        elif op == "Unsqueeze" and ins[0] in partial and len(partial[ins[0]]) == 1:
            partial[node.output[0]] = partial[ins[0]]
        elif op == "Concat" and all(x in partial or (x in consts and consts[x].ndim == 1) for x in ins):
            partial[node.output[0]] = [v for x in ins for v in (partial[x] if x in partial else [int(c) for c in consts[x]])]
        elif op == "Reshape" and ins[1] in partial:
            dims = partial[ins[1]]
            if sum(d is None for d in dims) == 1 and all(d is None or d > 0 for d in dims):
                target = np.array([-1 if d is None else d for d in dims], dtype=np.int64)
                name = node.output[0] + "__shape"
                consts[name] = target
                folded.add(name)
                node.input[1] = name
                changed += 1
        keep.append(node)
    # drop nodes nobody reads
    needed = {o.name for o in g.output}
    live = []
    for node in reversed(keep):
        if any(o in needed for o in node.output):
            live.append(node)
            needed.update(x for x in node.input if x)
    live.reverse()
    changed += len(keep) - len(live)
    used_consts = [n for n in needed if n in consts]
    old = {i.name: i for i in g.initializer}
    inits = [old[n] if n in old else numpy_helper.from_array(np.array(consts[n], order="C"), n) for n in sorted(used_consts)]
    del g.node[:]
    g.node.extend(live)
    del g.initializer[:]
    g.initializer.extend(inits)
    return changed


def fold_shapes(m: onnx.ModelProto, rounds: int = 50) -> onnx.ModelProto:
    """Fold every shape computation that export time knows (see the module docstring), in place."""
    for _ in range(rounds):
        if not _fold_once(m):
            break
    return m


def drop_unfolded(m: onnx.ModelProto) -> int:
    """Remove the statewise::Unfolded markers (layers.unfolded) after folding: their consumers read the
    marked initializer directly, and the nodes between it and the first node that also reads run-time data
    stay in the graph for onnxruntime to fold at session creation. Returns how many were removed."""
    g = m.graph
    marks = [n for n in g.node if n.domain == "statewise" and n.op_type == "Unfolded"]
    rename = {n.output[0]: n.input[0] for n in marks}
    for node in g.node:
        for i, x in enumerate(node.input):
            if x in rename:
                node.input[i] = rename[x]
    for n in marks:
        g.node.remove(n)
    if not any(n.domain == "statewise" for n in g.node):
        keep = [o for o in m.opset_import if o.domain != "statewise"]
        del m.opset_import[:]
        m.opset_import.extend(keep)
    return len(marks)


def runtime_shape_nodes(m: onnx.ModelProto) -> list[str]:
    """Nodes that compute, at call time, a value some node reads as a shape, axes, pads or slice
    bound (onnxruntime runs those on the CPU under a GPU provider), plus every Shape, Size,
    ConstantOfShape and Range node. Empty for a GPU-shaped graph."""
    g = m.graph
    producer = {o: n for n in g.node for o in n.output}
    consts = {i.name for i in g.initializer} | {n.output[0] for n in g.node if n.op_type == "Constant"}
    bad, seen = [], set()
    stack = []
    for n in g.node:
        if n.op_type in SHAPE_OPS:
            stack.append(n)
        for i in SHAPE_INPUTS.get(n.op_type, ()):
            if i < len(n.input) and n.input[i] and n.input[i] not in consts and n.input[i] in producer:
                stack.append(producer[n.input[i]])
    while stack:
        n = stack.pop()
        key = n.name or n.output[0]
        if key in seen or n.op_type == "Constant":
            continue
        seen.add(key)
        bad.append(f"{n.op_type}:{key}")
        if n.op_type not in ("Shape", "Size"):  # these read only the shape of their input
            stack.extend(producer[x] for x in n.input if x in producer and x not in consts)
    return sorted(bad)


def op_counts(m: onnx.ModelProto) -> dict[str, int]:
    return dict(collections.Counter(n.op_type for n in m.graph.node).most_common())
