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

/// The network's multiply-adds an op computes, when they are not its own
/// (an i64 attribute): graph-decompose's window sums of a local response
/// normalization are a convolution with a band of ones, none of whose
/// products is a convolution or matrix product of the network. The
/// placement report's MACs and the run's figures count these instead (the
/// module carries them as the step's `network_macs`); the host cost
/// estimate still counts the op's own.
inline constexpr llvm::StringLiteral kNetworkMacsAttrName =
    "sinan.network_macs";

/// sinan-place's model of a host op's time (an i64 attribute on the ops it
/// put on the host, in cycles of the target's clock): the module carries
/// it as the step's host cycles, which the device timeline charges.
inline constexpr llvm::StringLiteral kHostCyclesAttrName = "sinan.host_cycles";

/// Whether sinan-place put `op` on `side` ("snpu" or "cpu").
inline bool isPlacedOn(mlir::Operation *op, llvm::StringRef side) {
  auto placed = op->getAttrOfType<mlir::StringAttr>(kPlacementAttrName);
  return placed && placed.getValue() == side;
}

} // namespace sinan

#endif // SINAN_DIALECT_GRAPH_IR_GRAPHDIALECT_H
