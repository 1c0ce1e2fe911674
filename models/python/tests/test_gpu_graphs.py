"""GPU-shaped graphs (issue #17): graph_fold.py folds the shape arithmetic that export time knows, and
hawk's and griffin's exported graphs compute no shapes at run time, use the fused FastGelu and
SkipSimplifiedLayerNormalization nodes, and compute what PyTorch computes.

The first tests need only onnx and numpy (CI's torch-free set); the export tests need torch, and
onnxruntime-node (npm ci) for running the graphs."""
import os
import shutil

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from graph_fold import fold_shapes, op_counts, runtime_shape_nodes

MODELS = os.path.join(os.path.dirname(__file__), "..", "..")


def _shape_chain_model() -> onnx.ModelProto:
    """x [1, T, 8] -> Reshape(x, [1 (static, from Shape), T (dynamic, from Shape), 2, 4]) and
    ConstantOfShape([Shape(x)[0], 2]) + 1, the chains torch.onnx writes for x.reshape(b, t, 2, 4)."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, "T", 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, "T", 2, 4])
    z = helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 2])
    c = lambda name, v: helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.array(v, dtype=np.int64)))  # noqa: E731
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        c("i0", 0), c("i1", 1), c("ax", [0]), c("tail", [2, 4]), c("two", [2]),
        helper.make_node("Gather", ["s", "i0"], ["b"]),
        helper.make_node("Gather", ["s", "i1"], ["t"]),
        helper.make_node("Unsqueeze", ["b", "ax"], ["b1"]),
        helper.make_node("Unsqueeze", ["t", "ax"], ["t1"]),
        helper.make_node("Concat", ["b1", "t1", "tail"], ["shape"], axis=0),
        helper.make_node("Reshape", ["x", "shape"], ["y"]),
        helper.make_node("Concat", ["b1", "two"], ["zshape"], axis=0),
        helper.make_node("ConstantOfShape", ["zshape"], ["zeros"], value=numpy_helper.from_array(np.zeros(1, np.float32))),
        helper.make_node("Cast", ["zeros"], ["zf"], to=TensorProto.FLOAT),  # a no-op Cast
        helper.make_node("Exp", ["zf"], ["z"]),
    ]
    return helper.make_model(helper.make_graph(nodes, "g", [x], [y, z]), opset_imports=[helper.make_opsetid("", 17)])


def test_fold_shapes_leaves_no_shape_arithmetic():
    m = _shape_chain_model()
    assert runtime_shape_nodes(m)
    fold_shapes(m)
    onnx.checker.check_model(m)
    assert runtime_shape_nodes(m) == []
    assert op_counts(m) == {"Reshape": 1, "Exp": 1}
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    reshape = next(n for n in m.graph.node if n.op_type == "Reshape")
    assert inits[reshape.input[1]].tolist() == [1, -1, 2, 4]  # the one dynamic entry became -1
    exp = next(n for n in m.graph.node if n.op_type == "Exp")
    assert inits[exp.input[0]].shape == (1, 2) and not inits[exp.input[0]].any()


def test_runtime_shape_nodes_sees_dynamic_chains():
    m = _shape_chain_model()
    bad = runtime_shape_nodes(m)
    assert any(b.startswith("Shape:") for b in bad) and any(b.startswith("Concat:") for b in bad)
    assert not any(b.startswith("Exp:") for b in bad)


def _node_ort():
    return shutil.which("node") is not None and os.path.isdir(os.path.join(MODELS, "..", "node_modules", "onnxruntime-node"))


SMALL = {
    "hawk": dict(vocab_size=1024, d_model=64, d_rnn=96, n_layers=3, n_gate_blocks=4, max_chunk=64),
    "griffin": dict(vocab_size=1024, d_model=64, d_rnn=64, n_layers=3, n_gate_blocks=4, n_heads=4, head_dim=16, window=8, max_chunk=64),
}


def export_small(arch, cfg, seed, out):
    """A small random-weight model (non-trivial norms and biases) exported to out/ as every graph of
    ex.GRAPHS, float32; returns the model and its state names."""
    torch = pytest.importorskip("torch")
    import export_onnx as ex
    from statewise_models.registry import make_model

    torch.manual_seed(seed)
    model = make_model(arch, cfg).eval()
    with torch.no_grad():
        for n, p in model.named_parameters():
            if p.dim() == 1 and not n.endswith("a_param"):
                p.copy_(torch.randn(p.shape) * 0.1)
    model.set_export_chunk(model.cfg.max_chunk)
    names = [n for n, _ in model.state_spec()]
    with torch.no_grad():
        for g in ex.GRAPHS:
            ex.export_graph(model, g, str(out / g), names)
    return model, names


@pytest.mark.parametrize("arch", ["hawk", "griffin"])
def test_exported_graphs_are_gpu_shaped(arch, tmp_path):
    torch = pytest.importorskip("torch")
    import export_onnx as ex

    model, names = export_small(arch, SMALL[arch], 0, tmp_path)
    for g in ex.GRAPHS:
        m = onnx.load(str(tmp_path / g))
        ops = op_counts(m)
        assert runtime_shape_nodes(m) == [], g
        # the shape ops, and Or: measured placed on the CPU under onnxruntime-node's WebGPU provider
        assert not {"Shape", "ConstantOfShape", "Range", "Constant", "Or"} & set(ops), (g, ops)
        assert ops.get("FastGelu") == 2 * SMALL[arch]["n_layers"] - (arch == "griffin"), (g, ops)  # griffin's attention has no GeLU
        # the step graph also writes the first norm (a constant zero skip) and the last add + final norm fused
        assert ops.get("SkipSimplifiedLayerNormalization") == 2 * SMALL[arch]["n_layers"] + (1 if g == "step.onnx" else -1), (g, ops)
    if not _node_ort():
        pytest.skip("running the graphs needs node and onnxruntime-node (npm ci)")
    from ort_node import NodeSession

    ids = [int(i) for i in torch.randint(10, 500, (40,))]
    with torch.no_grad():
        ref, ref_state = model(torch.tensor([ids]), model.init_state(1), mode="train")
    zero = {f"state_in.{n}": np.zeros([1, *s], np.float32) for n, s in model.state_spec()}
    scale = float(ref.abs().max())

    def run(graph, toks, state):
        out = NodeSession(str(tmp_path / graph)).run(None, {"input_ids": np.array([toks], np.int64), **state})
        return out[0], {f"state_in.{n}": v for n, v in zip(names, out[1:])}

    lg, st = run("prefill.onnx", ids[:23], zero)
    lg, st = run("prefill.onnx", ids[23:], st)
    assert np.abs(lg[0] - ref[0, -1].numpy()).max() / scale < 2e-4
    for n, r in zip(names, ref_state):
        assert np.abs(st[f"state_in.{n}"] - r.numpy()).max() < 2e-4 * max(1.0, float(r.abs().max())), n
    s = zero
    for t in ids:
        lg, s = run("step.onnx", [t], s)
    assert np.abs(lg[0] - ref[0, -1].numpy()).max() / scale < 2e-4
    all_lg, _ = run("score.onnx", ids, zero)
    assert np.abs(all_lg[0] - ref[0].numpy()).max() / scale < 2e-4


# griffin's layout (9 layers, (R, R, A) x 3) at small widths: the node count of a graph does not depend on
# the widths, so this is the shipped griffin's float32 step graph (528 nodes in the shipped int8 file until
# the step-only forms of docs/models.md §8.3, 436 in float32; the int8 file adds a Cast per fp16 weight)
GRIFFIN9 = dict(SMALL["griffin"], n_layers=9)
STEP_NODES_MAX = 370


def test_griffin_step_graph_is_small_and_agrees_with_prefill(tmp_path):
    """The step graph's step-only forms (RecurrentBlock.forward_step, LocalMQA.forward_step, the fused first
    and final norms): few nodes in the file, the stacked gate weights folded by onnxruntime at session
    creation, and the same logits and states as the prefill and score graphs, token by token."""
    torch = pytest.importorskip("torch")
    import export_onnx as ex

    model, names = export_small("griffin", GRIFFIN9, 1, tmp_path)
    step = onnx.load(str(tmp_path / "step.onnx"))
    ops = op_counts(step)
    assert len(step.graph.node) <= STEP_NODES_MAX, (len(step.graph.node), ops)
    assert ops.get("Transpose", 0) <= 3, ops  # only the attention layers' k^T
    assert not any(n.domain == "statewise" for n in step.graph.node)  # the layers.unfolded markers are gone
    if not _node_ort():
        pytest.skip("running the graphs needs node and onnxruntime-node (npm ci)")
    import subprocess

    from ort_node import NodeSession

    opt = tmp_path / "step-opt.onnx"
    subprocess.run(["node", os.path.join(os.path.dirname(ex.__file__), "ort_optimized.mjs"), str(tmp_path / "step.onnx"), str(opt)],
                   check=True, capture_output=True)
    om = onnx.load(str(opt))
    inits = {i.name for i in om.graph.initializer}
    # constant folding took every node over initializers alone (the stacked gate blocks, the conv taps)
    assert not [n.name for n in om.graph.node if n.input and all(x in inits or not x for x in n.input)]
    assert len(om.graph.node) < len(step.graph.node)

    ids = [int(i) for i in torch.randint(10, 1000, (3 * GRIFFIN9["window"] + 5,))]  # past the window
    zero = {f"state_in.{n}": np.zeros([1, *s], np.float32) for n, s in model.state_spec()}

    def run(graph, toks, state):
        out = NodeSession(str(tmp_path / graph)).run(None, {"input_ids": np.array([toks], np.int64), **state})
        return out[0], {f"state_in.{n}": v for n, v in zip(names, out[1:])}

    all_lg, _ = run("score.onnx", ids, zero)
    scale = float(np.abs(all_lg).max())
    s = zero
    for t, tok in enumerate(ids):
        lg, s = run("step.onnx", [tok], s)
        assert np.abs(lg[0] - all_lg[0, t]).max() / scale < 2e-5, t
    lp, sp = run("prefill.onnx", ids, zero)
    assert np.abs(lg[0] - lp[0]).max() / scale < 2e-5
    for n in names:
        a, b = s[f"state_in.{n}"], sp[f"state_in.{n}"]
        assert np.abs(a - b).max() < 2e-5 * max(1.0, float(np.abs(b).max())), n
