//===- ShapeInference.cpp - Shape functions of graph ops ------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Dialect/Graph/IR/ShapeInference.h"

#include "mlir/IR/BuiltinTypeInterfaces.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace sinan::graph {
namespace {
constexpr int64_t kDynamic = ShapedType::kDynamic;

bool isStatic(int64_t dim) { return dim != kDynamic; }

/// Prints a shape as [1, ?, 3] for diagnostics.
std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  llvm::raw_string_ostream os(text);
  llvm::interleaveComma(shape, os, [&](int64_t dim) {
    if (isStatic(dim))
      os << dim;
    else
      os << '?';
  });
  os << ']';
  return text;
}

/// Reports `message` through `emitError` (if any) and fails.
template <typename... Args>
LogicalResult fail(EmitErrorFn emitError, const Args &...message) {
  if (emitError) {
    InFlightDiagnostic diag = emitError();
    (diag << ... << message);
  }
  return failure();
}

/// Broadcasts one pair of dimensions; nullopt when they conflict.
std::optional<int64_t> broadcastDim(int64_t a, int64_t b) {
  if (a == 1)
    return b;
  if (b == 1)
    return a;
  if (!isStatic(a))
    return b; // b is ? or N != 1; a must be 1 or b at run time.
  if (!isStatic(b) || a == b)
    return a;
  return std::nullopt;
}
} // namespace

FailureOr<SmallVector<int64_t>> inferBroadcastShape(ArrayRef<int64_t> lhs,
                                                    ArrayRef<int64_t> rhs,
                                                    EmitErrorFn emitError) {
  size_t rank = std::max(lhs.size(), rhs.size());
  SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Align at the trailing dimension; missing leading dimensions are 1.
    int64_t a = i < lhs.size() ? lhs[lhs.size() - 1 - i] : 1;
    int64_t b = i < rhs.size() ? rhs[rhs.size() - 1 - i] : 1;
    std::optional<int64_t> dim = broadcastDim(a, b);
    if (!dim) {
      (void)fail(emitError, "shapes ", formatShape(lhs), " and ",
                 formatShape(rhs), " are not broadcast-compatible (", a, " vs ",
                 b, " in trailing dimension ", i, ")");
      return failure();
    }
    result[rank - 1 - i] = *dim;
  }
  return result;
}

FailureOr<SmallVector<int64_t>> inferMatMulShape(ArrayRef<int64_t> lhs,
                                                 ArrayRef<int64_t> rhs,
                                                 EmitErrorFn emitError) {
  if (lhs.empty() || rhs.empty()) {
    (void)fail(emitError, "operands must have rank >= 1, got ",
               formatShape(lhs), " and ", formatShape(rhs));
    return failure();
  }
  // Rank-1 promotion: [K] x ... is [1, K]; ... x [K] is [K, 1].
  SmallVector<int64_t> a(lhs), b(rhs);
  if (a.size() == 1)
    a.insert(a.begin(), 1);
  if (b.size() == 1)
    b.push_back(1);

  int64_t k = a.back(), kRhs = b[b.size() - 2];
  if (isStatic(k) && isStatic(kRhs) && k != kRhs) {
    (void)fail(emitError, "contraction dimensions differ: lhs ",
               formatShape(lhs), " has ", k, " columns but rhs ",
               formatShape(rhs), " has ", kRhs, " rows");
    return failure();
  }

  ArrayRef<int64_t> batchA = ArrayRef<int64_t>(a).drop_back(2);
  ArrayRef<int64_t> batchB = ArrayRef<int64_t>(b).drop_back(2);
  FailureOr<SmallVector<int64_t>> batch =
      inferBroadcastShape(batchA, batchB, nullptr);
  if (failed(batch)) {
    (void)fail(emitError, "batch dimensions ", formatShape(batchA), " and ",
               formatShape(batchB), " are not broadcast-compatible");
    return failure();
  }
  SmallVector<int64_t> result = std::move(*batch);
  if (lhs.size() > 1)
    result.push_back(a[a.size() - 2]);
  if (rhs.size() > 1)
    result.push_back(b.back());
  return result;
}

namespace {
LogicalResult verifyConv2dParams(const Conv2dParams &params,
                                 EmitErrorFn emitError) {
  if (params.strides.size() != 2)
    return fail(emitError, "expects 2 strides, got ", params.strides.size());
  if (params.dilations.size() != 2)
    return fail(emitError, "expects 2 dilations, got ",
                params.dilations.size());
  if (params.pads.size() != 4)
    return fail(emitError, "expects 4 pads [top, left, bottom, right], got ",
                params.pads.size());
  for (int64_t stride : params.strides)
    if (stride < 1)
      return fail(emitError, "strides must be >= 1, got ",
                  formatShape(params.strides));
  for (int64_t dilation : params.dilations)
    if (dilation < 1)
      return fail(emitError, "dilations must be >= 1, got ",
                  formatShape(params.dilations));
  for (int64_t pad : params.pads)
    if (pad < 0)
      return fail(emitError, "pads must be >= 0, got ",
                  formatShape(params.pads));
  if (params.group < 1)
    return fail(emitError, "group must be >= 1, got ", params.group);
  return success();
}

/// Output extent of one spatial dimension.
FailureOr<int64_t> convOutputDim(int64_t in, int64_t kernel, int64_t padBegin,
                                 int64_t padEnd, int64_t stride,
                                 int64_t dilation, const char *axis,
                                 EmitErrorFn emitError) {
  if (!isStatic(in) || !isStatic(kernel))
    return kDynamic;
  int64_t span = in + padBegin + padEnd - dilation * (kernel - 1) - 1;
  if (span < 0) {
    (void)fail(emitError, "dilated kernel ", axis, " extent ",
               dilation * (kernel - 1) + 1, " exceeds padded input ", axis, " ",
               in + padBegin + padEnd);
    return failure();
  }
  return span / stride + 1;
}
} // namespace

FailureOr<SmallVector<int64_t>>
inferConv2dShape(ArrayRef<int64_t> input, ArrayRef<int64_t> weight,
                 std::optional<ArrayRef<int64_t>> bias,
                 const Conv2dParams &params, EmitErrorFn emitError) {
  if (input.size() != 4 || weight.size() != 4) {
    (void)fail(emitError, "expects rank-4 input (NCHW) and weight (OIHW), got ",
               formatShape(input), " and ", formatShape(weight));
    return failure();
  }
  if (failed(verifyConv2dParams(params, emitError)))
    return failure();

  int64_t channels = input[1], outChannels = weight[0];
  int64_t channelsPerGroup = weight[1], expected = 0;
  if (isStatic(channelsPerGroup) &&
      llvm::MulOverflow(channelsPerGroup, params.group, expected)) {
    (void)fail(emitError, "weight ", formatShape(weight), " with group ",
               params.group, " overflows the channel count");
    return failure();
  }
  if (isStatic(channels) && isStatic(channelsPerGroup) &&
      channels != expected) {
    (void)fail(emitError, "input has ", channels, " channels but weight ",
               formatShape(weight), " with group ", params.group, " expects ",
               expected);
    return failure();
  }
  if (isStatic(outChannels) && outChannels % params.group != 0) {
    (void)fail(emitError, "output channels ", outChannels,
               " are not divisible by group ", params.group);
    return failure();
  }
  if (bias) {
    if (bias->size() != 1 || (isStatic((*bias)[0]) && isStatic(outChannels) &&
                              (*bias)[0] != outChannels)) {
      (void)fail(emitError, "bias must have shape ", formatShape({outChannels}),
                 ", got ", formatShape(*bias));
      return failure();
    }
  }

  FailureOr<int64_t> height = convOutputDim(
      input[2], weight[2], params.pads[0], params.pads[2], params.strides[0],
      params.dilations[0], "height", emitError);
  if (failed(height))
    return failure();
  FailureOr<int64_t> width =
      convOutputDim(input[3], weight[3], params.pads[1], params.pads[3],
                    params.strides[1], params.dilations[1], "width", emitError);
  if (failed(width))
    return failure();
  return SmallVector<int64_t>{input[0], outChannels, *height, *width};
}

FailureOr<SmallVector<int64_t>> inferSliceShape(ArrayRef<int64_t> input,
                                                ArrayRef<int64_t> starts,
                                                ArrayRef<int64_t> limits,
                                                ArrayRef<int64_t> steps,
                                                EmitErrorFn emitError) {
  size_t rank = input.size();
  if (starts.size() != rank || limits.size() != rank || steps.size() != rank) {
    (void)fail(emitError, "needs one start, limit and step per dimension of ",
               formatShape(input));
    return failure();
  }
  SmallVector<int64_t> result;
  for (size_t d = 0; d < rank; ++d) {
    int64_t step = steps[d];
    if (step == 0) {
      (void)fail(emitError, "step of dimension ", d, " is 0");
      return failure();
    }
    if (!isStatic(input[d])) {
      result.push_back(kDynamic);
      continue;
    }
    // Starts and limits are clamped already: [0, n] for positive steps,
    // [-1, n - 1] for negative ones.
    int64_t lo = step > 0 ? 0 : -1, hi = step > 0 ? input[d] : input[d] - 1;
    if (starts[d] < lo || starts[d] > hi || limits[d] < lo || limits[d] > hi) {
      (void)fail(emitError, "start ", starts[d], " or limit ", limits[d],
                 " is outside dimension ", d, " of ", formatShape(input));
      return failure();
    }
    int64_t span = step > 0 ? limits[d] - starts[d] : starts[d] - limits[d];
    int64_t magnitude = step > 0 ? step : -step;
    result.push_back(span <= 0 ? 0 : (span + magnitude - 1) / magnitude);
  }
  return result;
}

FailureOr<SmallVector<int64_t>> inferPadShape(ArrayRef<int64_t> input,
                                              ArrayRef<int64_t> low,
                                              ArrayRef<int64_t> high,
                                              EmitErrorFn emitError) {
  if (low.size() != input.size() || high.size() != input.size()) {
    (void)fail(emitError, "needs one low and one high pad per dimension of ",
               formatShape(input));
    return failure();
  }
  SmallVector<int64_t> result;
  for (size_t d = 0; d < input.size(); ++d) {
    if (!isStatic(input[d])) {
      result.push_back(kDynamic);
      continue;
    }
    int64_t size = input[d] + low[d] + high[d];
    if (size < 0) {
      (void)fail(emitError, "padding removes more than dimension ", d,
                 " holds");
      return failure();
    }
    result.push_back(size);
  }
  return result;
}

FailureOr<SmallVector<int64_t>> inferTileShape(ArrayRef<int64_t> input,
                                               ArrayRef<int64_t> repeats,
                                               EmitErrorFn emitError) {
  if (repeats.size() != input.size()) {
    (void)fail(emitError, "needs one repeat count per dimension of ",
               formatShape(input));
    return failure();
  }
  SmallVector<int64_t> result;
  for (size_t d = 0; d < input.size(); ++d) {
    if (repeats[d] < 0) {
      (void)fail(emitError, "repeat counts must be >= 0");
      return failure();
    }
    result.push_back(isStatic(input[d]) ? input[d] * repeats[d] : kDynamic);
  }
  return result;
}

FailureOr<SmallVector<int64_t>>
inferConvTranspose2dShape(ArrayRef<int64_t> input, ArrayRef<int64_t> weight,
                          std::optional<ArrayRef<int64_t>> bias,
                          const ConvTranspose2dParams &params,
                          EmitErrorFn emitError) {
  if (input.size() != 4 || weight.size() != 4) {
    (void)fail(emitError, "expects rank-4 input and weight, got ",
               formatShape(input), " and ", formatShape(weight));
    return failure();
  }
  if (params.strides.size() != 2 || params.dilations.size() != 2 ||
      params.pads.size() != 4 || params.outputPadding.size() != 2 ||
      params.group < 1) {
    (void)fail(emitError, "expects 2 strides, 2 dilations, 4 pads, 2 output "
                          "paddings and group >= 1");
    return failure();
  }
  if (isStatic(input[1]) && isStatic(weight[0]) && input[1] != weight[0]) {
    (void)fail(emitError, "input has ", input[1], " channels but weight ",
               formatShape(weight), " expects ", weight[0]);
    return failure();
  }
  int64_t outChannels = kDynamic;
  if (isStatic(weight[1]) &&
      llvm::MulOverflow(weight[1], params.group, outChannels)) {
    (void)fail(emitError, "output channels ", weight[1], " x group ",
               params.group, " overflow");
    return failure();
  }
  if (bias &&
      (bias->size() != 1 || (isStatic((*bias)[0]) && isStatic(outChannels) &&
                             (*bias)[0] != outChannels))) {
    (void)fail(emitError, "bias must have shape ", formatShape({outChannels}),
               ", got ", formatShape(*bias));
    return failure();
  }
  SmallVector<int64_t> result{input[0], outChannels};
  for (int axis = 0; axis < 2; ++axis) {
    int64_t in = input[2 + axis], k = weight[2 + axis];
    if (!isStatic(in) || !isStatic(k)) {
      result.push_back(kDynamic);
      continue;
    }
    int64_t out = params.strides[axis] * (in - 1) + params.outputPadding[axis] +
                  params.dilations[axis] * (k - 1) + 1 - params.pads[axis] -
                  params.pads[axis + 2];
    if (out < 1) {
      (void)fail(emitError, "padding leaves no output along axis ", axis);
      return failure();
    }
    result.push_back(out);
  }
  return result;
}

std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

FailureOr<SmallVector<int64_t>>
inferTransposeShape(ArrayRef<int64_t> input, ArrayRef<int64_t> permutation,
                    EmitErrorFn emitError) {
  if (permutation.size() != input.size()) {
    (void)fail(emitError, "permutation ", formatShape(permutation),
               " does not have one entry per input dimension ",
               formatShape(input));
    return failure();
  }
  SmallVector<bool> seen(input.size(), false);
  SmallVector<int64_t> result;
  for (int64_t p : permutation) {
    if (p < 0 || p >= static_cast<int64_t>(input.size()) || seen[p]) {
      (void)fail(emitError, "permutation ", formatShape(permutation),
                 " is not a permutation of 0..", input.size() - 1);
      return failure();
    }
    seen[p] = true;
    result.push_back(input[p]);
  }
  return result;
}

FailureOr<SmallVector<int64_t>>
inferConcatShape(ArrayRef<ArrayRef<int64_t>> inputs, int64_t axis,
                 EmitErrorFn emitError) {
  if (inputs.empty()) {
    (void)fail(emitError, "needs at least one input");
    return failure();
  }
  int64_t rank = inputs[0].size();
  std::optional<int64_t> dim = normalizeAxis(axis, rank);
  if (!dim) {
    (void)fail(emitError, "axis ", axis, " is out of range for rank ", rank);
    return failure();
  }
  SmallVector<int64_t> result(inputs[0]);
  for (ArrayRef<int64_t> shape : inputs.drop_front()) {
    if (static_cast<int64_t>(shape.size()) != rank) {
      (void)fail(emitError, "inputs ", formatShape(inputs[0]), " and ",
                 formatShape(shape), " differ in rank");
      return failure();
    }
    for (int64_t d = 0; d < rank; ++d) {
      if (d == *dim) {
        result[d] = isStatic(result[d]) && isStatic(shape[d])
                        ? result[d] + shape[d]
                        : kDynamic;
      } else if (isStatic(result[d]) && isStatic(shape[d]) &&
                 result[d] != shape[d]) {
        (void)fail(emitError, "inputs ", formatShape(inputs[0]), " and ",
                   formatShape(shape), " differ in dimension ", d,
                   ", which is not the concatenation axis");
        return failure();
      } else if (!isStatic(result[d])) {
        result[d] = shape[d];
      }
    }
  }
  return result;
}

FailureOr<SmallVector<int64_t>> inferGatherShape(ArrayRef<int64_t> data,
                                                 ArrayRef<int64_t> indices,
                                                 int64_t axis,
                                                 EmitErrorFn emitError) {
  std::optional<int64_t> dim = normalizeAxis(axis, data.size());
  if (!dim) {
    (void)fail(emitError, "axis ", axis, " is out of range for data ",
               formatShape(data));
    return failure();
  }
  SmallVector<int64_t> result(data.begin(), data.begin() + *dim);
  result.append(indices.begin(), indices.end());
  result.append(data.begin() + *dim + 1, data.end());
  return result;
}

FailureOr<SmallVector<int64_t>> inferGatherNdShape(ArrayRef<int64_t> data,
                                                   ArrayRef<int64_t> indices,
                                                   int64_t batchDims,
                                                   EmitErrorFn emitError) {
  auto error = [&] {
    (void)fail(emitError, "indices ", formatShape(indices),
               " do not address data ", formatShape(data), " with batch_dims ",
               batchDims);
    return failure();
  };
  int64_t rank = indices.size();
  if (indices.empty() || !isStatic(indices.back()) || batchDims < 0 ||
      batchDims >= rank ||
      batchDims + indices.back() > static_cast<int64_t>(data.size()))
    return error();
  for (int64_t d = 0; d < batchDims; ++d)
    if (isStatic(data[d]) && isStatic(indices[d]) && data[d] != indices[d])
      return error();
  SmallVector<int64_t> result(indices.drop_back());
  result.append(data.begin() + batchDims + indices.back(), data.end());
  return result;
}

FailureOr<SmallVector<int64_t>> inferReduceShape(ArrayRef<int64_t> input,
                                                 ArrayRef<int64_t> axes,
                                                 bool keepDims,
                                                 EmitErrorFn emitError) {
  int64_t rank = input.size();
  SmallVector<bool> reduced(rank, axes.empty());
  for (int64_t axis : axes) {
    std::optional<int64_t> dim = normalizeAxis(axis, rank);
    if (!dim || reduced[*dim]) {
      (void)fail(emitError, "axes ", formatShape(axes),
                 " are out of range or repeated for input ",
                 formatShape(input));
      return failure();
    }
    reduced[*dim] = true;
  }
  SmallVector<int64_t> result;
  for (int64_t d = 0; d < rank; ++d) {
    if (!reduced[d])
      result.push_back(input[d]);
    else if (keepDims)
      result.push_back(1);
  }
  return result;
}

FailureOr<SmallVector<int64_t>> inferPool2dShape(ArrayRef<int64_t> input,
                                                 const Pool2dParams &params,
                                                 EmitErrorFn emitError) {
  if (input.size() != 4) {
    (void)fail(emitError, "expects a rank-4 (NCHW) input, got ",
               formatShape(input));
    return failure();
  }
  if (params.kernel.size() != 2 || params.strides.size() != 2 ||
      params.dilations.size() != 2 || params.pads.size() != 4) {
    (void)fail(emitError, "expects 2 kernel sizes, 2 strides, 2 dilations "
                          "and 4 pads");
    return failure();
  }
  SmallVector<int64_t> result{input[0], input[1]};
  for (int axis = 0; axis < 2; ++axis) {
    int64_t in = input[2 + axis], k = params.kernel[axis];
    int64_t s = params.strides[axis], d = params.dilations[axis];
    int64_t begin = params.pads[axis], end = params.pads[axis + 2];
    if (k < 1 || s < 1 || d < 1 || begin < 0 || end < 0) {
      (void)fail(emitError, "kernel, strides and dilations must be >= 1 and "
                            "pads >= 0");
      return failure();
    }
    if (!isStatic(in)) {
      result.push_back(kDynamic);
      continue;
    }
    int64_t span = in + begin + end - d * (k - 1) - 1;
    if (span < 0) {
      (void)fail(emitError, "window ", d * (k - 1) + 1,
                 " exceeds the padded input ", in + begin + end);
      return failure();
    }
    int64_t out = (params.ceilMode ? (span + s - 1) / s : span / s) + 1;
    // The last window must start inside the input or the leading padding.
    if (params.ceilMode && (out - 1) * s >= in + begin)
      --out;
    result.push_back(out);
  }
  return result;
}

} // namespace sinan::graph
