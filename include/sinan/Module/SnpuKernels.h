//===- SnpuKernels.h - Hand-written SNPU kernel templates -------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Kernels for graph ops the SNPU runs, generated from templates whose sizes
// come from the target description (chunk size from vbuf, one chunk stream
// per core). They follow the module launch ABI: binding addresses in r1, r2,
// ... (inputs, then the output). This is the library the placement uses
// until the npu/isa dialect path generates kernels.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_MODULE_SNPUKERNELS_H
#define SINAN_MODULE_SNPUKERNELS_H

#include "sinan/runtime/Target.h"
#include "sinan/runtime/isa/Kernel.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sinan::snpu {

/// Whether `op` (a graph op name without the dialect, e.g. "relu") with
/// `arity` f32 operands has an elementwise vector-unit kernel.
bool hasElementwiseKernel(std::string_view op, size_t arity);

/// The kernel computing `op` over `elements` f32 values: double-buffered
/// DMA in, vector op, DMA out, with chunks spread over the target's cores.
/// With `row` > 0 the second operand is a single row of `row` elements
/// combined with every row of the first, as in a bias add.
std::optional<isa::Kernel>
buildElementwiseKernel(const TargetDesc &target, std::string_view op,
                       size_t arity, uint64_t elements, std::string &error,
                       uint64_t row = 0);

/// Whether a row of `row` f32 elements broadcast over a binary op's first
/// operand fits the vector buffer (else the op has no kernel).
bool elementwiseRowFits(const TargetDesc &target, uint64_t row);

} // namespace sinan::snpu

#endif // SINAN_MODULE_SNPUKERNELS_H
