#!/usr/bin/env bash
#===- scripts/demo.sh - The main job on the bundled model ------------------===#
# SPDX-License-Identifier: Apache-2.0
#
# Sets up and builds what it needs, then takes the bundled model
# (test/models/tiny_convnet.mlir, or the file given as $1) as far as Sinan can
# take it today. Today that is the graph dialect: the model is parsed,
# verified (shape inference on every op) and canonicalized, and the result is
# printed. Compiling for the SNPU and running on the device model and the CPU
# come with the SNPU compiler path and the runtime; this script says so
# instead of pretending.
#===------------------------------------------------------------------------===#
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
model="${1:-test/models/tiny_convnet.mlir}"

SINAN_SETUP_NO_PYTHON=1 bash scripts/setup.sh
cmake --preset dev >/dev/null
cmake --build --preset dev --target sinan-opt >/dev/null

opt=build/dev/bin/sinan-opt
echo "Sinan demo: $model"
echo
count_ops() { grep -cE '= graph\.' || true; }
echo "Input: $(count_ops <"$model") graph ops"
start=$(date +%s%N)
out=$("$opt" "$model" --canonicalize --mlir-print-elementsattrs-with-hex-if-larger=16)
end=$(date +%s%N)
echo "$out" | grep -v 'graph.constant'
echo
echo "After verification and canonicalization: $(count_ops <<<"$out") graph ops" \
     "($(grep -c 'graph.constant' <<<"$out") constants), $(((end - start) / 1000000)) ms"
cat <<'MSG'

Not yet available: lowering to the SNPU (npu/isa dialects, binary emission),
the module format and the runtime, so nothing was run on the SNPU device
model or the CPU and no outputs, agreement or performance can be reported.
MSG
