# SPDX-License-Identifier: Apache-2.0
"""A post-norm transformer's projections back into the residual stream,
LayerNormalization((x @ w + b) + r) over [1, 128, 256] (as BERT's attention
output is exported), and the same from 1024 features (as its FFN's) with a
LayerNorm without bias, with onnxruntime's outputs. Usage:
make_post_norm_case.py OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(11)


def param(name, *shape, scale=0.06, shift=0.0):
    return nh.from_array(
        (rng.standard_normal(shape) * scale + shift).astype(np.float32), name)


inits = [param("w", 256, 256), param("b", 256), param("g", 256, shift=1.0),
         param("beta", 256), param("w2", 1024, 256), param("b2", 256),
         param("g2", 256, shift=1.0)]
nodes = [
    h.make_node("MatMul", ["x", "w"], ["p"], name="proj"),
    h.make_node("Add", ["p", "b"], ["s"], name="proj_bias"),
    h.make_node("Add", ["s", "r"], ["t"], name="residual"),
    h.make_node("LayerNormalization", ["t", "g", "beta"], ["y"], axis=-1,
                epsilon=1e-12, name="norm"),
    h.make_node("MatMul", ["x2", "w2"], ["p2"], name="proj2"),
    h.make_node("Add", ["b2", "p2"], ["s2"], name="proj2_bias"),
    h.make_node("Add", ["r2", "s2"], ["t2"], name="residual2"),
    h.make_node("LayerNormalization", ["t2", "g2"], ["z"], axis=2,
                epsilon=1e-5, name="norm2"),
]
graph = h.make_graph(
    nodes, "post_norm",
    [h.make_tensor_value_info("x", T.FLOAT, [1, 128, 256]),
     h.make_tensor_value_info("r", T.FLOAT, [1, 128, 256]),
     h.make_tensor_value_info("x2", T.FLOAT, [1, 128, 1024]),
     h.make_tensor_value_info("r2", T.FLOAT, [1, 128, 256])],
    [h.make_tensor_value_info("y", T.FLOAT, [1, 128, 256]),
     h.make_tensor_value_info("z", T.FLOAT, [1, 128, 256])],
    initializer=inits)
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8  # What the pinned onnxruntime reads.
onnx.save(model, f"{out}/post_norm.onnx")
feeds = {"x": rng.standard_normal([1, 128, 256]).astype(np.float32),
         "r": rng.standard_normal([1, 128, 256]).astype(np.float32),
         "x2": rng.standard_normal([1, 128, 1024]).astype(np.float32),
         "r2": rng.standard_normal([1, 128, 256]).astype(np.float32)}
session = ort.InferenceSession(f"{out}/post_norm.onnx",
                               providers=["CPUExecutionProvider"])
y, z = session.run(None, feeds)
np.savez(f"{out}/inputs.npz", **feeds)
np.savez(f"{out}/expected.npz", y=y, z=z)
