# SPDX-License-Identifier: Apache-2.0
"""A 1x1 convolution, then a ResNet bottleneck on its result as PyTorch
exports it (1x1 reduce, 3x3, 1x1 expand, the block's input added back,
relu; a 1x1 stride-2 downsample after it),
two Linear layers, and an RGB stem (7x7 stride 2) on an input of its own
with a 3x3/2 max pooling and a 1x1 convolution after it, with
onnxruntime's outputs: between the matrix-unit
kernels the activations stay in DRAM as bf16 (the 1x1 expand takes its
residual as bf16 too). Usage: make_bf16_activations_case.py OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(11)


def param(name, *shape):
    fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 16
    return nh.from_array(
        (rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32), name)


inits = [param("w0", 256, 256, 1, 1), param("b0", 256),
         param("w1", 64, 256, 1, 1), param("b1", 64),
         param("w2", 64, 64, 3, 3), param("b2", 64),
         param("w3", 256, 64, 1, 1), param("b3", 256),
         param("w4", 512, 256, 1, 1), param("b4", 512),
         param("m1", 256, 256), param("c1", 256),
         param("m2", 256, 128), param("c2", 128),
         param("ws", 32, 3, 7, 7), param("bs", 32),
         param("wp", 32, 32, 1, 1), param("bp", 32)]
nodes = [
    h.make_node("Conv", ["x", "w0", "b0"], ["a0"], name="stem"),
    h.make_node("Relu", ["a0"], ["r0"], name="stem_relu"),
    h.make_node("Conv", ["r0", "w1", "b1"], ["a1"], name="reduce"),
    h.make_node("Relu", ["a1"], ["r1"], name="reduce_relu"),
    h.make_node("Conv", ["r1", "w2", "b2"], ["a2"], name="conv3x3",
                pads=[1, 1, 1, 1]),
    h.make_node("Relu", ["a2"], ["r2"], name="conv3x3_relu"),
    h.make_node("Conv", ["r2", "w3", "b3"], ["a3"], name="expand"),
    h.make_node("Add", ["a3", "r0"], ["s3"], name="residual"),
    h.make_node("Relu", ["s3"], ["r3"], name="block_relu"),
    h.make_node("Conv", ["r3", "w4", "b4"], ["y"], name="downsample",
                strides=[2, 2]),
    h.make_node("MatMul", ["t", "m1"], ["p1"], name="fc1"),
    h.make_node("Add", ["p1", "c1"], ["q1"], name="fc1_bias"),
    h.make_node("Relu", ["q1"], ["u1"], name="fc1_relu"),
    h.make_node("MatMul", ["u1", "m2"], ["p2"], name="fc2"),
    h.make_node("Add", ["p2", "c2"], ["z"], name="fc2_bias"),
    h.make_node("Conv", ["image", "ws", "bs"], ["sv"], name="rgb_stem",
                pads=[3, 3, 3, 3], strides=[2, 2]),
    h.make_node("Relu", ["sv"], ["rv"], name="rgb_stem_relu"),
    h.make_node("MaxPool", ["rv"], ["pv"], name="pool", kernel_shape=[3, 3],
                pads=[1, 1, 1, 1], strides=[2, 2]),
    h.make_node("Conv", ["pv", "wp", "bp"], ["v"], name="after_pool"),
]
graph = h.make_graph(
    nodes, "bf16_activations",
    [h.make_tensor_value_info("x", T.FLOAT, [1, 256, 16, 16]),
     h.make_tensor_value_info("t", T.FLOAT, [128, 256]),
     h.make_tensor_value_info("image", T.FLOAT, [1, 3, 160, 160])],
    [h.make_tensor_value_info("y", T.FLOAT, [1, 512, 8, 8]),
     h.make_tensor_value_info("z", T.FLOAT, [128, 128]),
     h.make_tensor_value_info("v", T.FLOAT, [1, 32, 40, 40])],
    initializer=inits)
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8  # What the pinned onnxruntime reads.
onnx.save(model, f"{out}/model.onnx")
x = np.maximum(rng.standard_normal([1, 256, 16, 16]), 0).astype(np.float32)
t = rng.standard_normal([128, 256]).astype(np.float32)
image = rng.standard_normal([1, 3, 160, 160]).astype(np.float32)
y, z, v = ort.InferenceSession(f"{out}/model.onnx",
                               providers=["CPUExecutionProvider"]).run(
                                   None, {"x": x, "t": t, "image": image})
np.savez(f"{out}/inputs.npz", x=x, t=t, image=image)
np.savez(f"{out}/expected.npz", y=y, z=z, v=v)
