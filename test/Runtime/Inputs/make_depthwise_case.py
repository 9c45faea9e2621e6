# SPDX-License-Identifier: Apache-2.0
"""Depthwise convolutions in the forms networks use, for the SNPU's
vector-unit kernel: 3x3 stride 1 with bias and ReLU6 (MobileNetV2), 3x3
stride 2 with a relu, 5x5 stride 2 (EfficientNet), a dilated 3x3, asymmetric
padding, a residual add, a 1x1 (a per-channel scale) and a 7x7 over an image
of 3x2 (taps that read only zeros). Widths are off the
16-element row pitch. Two grouped convolutions with fewer channels per group
than the matrix tile: groups of 8 (as RegNet's) and a depthwise one with
two outputs per channel. Writes the model, its input and onnxruntime's outputs.
Usage: make_depthwise_case.py OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(7)
C = 24


def param(name, *shape, scale=0.3):
    return nh.from_array((rng.standard_normal(shape) * scale).astype(np.float32),
                         name)


def scalar(name, value):
    return nh.from_array(np.array(value, np.float32), name)


inits = [param("w1", C, 1, 3, 3), param("b1", C), param("w2", C, 1, 3, 3),
         param("w3", C, 1, 5, 5), param("b3", C), param("w4", C, 1, 3, 3),
         param("b4", C), param("w5", C, 1, 3, 3), param("w6", C, 1, 3, 3),
         param("b6", C), param("w7", C, 1, 1, 1), param("w8", C, 1, 7, 7),
         param("b8", C), param("w9", C, 8, 3, 3), param("b9", C),
         param("w10", 2 * C, 1, 3, 3), scalar("zero", 0.0),
         scalar("six", 6.0)]
dw = dict(group=C)
nodes = [
    h.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="dw_s1",
                pads=[1, 1, 1, 1], **dw),
    h.make_node("Clip", ["c1", "zero", "six"], ["y1"], name="relu6"),
    h.make_node("Conv", ["y1", "w2"], ["c2"], name="dw_s2", pads=[1, 1, 1, 1],
                strides=[2, 2], **dw),
    h.make_node("Relu", ["c2"], ["y2"], name="relu"),
    h.make_node("Conv", ["x", "w3", "b3"], ["y3"], name="dw_5x5_s2",
                pads=[2, 2, 2, 2], strides=[2, 2], **dw),
    h.make_node("Conv", ["x", "w4", "b4"], ["y4"], name="dw_dilated",
                pads=[2, 2, 2, 2], dilations=[2, 2], **dw),
    h.make_node("Conv", ["x", "w5"], ["y5"], name="dw_asym",
                pads=[0, 0, 1, 1], strides=[2, 2], **dw),
    h.make_node("Conv", ["y1", "w6", "b6"], ["c6"], name="dw_res",
                pads=[1, 1, 1, 1], **dw),
    h.make_node("Add", ["c6", "y1"], ["y6"], name="residual"),
    h.make_node("Conv", ["y2", "w7"], ["y7"], name="dw_1x1", **dw),
    h.make_node("Conv", ["small", "w8", "b8"], ["y8"], name="dw_7x7",
                pads=[3, 3, 3, 3], **dw),
    h.make_node("Conv", ["x", "w9", "b9"], ["y9"], name="grouped_8",
                pads=[1, 1, 1, 1], group=C // 8),
    h.make_node("Conv", ["y2", "w10"], ["y10"], name="dw_mult2",
                pads=[1, 1, 1, 1], **dw),
]
shape = [1, C, 37, 35]
outputs = ["y3", "y4", "y5", "y6", "y7", "y8", "y9", "y10"]
graph = h.make_graph(nodes, "depthwise",
                     [h.make_tensor_value_info("x", T.FLOAT, shape),
                      h.make_tensor_value_info("small", T.FLOAT, [1, C, 3, 2])],
                     [h.make_tensor_value_info(o, T.FLOAT, None)
                      for o in outputs], inits)
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8  # What the pinned onnxruntime reads.
model = onnx.shape_inference.infer_shapes(model)
onnx.save(model, f"{out}/depthwise.onnx")
x = rng.standard_normal(shape).astype(np.float32)
small = rng.standard_normal((1, C, 3, 2)).astype(np.float32)
np.savez(f"{out}/inputs.npz", x=x, small=small)
results = ort.InferenceSession(f"{out}/depthwise.onnx",
                               providers=["CPUExecutionProvider"]).run(
                                   None, {"x": x, "small": small})
np.savez(f"{out}/expected.npz", **dict(zip(outputs, results)))
