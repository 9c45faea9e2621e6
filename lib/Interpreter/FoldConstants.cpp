//===- FoldConstants.cpp - Evaluate ops of constants ----------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Constant folding by evaluation: the reference kernels define every op's
// values, so folding with them cannot disagree with any later check.
//
//===----------------------------------------------------------------------===//

#include "sinan/Interpreter/Passes.h"

#include "sinan/Bridge/RuntimeBridge.h"
#include "sinan/Dialect/Graph/IR/GraphDialect.h"
#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Interpreter/Evaluator.h"

namespace sinan {
#define GEN_PASS_DEF_FOLDCONSTANTS
#include "sinan/Interpreter/Passes.h.inc"
} // namespace sinan

using namespace mlir;

Value sinan::foldConstantOp(Operation *op, OpBuilder &builder,
                            int64_t maxElements) {
  if (isa<graph::ConstantOp>(op) || op->getNumResults() != 1 ||
      !isa_and_nonnull<graph::GraphDialect>(op->getDialect()))
    return {};
  auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!type || !type.hasStaticShape() || type.getNumElements() > maxElements)
    return {};
  std::vector<Tensor> operands;
  for (Value v : op->getOperands()) {
    auto constant = v.getDefiningOp<graph::ConstantOp>();
    auto dense = constant ? dyn_cast<DenseElementsAttr>(constant.getValue())
                          : DenseElementsAttr();
    if (!dense)
      return {};
    operands.push_back(toTensor(dense));
  }
  std::vector<const Tensor *> pointers;
  for (const Tensor &t : operands)
    pointers.push_back(&t);
  std::string error;
  std::optional<std::vector<Tensor>> results = evaluateOp(op, pointers, error);
  if (!results ||
      (*results)[0].shape() !=
          std::vector<int64_t>(type.getShape().begin(), type.getShape().end()))
    return {}; // Left for the verifier or the run to report.
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPoint(op);
  Value folded = graph::ConstantOp::create(builder, op->getLoc(),
                                           toAttr((*results)[0], type));
  op->getResult(0).replaceAllUsesWith(folded);
  op->erase();
  return folded;
}

namespace {

struct FoldConstants : public sinan::impl::FoldConstantsBase<FoldConstants> {
  using FoldConstantsBase::FoldConstantsBase;

  void runOnOperation() override {
    // Program order: an op's operands fold before it.
    SmallVector<Operation *> ops;
    getOperation()->walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa_and_nonnull<sinan::graph::GraphDialect>(op->getDialect()))
        ops.push_back(op);
    });
    OpBuilder builder(&getContext());
    for (Operation *op : ops)
      sinan::foldConstantOp(op, builder, maxElements);
    // The constants the folds consumed (and any other unused one).
    getOperation()->walk([](sinan::graph::ConstantOp constant) {
      if (constant->use_empty())
        constant->erase();
    });
  }
};

} // namespace
