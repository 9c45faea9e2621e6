# SPDX-License-Identifier: Apache-2.0
"""Convolutions of real networks' shapes on the SNPU tilers.

The random graphs of `run` keep their tensors small, so their convolutions
never reach the tilers' modes for wide layers (weights streamed through
wbuf, several input channel chunks, staging in bands, interleaved first
blocks, cores splitting rows): a ResNet-50 layer once ran wrong in such a
mode for weeks while every random graph passed. This sweep compiles one
convolution per case, at the sizes networks use, for each SNPU preset, and
checks it as `run` checks a graph (difftest/paths.py: snpu-sim against
onnxruntime within bf16, and bit for bit against the module's host
fallbacks). Each kernel records its plan (`npu.plan`); the sweep counts
the modes its cases reached, so a mode no case reaches shows as a zero.

Cases: `ci` is the convolutions of torchvision's ResNet-50 and
MobileNetV2 (every distinct shape, batch 1) and a few others that exercise
rarer geometry; `long` draws random shapes from a seed.
"""

import collections
import dataclasses
import random
import re
import subprocess

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from difftest import paths


@dataclasses.dataclass(frozen=True)
class Conv:
    name: str
    c: int
    h: int
    w: int
    f: int
    k: int
    stride: int = 1
    pad: int = 0
    group: int = 1
    dilation: int = 1
    # "" (bias only), "relu", or "residual" (Add of a second input, Relu).
    epilogue: str = ""

    def out_hw(self):
        reach = self.dilation * (self.k - 1) + 1
        return ((self.h + 2 * self.pad - reach) // self.stride + 1,
                (self.w + 2 * self.pad - reach) // self.stride + 1)


def _resnet50():
    # (C, H, F, k, stride) per distinct convolution, H = W, pad k // 2.
    shapes = [(3, 224, 64, 7, 2), (64, 56, 64, 1, 1), (64, 56, 64, 3, 1),
              (64, 56, 256, 1, 1), (256, 56, 64, 1, 1), (256, 56, 128, 1, 1),
              (128, 56, 128, 3, 2), (128, 28, 512, 1, 1),
              (256, 56, 512, 1, 2), (512, 28, 128, 1, 1),
              (128, 28, 128, 3, 1), (512, 28, 256, 1, 1),
              (256, 28, 256, 3, 2), (256, 14, 1024, 1, 1),
              (512, 28, 1024, 1, 2), (1024, 14, 256, 1, 1),
              (256, 14, 256, 3, 1), (1024, 14, 512, 1, 1),
              (512, 14, 512, 3, 2), (512, 7, 2048, 1, 1),
              (1024, 14, 2048, 1, 2), (2048, 7, 512, 1, 1),
              (512, 7, 512, 3, 1)]
    cases = []
    for i, (c, h, f, k, s) in enumerate(shapes):
        # Bottleneck outputs add the shortcut; the others end in a relu.
        epilogue = "residual" if k == 1 and s == 1 and f == 4 * c else "relu"
        cases.append(Conv(f"resnet50_{i:02d}_{c}x{h}_{f}_{k}x{k}s{s}", c, h,
                          h, f, k, s, k // 2, epilogue=epilogue))
    return cases


def _mobilenetv2():
    # Depthwise 3x3 (C, H, stride) and pointwise (C, H, F) convolutions.
    depthwise = [(32, 112, 1), (96, 112, 2), (144, 56, 1), (144, 56, 2),
                 (192, 28, 1), (192, 28, 2), (384, 14, 1), (576, 14, 1),
                 (576, 14, 2), (960, 7, 1)]
    pointwise = [(32, 112, 16), (16, 112, 96), (96, 56, 24), (24, 56, 144),
                 (144, 56, 24), (144, 28, 32), (32, 28, 192), (192, 28, 32),
                 (192, 14, 64), (64, 14, 384), (384, 14, 64), (384, 14, 96),
                 (96, 14, 576), (576, 14, 96), (576, 7, 160), (160, 7, 960),
                 (960, 7, 160), (960, 7, 320), (320, 7, 1280)]
    cases = [Conv("mobilenetv2_stem_3x224_32_3x3s2", 3, 224, 224, 32, 3, 2, 1,
                  epilogue="relu")]
    for c, h, s in depthwise:
        cases.append(Conv(f"mobilenetv2_dw_{c}x{h}s{s}", c, h, h, c, 3, s, 1,
                          group=c, epilogue="relu"))
    for c, h, f in pointwise:
        cases.append(Conv(f"mobilenetv2_pw_{c}x{h}_{f}", c, h, h, f, 1,
                          epilogue="residual" if c == f else ""))
    return cases


# Rarer geometry: odd sizes, dilation, grouped, 5x5, a conv without padding.
OTHERS = [
    Conv("vgg_3x3_256x56", 256, 56, 56, 256, 3, 1, 1, epilogue="relu"),
    Conv("odd_3x3s2_96x33", 96, 33, 33, 160, 3, 2, 1),
    Conv("dilated_3x3d2_64x28", 64, 28, 28, 64, 3, 1, 2, dilation=2),
    Conv("grouped_3x3_g8_256x14", 256, 14, 14, 256, 3, 1, 1, group=8),
    Conv("regnet_3x3_g16_w8_128x28", 128, 28, 28, 128, 3, 1, 1, group=16),
    Conv("yolo_5x5_48x26", 48, 26, 26, 96, 5, 1, 2, epilogue="relu"),
    Conv("valid_3x3_64x30", 64, 30, 30, 128, 3),
    Conv("wide_1x1_2048x7", 2048, 7, 7, 1000, 1),
    # Eight chunks of a strided grid: more than the semaphores allow one
    # grid buffer each, so the chunks past the first share one.
    Conv("shared_grid_3x3s2_2048x7", 2048, 7, 7, 256, 3, 2, 1),
]


def ci_cases():
    return _resnet50() + _mobilenetv2() + OTHERS


def random_cases(seed, count):
    rng = random.Random(seed)
    channels = [3, 16, 24, 32, 48, 64, 96, 128, 160, 192, 256, 320, 384, 512,
                768, 1024, 2048]
    cases = []
    while len(cases) < count:
        k = rng.choice([1, 1, 3, 3, 3, 5, 7])
        stride = rng.choice([1, 1, 2])
        h = rng.choice([7, 8, 13, 14, 17, 28, 31, 56])
        w = h if rng.random() < 0.8 else rng.choice([7, 14, 28, 56])
        c = rng.choice(channels)
        f = rng.choice(channels[1:])
        group = 1
        if rng.random() < 0.2:
            group, f = c, c * rng.choice([1, 1, 2])
        pad = k // 2 if rng.random() < 0.8 else 0
        epilogue = rng.choice(["", "relu", "residual"])
        conv = Conv(f"random_{seed}_{len(cases)}", c, h, w, f, k, stride, pad,
                    group, epilogue=epilogue)
        oh, ow = conv.out_hw()
        macs = f * (c // group) * k * k * oh * ow
        if oh < 1 or ow < 1 or macs > 4e8 or c * h * w > 2e6:
            continue
        cases.append(conv)
    return cases


def model(conv, seed=0):
    """`conv` as an ONNX model (weights, bias, epilogue) and its feeds."""
    rng = np.random.default_rng(seed)
    oh, ow = conv.out_hw()
    fan_in = conv.c // conv.group * conv.k * conv.k
    weights = (rng.standard_normal((conv.f, conv.c // conv.group, conv.k,
                                    conv.k)) / np.sqrt(fan_in))
    bias = rng.standard_normal(conv.f) * 0.1
    out = [1, conv.f, oh, ow]
    nodes = [helper.make_node(
        "Conv", ["x", "w", "b"], ["conv"], name="conv",
        kernel_shape=[conv.k, conv.k], strides=[conv.stride] * 2,
        pads=[conv.pad] * 4, dilations=[conv.dilation] * 2, group=conv.group)]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                            [1, conv.c, conv.h, conv.w])]
    feeds = {"x": rng.standard_normal((1, conv.c, conv.h, conv.w))
             .astype(np.float32)}
    last = "conv"
    if conv.epilogue == "residual":
        inputs.append(helper.make_tensor_value_info("r", TensorProto.FLOAT,
                                                    out))
        feeds["r"] = rng.standard_normal(out).astype(np.float32)
        nodes.append(helper.make_node("Add", ["conv", "r"], ["sum"],
                                      name="residual"))
        last = "sum"
    if conv.epilogue in ("relu", "residual"):
        nodes.append(helper.make_node("Relu", [last], ["y"], name="relu"))
    else:
        nodes[-1].output[0] = "y"
    graph = helper.make_graph(
        nodes, conv.name, inputs,
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out)],
        initializer=[
            numpy_helper.from_array(weights.astype(np.float32), "w"),
            numpy_helper.from_array(bias.astype(np.float32), "b")])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m, feeds


_PLAN = re.compile(r'npu\.plan = "([^"]*)"')


def plans(binaries, model_path, target, timeout):
    """The npu.plan words of each kernel `model_path` compiles to."""
    result = subprocess.run(
        [str(binaries / "sinan-compile"), str(model_path), f"--target={target}",
         "--compile-to=npu", "-o", "-"], capture_output=True, text=True,
        timeout=timeout)
    return _PLAN.findall(result.stdout) if result.returncode == 0 else []


def run_case(binaries, conv, targets, work, timeout):
    """(failures, {target: [plan, ...]}) of `conv` on `targets`."""
    m, feeds = model(conv)
    work.mkdir(parents=True, exist_ok=True)
    model_path = work / "model.onnx"
    onnx.save(m, model_path)
    np.savez(work / "inputs.npz", **feeds)
    want = paths.run_ort(m.SerializeToString(), feeds)
    np.savez(work / "expected.npz", **want)
    failures = paths.run_paths(binaries, model_path, work / "inputs.npz",
                               want, work, targets, timeout)
    return failures, {t: plans(binaries, model_path, t, timeout)
                      for t in targets}


# The plan words a sweep counts, as (label, predicate on the words).
FEATURES = [
    ("grid", lambda w: w[0] == "grid"),
    ("grid split=rows", lambda w: w[0] == "grid" and w.get("split") == "rows"),
    ("grid split=channels",
     lambda w: w[0] == "grid" and w.get("split") == "channels"),
    ("grid weights=streamed",
     lambda w: w[0] == "grid" and w.get("weights") == "streamed"),
    ("grid weights=resident",
     lambda w: w[0] == "grid" and w.get("weights") == "resident"),
    ("grid chunks>1", lambda w: w[0] == "grid" and int(w["chunks"]) > 1),
    ("grid bands>1", lambda w: w[0] == "grid" and int(w["bands"]) > 1),
    ("grid interleave", lambda w: w[0] == "grid" and w["interleave"] == "1"),
    ("grid shared grid buffer",
     lambda w: w[0] == "grid" and int(w["grids"]) < int(w["chunks"])),
    ("implicit-gemm", lambda w: w[0] == "implicit-gemm"),
    ("implicit-gemm split=pixels",
     lambda w: w[0] == "implicit-gemm" and w.get("split") == "pixels"),
    ("implicit-gemm weights=resident",
     lambda w: w[0] == "implicit-gemm" and w.get("weights") == "resident"),
    ("implicit-gemm input=padded-copy",
     lambda w: w[0] == "implicit-gemm" and w.get("input") == "padded-copy"),
    ("implicit-gemm bias=last",
     lambda w: w[0] == "implicit-gemm" and w.get("bias") == "last"),
    ("vector (depthwise, narrow groups)", lambda w: w[0] == "vector"),
    ("one core", lambda w: w.get("cores") == "1"),
]


def words(plan):
    """'grid c0=32 ...' as {0: 'grid', 'c0': '32', ...}."""
    parts = plan.split()
    result = {0: parts[0]}
    for part in parts[1:]:
        key, _, value = part.partition("=")
        result[key] = value
    return result


def coverage(plans_by_target):
    """{target: Counter(feature label -> kernels)} over a sweep's plans."""
    counts = {}
    for target, plan_lists in plans_by_target.items():
        counter = collections.Counter({label: 0 for label, _ in FEATURES})
        for plan in plan_lists:
            w = words(plan)
            for label, test in FEATURES:
                if test(w):
                    counter[label] += 1
        counts[target] = counter
    return counts
