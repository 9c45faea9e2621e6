# SPDX-License-Identifier: Apache-2.0
"""Writes a Conv+Relu+Add model, its inputs and onnxruntime's outputs."""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
rng = np.random.default_rng(0)
w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
b = rng.standard_normal((1, 4, 1, 1)).astype(np.float32)
graph = helper.make_graph(
    [helper.make_node("Conv", ["x", "w"], ["c"], name="conv"),
     helper.make_node("Relu", ["c"], ["r"], name="relu"),
     helper.make_node("Add", ["r", "b"], ["y"], name="bias")],
    "case",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 6, 6])],
    initializer=[numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
onnx.save(model, f"{out}/model.onnx")
x = rng.standard_normal((1, 3, 8, 8)).astype(np.float32)
y = ort.InferenceSession(model.SerializeToString(),
                         providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
np.save(f"{out}/x.npy", x)
np.save(f"{out}/y.npy", y)
np.save(f"{out}/wrong.npy", y + 1)
np.savez(f"{out}/inputs.npz", x=x)
np.savez(f"{out}/expected.npz", y=y)
np.savez_compressed(f"{out}/compressed.npz", x=x)
