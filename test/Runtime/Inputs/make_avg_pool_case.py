# SPDX-License-Identifier: Apache-2.0
"""Average poolings as DenseNet's transitions export them (2x2, stride 2)
and as Inception's do (3x3 with padding, each window divided by its own
count). Writes pool.onnx,
pool_inputs.npz and onnxruntime's outputs as pool_expected.npz.
Usage: make_avg_pool_case.py OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h

out = sys.argv[1]
rng = np.random.default_rng(5)
C, H = 64, 28
nodes = [
    h.make_node("AveragePool", ["x"], ["y"], name="transition",
                kernel_shape=[2, 2], strides=[2, 2]),
    h.make_node("AveragePool", ["x"], ["z"], name="padded",
                kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
]
graph = h.make_graph(
    nodes, "avg_pool",
    [h.make_tensor_value_info("x", T.FLOAT, [1, C, H, H])],
    [h.make_tensor_value_info("y", T.FLOAT, [1, C, H // 2, H // 2]),
     h.make_tensor_value_info("z", T.FLOAT, [1, C, H, H])])
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, f"{out}/pool.onnx")
feeds = {"x": rng.standard_normal((1, C, H, H)).astype(np.float32)}
np.savez(f"{out}/pool_inputs.npz", **feeds)
session = ort.InferenceSession(f"{out}/pool.onnx",
                               providers=["CPUExecutionProvider"])
y, z = session.run(None, feeds)
np.savez(f"{out}/pool_expected.npz", y=y, z=z)
