# SPDX-License-Identifier: Apache-2.0
"""A matmul whose sizes are not tile multiples, with several blocks in every
dimension: y = relu(x @ w) with x [200, 300] and w [300, 150] f32, and
onnxruntime's output. Usage: make_matmul_case.py OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(11)
w = rng.standard_normal([300, 150]).astype(np.float32)
graph = h.make_graph(
    [h.make_node("MatMul", ["x", "w"], ["p"], name="mm"),
     h.make_node("Relu", ["p"], ["y"], name="act")],
    "matmul",
    [h.make_tensor_value_info("x", T.FLOAT, [200, 300])],
    [h.make_tensor_value_info("y", T.FLOAT, [200, 150])],
    [nh.from_array(w, "w")])
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8  # What the pinned onnxruntime reads.
onnx.save(model, f"{out}/matmul.onnx")
x = rng.standard_normal([200, 300]).astype(np.float32)
session = ort.InferenceSession(f"{out}/matmul.onnx",
                               providers=["CPUExecutionProvider"])
(y,) = session.run(None, {"x": x})
np.savez(f"{out}/matmul_inputs.npz", x=x)
np.savez(f"{out}/matmul_expected.npz", y=y)
