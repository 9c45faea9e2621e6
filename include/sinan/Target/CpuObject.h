//===- CpuObject.h - Native host code for a module --------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The back half of the CPU path: linalg kernels on buffers (GraphToLinalg.h)
// are lowered to the LLVM dialect, translated to LLVM IR, wrapped in entry
// points that take an array of binding pointers, optimized at -O3 for the
// chosen CPU, compiled to an object and linked into an ELF shared object
// with the system linker. The runtime loads it (runtime/exec/CpuCode.h).
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_TARGET_CPUOBJECT_H
#define SINAN_TARGET_CPUOBJECT_H

#include "sinan/runtime/module/Module.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/Timing.h"

#include <optional>
#include <string>

namespace sinan {

struct CpuCodegenOptions {
  /// An LLVM CPU name ("x86-64-v3", "znver4") or "native" (this host).
  std::string cpu = "x86-64-v3";
};

/// The pass pipeline from linalg kernels on buffers to the LLVM dialect.
const char *cpuLoweringPipeline();

/// The width of the CPU's widest vector registers, in bits (what the
/// kernels' register tiles are sized for); fails for a CPU LLVM does not
/// know.
std::optional<unsigned> cpuVectorBits(const CpuCodegenOptions &options,
                                      std::string &error);

/// A core's L2 cache in bytes for the CPU the code is compiled for: this
/// host's (the operating system's figure) for "native", else 1 MiB, which
/// current server cores have (LLVM's CPU models do not say).
int64_t cpuL2CacheBytes(const CpuCodegenOptions &options);

/// Lowers `kernels` (functions from buildLinalgKernel) in place to the LLVM
/// dialect; `error` names the failing pass's diagnostic.
bool lowerCpuKernels(mlir::ModuleOp kernels, std::string &error);

/// Compiles the functions `symbols` of `kernels` (already lowered, or still
/// linalg) into a shared object whose entries, named like the functions,
/// take one argument: an array of pointers to the function's arguments.
/// Entry signatures are left empty for the caller to fill.
/// Each phase is timed under `timing` when given.
std::optional<module::CpuObjectDesc>
buildCpuObject(mlir::ModuleOp kernels, llvm::ArrayRef<std::string> symbols,
               const CpuCodegenOptions &options, std::string &error,
               mlir::TimingScope *timing = nullptr);

} // namespace sinan

#endif // SINAN_TARGET_CPUOBJECT_H
