//===- Views.h - What the view passes share ---------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_DIALECT_SCHED_TRANSFORMS_VIEWS_H
#define SINAN_DIALECT_SCHED_TRANSFORMS_VIEWS_H

#include "sinan/Conversion/GraphToNpu.h"
#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Npu/IR/NpuOps.h"
#include "sinan/Dialect/Sched/IR/SchedOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseSet.h"

namespace sinan::sched {

/// Whether `op` is a storage cast (sinan-snpu-bf16-activations: a value
/// the kernel keeps as bf16 in DRAM, widened or narrowed at its edge).
inline bool isStorageCast(mlir::Operation *op) {
  return llvm::isa_and_nonnull<graph::CastOp>(op) &&
         op->hasAttr(kStorageCastAttrName);
}

/// The op of type OpT that is the whole body of `launch`'s kernel: one op
/// of the kernel's arguments, in order, returned as it is, with the
/// launch's types; else null. The arguments and result may pass storage
/// casts when every one of them has the same element type in DRAM (a
/// concatenation of bf16 values kept as bf16 moves them exactly as they
/// are).
template <typename OpT>
OpT soleKernelOp(npu::LaunchOp launch, mlir::SymbolTable &symbols) {
  if (launch->getNumResults() != 1)
    return OpT();
  auto kernel = symbols.lookup<mlir::func::FuncOp>(launch.getKernel());
  if (!kernel || kernel.isExternal() || !kernel.getBody().hasOneBlock())
    return OpT();
  mlir::Block &body = kernel.getBody().front();
  OpT op;
  for (mlir::Operation &inner : body.without_terminator()) {
    if (isStorageCast(&inner))
      continue;
    if (op || !(op = llvm::dyn_cast<OpT>(inner)))
      return OpT();
  }
  auto ret = llvm::dyn_cast<mlir::func::ReturnOp>(body.getTerminator());
  if (!op || !ret || ret.getNumOperands() != 1 ||
      op->getNumOperands() != body.getNumArguments() ||
      body.getArgumentTypes() != launch.getArgs().getTypes())
    return OpT();
  auto through = [](mlir::Value value) {
    mlir::Operation *def = value.getDefiningOp();
    return isStorageCast(def) ? def->getOperand(0) : value;
  };
  mlir::Value returned = ret.getOperand(0);
  if (returned != op->getResult(0) && through(returned) != op->getResult(0))
    return OpT();
  for (auto [operand, arg] :
       llvm::zip_equal(op->getOperands(), body.getArguments()))
    if (through(operand) != arg)
      return OpT();
  // One element type in DRAM for every argument and the result.
  mlir::Type element =
      mlir::getElementTypeOrSelf(launch->getResult(0).getType());
  if (returned.getType() != launch->getResult(0).getType() ||
      llvm::any_of(launch.getArgs().getTypes(), [&](mlir::Type type) {
        return mlir::getElementTypeOrSelf(type) != element;
      }))
    return OpT();
  return op;
}

/// The values `block` returns that are model outputs, in the caller's
/// memory: the host ones. A device value returned is copied there
/// (sinan-insert-copies) from its device bytes, an intermediate like any
/// other.
inline llvm::DenseSet<mlir::Value> modelOutputs(mlir::Block &block) {
  llvm::DenseSet<mlir::Value> outputs;
  for (mlir::Value value : block.getTerminator()->getOperands())
    if (!onDevice(value))
      outputs.insert(value);
  return outputs;
}

/// Kernel functions a view pass replaced a launch of.
using EmptiedKernels = llvm::DenseSet<mlir::Operation *>;

/// Runs `rewrite` on each schedule of `module` (a host function of one
/// block), then erases the kernels it emptied that no launch calls any more.
inline void
forEachSchedule(mlir::ModuleOp module,
                llvm::function_ref<void(mlir::func::FuncOp, mlir::SymbolTable &,
                                        EmptiedKernels &)>
                    rewrite) {
  mlir::SymbolTable symbols(module);
  EmptiedKernels emptied;
  for (auto func : module.getOps<mlir::func::FuncOp>())
    if (!func->hasAttr(npu::kTargetAttrName) && !func.isExternal() &&
        func.getBody().hasOneBlock())
      rewrite(func, symbols, emptied);
  for (mlir::Operation *kernel : emptied)
    if (mlir::SymbolTable::symbolKnownUseEmpty(kernel, module))
      kernel->erase();
}

} // namespace sinan::sched

#endif // SINAN_DIALECT_SCHED_TRANSFORMS_VIEWS_H
