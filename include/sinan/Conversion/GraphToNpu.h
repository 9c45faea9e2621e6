//===- GraphToNpu.h - What the SNPU path tiles ------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_CONVERSION_GRAPHTONPU_H
#define SINAN_CONVERSION_GRAPHTONPU_H

#include "sinan/Dialect/Graph/IR/GraphDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Operation.h"

#include <optional>
#include <string>

namespace sinan {
struct TargetDesc;

/// Why sinan-convert-graph-to-npu cannot tile `op` (a graph.matmul) for
/// `target`, or an empty string when it can.
std::string snpuMatmulRefusal(mlir::Operation *op, const TargetDesc &target);

/// Why sinan-convert-graph-to-npu cannot tile `op` (a graph.conv2d) for
/// `target`, or an empty string when it can.
std::string snpuConvRefusal(mlir::Operation *op, const TargetDesc &target);

/// A graph.conv2d attribute that fixes how groups narrower than the matrix
/// tile run: "vector" (the vector unit's f32 kernel) or "matrix" (the
/// matrix unit's block-diagonal chunks). Without it the cycle estimates
/// choose. sinan-place sets it from an override ("snpu:vector").
inline constexpr llvm::StringLiteral kNarrowGroupsAttrName =
    "snpu.narrow_groups";

/// A graph.conv2d attribute that fixes the algorithm of a dense
/// convolution: "winograd" (F(2,3) along each kernel row, a 3x3 of stride
/// 1) or "direct" (the implicit GEMM or the grid tiler). Without it the
/// cycle estimates choose. sinan-place sets it from an override
/// ("snpu:winograd").
inline constexpr llvm::StringLiteral kConvAlgorithmAttrName =
    "snpu.conv_algorithm";

/// Why sinan-convert-graph-to-npu cannot run `op` (a graph.attention) as
/// one kernel on `target`, or an empty string when it can: static 4-D f32
/// operands, a float mask (if any) broadcast along everything but the
/// keys, no causal flag or softcap, and a head's keys and values plus a
/// block of query rows in local memory.
std::string snpuAttentionRefusal(mlir::Operation *op, const TargetDesc &target);

/// Whether argument `index` of SNPU kernel function `kernel` (an attention
/// with the views it reads through) is where it reads Q, K or V: matrix-unit
/// operands, rounded to bf16 as they come in.
bool snpuAttentionReadsAsMatrixOperand(mlir::func::FuncOp kernel,
                                       unsigned index);

/// The reshapes, transposes and unit-step slices an SNPU attention kernel
/// reads `op`'s (a graph.attention) operands and writes its result through
/// as strided views of its arguments and result, with no kernel of their
/// own: each the only user of the one before, the innermost dimension
/// contiguous; `allowed` may refuse one (an op placed on the host). What
/// sinan-form-snpu-kernels puts in the attention's kernel.
llvm::SmallVector<mlir::Operation *>
attentionViewOps(mlir::Operation *op,
                 llvm::function_ref<bool(mlir::Operation *)> allowed);

/// Why sinan-convert-graph-to-npu cannot stream `op` (an elementwise graph
/// op) through the vector unit of `target`, or an empty string when it can:
/// static f32 operands of the result's size, or a second operand that is
/// one row repeated over the first's rows or one constant element.
std::string snpuElementwiseRefusal(mlir::Operation *op,
                                   const TargetDesc &target);
bool isSnpuElementwise(mlir::Operation *op, const TargetDesc &target);

/// The value of a one-element f32 constant, if `value` is one (the vector
/// unit's scalar operand; attention's scale).
std::optional<float> scalarConstant(mlir::Value value);

/// The ops of a GELU that starts at `op`, in block order, or empty: the erf
/// form as PyTorch exports it, x / sqrt(2) (or x * (1 / sqrt(2))), erf,
/// + 1, then * x and * 0.5 in either order, each the previous one's only
/// user; or the tanh form, x * x times x (or x ^ 3), * 0.044715, + x,
/// * sqrt(2 / pi), tanh, + 1, then x and 0.5 in any order (GPT-2's and
/// graph-decompose's); all of x's shape. Sets `input` to x. The vector
/// unit runs either as one op (geluUnaryOf).
llvm::SmallVector<mlir::Operation *, 5> matchGelu(mlir::Operation *op,
                                                  mlir::Value *input = nullptr);

/// The vector unit's op for matchGelu's ops: "gelu" (erf form, geluErf)
/// or "gelu_tanh" (tanh form, geluTanh: one rounding, where the graph's
/// ops round each).
llvm::StringRef geluUnaryOf(llvm::ArrayRef<mlir::Operation *> gelu);

/// The GELU (matchGelu's ops) of `x` that holds every user of x, or empty:
/// what a kernel computing x may absorb.
llvm::SmallVector<mlir::Operation *, 5> geluOf(mlir::Value x);

/// The SiLU of `x` as PyTorch exports it, sigmoid(x) then x * it (either
/// operand order), when those two are x's only users and the sigmoid's
/// only user is the product: {sigmoid, mul}, or empty.
llvm::SmallVector<mlir::Operation *, 2> siluOf(mlir::Value x);

/// The hardswish of `x` as the importer writes ONNX's HardSwish (and
/// HardSigmoid with alpha 1/6, beta 1/2, times its input): x * (1/6) (or
/// x / 6), + 1/2, min with 1, max with 0 (either operand order; or one
/// graph.clip to [0, 1], as canonicalization leaves them), then x
/// times it; those ops when the first and the last are x's only users and
/// each other is the only user of the one before, else empty.
llvm::SmallVector<mlir::Operation *, 5> hardSwishOf(mlir::Value x);

/// The ops an SNPU kernel of the elementwise op `op` absorbs after it, in
/// order: each the only user of the one before (a GELU, matchGelu's five
/// ops, counts as one) and an elementwise op the vector unit of `target`
/// runs, whose other operands come from outside the chain; the vector unit
/// computes the chain on each chunk while it is in vbuf. `allowed` may
/// refuse an op (one placed on the host), which ends the chain.
llvm::SmallVector<mlir::Operation *, 2>
elementwiseChain(mlir::Operation *op, const TargetDesc &target,
                 llvm::function_ref<bool(mlir::Operation *)> allowed);

/// Whether `kernel` is a chain of elementwise ops the vector unit streams
/// (convertElementwiseChain's kernels), with an estimate of its cycles on
/// `target`: its DRAM traffic at the types the kernel keeps there against
/// a vector pass per step.
std::optional<double> snpuChainCycles(mlir::func::FuncOp kernel,
                                      const TargetDesc &target);

/// The tiler's own cycle estimate for `op` (a matmul or convolution it
/// tiles) on `target`: the figure its block choice minimizes.
std::optional<double> estimateSnpuCycles(mlir::Operation *op,
                                         const TargetDesc &target);

/// Whether sinan-convert-graph-to-npu tiles `op` for `target`: a static,
/// non-empty graph.matmul of f32 or bf16, [batch..., M, K] x [K, N] (batch
/// rows join M) or [batch..., M, K] x [batch..., K, N] with equal batch
/// dimensions, on a target whose matrix unit has a bf16 mode.
bool isSnpuMatmul(mlir::Operation *op, const TargetDesc &target);

/// Whether the SNPU kernel of unbatched matmul `matmul` (with its bias
/// row and residual) also applies layer normalization `norm` to its result
/// on the vector unit: over the last dimension only, N a whole number of
/// matrix tiles, with scale and bias rows of N f32 elements, and blocks of
/// whole rows of C (every column in one block) that fit the local memories
/// with the normalization's buffers.
bool snpuFusesNorm(mlir::Operation *matmul, mlir::Operation *norm,
                   const TargetDesc &target);

/// Whether the SNPU kernel of matmul `op` packs its right operand (a dense
/// constant [K, N], a layer's weights) as bf16 into its read-only data:
/// the kernel then never reads that argument, and each such matmul has a
/// kernel of its own.
bool snpuPacksMatmulWeights(mlir::Operation *op);

/// Whether sinan-convert-graph-to-npu tiles `op` for `target`: a static
/// NCHW graph.conv2d of f32 or bf16 with constant weights (any stride,
/// dilation and padding; groups of at least a matrix tile of channels), on
/// a target whose matrix unit has a bf16 mode and whose local memories hold
/// a block of it.
bool isSnpuConv(mlir::Operation *op, const TargetDesc &target);

/// A kernel function named `name` for `target` (an #npu.target) holding a
/// copy of `ops` on its arguments, created at `builder`'s insertion point:
/// what sinan-form-snpu-kernels outlines each SNPU op into. `ops` is an op
/// and the ops that consume its result one after another (a convolution
/// and its epilogue); the kernel takes kernelOperands(ops) and returns the
/// last op's results. Constant operands are copied into the kernel (and
/// stay arguments), so the tiler can pack them at compile time.
mlir::func::FuncOp outlineSnpuKernel(mlir::OpBuilder &builder,
                                     llvm::ArrayRef<mlir::Operation *> ops,
                                     llvm::StringRef name,
                                     mlir::Attribute target);

/// How an SNPU convolution kernel sums its products (ref::Conv2dParams'
/// sumChunk, biasLast and fma, so the launch's host fallback agrees with
/// the kernel bit for bit): over chunks of `chunk` channels, taps, then the
/// chunk's channels, the bias first or last. The matrix unit's kernels
/// take bf16 inputs; with `fma` (the vector unit's depthwise kernel) the
/// inputs stay f32 and each product is added with one rounding.
struct ConvSummation {
  int64_t chunk = 0;
  bool biasLast = false;
  bool fma = false;
  /// The sums start from the residual the epilogue adds (loaded into the
  /// accumulators before the products), the bias after them.
  bool residualFirst = false;
  /// Winograd F(2,3) along each kernel row (the host fallback's
  /// `winograd = 1`).
  bool winograd = false;
};

/// The summation of the SNPU kernel of a convolution kernel's body `ops`
/// (the conv2d and the epilogue outlined with it); nullopt when `ops` is no
/// such kernel.
std::optional<ConvSummation>
snpuConvSummation(llvm::ArrayRef<mlir::Operation *> ops,
                  const TargetDesc &target);

/// The summations of a kernel function that runs a grid convolution and
/// the 1x1 convolution after it as one (a layer group of two,
/// docs/layer-groups.md): the first's and the second's; nullopt when
/// `kernel` is not such a pair the SNPU can run.
std::optional<std::pair<ConvSummation, ConvSummation>>
snpuPairSummations(mlir::func::FuncOp kernel, const TargetDesc &target);

/// The cycle estimate of such a pair kernel, or nullopt.
std::optional<double> estimatePairCycles(mlir::func::FuncOp kernel,
                                         const TargetDesc &target);

/// The cycle estimate of a kernel function that runs a transformer's
/// feed-forward block as one (x @ W1 + b1, a GELU, @ W2 + b2, a residual
/// and a layer normalization or not; the hidden layer stays on chip), or
/// nullopt when `kernel` is not one the SNPU runs so.
std::optional<double> estimateFfnPairCycles(mlir::func::FuncOp kernel,
                                            const TargetDesc &target);

/// What a kernel of `ops` (an op and its epilogue) takes, in order: the
/// first op's operands, then each later op's operands from outside the
/// chain (a residual; in an elementwise chain, each value once).
llvm::SmallVector<mlir::Value>
kernelOperands(llvm::ArrayRef<mlir::Operation *> ops);

/// The unit attribute of the graph.cast ops that keep an argument or the
/// result of an SNPU kernel function in DRAM as bf16
/// (sinan-snpu-bf16-activations): a cast widening a bf16 argument for the
/// ops that take f32, or one narrowing the returned value. The tilers look
/// through them: the DMA converts on the way in and out.
inline constexpr llvm::StringLiteral kStorageCastAttrName = "npu.storage";

/// On a constant a kernel function's body holds for its tiler (a
/// convolution's weights): the kernel argument it stands for, where the
/// op that reads it is not the body's first (sinan-form-layer-groups), so
/// the host fallback binds the argument.
inline constexpr llvm::StringLiteral kArgumentAttrName = "npu.argument";

/// Whether `op` is a storage cast (kStorageCastAttrName).
bool isStorageCast(mlir::Operation *op);

/// What kernel function `kernel` computes: its body's ops without the
/// constants (copied in for the tiler) and the storage casts, the primary
/// op first (an attention before the views it reads through).
llvm::SmallVector<mlir::Operation *> kernelBodyOps(mlir::func::FuncOp kernel);

/// `value`, or the kernel argument a storage cast widens into it.
mlir::Value throughStorage(mlir::Value value);

/// Keeps argument `index` of kernel function `kernel` in DRAM as bf16: the
/// argument becomes bf16 and a storage cast widens it for its users.
void storeArgumentAsBF16(mlir::func::FuncOp kernel, unsigned index);

/// Keeps result `index` of kernel function `kernel` in DRAM as bf16 (a
/// storage cast before the return).
void storeResultAsBF16(mlir::func::FuncOp kernel, unsigned index);

/// Gives kernel function `kernel` (an outlining of the same ops) the DRAM
/// types of `storage`: each f32 argument or result that is bf16 there is
/// stored as bf16.
void applyStorageTypes(mlir::func::FuncOp kernel, mlir::FunctionType storage);

/// Removes `kernel`'s storage casts, its function type left as it is (the
/// DRAM types), its block's arguments and returned values with the types
/// the ops take: what the tilers match, before they replace the body.
void peelStorageCasts(mlir::func::FuncOp kernel);

/// Whether SNPU kernel function `kernel` may take argument `index` as bf16
/// with the same result: the matrix unit reads it (a convolution's input
/// or a matrix product's left operand, rounded to bf16 on the way in).
/// With `residuals`, also the residual its epilogue adds in f32 (which
/// then adds the value rounded to bf16).
bool snpuTakesBF16Argument(mlir::func::FuncOp kernel, unsigned index,
                           const TargetDesc &target, bool residuals);

/// The tiler's cycle estimate for SNPU kernel function `kernel` (a
/// convolution with its epilogue, or a matrix product) with the DRAM types
/// of its arguments and result; nullopt for other kernels.
std::optional<double> estimateKernelCycles(mlir::func::FuncOp kernel,
                                           const TargetDesc &target);

/// Whether SNPU kernel function `kernel` can store its result as bf16
/// (the tilers of convolutions and matrix products convert in the store).
bool snpuStoresBF16Result(mlir::func::FuncOp kernel, const TargetDesc &target);

} // namespace sinan

#endif // SINAN_CONVERSION_GRAPHTONPU_H
