#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the runtime from BUILD_DIR into a scratch prefix, builds
# examples/embed against it with find_package(Sinan), compiles a model and
# checks that the embedded C program computes what sinan-run computes.
# Usage: run-embed.sh SOURCE_DIR BUILD_DIR BIN_DIR PYTHON
set -euo pipefail
src=$1 build=$2 bin=$3 python=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$src/examples/embed" -B "$work/embed" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/embed" >/dev/null
if ldd "$work/embed/embed_c" | grep -Eiq 'mlir|llvm'; then
  echo "embed_c pulls in MLIR/LLVM:"; ldd "$work/embed/embed_c"; exit 1
fi
"$python" "$src/scripts/make_test_models.py" "$work" --with-expected >/dev/null
"$bin/sinan-compile" "$work/tiny_cnn.onnx" --compile-to=module --placement=snpu \
  -o "$work/tiny.snm"
"$python" -c "import numpy as np, sys; np.load(sys.argv[1])['x'].tofile(sys.argv[2])" \
  "$work/tiny_cnn.npz" "$work/x.bin"
"$work/embed/embed_c" "$work/tiny.snm" "$work/x.bin" "$work/y.bin"
"$bin/sinan-run" "$work/tiny.snm" --inputs "$work/tiny_cnn.npz" \
  --output-dir "$work/out" >/dev/null
"$python" - "$work" <<'PY'
import sys, numpy as np
w = sys.argv[1]
got = np.fromfile(f"{w}/y.bin", dtype=np.float32)
want = np.load(f"{w}/out/y.npy").ravel()
assert got.shape == want.shape and np.array_equal(got, want), (got, want)
print("embed_c output identical to sinan-run:", got[:3], "...")
PY
# All on the host: the convolution with its relu and the matmul with its
# bias add run the module's native CPU code (the flatten between them is a
# view step, which runs nothing), as in sinan-run.
"$bin/sinan-compile" "$work/tiny_cnn.onnx" --compile-to=module --placement=cpu \
  -o "$work/host.snm"
"$work/embed/embed_c" "$work/host.snm" "$work/x.bin" "$work/y-host.bin" |
  tee "$work/host.log"
grep -q "host ops: 2 native, 0 reference" "$work/host.log"
"$bin/sinan-run" "$work/host.snm" --inputs "$work/tiny_cnn.npz" \
  --output-dir "$work/host-out" >/dev/null
"$python" -c "import numpy as np, sys; assert np.array_equal(np.fromfile(sys.argv[1], dtype=np.float32), np.load(sys.argv[2]).ravel())" \
  "$work/y-host.bin" "$work/host-out/y.npy"
# The simulated SNPU through the installed library: the same bytes.
"$work/embed/embed_c" "$work/tiny.snm" "$work/x.bin" "$work/y-sim.bin" snpu-sim
cmp "$work/y.bin" "$work/y-sim.bin"
"$work/embed/embed_cpp" "$work/tiny.snm"
