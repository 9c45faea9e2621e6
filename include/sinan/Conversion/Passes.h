//===- Passes.h - Sinan's conversion passes ---------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_CONVERSION_PASSES_H
#define SINAN_CONVERSION_PASSES_H

#include "sinan/Dialect/Isa/IR/IsaDialect.h"
#include "sinan/Dialect/Npu/IR/NpuDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "mlir/Pass/Pass.h"

namespace sinan {

#define GEN_PASS_DECL
#include "sinan/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "sinan/Conversion/Passes.h.inc"

} // namespace sinan

#endif // SINAN_CONVERSION_PASSES_H
