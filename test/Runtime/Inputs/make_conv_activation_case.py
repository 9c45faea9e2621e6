# SPDX-License-Identifier: Apache-2.0
"""Convolutions followed by the activations an SNPU convolution kernel
absorbs, as PyTorch exports them: SiLU (Sigmoid, then Mul by the input)
after one convolution per SNPU kernel: a "same" 3x3 (the grid tiler), a
1x1 with bias (the implicit GEMM), a 1x1 with a residual before the SiLU,
and a depthwise 3x3 (the vector unit); then hardswish (ONNX HardSwish, and
HardSigmoid times the input) after a 1x1, a depthwise and a "same" 3x3.
Writes the model, its input and onnxruntime's output. Usage:
make_conv_activation_case.py OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(5)


def param(name, *shape, scale=0.1):
    return nh.from_array((rng.standard_normal(shape) * scale).astype(np.float32),
                         name)


inits = [param("w1", 64, 32, 3, 3), param("b1", 64), param("w2", 96, 64, 1, 1),
         param("b2", 96), param("w3", 96, 96, 1, 1), param("b3", 96),
         param("w4", 96, 1, 3, 3), param("b4", 96), param("w5", 64, 96, 1, 1),
         param("b5", 64), param("w6", 64, 1, 3, 3), param("b6", 64),
         param("w7", 64, 64, 3, 3), param("b7", 64), param("w8", 16, 64, 1, 1),
         param("b8", 16), param("w9", 64, 16, 1, 1, scale=1.0),
         param("b9", 64, scale=1.0)]
nodes = []


def silu(x, name):
    nodes.append(h.make_node("Sigmoid", [x], [f"{name}_s"],
                             name=f"{name}_sigmoid"))
    nodes.append(h.make_node("Mul", [x, f"{name}_s"], [f"{name}_y"],
                             name=f"{name}_mul"))
    return f"{name}_y"


nodes.append(h.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="grid",
                         pads=[1, 1, 1, 1]))
y1 = silu("c1", "grid")
nodes.append(h.make_node("Conv", [y1, "w2", "b2"], ["c2"], name="gemm"))
y2 = silu("c2", "gemm")
nodes.append(h.make_node("Conv", [y2, "w3", "b3"], ["c3"], name="residual"))
nodes.append(h.make_node("Add", ["c3", y2], ["s3"], name="residual_add"))
y3 = silu("s3", "residual")
nodes.append(h.make_node("Conv", [y3, "w4", "b4"], ["c4"], name="depthwise",
                         pads=[1, 1, 1, 1], group=96))
y4 = silu("c4", "depthwise")
nodes.append(h.make_node("Conv", [y4, "w5", "b5"], ["c5"], name="hs_gemm"))
nodes.append(h.make_node("HardSwish", ["c5"], ["y5"], name="hs_gemm_act"))
nodes.append(h.make_node("Conv", ["y5", "w6", "b6"], ["c6"],
                         name="hs_depthwise", pads=[1, 1, 1, 1], group=64))
nodes.append(h.make_node("HardSigmoid", ["c6"], ["g6"], name="hs_sigmoid",
                         alpha=1.0 / 6))
nodes.append(h.make_node("Mul", ["c6", "g6"], ["y6"], name="hs_mul"))
nodes.append(h.make_node("Conv", ["y6", "w7", "b7"], ["c7"], name="hs_grid",
                         pads=[1, 1, 1, 1]))
nodes.append(h.make_node("HardSwish", ["c7"], ["y"], name="hs_grid_act"))
# A squeeze-excite gate as torchvision's MobileNetV3 exports it: the
# HardSigmoid (PyTorch's alpha 1/6) after the second 1x1, whose scale and
# shift fold into the convolution and whose bounds become one graph.clip,
# the convolution's epilogue. (Its weights larger, so the gate saturates at
# both bounds as well as passing values between.)
nodes.append(h.make_node("GlobalAveragePool", ["y"], ["p8"], name="se_pool"))
nodes.append(h.make_node("Conv", ["p8", "w8", "b8"], ["c8"], name="se_fc1"))
nodes.append(h.make_node("Relu", ["c8"], ["r8"], name="se_relu"))
nodes.append(h.make_node("Conv", ["r8", "w9", "b9"], ["c9"], name="se_fc2"))
nodes.append(h.make_node("HardSigmoid", ["c9"], ["g"], name="se_gate",
                         alpha=1.0 / 6))
graph = h.make_graph(nodes, "activations",
                     [h.make_tensor_value_info("x", T.FLOAT, [1, 32, 20, 20])],
                     [h.make_tensor_value_info("y", T.FLOAT, [1, 64, 20, 20]),
                      h.make_tensor_value_info("g", T.FLOAT, [1, 64, 1, 1])],
                     inits)
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8  # What the pinned onnxruntime reads.
onnx.save(model, f"{out}/activations.onnx")
x = rng.standard_normal((1, 32, 20, 20)).astype(np.float32)
np.savez(f"{out}/inputs.npz", x=x)
y, g = ort.InferenceSession(f"{out}/activations.onnx",
                            providers=["CPUExecutionProvider"]).run(None,
                                                                    {"x": x})
np.save(f"{out}/expected.npy", y)
np.save(f"{out}/expected_g.npy", g)
# Both bounds and the values between them are exercised.
assert (g == 0).any() and (g == 1).any() and ((g > 0) & (g < 1)).any()
