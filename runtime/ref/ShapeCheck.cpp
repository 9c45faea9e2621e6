//===- ShapeCheck.cpp - Host-op operand and result types ------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The reference kernels trust the shapes they are given: the compiler's
// verifiers guarantee them for graph IR. A module comes from a file, so the
// runtime checks every host op's operand and result types with these rules
// (the graph dialect's shape rules, restated without MLIR) before a session
// runs it. Each rule returns the result shapes the op produces; the caller
// compares them with the module's.
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/ref/HostOps.h"

#include "Fused.h"

#include "Args.h"

#include <fmt/format.h>

#include <functional>
#include <map>
#include <numeric>

namespace sinan::ref {
namespace {

using Shape = std::vector<int64_t>;
using Types = std::vector<ValueType>;

/// Result shapes, or nothing with the problem in `error`.
using Rule = std::function<std::optional<std::vector<Shape>>(
    Args &, const Types &in, const Types &out, std::string &error)>;

std::optional<std::vector<Shape>> fail(std::string &error,
                                       std::string message) {
  error = std::move(message);
  return std::nullopt;
}

int64_t rankOf(const ValueType &v) { return int64_t(v.shape.size()); }

int64_t elements(const Shape &shape) {
  return std::accumulate(shape.begin(), shape.end(), int64_t(1),
                         std::multiplies<int64_t>());
}

/// Numpy broadcasting of all `shapes`.
std::optional<Shape> broadcast(const std::vector<const Shape *> &shapes,
                               std::string &error) {
  size_t rank = 0;
  for (const Shape *s : shapes)
    rank = std::max(rank, s->size());
  Shape result(rank, 1);
  for (const Shape *s : shapes)
    for (size_t i = 0; i < s->size(); ++i) {
      int64_t &r = result[rank - s->size() + i];
      int64_t d = (*s)[i];
      if (d == r || d == 1)
        continue;
      if (r != 1) {
        error = fmt::format("operand shapes [{}] do not broadcast",
                            formatShape(*s));
        return std::nullopt;
      }
      r = d;
    }
  return result;
}

Rule same() {
  return [](Args &, const Types &in, const Types &,
            std::string &) -> std::optional<std::vector<Shape>> {
    return std::vector<Shape>{in[0].shape};
  };
}

/// Result = input shape, with a minimum rank (kernels that index axes).
Rule sameWithRank(int64_t minRank) {
  return [minRank](Args &, const Types &in, const Types &,
                   std::string &error) -> std::optional<std::vector<Shape>> {
    if (rankOf(in[0]) < minRank)
      return fail(error, fmt::format("needs rank {} or more, got rank {}",
                                     minRank, rankOf(in[0])));
    return std::vector<Shape>{in[0].shape};
  };
}

/// Result = input shape; the axis attribute must be in range.
Rule sameWithAxis() {
  return [](Args &a, const Types &in, const Types &,
            std::string &error) -> std::optional<std::vector<Shape>> {
    a.axis("axis", rankOf(in[0]));
    if (!a.ok())
      return std::nullopt;
    if (rankOf(in[0]) == 0)
      return fail(error, "needs rank 1 or more");
    return std::vector<Shape>{in[0].shape};
  };
}

Rule broadcasting() {
  return [](Args &, const Types &in, const Types &,
            std::string &error) -> std::optional<std::vector<Shape>> {
    std::vector<const Shape *> shapes;
    for (const ValueType &v : in)
      shapes.push_back(&v.shape);
    std::optional<Shape> result = broadcast(shapes, error);
    if (!result)
      return std::nullopt;
    return std::vector<Shape>{*result};
  };
}

Rule reduction() {
  return [](Args &a, const Types &in, const Types &out,
            std::string &error) -> std::optional<std::vector<Shape>> {
    std::vector<int64_t> axes = a.axes("axes", rankOf(in[0]));
    if (!a.ok())
      return std::nullopt;
    // Empty axes reduce everything; kept dims stay as 1 when the result
    // has the input's rank.
    bool keep = rankOf(out[0]) == rankOf(in[0]);
    Shape result;
    for (int64_t d = 0; d < rankOf(in[0]); ++d) {
      bool reduced =
          axes.empty() || std::find(axes.begin(), axes.end(), d) != axes.end();
      if (!reduced)
        result.push_back(in[0].shape[d]);
      else if (keep)
        result.push_back(1);
    }
    return std::vector<Shape>{result};
  };
}

Rule matmul() {
  return [](Args &, const Types &in, const Types &,
            std::string &error) -> std::optional<std::vector<Shape>> {
    Shape a = in[0].shape, b = in[1].shape;
    if (a.empty() || b.empty())
      return fail(error, "matmul operands need rank 1 or more");
    bool vecA = a.size() == 1, vecB = b.size() == 1;
    if (vecA)
      a.insert(a.begin(), 1);
    if (vecB)
      b.push_back(1);
    if (a.back() != b[b.size() - 2])
      return fail(error, fmt::format("contracting dimensions differ: [{}] x "
                                     "[{}]",
                                     formatShape(in[0].shape),
                                     formatShape(in[1].shape)));
    Shape batchA(a.begin(), a.end() - 2), batchB(b.begin(), b.end() - 2);
    std::optional<Shape> batch = broadcast({&batchA, &batchB}, error);
    if (!batch)
      return std::nullopt;
    Shape result = *batch;
    if (!vecA)
      result.push_back(a[a.size() - 2]);
    if (!vecB)
      result.push_back(b.back());
    return std::vector<Shape>{result};
  };
}

/// Output extent of a strided window over `size` padded by `padSum`.
int64_t windows(int64_t size, int64_t padSum, int64_t kernel, int64_t stride,
                int64_t dilation) {
  int64_t span = dilation * (kernel - 1) + 1;
  return (size + padSum - span) / stride + 1;
}

bool positive(const std::array<int64_t, 2> &v) { return v[0] > 0 && v[1] > 0; }

/// Window parameters far beyond any real model are refused, so the shape
/// arithmetic below cannot overflow.
bool moderate(const std::vector<int64_t> &values) {
  return std::all_of(values.begin(), values.end(),
                     [](int64_t v) { return v > -(1 << 30) && v < (1 << 30); });
}

Rule conv2d() {
  return [](Args &a, const Types &in, const Types &,
            std::string &error) -> std::optional<std::vector<Shape>> {
    std::vector<int64_t> strides = a.ints("strides", 2, {{1, 1}}),
                         pads = a.ints("pads", 4, {{0, 0, 0, 0}}),
                         dil = a.ints("dilations", 2, {{1, 1}});
    int64_t group = a.i("group", 1);
    if (!a.ok())
      return std::nullopt;
    const Shape &x = in[0].shape, &w = in[1].shape;
    if (x.size() != 4 || w.size() != 4)
      return fail(error, "conv2d needs NCHW input and OIHW weight");
    if (!moderate(strides) || !moderate(pads) || !moderate(dil) ||
        !moderate({w[2], w[3]}))
      return fail(error, "window attributes out of range");
    if (group <= 0 || w[0] % group != 0 || x[1] != w[1] * group ||
        strides[0] <= 0 || strides[1] <= 0 || dil[0] <= 0 || dil[1] <= 0 ||
        w[2] <= 0 || w[3] <= 0)
      return fail(error, fmt::format("input [{}], weight [{}] and group {} "
                                     "do not fit",
                                     formatShape(x), formatShape(w), group));
    if (in.size() > 2 && in[2].shape != Shape{w[0]})
      return fail(error, "bias must have one value per output channel");
    int64_t oh = windows(x[2], pads[0] + pads[2], w[2], strides[0], dil[0]);
    int64_t ow = windows(x[3], pads[1] + pads[3], w[3], strides[1], dil[1]);
    if (oh < 0 || ow < 0)
      return fail(error, "the window is larger than the padded input");
    return std::vector<Shape>{{x[0], w[0], oh, ow}};
  };
}

/// The result is checked by the caller against out[0]; the kernel clips
/// every tap to the output, so only channels are structural here.
Rule convTranspose2d() {
  return [](Args &a, const Types &in, const Types &out,
            std::string &error) -> std::optional<std::vector<Shape>> {
    std::vector<int64_t> window = a.ints("strides", 2, {{1, 1}}),
                         pads = a.ints("pads", 4, {{0, 0, 0, 0}}),
                         dil = a.ints("dilations", 2, {{1, 1}});
    int64_t group = a.i("group", 1);
    if (!a.ok())
      return std::nullopt;
    window.insert(window.end(), dil.begin(), dil.end());
    if (!moderate(window) || !moderate(pads))
      return fail(error, "window attributes out of range");
    const Shape &x = in[0].shape, &w = in[1].shape, &y = out[0].shape;
    if (x.size() != 4 || w.size() != 4 || y.size() != 4)
      return fail(error, "conv_transpose2d needs rank-4 operands");
    if (group <= 0 || x[1] != w[0] || x[1] % group != 0 ||
        y[1] != w[1] * group || y[0] != x[0])
      return fail(error, fmt::format("input [{}], weight [{}], result [{}] "
                                     "and group {} do not fit",
                                     formatShape(x), formatShape(w),
                                     formatShape(y), group));
    if (in.size() > 2 && in[2].shape != Shape{y[1]})
      return fail(error, "bias must have one value per output channel");
    return std::vector<Shape>{y};
  };
}

/// Floor or ceil rounding of the window count (ceil_mode is folded into
/// the result shape by the compiler); the kernels clip windows.
Rule pool2d() {
  return [](Args &a, const Types &in, const Types &out,
            std::string &error) -> std::optional<std::vector<Shape>> {
    std::array<int64_t, 2> kernel{}, strides{}, dil{};
    std::vector<int64_t> k = a.ints("kernel", 2),
                         s = a.ints("strides", 2, {{1, 1}}),
                         pads = a.ints("pads", 4, {{0, 0, 0, 0}}),
                         d = a.ints("dilations", 2, {{1, 1}});
    if (!a.ok())
      return std::nullopt;
    if (!moderate(k) || !moderate(s) || !moderate(pads) || !moderate(d))
      return fail(error, "window attributes out of range");
    std::copy_n(k.begin(), 2, kernel.begin());
    std::copy_n(s.begin(), 2, strides.begin());
    std::copy_n(d.begin(), 2, dil.begin());
    const Shape &x = in[0].shape;
    if (x.size() != 4 || !positive(kernel) || !positive(strides) ||
        !positive(dil))
      return fail(error, "pooling needs an NCHW input and positive kernel, "
                         "strides and dilations");
    Shape result = {x[0], x[1], 0, 0};
    for (int i = 0; i < 2; ++i) {
      int64_t floor = windows(x[2 + i], pads[i] + pads[2 + i], kernel[i],
                              strides[i], dil[i]);
      int64_t given = out[0].shape.size() == 4 ? out[0].shape[2 + i] : floor;
      result[2 + i] = given == floor + 1 ? given : floor;
    }
    return std::vector<Shape>{result};
  };
}

Rule transpose() {
  return [](Args &a, const Types &in, const Types &,
            std::string &error) -> std::optional<std::vector<Shape>> {
    std::vector<int64_t> perm = a.ints("permutation", rankOf(in[0]));
    if (!a.ok())
      return std::nullopt;
    Shape result;
    std::vector<bool> seen(perm.size(), false);
    for (int64_t p : perm) {
      if (p < 0 || p >= rankOf(in[0]) || seen[p])
        return fail(error, "'permutation' is not a permutation of the axes");
      seen[p] = true;
      result.push_back(in[0].shape[p]);
    }
    return std::vector<Shape>{result};
  };
}

Rule concat() {
  return [](Args &a, const Types &in, const Types &,
            std::string &error) -> std::optional<std::vector<Shape>> {
    int64_t axis = a.axis("axis", rankOf(in[0]));
    if (!a.ok())
      return std::nullopt;
    if (rankOf(in[0]) == 0)
      return fail(error, "needs rank 1 or more");
    Shape result = in[0].shape;
    for (size_t i = 1; i < in.size(); ++i) {
      const Shape &s = in[i].shape;
      for (int64_t d = 0; d < rankOf(in[0]); ++d)
        if (s.size() != result.size() || (d != axis && s[d] != result[d]))
          return fail(error,
                      fmt::format("operand {} [{}] does not match "
                                  "[{}] (rank, or a dimension off the axis)",
                                  i, formatShape(s), formatShape(in[0].shape)));
      result[axis] += s[axis];
    }
    return std::vector<Shape>{result};
  };
}

/// Operands whose element type the kernel copies bytewise into the result.
bool sameTypes(const Types &values, size_t from, DType type) {
  for (size_t i = from; i < values.size(); ++i)
    if (values[i].dtype != type)
      return false;
  return true;
}

bool integer(const ValueType &v) {
  return !isFloatDType(v.dtype) && v.dtype != DType::I1;
}

Rule gather() {
  return [](Args &a, const Types &in, const Types &,
            std::string &error) -> std::optional<std::vector<Shape>> {
    int64_t axis = a.axis("axis", rankOf(in[0]));
    if (!a.ok())
      return std::nullopt;
    if (rankOf(in[0]) == 0 || !integer(in[1]))
      return fail(error, "gather needs ranked data and integer indices");
    const Shape &data = in[0].shape;
    Shape result(data.begin(), data.begin() + axis);
    result.insert(result.end(), in[1].shape.begin(), in[1].shape.end());
    result.insert(result.end(), data.begin() + axis + 1, data.end());
    return std::vector<Shape>{result};
  };
}

Rule gatherElements() {
  return [](Args &a, const Types &in, const Types &,
            std::string &error) -> std::optional<std::vector<Shape>> {
    int64_t axis = a.axis("axis", rankOf(in[0]));
    if (!a.ok())
      return std::nullopt;
    if (rankOf(in[1]) != rankOf(in[0]) || !integer(in[1]))
      return fail(error, "indices need the data's rank and an integer type");
    for (int64_t d = 0; d < rankOf(in[0]); ++d)
      if (d != axis && in[1].shape[d] > in[0].shape[d])
        return fail(error, "indices exceed the data off the axis");
    return std::vector<Shape>{in[1].shape};
  };
}

Rule gatherNd() {
  return [](Args &a, const Types &in, const Types &,
            std::string &error) -> std::optional<std::vector<Shape>> {
    int64_t batch = a.i("batch_dims", 0);
    if (!a.ok())
      return std::nullopt;
    const Shape &data = in[0].shape, &idx = in[1].shape;
    int64_t r = rankOf(in[0]), q = rankOf(in[1]);
    if (q < 1 || !integer(in[1]) || batch < 0 || batch >= std::min(r, q) ||
        idx.back() < 1 || idx.back() > r - batch ||
        !std::equal(data.begin(), data.begin() + batch, idx.begin()))
      return fail(error, "indices do not fit the data");
    Shape result(idx.begin(), idx.end() - 1);
    result.insert(result.end(), data.begin() + batch + idx.back(), data.end());
    return std::vector<Shape>{result};
  };
}

Rule scatterNd() {
  return [](Args &a, const Types &in, const Types &,
            std::string &error) -> std::optional<std::vector<Shape>> {
    if (!a.ok())
      return std::nullopt;
    const Shape &data = in[0].shape, &idx = in[1].shape;
    if (idx.empty() || !integer(in[1]) || idx.back() < 1 ||
        idx.back() > rankOf(in[0]))
      return fail(error, "indices do not fit the data");
    Shape updates(idx.begin(), idx.end() - 1);
    updates.insert(updates.end(), data.begin() + idx.back(), data.end());
    if (in[2].shape != updates)
      return fail(error,
                  fmt::format("updates are [{}], expected [{}]",
                              formatShape(in[2].shape), formatShape(updates)));
    return std::vector<Shape>{data};
  };
}

Rule scatterElements() {
  return [](Args &a, const Types &in, const Types &,
            std::string &error) -> std::optional<std::vector<Shape>> {
    int64_t axis = a.axis("axis", rankOf(in[0]));
    if (!a.ok())
      return std::nullopt;
    if (in[1].shape != in[2].shape || rankOf(in[1]) != rankOf(in[0]) ||
        !integer(in[1]))
      return fail(error, "indices and updates need one shape and the data's "
                         "rank");
    for (int64_t d = 0; d < rankOf(in[0]); ++d)
      if (d != axis && in[1].shape[d] > in[0].shape[d])
        return fail(error, "indices exceed the data off the axis");
    return std::vector<Shape>{in[0].shape};
  };
}

/// Every element the slice reads lies inside the input.
Rule slice() {
  return [](Args &a, const Types &in, const Types &out,
            std::string &error) -> std::optional<std::vector<Shape>> {
    std::vector<int64_t> starts = a.ints("starts", rankOf(in[0])),
                         steps = a.ints("steps", rankOf(in[0]));
    if (!a.ok())
      return std::nullopt;
    if (rankOf(out[0]) != rankOf(in[0]))
      return fail(error, "the result's rank differs from the input's");
    for (int64_t d = 0; d < rankOf(in[0]); ++d) {
      int64_t n = out[0].shape[d], size = in[0].shape[d];
      if (n == 0)
        continue;
      int64_t first = starts[d], last = 0;
      bool overflow = __builtin_mul_overflow(n - 1, steps[d], &last) ||
                      __builtin_add_overflow(last, first, &last);
      if (overflow || first < 0 || first >= size || last < 0 || last >= size)
        return fail(error,
                    fmt::format("dimension {} reads outside the input", d));
    }
    return std::vector<Shape>{out[0].shape};
  };
}

Rule pad() {
  return [](Args &a, const Types &in, const Types &out,
            std::string &error) -> std::optional<std::vector<Shape>> {
    a.ints("low", rankOf(in[0]));
    std::string mode = a.s("mode", std::string("constant"));
    a.f("value", 0.0);
    if (!a.ok())
      return std::nullopt;
    if (mode != "constant" && mode != "edge" && mode != "reflect" &&
        mode != "wrap")
      return fail(error, "unknown mode '" + mode + "'");
    if (rankOf(out[0]) != rankOf(in[0]))
      return fail(error, "the result's rank differs from the input's");
    return std::vector<Shape>{out[0].shape};
  };
}

Rule tile() {
  return [](Args &, const Types &in, const Types &out,
            std::string &error) -> std::optional<std::vector<Shape>> {
    if (rankOf(out[0]) != rankOf(in[0]))
      return fail(error, "the result's rank differs from the input's");
    for (int64_t d = 0; d < rankOf(in[0]); ++d) {
      int64_t n = in[0].shape[d], m = out[0].shape[d];
      if (m != 0 && (n == 0 || m % n != 0))
        return fail(error, "the result is not a tiling of the input");
    }
    return std::vector<Shape>{out[0].shape};
  };
}

Rule broadcastTo() {
  return [](Args &, const Types &in, const Types &out,
            std::string &error) -> std::optional<std::vector<Shape>> {
    std::optional<Shape> result =
        broadcast({&in[0].shape, &out[0].shape}, error);
    if (!result)
      return std::nullopt;
    return std::vector<Shape>{*result};
  };
}

Rule reshape() {
  return [](Args &, const Types &in, const Types &out,
            std::string &error) -> std::optional<std::vector<Shape>> {
    if (elements(in[0].shape) != elements(out[0].shape))
      return fail(error, "reshape changes the number of elements");
    return std::vector<Shape>{out[0].shape};
  };
}

/// The axis kept as 1 or dropped (the layouts are the same).
Rule argExtreme() {
  return [](Args &a, const Types &in, const Types &out,
            std::string &error) -> std::optional<std::vector<Shape>> {
    int64_t axis = a.axis("axis", rankOf(in[0]));
    if (!a.ok())
      return std::nullopt;
    if (rankOf(in[0]) == 0)
      return fail(error, "needs rank 1 or more");
    Shape result = in[0].shape;
    if (rankOf(out[0]) == rankOf(in[0]))
      result[axis] = 1;
    else
      result.erase(result.begin() + axis);
    return std::vector<Shape>{result};
  };
}

Rule topK() {
  return [](Args &a, const Types &in, const Types &,
            std::string &error) -> std::optional<std::vector<Shape>> {
    int64_t axis = a.axis("axis", rankOf(in[0]));
    int64_t k = a.i("k");
    if (!a.ok())
      return std::nullopt;
    if (rankOf(in[0]) == 0 || k < 0 || k > in[0].shape[axis])
      return fail(error, fmt::format("k = {} does not fit the input", k));
    Shape result = in[0].shape;
    result[axis] = k;
    return std::vector<Shape>{result, result};
  };
}

Rule resize() {
  return [](Args &a, const Types &in, const Types &out,
            std::string &error) -> std::optional<std::vector<Shape>> {
    std::vector<double> scales = a.floats("scales");
    if (!a.ok())
      return std::nullopt;
    if (int64_t(scales.size()) != rankOf(in[0]) ||
        rankOf(out[0]) != rankOf(in[0]))
      return fail(error, "'scales' and the result need the input's rank");
    for (int64_t d = 0; d < rankOf(in[0]); ++d)
      if (in[0].shape[d] == 0 && out[0].shape[d] != 0)
        return fail(error, "cannot resize an empty dimension");
    return std::vector<Shape>{out[0].shape};
  };
}

struct Check {
  Rule rule;
  /// The result types the kernel writes: -1 any, -2 each result has input
  /// 0's type (bytewise copies), or a DType code.
  std::vector<int> resultTypes;
  /// Inputs from this index on must have input 0's type (SIZE_MAX: none).
  size_t sameTypeFrom = SIZE_MAX;
};

constexpr int kAny = -1, kLikeInput = -2;

const std::map<std::string_view, Check> &checks() {
  static const std::map<std::string_view, Check> table = [] {
    std::map<std::string_view, Check> t;
    for (const char *op :
         {"add", "sub", "mul", "div", "pow", "max", "min", "and", "or", "xor",
          "bit_and", "bit_or", "bit_xor", "shift_left", "shift_right", "mod"})
      t[op] = {broadcasting(), {kAny}};
    for (const char *op :
         {"equal", "less", "less_equal", "greater", "greater_equal"})
      t[op] = {broadcasting(), {int(DType::I1)}};
    // Unary math keeps the element type (as the graph dialect requires);
    // cast converts to any.
    for (const char *op :
         {"relu",       "neg",     "abs",        "exp",   "log",   "sqrt",
          "reciprocal", "tanh",    "sigmoid",    "erf",   "floor", "ceil",
          "sin",        "cos",     "not",        "round", "tan",   "asin",
          "acos",       "atan",    "sinh",       "cosh",  "asinh", "acosh",
          "atanh",      "bit_not", "leaky_relu", "clip"})
      t[op] = {same(), {kLikeInput}};
    t["cast"] = {same(), {kAny}};
    for (const char *op : {"reduce_sum", "reduce_mean", "reduce_max",
                           "reduce_min", "reduce_prod"})
      t[op] = {reduction(), {kAny}};
    for (const char *op : {"softmax", "log_softmax", "hardmax", "cumsum"})
      t[op] = {sameWithAxis(), {kAny}};
    for (const char *op : {"argmax", "argmin"})
      t[op] = {argExtreme(), {int(DType::I64)}};
    t["select"] = {broadcasting(), {kAny}};
    t["elementwise_chain"] = {broadcasting(), {int(DType::F32)}};
    t["matmul"] = {matmul(), {kAny}};
    t["conv2d"] = {conv2d(), {kAny}};
    t["conv_transpose2d"] = {convTranspose2d(), {kAny}};
    t["max_pool2d"] = {pool2d(), {kAny}};
    t["avg_pool2d"] = {pool2d(), {kAny}};
    t["lrn"] = {sameWithRank(2), {kAny}};
    t["trilu"] = {sameWithRank(2), {kLikeInput}};
    t["reshape"] = {reshape(), {kLikeInput}};
    t["transpose"] = {transpose(), {kLikeInput}};
    t["concat"] = {concat(), {kLikeInput}, 1};
    t["gather"] = {gather(), {kLikeInput}};
    t["gather_elements"] = {gatherElements(), {kLikeInput}};
    t["gather_nd"] = {gatherNd(), {kLikeInput}};
    t["scatter_nd"] = {scatterNd(), {kLikeInput}};
    t["scatter_elements"] = {scatterElements(), {kLikeInput}};
    t["slice"] = {slice(), {kLikeInput}};
    t["pad"] = {pad(), {kLikeInput}};
    t["tile"] = {tile(), {kLikeInput}};
    t["broadcast"] = {broadcastTo(), {kLikeInput}};
    t["top_k"] = {topK(), {kLikeInput, int(DType::I64)}};
    t["resize"] = {resize(), {kAny}};
    return t;
  }();
  return table;
}

} // namespace

bool hasHostOpCheck(std::string_view op) {
  return op == "fused" || checks().count(op) != 0;
}

bool checkHostOp(std::string_view op, const std::vector<Attr> &attrs,
                 const std::vector<ValueType> &allInputs,
                 const std::vector<ValueType> &outputs, std::string &error) {
  if (op == "fused")
    return checkFused(attrs, allInputs, outputs, error);
  auto it = checks().find(op);
  if (it == checks().end()) {
    error = fmt::format("no shape rule for op '{}'", op);
    return false;
  }
  // A residual (runHostOp's residual = 1) is the last input: an addend of
  // the single result (of its element type, broadcast to its shape: a bias
  // row), not an operand of the op.
  std::vector<ValueType> inputs = allInputs;
  for (const Attr &attr : attrs)
    if (attr.name == "residual" && attr.value == AttrValue(int64_t(1))) {
      if (inputs.empty() || outputs.size() != 1 ||
          inputs.back().dtype != outputs[0].dtype ||
          !broadcastsTo(inputs.back().shape, outputs[0].shape)) {
        error = fmt::format("op '{}': a residual must have the result's "
                            "element type and broadcast to its shape",
                            op);
        return false;
      }
      inputs.pop_back();
    }
  const Check &check = it->second;
  if (!hostOpArity(op, inputs.size(), outputs.size()) ||
      outputs.size() != check.resultTypes.size()) {
    error = fmt::format("op '{}' got {} inputs and {} results", op,
                        inputs.size(), outputs.size());
    return false;
  }
  // select's condition is input 0; its values must share a type.
  size_t from = op == "select" ? 2 : check.sameTypeFrom;
  DType like = op == "select" ? inputs[1].dtype : inputs[0].dtype;
  if (from != SIZE_MAX && from < inputs.size() &&
      !sameTypes(inputs, from, like)) {
    error = fmt::format("op '{}': operands of different element types", op);
    return false;
  }
  std::string attrError;
  Args args(attrs, attrError);
  std::string ruleError;
  std::optional<std::vector<Shape>> shapes =
      check.rule(args, inputs, outputs, ruleError);
  if (!shapes || !attrError.empty()) {
    error = fmt::format("op '{}': {}", op,
                        attrError.empty() ? ruleError : attrError);
    return false;
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    int want = check.resultTypes[i];
    DType type = want == kLikeInput
                     ? (op == "select" ? inputs[1].dtype : inputs[0].dtype)
                     : static_cast<DType>(want);
    if ((*shapes)[i] != outputs[i].shape ||
        (want != kAny && outputs[i].dtype != type)) {
      error = fmt::format(
          "op '{}': result {} is {}[{}], the op gives {}[{}]", op, i,
          dtypeName(outputs[i].dtype), formatShape(outputs[i].shape),
          want == kAny ? dtypeName(outputs[i].dtype) : dtypeName(type),
          formatShape((*shapes)[i]));
      return false;
    }
  }
  return true;
}

} // namespace sinan::ref
