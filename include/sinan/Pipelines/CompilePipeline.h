//===- CompilePipeline.h - From an imported graph to a module ---*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The passes sinan-compile runs on an imported graph module, up to a chosen
// phase: graph optimization, placement, the SNPU kernels and the host
// schedule that emitModule() translates. One builder, so the driver and the
// compile-pipeline fuzzer run the same compiler.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_PIPELINES_COMPILEPIPELINE_H
#define SINAN_PIPELINES_COMPILEPIPELINE_H

#include "mlir/Pass/PassManager.h"

#include <string>

namespace sinan {

struct CompilePipelineOptions {
  /// Target preset or JSON description.
  std::string target = "snpu-edge";
  /// Last phase: graph, npu or isa (the SNPU kernels), sched or module (the
  /// host schedule emitModule() translates).
  std::string phase = "module";
  /// snpu, auto or cpu (sinan-place).
  std::string placement = "auto";
  /// bf16 or f32.
  std::string precision = "bf16";
  /// With bf16: activations between matrix-unit kernels stay bf16 in DRAM
  /// (sinan-snpu-bf16-activations).
  bool bf16Activations = true;
  /// Merge pairs of SNPU convolution kernels (sinan-form-layer-groups).
  bool layerGroups = true;
  std::string placementOverrides, placementReport;
  /// Canonicalize, CSE and fold BatchNorm into convolutions first.
  bool graphOpt = true;
};

/// Whether `phase` names one buildCompilePipeline() knows.
bool isCompilePhase(const std::string &phase);

/// Adds to `pm` (anchored on builtin.module) the passes from an imported
/// graph module to `options.phase`.
void buildCompilePipeline(mlir::OpPassManager &pm,
                          const CompilePipelineOptions &options);

} // namespace sinan

#endif // SINAN_PIPELINES_COMPILEPIPELINE_H
