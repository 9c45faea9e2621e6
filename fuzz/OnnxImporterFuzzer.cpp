//===- OnnxImporterFuzzer.cpp - libFuzzer target for the ONNX importer ----===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Feeds arbitrary bytes through the importer's whole front half: protobuf
// decoding (parseOnnxModel), importOnnxModel into a fresh MLIRContext with
// Sinan's dialects, and the verifier. For any input the only acceptable
// outcomes are a verified module or an error message; a crash, a sanitizer
// report, a failed import without a message, or an imported module that
// does not verify are bugs. Build and run: docs/development.md, "Fuzzing".
//
//===----------------------------------------------------------------------===//

#include "sinan/Frontend/OnnxImporter.h"
#include "sinan/Frontend/OnnxModel.h"
#include "sinan/InitAll.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <cstdlib>

namespace {

mlir::DialectRegistry &registry() {
  static mlir::DialectRegistry *registry = [] {
    auto *result = new mlir::DialectRegistry();
    sinan::registerAllDialects(*result);
    return result;
  }();
  return *registry;
}

[[noreturn]] void bug(const char *what, llvm::StringRef detail) {
  llvm::errs() << "sinan-fuzz-onnx-importer: " << what << "\n"
               << detail << "\n";
  llvm::errs().flush();
  std::abort();
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv) {
  registry();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  auto model = sinan::frontend::parseOnnxModel(bytes, "fuzz-input");
  if (!model) {
    llvm::consumeError(model.takeError());
    return 0;
  }

  // A fresh context per input, so inputs do not influence each other and
  // uniqued attributes do not accumulate; no thread pool.
  mlir::MLIRContext context(registry(), mlir::MLIRContext::Threading::DISABLED);
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &diag) {
    diagnostics += diag.str();
    diagnostics += '\n';
    return mlir::success();
  });

  sinan::frontend::ImportOptions options;
  // External data must never reach the fuzzing machine's files.
  options.modelDirectory = "/nonexistent/sinan-fuzz";
  mlir::OwningOpRef<mlir::ModuleOp> module =
      sinan::frontend::importOnnxModel(**model, context, options);
  if (!module) {
    if (diagnostics.empty())
      bug("import failed without an error message", diagnostics);
    return 0;
  }
  if (mlir::failed(mlir::verify(*module)))
    bug("imported module does not verify", diagnostics);
  return 0;
}
