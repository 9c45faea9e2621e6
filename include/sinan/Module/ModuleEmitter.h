//===- ModuleEmitter.h - Graph IR to a compiled module ----------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Turns a graph-dialect function into a .snm module. Today every op becomes
// a host-op step (run by the runtime's reference kernels); SNPU kernel
// launches replace them as the NPU lowering lands. Intermediates share one
// arena through a liveness-based first-fit plan.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_MODULE_MODULEEMITTER_H
#define SINAN_MODULE_MODULEEMITTER_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "sinan/Target/CpuObject.h"
#include "sinan/runtime/Target.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/Timing.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sinan {

struct ModuleEmitOptions {
  std::string target = "snpu-edge";
  uint64_t targetFingerprint = 0;
  /// SHA-256 of the source model, hex.
  std::string sourceHash;
  /// When set, ops with an SNPU kernel for this target run on the SNPU (with
  /// host<->device copies around them); all others, and everything when
  /// null, run on the host.
  const TargetDesc *snpu = nullptr;
  /// Also put f32 2-D matmuls on the matrix unit, which computes them in
  /// bf16 (f32 accumulation): the SNPU's default precision. When false only
  /// ops the SNPU computes exactly as the host go there.
  bool bf16Matmul = true;
  /// When set, host ops the CPU path covers (GraphToLinalg.h) get native
  /// code in the module's CPU object; their steps keep the op, so the
  /// reference kernel remains the fallback.
  std::optional<CpuCodegenOptions> cpu;
  /// When set (with `cpu`), the CPU kernels are not compiled: the linalg
  /// kernel module is stored here instead and the module has no CPU object.
  mlir::OwningOpRef<mlir::ModuleOp> *cpuKernels = nullptr;
  /// When set, the writer's phases are timed under it (`--mlir-timing`):
  /// the SNPU kernels' compilation, the CPU kernels' generation, and the
  /// CPU object's lowering, LLVM optimization, code generation and link.
  mlir::TimingScope *timing = nullptr;
};

/// The module bytes, or std::nullopt with `error` naming the op (by its ONNX
/// node location) that could not be emitted.
std::optional<std::vector<uint8_t>> emitModule(mlir::func::FuncOp func,
                                               const ModuleEmitOptions &options,
                                               std::string &error);

/// SHA-256 of a file's bytes as lower-case hex; empty if unreadable.
std::string sha256File(const std::string &path);

} // namespace sinan

#endif // SINAN_MODULE_MODULEEMITTER_H
