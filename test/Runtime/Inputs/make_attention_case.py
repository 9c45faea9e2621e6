# SPDX-License-Identifier: Apache-2.0
"""Attention as PyTorch's exporter writes it, three ways, with
onnxruntime's outputs:
  bert: [1, 64, 128] projections split into 4 heads of 32 (Reshape,
        Transpose 0,2,1,3; the keys Transpose 0,2,3,1), scores divided by
        sqrt(32) (not a power of two), a padding mask row [1, 1, 1, 64]
        added, Softmax, times the values, heads merged back;
  vit:  torchvision's multi-head attention on [3, 37, 16] (3 heads of 37
        tokens: a partial block of query rows), the queries divided by 4
        before the product, no mask;
  gpt:  [1, 2, 48, 24] heads with a causal mask [1, 1, 48, 48] added after
        multiplying the scores by 0.25;
  gpt2: the same with 0.5 (a kernel of its own: the scale is compiled in);
  swin: 8 windows of 3 heads of 49 tokens with a relative position bias.
Usage: make_attention_case.py OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(5)
const = []


def scalar(name, value):
    const.append(nh.from_array(np.array(value, np.float32), name))
    return name


def shape(name, dims):
    const.append(nh.from_array(np.array(dims, np.int64), name))
    return name


nodes = []


def node(op, inputs, output, **attrs):
    nodes.append(h.make_node(op, inputs, [output], name=output, **attrs))
    return output


# bert
heads = shape("heads", [1, 64, 4, 32])
merged = shape("merged", [1, 64, 128])
q = node("Transpose", [node("Reshape", ["bq", heads], "bq4")], "bqt",
         perm=[0, 2, 1, 3])
k = node("Transpose", [node("Reshape", ["bk", heads], "bk4")], "bkt",
         perm=[0, 2, 3, 1])
v = node("Transpose", [node("Reshape", ["bv", heads], "bv4")], "bvt",
         perm=[0, 2, 1, 3])
s = node("Div", [node("MatMul", [q, k], "bs"), scalar("root32", 32 ** 0.5)],
         "bsd")
p = node("Softmax", [node("Add", [s, "bmask"], "bsm")], "bp", axis=-1)
o = node("Transpose", [node("MatMul", [p, v], "bo")], "bot",
         perm=[0, 2, 1, 3])
node("Reshape", [o, merged], "bert")

# vit
q = node("Div", ["vq", scalar("four", 4.0)], "vqs")
k = node("Transpose", ["vk"], "vkt", perm=[0, 2, 1])
p = node("Softmax", [node("MatMul", [q, k], "vs")], "vp", axis=-1)
node("MatMul", [p, "vv"], "vit")

# gpt
k = node("Transpose", ["gk"], "gkt", perm=[0, 1, 3, 2])
s = node("Mul", [node("MatMul", ["gq", k], "gs"), scalar("quarter", 0.25)],
         "gss")
p = node("Softmax", [node("Add", [s, "causal"], "gsm")], "gp", axis=-1)
node("MatMul", [p, "gv"], "gpt")
const.append(nh.from_array(
    np.triu(np.full((1, 1, 48, 48), -10000, np.float32), 1), "causal"))

# gpt2: gpt's shapes and mask with another scale (a kernel of its own),
# on other inputs (the same product would be one value after CSE, read by
# two chains, fused into neither).
k = node("Transpose", ["gk"], "gkt2", perm=[0, 1, 3, 2])
s = node("Mul", [node("MatMul", ["gv", k], "gs2"), scalar("half", 0.5)],
         "gss2")
p = node("Softmax", [node("Add", [s, "causal"], "gsm2")], "gp2", axis=-1)
node("MatMul", [p, "gq"], "gpt2")

# swin: windows of 49 tokens, 8 windows of 3 heads of 32 (a batch of
# windows with few heads: the cores take whole windows), the queries scaled
# by 1/sqrt(32) before the product, a relative position bias [1, 3, 49, 49]
# added to the scores.
q = node("Mul", ["sq", scalar("rsqrt32", float(np.float32(32 ** -0.5)))],
         "sqs")
k = node("Transpose", ["sk"], "skt", perm=[0, 1, 3, 2])
s = node("Add", [node("MatMul", [q, k], "ss"), "relbias"], "ssb")
node("MatMul", [node("Softmax", [s], "sp", axis=-1), "sv"], "swin")
const.append(nh.from_array(
    rng.standard_normal([1, 3, 49, 49]).astype(np.float32), "relbias"))

inputs = {
    "bq": rng.standard_normal([1, 64, 128]),
    "bk": rng.standard_normal([1, 64, 128]),
    "bv": rng.standard_normal([1, 64, 128]),
    "bmask": np.where(np.arange(64) < 50, 0, -10000).reshape(1, 1, 1, 64),
    "vq": rng.standard_normal([3, 37, 16]) * 2,
    "vk": rng.standard_normal([3, 37, 16]),
    "vv": rng.standard_normal([3, 37, 16]),
    "gq": rng.standard_normal([1, 2, 48, 24]),
    "gk": rng.standard_normal([1, 2, 48, 24]),
    "gv": rng.standard_normal([1, 2, 48, 24]),
    "sq": rng.standard_normal([8, 3, 49, 32]),
    "sk": rng.standard_normal([8, 3, 49, 32]),
    "sv": rng.standard_normal([8, 3, 49, 32]),
}
inputs = {name: value.astype(np.float32) for name, value in inputs.items()}
outputs = {"bert": [1, 64, 128], "vit": [3, 37, 16], "gpt": [1, 2, 48, 24],
           "gpt2": [1, 2, 48, 24], "swin": [8, 3, 49, 32]}
graph = h.make_graph(
    nodes, "attention",
    [h.make_tensor_value_info(name, T.FLOAT, value.shape)
     for name, value in inputs.items()],
    [h.make_tensor_value_info(name, T.FLOAT, dims)
     for name, dims in outputs.items()],
    initializer=const)
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8  # What the pinned onnxruntime reads.
onnx.checker.check_model(model)
onnx.save(model, f"{out}/model.onnx")
results = ort.InferenceSession(f"{out}/model.onnx",
                               providers=["CPUExecutionProvider"]).run(
                                   list(outputs), inputs)
np.savez(f"{out}/inputs.npz", **inputs)
np.savez(f"{out}/expected.npz", **dict(zip(outputs, results)))
