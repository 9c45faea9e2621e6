//===- AllocateRegisters.cpp - Virtual to machine registers ---------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Kernels are small and their values short-lived (addresses, counters,
// sizes), so a graph coloring without spilling fits: liveness by backward
// dataflow over the blocks, interference at each definition, greedy colors.
//
//===----------------------------------------------------------------------===//

#include "sinan/Dialect/Isa/Transforms/Passes.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"

namespace sinan::isa::ir {
#define GEN_PASS_DEF_ISAALLOCATEREGISTERS
#include "sinan/Dialect/Isa/Transforms/Passes.h.inc"
} // namespace sinan::isa::ir

using namespace mlir;
using namespace sinan;
using namespace sinan::isa::ir;

namespace {

constexpr llvm::StringLiteral kRegisterNames[] = {"ra", "rb", "rc"};

using RegSet = llvm::DenseSet<int64_t>;

/// The registers an instruction defines and reads (r0 excluded: it is the
/// constant zero, never allocated).
struct Access {
  SmallVector<int64_t, 1> defs;
  SmallVector<int64_t, 3> uses;
};

Access accessOf(Operation *op) {
  Access access;
  const isa::OpInfo *info = opInfoOf(op);
  if (!info)
    return access;
  for (unsigned i = 0; i < 3; ++i) {
    if (!(info->regs & (1u << i)))
      continue;
    int64_t reg = op->getAttrOfType<IntegerAttr>(kRegisterNames[i]).getInt();
    if (reg == 0)
      continue;
    bool defines = i == 0 && (info->opcode == isa::Opcode::Li ||
                              info->opcode == isa::Opcode::Alu);
    // The immediate form of alu does not read rc.
    bool unusedRc = i == 2 && info->opcode == isa::Opcode::Alu &&
                    op->getAttrOfType<IntegerAttr>("immediate").getInt();
    if (defines)
      access.defs.push_back(reg);
    else if (!unusedRc)
      access.uses.push_back(reg);
  }
  return access;
}

bool isVirtual(int64_t reg) { return reg >= kFirstVirtualRegister; }

LogicalResult allocate(ProgramOp program) {
  Region &body = program.getBody();

  // Per block: registers read before any write (gen) and written (kill).
  llvm::DenseMap<Block *, RegSet> gen, kill, liveIn, liveOut;
  for (Block &block : body) {
    RegSet &g = gen[&block], &k = kill[&block];
    for (Operation &op : block) {
      Access access = accessOf(&op);
      for (int64_t reg : access.uses)
        if (!k.contains(reg))
          g.insert(reg);
      for (int64_t reg : access.defs)
        k.insert(reg);
    }
  }
  // Backward dataflow to a fixed point.
  for (bool changed = true; changed;) {
    changed = false;
    for (Block &block : llvm::reverse(body)) {
      RegSet out;
      for (Block *succ : block.getSuccessors())
        for (int64_t reg : liveIn[succ])
          out.insert(reg);
      RegSet in = gen[&block];
      for (int64_t reg : out)
        if (!kill[&block].contains(reg))
          in.insert(reg);
      if (in.size() != liveIn[&block].size()) {
        liveIn[&block] = std::move(in);
        changed = true;
      }
      liveOut[&block] = std::move(out);
    }
  }

  // Interference: a definition conflicts with everything live after it.
  llvm::DenseMap<int64_t, RegSet> neighbors;
  llvm::SetVector<int64_t> order; // Virtual registers by first definition.
  llvm::DenseMap<int64_t, Operation *> firstDef;
  for (Block &block : body) {
    RegSet live = liveOut[&block];
    for (Operation &op : llvm::reverse(block)) {
      Access access = accessOf(&op);
      for (int64_t def : access.defs) {
        for (int64_t other : live)
          if (other != def) {
            neighbors[def].insert(other);
            neighbors[other].insert(def);
          }
        live.erase(def);
      }
      for (int64_t use : access.uses)
        live.insert(use);
    }
  }
  for (Block &block : body)
    for (Operation &op : block)
      for (int64_t def : accessOf(&op).defs)
        if (isVirtual(def) && order.insert(def))
          firstDef[def] = &op;
  // A virtual register read but never written is a lowering bug; name it.
  for (Block &block : body)
    for (Operation &op : block)
      for (int64_t use : accessOf(&op).uses)
        if (isVirtual(use) && !firstDef.count(use)) {
          return op.emitOpError()
                 << "reads virtual register v" << use - kFirstVirtualRegister
                 << ", which nothing writes";
        }

  llvm::DenseMap<int64_t, int64_t> color;
  for (int64_t reg : order) {
    llvm::BitVector taken(isa::kNumRegisters);
    taken.set(0);
    for (int64_t other : neighbors[reg]) {
      if (!isVirtual(other))
        taken.set(other);
      else if (auto it = color.find(other); it != color.end())
        taken.set(it->second);
    }
    int free = taken.find_first_unset();
    if (free < 0) {
      return firstDef[reg]->emitOpError()
             << "needs more than " << isa::kNumRegisters - 1
             << " registers live at once (v" << reg - kFirstVirtualRegister
             << " has no machine register left)";
    }
    color[reg] = free;
  }

  Builder builder(program.getContext());
  for (Block &block : body)
    for (Operation &op : block) {
      const isa::OpInfo *info = opInfoOf(&op);
      if (!info)
        continue;
      for (unsigned i = 0; i < 3; ++i) {
        if (!(info->regs & (1u << i)))
          continue;
        int64_t reg = op.getAttrOfType<IntegerAttr>(kRegisterNames[i]).getInt();
        if (isVirtual(reg))
          op.setAttr(kRegisterNames[i],
                     builder.getI64IntegerAttr(color.lookup(reg)));
      }
    }
  return success();
}

struct AllocateRegistersPass
    : public sinan::isa::ir::impl::IsaAllocateRegistersBase<
          AllocateRegistersPass> {
  void runOnOperation() override {
    for (ProgramOp program : getOperation().getBody().getOps<ProgramOp>())
      if (failed(allocate(program)))
        return signalPassFailure();
  }
};

} // namespace
