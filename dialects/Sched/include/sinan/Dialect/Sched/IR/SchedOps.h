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
#include "llvm/ADT/DenseMap.h"

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

/// Bytes of a static tensor type of integer or float elements.
int64_t byteSize(mlir::RankedTensorType type);

/// Where concatenations' operands lie when each is written in place: in the
/// slot of a root value, at a byte offset. Concatenations are added latest
/// first, so an earlier one finds its result (or its operands) already
/// placed by a later one that reads it (DenseNet's prefixes).
class ConcatLayout {
public:
  using Place = std::pair<mlir::Value, int64_t>;
  /// The slot `value` lies in and where: its own at 0 unless placed.
  Place placeOf(mlir::Value value) const;
  /// Places `inputs` (at `offsets` bytes into `result`) end to end where
  /// `result` lies: where a later concatenation put it, else where an
  /// operand already placed says, else in `result`'s own slot (which then
  /// takes in the slot those operands were in, when that is smaller and
  /// lies inside it). An operand
  /// made by a reshape places the reshape's input there too (its producer
  /// writes those bytes). Returns false, changing nothing, when an operand
  /// is placed elsewhere or `canPlace` refuses a value not placed yet.
  bool add(mlir::Value result, mlir::ValueRange inputs,
           llvm::ArrayRef<int64_t> offsets,
           llvm::function_ref<bool(mlir::Value, Place)> canPlace = nullptr);
  /// The bytes two values written by their own steps may not share: whether
  /// `value` (at `place`, `bytes` long) overlaps another such value placed
  /// in the same slot. `written` says which values their steps write (not
  /// views of others).
  bool overlapsWritten(mlir::Value value, Place place, int64_t bytes,
                       llvm::function_ref<bool(mlir::Value)> written) const;
  const llvm::DenseMap<mlir::Value, Place> &places() const { return placed; }

private:
  llvm::DenseMap<mlir::Value, Place> placed;
};

} // namespace sinan::sched

#endif // SINAN_DIALECT_SCHED_IR_SCHEDOPS_H
