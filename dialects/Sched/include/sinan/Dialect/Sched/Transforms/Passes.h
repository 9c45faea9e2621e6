//===- Passes.h - sched dialect passes --------------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_DIALECT_SCHED_TRANSFORMS_PASSES_H
#define SINAN_DIALECT_SCHED_TRANSFORMS_PASSES_H

#include "sinan/Dialect/Sched/IR/SchedOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace sinan::sched {

#define GEN_PASS_DECL
#include "sinan/Dialect/Sched/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "sinan/Dialect/Sched/Transforms/Passes.h.inc"

} // namespace sinan::sched

#endif // SINAN_DIALECT_SCHED_TRANSFORMS_PASSES_H
