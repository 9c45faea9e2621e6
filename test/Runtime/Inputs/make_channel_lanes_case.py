# SPDX-License-Identifier: Apache-2.0
"""Convolutions over few positions, whose CPU kernel holds output channels
in its vectors' lanes and reads its weights packed in panels: each an
output of one model, and onnxruntime's outputs. A 7x7 3x3 with bias and
relu (49 positions in tiles of 10 and 9), stride 2, a 1x1 read in place
with a residual add and relu, a 1x1 at stride 2, two groups, K in several
passes (600 channels x 9 taps), and a 1x1 over a plane of equal positions
(every position must give the same bits). Usage: make_channel_lanes_case.py
OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(11)
nodes, inits, inputs, outputs = [], [], {}, []


def const(name, shape, scale=0.1):
    inits.append(nh.from_array(
        (rng.standard_normal(shape) * scale).astype(np.float32), name))
    return name


def inp(name, shape):
    inputs[name] = shape
    return name


def node(op, ins, name, **attrs):
    nodes.append(h.make_node(op, ins, [name], name=name, **attrs))
    return name


def conv(name, x, f, c, k, stride=1, pad=1, bias=True, group=1):
    ins = [x, const(name + "_w", [f, c // group, k, k])]
    if bias:
        ins.append(const(name + "_b", [f]))
    return node("Conv", ins, name, strides=[stride, stride], pads=[pad] * 4,
                group=group)


x7 = inp("x7", [1, 64, 7, 7])
outputs.append(node("Relu", [conv("c3", x7, 64, 64, 3)], "c3_relu"))
x14 = inp("x14", [1, 64, 14, 14])
outputs.append(conv("s2", x14, 32, 64, 3, stride=2, bias=False))
one = conv("c1", x7, 64, 64, 1, pad=0)
outputs.append(node("Relu", [node("Add", [one, inp("r", [1, 64, 7, 7])],
                                  "c1_add")], "c1_relu"))
outputs.append(conv("down", x14, 32, 64, 1, stride=2, pad=0))
outputs.append(conv("grouped", x7, 64, 64, 3, group=2))
outputs.append(conv("passes", inp("x600", [1, 600, 7, 7]), 32, 600, 3))
plane = node("Expand", [inp("column", [1, 64, 1, 1]), "plane_shape"],
             "plane")
inits.append(nh.from_array(np.array([1, 64, 7, 7], dtype=np.int64),
                           "plane_shape"))
outputs.append(conv("equal", plane, 32, 64, 1, pad=0))

graph = h.make_graph(
    nodes, "channel_lanes",
    [h.make_tensor_value_info(n, T.FLOAT, s) for n, s in inputs.items()],
    [h.make_tensor_value_info(n, T.FLOAT, None) for n in outputs], inits)
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8
model = onnx.shape_inference.infer_shapes(model)
onnx.checker.check_model(model)
onnx.save(model, f"{out}/lanes.onnx")
feeds = {n: rng.standard_normal(s).astype(np.float32)
         for n, s in inputs.items()}
np.savez(f"{out}/lanes_inputs.npz", **feeds)
session = ort.InferenceSession(f"{out}/lanes.onnx",
                               providers=["CPUExecutionProvider"])
np.savez(f"{out}/lanes_expected.npz",
         **dict(zip(outputs, session.run(outputs, feeds))))
