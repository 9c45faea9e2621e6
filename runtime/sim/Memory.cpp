//===- Memory.cpp - Happens-before access checking ------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "Memory.h"

#include <cassert>

namespace sinan::sim {

Shadow::Page &Shadow::page(uint64_t granule) {
  std::unique_ptr<Page> &entry = pages[granule / kPageGranules];
  if (!entry) {
    entry = std::make_unique<Page>();
    entry->writes.resize(kPageGranules);
    entry->reads.resize(kPageGranules * slots);
  }
  return *entry;
}

std::optional<Hazard> Shadow::access(uint64_t granule, bool write,
                                     uint32_t slot, uint32_t engine,
                                     const VClock &clock, uint32_t instruction,
                                     const std::vector<uint32_t> &slotEngine) {
  // Callers check bounds before they touch memory.
  assert(granule < granules && "access past the memory's end");
  Page &p = page(granule);
  uint64_t local = granule % kPageGranules;
  Access &lastWrite = p.writes[local];
  Access *reads = &p.reads[local * slots];
  // Ordered means: the current engine's clock has seen the other access.
  auto ordered = [&](const Access &other) {
    return other.clock == 0 || other.slot == slot ||
           other.clock <= clock[slotEngine[other.slot]];
  };
  if (!ordered(lastWrite))
    return Hazard{lastWrite, true, granule};
  Access mine{slot, clock[engine], instruction};
  if (!write) {
    reads[slot] = mine;
    return std::nullopt;
  }
  for (uint32_t other = 0; other < slots; ++other)
    if (other != slot && !ordered(reads[other]))
      return Hazard{reads[other], false, granule};
  lastWrite = mine;
  for (uint32_t other = 0; other < slots; ++other)
    reads[other] = Access{};
  return std::nullopt;
}

} // namespace sinan::sim
