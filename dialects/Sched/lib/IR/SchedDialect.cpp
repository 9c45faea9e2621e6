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
  // So do a concatenation and a slice view.
  if (auto concat = dyn_cast_or_null<ConcatOp>(producer))
    return !concat.getInputs().empty() && onDevice(concat.getInputs()[0]);
  if (auto slice = dyn_cast_or_null<SliceOp>(producer))
    return onDevice(slice.getInput());
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

ConcatLayout::Place ConcatLayout::placeOf(Value value) const {
  auto it = placed.find(value);
  return it == placed.end() ? Place(value, 0) : it->second;
}

bool ConcatLayout::add(Value result, ValueRange inputs,
                       ArrayRef<int64_t> offsets,
                       function_ref<bool(Value, Place)> canPlace) {
  // Each operand at its offset and, through reshapes (views of the same
  // bytes), the value whose producer writes them.
  SmallVector<Place> parts;
  for (auto [input, offset] : llvm::zip(inputs, offsets))
    for (Value value = input; value;) {
      parts.push_back(Place(value, offset));
      auto reshape = value.getDefiningOp<graph::ReshapeOp>();
      value = reshape ? reshape.getInput() : Value();
    }
  std::optional<Place> base;
  if (auto it = placed.find(result); it != placed.end())
    base = it->second;
  for (auto [part, offset] : parts)
    if (auto it = placed.find(part); !base && it != placed.end())
      base = Place(it->second.first, it->second.second - offset);
  if (!base)
    base = Place(result, 0);
  // The result must lie inside its root's bytes, or (when only its operands
  // placed it) contain them: a later, smaller concatenation of some of its
  // operands took the slot first, which then moves inside the result's.
  auto bytesOf = [](Value value) {
    return byteSize(cast<RankedTensorType>(value.getType()));
  };
  int64_t size = bytesOf(result);
  bool reroot = false;
  if (base->first != result) {
    int64_t rootSize = bytesOf(base->first);
    bool inside = base->second >= 0 && base->second + size <= rootSize;
    reroot = !inside && !placed.count(result) && base->second <= 0 &&
             base->second + size >= rootSize;
    if (!inside && !reroot)
      return false;
  }
  for (auto [part, offset] : parts) {
    Place want(base->first, base->second + offset);
    auto it = placed.find(part);
    if (part == base->first || (it != placed.end() && it->second != want) ||
        (it == placed.end() && canPlace && !canPlace(part, want)))
      return false;
  }
  if (reroot) {
    Value root = base->first;
    for (auto &[value, at] : placed)
      if (at.first == root)
        at = Place(result, at.second - base->second);
    placed[root] = Place(result, -base->second);
    base = Place(result, 0);
  }
  if (base->first != result)
    placed[result] = *base;
  for (auto [part, offset] : parts)
    placed[part] = Place(base->first, base->second + offset);
  return true;
}

bool ConcatLayout::overlapsWritten(Value value, Place place, int64_t bytes,
                                   function_ref<bool(Value)> written) const {
  for (auto [other, at] : placed)
    if (other != value && at.first == place.first && written(other) &&
        at.second < place.second + bytes &&
        place.second <
            at.second + byteSize(cast<RankedTensorType>(other.getType())))
      return true;
  return false;
}

int64_t sinan::sched::byteSize(RankedTensorType type) {
  return type.getNumElements() *
         ((type.getElementType().getIntOrFloatBitWidth() + 7) / 8);
}

SmallVector<int64_t> ConcatOp::operandOffsets() {
  SmallVector<int64_t> offsets;
  int64_t at = 0;
  for (Value input : getInputs()) {
    offsets.push_back(at);
    at += byteSize(cast<RankedTensorType>(input.getType()));
  }
  return offsets;
}

LogicalResult ConcatOp::verify() {
  auto result = cast<RankedTensorType>(getResult().getType());
  int64_t axis = getAxis();
  if (getInputs().empty())
    return emitOpError("needs at least one operand");
  if (axis < 0 || axis >= result.getRank())
    return emitOpError("axis ")
           << axis << " is outside the result's rank " << result.getRank();
  if (!result.getElementType().isIntOrFloat())
    return emitOpError("needs integer or float elements");
  for (int64_t d = 0; d < axis; ++d)
    if (result.getDimSize(d) != 1)
      return emitOpError("dimension ")
             << d << " before the axis is " << result.getDimSize(d)
             << ", not 1: the operands would not lie end to end";
  int64_t along = 0;
  bool device = onDevice(getInputs()[0]);
  for (auto [i, input] : llvm::enumerate(getInputs())) {
    auto type = cast<RankedTensorType>(input.getType());
    if (type.getElementType() != result.getElementType() ||
        type.getRank() != result.getRank())
      return emitOpError("operand ")
             << i << " has type " << type
             << ", not the result's element type and rank";
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (d != axis && type.getDimSize(d) != result.getDimSize(d))
        return emitOpError("operand ")
               << i << " differs from the result in dimension " << d;
    along += type.getDimSize(axis);
    if (onDevice(input) != device)
      return emitOpError("operand ")
             << i << " lives in the other memory than operand 0";
  }
  if (along != result.getDimSize(axis))
    return emitOpError("operands sum to ")
           << along << " along the axis, the result has "
           << result.getDimSize(axis);
  return success();
}

int64_t SliceOp::byteOffset() {
  auto type = cast<RankedTensorType>(getInput().getType());
  int64_t inner = 1;
  for (int64_t d = getAxis() + 1; d < type.getRank(); ++d)
    inner *= type.getDimSize(d);
  return getStart() * inner *
         ((type.getElementType().getIntOrFloatBitWidth() + 7) / 8);
}

LogicalResult SliceOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getResult().getType());
  int64_t axis = getAxis(), start = getStart();
  if (in.getElementType() != out.getElementType() ||
      in.getRank() != out.getRank() || !in.getElementType().isIntOrFloat())
    return emitOpError("result type ")
           << out << " must have the operand's element type and rank";
  if (axis < 0 || axis >= in.getRank())
    return emitOpError("axis ")
           << axis << " is outside the rank " << in.getRank();
  for (int64_t d = 0; d < in.getRank(); ++d) {
    if (d < axis && in.getDimSize(d) != 1)
      return emitOpError("dimension ")
             << d << " before the axis is " << in.getDimSize(d)
             << ", not 1: the result would not be one run";
    if (d > axis && in.getDimSize(d) != out.getDimSize(d))
      return emitOpError("dimension ")
             << d << " after the axis must be whole: the result would not "
             << "be one run";
  }
  if (start < 0 || start + out.getDimSize(axis) > in.getDimSize(axis))
    return emitOpError("elements ")
           << start << " to " << start + out.getDimSize(axis)
           << " along the axis are outside the operand's "
           << in.getDimSize(axis);
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
