#!/usr/bin/env bash
#===- scripts/test.sh - Install, build and run every Sinan test suite ------===#
# SPDX-License-Identifier: Apache-2.0
#
# The README's test command and the whole of CI. On a fresh machine it installs
# what is missing (scripts/setup.sh), then:
#   1. builds the runtime alone (SINAN_BUILD_COMPILER=OFF, LLVM/MLIR hidden
#      from CMake) and runs its tests, proving the runtime needs no compiler;
#   2. builds everything with the `dev` preset and runs all suites through
#      ctest: GoogleTest (label unit), lit (lit), pytest (python), format
#      check (style), generated docs (docs). The last line is ctest's summary.
#===------------------------------------------------------------------------===#
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

start=$(date +%s)
step() { echo; echo "== $* ($(($(date +%s) - start))s)"; }

step "setup"
bash scripts/setup.sh

step "runtime alone, without LLVM/MLIR"
cmake --preset runtime-only >build-runtime-only.log 2>&1 ||
  { cat build-runtime-only.log; exit 1; }
rm -f build-runtime-only.log
cmake --build --preset runtime-only
if grep -q "llvm" build/runtime-only/compile_commands.json; then
  echo "error: the runtime-only build references LLVM:" >&2
  grep -o '[^ ]*llvm[^ ]*' build/runtime-only/compile_commands.json | sort -u >&2
  exit 1
fi
ctest --preset runtime-only --progress

step "full build (dev preset)"
cmake --preset dev >/dev/null
cmake --build --preset dev

step "all test suites"
ctest --preset dev
