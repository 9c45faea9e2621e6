//===- FormHostKernels.cpp - A host op and its epilogue as one step -------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Placement/Passes.h"

#include "sinan/Conversion/GraphToLinalg.h"

#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Npu/IR/NpuOps.h"
#include "sinan/Dialect/Sched/IR/SchedDialect.h"
#include "sinan/Dialect/Sched/IR/SchedOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

namespace sinan {
#define GEN_PASS_DEF_FORMHOSTKERNELS
#include "sinan/Placement/Passes.h.inc"
} // namespace sinan

using namespace mlir;
using namespace sinan;

namespace {

/// The only user of `op`'s result, if it has exactly one.
Operation *onlyUser(Operation *op) {
  Value result = op->getResult(0);
  return result.hasOneUse() ? *result.getUsers().begin() : nullptr;
}

/// Whether `add` adds a residual to `value`: its other operand has the
/// result's type, or (after a matrix product) is a bias row of the
/// result's last dimension.
bool addsResidual(graph::AddOp add, Value value, bool matmul) {
  Value other = add.getLhs() == value ? add.getRhs() : add.getLhs();
  if (other == value || add.getType() != value.getType())
    return false;
  if (other.getType() == value.getType())
    return true;
  auto row = dyn_cast<RankedTensorType>(other.getType());
  auto result = cast<RankedTensorType>(value.getType());
  if (!matmul || !row || !row.hasStaticShape() || row.getRank() == 0 ||
      result.getRank() == 0 ||
      row.getShape().back() != result.getShape().back())
    return false;
  return llvm::all_of(row.getShape().drop_back(),
                      [](int64_t d) { return d == 1; });
}

/// The op and the epilogue it takes: a residual add, then a relu or clip.
SmallVector<Operation *, 3> chainOf(Operation *op) {
  SmallVector<Operation *, 3> chain = {op};
  bool matmul = llvm::isa<graph::MatMulOp>(op);
  Operation *next = onlyUser(op);
  if (auto add = dyn_cast_or_null<graph::AddOp>(next);
      add && addsResidual(add, op->getResult(0), matmul)) {
    chain.push_back(add);
    next = onlyUser(add);
  }
  if (llvm::isa_and_nonnull<graph::ReluOp, graph::ClipOp>(next))
    chain.push_back(next);
  return chain;
}

/// A chain of elementwise ops from `op`: while the last one's result has
/// one user, an elementwise op with a result of the same type, it joins.
/// (A result used twice, or by an op of a smaller result, ends a chain.)
SmallVector<Operation *, 3> elementwiseChainOf(Operation *op) {
  SmallVector<Operation *, 3> chain = {op};
  Type type = op->getResult(0).getType();
  while (Operation *next = onlyUser(chain.back())) {
    if (!isCpuElementwise(next) || next->getResult(0).getType() != type ||
        next->getBlock() != op->getBlock())
      break;
    chain.push_back(next);
  }
  return chain;
}

/// The kernel's operands: the first op's, then each later op's from outside
/// the chain (an epilogue's residual, which the module writer expects
/// last; an elementwise chain's other operands, each once).
SmallVector<Value> operandsOf(ArrayRef<Operation *> chain) {
  SmallVector<Value> operands(chain.front()->getOperands());
  bool elementwise = isCpuElementwise(chain.front());
  for (size_t i = 1; i < chain.size(); ++i)
    for (Value operand : chain[i]->getOperands())
      if (operand != chain[i - 1]->getResult(0) &&
          !(elementwise && llvm::is_contained(operands, operand)))
        operands.push_back(operand);
  return operands;
}

void outline(ArrayRef<Operation *> chain) {
  Operation *last = chain.back();
  OpBuilder builder(last);
  SmallVector<Value> operands = operandsOf(chain);
  auto kernel = sched::HostKernelOp::create(
      builder, chain.front()->getLoc(), last->getResult(0).getType(), operands);
  Block *body = builder.createBlock(&kernel.getBody());
  IRMapping mapping;
  for (Value operand : operands)
    mapping.map(operand,
                body->addArgument(operand.getType(), operand.getLoc()));
  Operation *clone = nullptr;
  for (Operation *op : chain)
    clone = builder.clone(*op, mapping);
  sched::YieldOp::create(builder, last->getLoc(), clone->getResult(0));
  last->getResult(0).replaceAllUsesWith(kernel.getResult());
  for (Operation *op : llvm::reverse(chain))
    op->erase();
}

struct FormHostKernelsPass
    : public sinan::impl::FormHostKernelsBase<FormHostKernelsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func->hasAttr(npu::kTargetAttrName))
      return;
    // An add of two convolutions (a ResNet downsample block) joins the
    // first one's kernel only.
    SmallVector<SmallVector<Operation *, 3>> chains;
    llvm::SmallPtrSet<Operation *, 16> claimed;
    for (Operation &op : func.getBody().front()) {
      if (!llvm::isa<graph::Conv2dOp, graph::MatMulOp>(op) ||
          claimed.count(&op))
        continue;
      SmallVector<Operation *, 3> chain = chainOf(&op);
      while (chain.size() > 1 && claimed.count(chain[1]))
        chain.resize(1);
      if (chain.size() == 1)
        continue;
      claimed.insert(chain.begin(), chain.end());
      chains.push_back(chain);
    }
    // Then chains of elementwise ops the epilogues left.
    for (Operation &op : func.getBody().front()) {
      if (claimed.count(&op) || !isCpuElementwise(&op))
        continue;
      SmallVector<Operation *, 3> chain = elementwiseChainOf(&op);
      while (chain.size() > 1 && claimed.count(chain.back()))
        chain.pop_back();
      if (chain.size() == 1)
        continue;
      claimed.insert(chain.begin(), chain.end());
      chains.push_back(chain);
    }
    for (ArrayRef<Operation *> chain : chains)
      outline(chain);
  }
};

} // namespace
