#!/usr/bin/env python3
# ===- fuzz/make_corpus.py - Seed corpus and dictionary for the fuzzers -----===#
# SPDX-License-Identifier: Apache-2.0
#
# Copies a varied, deterministic selection of ONNX models from the pinned onnx
# wheel (backend node tests: the smallest model per op type in OPS, plus the
# small light models) and Sinan's generated test models into a corpus
# directory, and writes a libFuzzer dictionary of op types, attribute names
# and domains. Nothing binary is checked in. Run with .venv/bin/python:
#   .venv/bin/python fuzz/make_corpus.py --corpus build/fuzz/corpus \
#       --dict build/fuzz/onnx.dict
# ===------------------------------------------------------------------------===#
import argparse
import pathlib
import shutil
import subprocess
import sys
import tempfile

import onnx

# One seed per op type: convolution and pooling, shape manipulation,
# broadcasting arithmetic, reductions, control flow and types Sinan rejects
# (If, Loop, Einsum, quantization) so the error paths are seeded too.
OPS = [
    "Add", "ArgMax", "AveragePool", "BatchNormalization", "Cast", "Clip",
    "Concat", "Constant", "ConstantOfShape", "Conv", "ConvTranspose",
    "CumSum", "DepthToSpace", "DequantizeLinear", "Div", "Dropout", "Einsum",
    "Expand", "Flatten", "Gather", "GatherElements", "Gemm",
    "GlobalAveragePool", "Hardmax", "If", "InstanceNormalization",
    "LRN", "LayerNormalization", "LeakyRelu", "Loop", "MatMul", "MaxPool",
    "Mod", "Mul", "Pad", "Pow", "Range", "ReduceMean", "ReduceSum", "Relu",
    "Reshape", "Resize", "Shape", "Slice", "Softmax", "Split", "Squeeze",
    "Tile", "TopK", "Transpose", "Trilu", "Unsqueeze", "Where",
]
LIGHT_MAX_BYTES = 20000  # The larger light models slow every mutation.
NODE_ATTRIBUTES = [
    "axis", "axes", "keepdims", "kernel_shape", "strides", "pads",
    "dilations", "group", "auto_pad", "ceil_mode", "perm", "value", "to",
    "mode", "alpha", "beta", "epsilon", "transA", "transB", "allowzero",
    "coordinate_transformation_mode", "output_shape", "output_padding",
]


def onnx_data_dir(root):
    found = sorted(root.glob(
        ".venv/lib/python3*/site-packages/onnx/backend/test/data"))
    if not found:
        sys.exit("make_corpus: no onnx wheel in .venv (run scripts/setup.sh)")
    return found[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", required=True, type=pathlib.Path)
    parser.add_argument("--dict", required=True, type=pathlib.Path)
    args = parser.parse_args()
    root = pathlib.Path(__file__).resolve().parent.parent
    data = onnx_data_dir(root)
    args.corpus.mkdir(parents=True, exist_ok=True)

    smallest = {}  # op type -> (size, path)
    all_ops, domains = set(), set()
    for model_path in sorted((data / "node").glob("*/model.onnx")):
        model = onnx.load(str(model_path), load_external_data=False)
        for opset in model.opset_import:
            domains.add(opset.domain)
        for node in model.graph.node:
            all_ops.add(node.op_type)
        if not model.graph.node:
            continue
        op = model.graph.node[0].op_type
        size = model_path.stat().st_size
        if op in OPS and (op not in smallest or size < smallest[op][0]):
            smallest[op] = (size, model_path)
    count = 0
    for op, (_, path) in sorted(smallest.items()):
        shutil.copyfile(path, args.corpus / f"node_{path.parent.name}.onnx")
        count += 1
    for path in sorted((data / "light").glob("*.onnx")):
        if path.stat().st_size <= LIGHT_MAX_BYTES:
            shutil.copyfile(path, args.corpus / path.name)
            count += 1
    # Sinan's own bundled test models (fixed seeds).
    with tempfile.TemporaryDirectory() as tmp:
        script = root / "scripts" / "make_test_models.py"
        if subprocess.run([sys.executable, str(script), tmp],
                          stdout=subprocess.DEVNULL).returncode == 0:
            for path in sorted(pathlib.Path(tmp).glob("*.onnx")):
                shutil.copyfile(path, args.corpus / f"sinan_{path.name}")
                count += 1

    tokens = sorted(all_ops) + NODE_ATTRIBUTES + sorted(d for d in domains if d)
    with open(args.dict, "w") as out:
        for token in tokens:
            out.write(f'"{token}"\n')
    print(f"make_corpus: {count} seeds in {args.corpus}, "
          f"{len(tokens)} tokens in {args.dict}")


if __name__ == "__main__":
    main()
