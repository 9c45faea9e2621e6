//===- Session.h - Run a compiled module on the host ------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A session runs a loaded module's schedule: it binds the caller's inputs,
// views constants in place (in the memory-mapped file), places intermediates
// in its own arena as the module's memory plan says, and executes the steps
// in dependency order. A module is immutable and may back any number of
// sessions; each session is used by one thread at a time.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_RUNTIME_EXEC_SESSION_H
#define SINAN_RUNTIME_EXEC_SESSION_H

#include "sinan/runtime/Tensor.h"
#include "sinan/runtime/module/Module.h"

#include <memory>
#include <string>
#include <vector>

namespace sinan::exec {

/// One step's execution, for profiles.
struct StepTiming {
  size_t step = 0;
  double start = 0, seconds = 0; ///< Relative to the run's start.
};

/// Per-run statistics.
struct RunStats {
  double seconds = 0; ///< Host wall time of the run.
  size_t stepsRun = 0;
  size_t hostOpSteps = 0; ///< Steps run by the reference kernels.
  /// Per-step timings, recorded only when `recordSteps` is set.
  std::vector<StepTiming> steps;
  bool recordSteps = false;
};

class Session {
public:
  /// `module` must outlive the session.
  explicit Session(const module::Module &module);
  ~Session();

  /// Runs the schedule on `inputs` (in the module's input order); fills
  /// `outputs` (in output order). Returns false with `error` naming the
  /// input or step at fault.
  bool run(const std::vector<Tensor> &inputs, std::vector<Tensor> &outputs,
           std::string &error, RunStats *stats = nullptr);

  const module::Module &module() const { return mod; }

private:
  const module::Module &mod;
  std::unique_ptr<uint8_t, void (*)(void *)> arena;
};

} // namespace sinan::exec

#endif // SINAN_RUNTIME_EXEC_SESSION_H
