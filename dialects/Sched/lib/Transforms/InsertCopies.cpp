//===- InsertCopies.cpp - Explicit host<->device copies -------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Dialect/Sched/Transforms/Passes.h"

#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Npu/IR/NpuOps.h"

#include "llvm/ADT/DenseMap.h"

namespace sinan::sched {
#define GEN_PASS_DEF_SCHEDINSERTCOPIES
#include "sinan/Dialect/Sched/Transforms/Passes.h.inc"
} // namespace sinan::sched

using namespace mlir;
using namespace sinan::sched;

namespace {

struct InsertCopiesPass
    : public sinan::sched::impl::SchedInsertCopiesBase<InsertCopiesPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func->hasAttr(sinan::npu::kTargetAttrName) || func.isExternal())
      return;
    OpBuilder builder(func.getContext());
    // One copy per value and direction, shared by every later user.
    llvm::DenseMap<Value, Value> copies;
    auto copyOf = [&](Value value, bool toDevice, Operation *user) {
      Value &copy = copies[value];
      if (copy)
        return copy;
      builder.setInsertionPoint(user);
      Location loc = value.getLoc();
      copy = toDevice ? ToDeviceOp::create(builder, loc, value.getType(), value)
                            .getResult()
                      : ToHostOp::create(builder, loc, value.getType(), value)
                            .getResult();
      return copy;
    };
    for (Block &block : func.getBody())
      for (Operation &op : llvm::make_early_inc_range(block)) {
        // (A view's operands are where it is.)
        if (llvm::isa<ToDeviceOp, ToHostOp, ConcatOp, SliceOp>(op))
          continue;
        // A reshape stays where its operand is (a view of a device value).
        bool wantsDevice = llvm::isa<sinan::npu::LaunchOp>(op) ||
                           (llvm::isa<sinan::graph::ReshapeOp>(op) &&
                            onDevice(op.getOperand(0)));
        for (OpOperand &operand : op.getOpOperands())
          if (llvm::isa<RankedTensorType>(operand.get().getType()) &&
              onDevice(operand.get()) != wantsDevice)
            operand.set(copyOf(operand.get(), wantsDevice, &op));
      }
  }
};

} // namespace
