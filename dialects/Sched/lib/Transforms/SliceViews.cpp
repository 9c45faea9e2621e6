//===- SliceViews.cpp - Slices that are runs of their operand's bytes -----===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A slice that keeps a range of one axis, with only ones before it and
// every later axis whole, is one contiguous run of its operand's bytes: a
// view, not a copy. ShuffleNet splits each block's channels in two this way.
//
//===----------------------------------------------------------------------===//

#include "sinan/Dialect/Sched/Transforms/Passes.h"

#include "Views.h"

#include "sinan/Dialect/Graph/IR/GraphDialect.h"
#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/runtime/module/Module.h"

#include "llvm/ADT/DenseSet.h"

namespace sinan::sched {
#define GEN_PASS_DEF_SCHEDSLICEVIEWS
#include "sinan/Dialect/Sched/Transforms/Passes.h.inc"
} // namespace sinan::sched

using namespace mlir;
using namespace sinan;
using namespace sinan::sched;

namespace {

/// The axis and start of `slice` as a run of its operand, if it is one:
/// unit steps, ones before the first axis it narrows, whole axes after.
std::optional<std::pair<int64_t, int64_t>> runOf(graph::SliceOp slice) {
  auto in = dyn_cast<RankedTensorType>(slice.getInput().getType());
  auto out = dyn_cast<RankedTensorType>(slice.getResult().getType());
  if (!in || !out || !in.hasStaticShape() || !out.hasStaticShape() ||
      !in.getElementType().isIntOrFloat() ||
      in.getElementType() != out.getElementType() ||
      in.getRank() != out.getRank() || in.getRank() == 0)
    return std::nullopt;
  ArrayRef<int64_t> starts = slice.getStarts(), steps = slice.getSteps();
  int64_t rank = in.getRank();
  if (int64_t(starts.size()) != rank || int64_t(steps.size()) != rank ||
      llvm::any_of(steps, [](int64_t step) { return step != 1; }))
    return std::nullopt;
  // The first axis that is not whole (the last when all are).
  int64_t axis = 0;
  while (axis + 1 < rank && starts[axis] == 0 &&
         out.getDimSize(axis) == in.getDimSize(axis))
    ++axis;
  for (int64_t d = 0; d < rank; ++d)
    if ((d < axis && in.getDimSize(d) != 1) ||
        (d > axis && (starts[d] != 0 || out.getDimSize(d) != in.getDimSize(d))))
      return std::nullopt;
  return std::pair(axis, starts[axis]);
}

/// Whether a concatenation view takes `value` (or a reshape of it).
bool feedsConcatView(Value value) {
  return llvm::any_of(value.getUsers(), [](Operation *user) {
    if (auto reshape = dyn_cast<graph::ReshapeOp>(user))
      return feedsConcatView(reshape.getResult());
    return llvm::isa<ConcatOp>(user);
  });
}

/// Replaces the schedule's slices that can be views.
void sliceViews(func::FuncOp func, SymbolTable &symbols,
                EmptiedKernels &emptied) {
  Block &block = func.getBody().front();
  llvm::DenseSet<Value> returned = modelOutputs(block);
  // The operand must have a slot of its own memory's arena: a launch's
  // result (or a view of one) on the device, a host op's on the host; not
  // an argument, a constant or a model output.
  auto hasSlot = [&](Value value, bool device) {
    Operation *producer = value.getDefiningOp();
    if (!producer || returned.count(value) ||
        llvm::isa<graph::ConstantOp>(producer))
      return false;
    if (device)
      return onDevice(value);
    return !onDevice(value) && !llvm::isa<graph::ReshapeOp>(producer) &&
           (llvm::isa<graph::GraphDialect>(producer->getDialect()) ||
            llvm::isa<HostKernelOp>(producer));
  };
  constexpr int64_t kAlign = int64_t(module::kDataAlignment);
  for (Operation &op : llvm::make_early_inc_range(block.without_terminator())) {
    graph::SliceOp slice;
    Value input, result;
    auto launch = dyn_cast<npu::LaunchOp>(op);
    if (launch) {
      slice = soleKernelOp<graph::SliceOp>(launch, symbols);
      if (slice) {
        input = launch.getArgs()[0];
        result = launch->getResult(0);
      }
    } else if ((slice = dyn_cast<graph::SliceOp>(op))) {
      auto placed = slice->getAttrOfType<StringAttr>(kPlacementAttrName);
      if (placed && placed.getValue() == "snpu")
        continue;
      input = slice.getInput();
      result = slice.getResult();
    }
    if (!slice)
      continue;
    std::optional<std::pair<int64_t, int64_t>> run = runOf(slice);
    // (A concatenation view's operand is written into the concatenation's
    // bytes: it cannot lie in another value's too.)
    if (!run || returned.count(result) || feedsConcatView(result) ||
        !hasSlot(input, launch != nullptr))
      continue;
    OpBuilder builder(&op);
    auto view = SliceOp::create(builder, op.getLoc(), result.getType(), input,
                                builder.getI64IntegerAttr(run->first),
                                builder.getI64IntegerAttr(run->second));
    if (view.byteOffset() % kAlign) {
      view.erase();
      continue;
    }
    result.replaceAllUsesWith(view.getResult());
    if (launch)
      if (Operation *kernel = symbols.lookup(launch.getKernel()))
        emptied.insert(kernel);
    op.erase();
  }
}

struct SliceViewsPass
    : public sinan::sched::impl::SchedSliceViewsBase<SliceViewsPass> {
  void runOnOperation() override {
    forEachSchedule(getOperation(), sliceViews);
  }
};

} // namespace
