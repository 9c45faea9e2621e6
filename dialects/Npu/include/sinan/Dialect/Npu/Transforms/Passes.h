//===- Passes.h - npu dialect passes ----------------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_DIALECT_NPU_TRANSFORMS_PASSES_H
#define SINAN_DIALECT_NPU_TRANSFORMS_PASSES_H

#include "sinan/Dialect/Npu/IR/NpuOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace sinan::npu {

#define GEN_PASS_DECL
#include "sinan/Dialect/Npu/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "sinan/Dialect/Npu/Transforms/Passes.h.inc"

/// Proves every cross-engine buffer dependence of `func` (an SNPU kernel
/// with its synchronization) ordered, on every core, as
/// sinan-npu-verify-sync does; emits the first race or deadlock found.
mlir::LogicalResult verifySync(mlir::func::FuncOp func);

} // namespace sinan::npu

#endif // SINAN_DIALECT_NPU_TRANSFORMS_PASSES_H
