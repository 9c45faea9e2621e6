//===- Packing.h - Operand layouts of native entries -------------*- C++
//-*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_RUNTIME_EXEC_PACKING_H
#define SINAN_RUNTIME_EXEC_PACKING_H

#include <cstdint>
#include <cstdlib>
#include <memory>

namespace sinan::exec {

/// 64-byte aligned floats (what a native entry's vector loads prefer).
using AlignedFloats = std::unique_ptr<float, void (*)(void *)>;
AlignedFloats allocateFloats(int64_t count);

/// Lays out `src`, `rows` rows of `k` elements (`rows` a multiple of
/// `panel`), as panels of `panel` rows interleaved: element (r, j) goes to
/// dst[((r / panel) k + j) panel + r % panel] (module::CpuPackingDesc).
void packPanels(const float *src, int64_t rows, int64_t k, int64_t panel,
                float *dst);

} // namespace sinan::exec

#endif // SINAN_RUNTIME_EXEC_PACKING_H
