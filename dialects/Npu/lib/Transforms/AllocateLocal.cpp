//===- AllocateLocal.cpp - Local buffers placed by liveness ---------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Dialect/Npu/Transforms/Passes.h"

#include "sinan/runtime/Target.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/DenseMap.h"

#include <functional>

namespace sinan::npu {
#define GEN_PASS_DEF_NPUALLOCATELOCAL
#include "sinan/Dialect/Npu/Transforms/Passes.h.inc"
} // namespace sinan::npu

using namespace mlir;
using namespace sinan;
using namespace sinan::npu;

namespace {

struct Buffer {
  memref::AllocOp alloc;
  MemorySpace space;
  int64_t bytes;
  int64_t begin, end; ///< Live over program positions [begin, end].
  int64_t offset = -1;
};

uint64_t capacity(const TargetDesc &target, MemorySpace space) {
  switch (space) {
  case MemorySpace::ibuf:
    return target.ibuf.sizeBytes;
  case MemorySpace::wbuf:
    return target.wbuf.sizeBytes;
  case MemorySpace::acc:
    return target.acc.sizeBytes;
  case MemorySpace::vbuf:
    return target.vbuf.sizeBytes;
  case MemorySpace::dram:
    return 0;
  }
  return 0;
}

struct AllocateLocalPass
    : public sinan::npu::impl::NpuAllocateLocalBase<AllocateLocalPass> {
  void runOnOperation() override;
};

void AllocateLocalPass::runOnOperation() {
  func::FuncOp func = getOperation();
  if (!func->hasAttr(kTargetAttrName))
    return;
  const TargetDesc *target = targetOf(func);
  if (!target)
    return signalPassFailure();

  // Program positions in walk order (pre-order: a loop before its body).
  llvm::DenseMap<Operation *, int64_t> position;
  llvm::DenseMap<Operation *, int64_t> regionEnd; // Loops: last position.
  int64_t next = 0;
  func.walk<WalkOrder::PreOrder>([&](Operation *op) { position[op] = next++; });
  // The end of a loop is the largest position inside it.
  func.walk([&](scf::ForOp loop) {
    int64_t last = position[loop];
    loop.walk(
        [&](Operation *inner) { last = std::max(last, position[inner]); });
    regionEnd[loop] = last;
  });

  SmallVector<Buffer> buffers;
  WalkResult result = func.walk([&](memref::AllocOp alloc) {
    std::optional<MemorySpace> space = memorySpaceOf(alloc.getType());
    if (!space || *space == MemorySpace::dram)
      return WalkResult::advance();
    if (!alloc.getType().hasStaticShape()) {
      alloc.emitError("a local buffer must have a static shape");
      return WalkResult::interrupt();
    }
    // A buffer lives from its first use to its last (the allocation itself
    // does nothing); a use inside a loop the allocation is outside of
    // stretches the life over the whole loop, since every iteration uses it.
    Buffer buffer{alloc, *space, spanBytes(alloc.getType()), INT64_MAX, -1};
    SmallVector<Value> worklist = {alloc.getResult()};
    while (!worklist.empty()) {
      Value value = worklist.pop_back_val();
      for (Operation *user : value.getUsers()) {
        if (isa<ViewLikeOpInterface>(user)) {
          worklist.push_back(user->getResult(0));
          continue;
        }
        int64_t begin = position[user], end = position[user];
        for (Operation *parent = user->getParentOp(); parent && parent != func;
             parent = parent->getParentOp())
          if (isa<scf::ForOp>(parent) && !parent->isAncestor(alloc)) {
            begin = std::min(begin, position[parent]);
            end = std::max(end, regionEnd[parent]);
          }
        buffer.begin = std::min(buffer.begin, begin);
        buffer.end = std::max(buffer.end, end);
      }
    }
    if (buffer.end < 0) // Unused: give it a place anyway.
      buffer.begin = buffer.end = position[alloc];
    buffers.push_back(buffer);
    return WalkResult::advance();
  });
  if (result.wasInterrupted())
    return signalPassFailure();
  // The copies of one buffer live as long as all of them.
  llvm::DenseMap<int64_t, std::pair<int64_t, int64_t>> groups;
  auto groupOf = [](const Buffer &buffer) -> std::optional<int64_t> {
    if (auto id = buffer.alloc->getAttrOfType<IntegerAttr>(kCopyGroupAttrName))
      return id.getInt();
    return std::nullopt;
  };
  for (const Buffer &buffer : buffers)
    if (std::optional<int64_t> id = groupOf(buffer)) {
      auto [it, inserted] =
          groups.try_emplace(*id, std::make_pair(buffer.begin, buffer.end));
      it->second.first = std::min(it->second.first, buffer.begin);
      it->second.second = std::max(it->second.second, buffer.end);
    }
  for (Buffer &buffer : buffers)
    if (std::optional<int64_t> id = groupOf(buffer))
      std::tie(buffer.begin, buffer.end) = groups[*id];

  // Per memory: every buffer at an offset of its own when they all fit, so
  // that no buffer waits for an unrelated one's last reader (a reuse of
  // space is a dependence the engines must then honour, which serializes
  // blocks the multi-buffering meant to overlap). Otherwise the lowest
  // aligned offset that fits among the buffers live at the same time, in
  // one of a few orders (the first that fits wins): largest size x lifetime
  // first, then by first use (a short-lived buffer placed early cannot
  // strand the space that later ones need), then largest first.
  int64_t align = target->alignmentBytes;
  auto place = [&](ArrayRef<Buffer *> order, bool disjoint) -> Buffer * {
    SmallVector<Buffer *> placed;
    for (Buffer *buffer : order) {
      SmallVector<std::pair<int64_t, int64_t>> busy;
      for (Buffer *other : placed)
        if (disjoint ||
            (other->begin <= buffer->end && buffer->begin <= other->end))
          busy.push_back({other->offset, other->offset + other->bytes});
      llvm::sort(busy);
      int64_t offset = 0;
      for (auto [start, stop] : busy) {
        if (offset + buffer->bytes <= start)
          break;
        offset = std::max(offset, (stop + align - 1) / align * align);
      }
      buffer->offset = offset;
      if (uint64_t(offset + buffer->bytes) > capacity(*target, buffer->space))
        return buffer;
      placed.push_back(buffer);
    }
    return nullptr;
  };
  auto area = [](Buffer *a) { return a->bytes * (a->end - a->begin + 1); };
  SmallVector<std::function<bool(Buffer *, Buffer *)>> orders = {
      [&](Buffer *a, Buffer *b) { return area(a) > area(b); },
      [](Buffer *a, Buffer *b) {
        return a->begin < b->begin || (a->begin == b->begin && a->end > b->end);
      },
      [](Buffer *a, Buffer *b) { return a->bytes > b->bytes; }};
  for (MemorySpace space : {MemorySpace::ibuf, MemorySpace::wbuf,
                            MemorySpace::acc, MemorySpace::vbuf}) {
    SmallVector<Buffer *> order;
    for (Buffer &buffer : buffers)
      if (buffer.space == space)
        order.push_back(&buffer);
    // Program order keeps the disjoint layout readable.
    if (!place(order, /*disjoint=*/true))
      continue;
    Buffer *failed = nullptr;
    int64_t failedOffset = 0;
    for (auto [i, less] : llvm::enumerate(orders)) {
      llvm::stable_sort(order, less);
      Buffer *misfit = place(order, /*disjoint=*/false);
      if (!misfit) {
        failed = nullptr;
        break;
      }
      if (i == 0) {
        failed = misfit;
        failedOffset = misfit->offset;
      }
    }
    if (failed) {
      failed->alloc.emitError()
          << "does not fit in " << stringifyMemorySpace(failed->space)
          << ": it needs " << failed->bytes << " bytes at offset "
          << failedOffset
          << ", after the buffers live at the same time, and target "
          << target->name << " has " << capacity(*target, failed->space)
          << " bytes";
      return signalPassFailure();
    }
  }
  Builder builder(func.getContext());
  for (Buffer &buffer : buffers)
    buffer.alloc->setAttr(kOffsetAttrName,
                          builder.getI64IntegerAttr(buffer.offset));
}

} // namespace
