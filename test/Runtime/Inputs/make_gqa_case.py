# SPDX-License-Identifier: Apache-2.0
"""ONNX Attention (opset 23) with grouped-query heads: 4 query heads over 2
key heads of 64 x 32 (no mask), and 8 over 2 of 96 x 32 with a causal mask
input. Writes NAME.onnx and NAME.npz for each. Usage: make_gqa_case.py OUT_DIR"""
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h

out = sys.argv[1]
rng = np.random.default_rng(0)
for name, q_heads, kv_heads, seq, depth, mask in [
        ("gqa", 4, 2, 64, 32, False), ("gqa_mask", 8, 2, 96, 32, True)]:
    inputs = [h.make_tensor_value_info("q", T.FLOAT, [1, q_heads, seq, depth]),
              h.make_tensor_value_info("k", T.FLOAT, [1, kv_heads, seq, depth]),
              h.make_tensor_value_info("v", T.FLOAT, [1, kv_heads, seq, depth])]
    feeds = {n: rng.standard_normal((1, heads, seq, depth)).astype(np.float32)
             for n, heads in (("q", q_heads), ("k", kv_heads), ("v", kv_heads))}
    names = ["q", "k", "v"]
    if mask:
        inputs.append(h.make_tensor_value_info("m", T.FLOAT, [1, 1, seq, seq]))
        names.append("m")
        feeds["m"] = np.triu(np.full((1, 1, seq, seq), -10000, np.float32), 1)
    graph = h.make_graph(
        [h.make_node("Attention", names, ["y"], name=name)], name, inputs,
        [h.make_tensor_value_info("y", T.FLOAT, [1, q_heads, seq, depth])])
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 23)])
    model.ir_version = 10
    onnx.save(model, f"{out}/{name}.onnx")
    np.savez(f"{out}/{name}.npz", **feeds)
