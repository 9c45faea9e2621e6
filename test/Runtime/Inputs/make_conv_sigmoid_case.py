# SPDX-License-Identifier: Apache-2.0
"""A squeeze-excite block as torchvision's EfficientNet and RegNet export it
(global mean, 1x1 convolution and activation, 1x1 convolution, Sigmoid, Mul
by the block's input), whose second convolution's kernel absorbs the
Sigmoid, and a Sigmoid after a "same" 3x3 (the grid tiler), after a 1x1
with a residual (the implicit GEMM) and after a depthwise 3x3. Writes the model, its input and
onnxruntime's outputs. Usage: make_conv_sigmoid_case.py OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(7)


def param(name, *shape, scale=0.2):
    return nh.from_array((rng.standard_normal(shape) * scale).astype(np.float32),
                         name)


inits = [param("w1", 16, 64, 1, 1), param("b1", 16), param("w2", 64, 16, 1, 1),
         param("b2", 64), param("w3", 64, 64, 3, 3), param("b3", 64),
         param("w4", 64, 64, 1, 1), param("b4", 64), param("w5", 64, 1, 3, 3),
         param("b5", 64)]
nodes = [
    h.make_node("GlobalAveragePool", ["x"], ["m"], name="se_mean"),
    h.make_node("Conv", ["m", "w1", "b1"], ["f1"], name="se_fc1"),
    h.make_node("Relu", ["f1"], ["r1"], name="se_relu"),
    h.make_node("Conv", ["r1", "w2", "b2"], ["f2"], name="se_fc2"),
    h.make_node("Sigmoid", ["f2"], ["gate"], name="se_gate"),
    h.make_node("Mul", ["x", "gate"], ["se"], name="se_scale"),
    h.make_node("Conv", ["se", "w3", "b3"], ["c3"], name="grid",
                pads=[1, 1, 1, 1]),
    h.make_node("Sigmoid", ["c3"], ["g"], name="grid_sigmoid"),
    h.make_node("Conv", ["g", "w4", "b4"], ["c4"], name="residual"),
    h.make_node("Add", ["c4", "se"], ["s4"], name="residual_add"),
    h.make_node("Sigmoid", ["s4"], ["r"], name="residual_sigmoid"),
    h.make_node("Conv", ["r", "w5", "b5"], ["c5"], name="depthwise",
                pads=[1, 1, 1, 1], group=64),
    h.make_node("Sigmoid", ["c5"], ["y"], name="depthwise_sigmoid"),
]
graph = h.make_graph(nodes, "se",
                     [h.make_tensor_value_info("x", T.FLOAT, [1, 64, 14, 14])],
                     [h.make_tensor_value_info("y", T.FLOAT, [1, 64, 14, 14])],
                     inits)
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8  # What the pinned onnxruntime reads.
onnx.save(model, f"{out}/se.onnx")
x = rng.standard_normal((1, 64, 14, 14)).astype(np.float32)
np.savez(f"{out}/inputs.npz", x=x)
(y,) = ort.InferenceSession(f"{out}/se.onnx",
                            providers=["CPUExecutionProvider"]).run(None,
                                                                    {"x": x})
np.save(f"{out}/expected.npy", y)
