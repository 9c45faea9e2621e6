#!/usr/bin/env bash
#===- scripts/asan-test.sh - Every test suite under ASan and UBSan ---------===#
# SPDX-License-Identifier: Apache-2.0
#
# The test command's suites (GoogleTest, lit, pytest, the differential ci
# tier, ...) built with the `asan` preset: AddressSanitizer (with leak
# detection) and UndefinedBehaviorSanitizer, any report fatal. Not part of
# scripts/test.sh: a cold build and run take about an hour on two cores.
# Extra arguments go to ctest, e.g.:
#   bash scripts/asan-test.sh                  # everything
#   bash scripts/asan-test.sh -L unit          # the GoogleTest suites
#   bash scripts/asan-test.sh -R difftest      # one suite by name
#===------------------------------------------------------------------------===#
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
cmake --preset asan >/dev/null
cmake --build --preset asan
# allow_user_poisoning=0: see "Fuzzing" in docs/development.md (LLVM's
# allocator inlined into instrumented code, libMLIR.so not instrumented).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:allow_user_poisoning=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
exec ctest --preset asan "$@"
