# SPDX-License-Identifier: Apache-2.0
"""Local response normalizations as AlexNet's and GoogLeNet's exports carry
them (size 5, alpha 1e-4, beta 0.75, bias 1, after a relu) and one whose
window and scale weigh more (size 3, alpha 2, beta 0.5, bias 2, on 20
channels, signed input). Writes lrn.onnx, lrn_inputs.npz and
onnxruntime's outputs as lrn_expected.npz.
Usage: make_lrn_case.py OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h

out = sys.argv[1]
rng = np.random.default_rng(3)
nodes = [
    h.make_node("Relu", ["x"], ["r"]),
    h.make_node("LRN", ["r"], ["y"], name="norm1", size=5, alpha=1e-4,
                beta=0.75, bias=1.0),
    h.make_node("LRN", ["z"], ["w"], name="wide", size=3, alpha=2.0,
                beta=0.5, bias=2.0),
]
graph = h.make_graph(
    nodes, "lrn",
    [h.make_tensor_value_info("x", T.FLOAT, [1, 96, 27, 27]),
     h.make_tensor_value_info("z", T.FLOAT, [1, 20, 9, 11])],
    [h.make_tensor_value_info("y", T.FLOAT, [1, 96, 27, 27]),
     h.make_tensor_value_info("w", T.FLOAT, [1, 20, 9, 11])])
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, f"{out}/lrn.onnx")
feeds = {"x": (rng.standard_normal((1, 96, 27, 27)) * 20).astype(np.float32),
         "z": rng.standard_normal((1, 20, 9, 11)).astype(np.float32)}
np.savez(f"{out}/lrn_inputs.npz", **feeds)
session = ort.InferenceSession(f"{out}/lrn.onnx",
                               providers=["CPUExecutionProvider"])
y, w = session.run(None, feeds)
np.savez(f"{out}/lrn_expected.npz", y=y, w=w)
