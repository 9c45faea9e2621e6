//===- NpuOps.h - npu dialect operations ------------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_DIALECT_NPU_IR_NPUOPS_H
#define SINAN_DIALECT_NPU_IR_NPUOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Attributes.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "sinan/Dialect/Npu/IR/NpuDialect.h"
#include "sinan/Dialect/Npu/IR/NpuEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "sinan/Dialect/Npu/IR/NpuAttrs.h.inc"

#define GET_OP_CLASSES
#include "sinan/Dialect/Npu/IR/NpuOps.h.inc"

namespace sinan {
struct TargetDesc;
} // namespace sinan

namespace sinan::npu {

/// The name of the function attribute that makes a func.func an npu kernel.
inline constexpr llvm::StringLiteral kTargetAttrName = "npu.target";
/// The number of cores a kernel using npu.core_id runs on (default: all of
/// the target's).
inline constexpr llvm::StringLiteral kCoresAttrName = "npu.cores";
/// The byte offset local allocation gives a memref.alloc in a local space.
inline constexpr llvm::StringLiteral kOffsetAttrName = "npu.offset";
/// On an scf.for: its producer already alternates the loop's local buffers
/// (a convolution's taps), so sinan-npu-multi-buffer leaves it alone.
inline constexpr llvm::StringLiteral kBufferedAttrName = "npu.buffered";
/// On an scf.for: how many copies of its buffers sinan-npu-multi-buffer
/// makes (2 when absent): with N, N - 1 loads may be in flight while the
/// N-th copy is in use.
inline constexpr llvm::StringLiteral kBuffersAttrName = "npu.buffers";
/// On a memref.alloc: the copies sinan-npu-multi-buffer made of one buffer
/// share this id. Local allocation keeps them apart over all their uses
/// (a loop unrolled whole leaves straight-line copies whose uses do not
/// overlap in program order, but whose loads and compute should in time).
inline constexpr llvm::StringLiteral kCopyGroupAttrName = "npu.copy_group";
/// On a memref.alloc one engine uses inside a multi-buffered loop (a vector
/// unit's scratch): sinan-npu-multi-buffer keeps one copy of it, since that
/// engine's queue runs the iterations in order anyway, and fails if two
/// engines use it. Its producer budgets local memory for one copy.
inline constexpr llvm::StringLiteral kSharedAttrName = "npu.shared";
/// On an scf.for that runs at most once, on the core the attribute names
/// (the part of a kernel for one core): it has no back edge to synchronize,
/// and its buffers never meet those of another core's part.
inline constexpr llvm::StringLiteral kOnceAttrName = "npu.once";

/// The memory space of `type` (dram when it has none), or nullopt for a
/// memory space attribute that is not npu's.
std::optional<MemorySpace> memorySpaceOf(mlir::MemRefType type);

/// The engine whose queue runs `op` (DMA-in, DMA-out, matrix or vector), if
/// it is engine work: the rule synchronization and its check share.
std::optional<Engine> engineOf(mlir::Operation *op);

/// Bytes a buffer of `type` spans: its last element's offset plus one
/// element (strided layouts included), or -1 without static strides.
int64_t spanBytes(mlir::MemRefType type);

/// The target description named by the `npu.target` attribute of the
/// kernel enclosing `op`; emits an error on `op` when there is none or it
/// does not resolve. Descriptions are parsed once per name.
const TargetDesc *targetOf(mlir::Operation *op);

/// Makes `#npu.target<"NAME">` resolve to `target` (NAME = target.name), for
/// descriptions read from a file the name alone does not find.
void registerTarget(const TargetDesc &target);

} // namespace sinan::npu

#endif // SINAN_DIALECT_NPU_IR_NPUOPS_H
