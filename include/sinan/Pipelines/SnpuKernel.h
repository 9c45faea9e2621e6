//===- SnpuKernel.h - One graph op compiled into an SNPU kernel -*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// For the module emitter: an op placed on the SNPU, compiled alone through
// the SNPU pipeline (graph -> npu -> isa) and encoded.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_PIPELINES_SNPUKERNEL_H
#define SINAN_PIPELINES_SNPUKERNEL_H

#include "sinan/runtime/Target.h"
#include "sinan/runtime/isa/Kernel.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"

#include <optional>
#include <string>

namespace sinan {

/// Compiles `ops` (an op and the epilogue it absorbs, as
/// sinan::outlineSnpuKernel takes them) into a kernel taking the first op's
/// operands then the last op's results as DRAM addresses (r1, r2, ...),
/// then its read-only data's address when it has any. `storage`, when
/// given, is the kernel function's type with the arguments and results it
/// keeps in DRAM as bf16 (sinan::applyStorageTypes). `estimate`, when
/// given, receives the tiler's cycle estimate (sinan::estimateKernelCycles;
/// none for kernels without one). On failure `error` holds the
/// diagnostics.
std::optional<isa::Kernel>
compileSnpuKernel(llvm::ArrayRef<mlir::Operation *> ops,
                  const TargetDesc &target, std::string &error,
                  mlir::FunctionType storage = {},
                  std::optional<double> *estimate = nullptr);

} // namespace sinan

#endif // SINAN_PIPELINES_SNPUKERNEL_H
