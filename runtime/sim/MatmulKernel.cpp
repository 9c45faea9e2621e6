//===- MatmulKernel.cpp - Host kernel behind the matrix unit --------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The bf16 multiply-accumulate is where simulated MACs are spent, so it is
// built with -O3 and cloned for AVX-512 and AVX2+FMA hosts (chosen at load
// time). Contracting c + a * b into an FMA does not change any result: every
// product of two bf16 values is exact in f32, so both forms round once.
//
//===----------------------------------------------------------------------===//

#include "Compute.h"

#include "sinan/runtime/Numerics.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace sinan::sim {
namespace {

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SINAN_HOST_CLONES                                                      \
  __attribute__((                                                              \
      target_clones("arch=skylake-avx512", "arch=haswell", "default")))
#else
#define SINAN_HOST_CLONES
#endif

/// c[i][0..n) += sum over kk ascending of a[i][kk] * b[kk][0..n), for a block
/// of rows; a is m x k and b is k x n, both already widened to f32.
SINAN_HOST_CLONES
void accumulateRows(const float *__restrict a, const float *__restrict b,
                    float *__restrict c, size_t m, size_t k, size_t n) {
  for (size_t i = 0; i < m; ++i) {
    float *__restrict row = c + i * n;
    for (size_t kk = 0; kk < k; ++kk) {
      float x = a[i * k + kk];
      const float *__restrict brow = b + kk * n;
      for (size_t j = 0; j < n; ++j)
        row[j] = row[j] + x * brow[j];
    }
  }
}
} // namespace

void matmulAccumulateBF16(const uint8_t *lhs, size_t lhsPitch,
                          const uint8_t *rhs, size_t rhsPitch, uint8_t *acc,
                          size_t accPitch, size_t m, size_t k, size_t n,
                          bool accumulate) {
  std::vector<float> a(m * k), b(k * n), c(m * n, 0.0f);
  for (size_t i = 0; i < m; ++i)
    for (size_t kk = 0; kk < k; ++kk) {
      uint16_t bits;
      std::memcpy(&bits, lhs + i * lhsPitch + 2 * kk, 2);
      a[i * k + kk] = bf16ToFloat(bits);
    }
  for (size_t kk = 0; kk < k; ++kk)
    for (size_t j = 0; j < n; ++j) {
      uint16_t bits;
      std::memcpy(&bits, rhs + kk * rhsPitch + 2 * j, 2);
      b[kk * n + j] = bf16ToFloat(bits);
    }
  if (accumulate)
    for (size_t i = 0; i < m; ++i)
      std::memcpy(&c[i * n], acc + i * accPitch, 4 * n);
  accumulateRows(a.data(), b.data(), c.data(), m, k, n);
  for (size_t i = 0; i < m; ++i)
    std::memcpy(acc + i * accPitch, &c[i * n], 4 * n);
}

} // namespace sinan::sim
