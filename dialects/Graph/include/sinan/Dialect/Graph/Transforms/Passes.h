//===- Passes.h - Graph dialect passes --------------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_DIALECT_GRAPH_TRANSFORMS_PASSES_H
#define SINAN_DIALECT_GRAPH_TRANSFORMS_PASSES_H

#include "sinan/Dialect/Graph/IR/GraphDialect.h"

#include "mlir/Pass/Pass.h"

namespace sinan::graph {

#define GEN_PASS_DECL
#include "sinan/Dialect/Graph/Transforms/Passes.h.inc"

/// The graph-level optimizations sinan-compile runs after import:
/// canonicalization (constant folding, reshape and transpose merging), CSE
/// and folding per-channel scales and shifts into convolutions.
void buildGraphOptimizationPipeline(mlir::OpPassManager &pm);

#define GEN_PASS_REGISTRATION
#include "sinan/Dialect/Graph/Transforms/Passes.h.inc"

} // namespace sinan::graph

#endif // SINAN_DIALECT_GRAPH_TRANSFORMS_PASSES_H
