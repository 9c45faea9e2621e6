//===- Packing.cpp - Operand layouts of native entries --------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/exec/Packing.h"

#include <algorithm>

namespace sinan::exec {

AlignedFloats allocateFloats(int64_t count) {
  size_t bytes = (size_t(std::max<int64_t>(count, 1)) * 4 + 63) / 64 * 64;
  return AlignedFloats(static_cast<float *>(std::aligned_alloc(64, bytes)),
                       std::free);
}

void packPanels(const float *src, int64_t rows, int64_t k, int64_t panel,
                float *dst) {
  // Columns in blocks, so that the panel's source rows stay in the cache
  // while their blocks are interleaved.
  constexpr int64_t kBlock = 64;
  for (int64_t p0 = 0; p0 < rows; p0 += panel) {
    float *out = dst + p0 * k;
    for (int64_t j0 = 0; j0 < k; j0 += kBlock) {
      int64_t j1 = std::min(k, j0 + kBlock);
      for (int64_t r = 0; r < panel; ++r) {
        const float *row = src + (p0 + r) * k;
        for (int64_t j = j0; j < j1; ++j)
          out[j * panel + r] = row[j];
      }
    }
  }
}

} // namespace sinan::exec
