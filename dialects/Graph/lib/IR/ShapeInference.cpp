//===- ShapeInference.cpp - Shape functions of graph ops ------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Dialect/Graph/IR/ShapeInference.h"

#include "sinan/runtime/shape/ShapeRules.h"

#include "mlir/IR/BuiltinTypeInterfaces.h"

using namespace mlir;

namespace sinan::graph {

// The functions live in the runtime's MLIR-free shape library (whose
// kDynamic GraphShapeRule.cpp asserts is MLIR's); these wrap them with MLIR
// diagnostics.

namespace {
/// The rule's shape, or its refusal reported through `emitError`.
FailureOr<SmallVector<int64_t>> lift(std::optional<shape::Shape> result,
                                     const std::string &why,
                                     EmitErrorFn emitError) {
  if (result)
    return SmallVector<int64_t>(result->begin(), result->end());
  if (emitError)
    emitError() << why;
  return failure();
}
} // namespace

FailureOr<SmallVector<int64_t>> inferBroadcastShape(ArrayRef<int64_t> lhs,
                                                    ArrayRef<int64_t> rhs,
                                                    EmitErrorFn emitError) {
  std::string why;
  return lift(shape::broadcast(lhs, rhs, why), why, emitError);
}

std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank) {
  return shape::normalizeAxis(axis, rank);
}

FailureOr<SmallVector<int64_t>> inferGatherNdShape(ArrayRef<int64_t> data,
                                                   ArrayRef<int64_t> indices,
                                                   int64_t batchDims,
                                                   EmitErrorFn emitError) {
  std::string why;
  return lift(shape::gatherNd(data, indices, batchDims, why), why, emitError);
}

} // namespace sinan::graph
