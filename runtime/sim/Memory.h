//===- Memory.h - Simulator memories and access checking --------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Happens-before race detection over memory granules (one granule per
// `alignment_bytes`). Each engine carries a vector clock; a granule remembers
// its last write and each engine's last read as (clock, instruction) pairs. An
// access not ordered after a conflicting one by semaphores is a hazard.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_RUNTIME_SIM_MEMORY_H
#define SINAN_RUNTIME_SIM_MEMORY_H

#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

namespace sinan::sim {

/// Vector clock over every engine of the chip (core * 5 + engine).
using VClock = std::vector<uint32_t>;

inline void joinInto(VClock &into, const VClock &from) {
  for (size_t i = 0; i < into.size(); ++i)
    if (from[i] > into[i])
      into[i] = from[i];
}

/// Who touched a granule: the engine slot and the program instruction index.
struct Access {
  uint32_t slot = 0;
  uint32_t clock = 0; ///< 0 means "never".
  uint32_t instruction = 0;
};

/// A conflict found by the checker.
struct Hazard {
  Access earlier;    ///< The access not ordered before the current one.
  bool earlierWrite; ///< Whether `earlier` was a write.
  uint64_t granule;  ///< Granule index within the space.
};

/// Shadow state for one memory. `slots` engines may access it; `slotOf`
/// maps a global engine id to its slot. DRAM shadows are allocated lazily by
/// page since only touched regions matter.
class Shadow {
public:
  Shadow(uint32_t slots, uint64_t granules)
      : slots(slots), granules(granules) {}

  /// Records an access by `slot` (global engine id `engine`, clock `clock`)
  /// and returns the first conflict, if any.
  std::optional<Hazard> access(uint64_t granule, bool write, uint32_t slot,
                               uint32_t engine, const VClock &clock,
                               uint32_t instruction,
                               const std::vector<uint32_t> &slotEngine);

private:
  static constexpr uint64_t kPageGranules = 4096;
  struct Page {
    std::vector<Access> writes;
    std::vector<Access> reads; // kPageGranules * slots
  };
  Page &page(uint64_t granule);

  uint32_t slots;
  uint64_t granules;
  std::unordered_map<uint64_t, std::unique_ptr<Page>> pages;
};

} // namespace sinan::sim

#endif // SINAN_RUNTIME_SIM_MEMORY_H
