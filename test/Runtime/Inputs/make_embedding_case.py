# SPDX-License-Identifier: Apache-2.0
"""Embedding lookups as PyTorch exports them: Gather of a [500, 96] table by
int64 ids [2, 48] (some negative), plus a position table; a Gather along
axis 1 of a [1, 300, 64] table by int32 indices; and a Gather along the
columns of a [4, 50] table, which no DMA row gather expresses; a Gather of
single elements (a [37] table by [5, 7] ids: rows of 4 bytes, so the cores
split them only in blocks whose stores cover whole DRAM granules) and one by
a scalar index. With
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
         param("table", 1, 300, 64), param("narrow", 4, 50),
         param("vec", 37), param("cube", 9, 3, 5)]
nodes = [
    h.make_node("Gather", ["word", "ids"], ["e"], name="word_gather"),
    h.make_node("Add", ["e", "position"], ["s"], name="embed_add"),
    h.make_node("Gather", ["table", "picks"], ["g"], name="axis1_gather",
                axis=1),
    h.make_node("Gather", ["narrow", "cols"], ["c"], name="column_gather",
                axis=1),
    h.make_node("Gather", ["vec", "elems"], ["v"], name="element_gather"),
    h.make_node("Gather", ["cube", "one"], ["o"], name="scalar_gather"),
]
graph = h.make_graph(
    nodes, "embedding",
    [h.make_tensor_value_info("ids", T.INT64, [2, 48]),
     h.make_tensor_value_info("picks", T.INT32, [40]),
     h.make_tensor_value_info("cols", T.INT64, [6]),
     h.make_tensor_value_info("elems", T.INT64, [5, 7]),
     h.make_tensor_value_info("one", T.INT64, [])],
    [h.make_tensor_value_info("s", T.FLOAT, [2, 48, 96]),
     h.make_tensor_value_info("g", T.FLOAT, [1, 40, 64]),
     h.make_tensor_value_info("c", T.FLOAT, [4, 6]),
     h.make_tensor_value_info("v", T.FLOAT, [5, 7]),
     h.make_tensor_value_info("o", T.FLOAT, [3, 5])],
    initializer=inits)
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8  # What the pinned onnxruntime reads.
onnx.save(model, f"{out}/embedding.onnx")
ids = rng.integers(-500, 500, [2, 48]).astype(np.int64)
ids[0, :4] = [0, 499, -1, -500]
picks = rng.integers(-300, 300, [40]).astype(np.int32)
cols = rng.integers(-50, 50, [6]).astype(np.int64)
feeds = {"ids": ids, "picks": picks, "cols": cols,
         "elems": rng.integers(-37, 37, [5, 7]).astype(np.int64),
         "one": np.array(-2, np.int64)}
session = ort.InferenceSession(f"{out}/embedding.onnx",
                               providers=["CPUExecutionProvider"])
s, g, c, v, o = session.run(None, feeds)
np.savez(f"{out}/inputs.npz", **feeds)
np.savez(f"{out}/expected.npz", s=s, g=g, c=c, v=v, o=o)
bad = ids.copy()
bad[1, 7] = 500
np.savez(f"{out}/bad.npz", **dict(feeds, ids=bad))
