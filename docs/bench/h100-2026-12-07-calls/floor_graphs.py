"""The two graphs of feedbench.ts's WebGPU floor: y = x + c once (floor1.onnx) and 300 times in a chain
(chain300.onnx), on [1, 512] float32. Run from the folder feedbench.js is run with: python3 floor_graphs.py"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def chain(n: int, name: str) -> None:
    c = numpy_helper.from_array(np.full([1, 512], 1e-3, np.float32), "c")
    nodes, prev = [], "x"
    for i in range(n):
        out = "y" if i == n - 1 else f"t{i}"
        nodes.append(helper.make_node("Add", [prev, "c"], [out]))
        prev = out
    io = lambda s: helper.make_tensor_value_info(s, TensorProto.FLOAT, [1, 512])  # noqa: E731
    m = helper.make_model(helper.make_graph(nodes, "g", [io("x")], [io("y")], [c]), opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, name)


chain(1, "floor1.onnx")
chain(300, "chain300.onnx")
