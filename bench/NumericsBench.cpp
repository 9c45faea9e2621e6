//===- NumericsBench.cpp - Throughput of the exact conversions ------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The simulator and the reference kernels convert every bf16/fp16 operand
// through these functions, so their throughput bounds simulated MAC/s.
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/Numerics.h"

#include <benchmark/benchmark.h>

#include <random>
#include <vector>

namespace {

std::vector<float> randomFloats(size_t count) {
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 10.0f);
  std::vector<float> values(count);
  for (float &value : values)
    value = dist(rng);
  return values;
}

template <uint16_t (*Convert)(float)>
void convertFrom32(benchmark::State &state) {
  std::vector<float> input = randomFloats(state.range(0));
  std::vector<uint16_t> output(input.size());
  for (auto _ : state) {
    for (size_t i = 0; i < input.size(); ++i)
      output[i] = Convert(input[i]);
    benchmark::DoNotOptimize(output.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * input.size());
}

template <float (*Convert)(uint16_t)>
void convertTo32(benchmark::State &state) {
  std::vector<uint16_t> input(state.range(0));
  for (size_t i = 0; i < input.size(); ++i)
    input[i] = static_cast<uint16_t>(i * 2654435761u >> 16);
  std::vector<float> output(input.size());
  for (auto _ : state) {
    for (size_t i = 0; i < input.size(); ++i)
      output[i] = Convert(input[i]);
    benchmark::DoNotOptimize(output.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * input.size());
}

BENCHMARK(convertFrom32<sinan::floatToBF16>)->Name("floatToBF16")->Arg(1 << 16);
BENCHMARK(convertFrom32<sinan::floatToHalf>)->Name("floatToHalf")->Arg(1 << 16);
BENCHMARK(convertTo32<sinan::bf16ToFloat>)->Name("bf16ToFloat")->Arg(1 << 16);
BENCHMARK(convertTo32<sinan::halfToFloat>)->Name("halfToFloat")->Arg(1 << 16);

} // namespace
