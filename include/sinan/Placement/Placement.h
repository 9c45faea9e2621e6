//===- Placement.h - What runs where, and what it costs ---------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The one statement of which graph ops the SNPU can run (the pipeline's
// tilers say what they take), and the cost model sinan-place weighs
// them with: the tilers' own cycle estimates, the host link's copies, and an
// assumed host speed. Kernel formation and the module emitter follow the
// placement the pass records (kPlacementAttrName).
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_PLACEMENT_PLACEMENT_H
#define SINAN_PLACEMENT_PLACEMENT_H

#include "sinan/Conversion/GraphToNpu.h"

#include "sinan/Dialect/Npu/IR/NpuOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseMap.h"

#include <cstdint>
#include <optional>
#include <string>

namespace sinan {
struct TargetDesc;
} // namespace sinan

namespace sinan::placement {

/// How the SNPU runs an op.
enum class KernelKind {
  None,        ///< It cannot; SnpuSupport::refusal says why.
  Tiled,       ///< The matrix unit (matmul, conv2d).
  Elementwise, ///< The vector unit, streaming chunks.
};

struct SnpuSupport {
  KernelKind kind = KernelKind::None;
  /// Why not, when kind is None.
  std::string refusal;
  explicit operator bool() const { return kind != KernelKind::None; }
};

/// Whether the SNPU of `target` can run graph op `op`. `bf16` allows the
/// matrix unit's bf16 products (--snpu-precision=bf16).
SnpuSupport snpuSupport(mlir::Operation *op, const TargetDesc &target,
                        bool bf16);

/// The ops the SNPU kernel of a convolution or elementwise op absorbs after
/// it, in order. A convolution takes the graph.add of another tensor of its
/// result's type (a residual) that is its only user, then the graph.relu
/// (the store applies it) or graph.clip (the vector unit clamps each block)
/// that is the last one's only user; an elementwise op takes
/// elementwiseChain's ops (the elementwise ops that follow it, a GELU as
/// one). An op placed on the CPU by itself ends the chain. A 2-D matrix
/// product takes matmulEpilogue's chain.
llvm::SmallVector<mlir::Operation *, 2> fusedEpilogue(mlir::Operation *op,
                                                      const TargetDesc &target);

/// What a matrix product with 2-D weights absorbs: the graph.add of a bias
/// row (f32 [N] or [1, ..., 1, N]) that is its only user, then the relu
/// that is the add's only user or a GELU (geluOf) of the sum; or a GELU of
/// the product alone. The vector unit adds the row to each block of the
/// result and applies the GELU, the store applies the relu. After a bias
/// row, a residual of the result's type that is its only user, then the
/// layer normalization of that sum that is its only user when the kernel
/// can normalize whole rows for `target` (snpuFusesNorm).
llvm::SmallVector<mlir::Operation *, 2>
matmulEpilogue(mlir::Operation *op, const TargetDesc &target);

/// The host's sustained speed with Sinan's native kernels on one thread,
/// as measured on the development VM (AMD EPYC, Zen 4; 2026-12-06):
/// ResNet-50's convolution layers at 78-110 GFLOP/s (bench/cpu/cpu.py),
/// an add of two 16 MB tensors at 17 GB/s of operands and result.
inline constexpr double kHostGflops = 90.0;
inline constexpr double kHostGbytesPerSecond = 17.0;

/// The host's assumed sustained speed (Sinan's host kernels, one thread).
struct HostSpeed {
  double gflops = kHostGflops;
  double gbytesPerSecond = kHostGbytesPerSecond;
};

/// Estimated cycles (at the target's clock) of `op` on the SNPU; nullopt
/// when it cannot run there.
std::optional<double> snpuCycles(mlir::Operation *op, const TargetDesc &target,
                                 bool bf16);

/// Estimated cycles (at the target's clock) of `op` on the host.
double hostCycles(mlir::Operation *op, const TargetDesc &target,
                  const HostSpeed &host);

/// Cycles of one host<->device copy of `value`.
double linkCycles(mlir::Value value, const TargetDesc &target);

/// Multiply-adds of a matmul or convolution, 0 for other ops.
int64_t macsOf(mlir::Operation *op);

/// The network's multiply-adds `op` computes: its kNetworkMacsAttrName if
/// it has one, else macsOf.
int64_t networkMacsOf(mlir::Operation *op);

/// The ONNX node (or tensor) name a location carries, if any.
std::optional<std::string> onnxName(mlir::Location loc);

/// The ONNX node name an op came from, or its op name and location.
std::string nodeName(mlir::Operation *op);

/// A kernel function's symbol from `base` (an ONNX node or tensor name):
/// every character but letters and digits as '_', then "_kernel".
std::string kernelSymbol(llvm::StringRef base);

/// The kernel functions a module's `npu.launch` ops call: a pass that
/// changes a kernel's types or merges it away may touch only one that no
/// other launch calls.
class LaunchedKernels {
public:
  LaunchedKernels(mlir::ModuleOp module, mlir::SymbolTable &symbols);
  /// The launches in program order.
  llvm::ArrayRef<npu::LaunchOp> launches() const { return all; }
  /// The kernel function `launch` calls when it is the only launch of it
  /// (and defined here), else null.
  mlir::func::FuncOp soleCallee(npu::LaunchOp launch);

private:
  mlir::SymbolTable &symbols;
  llvm::SmallVector<npu::LaunchOp> all;
  llvm::DenseMap<mlir::StringAttr, int> counts;
};

/// The target a placement pass was given (a preset or a description
/// file), or nullopt after an error on `anchor` naming it.
std::optional<TargetDesc> resolvePassTarget(mlir::Operation *anchor,
                                            llvm::StringRef target);

} // namespace sinan::placement

#endif // SINAN_PLACEMENT_PLACEMENT_H
