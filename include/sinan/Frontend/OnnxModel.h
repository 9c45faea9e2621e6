//===- OnnxModel.h - Reading ONNX model files -------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Loads an ONNX ModelProto with Debian's ONNX schema (libonnx_proto). This is
// the first stage of the importer: it only decodes and checks the container;
// building graph IR comes after.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_FRONTEND_ONNXMODEL_H
#define SINAN_FRONTEND_ONNXMODEL_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace sinan::frontend {

/// Decodes a serialized ModelProto. `name` (usually the file path) prefixes
/// every error message.
llvm::Expected<std::unique_ptr<onnx::ModelProto>>
parseOnnxModel(llvm::StringRef bytes, llvm::StringRef name);

/// Reads and decodes the ONNX model at `path`.
llvm::Expected<std::unique_ptr<onnx::ModelProto>>
loadOnnxModel(llvm::StringRef path);

} // namespace sinan::frontend

#endif // SINAN_FRONTEND_ONNXMODEL_H
