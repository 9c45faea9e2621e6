//===- VerifySync.cpp - Prove the engines' buffer accesses ordered --------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Executes each core's program without data or time: index arithmetic and
// loop bounds are evaluated (the core id is known per core), engine ops are
// queued per engine in dispatch order, and the queues run until they drain,
// a wait taking the token of the matching signal (first signalled, first
// taken) and a barrier joining every engine. Vector clocks record what each
// op is ordered after; two accesses to overlapping memory by different
// engines, one of them a write, must be ordered, or the kernel has a race
// that the hazard checker of the simulator would only find on a run.
//
//===----------------------------------------------------------------------===//

#include "sinan/Dialect/Npu/Transforms/Passes.h"

#include "sinan/runtime/Target.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <array>
#include <deque>
#include <map>

namespace sinan::npu {
#define GEN_PASS_DEF_NPUVERIFYSYNC
#include "sinan/Dialect/Npu/Transforms/Passes.h.inc"
} // namespace sinan::npu

using namespace mlir;
using namespace sinan;
using namespace sinan::npu;

namespace {

constexpr unsigned kEngines = 5;
using Clock = std::array<uint64_t, kEngines>;

void join(Clock &into, const Clock &other) {
  for (unsigned e = 0; e < kEngines; ++e)
    into[e] = std::max(into[e], other[e]);
}

/// Memory an access touches: a local allocation (its space and bytes) or a
/// DRAM root (an argument or a global), whole.
struct Region {
  std::optional<MemorySpace> space; ///< nullopt: DRAM root `root`.
  int64_t begin = 0, end = 0;
  Value root;
};

/// One event of an engine's queue.
struct Event {
  enum Kind { Access, Signal, Wait } kind = Access;
  Operation *op = nullptr;
  /// Dispatch order.
  uint64_t seq = 0;
  /// Signal/wait: (src, dst, id).
  std::tuple<unsigned, unsigned, int64_t> key;
  SmallVector<unsigned, 2> reads, writes; ///< Region indices.
};

/// A signal's or wait's event, keyed by its (source, destination, id).
template <typename SyncOp> Event syncEvent(Event::Kind kind, SyncOp op) {
  Event event;
  event.kind = kind;
  event.op = op;
  event.key = {static_cast<unsigned>(op.getSrc()),
               static_cast<unsigned>(op.getDst()), op.getId()};
  return event;
}

/// The last accesses to a region: the write, and the reads since it, per
/// engine (the op and its own clock component).
struct Seen {
  Operation *op = nullptr;
  unsigned engine = 0;
  uint64_t clock = 0;
};
struct RegionState {
  std::optional<Seen> write;
  std::array<std::optional<Seen>, kEngines> reads;
};

class Verifier {
public:
  Verifier(func::FuncOp func, int64_t core) : func(func), core(core) {}
  LogicalResult run();

private:
  LogicalResult execute(Block &block);
  std::optional<int64_t> valueOf(Value value) const;
  LogicalResult evaluate(Operation &op);
  std::optional<unsigned> regionOf(Value memref);
  LogicalResult queue(Operation *op, Engine engine);
  /// Runs the queued events until they drain (at a barrier or the end).
  LogicalResult drain();
  LogicalResult access(const Event &event, unsigned engine);

  func::FuncOp func;
  int64_t core;
  DenseMap<Value, int64_t> values;
  SmallVector<Region> regions;
  DenseMap<Value, unsigned> regionIndex;
  std::array<std::deque<Event>, kEngines> queues;
  uint64_t dispatched = 0;
  void push(unsigned engine, Event event) {
    event.seq = dispatched++;
    queues[engine].push_back(std::move(event));
  }
  std::array<Clock, kEngines> clocks = {};
  std::map<std::tuple<unsigned, unsigned, int64_t>, std::deque<Clock>> tokens;
  SmallVector<RegionState> states;
};

std::optional<int64_t> Verifier::valueOf(Value value) const {
  auto it = values.find(value);
  if (it != values.end())
    return it->second;
  if (auto c = value.getDefiningOp<arith::ConstantOp>())
    if (auto integer = dyn_cast<IntegerAttr>(c.getValue()))
      return integer.getInt();
  return std::nullopt;
}

/// Index arithmetic, evaluated for this core.
LogicalResult Verifier::evaluate(Operation &op) {
  if (isa<arith::ConstantOp>(op))
    return success();
  if (isa<CoreIdOp>(op)) {
    values[op.getResult(0)] = core;
    return success();
  }
  if (isa<arith::IndexCastOp, arith::IndexCastUIOp>(op)) {
    if (std::optional<int64_t> v = valueOf(op.getOperand(0)))
      values[op.getResult(0)] = *v;
    return success();
  }
  if (op.getNumOperands() != 2 || op.getNumResults() != 1)
    return success();
  std::optional<int64_t> a = valueOf(op.getOperand(0)),
                         b = valueOf(op.getOperand(1));
  if (!a || !b)
    return success(); // Unknown values only matter as loop bounds.
  std::optional<int64_t> result =
      llvm::TypeSwitch<Operation *, std::optional<int64_t>>(&op)
          .Case([&](arith::AddIOp) { return *a + *b; })
          .Case([&](arith::SubIOp) { return *a - *b; })
          .Case([&](arith::MulIOp) { return *a * *b; })
          .Case([&](arith::MinSIOp) { return std::min(*a, *b); })
          .Case([&](arith::MaxSIOp) { return std::max(*a, *b); })
          .Case([&](arith::DivUIOp) {
            return *b ? std::optional<int64_t>(*a / *b) : std::nullopt;
          })
          .Case([&](arith::RemUIOp) {
            return *b ? std::optional<int64_t>(*a % *b) : std::nullopt;
          })
          .Default([](Operation *) { return std::nullopt; });
  if (result)
    values[op.getResult(0)] = *result;
  return success();
}

std::optional<unsigned> Verifier::regionOf(Value memref) {
  Value root = memref;
  while (auto view = root.getDefiningOp<ViewLikeOpInterface>())
    root = view.getViewSource();
  auto it = regionIndex.find(root);
  if (it != regionIndex.end())
    return it->second;
  Region region;
  region.root = root;
  if (auto alloc = root.getDefiningOp<memref::AllocOp>()) {
    std::optional<MemorySpace> space = memorySpaceOf(alloc.getType());
    auto offset = alloc->getAttrOfType<IntegerAttr>(kOffsetAttrName);
    if (space && *space != MemorySpace::dram) {
      if (!offset)
        return std::nullopt;
      region.space = space;
      region.begin = offset.getInt();
      region.end = region.begin + spanBytes(alloc.getType());
    }
  }
  regions.push_back(region);
  states.emplace_back();
  return regionIndex[root] = regions.size() - 1;
}

LogicalResult Verifier::queue(Operation *op, Engine engine) {
  Event event;
  event.op = op;
  if (auto effects = dyn_cast<MemoryEffectOpInterface>(op)) {
    SmallVector<MemoryEffects::EffectInstance> list;
    effects.getEffects(list);
    for (const MemoryEffects::EffectInstance &effect : list) {
      Value value = effect.getValue();
      if (!value || !isa<MemRefType>(value.getType()))
        continue;
      std::optional<unsigned> region = regionOf(value);
      if (!region)
        return op->emitError("a local buffer without npu.offset; run "
                             "sinan-npu-allocate-local first");
      if (isa<MemoryEffects::Write>(effect.getEffect()))
        event.writes.push_back(*region);
      else if (isa<MemoryEffects::Read>(effect.getEffect()))
        event.reads.push_back(*region);
    }
  }
  push(static_cast<unsigned>(engine), std::move(event));
  return success();
}

LogicalResult Verifier::execute(Block &block) {
  for (Operation &op : block) {
    if (auto loop = dyn_cast<scf::ForOp>(op)) {
      std::optional<int64_t> lb = valueOf(loop.getLowerBound()),
                             ub = valueOf(loop.getUpperBound()),
                             step = valueOf(loop.getStep());
      if (!lb || !ub || !step || *step <= 0)
        return loop.emitError("cannot verify synchronization: the loop's "
                              "bounds are not known on core ")
               << core;
      for (int64_t i = *lb; i < *ub; i += *step) {
        values[loop.getInductionVar()] = i;
        if (failed(execute(*loop.getBody())))
          return failure();
      }
      continue;
    }
    if (auto signal = dyn_cast<SignalOp>(op)) {
      push(static_cast<unsigned>(signal.getSrc()),
           syncEvent(Event::Signal, signal));
      continue;
    }
    if (auto wait = dyn_cast<WaitOp>(op)) {
      push(static_cast<unsigned>(wait.getDst()), syncEvent(Event::Wait, wait));
      continue;
    }
    if (isa<BarrierOp>(op)) {
      if (failed(drain()))
        return failure();
      Clock all = {};
      for (const Clock &clock : clocks)
        join(all, clock);
      clocks.fill(all);
      continue;
    }
    if (std::optional<Engine> engine = engineOf(&op)) {
      if (failed(queue(&op, *engine)))
        return failure();
      continue;
    }
    if (failed(evaluate(op)))
      return failure();
  }
  return success();
}

LogicalResult Verifier::access(const Event &event, unsigned engine) {
  const Clock &now = clocks[engine];
  auto ordered = [&](const Seen &earlier) {
    return earlier.engine == engine || earlier.clock <= now[earlier.engine];
  };
  auto race = [&](const Seen &earlier, bool writes, bool earlierWrote) {
    InFlightDiagnostic diag =
        event.op->emitError()
        << "unordered access on core " << core << ": "
        << stringifyEngine(Engine(engine)) << (writes ? " writes" : " reads")
        << " memory that " << stringifyEngine(Engine(earlier.engine))
        << (earlierWrote ? " wrote" : " read")
        << " before, with no signal/wait chain or barrier ordering them";
    diag.attachNote(earlier.op->getLoc()) << "the earlier access";
    return failure();
  };
  auto overlaps = [&](unsigned a, unsigned b) {
    const Region &x = regions[a], &y = regions[b];
    if (!x.space || !y.space)
      return !x.space && !y.space && x.root == y.root;
    return *x.space == *y.space && x.begin < y.end && y.begin < x.end;
  };
  for (unsigned r = 0; r < regions.size(); ++r) {
    bool reads =
        llvm::any_of(event.reads, [&](unsigned a) { return overlaps(a, r); });
    bool writes =
        llvm::any_of(event.writes, [&](unsigned a) { return overlaps(a, r); });
    if (!reads && !writes)
      continue;
    const RegionState &state = states[r];
    if (state.write && !ordered(*state.write))
      return race(*state.write, writes, true);
    if (writes)
      for (const std::optional<Seen> &read : state.reads)
        if (read && !ordered(*read))
          return race(*read, writes, false);
  }
  Seen self{event.op, engine, now[engine]};
  for (unsigned r : event.reads)
    states[r].reads[engine] = self;
  for (unsigned r : event.writes) {
    states[r].write = self;
    states[r].reads = {};
  }
  return success();
}

LogicalResult Verifier::drain() {
  // Engines run their queues in order; a wait blocks until its token
  // exists. Events run in dispatch order where the waits allow, so a race
  // is reported between the accesses a reader of the program would pair.
  auto runnable = [&](const Event &event) {
    if (event.kind != Event::Wait)
      return true;
    auto it = tokens.find(event.key);
    return it != tokens.end() && !it->second.empty();
  };
  while (true) {
    std::optional<unsigned> next;
    bool pending = false;
    for (unsigned e = 0; e < kEngines; ++e) {
      if (queues[e].empty())
        continue;
      pending = true;
      if (runnable(queues[e].front()) &&
          (!next || queues[e].front().seq < queues[*next].front().seq))
        next = e;
    }
    if (!pending)
      return success();
    if (!next) {
      const Event *first = nullptr;
      for (std::deque<Event> &q : queues)
        if (!q.empty() && (!first || q.front().seq < first->seq))
          first = &q.front();
      return first->op->emitError()
             << "waits forever on core " << core
             << ": no signal it could take is ever issued";
    }
    unsigned e = *next;
    Event event = std::move(queues[e].front());
    queues[e].pop_front();
    if (event.kind == Event::Wait) {
      std::deque<Clock> &queue = tokens[event.key];
      join(clocks[e], queue.front());
      queue.pop_front();
    }
    ++clocks[e][e];
    if (event.kind == Event::Signal)
      tokens[event.key].push_back(clocks[e]);
    if (event.kind == Event::Access && failed(access(event, e)))
      return failure();
  }
}

LogicalResult Verifier::run() {
  if (failed(execute(func.getBody().front())))
    return failure();
  return drain();
}

} // namespace

LogicalResult sinan::npu::verifySync(func::FuncOp func) {
  const TargetDesc *target = targetOf(func);
  if (!target)
    return failure();
  int64_t cores = target->cores;
  if (auto attr = func->getAttrOfType<IntegerAttr>(kCoresAttrName))
    cores = attr.getInt();
  bool usesCoreId = false;
  func.walk([&](CoreIdOp) { usesCoreId = true; });
  for (int64_t core = 0; core < (usesCoreId ? cores : 1); ++core)
    if (failed(Verifier(func, core).run()))
      return failure();
  return success();
}

namespace {

struct VerifySyncPass
    : public sinan::npu::impl::NpuVerifySyncBase<VerifySyncPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (!func->hasAttr(kTargetAttrName) || func.isExternal())
      return;
    if (failed(verifySync(func)))
      signalPassFailure();
  }
};

} // namespace
