//===- Passes.h - Passes that evaluate graph ops ----------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_INTERPRETER_PASSES_H
#define SINAN_INTERPRETER_PASSES_H

#include "mlir/IR/Builders.h"
#include "mlir/Pass/Pass.h"

namespace sinan {

#define GEN_PASS_DECL
#include "sinan/Interpreter/Passes.h.inc"

/// The default largest folded result, in elements.
inline constexpr int64_t kMaxFoldedElements = int64_t(1) << 20;

/// If every operand of `op` (a graph op with one static-shaped result of at
/// most `maxElements` elements) is a graph.constant, builds the constant
/// the reference kernels give before `op`, redirects `op`'s uses to it,
/// erases `op` and returns the constant; otherwise changes nothing and
/// returns null (also when the kernel refuses the operands).
mlir::Value foldConstantOp(mlir::Operation *op, mlir::OpBuilder &builder,
                           int64_t maxElements = kMaxFoldedElements);

#define GEN_PASS_REGISTRATION
#include "sinan/Interpreter/Passes.h.inc"

} // namespace sinan

#endif // SINAN_INTERPRETER_PASSES_H
