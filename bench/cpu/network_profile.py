#!/usr/bin/env python3
"""Where a network's time goes on the CPU path, op by op, beside onnxruntime.

Usage: .venv/bin/python bench/cpu/network_profile.py MODEL.onnx [INPUTS.npz]
           [--bin build/dev/bin] [--threads 1] [--repeat 7] [--cpu native]
           [--top 25]

Compiles MODEL with `--placement=cpu`, runs it with `sinan-run --sequential
--profile` (one step at a time, so each step's time is its own) and runs
onnxruntime (pip, all graph optimizations, its own profiler) on the same
inputs (random ones of the model's input shapes when no .npz is given),
both on the same host threads. Prints per op kind the summed median step
time of each, then the steps that differ most, with each step's GFLOP/s
for convolutions and matrix products (2 x MACs from the ONNX shapes).

onnxruntime rewrites the graph before it profiles (fused convolution
epilogues, NCHWc layouts, fused matmuls), so a step is matched to the
onnxruntime node of a corresponding kind (a convolution, a matrix
product...) named after the ONNX node it starts from, or after the output
of the chain of elementwise ops a host kernel fuses behind it (Add, Relu,
Clip...), with or without onnxruntime's `_nchwc` suffix; steps without a
match count in the kind totals only. Figures move by 10 % or
more between runs on a shared VM: compare within one run.
"""

import argparse
import collections
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import shape_inference

ROOT = Path(__file__).resolve().parents[2]
FUSABLE = {"Add", "Relu", "Clip", "Sigmoid", "Mul", "HardSwish",
           "LeakyRelu"}
# The onnxruntime node kinds a Sinan step may correspond to (after
# onnxruntime's fusions); other steps match a node of their own name.
KINDS = {
    "conv2d": {"Conv", "FusedConv"},
    "matmul": {"MatMul", "Gemm", "FusedMatMul", "FusedGemm"},
    "max_pool2d": {"MaxPool"},
    "avg_pool2d": {"AveragePool"},
    "reduce_mean": {"ReduceMean", "GlobalAveragePool"},
}


def same_kind(step_op, ort_kind):
    if step_op in KINDS:
        return ort_kind in KINDS[step_op]
    return step_op.replace("_", "") == ort_kind.lower()


def run(cmd):
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"error: {' '.join(map(str, cmd))}\n{result.stderr}")
    return result.stdout


def random_inputs(model):
    feeds = {}
    initializers = {i.name for i in model.graph.initializer}
    rng = np.random.default_rng(0)
    types = {onnx.TensorProto.FLOAT: np.float32,
             onnx.TensorProto.INT64: np.int64,
             onnx.TensorProto.INT32: np.int32}
    for value in model.graph.input:
        if value.name in initializers:
            continue
        tensor = value.type.tensor_type
        shape = [d.dim_value if d.dim_value > 0 else 1
                 for d in tensor.shape.dim]
        dtype = types.get(tensor.elem_type)
        if dtype is None:
            sys.exit(f"error: input {value.name}: give its values in an .npz")
        feeds[value.name] = (rng.standard_normal(shape).astype(dtype)
                             if dtype == np.float32
                             else np.zeros(shape, dtype))
    return feeds


def macs_of(model):
    """2 x MACs of each Conv, MatMul and Gemm node, by node name."""
    inferred = shape_inference.infer_shapes(model)
    shapes = {}
    for value in (list(inferred.graph.value_info) +
                  list(inferred.graph.output) + list(inferred.graph.input)):
        shapes[value.name] = [d.dim_value for d in
                              value.type.tensor_type.shape.dim]
    for init in inferred.graph.initializer:
        shapes[init.name] = list(init.dims)
    flops = {}
    for node in inferred.graph.node:
        out = shapes.get(node.output[0])
        if not out or 0 in out:
            continue
        if node.op_type == "Conv" and node.input[1] in shapes:
            w = shapes[node.input[1]]
            flops[node.name] = 2 * int(np.prod(out)) * int(np.prod(w[1:]))
        elif node.op_type in ("MatMul", "Gemm") and node.input[0] in shapes:
            a = shapes[node.input[0]]
            k = a[0] if (node.op_type == "Gemm" and any(
                at.name == "transA" and at.i for at in node.attribute)) \
                else a[-1]
            flops[node.name] = 2 * int(np.prod(out)) * k
    return flops


def ort_names(model):
    """Per ONNX node name, the names onnxruntime may profile it under."""
    consumers = collections.defaultdict(list)
    for node in model.graph.node:
        for name in node.input:
            consumers[name].append(node)
    names = {}
    for node in model.graph.node:
        last = node
        while True:
            users = consumers.get(last.output[0], [])
            if len(users) != 1 or users[0].op_type not in FUSABLE:
                break
            last = users[0]
        candidates = []
        for n in (last, node):
            candidates += [n.output[0] + "_nchwc", n.output[0], n.name,
                           n.name + "_token_0"]
        names[node.name] = candidates
    return names


def sinan_profile(args, model_path, inputs, work):
    module = work / "model.snm"
    run([args.bin / "sinan-compile", model_path, "--compile-to=module",
         "--placement=cpu", f"--cpu={args.cpu}", f"-o={module}"])
    trace = work / "sinan.json"
    out = run([args.bin / "sinan-run", module, "--device", "cpu",
               "--inputs", inputs, "--repeat", str(args.repeat),
               "--host-threads", str(args.threads), "--sequential",
               "--profile", trace])
    wall = float(re.search(r"([0-9.]+) ms host wall time", out).group(1))
    steps = collections.defaultdict(list)
    for event in json.load(open(trace))["traceEvents"]:
        steps[(event["args"]["step"], event["name"],
               event["args"]["outputs"])].append(event["dur"])
    return wall, [(op, outputs, statistics.median(times))
                  for (_, op, outputs), times in sorted(steps.items())]


def ort_profile(args, model_path, feeds, work):
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    options.enable_profiling = True
    options.profile_file_prefix = str(work / "ort")
    session = ort.InferenceSession(str(model_path), options,
                                   providers=["CPUExecutionProvider"])
    for _ in range(3 + args.repeat):
        session.run(None, feeds)
    nodes = collections.defaultdict(list)
    kinds = {}
    for event in json.load(open(session.end_profiling())):
        if event.get("cat") == "Node" and event["name"].endswith(
                "_kernel_time"):
            name = event["name"][:-len("_kernel_time")]
            nodes[name].append(event["dur"])
            kinds[name] = event["args"].get("op_name", "?")
    # The first three runs warm up.
    return ({name: statistics.median(times[3:] or times)
             for name, times in nodes.items()}, kinds)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("inputs", nargs="?")
    parser.add_argument("--bin", default=str(ROOT / "build/dev/bin"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--cpu", default="native")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    args.bin = Path(args.bin)
    model = onnx.load(args.model)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.inputs:
            inputs = Path(args.inputs)
            feeds = dict(np.load(inputs))
        else:
            feeds = random_inputs(model)
            inputs = work / "inputs.npz"
            np.savez(inputs, **feeds)
        wall, steps = sinan_profile(args, args.model, inputs, work)
        ort_times, ort_kinds = ort_profile(args, args.model, feeds, work)
    flops = macs_of(model)
    candidates = ort_names(model)
    print(f"{Path(args.model).name}, {args.threads} host thread(s), "
          f"medians of {args.repeat} runs")
    print(f"sinan: {wall:.2f} ms wall ({sum(t for *_, t in steps) / 1e3:.2f}"
          f" ms in steps); onnxruntime: "
          f"{sum(ort_times.values()) / 1e3:.2f} ms in nodes\n")
    kinds = collections.Counter()
    for op, _, t in steps:
        kinds[op] += t
    ort_by_kind = collections.Counter()
    for name, t in ort_times.items():
        ort_by_kind[ort_kinds[name]] += t
    print("| sinan step kind | ms | onnxruntime node kind | ms |")
    print("|---|---|---|---|")
    left = kinds.most_common()
    right = ort_by_kind.most_common()
    for i in range(max(len(left), len(right))):
        a = f"{left[i][0]} | {left[i][1] / 1e3:.2f}" if i < len(left) \
            else " | "
        b = f"{right[i][0]} | {right[i][1] / 1e3:.2f}" if i < len(right) \
            else " | "
        print(f"| {a} | {b} |")
    rows = []
    for op, outputs, t in steps:
        node = outputs.split(", ")[0]
        match = next((c for c in candidates.get(node, [])
                      if c in ort_times and same_kind(op, ort_kinds[c])),
                     None)
        rows.append((t - (ort_times[match] if match else t), op, node, t,
                     ort_times.get(match)))
    print(f"\nsteps furthest behind onnxruntime's node (top {args.top}):\n")
    print("| step | op | sinan us | onnxruntime us | ratio | sinan GFLOP/s |")
    print("|---|---|---|---|---|---|")
    for _, op, node, t, o in sorted(rows, key=lambda r: -r[0])[:args.top]:
        rate = f"{flops[node] / t / 1e3:.0f}" if node in flops else "-"
        theirs = f"{o:.0f}" if o else "-"
        ratio = f"{t / o:.2f}" if o else "-"
        print(f"| {node} | {op} | {t:.0f} | {theirs} | {ratio} | {rate} |")
    matched = sum(1 for r in rows if r[4])
    print(f"\n{matched} of {len(rows)} steps matched an onnxruntime node")


if __name__ == "__main__":
    main()
