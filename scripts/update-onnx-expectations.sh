#!/usr/bin/env bash
# Regenerates test/onnx/node-expected-failures.txt and docs/onnx-coverage.md
# from a run of the node tests (after adding ops: review the diff, commit).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build="${1:-build/dev}"
root=$(ls -d .venv/lib/python3*/site-packages/onnx/backend/test/data/node | head -1)
{
  echo "# ONNX backend node tests that do not pass yet (unsupported or failing)."
  echo "# Regenerate with scripts/update-onnx-expectations.sh; the conformance"
  echo "# ctest fails on any test that stops passing."
  { "$build/bin/sinan-onnx-nodetests" "$root" -v || true; } | sed -n 's/^\(FAIL\|UNSUPPORTED\): \([^:]*\).*/\2/p'
} > test/onnx/node-expected-failures.txt
"$build/bin/sinan-onnx-nodetests" "$root" \
  --expected-failures test/onnx/node-expected-failures.txt \
  --report docs/onnx-coverage.md --light-models "$root/../light" | tail -10
