# SPDX-License-Identifier: Apache-2.0
"""Writes repeated.onnx for cpu-kernel-cache.test: three residual blocks of
identical shapes (conv 3x3 + bias + relu, then add), as a ResNet stage or a
ConvNeXt stage repeats them, with different weights, their outputs
concatenated; its input and onnxruntime's output."""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper

out = sys.argv[1]
rng = np.random.default_rng(3)
nodes, inits = [], []
x = "x"
for b in range(3):
    w = rng.standard_normal((8, 8, 3, 3)).astype(np.float32) * 0.2
    bias = rng.standard_normal(8).astype(np.float32) * 0.1
    inits += [numpy_helper.from_array(w, f"w{b}"),
              numpy_helper.from_array(bias, f"b{b}")]
    nodes += [h.make_node("Conv", [x, f"w{b}", f"b{b}"], [f"c{b}"],
                          name=f"conv{b}", pads=[1, 1, 1, 1]),
              h.make_node("Relu", [f"c{b}"], [f"r{b}"], name=f"relu{b}"),
              h.make_node("Add", [f"r{b}", x], [f"y{b}"], name=f"add{b}")]
    x = f"y{b}"
# Every block's output lives to the end, so each sits at its own offsets.
nodes.append(h.make_node("Concat", ["y0", "y1", "y2"], ["y"], name="out",
                         axis=1))
graph = h.make_graph(nodes, "repeated",
                     [h.make_tensor_value_info("x", T.FLOAT, [1, 8, 12, 12])],
                     [h.make_tensor_value_info("y", T.FLOAT, [1, 24, 12, 12])],
                     initializer=inits)
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8
onnx.save(model, f"{out}/repeated.onnx")
xv = rng.standard_normal((1, 8, 12, 12)).astype(np.float32)
np.savez(f"{out}/inputs.npz", x=xv)
session = ort.InferenceSession(f"{out}/repeated.onnx",
                               providers=["CPUExecutionProvider"])
np.savez(f"{out}/expected.npz", y=session.run(None, {"x": xv})[0])
