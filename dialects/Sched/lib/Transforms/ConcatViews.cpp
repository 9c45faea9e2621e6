//===- ConcatViews.cpp - Concatenations written in place ------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A concatenation along an axis with only ones before it is its operands'
// bytes end to end. When every operand is an intermediate that its
// producer can write straight into its part of the result, the copy is
// unnecessary: the concat becomes a sched.concat view and
// sinan-plan-memory places the operands inside the result's slot. DenseNet
// concatenates every earlier feature map before each layer, so its copies
// grow quadratically; as views its features are written once, each
// concatenation a prefix of the block's last.
//
//===----------------------------------------------------------------------===//

#include "sinan/Dialect/Sched/Transforms/Passes.h"

#include "Views.h"

#include "sinan/Dialect/Graph/IR/GraphDialect.h"
#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Npu/IR/NpuOps.h"
#include "sinan/runtime/module/Module.h"

#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

namespace sinan::sched {
#define GEN_PASS_DEF_SCHEDCONCATVIEWS
#include "sinan/Dialect/Sched/Transforms/Passes.h.inc"
} // namespace sinan::sched

using namespace mlir;
using namespace sinan;
using namespace sinan::sched;

namespace {

/// A concatenation the schedule runs as a step: a host graph.concat, or
/// the launch of a kernel whose body is a graph.concat of its arguments in
/// order and nothing else.
struct Candidate {
  Operation *op = nullptr;
  ValueRange inputs;
  int64_t axis = 0;
  Value result;
};

std::optional<Candidate> asCandidate(Operation *op, SymbolTable &symbols) {
  if (auto concat = dyn_cast<graph::ConcatOp>(op)) {
    auto placed = concat->getAttrOfType<StringAttr>(sinan::kPlacementAttrName);
    if (placed && placed.getValue() == "snpu")
      return std::nullopt;
    return Candidate{op, concat.getInputs(), concat.getAxis(),
                     concat.getResult()};
  }
  auto launch = dyn_cast<npu::LaunchOp>(op);
  auto concat = launch ? soleKernelOp<graph::ConcatOp>(launch, symbols)
                       : graph::ConcatOp();
  if (!concat)
    return std::nullopt;
  return Candidate{op, launch.getArgs(), concat.getAxis(),
                   launch->getResult(0)};
}

/// Replaces the schedule's concatenations that can be views.
void concatViews(func::FuncOp func, SymbolTable &symbols,
                 EmptiedKernels &emptied) {
  Block &block = func.getBody().front();
  llvm::DenseSet<Value> returned = modelOutputs(block);
  SmallVector<Candidate> candidates;
  for (Operation &op : block.without_terminator())
    if (std::optional<Candidate> c = asCandidate(&op, symbols))
      candidates.push_back(*c);

  // A value can be written in place when one step of the schedule writes
  // all of it in the concatenation's memory: not an argument, a constant or
  // a model output (the caller's memory). A reshape's bytes are its
  // input's: those are written in place (YOLO's heads reshape each scale's
  // predictions before concatenating them).
  auto writable = [&](Value value, bool device) {
    while (auto reshape = value.getDefiningOp<graph::ReshapeOp>()) {
      if (returned.count(value))
        return false;
      value = reshape.getInput();
    }
    Operation *producer = value.getDefiningOp();
    if (!producer || returned.count(value) ||
        llvm::isa<graph::ConstantOp>(producer))
      return false;
    if (device)
      return llvm::isa<npu::LaunchOp>(producer);
    return !llvm::isa<npu::LaunchOp>(producer) &&
           (llvm::isa<graph::GraphDialect>(producer->getDialect()) ||
            llvm::isa<HostKernelOp>(producer));
  };

  // The latest concatenation first: an operand of a later one is placed
  // before the earlier concatenation that makes it asks where its own
  // operands go, so DenseNet's concatenations all become prefixes of the
  // block's last. Nothing changes until all are decided.
  ConcatLayout layout;
  llvm::DenseSet<Value> candidateResults;
  for (Candidate &c : candidates)
    candidateResults.insert(c.result);
  // Bytes a step writes itself: not a reshape's (its input's) and not a
  // candidate's, which is a view if accepted (or else checked below).
  auto written = [&](Value value) {
    return !value.getDefiningOp<graph::ReshapeOp>() &&
           !candidateResults.count(value);
  };
  // Two values written by their own steps never share bytes (concat(a, b)
  // and concat(x, b) must not put x where a is).
  auto canPlace = [&](Value value, ConcatLayout::Place place) {
    return !written(value) ||
           !layout.overlapsWritten(
               value, place, byteSize(cast<RankedTensorType>(value.getType())),
               written);
  };
  constexpr int64_t kAlign = int64_t(module::kDataAlignment);
  SmallVector<Candidate *> accepted;
  llvm::DenseSet<Value> acceptedResults;
  for (Candidate &c : llvm::reverse(candidates)) {
    auto type = cast<RankedTensorType>(c.result.getType());
    if (!type.hasStaticShape() || !type.getElementType().isIntOrFloat() ||
        returned.count(c.result) || c.axis < 0 || c.axis >= type.getRank())
      continue;
    bool lined = true;
    for (int64_t d = 0; d < c.axis; ++d)
      lined &= type.getDimSize(d) == 1;
    bool device = llvm::isa<npu::LaunchOp>(c.op);
    llvm::DenseSet<Value> seen;
    SmallVector<int64_t> offsets;
    int64_t at = 0;
    for (Value input : c.inputs) {
      auto inputType = cast<RankedTensorType>(input.getType());
      lined &= inputType.hasStaticShape() &&
               inputType.getElementType() == type.getElementType() &&
               at % kAlign == 0 && seen.insert(input).second &&
               writable(input, device);
      offsets.push_back(at);
      if (inputType.hasStaticShape())
        at += byteSize(inputType);
    }
    if (lined && layout.add(c.result, c.inputs, offsets, canPlace)) {
      accepted.push_back(&c);
      acceptedResults.insert(c.result);
    }
  }
  // A candidate placed inside a slot as an operand but not made a view
  // would copy over the bytes of values placed there: nothing of that slot
  // becomes a view then.
  llvm::DenseSet<Value> spoiled;
  for (Candidate &c : candidates)
    if (!acceptedResults.count(c.result) && layout.places().count(c.result))
      spoiled.insert(layout.placeOf(c.result).first);

  for (Candidate *c : accepted) {
    if (spoiled.count(layout.placeOf(c->result).first))
      continue;
    OpBuilder builder(c->op);
    auto view = ConcatOp::create(builder, c->op->getLoc(), c->result.getType(),
                                 c->inputs, builder.getI64IntegerAttr(c->axis));
    c->result.replaceAllUsesWith(view.getResult());
    if (auto launch = dyn_cast<npu::LaunchOp>(c->op))
      if (Operation *kernel = symbols.lookup(launch.getKernel()))
        emptied.insert(kernel);
    c->op->erase();
  }
}

struct ConcatViewsPass
    : public sinan::sched::impl::SchedConcatViewsBase<ConcatViewsPass> {
  void runOnOperation() override {
    forEachSchedule(getOperation(), concatViews);
  }
};

} // namespace
