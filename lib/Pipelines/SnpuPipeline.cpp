//===- SnpuPipeline.cpp - The SNPU compilation pipeline -------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Pipelines/SnpuPipeline.h"

#include "sinan/Conversion/Passes.h"
#include "sinan/Dialect/Isa/Transforms/Passes.h"
#include "sinan/Dialect/Npu/Transforms/Passes.h"
#include "sinan/Placement/Passes.h"

#include "mlir/Pass/PassRegistry.h"

using namespace mlir;

void sinan::buildSnpuPipeline(OpPassManager &pm,
                              const SnpuPipelineOptions &options) {
  pm.addPass(createFormSnpuKernels(FormSnpuKernelsOptions{options.target}));
  if (options.bf16Activations) {
    SnpuBf16ActivationsOptions bf16;
    bf16.target = options.target;
    pm.addPass(createSnpuBf16Activations(bf16));
  }
  if (options.layerGroups)
    pm.addPass(createFormLayerGroups(FormLayerGroupsOptions{options.target}));
  buildSnpuKernelPipeline(pm, options.barrier, options.phase != "npu");
}

void sinan::buildSnpuKernelPipeline(OpPassManager &pm, bool barrier, bool isa) {
  pm.addPass(createConvertGraphToNpu());
  OpPassManager &kernels = pm.nest<func::FuncOp>();
  kernels.addPass(npu::createNpuMultiBuffer());
  kernels.addPass(npu::createNpuAllocateLocal());
  kernels.addPass(npu::createNpuInsertSync(npu::NpuInsertSyncOptions{barrier}));
  kernels.addPass(npu::createNpuVerifySync());
  if (!isa)
    return;
  pm.addPass(createConvertNpuToIsa());
  pm.nest<isa::ir::KernelOp>().addPass(isa::ir::createIsaAllocateRegisters());
}

void sinan::registerSnpuPipeline() {
  PassPipelineRegistration<SnpuPipelineOptions>(
      "sinan-snpu-pipeline",
      "Compiles the SNPU-placeable ops of a graph module into SNPU kernels",
      buildSnpuPipeline);
}
