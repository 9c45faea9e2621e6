//===- ShapeCheck.cpp - Host-op operand and result types ------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The reference kernels trust the shapes they are given: the compiler's
// verifiers guarantee them for graph IR. A module comes from a file, so the
// runtime checks every host op before a session runs it: its arity,
// attribute names and element types against ODS (OpSignatures), its shapes
// by the op's rule (OpRules, the rule the graph dialect's verifier runs),
// whose result shapes must be the module's.
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/ref/HostOps.h"

#include "Fused.h"

#include "Args.h"

#include "sinan/runtime/shape/OpRules.h"

#include <fmt/format.h>

#include <algorithm>

namespace sinan::ref {
namespace {

using Shape = std::vector<int64_t>;
using Types = std::vector<ValueType>;

std::vector<shape::TypedShape> typedShapes(const Types &values) {
  std::vector<shape::TypedShape> shapes;
  for (const ValueType &v : values)
    shapes.push_back({v.dtype, v.shape});
  return shapes;
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
  std::vector<size_t> odsIndex = shape::odsOperandIndices(ods, inputs.size());
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

} // namespace

bool hasHostOpCheck(std::string_view op) {
  return op == "fused" || op == "subgraph" || shape::hasOpRule(op);
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
  if (!shape::hasOpRule(op)) {
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
  // residual_first = 1 (a conv2d's): the last input is where its sums
  // start, of the result's type and shape.
  for (const Attr &attr : attrs)
    if (attr.name == "residual_first" && attr.value == AttrValue(int64_t(1))) {
      if (inputs.empty() || outputs.size() != 1 ||
          inputs.back().dtype != outputs[0].dtype ||
          inputs.back().shape != outputs[0].shape) {
        error = fmt::format("op '{}': residual_first's input must have the "
                            "result's type and shape",
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
      static constexpr std::string_view kFallbackAttrs[] = {"activation",
                                                            "activation_max",
                                                            "activation_min",
                                                            "bias_last",
                                                            "fma",
                                                            "network_macs",
                                                            "precision",
                                                            "residual",
                                                            "residual_first",
                                                            "sum_chunk",
                                                            "winograd"};
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
  std::string ruleError;
  std::optional<std::vector<Shape>> shapes = shape::opResultShapes(
      op, typedShapes(inputs), typedShapes(outputs), attrs, ruleError);
  if (!shapes) {
    error = fmt::format("op '{}': {}", op, ruleError);
    return false;
  }
  if (shapes->size() != outputs.size()) {
    error = fmt::format("op '{}' got {} results, it gives {}", op,
                        outputs.size(), shapes->size());
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
