#!/usr/bin/env python3
"""The CPU path's kernels beside onnxruntime, OpenBLAS and the FMA peak.

Usage: .venv/bin/python bench/cpu/cpu.py [--bin build/dev/bin]
           [--bench build/dev/bench] [--threads 1,2] [--repeat 30]
           [--cases sgemm,resnet50,mobilenetv2] [--cpu native]

Prints, for one host thread and for two (as `--threads` lists), the
machine's measured f32 FMA peak per core (`sinan-bench-fma-peak`, AVX-512
and AVX2), then one row per case: GFLOP/s (2 x MACs / median wall time) of
Sinan's native code (`sinan-compile --placement=cpu --cpu=native`, run
with `sinan-run --device cpu --host-threads T --repeat N`, whose median
includes the session's per-run overhead), of onnxruntime (pip, all graph
optimizations, intra-op threads T) on the same ONNX model, and for SGEMM of
numpy's BLAS (OpenBLAS, OPENBLAS_NUM_THREADS=T, in its own process), with
Sinan's ratio to onnxruntime (time, > 1 is slower) and its share of the
peak (peak per core x T). Cases: `sgemm` (1024^3, both operands inputs),
`resnet50` (ResNet-50's distinct convolution layers, batch 1, with bias),
`mobilenetv2` (its depthwise 3x3 layers). Figures move by 10-40 % between
runs on a shared VM: compare within one run.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "snpu"))
from conv import DEPTHWISE, LAYERS  # noqa: E402  (the layer tables)


def run(cmd, env=None):
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        sys.exit(f"error: {' '.join(map(str, cmd))}\n{result.stderr}")
    return result.stdout


def fma_peak(bench):
    """GFLOP/s per core: {'avx512': x, 'avx2': y} (absent if unsupported)."""
    out = json.loads(run([bench / "sinan-bench-fma-peak",
                          "--benchmark_format=json"]))
    peak = {}
    for b in out["benchmarks"]:
        if "GFLOPS" in b and not b.get("error_occurred"):
            peak[b["name"].removeprefix("BM_FmaPeak").lower()] = b["GFLOPS"]
    return peak


def save(graph, path):
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(onnx.shape_inference.infer_shapes(model), path)


def conv_case(name, layer, rng, work):
    c, h, w, f, k, s, p, *rest = layer
    group = rest[0] if rest else 1
    weight = (rng.standard_normal((f, c // group, k, k)) * 0.05).astype(
        np.float32)
    bias = rng.standard_normal(f).astype(np.float32)
    node = helper.make_node("Conv", ["x", "w", "b"], ["y"], strides=[s, s],
                            pads=[p] * 4, group=group)
    graph = helper.make_graph(
        [node], name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c, h, w])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(weight, "w"),
         numpy_helper.from_array(bias, "b")])
    path = work / f"{name}.onnx"
    save(graph, path)
    oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    macs = f * (c // group) * k * k * oh * ow
    return path, {"x": rng.standard_normal((1, c, h, w)).astype(np.float32)}, macs


def sgemm_case(n, rng, work):
    node = helper.make_node("MatMul", ["a", "b"], ["y"])
    graph = helper.make_graph(
        [node], "sgemm",
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, [n, n])
         for x in "ab"],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [n, n])])
    path = work / "sgemm.onnx"
    save(graph, path)
    feeds = {x: rng.standard_normal((n, n)).astype(np.float32) for x in "ab"}
    return path, feeds, n ** 3


def sinan_seconds(args, model, feeds, threads, work):
    module = work / (model.stem + ".snm")
    if not module.exists():
        run([args.bin / "sinan-compile", model, "--compile-to=module",
             "--placement=cpu", f"--cpu={args.cpu}", f"-o={module}"])
    inputs = work / (model.stem + ".npz")
    np.savez(inputs, **feeds)
    out = run([args.bin / "sinan-run", module, "--device", "cpu",
               "--inputs", inputs, "--repeat", str(args.repeat),
               "--host-threads", str(threads), "--pin-host-threads",
               "--warmup", "3"])
    found = re.search(r"([0-9.]+) ms host wall time \(median", out)
    if not found:
        sys.exit(f"error: no timing in sinan-run's output:\n{out}")
    return float(found.group(1)) / 1e3


def ort_seconds(args, model, feeds, threads):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(model), options,
                                   providers=["CPUExecutionProvider"])
    for _ in range(3):
        session.run(None, feeds)
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        session.run(None, feeds)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


BLAS = """
import sys, time, statistics, numpy as np
n, repeat = int(sys.argv[1]), int(sys.argv[2])
a = np.random.rand(n, n).astype(np.float32); b = np.random.rand(n, n).astype(np.float32)
for _ in range(3): a @ b
times = []
for _ in range(repeat):
    t = time.perf_counter(); a @ b; times.append(time.perf_counter() - t)
print(statistics.median(times))
"""


def blas_seconds(n, threads, repeat):
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads),
               OMP_NUM_THREADS=str(threads))
    return float(run([sys.executable, "-c", BLAS, str(n), str(repeat)], env))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=str(ROOT / "build/dev/bin"))
    parser.add_argument("--bench", default=str(ROOT / "build/dev/bench"))
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--cases", default="sgemm,resnet50,mobilenetv2")
    parser.add_argument("--cpu", default="native",
                        help="sinan-compile --cpu (default: this machine)")
    args = parser.parse_args()
    args.bin, args.bench = Path(args.bin), Path(args.bench)
    threads = [int(t) for t in args.threads.split(",")]
    cases = args.cases.split(",")

    peak = fma_peak(args.bench)
    best = max(peak.values())
    print(f"FMA peak per core (sinan-bench-fma-peak): " + ", ".join(
        f"{k} {v:.1f} GFLOP/s" for k, v in peak.items()) +
        f"; shares below are of {best:.1f} x threads")
    rng = np.random.default_rng(0)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        todo = []
        if "sgemm" in cases:
            todo.append(("sgemm 1024^3",) + sgemm_case(1024, rng, work))
        for name, layer in LAYERS.items():
            wanted = "mobilenetv2" if name in DEPTHWISE else "resnet50"
            if wanted in cases:
                todo.append((name,) + conv_case(name, layer, rng, work))
        for name, model, feeds, macs in todo:
            for t in threads:
                flops = 2 * macs / 1e9
                s = sinan_seconds(args, model, feeds, t, work)
                o = ort_seconds(args, model, feeds, t)
                blas = (blas_seconds(1024, t, args.repeat)
                        if name.startswith("sgemm") else None)
                rows.append((name, t, flops / s, flops / o,
                             flops / blas if blas else None, s / o,
                             flops / s / (best * t)))
                print(f"  {name} t{t}: sinan {s * 1e3:.3f} ms, "
                      f"onnxruntime {o * 1e3:.3f} ms", file=sys.stderr)
    print("| case | threads | Sinan GFLOP/s | onnxruntime GFLOP/s | "
          "OpenBLAS GFLOP/s | Sinan / onnxruntime (time) | Sinan of peak |")
    print("|---|---|---|---|---|---|---|")
    for name, t, sg, og, bg, ratio, share in rows:
        blas = f"{bg:.1f}" if bg else "-"
        print(f"| {name} | {t} | {sg:.1f} | {og:.1f} | {blas} | "
              f"{ratio:.2f} | {share * 100:.0f} % |")


if __name__ == "__main__":
    main()
