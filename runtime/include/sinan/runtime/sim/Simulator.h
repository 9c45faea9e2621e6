//===- Simulator.h - SNPU functional and timed device model -----*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Runs a kernel on a modelled SNPU chip: bit-exact results by the ISA's rules,
// an event-driven timing model per engine queue with shared DRAM bandwidth,
// and a checker that turns unsynchronised accesses, deadlocks, bad addresses
// and semaphore overflow into errors naming core, engine and instruction.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_RUNTIME_SIM_SIMULATOR_H
#define SINAN_RUNTIME_SIM_SIMULATOR_H

#include "sinan/runtime/Target.h"
#include "sinan/runtime/isa/Kernel.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace sinan::sim {

struct Options {
  /// 0 runs ready engines in a fixed order; any other value shuffles the
  /// order among engines ready at the same cycle (results must not change).
  uint64_t seed = 0;
  /// Stop with an error after this many executed instructions (runaway loop).
  uint64_t maxInstructions = 1ull << 32;
  /// Stop with an error once an instruction would start after this cycle
  /// (a watchdog; 0: none).
  uint64_t maxCycles = 0;
  /// Record a per-instruction timeline (Chrome/Perfetto trace JSON).
  bool trace = false;
  /// Launch arguments: arguments[i] is in register r(i+1) of every core when
  /// the kernel starts (the runtime passes buffer addresses this way).
  std::vector<uint64_t> arguments;
};

/// Cycle accounting of one engine. busy + stalls + idle = total cycles.
struct EngineStats {
  uint64_t instructions = 0;
  uint64_t busyCycles = 0;
  uint64_t semaphoreStallCycles = 0; ///< Blocked in wait/cwait/barrier/end.
  uint64_t queueStallCycles = 0;     ///< Scalar: dispatch to a full queue.
  uint64_t bandwidthStallCycles = 0; ///< DMA: waiting for shared DRAM.
  uint64_t idleCycles = 0;
};

struct CoreStats {
  std::array<EngineStats, isa::kNumEngines> engines;
  uint64_t macs = 0;
  uint64_t dmaBytesIn = 0, dmaBytesOut = 0;
  /// Highest byte offset + 1 touched in each local memory.
  uint64_t peakIbuf = 0, peakWbuf = 0, peakAcc = 0, peakVbuf = 0;
};

struct Stats {
  uint64_t cycles = 0;
  std::vector<CoreStats> cores;
  uint64_t totalMacs() const;
  /// MACs / (cycles x peak MACs per cycle of the whole chip) for `type`.
  double matrixUtilization(const TargetDesc &target, DType type) const;
  /// Seconds at the target clock.
  double seconds(const TargetDesc &target) const;
};

struct Result {
  bool ok = false;
  std::string error; ///< Set when !ok: one message naming the culprit.
  Stats stats;
  std::string traceJson; ///< Set when Options::trace.
};

/// Runs `kernel` on `target` with `dram` as device memory (read and written
/// in place). The kernel must have been built for `target` (fingerprint).
Result run(const TargetDesc &target, const isa::Kernel &kernel,
           std::vector<uint8_t> &dram, const Options &options = {});

/// Human-readable statistics, one engine per line.
std::string formatStats(const TargetDesc &target, const Stats &stats);

} // namespace sinan::sim

#endif // SINAN_RUNTIME_SIM_SIMULATOR_H
