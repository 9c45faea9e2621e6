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
#include <type_traits>
#include <vector>

namespace {

/// Inputs for a conversion from `In`: normally distributed floats, or 16-bit
/// codes spread over the whole range.
template <typename In> std::vector<In> makeInputs(size_t count) {
  std::vector<In> values(count);
  if constexpr (std::is_same_v<In, float>) {
    std::mt19937 rng(7);
    std::normal_distribution<float> dist(0.0f, 10.0f);
    for (float &value : values)
      value = dist(rng);
  } else {
    for (size_t i = 0; i < count; ++i)
      values[i] = static_cast<In>(i * 2654435761u >> 16);
  }
  return values;
}

template <typename In, typename Out, Out (*Convert)(In)>
void convert(benchmark::State &state) {
  std::vector<In> input = makeInputs<In>(state.range(0));
  std::vector<Out> output(input.size());
  for (auto _ : state) {
    for (size_t i = 0; i < input.size(); ++i)
      output[i] = Convert(input[i]);
    benchmark::DoNotOptimize(output.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * input.size());
}

using sinan::bf16ToFloat, sinan::floatToBF16, sinan::floatToHalf,
    sinan::halfToFloat;
BENCHMARK(convert<float, uint16_t, floatToBF16>)
    ->Name("floatToBF16")
    ->Arg(1 << 16);
BENCHMARK(convert<float, uint16_t, floatToHalf>)
    ->Name("floatToHalf")
    ->Arg(1 << 16);
BENCHMARK(convert<uint16_t, float, bf16ToFloat>)
    ->Name("bf16ToFloat")
    ->Arg(1 << 16);
BENCHMARK(convert<uint16_t, float, halfToFloat>)
    ->Name("halfToFloat")
    ->Arg(1 << 16);

} // namespace
