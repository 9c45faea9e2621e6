#!/usr/bin/env python3
"""SNPU matrix products compiled from ONNX, simulated, beside their roofline.

Usage: .venv/bin/python bench/snpu/matmul.py [--bin build/dev/bin]
           [--target snpu-server] [--shapes 1024x1024x1024,...]

For each M x K x N: writes an ONNX MatMul (f32 inputs, as a model exports
them), compiles it with `sinan-compile --compile-to=isa`, encodes the kernel
with `sinan-translate`, runs it on `sinan-sim` and prints the simulated
cycles, the matrix unit's utilization, and the roofline bound from the
target description: max(MACs / chip bf16 MACs per cycle, DRAM bytes /
DRAM bytes per cycle) with the bytes a perfect kernel moves (A and B read
once, C written once). Also the compile time (median of three).
"""

import argparse
import re
import tempfile
from pathlib import Path

import onnx
from onnx import TensorProto, helper

from common import ROOT, chosen_blocks, load_target, median_seconds, run


def matmul_model(m, k, n, path):
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["a", "b"], ["c"], name="matmul")],
        "matmul",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [m, k]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, [k, n])],
        [helper.make_tensor_value_info("c", TensorProto.FLOAT, [m, n])])
    onnx.save(helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)]), path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=str(ROOT / "build/dev/bin"))
    parser.add_argument("--target", default="snpu-server")
    parser.add_argument("--shapes",
                        default="1024x1024x1024,512x512x512,256x1024x256,"
                                "100x72x40,1x4096x1024")
    args = parser.parse_args()
    binary = Path(args.bin)
    target = load_target(args.target)
    print(target.describe())
    print(f"{'M x K x N':>18} {'blocks':>14} {'cycles':>9} {'roofline':>9} "
          f"{'of bound':>8} {'MXU util':>8} {'compile s':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for shape in args.shapes.split(","):
            m, k, n = map(int, shape.split("x"))
            model, isa, kernel = (tmp / f"{shape}.onnx", tmp / f"{shape}.mlir",
                                  tmp / f"{shape}.snk")
            matmul_model(m, k, n, model)
            seconds = median_seconds([binary / "sinan-compile", model,
                                      "--target", args.target,
                                      "--placement=snpu",
                                      "--compile-to=isa", "-o", isa])
            blocks = chosen_blocks(binary, model, args.target)
            run([binary / "sinan-translate", "--isa-to-snpu-kernel", isa,
                 "-o", kernel])
            a_at, b_at = 0, (m * k * 4 + 4095) // 4096 * 4096
            c_at = b_at + (k * n * 4 + 4095) // 4096 * 4096
            dram = c_at + m * n * 4 + 4096
            stats = run([binary / "sinan-sim", kernel, "--dram-bytes",
                         str(dram), "--arg", str(a_at), "--arg", str(b_at),
                         "--arg", str(c_at)])
            cycles = int(re.search(r"^cycles: (\d+)", stats, re.M).group(1))
            util = re.search(r"matrix utilization \(bf16 peak\): ([\d.]+)%",
                             stats).group(1)
            macs = m * k * n
            bytes_moved = 4 * (m * k + k * n + m * n)
            bound = target.bound(macs, bytes_moved)
            print(f"{shape:>18} {blocks:>14} "
                  f"{cycles:>9} {bound:>9.0f} {bound / cycles:>7.1%} "
                  f"{util + '%':>8} {seconds:>9.3f}")


if __name__ == "__main__":
    main()
