# SPDX-License-Identifier: Apache-2.0
"""1x1 convolutions over 7x7 images as MobileNetV2's last blocks export
them: a 96 -> 320 expansion with relu, then two 1x1s of its bf16 output,
320 -> 1280 with relu (the head) and 320 -> 160 plus a residual. Writes
resident.onnx, resident_inputs.npz and onnxruntime's outputs as
resident_expected.npz.
Usage: make_resident_input_case.py OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(11)
C, M, F, P, H = 96, 320, 1280, 160, 7


def const(name, *shape, scale=1.0):
    return nh.from_array(
        (rng.standard_normal(shape) * scale).astype(np.float32), name)


inits = [const("w1", M, C, 1, 1, scale=C ** -0.5), const("b1", M),
         const("w2", F, M, 1, 1, scale=M ** -0.5), const("b2", F),
         const("w3", P, M, 1, 1, scale=M ** -0.5), const("b3", P)]
nodes = [
    h.make_node("Conv", ["x", "w1", "b1"], ["e"], name="expand"),
    h.make_node("Relu", ["e"], ["a"]),
    h.make_node("Conv", ["a", "w2", "b2"], ["f"], name="head"),
    h.make_node("Relu", ["f"], ["y"]),
    h.make_node("Conv", ["a", "w3", "b3"], ["p"], name="project"),
    h.make_node("Add", ["p", "r"], ["z"], name="residual"),
]
graph = h.make_graph(
    nodes, "resident_input",
    [h.make_tensor_value_info("x", T.FLOAT, [1, C, H, H]),
     h.make_tensor_value_info("r", T.FLOAT, [1, P, H, H])],
    [h.make_tensor_value_info("y", T.FLOAT, [1, F, H, H]),
     h.make_tensor_value_info("z", T.FLOAT, [1, P, H, H])], inits)
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, f"{out}/resident.onnx")
feeds = {"x": rng.standard_normal((1, C, H, H)).astype(np.float32),
         "r": rng.standard_normal((1, P, H, H)).astype(np.float32)}
np.savez(f"{out}/resident_inputs.npz", **feeds)
session = ort.InferenceSession(f"{out}/resident.onnx",
                               providers=["CPUExecutionProvider"])
y, z = session.run(None, feeds)
np.savez(f"{out}/resident_expected.npz", y=y, z=z)
