//===- ShapeInference.h - Shape functions of graph ops ----------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The shape functions the importer and the graph passes call while they
// build ops, over MLIR's types. (The ops' own verifiers and inference run
// their rules through GraphShapeRule.h.) Dimensions may be
// ShapedType::kDynamic; a dynamic input dimension gives a dynamic result
// dimension unless the rule pins it.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_DIALECT_GRAPH_IR_SHAPEINFERENCE_H
#define SINAN_DIALECT_GRAPH_IR_SHAPEINFERENCE_H

#include "sinan/runtime/shape/ShapeRules.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace sinan::graph {

/// Starts an error diagnostic; a null callback means "report nothing".
using EmitErrorFn = llvm::function_ref<mlir::InFlightDiagnostic()>;

/// NumPy/ONNX multidirectional broadcasting of two shapes.
mlir::FailureOr<llvm::SmallVector<int64_t>>
inferBroadcastShape(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs,
                    EmitErrorFn emitError = nullptr);

/// indices[:-1] + data[batch_dims + indices[-1]:] (ONNX GatherND).
mlir::FailureOr<llvm::SmallVector<int64_t>>
inferGatherNdShape(llvm::ArrayRef<int64_t> data,
                   llvm::ArrayRef<int64_t> indices, int64_t batchDims,
                   EmitErrorFn emitError = nullptr);

/// Normalizes a possibly negative axis against `rank`; nullopt if out of
/// range.
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

} // namespace sinan::graph

#endif // SINAN_DIALECT_GRAPH_IR_SHAPEINFERENCE_H
