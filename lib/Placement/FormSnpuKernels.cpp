//===- FormSnpuKernels.cpp - Outline SNPU ops into kernel functions -------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Placement/Passes.h"
#include "sinan/Placement/Placement.h"

#include "sinan/Conversion/GraphToNpu.h"
#include "sinan/Dialect/Graph/IR/GraphDialect.h"
#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Npu/IR/NpuOps.h"
#include "sinan/runtime/Target.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

namespace sinan {
#define GEN_PASS_DEF_FORMSNPUKERNELS
#include "sinan/Placement/Passes.h.inc"
} // namespace sinan

using namespace mlir;
using namespace sinan;

namespace {

/// A symbol for the kernel of `op`, from its ONNX node name when it has one.
std::string kernelName(Operation *op) {
  if (auto named = dyn_cast<NameLoc>(op->getLoc()))
    return placement::kernelSymbol(named.getName().strref());
  return placement::kernelSymbol(op->getName().stripDialect());
}

struct FormSnpuKernelsPass
    : public sinan::impl::FormSnpuKernelsBase<FormSnpuKernelsPass> {
  using FormSnpuKernelsBase::FormSnpuKernelsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<TargetDesc> desc =
        placement::resolvePassTarget(module, target);
    if (!desc)
      return signalPassFailure();
    MLIRContext *context = module.getContext();
    auto targetAttr = npu::TargetAttr::get(context, target);
    SymbolTable symbols(module);
    if (precision != "bf16" && precision != "f32") {
      module.emitError() << "precision must be bf16 or f32, got '" << precision
                         << "'";
      return signalPassFailure();
    }
    // Each kernel: an op and the epilogue it absorbs, by the rules
    // placement and the module writer share.
    SmallVector<SmallVector<Operation *, 2>> chosen;
    llvm::SmallPtrSet<Operation *, 8> absorbed;
    // An attention reads its operands and writes its result through the
    // reshapes, transposes and slices around it, as views: they join its
    // kernel (found first, since the walk meets its operands' first).
    llvm::DenseMap<Operation *, SmallVector<Operation *>> views;
    module.walk([&](graph::AttentionOp op) {
      if (isPlacedOn(op, "cpu") ||
          !placement::snpuSupport(op, *desc, precision == "bf16"))
        return;
      // (A view between two attentions goes with the first.)
      SmallVector<Operation *> around =
          attentionViewOps(op, [&](Operation *view) {
            return !isPlacedOn(view, "cpu") && !absorbed.count(view);
          });
      absorbed.insert(around.begin(), around.end());
      views[op] = std::move(around);
    });
    module.walk([&](func::FuncOp func) {
      if (func->hasAttr(npu::kTargetAttrName))
        return;
      func.walk([&](Operation *op) {
        // sinan-place's choice when it ran.
        // (A reshape needs no kernel: the schedule makes it a view of its
        // operand's bytes, on the device or the host. A resize the SNPU
        // runs is expanded into products and row copies after placement;
        // one still whole here, as a graph no compile pipeline placed,
        // runs on the host.)
        if (!llvm::isa_and_nonnull<graph::GraphDialect>(op->getDialect()) ||
            llvm::isa<graph::ConstantOp, graph::ReshapeOp, graph::ResizeOp>(
                op) ||
            isPlacedOn(op, "cpu") || absorbed.count(op) ||
            !placement::snpuSupport(op, *desc, precision == "bf16"))
          return;
        chosen.push_back({op});
        if (auto it = views.find(op); it != views.end()) {
          // In program order, so the kernel defines each value before use.
          chosen.back().append(it->second.begin(), it->second.end());
          llvm::sort(chosen.back(), [](Operation *a, Operation *b) {
            return a->isBeforeInBlock(b);
          });
          return;
        }
        // An add whose operands are both convolutions (a ResNet downsample
        // block) joins the first one's kernel only.
        for (Operation *next : placement::fusedEpilogue(op, *desc)) {
          if (!absorbed.insert(next).second)
            break;
          chosen.back().push_back(next);
        }
      });
    });
    OpBuilder builder(context);
    for (ArrayRef<Operation *> ops : chosen) {
      Operation *op = ops.front(), *last = ops.back();
      // Named after the attention, not the view before it.
      auto primary = llvm::find_if(ops, llvm::IsaPred<graph::AttentionOp>);
      builder.setInsertionPointToEnd(module.getBody());
      func::FuncOp kernel = outlineSnpuKernel(
          builder, ops, kernelName(primary != ops.end() ? *primary : op),
          targetAttr);
      symbols.insert(kernel); // Renames on a clash.

      builder.setInsertionPoint(last);
      auto launch = npu::LaunchOp::create(
          builder, op->getLoc(), last->getResultTypes(),
          FlatSymbolRefAttr::get(kernel.getSymNameAttr()), kernelOperands(ops));
      last->replaceAllUsesWith(launch->getResults());
      for (Operation *dead : llvm::reverse(ops))
        dead->erase();
    }
  }
};

} // namespace
