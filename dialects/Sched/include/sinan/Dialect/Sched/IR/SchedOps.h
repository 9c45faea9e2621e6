//===- SchedOps.h - sched dialect operations --------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_DIALECT_SCHED_IR_SCHEDOPS_H
#define SINAN_DIALECT_SCHED_IR_SCHEDOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "sinan/Dialect/Sched/IR/SchedDialect.h"

#define GET_OP_CLASSES
#include "sinan/Dialect/Sched/IR/SchedOps.h.inc"

namespace sinan::sched {

/// On an op of a planned schedule: the byte offset of each result in its
/// memory's arena (-1: not in an arena, e.g. a model output).
inline constexpr llvm::StringLiteral kOffsetsAttrName = "sched.offsets";
/// On a planned schedule's function: the bytes of each arena.
inline constexpr llvm::StringLiteral kHostArenaAttrName = "sched.host_arena";
inline constexpr llvm::StringLiteral kDeviceArenaAttrName =
    "sched.device_arena";
/// Whether `value` lives in device memory: an npu.launch or a
/// sched.to_device produced it.
bool onDevice(mlir::Value value);

} // namespace sinan::sched

#endif // SINAN_DIALECT_SCHED_IR_SCHEDOPS_H
