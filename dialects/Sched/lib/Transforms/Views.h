//===- Views.h - What the view passes share ---------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_DIALECT_SCHED_TRANSFORMS_VIEWS_H
#define SINAN_DIALECT_SCHED_TRANSFORMS_VIEWS_H

#include "sinan/Dialect/Npu/IR/NpuOps.h"
#include "sinan/Dialect/Sched/IR/SchedOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseSet.h"

namespace sinan::sched {

/// The op of type OpT that is the whole body of `launch`'s kernel: one op
/// of the kernel's arguments, in order, returned as they are, with the
/// launch's types (no storage casts); else null.
template <typename OpT>
OpT soleKernelOp(npu::LaunchOp launch, mlir::SymbolTable &symbols) {
  if (launch->getNumResults() != 1)
    return OpT();
  auto kernel = symbols.lookup<mlir::func::FuncOp>(launch.getKernel());
  if (!kernel || kernel.isExternal() || !kernel.getBody().hasOneBlock())
    return OpT();
  mlir::Block &body = kernel.getBody().front();
  if (!llvm::hasSingleElement(body.without_terminator()))
    return OpT();
  auto op = llvm::dyn_cast<OpT>(body.front());
  auto ret = llvm::dyn_cast<mlir::func::ReturnOp>(body.getTerminator());
  if (!op || !ret || ret.getNumOperands() != 1 ||
      ret.getOperand(0) != op->getResult(0) ||
      !llvm::equal(op->getOperands(), body.getArguments()) ||
      body.getArgumentTypes() != launch.getArgs().getTypes() ||
      op->getResult(0).getType() != launch->getResult(0).getType())
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
