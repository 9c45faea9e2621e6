# SPDX-License-Identifier: Apache-2.0
"""Patch embeddings as PyTorch exports them (snpu-patchify.test): a ViT's
16x16 convolution at stride 16 over a 3x64x64 image, flattened and
transposed to 16 tokens of 96 (Conv, Reshape, Transpose 0,2,1), and an 8x8
one at stride 8 over two 1x32x32 images followed by a Relu. Usage:
make_patchify_case.py OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(9)
inits = [
    nh.from_array((rng.standard_normal([96, 3, 16, 16]) * 0.05).astype(np.float32), "w"),
    nh.from_array(rng.standard_normal([96]).astype(np.float32), "b"),
    nh.from_array(np.array([1, 96, 16], np.int64), "flat"),
    nh.from_array((rng.standard_normal([24, 1, 8, 8]) * 0.1).astype(np.float32), "w8"),
]
nodes = [
    h.make_node("Conv", ["x", "w", "b"], ["c"], name="patch_embed",
                kernel_shape=[16, 16], strides=[16, 16]),
    h.make_node("Reshape", ["c", "flat"], ["f"], name="flatten"),
    h.make_node("Transpose", ["f"], ["tokens"], perm=[0, 2, 1], name="tokens"),
    h.make_node("Conv", ["u", "w8"], ["c8"], name="patch8",
                kernel_shape=[8, 8], strides=[8, 8]),
    h.make_node("Relu", ["c8"], ["grid"], name="act"),
]
graph = h.make_graph(
    nodes, "patchify",
    [h.make_tensor_value_info("x", T.FLOAT, [1, 3, 64, 64]),
     h.make_tensor_value_info("u", T.FLOAT, [2, 1, 32, 32])],
    [h.make_tensor_value_info("tokens", T.FLOAT, [1, 16, 96]),
     h.make_tensor_value_info("grid", T.FLOAT, [2, 24, 4, 4])], inits)
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8  # What the pinned onnxruntime reads.
onnx.save(model, f"{out}/m.onnx")
feeds = {"x": rng.standard_normal([1, 3, 64, 64]).astype(np.float32),
         "u": rng.standard_normal([2, 1, 32, 32]).astype(np.float32)}
np.savez(f"{out}/in.npz", **feeds)
results = ort.InferenceSession(f"{out}/m.onnx",
                               providers=["CPUExecutionProvider"]).run(
                                   None, feeds)
np.savez(f"{out}/expected.npz", tokens=results[0], grid=results[1])
