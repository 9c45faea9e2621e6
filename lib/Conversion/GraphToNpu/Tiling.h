//===- Tiling.h - Helpers the graph -> npu tilers share ---------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_LIB_CONVERSION_GRAPHTONPU_TILING_H
#define SINAN_LIB_CONVERSION_GRAPHTONPU_TILING_H

#include "sinan/Conversion/GraphToNpu.h"
#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Npu/IR/NpuOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

#include <functional>

namespace sinan {
struct TargetDesc;
} // namespace sinan

namespace sinan::tiling {

inline int64_t roundUp(int64_t value, int64_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

inline int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

inline int64_t bytesOf(mlir::Type type) {
  return std::max<int64_t>(1, type.getIntOrFloatBitWidth() / 8);
}

/// Elements per row of a local tile whose rows the matrix unit reads at a
/// pitch rounded up to the alignment.
inline int64_t pitch(int64_t columns, int64_t elementBytes, int64_t align) {
  return roundUp(columns * elementBytes, align) / elementBytes;
}

/// Emits `scf.for lower to upper step` and runs `body` inside it; returns
/// the loop.
mlir::scf::ForOp loop(mlir::OpBuilder &builder, mlir::Location loc,
                      mlir::Value lower, mlir::Value upper, int64_t step,
                      llvm::function_ref<void(mlir::Value)> body);

/// `loop`, except that a single trip of constant bounds runs `body` inline
/// (returning null): synchronization sees a loop as one access, so a
/// handoff into a later op of a one-trip loop would wait before its first.
mlir::scf::ForOp loopUnlessOnce(mlir::OpBuilder &builder, mlir::Location loc,
                                mlir::Value lower, mlir::Value upper,
                                int64_t step,
                                llvm::function_ref<void(mlir::Value)> body);

/// Splits `fullBlocks` blocks of `blockSize` over `cores` cores (q each, one
/// more for the first r), calling `full(offset)` per block of this core;
/// `edge(offset)` (when given) runs once, on core r, for the partial block
/// after the full ones. With one core, plain loops. `buffered` marks the
/// loop npu.buffered (the caller sized its buffers for one copy each).
void splitOverCores(mlir::OpBuilder &builder, mlir::Location loc,
                    int64_t fullBlocks, int64_t blockSize, int64_t cores,
                    llvm::function_ref<void(mlir::Value)> full,
                    llvm::function_ref<void(mlir::Value)> edge,
                    bool buffered = false);

/// Runs `body` (emitted once) only on core `c`: a loop from
/// min((core - c)^2, 1) to 1.
void onCore(mlir::OpBuilder &builder, mlir::Location loc, mlir::Value core,
            int64_t c, llvm::function_ref<void()> body);

/// exp(x - max) / sum over each row of `in` into `out` (may be `in`), the
/// rows' maxima and sums in `scalars`, which `perRow` views as one element
/// per row: the softmax kernel's, a chain's last step and attention's.
void emitSoftmaxRows(mlir::OpBuilder &builder, mlir::Location loc,
                     mlir::Value in, mlir::Value out, mlir::Value scalars,
                     mlir::Value perRow);

/// A layer (or RMS) normalization as the SNPU kernels apply it over rows
/// of `length` elements.
struct NormSpec {
  bool rms = false;
  int64_t length = 0;
  float epsilon = 0;
};

/// Normalizes `matrix`'s rows (vbuf, [rows, length]) in place, the ops in
/// the order graph-decompose expands the op (so a kernel computes what the
/// pieces did, and the reference kernel, bit for bit): the mean taken out,
/// the mean of squares (into `squares`: 1-D of as many elements as
/// `matrix`, or of its type),
/// plus epsilon, its square root's reciprocal, the product with it, with
/// the scale row and plus the bias row (`rows`, vbuf rows of `length`,
/// repeated at stride 0). `scalars` holds one element per row, which
/// `perRow` views repeated along each row.
void emitNorm(mlir::OpBuilder &builder, mlir::Location loc,
              const NormSpec &spec, mlir::Value matrix, mlir::Value scalars,
              llvm::function_ref<mlir::Value()> perRow,
              llvm::ArrayRef<mlir::Value> rows, mlir::Value squares);

/// A local buffer rows x cols of `element` in `space` at the start of
/// `entry` (so passes see it outside every loop), its rows at the aligned
/// pitch the matrix unit reads.
mlir::Value allocTile(mlir::OpBuilder &builder, mlir::Location loc,
                      mlir::Block *entry, int64_t rows, int64_t cols,
                      mlir::Type element, npu::MemorySpace space,
                      int64_t align);

/// `source` (a whole buffer: offset 0) seen as `sizes` with `strides` from
/// element `offset` (a memref.reinterpret_cast; a constant offset is
/// static in the result's layout).
mlir::Value reinterpretView(mlir::OpBuilder &builder, mlir::Location loc,
                            mlir::Value source, mlir::OpFoldResult offset,
                            llvm::ArrayRef<int64_t> sizes,
                            llvm::ArrayRef<int64_t> strides);

/// `type` (a static tensor) as a memref in DRAM.
mlir::MemRefType dramMemRef(mlir::Type type);

/// Replaces the body of `kernel` (on tensors) with an empty entry block on
/// DRAM memrefs: its arguments', then `results`' (inputs, then outputs).
/// The old body's ops must no longer be needed.
mlir::Block &replaceBodyWithMemRefs(mlir::func::FuncOp kernel,
                                    mlir::TypeRange results);

/// Clamps `from` into `to` on the vector unit as graph.clip does: max with
/// `min`, then min with `max` (each pass only when its bound is given; the
/// second reads `to`), so NaN and signed zeros follow graph.clip's rules.
/// Returns the clamped buffer (`from` when neither bound is given).
mlir::Value emitClip(mlir::OpBuilder &builder, mlir::Location loc,
                     mlir::Value from, mlir::Value to, std::optional<float> min,
                     std::optional<float> max);

/// `to` = SiLU(`from`) = from * sigmoid(from), the sigmoid into `scratch`
/// (shaped as `to`); `from` may be `to`.
void emitSilu(mlir::OpBuilder &builder, mlir::Location loc, mlir::Value from,
              mlir::Value to, mlir::Value scratch);

/// Ends `kernel`'s body with a return and records the core count, the
/// chosen blocks and, when given, the whole plan as `key=value` words
/// (npu.cores, npu.blocks, npu.plan: what a reader or a sweep over shapes
/// needs to see which of a tiler's modes a kernel took).
void finishKernel(mlir::OpBuilder &builder, mlir::func::FuncOp kernel,
                  int64_t cores, llvm::ArrayRef<int64_t> blocks,
                  llvm::StringRef plan = {});

/// What a convolution kernel applies to each block of its result before
/// storing it: a residual (the kernel's last input, loaded into a vbuf
/// block and added on the vector unit), then a relu (the store's), a clip,
/// a SiLU (x * sigmoid(x): two passes, the sigmoid into a buffer of the
/// block's size), a hardswish (one `vun hardswish`) or a sigmoid (one `vun
/// sigmoid`: a squeeze-excite block's gate after its second convolution).
struct ConvEpilogue {
  bool residual = false;
  bool relu = false;
  bool clip = false;
  bool silu = false;
  bool hardswish = false;
  bool sigmoid = false;
  std::optional<float> min, max;
  /// Vector-unit passes over each block.
  int64_t vectorPasses() const {
    return (residual ? 1 : 0) + (clip ? (min && max ? 2 : 1) : 0) +
           (silu ? 2 : 0) + (hardswish ? 1 : 0) + (sigmoid ? 1 : 0);
  }
};

/// The epilogue's one-pass activation, a hardswish or a sigmoid (one `vun`
/// from `from` into `to`), when it has one.
void emitUnaryActivation(mlir::OpBuilder &builder, mlir::Location loc,
                         const ConvEpilogue &epilogue, mlir::Value from,
                         mlir::Value to);

/// Rewrites `kernel`, whose body computes `conv` and then `epilogue`, into
/// an npu kernel: the convolution as implicit GEMM with weights packed at
/// compile time (ConvToNpu.cpp).
mlir::LogicalResult convertConvKernel(mlir::func::FuncOp kernel,
                                      graph::Conv2dOp conv,
                                      const ConvEpilogue &epilogue,
                                      const TargetDesc &target);

/// Rewrites `kernel`, whose body computes the elementwise graph op `op`
/// (relu applied to its result when `relu`), into an npu kernel streaming
/// chunks through the vector unit (ElementwiseToNpu.cpp).
mlir::LogicalResult convertElementwiseKernel(mlir::func::FuncOp kernel,
                                             mlir::Operation *op, bool relu,
                                             const TargetDesc &target);

/// Rewrites `kernel`, whose body computes `ops` (an elementwiseChain: each
/// op on the result of the one before), into an npu kernel streaming
/// chunks through the vector unit, which computes the whole chain on each
/// chunk (ElementwiseToNpu.cpp).
mlir::LogicalResult
convertElementwiseChain(mlir::func::FuncOp kernel,
                        llvm::ArrayRef<mlir::Operation *> ops,
                        const TargetDesc &target);

/// Whether the binary op `op`, whose second operand is one element per row
/// of the first (a squeeze-excite scale), runs as a chain of one step: the
/// chain loads each core's column once, where the row kernel loads each
/// chunk's part of it beside the chunk (its latency in front of every
/// chunk's product); not when the chain's chunks do not fit vbuf (rows of
/// a large image on the edge preset), which the row kernel splits.
bool runsAsColumnChain(mlir::Operation *op, const TargetDesc &target,
                       int64_t outBytes);

/// Rewrites `kernel`, whose body computes `op`, into an npu kernel that
/// keeps each block of query rows' scores and probabilities in local
/// memory (AttentionToNpu.cpp).
mlir::LogicalResult convertAttentionKernel(mlir::func::FuncOp kernel,
                                           graph::AttentionOp op,
                                           const TargetDesc &target);

/// The attention kernel's cycle estimate (the figure its block choice
/// minimizes), or nullopt when it cannot run `op`.
std::optional<double> estimateAttentionCycles(graph::AttentionOp op,
                                              const TargetDesc &target);

/// The summation of the kernel convertConvKernel makes for `conv` and
/// `epilogue`, or nullopt when it makes none.
std::optional<sinan::ConvSummation> convSummation(graph::Conv2dOp conv,
                                                  const ConvEpilogue &epilogue,
                                                  const TargetDesc &target);

/// The conv tiler's cycle estimate for `conv` with `epilogue` on `target`
/// (the figure its block choice minimizes), or nullopt when it cannot tile
/// it.
std::optional<double>
estimateConvCycles(graph::Conv2dOp conv, const TargetDesc &target,
                   const ConvEpilogue &epilogue = ConvEpilogue());

} // namespace sinan::tiling

#endif // SINAN_LIB_CONVERSION_GRAPHTONPU_TILING_H
