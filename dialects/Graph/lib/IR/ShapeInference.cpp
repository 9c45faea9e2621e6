//===- ShapeInference.cpp - Shape functions of graph ops ------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Dialect/Graph/IR/ShapeInference.h"

#include "mlir/IR/BuiltinTypeInterfaces.h"
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
  int64_t channelsPerGroup = weight[1];
  if (isStatic(channels) && isStatic(channelsPerGroup) &&
      channels != channelsPerGroup * params.group) {
    (void)fail(emitError, "input has ", channels, " channels but weight ",
               formatShape(weight), " with group ", params.group, " expects ",
               channelsPerGroup * params.group);
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

} // namespace sinan::graph
