#!/usr/bin/env python3
"""SNPU convolutions compiled from ONNX, simulated, beside their roofline.

Usage: .venv/bin/python bench/snpu/conv.py [--bin build/dev/bin]
           [--target snpu-server] [--layers NAME,...]

For each layer (ResNet-50's by default, batch 1; `--layers mobilenetv2`
for MobileNetV2's depthwise ones): writes an ONNX Conv with bias (f32, as a
model exports it), compiles it into a module with `sinan-compile --target
T`, runs it on `sinan-run --device snpu-sim` and prints the convolution
kernel's simulated cycles, the utilization of its unit over them, and the
roofline bound from the target description: max(MACs / chip bf16 MACs per
cycle, DRAM bytes / DRAM bytes per cycle) with the bytes a perfect kernel
moves (input read once as f32, packed bf16 weights once, output written
once as f32). A depthwise or narrow-group layer runs on the vector unit
in f32 or as the matrix unit's block-diagonal chunks, whichever the
compiler's estimate prefers (the `unit` column): its bound is the same
hardware one (its MACs at the matrix unit's peak, f32 weights), and the
unit's utilization counts the vector unit's f32 lanes or the matrix unit's
peak. Also the compile time (median of three) and the blocks the tiler
chose (output channels x input channels x pixels per block; for the vector
unit's depthwise forms, channels x output rows x row pitch).
"""

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from common import ROOT, chosen_blocks, load_target, median_seconds, run

# name: (C, H, W, F, kernel, stride, pad)
LAYERS = {
    "conv1_7x7s2": (3, 224, 224, 64, 7, 2, 3),
    "l1_3x3": (64, 56, 56, 64, 3, 1, 1),
    "l1_1x1_expand": (64, 56, 56, 256, 1, 1, 0),
    "l1_1x1_reduce": (256, 56, 56, 64, 1, 1, 0),
    "l2_3x3s2": (128, 56, 56, 128, 3, 2, 1),
    "l2_3x3": (128, 28, 28, 128, 3, 1, 1),
    "l3_3x3s2": (256, 28, 28, 256, 3, 2, 1),
    "l3_3x3": (256, 14, 14, 256, 3, 1, 1),
    "l4_3x3s2": (512, 14, 14, 512, 3, 2, 1),
    "l4_3x3": (512, 7, 7, 512, 3, 1, 1),
    "l4_1x1_expand": (512, 7, 7, 2048, 1, 1, 0),
    # The 1x1s of layer3 (14x14) and the stride-2 downsamples, which take
    # most of ResNet-50's kernel time after the 3x3s.
    "l3_1x1_expand": (256, 14, 14, 1024, 1, 1, 0),
    "l3_1x1_reduce": (1024, 14, 14, 256, 1, 1, 0),
    "l2_down": (256, 56, 56, 512, 1, 2, 0),
    "l3_down": (512, 28, 28, 1024, 1, 2, 0),
    "l4_down": (1024, 14, 14, 2048, 1, 2, 0),
}

# MobileNetV2's depthwise layers: (C, H, W, stride), 3x3, pad 1.
DEPTHWISE = {
    "dw_112": (32, 112, 112, 1),
    "dw_112s2": (96, 112, 112, 2),
    "dw_56": (144, 56, 56, 1),
    "dw_56s2": (144, 56, 56, 2),
    "dw_28": (192, 28, 28, 1),
    "dw_28s2": (192, 28, 28, 2),
    "dw_14": (384, 14, 14, 1),
    "dw_14x576": (576, 14, 14, 1),
    "dw_14s2": (576, 14, 14, 2),
    "dw_7": (960, 7, 7, 1),
}
for _name, (_c, _h, _w, _s) in DEPTHWISE.items():
    LAYERS[_name] = (_c, _h, _w, _c, 3, _s, 1, _c)
SETS = {"resnet50": [n for n in LAYERS if n not in DEPTHWISE],
        "mobilenetv2": list(DEPTHWISE)}


def conv_model(c, h, w, f, k, s, p, path, group=1):
    rng = np.random.default_rng(0)
    weights = rng.standard_normal((f, c // group, k, k)).astype(np.float32)
    bias = rng.standard_normal((f,)).astype(np.float32)
    oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w", "b"], ["y"], name="conv",
                          strides=[s, s], pads=[p, p, p, p], group=group)],
        "conv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c, h, w])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                       [1, f, oh, ow])],
        initializer=[numpy_helper.from_array(weights, "w"),
                     numpy_helper.from_array(bias, "b")])
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)
    return oh, ow


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=str(ROOT / "build/dev/bin"))
    parser.add_argument("--target", default="snpu-server")
    parser.add_argument("--layers", default="resnet50",
                        help="layer names, or a set: "
                        + ", ".join(SETS))
    args = parser.parse_args()
    binary = Path(args.bin)
    target = load_target(args.target)
    print(target.describe())
    print(f"{'layer':>14} {'C>F kxk/s HxW':>22} {'blocks':>12} {'cycles':>9} "
          f"{'roofline':>9} {'of bound':>8} {'unit':>6} {'unit util':>9} "
          f"{'compile s':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        names = SETS.get(args.layers, args.layers.split(","))
        for name in names:
            c, h, w, f, k, s, p, *rest = LAYERS[name]
            group = rest[0] if rest else 1
            model, module = tmp / f"{name}.onnx", tmp / f"{name}.snm"
            oh, ow = conv_model(c, h, w, f, k, s, p, model, group)
            seconds = median_seconds([binary / "sinan-compile", model,
                                      "--target", args.target,
                                      "--placement=snpu",
                                      "--compile-to=module", "-o", module])
            chosen, plan = chosen_blocks(binary, model, args.target,
                                         with_plan=True)
            inputs = tmp / f"{name}.npz"
            np.savez(inputs, x=np.random.default_rng(1).standard_normal(
                (1, c, h, w)).astype(np.float32))
            report = tmp / f"{name}.json"
            run([binary / "sinan-run", module, "--device", "snpu-sim",
                 "--inputs", inputs, "--report", report])
            stats = json.loads(report.read_text())["snpu"]
            cycles = stats["kernel_cycles"]
            macs = f * (c // group) * k * k * oh * ow
            vector = plan.startswith("vector")
            weight_bytes = (2 * f * c * k * k if group == 1
                            else 4 * f * (c // group) * k * k)
            bytes_moved = 4 * c * h * w + weight_bytes + 4 * f * oh * ow
            bound = target.bound(macs, bytes_moved)
            util = macs / ((target.vector_f32_per_cycle if vector
                            else target.macs_per_cycle) * cycles)
            shape = f"{c}>{f} {k}x{k}/{s} {h}x{w}"
            unit = "vector" if vector else "matrix"
            print(f"{name:>14} {shape:>22} {chosen:>12} {cycles:>9} "
                  f"{bound:>9.0f} {bound / cycles:>7.1%} {unit:>6} "
                  f"{util:>9.1%} {seconds:>9.3f}")


if __name__ == "__main__":
    main()
