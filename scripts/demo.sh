#!/usr/bin/env bash
#===- scripts/demo.sh - The main job on the bundled model ------------------===#
# SPDX-License-Identifier: Apache-2.0
#
# Sets up and builds what it needs, then takes the bundled model as far as
# Sinan can take it today:
#   1. builds the bundled ONNX model (scripts/make_test_models.py: a small
#      conv net, fixed seeds) and onnxruntime's outputs for a fixed input;
#   2. imports it into the graph dialect (sinan-compile) and prints the IR;
#   3. runs it on the host with Sinan's reference kernels (sinan-run
#      --reference) and compares with onnxruntime.
# Compiling for the SNPU and running on the device model come with the SNPU
# compiler path and the runtime; this script says so instead of pretending.
#===------------------------------------------------------------------------===#
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
cmake --preset dev >/dev/null
cmake --build --preset dev --target sinan-compile sinan-run >/dev/null

out=build/demo
mkdir -p "$out"
.venv/bin/python scripts/make_test_models.py "$out" --with-expected \
  --only tiny_cnn >/dev/null
model="$out/tiny_cnn.onnx"

echo "== Sinan demo: $model (Conv 3x3 -> Relu -> Flatten -> MatMul -> Add)"
echo
echo "-- graph IR (sinan-compile --compile-to=graph), constants elided:"
build/dev/bin/sinan-compile "$model" --compile-to=graph \
  --mlir-elide-elementsattrs-if-larger=8
echo "-- host reference run (sinan-run --reference) vs onnxruntime:"
build/dev/bin/sinan-run --reference "$model" --inputs "$out/tiny_cnn.npz" \
  --expected-npz "$out/tiny_cnn.npz" --output-dir "$out/outputs"
cat <<'MSG'

Not yet available: lowering the graph IR to the SNPU (npu/isa dialects,
binary emission), the module format and the runtime's devices. So the model
was not run on the SNPU device model, and the host run above uses the
reference kernels, not compiled CPU code; no SNPU performance is reported.
The device model itself works: see `sinan-as`/`sinan-sim` in docs/development.md.
MSG
