//===- PlanMemory.cpp - Arena offsets for a schedule's values -------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Dialect/Sched/Transforms/Passes.h"

#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Npu/IR/NpuOps.h"
#include "sinan/runtime/module/Module.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <algorithm>
#include <map>

namespace sinan::sched {
#define GEN_PASS_DEF_SCHEDPLANMEMORY
#include "sinan/Dialect/Sched/Transforms/Passes.h.inc"
} // namespace sinan::sched

using namespace mlir;
using namespace sinan::sched;

namespace {

/// Bytes of a static tensor value rounded up to whole alignment units
/// (at least one), or nullopt for a type a module cannot hold.
std::optional<int64_t> slotBytes(Value value) {
  constexpr int64_t kAlign = sinan::module::kDataAlignment;
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !type.hasStaticShape() || !type.getElementType().isIntOrFloat())
    return std::nullopt;
  int64_t bytes =
      type.getNumElements() * ((type.getElementTypeBitWidth() + 7) / 8);
  return std::max<int64_t>((bytes + kAlign - 1) / kAlign * kAlign, kAlign);
}

/// First-fit placement in one arena: offset -> size of the live values.
struct Arena {
  std::map<int64_t, int64_t> live;
  int64_t size = 0;

  int64_t allocate(int64_t bytes) {
    int64_t at = 0;
    for (auto [offset, length] : live) {
      if (offset >= at + bytes)
        break;
      at = std::max(at, offset + length);
    }
    live[at] = bytes;
    size = std::max(size, at + bytes);
    return at;
  }
};

struct PlanMemoryPass
    : public sinan::sched::impl::SchedPlanMemoryBase<PlanMemoryPass> {
  void runOnOperation() override;
};

void PlanMemoryPass::runOnOperation() {
  func::FuncOp func = getOperation();
  if (func->hasAttr(sinan::npu::kTargetAttrName) || func.isExternal())
    return;
  if (!func.getBody().hasOneBlock()) {
    func.emitError("a schedule is one block of steps");
    return signalPassFailure();
  }
  Block &block = func.getBody().front();
  SmallVector<Operation *> steps;
  for (Operation &op : block.without_terminator())
    steps.push_back(&op);
  Operation *terminator = block.getTerminator();
  // The step reading each value last (the return counts as a step after
  // all others: outputs copied at the end read their sources then).
  llvm::DenseMap<Value, int64_t> lastUse;
  for (auto [index, op] : llvm::enumerate(steps))
    for (Value operand : op->getOperands())
      lastUse[operand] = index;
  for (Value operand : terminator->getOperands())
    lastUse[operand] = steps.size();
  // An op result returned (first at its place) is a model output, which
  // the caller's memory holds.
  llvm::DenseSet<Value> outputs;
  for (Value operand : terminator->getOperands())
    if (operand.getDefiningOp() &&
        !operand.getDefiningOp<sinan::graph::ConstantOp>() &&
        !onDevice(operand))
      outputs.insert(operand);

  // Values that share bytes with another's slot: `rootOf` gives the value
  // whose slot holds them and where in it. A concatenation view's operands
  // lie in its result's slot, end to end (the latest views first: an
  // earlier view may itself be an operand of a later one).
  ConcatLayout layout;
  for (Operation *op : llvm::reverse(steps)) {
    auto concat = dyn_cast<ConcatOp>(op);
    if (!concat)
      continue;
    bool intermediates = llvm::all_of(concat.getInputs(), [&](Value input) {
      return input.getDefiningOp() && !outputs.count(input);
    });
    // Values their own steps write never share bytes (only a view's are
    // its operands').
    auto written = [](Value value) {
      return !value.getDefiningOp<sinan::graph::ReshapeOp>() &&
             !value.getDefiningOp<ConcatOp>();
    };
    auto canPlace = [&](Value value, ConcatLayout::Place place) {
      std::optional<int64_t> bytes = slotBytes(value);
      return !written(value) ||
             (bytes &&
              !layout.overlapsWritten(
                  value, place,
                  byteSize(cast<RankedTensorType>(value.getType())), written));
    };
    if (!intermediates || !layout.add(concat.getResult(), concat.getInputs(),
                                      concat.operandOffsets(), canPlace)) {
      concat.emitError("an operand cannot lie in this concatenation's bytes "
                       "(it is no intermediate, another concatenation "
                       "places it elsewhere, or another value is written "
                       "there)");
      return signalPassFailure();
    }
  }
  for (auto [value, place] : layout.places())
    if (!value.getDefiningOp() || outputs.count(value)) {
      value.getParentBlock()->getParentOp()->emitError(
          "a value a concatenation view places in its bytes is no "
          "intermediate");
      return signalPassFailure();
    }
  llvm::DenseMap<Value, std::pair<Value, int64_t>> rootOf(
      layout.places().begin(), layout.places().end());
  auto placeOf = [&](Value v) {
    auto it = rootOf.find(v);
    return it == rootOf.end() ? std::pair(v, int64_t(0)) : it->second;
  };
  // A reshape's result shares the bytes of its operand when that is an
  // intermediate of the host arena and the result no model output: the
  // step then copies nothing. On the device it always does (the module's
  // view step). The shared slot lives until the last read of either.
  // A slice view's result lies in its operand's slot, its run's offset in.
  for (Operation *op : steps) {
    if (auto slice = dyn_cast<SliceOp>(op)) {
      auto [root, offset] = placeOf(slice.getInput());
      if (!root.getDefiningOp() || outputs.count(root)) {
        slice.emitError("a slice view needs an intermediate operand");
        return signalPassFailure();
      }
      rootOf[slice.getResult()] = {root, offset + slice.byteOffset()};
      continue;
    }
    auto reshape = dyn_cast<sinan::graph::ReshapeOp>(op);
    if (!reshape)
      continue;
    Value in = reshape.getInput(), result = reshape.getResult();
    auto [root, offset] = placeOf(in);
    Operation *producer = root.getDefiningOp();
    bool device = onDevice(result);
    if (device && (!producer || onDevice(root) != device ||
                   slotBytes(in) != slotBytes(result))) {
      reshape.emitError("a reshape of a device value must share its bytes");
      return signalPassFailure();
    }
    if (!device &&
        (!producer || llvm::isa<sinan::graph::ConstantOp>(producer) ||
         outputs.count(root) || outputs.count(result) || onDevice(root) ||
         slotBytes(in) != slotBytes(result) || llvm::isa<ToDeviceOp>(producer)))
      continue;
    rootOf[result] = {root, offset};
  }
  // A shared slot lives until the last read of any value in it.
  for (auto [value, place] : rootOf)
    if (auto it = lastUse.find(value); it != lastUse.end())
      lastUse[place.first] = std::max(lastUse.lookup(place.first), it->second);
  auto rootValue = [&](Value v) { return placeOf(v).first; };

  Arena arenas[2]; // host, device
  llvm::DenseMap<Value, int64_t> offsets;
  llvm::DenseSet<Value> pinned;
  auto place = [&](Value value) -> bool {
    std::optional<int64_t> bytes = slotBytes(value);
    if (!bytes) {
      value.getDefiningOp()->emitError()
          << "result of type " << value.getType()
          << " cannot be placed in an arena (modules need static shapes; fix "
             "dynamic dimensions with --input-shape)";
      return false;
    }
    offsets[value] = arenas[onDevice(value)].allocate(*bytes);
    return true;
  };
  // Device copies of constants first, for good: sessions keep them.
  for (Operation *op : steps)
    if (auto copy = dyn_cast<ToDeviceOp>(op))
      if (copy.getInput().getDefiningOp<sinan::graph::ConstantOp>()) {
        if (!place(copy.getResult()))
          return signalPassFailure();
        pinned.insert(copy.getResult());
      }
  auto free = [&](Value value) {
    auto it = offsets.find(value);
    if (it != offsets.end() && !pinned.count(value))
      arenas[onDevice(value)].live.erase(it->second);
  };
  for (auto [index, op] : llvm::enumerate(steps)) {
    if (llvm::isa<sinan::graph::ConstantOp>(op))
      continue;
    SmallVector<Value> dead;
    for (Value result : op->getResults()) {
      if (pinned.count(result) || outputs.count(result))
        continue;
      // A value in another's slot: the slot is made with the first value
      // written into it (a concatenation's first operand).
      auto [root, offset] = placeOf(result);
      if (!offsets.count(root) && !place(root))
        return signalPassFailure();
      if (root != result) {
        offsets[result] = offsets.lookup(root) + offset;
        continue;
      }
      if (!lastUse.count(result))
        dead.push_back(result); // Never read (e.g. unused top_k indices).
    }
    for (Value operand : op->getOperands())
      if (lastUse.lookup(rootValue(operand)) == int64_t(index))
        dead.push_back(rootValue(operand));
    for (Value value : dead)
      free(value);
  }
  Builder b(func.getContext());
  for (Operation *op : steps) {
    if (llvm::isa<sinan::graph::ConstantOp>(op) || op->getNumResults() == 0)
      continue;
    SmallVector<int64_t> at;
    for (Value result : op->getResults()) {
      auto it = offsets.find(result);
      at.push_back(it == offsets.end() ? -1 : it->second);
    }
    op->setAttr(kOffsetsAttrName, b.getDenseI64ArrayAttr(at));
  }
  func->setAttr(kHostArenaAttrName, b.getI64IntegerAttr(arenas[0].size));
  func->setAttr(kDeviceArenaAttrName, b.getI64IntegerAttr(arenas[1].size));
}

} // namespace
