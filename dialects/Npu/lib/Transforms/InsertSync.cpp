//===- InsertSync.cpp - Order the engines' buffer accesses ----------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Dialect/Npu/Transforms/Passes.h"

namespace sinan::npu {
#define GEN_PASS_DEF_NPUINSERTSYNC
#include "sinan/Dialect/Npu/Transforms/Passes.h.inc"
} // namespace sinan::npu

using namespace mlir;
using namespace sinan::npu;

namespace {
struct InsertSyncPass : public sinan::npu::impl::NpuInsertSyncBase<InsertSyncPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (!func->hasAttr(kTargetAttrName))
      return;
    SmallVector<Operation *> engineOps;
    func.walk([&](Operation *op) {
      if (isa<DmaLoadOp, DmaStoreOp, FillOp, MmaOp>(op))
        engineOps.push_back(op);
    });
    OpBuilder builder(func.getContext());
    for (Operation *op : engineOps) {
      Operation *next = op->getNextNode();
      if (next && isa<BarrierOp>(next))
        continue;
      builder.setInsertionPointAfter(op);
      BarrierOp::create(builder, op->getLoc());
    }
  }
};
} // namespace
