//===- OnnxSchema.cpp - Operator arity from Debian's ONNX schemas ---------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Kept apart because onnx/defs/schema.h needs C++ exceptions, which the rest
// of the compiler is built without (this file alone gets -fexceptions).
//
//===----------------------------------------------------------------------===//

#include "OnnxSchema.h"

#include <onnx/defs/schema.h>

#include <map>

namespace sinan::frontend {

namespace {
/// Minimum inputs of the ops Sinan converts that are newer than Debian's
/// onnx library (no schema there at all).
const std::map<std::string, int> kNewerOps = {
    {"Attention", 3},          {"BitwiseAnd", 2},
    {"BitwiseNot", 1},         {"BitwiseOr", 2},
    {"BitwiseXor", 2},         {"Gelu", 1},
    {"GroupNormalization", 3}, {"Mish", 1},
    {"RMSNormalization", 2},   {"Swish", 1}};
} // namespace

std::optional<OpArity> onnxArity(const std::string &opType, int64_t opset) {
  const onnx::OpSchema *schema =
      onnx::OpSchemaRegistry::Schema(opType, static_cast<int>(opset), "");
  if (!schema) {
    OpArity arity;
    if (const onnx::OpSchema *later =
            onnx::OpSchemaRegistry::Schema(opType, 1000, "")) {
      // Known, but introduced after this model's opset.
      arity.introducedIn = later->SinceVersion();
      while (const onnx::OpSchema *earlier = onnx::OpSchemaRegistry::Schema(
                 opType, arity.introducedIn - 1, ""))
        arity.introducedIn = earlier->SinceVersion();
      return arity;
    }
    auto it = kNewerOps.find(opType);
    if (it == kNewerOps.end())
      return std::nullopt;
    arity.minInputs = it->second;
    arity.minOutputs = 1;
    return arity;
  }
  // A deprecated version (Scatter from opset 11, ...) declares no inputs;
  // the last live version says what the node must have.
  while (schema && schema->Deprecated() && schema->SinceVersion() > 1)
    schema =
        onnx::OpSchemaRegistry::Schema(opType, schema->SinceVersion() - 1, "");
  if (!schema)
    return std::nullopt;
  OpArity arity;
  arity.minInputs = schema->min_input();
  arity.minOutputs = schema->min_output();
  for (const auto &formal : schema->inputs()) {
    arity.required.push_back(formal.GetOption() == onnx::OpSchema::Single);
    arity.names.push_back(formal.GetName());
  }
  return arity;
}

} // namespace sinan::frontend
