//===- Simulator.cpp - SNPU functional and timed device model -------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Event-driven over engine queues: at each step the engine whose next
// instruction can start earliest runs it (ties broken by engine order, or
// randomly with a seed). The scalar engine walks the program and dispatches
// other instructions, with their register operands, into engine queues. Each
// instruction's data effect is applied when it runs; the happens-before
// checker (Memory.h) proves that this order cannot change results.
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/sim/Simulator.h"
#include "sinan/runtime/isa/IsaTable.h"

#include "Compute.h"
#include "Memory.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <limits>
#include <map>
#include <random>
#include <tuple>

namespace sinan::sim {

/// Rows (d1 x d2 x d3) one DMA transfer may move (docs/isa.md §8).
constexpr uint64_t kMaxDmaRows = 1u << 20;
namespace {
using isa::Engine;
using isa::Instruction;
using isa::Opcode;
using isa::Space;

constexpr unsigned kEngines = isa::kNumEngines;
constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();

uint64_t ceilDiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

/// An instruction waiting in an engine queue, with its operands resolved.
struct Pending {
  Instruction inst;
  uint32_t index = 0;
  uint64_t ra = 0, rb = 0, rc = 0;
  uint64_t dispatchedAt = 0;
  VClock clock;
};

/// (source engine, destination engine, id) of a signal or wait.
std::tuple<unsigned, unsigned, uint32_t> semaphoreKey(const Instruction &inst) {
  // signal and wait share one field layout (Instructions.def).
  namespace f = isa::fields;
  return {unsigned(f::signal::src(inst)), unsigned(f::signal::dst(inst)),
          f::signal::id(inst)};
}

struct Token {
  uint64_t time;
  VClock clock;
};

struct EngineState {
  std::deque<Pending> queue;
  uint64_t freeAt = 0; ///< When it may start its next instruction.
  uint64_t doneAt = 0; ///< When everything it started has completed.
  uint64_t lastPop = 0;
  VClock clock;
  EngineStats stats;
  // Configuration state set by dcfg / mcfg / vcfg.
  uint64_t shape[4] = {1, 1, 1, 1};
  uint64_t srcStride[3] = {0, 0, 0}, dstStride[3] = {0, 0, 0};
  /// DMA-in only: the source element stride of d0, and zeros before and
  /// after the source data in d0 and d1.
  uint64_t gather = 1, padW[2] = {0, 0}, padH[2] = {0, 0};
  /// DMA-in only: a gathering dload's row indices (`dcfg index`): the DRAM
  /// address of the array, the table's rows (0: not gathering) and the
  /// bytes of one index (4 or 8, signed, negative counting from the end).
  uint64_t indexAt = 0, indexRows = 0, indexBytes = 0;
  /// DMA-in only: loads from DRAM still landing after the engine moved on
  /// (space, [begin, end) bytes, when the data is there). A later transfer
  /// of the engine that reads those bytes waits for them: accesses of one
  /// engine happen in program order (docs/isa.md §7), and in time too.
  struct Landing {
    Space space;
    uint64_t begin, end, done;
  };
  std::vector<Landing> landing;
  /// Drops the loads landed by `time`: they no longer hold anything back.
  void forgetLanded(uint64_t time) {
    landing.erase(
        std::remove_if(landing.begin(), landing.end(),
                       [&](const Landing &l) { return l.done <= time; }),
        landing.end());
  }
  uint64_t m = 0, k = 0, n = 0;
  uint64_t len = 0, rep = 1, strideD = 0, strideA = 0, strideB = 0;
};

struct CoreState {
  const std::vector<Instruction> *program = nullptr;
  uint64_t pc = 0;
  uint64_t regs[isa::kNumRegisters] = {};
  bool ended = false;
  EngineState engines[kEngines];
  std::map<std::tuple<unsigned, unsigned, uint32_t>, std::deque<Token>>
      semaphores;
  std::vector<std::deque<Token>> crossSemaphores;
  std::vector<uint8_t> memory[kEngines]; // Indexed by Space; [0] unused.
  std::vector<std::unique_ptr<Shadow>> shadows;
  CoreStats stats;
};

/// A memory range an instruction touches.
struct Range {
  Space space;
  uint64_t offset, size;
  bool write;
};

class Machine {
public:
  Machine(const TargetDesc &target, const isa::Kernel &kernel,
          std::vector<uint8_t> &dram, const Options &options);
  Result run();

private:
  struct Candidate {
    unsigned core, engine;
    uint64_t start;
  };
  std::optional<Candidate> pick();
  uint64_t scalarStart(unsigned core);
  uint64_t engineStart(unsigned core, unsigned engine);
  bool execute(const Candidate &candidate);
  bool runScalar(unsigned core, uint64_t start);
  bool runEngine(unsigned core, unsigned engine, uint64_t start);
  bool perform(unsigned core, unsigned engine, const Pending &p, uint64_t start,
               uint64_t &busy, uint64_t &done);
  bool signal(unsigned core, unsigned engine, uint32_t index, uint64_t time,
              const VClock &clock);
  bool checkRanges(unsigned core, unsigned engine, const Pending &p,
                   const std::vector<Range> &ranges);
  /// The table rows a gathering dload reads (`dcfg index`), each index
  /// checked against the table's rows.
  bool readRowIndices(unsigned core, unsigned engine, const Pending &p,
                      Space srcSpace, uint64_t count,
                      std::vector<uint64_t> &rows);
  uint8_t *bytes(unsigned core, Space space, uint64_t offset);
  /// Bytes of the largest memory (DRAM or a local one): no row is longer.
  uint64_t largestMemory() const {
    return std::max({uint64_t(dram.size()), target.ibuf.sizeBytes,
                     target.wbuf.sizeBytes, target.acc.sizeBytes,
                     target.vbuf.sizeBytes});
  }
  std::string describe(unsigned core, unsigned engine, uint32_t index) const;
  std::string deadlockReport();
  bool fail(std::string message) {
    error = std::move(message);
    return false;
  }
  void traceEvent(unsigned core, unsigned engine, uint32_t index,
                  uint64_t start, uint64_t end);

  const TargetDesc &target;
  const isa::Kernel &kernel;
  std::vector<uint8_t> &dram;
  Options options;
  std::deque<CoreState> cores; // Not movable (deques of tokens).
  std::unique_ptr<Shadow> dramShadow;
  std::vector<uint32_t> dramSlotEngine, localSlotEngine;
  uint64_t dramChannelFree = 0;
  uint64_t executed = 0;
  std::mt19937_64 rng;
  std::string error;
  std::string trace;
};

Machine::Machine(const TargetDesc &target, const isa::Kernel &kernel,
                 std::vector<uint8_t> &dram, const Options &options)
    : target(target), kernel(kernel), dram(dram), options(options),
      rng(options.seed) {
  unsigned clocks = target.cores * kEngines;
  cores.resize(target.cores);
  uint64_t align = target.alignmentBytes;
  const uint64_t sizes[kEngines] = {0, target.ibuf.sizeBytes,
                                    target.wbuf.sizeBytes, target.acc.sizeBytes,
                                    target.vbuf.sizeBytes};
  localSlotEngine.resize(kEngines);
  for (unsigned c = 0; c < target.cores; ++c) {
    CoreState &core = cores[c];
    static const std::vector<Instruction> kEmpty;
    core.program = c < kernel.programs.size() ? &kernel.programs[c] : &kEmpty;
    core.ended = c >= kernel.programs.size();
    core.crossSemaphores.resize(target.crossCoreSemaphores);
    core.shadows.resize(kEngines);
    for (unsigned s = 1; s < kEngines; ++s) {
      core.memory[s].assign(sizes[s], 0);
      core.shadows[s] = std::make_unique<Shadow>(kEngines, sizes[s] / align);
    }
    for (EngineState &engine : core.engines)
      engine.clock.assign(clocks, 0);
    for (size_t i = 0;
         i < options.arguments.size() && i + 1 < isa::kNumRegisters; ++i)
      core.regs[i + 1] = options.arguments[i];
  }
  // DRAM is shared by the DMA engines of every core: two slots per core.
  for (unsigned c = 0; c < target.cores; ++c) {
    dramSlotEngine.push_back(c * kEngines + unsigned(Engine::DmaIn));
    dramSlotEngine.push_back(c * kEngines + unsigned(Engine::DmaOut));
  }
  dramShadow =
      std::make_unique<Shadow>(2 * target.cores, ceilDiv(dram.size(), align));
}

std::string Machine::describe(unsigned core, unsigned engine,
                              uint32_t index) const {
  return fmt::format("core {} {} instruction {} `{}`", core,
                     isa::engineName(static_cast<Engine>(engine)), index,
                     isa::disassemble((*cores[core].program)[index]));
}

uint8_t *Machine::bytes(unsigned core, Space space, uint64_t offset) {
  if (space == Space::Dram)
    return dram.data() + offset;
  return cores[core].memory[unsigned(space)].data() + offset;
}

/// Earliest start of the scalar engine's next instruction, or kNever if it
/// is blocked (the caller distinguishes blocked from finished by `ended`).
uint64_t Machine::scalarStart(unsigned c) {
  CoreState &core = cores[c];
  EngineState &scalar = core.engines[0];
  if (core.ended)
    return kNever;
  if (core.pc >= core.program->size())
    return scalar.freeAt; // Runs off the end: reported when executed.
  const Instruction &inst = (*core.program)[core.pc];
  Engine where = isa::engineOf(inst);
  auto drained = [&]() -> uint64_t {
    uint64_t t = scalar.freeAt;
    for (unsigned e = 1; e < kEngines; ++e) {
      if (!core.engines[e].queue.empty())
        return kNever;
      t = std::max(t, core.engines[e].doneAt);
    }
    return t;
  };
  if (where != Engine::Scalar) {
    EngineState &target = core.engines[unsigned(where)];
    if (target.queue.size() >= this->target.queueDepth)
      return kNever;
    return std::max(scalar.freeAt, target.lastPop);
  }
  switch (inst.opcode) {
  case Opcode::End:
  case Opcode::Barrier:
  case Opcode::CSignal:
    return drained();
  case Opcode::Wait: {
    auto it = core.semaphores.find(semaphoreKey(inst));
    if (it == core.semaphores.end() || it->second.empty())
      return kNever;
    return std::max(scalar.freeAt, it->second.front().time);
  }
  case Opcode::CWait: {
    if (inst.imm0 >= core.crossSemaphores.size())
      return scalar.freeAt; // Reported when executed.
    auto &tokens = core.crossSemaphores[inst.imm0];
    return tokens.empty() ? kNever
                          : std::max(scalar.freeAt, tokens.front().time);
  }
  default:
    return scalar.freeAt;
  }
}

uint64_t Machine::engineStart(unsigned c, unsigned e) {
  CoreState &core = cores[c];
  EngineState &engine = core.engines[e];
  if (engine.queue.empty())
    return kNever;
  const Pending &head = engine.queue.front();
  uint64_t start = std::max(engine.freeAt, head.dispatchedAt);
  switch (head.inst.opcode) {
  case Opcode::Wait: {
    auto it = core.semaphores.find(semaphoreKey(head.inst));
    if (it == core.semaphores.end() || it->second.empty())
      return kNever;
    return std::max(start, it->second.front().time);
  }
  default:
    return start;
  }
}

std::optional<Machine::Candidate> Machine::pick() {
  std::optional<Candidate> best;
  unsigned ties = 0;
  for (unsigned c = 0; c < cores.size(); ++c) {
    for (unsigned e = 0; e < kEngines; ++e) {
      uint64_t start = e == 0 ? scalarStart(c) : engineStart(c, e);
      if (start == kNever)
        continue;
      if (!best || start < best->start) {
        best = Candidate{c, e, start};
        ties = 1;
      } else if (start == best->start && options.seed != 0) {
        // Reservoir sampling: each tied engine is equally likely.
        if (rng() % ++ties == 0)
          best = Candidate{c, e, start};
      }
    }
  }
  return best;
}

std::string Machine::deadlockReport() {
  std::string report = "deadlock: no engine can make progress";
  for (unsigned c = 0; c < cores.size(); ++c) {
    CoreState &core = cores[c];
    if (!core.ended && core.pc < core.program->size()) {
      const Instruction &inst = (*core.program)[core.pc];
      Engine where = isa::engineOf(inst);
      std::string why =
          where != Engine::Scalar
              ? fmt::format("its {} queue is full", isa::engineName(where))
          : inst.opcode == Opcode::Wait  ? "semaphore is 0"
          : inst.opcode == Opcode::CWait ? "cross-core semaphore is 0"
                                         : "other engines still have work";
      report +=
          fmt::format("\n  {} waits: {}",
                      describe(c, 0, static_cast<uint32_t>(core.pc)), why);
    }
    for (unsigned e = 1; e < kEngines; ++e) {
      const EngineState &engine = core.engines[e];
      if (engine.queue.empty())
        continue;
      const Pending &head = engine.queue.front();
      report += fmt::format("\n  {} waits: semaphore ({} -> {}, {}) is 0",
                            describe(c, e, head.index),
                            isa::engineName(isa::fields::wait::src(head.inst)),
                            isa::engineName(isa::fields::wait::dst(head.inst)),
                            isa::fields::wait::id(head.inst));
    }
  }
  return report;
}

void Machine::traceEvent(unsigned core, unsigned engine, uint32_t index,
                         uint64_t start, uint64_t end) {
  if (!options.trace)
    return;
  double mhz = static_cast<double>(target.clockMhz);
  std::string name = isa::disassemble((*cores[core].program)[index]);
  trace += fmt::format(
      "{}{{\"name\":\"{}\",\"cat\":\"{}\",\"ph\":\"X\",\"ts\":{:.4f},"
      "\"dur\":{:.4f},\"pid\":{},\"tid\":{},\"args\":{{\"index\":{},"
      "\"start_cycle\":{},\"end_cycle\":{}}}}}",
      trace.empty() ? "" : ",\n", name,
      isa::engineName(static_cast<Engine>(engine)), start / mhz,
      std::max<uint64_t>(end - start, 1) / mhz, core, engine, index, start,
      end);
}

bool Machine::runScalar(unsigned c, uint64_t start) {
  CoreState &core = cores[c];
  EngineState &scalar = core.engines[0];
  if (core.pc >= core.program->size())
    return fail(fmt::format("core {} ran past the end of its {}-instruction "
                            "program without `end`",
                            c, core.program->size()));
  uint32_t index = static_cast<uint32_t>(core.pc);
  const Instruction &inst = (*core.program)[index];
  Engine where = isa::engineOf(inst);
  uint64_t cost = target.scalarCyclesPerInstruction;
  uint64_t ready = scalar.freeAt;
  scalar.clock[c * kEngines]++;
  scalar.stats.instructions++;
  uint64_t next = core.pc + 1;

  auto regValue = [&](unsigned r) { return r == 0 ? 0 : core.regs[r]; };
  auto setReg = [&](unsigned r, uint64_t value) {
    if (r != 0)
      core.regs[r] = value;
  };
  auto joinEngines = [&] {
    for (unsigned e = 1; e < kEngines; ++e)
      joinInto(scalar.clock, core.engines[e].clock);
  };

  if (where != Engine::Scalar) {
    EngineState &engine = core.engines[unsigned(where)];
    scalar.stats.queueStallCycles += start - ready;
    Pending pending{inst,
                    index,
                    regValue(inst.ra),
                    regValue(inst.rb),
                    regValue(inst.rc),
                    start + cost,
                    scalar.clock};
    engine.queue.push_back(std::move(pending));
  } else {
    switch (inst.opcode) {
    case Opcode::Nop:
      break;
    case Opcode::End:
    case Opcode::Barrier:
      scalar.stats.semaphoreStallCycles += start - ready;
      joinEngines();
      if (inst.opcode == Opcode::End)
        core.ended = true;
      break;
    case Opcode::Li:
      setReg(inst.ra, static_cast<uint64_t>(isa::fields::li::value(inst)));
      break;
    case Opcode::Alu: {
      uint64_t a = regValue(inst.rb);
      uint64_t b =
          isa::fields::alu::immediate(inst)
              ? static_cast<uint64_t>(int64_t(isa::fields::alu::imm(inst)))
              : regValue(inst.rc);
      uint64_t result = 0;
      switch (isa::fields::alu::op(inst)) {
      case isa::AluOp::Add:
        result = a + b;
        break;
      case isa::AluOp::Sub:
        result = a - b;
        break;
      case isa::AluOp::Mul:
        result = a * b;
        break;
      case isa::AluOp::And:
        result = a & b;
        break;
      case isa::AluOp::Or:
        result = a | b;
        break;
      case isa::AluOp::Xor:
        result = a ^ b;
        break;
      case isa::AluOp::Shl:
        result = b >= 64 ? 0 : a << b;
        break;
      case isa::AluOp::Shr:
        result = b >= 64 ? 0 : a >> b;
        break;
      case isa::AluOp::Sra:
        result = static_cast<uint64_t>(int64_t(a) >> std::min<uint64_t>(b, 63));
        break;
      case isa::AluOp::Min:
        result = static_cast<uint64_t>(std::min(int64_t(a), int64_t(b)));
        break;
      case isa::AluOp::Max:
        result = static_cast<uint64_t>(std::max(int64_t(a), int64_t(b)));
        break;
      }
      setReg(inst.ra, result);
      break;
    }
    case Opcode::Br: {
      int64_t a = int64_t(regValue(inst.ra)), b = int64_t(regValue(inst.rb));
      bool taken = false;
      switch (isa::fields::br::cond(inst)) {
      case isa::BranchCond::Eq:
        taken = a == b;
        break;
      case isa::BranchCond::Ne:
        taken = a != b;
        break;
      case isa::BranchCond::Lt:
        taken = a < b;
        break;
      case isa::BranchCond::Ge:
        taken = a >= b;
        break;
      }
      if (taken) {
        int64_t target = int64_t(core.pc) + int32_t(inst.imm0);
        if (target < 0 || uint64_t(target) > core.program->size())
          return fail(fmt::format("{}: branch target {} is outside the "
                                  "program",
                                  describe(c, 0, index), target));
        next = static_cast<uint64_t>(target);
      }
      break;
    }
    case Opcode::Wait: {
      auto &tokens = core.semaphores[semaphoreKey(inst)];
      scalar.stats.semaphoreStallCycles += start - ready;
      joinInto(scalar.clock, tokens.front().clock);
      tokens.pop_front();
      break;
    }
    case Opcode::CWait: {
      if (inst.imm0 >= core.crossSemaphores.size())
        return fail(fmt::format("{}: cross-core semaphore {} does not exist "
                                "(target has {})",
                                describe(c, 0, index), inst.imm0,
                                core.crossSemaphores.size()));
      auto &tokens = core.crossSemaphores[inst.imm0];
      scalar.stats.semaphoreStallCycles += start - ready;
      joinInto(scalar.clock, tokens.front().clock);
      tokens.pop_front();
      break;
    }
    case Opcode::CSignal: {
      if (inst.imm0 >= cores.size() ||
          inst.imm1 >= cores[inst.imm0].crossSemaphores.size())
        return fail(fmt::format("{}: no cross-core semaphore {} on core {}",
                                describe(c, 0, index), inst.imm1, inst.imm0));
      scalar.stats.semaphoreStallCycles += start - ready;
      joinEngines();
      auto &tokens = cores[inst.imm0].crossSemaphores[inst.imm1];
      if (tokens.size() >= target.semaphoreMax)
        return fail(fmt::format("{}: cross-core semaphore {} of core {} "
                                "overflows its maximum {}",
                                describe(c, 0, index), inst.imm1, inst.imm0,
                                target.semaphoreMax));
      tokens.push_back({start + cost, scalar.clock});
      break;
    }
    case Opcode::Signal:
      if (!signal(c, 0, index, start, scalar.clock))
        return false;
      break;
    default:
      break;
    }
  }
  scalar.stats.busyCycles += cost;
  scalar.freeAt = start + cost;
  scalar.doneAt = scalar.freeAt;
  core.pc = next;
  traceEvent(c, 0, index, start, start + cost);
  return true;
}

/// Adds a token to the semaphore named by the `signal` at `index`.
bool Machine::signal(unsigned c, unsigned e, uint32_t index, uint64_t time,
                     const VClock &clock) {
  const Instruction &inst = (*cores[c].program)[index];
  if (inst.imm0 >= target.semaphoresPerEnginePair)
    return fail(fmt::format("{}: semaphore id {} is out of range (target has "
                            "{} per engine pair)",
                            describe(c, e, index), inst.imm0,
                            target.semaphoresPerEnginePair));
  auto &tokens = cores[c].semaphores[semaphoreKey(inst)];
  if (tokens.size() >= target.semaphoreMax)
    return fail(fmt::format("{}: semaphore overflows its maximum {}",
                            describe(c, e, index), target.semaphoreMax));
  tokens.push_back({time, clock});
  return true;
}

bool Machine::readRowIndices(unsigned c, unsigned e, const Pending &p,
                             Space srcSpace, uint64_t count,
                             std::vector<uint64_t> &rows) {
  const EngineState &engine = cores[c].engines[e];
  if (srcSpace != Space::Dram)
    return fail(fmt::format("{}: row indices (dcfg index) gather a dload's "
                            "DRAM rows; turn them off before a local move",
                            describe(c, e, p.index)));
  uint64_t width = engine.indexBytes, bytes = 0;
  if (__builtin_mul_overflow(count, width, &bytes) ||
      engine.indexAt % width != 0 || engine.indexAt > dram.size() ||
      bytes > dram.size() - engine.indexAt)
    return fail(fmt::format("{}: {} row indices of {} bytes at dram 0x{:x} "
                            "are misaligned or out of bounds (dram is {} "
                            "bytes)",
                            describe(c, e, p.index), count, width,
                            engine.indexAt, dram.size()));
  int64_t tableRows = static_cast<int64_t>(engine.indexRows);
  rows.resize(count);
  for (uint64_t r = 0; r < count; ++r) {
    const uint8_t *at = dram.data() + engine.indexAt + r * width;
    int64_t index;
    if (width == 4) {
      int32_t narrow;
      std::memcpy(&narrow, at, 4);
      index = narrow;
    } else {
      std::memcpy(&index, at, 8);
    }
    if (index < -tableRows || index >= tableRows)
      return fail(fmt::format("{}: row index {} (position {}) is outside "
                              "[-{}, {})",
                              describe(c, e, p.index), index, r, tableRows,
                              tableRows));
    rows[r] = static_cast<uint64_t>(index < 0 ? index + tableRows : index);
  }
  return true;
}

bool Machine::checkRanges(unsigned c, unsigned e, const Pending &p,
                          const std::vector<Range> &ranges) {
  CoreState &core = cores[c];
  uint64_t align = target.alignmentBytes;
  uint32_t engineId = c * kEngines + e;
  for (const Range &range : ranges) {
    uint64_t limit = range.space == Space::Dram
                         ? dram.size()
                         : core.memory[unsigned(range.space)].size();
    if (range.offset > limit || range.size > limit - range.offset)
      return fail(fmt::format(
          "{}: {} access [0x{:x}, 0x{:x}) is out of bounds ({} is {} bytes)",
          describe(c, e, p.index), isa::spaceName(range.space), range.offset,
          range.offset + range.size, isa::spaceName(range.space), limit));
    if (range.size == 0)
      continue;
    Shadow &shadow = range.space == Space::Dram
                         ? *dramShadow
                         : *core.shadows[unsigned(range.space)];
    uint32_t slot = range.space == Space::Dram
                        ? c * 2 + (e == unsigned(Engine::DmaOut) ? 1 : 0)
                        : e;
    const std::vector<uint32_t> &slotEngine =
        range.space == Space::Dram ? dramSlotEngine : localSlotEngine;
    if (range.space != Space::Dram)
      for (unsigned s = 0; s < kEngines; ++s)
        localSlotEngine[s] = c * kEngines + s;
    EngineState &engine = core.engines[e];
    for (uint64_t g = range.offset / align;
         g <= (range.offset + range.size - 1) / align; ++g) {
      std::optional<Hazard> hazard = shadow.access(
          g, range.write, slot, engineId, engine.clock, p.index, slotEngine);
      if (!hazard)
        continue;
      uint32_t otherEngine = slotEngine[hazard->earlier.slot];
      return fail(fmt::format(
          "unsynchronised {}-after-{} hazard on {}[0x{:x}, 0x{:x}): {} {} "
          "it after {} {} it, with no semaphore ordering them",
          range.write ? "write" : "read",
          hazard->earlierWrite ? "write" : "read", isa::spaceName(range.space),
          g * align, (g + 1) * align, describe(c, e, p.index),
          range.write ? "writes" : "reads",
          describe(otherEngine / kEngines, otherEngine % kEngines,
                   hazard->earlier.instruction),
          hazard->earlierWrite ? "wrote" : "read"));
    }
    uint64_t end = range.offset + range.size;
    switch (range.space) {
    case Space::Ibuf:
      core.stats.peakIbuf = std::max(core.stats.peakIbuf, end);
      break;
    case Space::Wbuf:
      core.stats.peakWbuf = std::max(core.stats.peakWbuf, end);
      break;
    case Space::Acc:
      core.stats.peakAcc = std::max(core.stats.peakAcc, end);
      break;
    case Space::Vbuf:
      core.stats.peakVbuf = std::max(core.stats.peakVbuf, end);
      break;
    default:
      break;
    }
  }
  return true;
}

namespace {
uint64_t roundUp(uint64_t value, uint64_t align) {
  return ceilDiv(value, align) * align;
}

/// The operands of a vector instruction, read through each opcode's fields.
struct VectorOperands {
  DType d, a, b;        ///< Element types.
  Space spaceA, spaceB; ///< spaceB only when usesB.
  bool usesB = false, broadcast = false;
  unsigned op = 0; ///< The opcode's operation code, if it has one.
};

VectorOperands vectorOperands(const Instruction &inst) {
  namespace f = isa::fields;
  switch (inst.opcode) {
  case Opcode::VBin: {
    DType t = f::vbin::type(inst);
    return {t,
            t,
            t,
            f::vbin::aSpace(inst),
            f::vbin::bSpace(inst),
            true,
            f::vbin::broadcast(inst),
            unsigned(f::vbin::op(inst))};
  }
  case Opcode::VUn: {
    DType t = f::vun::type(inst);
    return {t,           t,     t,     f::vun::aSpace(inst),
            Space::Vbuf, false, false, unsigned(f::vun::op(inst))};
  }
  case Opcode::VScal: {
    DType t = f::vscal::type(inst);
    return {t,           t,     t,     f::vscal::aSpace(inst),
            Space::Vbuf, false, false, unsigned(f::vscal::op(inst))};
  }
  case Opcode::VFma: {
    DType t = f::vfma::type(inst);
    return {t,
            t,
            t,
            f::vfma::aSpace(inst),
            f::vfma::bSpace(inst),
            true,
            f::vfma::broadcast(inst),
            0};
  }
  case Opcode::VRed: {
    DType t = f::vred::type(inst);
    return {t,           t,     t,     f::vred::aSpace(inst),
            Space::Vbuf, false, false, unsigned(f::vred::op(inst))};
  }
  case Opcode::VCvt:
    return {f::vcvt::dstType(inst), f::vcvt::srcType(inst),
            f::vcvt::srcType(inst), f::vcvt::aSpace(inst), Space::Vbuf};
  case Opcode::VCmp: {
    DType t = f::vcmp::type(inst);
    return {DType::I1,
            t,
            t,
            f::vcmp::aSpace(inst),
            f::vcmp::bSpace(inst),
            true,
            f::vcmp::broadcast(inst),
            unsigned(f::vcmp::op(inst))};
  }
  case Opcode::VSel: {
    DType t = f::vsel::type(inst);
    return {t,   DType::I1, t, f::vsel::aSpace(inst), f::vsel::bSpace(inst),
            true};
  }
  case Opcode::VTrans: {
    DType t = f::vtrans::type(inst);
    return {t, t, t, f::vtrans::aSpace(inst), Space::Vbuf};
  }
  case Opcode::VReq:
    return {DType::I8,
            DType::I32,
            DType::I32,
            f::vreq::aSpace(inst),
            f::vreq::bSpace(inst),
            true};
  default:
    return {DType::F32, DType::F32, DType::F32, Space::Vbuf, Space::Vbuf};
  }
}
} // namespace

bool Machine::perform(unsigned c, unsigned e, const Pending &p, uint64_t start,
                      uint64_t &busy, uint64_t &done) {
  CoreState &core = cores[c];
  EngineState &engine = core.engines[e];
  const Instruction &inst = p.inst;
  uint64_t align = target.alignmentBytes;
  auto misaligned = [&](Space space, uint64_t offset, uint64_t need) {
    return fail(fmt::format("{}: {} address 0x{:x} is not aligned to {} bytes",
                            describe(c, e, p.index), isa::spaceName(space),
                            offset, need));
  };
  busy = 1;
  done = start + 1;

  switch (inst.opcode) {
  case Opcode::DCfg: {
    isa::DmaCfg sel = isa::fields::dcfg::sel(inst);
    uint64_t values[3] = {p.ra, p.rb, p.rc};
    if (sel == isa::DmaCfg::Shape)
      std::copy(values, values + 3, engine.shape);
    else if (sel == isa::DmaCfg::SrcStrides)
      std::copy(values, values + 3, engine.srcStride);
    else if (sel == isa::DmaCfg::DstStrides)
      std::copy(values, values + 3, engine.dstStride);
    else if (sel == isa::DmaCfg::Gather)
      engine.gather = p.ra;
    else if (sel == isa::DmaCfg::PadW)
      std::copy(values, values + 2, engine.padW);
    else if (sel == isa::DmaCfg::PadH)
      std::copy(values, values + 2, engine.padH);
    else if (sel == isa::DmaCfg::Index) {
      if (p.rb > uint64_t(INT64_MAX))
        return fail(fmt::format("{}: a table of {} rows is too large",
                                describe(c, e, p.index), p.rb));
      if (p.rb != 0 && p.rc != 4 && p.rc != 8)
        return fail(fmt::format("{}: an index is 4 or 8 bytes, not {}",
                                describe(c, e, p.index), p.rc));
      engine.indexAt = p.ra;
      engine.indexRows = p.rb;
      engine.indexBytes = p.rc;
    } else
      engine.shape[3] = p.ra;
    return true;
  }
  case Opcode::MCfg:
    engine.m = isa::fields::mcfg::m(inst);
    engine.k = isa::fields::mcfg::k(inst);
    engine.n = isa::fields::mcfg::n(inst);
    return true;
  case Opcode::VCfg:
    if (isa::fields::vcfg::sel(inst) == isa::VecCfg::Len) {
      engine.len = p.ra;
      engine.rep = p.rb;
    } else {
      engine.strideD = p.ra;
      engine.strideA = p.rb;
      engine.strideB = p.rc;
    }
    return true;
  case Opcode::Signal: {
    // The engine issues on; the token appears once everything before the
    // signal has completed.
    return signal(c, e, p.index, std::max(start + 1, engine.doneAt),
                  engine.clock);
  }
  case Opcode::Wait: {
    auto &tokens = core.semaphores[semaphoreKey(inst)];
    joinInto(engine.clock, tokens.front().clock);
    tokens.pop_front();
    return true;
  }
  case Opcode::DLoad:
  case Opcode::DStore:
  case Opcode::DMove:
  case Opcode::DFill: {
    // Resolve source and destination of the 4-D block.
    namespace f = isa::fields;
    DType srcType, dstType;
    Space dstSpace, srcSpace;
    uint64_t dst, src;
    bool relu = false;
    switch (inst.opcode) {
    case Opcode::DLoad:
      srcType = f::dload::srcType(inst);
      dstType = f::dload::dstType(inst);
      dstSpace = f::dload::space(inst);
      dst = p.ra + f::dload::localOffset(inst);
      srcSpace = Space::Dram;
      src = p.rb + f::dload::dramOffset(inst);
      break;
    case Opcode::DStore:
      srcType = f::dstore::srcType(inst);
      dstType = f::dstore::dstType(inst);
      dstSpace = Space::Dram;
      dst = p.ra + f::dstore::dramOffset(inst);
      srcSpace = f::dstore::space(inst);
      src = p.rb + f::dstore::localOffset(inst);
      relu = f::dstore::relu(inst);
      break;
    case Opcode::DMove:
      srcType = dstType = f::dmove::type(inst);
      dstSpace = f::dmove::dstSpace(inst);
      dst = p.ra + f::dmove::dstOffset(inst);
      srcSpace = f::dmove::srcSpace(inst);
      src = p.rb + f::dmove::srcOffset(inst);
      break;
    default:
      srcType = dstType = f::dfill::type(inst);
      dstSpace = srcSpace = f::dfill::space(inst);
      dst = p.ra + f::dfill::offset(inst);
      src = 0;
      break;
    }
    bool fill = inst.opcode == Opcode::DFill;
    uint64_t d0 = engine.shape[0], srcEl = dtypeSize(srcType),
             dstEl = dtypeSize(dstType);
    // A transfer's rows are listed before it runs (for the hazard check), so
    // their number is bounded, as a DMA descriptor's counts are (§8).
    uint64_t rowCount = engine.shape[1];
    if (d0 > largestMemory())
      return fail(fmt::format("{}: a row of {} elements is larger than any "
                              "memory",
                              describe(c, e, p.index), d0));
    if (__builtin_mul_overflow(rowCount, engine.shape[2], &rowCount) ||
        __builtin_mul_overflow(rowCount, engine.shape[3], &rowCount) ||
        rowCount > kMaxDmaRows)
      return fail(fmt::format("{}: a transfer of {} x {} x {} rows exceeds "
                              "the limit of {} rows",
                              describe(c, e, p.index), engine.shape[3],
                              engine.shape[2], engine.shape[1], kMaxDmaRows));
    // DMA-in reads each row's source elements `gather` apart into the
    // destination between the padding zeros; rows of d1 padding are zeros.
    bool reads = !fill;
    bool dmaIn = e == unsigned(Engine::DmaIn) && reads;
    uint64_t gather = dmaIn ? engine.gather : 1;
    uint64_t padW[2] = {0, 0}, padH[2] = {0, 0};
    if (dmaIn) {
      std::copy(engine.padW, engine.padW + 2, padW);
      std::copy(engine.padH, engine.padH + 2, padH);
    }
    if (padW[0] > d0 || padW[1] > d0 - padW[0] || padH[0] > engine.shape[1] ||
        padH[1] > engine.shape[1] - padH[0])
      return fail(fmt::format("{}: padding {}+{} x {}+{} exceeds the block "
                              "{} x {}",
                              describe(c, e, p.index), padH[0], padH[1],
                              padW[0], padW[1], engine.shape[1], d0));
    std::vector<uint64_t> rowIndex;
    if (dmaIn && engine.indexRows != 0 &&
        !readRowIndices(c, e, p, srcSpace, engine.shape[1] - padH[0] - padH[1],
                        rowIndex))
      return false;
    uint64_t inner = d0 - padW[0] - padW[1];
    uint64_t span = 0;
    if (inner > 0 &&
        (__builtin_mul_overflow(inner - 1, gather, &span) ||
         __builtin_add_overflow(span, 1, &span) ||
         __builtin_mul_overflow(span, srcEl, &span) || span > largestMemory()))
      return fail(fmt::format("{}: a gathered row spans {} bytes, more than "
                              "any memory",
                              describe(c, e, p.index), span));
    std::vector<Range> ranges;
    // (src, dst) offsets; kNoSource for a row of padding.
    constexpr uint64_t kNoSource = ~uint64_t(0);
    std::vector<std::pair<uint64_t, uint64_t>> rows;
    // With a zero count there are no rows, however large the other counts
    // (found by sinan-fuzz-module-run: 0 x 2^48 rows looped 2^48 times).
    for (uint64_t i3 = 0; rowCount > 0 && i3 < engine.shape[3]; ++i3)
      for (uint64_t i2 = 0; i2 < engine.shape[2]; ++i2)
        for (uint64_t i1 = 0; i1 < engine.shape[1]; ++i1) {
          bool padRow = i1 < padH[0] || i1 >= engine.shape[1] - padH[1];
          bool sourced = reads && !padRow && inner > 0;
          // A gathering load reads source row indices[r] for row r.
          uint64_t row = i1 - padH[0];
          if (sourced && !rowIndex.empty())
            row = rowIndex[row];
          uint64_t s = src + row * engine.srcStride[0] +
                       i2 * engine.srcStride[1] + i3 * engine.srcStride[2];
          uint64_t t = dst + i1 * engine.dstStride[0] +
                       i2 * engine.dstStride[1] + i3 * engine.dstStride[2];
          for (auto [space, offset, el, used] :
               {std::tuple{dstSpace, t, dstEl, true},
                std::tuple{srcSpace, s, srcEl, sourced}}) {
            uint64_t need = space == Space::Dram ? el : align;
            if (used && offset % need != 0)
              return misaligned(space, offset, need);
          }
          rows.emplace_back(sourced ? s : kNoSource, t);
          if (sourced)
            ranges.push_back({srcSpace, s, dmaIn ? span : d0 * srcEl, false});
          ranges.push_back({dstSpace, t, d0 * dstEl, true});
        }
    uint64_t indexBytes = rowIndex.size() * engine.indexBytes;
    if (indexBytes)
      ranges.push_back({Space::Dram, engine.indexAt, indexBytes, false});
    if (!checkRanges(c, e, p, ranges))
      return false;
    // The engine moves the larger side of each row; the DRAM channel
    // carries the DRAM side only: a store's rows, a load's source span, at
    // most the bursts under it (a broadcast row of one element, say a bias
    // repeated along the accumulator, reads one burst, not the row it
    // writes).
    uint64_t moved = 0, dramBytes = 0;
    std::vector<uint8_t> packed;
    for (auto [s, t] : rows) {
      uint64_t source = s == kNoSource ? 0 : (dmaIn ? span : d0 * srcEl);
      uint64_t row = std::max(source, d0 * dstEl);
      moved += row;
      if (srcSpace == Space::Dram)
        dramBytes += std::min(roundUp(source, target.dmaBurstBytes), row);
      else if (dstSpace == Space::Dram)
        dramBytes += d0 * dstEl;
      if (fill) {
        uint8_t *out = bytes(c, dstSpace, t);
        for (uint64_t i = 0; i < d0; ++i)
          std::memcpy(out + i * dstEl, &inst.imm1, dstEl);
      } else if (dmaIn) {
        uint8_t *out = bytes(c, dstSpace, t);
        std::memset(out, 0, d0 * dstEl);
        if (s == kNoSource)
          continue;
        const uint8_t *in = bytes(c, srcSpace, s);
        packed.resize(inner * srcEl);
        for (uint64_t i = 0; i < inner; ++i)
          std::memcpy(packed.data() + i * srcEl, in + i * gather * srcEl,
                      srcEl);
        convertElements(packed.data(), srcType, out + padW[0] * dstEl, dstType,
                        inner);
      } else if (s == kNoSource) {
        // An empty row (d0 = 0) moves nothing; its source offset is not an
        // address (found by sinan-fuzz-module-run).
        continue;
      } else if (relu) {
        std::vector<uint8_t> row(d0 * srcEl);
        vectorUnary(isa::VUnOp::Relu, srcType, bytes(c, srcSpace, s),
                    row.data(), d0);
        convertElements(row.data(), srcType, bytes(c, dstSpace, t), dstType,
                        d0);
      } else {
        convertElements(bytes(c, srcSpace, s), srcType, bytes(c, dstSpace, t),
                        dstType, d0);
      }
    }
    // A gathering load fetches its indices first: their bytes on the DRAM
    // channel and a DRAM latency before the rows' addresses are known.
    uint64_t transferStart = start + target.dmaSetupCycles;
    if (indexBytes) {
      dramBytes += roundUp(indexBytes, target.dmaBurstBytes);
      transferStart += target.dramLatencyCycles;
    }
    // A local source still landing from an earlier load of this engine.
    if (dmaIn && srcSpace != Space::Dram) {
      engine.forgetLanded(transferStart);
      for (const Range &range : ranges)
        if (!range.write)
          for (const EngineState::Landing &l : engine.landing)
            if (l.space == range.space && range.offset < l.end &&
                l.begin < range.offset + range.size)
              transferStart = std::max(transferStart, l.done);
    }
    // Waiting for the data counts as a dependency stall, not as work.
    uint64_t waited = transferStart - (start + target.dmaSetupCycles) -
                      (indexBytes ? target.dramLatencyCycles : 0);
    engine.stats.semaphoreStallCycles += waited;
    // The engine generates one row's addresses per cycle, so a transfer of
    // many short rows is bound by its row count, not its bytes.
    uint64_t own = std::max<uint64_t>(
        {ceilDiv(moved, target.dmaBytesPerCycle), rows.size(), 1});
    uint64_t dataEnd = transferStart + own;
    if (srcSpace == Space::Dram || dstSpace == Space::Dram) {
      uint64_t channelStart = std::max(transferStart, dramChannelFree);
      dramChannelFree =
          channelStart + ceilDiv(dramBytes, target.dramBytesPerCycle);
      uint64_t stall =
          dramChannelFree > dataEnd ? dramChannelFree - dataEnd : 0;
      engine.stats.bandwidthStallCycles += stall;
      dataEnd += stall;
      busy = dataEnd - start - stall - waited;
      done = dataEnd + target.dramLatencyCycles;
      if (dmaIn && dstSpace != Space::Dram && !ranges.empty()) {
        uint64_t lo = UINT64_MAX, hi = 0;
        for (const Range &range : ranges)
          if (range.write) {
            lo = std::min(lo, range.offset);
            hi = std::max(hi, range.offset + range.size);
          }
        if (lo < hi) {
          engine.forgetLanded(start);
          engine.landing.push_back({dstSpace, lo, hi, done});
        }
      }
      (dstSpace == Space::Dram ? core.stats.dmaBytesOut
                               : core.stats.dmaBytesIn) += moved;
    } else {
      busy = dataEnd - start - waited;
      done = dataEnd;
    }
    engine.freeAt = dataEnd;
    return true;
  }
  case Opcode::Mma: {
    DType type = isa::fields::mma::type(inst) == isa::MmaType::BF16
                     ? DType::BF16
                     : DType::I8;
    auto tile = target.matrixTiles.find(type);
    if (tile == target.matrixTiles.end())
      return fail(fmt::format("{}: target {} has no {} matrix unit",
                              describe(c, e, p.index), target.name,
                              dtypeName(type)));
    uint64_t m = engine.m, k = engine.k, n = engine.n;
    const MatrixTile &t = tile->second;
    if (m == 0 || m % t.m || k % t.k || n % t.n)
      return fail(fmt::format("{}: block {}x{}x{} (from mcfg) is not a "
                              "multiple of the {} tile {}x{}x{}",
                              describe(c, e, p.index), m, k, n, dtypeName(type),
                              t.m, t.k, t.n));
    uint64_t el = dtypeSize(type);
    uint64_t lhsPitch = roundUp(k * el, align),
             rhsPitch = roundUp(n * el, align),
             accPitch = roundUp(n * 4, align);
    uint64_t lhs = p.ra + isa::fields::mma::ibufOffset(inst),
             rhs = p.rb + isa::fields::mma::wbufOffset(inst), acc = p.rc;
    for (auto [space, offset] :
         {std::pair{Space::Ibuf, lhs}, std::pair{Space::Wbuf, rhs},
          std::pair{Space::Acc, acc}})
      if (offset % align)
        return misaligned(space, offset, align);
    if (!checkRanges(c, e, p,
                     {{Space::Ibuf, lhs, m * lhsPitch, false},
                      {Space::Wbuf, rhs, k * rhsPitch, false},
                      {Space::Acc, acc, m * accPitch, true}}))
      return false;
    matmulAccumulate(type, bytes(c, Space::Ibuf, lhs), lhsPitch,
                     bytes(c, Space::Wbuf, rhs), rhsPitch,
                     bytes(c, Space::Acc, acc), accPitch, m, k, n,
                     isa::fields::mma::accumulate(inst));
    uint64_t blocks = (m / t.m) * (k / t.k) * (n / t.n);
    core.stats.macs += m * k * n;
    busy = blocks;
    engine.freeAt = start + blocks;
    done = engine.freeAt + target.matrixLatencyCycles;
    return true;
  }
  default:
    break;
  }

  // Vector unit.
  VectorOperands types = vectorOperands(inst);
  uint64_t len = engine.len, rep = engine.rep;
  // Every vector opcode addresses a at ra + imm0 and b at rb + imm1.
  uint64_t d = p.rc, a = p.ra + inst.imm0, b = p.rb + inst.imm1;
  Space spaceA = types.spaceA, spaceB = types.spaceB;
  bool usesB = types.usesB;
  bool readsD = inst.opcode == Opcode::VFma || inst.opcode == Opcode::VSel;
  uint64_t sd = dtypeSize(types.d), sa = dtypeSize(types.a),
           sb = dtypeSize(types.b);
  if (d % align)
    return misaligned(Space::Vbuf, d, align);
  if (a % align)
    return misaligned(spaceA, a, align);
  if (usesB && b % align)
    return misaligned(spaceB, b, align);
  // Bounded before the sizes below are multiplied out (and listed).
  if (len > largestMemory() || rep > kMaxDmaRows)
    return fail(fmt::format("{}: a block of {} repeats of {} elements is "
                            "larger than any memory allows",
                            describe(c, e, p.index), rep, len));
  bool reduce = inst.opcode == Opcode::VRed;
  bool transpose = inst.opcode == Opcode::VTrans;
  uint64_t dRows = transpose ? len : rep, dLen = transpose ? rep
                                                 : reduce  ? 1
                                                           : len;
  bool broadcast = types.broadcast;
  uint64_t bLen = inst.opcode == Opcode::VReq ? 2 : broadcast ? 1 : len;
  std::vector<Range> ranges;
  for (uint64_t r = 0; r < rep; ++r) {
    ranges.push_back({spaceA, a + r * engine.strideA, len * sa, false});
    if (usesB)
      ranges.push_back({spaceB, b + r * engine.strideB, bLen * sb, false});
  }
  for (uint64_t r = 0; r < dRows; ++r)
    ranges.push_back({Space::Vbuf, d + r * engine.strideD, dLen * sd, true});
  (void)readsD; // Writes are checked against reads and writes alike.
  if (!checkRanges(c, e, p, ranges))
    return false;

  unsigned op = types.op;
  std::vector<uint8_t> row;
  for (uint64_t r = 0; r < rep; ++r) {
    const uint8_t *ra = bytes(c, spaceA, a + r * engine.strideA);
    const uint8_t *rb =
        usesB ? bytes(c, spaceB, b + r * engine.strideB) : nullptr;
    if (broadcast) {
      // One element of b per repeat, replicated across the row.
      row.resize(len * sb);
      for (uint64_t i = 0; i < len; ++i)
        std::memcpy(row.data() + i * sb, rb, sb);
      rb = row.data();
    }
    uint8_t *rd = bytes(c, Space::Vbuf, d + r * engine.strideD);
    switch (inst.opcode) {
    case Opcode::VBin:
      vectorBinary(static_cast<isa::VBinOp>(op), types.d, ra, rb, rd, len);
      break;
    case Opcode::VScal:
      vectorScalar(static_cast<isa::VBinOp>(op), types.d, ra,
                   isa::fields::vscal::scalar(inst), rd, len);
      break;
    case Opcode::VUn:
      vectorUnary(static_cast<isa::VUnOp>(op), types.d, ra, rd, len);
      break;
    case Opcode::VFma:
      vectorFma(types.d, ra, rb, rd, len);
      break;
    case Opcode::VRed:
      vectorReduce(static_cast<isa::VRedOp>(op), types.a, ra, rd, len);
      break;
    case Opcode::VCvt:
      convertElements(ra, types.a, rd, types.d, len);
      break;
    case Opcode::VCmp:
      vectorCompare(static_cast<isa::VCmpOp>(op), types.a, ra, rb, rd, len);
      break;
    case Opcode::VSel:
      vectorSelect(types.d, ra, rb, rd, len);
      break;
    case Opcode::VTrans:
      for (uint64_t j = 0; j < len; ++j)
        std::memcpy(bytes(c, Space::Vbuf, d + j * engine.strideD) + r * sd,
                    ra + j * sa, sd);
      break;
    case Opcode::VReq: {
      int32_t mult, shift;
      std::memcpy(&mult, rb, 4);
      std::memcpy(&shift, rb + 4, 4);
      if (shift < 0 || shift > 62)
        return fail(fmt::format("{}: requantization shift {} in repeat {} is "
                                "outside [0, 62]",
                                describe(c, e, p.index), shift, r));
      vectorRequantize(ra, mult, shift, isa::fields::vreq::zeroPoint(inst), rd,
                       len);
      break;
    }
    default:
      break;
    }
  }
  uint64_t widest = std::max({sd, sa, usesB ? sb : 0});
  busy = std::max<uint64_t>(
      ceilDiv(len * rep * widest, target.vectorBytesPerCycle), 1);
  engine.freeAt = start + busy;
  done = engine.freeAt + target.vectorLatencyCycles;
  return true;
}

bool Machine::runEngine(unsigned c, unsigned e, uint64_t start) {
  CoreState &core = cores[c];
  EngineState &engine = core.engines[e];
  Pending p = std::move(engine.queue.front());
  engine.queue.pop_front();
  engine.lastPop = start;
  uint64_t ready = std::max(engine.freeAt, p.dispatchedAt);
  if (start > ready)
    engine.stats.semaphoreStallCycles += start - ready;
  joinInto(engine.clock, p.clock);
  engine.clock[c * kEngines + e]++;
  engine.stats.instructions++;
  engine.freeAt = start + 1;
  uint64_t busy = 0, done = 0;
  if (!perform(c, e, p, start, busy, done))
    return false;
  engine.freeAt = std::max(engine.freeAt, start + 1);
  engine.stats.busyCycles += busy;
  engine.doneAt = std::max(engine.doneAt, done);
  traceEvent(c, e, p.index, start, done);
  return true;
}

bool Machine::execute(const Candidate &candidate) {
  if (++executed > options.maxInstructions)
    return fail(fmt::format("stopped after {} instructions (raise the limit "
                            "or look for a runaway loop)",
                            options.maxInstructions));
  if (options.maxCycles && candidate.start > options.maxCycles)
    return fail(fmt::format("stopped at cycle {}: the watchdog allows {} "
                            "cycles",
                            candidate.start, options.maxCycles));
  if (candidate.engine == 0)
    return runScalar(candidate.core, candidate.start);
  return runEngine(candidate.core, candidate.engine, candidate.start);
}

Result Machine::run() {
  Result result;
  if (kernel.programs.size() > target.cores) {
    result.error =
        fmt::format("kernel has {} programs but target {} has {} "
                    "cores",
                    kernel.programs.size(), target.name, target.cores);
    return result;
  }
  if (options.arguments.size() >= target.scalarRegisters) {
    result.error =
        fmt::format("{} launch arguments do not fit in registers "
                    "r1-r{}",
                    options.arguments.size(), target.scalarRegisters - 1);
    return result;
  }
  if (kernel.targetFingerprint != isa::targetFingerprint(target)) {
    result.error = fmt::format("kernel was built for target '{}', whose "
                               "parameters differ from '{}'",
                               kernel.targetName, target.name);
    return result;
  }
  while (true) {
    std::optional<Candidate> next = pick();
    if (!next) {
      bool finished = true;
      for (const CoreState &core : cores) {
        finished &= core.ended;
        for (unsigned e = 1; e < kEngines; ++e)
          finished &= core.engines[e].queue.empty();
      }
      if (!finished) {
        result.error = deadlockReport();
        return result;
      }
      break;
    }
    if (!execute(*next)) {
      result.error = error;
      return result;
    }
  }

  Stats &stats = result.stats;
  for (const CoreState &core : cores)
    for (const EngineState &engine : core.engines)
      stats.cycles = std::max({stats.cycles, engine.doneAt, engine.freeAt});
  for (CoreState &core : cores) {
    for (unsigned e = 0; e < kEngines; ++e) {
      EngineStats s = core.engines[e].stats;
      uint64_t accounted = s.busyCycles + s.semaphoreStallCycles +
                           s.queueStallCycles + s.bandwidthStallCycles;
      s.idleCycles = stats.cycles > accounted ? stats.cycles - accounted : 0;
      core.stats.engines[e] = s;
    }
    stats.cores.push_back(core.stats);
  }
  if (options.trace) {
    std::string meta;
    for (unsigned c = 0; c < cores.size(); ++c)
      for (unsigned e = 0; e < kEngines; ++e)
        meta += fmt::format(
            "{{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":{},\"tid\":{},"
            "\"args\":{{\"name\":\"{}\"}}}},\n",
            c, e, isa::engineName(static_cast<Engine>(e)));
    result.traceJson = "{\"traceEvents\":[\n" + meta + trace +
                       "\n],\"displayTimeUnit\":\"ns\"}\n";
  }
  result.ok = true;
  return result;
}
} // namespace

uint64_t Stats::totalMacs() const {
  uint64_t total = 0;
  for (const CoreStats &core : cores)
    total += core.macs;
  return total;
}

double Stats::matrixUtilization(const TargetDesc &target, DType type) const {
  uint64_t peak = target.peakMacsPerCycle(type);
  if (peak == 0 || cycles == 0)
    return 0.0;
  return static_cast<double>(totalMacs()) / (double(cycles) * double(peak));
}

double Stats::seconds(const TargetDesc &target) const {
  return static_cast<double>(cycles) / (double(target.clockMhz) * 1e6);
}

Result run(const TargetDesc &target, const isa::Kernel &kernel,
           std::vector<uint8_t> &dram, const Options &options) {
  Machine machine(target, kernel, dram, options);
  return machine.run();
}

std::string formatStats(const TargetDesc &target, const Stats &stats) {
  std::string text =
      fmt::format("cycles: {} ({:.3f} us at {} MHz)\n", stats.cycles,
                  stats.seconds(target) * 1e6, target.clockMhz);
  for (size_t c = 0; c < stats.cores.size(); ++c) {
    const CoreStats &core = stats.cores[c];
    double seconds = stats.seconds(target);
    double gbps =
        seconds > 0 ? double(core.dmaBytesIn + core.dmaBytesOut) / seconds / 1e9
                    : 0.0;
    text +=
        fmt::format("core {}: {} MACs, DMA in {} B, out {} B ({:.2f} "
                    "GB/s achieved), peak ibuf {} B, wbuf {} B, acc {} B, "
                    "vbuf {} B\n",
                    c, core.macs, core.dmaBytesIn, core.dmaBytesOut, gbps,
                    core.peakIbuf, core.peakWbuf, core.peakAcc, core.peakVbuf);
    for (unsigned e = 0; e < kEngines; ++e) {
      const EngineStats &s = core.engines[e];
      text +=
          fmt::format("  {:4}: {:6} insts, busy {}, stall semaphore {}, "
                      "queue {}, bandwidth {}, idle {}\n",
                      isa::engineName(static_cast<Engine>(e)), s.instructions,
                      s.busyCycles, s.semaphoreStallCycles, s.queueStallCycles,
                      s.bandwidthStallCycles, s.idleCycles);
    }
  }
  for (DType type : {DType::BF16, DType::I8})
    if (target.peakMacsPerCycle(type))
      text += fmt::format("matrix utilization ({} peak): {:.1f}%\n",
                          dtypeName(type),
                          100.0 * stats.matrixUtilization(target, type));
  return text;
}

} // namespace sinan::sim
