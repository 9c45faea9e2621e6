//===- SchedDialect.cpp - sched dialect -----------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Dialect/Sched/IR/SchedDialect.h"
#include "sinan/Dialect/Sched/IR/SchedOps.h"

#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Npu/IR/NpuOps.h"

#include "mlir/IR/DialectImplementation.h"

using namespace mlir;
using namespace sinan::sched;

#include "sinan/Dialect/Sched/IR/SchedDialect.cpp.inc"

void SchedDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "sinan/Dialect/Sched/IR/SchedOps.cpp.inc"
      >();
}

bool sinan::sched::onDevice(Value value) {
  Operation *producer = value.getDefiningOp();
  // A reshape lives where its operand does: of a device value, a view.
  if (auto reshape = dyn_cast_or_null<graph::ReshapeOp>(producer))
    return onDevice(reshape.getInput());
  return producer && llvm::isa<ToDeviceOp, npu::LaunchOp>(producer);
}

LogicalResult ToDeviceOp::verify() {
  if (onDevice(getInput()))
    return emitOpError("copies a value that is already on the device");
  return success();
}

LogicalResult ToHostOp::verify() {
  if (!onDevice(getInput()))
    return emitOpError("copies a value that is not on the device (only an "
                       "npu.launch or a sched.to_device makes one)");
  return success();
}

SmallVector<Operation *, 3> HostKernelOp::chain() {
  SmallVector<Operation *, 3> ops;
  for (Operation &op : getBody().front().without_terminator())
    ops.push_back(&op);
  return ops;
}

LogicalResult HostKernelOp::verify() {
  Block &body = getBody().front();
  if (body.getArgumentTypes() != getArgs().getTypes())
    return emitOpError("body arguments must have the operands' types");
  SmallVector<Operation *, 3> ops = chain();
  if (ops.empty())
    return emitOpError("needs at least one op in its body");
  for (auto [i, op] : llvm::enumerate(ops)) {
    if (op->getDialect() == nullptr ||
        op->getDialect()->getNamespace() != "graph" || op->getNumResults() != 1)
      return emitOpError("body ops must be graph ops with one result, got '")
             << op->getName() << "'";
    if (i > 0 &&
        !llvm::is_contained(op->getOperands(), ops[i - 1]->getResult(0)))
      return emitOpError("body op ")
             << i << " ('" << op->getName()
             << "') does not use the result of the op before it";
  }
  for (size_t i = 0; i + 1 < ops.size(); ++i)
    if (!ops[i]->getResult(0).hasOneUse())
      return emitOpError("body op ")
             << i << "'s result has uses outside the chain";
  auto yield = cast<YieldOp>(body.getTerminator());
  if (yield.getValue() != ops.back()->getResult(0))
    return emitOpError("must yield the last op's result");
  if (yield.getValue().getType() != getResult().getType())
    return emitOpError("result type ")
           << getResult().getType() << " differs from the yielded "
           << yield.getValue().getType();
  return success();
}

#define GET_OP_CLASSES
#include "sinan/Dialect/Sched/IR/SchedOps.cpp.inc"
