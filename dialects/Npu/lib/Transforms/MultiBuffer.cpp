//===- MultiBuffer.cpp - Double buffering by unroll-and-rename ------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Dialect/Npu/Transforms/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"

namespace sinan::npu {
#define GEN_PASS_DEF_NPUMULTIBUFFER
#include "sinan/Dialect/Npu/Transforms/Passes.h.inc"
} // namespace sinan::npu

using namespace mlir;
using namespace sinan::npu;

namespace {

/// Whether `loop` owns `value`: it is the innermost loop around every use of
/// `value` (through views) and some use inside it writes the buffer.
bool ownedByLoop(Value value, scf::ForOp loop,
                 SmallVectorImpl<Operation *> &preludes) {
  bool written = false;
  SmallVector<Value> worklist = {value};
  while (!worklist.empty()) {
    Value current = worklist.pop_back_val();
    for (OpOperand &use : current.getUses()) {
      Operation *user = use.getOwner();
      if (isa<memref::DeallocOp>(user))
        continue;
      // A fill just before the loop (zero padding the loop's loads leave
      // alone) belongs to the buffer: each clone gets its own.
      if (isa<FillOp>(user) && current == value &&
          user->getBlock() == loop->getBlock() && user->isBeforeInBlock(loop)) {
        preludes.push_back(user);
        continue;
      }
      if (!loop->isAncestor(user))
        return false;
      if (auto view = dyn_cast<ViewLikeOpInterface>(user)) {
        worklist.push_back(view->getResult(0));
        continue;
      }
      if (auto effects = dyn_cast<MemoryEffectOpInterface>(user))
        written |=
            effects.getEffectOnValue<MemoryEffects::Write>(current).has_value();
    }
  }
  if (!written)
    return false;
  // No loop nested in `loop` contains every use.
  for (Operation &op : loop.getBody()->without_terminator()) {
    auto inner = dyn_cast<scf::ForOp>(op);
    if (!inner)
      continue;
    bool all = true;
    SmallVector<Value> pending = {value};
    while (all && !pending.empty()) {
      Value current = pending.pop_back_val();
      for (Operation *user : current.getUsers()) {
        if (isa<memref::DeallocOp>(user))
          continue;
        if (auto view = dyn_cast<ViewLikeOpInterface>(user)) {
          pending.push_back(view->getResult(0));
          continue;
        }
        all &= inner->isAncestor(user);
      }
    }
    if (all)
      return false;
  }
  return true;
}

/// The buffer `value` views: its alloc or the kernel argument.
Value rootOf(Value value) {
  while (auto view = value.getDefiningOp<ViewLikeOpInterface>())
    value = view.getViewSource();
  return value;
}

/// Whether `a` and `b` may touch the same buffer with at least one write,
/// or either has effects it does not name (then nothing moves past it).
bool conflict(Operation *a, Operation *b) {
  auto effectsOf = [](Operation *op,
                      SmallVectorImpl<MemoryEffects::EffectInstance> &out) {
    if (isMemoryEffectFree(op))
      return true;
    auto iface = dyn_cast<MemoryEffectOpInterface>(op);
    if (!iface || op->getNumRegions())
      return false;
    iface.getEffects(out);
    return llvm::all_of(out, [](auto &effect) { return effect.getValue(); });
  };
  SmallVector<MemoryEffects::EffectInstance> ea, eb;
  if (!effectsOf(a, ea) || !effectsOf(b, eb))
    return true;
  for (auto &x : ea)
    for (auto &y : eb)
      if ((isa<MemoryEffects::Write>(x.getEffect()) ||
           isa<MemoryEffects::Write>(y.getEffect())) &&
          rootOf(x.getValue()) == rootOf(y.getValue()))
        return true;
  return false;
}

/// Issues each DMA-in transfer of an unrolled body as early as the body
/// allows: above the other engines' work that does not touch its buffers,
/// never past an earlier DMA-in op (its queue keeps its order). The scalar
/// unit dispatches in program order and stalls on a full engine queue, so a
/// load written after a copy's vector work is not even issued until that
/// work has nearly drained; hoisted, the copies' loads are in flight while
/// the vector unit works on the copies before them. Each moved op takes the
/// pure ops that compute its operands (views, offsets) along.
void hoistLoads(Block &body) {
  SmallVector<Operation *> loads;
  for (Operation &op : body.without_terminator())
    if (engineOf(&op) == Engine::din)
      loads.push_back(&op);
  for (Operation *load : loads) {
    // The pure ops of the body its operands come from.
    llvm::SetVector<Operation *> slice;
    SmallVector<Value> pending(load->getOperands());
    bool movable = true;
    while (movable && !pending.empty()) {
      Operation *def = pending.pop_back_val().getDefiningOp();
      if (!def || def->getBlock() != &body || slice.contains(def))
        continue;
      movable = isMemoryEffectFree(def) && !def->getNumRegions();
      slice.insert(def);
      llvm::append_range(pending, def->getOperands());
    }
    if (!movable)
      continue;
    Operation *stop = nullptr;
    for (Operation *prev = load->getPrevNode(); prev;
         prev = prev->getPrevNode()) {
      if (slice.contains(prev))
        continue;
      if (engineOf(prev) == Engine::din || conflict(prev, load)) {
        stop = prev;
        break;
      }
    }
    if (stop == load->getPrevNode())
      continue;
    SmallVector<Operation *> moved;
    for (Operation *op = stop ? stop->getNextNode() : &body.front(); op != load;
         op = op->getNextNode())
      if (slice.contains(op))
        moved.push_back(op);
    moved.push_back(load);
    for (Operation *op : moved) {
      if (stop)
        op->moveAfter(stop);
      else
        op->moveBefore(&body.front());
      stop = op;
    }
  }
}

struct MultiBufferPass
    : public sinan::npu::impl::NpuMultiBufferBase<MultiBufferPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (!func->hasAttr(kTargetAttrName))
      return;
    // A shared buffer keeps one copy, which is only safe for free when one
    // engine uses it: its queue runs the iterations in order.
    WalkResult shared = func.walk([&](memref::AllocOp alloc) {
      if (!alloc->hasAttr(kSharedAttrName))
        return WalkResult::advance();
      std::optional<Engine> only;
      SmallVector<Value> pending = {alloc.getResult()};
      while (!pending.empty()) {
        for (Operation *user : pending.pop_back_val().getUsers()) {
          if (auto view = dyn_cast<ViewLikeOpInterface>(user)) {
            pending.push_back(view->getResult(0));
            continue;
          }
          std::optional<Engine> engine = engineOf(user);
          if (!engine)
            continue;
          if (only && *only != *engine) {
            alloc.emitOpError("is ")
                << kSharedAttrName << " but two engines use it ("
                << stringifyEngine(std::min(*only, *engine)) << " and "
                << stringifyEngine(std::max(*only, *engine)) << ")";
            return WalkResult::interrupt();
          }
          only = engine;
        }
      }
      return WalkResult::advance();
    });
    if (shared.wasInterrupted())
      return signalPassFailure();
    // Owners are decided before any unrolling: unrolling a loop moves its
    // buffers' uses into the enclosing loop, which must not clone them
    // again.
    struct Owned {
      scf::ForOp loop;
      SmallVector<memref::AllocOp> buffers;
      SmallVector<Operation *> preludes;
      int64_t copies = 2;
    };
    SmallVector<Owned> plan;
    func.walk([&](scf::ForOp loop) {
      std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
      std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound());
      std::optional<int64_t> step = getConstantIntValue(loop.getStep());
      if (!lb || !ub || !step || *step <= 0 || (*ub - *lb) < 2 * *step ||
          loop->hasAttr(kBufferedAttrName))
        return;
      // Copies as asked, at most one per iteration.
      int64_t copies = 2;
      if (auto attr = loop->getAttrOfType<IntegerAttr>(kBuffersAttrName))
        copies = std::clamp<int64_t>(attr.getInt(), 2, 8);
      copies = std::min(copies, (*ub - *lb) / *step);
      // Unrolling copies everything in the body; a body with several loops
      // (main and edge blocks of a tiled op) would double them all for an
      // edge buffer's sake.
      if (llvm::count_if(loop.getBody()->getOperations(),
                         [](Operation &op) { return isa<scf::ForOp>(op); }) > 1)
        return;
      Owned owned{loop, {}, {}, copies};
      func.walk([&](memref::AllocOp alloc) {
        std::optional<MemorySpace> space = memorySpaceOf(alloc.getType());
        SmallVector<Operation *> preludes;
        if (space && *space != MemorySpace::dram && !loop->isAncestor(alloc) &&
            !alloc->hasAttr(kSharedAttrName) &&
            ownedByLoop(alloc, loop, preludes)) {
          owned.buffers.push_back(alloc);
          llvm::append_range(owned.preludes, preludes);
        }
      });
      if (!owned.buffers.empty())
        plan.push_back(std::move(owned));
    });
    int64_t group = 0;
    for (auto &[loop, buffers, preludes, copies] : plan) {
      // Copy i > 0 of the body works on clones i of the buffers.
      SmallVector<IRMapping> clones(copies);
      OpBuilder builder(loop);
      for (memref::AllocOp alloc : buffers)
        alloc->setAttr(kCopyGroupAttrName, builder.getI64IntegerAttr(group++));
      for (int64_t i = copies - 1; i >= 1; --i) {
        for (memref::AllocOp alloc : buffers) {
          builder.setInsertionPointAfter(alloc);
          clones[i].map(alloc.getResult(), builder.clone(*alloc)->getResult(0));
        }
        for (Operation *fill : preludes) {
          builder.setInsertionPointAfter(fill);
          builder.clone(*fill, clones[i]);
        }
      }
      auto rename = [&](unsigned copy, Operation *op, OpBuilder) {
        if (copy == 0 || copy >= clones.size())
          return;
        op->walk([&](Operation *inner) {
          for (OpOperand &operand : inner->getOpOperands())
            if (Value mapped = clones[copy].lookupOrNull(operand.get()))
              operand.set(mapped);
        });
      };
      FailureOr<UnrolledLoopInfo> unrolled =
          loopUnrollByFactor(loop, copies, rename);
      // The remainder's iterations (fewer than the copies) take a copy
      // each too, instead of all waiting on the first.
      if (succeeded(unrolled) && unrolled->epilogueLoopOp) {
        scf::ForOp epilogue = *unrolled->epilogueLoopOp;
        std::optional<int64_t> lb =
            getConstantIntValue(epilogue.getLowerBound());
        std::optional<int64_t> ub =
            getConstantIntValue(epilogue.getUpperBound());
        std::optional<int64_t> step = getConstantIntValue(epilogue.getStep());
        if (lb && ub && step && *step > 0 && (*ub - *lb) / *step > 1 &&
            failed(loopUnrollByFactor(epilogue, (*ub - *lb) / *step, rename))) {
          epilogue.emitError("cannot unroll the remainder of a buffered loop");
          return signalPassFailure();
        }
      }
      if (failed(unrolled)) {
        loop.emitError("cannot be unrolled to double-buffer its buffers");
        return signalPassFailure();
      }
      if (unrolled->mainLoopOp)
        hoistLoads(*cast<scf::ForOp>(*unrolled->mainLoopOp).getBody());
    }
  }
};

} // namespace
