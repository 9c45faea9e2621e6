//===- SchedDialect.cpp - sched dialect -----------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Dialect/Sched/IR/SchedDialect.h"
#include "sinan/Dialect/Sched/IR/SchedOps.h"

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

#define GET_OP_CLASSES
#include "sinan/Dialect/Sched/IR/SchedOps.cpp.inc"
