# SPDX-License-Identifier: Apache-2.0
"""Batched products whose results are not whole granules (snpu-window-scores.test):
Swin-T's window attention scores, q [64, 3, 49, 32] @ k^T [64, 3, 32, 49]
(49 x 49 f32 results), a batch of 20 such products (one unit of 16 and four
more), and one of 10 (less than a unit). Usage: make_window_scores_case.py
OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h

out = sys.argv[1]
rng = np.random.default_rng(7)
cases = {"a": [64, 3], "b": [1, 20], "c": [2, 5]}
nodes, inputs, outputs, feeds = [], [], [], {}
for key, batch in cases.items():
    nodes.append(h.make_node("MatMul", ["q" + key, "k" + key], ["s" + key],
                             name="scores_" + key))
    inputs += [h.make_tensor_value_info("q" + key, T.FLOAT, batch + [49, 32]),
               h.make_tensor_value_info("k" + key, T.FLOAT, batch + [32, 49])]
    outputs.append(h.make_tensor_value_info("s" + key, T.FLOAT, None))
    feeds["q" + key] = rng.standard_normal(batch + [49, 32]).astype(np.float32)
    feeds["k" + key] = rng.standard_normal(batch + [32, 49]).astype(np.float32)
model = h.make_model(h.make_graph(nodes, "scores", inputs, outputs),
                     opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8  # What the pinned onnxruntime reads.
onnx.save(model, f"{out}/m.onnx")
np.savez(f"{out}/in.npz", **feeds)
results = ort.InferenceSession(f"{out}/m.onnx",
                               providers=["CPUExecutionProvider"]).run(
                                   None, feeds)
np.savez(f"{out}/expected.npz",
         **{"s" + key: r for key, r in zip(cases, results)})
