//===- Passes.h - isa dialect passes ----------------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_DIALECT_ISA_TRANSFORMS_PASSES_H
#define SINAN_DIALECT_ISA_TRANSFORMS_PASSES_H

#include "sinan/Dialect/Isa/IR/IsaOps.h"

#include "mlir/Pass/Pass.h"

namespace sinan::isa::ir {

#define GEN_PASS_DECL
#include "sinan/Dialect/Isa/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "sinan/Dialect/Isa/Transforms/Passes.h.inc"

} // namespace sinan::isa::ir

#endif // SINAN_DIALECT_ISA_TRANSFORMS_PASSES_H
