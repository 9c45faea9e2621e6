//===- MaterializeBroadcasts.cpp - Constants the SNPU need not broadcast --===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// See the pass description in Passes.td: a constant operand that the SNPU
// cannot broadcast becomes the constant of the result's shape, when the
// SNPU then runs the op.
//
//===----------------------------------------------------------------------===//

#include "sinan/Placement/Passes.h"

#include "sinan/Bridge/RuntimeBridge.h"
#include "sinan/Conversion/GraphToNpu.h"
#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Placement/Placement.h"
#include "sinan/runtime/Target.h"
#include "sinan/runtime/ref/Kernels.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace sinan {
#define GEN_PASS_DEF_MATERIALIZEBROADCASTS
#include "sinan/Placement/Passes.h.inc"
} // namespace sinan

using namespace mlir;
using namespace sinan;

namespace {

/// `values` repeated to `to`'s shape by NumPy's broadcasting (the
/// reference's broadcast_to, so the repeated constant holds what the host's
/// broadcasting add would have read).
DenseElementsAttr repeated(DenseElementsAttr values, RankedTensorType to) {
  Tensor full(DType::F32,
              std::vector<int64_t>(to.getShape().begin(), to.getShape().end()));
  ref::broadcastTo(toTensor(values), full);
  return toAttr(full, to);
}

/// Whether `from` broadcasts to `to` (NumPy's rule, `from` not longer).
bool broadcasts(ArrayRef<int64_t> from, ArrayRef<int64_t> to) {
  if (from.size() > to.size())
    return false;
  int64_t lead = int64_t(to.size()) - int64_t(from.size());
  for (size_t d = 0; d < from.size(); ++d)
    if (from[d] != 1 && from[d] != to[d + lead])
      return false;
  return true;
}

struct MaterializeBroadcastsPass
    : public sinan::impl::MaterializeBroadcastsBase<MaterializeBroadcastsPass> {
  using MaterializeBroadcastsBase::MaterializeBroadcastsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<TargetDesc> desc =
        placement::resolvePassTarget(module, target);
    if (!desc)
      return signalPassFailure();
    SmallVector<Operation *> binary;
    module.walk([&](Operation *op) {
      if (isa<graph::AddOp, graph::SubOp, graph::MulOp, graph::DivOp,
              graph::MaxOp, graph::MinOp>(op))
        binary.push_back(op);
    });
    for (Operation *op : binary)
      materialize(op, *desc);
  }

  void materialize(Operation *op, const TargetDesc &desc) {
    auto result = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!result || !result.hasStaticShape() ||
        !result.getElementType().isF32() ||
        result.getNumElements() * 4 > maxBytes || isSnpuElementwise(op, desc))
      return;
    for (unsigned i : {1u, 0u}) {
      auto constant = op->getOperand(i).getDefiningOp<graph::ConstantOp>();
      auto other = op->getOperand(1 - i).getType();
      auto values =
          constant ? dyn_cast<DenseElementsAttr>(constant.getValue()) : nullptr;
      if (!values || values.isSplat() || other != result ||
          values.getType() == result ||
          !broadcasts(values.getType().getShape(), result.getShape()))
        continue;
      OpBuilder builder(op);
      auto full = graph::ConstantOp::create(builder, constant.getLoc(),
                                            repeated(values, result));
      op->setOperand(i, full.getResult());
      if (isSnpuElementwise(op, desc)) {
        if (constant->use_empty())
          constant->erase();
        return;
      }
      op->setOperand(i, constant.getResult());
      full->erase();
    }
  }
};

} // namespace
