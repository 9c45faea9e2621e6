# SPDX-License-Identifier: Apache-2.0
"""A CNN classifier's last layer, one row through a wide Linear
([1, 2048] @ [2048, 1000] + b, as ResNet-50's fc), and a narrower one with
a K of several blocks and a relu ([1, 1280] @ [1280, 520] + b), with
onnxruntime's outputs. Usage: make_classifier_case.py OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(11)


def param(name, *shape, scale=0.03):
    return nh.from_array((rng.standard_normal(shape) * scale).astype(np.float32),
                         name)


inits = [param("w1", 2048, 1000), param("b1", 1000), param("w2", 1280, 520),
         param("b2", 520)]
nodes = [
    h.make_node("Gemm", ["x", "w1", "b1"], ["y"], name="fc"),
    h.make_node("MatMul", ["v", "w2"], ["p2"], name="head"),
    h.make_node("Add", ["p2", "b2"], ["s2"], name="head_bias"),
    h.make_node("Relu", ["s2"], ["z"], name="head_relu"),
]
graph = h.make_graph(
    nodes, "classifier",
    [h.make_tensor_value_info("x", T.FLOAT, [1, 2048]),
     h.make_tensor_value_info("v", T.FLOAT, [1, 1280])],
    [h.make_tensor_value_info("y", T.FLOAT, [1, 1000]),
     h.make_tensor_value_info("z", T.FLOAT, [1, 520])],
    initializer=inits)
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8  # What the pinned onnxruntime reads.
onnx.save(model, f"{out}/classifier.onnx")
x = rng.standard_normal([1, 2048]).astype(np.float32)
v = rng.standard_normal([1, 1280]).astype(np.float32)
session = ort.InferenceSession(f"{out}/classifier.onnx",
                               providers=["CPUExecutionProvider"])
y, z = session.run(None, {"x": x, "v": v})
np.savez(f"{out}/inputs.npz", x=x, v=v)
np.save(f"{out}/y.npy", y)
np.save(f"{out}/z.npy", z)
