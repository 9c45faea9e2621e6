# SPDX-License-Identifier: Apache-2.0
"""Pre-norm transformer products as PyTorch exports them: LayerNormalization
then MatMul + Add (a GPT block's QKV projection, 256 -> 768 features):
y = LN(x) @ w1 + b1 and z = LN(u) @ w2 + b2 over 128 tokens (the same shapes,
different weights), and t = LN(v) @ w3 + b3 over 16, with onnxruntime's
outputs. Usage: make_prenorm_case.py OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(17)
inits, nodes, ins, outs, inputs = [], [], [], [], {}


def param(name, *shape, scale=0.05, shift=0.0):
    inits.append(nh.from_array(
        (rng.standard_normal(shape) * scale + shift).astype(np.float32), name))
    return name


def block(x, y, rows, tag):
    nodes.extend([
        h.make_node("LayerNormalization",
                    [x, param(f"g{tag}", 256, shift=1.0), param(f"be{tag}", 256)],
                    [f"n{tag}"], axis=-1, epsilon=1e-5),
        h.make_node("MatMul", [f"n{tag}", param(f"w{tag}", 256, 768)],
                    [f"p{tag}"], name=f"qkv_{tag}"),
        h.make_node("Add", [f"p{tag}", param(f"b{tag}", 768)], [y])])
    ins.append(h.make_tensor_value_info(x, T.FLOAT, [1, rows, 256]))
    outs.append(h.make_tensor_value_info(y, T.FLOAT, [1, rows, 768]))
    inputs[x] = (rng.standard_normal((1, rows, 256)) * 2 + 0.5).astype(
        np.float32)


block("x", "y", 128, "a")
block("u", "z", 128, "b")
block("v", "t", 16, "c")
model = h.make_model(h.make_graph(nodes, "prenorm", ins, outs, inits),
                     opset_imports=[h.make_opsetid("", 17)], ir_version=8)
onnx.checker.check_model(model)
onnx.save(model, f"{out}/prenorm.onnx")
np.savez(f"{out}/inputs.npz", **inputs)
session = ort.InferenceSession(f"{out}/prenorm.onnx",
                               providers=["CPUExecutionProvider"])
np.savez(f"{out}/expected.npz",
         **dict(zip(["y", "z", "t"], session.run(None, inputs))))
