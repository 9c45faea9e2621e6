//===- OnnxImporter.h - ONNX to graph dialect ---------------------*- C++
//-*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Builds `func.func @main` in the graph dialect from an ONNX ModelProto. The
// whole model is checked first and every unsupported op is reported at once;
// each op's location is the ONNX node name, so later errors name the node.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_FRONTEND_ONNXIMPORTER_H
#define SINAN_FRONTEND_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

#include <map>
#include <string>
#include <vector>

namespace onnx {
class ModelProto;
class TensorProto;
} // namespace onnx

namespace sinan::frontend {

struct ImportOptions {
  /// Input name -> static shape, replacing the model's (possibly dynamic)
  /// dimensions: `--input-shape x=1x3x224x224`.
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// Directory of the model file, for tensors stored as external data.
  std::string modelDirectory;
  /// Input name -> value: the input becomes a constant (specialization),
  /// e.g. axes or shapes that a model takes as inputs.
  std::map<std::string, mlir::DenseElementsAttr> boundInputs;
};

/// Oldest default-domain opset the importer accepts.
inline constexpr int64_t kMinOnnxOpset = 7;
/// Newest default-domain opset the importer accepts.
inline constexpr int64_t kMaxOnnxOpset = 24;

/// Imports `model`. On failure returns null and sets `error` to a message
/// naming every problem (unsupported ops with their node names, dangling
/// tensor names, bad attributes, ...), one per line.
mlir::OwningOpRef<mlir::ModuleOp> importOnnxModel(const onnx::ModelProto &model,
                                                  mlir::MLIRContext &context,
                                                  const ImportOptions &options,
                                                  std::string &error);

/// Reads the ONNX file at `path` and imports it; external data is looked up
/// next to the file. Errors start with the path.
mlir::OwningOpRef<mlir::ModuleOp> importOnnxFile(llvm::StringRef path,
                                                 mlir::MLIRContext &context,
                                                 ImportOptions options,
                                                 std::string &error);

/// Parses `name=1x3x224x224` into `options.inputShapes`; false if malformed.
bool parseInputShape(llvm::StringRef spec, ImportOptions &options);

/// The ONNX op types the importer converts, for the coverage report.
std::vector<std::string> supportedOnnxOps();

/// Converts a TensorProto (raw or typed data, or external data under
/// `directory`) to a DenseElementsAttr; sets `error` on failure.
mlir::DenseElementsAttr convertTensorProto(const onnx::TensorProto &tensor,
                                           mlir::MLIRContext &context,
                                           const std::string &directory,
                                           std::string &error);

} // namespace sinan::frontend

#endif // SINAN_FRONTEND_ONNXIMPORTER_H
