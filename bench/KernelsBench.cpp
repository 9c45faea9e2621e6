//===- KernelsBench.cpp - Throughput of the reference kernels -------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// f32 throughput of the host reference kernels (runtime/ref) on the shapes
// that dominate CNN and transformer models:
//   build/release/bench/sinan-bench-kernels
// Counter GFLOPS: 2 flops per multiply-accumulate, per wall-clock second.
// The argument `threads` caps oneTBB's parallelism (the kernels use
// tbb::parallel_for), so threads:1 is the per-core figure.
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/Tensor.h"
#include "sinan/runtime/ref/Kernels.h"

#include <benchmark/benchmark.h>
#include <tbb/global_control.h>

#include <random>

using namespace sinan;

namespace {

Tensor randomTensor(std::vector<int64_t> shape, unsigned seed) {
  Tensor tensor(DType::F32, std::move(shape));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  float *data = tensor.data<float>();
  for (int64_t i = 0, e = tensor.numElements(); i < e; ++i)
    data[i] = dist(rng);
  return tensor;
}

void setFlops(benchmark::State &state, double flopsPerIteration) {
  state.counters["GFLOPS"] = benchmark::Counter(
      flopsPerIteration * static_cast<double>(state.iterations()) * 1e-9,
      benchmark::Counter::kIsRate);
}

/// conv2d with a square kernel, symmetric padding and bias: NCHW input
/// `batch x in x size x size`, weight `out x in x kernel x kernel`.
void conv2d(benchmark::State &state, int64_t batch, int64_t in, int64_t size,
            int64_t out, int64_t kernel, int64_t stride, int64_t pad) {
  tbb::global_control threads(tbb::global_control::max_allowed_parallelism,
                              static_cast<size_t>(state.range(0)));
  int64_t outSize = (size + 2 * pad - kernel) / stride + 1;
  Tensor input = randomTensor({batch, in, size, size}, 1);
  Tensor weight = randomTensor({out, in, kernel, kernel}, 2);
  Tensor bias = randomTensor({out}, 3);
  Tensor result(DType::F32, {batch, out, outSize, outSize});
  ref::Conv2dParams params;
  params.strides = {stride, stride};
  params.pads = {pad, pad, pad, pad};
  for (auto _ : state) {
    ref::conv2d(input, weight, &bias, params, result);
    benchmark::DoNotOptimize(result.data());
    benchmark::ClobberMemory();
  }
  setFlops(state, 2.0 * static_cast<double>(batch * out * outSize * outSize *
                                            in * kernel * kernel));
}

/// matmul `[batch x] m x k` @ `[batch x] k x n` (no batch dimension when
/// batch is 0).
void matmul(benchmark::State &state, int64_t batch, int64_t m, int64_t k,
            int64_t n) {
  tbb::global_control threads(tbb::global_control::max_allowed_parallelism,
                              static_cast<size_t>(state.range(0)));
  auto shape = [&](int64_t rows, int64_t cols) {
    return batch ? std::vector<int64_t>{batch, rows, cols}
                 : std::vector<int64_t>{rows, cols};
  };
  Tensor a = randomTensor(shape(m, k), 1);
  Tensor b = randomTensor(shape(k, n), 2);
  Tensor result(DType::F32, shape(m, n));
  for (auto _ : state) {
    ref::matmul(a, b, result);
    benchmark::DoNotOptimize(result.data());
    benchmark::ClobberMemory();
  }
  setFlops(state,
           2.0 * static_cast<double>(std::max<int64_t>(batch, 1) * m * k * n));
}

// ResNet-50 layers: conv2_x 3x3, conv2_x 1x1 reduction, the 7x7 stem.
BENCHMARK_CAPTURE(conv2d, resnet_3x3_64x56x56_to64, 1, 64, 56, 64, 3, 1, 1)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(conv2d, resnet_1x1_256x56x56_to64, 1, 256, 56, 64, 1, 1, 0)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(conv2d, resnet_7x7s2_3x224x224_to64, 1, 3, 224, 64, 7, 2, 3)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

BENCHMARK_CAPTURE(matmul, 512x512x512, 0, 512, 512, 512)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(matmul, 1024x1024x1024, 0, 1024, 1024, 1024)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
// Attention scores of a BERT-base layer: 12 heads, 128 tokens, head size 64.
BENCHMARK_CAPTURE(matmul, batched_12x128x64_12x64x128, 12, 128, 64, 128)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

} // namespace
