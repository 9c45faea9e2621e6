//===- OpRules.cpp - Each graph op's shape rule, by name ------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/shape/OpRules.h"

#include "sinan/runtime/shape/Args.h"
#include "sinan/runtime/shape/OpSignatures.h"

#include <fmt/format.h>

#include <cstdint>
#include <map>

namespace sinan::shape {
namespace {

using Values = std::vector<TypedShape>;
using Results = std::optional<std::vector<Shape>>;

/// A rule: the operands, the declared results (empty when inferring) and
/// the attributes give the result shapes, or nullopt with `why`.
using Rule = Results (*)(const Values &in, const Values &out, Args &attrs,
                         std::string &why);

Results refuse(std::string &why, std::string message) {
  why = std::move(message);
  return std::nullopt;
}

/// A shape function's single result, or its refusal.
Results one(std::optional<Shape> shape) {
  if (!shape)
    return std::nullopt;
  return std::vector<Shape>{std::move(*shape)};
}

/// The declared result, for ops whose attributes do not determine it;
/// `check` says whether it is one the op may produce.
template <typename Check>
Results declared(const Values &in, const Values &out, std::string &why,
                 Check check) {
  if (out.empty())
    return refuse(why, "the result type must be given");
  if (!check(in[0].shape, out[0].shape))
    return std::nullopt;
  return std::vector<Shape>{out[0].shape};
}

int64_t rankOf(const TypedShape &v) { return int64_t(v.shape.size()); }

Results same(const Values &in, const Values &, Args &, std::string &) {
  return std::vector<Shape>{in[0].shape};
}

Results broadcasting(const Values &in, const Values &, Args &,
                     std::string &why) {
  std::optional<Shape> result = in[0].shape;
  for (size_t i = 1; result && i < in.size(); ++i)
    result = broadcast(*result, in[i].shape, why);
  return one(std::move(result));
}

/// The input's shape; the axis attribute must be in range.
Results sameWithAxis(const Values &in, const Values &, Args &a,
                     std::string &why) {
  int64_t axis = a.i("axis");
  if (!a.ok() || !axisInRange(axis, rankOf(in[0]), why))
    return std::nullopt;
  return std::vector<Shape>{in[0].shape};
}

Results cast(const Values &in, const Values &, Args &a, std::string &why) {
  std::string mode = a.s("round_mode");
  if (!a.ok())
    return std::nullopt;
  if (mode != "up" && mode != "down" && mode != "nearest")
    return refuse(why, fmt::format("round_mode must be \"up\", \"down\" or "
                                   "\"nearest\", got \"{}\"",
                                   mode));
  return std::vector<Shape>{in[0].shape};
}

Results trilu(const Values &in, const Values &, Args &, std::string &why) {
  if (!rankAtLeast(in[0].shape, 2, "a matrix", why))
    return std::nullopt;
  return std::vector<Shape>{in[0].shape};
}

Results lrn(const Values &in, const Values &, Args &a, std::string &why) {
  int64_t size = a.i("size");
  if (!a.ok())
    return std::nullopt;
  if (size < 1)
    return refuse(why, "size must be >= 1");
  if (!rankAtLeast(in[0].shape, 2, "a channel dimension", why))
    return std::nullopt;
  return std::vector<Shape>{in[0].shape};
}

Results gelu(const Values &in, const Values &, Args &a, std::string &why) {
  std::string approximate = a.s("approximate");
  if (!a.ok() || !geluApproximation(approximate, why))
    return std::nullopt;
  return std::vector<Shape>{in[0].shape};
}

Results reduction(const Values &in, const Values &, Args &a, std::string &why) {
  std::vector<int64_t> axes = a.ints("axes");
  bool keep = a.i("keepdims") != 0;
  if (!a.ok())
    return std::nullopt;
  return one(reduce(in[0].shape, axes, keep, why));
}

Results argExtremeRule(const Values &in, const Values &, Args &a,
                       std::string &why) {
  int64_t axis = a.i("axis");
  bool keep = a.i("keepdims") != 0;
  if (!a.ok())
    return std::nullopt;
  return one(argExtreme(in[0].shape, axis, keep, why));
}

Results matmulRule(const Values &in, const Values &, Args &, std::string &why) {
  return one(matmul(in[0].shape, in[1].shape, why));
}

/// A convolution's optional bias, its third operand.
std::optional<Dims> biasOf(const Values &in) {
  if (in.size() < 3)
    return std::nullopt;
  return Dims(in[2].shape);
}

Results conv2dRule(const Values &in, const Values &, Args &a,
                   std::string &why) {
  std::vector<int64_t> strides = a.ints("strides"), pads = a.ints("pads"),
                       dilations = a.ints("dilations");
  int64_t group = a.i("group");
  if (!a.ok())
    return std::nullopt;
  Conv2dParams params{strides, pads, dilations, group};
  return one(conv2d(in[0].shape, in[1].shape, biasOf(in), params, why));
}

Results convTranspose2dRule(const Values &in, const Values &, Args &a,
                            std::string &why) {
  std::vector<int64_t> strides = a.ints("strides"), pads = a.ints("pads"),
                       dilations = a.ints("dilations"),
                       outputPadding = a.ints("output_padding");
  int64_t group = a.i("group");
  if (!a.ok())
    return std::nullopt;
  ConvTranspose2dParams params{strides, pads, dilations, outputPadding, group};
  return one(
      convTranspose2d(in[0].shape, in[1].shape, biasOf(in), params, why));
}

Results pool2dRule(const Values &in, const Values &, Args &a,
                   std::string &why) {
  std::vector<int64_t> kernel = a.ints("kernel"), strides = a.ints("strides"),
                       pads = a.ints("pads"), dilations = a.ints("dilations");
  bool ceilMode = a.i("ceil_mode") != 0;
  if (!a.ok())
    return std::nullopt;
  Pool2dParams params{kernel, strides, pads, dilations, ceilMode};
  return one(pool2d(in[0].shape, params, why));
}

Results transposeRule(const Values &in, const Values &, Args &a,
                      std::string &why) {
  std::vector<int64_t> permutation = a.ints("permutation");
  if (!a.ok())
    return std::nullopt;
  return one(transpose(in[0].shape, permutation, why));
}

Results concatRule(const Values &in, const Values &, Args &a,
                   std::string &why) {
  int64_t axis = a.i("axis");
  if (!a.ok())
    return std::nullopt;
  std::vector<Dims> shapes;
  for (const TypedShape &v : in)
    shapes.emplace_back(v.shape);
  return one(concat(shapes, axis, why));
}

Results gatherRule(const Values &in, const Values &, Args &a,
                   std::string &why) {
  int64_t axis = a.i("axis");
  if (!a.ok())
    return std::nullopt;
  return one(gather(in[0].shape, in[1].shape, axis, why));
}

Results gatherElementsRule(const Values &in, const Values &, Args &a,
                           std::string &why) {
  int64_t axis = a.i("axis");
  if (!a.ok())
    return std::nullopt;
  return one(gatherElements(in[0].shape, in[1].shape, axis, why));
}

Results gatherNdRule(const Values &in, const Values &, Args &a,
                     std::string &why) {
  int64_t batchDims = a.i("batch_dims");
  if (!a.ok())
    return std::nullopt;
  return one(gatherNd(in[0].shape, in[1].shape, batchDims, why));
}

Results scatterNdRule(const Values &in, const Values &, Args &a,
                      std::string &why) {
  std::string reduction = a.s("reduction");
  if (!a.ok())
    return std::nullopt;
  std::optional<Shape> result =
      scatterNd(in[0].shape, in[1].shape, in[2].shape, why);
  if (!result || !scatterReduction(reduction, why))
    return std::nullopt;
  return one(std::move(result));
}

Results scatterElementsRule(const Values &in, const Values &, Args &a,
                            std::string &why) {
  int64_t axis = a.i("axis");
  std::string reduction = a.s("reduction");
  if (!a.ok())
    return std::nullopt;
  std::optional<Shape> result =
      scatterElements(in[0].shape, in[1].shape, in[2].shape, axis, why);
  if (!result || !scatterReduction(reduction, why))
    return std::nullopt;
  return one(std::move(result));
}

Results sliceRule(const Values &in, const Values &, Args &a, std::string &why) {
  std::vector<int64_t> starts = a.ints("starts"), limits = a.ints("limits"),
                       steps = a.ints("steps");
  if (!a.ok())
    return std::nullopt;
  return one(slice(in[0].shape, starts, limits, steps, why));
}

Results padRule(const Values &in, const Values &, Args &a, std::string &why) {
  std::vector<int64_t> low = a.ints("low"), high = a.ints("high");
  std::string mode = a.s("mode");
  a.f("value");
  if (!a.ok() || !padMode(mode, why))
    return std::nullopt;
  return one(pad(in[0].shape, low, high, why));
}

Results tileRule(const Values &in, const Values &, Args &a, std::string &why) {
  std::vector<int64_t> repeats = a.ints("repeats");
  if (!a.ok())
    return std::nullopt;
  return one(tile(in[0].shape, repeats, why));
}

Results broadcastRule(const Values &in, const Values &out, Args &,
                      std::string &why) {
  if (out.empty())
    return refuse(why, "the result type must be given");
  return one(broadcast(in[0].shape, out[0].shape, why));
}

Results reshapeRule(const Values &in, const Values &out, Args &,
                    std::string &why) {
  return declared(in, out, why,
                  [&](Dims from, Dims to) { return reshape(from, to, why); });
}

Results resizeRule(const Values &in, const Values &out, Args &a,
                   std::string &why) {
  std::vector<double> scales = a.floats("scales");
  std::string mode = a.s("mode"), coordinate = a.s("coordinate_mode"),
              nearest = a.s("nearest_mode");
  if (!a.ok())
    return std::nullopt;
  Results result = declared(in, out, why, [&](Dims from, Dims to) {
    return resize(from, scales.size(), to, why);
  });
  if (!result)
    return std::nullopt;
  if (mode != "nearest" && mode != "linear" && mode != "cubic")
    return refuse(why, fmt::format("unknown mode '{}'", mode));
  if (coordinate != "half_pixel" && coordinate != "half_pixel_symmetric" &&
      coordinate != "pytorch_half_pixel" && coordinate != "align_corners" &&
      coordinate != "asymmetric")
    return refuse(why, fmt::format("unknown coordinate mode '{}'", coordinate));
  if (nearest != "round_prefer_floor" && nearest != "round_prefer_ceil" &&
      nearest != "floor" && nearest != "ceil")
    return refuse(why, fmt::format("unknown nearest mode '{}'", nearest));
  return result;
}

Results topKRule(const Values &in, const Values &, Args &a, std::string &why) {
  int64_t axis = a.i("axis");
  int64_t k = a.i("k");
  if (!a.ok())
    return std::nullopt;
  std::optional<Shape> result = topK(in[0].shape, axis, k, why);
  if (!result)
    return std::nullopt;
  return std::vector<Shape>{*result, *result};
}

Results layerNormRule(const Values &in, const Values &, Args &a,
                      std::string &why) {
  int64_t axis = a.i("axis");
  if (!a.ok())
    return std::nullopt;
  return one(layerNorm(in[0].shape, in[1].shape, biasOf(in), axis, why));
}

Results rmsNormRule(const Values &in, const Values &, Args &a,
                    std::string &why) {
  int64_t axis = a.i("axis");
  if (!a.ok())
    return std::nullopt;
  return one(layerNorm(in[0].shape, in[1].shape, std::nullopt, axis, why));
}

Results groupNormRule(const Values &in, const Values &, Args &a,
                      std::string &why) {
  int64_t groups = a.i("num_groups");
  if (!a.ok())
    return std::nullopt;
  return one(groupNorm(in[0].shape, in[1].shape, in[2].shape, groups, why));
}

Results attentionRule(const Values &in, const Values &, Args &,
                      std::string &why) {
  std::optional<Dims> mask;
  if (in.size() > 3)
    mask = Dims(in[3].shape);
  std::optional<Shape> result =
      attention(in[0].shape, in[1].shape, in[2].shape, mask, why);
  if (!result)
    return std::nullopt;
  if (in.size() > 3 && in[3].type != DType::I1 && in[3].type != in[0].type)
    return refuse(why, "the mask must be boolean or of the query's element "
                       "type");
  return one(std::move(result));
}

const std::map<std::string_view, Rule> &rules() {
  static const std::map<std::string_view, Rule> table = [] {
    std::map<std::string_view, Rule> t;
    // The SNPU's f32 elementwise chain is the one host op outside ODS.
    for (const char *op : {"add",
                           "sub",
                           "mul",
                           "div",
                           "pow",
                           "max",
                           "min",
                           "mod",
                           "and",
                           "or",
                           "xor",
                           "bit_and",
                           "bit_or",
                           "bit_xor",
                           "shift_left",
                           "shift_right",
                           "equal",
                           "less",
                           "less_equal",
                           "greater",
                           "greater_equal",
                           "select",
                           "elementwise_chain"})
      t[op] = broadcasting;
    for (const char *op :
         {"relu",       "neg",     "abs",        "exp",   "log",   "sqrt",
          "reciprocal", "tanh",    "sigmoid",    "erf",   "floor", "ceil",
          "sin",        "cos",     "not",        "round", "tan",   "asin",
          "acos",       "atan",    "sinh",       "cosh",  "asinh", "acosh",
          "atanh",      "bit_not", "leaky_relu", "clip"})
      t[op] = same;
    for (const char *op : {"reduce_sum", "reduce_mean", "reduce_max",
                           "reduce_min", "reduce_prod"})
      t[op] = reduction;
    for (const char *op : {"softmax", "log_softmax", "hardmax", "cumsum"})
      t[op] = sameWithAxis;
    for (const char *op : {"argmax", "argmin"})
      t[op] = argExtremeRule;
    for (const char *op : {"max_pool2d", "avg_pool2d"})
      t[op] = pool2dRule;
    t["cast"] = cast;
    t["trilu"] = trilu;
    t["lrn"] = lrn;
    t["gelu"] = gelu;
    t["matmul"] = matmulRule;
    t["conv2d"] = conv2dRule;
    t["conv_transpose2d"] = convTranspose2dRule;
    t["transpose"] = transposeRule;
    t["concat"] = concatRule;
    t["gather"] = gatherRule;
    t["gather_elements"] = gatherElementsRule;
    t["gather_nd"] = gatherNdRule;
    t["scatter_nd"] = scatterNdRule;
    t["scatter_elements"] = scatterElementsRule;
    t["slice"] = sliceRule;
    t["pad"] = padRule;
    t["tile"] = tileRule;
    t["broadcast"] = broadcastRule;
    t["reshape"] = reshapeRule;
    t["resize"] = resizeRule;
    t["top_k"] = topKRule;
    t["layer_norm"] = layerNormRule;
    t["rms_norm"] = rmsNormRule;
    t["group_norm"] = groupNormRule;
    t["attention"] = attentionRule;
    return t;
  }();
  return table;
}

} // namespace

bool hasOpRule(std::string_view op) { return rules().count(op) != 0; }

std::optional<std::vector<Shape>>
opResultShapes(std::string_view op, const std::vector<TypedShape> &operands,
               const std::vector<TypedShape> &results,
               const std::vector<Attr> &attrs, std::string &why) {
  auto it = rules().find(op);
  if (it == rules().end())
    return refuse(why, fmt::format("no shape rule for op '{}'", op));
  // The rules index operands by position: the count comes first.
  const OpSignature *ods = graphOpSignature(op);
  size_t least = ods ? ods->minOperands : 1;
  size_t most = ods ? ods->maxOperands : SIZE_MAX;
  if (operands.size() < least || operands.size() > most)
    return refuse(why, fmt::format("takes {} operands, got {}",
                                   least == most ? std::to_string(least)
                                   : most == SIZE_MAX
                                       ? fmt::format("at least {}", least)
                                       : fmt::format("{} to {}", least, most),
                                   operands.size()));
  std::string attrError;
  Args args(attrs, attrError, ods);
  std::string ruleWhy;
  Results shapes = it->second(operands, results, args, ruleWhy);
  if (!attrError.empty())
    return refuse(why, attrError);
  if (!shapes)
    return refuse(why, ruleWhy);
  return shapes;
}

} // namespace sinan::shape
