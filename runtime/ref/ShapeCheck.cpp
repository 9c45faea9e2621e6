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
#include "Signatures.h"

#include "sinan/runtime/shape/ShapeRules.h"

#include <fmt/format.h>

#include <algorithm>
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

/// A shared rule's single result, or its refusal.
std::optional<std::vector<Shape>> one(std::optional<Shape> shape) {
  if (!shape)
    return std::nullopt;
  return std::vector<Shape>{std::move(*shape)};
}

/// A shared rule's verdict; the result is the module's own.
std::optional<std::vector<Shape>> given(bool ok, const Types &out) {
  if (!ok)
    return std::nullopt;
  return std::vector<Shape>{out[0].shape};
}

Rule same() {
  return [](Args &, const Types &in, const Types &,
            std::string &) -> std::optional<std::vector<Shape>> {
    return std::vector<Shape>{in[0].shape};
  };
}

/// Result = input shape, with a minimum rank (`what` the kernel indexes).
Rule sameWithRank(int64_t minRank, const char *what) {
  return
      [minRank, what](Args &, const Types &in, const Types &,
                      std::string &error) -> std::optional<std::vector<Shape>> {
        if (!shape::rankAtLeast(in[0].shape, minRank, what, error))
          return std::nullopt;
        return std::vector<Shape>{in[0].shape};
      };
}

/// Result = input shape; the axis attribute must be in range.
Rule sameWithAxis() {
  return [](Args &a, const Types &in, const Types &,
            std::string &error) -> std::optional<std::vector<Shape>> {
    int64_t axis = a.i("axis");
    if (!a.ok() || !shape::axisInRange(axis, rankOf(in[0]), error))
      return std::nullopt;
    return std::vector<Shape>{in[0].shape};
  };
}

Rule broadcasting() {
  return [](Args &, const Types &in, const Types &,
            std::string &error) -> std::optional<std::vector<Shape>> {
    std::optional<Shape> result = in[0].shape;
    for (size_t i = 1; result && i < in.size(); ++i)
      result = shape::broadcast(*result, in[i].shape, error);
    return one(std::move(result));
  };
}

/// Kept dims stay as 1 when the result has the input's rank.
Rule reduction() {
  return [](Args &a, const Types &in, const Types &out,
            std::string &error) -> std::optional<std::vector<Shape>> {
    std::vector<int64_t> axes = a.ints("axes");
    if (!a.ok())
      return std::nullopt;
    bool keep = rankOf(out[0]) == rankOf(in[0]);
    return one(shape::reduce(in[0].shape, axes, keep, error));
  };
}

Rule matmul() {
  return [](Args &, const Types &in, const Types &,
            std::string &error) -> std::optional<std::vector<Shape>> {
    return one(shape::matmul(in[0].shape, in[1].shape, error));
  };
}

std::optional<shape::Dims> biasOf(const Types &in) {
  if (in.size() < 3)
    return std::nullopt;
  return shape::Dims(in[2].shape);
}

Rule conv2d() {
  return [](Args &a, const Types &in, const Types &,
            std::string &error) -> std::optional<std::vector<Shape>> {
    std::vector<int64_t> strides = a.ints("strides"), pads = a.ints("pads"),
                         dil = a.ints("dilations");
    int64_t group = a.i("group");
    if (!a.ok())
      return std::nullopt;
    shape::Conv2dParams params{strides, pads, dil, group};
    return one(
        shape::conv2d(in[0].shape, in[1].shape, biasOf(in), params, error));
  };
}

/// The module's result extents must be what the attributes give.
Rule convTranspose2d() {
  return [](Args &a, const Types &in, const Types &,
            std::string &error) -> std::optional<std::vector<Shape>> {
    std::vector<int64_t> strides = a.ints("strides"), pads = a.ints("pads"),
                         dil = a.ints("dilations"),
                         outPad = a.ints("output_padding");
    int64_t group = a.i("group");
    if (!a.ok())
      return std::nullopt;
    shape::ConvTranspose2dParams params{strides, pads, dil, outPad, group};
    return one(shape::convTranspose2d(in[0].shape, in[1].shape, biasOf(in),
                                      params, error));
  };
}

/// Floor or ceil rounding of the window count (ceil_mode is folded into
/// the result shape by the compiler); the kernels clip windows.
Rule pool2d() {
  return [](Args &a, const Types &in, const Types &out,
            std::string &error) -> std::optional<std::vector<Shape>> {
    std::vector<int64_t> k = a.ints("kernel"), s = a.ints("strides"),
                         pads = a.ints("pads"), d = a.ints("dilations");
    if (!a.ok())
      return std::nullopt;
    shape::Pool2dParams params{k, s, pads, d, false};
    std::optional<Shape> floor = shape::pool2d(in[0].shape, params, error);
    params.ceilMode = true;
    std::string ignored;
    std::optional<Shape> ceil = shape::pool2d(in[0].shape, params, ignored);
    return one(ceil && ceil == out[0].shape ? ceil : floor);
  };
}

Rule transpose() {
  return [](Args &a, const Types &in, const Types &,
            std::string &error) -> std::optional<std::vector<Shape>> {
    std::vector<int64_t> perm = a.ints("permutation");
    if (!a.ok())
      return std::nullopt;
    return one(shape::transpose(in[0].shape, perm, error));
  };
}

Rule concat() {
  return [](Args &a, const Types &in, const Types &,
            std::string &error) -> std::optional<std::vector<Shape>> {
    int64_t axis = a.i("axis");
    if (!a.ok())
      return std::nullopt;
    std::vector<shape::Dims> shapes;
    for (const ValueType &v : in)
      shapes.emplace_back(v.shape);
    return one(shape::concat(shapes, axis, error));
  };
}

Rule gather() {
  return [](Args &a, const Types &in, const Types &,
            std::string &error) -> std::optional<std::vector<Shape>> {
    int64_t axis = a.i("axis");
    if (!a.ok())
      return std::nullopt;
    return one(shape::gather(in[0].shape, in[1].shape, axis, error));
  };
}

Rule gatherElements() {
  return [](Args &a, const Types &in, const Types &,
            std::string &error) -> std::optional<std::vector<Shape>> {
    int64_t axis = a.i("axis");
    if (!a.ok())
      return std::nullopt;
    return one(shape::gatherElements(in[0].shape, in[1].shape, axis, error));
  };
}

Rule gatherNd() {
  return [](Args &a, const Types &in, const Types &,
            std::string &error) -> std::optional<std::vector<Shape>> {
    int64_t batch = a.i("batch_dims");
    if (!a.ok())
      return std::nullopt;
    return one(shape::gatherNd(in[0].shape, in[1].shape, batch, error));
  };
}

Rule scatterNd() {
  return [](Args &a, const Types &in, const Types &,
            std::string &error) -> std::optional<std::vector<Shape>> {
    std::string reduction = a.s("reduction");
    if (!a.ok() || !shape::scatterReduction(reduction, error))
      return std::nullopt;
    return one(shape::scatterNd(in[0].shape, in[1].shape, in[2].shape, error));
  };
}

Rule scatterElements() {
  return [](Args &a, const Types &in, const Types &,
            std::string &error) -> std::optional<std::vector<Shape>> {
    int64_t axis = a.i("axis");
    std::string reduction = a.s("reduction");
    if (!a.ok() || !shape::scatterReduction(reduction, error))
      return std::nullopt;
    return one(shape::scatterElements(in[0].shape, in[1].shape, in[2].shape,
                                      axis, error));
  };
}

/// A module's slice keeps starts and steps; every element it reads lies
/// inside the input.
Rule slice() {
  return [](Args &a, const Types &in, const Types &out,
            std::string &error) -> std::optional<std::vector<Shape>> {
    std::vector<int64_t> starts = a.ints("starts"), steps = a.ints("steps");
    if (!a.ok())
      return std::nullopt;
    return given(shape::sliceReadsInside(in[0].shape, starts, steps,
                                         out[0].shape, error),
                 out);
  };
}

Rule pad() {
  return [](Args &a, const Types &in, const Types &out,
            std::string &error) -> std::optional<std::vector<Shape>> {
    std::vector<int64_t> low = a.ints("low", rankOf(in[0]));
    std::string mode = a.s("mode");
    a.f("value");
    if (!a.ok() || !shape::padMode(mode, error))
      return std::nullopt;
    // The high pads are what the result's extents leave.
    std::vector<int64_t> high(low.size());
    for (size_t d = 0; d < low.size() && d < out[0].shape.size(); ++d)
      if (__builtin_sub_overflow(out[0].shape[d], in[0].shape[d], &high[d]) ||
          __builtin_sub_overflow(high[d], low[d], &high[d]))
        return fail(error, fmt::format("padding of dimension {} overflows", d));
    return one(shape::pad(in[0].shape, low, high, error));
  };
}

Rule tile() {
  return [](Args &, const Types &in, const Types &out,
            std::string &error) -> std::optional<std::vector<Shape>> {
    return given(shape::tiles(in[0].shape, out[0].shape, error), out);
  };
}

Rule broadcastTo() {
  return [](Args &, const Types &in, const Types &out,
            std::string &error) -> std::optional<std::vector<Shape>> {
    return one(shape::broadcast(in[0].shape, out[0].shape, error));
  };
}

Rule reshape() {
  return [](Args &, const Types &in, const Types &out,
            std::string &error) -> std::optional<std::vector<Shape>> {
    return given(shape::reshape(in[0].shape, out[0].shape, error), out);
  };
}

/// The axis kept as 1 or dropped (the layouts are the same).
Rule argExtreme() {
  return [](Args &a, const Types &in, const Types &out,
            std::string &error) -> std::optional<std::vector<Shape>> {
    int64_t axis = a.i("axis");
    if (!a.ok())
      return std::nullopt;
    bool keep = rankOf(out[0]) == rankOf(in[0]);
    return one(shape::argExtreme(in[0].shape, axis, keep, error));
  };
}

Rule topK() {
  return [](Args &a, const Types &in, const Types &,
            std::string &error) -> std::optional<std::vector<Shape>> {
    int64_t axis = a.i("axis");
    int64_t k = a.i("k");
    if (!a.ok())
      return std::nullopt;
    std::optional<Shape> result = shape::topK(in[0].shape, axis, k, error);
    if (!result)
      return std::nullopt;
    return std::vector<Shape>{*result, *result};
  };
}

Rule resize() {
  return [](Args &a, const Types &in, const Types &out,
            std::string &error) -> std::optional<std::vector<Shape>> {
    std::vector<double> scales = a.floats("scales");
    if (!a.ok())
      return std::nullopt;
    return given(shape::resize(in[0].shape, scales.size(), out[0].shape, error),
                 out);
  };
}

Rule layerNorm() {
  return [](Args &a, const Types &in, const Types &,
            std::string &error) -> std::optional<std::vector<Shape>> {
    int64_t axis = a.i("axis");
    if (!a.ok())
      return std::nullopt;
    std::optional<shape::Dims> bias;
    if (in.size() > 2)
      bias = shape::Dims(in[2].shape);
    return one(shape::layerNorm(in[0].shape, in[1].shape, bias, axis, error));
  };
}

Rule rmsNorm() {
  return [](Args &a, const Types &in, const Types &,
            std::string &error) -> std::optional<std::vector<Shape>> {
    int64_t axis = a.i("axis");
    if (!a.ok())
      return std::nullopt;
    return one(
        shape::layerNorm(in[0].shape, in[1].shape, std::nullopt, axis, error));
  };
}

Rule groupNorm() {
  return [](Args &a, const Types &in, const Types &,
            std::string &error) -> std::optional<std::vector<Shape>> {
    int64_t groups = a.i("num_groups");
    if (!a.ok())
      return std::nullopt;
    return one(
        shape::groupNorm(in[0].shape, in[1].shape, in[2].shape, groups, error));
  };
}

Rule attention() {
  return [](Args &, const Types &in, const Types &,
            std::string &error) -> std::optional<std::vector<Shape>> {
    std::optional<shape::Dims> mask;
    if (in.size() > 3)
      mask = shape::Dims(in[3].shape);
    if (in.size() > 3 && in[3].dtype != DType::I1 && in[3].dtype != in[0].dtype)
      return fail(error, "the mask must be boolean or of the query's "
                         "element type");
    return one(
        shape::attention(in[0].shape, in[1].shape, in[2].shape, mask, error));
  };
}

Rule gelu() {
  return [](Args &a, const Types &in, const Types &,
            std::string &error) -> std::optional<std::vector<Shape>> {
    std::string approximate = a.s("approximate");
    if (!a.ok() || !shape::geluApproximation(approximate, error))
      return std::nullopt;
    return std::vector<Shape>{in[0].shape};
  };
}

/// MLIR's spelling of a value's type, as the verifier prints it.
std::string mlirTypeName(const ValueType &v) {
  std::string text = "tensor<";
  for (int64_t dim : v.shape)
    text += fmt::format("{}x", dim);
  std::string_view element = dtypeName(v.dtype);
  if (isUnsignedDType(v.dtype)) // u8 is MLIR's ui8.
    text += "ui" + std::string(element.substr(1));
  else
    text += element;
  return text + ">";
}

/// The operands' and results' element types against the op's ODS
/// constraints and the traits that tie them, in the verifier's words. (A
/// trait tying whole types ties shapes too; the shape rules check those.)
bool checkElementTypes(const OpSignature &ods, const Types &inputs,
                       const Types &outputs, bool tied, std::string &error) {
  // The ODS operand of each input: optional operands trail, and a
  // variadic one takes what the others leave.
  size_t others = 0;
  for (const ValueSignature &v : ods.operandValues)
    others += v.kind != ValueKind::Variadic;
  std::vector<size_t> odsIndex;
  for (size_t o = 0; o < ods.operandValues.size(); ++o) {
    ValueKind kind = ods.operandValues[o].kind;
    size_t take = kind == ValueKind::Variadic
                      ? (inputs.size() > others ? inputs.size() - others : 0)
                      : 1;
    for (size_t k = 0; k < take && odsIndex.size() < inputs.size(); ++k)
      odsIndex.push_back(o);
  }
  auto violates = [&](const ValueSignature &sig, const ValueType &value,
                      std::string_view what, size_t index) {
    if (sig.constraint->allows(value.dtype))
      return false;
    error = fmt::format("{} #{} must be {}{}, but got '{}'", what, index,
                        sig.kind == ValueKind::Variadic ? "variadic of " : "",
                        sig.constraint->summary, mlirTypeName(value));
    return true;
  };
  for (size_t i = 0; i < inputs.size(); ++i)
    if (violates(ods.operandValues[odsIndex[i]], inputs[i], "operand", i))
      return false;
  for (size_t i = 0; i < outputs.size(); ++i)
    if (violates(ods.resultValues[i], outputs[i], "result", i))
      return false;
  for (const TypeTie &tie : tied ? ods.ties : std::vector<TypeTie>{}) {
    const ValueType *first = nullptr;
    auto inTie = [&](size_t index) {
      return std::find(tie.values.begin(), tie.values.end(), index) !=
             tie.values.end();
    };
    auto matches = [&](const ValueType &value) {
      if (!first) {
        first = &value;
        return true;
      }
      return value.dtype == first->dtype;
    };
    bool ok = true;
    for (size_t i = 0; i < inputs.size() && ok; ++i)
      ok = !inTie(odsIndex[i]) || matches(inputs[i]);
    for (size_t i = 0; i < outputs.size() && ok; ++i)
      ok = !inTie(ods.operandValues.size() + i) || matches(outputs[i]);
    if (!ok) {
      error = std::string(tie.message);
      return false;
    }
  }
  return true;
}

const std::map<std::string_view, Rule> &checks() {
  static const std::map<std::string_view, Rule> table = [] {
    std::map<std::string_view, Rule> t;
    for (const char *op : {"add",
                           "sub",
                           "mul",
                           "div",
                           "pow",
                           "max",
                           "min",
                           "and",
                           "or",
                           "xor",
                           "bit_and",
                           "bit_or",
                           "bit_xor",
                           "shift_left",
                           "shift_right",
                           "mod",
                           "equal",
                           "less",
                           "less_equal",
                           "greater",
                           "greater_equal",
                           "select",
                           "elementwise_chain"})
      t[op] = broadcasting();
    for (const char *op :
         {"relu",       "neg",     "abs",        "exp",   "log",   "sqrt",
          "reciprocal", "tanh",    "sigmoid",    "erf",   "floor", "ceil",
          "sin",        "cos",     "not",        "round", "tan",   "asin",
          "acos",       "atan",    "sinh",       "cosh",  "asinh", "acosh",
          "atanh",      "bit_not", "leaky_relu", "clip"})
      t[op] = same();
    t["cast"] = same();
    for (const char *op : {"reduce_sum", "reduce_mean", "reduce_max",
                           "reduce_min", "reduce_prod"})
      t[op] = reduction();
    for (const char *op : {"softmax", "log_softmax", "hardmax", "cumsum"})
      t[op] = sameWithAxis();
    for (const char *op : {"argmax", "argmin"})
      t[op] = argExtreme();
    t["matmul"] = matmul();
    t["conv2d"] = conv2d();
    t["conv_transpose2d"] = convTranspose2d();
    t["max_pool2d"] = pool2d();
    t["avg_pool2d"] = pool2d();
    t["gelu"] = gelu();
    t["attention"] = attention();
    t["layer_norm"] = layerNorm();
    t["rms_norm"] = rmsNorm();
    t["group_norm"] = groupNorm();
    t["lrn"] = sameWithRank(2, "a channel dimension");
    t["trilu"] = sameWithRank(2, "a matrix");
    t["reshape"] = reshape();
    t["transpose"] = transpose();
    t["concat"] = concat();
    t["gather"] = gather();
    t["gather_elements"] = gatherElements();
    t["gather_nd"] = gatherNd();
    t["scatter_nd"] = scatterNd();
    t["scatter_elements"] = scatterElements();
    t["slice"] = slice();
    t["pad"] = pad();
    t["tile"] = tile();
    t["broadcast"] = broadcastTo();
    t["top_k"] = topK();
    t["resize"] = resize();
    return t;
  }();
  return table;
}

} // namespace

bool hasHostOpCheck(std::string_view op) {
  return op == "fused" || op == "subgraph" || checks().count(op) != 0;
}

bool checkHostOp(std::string_view op, const std::vector<Attr> &attrs,
                 const std::vector<ValueType> &allInputs,
                 const std::vector<ValueType> &outputs, std::string &error) {
  if (op == "fused" && hasStoredBF16(attrs)) {
    error = "op 'fused': stored_bf16 belongs to an SNPU launch's fallback";
    return false;
  }
  if (op == "fused")
    return checkFused(attrs, allInputs, outputs, error);
  // Bindings an SNPU launch keeps as bf16: the op sees them as f32.
  std::vector<Attr> rest;
  std::string storedError;
  if (std::optional<std::vector<int64_t>> stored = storedBF16(
          op, attrs, allInputs.size() + outputs.size(), rest, storedError)) {
    std::vector<ValueType> in = allInputs, out = outputs;
    for (int64_t index : *stored) {
      bool input = size_t(index) < in.size();
      ValueType &binding = input ? in[index] : out[index - in.size()];
      if (binding.dtype != DType::BF16) {
        error = fmt::format("op '{}': stored_bf16 binding {} is {}, not bf16",
                            op, index, dtypeName(binding.dtype));
        return false;
      }
      binding.dtype = DType::F32;
    }
    return checkHostOp(op, rest, in, out, error);
  }
  if (!storedError.empty()) {
    error = storedError;
    return false;
  }
  if (op == "subgraph")
    return checkSubgraph(attrs, allInputs, outputs, error);
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
    for (int64_t n : {int64_t(1), int64_t(2)})
      if (attr.name == "residual" && attr.value == AttrValue(n))
        for (int64_t i = 0; i < n; ++i) {
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
  const OpSignature *ods = graphOpSignature(op);
  // A graph op's attributes are its ODS attributes, plus what an SNPU
  // launch's host fallback adds (its kernel's numerics and epilogue).
  if (ods)
    for (const Attr &attr : attrs) {
      static constexpr std::string_view kFallbackAttrs[] = {
          "activation", "activation_max", "activation_min", "bias_last",
          "fma",        "precision",      "residual",       "sum_chunk"};
      if (!ods->attr(attr.name) &&
          std::find(std::begin(kFallbackAttrs), std::end(kFallbackAttrs),
                    attr.name) == std::end(kFallbackAttrs)) {
        error = fmt::format("op '{}': unknown attribute '{}'", op, attr.name);
        return false;
      }
    }
  if (!hostOpArity(op, inputs.size(), outputs.size())) {
    error = fmt::format("op '{}' got {} inputs and {} results", op,
                        inputs.size(), outputs.size());
    return false;
  }
  // An SNPU launch's host fallback (it carries the kernel's `precision`)
  // reads the device's bf16 weights beside f32 activations, so ODS's
  // one-element-type traits do not bind it; its values' constraints do.
  bool launch = std::any_of(attrs.begin(), attrs.end(), [](const Attr &a) {
    return a.name == "precision";
  });
  // The one host op outside ODS: an SNPU kernel's f32 elementwise chain.
  std::string typeError;
  bool typesOk =
      ods ? checkElementTypes(*ods, inputs, outputs, !launch, typeError)
          : std::all_of(outputs.begin(), outputs.end(), [](const ValueType &v) {
              return v.dtype == DType::F32;
            });
  if (!typesOk) {
    error =
        fmt::format("op '{}': {}", op, ods ? typeError : "results must be f32");
    return false;
  }
  std::string attrError;
  Args args(attrs, attrError, graphOpSignature(op));
  std::string ruleError;
  std::optional<std::vector<Shape>> shapes =
      it->second(args, inputs, outputs, ruleError);
  if (!shapes || !attrError.empty()) {
    error = fmt::format("op '{}': {}", op,
                        attrError.empty() ? ruleError : attrError);
    return false;
  }
  for (size_t i = 0; i < outputs.size(); ++i)
    if ((*shapes)[i] != outputs[i].shape) {
      std::string_view type = dtypeName(outputs[i].dtype);
      error = fmt::format("op '{}': result {} is {}[{}], the op gives {}[{}]",
                          op, i, type, formatShape(outputs[i].shape), type,
                          formatShape((*shapes)[i]));
      return false;
    }
  return true;
}

} // namespace sinan::ref
