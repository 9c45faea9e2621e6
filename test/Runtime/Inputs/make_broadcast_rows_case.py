# SPDX-License-Identifier: Apache-2.0
"""Elementwise ops whose operands broadcast over trailing dimensions, each
an output of one model, and onnxruntime's outputs: a per-channel scale
over [2, 24, 5, 7] (a squeeze-excitation product: the 5 x 7 plane is one
row), an add whose second operand broadcasts over dimensions 0 and 2 but
not 3 (no row to merge), and a same-shape subtraction.
Usage: make_broadcast_rows_case.py OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h

out = sys.argv[1]
rng = np.random.default_rng(3)
shapes = {"x": [2, 24, 5, 7], "s": [1, 24, 1, 1], "b": [1, 24, 1, 7],
          "y": [2, 24, 5, 7]}
nodes = [h.make_node("Mul", ["x", "s"], ["scaled"], name="scaled"),
         h.make_node("Add", ["x", "b"], ["mixed"], name="mixed"),
         h.make_node("Sub", ["x", "y"], ["same"], name="same")]
outputs = ["scaled", "mixed", "same"]
graph = h.make_graph(
    nodes, "broadcast_rows",
    [h.make_tensor_value_info(n, T.FLOAT, s) for n, s in shapes.items()],
    [h.make_tensor_value_info(n, T.FLOAT, None) for n in outputs])
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8
model = onnx.shape_inference.infer_shapes(model)
onnx.checker.check_model(model)
onnx.save(model, f"{out}/rows.onnx")
feeds = {n: rng.standard_normal(s).astype(np.float32)
         for n, s in shapes.items()}
np.savez(f"{out}/rows_inputs.npz", **feeds)
session = ort.InferenceSession(f"{out}/rows.onnx",
                               providers=["CPUExecutionProvider"])
np.savez(f"{out}/rows_expected.npz",
         **dict(zip(outputs, session.run(outputs, feeds))))
