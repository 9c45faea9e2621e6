# SPDX-License-Identifier: Apache-2.0
"""Resizes as detection and segmentation heads export them: a nearest 2x
upsampling (PyTorch's nn.Upsample: asymmetric coordinates, floor) of a relu,
a width-only linear resize (half_pixel, 12 -> 20 columns), a bilinear
one of both dimensions, and a tall one (40 -> 512 rows of 64 images) whose
height matrix over the images would take 5 MiB, which stays on the host. Writes resize.onnx,
resize_inputs.npz and onnxruntime's outputs as resize_expected.npz.
Usage: make_resize_case.py OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(9)
inits = [nh.from_array(np.array([1, 1, 2, 2], np.float32), "up2"),
         nh.from_array(np.array([1, 3, 7, 20], np.int64), "wide"),
         nh.from_array(np.array([1, 3, 14, 24], np.int64), "both"),
         nh.from_array(np.array([1, 64, 512, 4], np.int64), "tall")]
nodes = [
    h.make_node("Relu", ["x"], ["r"]),
    h.make_node("Resize", ["r", "", "up2"], ["y"], name="up",
                mode="nearest", coordinate_transformation_mode="asymmetric",
                nearest_mode="floor"),
    h.make_node("Resize", ["z", "", "", "wide"], ["w"], name="widen",
                mode="linear", coordinate_transformation_mode="half_pixel"),
    h.make_node("Resize", ["z", "", "", "both"], ["v"], name="bilinear",
                mode="linear", coordinate_transformation_mode="half_pixel"),
    h.make_node("Resize", ["t", "", "", "tall"], ["u"], name="tall",
                mode="linear", coordinate_transformation_mode="half_pixel"),
]
graph = h.make_graph(
    nodes, "resize",
    [h.make_tensor_value_info("x", T.FLOAT, [1, 64, 13, 13]),
     h.make_tensor_value_info("z", T.FLOAT, [1, 3, 7, 12]),
     h.make_tensor_value_info("t", T.FLOAT, [1, 64, 40, 4])],
    [h.make_tensor_value_info("y", T.FLOAT, [1, 64, 26, 26]),
     h.make_tensor_value_info("w", T.FLOAT, [1, 3, 7, 20]),
     h.make_tensor_value_info("v", T.FLOAT, [1, 3, 14, 24]),
     h.make_tensor_value_info("u", T.FLOAT, [1, 64, 512, 4])], inits)
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, f"{out}/resize.onnx")
feeds = {"x": rng.standard_normal((1, 64, 13, 13)).astype(np.float32),
         "z": rng.standard_normal((1, 3, 7, 12)).astype(np.float32),
         "t": rng.standard_normal((1, 64, 40, 4)).astype(np.float32)}
np.savez(f"{out}/resize_inputs.npz", **feeds)
session = ort.InferenceSession(f"{out}/resize.onnx",
                               providers=["CPUExecutionProvider"])
y, w, v, u = session.run(None, feeds)
np.savez(f"{out}/resize_expected.npz", y=y, w=w, v=v, u=u)
