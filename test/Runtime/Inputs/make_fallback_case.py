# SPDX-License-Identifier: Apache-2.0
"""A small network that exercises every SNPU kernel kind whose launch has a
host fallback: a 3x3 convolution with bias and relu (the grid tiler), a
stride-2 3x3 (its phases), a 1x1 and a grouped 3x3 (the implicit GEMM), a
residual add, global average pooling on the host, a matmul with its bias
and a GELU as PyTorch exports it, and an elementwise chain. Writes the
model, its input and onnxruntime's output. Usage: make_fallback_case.py
OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(3)


def param(name, *shape, scale=0.1):
    return nh.from_array((rng.standard_normal(shape) * scale).astype(np.float32),
                         name)


def scalar(name, value):
    return nh.from_array(np.array(value, np.float32), name)


inits = [param("w1", 64, 32, 3, 3), param("b1", 64), param("w2", 64, 64, 3, 3),
         param("w3", 128, 64, 1, 1), param("b3", 128),
         param("w4", 128, 32, 3, 3), param("wf", 128, 64), param("bf", 64),
         scalar("sqrt2", 1.4142135), scalar("one", 1.0), scalar("half", 0.5),
         scalar("six", 6.0), scalar("zero", 0.0)]
nodes = [
    h.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1",
                pads=[1, 1, 1, 1]),
    h.make_node("Relu", ["c1"], ["r1"], name="relu1"),
    h.make_node("Conv", ["r1", "w2"], ["c2"], name="conv2", pads=[1, 1, 1, 1],
                strides=[2, 2]),
    h.make_node("Conv", ["c2", "w3", "b3"], ["c3"], name="conv3"),
    h.make_node("Conv", ["c3", "w4"], ["c4"], name="grouped", pads=[1, 1, 1, 1],
                group=4),
    h.make_node("Add", ["c4", "c3"], ["s"], name="residual"),
    h.make_node("Clip", ["s", "zero", "six"], ["r2"], name="relu6"),
    h.make_node("GlobalAveragePool", ["r2"], ["p"], name="pool"),
    h.make_node("Flatten", ["p"], ["f"], name="flatten"),
    h.make_node("MatMul", ["f", "wf"], ["m"], name="fc"),
    h.make_node("Add", ["m", "bf"], ["a"], name="fc_bias"),
    h.make_node("Div", ["a", "sqrt2"], ["d"], name="gelu_div"),
    h.make_node("Erf", ["d"], ["e"], name="gelu_erf"),
    h.make_node("Add", ["e", "one"], ["e1"], name="gelu_add"),
    h.make_node("Mul", ["a", "e1"], ["g"], name="gelu_mul"),
    h.make_node("Mul", ["g", "half"], ["y0"], name="gelu_half"),
    h.make_node("Sigmoid", ["y0"], ["sg"], name="silu_sigmoid"),
    h.make_node("Mul", ["y0", "sg"], ["y"], name="silu_mul"),
]
graph = h.make_graph(nodes, "fallback",
                     [h.make_tensor_value_info("x", T.FLOAT, [1, 32, 28, 28])],
                     [h.make_tensor_value_info("y", T.FLOAT, [1, 64])], inits)
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8  # What the pinned onnxruntime reads.
onnx.save(model, f"{out}/fallback.onnx")
x = rng.standard_normal((1, 32, 28, 28)).astype(np.float32)
np.savez(f"{out}/inputs.npz", x=x)
(y,) = ort.InferenceSession(f"{out}/fallback.onnx",
                            providers=["CPUExecutionProvider"]).run(None,
                                                                    {"x": x})
np.save(f"{out}/expected.npy", y)
