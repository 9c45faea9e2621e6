//===- HostPool.cpp - The host threads a device or session runs on -------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/exec/HostPool.h"

#include <tbb/task_arena.h>
#include <tbb/task_scheduler_observer.h>

#include <optional>
#include <vector>

#ifdef __linux__
#include <pthread.h>
#include <sched.h>
#endif

namespace sinan::exec {
namespace {

#ifdef __linux__
/// The CPUs this process may run on, in order.
std::vector<int> allowedCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) != 0)
    return cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &set))
      cpus.push_back(cpu);
  return cpus;
}

/// Pins each thread of an arena to its slot's CPU while it is in the
/// arena; a thread gets its previous affinity back when it leaves (the
/// caller's thread at the end of every execute, a worker when it moves to
/// another arena).
class Pinning final : public tbb::task_scheduler_observer {
public:
  Pinning(tbb::task_arena &arena, std::vector<int> cpus)
      : tbb::task_scheduler_observer(arena), cpus(std::move(cpus)) {}
  ~Pinning() override { observe(false); }

  void on_scheduler_entry(bool) override {
    int slot = tbb::this_task_arena::current_thread_index();
    if (slot < 0 || saved())
      return;
    cpu_set_t before, mine;
    if (pthread_getaffinity_np(pthread_self(), sizeof before, &before) != 0)
      return;
    CPU_ZERO(&mine);
    CPU_SET(cpus[size_t(slot) % cpus.size()], &mine);
    if (pthread_setaffinity_np(pthread_self(), sizeof mine, &mine) == 0)
      saved() = before;
  }

  void on_scheduler_exit(bool) override {
    if (!saved())
      return;
    pthread_setaffinity_np(pthread_self(), sizeof *saved(), &*saved());
    saved().reset();
  }

private:
  /// This thread's affinity before it was pinned (one arena at a time: a
  /// thread entering a second pinned arena keeps the first's pin).
  static std::optional<cpu_set_t> &saved() {
    thread_local std::optional<cpu_set_t> mask;
    return mask;
  }
  std::vector<int> cpus;
};
#endif

} // namespace

struct HostPool::Impl {
  explicit Impl(unsigned threads)
      : arena(threads ? int(threads) : tbb::task_arena::automatic) {
    arena.initialize();
#ifdef __linux__
    std::vector<int> cpus = allowedCpus();
    // One thread per CPU: with fewer, the scheduler has idle CPUs to move
    // a waiting worker to, and other processes may pin the same CPUs.
    if (cpus.size() > 1 && cpus.size() == size_t(arena.max_concurrency()))
      pinning = std::make_unique<Pinning>(arena, std::move(cpus));
#endif
  }
  tbb::task_arena arena;
#ifdef __linux__
  std::unique_ptr<Pinning> pinning;
#endif
  bool pinned = false;
};

HostPool::HostPool(unsigned threads, bool pin)
    : impl(std::make_unique<Impl>(threads)) {
  setPinning(pin);
}

HostPool::~HostPool() = default;

void HostPool::execute(const std::function<void()> &work) {
  impl->arena.execute(work);
}

unsigned HostPool::concurrency() const {
  return static_cast<unsigned>(impl->arena.max_concurrency());
}

bool HostPool::pinned() const { return impl->pinned; }

void HostPool::setPinning(bool pin) {
#ifdef __linux__
  if (impl->pinning) {
    impl->pinning->observe(pin);
    impl->pinned = pin;
  }
#else
  (void)pin;
#endif
}

} // namespace sinan::exec
