//===- CompilePipelineFuzzer.cpp - libFuzzer target for the compiler ------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// One configuration byte, then an ONNX model. Models that import (the
// importer has its own fuzzer) run the whole compile pipeline that
// sinan-compile runs (buildCompilePipeline: graph optimization, placement,
// the SNPU kernels through npu and isa, the host schedule) and
// emitModule(); the module it writes must load. A pass that cannot handle
// an op must say so with a diagnostic; a crash, a sanitizer report, a
// failure without a diagnostic or a module that does not load is a bug.
//
// Configuration byte: bits 0-1 pick target and placement (snpu-server,
// snpu-edge, snpu-server with --placement=auto, --placement=cpu), bit 2
// precision f32 instead of bf16. Host ops keep the reference kernels (no
// native CPU code: LLVM's code generation would make each input take
// seconds; the differential tests cover it). Graphs with a value of more
// than 2^18 elements are skipped (they would only be slow).
//
//===----------------------------------------------------------------------===//

#include "sinan/Frontend/OnnxImporter.h"
#include "sinan/Frontend/OnnxModel.h"
#include "sinan/InitAll.h"
#include "sinan/Module/ModuleEmitter.h"
#include "sinan/Pipelines/CompilePipeline.h"
#include "sinan/runtime/Target.h"
#include "sinan/runtime/isa/Kernel.h"
#include "sinan/runtime/module/Module.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
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
  llvm::errs() << "sinan-fuzz-compile: " << what << "\n" << detail << "\n";
  llvm::errs().flush();
  std::abort();
}

/// Whether some value of `module` has more than `limit` elements.
bool tooLarge(mlir::ModuleOp module, int64_t limit) {
  auto large = [&](mlir::Type type) {
    auto shaped = llvm::dyn_cast<mlir::ShapedType>(type);
    return shaped && shaped.hasStaticShape() && shaped.getNumElements() > limit;
  };
  return module
      .walk([&](mlir::Operation *op) {
        for (mlir::Type type : op->getResultTypes())
          if (large(type))
            return mlir::WalkResult::interrupt();
        for (mlir::Region &region : op->getRegions())
          for (mlir::Block &block : region)
            for (mlir::BlockArgument arg : block.getArguments())
              if (large(arg.getType()))
                return mlir::WalkResult::interrupt();
        return mlir::WalkResult::advance();
      })
      .wasInterrupted();
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv) {
  registry();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  uint8_t config = data[0];
  llvm::StringRef bytes(reinterpret_cast<const char *>(data + 1), size - 1);
  auto model = sinan::frontend::parseOnnxModel(bytes, "fuzz-input");
  if (!model) {
    llvm::consumeError(model.takeError());
    return 0;
  }
  mlir::MLIRContext context(registry(), mlir::MLIRContext::Threading::DISABLED);
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &diag) {
    if (diag.getSeverity() == mlir::DiagnosticSeverity::Error) {
      diagnostics += diag.str();
      diagnostics += '\n';
    }
    return mlir::success();
  });
  sinan::frontend::ImportOptions options;
  options.modelDirectory = "/nonexistent/sinan-fuzz";
  mlir::OwningOpRef<mlir::ModuleOp> module =
      sinan::frontend::importOnnxModel(**model, context, options);
  if (!module || tooLarge(*module, 1 << 18))
    return 0;

  static const char *const kTargets[] = {"snpu-server", "snpu-edge",
                                         "snpu-server", "snpu-edge"};
  static const char *const kPlacements[] = {"snpu", "snpu", "auto", "cpu"};
  sinan::CompilePipelineOptions pipeline;
  pipeline.target = kTargets[config & 3];
  pipeline.placement = kPlacements[config & 3];
  pipeline.precision = (config & 4) ? "f32" : "bf16";
  pipeline.phase = "module";
  mlir::PassManager pm(&context);
  sinan::buildCompilePipeline(pm, pipeline);
  if (mlir::failed(pm.run(*module))) {
    if (diagnostics.empty())
      bug("the compile pipeline failed without a diagnostic", "");
    return 0;
  }

  std::string error;
  std::optional<sinan::TargetDesc> target =
      sinan::resolveTarget(pipeline.target, error);
  if (!target)
    bug("a built-in target does not resolve", error);
  sinan::ModuleEmitOptions emit;
  emit.target = target->name;
  emit.targetFingerprint = sinan::isa::targetFingerprint(*target);
  emit.sourceHash = "fuzz";
  if (pipeline.placement != "cpu")
    emit.snpu = &*target;
  emit.bf16Matmul = pipeline.precision == "bf16";
  auto func = module->lookupSymbol<mlir::func::FuncOp>("main");
  if (!func)
    bug("a compiled module has no @main", "");
  std::optional<std::vector<uint8_t>> written =
      sinan::emitModule(func, emit, error);
  if (!written) {
    if (error.empty())
      bug("emitModule failed without an error", diagnostics);
    return 0;
  }
  if (!sinan::module::Module::loadFromMemory(written->data(), written->size(),
                                             error))
    bug("a module the compiler wrote does not load", error);
  return 0;
}
