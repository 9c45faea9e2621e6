# SPDX-License-Identifier: Apache-2.0
"""Convolutions and matmuls whose positions (columns of the GEMM) end in a
part of a vector, each an output of one model, and onnxruntime's outputs:
a whole vector then one position left (7x7 planes, stride 1 and 2, bias
and relu), four left over several blocks (a 1x1 read in place with a
residual add and relu), five left with K in passes of whole channels that
are not whole vectors (300 channels, 3x3 taps), twelve left (a masked
vector), a 7x7 stride-2 stem and a 3x3 one
over 16 channels, a matrix-vector product and seven columns
over broadcast batches.
Usage: make_gemm_tails_case.py OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(5)
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


def conv(name, x, f, c, k, stride=1, pad=1, bias=True):
    ins = [x, const(name + "_w", [f, c, k, k])]
    if bias:
        ins.append(const(name + "_b", [f]))
    return node("Conv", ins, name, strides=[stride, stride], pads=[pad] * 4)


x7 = inp("x7", [1, 64, 7, 7])
outputs.append(node("Relu", [conv("p49", x7, 40, 64, 3)], "p49_relu"))
x14 = inp("x14", [1, 64, 14, 14])
outputs.append(conv("p49_s2", x14, 28, 64, 3, stride=2, bias=False))
down = conv("p196", x14, 36, 64, 1, pad=0)
outputs.append(node("Relu", [node("Add", [down, inp("r", [1, 36, 14, 14])],
                                  "p196_add")], "p196_relu"))
outputs.append(conv("p21_passes", inp("x300", [1, 300, 7, 3]), 30, 300, 3))
outputs.append(conv("p28", inp("x28", [1, 16, 4, 7]), 24, 16, 3))
# A stem: 7x7 at stride 2 over 3 channels, output rows of whole vectors
# (16 columns), so each vector's lanes read every other element of a row,
# the padding included.
outputs.append(conv("stem", inp("img", [1, 3, 32, 32]), 8, 3, 7, stride=2,
                    pad=3))
outputs.append(conv("s2_rows", inp("x32", [1, 16, 32, 32]), 8, 16, 3,
                    stride=2))
outputs.append(node("MatMul", [inp("a", [64, 300]), const("v", [300, 1])],
                    "matvec"))
outputs.append(node("MatMul", [inp("ab", [2, 20, 48]), const("b7", [48, 7])],
                    "n7"))
# Products of at most 8 rows read B in place: a classifier's row, and 3 rows
# per batch against a B of their own.
outputs.append(node("MatMul", [inp("fc_x", [1, 200]), const("fc_w", [200, 37])],
                    "fc"))
outputs.append(node("MatMul", [inp("qa", [2, 3, 48]), inp("qb", [2, 48, 20])],
                    "few_rows"))
# Equal columns of B (49 of them: two panels, a vector and one past it)
# must give equal results at every position.
column = (rng.standard_normal([300, 1]) * 0.1).astype(np.float32)
inits.append(nh.from_array(np.repeat(column, 49, axis=1), "same_w"))
outputs.append(node("MatMul", [inp("same_x", [20, 300]), "same_w"],
                    "equal_columns"))

graph = h.make_graph(
    nodes, "gemm_tails",
    [h.make_tensor_value_info(n, T.FLOAT, s) for n, s in inputs.items()],
    [h.make_tensor_value_info(n, T.FLOAT, None) for n in outputs], inits)
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8
model = onnx.shape_inference.infer_shapes(model)
onnx.checker.check_model(model)
onnx.save(model, f"{out}/gemm_tails.onnx")
feeds = {n: rng.standard_normal(s).astype(np.float32)
         for n, s in inputs.items()}
np.savez(f"{out}/gemm_tails_inputs.npz", **feeds)
session = ort.InferenceSession(f"{out}/gemm_tails.onnx",
                               providers=["CPUExecutionProvider"])
np.savez(f"{out}/gemm_tails_expected.npz",
         **dict(zip(outputs, session.run(outputs, feeds))))
