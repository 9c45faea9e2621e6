//===- HostPool.h - The host threads a device or session runs on ---------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A oneTBB task arena of a fixed number of threads. On request (Linux), when
// the arena has as many threads as the process may use CPUs, each thread is
// pinned to its own CPU while it works in the arena (slot i to the i-th
// allowed CPU), and the caller's own affinity comes back when it leaves.
// Not by default: processes that pin run their callers on the same CPU
// (two simulations at once would share one core). Unpinned, a
// worker the scheduler first wakes on the caller's CPU waits there while the
// caller computes: runs of a few milliseconds then took one thread's time
// for their first 20-40 repeats (a 2-thread convolution of 1.0 ms measured
// 2.1 ms as the median of 15 runs in a third of the processes).
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_RUNTIME_EXEC_HOSTPOOL_H
#define SINAN_RUNTIME_EXEC_HOSTPOOL_H

#include <functional>
#include <memory>

namespace sinan::exec {

class HostPool {
public:
  /// `threads` threads (0: one per CPU the process may use). With `pin`,
  /// pins them as above when the arena has one thread per such CPU.
  explicit HostPool(unsigned threads = 0, bool pin = false);
  ~HostPool();
  HostPool(const HostPool &) = delete;
  HostPool &operator=(const HostPool &) = delete;

  /// Runs `work` in the arena: everything it starts in parallel uses at
  /// most concurrency() threads.
  void execute(const std::function<void()> &work);
  unsigned concurrency() const;
  /// Whether the arena's threads are pinned (pin asked for, and it applies).
  bool pinned() const;
  /// Turns pinning on (where it applies) or off for later runs.
  void setPinning(bool pin);

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
};

} // namespace sinan::exec

#endif // SINAN_RUNTIME_EXEC_HOSTPOOL_H
