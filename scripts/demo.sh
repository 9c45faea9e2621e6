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
#      --reference) and compares with onnxruntime;
#   4. compiles it to a module (sinan-compile --compile-to=module), lists it
#      (sinan-objdump) and runs it on the runtime's cpu device (sinan-run
#      model.snm), compared with onnxruntime, with a timing summary.
# Lowering to SNPU kernels and running on the device model come with the
# SNPU compiler path; this script says so instead of pretending.
#===------------------------------------------------------------------------===#
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
cmake --preset dev >/dev/null
cmake --build --preset dev --target sinan-compile sinan-run sinan-objdump \
  >/dev/null

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
echo
echo "-- compiled module (sinan-compile --compile-to=module --target snpu-edge):"
build/dev/bin/sinan-compile "$model" --compile-to=module --target snpu-edge \
  -o "$out/tiny_cnn.snm"
build/dev/bin/sinan-objdump "$out/tiny_cnn.snm" | sed -n '/^values:/,$p'
echo
echo "-- module on the runtime's cpu device (sinan-run model.snm) vs onnxruntime:"
build/dev/bin/sinan-run "$out/tiny_cnn.snm" --device cpu \
  --inputs "$out/tiny_cnn.npz" --expected-npz "$out/tiny_cnn.npz" --repeat 100
cat <<'MSG'

Not yet available: lowering the graph IR to SNPU kernels (npu/isa dialects,
binary emission) and the runtime's snpu-sim device. So the model was not run
on the SNPU device model: the module's steps are host ops executed by the
reference kernels, and no SNPU cycles or utilization are reported. The device
model itself works: see `sinan-as`/`sinan-sim` in docs/development.md.
MSG
