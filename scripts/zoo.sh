#!/usr/bin/env bash
#===- scripts/zoo.sh - The model zoo's full tier ---------------------------===#
# SPDX-License-Identifier: Apache-2.0
#
# Sets up and builds what the zoo needs, then runs every model of test/zoo on
# every target of its config (tools/sinan-zoo, see docs/zoo.md). Extra
# arguments go to `sinan-zoo run`, e.g.:
#   bash scripts/zoo.sh                       # full tier, 2 models at a time
#   bash scripts/zoo.sh --models resnet50     # one model
#   bash scripts/zoo.sh --shard 2/4           # a CI matrix's second shard
#   bash scripts/zoo.sh --update-baselines    # record this run's figures
# The run's JSON is build/zoo/zoo-run.json and JUnit XML build/zoo/junit.xml;
# `tools/sinan-zoo/sinan-zoo report build/zoo/zoo-run.json` regenerates
# docs/zoo-report.md and its charts from it.
#===------------------------------------------------------------------------===#
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
cmake --preset dev >/dev/null
cmake --build --preset dev --target sinan-compile sinan-run >/dev/null
exec .venv/bin/python tools/sinan-zoo/sinan-zoo run --tier full \
  --junit build/zoo/junit.xml "$@"
