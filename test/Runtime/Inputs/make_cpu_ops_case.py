# SPDX-License-Identifier: Apache-2.0
"""The CPU path's kernels beyond elementwise ops, in one model with one
output per case, and onnxruntime's outputs: convolutions in every form
(stride, padding incl. asymmetric, dilation, groups, depthwise with strides
1 to 3, dilation, a multiplier and 5x5 taps on rows wider than a vector, 1x1
read in place, a 7x7 stem), epilogues (relu, a residual add then relu, clip),
matmuls with batch broadcasting and a bias row, max and average pooling,
reductions, softmax, log-softmax and transposes.
Usage: make_cpu_ops_case.py OUT_DIR"""
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


def const(name, shape, scale=0.3):
    inits.append(nh.from_array(
        (rng.standard_normal(shape) * scale).astype(np.float32), name))
    return name


def inp(name, shape):
    inputs[name] = shape
    return name


def node(op, ins, out_name, **attrs):
    nodes.append(h.make_node(op, ins, [out_name], name=out_name, **attrs))
    return out_name


def result(name):
    outputs.append(name)


x = inp("x", [1, 8, 10, 12])
# name: (F, C, k, stride, pads, dilation, group, bias)
convs = {
    "conv3x3": (16, 8, 3, 1, [1, 1, 1, 1], 1, 1, True),
    "conv_s2": (13, 8, 3, 2, [1, 1, 1, 1], 1, 1, False),
    "conv_asym": (5, 8, 2, 1, [1, 0, 0, 2], 1, 1, True),
    "conv_dil_group": (10, 4, 3, 1, [2, 2, 2, 2], 2, 2, True),
    "conv_depthwise": (8, 1, 3, 1, [1, 1, 1, 1], 1, 8, True),
    "conv_1x1": (20, 8, 1, 1, [0, 0, 0, 0], 1, 1, True),
    "conv_1x1_s2": (40, 8, 1, 2, [0, 0, 0, 0], 1, 1, True),
}
for name, (f, c, k, s, pads, d, g, bias) in convs.items():
    ins = [x, const(name + "_w", [f, c, k, k])]
    if bias:
        ins.append(const(name + "_b", [f]))
    result(node("Conv", ins, name, strides=[s, s], pads=pads,
                dilations=[d, d], group=g))
# Depthwise convolutions on rows wider than a vector: strides 2 and 3,
# asymmetric padding, dilation, a channel multiplier, 5x5 taps, a relu.
d = inp("d", [1, 4, 9, 37])
# name: (F, k, stride, pads, dilation)
depthwise = {
    "dw_s2": (4, 3, 2, [1, 2, 0, 1], 1),
    "dw_s3": (4, 3, 3, [1, 1, 1, 1], 1),
    "dw_dil": (4, 3, 1, [2, 2, 2, 2], 2),
    "dw_mult": (8, 3, 1, [1, 0, 1, 3], 1),
    "dw_5x5": (4, 5, 1, [2, 2, 2, 2], 1),
}
for name, (f, k, s, pads, dil) in depthwise.items():
    result(node("Conv", [d, const(name + "_w", [f, 1, k, k]),
                         const(name + "_b", [f])], name, strides=[s, s],
                pads=pads, dilations=[dil, dil], group=4))
result(node("Relu", [node("Conv", [d, const("dwr_w", [4, 1, 3, 3])], "dwr",
                          strides=[2, 2], pads=[1, 1, 1, 1], group=4)],
            "dw_relu"))
stem = inp("stem_in", [1, 3, 23, 23])
result(node("Conv", [stem, const("stem_w", [7, 3, 7, 7], 0.1),
                     const("stem_b", [7])], "conv_7x7_s2",
            strides=[2, 2], pads=[3, 3, 3, 3]))

# Epilogues: conv + relu; conv + (downsample conv) add + relu; conv + clip.
r1 = node("Relu", [node("Conv", [x, const("e1_w", [8, 8, 3, 3]),
                                  const("e1_b", [8])], "e1",
                        pads=[1, 1, 1, 1])], "fused_relu")
result(r1)
down = node("Conv", [x, const("down_w", [8, 8, 1, 1])], "down")
c2 = node("Conv", [r1, const("e2_w", [8, 8, 3, 3])], "e2", pads=[1, 1, 1, 1])
result(node("Relu", [node("Add", [c2, down], "e2_add")], "fused_residual"))
inits += [nh.from_array(np.array(0.0, np.float32), "lo"),
          nh.from_array(np.array(0.4, np.float32), "hi")]
result(node("Clip", [node("Conv", [x, const("e3_w", [6, 8, 3, 3])], "e3",
                          pads=[1, 1, 1, 1]), "lo", "hi"], "fused_clip"))

# Matmuls: a bias row and a relu; batch broadcasting both ways.
a = inp("a", [2, 5, 64])
result(node("Relu", [node("Add", [node("MatMul", [a, const("mw", [64, 48])],
                                       "mm"), const("mb", [48])], "mm_bias")],
            "mm_bias_relu"))
result(node("MatMul", [inp("ba", [2, 1, 5, 7]), inp("bb", [1, 3, 7, 9])],
            "mm_broadcast"))
# One B for every batch: the batches' rows are one matrix (13 x 1 rows).
result(node("MatMul", [inp("seq", [13, 1, 20]), const("seq_w", [20, 24])],
            "mm_rows"))

# Pooling, reductions, softmax, transposes.
p = inp("p", [2, 4, 11, 10])
result(node("MaxPool", [p], "maxpool", kernel_shape=[3, 3], strides=[2, 2],
            pads=[1, 1, 1, 1]))
result(node("MaxPool", [p], "maxpool_ceil_dil", kernel_shape=[2, 3],
            strides=[1, 2], pads=[1, 0, 0, 2], dilations=[2, 1]))
result(node("AveragePool", [p], "avgpool", kernel_shape=[3, 3],
            strides=[1, 1], pads=[1, 1, 1, 1]))
result(node("AveragePool", [p], "avgpool_cip", kernel_shape=[3, 2],
            strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1))
result(node("ReduceMean", [p], "mean_last", axes=[-1], keepdims=1))
result(node("ReduceMean", [p], "global_avg", axes=[2, 3], keepdims=1))
inits.append(nh.from_array(np.array([0, 2], np.int64), "sum_axes"))
result(node("ReduceSum", [p, "sum_axes"], "sum_02", keepdims=0))
inits.append(nh.from_array(np.array([1], np.int64), "mid_axis"))
result(node("ReduceSum", [p, "mid_axis"], "sum_mid", keepdims=0))
result(node("ReduceMean", [p], "mean_12", axes=[1, 2], keepdims=1))
result(node("ReduceMax", [p], "max_mid", axes=[1], keepdims=0))
result(node("ReduceMin", [p], "min_all", keepdims=1))
result(node("Softmax", [p], "softmax_last", axis=-1))
result(node("Softmax", [p], "softmax_axis1", axis=1))
result(node("LogSoftmax", [p], "log_softmax", axis=-1))
result(node("Transpose", [p], "transpose", perm=[0, 2, 1, 3]))
result(node("Transpose", [p], "transpose_inner", perm=[3, 0, 2, 1]))

graph = h.make_graph(
    nodes, "cpu_ops",
    [h.make_tensor_value_info(n, T.FLOAT, s) for n, s in inputs.items()],
    [h.make_tensor_value_info(n, T.FLOAT, None) for n in outputs], inits)
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8
model = onnx.shape_inference.infer_shapes(model)
onnx.checker.check_model(model)
onnx.save(model, f"{out}/cpu_ops.onnx")
feeds = {n: rng.standard_normal(s).astype(np.float32)
         for n, s in inputs.items()}
np.savez(f"{out}/cpu_ops_inputs.npz", **feeds)
session = ort.InferenceSession(f"{out}/cpu_ops.onnx",
                               providers=["CPUExecutionProvider"])
np.savez(f"{out}/cpu_ops_expected.npz",
         **dict(zip(outputs, session.run(None, feeds))))
print(" ".join(outputs))
