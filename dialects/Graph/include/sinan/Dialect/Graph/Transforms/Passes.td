//===- Passes.td - Graph dialect passes --------------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_DIALECT_GRAPH_TRANSFORMS_PASSES_TD
#define SINAN_DIALECT_GRAPH_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def GraphFoldConvAffine : Pass<"graph-fold-conv-affine"> {
  let summary = "Folds per-channel scales and shifts into convolution weights";
  let description = [{
    Rewrites `conv2d(x, W, b) * s + t`, where `s` and `t` are constants that
    vary only along the output channel (an inference-mode BatchNormalization
    after import), into `conv2d(x, W * s, b * s + t)`. The weights and bias
    must be constants; the product is rounded once per weight in the
    weight's element type, so results can differ from the unfused graph by
    rounding (the usual BatchNorm-folding trade).
  }];
  let dependentDialects = ["sinan::graph::GraphDialect"];
}

#endif // SINAN_DIALECT_GRAPH_TRANSFORMS_PASSES_TD
