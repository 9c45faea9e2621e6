# SPDX-License-Identifier: Apache-2.0
"""Grid-tiler convolutions whose weights stream through wbuf, each with its
bias: ResNet-50's layer3 downsample (1x1, stride 2, 512 -> 1024 channels on
28x28; 2 MiB does not stay in wbuf), whose two channel blocks a core take
each chunk's products in turn (cross=1); a 512 -> 768 one beside it (the
implicit GEMM, 192 channels a core); and a 5x5 of 256 -> 384 channels on
12x12 on an input of its own, 25 tiles a chunk through three channel blocks
a core, one after another. Writes the model, its inputs and onnxruntime's
outputs. Usage: make_conv_streamed_case.py OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(7)


def param(name, *shape, scale=0.05):
    return nh.from_array((rng.standard_normal(shape) * scale).astype(np.float32),
                         name)


inits = [param("wa", 1024, 512, 1, 1), param("ba", 1024),
         param("wb", 768, 512, 1, 1), param("bb", 768),
         param("wc", 384, 256, 5, 5), param("bc", 384)]
nodes = [
    h.make_node("Conv", ["x", "wa", "ba"], ["ya"], name="downsample",
                strides=[2, 2]),
    h.make_node("Conv", ["x", "wb", "bb"], ["yb"], name="narrower",
                strides=[2, 2]),
    h.make_node("Conv", ["x2", "wc", "bc"], ["yc"], name="five",
                pads=[2, 2, 2, 2]),
]
graph = h.make_graph(
    nodes, "streamed",
    [h.make_tensor_value_info("x", T.FLOAT, [1, 512, 28, 28]),
     h.make_tensor_value_info("x2", T.FLOAT, [1, 256, 12, 12])],
    [h.make_tensor_value_info("ya", T.FLOAT, [1, 1024, 14, 14]),
     h.make_tensor_value_info("yb", T.FLOAT, [1, 768, 14, 14]),
     h.make_tensor_value_info("yc", T.FLOAT, [1, 384, 12, 12])],
    initializer=inits)
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, f"{out}/streamed.onnx")
x = rng.uniform(0, 2, (1, 512, 28, 28)).astype(np.float32)
x2 = rng.uniform(-1, 1, (1, 256, 12, 12)).astype(np.float32)
np.savez(f"{out}/inputs.npz", x=x, x2=x2)
ya, yb, yc = ort.InferenceSession(f"{out}/streamed.onnx").run(
    None, {"x": x, "x2": x2})
np.save(f"{out}/ya.npy", ya)
np.save(f"{out}/yb.npy", yb)
np.save(f"{out}/yc.npy", yc)
