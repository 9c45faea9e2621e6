# SPDX-License-Identifier: Apache-2.0
"""Concatenations whose operands are written in place (sinan-concat-views)
and slices that are runs of their operand (sinan-slice-views):
a DenseNet block (each layer reads the concatenation of every feature
before it; BN as Mul and Add, relu, 1x1, relu, 3x3), an Inception module's
branches concatenated and read by a 1x1, a concatenation returned as a
model output (the caller's memory: a copy) and one of a model input (a
copy); a ShuffleNet unit (the channels split in halves, a branch on the
second, the halves concatenated again). Writes concat.onnx, inputs.npz and onnxruntime's outputs as
expected.npz.
Usage: make_concat_views_case.py OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(23)
C0, G, H = 32, 16, 8
inits, nodes = [], []


def weight(name, shape, scale=0.2):
    inits.append(nh.from_array(
        (rng.standard_normal(shape) * scale).astype(np.float32), name))
    return name


def conv(x, c, f, k, name, relu=True):
    out_name = name + ("_c" if relu else "")
    nodes.append(h.make_node(
        "Conv", [x, weight(name + "_w", (f, c, k, k)), weight(name + "_b", f)],
        [out_name], name=name, pads=[k // 2] * 4))
    if relu:
        nodes.append(h.make_node("Relu", [out_name], [name], name=name + "_r"))
    return name


# The dense block.
x0 = conv("x", 8, C0, 3, "stem")
features, channels = [x0], C0
for i in range(1, 4):
    cat = f"cat{i}"
    nodes.append(h.make_node("Concat", list(features), [cat], name=cat, axis=1))
    scale = weight(f"bn{i}_s", (channels, 1, 1))
    shift = weight(f"bn{i}_t", (channels, 1, 1))
    nodes += [h.make_node("Mul", [cat, scale], [f"bn{i}_m"], name=f"bn{i}_m"),
              h.make_node("Add", [f"bn{i}_m", shift], [f"bn{i}_a"],
                          name=f"bn{i}_a"),
              h.make_node("Relu", [f"bn{i}_a"], [f"bn{i}"], name=f"bn{i}_r")]
    mid = conv(f"bn{i}", channels, 2 * G, 1, f"layer{i}_1x1")
    features.append(conv(mid, 2 * G, G, 3, f"layer{i}_3x3", relu=False))
    channels += G
nodes.append(h.make_node("Concat", list(features), ["block"], name="block",
                         axis=1))
conv("block", channels, 32, 1, "dense")

# An Inception module on the block's input.
b1 = conv("x", 8, 16, 1, "branch1")
b3 = conv("x", 8, 16, 3, "branch3")
nodes.append(h.make_node("MaxPool", ["x"], ["pool"], name="pool",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]))
bp = conv("pool", 8, 16, 1, "branchp")
nodes.append(h.make_node("Concat", [b1, b3, bp], ["branches"],
                         name="branches", axis=1))
conv("branches", 48, 16, 1, "incep")

# Concatenations that stay copies: into a model output, and of an input.
nodes.append(h.make_node("Concat", [b1, b3], ["cat_out"], name="cat_out",
                         axis=1))
nodes.append(h.make_node("Concat", ["x", x0], ["with_input"],
                         name="with_input", axis=1))
conv("with_input", 8 + C0, 16, 1, "mixed")

# A ShuffleNet unit on the stem's output.
nodes += [h.make_node("Slice", [x0, "lo_s", "lo_e", "axes"], ["lo"], name="lo"),
          h.make_node("Slice", [x0, "hi_s", "hi_e", "axes"], ["hi"], name="hi")]
for name, value in (("lo_s", 0), ("lo_e", C0 // 2), ("hi_s", C0 // 2),
                    ("hi_e", C0), ("axes", 1)):
    inits.append(nh.from_array(np.array([value], dtype=np.int64), name))
branch = conv("hi", C0 // 2, C0 // 2, 3, "branch")
nodes.append(h.make_node("Concat", ["lo", branch], ["unit"], name="unit",
                         axis=1))
conv("unit", C0, 16, 1, "shuffle")

graph = h.make_graph(
    nodes, "concat_views", [h.make_tensor_value_info("x", T.FLOAT, [1, 8, H, H])],
    [h.make_tensor_value_info(name, T.FLOAT, [1, f, H, H])
     for name, f in (("dense", 32), ("incep", 16), ("cat_out", 32),
                     ("mixed", 16), ("shuffle", 16))], inits)
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, f"{out}/concat.onnx")
feeds = {"x": rng.standard_normal((1, 8, H, H)).astype(np.float32)}
np.savez(f"{out}/inputs.npz", **feeds)
session = ort.InferenceSession(f"{out}/concat.onnx",
                               providers=["CPUExecutionProvider"])
names = [o.name for o in session.get_outputs()]
np.savez(f"{out}/expected.npz", **dict(zip(names, session.run(None, feeds))))
