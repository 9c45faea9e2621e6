//===- HostOps.cpp - Run a graph op by name on host tensors ---------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A graph op's operand and result counts and its attributes' defaults are
// its ODS signature's (OpSignatures.h, generated from GraphOps.td); fallbacks
// in code are for the attributes only the runtime knows (precision,
// residual, activation, ...).
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/ref/HostOps.h"

#include "sinan/runtime/Numerics.h"
#include "sinan/runtime/ref/Kernels.h"

#include "Args.h"
#include "Fused.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <optional>

namespace sinan::ref {
namespace {

/// The geometries the SNPU's Winograd kernel takes (Conv2dParams::winograd):
/// stride 1 with pads 1 (the output as large as the input), or stride 2
/// with pads 1 before and the output half the input (rounded either way);
/// dilation 1.
bool winogradGeometry(const Conv2dParams &p, const std::vector<int64_t> &x,
                      const std::vector<int64_t> &y) {
  if (p.dilations != std::array<int64_t, 2>{1, 1} || x.size() != 4 ||
      y.size() != 4 || p.pads[0] != 1 || p.pads[1] != 1)
    return false;
  if (p.strides == std::array<int64_t, 2>{1, 1})
    return p.pads[2] == 1 && p.pads[3] == 1 && y[2] == x[2] && y[3] == x[3];
  return p.strides == std::array<int64_t, 2>{2, 2} &&
         winogradStride2Extent(x[2], y[2]) && winogradStride2Extent(x[3], y[3]);
}

using Inputs = std::vector<const Tensor *>;
using Outputs = std::vector<Tensor *>;

using Handler =
    std::function<bool(Args &, const Inputs &, const Outputs &, std::string &)>;

/// A host op's kernel. A graph op's operand and result counts are its
/// ODS signature's (hostOpArity).
struct Entry {
  Handler run;
};

template <size_t N, typename Array>
void copyInto(Array &to, const std::vector<int64_t> &from) {
  std::copy_n(from.begin(), N, to.begin());
}

Pool2dParams poolParams(Args &a) {
  Pool2dParams p;
  copyInto<2>(p.kernel, a.ints("kernel", 2));
  copyInto<2>(p.strides, a.ints("strides", 2));
  copyInto<4>(p.pads, a.ints("pads", 4));
  copyInto<2>(p.dilations, a.ints("dilations", 2));
  return p;
}

/// Strides, pads, dilations and group of conv2d and conv_transpose2d.
template <typename Params> Params convParams(Args &a) {
  Params p;
  copyInto<2>(p.strides, a.ints("strides", 2));
  copyInto<4>(p.pads, a.ints("pads", 4));
  copyInto<2>(p.dilations, a.ints("dilations", 2));
  p.group = a.i("group");
  return p;
}

/// `t` as f32 values rounded to bf16 (the matrix unit's operand type).
Tensor roundedToBF16(const Tensor &t) {
  Tensor result(DType::F32, t.shape());
  for (int64_t i = 0; i < t.numElements(); ++i)
    result.data<float>()[i] =
        bf16ToFloat(floatToBF16(static_cast<float>(t.getDouble(i))));
  return result;
}

ScatterReduction scatterReduction(Args &a) {
  std::string r = a.s("reduction");
  if (r == "add")
    return ScatterReduction::Add;
  if (r == "mul")
    return ScatterReduction::Mul;
  if (r == "max")
    return ScatterReduction::Max;
  if (r == "min")
    return ScatterReduction::Min;
  if (r != "none")
    a.fail("unknown reduction '" + r + "'");
  return ScatterReduction::None;
}

Entry binaryEntry(BinaryOp kind) {
  return {[kind](Args &, const Inputs &in, const Outputs &out, std::string &) {
    binary(kind, *in[0], *in[1], *out[0]);
    return true;
  }};
}

Entry unaryEntry(UnaryOp kind) {
  return {[kind](Args &, const Inputs &in, const Outputs &out, std::string &) {
    unary(kind, *in[0], *out[0]);
    return true;
  }};
}

Entry compareEntry(CompareOp kind) {
  return {[kind](Args &, const Inputs &in, const Outputs &out, std::string &) {
    compare(kind, *in[0], *in[1], *out[0]);
    return true;
  }};
}

Entry reduceEntry(ReduceOp kind) {
  return {[kind](Args &a, const Inputs &in, const Outputs &out, std::string &) {
    std::vector<int64_t> axes = a.axes("axes", in[0]->rank());
    if (!a.ok())
      return false;
    reduce(kind, *in[0], axes, *out[0]);
    return true;
  }};
}

const std::map<std::string_view, Entry> &table();

/// The fallback of an SNPU kernel that fused a chain of f32 elementwise
/// ops: `steps` names them in order (comma-separated), `operands` gives two
/// per step (an input index, -1 for the previous step's result, -2 for
/// none, -3 - k for `scalars`[k]), `clip_min`/`clip_max` a bound per step
/// (NaN: none). Each step rounds to f32, as the vector unit's passes do.
Entry chainEntry() {
  return {[](Args &a, const Inputs &in, const Outputs &out,
             std::string &error) {
    std::string list = a.s("steps");
    std::vector<int64_t> operands = a.ints("operands");
    std::vector<double> lo = a.floats("clip_min"), hi = a.floats("clip_max"),
                        values = a.floats("scalars", {{}});
    if (!a.ok())
      return false;
    std::vector<Tensor> scalars;
    for (double v : values) {
      scalars.emplace_back(DType::F32, std::vector<int64_t>{});
      scalars.back().data<float>()[0] = static_cast<float>(v);
    }
    std::vector<std::string> steps;
    for (size_t at = 0; at <= list.size();) {
      size_t end = std::min(list.find(',', at), list.size());
      steps.push_back(list.substr(at, end - at));
      at = end + 1;
    }
    if (operands.size() != 2 * steps.size() || lo.size() != steps.size() ||
        hi.size() != steps.size()) {
      error = fmt::format("{} steps need {} operand codes and {} "
                          "clip bounds each, got {}, {} and {}",
                          steps.size(), 2 * steps.size(), steps.size(),
                          operands.size(), lo.size(), hi.size());
      return false;
    }
    Tensor &result = *out[0];
    if (result.type() != DType::F32) {
      error = "the result is not f32";
      return false;
    }
    for (size_t i = 0; i < steps.size(); ++i) {
      const Tensor *args[2] = {nullptr, nullptr};
      for (size_t j = 0; j < 2; ++j) {
        int64_t code = operands[2 * i + j];
        if (code == -1 && i > 0)
          args[j] = &result;
        else if (code >= 0 && code < int64_t(in.size()) &&
                 in[code]->type() == DType::F32)
          args[j] = in[code];
        else if (code <= -3 && -3 - code < int64_t(scalars.size()))
          args[j] = &scalars[-3 - code];
        else if (code != -2) {
          error = fmt::format("step {} ('{}'): operand code {} is "
                              "not an f32 input or an earlier step",
                              i, steps[i], code);
          return false;
        }
      }
      // Each step is its host op (gelu and gelu_tanh, which no graph op
      // has alone: the vector unit's formulas), writing the result in
      // place.
      const std::string &name = steps[i];
      bool gelu = name == "gelu" || name == "gelu_tanh";
      if (gelu && args[0] && !args[1]) {
        unary(name == "gelu" ? UnaryOp::Gelu : UnaryOp::GeluTanh, *args[0],
              result);
        continue;
      }
      if (gelu || !table().count(name)) {
        error = fmt::format("step {}: unknown op '{}'", i, name);
        return false;
      }
      std::vector<Attr> attrs;
      if (!std::isnan(lo[i]))
        attrs.push_back({"min", lo[i]});
      if (!std::isnan(hi[i]))
        attrs.push_back({"max", hi[i]});
      std::vector<const Tensor *> stepIn;
      for (const Tensor *arg : args)
        if (arg)
          stepIn.push_back(arg);
      // A softmax (a chain's last step, over the innermost dimension)
      // reads a row whole before writing it: from a copy.
      Tensor rows;
      if (name == "softmax") {
        attrs.push_back({"axis", int64_t(-1)});
        if (stepIn.size() == 1 && stepIn[0] == &result) {
          rows = Tensor(result.type(), result.shape());
          std::memcpy(rows.data(), result.data(), result.byteSize());
          stepIn[0] = &rows;
        }
      }
      std::string stepError;
      if (!runHostOp(name, attrs, stepIn, {&result}, stepError)) {
        error = fmt::format("step {} ('{}'): {}", i, name, stepError);
        return false;
      }
    }
    return true;
  }};
}

void addElementwise(std::map<std::string_view, Entry> &t) {
  const std::pair<const char *, BinaryOp> binaries[] = {
      {"add", BinaryOp::Add},
      {"sub", BinaryOp::Sub},
      {"mul", BinaryOp::Mul},
      {"div", BinaryOp::Div},
      {"pow", BinaryOp::Pow},
      {"max", BinaryOp::Max},
      {"min", BinaryOp::Min},
      {"and", BinaryOp::And},
      {"or", BinaryOp::Or},
      {"xor", BinaryOp::Xor},
      {"bit_and", BinaryOp::And},
      {"bit_or", BinaryOp::Or},
      {"bit_xor", BinaryOp::Xor},
      {"shift_left", BinaryOp::ShiftLeft},
      {"shift_right", BinaryOp::ShiftRight}};
  for (auto [name, kind] : binaries)
    t.emplace(name, binaryEntry(kind));
  const std::pair<const char *, UnaryOp> unaries[] = {
      {"relu", UnaryOp::Relu},
      {"neg", UnaryOp::Neg},
      {"abs", UnaryOp::Abs},
      {"exp", UnaryOp::Exp},
      {"log", UnaryOp::Log},
      {"sqrt", UnaryOp::Sqrt},
      {"reciprocal", UnaryOp::Reciprocal},
      {"tanh", UnaryOp::Tanh},
      {"sigmoid", UnaryOp::Sigmoid},
      {"erf", UnaryOp::Erf},
      {"floor", UnaryOp::Floor},
      {"ceil", UnaryOp::Ceil},
      {"sin", UnaryOp::Sin},
      {"cos", UnaryOp::Cos},
      {"not", UnaryOp::Not},
      {"round", UnaryOp::Round},
      {"tan", UnaryOp::Tan},
      {"asin", UnaryOp::Asin},
      {"acos", UnaryOp::Acos},
      {"atan", UnaryOp::Atan},
      {"sinh", UnaryOp::Sinh},
      {"cosh", UnaryOp::Cosh},
      {"asinh", UnaryOp::Asinh},
      {"acosh", UnaryOp::Acosh},
      {"atanh", UnaryOp::Atanh},
      {"bit_not", UnaryOp::BitNot}};
  for (auto [name, kind] : unaries)
    t.emplace(name, unaryEntry(kind));
  const std::pair<const char *, CompareOp> compares[] = {
      {"equal", CompareOp::Equal},
      {"less", CompareOp::Less},
      {"less_equal", CompareOp::LessEqual},
      {"greater", CompareOp::Greater},
      {"greater_equal", CompareOp::GreaterEqual}};
  for (auto [name, kind] : compares)
    t.emplace(name, compareEntry(kind));
  const std::pair<const char *, ReduceOp> reductions[] = {
      {"reduce_sum", ReduceOp::Sum},
      {"reduce_mean", ReduceOp::Mean},
      {"reduce_max", ReduceOp::Max},
      {"reduce_min", ReduceOp::Min},
      {"reduce_prod", ReduceOp::Prod}};
  for (auto [name, kind] : reductions)
    t.emplace(name, reduceEntry(kind));
  t.emplace("elementwise_chain", chainEntry());
}

/// Wraps a kernel that reports bad indices through `error`.
#define SINAN_CHECKED(call) (a.ok() && (call))

/// `from`'s bytes in `to` (the same count: a reshape; memcpy may not see
/// the null data of an empty tensor).
void copyBytes(Tensor &to, const Tensor &from) {
  if (from.byteSize() != 0)
    std::memcpy(to.data(), from.data(), from.byteSize());
}

/// A rank-0 tensor of `type` holding `value` (a decomposition's constant).
Tensor scalar(DType type, double value) {
  Tensor t(type, {});
  t.setDouble(0, value);
  return t;
}

/// a OP b into a new tensor of `shape`.
Tensor apply(BinaryOp op, const Tensor &a, const Tensor &b,
             const std::vector<int64_t> &shape) {
  Tensor out(a.type(), shape);
  binary(op, a, b, out);
  return out;
}

Tensor apply(UnaryOp op, const Tensor &x) {
  Tensor out(x.type(), x.shape());
  unary(op, x, out);
  return out;
}

/// GELU exactly as graph-decompose expands it: each op rounded to the
/// element type, in the same order.
void gelu(const Tensor &x, bool tanhForm, Tensor &y) {
  const std::vector<int64_t> &shape = x.shape();
  DType type = x.type();
  Tensor inner;
  UnaryOp outer = UnaryOp::Erf;
  if (tanhForm) {
    Tensor cube =
        apply(BinaryOp::Mul, x, apply(BinaryOp::Mul, x, x, shape), shape);
    Tensor sum =
        apply(BinaryOp::Add, x,
              apply(BinaryOp::Mul, scalar(type, 0.044715), cube, shape), shape);
    inner = apply(BinaryOp::Mul, scalar(type, 0.7978845608028654), sum, shape);
    outer = UnaryOp::Tanh;
  } else {
    inner = apply(BinaryOp::Mul, x, scalar(type, 0.7071067811865476), shape);
  }
  Tensor half = apply(BinaryOp::Mul, scalar(type, 0.5), x, shape);
  binary(BinaryOp::Mul, half,
         apply(BinaryOp::Add, scalar(type, 1), apply(outer, inner), shape), y);
}

/// Dimensions `axis` .. rank - 1 of `x`.
std::vector<int64_t> axesFrom(int64_t axis, const Tensor &x) {
  std::vector<int64_t> axes;
  for (int64_t d = axis; d < x.rank(); ++d)
    axes.push_back(d);
  return axes;
}

/// `x`'s mean over `axes`, the axes kept as 1.
Tensor meanOver(const Tensor &x, const std::vector<int64_t> &axes) {
  std::vector<int64_t> kept = x.shape();
  for (int64_t d : axes)
    kept[d] = 1;
  Tensor out(x.type(), kept);
  reduce(ReduceOp::Mean, x, axes, out);
  return out;
}

/// `(x - mean) * (1 / sqrt(var + epsilon))` over `axes`: the part layer
/// and group normalization share, as graph-decompose expands them.
Tensor standardize(const Tensor &x, const std::vector<int64_t> &axes,
                   float epsilon) {
  const std::vector<int64_t> &shape = x.shape();
  Tensor centred = apply(BinaryOp::Sub, x, meanOver(x, axes), shape);
  Tensor var = meanOver(apply(BinaryOp::Mul, centred, centred, shape), axes);
  Tensor invStd = apply(
      UnaryOp::Reciprocal,
      apply(UnaryOp::Sqrt,
            apply(BinaryOp::Add, var, scalar(x.type(), epsilon), var.shape())));
  return apply(BinaryOp::Mul, centred, invStd, shape);
}

/// Layer normalization exactly as graph-decompose expands it.
void layerNorm(const Tensor &x, const Tensor &scale, const Tensor *bias,
               int64_t axis, float epsilon, Tensor &y) {
  Tensor normed = standardize(x, axesFrom(axis, x), epsilon);
  if (!bias) {
    binary(BinaryOp::Mul, normed, scale, y);
    return;
  }
  binary(BinaryOp::Add, apply(BinaryOp::Mul, normed, scale, x.shape()), *bias,
         y);
}

/// RMS normalization exactly as graph-decompose expands it.
void rmsNorm(const Tensor &x, const Tensor &scale, int64_t axis, float epsilon,
             Tensor &y) {
  Tensor meanSquare =
      meanOver(apply(BinaryOp::Mul, x, x, x.shape()), axesFrom(axis, x));
  Tensor factor = apply(UnaryOp::Reciprocal,
                        apply(UnaryOp::Sqrt, apply(BinaryOp::Add, meanSquare,
                                                   scalar(x.type(), epsilon),
                                                   meanSquare.shape())));
  binary(BinaryOp::Mul, apply(BinaryOp::Mul, x, factor, x.shape()), scale, y);
}

/// Group normalization exactly as graph-decompose expands it: statistics
/// over the spatial axes for one channel per group, else over
/// [N, G, C / G * spatial] (a reshape moves no data).
void groupNorm(const Tensor &x, const Tensor &scale, const Tensor &bias,
               int64_t groups, float epsilon, Tensor &y) {
  const std::vector<int64_t> &shape = x.shape();
  int64_t channels = shape[1];
  std::vector<int64_t> grouped = shape, axes;
  if (groups == channels) {
    axes = axesFrom(2, x);
  } else {
    grouped = {shape[0], groups,
               x.numElements() / std::max<int64_t>(shape[0] * groups, 1)};
    axes = {2};
  }
  Tensor view(x.type(), grouped);
  copyBytes(view, x);
  Tensor normed = standardize(view, axes, epsilon);
  // Back to the input's shape; scale and bias per channel ([C, 1, ...]).
  Tensor normedFull(x.type(), shape);
  copyBytes(normedFull, normed);
  std::vector<int64_t> perChannel(shape.size() - 1, 1);
  perChannel[0] = channels;
  Tensor s(scale.type(), perChannel), b(bias.type(), perChannel);
  copyBytes(s, scale);
  copyBytes(b, bias);
  binary(BinaryOp::Add, apply(BinaryOp::Mul, normedFull, s, shape), b, y);
}

/// `x` ([B, Hkv, S, D]) with each head repeated `group` times in a row,
/// through the broadcast graph-decompose builds.
Tensor repeatHeads(const Tensor &x, int64_t group) {
  const std::vector<int64_t> &s = x.shape();
  Tensor wide(x.type(), {s[0], s[1], 1, s[2], s[3]});
  copyBytes(wide, x);
  Tensor tiled(x.type(), {s[0], s[1], group, s[2], s[3]});
  broadcastTo(wide, tiled);
  Tensor out(x.type(), {s[0], s[1] * group, s[2], s[3]});
  copyBytes(out, tiled);
  return out;
}

/// Attention exactly as graph-decompose expands it.
/// With `bf16` (the SNPU's kernel), the operands of both products are
/// rounded to bf16 first, as the matrix unit reads them.
void attention(const Tensor &q, const Tensor &k, const Tensor &v,
               const Tensor *mask, float scale, bool causal, int64_t offset,
               float softcap, bool bf16, Tensor &y) {
  DType type = q.type();
  const std::vector<int64_t> &qs = q.shape(), &ks = k.shape();
  int64_t group = qs[1] / ks[1];
  Tensor kAll = group == 1 ? k : repeatHeads(k, group);
  Tensor vAll = group == 1 ? v : repeatHeads(v, group);
  Tensor keysT(type, {qs[0], qs[1], ks[3], ks[2]});
  transpose(kAll, {0, 1, 3, 2}, keysT);
  std::vector<int64_t> scoreShape{qs[0], qs[1], qs[2], ks[2]};
  Tensor products(type, scoreShape);
  if (bf16)
    matmul(roundedToBF16(q), roundedToBF16(keysT), products);
  else
    matmul(q, keysT, products);
  Tensor scores =
      apply(BinaryOp::Mul, products, scalar(type, scale), scoreShape);
  Tensor negInf = scalar(type, -std::numeric_limits<double>::infinity());
  auto keep = [&](const Tensor &condition) {
    Tensor kept(type, scoreShape);
    select(condition, scores, negInf, kept);
    scores = std::move(kept);
  };
  if (mask && mask->type() == DType::I1)
    keep(*mask);
  else if (mask)
    scores = apply(BinaryOp::Add, scores, *mask, scoreShape);
  if (causal) {
    Tensor allowed(DType::I1, {qs[2], ks[2]});
    for (int64_t i = 0; i < qs[2]; ++i)
      for (int64_t j = 0; j < ks[2]; ++j)
        allowed.data()[i * ks[2] + j] = j <= i + offset;
    keep(allowed);
  }
  if (softcap > 0) {
    Tensor cap = scalar(type, softcap);
    Tensor bounded =
        apply(UnaryOp::Tanh, apply(BinaryOp::Div, scores, cap, scoreShape));
    scores = apply(BinaryOp::Mul, cap, bounded, scoreShape);
  }
  Tensor probs(type, scoreShape);
  softmax(scores, 3, false, probs);
  if (bf16)
    matmul(roundedToBF16(probs), roundedToBF16(vAll), y);
  else
    matmul(probs, vAll, y);
}

void addStructural(std::map<std::string_view, Entry> &t) {
  t.emplace("select", Entry{[](Args &, const Inputs &in, const Outputs &out,
                               std::string &) {
              select(*in[0], *in[1], *in[2], *out[0]);
              return true;
            }});
  // precision = "bf16": the SNPU matrix unit's numerics (docs/isa.md §3):
  // operands rounded to bf16, products exact, f32 sums in ascending k.
  t.emplace("matmul", Entry{[](Args &a, const Inputs &in, const Outputs &out,
                               std::string &) {
              std::string precision = a.s("precision", std::string("f32"));
              if (precision != "f32" && precision != "bf16")
                a.fail("unknown precision '" + precision + "'");
              if (!a.ok())
                return false;
              if (precision == "f32") {
                matmul(*in[0], *in[1], *out[0]);
                return true;
              }
              matmul(roundedToBF16(*in[0]), roundedToBF16(*in[1]), *out[0]);
              return true;
            }});
  t.emplace(
      "conv2d",
      Entry{[](Args &a, const Inputs &in, const Outputs &out, std::string &) {
        Conv2dParams p = convParams<Conv2dParams>(a);
        // precision = "bf16": the SNPU's numerics, input and weights
        // rounded to bf16, f32 sums (the bias stays f32), in the
        // kernel's order when sum_chunk says it (bias_last: the bias
        // after the products; fma: each product added with one
        // rounding, the vector unit's multiply-add).
        p.sumChunk = a.i("sum_chunk", 0);
        p.biasLast = a.i("bias_last", 0) != 0;
        p.fma = a.i("fma", 0) != 0;
        p.initFromOut = a.i("residual_first", 0) != 0;
        p.winograd = a.i("winograd", 0) != 0;
        if (p.initFromOut && (p.sumChunk <= 0 || !p.biasLast || p.fma))
          a.fail("residual_first needs sum_chunk > 0 and bias_last without "
                 "fma");
        if (p.sumChunk < 0 || p.sumChunk > (int64_t(1) << 20))
          a.fail("sum_chunk must be in [0, 2^20], got " +
                 std::to_string(p.sumChunk));
        std::string precision = a.s("precision", std::string("f32"));
        if (precision != "f32" && precision != "bf16")
          a.fail("unknown precision '" + precision + "'");
        if (p.winograd) {
          // Only the shape the SNPU's Winograd kernel takes.
          const auto &ws = in[1]->shape();
          bool f32 = out[0]->type() == DType::F32;
          if (!f32 || precision != "bf16" || p.sumChunk <= 0 || !p.biasLast ||
              p.fma || p.initFromOut || p.group != 1 || ws.size() != 4 ||
              ws[2] != 3 || ws[3] != 3 ||
              !winogradGeometry(p, in[0]->shape(), out[0]->shape()))
            a.fail("winograd needs an f32 3x3 convolution of stride 1 (pads "
                   "1) or 2 (pads 1 before, half the input), dilation 1 and "
                   "one group, with "
                   "precision bf16, sum_chunk > 0 and bias_last");
        }
        if (!a.ok())
          return false;
        if (precision == "bf16")
          conv2d(roundedToBF16(*in[0]), roundedToBF16(*in[1]),
                 in.size() > 2 ? in[2] : nullptr, p, *out[0]);
        else
          conv2d(*in[0], *in[1], in.size() > 2 ? in[2] : nullptr, p, *out[0]);
        return true;
      }});
  t.emplace("conv_transpose2d", Entry{[](Args &a, const Inputs &in,
                                         const Outputs &out, std::string &) {
              ConvTranspose2dParams p = convParams<ConvTranspose2dParams>(a);
              if (!a.ok())
                return false;
              convTranspose2d(*in[0], *in[1], in.size() > 2 ? in[2] : nullptr,
                              p, *out[0]);
              return true;
            }});
  t.emplace("reshape", Entry{[](Args &, const Inputs &in, const Outputs &out,
                                std::string &) {
              // The memory plan often gives the result its input's bytes.
              // (memmove: a corrupt module may overlap them partly.)
              if (in[0]->byteSize() != 0 && out[0]->data() != in[0]->data())
                std::memmove(out[0]->data(), in[0]->data(), in[0]->byteSize());
              return true;
            }});
  t.emplace("transpose", Entry{[](Args &a, const Inputs &in, const Outputs &out,
                                  std::string &) {
              std::vector<int64_t> perm = a.ints("permutation", in[0]->rank());
              if (!a.ok())
                return false;
              transpose(*in[0], perm, *out[0]);
              return true;
            }});
  t.emplace("concat", Entry{[](Args &a, const Inputs &in, const Outputs &out,
                               std::string &) {
              int64_t axis = a.axis("axis", in[0]->rank());
              if (!a.ok())
                return false;
              concat(in, axis, *out[0]);
              return true;
            }});
  t.emplace("gather", Entry{[](Args &a, const Inputs &in, const Outputs &out,
                               std::string &e) {
              int64_t axis = a.axis("axis", in[0]->rank());
              return SINAN_CHECKED(gather(*in[0], *in[1], axis, *out[0], e));
            }});
  t.emplace("cast", Entry{[](Args &a, const Inputs &in, const Outputs &out,
                             std::string &) {
              std::string mode = a.s("round_mode");
              bool saturate = a.i("saturate") != 0;
              if (mode != "up" && mode != "down" && mode != "nearest")
                a.fail("unknown round_mode '" + mode + "'");
              if (!a.ok())
                return false;
              cast(*in[0], *out[0], saturate,
                   mode == "down"      ? E8M0Rounding::Down
                   : mode == "nearest" ? E8M0Rounding::Nearest
                                       : E8M0Rounding::Up);
              return true;
            }});
  for (const char *name : {"softmax", "log_softmax"})
    t.emplace(name, Entry{[log = std::string_view(name) == "log_softmax"](
                              Args &a, const Inputs &in, const Outputs &out,
                              std::string &) {
                int64_t axis = a.axis("axis", in[0]->rank());
                if (!a.ok())
                  return false;
                softmax(*in[0], axis, log, *out[0]);
                return true;
              }});
  t.emplace(
      "lrn",
      Entry{[](Args &a, const Inputs &in, const Outputs &out, std::string &) {
        int64_t size = a.i("size");
        float alpha = a.f("alpha"), beta = a.f("beta"), bias = a.f("bias");
        if (!a.ok())
          return false;
        lrn(*in[0], size, alpha, beta, bias, *out[0]);
        return true;
      }});
  t.emplace("clip", Entry{[](Args &a, const Inputs &in, const Outputs &out,
                             std::string &) {
              // An absent bound reads as NaN: no bound.
              double nan = std::numeric_limits<double>::quiet_NaN();
              double lo = a.f("min", nan), hi = a.f("max", nan);
              if (!a.ok())
                return false;
              auto bound = [](double v) {
                return std::isnan(v) ? std::optional<float>()
                                     : std::optional<float>(v);
              };
              clip(*in[0], bound(lo), bound(hi), *out[0]);
              return true;
            }});
  t.emplace("gelu", Entry{[](Args &a, const Inputs &in, const Outputs &out,
                             std::string &) {
              std::string approximate = a.s("approximate");
              if (approximate != "none" && approximate != "tanh")
                a.fail("unknown approximate '" + approximate + "'");
              if (!a.ok())
                return false;
              gelu(*in[0], approximate == "tanh", *out[0]);
              return true;
            }});
  t.emplace("layer_norm", Entry{[](Args &a, const Inputs &in,
                                   const Outputs &out, std::string &) {
              int64_t axis = a.axis("axis", in[0]->rank());
              float epsilon = a.f("epsilon");
              if (!a.ok())
                return false;
              layerNorm(*in[0], *in[1], in.size() > 2 ? in[2] : nullptr, axis,
                        epsilon, *out[0]);
              return true;
            }});
  t.emplace("rms_norm", Entry{[](Args &a, const Inputs &in, const Outputs &out,
                                 std::string &) {
              int64_t axis = a.axis("axis", in[0]->rank());
              float epsilon = a.f("epsilon");
              if (!a.ok())
                return false;
              rmsNorm(*in[0], *in[1], axis, epsilon, *out[0]);
              return true;
            }});
  t.emplace("group_norm", Entry{[](Args &a, const Inputs &in,
                                   const Outputs &out, std::string &) {
              int64_t groups = a.i("num_groups");
              float epsilon = a.f("epsilon");
              if (!a.ok())
                return false;
              groupNorm(*in[0], *in[1], *in[2], groups, epsilon, *out[0]);
              return true;
            }});
  t.emplace(
      "attention",
      Entry{[](Args &a, const Inputs &in, const Outputs &out, std::string &) {
        float scale = a.f("scale"), softcap = a.f("softcap");
        bool causal = a.i("is_causal") != 0;
        int64_t offset = a.i("causal_offset");
        // precision = "bf16": the SNPU kernel's numerics (both
        // products' operands rounded to bf16).
        std::string precision = a.s("precision", std::string("f32"));
        if (precision != "f32" && precision != "bf16")
          a.fail("unknown precision '" + precision + "'");
        if (!a.ok())
          return false;
        attention(*in[0], *in[1], *in[2], in.size() > 3 ? in[3] : nullptr,
                  scale, causal, offset, softcap, precision == "bf16", *out[0]);
        return true;
      }});
  t.emplace("leaky_relu", Entry{[](Args &a, const Inputs &in,
                                   const Outputs &out, std::string &) {
              float alpha = a.f("alpha");
              if (!a.ok())
                return false;
              leakyRelu(*in[0], alpha, *out[0]);
              return true;
            }});
  t.emplace("max_pool2d", Entry{[](Args &a, const Inputs &in,
                                   const Outputs &out, std::string &) {
              Pool2dParams p = poolParams(a);
              if (!a.ok())
                return false;
              maxPool2d(*in[0], p, *out[0]);
              return true;
            }});
  t.emplace("avg_pool2d", Entry{[](Args &a, const Inputs &in,
                                   const Outputs &out, std::string &) {
              Pool2dParams p = poolParams(a);
              p.countIncludePad = a.i("count_include_pad") != 0;
              if (!a.ok())
                return false;
              avgPool2d(*in[0], p, *out[0]);
              return true;
            }});
}

void addIndexing(std::map<std::string_view, Entry> &t) {
  t.emplace("slice", Entry{[](Args &a, const Inputs &in, const Outputs &out,
                              std::string &) {
              std::vector<int64_t> starts = a.ints("starts", in[0]->rank());
              std::vector<int64_t> steps = a.ints("steps", in[0]->rank());
              if (!a.ok())
                return false;
              slice(*in[0], starts, steps, *out[0]);
              return true;
            }});
  t.emplace("pad", Entry{[](Args &a, const Inputs &in, const Outputs &out,
                            std::string &) {
              std::vector<int64_t> low = a.ints("low", in[0]->rank());
              std::string mode = a.s("mode");
              double value = a.f("value");
              if (!a.ok())
                return false;
              pad(*in[0], low, mode, value, *out[0]);
              return true;
            }});
  t.emplace("tile", Entry{[](Args &, const Inputs &in, const Outputs &out,
                             std::string &) {
              tile(*in[0], *out[0]);
              return true;
            }});
  t.emplace("broadcast", Entry{[](Args &, const Inputs &in, const Outputs &out,
                                  std::string &) {
              broadcastTo(*in[0], *out[0]);
              return true;
            }});
  for (const char *name : {"argmax", "argmin"})
    t.emplace(name, Entry{[max = std::string_view(name) ==
                                 "argmax"](Args &a, const Inputs &in,
                                           const Outputs &out, std::string &) {
                int64_t axis = a.axis("axis", in[0]->rank());
                bool last = a.i("select_last_index") != 0;
                if (!a.ok())
                  return false;
                argExtreme(*in[0], axis, max, last, *out[0]);
                return true;
              }});
  t.emplace("top_k", Entry{[](Args &a, const Inputs &in, const Outputs &out,
                              std::string &) {
              int64_t axis = a.axis("axis", in[0]->rank());
              int64_t k = a.i("k");
              bool largest = a.i("largest") != 0;
              if (a.ok() && (k < 0 || k > in[0]->shape()[axis]))
                a.fail(fmt::format("k = {} exceeds the axis size {}", k,
                                   in[0]->shape()[axis]));
              if (!a.ok())
                return false;
              topK(*in[0], k, axis, largest, *out[0], *out[1]);
              return true;
            }});
  t.emplace("mod", Entry{[](Args &a, const Inputs &in, const Outputs &out,
                            std::string &) {
              bool fmod = a.i("fmod") != 0;
              if (!a.ok())
                return false;
              mod(*in[0], *in[1], fmod, *out[0]);
              return true;
            }});
  t.emplace("trilu", Entry{[](Args &a, const Inputs &in, const Outputs &out,
                              std::string &) {
              bool upper = a.i("upper") != 0;
              int64_t k = a.i("k");
              if (!a.ok())
                return false;
              trilu(*in[0], upper, k, *out[0]);
              return true;
            }});
  t.emplace(
      "gather_elements",
      Entry{[](Args &a, const Inputs &in, const Outputs &out, std::string &e) {
        int64_t axis = a.axis("axis", in[0]->rank());
        return SINAN_CHECKED(gatherElements(*in[0], *in[1], axis, *out[0], e));
      }});
  t.emplace(
      "gather_nd",
      Entry{[](Args &a, const Inputs &in, const Outputs &out, std::string &e) {
        int64_t batchDims = a.i("batch_dims");
        return SINAN_CHECKED(gatherNd(*in[0], *in[1], batchDims, *out[0], e));
      }});
  t.emplace(
      "scatter_nd",
      Entry{[](Args &a, const Inputs &in, const Outputs &out, std::string &e) {
        ScatterReduction r = scatterReduction(a);
        return SINAN_CHECKED(scatterNd(*in[0], *in[1], *in[2], r, *out[0], e));
      }});
  t.emplace("scatter_elements", Entry{[](Args &a, const Inputs &in,
                                         const Outputs &out, std::string &e) {
              int64_t axis = a.axis("axis", in[0]->rank());
              ScatterReduction r = scatterReduction(a);
              return SINAN_CHECKED(
                  scatterElements(*in[0], *in[1], *in[2], axis, r, *out[0], e));
            }});
  t.emplace("cumsum", Entry{[](Args &a, const Inputs &in, const Outputs &out,
                               std::string &) {
              int64_t axis = a.axis("axis", in[0]->rank());
              bool exclusive = a.i("exclusive") != 0;
              bool reverse = a.i("reverse") != 0;
              if (!a.ok())
                return false;
              cumsum(*in[0], axis, exclusive, reverse, *out[0]);
              return true;
            }});
  t.emplace("hardmax", Entry{[](Args &a, const Inputs &in, const Outputs &out,
                                std::string &) {
              int64_t axis = a.axis("axis", in[0]->rank());
              if (!a.ok())
                return false;
              hardmax(*in[0], axis, *out[0]);
              return true;
            }});
  t.emplace(
      "resize",
      Entry{[](Args &a, const Inputs &in, const Outputs &out, std::string &) {
        ResizeParams p;
        p.mode = a.s("mode");
        p.coordinateMode = a.s("coordinate_mode");
        p.nearestMode = a.s("nearest_mode");
        p.scales = a.floats("scales");
        p.cubicCoeffA = a.f("cubic_coeff_a");
        p.excludeOutside = a.i("exclude_outside") != 0;
        if (a.ok() && static_cast<int64_t>(p.scales.size()) != in[0]->rank())
          a.fail("attribute 'scales' needs one value per dimension");
        if (!a.ok())
          return false;
        resize(*in[0], p, *out[0]);
        return true;
      }});
}

#undef SINAN_CHECKED

const std::map<std::string_view, Entry> &table() {
  static const std::map<std::string_view, Entry> entries = [] {
    std::map<std::string_view, Entry> t;
    addElementwise(t);
    addStructural(t);
    addIndexing(t);
    return t;
  }();
  return entries;
}

} // namespace

bool isHostOp(std::string_view op) {
  return op == "fused" || op == "subgraph" || table().count(op) != 0;
}

bool broadcastsTo(const std::vector<int64_t> &from,
                  const std::vector<int64_t> &to) {
  if (from.size() > to.size())
    return false;
  size_t lead = to.size() - from.size();
  for (size_t d = 0; d < from.size(); ++d)
    if (from[d] != 1 && from[d] != to[lead + d])
      return false;
  return true;
}

bool hostOpArity(std::string_view op, size_t inputs, size_t outputs) {
  if (op == "fused" || op == "subgraph")
    return inputs >= 1 && outputs == 1;
  auto it = table().find(op);
  if (it == table().end())
    return false;
  // The one host op that is not a graph op: an SNPU kernel's fused chain.
  if (op == "elementwise_chain")
    return inputs >= 1 && outputs == 1;
  const OpSignature *ods = graphOpSignature(op);
  return ods && inputs >= ods->minOperands && inputs <= ods->maxOperands &&
         outputs == ods->results;
}

std::vector<std::string_view> hostOpNames() {
  std::vector<std::string_view> names;
  for (const auto &[name, entry] : table())
    names.push_back(name);
  return names;
}

namespace {
/// x = x * sigmoid(x), the sigmoid rounded first (the vector unit's two
/// passes, which an SNPU kernel's fallback matches bit for bit).
void silu(Tensor &x) {
  Tensor sigmoid(x.type(), x.shape());
  unary(UnaryOp::Sigmoid, x, sigmoid);
  binary(BinaryOp::Mul, x, sigmoid, x);
}
/// x = hardSwish(x), an f32 tensor.
void hardSwishInPlace(Tensor &x) {
  float *data = x.data<float>();
  for (int64_t i = 0, n = x.numElements(); i < n; ++i)
    data[i] = hardSwish(data[i]);
}
} // namespace

std::optional<std::vector<int64_t>>
storedBF16(std::string_view op, const std::vector<Attr> &attrs, size_t bindings,
           std::vector<Attr> &rest, std::string &error) {
  std::optional<std::vector<int64_t>> stored;
  rest.clear();
  for (const Attr &attr : attrs) {
    if (attr.name != "stored_bf16") {
      rest.push_back(attr);
      continue;
    }
    if (stored) {
      error = fmt::format("op '{}': stored_bf16 is given twice", op);
      return std::nullopt;
    }
    const auto *list = std::get_if<std::vector<int64_t>>(&attr.value);
    bool ok = list && !list->empty();
    for (size_t i = 0; ok && i < list->size(); ++i)
      ok = (*list)[i] >= 0 && size_t((*list)[i]) < bindings &&
           (i == 0 || (*list)[i] > (*list)[i - 1]);
    if (!ok) {
      error = fmt::format("op '{}': stored_bf16 must list distinct binding "
                          "indices in [0, {}) in ascending order",
                          op, bindings);
      return std::nullopt;
    }
    stored = *list;
  }
  return stored;
}

bool runHostOp(std::string_view op, const std::vector<Attr> &attrs,
               const std::vector<const Tensor *> &inputs,
               const std::vector<Tensor *> &outputs, std::string &error) {
  if (op == "fused" && hasStoredBF16(attrs)) {
    error = "op 'fused': stored_bf16 belongs to an SNPU launch's fallback";
    return false;
  }
  if (op == "fused")
    return runFused(attrs, inputs, outputs, error);
  // stored_bf16: bindings an SNPU launch keeps in DRAM as bf16 while its op
  // computes in f32. Its fallback widens those inputs (exactly), runs the
  // op, and rounds those results to bf16 as the kernel's store does.
  std::vector<Attr> rest;
  std::string storedError;
  std::optional<std::vector<int64_t>> stored =
      storedBF16(op, attrs, inputs.size() + outputs.size(), rest, storedError);
  if (!storedError.empty()) {
    error = storedError;
    return false;
  }
  if (stored) {
    std::vector<Tensor> wide;
    wide.reserve(stored->size());
    std::vector<const Tensor *> in = inputs;
    std::vector<Tensor *> out = outputs;
    for (int64_t index : *stored) {
      bool input = size_t(index) < inputs.size();
      const Tensor &binding =
          input ? *inputs[index] : *outputs[index - inputs.size()];
      if (binding.type() != DType::BF16) {
        error = fmt::format("op '{}': stored_bf16 binding {} is {}, not bf16",
                            op, index, dtypeName(binding.type()));
        return false;
      }
      wide.emplace_back(DType::F32, binding.shape());
      if (input) {
        cast(binding, wide.back());
        in[index] = &wide.back();
      } else {
        out[index - inputs.size()] = &wide.back();
      }
    }
    if (!runHostOp(op, rest, in, out, error))
      return false;
    for (size_t i = 0; i < outputs.size(); ++i)
      if (out[i] != outputs[i])
        cast(*out[i], *outputs[i]);
    return true;
  }
  if (op == "subgraph")
    return runSubgraph(attrs, inputs, outputs, error);
  auto it = table().find(op);
  if (it == table().end()) {
    error = fmt::format("no reference kernel for op '{}'", op);
    return false;
  }
  const Entry &entry = it->second;
  std::string attrError;
  Args args(attrs, attrError, graphOpSignature(op));
  // residual = n: the last n inputs are addends of the op's result, added
  // in turn (what an SNPU kernel absorbed after the op: a matrix product's
  // bias row, then a residual), not operands of the op.
  int64_t residual = args.i("residual", 0);
  if (residual < 0 || residual > 2) {
    error = fmt::format("op '{}': residual must be 0, 1 or 2, got {}", op,
                        residual);
    return false;
  }
  // residual_first = 1: the last input is where the op's sums start (a
  // residual an SNPU kernel loaded into its accumulators before the
  // products), not an operand; the op (conv2d) reads it from its result.
  int64_t first = args.i("residual_first", 0);
  if (first < 0 || first > 1 || (first && (residual || op != "conv2d"))) {
    error = fmt::format("op '{}': residual_first must be 0 or 1, on a "
                        "conv2d without residual",
                        op);
    return false;
  }
  std::vector<const Tensor *> operands = inputs;
  size_t addends = residual > 0 && residual <= 2 ? size_t(residual) : 0;
  if (addends <= operands.size())
    operands.resize(operands.size() - addends);
  if (first) {
    if (operands.empty() || outputs.size() != 1 ||
        operands.back()->shape() != outputs[0]->shape() ||
        operands.back()->type() != outputs[0]->type()) {
      error = fmt::format("op '{}': residual_first's input must have the "
                          "result's shape and type",
                          op);
      return false;
    }
    copyBytes(*outputs[0], *operands.back());
    operands.pop_back();
  }
  if (!hostOpArity(op, operands.size(), outputs.size()) ||
      addends > inputs.size()) {
    error = fmt::format("op '{}' got {} inputs and {} outputs", op,
                        inputs.size(), outputs.size());
    return false;
  }
  // activation = "relu", "clip" (bounds activation_min/max, each
  // optional), "gelu" (geluErf), "gelu_tanh" (geluTanh), "silu" (x *
  // sigmoid(x), each rounded to
  // f32, as the vector unit's two passes), "hardswish" (hardSwish) or
  // "sigmoid": what an SNPU kernel absorbed after its op, applied to the
  // op's result.
  std::string activation = args.s("activation", std::string("none"));
  double nan = std::numeric_limits<double>::quiet_NaN();
  double lo = args.f("activation_min", nan), hi = args.f("activation_max", nan);
  if (activation != "none" && activation != "relu" && activation != "clip" &&
      activation != "gelu" && activation != "gelu_tanh" &&
      activation != "silu" && activation != "hardswish" &&
      activation != "sigmoid")
    attrError = "unknown activation '" + activation + "'";
  std::string kernelError;
  for (size_t i = inputs.size() - addends; i < inputs.size(); ++i)
    if (attrError.empty() &&
        (outputs.size() != 1 ||
         !broadcastsTo(inputs[i]->shape(), outputs[0]->shape())))
      attrError = "a residual must broadcast to the result's shape";
  if (attrError.empty() && entry.run(args, operands, outputs, kernelError)) {
    for (size_t i = inputs.size() - addends; i < inputs.size(); ++i)
      binary(BinaryOp::Add, *outputs[0], *inputs[i], *outputs[0]);
    auto bound = [](double v) {
      return std::isnan(v) ? std::optional<float>() : std::optional<float>(v);
    };
    if (activation == "relu")
      unary(UnaryOp::Relu, *outputs[0], *outputs[0]);
    else if (activation == "gelu")
      unary(UnaryOp::Gelu, *outputs[0], *outputs[0]);
    else if (activation == "gelu_tanh")
      unary(UnaryOp::GeluTanh, *outputs[0], *outputs[0]);
    else if (activation == "clip")
      clip(*outputs[0], bound(lo), bound(hi), *outputs[0]);
    else if (activation == "silu")
      silu(*outputs[0]);
    else if (activation == "hardswish")
      hardSwishInPlace(*outputs[0]);
    else if (activation == "sigmoid")
      unary(UnaryOp::Sigmoid, *outputs[0], *outputs[0]);
    return true;
  }
  error = fmt::format("op '{}': {}", op,
                      attrError.empty() ? kernelError : attrError);
  return false;
}

namespace {
uint64_t elements(const std::vector<int64_t> &shape) {
  uint64_t n = 1;
  for (int64_t d : shape)
    n *= uint64_t(std::max<int64_t>(d, 0));
  return n;
}
} // namespace

uint64_t hostOpMacs(std::string_view op, const std::vector<Attr> &attrs,
                    const std::vector<ValueType> &inputs,
                    const std::vector<ValueType> &outputs) {
  if (op == "subgraph")
    return subgraphMacs(attrs, inputs, outputs);
  // An op that computes part of another's (graph-decompose's window sums
  // of a local response normalization) counts that op's.
  for (const Attr &attr : attrs)
    if (attr.name == "network_macs")
      if (const int64_t *macs = std::get_if<int64_t>(&attr.value))
        return uint64_t(std::max<int64_t>(*macs, 0));
  if (inputs.size() < 2 || outputs.size() != 1)
    return 0;
  const std::vector<int64_t> &lhs = inputs[0].shape, &w = inputs[1].shape;
  if (op == "matmul")
    return lhs.empty() ? 0 : elements(outputs[0].shape) * uint64_t(lhs.back());
  // Q K^T ([B, H, Sq, D] x keys [B, Hkv, Sk, D]) and P V (the output is
  // [B, H, Sq, Dv]).
  if (op == "attention" && lhs.size() == 4 && w.size() == 4 &&
      outputs[0].shape.size() == 4) {
    uint64_t scores =
        elements(lhs) / uint64_t(std::max<int64_t>(lhs[3], 1)) * uint64_t(w[2]);
    return scores * uint64_t(lhs[3]) +
           scores * uint64_t(outputs[0].shape.back());
  }
  // Weights are [out, in / group, kh, kw] for conv2d, [in, out / group, kh,
  // kw] for conv_transpose2d: one product per weight tap and output (conv)
  // or input (transpose) element and channel of its group.
  if (w.size() != 4)
    return 0;
  uint64_t taps = elements({w[2], w[3]});
  if (op == "conv2d")
    return elements(outputs[0].shape) * uint64_t(w[1]) * taps;
  if (op == "conv_transpose2d")
    return elements(lhs) * uint64_t(w[1]) * taps;
  return 0;
}

} // namespace sinan::ref
