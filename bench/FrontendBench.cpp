//===- FrontendBench.cpp - ONNX import time -------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Wall time of importOnnxFile (read + protobuf decode + import with shape
// inference and import-time folding + verify) on the light models shipped in
// the pinned onnx wheel:
//   build/release/bench/sinan-bench-frontend
// Each iteration imports into a fresh MLIRContext whose dialects are already
// loaded; creating and destroying the context is not timed.
//
//===----------------------------------------------------------------------===//

#include "sinan/Frontend/OnnxImporter.h"
#include "sinan/InitAll.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"

#include <benchmark/benchmark.h>

#include <fstream>
#include <memory>
#include <string>

namespace {

void importModel(benchmark::State &state, const char *name) {
  std::string path = std::string(SINAN_ONNX_LIGHT_DIR) + "/" + name;
  if (!std::ifstream(path)) {
    state.SkipWithError(
        ("missing " + path + " (run scripts/setup.sh)").c_str());
    return;
  }
  mlir::DialectRegistry registry;
  sinan::registerAllDialects(registry);
  size_t ops = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto context = std::make_unique<mlir::MLIRContext>(registry);
    context->loadAllAvailableDialects();
    state.ResumeTiming();
    std::string error;
    mlir::ScopedDiagnosticHandler handler(context.get(),
                                          [&](mlir::Diagnostic &diag) {
                                            error += diag.str() + "\n";
                                            return mlir::success();
                                          });
    mlir::OwningOpRef<mlir::ModuleOp> module = sinan::frontend::importOnnxFile(
        path, *context, sinan::frontend::ImportOptions());
    state.PauseTiming();
    if (!module) {
      state.SkipWithError(error.c_str());
      break;
    }
    ops = 0;
    module->walk([&](mlir::Operation *) { ++ops; });
    module = {};
    context.reset();
    state.ResumeTiming();
  }
  state.counters["ops"] = static_cast<double>(ops);
}

BENCHMARK_CAPTURE(importModel, light_resnet50, "light_resnet50.onnx")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(importModel, light_vgg19, "light_vgg19.onnx")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(importModel, light_densenet121, "light_densenet121.onnx")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

} // namespace
