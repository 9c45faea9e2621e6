//===- ShapeInference.h - Shape functions of graph ops ----------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Result shapes of graph ops, shared by the ops' verifiers (which report what
// is wrong) and their type inference (which stays silent). Dimensions may be
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

/// numpy.matmul: batched product with rank-1 promotion and batch broadcast.
mlir::FailureOr<llvm::SmallVector<int64_t>>
inferMatMulShape(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs,
                 EmitErrorFn emitError = nullptr);

/// Window parameters of a 2-D convolution; see graph.conv2d.
using Conv2dParams = shape::Conv2dParams;

/// NCHW input, OIHW weight, optional rank-1 bias.
mlir::FailureOr<llvm::SmallVector<int64_t>>
inferConv2dShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> weight,
                 std::optional<llvm::ArrayRef<int64_t>> bias,
                 const Conv2dParams &params, EmitErrorFn emitError = nullptr);

/// Result dim i is input dim permutation[i]; the permutation must be one.
mlir::FailureOr<llvm::SmallVector<int64_t>>
inferTransposeShape(llvm::ArrayRef<int64_t> input,
                    llvm::ArrayRef<int64_t> permutation,
                    EmitErrorFn emitError = nullptr);

/// Concatenation of same-rank shapes along `axis` (may be negative).
mlir::FailureOr<llvm::SmallVector<int64_t>>
inferConcatShape(llvm::ArrayRef<llvm::ArrayRef<int64_t>> inputs, int64_t axis,
                 EmitErrorFn emitError = nullptr);

/// data[:axis] + indices + data[axis+1:].
mlir::FailureOr<llvm::SmallVector<int64_t>>
inferGatherShape(llvm::ArrayRef<int64_t> data, llvm::ArrayRef<int64_t> indices,
                 int64_t axis, EmitErrorFn emitError = nullptr);

/// indices[:-1] + data[batch_dims + indices[-1]:] (ONNX GatherND).
mlir::FailureOr<llvm::SmallVector<int64_t>>
inferGatherNdShape(llvm::ArrayRef<int64_t> data,
                   llvm::ArrayRef<int64_t> indices, int64_t batchDims,
                   EmitErrorFn emitError = nullptr);

/// Reduction over `axes` (empty: all), keeping size-1 dims if `keepDims`.
mlir::FailureOr<llvm::SmallVector<int64_t>>
inferReduceShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> axes,
                 bool keepDims, EmitErrorFn emitError = nullptr);

using Pool2dParams = shape::Pool2dParams;

/// NCHW pooling windows.
mlir::FailureOr<llvm::SmallVector<int64_t>>
inferPool2dShape(llvm::ArrayRef<int64_t> input, const Pool2dParams &params,
                 EmitErrorFn emitError = nullptr);

/// Strided slice; starts/limits/steps already normalized to the input.
mlir::FailureOr<llvm::SmallVector<int64_t>>
inferSliceShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> starts,
                llvm::ArrayRef<int64_t> limits, llvm::ArrayRef<int64_t> steps,
                EmitErrorFn emitError = nullptr);

/// Padding by low/high per dimension.
mlir::FailureOr<llvm::SmallVector<int64_t>>
inferPadShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> low,
              llvm::ArrayRef<int64_t> high, EmitErrorFn emitError = nullptr);

/// Tiling by repeats per dimension.
mlir::FailureOr<llvm::SmallVector<int64_t>>
inferTileShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> repeats,
               EmitErrorFn emitError = nullptr);

using ConvTranspose2dParams = shape::ConvTranspose2dParams;

/// NCHW input, C x M/group x kH x kW weight, optional bias of M.
mlir::FailureOr<llvm::SmallVector<int64_t>> inferConvTranspose2dShape(
    llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> weight,
    std::optional<llvm::ArrayRef<int64_t>> bias,
    const ConvTranspose2dParams &params, EmitErrorFn emitError = nullptr);

/// Normalizes a possibly negative axis against `rank`; nullopt if out of
/// range.
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

} // namespace sinan::graph

#endif // SINAN_DIALECT_GRAPH_IR_SHAPEINFERENCE_H
