//===- RuntimeBridge.h - MLIR values as runtime values ----------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The one place where compiler types meet the runtime's: element types,
// constants as host tensors and back, and a graph op's attributes as the
// runtime's host ops take them. The importer (constant folding), the
// reference evaluator and the module emitter share it.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_BRIDGE_RUNTIMEBRIDGE_H
#define SINAN_BRIDGE_RUNTIMEBRIDGE_H

#include "sinan/runtime/Attr.h"
#include "sinan/runtime/DType.h"
#include "sinan/runtime/Tensor.h"
#include "sinan/runtime/ref/Kernels.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Operation.h"

#include <optional>
#include <vector>

namespace sinan {

/// The runtime element type of an MLIR element type, if Sinan has one.
std::optional<DType> toDType(mlir::Type type);

/// The MLIR element type of a runtime element type.
mlir::Type toMlirType(DType type, mlir::MLIRContext &context);

/// A host tensor holding the values of a static-shaped elements attribute.
Tensor toTensor(mlir::DenseElementsAttr attr);

/// The constant holding `tensor`, typed `type` (whose shape must match).
mlir::DenseElementsAttr toAttr(const Tensor &tensor,
                               mlir::RankedTensorType type);

/// The attributes of a graph op as the runtime's host-op dispatcher and the
/// module format take them (booleans as ints; the constant value excluded;
/// discardable attributes, the compiler's notes, left out).
std::vector<Attr> hostOpAttributes(mlir::Operation *op);

/// The reference's parameters of a graph.resize, from its attributes (the
/// names the runtime reads too, runtime/ref/HostOps.cpp); nullopt if one
/// is missing.
std::optional<ref::ResizeParams> resizeParamsOf(mlir::Operation *op);

/// `attrs` as hostOpAttributes gives them (the kinds the runtime has; any
/// other is left out).
std::vector<Attr> toHostAttrs(llvm::ArrayRef<mlir::NamedAttribute> attrs);

} // namespace sinan

#endif // SINAN_BRIDGE_RUNTIMEBRIDGE_H
