//===- Passes.h - Sinan's placement pass ------------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_PLACEMENT_PASSES_H
#define SINAN_PLACEMENT_PASSES_H

#include "sinan/Placement/Placement.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace sinan {

#define GEN_PASS_DECL
#include "sinan/Placement/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "sinan/Placement/Passes.h.inc"

} // namespace sinan

#endif // SINAN_PLACEMENT_PASSES_H
