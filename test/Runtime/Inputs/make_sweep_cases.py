# SPDX-License-Identifier: Apache-2.0
"""Three layers of torchvision networks that a robustness sweep (PyTorch's
exporter, batch 1 and 2, both presets) found the SNPU path failing on:

  dw.onnx      ShuffleNet v2 x1.0's stride-2 depthwise 3x3 of stage 4
               (232 channels, 14x14 -> 7x7) at batch 2: cores split the
               channels, and an image of 232 f32 planes of 7x7 is not whole
               granules, so image 1's first channel block (core 0) shared a
               granule with image 0's last (core 3): a write-after-write
               race.
  conv.onnx    GoogLeNet inception4d's 3x3 (144 -> 288 channels at 14x14)
               with its relu: on snpu-edge the padded-copy plan's tap tiles
               (112 pixels, 128 at the aligned pitch) overflowed wbuf.
  concat.onnx  A channel concatenation of two [2, 64, 55, 55] maps
               (SqueezeNet's fire modules at batch 2): rows longer than a
               staging block, and the partial block's extra copies overflowed
               snpu-edge's vbuf.
  grouped.onnx RegNetX-400MF's 25 groups of 16 channels, 3x3 stride 2 from
               14x14 with its relu, at batch 2: the cores split the groups
               only at batch 1 (one core took all 25 groups of both images,
               4.6x the cycles of the network at batch 1).
  shuffle.onnx A PixelShuffle (DepthToSpace, CRD) of [1, 64, 24, 24] by 2: a
               transpose into result rows of 2 elements, which the vector
               unit turned in 768 tiles of a DRAM round trip each (430k
               cycles on snpu-server against 52k on the host), and
               placement's estimate took it for a stream.
  upconv.onnx  A 2x2 stride-2 ConvTranspose (64 -> 32 channels) with a bias:
               it runs on the host, and placement counted none of its MACs.

Writes each model, NAME_inputs.npz and onnxruntime's outputs as
NAME_expected.npz. Usage: make_sweep_cases.py OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(21)


def const(name, *shape, scale=1.0):
    return nh.from_array(
        (rng.standard_normal(shape) * scale).astype(np.float32), name)


def write(name, nodes, inits, inputs, outputs):
    graph = h.make_graph(
        nodes, name,
        [h.make_tensor_value_info(n, T.FLOAT, s) for n, s in inputs.items()],
        [h.make_tensor_value_info(n, T.FLOAT, s) for n, s in outputs.items()],
        inits)
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, f"{out}/{name}.onnx")
    feeds = {n: rng.standard_normal(s).astype(np.float32)
             for n, s in inputs.items()}
    np.savez(f"{out}/{name}_inputs.npz", **feeds)
    session = ort.InferenceSession(f"{out}/{name}.onnx",
                                   providers=["CPUExecutionProvider"])
    results = session.run(None, feeds)
    np.savez(f"{out}/{name}_expected.npz",
             **{n: r for n, r in zip(outputs, results)})


C = 232
write("dw",
      [h.make_node("Conv", ["x", "w", "b"], ["y"], name="dw", group=C,
                   kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2])],
      [const("w", C, 1, 3, 3, scale=1 / 3), const("b", C)],
      {"x": [2, C, 14, 14]}, {"y": [2, C, 7, 7]})
write("conv",
      [h.make_node("Conv", ["x", "w", "b"], ["c"], name="conv",
                   kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
       h.make_node("Relu", ["c"], ["y"])],
      [const("w", 288, 144, 3, 3, scale=(9 * 144) ** -0.5), const("b", 288)],
      {"x": [1, 144, 14, 14]}, {"y": [1, 288, 14, 14]})
G = 25
write("grouped",
      [h.make_node("Conv", ["x", "w", "b"], ["c"], name="grouped", group=G,
                   kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2]),
       h.make_node("Relu", ["c"], ["y"])],
      [const("w", 16 * G, 16, 3, 3, scale=(9 * 16) ** -0.5),
       const("b", 16 * G)],
      {"x": [2, 16 * G, 14, 14]}, {"y": [2, 16 * G, 7, 7]})
write("shuffle",
      [h.make_node("DepthToSpace", ["x"], ["y"], name="shuffle", blocksize=2,
                   mode="CRD")], [],
      {"x": [1, 64, 24, 24]}, {"y": [1, 16, 48, 48]})
write("upconv",
      [h.make_node("ConvTranspose", ["x", "w", "b"], ["y"], name="upconv",
                   kernel_shape=[2, 2], strides=[2, 2])],
      [const("w", 64, 32, 2, 2, scale=0.125), const("b", 32)],
      {"x": [1, 64, 32, 32]}, {"y": [1, 32, 64, 64]})
write("concat",
      [h.make_node("Concat", ["a", "b"], ["y"], name="concat", axis=1)], [],
      {"a": [2, 64, 55, 55], "b": [2, 64, 55, 55]}, {"y": [2, 128, 55, 55]})
