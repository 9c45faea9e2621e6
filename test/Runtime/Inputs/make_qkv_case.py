# SPDX-License-Identifier: Apache-2.0
"""Self-attention whose queries, keys and values one product makes, as
PyTorch's exporter writes BERT's and torchvision's blocks:
  bert: x [1, 128, 256] @ W [256, 768] + b, split into Q, K and V (Slice),
        each four heads of 64 (Reshape, Transpose; the keys 0,2,3,1),
        scores divided by 8 (a power of two), a padding mask row
        [1, 1, 1, 128] added, Softmax, times the values, heads merged back;
        the block's residual reads x too (post-norm BERT: x is no product's
        alone);
  vit:  x [1, 197, 192] @ W [192, 576] + b, torchvision's three heads of 64
        over 197 tokens (a partial block of query rows), no mask.
Writes qkv.onnx, qkv_inputs.npz and onnxruntime's outputs as
qkv_expected.npz. Usage: make_qkv_case.py OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(17)
inits = []
nodes = []


def const(name, values):
    inits.append(nh.from_array(np.asarray(values), name))
    return name


def weight(name, *shape, scale):
    return const(name, (rng.standard_normal(shape) * scale).astype(np.float32))


def node(op, inputs, output, **attrs):
    nodes.append(h.make_node(op, inputs, [output], name=output, **attrs))
    return output


def block(prefix, tokens, model, heads, mask):
    depth = model // heads
    qkv = node("Add", [node("MatMul", [f"{prefix}x",
                                        weight(f"{prefix}w", model, 3 * model,
                                               scale=model ** -0.5)],
                            f"{prefix}p"),
                       weight(f"{prefix}b", 3 * model, scale=0.1)],
               f"{prefix}qkv")
    split = const(f"{prefix}heads", np.array([1, tokens, heads, depth],
                                             np.int64))
    parts = []
    for i, name in enumerate("qkv"):
        part = node("Slice", [qkv,
                              const(f"{prefix}{name}0",
                                    np.array([i * model], np.int64)),
                              const(f"{prefix}{name}1",
                                    np.array([(i + 1) * model], np.int64)),
                              const(f"{prefix}{name}a",
                                    np.array([2], np.int64))],
                    f"{prefix}{name}s")
        perm = [0, 2, 3, 1] if name == "k" else [0, 2, 1, 3]
        parts.append(node("Transpose",
                          [node("Reshape", [part, split], f"{prefix}{name}4")],
                          f"{prefix}{name}t", perm=perm))
    q, k, v = parts
    scores = node("Div", [node("MatMul", [q, k], f"{prefix}s"),
                          const(f"{prefix}root", np.float32(depth ** 0.5))],
                  f"{prefix}sd")
    if mask:
        scores = node("Add", [scores, f"{prefix}mask"], f"{prefix}sm")
    p = node("Softmax", [scores], f"{prefix}pr", axis=-1)
    o = node("Transpose", [node("MatMul", [p, v], f"{prefix}o")],
             f"{prefix}ot", perm=[0, 2, 1, 3])
    merged = const(f"{prefix}merged", np.array([1, tokens, model], np.int64))
    return node("Reshape", [o, merged], f"{prefix}a")


bert = block("b", 128, 256, 4, mask=True)
# The residual: x read beside the product (post-norm BERT).
node("Add", [bert, "bx"], "bert")
node("Identity", [block("v", 197, 192, 3, mask=False)], "vit")

inputs = {"bx": [1, 128, 256], "bmask": [1, 1, 1, 128], "vx": [1, 197, 192]}
outputs = {"bert": [1, 128, 256], "vit": [1, 197, 192]}
graph = h.make_graph(
    nodes, "qkv",
    [h.make_tensor_value_info(n, T.FLOAT, s) for n, s in inputs.items()],
    [h.make_tensor_value_info(n, T.FLOAT, s) for n, s in outputs.items()],
    inits)
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, f"{out}/qkv.onnx")
feeds = {n: rng.standard_normal(s).astype(np.float32)
         for n, s in inputs.items()}
feeds["bmask"] = np.where(np.arange(128) < 100, 0.0, -10000.0).astype(
    np.float32).reshape(1, 1, 1, 128)
np.savez(f"{out}/qkv_inputs.npz", **feeds)
session = ort.InferenceSession(f"{out}/qkv.onnx",
                               providers=["CPUExecutionProvider"])
results = session.run(None, feeds)
np.savez(f"{out}/qkv_expected.npz",
         **{n: r for n, r in zip(outputs, results)})
