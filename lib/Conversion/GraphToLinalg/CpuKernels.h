//===- CpuKernels.h - CPU kernels beyond single linalg ops ------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Kernels of the CPU path that are not one linalg.generic: convolutions as
// an implicit GEMM over register tiles written in the vector dialect
// (ConvKernel.cpp). Private to GraphToLinalg.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_LIB_CONVERSION_GRAPHTOLINALG_CPUKERNELS_H
#define SINAN_LIB_CONVERSION_GRAPHTOLINALG_CPUKERNELS_H

#include "sinan/Conversion/GraphToLinalg.h"

#include "mlir/IR/Builders.h"

namespace sinan {

/// Whether `op` is an f32 conv2d with static shapes the convolution kernel
/// takes (every stride, padding, dilation and group).
bool isCpuGemm(mlir::Operation *op);

/// The number of units the kernel's [begin, end) range counts, and the
/// multiply-adds of one unit.
int64_t gemmKernelExtent(mlir::Operation *op);
int64_t gemmKernelUnitWork(mlir::Operation *op);

/// Emits the body computing units [begin, end) of `op` at the builder's
/// insertion point; `buffers` are the input, weight, optional bias and
/// output memrefs.
void buildGemmKernelBody(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Operation *op, mlir::ValueRange buffers,
                         mlir::Value begin, mlir::Value end,
                         const CpuKernelOptions &options);

} // namespace sinan

#endif // SINAN_LIB_CONVERSION_GRAPHTOLINALG_CPUKERNELS_H
