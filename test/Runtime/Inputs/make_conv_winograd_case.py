# SPDX-License-Identifier: Apache-2.0
"""3x3 convolutions of stride 1 for the Winograd tiler (ConvWinograd.cpp),
each a model output: ResNet-50's layer4 3x3 (512 channels on 7x7, an odd
width: a pass per image row) with its bias and relu; a 14x14 one (an even
width: one pass for every row) with a bias, a residual add and a relu; a
28x28 one without a bias, clipped (ReLU6); and a 6x5 one with 64 channels
(a width of 5: the last tile's second output dropped). Writes the model,
its input, onnxruntime's outputs and placement-overrides files that pin
the convolutions to the Winograd tiler (on snpu-edge the two small ones). Usage:
make_conv_winograd_case.py OUT_DIR"""
import sys

import numpy as np
from onnx import helper as h
from onnx import numpy_helper as nh

from conv_case import param, write_case

out = sys.argv[1]
rng = np.random.default_rng(11)
inits = [param(rng, "w4", 512, 512, 3, 3, scale=0.02), param(rng, "b4", 512),
         param(rng, "w3", 256, 256, 3, 3, scale=0.03), param(rng, "b3", 256),
         param(rng, "w2", 64, 64, 3, 3), param(rng, "w1", 32, 64, 3, 3),
         param(rng, "b1", 32)]
same = {"pads": [1, 1, 1, 1]}
nodes = [
    h.make_node("Conv", ["x4", "w4", "b4"], ["c4"], name="layer4", **same),
    h.make_node("Relu", ["c4"], ["y4"]),
    h.make_node("Conv", ["x3", "w3", "b3"], ["c3"], name="layer3", **same),
    h.make_node("Add", ["c3", "x3"], ["s3"]),
    h.make_node("Relu", ["s3"], ["y3"]),
    h.make_node("Conv", ["x2", "w2"], ["c2"], name="nobias", **same),
    h.make_node("Clip", ["c2", "lo", "hi"], ["y2"]),
    h.make_node("Conv", ["x1", "w1", "b1"], ["y1"], name="odd", **same),
]
inits += [nh.from_array(np.array(0, np.float32), "lo"),
          nh.from_array(np.array(6, np.float32), "hi")]
shapes = {"x4": [1, 512, 7, 7], "x3": [1, 256, 14, 14], "x2": [1, 64, 12, 12],
          "x1": [1, 64, 6, 5]}
outs = {"y4": [1, 512, 7, 7], "y3": [1, 256, 14, 14], "y2": [1, 64, 12, 12],
        "y1": [1, 32, 6, 5]}
write_case(out, "winograd", nodes, inits, shapes, outs, rng,
           {"winograd.json": ["layer4", "layer3", "nobias", "odd"],
            "winograd-edge.json": ["nobias", "odd"]})
