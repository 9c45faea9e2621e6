//===- SnpuBinary.h - isa dialect <-> SNPU kernel binary --------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The translation between an `isa.kernel` and the kernel container of
// docs/isa.md section 9. Encoding goes through runtime/isa, the encoder the
// simulator's decoder mirrors.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_TARGET_SNPUBINARY_H
#define SINAN_TARGET_SNPUBINARY_H

#include "sinan/Dialect/Isa/IR/IsaOps.h"
#include "sinan/runtime/isa/Kernel.h"

#include "mlir/IR/OwningOpRef.h"

namespace sinan {

/// Encodes `kernel`: blocks in region order, `isa.next` dropped, branch
/// successors resolved to offsets. Diagnostics name the offending op.
llvm::FailureOr<isa::Kernel> encodeKernel(isa::ir::KernelOp kernel);

/// Decodes `kernel` into an `isa.kernel` named `name`, splitting each program
/// into blocks at branch targets. Fails with a diagnostic at `loc` on a
/// branch outside its program or a program that runs off its end.
mlir::OwningOpRef<isa::ir::KernelOp> decodeKernel(const isa::Kernel &kernel,
                                                  llvm::StringRef name,
                                                  mlir::Location loc);

/// Registers --isa-to-snpu-kernel and --snpu-kernel-to-isa.
void registerSnpuBinaryTranslations();

} // namespace sinan

#endif // SINAN_TARGET_SNPUBINARY_H
