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

namespace sinan::frontend {

std::optional<OpArity> onnxArity(const std::string &opType, int64_t opset) {
  const onnx::OpSchema *schema =
      onnx::OpSchemaRegistry::Schema(opType, static_cast<int>(opset), "");
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
