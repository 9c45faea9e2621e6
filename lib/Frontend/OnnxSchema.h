//===- OnnxSchema.h - Operator arity from Debian's ONNX schemas -*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_LIB_FRONTEND_ONNXSCHEMA_H
#define SINAN_LIB_FRONTEND_ONNXSCHEMA_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sinan::frontend {

struct OpArity {
  int minInputs = 0, minOutputs = 0;
  std::vector<bool> required;     // Per formal input: must be non-empty.
  std::vector<std::string> names; // Per formal input.
  /// Set when the op exists only from a later opset than asked for.
  int introducedIn = 0;
};

/// The arity of ai.onnx `opType` at `opset` (or the newest version Debian's
/// onnx library knows below it; a fixed table for the few newer ops Sinan
/// converts); nullopt for ops neither knows.
std::optional<OpArity> onnxArity(const std::string &opType, int64_t opset);

} // namespace sinan::frontend

#endif // SINAN_LIB_FRONTEND_ONNXSCHEMA_H
