//===- Conv.h - What the convolution tilers share ---------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The geometry of a convolution as the SNPU tilers see it, and the grid
// tiler (ConvGrid.cpp) that ConvToNpu.cpp weighs against its own modes.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_LIB_CONVERSION_GRAPHTONPU_CONV_H
#define SINAN_LIB_CONVERSION_GRAPHTONPU_CONV_H

#include "Tiling.h"

#include "sinan/runtime/Target.h"

#include <map>
#include <mutex>
#include <numeric>
#include <optional>
#include <string>

namespace sinan::tiling {

/// Geometry of a convolution; the `...Pad` sizes are rounded up to the
/// matrix tile, `owa` to the alignment.
struct ConvShape {
  int64_t n, c, h, w, f, kh, kw, oh, ow;
  int64_t sh, sw, dh, dw, top, left;
  int64_t group, cg, fg;
  int64_t owa, cgPad, fgPad;
  /// 1x1, stride 1, unpadded: the pixels of a channel are contiguous in the
  /// input and the output, so pixel blocks are runs of them (no row pitch).
  bool flat;
  /// Stride 1, one group: the input can be copied once into a zero-padded
  /// bf16 grid `wp` wide (a multiple of the f32 row alignment), where each
  /// channel's tap over a block of output rows is one contiguous run.
  bool paddable;
  int64_t wp;
  /// The convolution adds a bias, and whether it is a constant (which the
  /// implicit GEMM may pack for a bias product).
  bool bias, biasConstant = false;
  /// Bytes per element of the input and the result in DRAM: their element
  /// types', or bf16 where the kernel keeps them so
  /// (sinan-snpu-bf16-activations). Cores that store at once need parts
  /// on granules of their own at the result's size.
  int64_t inBytes = 4, outBytes = 4;
  int64_t taps() const { return kh * kw; }
  int64_t pixels() const { return oh * ow; }
};

/// The geometry of `conv`, or nullopt when it is not a static NCHW
/// convolution of f32 or bf16 on a target with a bf16 matrix unit.
std::optional<ConvShape> convShapeOf(graph::Conv2dOp conv,
                                     const TargetDesc &target);

/// The weights' values as f32 (from f32 or bf16 elements).
llvm::SmallVector<float> weightValues(mlir::DenseElementsAttr weights);

/// `bits` (bf16) as a rows x cols bf16 attribute.
mlir::DenseElementsAttr bf16Attr(mlir::MLIRContext *context,
                                 llvm::ArrayRef<uint16_t> bits, int64_t rows,
                                 int64_t cols);

/// Puts `packed` in a constant DRAM global named after `kernel` (renamed
/// on a clash), which becomes the kernel's read-only data once lowered to
/// isa, and returns it.
mlir::memref::GlobalOp addWeightsGlobal(mlir::func::FuncOp kernel,
                                        mlir::DenseElementsAttr packed,
                                        mlir::Location loc,
                                        const TargetDesc &target);

/// The grid tiler's choice for a convolution (ConvGrid.cpp): the input,
/// transposed on chip into rows of channels, sits in ibuf as a grid of
/// pixel rows with shared zero columns, so that every tap's left operand
/// is a plain offset view of it.
struct GridPlan {
  /// Channels per grid chunk (the products' k), output channels per block
  /// (n), output rows per block and the block's positions (m).
  int64_t c0 = 0, f0 = 0, rows = 0, m = 0;
  int64_t chunks = 0, cores = 1, depth = 2, accs = 2;
  /// Bands of image rows each chunk is staged in (a unit is a chunk's
  /// band), and the vbuf buffers the units go through, in turn.
  int64_t bands = 1, staging = 0;
  /// Units loaded before the first chunk's moves: every buffer's, or only
  /// the first chunk's (the rest follow its moves, whose signal then waits
  /// for fewer loads to land).
  int64_t ahead = 0;
  /// The first two blocks take the first chunk's products before the rest
  /// of either (more products to cover the next chunk's staging).
  bool interleave = false;
  /// A core's channel blocks (each one block of rows, as many as the
  /// accumulators, weights streamed) take each chunk's products in turn
  /// (crossApplies), so the products of every block cover the next chunk's
  /// staging.
  bool cross = false;
  /// ibuf grid buffers: one per chunk, or two (the first chunk's, the
  /// others') when semaphores are short.
  int64_t grids = 1;
  /// Cores split the output rows (each stages its rows) rather than the
  /// output channel blocks (each stages the whole input).
  bool splitRows = false;
  /// Stride 2 across an even width: the transposes split each pixel pair
  /// into the two column phases, so a phase's image row moves as one DMA
  /// row (else one per pixel), for a second transpose.
  bool pairs = false;
  /// A channel block's weights stay in wbuf (else a tile per product).
  bool resident = false;
  /// The epilogue's channel-rows buffers: one, or two that the
  /// accumulators' blocks take in turn (a block's transpose then waits for
  /// the store two blocks back).
  int64_t outs = 1;
  /// Output rows of core c: [rowsPerCore * c, ...).
  int64_t rowsPerCore = 0;
  /// Narrow groups as block-diagonal chunks: chunk k's c0 channels hold
  /// whole groups, which make output channel block k (f0 = c0) alone, so
  /// each block's products read one chunk (with zero weights between
  /// groups) and chunks stage one ahead of the products, through two
  /// grids.
  bool diagonal = false;
  /// Block-diagonal chunks: a core's output rows in this many segments,
  /// each staged and computed in turn (chunk by chunk, segment by segment
  /// within a chunk), so a chunk's grid holds one segment's rows and the
  /// first products wait for one segment's staging only.
  int64_t segments = 1;
  double cycles = 0;
};

/// Whether the grid tiler applies: one group, or groups of equal in and
/// out widths narrower than the matrix tile (block-diagonal chunks), up to
/// stride 2 (each stride a set of phases), an output as wide as the input
/// at its stride.
bool gridApplies(const ConvShape &s);

/// The Winograd tiler's choice for a 3x3 convolution of stride 1 or 2
/// (ConvWinograd.cpp): F(2,3) along each kernel row (stride 2: five
/// products a pair of outputs), chunks of c0 input channels, blocks of f0
/// output channels split over the cores, weights streamed `group` [c0 x
/// f0] tiles to a load through `depth` buffers in turn (`ahead` of them
/// issued before the first chunk's move), one or two buffers of the points
/// and of the staged channels that chunks take in turn, every chunk's grids
/// in ibuf or (`grids`, one block a core) that many in turn, one or two
/// sets of the sums' accumulators. Cores split the output channel blocks
/// (each stages the whole input) or, `splitRows`, the output rows
/// (`rowsPerCore` each, every block: each stages its rows and the halo).
struct WinogradPlan {
  int64_t c0 = 0, f0 = 0, cores = 1, depth = 3, sets = 1, group = 1, ahead = 1,
          pointBuffers = 1, staging = 2, grids = 0, rowsPerCore = 0;
  bool splitRows = false;
  /// Bands of staged rows a chunk is transposed (and its points made) in,
  /// through a transpose buffer of one band (which lets two staging
  /// buffers fit vbuf).
  int64_t bands = 1;
  /// A chunk's products (and so its weight loads, in DMA-in's queue) are
  /// emitted after the next chunk's staging, or before it.
  bool late = true;
  double cycles = 0;
};

/// `count` channels from `channel` of image n of a [N, C, pixels] DRAM
/// tensor, `length` pixels from `start`: a [count x length] view, each
/// channel's pixels one run.
mlir::Value channelRuns(mlir::OpBuilder &builder, mlir::Location loc,
                        mlir::Value tensor, mlir::OpFoldResult n,
                        mlir::OpFoldResult channel, mlir::OpFoldResult start,
                        int64_t count, int64_t length);

/// Cycles of a DMA of `bytes` in `rows` rows: its bytes or its rows,
/// whichever is more, after its setup (local memory only; a DRAM side adds
/// its latency).
inline int64_t dmaCycles(const TargetDesc &target, int64_t bytes,
                         int64_t rows) {
  return target.dmaSetupCycles +
         std::max(ceilDiv(bytes, int64_t(target.dmaBytesPerCycle)), rows);
}

/// Output rows a core and cores when the cores split `oh` rows of `ow`
/// pixels of `outBytes` each: each core's first row starts a granule in
/// every channel plane (so the planes must be whole granules), the last
/// core the rest; none when that leaves one core.
inline std::optional<std::pair<int64_t, int64_t>>
rowSplit(int64_t oh, int64_t ow, int64_t outBytes, const TargetDesc &target) {
  int64_t align = target.alignmentBytes;
  int64_t unit = align / std::gcd<int64_t>(align, ow * outBytes);
  int64_t rows = roundUp(ceilDiv(oh, int64_t(target.cores)), unit);
  int64_t cores = ceilDiv(oh, rows);
  if (cores == 1 || (oh * ow * outBytes) % align != 0)
    return std::nullopt;
  return std::pair(rows, cores);
}

/// Output rows a core and cores when the cores split the output rows
/// (rowSplit) or `blocks` blocks of `f0` output channels (each core all the
/// rows, its channels' planes on granules of their own, in every image);
/// none when the split leaves a core's part off the granules.
inline std::optional<std::pair<int64_t, int64_t>>
coreSplit(const ConvShape &s, int64_t outBytes, bool splitRows, int64_t f0,
          int64_t blocks, const TargetDesc &target) {
  if (splitRows)
    return rowSplit(s.oh, s.ow, outBytes, target);
  int64_t cores = std::min<int64_t>(target.cores, blocks);
  int64_t plane = s.oh * s.ow * outBytes, align = target.alignmentBytes;
  // (With images after the first, a core's part of image i starts at its
  // channels' offset in that image: the images must start on granules
  // too, or the first block of one and the last of the image before it,
  // on two cores, share a granule.)
  if (cores > 1 && ((f0 * plane) % align || (s.n > 1 && (s.f * plane) % align)))
    return std::nullopt;
  return std::pair(s.oh, cores);
}

/// `search()`'s plan, run once per `key` (convPlanKey and what else the
/// search reads) and kept for every later call, from any thread; each call
/// site (its `Search` type) has a cache of its own.
template <typename Plan, typename Search>
std::optional<Plan> cachedPlan(const std::string &key, Search search) {
  static std::mutex lock;
  static std::map<std::string, std::optional<Plan>> cache;
  {
    std::lock_guard<std::mutex> guard(lock);
    if (auto it = cache.find(key); it != cache.end())
      return it->second;
  }
  std::optional<Plan> plan = search();
  std::lock_guard<std::mutex> guard(lock);
  cache.emplace(key, plan);
  return plan;
}

/// What the tilers' plan searches read of a convolution, its epilogue and
/// the target, as a key for their caches (a network repeats its shapes,
/// and placement, the bf16 pass and conversion each ask for every one).
std::string convPlanKey(const ConvShape &s, const TargetDesc &target,
                        const ConvEpilogue &epilogue);

/// Whether the Winograd tiler applies: one image, one group, 3x3,
/// dilation 1, padding 1 before, and stride 1 with the output as large as
/// the input or stride 2 with the output half the input.
bool winogradApplies(const ConvShape &s);

/// The cheapest Winograd plan by a cycle estimate, or nullopt.
std::optional<WinogradPlan> chooseWinogradPlan(const ConvShape &s,
                                               const TargetDesc &target,
                                               const ConvEpilogue &epilogue);

/// `p` as the kernel's npu.plan words.
std::string describe(const WinogradPlan &p);

/// Emits `plan` into `kernel`'s (memref) body and finishes it.
mlir::LogicalResult emitWinogradConv(mlir::func::FuncOp kernel,
                                     graph::Conv2dOp conv, const ConvShape &s,
                                     const WinogradPlan &plan,
                                     const ConvEpilogue &epilogue,
                                     const TargetDesc &target,
                                     mlir::DenseElementsAttr weights);

/// A 1x1 convolution (stride 1, one group) that reads every channel of a
/// grid convolution's result and nothing else of it, run in the grid
/// convolution's kernel (a layer group of two, docs/layer-groups.md): each
/// block of output rows leaves the grid tiler's epilogue as channel rows
/// `[F x pixels]`, which become this convolution's right operand in wbuf
/// (bf16, as its input would be rounded anyway), its weights `[f x F]` the
/// left one in ibuf, resident; its blocks of `f0` output channels take the
/// bias (added last), a residual and a relu before the store.
struct PairStage {
  int64_t f = 0, f0 = 0;
  bool bias = false, residual = false, relu = false;
  /// The grid convolution's relu, applied on the vector unit.
  bool firstRelu = false;
  /// Bytes per element of this convolution's result and residual in DRAM.
  int64_t outBytes = 4, residualBytes = 4;
};

/// The cheapest grid plan by a cycle estimate, or nullopt. With `pair`, a
/// plan whose cores split rows and whose one block of output channels
/// holds them all, with the pair's buffers counted and its work in the
/// estimate (the pair's output decides the cores' row split).
std::optional<GridPlan> chooseGridPlan(const ConvShape &s,
                                       const TargetDesc &target,
                                       const ConvEpilogue &epilogue,
                                       const PairStage *pair = nullptr);

/// `p` as the kernel's npu.plan words.
std::string describe(const GridPlan &p);

/// Emits `plan` into `kernel`'s (memref) body and finishes it.
mlir::LogicalResult emitGridConv(mlir::func::FuncOp kernel,
                                 graph::Conv2dOp conv, const ConvShape &s,
                                 const GridPlan &plan,
                                 const ConvEpilogue &epilogue,
                                 const TargetDesc &target,
                                 mlir::DenseElementsAttr weights);

/// A kernel body that is a grid convolution (with its relu) and a 1x1
/// convolution of all of its result (with a residual add and a relu)
/// (ConvPair.cpp), and the plan that runs them as one kernel.
struct ConvPair {
  graph::Conv2dOp first, second;
  ConvShape s;
  PairStage stage;
  GridPlan plan;
  mlir::DenseElementsAttr weights, pairWeights;
};

/// `ops` (kernelBodyOps of `kernel`) as a ConvPair with a plan, or nullopt.
std::optional<ConvPair> matchConvPair(llvm::ArrayRef<mlir::Operation *> ops,
                                      mlir::func::FuncOp kernel,
                                      const TargetDesc &target);

/// Rewrites `kernel` (its storage casts peeled) into the pair's npu kernel.
mlir::LogicalResult convertConvPairKernel(mlir::func::FuncOp kernel,
                                          const ConvPair &pair,
                                          const TargetDesc &target);

/// Emits a grid convolution and the 1x1 convolution `pair` after it into
/// `kernel`'s body: its arguments are the grid convolution's input,
/// weights and bias (when it has one), then the pair's weights, bias and
/// residual (when they exist); `pairWeights` are the pair's `[f, F, 1, 1]`.
mlir::LogicalResult emitGridPair(mlir::func::FuncOp kernel,
                                 graph::Conv2dOp conv, const ConvShape &s,
                                 const GridPlan &plan, const PairStage &pair,
                                 const TargetDesc &target,
                                 mlir::DenseElementsAttr weights,
                                 mlir::DenseElementsAttr pairWeights);

/// The vector unit's plan for a depthwise or narrow-group convolution
/// (DepthwiseToNpu.cpp): units of `ct` groups by `rows` output rows, in
/// f32, rows `pitch` elements apart in vbuf.
struct DepthwisePlan {
  int64_t ct = 0, rows = 0, cores = 1, pitch = 0;
  /// Pixel rows of channels (DepthwiseChannelsLast.cpp; `pitch` is the
  /// grid's width) rather than a plane per kernel column.
  bool channelsLast = false;
  /// Channels-last at unit strides: a tap is one op over every output row
  /// (else an op per output row).
  bool oneOp = false;
  double cycles = 0;
};

/// Whether the vector unit runs `s`: groups of fewer input and output
/// channels than the matrix tile's k and m (depthwise ones included), which
/// the matrix unit would pad to its tile one group at a time. A dense
/// convolution stays on the matrix unit however few its channels.
bool vectorConvApplies(const ConvShape &s, const TargetDesc &target);

/// For such groups (vectorConvApplies) and `bytes`-byte elements: the
/// vector unit's plan or the grid tiler's block-diagonal one, whichever
/// the cycle estimates prefer (the other null; both null when neither
/// runs it).
/// `form` ("vector" or "matrix", kNarrowGroupsAttrName) keeps one of them.
std::pair<std::optional<DepthwisePlan>, std::optional<GridPlan>>
chooseNarrow(const ConvShape &s, const TargetDesc &target,
             const ConvEpilogue &epilogue, int64_t bytes,
             llvm::StringRef form = "");

/// `conv`'s kNarrowGroupsAttrName, or "".
llvm::StringRef narrowGroupsForm(graph::Conv2dOp conv);

/// The cheapest such plan by a cycle estimate, or nullopt when not even
/// one group's output row fits vbuf (twice).
std::optional<DepthwisePlan> chooseDepthwisePlan(const ConvShape &s,
                                                 const TargetDesc &target,
                                                 const ConvEpilogue &epilogue,
                                                 int64_t reservedBytes = 0);

/// `p` as the kernel's npu.plan words.
std::string describe(const DepthwisePlan &p);

/// A max pooling as the vector unit's depthwise kernel sees it (a group
/// per channel, no weights), or nullopt with `why`.
std::optional<ConvShape> maxPoolShapeOf(graph::MaxPool2dOp pool,
                                        const TargetDesc &target,
                                        std::string &why);

/// vbuf bytes of a padded max pooling's column masks (0 without padding).
int64_t maxPoolMaskBytes(const ConvShape &s, const TargetDesc &target);

/// The vector unit's cycle estimate for max pooling `pool` (the plan
/// emitMaxPool chooses), or nullopt when it cannot run it.
std::optional<double> estimateMaxPoolCycles(graph::MaxPool2dOp pool,
                                            const TargetDesc &target);

/// The max pooling's kernel: the depthwise kernel's planes, each output the
/// maximum of its taps (`npu.vbin "max"`).
mlir::LogicalResult emitMaxPool(mlir::func::FuncOp kernel,
                                graph::MaxPool2dOp pool,
                                const TargetDesc &target);

/// The separable max pooling (MaxPoolRows.cpp): units of ct channels by
/// `rows` output rows, split over `cores`.
/// `copies` units of a run in flight (its buffers multiplied).
struct MaxPoolRowsPlan {
  int64_t ct = 0, rows = 0, cores = 1, copies = 2;
  double cycles = 0;
};

/// The separable form's cheapest plan by its estimate, or nullopt when no
/// unit fits half of vbuf.
std::optional<MaxPoolRowsPlan> chooseMaxPoolRows(const ConvShape &s,
                                                 const TargetDesc &target);

/// `p` as the kernel's npu.plan words.
std::string describe(const MaxPoolRowsPlan &p);

/// Emits `plan` for max pooling `s` from `x` into `y` (the kernel's DRAM
/// memrefs) into `kernel`'s body at the builder and finishes it.
void emitMaxPoolRows(mlir::OpBuilder &builder, mlir::Location loc,
                     mlir::func::FuncOp kernel, const ConvShape &s,
                     const MaxPoolRowsPlan &plan, const TargetDesc &target,
                     mlir::Value x, mlir::Value y);

/// Emits `plan` into `kernel`'s (memref) body and finishes it.
mlir::LogicalResult emitDepthwiseConv(mlir::func::FuncOp kernel,
                                      graph::Conv2dOp conv, const ConvShape &s,
                                      const DepthwisePlan &plan,
                                      const ConvEpilogue &epilogue,
                                      const TargetDesc &target,
                                      mlir::DenseElementsAttr weights);

} // namespace sinan::tiling

#endif // SINAN_LIB_CONVERSION_GRAPHTONPU_CONV_H
