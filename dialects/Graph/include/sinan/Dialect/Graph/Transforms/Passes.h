//===- Passes.h - Graph dialect passes --------------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_DIALECT_GRAPH_TRANSFORMS_PASSES_H
#define SINAN_DIALECT_GRAPH_TRANSFORMS_PASSES_H

#include "sinan/Dialect/Graph/IR/GraphDialect.h"
#include "sinan/Dialect/Graph/IR/GraphOps.h"

#include "mlir/IR/Builders.h"

#include "mlir/Pass/Pass.h"

namespace sinan::graph {

#define GEN_PASS_DECL
#include "sinan/Dialect/Graph/Transforms/Passes.h.inc"

/// The graph-level optimizations sinan-compile runs after import:
/// canonicalization (constant folding, reshape and transpose merging), CSE
/// and folding per-channel scales and shifts into convolutions.
void buildGraphOptimizationPipeline(mlir::OpPassManager &pm);

/// graph.layer_norm as graph-decompose expands it, with the statistics
/// ONNX's LayerNormalization may also return (mean and 1/stddev over the
/// normalized axes, dimensions kept).
struct LayerNormPieces {
  mlir::Value output, mean, invStdDev;
};

/// Builds graph-decompose's expansion of `norm` at `b`'s insertion point
/// and returns its pieces; `norm` itself is left in place.
LayerNormPieces expandLayerNorm(LayerNormOp norm, mlir::OpBuilder &b);

/// Builds graph-decompose's expansion of `resize` (a backend's products and
/// row copies) at `b`'s insertion point and returns its result, or null
/// when the resize stays whole; `resize` itself is left in place.
mlir::Value expandResize(ResizeOp resize, mlir::OpBuilder &b);

#define GEN_PASS_REGISTRATION
#include "sinan/Dialect/Graph/Transforms/Passes.h.inc"

} // namespace sinan::graph

#endif // SINAN_DIALECT_GRAPH_TRANSFORMS_PASSES_H
