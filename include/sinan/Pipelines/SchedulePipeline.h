//===- SchedulePipeline.h - Graph to a planned schedule ---------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The passes that turn a placed graph module into a planned schedule, which
// the module writer translates: kernel formation, explicit host<->device
// copies and the arena plan, as one named pipeline
// (`sinan-schedule-pipeline`).
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_PIPELINES_SCHEDULEPIPELINE_H
#define SINAN_PIPELINES_SCHEDULEPIPELINE_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace sinan {

struct SchedulePipelineOptions
    : public mlir::PassPipelineOptions<SchedulePipelineOptions> {
  Option<std::string> target{
      *this, "target",
      llvm::cl::desc("SNPU target preset or description; empty: a module "
                     "of host ops only"),
      llvm::cl::init("")};
  Option<std::string> precision{
      *this, "precision",
      llvm::cl::desc("bf16: matrix products and convolutions go to the "
                     "matrix unit; f32: only what the SNPU computes exactly "
                     "as the host"),
      llvm::cl::init("bf16")};
  Option<bool> layerGroups{
      *this, "layer-groups",
      llvm::cl::desc("Run a grid convolution and the 1x1 convolution that "
                     "reads it as one kernel (sinan-form-layer-groups)"),
      llvm::cl::init(true)};
  Option<bool> bf16Activations{
      *this, "bf16-activations",
      llvm::cl::desc("With precision bf16, keep activations between "
                     "matrix-unit kernels in DRAM as bf16"),
      llvm::cl::init(true)};
};

/// Adds to `pm` (anchored on builtin.module): sinan-form-snpu-kernels (when
/// there is a target; with bf16 activations sinan-snpu-bf16-activations
/// after it), then on each host function sinan-insert-copies and
/// sinan-plan-memory.
void buildSchedulePipeline(mlir::OpPassManager &pm,
                           const SchedulePipelineOptions &options);

void registerSchedulePipeline();

} // namespace sinan

#endif // SINAN_PIPELINES_SCHEDULEPIPELINE_H
