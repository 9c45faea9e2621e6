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
#   4. compiles it to a module for the default SNPU preset (sinan-compile
#      --compile-to=module --target snpu-edge): ops the SNPU runs (the conv
#      with its relu, the matmul with its bias add, both in bf16 on the
#      matrix unit) become kernel launches, the rest host ops; lists it
#      (sinan-objdump);
#   5. runs the module on the simulated SNPU (sinan-run --device snpu-sim) and
#      on the host CPU (--device cpu), each compared with onnxruntime, then
#      the two devices' outputs with each other, with a timing summary
#      (host wall time; simulated cycles, time and engine use on the SNPU).
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
# --placement=auto, the default, weighs each op's kernel and copies against
# the host: this model is small enough that all of it is cheaper on the
# host. The demo puts every op the SNPU can run there, to show the kernels.
echo "-- placement by cost (--placement=auto, the default):"
build/dev/bin/sinan-compile "$model" --compile-to=sched --target snpu-edge \
  --placement-report=- -o /dev/null | tail -n 1
echo
echo "-- compiled module (sinan-compile --compile-to=module --target snpu-edge --placement=snpu):"
build/dev/bin/sinan-compile "$model" --compile-to=module --target snpu-edge \
  --placement=snpu -o "$out/tiny_cnn.snm"
build/dev/bin/sinan-objdump "$out/tiny_cnn.snm" | sed -n '/^values:/,/^kernel 0/p'
echo
# The matmul runs in bf16 (f32 accumulation), so compare with onnxruntime's
# f32 result at bf16's accuracy: |error| <= 0.02 and cosine >= 0.9999.
tolerance=(--rtol 0 --atol 0.02 --min-cosine 0.9999)
echo "-- on the simulated SNPU (sinan-run --device snpu-sim) vs onnxruntime:"
build/dev/bin/sinan-run "$out/tiny_cnn.snm" --device snpu-sim \
  --inputs "$out/tiny_cnn.npz" --expected-npz "$out/tiny_cnn.npz" \
  "${tolerance[@]}" --output-dir "$out/snpu" --repeat 20
echo
echo "-- on the host CPU (sinan-run --device cpu) vs onnxruntime:"
build/dev/bin/sinan-run "$out/tiny_cnn.snm" --device cpu \
  --inputs "$out/tiny_cnn.npz" --expected-npz "$out/tiny_cnn.npz" \
  "${tolerance[@]}" --output-dir "$out/cpu" --repeat 100
echo
echo "-- agreement, snpu-sim vs cpu:"
.venv/bin/python - "$out" <<'PY'
import sys
import numpy as np
out = sys.argv[1]
a, b = np.load(f"{out}/snpu/y.npy"), np.load(f"{out}/cpu/y.npy")
same = np.array_equal(a.view(np.uint32), b.view(np.uint32))
print(f"y: {'bit-identical' if same else 'DIFFERENT'}, max abs "
      f"{np.max(np.abs(a - b)):.3g}")
sys.exit(0 if same else 1)
PY
echo
echo "-- all on the host, with native CPU code (sinan-compile --target cpu):"
build/dev/bin/sinan-compile "$model" --compile-to=module --target cpu \
  -o "$out/tiny_cnn_host.snm"
build/dev/bin/sinan-run "$out/tiny_cnn_host.snm" --device cpu \
  --inputs "$out/tiny_cnn.npz" --expected-npz "$out/tiny_cnn.npz" --repeat 100
cat <<'MSG'

What ran where: the conv with its relu and the matmul with its bias add ran
as SNPU kernels on the simulated device (the conv and the matmul on the
matrix unit in bf16 with f32 accumulation, the SNPU's default precision, the
bias added to each block of the product by the vector unit; the error
against onnxruntime above is bf16's); the flatten between them is a view
step (the schedule's "view": the matmul reads the conv's bytes as they lie,
nothing moves), so only the input and the output crossed the host link. On the cpu device each launch ran its host
fallback, which rounds the conv's and the matmul's operands to bf16 the
same way, so the two devices agree. The conv and matmul kernels were compiled by the SNPU
pipeline (graph -> npu -> isa: the conv as an implicit GEMM whose taps are
gathered, padded DMA loads, folded into one product since it has three
input channels, and whose weights, like the matmul's, were packed at
compile time;
tiling, double buffering, synchronization, registers; see sinan-compile
--compile-to=npu|isa; the host program, launches and copies with their
arena offsets, is --compile-to=sched). The default placement
(--placement=snpu) puts every op the SNPU can run there; for a model this
small the host-link copies cost more simulated time than the kernels save,
which --placement=auto weighs (--placement-report=- says where each op went
and why).
In the last run everything stayed on the host in f32 (--target cpu): the
conv with its relu and the matmul with its bias add ran as two native
kernels the compiler built through the vector dialect and LLVM (the
module's CPU object, for x86-64-v3: register tiles of fused multiply-adds,
the relu and the bias applied before each store); the flatten between
them is a view step here too (it shares the conv's bytes; nothing runs);
the outputs are compared with onnxruntime at f32 tolerances.
MSG
