//===- SnpuPipeline.h - The SNPU compilation pipeline -----------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The passes that take a graph module to SNPU kernels, as one named
// pipeline (`sinan-snpu-pipeline`) that sinan-compile runs and sinan-opt
// can run alone.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_PIPELINES_SNPUPIPELINE_H
#define SINAN_PIPELINES_SNPUPIPELINE_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace sinan {

struct SnpuPipelineOptions
    : public mlir::PassPipelineOptions<SnpuPipelineOptions> {
  Option<std::string> target{*this, "target",
                             llvm::cl::desc("Target preset or description"),
                             llvm::cl::init("snpu-edge")};
  Option<std::string> phase{
      *this, "phase",
      llvm::cl::desc("Last phase: npu (tiled, buffered, synchronized "
                     "kernels) or isa (instructions, machine registers)"),
      llvm::cl::init("isa")};
  Option<bool> barrier{*this, "barrier",
                       llvm::cl::desc("Synchronize with barriers only "
                                      "(debugging)"),
                       llvm::cl::init(false)};
  Option<bool> layerGroups{
      *this, "layer-groups",
      llvm::cl::desc("Run a grid convolution and the 1x1 convolution that "
                     "reads it as one kernel (sinan-form-layer-groups)"),
      llvm::cl::init(true)};
  Option<bool> bf16Activations{
      *this, "bf16-activations",
      llvm::cl::desc("Keep activations between matrix-unit kernels in DRAM "
                     "as bf16 (sinan-snpu-bf16-activations)"),
      llvm::cl::init(true)};
};

/// Adds the SNPU passes to `pm` (anchored on builtin.module): kernel
/// formation (and bf16 activations between kernels), tiling into npu,
/// multi-buffering, local allocation and synchronization, then (phase isa)
/// instruction selection and register allocation.
void buildSnpuPipeline(mlir::OpPassManager &pm,
                       const SnpuPipelineOptions &options);

/// The part of it after kernel formation, for kernel functions of graph ops
/// (the module writer compiles each launch's kernel with it): tiling into
/// npu, then per kernel multi-buffering, local allocation, synchronization
/// and its check, and (`isa`) instruction selection and register
/// allocation.
void buildSnpuKernelPipeline(mlir::OpPassManager &pm, bool barrier, bool isa);

void registerSnpuPipeline();

} // namespace sinan

#endif // SINAN_PIPELINES_SNPUPIPELINE_H
