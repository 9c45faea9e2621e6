# SPDX-License-Identifier: Apache-2.0
"""Ops the CPU path compiles to native code, with broadcasting in every form
it takes: a rank-3 by rank-2 matmul, a bias row, a per-batch scale [4,1,1],
a scalar, a batched matmul, and libm functions; with onnxruntime's outputs.
Usage: make_cpu_case.py OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(5)
f32 = np.float32
consts = {
    "w": (rng.standard_normal([48, 40]) / 7).astype(f32),
    "bias": rng.standard_normal([40]).astype(f32),
    "scale": rng.standard_normal([4, 1, 1]).astype(f32),
    "w2": (rng.standard_normal([4, 40, 24]) / 6).astype(f32),
    "half": np.array(0.5, dtype=f32),
    "one": np.array(1.0, dtype=f32),
}
nodes = [
    h.make_node("MatMul", ["x", "w"], ["mm1"], name="mm1"),
    h.make_node("Add", ["mm1", "bias"], ["a"], name="bias_add"),
    h.make_node("Tanh", ["a"], ["t"], name="tanh"),
    h.make_node("Mul", ["t", "scale"], ["g"], name="scale_mul"),
    h.make_node("LeakyRelu", ["g"], ["l"], name="leaky", alpha=0.1),
    h.make_node("MatMul", ["l", "w2"], ["mm2"], name="mm2"),
    h.make_node("Sigmoid", ["mm2"], ["y"], name="gate"),
    h.make_node("Abs", ["x"], ["ax"], name="abs"),
    h.make_node("Neg", ["ax"], ["nx"], name="neg"),
    h.make_node("Exp", ["nx"], ["ex"], name="exp"),
    h.make_node("Max", ["ex", "half"], ["z"], name="clamp"),
    h.make_node("Sqrt", ["ax"], ["sq"], name="sqrt"),
    h.make_node("Add", ["ax", "one"], ["ax1"], name="plus_one"),
    h.make_node("Div", ["sq", "ax1"], ["d"], name="ratio"),
    h.make_node("Erf", ["d"], ["q"], name="erf"),
]
graph = h.make_graph(
    nodes, "cpu_case",
    [h.make_tensor_value_info("x", T.FLOAT, [4, 32, 48])],
    [h.make_tensor_value_info("y", T.FLOAT, [4, 32, 24]),
     h.make_tensor_value_info("z", T.FLOAT, [4, 32, 48]),
     h.make_tensor_value_info("q", T.FLOAT, [4, 32, 48])],
    [nh.from_array(v, k) for k, v in consts.items()])
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8  # What the pinned onnxruntime reads.
onnx.save(model, f"{out}/cpu.onnx")
x = rng.standard_normal([4, 32, 48]).astype(f32)
session = ort.InferenceSession(f"{out}/cpu.onnx",
                               providers=["CPUExecutionProvider"])
y, z, q = session.run(None, {"x": x})
np.savez(f"{out}/cpu_inputs.npz", x=x)
np.savez(f"{out}/cpu_expected.npz", y=y, z=z, q=q)
