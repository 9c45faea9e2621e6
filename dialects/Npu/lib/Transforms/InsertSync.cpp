//===- InsertSync.cpp - Order the engines' buffer accesses ----------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Each local buffer's accesses, in program order, form a chain; wherever the
// chain passes from one engine to another, the first engine signals after
// its access and the second waits before its own. A loop whose body ends on
// a different engine than it starts has the same handoff on its back edge:
// a signal at the end of the body, a wait at its start, one token primed
// before the loop and the last one drained after it. Loops are treated as a
// single access from the outside (their first and last engines), so the
// rule applies at every nesting level. Each buffer is a resource; two
// buffers that share bytes after allocation also form a pair resource whose
// chain keeps only the handoffs between an access of one and an access of
// the other, so reuse of memory is ordered without joining every buffer
// that ever shared a byte into one chain (which would order, say, the
// loads of two input chunks after each other because a later buffer took
// bytes of both).
// Consecutive loops whose back edges hand the resource between the same
// engines share one token stream: the last token of one is the first the
// next takes, so the pipeline does not empty between them (a convolution's
// per-core loops over its pixel blocks keep loading while the matrix unit
// finishes the previous loop).
//
//===----------------------------------------------------------------------===//

#include "sinan/Dialect/Npu/Transforms/Passes.h"

#include "sinan/runtime/Target.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/EquivalenceClasses.h"
#include "llvm/ADT/SetVector.h"

namespace sinan::npu {
#define GEN_PASS_DEF_NPUINSERTSYNC
#include "sinan/Dialect/Npu/Transforms/Passes.h.inc"
} // namespace sinan::npu

using namespace mlir;
using namespace sinan;
using namespace sinan::npu;

namespace {

/// The local allocation a memref value views, if any.
memref::AllocOp rootAlloc(Value value) {
  while (auto view = value.getDefiningOp<ViewLikeOpInterface>())
    value = view.getViewSource();
  auto alloc = value.getDefiningOp<memref::AllocOp>();
  if (!alloc)
    return {};
  std::optional<MemorySpace> space = memorySpaceOf(alloc.getType());
  return space && *space != MemorySpace::dram ? alloc : memref::AllocOp();
}

/// An access to a resource, or a loop containing some, seen from outside:
/// the engine that touches the resource first and the one that touches it
/// last.
struct Item {
  Operation *op;
  Engine first, last;
  /// For a loop with a back-edge handoff: the token primed before it and
  /// the one drained after it.
  Operation *prime = nullptr, *drain = nullptr;
  /// The item's last op when it is a run of chained loops (else `op`).
  Operation *end = nullptr;

  Operation *lastOp() const { return end ? end : op; }
};

/// Whether `next` continues `prev`'s back-edge token stream: both are loops
/// whose tokens pass between the same pair of engines.
bool continuesStream(const Item &prev, const Item &next) {
  if (!prev.prime || !next.prime || prev.first != next.first)
    return false;
  auto a = cast<SignalOp>(prev.prime), b = cast<SignalOp>(next.prime);
  return a.getSrc() == b.getSrc() && a.getDst() == b.getDst();
}

class SyncInserter {
public:
  SyncInserter(func::FuncOp func, const TargetDesc &target, bool hoist,
               bool pairs)
      : func(func), target(target), builder(func.getContext()), hoist(hoist),
        pairs(pairs) {}

  LogicalResult run();
  /// Removes everything run() inserted.
  void undo() {
    for (auto &[op, key] : placed)
      op->erase();
    placed.clear();
  }

private:
  void groupResources();
  std::optional<Item> processLoop(scf::ForOp loop, unsigned resource);
  SmallVector<Item> processBlock(Block &block, unsigned resource);
  FailureOr<int64_t> semaphore(unsigned resource, Engine src, Engine dst);
  LogicalResult assignIds();
  void signalAfter(Operation *op, unsigned resource, Engine src, Engine dst);
  void waitBefore(Operation *op, unsigned resource, Engine src, Engine dst);
  void erasePlaced(Operation *op);
  /// Removes the handoffs another one already implies (see the definition).
  void removeImpliedHandoffs();
  /// Moves each primed token before the waits right in front of it.
  void primeEarly();
  /// Moves each primed token before the ops that do not use its semaphore.
  void primeBeforeUnrelated();
  /// The tokens primed before loops.
  /// (In insertion order: primeEarly moves them in this order, and two
  /// primes before one loop would otherwise end in an order that differs
  /// from run to run.)
  llvm::SetVector<Operation *> primes;
  SmallVector<Item> chainStreams(ArrayRef<Item> items);
  void sinkDrains(Block &block, ArrayRef<Item> items);
  void indexAccesses();
  const llvm::SmallDenseSet<Operation *, 4> &allocsIn(Operation *op);

  func::FuncOp func;
  const TargetDesc &target;
  OpBuilder builder;
  /// Each allocation alone, then each pair of allocations sharing bytes.
  SmallVector<SmallVector<Operation *, 2>> resources;
  /// Which allocations of a pair resource `op` (or ops inside it) touch:
  /// bit 0 the first, bit 1 the second.
  unsigned sides(Operation *op, unsigned resource);
  /// Both `a` and `b` touch the same one allocation of a pair resource:
  /// that allocation's own chain orders them.
  bool sameSide(Operation *a, Operation *b, unsigned resource);
  /// Every signal and wait placed, with its (resource, src, dst).
  SmallVector<std::pair<Operation *, std::tuple<unsigned, Engine, Engine>>>
      placed;
  /// The signal and wait of each handoff between two accesses of one block
  /// (not a loop's tokens).
  SmallVector<std::pair<SignalOp, WaitOp>> handoffs;
  LogicalResult status = success();
  /// Whether a loop's primed and drained tokens move out of enclosing loops
  /// (keeps the pipeline full across them; holds semaphores longer).
  bool hoist;
  /// Resources are single buffers and pairs sharing bytes; else (fewer
  /// resources, coarser order) every buffer sharing bytes with another,
  /// transitively, joins one resource.
  bool pairs;
  /// Which resources are pairs (only their boundary handoffs are kept).
  SmallVector<bool> isPair;
  /// Per resource, per block: in program order, the engine ops of the block
  /// that access the resource and the loops that hold such accesses. Built
  /// once, so each resource visits only its own accesses (visiting every op
  /// of the kernel per resource was quadratic in the kernel's size).
  SmallVector<llvm::DenseMap<Block *, SmallVector<Operation *>>> accesses;
  /// The local allocations an op, or the ops nested in it, access.
  llvm::DenseMap<Operation *, llvm::SmallDenseSet<Operation *, 4>> allocCache;
};

void SyncInserter::groupResources() {
  SmallVector<memref::AllocOp> allocs;
  func.walk([&](memref::AllocOp alloc) {
    if (rootAlloc(alloc.getResult()))
      allocs.push_back(alloc);
  });
  auto range =
      [](memref::AllocOp alloc) -> std::optional<std::pair<int64_t, int64_t>> {
    auto offset = alloc->getAttrOfType<IntegerAttr>(kOffsetAttrName);
    if (!offset)
      return std::nullopt;
    int64_t bytes = spanBytes(alloc.getType());
    return std::make_pair(offset.getInt(), offset.getInt() + bytes);
  };
  // The core whose part of the kernel (an npu.once loop) holds every use
  // of a buffer, if one does.
  auto coreOf = [](memref::AllocOp alloc) -> std::optional<int64_t> {
    std::optional<int64_t> core;
    bool mixed = false;
    SmallVector<Value> worklist = {alloc.getResult()};
    while (!worklist.empty() && !mixed) {
      Value value = worklist.pop_back_val();
      for (Operation *user : value.getUsers()) {
        if (isa<ViewLikeOpInterface>(user)) {
          worklist.push_back(user->getResult(0));
          continue;
        }
        std::optional<int64_t> here;
        for (Operation *parent = user->getParentOp(); parent;
             parent = parent->getParentOp())
          if (auto once = parent->getAttrOfType<IntegerAttr>(kOnceAttrName)) {
            here = once.getInt();
            break;
          }
        if (!here || (core && *core != *here))
          mixed = true;
        core = here;
      }
    }
    return mixed ? std::nullopt : core;
  };
  if (!pairs) {
    llvm::EquivalenceClasses<Operation *> classes;
    for (memref::AllocOp alloc : allocs)
      classes.insert(alloc);
    for (auto [i, a] : llvm::enumerate(allocs))
      for (size_t j = i + 1; j < allocs.size(); ++j) {
        memref::AllocOp b = allocs[j];
        if (memorySpaceOf(a.getType()) != memorySpaceOf(b.getType()))
          continue;
        auto ra = range(a), rb = range(b);
        if (ra && rb && ra->first < rb->second && rb->first < ra->second)
          classes.unionSets(a, b);
      }
    for (auto it = classes.begin(); it != classes.end(); ++it) {
      if (!(*it)->isLeader())
        continue;
      SmallVector<Operation *, 2> members(classes.member_begin(**it),
                                          classes.member_end());
      resources.push_back(members);
      isPair.push_back(false);
    }
    return;
  }
  SmallVector<std::optional<int64_t>> cores;
  for (memref::AllocOp alloc : allocs) {
    resources.push_back({alloc});
    isPair.push_back(false);
    cores.push_back(coreOf(alloc));
  }
  for (auto [i, a] : llvm::enumerate(allocs))
    for (size_t j = i + 1; j < allocs.size(); ++j) {
      memref::AllocOp b = allocs[j];
      if (memorySpaceOf(a.getType()) != memorySpaceOf(b.getType()))
        continue;
      // Parts for two cores never run on one core.
      std::optional<int64_t> ca = cores[i], cb = cores[j];
      if (ca && cb && *ca != *cb)
        continue;
      auto ra = range(a), rb = range(b);
      // Without offsets (not yet allocated) every two buffers of a space
      // may share bytes.
      if (!ra || !rb || (ra->first < rb->second && rb->first < ra->second)) {
        resources.push_back({a, b});
        isPair.push_back(true);
      }
    }
}

const llvm::SmallDenseSet<Operation *, 4> &
SyncInserter::allocsIn(Operation *op) {
  auto it = allocCache.find(op);
  if (it != allocCache.end())
    return it->second;
  llvm::SmallDenseSet<Operation *, 4> allocs;
  op->walk([&](Operation *inner) {
    for (Value operand : inner->getOperands())
      if (memref::AllocOp alloc = rootAlloc(operand))
        allocs.insert(alloc);
  });
  return allocCache.try_emplace(op, std::move(allocs)).first->second;
}

unsigned SyncInserter::sides(Operation *op, unsigned resource) {
  const llvm::SmallDenseSet<Operation *, 4> &touched = allocsIn(op);
  unsigned mask = 0;
  for (auto [i, member] : llvm::enumerate(resources[resource]))
    if (touched.contains(member))
      mask |= 1u << i;
  return mask;
}

bool SyncInserter::sameSide(Operation *a, Operation *b, unsigned resource) {
  if (!isPair[resource])
    return false;
  unsigned x = sides(a, resource), y = sides(b, resource);
  return x == y && x != 3;
}

void SyncInserter::indexAccesses() {
  llvm::DenseMap<Operation *, SmallVector<unsigned, 4>> resourcesOf;
  for (auto [index, members] : llvm::enumerate(resources))
    for (Operation *alloc : members)
      resourcesOf[alloc].push_back(index);
  accesses.clear();
  accesses.resize(resources.size());
  Block *body = &func.getBody().front();
  func.walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (!engineOf(op))
      return;
    // Accesses are seen through scf.for nests only (as processBlock walks).
    SmallVector<Operation *, 4> path = {op};
    for (Operation *at = op; at->getBlock() != body;) {
      at = at->getParentOp();
      if (!isa<scf::ForOp>(at))
        return;
      path.push_back(at);
    }
    SmallVector<unsigned, 4> touched;
    for (Value operand : op->getOperands())
      if (memref::AllocOp alloc = rootAlloc(operand))
        for (unsigned resource : resourcesOf.lookup(alloc))
          if (!llvm::is_contained(touched, resource))
            touched.push_back(resource);
    for (unsigned resource : touched)
      for (Operation *at : path) {
        SmallVector<Operation *> &list = accesses[resource][at->getBlock()];
        if (list.empty() || list.back() != at)
          list.push_back(at);
      }
  });
}

FailureOr<int64_t> SyncInserter::semaphore(unsigned resource, Engine src,
                                           Engine dst) {
  // A placeholder: ids are assigned once every pair is placed (assignIds).
  return 0;
}

/// Each (resource, engine pair) gets one semaphore id; resources whose
/// synchronization spans (first to last signal/wait in program order) do
/// not overlap share ids, since signals of one engine complete in order and
/// waits of one engine consume in order, so a finished chain leaves no token
/// another chain could take out of turn.
LogicalResult SyncInserter::assignIds() {
  llvm::DenseMap<Operation *, int64_t> position;
  int64_t next = 0;
  func.walk<WalkOrder::PreOrder>([&](Operation *op) { position[op] = next++; });
  using Key = std::tuple<unsigned, Engine, Engine>;
  std::map<Key, std::pair<int64_t, int64_t>> spans;
  for (auto &[op, key] : placed) {
    int64_t at = position[op];
    auto [it, inserted] = spans.try_emplace(key, at, at);
    it->second.first = std::min(it->second.first, at);
    it->second.second = std::max(it->second.second, at);
  }
  // Per engine pair, interval coloring by span start.
  std::map<std::pair<Engine, Engine>,
           SmallVector<std::pair<Key, std::pair<int64_t, int64_t>>>>
      byPair;
  for (auto &[key, span] : spans)
    byPair[{std::get<1>(key), std::get<2>(key)}].push_back({key, span});
  std::map<Key, int64_t> id;
  for (auto &[pair, entries] : byPair) {
    llvm::sort(entries, [](auto &a, auto &b) {
      return a.second.first < b.second.first;
    });
    // A fresh id while the target has one, else the one free the longest:
    // a chain on an id of its own lets primeBeforeUnrelated move its primed
    // token above the chains before it (a reused id keeps it behind their
    // drains). Ids stay within the spans live at once, as with any greedy
    // coloring that opens an id only when it may.
    int64_t limit = target.semaphoresPerEnginePair;
    SmallVector<int64_t> busyUntil; // Per id: the end of its last span.
    for (auto &[key, span] : entries) {
      int64_t chosen = -1;
      if (int64_t(busyUntil.size()) < limit) {
        chosen = busyUntil.size();
        busyUntil.push_back(0);
      } else {
        for (auto [i, end] : llvm::enumerate(busyUntil))
          if (end < span.first && (chosen < 0 || end < busyUntil[chosen]))
            chosen = i;
      }
      if (chosen < 0)
        return failure();
      busyUntil[chosen] = span.second;
      id[key] = chosen;
    }
  }
  Builder b(func.getContext());
  for (auto &[op, key] : placed)
    op->setAttr("id", b.getI64IntegerAttr(id[key]));
  return success();
}

void SyncInserter::signalAfter(Operation *op, unsigned resource, Engine src,
                               Engine dst) {
  FailureOr<int64_t> id = semaphore(resource, src, dst);
  if (failed(id)) {
    status = failure();
    return;
  }
  builder.setInsertionPointAfter(op);
  placed.push_back({SignalOp::create(builder, op->getLoc(), src, dst, *id),
                    {resource, src, dst}});
}

void SyncInserter::waitBefore(Operation *op, unsigned resource, Engine src,
                              Engine dst) {
  FailureOr<int64_t> id = semaphore(resource, src, dst);
  if (failed(id)) {
    status = failure();
    return;
  }
  builder.setInsertionPoint(op);
  placed.push_back({WaitOp::create(builder, op->getLoc(), src, dst, *id),
                    {resource, src, dst}});
}

void SyncInserter::erasePlaced(Operation *op) {
  llvm::erase_if(placed, [&](auto &entry) { return entry.first == op; });
  primes.remove(op);
  op->erase();
}

/// A primed token stands for an iteration before the first, which touched
/// nothing, so it orders nothing and may be signalled as early as it can:
/// before the waits (for other buffers) that precede the loop, which would
/// otherwise hold it back on its engine (the first input load of a
/// convolution's pixel loop waiting for the weights to land).
void SyncInserter::primeEarly() {
  for (Operation *prime : primes)
    while (Operation *prev = prime->getPrevNode()) {
      if (!isa<WaitOp>(prev))
        break;
      prime->moveBefore(prev);
    }
}

/// Once ids are assigned, a primed token moves further up past everything
/// that neither signals nor waits on its semaphore (earlier loops on other
/// buffers included): its signal runs on the engine that ends the loop's
/// body, and left right before the loop it would queue behind that engine's
/// earlier work (the second row block's loads of a product waiting for the
/// first block's last product, whose engine signals the token).
void SyncInserter::primeBeforeUnrelated() {
  for (Operation *prime : primes) {
    auto token = cast<SignalOp>(prime);
    auto sameSemaphore = [&](Operation *op) {
      return op
          ->walk([&](Operation *inner) {
            auto matches = [&](auto sync) {
              return sync.getSrc() == token.getSrc() &&
                     sync.getDst() == token.getDst() &&
                     sync.getId() == token.getId();
            };
            if (auto signal = dyn_cast<SignalOp>(inner);
                signal && matches(signal))
              return WalkResult::interrupt();
            if (auto wait = dyn_cast<WaitOp>(inner); wait && matches(wait))
              return WalkResult::interrupt();
            return WalkResult::advance();
          })
          .wasInterrupted();
    };
    // Only past engine work: constants, views and allocations ahead of it
    // stay ahead, which keeps the IR in its written order.
    auto engineWork = [](Operation *op) {
      return op
          ->walk([](Operation *inner) {
            return engineOf(inner) || isa<SignalOp, WaitOp>(inner)
                       ? WalkResult::interrupt()
                       : WalkResult::advance();
          })
          .wasInterrupted();
    };
    Operation *before = nullptr;
    for (Operation *prev = prime->getPrevNode(); prev && !sameSemaphore(prev);
         prev = prev->getPrevNode())
      if (engineWork(prev))
        before = prev;
    if (before)
      prime->moveBefore(before);
  }
}

/// Joins runs of loops that continue one token stream into one item: the
/// drain after each loop and the prime before the next cancel out.
SmallVector<Item> SyncInserter::chainStreams(ArrayRef<Item> items) {
  SmallVector<Item> chained;
  for (const Item &item : items) {
    if (chained.empty() || !continuesStream(chained.back(), item)) {
      chained.push_back(item);
      continue;
    }
    Item &run = chained.back();
    erasePlaced(run.drain);
    erasePlaced(item.prime);
    run.drain = item.drain;
    run.last = item.last;
    run.end = item.lastOp();
  }
  return chained;
}

/// A loop's drain that no access right after it took (it waits on the
/// loop's first engine, while the resource's chain goes on from its last)
/// moves down to the next access of the resource on its engine, or to the
/// end of the block: right after the loop it would hold that engine's later
/// work on other buffers until the loop's last access ends (the loads of a
/// convolution's remaining channel blocks waiting for the loop's last
/// product).
void SyncInserter::sinkDrains(Block &block, ArrayRef<Item> items) {
  for (auto [i, item] : llvm::enumerate(items)) {
    if (!item.drain || item.drain->getBlock() != &block)
      continue;
    Engine engine = cast<WaitOp>(item.drain).getDst();
    if (item.last == engine)
      continue; // The drain ends the chain: what follows waits for it.
    Operation *before = block.getTerminator();
    for (const Item &next : items.drop_front(i + 1))
      if (next.first == engine) {
        before = next.op;
        break;
      }
    if (item.drain->isBeforeInBlock(before))
      item.drain->moveBefore(before);
  }
}

SmallVector<Item> SyncInserter::processBlock(Block &block, unsigned resource) {
  SmallVector<Item> items;
  auto listed = accesses[resource].find(&block);
  if (listed == accesses[resource].end())
    return items;
  for (Operation *op : listed->second) {
    if (auto loop = dyn_cast<scf::ForOp>(op)) {
      if (std::optional<Item> item = processLoop(loop, resource))
        items.push_back(*item);
      continue;
    }
    Engine engine = *engineOf(op);
    items.push_back({op, engine, engine});
  }
  items = chainStreams(items);
  // Hand the resource over wherever the engine changes.
  for (size_t i = 1; i < items.size(); ++i) {
    const Item &from = items[i - 1], &to = items[i];
    if (from.last == to.first || sameSide(from.lastOp(), to.op, resource))
      continue;
    // Two cores' parts of the kernel touch two cores' local memories: no
    // handoff between them (each core skips the other's part, so its
    // signal would only hold a semaphore id for the whole kernel).
    auto onceCore = [](Operation *op) -> std::optional<int64_t> {
      if (auto once = op->getAttrOfType<IntegerAttr>(kOnceAttrName))
        return once.getInt();
      return std::nullopt;
    };
    std::optional<int64_t> fromCore = onceCore(from.lastOp());
    std::optional<int64_t> toCore = onceCore(to.op);
    if (fromCore && toCore && *fromCore != *toCore)
      continue;
    // After a loop whose drain is on the next access's engine, the drain
    // already orders that access after the loop's last one on the
    // resource; a signal after the loop would wait for the loop's last op
    // on any resource (the next block's loads for the last product).
    if (from.drain && cast<WaitOp>(from.drain).getDst() == to.first) {
      from.drain->moveBefore(to.op);
      continue;
    }
    // Into a loop whose back edge hands the resource from `from`'s engine
    // to the loop's first: the signal after `from` is the loop's primed
    // token, which its first iteration's wait takes. A wait in front of
    // the loop would hold the loop's first engine until `from` is done
    // with every resource handed over there (a convolution's next channel
    // loop loading nothing until the last peeled product ends).
    if (to.prime && cast<SignalOp>(to.prime).getSrc() == from.last &&
        cast<SignalOp>(to.prime).getDst() == to.first) {
      to.prime->moveAfter(from.lastOp());
      primes.remove(to.prime);
      continue;
    }
    signalAfter(from.lastOp(), resource, from.last, to.first);
    waitBefore(to.op, resource, from.last, to.first);
    // (Between two engine ops: a handoff around a loop shapes where the
    // loops' tokens may move, and dropping it changes the id sharing that
    // lets them.)
    if (succeeded(status) && !isa<scf::ForOp>(from.op) &&
        !isa<scf::ForOp>(to.op))
      handoffs.push_back({cast<SignalOp>(placed[placed.size() - 2].first),
                          cast<WaitOp>(placed.back().first)});
  }
  sinkDrains(block, items);
  return items;
}

std::optional<Item> SyncInserter::processLoop(scf::ForOp loop,
                                              unsigned resource) {
  SmallVector<Item> items = processBlock(*loop.getBody(), resource);
  if (items.empty())
    return std::nullopt;
  Engine first = items.front().first, last = items.back().last;
  // No back edge: the same engine or one allocation's own chain.
  if (first == last ||
      sameSide(items.back().lastOp(), items.front().op, resource))
    return Item{loop, first, last};
  // A body that is one inner loop with a back-edge handoff: its handoff
  // continues across this loop's iterations, so its primed and drained
  // tokens move out of this loop instead of emptying the pipeline every
  // iteration.
  if (hoist && items.size() == 1 && items.front().prime) {
    items.front().prime->moveBefore(loop);
    items.front().drain->moveAfter(loop);
    return Item{loop, first, last, items.front().prime, items.front().drain};
  }
  // Nor for a loop that runs at most once (a core's part of the kernel).
  if (loop->hasAttr(kOnceAttrName))
    return Item{loop, first, last};
  // The back edge: the next iteration's first engine waits for this
  // iteration's last one; prime one token before the loop and drain the
  // last one after it, so every wait has exactly one signal.
  // When the body ends with an inner loop whose own back edge hands the
  // resource between the same engines, the token of its last iteration
  // (signalled right after the resource's last access) crosses this back
  // edge in place of its drain: a signal after the inner loop would wait
  // for its last op on any resource (a convolution's next output channel
  // block loading nothing into a tap buffer until the block's last
  // product, though the buffer's last product came earlier).
  const Item &tail = items.back();
  if (hoist && tail.prime && tail.drain &&
      tail.drain->getBlock() == loop.getBody() &&
      cast<SignalOp>(tail.prime).getSrc() == last &&
      cast<SignalOp>(tail.prime).getDst() == first)
    erasePlaced(tail.drain);
  else
    signalAfter(items.back().lastOp(), resource, last, first);
  waitBefore(items.front().op, resource, last, first);
  FailureOr<int64_t> id = semaphore(resource, last, first);
  if (failed(id)) {
    status = failure();
    return Item{loop, first, last};
  }
  builder.setInsertionPoint(loop);
  Operation *prime = SignalOp::create(builder, loop.getLoc(), last, first, *id);
  primes.insert(prime);
  builder.setInsertionPointAfter(loop);
  Operation *drain = WaitOp::create(builder, loop.getLoc(), last, first, *id);
  placed.push_back({prime, {resource, last, first}});
  placed.push_back({drain, {resource, last, first}});
  // Unless the tokens may move further out, the drain on `first` ends the
  // chain here: seen from outside, the loop ends on `first`, so enclosing
  // loops need no handoff of their own (and semaphores recycle sooner).
  return Item{loop, first, hoist ? last : first, prime, drain};
}

/// A handoff P (A signals after its access a, B waits before its access b)
/// is implied by another handoff Q from A to B in the same block whose
/// signal comes later on A and whose wait comes before b on B: an engine's
/// signal fires once all of its earlier work has finished (a DMA engine's
/// transfers included), so Q's wait already holds b until a is done. The
/// relation is transitive (a later signal and an earlier wait imply all
/// that Q implies), so removing P leaves what it ordered ordered by the
/// handoffs kept. Each removal takes a signal and the wait that consumes
/// it, so the other tokens of P's semaphore still pair in order.
void SyncInserter::removeImpliedHandoffs() {
  auto accessAfter = [](WaitOp wait) {
    Operation *op = wait->getNextNode();
    while (op && isa<SignalOp, WaitOp>(op))
      op = op->getNextNode();
    return op;
  };
  // Per engine pair and block, in program order of their signals.
  std::map<std::tuple<Engine, Engine, Block *>,
           SmallVector<std::pair<SignalOp, WaitOp>>>
      groups;
  for (auto [signal, wait] : handoffs)
    if (signal->getBlock() == wait->getBlock())
      groups[{signal.getSrc(), signal.getDst(), signal->getBlock()}].push_back(
          {signal, wait});
  for (auto &[key, list] : groups) {
    llvm::sort(list, [](auto &x, auto &y) {
      return x.first->isBeforeInBlock(y.first);
    });
    // Scanning from the latest signal: the kept handoffs after P's signal,
    // of which the earliest wait decides whether P is implied.
    Operation *earliestWait = nullptr;
    for (auto &[signal, wait] : llvm::reverse(list)) {
      Operation *access = accessAfter(wait);
      if (earliestWait && access && earliestWait->isBeforeInBlock(access)) {
        erasePlaced(signal);
        erasePlaced(wait);
        continue;
      }
      if (!earliestWait || wait->isBeforeInBlock(earliestWait))
        earliestWait = wait;
    }
  }
  handoffs.clear();
}

LogicalResult SyncInserter::run() {
  groupResources();
  indexAccesses();
  for (unsigned resource = 0; resource < resources.size(); ++resource)
    processBlock(func.getBody().front(), resource);
  if (failed(status))
    return failure();
  removeImpliedHandoffs();
  primeEarly();
  if (failed(assignIds()))
    return failure();
  primeBeforeUnrelated();
  return success();
}

/// Whether verifySync proves `func` ordered (its diagnostics dropped: a
/// refuted mode is not an error while another may still pass).
bool proven(func::FuncOp func) {
  ScopedDiagnosticHandler quiet(func.getContext(),
                                [](Diagnostic &) { return success(); });
  return succeeded(verifySync(func));
}

struct InsertSyncPass
    : public sinan::npu::impl::NpuInsertSyncBase<InsertSyncPass> {
  using NpuInsertSyncBase::NpuInsertSyncBase;
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (!func->hasAttr(kTargetAttrName))
      return;
    auto barriers = [&] {
      SmallVector<Operation *> engineOps;
      func.walk([&](Operation *op) {
        if (engineOf(op))
          engineOps.push_back(op);
      });
      OpBuilder builder(func.getContext());
      for (Operation *op : engineOps) {
        builder.setInsertionPointAfter(op);
        BarrierOp::create(builder, op->getLoc());
      }
    };
    if (barrier)
      return barriers();
    const TargetDesc *target = targetOf(func);
    if (!target)
      return signalPassFailure();
    // Tokens hoisted out of loops keep engines busy across iterations but
    // hold semaphores longer; without hoisting, ids recycle sooner.
    // Precise resources first, then the coarser joined ones (fewer
    // semaphores); each with tokens hoisted, then without.
    // A mode whose result the static check (verifySync) refutes is undone
    // like one that ran out of semaphores: the next mode orders more, and
    // the kernel stays correct, slower, rather than failing to compile.
    for (bool pairs : {true, false})
      for (bool hoist : {true, false}) {
        SyncInserter inserter(func, *target, hoist, pairs);
        if (succeeded(inserter.run()) && proven(func))
          return;
        inserter.undo();
      }
    // More buffers change hands at once than the target has semaphores:
    // order everything instead, and say so on the kernel.
    barriers();
    func->setAttr("npu.sync", StringAttr::get(func.getContext(), "barrier"));
  }
};

} // namespace
