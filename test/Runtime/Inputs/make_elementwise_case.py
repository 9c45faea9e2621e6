# SPDX-License-Identifier: Apache-2.0
"""An elementwise chain big enough for several double-buffered chunks per
core: y = sigmoid(relu(x) * s + b) - x, z = max(x, b), over [64, 1024] f32,
with onnxruntime's outputs. Usage: make_elementwise_case.py OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(7)
shape = [64, 1024]
s = rng.standard_normal(shape).astype(np.float32)
b = rng.standard_normal([1024]).astype(np.float32)
nodes = [
    h.make_node("Relu", ["x"], ["r"], name="relu"),
    h.make_node("Mul", ["r", "s"], ["m"], name="scale"),
    h.make_node("Add", ["m", "b"], ["a"], name="bias"),
    h.make_node("Sigmoid", ["a"], ["g"], name="gate"),
    h.make_node("Sub", ["g", "x"], ["y"], name="residual"),
    h.make_node("Max", ["x", "b"], ["z"], name="clamp"),
]
graph = h.make_graph(
    nodes, "elementwise",
    [h.make_tensor_value_info("x", T.FLOAT, shape)],
    [h.make_tensor_value_info("y", T.FLOAT, shape),
     h.make_tensor_value_info("z", T.FLOAT, shape)],
    [nh.from_array(s, "s"), nh.from_array(b, "b")])
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8  # What the pinned onnxruntime reads.
onnx.save(model, f"{out}/elementwise.onnx")
x = rng.standard_normal(shape).astype(np.float32)
session = ort.InferenceSession(f"{out}/elementwise.onnx",
                               providers=["CPUExecutionProvider"])
y, z = session.run(None, {"x": x})
np.savez(f"{out}/elementwise_inputs.npz", x=x)
np.savez(f"{out}/elementwise_expected.npz", y=y, z=z)
