//===- ShapeRules.cpp - What each graph op's shapes must be ---------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/shape/ShapeRules.h"

#include <fmt/format.h>

#include <algorithm>

namespace sinan::shape {
namespace {

/// Sets `why`; a rule returns the result as its failure.
template <typename... Args>
std::nullopt_t fail(std::string &why, fmt::format_string<Args...> format,
                    Args &&...args) {
  why = fmt::format(format, std::forward<Args>(args)...);
  return std::nullopt;
}

/// fail() for the rules that return a verdict.
template <typename... Args>
bool refuse(std::string &why, fmt::format_string<Args...> format,
            Args &&...args) {
  why = fmt::format(format, std::forward<Args>(args)...);
  return false;
}

bool mulOverflows(int64_t a, int64_t b, int64_t &result) {
  return __builtin_mul_overflow(a, b, &result);
}

bool addOverflows(int64_t a, int64_t b, int64_t &result) {
  return __builtin_add_overflow(a, b, &result);
}

/// Broadcasts one pair of extents; nullopt when they conflict.
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

/// Every value of `values` is at least `least`.
bool allAtLeast(Dims values, int64_t least) {
  return std::all_of(values.begin(), values.end(),
                     [&](int64_t v) { return v >= least; });
}

/// Output extent of a window sliding over `in` padded by `begin` and `end`,
/// rounded down (or up with `ceil`, the last window starting inside the
/// input or the leading padding); `what` names the axis in messages.
std::optional<int64_t> windows(int64_t in, int64_t kernel, int64_t begin,
                               int64_t end, int64_t stride, int64_t dilation,
                               bool ceil, const char *what, std::string &why) {
  if (!isStatic(in) || !isStatic(kernel))
    return kDynamic;
  int64_t window = 0, padded = 0;
  if (mulOverflows(dilation, kernel - 1, window) ||
      addOverflows(window, 1, window) || addOverflows(in, begin, padded) ||
      addOverflows(padded, end, padded))
    return fail(why,
                "the {} window (kernel {}, dilation {}) or the padded "
                "input ({} + {} + {}) overflows",
                what, kernel, dilation, in, begin, end);
  int64_t span = padded - window;
  if (span < 0)
    return fail(why, "dilated kernel {} extent {} exceeds padded input {} {}",
                what, window, what, padded);
  int64_t out =
      (ceil ? span / stride + (span % stride != 0) : span / stride) + 1;
  if (ceil && (out - 1) * stride >= in + begin)
    --out;
  return out;
}
} // namespace

std::string format(Dims shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      text += ", ";
    text += isStatic(shape[i]) ? std::to_string(shape[i]) : "?";
  }
  return text + "]";
}

std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

bool axisInRange(int64_t axis, int64_t rank, std::string &why) {
  if (!normalizeAxis(axis, rank))
    return refuse(why, "axis {} is out of range for rank {}", axis, rank);
  return true;
}

bool rankAtLeast(Dims input, int64_t minRank, const char *what,
                 std::string &why) {
  if (int64_t(input.size()) < minRank)
    return refuse(why, "needs {} (rank >= {}), got {}", what, minRank,
                  format(input));
  return true;
}

std::optional<Shape> broadcast(Dims lhs, Dims rhs, std::string &why) {
  size_t rank = std::max(lhs.size(), rhs.size());
  Shape result(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Aligned at the trailing dimension; missing leading dimensions are 1.
    int64_t a = i < lhs.size() ? lhs[lhs.size() - 1 - i] : 1;
    int64_t b = i < rhs.size() ? rhs[rhs.size() - 1 - i] : 1;
    std::optional<int64_t> dim = broadcastDim(a, b);
    if (!dim)
      return fail(why,
                  "shapes {} and {} are not broadcast-compatible ({} vs {} in "
                  "trailing dimension {})",
                  format(lhs), format(rhs), a, b, i);
    result[rank - 1 - i] = *dim;
  }
  return result;
}

std::optional<Shape> matmul(Dims lhs, Dims rhs, std::string &why) {
  if (lhs.empty() || rhs.empty())
    return fail(why, "operands must have rank >= 1, got {} and {}", format(lhs),
                format(rhs));
  // Rank-1 promotion: [K] x ... is [1, K]; ... x [K] is [K, 1].
  Shape a = lhs.vec(), b = rhs.vec();
  if (a.size() == 1)
    a.insert(a.begin(), 1);
  if (b.size() == 1)
    b.push_back(1);
  int64_t k = a.back(), kRhs = b[b.size() - 2];
  if (isStatic(k) && isStatic(kRhs) && k != kRhs)
    return fail(why,
                "contraction dimensions differ: lhs {} has {} columns but rhs "
                "{} has {} rows",
                format(lhs), k, format(rhs), kRhs);
  Dims batchA(a.data(), a.size() - 2), batchB(b.data(), b.size() - 2);
  std::string ignored;
  std::optional<Shape> result = broadcast(batchA, batchB, ignored);
  if (!result)
    return fail(why, "batch dimensions {} and {} are not broadcast-compatible",
                format(batchA), format(batchB));
  if (lhs.size() > 1)
    result->push_back(a[a.size() - 2]);
  if (rhs.size() > 1)
    result->push_back(b.back());
  return result;
}

namespace {
bool convParams(const Conv2dParams &p, std::string &why) {
  if (p.strides.size() != 2)
    return refuse(why, "expects 2 strides, got {}", p.strides.size());
  if (p.dilations.size() != 2)
    return refuse(why, "expects 2 dilations, got {}", p.dilations.size());
  if (p.pads.size() != 4)
    return refuse(why, "expects 4 pads [top, left, bottom, right], got {}",
                  p.pads.size());
  if (!allAtLeast(p.strides, 1))
    return refuse(why, "strides must be >= 1, got {}", format(p.strides));
  if (!allAtLeast(p.dilations, 1))
    return refuse(why, "dilations must be >= 1, got {}", format(p.dilations));
  if (!allAtLeast(p.pads, 0))
    return refuse(why, "pads must be >= 0, got {}", format(p.pads));
  if (p.group < 1)
    return refuse(why, "group must be >= 1, got {}", p.group);
  return true;
}

bool biasFits(std::optional<Dims> bias, int64_t channels, std::string &why) {
  if (!bias ||
      (bias->size() == 1 && (!isStatic((*bias)[0]) || !isStatic(channels) ||
                             (*bias)[0] == channels)))
    return true;
  int64_t expected[] = {channels};
  return refuse(why, "bias must have shape {}, got {}",
                format(Dims(expected, 1)), format(*bias));
}
} // namespace

std::optional<Shape> conv2d(Dims input, Dims weight, std::optional<Dims> bias,
                            const Conv2dParams &params, std::string &why) {
  if (input.size() != 4 || weight.size() != 4)
    return fail(why,
                "expects rank-4 input (NCHW) and weight (OIHW), got {} "
                "and {}",
                format(input), format(weight));
  if (!convParams(params, why))
    return std::nullopt;
  for (int i = 2; i < 4; ++i)
    if (isStatic(weight[i]) && weight[i] < 1)
      return fail(why, "kernel extents must be >= 1, got {}", format(weight));
  int64_t channels = input[1], outChannels = weight[0];
  int64_t perGroup = weight[1], expected = 0;
  if (isStatic(perGroup) && mulOverflows(perGroup, params.group, expected))
    return fail(why, "weight {} with group {} overflows the channel count",
                format(weight), params.group);
  if (isStatic(channels) && isStatic(perGroup) && channels != expected)
    return fail(why,
                "input has {} channels but weight {} with group {} expects {}",
                channels, format(weight), params.group, expected);
  if (isStatic(outChannels) && outChannels % params.group != 0)
    return fail(why, "output channels {} are not divisible by group {}",
                outChannels, params.group);
  if (!biasFits(bias, outChannels, why))
    return std::nullopt;
  Shape result{input[0], outChannels};
  for (int axis = 0; axis < 2; ++axis) {
    std::optional<int64_t> out =
        windows(input[2 + axis], weight[2 + axis], params.pads[axis],
                params.pads[axis + 2], params.strides[axis],
                params.dilations[axis], false, axis ? "width" : "height", why);
    if (!out)
      return std::nullopt;
    result.push_back(*out);
  }
  return result;
}

std::optional<Shape> convTranspose2d(Dims input, Dims weight,
                                     std::optional<Dims> bias,
                                     const ConvTranspose2dParams &params,
                                     std::string &why) {
  if (input.size() != 4 || weight.size() != 4)
    return fail(why, "expects rank-4 input and weight, got {} and {}",
                format(input), format(weight));
  if (params.strides.size() != 2 || params.dilations.size() != 2 ||
      params.pads.size() != 4 || params.outputPadding.size() != 2 ||
      params.group < 1 || !allAtLeast(params.strides, 1) ||
      !allAtLeast(params.dilations, 1) || !allAtLeast(params.pads, 0) ||
      !allAtLeast(params.outputPadding, 0))
    return fail(why, "expects 2 strides and 2 dilations >= 1, 4 pads and 2 "
                     "output paddings >= 0 and group >= 1");
  if (isStatic(input[1]) && isStatic(weight[0]) && input[1] != weight[0])
    return fail(why, "input has {} channels but weight {} expects {}", input[1],
                format(weight), weight[0]);
  if (isStatic(input[1]) && input[1] % params.group != 0)
    return fail(why, "input channels {} are not divisible by group {}",
                input[1], params.group);
  int64_t outChannels = kDynamic;
  if (isStatic(weight[1]) && mulOverflows(weight[1], params.group, outChannels))
    return fail(why, "output channels {} x group {} overflow", weight[1],
                params.group);
  if (!biasFits(bias, outChannels, why))
    return std::nullopt;
  Shape result{input[0], outChannels};
  for (int axis = 0; axis < 2; ++axis) {
    int64_t in = input[2 + axis], k = weight[2 + axis];
    if (!isStatic(in) || !isStatic(k)) {
      result.push_back(kDynamic);
      continue;
    }
    // stride * (in - 1) + output_padding + dilation * (k - 1) + 1 - pads.
    int64_t out = 0, window = 0;
    if (in < 1 || k < 1 || mulOverflows(params.strides[axis], in - 1, out) ||
        addOverflows(out, params.outputPadding[axis], out) ||
        mulOverflows(params.dilations[axis], k - 1, window) ||
        addOverflows(out, window + 1, out) ||
        __builtin_sub_overflow(out, params.pads[axis], &out) ||
        __builtin_sub_overflow(out, params.pads[axis + 2], &out))
      return fail(why, "the output extent along axis {} is out of range", axis);
    if (out < 1)
      return fail(why, "padding leaves no output along axis {}", axis);
    result.push_back(out);
  }
  return result;
}

std::optional<Shape> pool2d(Dims input, const Pool2dParams &params,
                            std::string &why) {
  if (input.size() != 4)
    return fail(why, "expects a rank-4 (NCHW) input, got {}", format(input));
  if (params.kernel.size() != 2 || params.strides.size() != 2 ||
      params.dilations.size() != 2 || params.pads.size() != 4)
    return fail(why, "expects 2 kernel sizes, 2 strides, 2 dilations and 4 "
                     "pads");
  if (!allAtLeast(params.kernel, 1) || !allAtLeast(params.strides, 1) ||
      !allAtLeast(params.dilations, 1) || !allAtLeast(params.pads, 0))
    return fail(why, "kernel, strides and dilations must be >= 1 and pads >= "
                     "0");
  Shape result{input[0], input[1]};
  for (int axis = 0; axis < 2; ++axis) {
    std::optional<int64_t> out = windows(
        input[2 + axis], params.kernel[axis], params.pads[axis],
        params.pads[axis + 2], params.strides[axis], params.dilations[axis],
        params.ceilMode, axis ? "width" : "height", why);
    if (!out)
      return std::nullopt;
    result.push_back(*out);
  }
  return result;
}

std::optional<Shape> slice(Dims input, Dims starts, Dims limits, Dims steps,
                           std::string &why) {
  size_t rank = input.size();
  if (starts.size() != rank || limits.size() != rank || steps.size() != rank)
    return fail(why, "needs one start, limit and step per dimension of {}",
                format(input));
  Shape result;
  for (size_t d = 0; d < rank; ++d) {
    int64_t step = steps[d];
    if (step == 0)
      return fail(why, "step of dimension {} is 0", d);
    if (!isStatic(input[d])) {
      result.push_back(kDynamic);
      continue;
    }
    int64_t lo = step > 0 ? 0 : -1, hi = step > 0 ? input[d] : input[d] - 1;
    if (starts[d] < lo || starts[d] > hi || limits[d] < lo || limits[d] > hi)
      return fail(why, "start {} or limit {} is outside dimension {} of {}",
                  starts[d], limits[d], d, format(input));
    int64_t span = step > 0 ? limits[d] - starts[d] : starts[d] - limits[d];
    // -step would overflow for the most negative step; span is small.
    int64_t magnitude = step > 0 ? step : step == INT64_MIN ? INT64_MAX : -step;
    result.push_back(span <= 0 ? 0
                               : span / magnitude + (span % magnitude != 0));
  }
  return result;
}

std::optional<Shape> pad(Dims input, Dims low, Dims high, std::string &why) {
  if (low.size() != input.size() || high.size() != input.size())
    return fail(why, "needs one low and one high pad per dimension of {}",
                format(input));
  Shape result;
  for (size_t d = 0; d < input.size(); ++d) {
    if (!isStatic(input[d])) {
      result.push_back(kDynamic);
      continue;
    }
    int64_t size = 0;
    if (addOverflows(input[d], low[d], size) ||
        addOverflows(size, high[d], size))
      return fail(why, "padding of dimension {} overflows", d);
    if (size < 0)
      return fail(why, "padding removes more than dimension {} holds", d);
    result.push_back(size);
  }
  return result;
}

bool padMode(const std::string &mode, std::string &why) {
  if (mode == "constant" || mode == "reflect" || mode == "edge" ||
      mode == "wrap")
    return true;
  return refuse(why, "unknown mode '{}'", mode);
}

std::optional<Shape> tile(Dims input, Dims repeats, std::string &why) {
  if (repeats.size() != input.size())
    return fail(why, "needs one repeat count per dimension of {}",
                format(input));
  Shape result;
  for (size_t d = 0; d < input.size(); ++d) {
    int64_t size = kDynamic;
    if (repeats[d] < 0)
      return fail(why, "repeat counts must be >= 0");
    if (isStatic(input[d]) && mulOverflows(input[d], repeats[d], size))
      return fail(why, "repeating dimension {} overflows", d);
    result.push_back(size);
  }
  return result;
}

std::optional<Shape> transpose(Dims input, Dims permutation, std::string &why) {
  if (permutation.size() != input.size())
    return fail(why,
                "permutation {} does not have one entry per input dimension "
                "{}",
                format(permutation), format(input));
  std::vector<bool> seen(input.size(), false);
  Shape result;
  for (int64_t p : permutation) {
    if (p < 0 || p >= int64_t(input.size()) || seen[p])
      return fail(why, "permutation {} is not a permutation of 0..{}",
                  format(permutation), int64_t(input.size()) - 1);
    seen[p] = true;
    result.push_back(input[p]);
  }
  return result;
}

std::optional<Shape> concat(const std::vector<Dims> &inputs, int64_t axis,
                            std::string &why) {
  if (inputs.empty())
    return fail(why, "needs at least one input");
  int64_t rank = inputs[0].size();
  std::optional<int64_t> dim = normalizeAxis(axis, rank);
  if (!dim)
    return fail(why, "axis {} is out of range for rank {}", axis, rank);
  Shape result = inputs[0].vec();
  for (size_t i = 1; i < inputs.size(); ++i) {
    Dims shape = inputs[i];
    if (int64_t(shape.size()) != rank)
      return fail(why, "inputs {} and {} differ in rank", format(inputs[0]),
                  format(shape));
    for (int64_t d = 0; d < rank; ++d) {
      if (d == *dim) {
        if (!isStatic(result[d]) || !isStatic(shape[d]))
          result[d] = kDynamic;
        else if (addOverflows(result[d], shape[d], result[d]))
          return fail(why, "the concatenated dimension overflows");
      } else if (isStatic(result[d]) && isStatic(shape[d]) &&
                 result[d] != shape[d]) {
        return fail(why,
                    "inputs {} and {} differ in dimension {}, which is not the "
                    "concatenation axis",
                    format(inputs[0]), format(shape), d);
      } else if (!isStatic(result[d])) {
        result[d] = shape[d];
      }
    }
  }
  return result;
}

std::optional<Shape> gather(Dims data, Dims indices, int64_t axis,
                            std::string &why) {
  std::optional<int64_t> dim = normalizeAxis(axis, data.size());
  if (!dim)
    return fail(why, "axis {} is out of range for data {}", axis, format(data));
  Shape result(data.begin(), data.begin() + *dim);
  result.insert(result.end(), indices.begin(), indices.end());
  result.insert(result.end(), data.begin() + *dim + 1, data.end());
  return result;
}

namespace {
/// Indices of the data's rank, off the axis no larger than the data.
bool elementIndicesFit(Dims data, Dims indices, int64_t axis,
                       std::string &why) {
  if (indices.size() != data.size())
    return refuse(why, "indices must have the rank of data");
  std::optional<int64_t> dim = normalizeAxis(axis, data.size());
  if (!dim)
    return axisInRange(axis, data.size(), why);
  for (size_t d = 0; d < data.size(); ++d)
    if (int64_t(d) != *dim && isStatic(indices[d]) && isStatic(data[d]) &&
        indices[d] > data[d])
      return refuse(why,
                    "indices {} exceed data {} in dimension {}, which is not "
                    "the axis",
                    format(indices), format(data), d);
  return true;
}
} // namespace

std::optional<Shape> gatherElements(Dims data, Dims indices, int64_t axis,
                                    std::string &why) {
  if (!elementIndicesFit(data, indices, axis, why))
    return std::nullopt;
  return indices.vec();
}

std::optional<Shape> gatherNd(Dims data, Dims indices, int64_t batchDims,
                              std::string &why) {
  auto error = [&] {
    return fail(why, "indices {} do not address data {} with batch_dims {}",
                format(indices), format(data), batchDims);
  };
  int64_t rank = indices.size();
  if (indices.empty() || !isStatic(indices.back()) || indices.back() < 1 ||
      batchDims < 0 || batchDims >= rank || batchDims >= int64_t(data.size()) ||
      indices.back() > int64_t(data.size()) - batchDims)
    return error();
  for (int64_t d = 0; d < batchDims; ++d)
    if (isStatic(data[d]) && isStatic(indices[d]) && data[d] != indices[d])
      return error();
  Shape result(indices.begin(), indices.end() - 1);
  result.insert(result.end(), data.begin() + batchDims + indices.back(),
                data.end());
  return result;
}

std::optional<Shape> scatterNd(Dims data, Dims indices, Dims updates,
                               std::string &why) {
  if (indices.empty() || !isStatic(indices.back()) || indices.back() < 1 ||
      indices.back() > int64_t(data.size()))
    return fail(why, "the last dimension of indices must be static and "
                     "between 1 and the rank of data");
  Shape expected(indices.begin(), indices.end() - 1);
  expected.insert(expected.end(), data.begin() + indices.back(), data.end());
  bool fits = expected.size() == updates.size();
  for (size_t d = 0; fits && d < expected.size(); ++d)
    fits = !isStatic(expected[d]) || !isStatic(updates[d]) ||
           expected[d] == updates[d];
  if (!fits)
    return fail(why, "updates must have shape {}, got {}", format(expected),
                format(updates));
  return data.vec();
}

std::optional<Shape> scatterElements(Dims data, Dims indices, Dims updates,
                                     int64_t axis, std::string &why) {
  if (!elementIndicesFit(data, indices, axis, why))
    return std::nullopt;
  if (indices.vec() != updates.vec())
    return fail(why, "updates {} must have the shape of indices {}",
                format(updates), format(indices));
  return data.vec();
}

bool scatterReduction(const std::string &reduction, std::string &why) {
  if (reduction == "none" || reduction == "add" || reduction == "mul" ||
      reduction == "max" || reduction == "min")
    return true;
  return refuse(why, "reduction must be none, add, mul, max or min, got {}",
                reduction);
}

std::optional<Shape> reduce(Dims input, Dims axes, bool keepDims,
                            std::string &why) {
  int64_t rank = input.size();
  std::vector<bool> reduced(rank, axes.empty());
  for (int64_t axis : axes) {
    std::optional<int64_t> dim = normalizeAxis(axis, rank);
    if (!dim || reduced[*dim])
      return fail(why, "axes {} are out of range or repeated for input {}",
                  format(axes), format(input));
    reduced[*dim] = true;
  }
  Shape result;
  for (int64_t d = 0; d < rank; ++d) {
    if (!reduced[d])
      result.push_back(input[d]);
    else if (keepDims)
      result.push_back(1);
  }
  return result;
}

std::optional<Shape> argExtreme(Dims input, int64_t axis, bool keepDims,
                                std::string &why) {
  int64_t axes[] = {axis};
  if (input.empty())
    return fail(why, "needs rank 1 or more");
  return reduce(input, Dims(axes, 1), keepDims, why);
}

std::optional<Shape> topK(Dims input, int64_t axis, int64_t k,
                          std::string &why) {
  std::optional<int64_t> dim = normalizeAxis(axis, input.size());
  if (!dim)
    return fail(why, "axis {} is out of range for rank {}", axis, input.size());
  int64_t extent = input[*dim];
  if (k < 0 || (isStatic(extent) && k > extent))
    return fail(why, "k = {} must be in [0, {}]", k,
                isStatic(extent) ? std::to_string(extent) : "?");
  Shape result = input.vec();
  result[*dim] = k;
  return result;
}

bool reshape(Dims input, Dims result, std::string &why) {
  int64_t in = 1, out = 1;
  bool known = true;
  for (int64_t d : input)
    known = known && isStatic(d) && !mulOverflows(in, d, in);
  for (int64_t d : result)
    known = known && isStatic(d) && !mulOverflows(out, d, out);
  if (known && in != out)
    return refuse(why, "cannot reshape {} ({} elements) into {} ({} elements)",
                  format(input), in, format(result), out);
  return true;
}

bool resize(Dims input, size_t scales, Dims result, std::string &why) {
  if (result.size() != input.size() || scales != input.size())
    return refuse(why, "needs one scale per dimension and the input's rank");
  for (size_t d = 0; d < input.size(); ++d)
    if (input[d] == 0 && result[d] != 0)
      return refuse(why, "cannot resize dimension {} of {}, which is empty", d,
                    format(input));
  return true;
}

namespace {
/// Whether `from` broadcasts onto `to` without changing it (where `to`'s
/// extents are known).
bool broadcastsOnto(Dims from, Dims to) {
  std::string ignored;
  std::optional<Shape> joint = broadcast(to, from, ignored);
  bool fits = joint && joint->size() == to.size();
  for (size_t d = 0; fits && d < to.size(); ++d)
    fits = !isStatic(to[d]) || (*joint)[d] == to[d];
  return fits;
}
} // namespace

std::optional<Shape> layerNorm(Dims input, Dims scale, std::optional<Dims> bias,
                               int64_t axis, std::string &why) {
  if (!axisInRange(axis, input.size(), why))
    return std::nullopt;
  for (auto [operand, what] : {std::pair{std::optional<Dims>(scale), "scale"},
                               std::pair{bias, "bias"}}) {
    if (!operand)
      continue;
    if (!broadcastsOnto(*operand, input))
      return fail(why, "{} {} does not broadcast to the input {}", what,
                  format(*operand), format(input));
  }
  return input.vec();
}

std::optional<Shape> groupNorm(Dims input, Dims scale, Dims bias,
                               int64_t numGroups, std::string &why) {
  if (input.size() < 3)
    return fail(why, "needs an [N, C, ...] input of rank >= 3, got {}",
                format(input));
  int64_t channels = input[1];
  if (numGroups < 1)
    return fail(why, "num_groups must be >= 1, got {}", numGroups);
  if (isStatic(channels) && channels % numGroups != 0)
    return fail(why, "num_groups {} does not divide the {} channels", numGroups,
                channels);
  for (auto [operand, what] :
       {std::pair{scale, "scale"}, std::pair{bias, "bias"}})
    if (operand.size() != 1 ||
        (isStatic(operand[0]) && isStatic(channels) && operand[0] != channels))
      return fail(why, "{} must have one value per channel ({}), got {}", what,
                  format(Dims(input.begin() + 1, 1)), format(operand));
  return input.vec();
}

std::optional<Shape> attention(Dims query, Dims key, Dims value,
                               std::optional<Dims> mask, std::string &why) {
  if (query.size() != 4 || key.size() != 4 || value.size() != 4)
    return fail(why,
                "query, key and value must be [batch, heads, sequence, "
                "head size], got {}, {} and {}",
                format(query), format(key), format(value));
  auto differ = [](int64_t a, int64_t b) {
    return isStatic(a) && isStatic(b) && a != b;
  };
  if (differ(query[0], key[0]) || differ(key[0], value[0]) ||
      differ(key[1], value[1]) || differ(key[2], value[2]) ||
      differ(query[3], key[3]))
    return fail(why,
                "query {}, key {} and value {} disagree: they need one batch, "
                "the key the head size of the query, the value the heads and "
                "sequence of the key",
                format(query), format(key), format(value));
  if (isStatic(key[1]) && isStatic(query[1]) &&
      (key[1] < 1 || query[1] % key[1] != 0))
    return fail(why,
                "the {} query heads are not a multiple of the {} "
                "key/value heads",
                query[1], key[1]);
  Shape result{query[0], query[1], query[2], value[3]};
  if (mask) {
    Shape scores{query[0], query[1], query[2], key[2]};
    if (!broadcastsOnto(*mask, scores))
      return fail(why, "mask {} does not broadcast to the scores {}",
                  format(*mask), format(scores));
  }
  return result;
}

bool geluApproximation(const std::string &approximate, std::string &why) {
  if (approximate == "none" || approximate == "tanh")
    return true;
  return refuse(why, "approximate must be \"none\" or \"tanh\", got \"{}\"",
                approximate);
}

} // namespace sinan::shape
