# SPDX-License-Identifier: Apache-2.0
"""3x3 convolutions of stride 2 for the Winograd tiler's stride-2 form
(ConvWinograd.cpp: five products a pair of outputs), each a model output:
ResNet-50's layer4.0 3x3 (512 channels, 14x14 -> 7x7: an odd output width,
the bordered image) with its bias and relu; a 28x28 -> 14x14 one (a width
of four columns a tile: the points straight from the pixel rows) with a
bias, a residual add and a relu; a 9x12 one (an odd height: the bottom
border row) without a bias, clipped (ReLU6); a 10x10 one padded 1 before
and 0 after (5x5 out); and three small ones, 1x1, 2x2 and 5x7 (one tile,
one output, a partial last tile on both axes). Writes the model, its
input, onnxruntime's outputs and placement-overrides files that pin the
convolutions to the Winograd tiler (on snpu-edge, whose 64 KiB ibuf holds
the small ones' points only, all but the first two). Usage:
make_conv_winograd_s2_case.py OUT_DIR"""
import sys

import numpy as np
from onnx import helper as h
from onnx import numpy_helper as nh

from conv_case import param, write_case

out = sys.argv[1]
rng = np.random.default_rng(13)
inits = [param(rng, "w4", 512, 512, 3, 3, scale=0.02), param(rng, "b4", 512),
         param(rng, "w3", 64, 64, 3, 3), param(rng, "b3", 64),
         param(rng, "w2", 64, 64, 3, 3), param(rng, "w1", 32, 32, 3, 3),
         param(rng, "b1", 32),
         param(rng, "w5", 32, 64, 3, 3), param(rng, "b5", 32),
         param(rng, "w6", 16, 32, 3, 3), param(rng, "w7", 32, 32, 3, 3),
         param(rng, "b7", 32),
         nh.from_array(np.array(0, np.float32), "lo"),
         nh.from_array(np.array(6, np.float32), "hi")]
two = {"strides": [2, 2], "pads": [1, 1, 1, 1]}
nodes = [
    h.make_node("Conv", ["x4", "w4", "b4"], ["c4"], name="layer4", **two),
    h.make_node("Relu", ["c4"], ["y4"]),
    h.make_node("Conv", ["x3", "w3", "b3"], ["c3"], name="direct", **two),
    h.make_node("Add", ["c3", "r3"], ["s3"]),
    h.make_node("Relu", ["s3"], ["y3"]),
    h.make_node("Conv", ["x2", "w2"], ["c2"], name="oddrows", **two),
    h.make_node("Clip", ["c2", "lo", "hi"], ["y2"]),
    h.make_node("Conv", ["x1", "w1", "b1"], ["y1"], name="before",
                strides=[2, 2], pads=[1, 1, 0, 0]),
    h.make_node("Conv", ["x5", "w5", "b5"], ["y5"], name="pixel", **two),
    h.make_node("Conv", ["x6", "w6"], ["y6"], name="square", **two),
    h.make_node("Conv", ["x7", "w7", "b7"], ["y7"], name="partial", **two),
]
shapes = {"x4": [1, 512, 14, 14], "x3": [1, 64, 28, 28], "r3": [1, 64, 14, 14],
          "x2": [1, 64, 9, 12], "x1": [1, 32, 10, 10], "x5": [1, 64, 1, 1],
          "x6": [1, 32, 2, 2], "x7": [1, 32, 5, 7]}
outs = {"y4": [1, 512, 7, 7], "y3": [1, 64, 14, 14], "y2": [1, 64, 5, 6],
        "y1": [1, 32, 5, 5], "y5": [1, 32, 1, 1], "y6": [1, 16, 1, 1],
        "y7": [1, 32, 3, 4]}
write_case(out, "winograd", nodes, inits, shapes, outs, rng,
           {"winograd.json": ["layer4", "direct", "oddrows", "before",
                              "pixel", "square", "partial"],
            "winograd-edge.json": ["oddrows", "before", "pixel", "square",
                                   "partial"]})
