//===- FmaPeakBench.cpp - The host core's measured FMA peak --------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Independent fused multiply-adds on as many vector registers as hide the
// FMA latency, for AVX-512 and for AVX2: the f32 peak one core reaches,
// which bench/cpu/cpu.py prints beside the kernels' figures. Counter
// `GFLOPS` is 2 flops per lane per FMA. The seed is opaque (a volatile read
// once) and the kernels `noipa`, so that the compiler neither folds nor
// hoists them; passing it through benchmark::DoNotOptimize every iteration
// instead made the AVX-512 loop 200x slower on the development VM.
//
//===----------------------------------------------------------------------===//

#include <benchmark/benchmark.h>

#include <cstdint>
#include <immintrin.h>

namespace {

constexpr int64_t kRounds = 1 << 16;

// 24 accumulators: more than the FMA latency times the two FMA ports.
__attribute__((target("avx512f"), noipa)) float fma512(float seed) {
  __m512 acc[24];
  for (int i = 0; i < 24; ++i)
    acc[i] = _mm512_set1_ps(seed * i);
  __m512 x = _mm512_set1_ps(0.999f), y = _mm512_set1_ps(seed);
  for (int64_t r = 0; r < kRounds; ++r) {
    // Unrolled, so that the accumulators stay in registers.
#pragma GCC unroll 24
    for (int i = 0; i < 24; ++i)
      acc[i] = _mm512_fmadd_ps(acc[i], x, y);
  }
  __m512 sum = acc[0];
  for (int i = 1; i < 24; ++i)
    sum = _mm512_add_ps(sum, acc[i]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, sum);
  return lanes[0];
}

// 12 accumulators leave AVX2's 16 registers room for the operands.
__attribute__((target("avx2,fma"), noipa)) float fma256(float seed) {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i)
    acc[i] = _mm256_set1_ps(seed * i);
  __m256 x = _mm256_set1_ps(0.999f), y = _mm256_set1_ps(seed);
  for (int64_t r = 0; r < kRounds; ++r) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i)
      acc[i] = _mm256_fmadd_ps(acc[i], x, y);
  }
  alignas(32) float lanes[8];
  __m256 sum = acc[0];
  for (int i = 1; i < 12; ++i)
    sum = _mm256_add_ps(sum, acc[i]);
  _mm256_store_ps(lanes, sum);
  return lanes[0];
}

void reportFlops(benchmark::State &state, double flopsPerCall) {
  state.counters["GFLOPS"] = benchmark::Counter(
      flopsPerCall * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_FmaPeakAvx512(benchmark::State &state) {
  if (!__builtin_cpu_supports("avx512f")) {
    state.SkipWithError("this host has no AVX-512");
    return;
  }
  volatile float opaque = 1e-4f;
  float seed = opaque;
  for (auto _ : state)
    benchmark::DoNotOptimize(fma512(seed));
  reportFlops(state, double(kRounds) * 24 * 16 * 2);
}

void BM_FmaPeakAvx2(benchmark::State &state) {
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    state.SkipWithError("this host has no AVX2 with FMA");
    return;
  }
  volatile float opaque = 1e-4f;
  float seed = opaque;
  for (auto _ : state)
    benchmark::DoNotOptimize(fma256(seed));
  reportFlops(state, double(kRounds) * 12 * 8 * 2);
}

} // namespace

BENCHMARK(BM_FmaPeakAvx512);
BENCHMARK(BM_FmaPeakAvx2);
