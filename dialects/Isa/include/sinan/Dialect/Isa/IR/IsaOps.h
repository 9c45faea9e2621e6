//===- IsaOps.h - isa dialect operations ------------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_DIALECT_ISA_IR_ISAOPS_H
#define SINAN_DIALECT_ISA_IR_ISAOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"

#include "sinan/Dialect/Isa/IR/IsaDialect.h"
#include "sinan/runtime/isa/IsaTable.h"

namespace sinan::isa::ir {

/// Register numbers from kNumRegisters on are virtual: `v0` is 32.
inline constexpr int64_t kFirstVirtualRegister = kNumRegisters;

/// The table row of an instruction op, or null for any other op.
const OpInfo *opInfoOf(mlir::Operation *op);

/// Reads the instruction an op denotes. Fails (with a diagnostic on `op`)
/// on a virtual register or a field that does not fit its bits.
llvm::FailureOr<Instruction> toInstruction(mlir::Operation *op);

/// Creates the op for `inst`; a branch takes its (taken, next) successors
/// instead of its offset. `registers`, when given, replaces the ra, rb, rc
/// fields (so virtual registers, which do not fit an Instruction, can be
/// named).
mlir::Operation *
createInstruction(mlir::OpBuilder &builder, mlir::Location loc,
                  const Instruction &inst,
                  llvm::ArrayRef<mlir::Block *> successors = {},
                  std::optional<std::array<int64_t, 3>> registers = {});

mlir::ParseResult parseInstruction(mlir::OpAsmParser &parser,
                                   mlir::OperationState &result);
void printInstruction(mlir::OpAsmPrinter &printer, mlir::Operation *op);
llvm::LogicalResult verifyInstruction(mlir::Operation *op);

} // namespace sinan::isa::ir

#define GET_OP_CLASSES
#include "sinan/Dialect/Isa/IR/IsaOps.h.inc"

#endif // SINAN_DIALECT_ISA_IR_ISAOPS_H
