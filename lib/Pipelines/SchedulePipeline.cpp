//===- SchedulePipeline.cpp - Graph to a planned schedule -----------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Pipelines/SchedulePipeline.h"

#include "sinan/Dialect/Sched/Transforms/Passes.h"
#include "sinan/Placement/Passes.h"

#include "mlir/Pass/PassRegistry.h"

using namespace mlir;

void sinan::buildSchedulePipeline(OpPassManager &pm,
                                  const SchedulePipelineOptions &options) {
  if (!options.target.empty()) {
    pm.addPass(createFormSnpuKernels(
        FormSnpuKernelsOptions{options.target, options.precision}));
    if (options.precision == "bf16" && options.bf16Activations) {
      SnpuBf16ActivationsOptions bf16;
      bf16.target = options.target;
      pm.addPass(createSnpuBf16Activations(bf16));
    }
    if (options.precision == "bf16" && options.layerGroups)
      pm.addPass(createFormLayerGroups(FormLayerGroupsOptions{options.target}));
  }
  pm.addPass(sched::createSchedConcatViews());
  pm.addPass(sched::createSchedSliceViews());
  OpPassManager &functions = pm.nest<func::FuncOp>();
  functions.addPass(createFormHostKernels());
  functions.addPass(sched::createSchedInsertCopies());
  functions.addPass(sched::createSchedPlanMemory());
}

void sinan::registerSchedulePipeline() {
  PassPipelineRegistration<SchedulePipelineOptions>(
      "sinan-schedule-pipeline",
      "Turns a placed graph module into a planned schedule (kernel "
      "formation, host<->device copies, arena plan)",
      buildSchedulePipeline);
}
