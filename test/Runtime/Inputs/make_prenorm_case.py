# SPDX-License-Identifier: Apache-2.0
"""Pre-norm transformer products as PyTorch exports them: LayerNormalization
then MatMul + Add (a GPT block's QKV projection, 256 -> 768 features):
y = LN(x) @ w1 + b1 and z = LN(u) @ w2 + b2 over 128 tokens (the same shapes,
different weights), t = LN(v) @ w3 + b3 over 16, and a pre-norm
feed-forward block f = r + gelu(LN(r) @ w1 + b1) @ w2 + b2 over 128, with
onnxruntime's outputs. Usage: make_prenorm_case.py OUT_DIR"""
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


def ffn(x, y, rows, tag):
    """x + gelu(LN(x) @ w1 + b1) @ w2 + b2, GELU in its erf form."""
    for name, value in (("sqrt2", np.sqrt(2.0)), ("one", 1.0), ("half", 0.5)):
        if not any(i.name == name for i in inits):
            inits.append(nh.from_array(np.array(value, np.float32), name))
    n, h1 = f"n{tag}", f"h{tag}"
    nodes.extend([
        h.make_node("LayerNormalization",
                    [x, param(f"g{tag}", 256, shift=1.0), param(f"be{tag}", 256)],
                    [n], axis=-1, epsilon=1e-5),
        h.make_node("MatMul", [n, param(f"w{tag}1", 256, 1024)], [f"p{tag}1"],
                    name=f"ffn_in_{tag}"),
        h.make_node("Add", [f"p{tag}1", param(f"b{tag}1", 1024)], [f"s{tag}"]),
        h.make_node("Div", [f"s{tag}", "sqrt2"], [f"d{tag}"]),
        h.make_node("Erf", [f"d{tag}"], [f"e{tag}"]),
        h.make_node("Add", [f"e{tag}", "one"], [f"a{tag}"]),
        h.make_node("Mul", [f"s{tag}", f"a{tag}"], [f"m{tag}"]),
        h.make_node("Mul", [f"m{tag}", "half"], [h1]),
        h.make_node("MatMul", [h1, param(f"w{tag}2", 1024, 256)], [f"p{tag}2"],
                    name=f"ffn_out_{tag}"),
        h.make_node("Add", [f"p{tag}2", param(f"b{tag}2", 256)], [f"q{tag}"]),
        h.make_node("Add", [x, f"q{tag}"], [y])])
    ins.append(h.make_tensor_value_info(x, T.FLOAT, [1, rows, 256]))
    outs.append(h.make_tensor_value_info(y, T.FLOAT, [1, rows, 256]))
    inputs[x] = rng.standard_normal((1, rows, 256)).astype(np.float32)


block("x", "y", 128, "a")
block("u", "z", 128, "b")
block("v", "t", 16, "c")
ffn("r", "f", 128, "d")
model = h.make_model(h.make_graph(nodes, "prenorm", ins, outs, inits),
                     opset_imports=[h.make_opsetid("", 17)], ir_version=8)
onnx.checker.check_model(model)
onnx.save(model, f"{out}/prenorm.onnx")
np.savez(f"{out}/inputs.npz", **inputs)
session = ort.InferenceSession(f"{out}/prenorm.onnx",
                               providers=["CPUExecutionProvider"])
np.savez(f"{out}/expected.npz",
         **dict(zip(["y", "z", "t", "f"], session.run(None, inputs))))
