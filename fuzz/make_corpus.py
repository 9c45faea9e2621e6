#!/usr/bin/env python3
# ===- fuzz/make_corpus.py - Seed corpora and dictionary for the fuzzers ----===#
# SPDX-License-Identifier: Apache-2.0
#
# Writes one seed directory per libFuzzer target under --out, deterministic
# and made from what the machine already has (nothing binary is checked in):
#   onnx/     every backend node-test model of the pinned onnx wheel up to
#             4 kB, the light models up to 20 kB, Sinan's bundled test models
#             and 100 graphs of the differential-test generator (fixed seeds)
#             (sinan-fuzz-onnx-importer)
#   compile/  the same models, each behind a configuration byte that cycles
#             through the fuzzer's targets, placements and precisions
#             (sinan-fuzz-compile)
#   modules/  .snm modules sinan-compile writes from a selection of them, for
#             both presets and --placement=cpu (module loader, module run)
#   kernels/  SNPU kernel binaries of single-kernel models (--compile-to=isa,
#             sinan-translate --isa-to-snpu-kernel) (sinan-fuzz-isa-decoder)
#   asm/      their disassembly as assembly text, and test/sim/*.s
#             (sinan-fuzz-isa-assembler)
# and a libFuzzer dictionary of op types, attribute names and domains.
# --bin names the directory of the sinan-compile, sinan-translate and
# sinan-objdump to use. Run with .venv/bin/python:
#   .venv/bin/python fuzz/make_corpus.py --out build/fuzz/seeds \
#       --dict build/fuzz/onnx.dict --bin build/fuzz/bin
# ===------------------------------------------------------------------------===#
import argparse
import pathlib
import re
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


NODE_MAX_BYTES = 4096
# Models compiled into module and kernel seeds: one node test per op type
# of OPS, Sinan's test models and the first difftest graphs.
GENERATED = 100
COMPILED_GENERATED = 12
LISTING = re.compile(r"^\s*\d+: (?:[0-9a-f]{8} ){4}\s*(.*)$")


def onnx_seeds(root, data, tmp):
    """(name, path, compiled) of every ONNX seed; compiled ones also seed the
    module and kernel corpora."""
    seeds = []
    smallest = {}  # op type -> (size, name)
    for model_path in sorted((data / "node").glob("*/model.onnx")):
        size = model_path.stat().st_size
        if size > NODE_MAX_BYTES:
            continue
        name = f"node_{model_path.parent.name}"
        seeds.append([name, model_path, False])
        model = onnx.load(str(model_path), load_external_data=False)
        if model.graph.node:
            op = model.graph.node[0].op_type
            if op in OPS and (op not in smallest or size < smallest[op][0]):
                smallest[op] = (size, name)
    chosen = {name for _, name in smallest.values()}
    for seed in seeds:
        seed[2] = seed[0] in chosen
    for path in sorted((data / "light").glob("*.onnx")):
        if path.stat().st_size <= LIGHT_MAX_BYTES:
            seeds.append([f"light_{path.stem}", path, False])
    models = tmp / "models"
    models.mkdir()
    script = root / "scripts" / "make_test_models.py"
    if subprocess.run([sys.executable, str(script), str(models)],
                      stdout=subprocess.DEVNULL).returncode == 0:
        for path in sorted(models.glob("*.onnx")):
            seeds.append([f"sinan_{path.stem}", path, True])
    sys.path.insert(0, str(root / "tools" / "sinan-difftest"))
    from difftest import generator
    for i in range(GENERATED):
        model, _ = generator.to_model([generator.generate(1000 + i)])
        path = tmp / f"difftest_{i}.onnx"
        onnx.save(model, str(path))
        seeds.append([f"difftest_{i}", path, i < COMPILED_GENERATED])
    return seeds


def compile_seeds(seeds, bin_dir, out, tmp):
    """Modules, kernels and assembly from the compiled seeds."""
    compile_tool = bin_dir / "sinan-compile"
    modules, kernels, asm = (out / "modules", out / "kernels", out / "asm")
    for directory in (modules, kernels, asm):
        directory.mkdir(parents=True, exist_ok=True)
    variants = [("server", ["--target=snpu-server"]),
                ("edge", ["--target=snpu-edge"]),
                ("cpu", ["--placement=cpu", "--cpu=none"])]
    counts = [0, 0, 0]
    for name, path, compiled in seeds:
        if not compiled:
            continue
        for tag, flags in variants:
            module = modules / f"{name}.{tag}.snm"
            if subprocess.run([compile_tool, path, "--compile-to=module",
                               f"-o={module}", *flags],
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode == 0:
                counts[0] += 1
        for tag, flags in variants[:2]:
            isa_text = tmp / f"{name}.{tag}.isa.mlir"
            kernel = kernels / f"{name}.{tag}.snk"
            if subprocess.run([compile_tool, path, "--compile-to=isa",
                               f"-o={isa_text}", *flags],
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode != 0:
                continue
            # One kernel per binary: models with several are skipped.
            if subprocess.run([bin_dir / "sinan-translate",
                               "--isa-to-snpu-kernel", isa_text,
                               "-o", kernel],
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode != 0:
                kernel.unlink(missing_ok=True)
                continue
            counts[1] += 1
            listing = subprocess.run([bin_dir / "sinan-objdump", kernel],
                                     capture_output=True, text=True)
            lines = [m.group(1) for m in map(LISTING.match,
                                             listing.stdout.splitlines())
                     if m]
            if lines:
                (asm / f"{name}.{tag}.s").write_text("\n".join(lines) + "\n")
                counts[2] += 1
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True, type=pathlib.Path)
    parser.add_argument("--dict", required=True, type=pathlib.Path)
    parser.add_argument("--bin", type=pathlib.Path,
                        help="sinan-compile, sinan-translate, sinan-objdump "
                             "(without: no module, kernel or assembly seeds)")
    args = parser.parse_args()
    root = pathlib.Path(__file__).resolve().parent.parent
    data = onnx_data_dir(root)
    onnx_dir, compile_dir = args.out / "onnx", args.out / "compile"
    for directory in (onnx_dir, compile_dir):
        directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = pathlib.Path(tmp_name)
        seeds = onnx_seeds(root, data, tmp)
        for index, (name, path, _) in enumerate(seeds):
            body = path.read_bytes()
            (onnx_dir / f"{name}.onnx").write_bytes(body)
            (compile_dir / f"{name}.bin").write_bytes(bytes([index % 8]) + body)
        counts = [0, 0, 0]
        if args.bin:
            counts = compile_seeds(seeds, args.bin, args.out, tmp)
    asm_dir = args.out / "asm"
    asm_dir.mkdir(parents=True, exist_ok=True)
    for path in sorted((root / "test" / "sim").glob("*.s")):
        shutil.copyfile(path, asm_dir / path.name)

    all_ops, domains = set(), set()
    for model_path in sorted((data / "node").glob("*/model.onnx")):
        model = onnx.load(str(model_path), load_external_data=False)
        domains.update(opset.domain for opset in model.opset_import)
        all_ops.update(node.op_type for node in model.graph.node)
    tokens = sorted(all_ops) + NODE_ATTRIBUTES + sorted(d for d in domains if d)
    with open(args.dict, "w") as out:
        for token in tokens:
            out.write(f'"{token}"\n')
    print(f"make_corpus: {len(seeds)} ONNX seeds (onnx/, compile/), "
          f"{counts[0]} modules, {counts[1]} kernels, {counts[2]} listings "
          f"in {args.out}; {len(tokens)} tokens in {args.dict}")


if __name__ == "__main__":
    main()
