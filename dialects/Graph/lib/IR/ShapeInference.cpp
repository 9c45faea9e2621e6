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

// The rules themselves live in the runtime's MLIR-free shape library, which
// the host-op checks call too; these wrap them with MLIR diagnostics.
static_assert(shape::kDynamic == ShapedType::kDynamic,
              "the shape rules' unknown extent is MLIR's");

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

std::optional<shape::Dims> optionalDims(std::optional<ArrayRef<int64_t>> a) {
  if (!a)
    return std::nullopt;
  return shape::Dims(*a);
}
} // namespace

FailureOr<SmallVector<int64_t>> inferBroadcastShape(ArrayRef<int64_t> lhs,
                                                    ArrayRef<int64_t> rhs,
                                                    EmitErrorFn emitError) {
  std::string why;
  return lift(shape::broadcast(lhs, rhs, why), why, emitError);
}

FailureOr<SmallVector<int64_t>> inferMatMulShape(ArrayRef<int64_t> lhs,
                                                 ArrayRef<int64_t> rhs,
                                                 EmitErrorFn emitError) {
  std::string why;
  return lift(shape::matmul(lhs, rhs, why), why, emitError);
}

FailureOr<SmallVector<int64_t>>
inferConv2dShape(ArrayRef<int64_t> input, ArrayRef<int64_t> weight,
                 std::optional<ArrayRef<int64_t>> bias,
                 const Conv2dParams &params, EmitErrorFn emitError) {
  std::string why;
  return lift(shape::conv2d(input, weight, optionalDims(bias), params, why),
              why, emitError);
}

FailureOr<SmallVector<int64_t>> inferSliceShape(ArrayRef<int64_t> input,
                                                ArrayRef<int64_t> starts,
                                                ArrayRef<int64_t> limits,
                                                ArrayRef<int64_t> steps,
                                                EmitErrorFn emitError) {
  std::string why;
  return lift(shape::slice(input, starts, limits, steps, why), why, emitError);
}

FailureOr<SmallVector<int64_t>> inferPadShape(ArrayRef<int64_t> input,
                                              ArrayRef<int64_t> low,
                                              ArrayRef<int64_t> high,
                                              EmitErrorFn emitError) {
  std::string why;
  return lift(shape::pad(input, low, high, why), why, emitError);
}

FailureOr<SmallVector<int64_t>> inferTileShape(ArrayRef<int64_t> input,
                                               ArrayRef<int64_t> repeats,
                                               EmitErrorFn emitError) {
  std::string why;
  return lift(shape::tile(input, repeats, why), why, emitError);
}

FailureOr<SmallVector<int64_t>>
inferConvTranspose2dShape(ArrayRef<int64_t> input, ArrayRef<int64_t> weight,
                          std::optional<ArrayRef<int64_t>> bias,
                          const ConvTranspose2dParams &params,
                          EmitErrorFn emitError) {
  std::string why;
  return lift(
      shape::convTranspose2d(input, weight, optionalDims(bias), params, why),
      why, emitError);
}

std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank) {
  return shape::normalizeAxis(axis, rank);
}

FailureOr<SmallVector<int64_t>>
inferTransposeShape(ArrayRef<int64_t> input, ArrayRef<int64_t> permutation,
                    EmitErrorFn emitError) {
  std::string why;
  return lift(shape::transpose(input, permutation, why), why, emitError);
}

FailureOr<SmallVector<int64_t>>
inferConcatShape(ArrayRef<ArrayRef<int64_t>> inputs, int64_t axis,
                 EmitErrorFn emitError) {
  std::string why;
  std::vector<shape::Dims> dims(inputs.begin(), inputs.end());
  return lift(shape::concat(dims, axis, why), why, emitError);
}

FailureOr<SmallVector<int64_t>> inferGatherShape(ArrayRef<int64_t> data,
                                                 ArrayRef<int64_t> indices,
                                                 int64_t axis,
                                                 EmitErrorFn emitError) {
  std::string why;
  return lift(shape::gather(data, indices, axis, why), why, emitError);
}

FailureOr<SmallVector<int64_t>> inferGatherNdShape(ArrayRef<int64_t> data,
                                                   ArrayRef<int64_t> indices,
                                                   int64_t batchDims,
                                                   EmitErrorFn emitError) {
  std::string why;
  return lift(shape::gatherNd(data, indices, batchDims, why), why, emitError);
}

FailureOr<SmallVector<int64_t>> inferReduceShape(ArrayRef<int64_t> input,
                                                 ArrayRef<int64_t> axes,
                                                 bool keepDims,
                                                 EmitErrorFn emitError) {
  std::string why;
  return lift(shape::reduce(input, axes, keepDims, why), why, emitError);
}

FailureOr<SmallVector<int64_t>> inferPool2dShape(ArrayRef<int64_t> input,
                                                 const Pool2dParams &params,
                                                 EmitErrorFn emitError) {
  std::string why;
  return lift(shape::pool2d(input, params, why), why, emitError);
}

} // namespace sinan::graph
