#!/usr/bin/env bash
# Usage: scripts/format.sh --check|--fix [clang-format]
# Checks or rewrites every tracked C/C++ source with the repository's
# .clang-format (LLVM style).
set -euo pipefail
mode="${1:---check}"
clang_format="${2:-clang-format}"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mapfile -t files < <(git ls-files '*.h' '*.hpp' '*.cpp' '*.c' 2>/dev/null || true)
if ((${#files[@]} == 0)); then
  echo "format: no tracked C/C++ files"
  exit 0
fi
if [[ "$mode" == --fix ]]; then
  "$clang_format" -i "${files[@]}"
else
  "$clang_format" --dry-run -Werror "${files[@]}"
  echo "format: ${#files[@]} files clean"
fi
