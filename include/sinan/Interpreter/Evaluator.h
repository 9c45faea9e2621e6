//===- Evaluator.h - Reference evaluation of graph IR ----------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Runs a graph-dialect function on host tensors with the runtime's reference
// kernels (sinan/runtime/ref): the golden result every other path is compared
// with. Dynamic dimensions are resolved from the actual inputs by the ops'
// shape functions.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_INTERPRETER_EVALUATOR_H
#define SINAN_INTERPRETER_EVALUATOR_H

#include "sinan/runtime/Tensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <optional>
#include <string>
#include <vector>

namespace sinan {

/// Evaluates one graph op on operand tensors: the op's results, or nullopt
/// with `error` naming the op.
std::optional<std::vector<Tensor>>
evaluateOp(mlir::Operation *op, const std::vector<const Tensor *> &operands,
           std::string &error);

/// Evaluates `func` on `inputs`. On failure sets `error` to one message naming
/// the op (by its location: the ONNX node name) or the input at fault.
std::optional<std::vector<Tensor>> evaluate(mlir::func::FuncOp func,
                                            const std::vector<Tensor> &inputs,
                                            std::string &error);

} // namespace sinan

#endif // SINAN_INTERPRETER_EVALUATOR_H
