# SPDX-License-Identifier: Apache-2.0
"""3x3 convolutions whose cores split the output rows on the Winograd tiler
(ConvWinograd.cpp, `split=rows`: each core stages its rows and a halo of
input rows, and makes every output channel), each a model output:
ResNet-50's layer2 3x3 (128 channels on 28x28) with its bias and relu;
its stride-2 one (128 channels, 56x56 -> 28x28) with its bias and relu; a
stride-2 one 27 wide (the bordered image, not the direct points) and 63
high (the last core's bottom row past the input), clipped; and a 44x40
one with a residual add and a relu (the last core's 8 rows against 12).
Writes the model, its input, onnxruntime's outputs and a
placement-overrides file that pins the convolutions to the Winograd
tiler. Usage: make_conv_winograd_rows_case.py OUT_DIR"""
import sys

import numpy as np
from onnx import helper as h
from onnx import numpy_helper as nh

from conv_case import param, write_case

out = sys.argv[1]
rng = np.random.default_rng(17)
inits = [param(rng, "wa", 128, 128, 3, 3, scale=0.03), param(rng, "ba", 128),
         param(rng, "wb", 128, 128, 3, 3, scale=0.03), param(rng, "bb", 128),
         param(rng, "wc", 32, 32, 3, 3), param(rng, "bc", 32),
         param(rng, "wd", 64, 64, 3, 3), param(rng, "bd", 64),
         nh.from_array(np.array(0, np.float32), "lo"),
         nh.from_array(np.array(6, np.float32), "hi")]
same = {"pads": [1, 1, 1, 1]}
half = {"pads": [1, 1, 1, 1], "strides": [2, 2]}
nodes = [
    h.make_node("Conv", ["xa", "wa", "ba"], ["ca"], name="layer2", **same),
    h.make_node("Relu", ["ca"], ["ya"]),
    h.make_node("Conv", ["xb", "wb", "bb"], ["cb"], name="layer2s2", **half),
    h.make_node("Relu", ["cb"], ["yb"]),
    h.make_node("Conv", ["xc", "wc", "bc"], ["cc"], name="bordered", **half),
    h.make_node("Clip", ["cc", "lo", "hi"], ["yc"]),
    h.make_node("Conv", ["xd", "wd", "bd"], ["cd"], name="residual", **same),
    h.make_node("Add", ["cd", "xd"], ["sd"]),
    h.make_node("Relu", ["sd"], ["yd"]),
]
shapes = {"xa": [1, 128, 28, 28], "xb": [1, 128, 56, 56],
          "xc": [1, 32, 63, 27], "xd": [1, 64, 44, 40]}
outs = {"ya": [1, 128, 28, 28], "yb": [1, 128, 28, 28],
        "yc": [1, 32, 32, 14], "yd": [1, 64, 44, 40]}
write_case(out, "rows", nodes, inits, shapes, outs, rng,
           {"rows.json": ["layer2", "layer2s2", "bordered", "residual"]})
