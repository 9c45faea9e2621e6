//===- CompilePipeline.cpp - From an imported graph to a module -----------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Pipelines/CompilePipeline.h"

#include "sinan/Dialect/Graph/Transforms/Passes.h"
#include "sinan/Pipelines/SchedulePipeline.h"
#include "sinan/Pipelines/SnpuPipeline.h"
#include "sinan/Placement/Passes.h"

using namespace mlir;

bool sinan::isCompilePhase(const std::string &phase) {
  return phase == "graph" || phase == "npu" || phase == "isa" ||
         phase == "sched" || phase == "module";
}

void sinan::buildCompilePipeline(OpPassManager &pm,
                                 const CompilePipelineOptions &options) {
  if (options.graphOpt)
    graph::buildGraphOptimizationPipeline(pm);
  // Every phase past graph follows the placement; at graph it runs only to
  // show it.
  if (options.phase != "graph" || !options.placementReport.empty() ||
      !options.placementOverrides.empty()) {
    // The SNPU runs a layer or RMS normalization whole (one kernel); the
    // host path and the other composites take the pieces, as the importer
    // used to emit them: those placed on the host are expanded after
    // placement.
    bool whole = options.placement != "cpu";
    graph::GraphDecomposeOptions before;
    // An average pooling is the SNPU's depthwise convolution and a
    // division; a local response normalization its matrix unit's window
    // sums and the vector unit's power. (A resize is placed whole, then
    // expanded where it went to the SNPU: on the host it is one cheap op,
    // not the products.)
    if (whole)
      before.ops = {"gelu", "group_norm", "attention", "avg_pool2d", "lrn"};
    pm.addPass(graph::createGraphDecompose(before));
    // Attention the SNPU runs whole, from its pieces (as exported, or as
    // graph-decompose just wrote an ONNX Attention).
    if (whole)
      pm.addPass(createFuseAttention(FuseAttentionOptions{
          options.target, options.precision, options.placementOverrides}));
    // A patch embedding is a product of the image's patches (read once),
    // not a convolution gathering them per block of output channels.
    if (whole)
      pm.addPass(graph::createGraphPatchifyConv());
    // A kernel's arguments are registers: concats wider than that split.
    if (whole)
      pm.addPass(createSplitWideConcats());
    // Constants the vector unit cannot broadcast, repeated in the module.
    if (whole)
      pm.addPass(createMaterializeBroadcasts(
          MaterializeBroadcastsOptions{options.target}));
    PlaceOpsOptions place;
    place.target = options.target;
    place.mode = options.placement;
    place.precision = options.precision;
    place.overrides = options.placementOverrides;
    place.report = options.placementReport;
    pm.addPass(createPlaceOps(place));
    if (whole) {
      graph::GraphDecomposeOptions after;
      after.placed = "cpu";
      pm.addPass(graph::createGraphDecompose(after));
      graph::GraphDecomposeOptions resizes;
      resizes.ops = {"resize"};
      resizes.placed = "snpu";
      pm.addPass(graph::createGraphDecompose(resizes));
    }
  }
  if (options.phase == "npu" || options.phase == "isa") {
    SnpuPipelineOptions snpu;
    snpu.target = options.target;
    snpu.phase = options.phase;
    snpu.bf16Activations =
        options.precision == "bf16" && options.bf16Activations;
    snpu.layerGroups = options.precision == "bf16" && options.layerGroups;
    buildSnpuPipeline(pm, snpu);
    return;
  }
  if (options.phase == "sched" || options.phase == "module") {
    // The schedule the module writer translates.
    SchedulePipelineOptions sched;
    if (options.placement != "cpu")
      sched.target = options.target;
    sched.precision = options.precision;
    sched.bf16Activations = options.bf16Activations;
    sched.layerGroups = options.layerGroups;
    buildSchedulePipeline(pm, sched);
  }
}
