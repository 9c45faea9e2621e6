# SPDX-License-Identifier: Apache-2.0
"""Embedding lookups as PyTorch exports them: Gather of a [500, 96] table by
int64 ids [2, 48] (some negative), plus a position table; a Gather along
axis 1 of a [1, 300, 64] table by int32 indices; and a Gather along the
columns of a [4, 50] table, which no DMA row gather expresses. With
onnxruntime's outputs, and a second input set whose ids hold one past the
table. Usage: make_embedding_case.py OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(5)


def param(name, *shape):
    return nh.from_array(rng.standard_normal(shape).astype(np.float32), name)


inits = [param("word", 500, 96), param("position", 48, 96),
         param("table", 1, 300, 64), param("narrow", 4, 50)]
nodes = [
    h.make_node("Gather", ["word", "ids"], ["e"], name="word_gather"),
    h.make_node("Add", ["e", "position"], ["s"], name="embed_add"),
    h.make_node("Gather", ["table", "picks"], ["g"], name="axis1_gather",
                axis=1),
    h.make_node("Gather", ["narrow", "cols"], ["c"], name="column_gather",
                axis=1),
]
graph = h.make_graph(
    nodes, "embedding",
    [h.make_tensor_value_info("ids", T.INT64, [2, 48]),
     h.make_tensor_value_info("picks", T.INT32, [40]),
     h.make_tensor_value_info("cols", T.INT64, [6])],
    [h.make_tensor_value_info("s", T.FLOAT, [2, 48, 96]),
     h.make_tensor_value_info("g", T.FLOAT, [1, 40, 64]),
     h.make_tensor_value_info("c", T.FLOAT, [4, 6])],
    initializer=inits)
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8  # What the pinned onnxruntime reads.
onnx.save(model, f"{out}/embedding.onnx")
ids = rng.integers(-500, 500, [2, 48]).astype(np.int64)
ids[0, :4] = [0, 499, -1, -500]
picks = rng.integers(-300, 300, [40]).astype(np.int32)
cols = rng.integers(-50, 50, [6]).astype(np.int64)
session = ort.InferenceSession(f"{out}/embedding.onnx",
                               providers=["CPUExecutionProvider"])
s, g, c = session.run(None, {"ids": ids, "picks": picks, "cols": cols})
np.savez(f"{out}/inputs.npz", ids=ids, picks=picks, cols=cols)
np.savez(f"{out}/expected.npz", s=s, g=g, c=c)
bad = ids.copy()
bad[1, 7] = 500
np.savez(f"{out}/bad.npz", ids=bad, picks=picks, cols=cols)
