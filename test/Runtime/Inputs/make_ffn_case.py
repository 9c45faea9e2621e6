# SPDX-License-Identifier: Apache-2.0
"""Transformer feed-forward blocks as PyTorch exports them (GELU in its erf
form: Div, Erf, Add, Mul, Mul): a post-norm one as BERT's,
LayerNormalization(x + (gelu(x @ w1 + b1) @ w2 + b2)) over [1, 128, 256]
with 1024 hidden features, and one without the normalization,
v + (gelu(v @ w3 + b3) @ w4 + b4) over [1, 64, 128] with 512, with
onnxruntime's outputs. Usage: make_ffn_case.py OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(13)


def param(name, *shape, scale=0.05, shift=0.0):
    return nh.from_array(
        (rng.standard_normal(shape) * scale + shift).astype(np.float32), name)


def scalar(name, value):
    return nh.from_array(np.array(value, np.float32), name)


inits = [param("w1", 256, 1024), param("b1", 1024), param("w2", 1024, 256),
         param("b2", 256), param("g", 256, shift=1.0), param("beta", 256),
         param("w3", 128, 512), param("b3", 512), param("w4", 512, 128),
         param("b4", 128), scalar("sqrt2", np.sqrt(2.0)), scalar("one", 1.0),
         scalar("half", 0.5)]


def gelu(x, y, tag):
    return [h.make_node("Div", [x, "sqrt2"], [f"{tag}_d"]),
            h.make_node("Erf", [f"{tag}_d"], [f"{tag}_e"]),
            h.make_node("Add", [f"{tag}_e", "one"], [f"{tag}_a"]),
            h.make_node("Mul", [x, f"{tag}_a"], [f"{tag}_m"]),
            h.make_node("Mul", [f"{tag}_m", "half"], [y])]


nodes = ([h.make_node("MatMul", ["x", "w1"], ["p1"], name="ffn_in"),
          h.make_node("Add", ["p1", "b1"], ["s1"])] + gelu("s1", "h1", "g1") +
         [h.make_node("MatMul", ["h1", "w2"], ["p2"], name="ffn_out"),
          h.make_node("Add", ["p2", "b2"], ["s2"]),
          h.make_node("Add", ["x", "s2"], ["t2"]),
          h.make_node("LayerNormalization", ["t2", "g", "beta"], ["y"],
                      axis=-1, epsilon=1e-12)] +
         [h.make_node("MatMul", ["v", "w3"], ["p3"], name="mlp_in"),
          h.make_node("Add", ["b3", "p3"], ["s3"])] + gelu("s3", "h3", "g3") +
         [h.make_node("MatMul", ["h3", "w4"], ["p4"], name="mlp_out"),
          h.make_node("Add", ["p4", "b4"], ["s4"]),
          h.make_node("Add", ["s4", "v"], ["z"])])
graph = h.make_graph(
    nodes, "ffn",
    [h.make_tensor_value_info("x", T.FLOAT, [1, 128, 256]),
     h.make_tensor_value_info("v", T.FLOAT, [1, 64, 128])],
    [h.make_tensor_value_info("y", T.FLOAT, [1, 128, 256]),
     h.make_tensor_value_info("z", T.FLOAT, [1, 64, 128])],
    initializer=inits)
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8  # What the pinned onnxruntime reads.
onnx.save(model, f"{out}/ffn.onnx")
feeds = {"x": rng.standard_normal([1, 128, 256]).astype(np.float32),
         "v": rng.standard_normal([1, 64, 128]).astype(np.float32)}
np.savez(f"{out}/inputs.npz", **feeds)
y, z = ort.InferenceSession(f"{out}/ffn.onnx",
                            providers=["CPUExecutionProvider"]).run(None, feeds)
np.savez(f"{out}/expected.npz", y=y, z=z)
