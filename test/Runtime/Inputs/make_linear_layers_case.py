# SPDX-License-Identifier: Apache-2.0
"""Two Linear layers of one shape with different weights, each with its
bias and relu (relu(x @ w1 + b1), then relu(. @ w2 + b2)) on [64, 256] rows, a classifier's single row
([1, 512] @ [512, 1000] + b3) and a projection back into a residual stream
((x @ w4 + b4) + x, one kernel: the bias row, then the residual), with
onnxruntime's outputs: the SNPU packs each layer's weights into its own
kernel. Usage:
make_linear_layers_case.py OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(5)


def param(name, *shape, scale=0.06):
    return nh.from_array((rng.standard_normal(shape) * scale).astype(np.float32),
                         name)


inits = [param("w1", 256, 256), param("b1", 256), param("w2", 256, 256),
         param("b2", 256), param("w3", 512, 1000), param("b3", 1000),
         param("w4", 256, 256), param("b4", 256)]
nodes = [
    h.make_node("MatMul", ["x", "w1"], ["p1"], name="fc1"),
    h.make_node("Add", ["p1", "b1"], ["s1"], name="fc1_bias"),
    h.make_node("Relu", ["s1"], ["r1"], name="act"),
    h.make_node("MatMul", ["r1", "w2"], ["p2"], name="fc2"),
    h.make_node("Add", ["p2", "b2"], ["s2"], name="fc2_bias"),
    h.make_node("Relu", ["s2"], ["y"], name="act2"),
    h.make_node("MatMul", ["v", "w3"], ["p3"], name="head"),
    h.make_node("Add", ["p3", "b3"], ["z"], name="head_bias"),
    h.make_node("MatMul", ["x", "w4"], ["p4"], name="proj"),
    h.make_node("Add", ["b4", "p4"], ["s4"], name="proj_bias"),
    h.make_node("Add", ["s4", "x"], ["u"], name="proj_residual"),
]
graph = h.make_graph(
    nodes, "linear",
    [h.make_tensor_value_info("x", T.FLOAT, [64, 256]),
     h.make_tensor_value_info("v", T.FLOAT, [1, 512])],
    [h.make_tensor_value_info("y", T.FLOAT, [64, 256]),
     h.make_tensor_value_info("z", T.FLOAT, [1, 1000]),
     h.make_tensor_value_info("u", T.FLOAT, [64, 256])],
    initializer=inits)
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8  # What the pinned onnxruntime reads.
onnx.save(model, f"{out}/linear.onnx")
x = rng.standard_normal([64, 256]).astype(np.float32)
v = rng.standard_normal([1, 512]).astype(np.float32)
session = ort.InferenceSession(f"{out}/linear.onnx",
                               providers=["CPUExecutionProvider"])
y, z, u = session.run(None, {"x": x, "v": v})
np.savez(f"{out}/inputs.npz", x=x, v=v)
np.save(f"{out}/y.npy", y)
np.save(f"{out}/z.npy", z)
np.save(f"{out}/u.npy", u)
