#!/usr/bin/env bash
#===- scripts/difftest.sh - Differential testing's long tier ---------------===#
# SPDX-License-Identifier: Apache-2.0
#
# Sets up and builds the tools, then generates random ONNX graphs from a seed
# taken from the clock and runs them on onnxruntime and on every Sinan path
# until the budget runs out (tools/sinan-difftest, docs/development.md).
# Extra arguments go to `sinan-difftest run`, e.g.:
#   bash scripts/difftest.sh                  # 30 minutes
#   bash scripts/difftest.sh --budget 600     # 10 minutes
#   bash scripts/difftest.sh --seed 100000    # from a chosen seed
# Minimized reproducers land in build/difftest-long/repro/, the summary in
# build/difftest-long/run.json.
#===------------------------------------------------------------------------===#
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
cmake --preset dev >/dev/null
cmake --build --preset dev --target sinan-compile sinan-run >/dev/null
exec .venv/bin/python tools/sinan-difftest/sinan-difftest run --tier long \
  --out build/difftest-long --json build/difftest-long/run.json "$@"
