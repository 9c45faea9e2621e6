//===- GraphDialect.h - Graph dialect ---------------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_DIALECT_GRAPH_IR_GRAPHDIALECT_H
#define SINAN_DIALECT_GRAPH_IR_GRAPHDIALECT_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/Operation.h"

#include "sinan/Dialect/Graph/IR/GraphDialect.h.inc"

namespace sinan {

/// Where sinan-place put a graph op: "snpu" or "cpu" (a string attribute).
/// Kernel formation and the module emitter follow it; an op without one
/// goes to the SNPU when the SNPU can run it.
inline constexpr llvm::StringLiteral kPlacementAttrName = "sinan.placement";

/// Whether sinan-place put `op` on `side` ("snpu" or "cpu").
inline bool isPlacedOn(mlir::Operation *op, llvm::StringRef side) {
  auto placed = op->getAttrOfType<mlir::StringAttr>(kPlacementAttrName);
  return placed && placed.getValue() == side;
}

} // namespace sinan

#endif // SINAN_DIALECT_GRAPH_IR_GRAPHDIALECT_H
