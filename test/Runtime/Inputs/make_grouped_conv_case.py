# SPDX-License-Identifier: Apache-2.0
"""Grouped 3x3 convolutions of 16 channels a group, as RegNetX exports them:
25 groups at stride 2 from 14x14 to 7x7, then 25 over 7x7, each with its
bias and a relu (the first's bf16 result fills a granule every two groups;
the second's f32 one every group). Writes grouped.onnx, grouped_inputs.npz
and onnxruntime's output as grouped_expected.npz.
Usage: make_grouped_conv_case.py OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(13)
C, G = 400, 25


def const(name, *shape, scale=1.0):
    return nh.from_array(
        (rng.standard_normal(shape) * scale).astype(np.float32), name)


inits = [const("w1", C, C // G, 3, 3, scale=(9 * C // G) ** -0.5),
         const("b1", C),
         const("w2", C, C // G, 3, 3, scale=(9 * C // G) ** -0.5),
         const("b2", C)]
nodes = [
    h.make_node("Conv", ["z", "w2", "b2"], ["d"], name="down", group=G,
                pads=[1, 1, 1, 1], strides=[2, 2]),
    h.make_node("Relu", ["d"], ["x"]),
    h.make_node("Conv", ["x", "w1", "b1"], ["c"], name="same", group=G,
                pads=[1, 1, 1, 1]),
    h.make_node("Relu", ["c"], ["y"]),
]
graph = h.make_graph(
    nodes, "grouped",
    [h.make_tensor_value_info("z", T.FLOAT, [1, C, 14, 14])],
    [h.make_tensor_value_info("y", T.FLOAT, [1, C, 7, 7])], inits)
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, f"{out}/grouped.onnx")
feeds = {"z": rng.standard_normal((1, C, 14, 14)).astype(np.float32)}
np.savez(f"{out}/grouped_inputs.npz", **feeds)
session = ort.InferenceSession(f"{out}/grouped.onnx",
                               providers=["CPUExecutionProvider"])
(y,) = session.run(None, feeds)
np.savez(f"{out}/grouped_expected.npz", y=y)
