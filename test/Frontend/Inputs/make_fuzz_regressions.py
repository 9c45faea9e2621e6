# SPDX-License-Identifier: Apache-2.0
"""Writes the malformed models behind onnx-fuzz-regressions.test: minimized
forms of inputs on which the importer fuzzer (fuzz/) crashed the importer."""
import sys

import onnx
from onnx import TensorProto as T
from onnx import helper as h

out = sys.argv[1]


def save(name, nodes, inputs, outputs, initializer=(), opset=17):
    graph = h.make_graph(nodes, name, inputs, outputs,
                         initializer=list(initializer))
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", opset)])
    onnx.save(model, f"{out}/{name}.onnx")


def value(name, shape):
    return h.make_tensor_value_info(name, T.FLOAT, shape)


y = [value("y", None)]

# Conv whose weight is not rank 4 (2-D and, through convertVia2d, 1-D).
save("conv-weight-rank", [h.make_node("Conv", ["x", "w"], ["y"], name="c0")],
     [value("x", [1, 1, 4, 4]), value("w", [1, 1])], y)
save("conv1d-weight-rank",
     [h.make_node("Conv", ["x", "w"], ["y"], name="c1",
                  kernel_shape=[3])],
     [value("x", [1, 1, 4]), value("w", [1, 1])], y)

# Reshape to a shape whose element count overflows int64.
save("reshape-overflow", [h.make_node("Reshape", ["x", "s"], ["y"], name="r0")],
     [value("x", [2])], y,
     [h.make_tensor("s", T.INT64, [2], [1 << 62, 4])])

# BatchNormalization with per-channel vectors of different lengths, and
# with a scalar scale.
bn_inputs = ["x", "s", "b", "m", "v"]
save("batchnorm-lengths",
     [h.make_node("BatchNormalization", bn_inputs, ["y"], name="bn0")],
     [value("x", [2, 3, 4]), value("s", [3]), value("b", [3]),
      value("m", [3]), value("v", [98])], y)
save("batchnorm-rank",
     [h.make_node("BatchNormalization", bn_inputs, ["y"], name="bn1")],
     [value("x", [2, 3, 4]), value("s", []), value("b", []),
      value("m", []), value("v", [])], y)

# 1-D ConvTranspose whose 2-D form fails shape inference.
save("convtranspose1d-shapes",
     [h.make_node("ConvTranspose", ["x", "w"], ["y"], name="ct0")],
     [value("x", [0, 0, 3]), value("w", [1, 0, 3])], y)

# An initializer whose element count overflows int64.
huge = T(name="big", data_type=T.FLOAT, dims=[1 << 40, 1 << 40])
save("tensor-overflow", [h.make_node("Relu", ["big"], ["y"], name="r1")],
     [], y, [huge])

# Attention whose inputs disagree (found by sinan-fuzz-onnx-importer: the
# converter built products of mismatched shapes and indexed their results):
# another batch in K, 3-D Q with 4-D K, a hidden size not a multiple of the
# heads.
heads = {"q_num_heads": 3, "kv_num_heads": 3}
for name, shapes in [("attention-batch", ([2, 4, 24], [63, 6, 24], [2, 6, 24])),
                     ("attention-rank", ([2, 4, 24], [2, 3, 6, 8], [2, 6, 24])),
                     ("attention-heads", ([2, 4, 25], [2, 6, 24], [2, 6, 24]))]:
    save(name, [h.make_node("Attention", ["q", "k", "v"], ["y"], name="a0",
                            **heads)],
         [value("q", shapes[0]), value("k", shapes[1]), value("v", shapes[2])],
         y, opset=23)

# Attention without its required Q (found by sinan-fuzz-compile: Debian's
# ONNX schemas predate Attention, so the arity check let it through).
save("attention-no-q",
     [h.make_node("Attention", ["", "k", "v"], ["y"], name="a1")],
     [value("k", [2, 3, 6, 8]), value("v", [2, 3, 6, 8])], y, opset=23)

# A Pad whose pads make a result of more than 2^63 elements (found by
# sinan-fuzz-compile: the module writer then wrote a shape the loader
# refused).
save("pad-overflow", [h.make_node("Pad", ["x", "p"], ["y"], name="p0")],
     [value("x", [1, 15, 1, 32])], y,
     [h.make_tensor("p", T.INT64, [8],
                    [8863082967153508353, 739871554190, 2, 1, 1, 0, 2, 1])])

# A ConvTranspose whose output_shape has one value (found by
# sinan-fuzz-onnx-importer: the padding arithmetic indexed past it).
save("convtranspose-output-shape",
     [h.make_node("ConvTranspose", ["x", "w"], ["y"], name="ct1",
                  output_shape=[5])],
     [value("x", [1, 1, 4, 4]), value("w", [1, 1, 3, 3])], y)

# A Resize whose scale makes a dimension beyond 2^56 (found by
# sinan-fuzz-onnx-importer: the size was converted to int64 out of range).
save("resize-huge-scale",
     [h.make_node("Resize", ["x", "", "s"], ["y"], name="rs0")],
     [value("x", [1, 1, 4, 4])], y,
     [h.make_tensor("s", T.FLOAT, [4], [1, 1, 1e30, 1])], opset=13)
