# SPDX-License-Identifier: Apache-2.0
"""A 3x3 convolution with its relu and the 1x1 convolution that reads it,
with a residual add and a relu (a ResNet bottleneck's last two layers): the
pair sinan-form-layer-groups runs as one SNPU kernel. Writes pair.onnx,
pair_inputs.npz and onnxruntime's outputs as pair_expected.npz.
Usage: make_conv_pair_case.py OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(11)
C, F1, F3, H = 32, 32, 64, 16
inits = [
    nh.from_array((rng.standard_normal((F1, C, 3, 3)) * 0.1).astype(np.float32),
                  "w1"),
    nh.from_array((rng.standard_normal(F1) * 0.1).astype(np.float32), "b1"),
    nh.from_array((rng.standard_normal((F3, F1, 1, 1)) * 0.1).astype(
        np.float32), "w2"),
    nh.from_array((rng.standard_normal(F3) * 0.1).astype(np.float32), "b2"),
]
nodes = [
    h.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv3x3",
                pads=[1, 1, 1, 1]),
    h.make_node("Relu", ["c1"], ["r1"], name="relu1"),
    h.make_node("Conv", ["r1", "w2", "b2"], ["c2"], name="expand"),
    h.make_node("Add", ["c2", "r"], ["a"], name="residual"),
    h.make_node("Relu", ["a"], ["y"], name="relu2"),
]
graph = h.make_graph(
    nodes, "conv_pair",
    [h.make_tensor_value_info("x", T.FLOAT, [1, C, H, H]),
     h.make_tensor_value_info("r", T.FLOAT, [1, F3, H, H])],
    [h.make_tensor_value_info("y", T.FLOAT, [1, F3, H, H])], inits)
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, f"{out}/pair.onnx")
feeds = {"x": rng.standard_normal((1, C, H, H)).astype(np.float32),
         "r": rng.standard_normal((1, F3, H, H)).astype(np.float32)}
np.savez(f"{out}/pair_inputs.npz", **feeds)
session = ort.InferenceSession(f"{out}/pair.onnx",
                               providers=["CPUExecutionProvider"])
(y,) = session.run(None, feeds)
np.savez(f"{out}/pair_expected.npz", y=y)
