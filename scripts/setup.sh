#!/usr/bin/env bash
#===- scripts/setup.sh - Install Sinan's build and test dependencies -------===#
# SPDX-License-Identifier: Apache-2.0
#
# Idempotent: installs only what is missing on a Debian bookworm machine and
# returns in seconds when everything is present. Works as root or via sudo.
#   apt:    LLVM/MLIR 22, oneTBB, fmt, spdlog, GoogleTest, Google Benchmark,
#           protobuf + ONNX schema, FlatBuffers, JSON, Ninja, ccache,
#           python3-torch/-torchvision (the model zoo's exporter).
#   Python: a project-local virtual environment (.venv) with pinned tools.
# Set SINAN_SETUP_NO_PYTHON=1 to skip the virtual environment,
# SINAN_SETUP_RUNTIME_ONLY=1 to install only what the runtime build needs,
# SINAN_SETUP_FUZZ=1 to add clang-22 and its libFuzzer/sanitizer runtimes for
# the `fuzz` preset (not needed by scripts/test.sh or CI).
#===------------------------------------------------------------------------===#
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

runtime_pkgs=(cmake ninja-build g++ ccache pkg-config
  libtbb-dev libfmt-dev libspdlog-dev libgtest-dev libgmock-dev
  libbenchmark-dev libflatbuffers-dev flatbuffers-compiler nlohmann-json3-dev
  python3 python3-venv)
compiler_pkgs=(llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools
  libprotobuf-dev protobuf-compiler libonnx-dev clang-format
  libzstd-dev zlib1g-dev)
# The model zoo exports networks with PyTorch's own exporter, run by
# Debian's python3 (tools/sinan-zoo/export_model.py).
zoo_pkgs=(python3-torch python3-torchvision)
fuzz_pkgs=(clang-22 libclang-rt-22-dev)

pkgs=("${runtime_pkgs[@]}")
if [[ "${SINAN_SETUP_RUNTIME_ONLY:-0}" != 1 ]]; then
  pkgs+=("${compiler_pkgs[@]}" "${zoo_pkgs[@]}")
fi
if [[ "${SINAN_SETUP_FUZZ:-0}" == 1 ]]; then
  pkgs+=("${fuzz_pkgs[@]}")
fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "setup: need root or sudo to install packages" >&2; exit 1; }
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[[ "${SINAN_SETUP_NO_PYTHON:-0}" == 1 ]] && exit 0

# Python test tooling, pinned, in a project-local environment. The stamp holds
# the requirements' hash so a changed pin reinstalls and nothing else does.
venv="$root/.venv"
req="$root/scripts/requirements.txt"
stamp="$venv/.sinan-requirements"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" ]]; then
  echo "setup: creating $venv"
  python3 -m venv "$venv"
fi
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  echo "setup: installing pinned Python tools"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
  echo "$want" >"$stamp"
fi
