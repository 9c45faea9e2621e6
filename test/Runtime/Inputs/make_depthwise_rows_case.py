# SPDX-License-Identifier: Apache-2.0
"""Depthwise convolutions and max poolings on small images with many
channels, where the SNPU's vector unit runs them channels-last (pixel rows
of channels, DepthwiseChannelsLast.cpp): 3x3 stride 1 with bias and ReLU6
(one op per tap), stride 2 with a relu (an op per output row), 5x5 with
padding 2, a dilated 3x3, asymmetric padding, a residual add, SiLU and
HardSwish epilogues, 40 channels (a partial block of 16), a 3x3/2 max
pooling with padding over negative inputs (pads of -inf, not zero) and a
batch of 20 images (a core's units in a loop). Also a grouped convolution of
8 channels per group on the plane form whose first synchronization failed the
static check (now undone for a coarser one). Writes the model, its inputs and
onnxruntime's outputs. Usage: make_depthwise_rows_case.py OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(11)
C, P, B = 96, 40, 256  # channels: most nodes, a partial block, the batch.


def param(name, *shape, scale=0.3):
    return nh.from_array((rng.standard_normal(shape) * scale).astype(np.float32),
                         name)


def scalar(name, value):
    return nh.from_array(np.array(value, np.float32), name)


inits = [param("w1", C, 1, 3, 3), param("b1", C), param("w2", C, 1, 3, 3),
         param("b2", C), param("w3", C, 1, 5, 5), param("b3", C),
         param("w4", C, 1, 3, 3), param("w5", C, 1, 3, 3), param("b5", C),
         param("w6", C, 1, 3, 3), param("b6", C), param("w7", C, 1, 3, 3),
         param("w8", P, 1, 3, 3), param("b8", P), param("w9", B, 1, 3, 3),
         param("b9", B), param("w12", 104, 8, 3, 3), param("b12", 104),
         scalar("zero", 0.0), scalar("six", 6.0)]
dw = dict(group=C)
nodes = [
    h.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="dw_s1",
                pads=[1, 1, 1, 1], **dw),
    h.make_node("Clip", ["c1", "zero", "six"], ["y1"], name="relu6"),
    h.make_node("Conv", ["y1", "w2", "b2"], ["c2"], name="dw_s2",
                pads=[1, 1, 1, 1], strides=[2, 2], **dw),
    h.make_node("Relu", ["c2"], ["y2"], name="relu"),
    h.make_node("Conv", ["x", "w3", "b3"], ["y3"], name="dw_5x5",
                pads=[2, 2, 2, 2], **dw),
    h.make_node("Conv", ["x", "w4"], ["y4"], name="dw_dilated",
                pads=[2, 2, 2, 2], dilations=[2, 2], **dw),
    h.make_node("Conv", ["x", "w5", "b5"], ["c5"], name="dw_res",
                pads=[1, 1, 1, 1], **dw),
    h.make_node("Add", ["c5", "x"], ["y5"], name="residual"),
    h.make_node("Conv", ["x", "w6", "b6"], ["c6"], name="dw_silu",
                pads=[1, 1, 1, 1], **dw),
    h.make_node("Sigmoid", ["c6"], ["s6"], name="sigmoid"),
    h.make_node("Mul", ["c6", "s6"], ["y6"], name="silu"),
    h.make_node("Conv", ["x", "w7"], ["c7"], name="dw_asym",
                pads=[0, 1, 1, 0], strides=[2, 2], **dw),
    h.make_node("HardSwish", ["c7"], ["y7"], name="hardswish"),
    h.make_node("Conv", ["p", "w8", "b8"], ["y8"], name="dw_partial",
                pads=[1, 1, 1, 1], group=P),
    h.make_node("Conv", ["batch", "w9", "b9"], ["y9"], name="dw_batch",
                pads=[1, 1, 1, 1], group=B),
    h.make_node("MaxPool", ["neg"], ["y10"], name="pool", kernel_shape=[3, 3],
                strides=[2, 2], pads=[1, 1, 1, 1]),
    h.make_node("MaxPool", ["neg"], ["y11"], name="pool_s1",
                kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    h.make_node("Conv", ["wide", "w12", "b12"], ["y12"], name="grouped_13",
                pads=[1, 1, 1, 1], group=13),
]
shapes = {"x": [1, C, 14, 14], "p": [1, P, 7, 7], "batch": [20, B, 7, 7],
          "neg": [1, 64, 14, 14], "wide": [1, 104, 56, 56]}
outputs = ["y2", "y3", "y4", "y5", "y6", "y7", "y8", "y9", "y10", "y11",
           "y12"]
graph = h.make_graph(nodes, "depthwise_rows",
                     [h.make_tensor_value_info(k, T.FLOAT, s)
                      for k, s in shapes.items()],
                     [h.make_tensor_value_info(o, T.FLOAT, None)
                      for o in outputs], inits)
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8  # What the pinned onnxruntime reads.
model = onnx.shape_inference.infer_shapes(model)
onnx.save(model, f"{out}/depthwise_rows.onnx")
inputs = {k: rng.standard_normal(s).astype(np.float32) for k, s in
          shapes.items()}
inputs["neg"] -= 4  # Every value below the zeros a wrong pad would add.
np.savez(f"{out}/inputs.npz", **inputs)
results = ort.InferenceSession(f"{out}/depthwise_rows.onnx").run(None, inputs)
np.savez(f"{out}/expected.npz", **dict(zip(outputs, results)))
