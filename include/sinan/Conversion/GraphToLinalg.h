//===- GraphToLinalg.h - Graph ops as linalg kernels on buffers -*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The first stage of the CPU path: a graph op with static shapes becomes a
// function over buffers, `@name(memref inputs..., memref output, begin,
// end)`, whose body is linalg, scf and vector ops on those buffers (see
// docs/runtime.md, "Native CPU code"). lib/Target/CpuObject lowers such
// functions to native code. The numerics follow the reference kernels
// (runtime/ref): elementwise ops, pooling, depthwise convolutions,
// reductions and softmax compute what they compute (NaN rules, the same
// libm calls, pairwise sums), bit for bit; matmuls and other convolutions
// sum in the reference's order but fuse multiply and add (FMA).
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_CONVERSION_GRAPHTOLINALG_H
#define SINAN_CONVERSION_GRAPHTOLINALG_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Operation.h"
#include "mlir/Support/LLVM.h"

#include <optional>
#include <string>

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace sinan {

/// What the kernels may assume of the CPU they run on.
struct CpuKernelOptions {
  /// The widest vector registers (bits): 512 with AVX-512, 256 with AVX2.
  unsigned vectorBits = 256;
  /// A core's L2 cache, which the GEMM kernel's blocks and passes over K
  /// are sized for (cpuL2CacheBytes).
  int64_t l2Bytes = 1 << 20;
};

/// What a kernel applies to its result before storing it (a
/// sched.host_kernel's epilogue): a residual, an extra input after the op's
/// operands of the result's shape (or a row of its last dimension),
/// added; then a relu or a clip. Only convolutions and matmuls take one.
struct CpuEpilogue {
  mlir::Type residual;    ///< The residual's type, null without one.
  std::string activation; ///< "", "relu" or "clip".
  std::optional<float> min, max;
  bool empty() const { return !residual && activation.empty(); }
};

/// Whether `op` has a CPU kernel: f32 elementwise ops with NumPy
/// broadcasting (add, sub, mul, div, max, min, pow, relu, leaky_relu, clip,
/// neg, abs and the libm unary functions), matmuls with rank >= 2 operands
/// (batch dimensions broadcast), conv2d in every form, max and average
/// pooling, reductions (max/min over any axes, sum/mean over a run of
/// adjacent ones), softmax, log-softmax, transposes, comparisons, logic and
/// select, casts, concat, slice, pad, gather, resize and LRN.
bool hasLinalgKernel(mlir::Operation *op);

/// Whether `op` is an f32 elementwise op whose scalar computation a fused
/// kernel can take (the ops of `hasLinalgKernel`'s first group).
bool isCpuElementwise(mlir::Operation *op);

/// Builds `func.func @name(memref args..., memref out, %begin: index, %end:
/// index)` computing a chain of elementwise ops as one loop nest: `chain`'s
/// ops each use the result of the one before, every result has the type of
/// the last, and their other operands are among `args` (broadcasting onto
/// the result, NumPy-style). The scalar computations compose in registers,
/// so only the chain's inputs are read and only its result is written.
mlir::LogicalResult buildFusedKernel(llvm::ArrayRef<mlir::Operation *> chain,
                                     mlir::ValueRange args,
                                     llvm::StringRef name,
                                     mlir::ModuleOp module);

/// A fused kernel's range of units and the elements of one.
int64_t fusedKernelExtent(llvm::ArrayRef<mlir::Operation *> chain);
int64_t fusedKernelSliceWork(llvm::ArrayRef<mlir::Operation *> chain);

/// Whether the CPU lowering replaces math function `function` ("exp",
/// "log", "tanh", "erf") of f32 by a polynomial (sinan-cpu-approximate-math).
bool cpuApproximatesMath(llvm::StringRef function);

/// Whether the CPU kernel of graph op `name` computes exp, log, tanh or erf,
/// which the CPU lowering replaces by polynomials (sinan-cpu-approximate-
/// math) within a few ulp of libm's, or fuses multiply-adds (matmul,
/// conv2d): its results are the reference kernels' up to rounding, where
/// every other kernel's are theirs bit for bit.
bool cpuKernelRounds(llvm::StringRef name);

/// Appends `func.func @name(inputs..., [residual,] output, %begin: index,
/// %end: index)` computing units [begin, end) of `op`'s work (of
/// linalgKernelExtent(op)) to `module`, so that callers can split the work
/// over threads; fails (with a diagnostic at `op`) if `hasLinalgKernel(op)`
/// is false or the kernel cannot apply `epilogue`.
mlir::LogicalResult buildLinalgKernel(mlir::Operation *op, llvm::StringRef name,
                                      mlir::ModuleOp module,
                                      const CpuKernelOptions &options = {},
                                      const CpuEpilogue &epilogue = {});

/// Whether `op`'s kernel can apply `epilogue` (a convolution's or
/// matmul's can).
bool takesEpilogue(mlir::Operation *op, const CpuEpilogue &epilogue);

/// The range of the kernel's slice arguments: units of work as the kernel
/// cuts them (a dimension's rows, output planes, outputs, or a GEMM's
/// blocks of positions x chunks of output channels).
int64_t linalgKernelExtent(mlir::Operation *op,
                           const CpuKernelOptions &options);

/// Multiply-adds or elements per unit of that range, for choosing how many
/// units a thread takes at once.
int64_t linalgKernelSliceWork(mlir::Operation *op,
                              const CpuKernelOptions &options);

/// An operand the kernel reads laid out in panels (the runtime's
/// CpuPackingDesc): as rows of `k` elements, `panel` rows interleaved.
struct CpuOperandPacking {
  unsigned operand;
  int64_t k, panel;
};

/// The operands `op`'s kernel reads packed: a convolution whose output
/// channels are its vectors' lanes reads its weights in panels of them.
llvm::SmallVector<CpuOperandPacking, 1>
linalgKernelPacking(mlir::Operation *op, const CpuKernelOptions &options);

/// The dialects the kernels use.
void registerLinalgKernelDialects(mlir::DialectRegistry &registry);

} // namespace sinan

#endif // SINAN_CONVERSION_GRAPHTOLINALG_H
