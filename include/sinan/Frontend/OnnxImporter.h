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
  /// The model file, named by problems of the whole model.
  std::string modelName;
  /// Input name -> value: the input becomes a constant (specialization),
  /// e.g. axes or shapes that a model takes as inputs.
  std::map<std::string, mlir::DenseElementsAttr> boundInputs;
};

/// Oldest default-domain opset the importer accepts.
inline constexpr int64_t kMinOnnxOpset = 7;
/// Newest default-domain opset the importer accepts.
inline constexpr int64_t kMaxOnnxOpset = 24;

/// The kinds of problem an import met, so a caller can tell a model Sinan
/// cannot take yet from a broken one without reading the messages.
struct ImportFailures {
  /// Valid ONNX that Sinan does not take yet (an op, type or form).
  bool unsupported = false;
  /// A value the importer needs as a constant (axes, shapes, pads) is
  /// computed at run time; binding the inputs it comes from
  /// (ImportOptions::boundInputs) may help.
  bool needsConstants = false;
  /// The model is malformed: dangling names, bad attributes, shapes or
  /// types that do not agree.
  bool invalid = false;
};

/// Imports `model`. Every problem (unsupported ops with their node names,
/// dangling tensor names, bad attributes, ops that do not verify, ...) is
/// reported as an MLIR diagnostic on `context`, an ONNX node's located at
/// its name, all of them in one run. Returns null if there were any, and
/// sets their kinds in `failures` if given.
mlir::OwningOpRef<mlir::ModuleOp>
importOnnxModel(const onnx::ModelProto &model, mlir::MLIRContext &context,
                const ImportOptions &options,
                ImportFailures *failures = nullptr);

/// Reads the ONNX file at `path` and imports it; external data is looked up
/// next to the file. Problems are diagnostics as for importOnnxModel; those
/// of the file or the whole model start with `path`.
mlir::OwningOpRef<mlir::ModuleOp>
importOnnxFile(llvm::StringRef path, mlir::MLIRContext &context,
               ImportOptions options, ImportFailures *failures = nullptr);

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
