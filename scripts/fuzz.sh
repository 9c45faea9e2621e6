#!/usr/bin/env bash
#===- scripts/fuzz.sh - Every libFuzzer target, for a given time -----------===#
# SPDX-License-Identifier: Apache-2.0
#
# Installs clang-22 (SINAN_SETUP_FUZZ=1), builds the `fuzz` preset (ASan +
# UBSan), writes the seed corpora (fuzz/make_corpus.py, once) and runs each
# libFuzzer target in fork mode with -ignore_crashes=1, so one run collects
# every crash it can find. Each target's corpus grows across runs in
# build/fuzz/corpus/<target>/; crashes, timeouts, leaks and out-of-memory
# inputs land in build/fuzz/findings/<target>/; the summary in
# build/fuzz/summary.txt. Exits non-zero when a run found anything.
#   bash scripts/fuzz.sh                           # 600 s per target
#   bash scripts/fuzz.sh --time 60 --targets isa-decoder,isa-assembler
#   bash scripts/fuzz.sh --parallel 2 --seed 7     # two targets at a time
# Targets: onnx-importer compile module-loader module-run isa-decoder
# isa-assembler. See "Fuzzing" in docs/development.md.
#===------------------------------------------------------------------------===#
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

time_s=600 jobs=1 parallel=1 seed=1
targets="onnx-importer,compile,module-loader,module-run,isa-decoder,isa-assembler"
usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while (($#)); do
  case "$1" in
    --time) time_s="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --parallel) parallel="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --targets) targets="$2"; shift 2 ;;
    -h|--help) usage ;;
    *) echo "fuzz.sh: unknown argument '$1'" >&2; usage 1 >&2 ;;
  esac
done
for n in "$time_s" "$jobs" "$parallel" "$seed"; do
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "fuzz.sh: '$n' is not a number" >&2; exit 1; }
done

SINAN_SETUP_FUZZ=1 bash scripts/setup.sh
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz | grep -v '^\[' || true
fuzz="$PWD/build/fuzz"
[[ -x "$fuzz/fuzz/sinan-fuzz-compile" ]] || { echo "fuzz.sh: the fuzz build failed" >&2; exit 1; }

# Seeds, regenerated when the script that makes them changes. The tools
# that compile them are the fuzz build's (instrumented; leaks not reported).
if [[ ! -f "$fuzz/seeds/.stamp" || fuzz/make_corpus.py -nt "$fuzz/seeds/.stamp" ]]; then
  rm -rf "$fuzz/seeds"
  ASAN_OPTIONS=detect_leaks=0 .venv/bin/python fuzz/make_corpus.py \
    --out "$fuzz/seeds" --dict "$fuzz/onnx.dict" --bin "$fuzz/bin"
  touch "$fuzz/seeds/.stamp"
fi

seeds_of() {
  case "$1" in
    onnx-importer) echo onnx ;;
    compile) echo compile ;;
    module-loader|module-run) echo modules ;;
    isa-decoder) echo kernels ;;
    isa-assembler) echo asm ;;
    *) return 1 ;;
  esac
}

run_target() {
  local target="$1" index="$2"
  local binary="$fuzz/fuzz/sinan-fuzz-$target"
  local corpus="$fuzz/corpus/$target" findings="$fuzz/findings/$target"
  local log="$fuzz/logs/$target.log"
  mkdir -p "$corpus" "$findings" "$fuzz/logs"
  # A compilation runs the whole pipeline under ASan.
  local timeout=20
  [[ "$target" == compile ]] && timeout=60
  local flags=(-fork="$jobs" -ignore_crashes=1 -max_total_time="$time_s"
               -rss_limit_mb=4096 -timeout="$timeout" -seed=$((seed + index))
               -artifact_prefix="$findings/")
  case "$target" in
    onnx-importer|compile) flags+=(-dict="$fuzz/onnx.dict") ;;
  esac
  local before; before=$(ls "$findings" | wc -l)
  (cd "$fuzz" && nice "$binary" "${flags[@]}" "$corpus" \
     "$fuzz/seeds/$(seeds_of "$target")" >"$log" 2>&1) || true
  local after; after=$(ls "$findings" | wc -l)
  local stats; stats=$(grep -E '^#[0-9]+: cov:' "$log" | tail -1 || true)
  printf '%-14s %5ss  new findings: %-3s %s\n' "$target" "$time_s" \
    $((after - before)) "${stats:-no statistics (see $log)}" \
    >>"$fuzz/summary.txt"
}

IFS=, read -r -a selected <<<"$targets"
for target in "${selected[@]}"; do
  seeds_of "$target" >/dev/null ||
    { echo "fuzz.sh: unknown target '$target'" >&2; exit 1; }
done
: >"$fuzz/summary.txt"
echo "fuzz.sh: ${#selected[@]} targets, ${time_s} s each, $parallel at a time, $jobs job(s) each"
running=0
for index in "${!selected[@]}"; do
  if ((running >= parallel)); then wait -n; running=$((running - 1)); fi
  run_target "${selected[$index]}" "$index" &
  running=$((running + 1))
done
wait
sort -o "$fuzz/summary.txt" "$fuzz/summary.txt"
cat "$fuzz/summary.txt"
if grep -qv 'new findings: 0 ' "$fuzz/summary.txt"; then
  echo "fuzz.sh: findings in $fuzz/findings/ (reproduce: build/fuzz/fuzz/sinan-fuzz-<target> FILE)" >&2
  exit 1
fi
