# SPDX-License-Identifier: Apache-2.0
"""Checks Einsum forms found in real models against numpy.einsum: writes one
model per equation, runs `sinan-run --reference` on it and prints a line per
case. Usage: einsum_cases.py OUT_DIR SINAN_RUN"""
import subprocess
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

out, sinan_run = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(3)
CASES = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bhqd,bhkd->bhqk", [(1, 2, 3, 4), (1, 2, 5, 4)]),  # attention scores
    ("bhqk,bhkd->bhqd", [(1, 2, 3, 5), (1, 2, 5, 4)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (3, 4, 2)]),   # broadcast batch
    ("i,j->ij", [(3,), (4,)]),                           # outer product
    ("i,i", [(5,)] * 2),                                 # implicit scalar
    ("ij->ji", [(3, 4)]),
    ("ijk->", [(2, 3, 4)]),
    ("ijk->ki", [(2, 3, 4)]),
    ("abc,cd,de->abe", [(2, 3, 4), (4, 5), (5, 2)]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),      # bilinear
    ("ij,ij->ij", [(3, 4), (3, 4)]),                      # Hadamard
    ("ba", [(2, 3)]),                                     # implicit transpose
]
failures = 0
for n, (equation, shapes) in enumerate(CASES):
    names = [f"x{i}" for i in range(len(shapes))]
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    want = np.einsum(equation, *arrays).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Einsum", names, ["y"], name="einsum",
                          equation=equation)],
        "einsum",
        [helper.make_tensor_value_info(nm, onnx.TensorProto.FLOAT, s)
         for nm, s in zip(names, shapes)],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = f"{out}/einsum{n}"
    onnx.save(model, path + ".onnx")
    np.savez(path + "_in.npz", **dict(zip(names, arrays)))
    np.savez(path + "_out.npz", y=np.asarray(want))
    run = subprocess.run(
        [sinan_run, "--reference", path + ".onnx", "--inputs", path + "_in.npz",
         "--expected-npz", path + "_out.npz"],
        capture_output=True, text=True)
    ok = run.returncode == 0
    failures += not ok
    print(f"{'PASS' if ok else 'FAIL'} {equation}: "
          f"{(run.stdout + run.stderr).splitlines()[0] if not ok else ''}")
print(f"{failures} failures")
