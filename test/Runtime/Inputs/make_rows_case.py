# SPDX-License-Identifier: Apache-2.0
"""Reductions and per-row broadcasts as networks export them: a
LayerNormalization over the last axis with a bias (one SNPU kernel), one
over the last two axes without (a scale of shape [6, 8]), one whose rows
(65,536 elements) do not fit the vector buffer (on the host, in pieces), a
squeeze-excite block (global average
pool, a 1x1 convolution, sigmoid, the channel scale times the input), a
ReduceSum over the last two axes and a Softmax over attention scores.
Writes the model, its inputs and onnxruntime's outputs. Usage:
make_rows_case.py OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(11)
d = 192
inits = [nh.from_array(rng.standard_normal(d).astype(np.float32), "gamma"),
         nh.from_array(rng.standard_normal(d).astype(np.float32), "beta"),
         nh.from_array((rng.standard_normal((96, 96, 1, 1)) * 0.1)
                       .astype(np.float32), "w"),
         nh.from_array(rng.standard_normal(96).astype(np.float32), "b"),
         nh.from_array(np.array([2, 3], np.int64), "axes"),
         nh.from_array(rng.standard_normal((6, 8)).astype(np.float32),
                       "gamma2"),
         nh.from_array(rng.standard_normal((64, 1024)).astype(np.float32),
                       "gamma3")]
nodes = [
    h.make_node("LayerNormalization", ["x", "gamma", "beta"], ["ln"],
                axis=-1, epsilon=1e-5, name="ln"),
    h.make_node("LayerNormalization", ["x2", "gamma2"], ["ln2"], axis=1,
                epsilon=1e-3, name="ln2"),
    h.make_node("LayerNormalization", ["x3", "gamma3"], ["ln3"], axis=1,
                name="lnbig"),
    h.make_node("GlobalAveragePool", ["img"], ["pool"], name="pool"),
    h.make_node("Conv", ["pool", "w", "b"], ["excite"], name="excite"),
    h.make_node("Sigmoid", ["excite"], ["gate"], name="gate"),
    h.make_node("Mul", ["img", "gate"], ["se"], name="scale"),
    h.make_node("ReduceSum", ["img", "axes"], ["sum"], keepdims=0,
                name="sum"),
    h.make_node("Softmax", ["scores"], ["probs"], axis=-1, name="probs"),
]
graph = h.make_graph(
    nodes, "rows",
    [h.make_tensor_value_info("x", T.FLOAT, [2, 100, d]),
     h.make_tensor_value_info("img", T.FLOAT, [1, 96, 14, 14]),
     h.make_tensor_value_info("scores", T.FLOAT, [1, 4, 32, 48]),
     h.make_tensor_value_info("x2", T.FLOAT, [4, 6, 8]),
     h.make_tensor_value_info("x3", T.FLOAT, [1, 64, 1024])],
    [h.make_tensor_value_info("ln", T.FLOAT, [2, 100, d]),
     h.make_tensor_value_info("ln2", T.FLOAT, [4, 6, 8]),
     h.make_tensor_value_info("ln3", T.FLOAT, [1, 64, 1024]),
     h.make_tensor_value_info("se", T.FLOAT, [1, 96, 14, 14]),
     h.make_tensor_value_info("sum", T.FLOAT, [1, 96]),
     h.make_tensor_value_info("probs", T.FLOAT, [1, 4, 32, 48])],
    initializer=inits)
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, f"{out}/rows.onnx")
feeds = {"x": (rng.standard_normal((2, 100, d)) * 3 + 1).astype(np.float32),
         "img": rng.standard_normal((1, 96, 14, 14)).astype(np.float32),
         "scores": (rng.standard_normal((1, 4, 32, 48)) * 4)
         .astype(np.float32),
         "x2": (rng.standard_normal((4, 6, 8)) * 2 - 1).astype(np.float32),
         "x3": rng.standard_normal((1, 64, 1024)).astype(np.float32)}
np.savez(f"{out}/inputs.npz", **feeds)
names = ["ln", "ln2", "ln3", "se", "sum", "probs"]
np.savez(f"{out}/expected.npz",
         **dict(zip(names, ort.InferenceSession(f"{out}/rows.onnx")
                    .run(names, feeds))))
