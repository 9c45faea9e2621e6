//===- ConvToNpu.cpp - Convolutions as implicit GEMM on the matrix unit ---===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Y[n, f, oh, ow] = bias[f] + sum over taps (i, j) and channels c of
//   W[f, c, i, j] * X[n, c, oh*sh + i*dh - top, ow*sw + j*dw - left].
// Per tap this is a matrix product, weights [F x C] times the tap's view of
// the input [C x pixels]. The weights are packed at compile time into bf16,
// one zero-padded [F x C] matrix per group and tap, in the kernel's
// read-only data; the tap's view is one dload that gathers (element stride
// = the convolution's stride) and pads (the tap's rows and columns outside
// the image). Pixels are blocks of whole output rows, each at a pitch of OW
// rounded up to the alignment, so every DMA row starts aligned. The bias
// either starts the accumulator (a dload whose gather stride 0 repeats it
// along the row) or, where the cost estimate prefers it, the first product
// starts it and the vector unit adds the bias (a per-row scalar from a vbuf
// column) on its way into a vbuf block: a block of f32 loaded per pixel
// block costs DMA-in as much as a 1x1 convolution's inputs. The block goes
// out once, with relu when fused; a fused residual or clip runs on the
// vector unit, from the accumulator into a vbuf block that the store then
// reads.
//
//===----------------------------------------------------------------------===//

#include "Conv.h"
#include "Tiling.h"
#include "sinan/Conversion/GraphToNpu.h"

#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Npu/IR/NpuOps.h"
#include "sinan/runtime/Numerics.h"
#include "sinan/runtime/Target.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/Support/FormatVariadic.h"

#include <limits>
#include <numeric>

using namespace mlir;
using namespace sinan;
using namespace sinan::tiling;

namespace {

int64_t floorDiv(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}
int64_t ceilDivSigned(int64_t a, int64_t b) { return -floorDiv(-a, b); }

struct ConvBlocks {
  /// Output channels, input channels, output rows (pixels when flat) and
  /// pixels per block (rows at their aligned pitch).
  int64_t f0 = 0, c0 = 0, rows = 0, pixels = 0, cores = 1, depth = 2;
  /// Cores split the pixel blocks (each core all output channels of its
  /// rows) rather than the output channel blocks.
  bool splitPixels = false;
  /// An output channel block's weights (every tap and input channel) stay
  /// in ibuf, loaded once per block, instead of a tile per tap.
  bool resident = false;
  /// Taps read a padded bf16 copy of the input (ConvShape::paddable) that
  /// each core makes of its rows first, in the kernel's scratch.
  bool padded = false;
  /// Padded mode: rows of a core's copy, channels per copy chunk.
  int64_t regionRows = 0, chunk = 0;
  double cycles = 0;
  /// Accumulators the pixel blocks take in turn.
  int64_t accs = 2;
  /// The bias is added on the vector unit after the products (a per-row
  /// scalar from a vbuf column) instead of loaded into the accumulator
  /// before them: the DMA-in then carries only the taps' operands.
  bool biasLast = false;
  /// The bias starts each accumulator as a product of the matrix unit (a
  /// constant bias split into three bf16 columns whose sum is exactly its
  /// f32 value, times rows of ones) instead of a DMA of the bias repeated
  /// along the rows: the accumulator holds the same values (the fallback
  /// still sums bias + products), and DMA-in no longer carries a block of
  /// f32 per pixel block.
  bool biasProduct = false;
  /// The taps fold into the products' k (foldedK): each pixel block loads
  /// every tap's view of the input channels into consecutive rows of one
  /// operand (tap-major, channel-minor, zero rows to the tile) and takes
  /// one product of k = c0, instead of one product per tap of channels
  /// padded to the tile. For few input channels (an RGB stem).
  bool folded = false;
  /// A 1x1 convolution's whole input (one image, one pixel block) stays in
  /// wbuf, loaded once per core before the first product, instead of a
  /// tile per product: a core's output channel blocks after the first move
  /// only their weights.
  bool inputResident = false;
  /// Cores split the groups, `groupUnit` at a time (each core's first
  /// output channel on a granule), when a group is one output channel
  /// block: else one core would take every group (RegNetX's 25 groups of 16
  /// channels at 7x7: 56k cycles on one core).
  int64_t groupUnit = 0;
};

/// Groups per unit of a split over cores: the fewest whose output channels
/// (`fg` of `plane` bytes each) fill whole granules; 0 unless the groups
/// are several one-block groups, and each image (a core's units recur in
/// every one) starts on a granule.
int64_t groupSplitUnit(const ConvShape &s, int64_t f0, int64_t outputBytes,
                       int64_t align) {
  int64_t plane = s.oh * s.ow * outputBytes;
  if (s.group < 2 || f0 != s.fgPad || s.fg != s.fgPad ||
      (s.n > 1 && (s.f * plane) % align))
    return 0;
  return align / std::gcd(s.fg * plane, align);
}

/// The products' k of folded taps: every tap's input channels, to the
/// matrix tile.
int64_t foldedK(const ConvShape &s, const MatrixTile &tile) {
  return roundUp(s.taps() * s.cg, tile.k);
}

/// The pixels a flat block of `count` pixels computes when blocks hold
/// `pixels`: a partial one only the tiles its pixels reach (its
/// accumulator, vbuf block and tap buffers viewed as narrower tiles at the
/// pitch the matrix unit reads them), unless the bias product's ones lay
/// it out at the full pitch.
int64_t computedPixels(int64_t count, int64_t pixels, bool biasProduct,
                       const MatrixTile &tile) {
  return count < pixels && !biasProduct ? roundUp(count, tile.n) : pixels;
}

/// `b` as the kernel's npu.plan words.
std::string describe(const ConvBlocks &b) {
  return llvm::formatv("implicit-gemm f0={0} c0={1} rows={2} pixels={3} "
                       "cores={4} split={5} weights={6} input={7} depth={8} "
                       "accs={9} bias={10} estimate={11}",
                       b.f0, b.c0, b.rows, b.pixels, b.cores,
                       b.splitPixels ? "pixels" : "channels",
                       b.resident ? "resident" : "tiles",
                       b.padded          ? "padded-copy"
                       : b.folded        ? "folded-taps"
                       : b.inputResident ? "resident"
                                         : "taps",
                       b.depth, b.accs,
                       b.biasLast      ? "last"
                       : b.biasProduct ? "product"
                                       : "first",
                       int64_t(b.cycles))
             .str() +
         (b.groupUnit ? llvm::formatv(" groups={0}", b.groupUnit).str()
                      : std::string());
}

/// tile * 2^i dividing `padded`, and `padded` itself, up to `limit`;
/// with `largest`, the largest multiple of `tile` dividing it past them.
SmallVector<int64_t> dividingBlocks(int64_t padded, int64_t tile, int64_t limit,
                                    bool largest = false) {
  SmallVector<int64_t> sizes;
  for (int64_t size = tile; size <= std::min(padded, limit); size *= 2)
    if (padded % size == 0)
      sizes.push_back(size);
  if (padded <= limit && (sizes.empty() || sizes.back() != padded))
    sizes.push_back(padded);
  // With `largest`, else the largest multiple of the tile dividing it (960
  // channels: 480, where powers of two stop at 64).
  for (int64_t size = std::min(padded, limit) / tile * tile;
       largest && padded > limit && size > sizes.back(); size -= tile)
    if (padded % size == 0) {
      sizes.push_back(size);
      break;
    }
  return sizes;
}

/// Output channel blocks: dividingBlocks up to 256, and the blocks that
/// give each of the cores (or each twice) one block, when the tile divides
/// them (320 channels on four cores: 80, which no power of two divides
/// evenly among them).
SmallVector<int64_t> outputChannelBlocks(int64_t padded, int64_t tile,
                                         int64_t cores) {
  SmallVector<int64_t> sizes = dividingBlocks(padded, tile, 256, true);
  for (int64_t parts : {cores, 2 * cores}) {
    int64_t size = padded / parts;
    if (padded % parts == 0 && size % tile == 0 && size <= 256 &&
        !llvm::is_contained(sizes, size))
      sizes.push_back(size);
  }
  return sizes;
}

/// The cost terms every conv candidate shares, at one core's DMA
/// bandwidth.
struct ConvCost {
  const TargetDesc &target;
  const ConvShape &s;
  double bandwidth;
  /// A core's share of the DRAM channel, which its DMA-in and DMA-out
  /// share with each other and with the other cores.
  double dramShare;

  ConvCost(const TargetDesc &target, const ConvShape &s, int64_t cores)
      : target(target), s(s),
        bandwidth(
            std::min<double>(target.dmaBytesPerCycle,
                             double(target.dramBytesPerCycle) / double(cores))),
        dramShare(double(target.dramBytesPerCycle) / double(cores)) {}

  /// One pixel block of `taps` products, f0 x c0 x pixels each, on one
  /// core. DMA-in brings f0 x pixels f32 blocks (the bias repeated along
  /// the rows into the accumulator when `biasFirst`, a residual into vbuf)
  /// and per product the weight tile (unless resident) and the input
  /// (`inputRows` DMA rows, one address per cycle, spanning `inputBytes`);
  /// the matrix unit's products overlap those loads as they take `depth`
  /// buffers in turn, a load issued once the product `depth` earlier has
  /// freed its buffer and landing a DRAM latency after it moves; DMA-out
  /// stores the previous block meanwhile (`storeBytes`); `vectorPasses`
  /// passes of the vector unit over each block come between products and
  /// store. The block takes as long as the busiest engine or the longest
  /// latency chain.
  /// Matrix-unit cycles of one product, f0 x c0 x pixels.
  double product(int64_t f0, int64_t c0, int64_t pixels) const {
    const MatrixTile &tile = target.matrixTiles.at(DType::BF16);
    return double(f0 / tile.m) * (c0 / tile.k) * (pixels / tile.n);
  }

  /// `transfers`: the DMA transfers that bring a product's input (folded
  /// taps: one per tap, and the zero rows). `inputDramBytes`, when not
  /// negative, is what the input reads of DRAM, when its rows write more
  /// than they read (padding, or bf16 rows as long as f32 ones). The store
  /// writes `storeRows` DMA rows (a channel's output row each, unless its
  /// pixels are one run). With `biasProduct` the bias starts the
  /// accumulator as one more product (k = a tile) instead of a load.
  double block(int64_t taps, int64_t f0, int64_t c0, int64_t pixels,
               double inputRows, double inputBytes, bool resident,
               int64_t depth, int64_t accs, int64_t storeBytes,
               int64_t vectorPasses, bool biasFirst, bool residual,
               int64_t transfers = 1, double inputDramBytes = -1.0,
               double storeRows = 0.0, bool biasProduct = false) const {
    double latency = target.dramLatencyCycles;
    double mma = product(f0, c0, pixels);
    double biasMma =
        biasProduct ? product(f0, target.matrixTiles.at(DType::BF16).k, pixels)
                    : 0.0;
    double weightRows = resident ? 0.0 : double(f0);
    // A transfer moves its bytes or a row a cycle, whichever is slower: the
    // weight tile's f0 short rows and the input's bytes do not overlap.
    double dma =
        std::max(weightRows * c0 * 2 / bandwidth, weightRows) +
        std::max(inputBytes / bandwidth, inputRows) +
        double((resident ? 1 : 2) + transfers - 1) * target.dmaSetupCycles;
    double load = double(f0 * pixels * 4) / bandwidth + target.dmaSetupCycles;
    double loads = (biasFirst ? load : 0.0) + (residual ? load : 0.0);
    // A block's bias, loaded into its accumulator, is in the chain too: its
    // first product waits for it to land.
    double chain =
        (dma + (biasFirst ? load : 0.0) + latency + mma) / double(depth);
    double store = std::max(double(storeBytes) / bandwidth, storeRows);
    double pass = double(f0 * pixels * 4) / double(target.vectorBytesPerCycle) +
                  double(target.vectorLatencyCycles);
    double vector = double(vectorPasses) * pass;
    // The blocks take `accs` accumulators in turn (and as many vbuf blocks
    // with a vector epilogue). An accumulator is busy from its bias load
    // (which lands a DRAM latency later) through the products to the
    // store's landing, or with a vector epilogue to the first pass, which
    // moves it into its vbuf block; that block is busy from its residual
    // load through the passes to the store's landing.
    double intoAcc = biasFirst ? load + latency : biasMma;
    double accBusy = intoAcc + taps * mma + store + latency, blockBusy = 0.0;
    if (vectorPasses > 0) {
      accBusy = intoAcc + taps * mma + pass;
      blockBusy = (residual ? load + latency : 0.0) + vector + store + latency;
    }
    double accTurn = std::max(accBusy, blockBusy) / double(accs);
    // DRAM-side bytes (the bias's rows repeat one element: a burst each).
    double dramBytes = weightRows * c0 * 2 +
                       (inputDramBytes < 0.0 ? inputBytes : inputDramBytes);
    double dram = (taps * dramBytes + (residual ? f0 * pixels * 4.0 : 0.0) +
                   (biasFirst ? f0 * double(target.dmaBurstBytes) : 0.0) +
                   double(storeBytes)) /
                  dramShare;
    return std::max({taps * dma + loads, taps * mma + biasMma, taps * chain,
                     store, vector, accTurn, dram});
  }

  /// What no block overlaps: before the first product its loads
  /// (`firstBytes`) and their DRAM latency; after the last one the last
  /// block's `vectorPasses` passes over f0 x pixels f32, its store and the
  /// store's latency.
  double edges(int64_t storeBytes, double storeRows, double firstBytes,
               int64_t f0, int64_t pixels, int64_t vectorPasses) const {
    double pass = double(f0 * pixels * 4) / double(target.vectorBytesPerCycle) +
                  double(target.vectorLatencyCycles);
    return firstBytes / bandwidth + double(vectorPasses) * pass +
           std::max(double(storeBytes) / bandwidth, storeRows) +
           2.0 * target.dramLatencyCycles;
  }

  /// The loops over groups, output channel blocks and images repeat one
  /// body of `blocks` pixel blocks, each taking `uses` of the `depth` tap
  /// buffers in turn and one of the `accs` accumulators. Unless the body
  /// takes the tap buffers in whole rounds, one serves the last product of
  /// an iteration and the first of the next back to back, and that load's
  /// round trip shows once per iteration; unless it takes the accumulators
  /// in whole turns, the next iteration's first product waits for the
  /// last block's store to land (or, with a vector epilogue, its first
  /// pass).
  double rotation(double iterations, int64_t blocks, int64_t uses,
                  int64_t depth, int64_t accs, double tapMma,
                  bool vectorEpilogue) const {
    if (iterations <= 1.0)
      return 0.0;
    double stall = 0.0;
    if ((blocks * uses) % depth)
      stall += target.dramLatencyCycles + tapMma;
    if (blocks % accs && !vectorEpilogue)
      stall += target.dramLatencyCycles;
    return (iterations - 1.0) * stall;
  }

  /// Resident weights (`k` columns of f0 rows) come in once per output
  /// channel block, before its first product, and so do a bias product's
  /// columns (a DMA row per channel, one buffer: its round trip shows).
  double weightLoad(int64_t f0, bool resident, int64_t k,
                    bool biasProduct = false) const {
    double weights = resident ? double(k * f0 * 2) / bandwidth : 0.0;
    double bias =
        biasProduct ? double(f0) + double(target.dmaSetupCycles) : 0.0;
    return weights + bias +
           (resident || biasProduct ? target.dramLatencyCycles : 0.0);
  }
};

/// Cores for a split of `blocks` blocks (pixel or output channel blocks),
/// or nullopt when a pixel split would use one core (the channel split
/// covers that). Cores write Y concurrently, so each core's part must start
/// on a granule of its own (`aligned`), else one core.
std::optional<int64_t> coresFor(const TargetDesc &target, bool splitPixels,
                                int64_t blocks, bool aligned) {
  int64_t cores = aligned ? std::min<int64_t>(target.cores, blocks) : 1;
  if (splitPixels && cores == 1)
    return std::nullopt;
  return cores;
}

/// Whether each core's output channels (in every image and group) start on
/// a granule of their own.
bool channelsAligned(const ConvShape &s, int64_t f0, int64_t outputBytes,
                     int64_t align) {
  int64_t plane = s.oh * s.ow * outputBytes;
  return (f0 * plane) % align == 0 &&
         (s.n == 1 || (s.f * plane) % align == 0) &&
         (s.group == 1 || (s.fg * plane) % align == 0);
}

/// Elements of the vbuf column that holds the whole bias when it is added
/// last: each group's channels from a multiple of the matrix tile (so every
/// channel block's rows start aligned), padded to it.
int64_t biasColumnLength(const ConvShape &s) { return s.group * s.fgPad; }

/// Pixel blocks per iteration of a loop over pixel blocks, each taking
/// `uses` tap buffers of `depth` in turn: whole turns of the `accs`
/// accumulators and whole rounds of the tap buffers (or one buffer would
/// serve the last tap of an iteration and the first of the next back to
/// back, its load waiting for the product); 0 beyond six blocks (the code
/// grows with them).
int64_t blocksPerIteration(int64_t accs, int64_t depth, int64_t uses) {
  int64_t blocks = std::lcm(accs, depth / std::gcd(uses, depth));
  return blocks <= 6 ? blocks : 0;
}

/// Accumulators of f0 x pixels f32 for the pixel blocks to take in turn
/// (more hide more of each one's load-compute-store round trip): as many as
/// fit, up to four; each buffer DMA-in hands to the matrix unit takes a
/// semaphore of that engine pair: the `depth` input tiles, the weights
/// (resident, or `depth` tiles too), `extraTiles` more (a bias product's
/// columns and ones) and, when the bias is loaded into them (`biasFirst`),
/// the accumulators; 0 if two do not fit. With a vector epilogue
/// each accumulator has a vbuf block of its size too, beside `vbufReserved`
/// bytes (a bias column); fewer when the pixel loop's iterations would grow too
/// long (blocksPerIteration).
int64_t accsFor(const TargetDesc &target, int64_t f0, int64_t pixels,
                int64_t depth, bool resident, bool biasFirst,
                bool vectorEpilogue, int64_t uses, int64_t vbufReserved = 0,
                int64_t extraTiles = 0) {
  int64_t bytes = f0 * pixels * 4;
  int64_t fit = int64_t(target.acc.sizeBytes) / bytes;
  if (vectorEpilogue)
    fit = std::min<int64_t>(
        fit, (int64_t(target.vbuf.sizeBytes) - vbufReserved) / bytes);
  int64_t others = depth + (resident ? 1 : depth) + extraTiles;
  int64_t semaphores = target.semaphoresPerEnginePair;
  if (others > semaphores)
    return 0;
  int64_t accs =
      std::min<int64_t>({4, fit, biasFirst ? semaphores - others : int64_t(4)});
  while (accs >= 2 && !blocksPerIteration(accs, depth, uses))
    --accs;
  return accs >= 2 ? accs : 0;
}

/// Whether each core's pixel blocks (in every channel and image) start on a
/// granule of their own when `cores` cores split `blocks` blocks of
/// `blockBytes` per channel, core c from block `first(c)`. Blocks need not
/// be aligned themselves: one core writes all of its run.
bool pixelPartsAligned(int64_t plane, int64_t blockBytes, int64_t cores,
                       int64_t align, function_ref<int64_t(int64_t)> first) {
  if (plane % align)
    return false;
  for (int64_t c = 1; c < cores; ++c)
    if ((first(c) * blockBytes) % align)
      return false;
  return true;
}

/// DMA transfers of a block of folded taps (emitFoldedTaps): `interior`
/// for a block no kernel row of which reaches into the vertical padding (a
/// transfer per kernel column), `edge` for one that does (a transfer per
/// tap), both with the zero rows' fill when the taps do not fill k; and the
/// blocks of `rows` output rows at the top and at the bottom edge.
struct FoldedTransfers {
  int64_t interior, edge, topBlocks, bottomBlocks;
};

FoldedTransfers foldedTransfers(const ConvShape &s, int64_t rows, int64_t k) {
  int64_t fill = s.taps() * s.cg < k ? 1 : 0;
  // Output rows whose first kernel row is above the image, and whose last
  // is below it.
  int64_t topRows = std::min(s.oh, ceilDivSigned(s.top, s.sh));
  int64_t lastClear = floorDiv(s.h - 1 + s.top - (s.kh - 1) * s.dh, s.sh);
  int64_t bottomRows = std::clamp<int64_t>(s.oh - 1 - lastClear, 0, s.oh);
  int64_t interior = s.kh > 1 ? s.kw + fill : s.taps() + fill;
  return {interior, s.taps() + fill, ceilDiv(topRows, rows),
          ceilDiv(bottomRows, rows)};
}

/// The cheapest blocks by a cycle estimate per core (ConvCost): per tap,
/// matrix-unit cycles against the DMA of the weight tile and the input
/// tap, per pixel block the store.
std::optional<ConvBlocks> searchConvBlocks(const ConvShape &s,
                                           const TargetDesc &target,
                                           int64_t inputBytes,
                                           int64_t outputBytes,
                                           const ConvEpilogue &epilogue) {
  int64_t vectorPasses = epilogue.vectorPasses();
  bool residual = epilogue.residual;
  const MatrixTile &tile = target.matrixTiles.at(DType::BF16);
  int64_t align = target.alignmentBytes;
  int64_t step = std::lcm<int64_t>(align / 2, tile.n);
  // Tap buffers in flight (accsFor checks the semaphores they take).
  int64_t deepest = 4;
  int64_t plane = s.oh * s.ow * outputBytes;
  // The bias goes into the accumulator before the products (DMA-in, or a
  // product when it is a constant) or is added after them on the vector
  // unit, whichever the estimate prefers; with a residual it stays first,
  // as the host fallback sums (bias + products) + residual.
  int64_t columnBytes = roundUp(biasColumnLength(s) * 4, align);
  enum class BiasMode { First, Last, Product };
  SmallVector<BiasMode, 3> biasModes = {BiasMode::First};
  if (s.bias && !residual && columnBytes <= int64_t(target.vbuf.sizeBytes) / 8)
    biasModes.push_back(BiasMode::Last);
  if (s.bias && s.biasConstant)
    biasModes.push_back(BiasMode::Product);
  // Per mode: vector passes, vbuf bytes of the bias column.
  auto passes = [&](bool biasLast) { return vectorPasses + int64_t(biasLast); };
  // The vbuf bytes besides the blocks the accumulators pass through: the
  // bias column and a SiLU's sigmoid buffer.
  auto reserved = [&](int64_t f0, int64_t pixels, bool biasLast) {
    return (biasLast ? columnBytes : int64_t(0)) +
           (epilogue.silu ? f0 * pixels * 4 : int64_t(0));
  };
  // A constant bias added first is a product (ConvBlocks::biasProduct)
  // when its tiles fit beside the others: an output channel block's [f0 x
  // k] columns in ibuf, [k x pixels] of ones in wbuf.
  // (The three parts need a tile's k of at least three.)
  auto productFits = [&](int64_t f0, int64_t pixels, int64_t ibufUsed,
                         int64_t wbufUsed) {
    return s.bias && s.biasConstant && tile.k >= 3 &&
           ibufUsed + f0 * pitch(tile.k, 2, align) * 2 <=
               int64_t(target.ibuf.sizeBytes) &&
           wbufUsed + tile.k * pitch(pixels, 2, align) * 2 <=
               int64_t(target.wbuf.sizeBytes);
  };
  std::optional<ConvBlocks> best;
  auto consider = [&](int64_t f0, int64_t c0, int64_t rows, int64_t pixels,
                      int64_t pixelBlocks, int64_t depth, bool resident,
                      bool folded = false) {
    // Products per pixel block, and the k of all of them.
    int64_t uses = folded ? 1 : (s.cgPad / c0) * s.taps();
    int64_t k = folded ? c0 : s.taps() * s.cgPad;
    int64_t tileBytes = f0 * pitch(c0, 2, align) * 2;
    bool productFitsHere = productFits(
        f0, pixels,
        resident ? (folded ? 1 : s.taps() * (s.cgPad / c0)) * tileBytes
                 : depth * tileBytes,
        depth * c0 * pitch(pixels, 2, align) * 2);
    for (BiasMode mode : biasModes) {
      bool biasLast = mode == BiasMode::Last;
      bool product = mode == BiasMode::Product;
      bool biasFirst = s.bias && mode == BiasMode::First;
      if (product && !productFitsHere)
        continue;
      int64_t accs = accsFor(target, f0, pixels, depth, resident, biasFirst,
                             passes(biasLast) > 0, uses,
                             reserved(f0, pixels, biasLast), product ? 2 : 0);
      if (!accs)
        continue;
      int64_t fBlocks = s.fgPad / f0;
      int64_t blockOutput = (s.flat ? rows : rows * s.ow) * outputBytes;
      int64_t pixelCores = std::min<int64_t>(target.cores, pixelBlocks);
      bool pixelsAligned = pixelPartsAligned(
          plane, blockOutput, pixelCores, align,
          [&](int64_t c) { return c * pixelBlocks / pixelCores; });
      for (bool splitPixels : {false, true}) {
        std::optional<int64_t> cores =
            coresFor(target, splitPixels, splitPixels ? pixelBlocks : fBlocks,
                     splitPixels ? pixelsAligned
                                 : channelsAligned(s, f0, outputBytes, align));
        if (!cores)
          continue;
        // One-block groups split over the cores, a unit of groups each.
        int64_t unit = splitPixels || folded
                           ? 0
                           : groupSplitUnit(s, f0, outputBytes, align);
        int64_t units = unit ? s.group / unit : 0;
        if (units >= 2 && *cores == 1 && target.cores > 1)
          cores = std::min<int64_t>(target.cores, units);
        else
          unit = 0;
        ConvCost cost(target, s, *cores);
        // A tap moves its input rows (or the bytes its gathers span);
        // folded, a product's input is every tap's (and a fill of the
        // zero rows).
        double tapRows = folded   ? double(s.taps() * s.cg * rows)
                         : s.flat ? c0
                                  : c0 * rows;
        // The DMA moves each row's source span or the tile row it writes
        // (owa bf16 positions, padding included), whichever is longer.
        double tapBytes = s.flat ? double(c0 * rows) * inputBytes
                                 : tapRows * s.ow * s.sw * inputBytes;
        double tapMoved =
            s.flat || folded
                ? tapBytes
                : tapRows *
                      std::max<double>(s.ow * s.sw * inputBytes, s.owa * 2.0);
        int64_t storeBytes = f0 * blockOutput;
        double storeRows = s.flat ? f0 : f0 * rows;
        // Folded taps: a block clear of the vertical padding loads a kernel
        // column's taps in one transfer, one at the top or bottom edge each
        // tap in one (emitFoldedTaps); and the zero rows' fill.
        FoldedTransfers transfers =
            folded ? foldedTransfers(s, rows, c0) : FoldedTransfers{1, 1, 0};
        double perBlock =
            cost.block(uses, f0, c0, pixels, tapRows, tapMoved, resident, depth,
                       accs, storeBytes, passes(biasLast), biasFirst, residual,
                       transfers.interior, tapBytes, storeRows, product);
        double fBlocksPerCore =
            splitPixels ? double(fBlocks) : double(ceilDiv(fBlocks, *cores));
        double pixelBlocksPerCore =
            splitPixels ? double(ceilDiv(pixelBlocks, *cores)) : pixelBlocks;
        // With the pixel blocks split, the top and bottom edges fall on
        // different cores.
        double edgeBlocksPerCore =
            splitPixels && *cores > 1
                ? double(std::max(transfers.topBlocks, transfers.bottomBlocks))
                : double(transfers.topBlocks + transfers.bottomBlocks);
        double edgeSetups = edgeBlocksPerCore *
                            double(transfers.edge - transfers.interior) *
                            target.dmaSetupCycles;
        // A flat partial last block computes the tiles its pixels reach
        // (emitPixelBlock) and moves its pixels only.
        double blocksCycles = pixelBlocksPerCore * perBlock;
        if (int64_t rest = s.flat ? s.pixels() % rows : 0;
            rest && !product && !splitPixels) {
          double restBytes = double(c0 * rest) * inputBytes;
          blocksCycles +=
              cost.block(uses, f0, c0,
                         computedPixels(rest, rows, product, tile), c0,
                         restBytes, resident, depth, accs,
                         f0 * rest * outputBytes, passes(biasLast), biasFirst,
                         residual, 1, restBytes, storeRows, product) -
              perBlock;
        }
        // With the groups split, a core's groups: its units, and the groups
        // past the last unit on one of them.
        double groups =
            unit ? double(ceilDiv(units, *cores) * unit + s.group % unit)
                 : double(s.group);
        double cycles =
            groups * fBlocksPerCore *
                (cost.weightLoad(f0, resident, k, product) +
                 s.n * (blocksCycles + edgeSetups)) +
            cost.edges(storeBytes, storeRows,
                       (biasFirst ? f0 * pixels * 4.0 : 0.0) +
                           (resident ? 0.0 : f0 * c0 * 2.0) + tapMoved,
                       f0, pixels, passes(biasLast)) +
            cost.rotation(double(s.group) * fBlocksPerCore * s.n,
                          int64_t(pixelBlocksPerCore), uses, depth, accs,
                          cost.product(f0, c0, pixels), passes(biasLast) > 0);
        auto take = [&](double cycles, bool inputResident) {
          if (best && cycles >= best->cycles)
            return;
          best = ConvBlocks{f0,    c0,          rows,     pixels, *cores,
                            depth, splitPixels, resident, false,  0,
                            0,     cycles,      accs};
          best->biasLast = biasLast;
          best->biasProduct = product;
          best->folded = folded;
          best->inputResident = inputResident;
          best->groupUnit = unit;
        };
        take(cycles, false);
        // The input resident: a core's blocks after the first load no
        // input, and the first waits for all of it (its load in the head).
        // (One pixel block: a flat partial one computes the tiles its
        // pixels reach, emitPixelBlock.)
        int64_t ownPixels = computedPixels(s.pixels(), pixels, product, tile);
        int64_t residentBytes = s.cgPad * pitch(ownPixels, 2, align) * 2;
        if (s.flat && !folded && s.group == 1 && s.n == 1 && pixelBlocks == 1 &&
            !splitPixels && fBlocksPerCore > 1 &&
            residentBytes +
                    (product ? tile.k * pitch(pixels, 2, align) * 2 : 0) <=
                int64_t(target.wbuf.sizeBytes)) {
          int64_t ownStore = f0 * s.pixels() * outputBytes;
          double perBlockOwn =
              cost.block(uses, f0, c0, ownPixels, 0.0, 0.0, resident, depth,
                         accs, ownStore, passes(biasLast), biasFirst, residual,
                         1, 0.0, storeRows, product);
          double head = std::max(double(s.cg * s.pixels() * inputBytes),
                                 double(residentBytes)) /
                        cost.bandwidth;
          take(fBlocksPerCore * (cost.weightLoad(f0, resident, k, product) +
                                 perBlockOwn) +
                   head +
                   cost.edges(ownStore, storeRows,
                              (biasFirst ? f0 * ownPixels * 4.0 : 0.0) +
                                  (resident ? 0.0 : f0 * c0 * 2.0),
                              f0, ownPixels, passes(biasLast)) +
                   cost.rotation(fBlocksPerCore, 1, uses, depth, accs,
                                 cost.product(f0, c0, ownPixels),
                                 passes(biasLast) > 0),
               true);
        }
      }
    }
  };
  // Padded mode: cores split the pixel blocks, each copying its rows of the
  // input (with halo and padding) to scratch first; a tap of a channel is
  // then one contiguous run of rows x wp, one DMA row.
  auto considerPadded = [&](int64_t f0, int64_t c0, int64_t rows) {
    int64_t pixels = rows * s.wp;
    if (s.oh % rows || pixels > 2048 || pixels % tile.n ||
        2 * f0 * pixels * 4 > int64_t(target.acc.sizeBytes))
      return;
    int64_t pixelBlocks = s.oh / rows, fBlocks = s.fgPad / f0;
    int64_t pixelCores = std::min<int64_t>(target.cores, pixelBlocks);
    bool pixelsAligned = pixelPartsAligned(
        plane, rows * s.ow * outputBytes, pixelCores, align,
        [&](int64_t c) { return c * ceilDiv(pixelBlocks, pixelCores); });
    int64_t tileBytes = f0 * pitch(c0, 2, align) * 2;
    int64_t residentBytes = s.taps() * (s.cgPad / c0) * tileBytes;
    // Cores split the pixel blocks (each copies the rows its blocks read)
    // or the output channel blocks (each copies the whole input).
    for (bool splitPixels : {false, true}) {
      std::optional<int64_t> cores =
          coresFor(target, splitPixels, splitPixels ? pixelBlocks : fBlocks,
                   splitPixels ? pixelsAligned
                               : channelsAligned(s, f0, outputBytes, align));
      if (!cores)
        continue;
      int64_t blocksPerCore =
          splitPixels ? ceilDiv(pixelBlocks, *cores) : pixelBlocks;
      int64_t regionRows = blocksPerCore * rows + (s.kh - 1) * s.dh + 1;
      // The copy goes through vbuf as f32, double buffered, in chunks of
      // channels dividing C.
      int64_t chunkBytes = regionRows * s.wp * 4;
      int64_t chunk = 0;
      for (int64_t k = std::min<int64_t>(s.c, int64_t(target.vbuf.sizeBytes) /
                                                  (2 * chunkBytes));
           k >= 1; --k)
        if (s.c % k == 0) {
          chunk = k;
          break;
        }
      if (chunk == 0)
        continue;
      ConvCost cost(target, s, *cores);
      // Each chunk comes in as f32 (a DMA row per row of the region) and
      // goes out as bf16; with two vbuf buffers a buffer is reused once its
      // store has landed, so each chunk costs its load, its store, or half
      // of the load-store round trip, whichever is longest; the taps start
      // after the last store lands.
      double rowsIn = double(chunk * regionRows);
      double in =
          std::max(rowsIn, rowsIn * s.wp * double(s.inBytes) / cost.bandwidth) +
          target.dmaSetupCycles;
      double out = rowsIn * s.wp * 2.0 / cost.bandwidth + target.dmaSetupCycles;
      double trip = (in + out + 2.0 * target.dramLatencyCycles) / 2.0;
      double copy = double(s.n * (s.c / chunk)) * std::max({in, out, trip}) +
                    target.dramLatencyCycles;
      for (int64_t depth = 2; depth <= deepest; ++depth)
        for (bool resident : {false, true})
          for (BiasMode mode : biasModes) {
            int64_t ibufUsed = resident ? residentBytes : depth * tileBytes;
            bool biasLast = mode == BiasMode::Last;
            bool product = mode == BiasMode::Product;
            bool biasFirst = s.bias && mode == BiasMode::First;
            if (product &&
                !productFits(f0, pixels, ibufUsed,
                             depth * c0 * pitch(pixels, 2, align) * 2))
              continue;
            int64_t accs =
                accsFor(target, f0, pixels, depth, resident, biasFirst,
                        passes(biasLast) > 0, (s.cgPad / c0) * s.taps(),
                        reserved(f0, pixels, biasLast), product ? 2 : 0);
            // (Each tap tile's rows at the aligned pitch the tiler
            // allocates them with, as productFits counts them.)
            if (!accs ||
                depth * c0 * pitch(pixels, 2, align) * 2 >
                    int64_t(target.wbuf.sizeBytes) ||
                ibufUsed > int64_t(target.ibuf.sizeBytes))
              continue;
            // A channel's tap is one DMA row of the copy.
            int64_t storeBytes = f0 * rows * s.ow * outputBytes;
            double storeRows = f0 * rows;
            double perBlock =
                cost.block((s.cgPad / c0) * s.taps(), f0, c0, pixels, c0,
                           double(c0) * pixels * 2, resident, depth, accs,
                           storeBytes, passes(biasLast), biasFirst, residual, 1,
                           -1.0, storeRows, product);
            double fPerCore = splitPixels ? double(fBlocks)
                                          : double(ceilDiv(fBlocks, *cores));
            double cycles =
                copy +
                fPerCore * (cost.weightLoad(f0, resident, s.taps() * s.cgPad,
                                            product) +
                            s.n * blocksPerCore * perBlock) +
                cost.edges(storeBytes, storeRows,
                           (biasFirst ? f0 * pixels * 4.0 : 0.0) +
                               (resident ? 0.0 : f0 * c0 * 2.0) +
                               double(c0) * pixels * 2,
                           f0, pixels, passes(biasLast)) +
                cost.rotation(fPerCore * s.n, blocksPerCore,
                              (s.cgPad / c0) * s.taps(), depth, accs,
                              cost.product(f0, c0, pixels),
                              passes(biasLast) > 0);
            if (!best || cycles < best->cycles) {
              best =
                  ConvBlocks{f0,    c0,          rows,     pixels, *cores,
                             depth, splitPixels, resident, true,   regionRows,
                             chunk, cycles,      accs};
              best->biasLast = biasLast;
              best->biasProduct = product;
            }
          }
    }
  };
  // Blocks up to the largest that divides the channels, past the powers of
  // two: fewer and larger tap loads, each of which carries the DRAM
  // latency, and fewer weight loads. (On RegNet's 440-channel 1x1s at 7x7
  // the estimate takes f0 = 224 and the simulator runs them 37 % slower;
  // across the zoo the larger blocks gain 1-9 %.)
  for (int64_t f0 : outputChannelBlocks(s.fgPad, tile.m, target.cores))
    for (int64_t c0 : dividingBlocks(s.cgPad, tile.k, 512, true))
      for (int64_t rows = 1; rows <= (s.flat ? 2048 : s.oh); ++rows) {
        int64_t pixels, pixelBlocks;
        if (s.flat) {
          // Runs of pixels, a multiple of the aligned row; the last may be
          // partial.
          if (rows % step || rows > roundUp(s.pixels(), step))
            continue;
          pixels = rows;
          pixelBlocks = ceilDiv(s.pixels(), rows);
        } else {
          // Whole blocks of rows: every block has the same local tiles.
          pixels = rows * s.owa;
          if (s.oh % rows || pixels > 2048)
            continue;
          pixelBlocks = s.oh / rows;
        }
        // Two accumulators, used in turn by the pixel blocks.
        if (2 * f0 * pixels * 4 > int64_t(target.acc.sizeBytes))
          continue;
        // (The padded copy and a vector epilogue's blocks both use vbuf,
        // one after the other.)
        if (s.paddable && !s.flat)
          considerPadded(f0, c0, rows);
        int64_t tileBytes = f0 * pitch(c0, 2, align) * 2;
        int64_t residentBytes = s.taps() * (s.cgPad / c0) * tileBytes;
        for (int64_t depth = 2; depth <= deepest; ++depth) {
          if (depth * c0 * pitch(pixels, 2, align) * 2 >
              int64_t(target.wbuf.sizeBytes))
            continue;
          if (depth * tileBytes <= int64_t(target.ibuf.sizeBytes))
            consider(f0, c0, rows, pixels, pixelBlocks, depth, false);
          if (residentBytes <= int64_t(target.ibuf.sizeBytes))
            consider(f0, c0, rows, pixels, pixelBlocks, depth, true);
        }
        // Folded taps, when their k is less than the taps' padded channels
        // (one channel block: c0 is the first candidate's).
        int64_t k = foldedK(s, tile);
        if (c0 != dividingBlocks(s.cgPad, tile.k, 512).front() ||
            s.group != 1 || s.flat || k >= s.taps() * s.cgPad || k > 1024)
          continue;
        int64_t foldedTile = f0 * pitch(k, 2, align) * 2;
        for (int64_t depth = 2; depth <= deepest; ++depth) {
          if (depth * k * pixels * 2 > int64_t(target.wbuf.sizeBytes))
            continue;
          if (depth * foldedTile <= int64_t(target.ibuf.sizeBytes))
            consider(f0, k, rows, pixels, pixelBlocks, depth, false, true);
          if (foldedTile <= int64_t(target.ibuf.sizeBytes))
            consider(f0, k, rows, pixels, pixelBlocks, depth, true, true);
        }
      }
  return best;
}

/// searchConvBlocks, once per shape, epilogue, storage and target (the
/// placement, the bf16 pass and the conversion each ask for every
/// convolution, and a network repeats its shapes).
std::optional<ConvBlocks>
chooseConvBlocks(const ConvShape &s, const TargetDesc &target,
                 int64_t inputBytes, int64_t outputBytes,
                 const ConvEpilogue &epilogue = ConvEpilogue()) {
  std::string key = convPlanKey(s, target, epilogue) + "," +
                    std::to_string(inputBytes) + "," +
                    std::to_string(outputBytes);
  return cachedPlan<ConvBlocks>(key, [&] {
    return searchConvBlocks(s, target, inputBytes, outputBytes, epilogue);
  });
}

/// [group][tap][fgPad][cgPad] bf16 bits, zero padded, from OIHW weights;
/// with folded taps [group][fgPad][k] (k = tap * cg + c, `k` columns), the
/// columns past the taps -0.0: their products with the zero rows of the
/// input are -0.0, which leaves every sum as it is (+0.0 + -0.0 is +0.0),
/// so the kernel sums exactly the fallback's terms.
DenseElementsAttr packWeights(DenseElementsAttr weights, const ConvShape &s,
                              const ConvBlocks &blocks) {
  SmallVector<float> values = weightValues(weights);
  if (blocks.folded) {
    int64_t k = blocks.c0;
    std::vector<uint16_t> packed(s.group * s.fgPad * k, 0);
    for (int64_t g = 0; g < s.group; ++g)
      for (int64_t row = 0; row < s.fgPad; ++row)
        for (int64_t col = s.taps() * s.cg; col < k; ++col)
          packed[(g * s.fgPad + row) * k + col] = 0x8000;
    for (int64_t f = 0; f < s.f; ++f)
      for (int64_t c = 0; c < s.cg; ++c)
        for (int64_t tap = 0; tap < s.taps(); ++tap) {
          int64_t g = f / s.fg, row = f % s.fg;
          packed[(g * s.fgPad + row) * k + tap * s.cg + c] =
              floatToBF16(values[(f * s.cg + c) * s.taps() + tap]);
        }
    return bf16Attr(weights.getContext(), packed, s.group * s.fgPad, k);
  }
  std::vector<uint16_t> packed(s.group * s.taps() * s.fgPad * s.cgPad, 0);
  for (int64_t f = 0; f < s.f; ++f)
    for (int64_t c = 0; c < s.cg; ++c)
      for (int64_t i = 0; i < s.kh; ++i)
        for (int64_t j = 0; j < s.kw; ++j) {
          int64_t g = f / s.fg, row = f % s.fg, tap = i * s.kw + j;
          float value = values[((f * s.cg + c) * s.kh + i) * s.kw + j];
          packed[((g * s.taps() + tap) * s.fgPad + row) * s.cgPad + c] =
              floatToBF16(value);
        }
  return bf16Attr(weights.getContext(), packed, s.group * s.taps() * s.fgPad,
                  s.cgPad);
}

/// The bias product's left operand (ConvBlocks::biasProduct): per output
/// channel (group-major, fgPad rows a group, zero past fg) the bias's three
/// splitToBF16 parts, which the load pads with zero columns to the matrix
/// tile's k.
DenseElementsAttr packBiasColumns(DenseElementsAttr bias, const ConvShape &s) {
  SmallVector<float> values = weightValues(bias);
  std::vector<uint16_t> columns(s.group * s.fgPad * 3, 0);
  for (int64_t g = 0; g < s.group; ++g)
    for (int64_t f = 0; f < s.fg; ++f)
      splitToBF16(values[g * s.fg + f], &columns[(g * s.fgPad + f) * 3]);
  return bf16Attr(bias.getContext(), columns, s.group * s.fgPad, 3);
}

/// Emits the tiled convolution into the kernel's body.
class ConvTiler {
public:
  ConvTiler(OpBuilder &builder, Location loc, const TargetDesc &target,
            const ConvShape &s, const ConvBlocks &blocks, Value x, Value w,
            Value bias, Value y, const ConvEpilogue &epilogue, Value residual,
            Block *entry, Value scratch, Value biasColumns)
      : builder(builder), loc(loc), target(target), s(s), blocks(blocks), x(x),
        w(w), bias(bias), y(y), epilogue(epilogue), residual(residual),
        entry(entry), scratch(scratch), biasColumns(biasColumns) {}

  void emit();

private:
  Value index(int64_t value) {
    return arith::ConstantIndexOp::create(builder, loc, value);
  }
  Value plus(Value value, int64_t constant) {
    return constant == 0
               ? value
               : arith::AddIOp::create(builder, loc, value, index(constant));
  }
  Value times(Value value, int64_t constant) {
    return constant == 1
               ? value
               : arith::MulIOp::create(builder, loc, value, index(constant));
  }
  Value alloc(int64_t rows, int64_t cols, Type element,
              npu::MemorySpace space) {
    return allocTile(builder, loc, entry, rows, cols, element, space,
                     target.alignmentBytes);
  }
  /// A rank-reduced view of `source` at `offsets` with `sizes` and
  /// `strides`, dropping unit dimensions listed in `drop`.
  Value view(Value source, ArrayRef<OpFoldResult> offsets,
             ArrayRef<int64_t> sizes, ArrayRef<int64_t> strides,
             ArrayRef<int64_t> keep);
  /// [rows x cols] tile reshaped to [rows x blocks x cols / blocks].
  Value split(Value tile, int64_t parts);

  void emitImages(Value g, Value f, int64_t fRows);
  /// `oh` is the block's first output row, or its first pixel when flat;
  /// `count` its pixels when flat.
  void emitPixelBlock(Value g, Value f, int64_t fRows, Value n, Value oh,
                      std::optional<int64_t> staticOh, int64_t count,
                      Value acc);
  void emitTaps(Value g, Value f, Value n, Value oh,
                std::optional<int64_t> staticOh, int64_t count, Value c,
                int64_t cCount, Value acc);
  /// Zeroes the rows of a tap buffer past `count` channels (every output
  /// sums them). Its pixel columns past a block's are never stored,
  /// whatever they hold, so they are left as they are.
  void zeroChannelsPast(Value input, int64_t count);
  /// `tile` ([rows x n], rows at the aligned pitch) viewed as [rows x
  /// columns] at the pitch of `columns`, which the matrix unit reads.
  Value narrow(Value tile, int64_t columns);
  /// The pixel columns the current block computes (fewer than
  /// blocks.pixels for a flat partial block).
  int64_t blockPixels = 0;
  /// The flat case's tap: one, a run of pixels per channel.
  void emitFlatTap(Value g, Value f, Value n, Value p, int64_t count, Value c,
                   int64_t cCount, Value acc);
  /// The weight tile of `tap` for channel block `cb` (channels c) of the
  /// output channels from f: a view of the resident weights, or a tile
  /// loaded into the next tap buffer.
  Value weightsFor(Value g, Value f, Value cb, Value c, int64_t tap);
  /// Loads the weights of output channels f..f + f0, every tap and
  /// channel block, into the resident buffer.
  void loadResident(Value g, Value f);
  /// The packed weights' taps and columns (folded: one tap of k columns).
  int64_t packedTaps() const { return blocks.folded ? 1 : s.taps(); }
  int64_t packedColumns() const { return blocks.folded ? blocks.c0 : s.cgPad; }
  /// Folded taps: every tap's view of the input channels into consecutive
  /// rows of one operand (zero rows past them), then one product.
  void emitFoldedTaps(Value g, Value f, Value n, Value oh,
                      std::optional<int64_t> staticOh, Value acc);
  Value residentWeights;
  /// With inputResident: [cgPad x pixels] bf16 in wbuf, the pixels at the
  /// pitch the products read (emitPixelBlock's blockPixels).
  Value residentInput;
  void loadResidentInput();
  /// With biasLast: the whole bias in a vbuf column (zero past the last
  /// channel), loaded once, which the epilogue broadcasts along the rows.
  void loadBiasColumn();
  Value biasColumn;
  /// Whether the pixel block's next product starts its accumulator (from
  /// +0.0: no bias was loaded into it).
  bool startsAcc = false;
  /// The product of a tap's weights and input into `acc`.
  void product(Value weights, Value input, Value acc);
  /// Vector-unit passes over each block: the epilogue's and the bias's.
  int64_t vectorPasses() const {
    return epilogue.vectorPasses() + (blocks.biasLast ? 1 : 0);
  }
  /// Loops whose buffers sinan-npu-multi-buffer may double (the input
  /// copy's); every other loop is marked npu.buffered, since the blocks
  /// were sized for one copy of each buffer.
  llvm::SmallPtrSet<Operation *, 4> copyLoops;
  /// Padded mode: [core][n][c][regionRows][wp] bf16 in the kernel's
  /// scratch, and the same with each channel's rows as one run.
  Value scratchRuns;
  /// Padded mode: the core whose region the taps read, and the first
  /// output row of that region.
  Value regionIndex;
  int64_t regionRow0 = 0;
  /// Padded mode: the pixel blocks [from, to) of core c (all of them when
  /// cores split the output channels).
  std::pair<int64_t, int64_t> coreBlocks(int64_t c) const {
    int64_t count = s.oh / blocks.rows;
    if (!blocks.splitPixels)
      return {0, count};
    int64_t per = ceilDiv(count, blocks.cores);
    return {std::min(count, c * per), std::min(count, (c + 1) * per)};
  }
  /// Padded mode: the copy of core c's input rows into scratch region
  /// `region`.
  void emitCopy(int64_t c, Value region);
  void emitPaddedTaps(Value f, Value n, Value oh, Value c, int64_t cCount,
                      Value acc);
  /// The channel block index of each channel offset the loops produce.
  DenseMap<Value, Value> blockOf;
  /// x and y with their pixels flattened (the flat case).
  Value xFlat, yFlat;

  OpBuilder &builder;
  Location loc;
  const TargetDesc &target;
  const ConvShape &s;
  ConvBlocks blocks;
  Value x, w, bias, y;
  ConvEpilogue epilogue;
  /// The residual's DRAM tensor (shaped as y), when the epilogue adds one.
  Value residual, residualFlat;
  /// With a vector epilogue: each accumulator's vbuf block.
  llvm::DenseMap<Value, Value> vectorBlockOf;
  /// With a SiLU: the sigmoid's vbuf block, one for all accumulators (the
  /// vector unit alone uses it, in order).
  Value siluScratch;
  Block *entry;
  Value scratch;
  /// With biasProduct: the packed bias parts ([group * fgPad x 3] bf16) in
  /// the read-only data; an output channel block's of them, padded with
  /// zero columns to the tile's k, in ibuf; [k x pixels] in wbuf, three
  /// rows of ones and -0.0 below, whose products with the zero columns
  /// (-0.0) leave every sum as it is.
  Value biasColumns, biasTile, onesTile;
  Value allocAcc() {
    return alloc(blocks.f0, blocks.pixels, builder.getF32Type(),
                 npu::MemorySpace::acc);
  }
  /// Tap buffers, used in turn: `depth` loads may be in flight while the
  /// matrix unit works, which hides the DRAM latency.
  SmallVector<Value, 4> lhs, rhs;
  SmallVector<Value, 4> acc;
  unsigned turn = 0, accTurn = 0;
  /// With cores splitting the pixel blocks (not padded): the core whose
  /// region is being emitted. Each core's region holds all of its work, so
  /// its blocks follow each other with no handoff to the other cores'
  /// regions between them (which, in program order, would make a core wait
  /// for its own last store before its next block).
  std::optional<int64_t> onlyCore;
};

Value ConvTiler::view(Value source, ArrayRef<OpFoldResult> offsets,
                      ArrayRef<int64_t> sizes, ArrayRef<int64_t> strides,
                      ArrayRef<int64_t> keep) {
  auto type = cast<MemRefType>(source.getType());
  SmallVector<OpFoldResult> sizeAttrs, strideAttrs;
  for (int64_t size : sizes)
    sizeAttrs.push_back(builder.getIndexAttr(size));
  for (int64_t stride : strides)
    strideAttrs.push_back(builder.getIndexAttr(stride));
  // The kept dimensions' strides, spelled out: with several unit sizes
  // inferring which dimensions to drop is ambiguous (a 1x1x1x1 view of a
  // 1-channel image picked other strides than the verifier).
  auto full = cast<MemRefType>(memref::SubViewOp::inferResultType(
      type, offsets, sizeAttrs, strideAttrs));
  SmallVector<int64_t> fullStrides, kept, keptStrides;
  int64_t offset;
  (void)full.getStridesAndOffset(fullStrides, offset);
  for (int64_t d : keep) {
    kept.push_back(sizes[d]);
    keptStrides.push_back(fullStrides[d]);
  }
  auto result = MemRefType::get(
      kept, type.getElementType(),
      StridedLayoutAttr::get(builder.getContext(), offset, keptStrides),
      type.getMemorySpace());
  return memref::SubViewOp::create(builder, loc, result, source, offsets,
                                   sizeAttrs, strideAttrs);
}

Value ConvTiler::split(Value tile, int64_t parts) {
  auto type = cast<MemRefType>(tile.getType());
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  SmallVector<ReassociationIndices> groups = {{0}, {1, 2}};
  return memref::ExpandShapeOp::create(
      builder, loc, SmallVector<int64_t>{rows, parts, cols / parts}, tile,
      groups);
}

/// The taps of one channel block: per tap a weight tile and the input's
/// tap view (gathered, padded) into alternating buffers, and their product
/// into the accumulator. Taps wholly in the padding add nothing and are
/// skipped.
Value ConvTiler::weightsFor(Value g, Value f, Value cb, Value c, int64_t tap) {
  if (blocks.resident) {
    // Tiles in [channel block][tap] order, f0 rows each.
    Value row = plus(times(cb, packedTaps() * blocks.f0), tap * blocks.f0);
    return view(residentWeights, {row, builder.getIndexAttr(0)},
                {blocks.f0, blocks.c0}, {1, 1}, {0, 1});
  }
  Value weights = lhs[turn];
  // Packed rows (g * taps + tap) * fgPad + f, columns c.
  Value row = plus(times(g, packedTaps() * s.fgPad), tap * s.fgPad);
  row = arith::AddIOp::create(builder, loc, row, f);
  npu::DmaLoadOp::create(
      builder, loc, view(w, {row, c}, {blocks.f0, blocks.c0}, {1, 1}, {0, 1}),
      weights, DenseI64ArrayAttr());
  return weights;
}

void ConvTiler::loadResident(Value g, Value f) {
  if (!blocks.resident)
    return;
  // One 4-D transfer from the packed [tap][f][c] rows into tiles in
  // [channel block][tap] order.
  int64_t cBlocks = packedColumns() / blocks.c0, taps = packedTaps();
  int64_t columns = packedColumns();
  auto packed = cast<MemRefType>(w.getType());
  auto local = cast<MemRefType>(residentWeights.getType());
  int64_t tilePitch = pitch(blocks.c0, 2, target.alignmentBytes);
  SmallVector<int64_t> shape = {taps, cBlocks, blocks.f0, blocks.c0};
  SmallVector<OpFoldResult> sizes;
  for (int64_t d : shape)
    sizes.push_back(builder.getIndexAttr(d));
  auto reinterpret = [&](Value source, MemRefType type, int64_t offset,
                         Value dynamicOffset,
                         ArrayRef<int64_t> strides) -> Value {
    SmallVector<OpFoldResult> strideAttrs;
    for (int64_t d : strides)
      strideAttrs.push_back(builder.getIndexAttr(d));
    auto result = MemRefType::get(
        shape, type.getElementType(),
        StridedLayoutAttr::get(builder.getContext(), offset, strides),
        type.getMemorySpace());
    OpFoldResult at = dynamicOffset ? OpFoldResult(dynamicOffset)
                                    : OpFoldResult(builder.getIndexAttr(0));
    return memref::ReinterpretCastOp::create(builder, loc, result, source, at,
                                             sizes, strideAttrs);
  };
  Value row = arith::AddIOp::create(builder, loc, times(g, taps * s.fgPad), f);
  Value src = reinterpret(w, packed, ShapedType::kDynamic, times(row, columns),
                          {s.fgPad * columns, blocks.c0, columns, 1});
  Value dst = reinterpret(
      residentWeights, local, 0, Value(),
      {blocks.f0 * tilePitch, taps * blocks.f0 * tilePitch, tilePitch, 1});
  npu::DmaLoadOp::create(builder, loc, src, dst, DenseI64ArrayAttr());
}

void ConvTiler::loadResidentInput() {
  if (!blocks.inputResident)
    return;
  // The pixels at the pitch of a flat partial block's tiles
  // (emitPixelBlock), every channel, zero rows past them.
  int64_t pixels = computedPixels(s.pixels(), blocks.pixels, blocks.biasProduct,
                                  target.matrixTiles.at(DType::BF16));
  residentInput =
      alloc(s.cgPad, pixels, builder.getBF16Type(), npu::MemorySpace::wbuf);
  if (s.cg != s.cgPad)
    npu::FillOp::create(
        builder, loc,
        view(residentInput,
             {builder.getIndexAttr(s.cg), builder.getIndexAttr(0)},
             {s.cgPad - s.cg, pixels}, {1, 1}, {0, 1}),
        0);
  Value zero = index(0);
  npu::DmaLoadOp::create(
      builder, loc,
      view(xFlat, {zero, zero, zero}, {1, s.cg, s.pixels()}, {1, 1, 1}, {1, 2}),
      view(residentInput, {zero, zero}, {s.cg, s.pixels()}, {1, 1}, {0, 1}),
      DenseI64ArrayAttr());
}

void ConvTiler::product(Value weights, Value input, Value acc) {
  auto mma = npu::MmaOp::create(builder, loc, weights, input, acc);
  mma.setAccumulate(!startsAcc);
  startsAcc = false;
}

void ConvTiler::loadBiasColumn() {
  if (!blocks.biasLast)
    return;
  biasColumn = alloc(1, biasColumnLength(s), builder.getF32Type(),
                     npu::MemorySpace::vbuf);
  // Rows past a group's last channel are computed (and not stored) too.
  if (s.fg != s.fgPad)
    npu::FillOp::create(builder, loc, biasColumn, 0);
  Value dst = reinterpretView(builder, loc, biasColumn, builder.getIndexAttr(0),
                              {s.group, s.fg}, {s.fgPad, 1});
  Value src = memref::ExpandShapeOp::create(
      builder, loc, SmallVector<int64_t>{s.group, s.fg}, bias,
      SmallVector<ReassociationIndices>{{0, 1}});
  npu::DmaLoadOp::create(builder, loc, src, dst, DenseI64ArrayAttr());
}

void ConvTiler::zeroChannelsPast(Value input, int64_t count) {
  if (count == blocks.c0)
    return;
  npu::FillOp::create(
      builder, loc,
      view(input, {builder.getIndexAttr(count), builder.getIndexAttr(0)},
           {blocks.c0 - count, cast<MemRefType>(input.getType()).getDimSize(1)},
           {1, 1}, {0, 1}),
      0);
}

Value ConvTiler::narrow(Value tile, int64_t columns) {
  if (!tile || cast<MemRefType>(tile.getType()).getDimSize(1) == columns)
    return tile;
  auto type = cast<MemRefType>(tile.getType());
  int64_t bytes = type.getElementTypeBitWidth() / 8;
  return reinterpretView(
      builder, loc, tile, builder.getIndexAttr(0),
      {type.getDimSize(0), columns},
      {pitch(columns, bytes, target.alignmentBytes), int64_t(1)});
}

void ConvTiler::emitFlatTap(Value g, Value f, Value n, Value p, int64_t count,
                            Value c, int64_t cCount, Value acc) {
  Value weights = weightsFor(g, f, blockOf.lookup(c), c, 0);
  if (blocks.inputResident) {
    turn = (turn + 1) % blocks.depth;
    return product(weights,
                   view(residentInput, {c, builder.getIndexAttr(0)},
                        {blocks.c0, blockPixels}, {1, 1}, {0, 1}),
                   acc);
  }
  Value input = narrow(rhs[turn], blockPixels);
  turn = (turn + 1) % rhs.size();
  Value dst = input;
  if (cCount != blocks.c0 || count != blockPixels) {
    zeroChannelsPast(input, cCount);
    dst = view(input, {builder.getIndexAttr(0), builder.getIndexAttr(0)},
               {cCount, count}, {1, 1}, {0, 1});
  }
  Value channel = arith::AddIOp::create(builder, loc, times(g, s.cg), c);
  npu::DmaLoadOp::create(
      builder, loc,
      view(xFlat, {n, channel, p}, {1, cCount, count}, {1, 1, 1}, {1, 2}), dst,
      DenseI64ArrayAttr());
  product(weights, input, acc);
}

void ConvTiler::emitTaps(Value g, Value f, Value n, Value oh,
                         std::optional<int64_t> staticOh, int64_t count,
                         Value c, int64_t cCount, Value acc) {
  if (s.flat)
    return emitFlatTap(g, f, n, oh, count, c, cCount, acc);
  if (blocks.folded)
    return emitFoldedTaps(g, f, n, oh, staticOh, acc);
  if (blocks.padded)
    return emitPaddedTaps(f, n, oh, c, cCount, acc);
  int64_t rows = blocks.rows;
  for (int64_t i = 0; i < s.kh; ++i) {
    int64_t top = 0, bottom = 0;
    if (staticOh) {
      top = std::clamp<int64_t>(
          ceilDivSigned(s.top - i * s.dh - *staticOh * s.sh, s.sh), 0, rows);
      int64_t lastValid =
          floorDiv(s.h - 1 + s.top - i * s.dh, s.sh) - *staticOh;
      bottom = std::clamp<int64_t>(rows - 1 - lastValid, 0, rows);
    }
    if (top + bottom >= rows)
      continue;
    for (int64_t j = 0; j < s.kw; ++j) {
      int64_t owLo =
          std::clamp<int64_t>(ceilDivSigned(s.left - j * s.dw, s.sw), 0, s.ow);
      int64_t owHi = std::clamp<int64_t>(
          floorDiv(s.w - 1 + s.left - j * s.dw, s.sw) + 1, 0, s.ow);
      if (owHi <= owLo)
        continue;
      Value weights = weightsFor(g, f, blockOf.lookup(c), c, i * s.kw + j);
      Value input = rhs[turn];
      turn = (turn + 1) % rhs.size();
      // Input: channels g * cg + c, rows from the first in the image.
      Value dst = split(input, rows);
      if (cCount != blocks.c0) {
        zeroChannelsPast(input, cCount);
        dst = view(dst,
                   {builder.getIndexAttr(0), builder.getIndexAttr(0),
                    builder.getIndexAttr(0)},
                   {cCount, rows, s.owa}, {1, 1, 1}, {0, 1, 2});
      }
      Value channel = arith::AddIOp::create(builder, loc, times(g, s.cg), c);
      Value ih = plus(times(oh, s.sh), top * s.sh + i * s.dh - s.top);
      int64_t iw = owLo * s.sw + j * s.dw - s.left;
      Value src = view(x, {n, channel, ih, builder.getIndexAttr(iw)},
                       {1, cCount, rows - top - bottom, owHi - owLo},
                       {1, 1, s.sh, s.sw}, {1, 2, 3});
      npu::DmaLoadOp::create(
          builder, loc, src, dst,
          builder.getDenseI64ArrayAttr({top, bottom, owLo, s.owa - owHi}));
      product(weights, input, acc);
    }
  }
}

void ConvTiler::emitFoldedTaps(Value g, Value f, Value n, Value oh,
                               std::optional<int64_t> staticOh, Value acc) {
  int64_t rows = blocks.rows, k = s.taps() * s.cg;
  Value weights = weightsFor(g, f, index(0), index(0), 0);
  Value input = rhs[turn];
  turn = (turn + 1) % rhs.size();
  // [k x rows x owa]: tap t's channels at rows t * cg ...
  Value taps = split(input, rows);
  if (k < blocks.c0)
    npu::FillOp::create(builder, loc,
                        view(input,
                             {builder.getIndexAttr(k), builder.getIndexAttr(0)},
                             {blocks.c0 - k, blocks.pixels}, {1, 1}, {0, 1}),
                        0);
  // Rows of kernel row i outside the image, at the block's top and bottom.
  auto verticalPadding = [&](int64_t i) {
    if (!staticOh)
      return std::pair<int64_t, int64_t>(0, 0);
    int64_t top = std::clamp<int64_t>(
        ceilDivSigned(s.top - i * s.dh - *staticOh * s.sh, s.sh), 0, rows);
    int64_t lastValid = floorDiv(s.h - 1 + s.top - i * s.dh, s.sh) - *staticOh;
    return std::pair<int64_t, int64_t>(
        top, std::clamp<int64_t>(rows - 1 - lastValid, 0, rows));
  };
  auto columns = [&](int64_t j) {
    int64_t owLo =
        std::clamp<int64_t>(ceilDivSigned(s.left - j * s.dw, s.sw), 0, s.ow);
    int64_t owHi = std::clamp<int64_t>(
        floorDiv(s.w - 1 + s.left - j * s.dw, s.sw) + 1, 0, s.ow);
    return std::pair(owLo, owHi);
  };
  // A kernel column's taps as one transfer when every kernel row reads the
  // same rows of the block (no vertical padding: each DMA transfer costs a
  // setup, a tap of few channels little more).
  bool sameRows = true;
  for (int64_t i = 0; i < s.kh; ++i)
    sameRows &= verticalPadding(i) == verticalPadding(0) &&
                verticalPadding(0).first + verticalPadding(0).second < rows;
  Value channel0 = times(g, s.cg);
  for (int64_t j = 0; sameRows && s.kh > 1 && j < s.kw; ++j) {
    auto [top, bottom] = verticalPadding(0);
    auto [owLo, owHi] = columns(j);
    if (owHi <= owLo) {
      for (int64_t i = 0; i < s.kh; ++i)
        npu::FillOp::create(
            builder, loc,
            reinterpretView(
                builder, loc, input,
                builder.getIndexAttr((i * s.kw + j) * s.cg * blocks.pixels),
                {s.cg, rows, s.owa}, {blocks.pixels, s.owa, 1}),
            0);
      continue;
    }
    // x[n, g * cg + c, (oh + top) * sh + i * dh - pad, owLo * sw + j * dw -
    // left] for kernel rows i, channels c, rows and columns.
    Value ih = plus(times(oh, s.sh), top * s.sh - s.top);
    int64_t iw = owLo * s.sw + j * s.dw - s.left;
    Value at = arith::AddIOp::create(
        builder, loc,
        times(arith::AddIOp::create(builder, loc, times(n, s.c), channel0),
              s.h * s.w),
        plus(times(ih, s.w), iw));
    Value src = reinterpretView(builder, loc, x, at,
                                {s.kh, s.cg, rows - top - bottom, owHi - owLo},
                                {s.dh * s.w, s.h * s.w, s.sh * s.w, s.sw});
    Value dst = reinterpretView(
        builder, loc, input, builder.getIndexAttr(j * s.cg * blocks.pixels),
        {s.kh, s.cg, rows, s.owa},
        {s.kw * s.cg * blocks.pixels, blocks.pixels, s.owa, 1});
    npu::DmaLoadOp::create(
        builder, loc, src, dst,
        builder.getDenseI64ArrayAttr({top, bottom, owLo, s.owa - owHi}));
  }
  for (int64_t i = 0; !(sameRows && s.kh > 1) && i < s.kh; ++i) {
    auto [top, bottom] = verticalPadding(i);
    for (int64_t j = 0; j < s.kw; ++j) {
      int64_t tap = i * s.kw + j;
      auto [owLo, owHi] = columns(j);
      Value dst = view(taps,
                       {builder.getIndexAttr(tap * s.cg),
                        builder.getIndexAttr(0), builder.getIndexAttr(0)},
                       {s.cg, rows, s.owa}, {1, 1, 1}, {0, 1, 2});
      // A tap wholly in the padding reads zeros: its rows are filled.
      if (top + bottom >= rows || owHi <= owLo) {
        npu::FillOp::create(builder, loc, dst, 0);
        continue;
      }
      Value ih = plus(times(oh, s.sh), top * s.sh + i * s.dh - s.top);
      int64_t iw = owLo * s.sw + j * s.dw - s.left;
      Value src = view(x, {n, times(g, s.cg), ih, builder.getIndexAttr(iw)},
                       {1, s.cg, rows - top - bottom, owHi - owLo},
                       {1, 1, s.sh, s.sw}, {1, 2, 3});
      npu::DmaLoadOp::create(
          builder, loc, src, dst,
          builder.getDenseI64ArrayAttr({top, bottom, owLo, s.owa - owHi}));
    }
  }
  product(weights, input, acc);
}

/// One block of output rows [oh, oh + rows) for fRows channels from f.
void ConvTiler::emitPixelBlock(Value g, Value f, int64_t fRows, Value n,
                               Value oh, std::optional<int64_t> staticOh,
                               int64_t count, Value acc) {
  int64_t rows = blocks.rows;
  // A flat block's partial last run computes only the tiles its pixels
  // reach (computedPixels).
  int64_t pixels =
      s.flat ? computedPixels(count, blocks.pixels, blocks.biasProduct,
                              target.matrixTiles.at(DType::BF16))
             : blocks.pixels;
  blockPixels = pixels;
  Value block = vectorBlockOf.lookup(acc);
  acc = narrow(acc, pixels);
  Value channelBase = arith::AddIOp::create(builder, loc, times(g, s.fg), f);
  Value columnBase = arith::AddIOp::create(builder, loc, times(g, s.fgPad), f);
  // The accumulator starts from the bias (a product of its columns and
  // rows of ones, or a load of it repeated along each row), or the first
  // product starts it.
  startsAcc = !bias || blocks.biasLast;
  if (!startsAcc && blocks.biasProduct) {
    startsAcc = true;
    product(biasTile, onesTile, acc);
  } else if (!startsAcc) {
    SmallVector<OpFoldResult> sizes = {builder.getIndexAttr(fRows),
                                       builder.getIndexAttr(pixels)};
    SmallVector<OpFoldResult> strides = {builder.getIndexAttr(1),
                                         builder.getIndexAttr(0)};
    auto type = MemRefType::get(
        {fRows, pixels}, cast<MemRefType>(bias.getType()).getElementType(),
        StridedLayoutAttr::get(builder.getContext(), ShapedType::kDynamic,
                               {1, 0}),
        cast<MemRefType>(bias.getType()).getMemorySpace());
    Value repeated = memref::ReinterpretCastOp::create(
        builder, loc, type, bias, OpFoldResult(channelBase), sizes, strides);
    Value dst = acc;
    if (fRows != blocks.f0)
      dst = view(acc, {builder.getIndexAttr(0), builder.getIndexAttr(0)},
                 {fRows, pixels}, {1, 1}, {0, 1});
    npu::DmaLoadOp::create(builder, loc, repeated, dst, DenseI64ArrayAttr());
  }
  int64_t cBlocks = packedColumns() / blocks.c0;
  // (Folded taps: one block, whose zero rows emitFoldedTaps writes.)
  int64_t lastCount =
      blocks.folded ? blocks.c0 : s.cg - (cBlocks - 1) * blocks.c0;
  int64_t fullBlocks = lastCount == blocks.c0 ? cBlocks : cBlocks - 1;
  // Each iteration covers enough channel blocks for its taps to use the
  // tap buffers in whole rounds (a 1x1 convolution has one tap per block),
  // so loads run ahead of the products across iterations too and no
  // buffer serves two products back to back (accsFor).
  int64_t unroll = blocks.depth / std::gcd(packedTaps(), blocks.depth);
  int64_t looped = fullBlocks / unroll * unroll;
  // The product that starts the accumulator comes before the loop: the
  // first iteration's blocks are peeled.
  int64_t peeled = startsAcc ? std::min(unroll, looped) : 0;
  for (int64_t k = 0; k < peeled; ++k) {
    Value c = index(k * blocks.c0);
    blockOf[c] = index(k);
    emitTaps(g, f, n, oh, staticOh, count, c, blocks.c0, acc);
  }
  if (looped > peeled) {
    // The loop counts channel blocks; channel offsets are multiples.
    scf::ForOp channels =
        loop(builder, loc, index(peeled), index(looped), unroll, [&](Value cb) {
          for (int64_t k = 0; k < unroll; ++k) {
            Value block = plus(cb, k), c = times(block, blocks.c0);
            blockOf[c] = block;
            emitTaps(g, f, n, oh, staticOh, count, c, blocks.c0, acc);
          }
        });
    channels->setAttr(npu::kBufferedAttrName, builder.getUnitAttr());
  }
  for (int64_t k = looped; k < cBlocks; ++k) {
    Value c = index(k * blocks.c0);
    blockOf[c] = index(k);
    emitTaps(g, f, n, oh, staticOh, count, c,
             k < fullBlocks ? blocks.c0 : lastCount, acc);
  }
  // Every tap was in the padding: the block is the bias (or zero).
  if (startsAcc)
    npu::FillOp::create(builder, loc, acc, 0);
  // The block's rows, OW of each row's aligned pitch (or its pixels), in a
  // local buffer laid out as the accumulator, and in a DRAM tensor shaped
  // as y.
  auto localView = [&](Value local) {
    if (s.flat)
      return view(local, {builder.getIndexAttr(0), builder.getIndexAttr(0)},
                  {fRows, count}, {1, 1}, {0, 1});
    return view(split(local, rows),
                {builder.getIndexAttr(0), builder.getIndexAttr(0),
                 builder.getIndexAttr(0)},
                {fRows, rows, s.ow}, {1, 1, 1}, {0, 1, 2});
  };
  auto dramView = [&](Value tensor, Value flat) {
    if (s.flat)
      return view(flat, {n, channelBase, oh}, {1, fRows, count}, {1, 1, 1},
                  {1, 2});
    return view(tensor, {n, channelBase, oh, builder.getIndexAttr(0)},
                {1, fRows, rows, s.ow}, {1, 1, 1, 1}, {1, 2, 3});
  };
  // The vector epilogue runs over the whole block (padding included) from
  // the accumulator into its vbuf block: the residual added, then the clip
  // (max then min, graph.clip's NaN rules).
  Value source = acc;
  if (vectorPasses() > 0) {
    block = narrow(block, pixels);
    Value from = acc;
    if (blocks.biasLast) {
      auto type = cast<MemRefType>(acc.getType());
      npu::VBinOp::create(builder, loc, "add", acc,
                          reinterpretView(builder, loc, biasColumn,
                                          OpFoldResult(columnBase),
                                          type.getShape(), {1, 0}),
                          block);
      from = block;
    }
    if (epilogue.residual) {
      npu::DmaLoadOp::create(builder, loc, dramView(residual, residualFlat),
                             localView(block), DenseI64ArrayAttr());
      npu::VBinOp::create(builder, loc, "add", acc, block, block);
      from = block;
    }
    emitClip(builder, loc, from, block, epilogue.min, epilogue.max);
    if (epilogue.silu)
      emitSilu(builder, loc, from, block, narrow(siluScratch, pixels));
    emitUnaryActivation(builder, loc, epilogue, from, block);
    source = block;
  }
  auto store = npu::DmaStoreOp::create(builder, loc, localView(source),
                                       dramView(y, yFlat));
  store.setRelu(epilogue.relu);
}

/// Core c copies the input rows its pixel blocks read (halo included, one
/// extra zero row for the last tap's run) into its region of the scratch:
/// chunks of channels through vbuf (f32, so rows keep their alignment),
/// padded by the load, converted to bf16 by the store.
void ConvTiler::emitCopy(int64_t c, Value region) {
  auto [from, to] = coreBlocks(c);
  if (from >= to)
    return;
  int64_t rows0 = from * blocks.rows, rows1 = to * blocks.rows;
  int64_t inLo = std::max<int64_t>(0, rows0 - s.top);
  int64_t inHi = std::min<int64_t>(s.h, rows1 + (s.kh - 1) * s.dh - s.top);
  int64_t padTop = inLo - (rows0 - s.top);
  int64_t valid = inHi - inLo;
  int64_t padBottom = blocks.regionRows - padTop - valid;
  int64_t k = blocks.chunk, rc = blocks.regionRows;
  Value local =
      alloc(k * rc, s.wp, builder.getF32Type(), npu::MemorySpace::vbuf);
  SmallVector<ReassociationIndices> groups = {{0, 1}, {2}};
  auto chunks = [&](Value n) {
    // Views of the buffer inside the loop, so sinan-npu-multi-buffer sees
    // the loop own it and doubles it: one chunk loads while one stores.
    copyLoops.insert(loop(builder, loc, index(0), index(s.c), k, [&](Value ch) {
      Value local3 = memref::ExpandShapeOp::create(
          builder, loc, SmallVector<int64_t>{k, rc, s.wp}, local, groups);
      if (valid > 0) {
        Value src = view(
            x, {n, ch, builder.getIndexAttr(inLo), builder.getIndexAttr(0)},
            {1, k, valid, s.w}, {1, 1, 1, 1}, {1, 2, 3});
        npu::DmaLoadOp::create(
            builder, loc, src, local3,
            builder.getDenseI64ArrayAttr(
                {padTop, padBottom, s.left, s.wp - s.w - s.left}));
      } else {
        npu::FillOp::create(builder, loc, local, 0);
      }
      Value dst = view(
          scratch,
          {region, n, ch, builder.getIndexAttr(0), builder.getIndexAttr(0)},
          {1, 1, k, rc, s.wp}, {1, 1, 1, 1, 1}, {2, 3, 4});
      npu::DmaStoreOp::create(builder, loc, local3, dst);
    }));
  };
  if (s.n == 1)
    chunks(index(0));
  else
    loop(builder, loc, index(0), index(s.n), 1, chunks);
}

/// The taps of one channel block in padded mode: tap (i, j) of channel c
/// over rows [oh, oh + rows) is the run of rows x wp elements of the copy
/// starting at row oh - regionRow0 + i * dh, column j * dw.
void ConvTiler::emitPaddedTaps(Value f, Value n, Value oh, Value c,
                               int64_t cCount, Value acc) {
  Value g = index(0);
  for (int64_t i = 0; i < s.kh; ++i)
    for (int64_t j = 0; j < s.kw; ++j) {
      Value weights = weightsFor(g, f, blockOf.lookup(c), c, i * s.kw + j);
      Value input = rhs[turn];
      turn = (turn + 1) % rhs.size();
      Value dst = input;
      if (cCount != blocks.c0) {
        zeroChannelsPast(input, cCount);
        dst = view(input, {builder.getIndexAttr(0), builder.getIndexAttr(0)},
                   {cCount, blocks.pixels}, {1, 1}, {0, 1});
      }
      Value start =
          plus(times(plus(oh, i * s.dh - regionRow0), s.wp), j * s.dw);
      Value src = view(scratchRuns, {regionIndex, n, c, start},
                       {1, 1, cCount, blocks.pixels}, {1, 1, 1, 1}, {2, 3});
      npu::DmaLoadOp::create(builder, loc, src, dst, DenseI64ArrayAttr());
      product(weights, input, acc);
    }
}

/// Every image and pixel block for fRows channels from f of group g, or,
/// when cores split the pixels, this core's blocks. Blocks whose taps reach
/// outside the image are emitted one by one (their padding is static); the
/// blocks between them are a loop over pairs of blocks. Blocks use the two
/// accumulators in turn, so the store of one overlaps the products of the
/// next.
void ConvTiler::emitImages(Value g, Value f, int64_t fRows) {
  loadResident(g, f);
  if (blocks.biasProduct) {
    // The block's bias columns, rows g * fgPad + f onwards (loading them
    // all once would cost a DMA row per channel on every core).
    int64_t k = target.matrixTiles.at(DType::BF16).k;
    Value row = arith::AddIOp::create(builder, loc, times(g, s.fgPad), f);
    npu::DmaLoadOp::create(builder, loc,
                           view(biasColumns, {row, builder.getIndexAttr(0)},
                                {blocks.f0, 3}, {1, 1}, {0, 1}),
                           biasTile, builder.getDenseI64ArrayAttr({0, k - 3}));
  }
  int64_t rows = blocks.rows;
  int64_t count = s.flat ? ceilDiv(s.pixels(), rows) : s.oh / rows;
  // Pixels of block b when flat (the last may be partial).
  auto pixelsOf = [&](int64_t b) {
    return s.flat ? std::min(rows, s.pixels() - b * rows) : blocks.pixels;
  };
  auto inside = [&](int64_t b) {
    if (s.flat)
      return pixelsOf(b) == rows;
    if (blocks.padded)
      return true; // The padding is in the copy.
    int64_t first = b * rows * s.sh - s.top;
    int64_t last = (b * rows + rows - 1) * s.sh + (s.kh - 1) * s.dh - s.top;
    return first >= 0 && last <= s.h - 1;
  };
  auto range = [&](Value n, int64_t from, int64_t to) {
    for (int64_t b = from; b < to; ++b) {
      int64_t end = b;
      while (end < to && inside(end))
        ++end;
      int64_t accs = blocks.accs;
      int64_t per = blocksPerIteration(
          accs, blocks.depth, (packedColumns() / blocks.c0) * packedTaps());
      int64_t turns = per ? (end - b) / per : 0;
      if (turns > 0) {
        // Blocks take the accumulators in turn: the stores of some overlap
        // the products of the others.
        scf::ForOp pixels = loop(
            builder, loc, index(b * rows), index((b + per * turns) * rows),
            per * rows, [&](Value oh) {
              for (int64_t k = 0; k < per; ++k)
                emitPixelBlock(g, f, fRows, n, plus(oh, k * rows), std::nullopt,
                               rows, acc[(accTurn + k) % accs]);
            });
        pixels->setAttr(npu::kBufferedAttrName, builder.getUnitAttr());
        b += per * turns - 1;
        continue;
      }
      emitPixelBlock(g, f, fRows, n, index(b * rows), b * rows, pixelsOf(b),
                     acc[accTurn]);
      accTurn = (accTurn + 1) % blocks.accs;
    }
  };
  auto images = [&](Value n) {
    if (blocks.padded) {
      auto region = [&](int64_t c) {
        auto [from, to] = coreBlocks(c);
        regionIndex = index(c);
        regionRow0 = from * rows;
        range(n, from, to);
      };
      if (!blocks.splitPixels) {
        // Each core reads its own copy of the whole input.
        regionIndex = blocks.cores > 1
                          ? Value(npu::CoreIdOp::create(builder, loc,
                                                        builder.getIndexType()))
                          : index(0);
        regionRow0 = 0;
        return range(n, 0, count);
      }
      Value core = npu::CoreIdOp::create(builder, loc, builder.getIndexType());
      for (int64_t c = 0; c < blocks.cores; ++c)
        onCore(builder, loc, core, c, [&] { region(c); });
      return;
    }
    if (!blocks.splitPixels)
      return range(n, 0, count);
    // (Inside the region of core `onlyCore`, see emit.)
    int64_t c = *onlyCore;
    range(n, c * count / blocks.cores, (c + 1) * count / blocks.cores);
  };
  if (s.n == 1)
    images(index(0));
  else
    loop(builder, loc, index(0), index(s.n), 1, images);
}

void ConvTiler::emit() {
  Type bf16 = builder.getBF16Type();
  int64_t pixels = blocks.pixels;
  for (int64_t k = 0; k < blocks.depth; ++k) {
    if (!blocks.resident)
      lhs.push_back(alloc(blocks.f0, blocks.c0, bf16, npu::MemorySpace::ibuf));
    if (!blocks.inputResident)
      rhs.push_back(alloc(blocks.c0, pixels, bf16, npu::MemorySpace::wbuf));
  }
  if (blocks.resident)
    residentWeights =
        alloc(packedTaps() * (packedColumns() / blocks.c0) * blocks.f0,
              blocks.c0, bf16, npu::MemorySpace::ibuf);
  for (int64_t k = 0; k < blocks.accs; ++k)
    acc.push_back(allocAcc());
  if (blocks.biasProduct) {
    int64_t k = target.matrixTiles.at(DType::BF16).k;
    biasTile = alloc(blocks.f0, k, bf16, npu::MemorySpace::ibuf);
    onesTile = alloc(k, pixels, bf16, npu::MemorySpace::wbuf);
    npu::FillOp::create(builder, loc, onesTile, floatToBF16(-0.0f));
    npu::FillOp::create(builder, loc,
                        view(onesTile,
                             {builder.getIndexAttr(0), builder.getIndexAttr(0)},
                             {3, pixels}, {1, 1}, {0, 1}),
                        floatToBF16(1.0f));
  }
  if (blocks.padded) {
    SmallVector<ReassociationIndices> groups = {{0}, {1}, {2}, {3, 4}};
    scratchRuns =
        memref::CollapseShapeOp::create(builder, loc, scratch, groups);
    if (!blocks.splitPixels) {
      emitCopy(0, blocks.cores > 1 ? Value(npu::CoreIdOp::create(
                                         builder, loc, builder.getIndexType()))
                                   : index(0));
    } else {
      Value core = npu::CoreIdOp::create(builder, loc, builder.getIndexType());
      for (int64_t c = 0; c < blocks.cores; ++c)
        onCore(builder, loc, core, c, [&] { emitCopy(c, index(c)); });
    }
    // The taps read what the copy wrote to DRAM: every engine must be done.
    npu::BarrierOp::create(builder, loc);
  }
  // Allocated here, after the padded copy, so that by liveness they may
  // take its vbuf bytes.
  loadBiasColumn();
  if (epilogue.silu)
    siluScratch =
        alloc(blocks.f0, pixels, builder.getF32Type(), npu::MemorySpace::vbuf);
  if (vectorPasses() > 0)
    for (Value a : acc) {
      auto type = cast<MemRefType>(a.getType());
      vectorBlockOf[a] = memref::AllocOp::create(
          builder, loc,
          MemRefType::get(type.getShape(), type.getElementType(),
                          type.getLayout(),
                          npu::MemorySpaceAttr::get(builder.getContext(),
                                                    npu::MemorySpace::vbuf)));
    }
  if (s.flat) {
    SmallVector<ReassociationIndices> groups = {{0}, {1}, {2, 3}};
    xFlat = memref::CollapseShapeOp::create(builder, loc, x, groups);
    yFlat = memref::CollapseShapeOp::create(builder, loc, y, groups);
    if (residual)
      residualFlat =
          memref::CollapseShapeOp::create(builder, loc, residual, groups);
    loadResidentInput();
  }
  int64_t fBlocks = s.fgPad / blocks.f0;
  int64_t lastRows = s.fg - (fBlocks - 1) * blocks.f0;
  int64_t fullBlocks = lastRows == blocks.f0 ? fBlocks : fBlocks - 1;
  // With one pixel block per output channel block, a core's channel
  // blocks would each take the same accumulator (the loop's body is emitted
  // once): the next block's bias load and products would wait for the last
  // one's epilogue. Two blocks an iteration take two accumulators in turn.
  // (When cores split the pixel blocks, a core's: emitImages.)
  int64_t pixelBlocks =
      s.flat ? ceilDiv(s.pixels(), blocks.rows) : s.oh / blocks.rows;
  if (blocks.splitPixels)
    pixelBlocks = ceilDiv(pixelBlocks, blocks.cores);
  int64_t splitCores =
      blocks.splitPixels || blocks.groupUnit ? 1 : blocks.cores;
  bool paired = blocks.accs >= 2 && pixelBlocks == 1 && s.n == 1 &&
                !blocks.padded && fullBlocks % (2 * splitCores) == 0;
  auto groups = [&](Value g) {
    auto edge = [&](Value f) { emitImages(g, f, lastRows); };
    if (paired) {
      splitOverCores(
          builder, loc, fullBlocks / 2, 2 * blocks.f0, splitCores,
          [&](Value f) {
            emitImages(g, f, blocks.f0);
            emitImages(g, plus(f, blocks.f0), blocks.f0);
          },
          fullBlocks < fBlocks ? function_ref<void(Value)>(edge) : nullptr,
          /*buffered=*/true);
      return;
    }
    splitOverCores(
        builder, loc, fullBlocks, blocks.f0, splitCores,
        [&](Value f) { emitImages(g, f, blocks.f0); },
        fullBlocks < fBlocks ? function_ref<void(Value)>(edge) : nullptr,
        /*buffered=*/true);
  };
  auto all = [&] {
    if (s.group == 1)
      return groups(index(0));
    if (!blocks.groupUnit)
      return (void)loop(builder, loc, index(0), index(s.group), 1, groups);
    // Each core its units of groups; the groups past the last unit on one.
    int64_t unit = blocks.groupUnit, units = s.group / unit;
    auto run = [&](Value g, int64_t count) {
      if (count == 1)
        return groups(g);
      loop(builder, loc, g, plus(g, count), 1, groups);
    };
    splitOverCores(
        builder, loc, units, unit, blocks.cores, [&](Value g) { run(g, unit); },
        s.group % unit ? function_ref<void(Value)>(
                             [&](Value g) { run(g, s.group % unit); })
                       : nullptr,
        /*buffered=*/true);
  };
  if (blocks.splitPixels && !blocks.padded) {
    Value core = npu::CoreIdOp::create(builder, loc, builder.getIndexType());
    for (int64_t c = 0; c < blocks.cores; ++c)
      onCore(builder, loc, core, c, [&] {
        onlyCore = c;
        all();
      });
    onlyCore.reset();
  } else {
    all();
  }
  entry->getParent()->walk([&](scf::ForOp forOp) {
    if (!copyLoops.count(forOp))
      forOp->setAttr(npu::kBufferedAttrName, builder.getUnitAttr());
  });
}

} // namespace

std::optional<ConvShape> sinan::tiling::convShapeOf(graph::Conv2dOp conv,
                                                    const TargetDesc &target) {
  auto in = dyn_cast<RankedTensorType>(conv.getInput().getType());
  auto weight = dyn_cast<RankedTensorType>(conv.getWeight().getType());
  auto out = dyn_cast<RankedTensorType>(conv.getType());
  for (RankedTensorType type : {in, weight, out})
    if (!type || type.getRank() != 4 || !type.hasStaticShape() ||
        type.getNumElements() == 0 ||
        !(type.getElementType().isF32() || type.getElementType().isBF16()))
      return std::nullopt;
  ArrayRef<int64_t> strides = conv.getStrides(), pads = conv.getPads(),
                    dilations = conv.getDilations();
  if (strides.size() != 2 || pads.size() != 4 || dilations.size() != 2 ||
      !target.matrixTiles.count(DType::BF16))
    return std::nullopt;
  ConvShape s;
  s.n = in.getDimSize(0);
  s.c = in.getDimSize(1);
  s.h = in.getDimSize(2);
  s.w = in.getDimSize(3);
  s.f = weight.getDimSize(0);
  s.kh = weight.getDimSize(2);
  s.kw = weight.getDimSize(3);
  s.oh = out.getDimSize(2);
  s.ow = out.getDimSize(3);
  s.sh = strides[0];
  s.sw = strides[1];
  s.dh = dilations[0];
  s.dw = dilations[1];
  s.top = pads[0];
  s.left = pads[1];
  s.group = conv.getGroup();
  if (s.group < 1 || s.c % s.group || s.f % s.group || s.sh < 1 || s.sw < 1 ||
      s.dh < 1 || s.dw < 1)
    return std::nullopt;
  s.cg = s.c / s.group;
  s.fg = s.f / s.group;
  if (weight.getDimSize(1) != s.cg)
    return std::nullopt;
  const MatrixTile &tile = target.matrixTiles.at(DType::BF16);
  s.owa = roundUp(s.ow, std::lcm<int64_t>(target.alignmentBytes / 2, tile.n));
  s.cgPad = roundUp(s.cg, tile.k);
  s.fgPad = roundUp(s.fg, tile.m);
  s.flat = s.kh == 1 && s.kw == 1 && s.sh == 1 && s.sw == 1 && s.top == 0 &&
           s.left == 0 && s.oh == s.h && s.ow == s.w;
  s.paddable = !s.flat && s.sh == 1 && s.sw == 1 && s.group == 1;
  s.wp = roundUp(s.left + s.w + pads[3], target.alignmentBytes / 4);
  s.bias = bool(conv.getBias());
  // A constant bias whose every value splitToBF16 splits exactly may start
  // the accumulators as a product.
  if (auto constant = s.bias ? conv.getBias().getDefiningOp<graph::ConstantOp>()
                             : graph::ConstantOp()) {
    auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
    s.biasConstant = dense && llvm::all_of(weightValues(dense), splitsExactly);
  }
  s.inBytes = bytesOf(in.getElementType());
  s.outBytes = bytesOf(out.getElementType());
  // In a kernel function, the DRAM types are the function's.
  if (auto kernel = conv->getParentOfType<func::FuncOp>();
      kernel && kernel->hasAttr(npu::kTargetAttrName)) {
    if (auto arg = dyn_cast<BlockArgument>(throughStorage(conv.getInput()));
        arg && arg.getArgNumber() < kernel.getNumArguments())
      s.inBytes = bytesOf(
          getElementTypeOrSelf(kernel.getArgumentTypes()[arg.getArgNumber()]));
    if (kernel.getNumResults() == 1)
      s.outBytes = bytesOf(getElementTypeOrSelf(kernel.getResultTypes()[0]));
  }
  return s;
}

SmallVector<float> sinan::tiling::weightValues(DenseElementsAttr weights) {
  SmallVector<float> values;
  if (weights.getElementType().isF32()) {
    llvm::append_range(values, weights.getValues<float>());
    return values;
  }
  for (APFloat value : weights.getValues<APFloat>()) {
    bool lost;
    value.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
    values.push_back(value.convertToFloat());
  }
  return values;
}

DenseElementsAttr sinan::tiling::bf16Attr(MLIRContext *context,
                                          ArrayRef<uint16_t> bits, int64_t rows,
                                          int64_t cols) {
  auto type = RankedTensorType::get({rows, cols}, BFloat16Type::get(context));
  return DenseElementsAttr::getFromRawBuffer(
      type, ArrayRef<char>(reinterpret_cast<const char *>(bits.data()),
                           bits.size() * sizeof(uint16_t)));
}

memref::GlobalOp sinan::tiling::addWeightsGlobal(func::FuncOp kernel,
                                                 DenseElementsAttr packed,
                                                 Location loc,
                                                 const TargetDesc &target) {
  MLIRContext *context = kernel.getContext();
  OpBuilder builder(context); // No insertion point: the global is detached.
  auto type = MemRefType::get(
      packed.getType().getShape(), packed.getType().getElementType(),
      MemRefLayoutAttrInterface(),
      npu::MemorySpaceAttr::get(context, npu::MemorySpace::dram));
  auto global = memref::GlobalOp::create(
      builder, loc, (kernel.getSymName() + "_weights").str(),
      builder.getStringAttr("private"), type, packed,
      /*constant=*/true, builder.getI64IntegerAttr(target.alignmentBytes));
  SymbolTable(kernel->getParentOfType<ModuleOp>())
      .insert(global, Block::iterator(kernel)); // Renames on a clash.
  return global;
}

/// `conv`'s kConvAlgorithmAttrName, or "".
static StringRef convAlgorithm(graph::Conv2dOp conv) {
  auto algorithm = conv->getAttrOfType<StringAttr>(kConvAlgorithmAttrName);
  return algorithm ? algorithm.getValue() : "";
}

std::string sinan::snpuConvRefusal(Operation *op, const TargetDesc &target) {
  auto conv = dyn_cast<graph::Conv2dOp>(op);
  if (!conv)
    return "not a convolution";
  if (!target.matrixTiles.count(DType::BF16))
    return "target " + target.name + " has no bf16 matrix unit";
  if (!conv.getWeight().getDefiningOp<graph::ConstantOp>())
    return "weights are not a constant (they are packed at compile time)";
  std::optional<ConvShape> s = convShapeOf(conv, target);
  if (!s)
    return "not a static NCHW convolution of f32 or bf16";
  int64_t bytes = bytesOf(conv.getInput().getType().getElementType());
  // Groups narrower than the matrix tile (depthwise, RegNet's groups of 8)
  // run on the vector unit, in f32: the matrix unit would pad each to its
  // tile, at cg/k x fg/m of its peak, and tile them one group at a time.
  StringRef form = narrowGroupsForm(conv);
  if (!form.empty() && form != "vector" && form != "matrix")
    return llvm::formatv("{0} is \"{1}\", not \"vector\" or \"matrix\"",
                         kNarrowGroupsAttrName, form)
        .str();
  if (vectorConvApplies(*s, target)) {
    if (bytes != 4)
      return llvm::formatv("{0} channels in and {1} out per group run on the "
                           "vector unit in f32, and this convolution is bf16",
                           s->cg, s->fg)
          .str();
    auto [vector, grid] =
        chooseNarrow(*s, target, ConvEpilogue(), bytes, narrowGroupsForm(conv));
    if (!vector && !grid)
      return form == "matrix"
                 ? "the matrix unit's block-diagonal chunks (forced by "
                   "snpu.narrow_groups) take groups of equal in and out "
                   "widths, strides up to 2 and an output as wide as the "
                   "input at its stride, in local memory"
                 : "no block of one group's output row fits the vector "
                   "buffer twice";
    return "";
  }
  StringRef algorithm = convAlgorithm(conv);
  if (!algorithm.empty() && algorithm != "winograd" && algorithm != "direct")
    return llvm::formatv("{0} is \"{1}\", not \"winograd\" or \"direct\"",
                         kConvAlgorithmAttrName, algorithm)
        .str();
  if (algorithm == "winograd" &&
      (bytes != 4 || !chooseWinogradPlan(*s, target, ConvEpilogue())))
    return llvm::formatv("{0} is \"winograd\", which takes an f32 3x3 "
                         "convolution of one image, stride 1 or 2 and "
                         "padding 1 whose points fit the local memories",
                         kConvAlgorithmAttrName)
        .str();
  if (!chooseConvBlocks(*s, target, s->inBytes, s->outBytes) &&
      !(bytes == 4 && chooseGridPlan(*s, target, ConvEpilogue())))
    return "no block of one output row fits the local memories";
  return "";
}

bool sinan::isSnpuConv(Operation *op, const TargetDesc &target) {
  return snpuConvRefusal(op, target).empty();
}

/// For groups narrower than the matrix tile: the vector unit's plan or the
/// grid tiler's block-diagonal one, whichever the cycle estimates prefer
/// (the other null; both null for bf16, which the vector unit's f32
/// kernel does not take and the grid tiler's staging is not written for).
std::pair<std::optional<DepthwisePlan>, std::optional<GridPlan>>
sinan::tiling::chooseNarrow(const ConvShape &s, const TargetDesc &target,
                            const ConvEpilogue &epilogue, int64_t bytes,
                            StringRef form) {
  if (bytes != 4)
    return {};
  std::optional<DepthwisePlan> vector =
      form == "matrix" ? std::nullopt
                       : chooseDepthwisePlan(s, target, epilogue);
  std::optional<GridPlan> grid =
      form == "vector" ? std::nullopt : chooseGridPlan(s, target, epilogue);
  if (grid && (!vector || grid->cycles < vector->cycles))
    return {std::nullopt, grid};
  return {vector, std::nullopt};
}

StringRef sinan::tiling::narrowGroupsForm(graph::Conv2dOp conv) {
  auto form = conv->getAttrOfType<StringAttr>(kNarrowGroupsAttrName);
  return form ? form.getValue() : "";
}

namespace {
/// A dense convolution's tiler: one of the three set.
struct TilerChoice {
  std::optional<ConvBlocks> blocks;
  std::optional<GridPlan> grid;
  std::optional<WinogradPlan> winograd;
};
} // namespace

/// The implicit GEMM's blocks, the grid tiler's plan or the Winograd
/// tiler's for `s` with `epilogue`, whichever the cycle estimates prefer.
/// (`algorithm`, kConvAlgorithmAttrName, may fix which.)
static TilerChoice chooseTiler(const ConvShape &s, const TargetDesc &target,
                               const ConvEpilogue &epilogue, int64_t bytes,
                               StringRef algorithm) {
  std::optional<WinogradPlan> winograd =
      bytes == 4 && algorithm != "direct"
          ? chooseWinogradPlan(s, target, epilogue)
          : std::nullopt;
  if (algorithm == "winograd")
    return {std::nullopt, std::nullopt, winograd};
  std::optional<ConvBlocks> blocks =
      chooseConvBlocks(s, target, s.inBytes, s.outBytes, epilogue);
  std::optional<GridPlan> grid =
      bytes == 4 ? chooseGridPlan(s, target, epilogue) : std::nullopt;
  double best = std::numeric_limits<double>::infinity();
  if (blocks)
    best = blocks->cycles;
  if (grid)
    best = std::min(best, grid->cycles);
  if (winograd && winograd->cycles < best)
    return {std::nullopt, std::nullopt, winograd};
  if (grid && (!blocks || grid->cycles < blocks->cycles))
    return {std::nullopt, grid, std::nullopt};
  return {blocks, std::nullopt, std::nullopt};
}

std::optional<ConvSummation>
sinan::tiling::convSummation(graph::Conv2dOp conv, const ConvEpilogue &epilogue,
                             const TargetDesc &target) {
  std::optional<ConvShape> s = convShapeOf(conv, target);
  if (!s)
    return std::nullopt;
  int64_t bytes = bytesOf(conv.getInput().getType().getElementType());
  // The vector unit's depthwise kernel: f32 inputs, the first tap's
  // product, one multiply-add per other tap, then the bias. Block-diagonal
  // chunks sum like the grid tiler's dense ones: a chunk's zero products
  // between groups leave the sums alone (from +0.0 an addition of a zero
  // never makes -0.0), so a chunk of the group's channels is the order.
  if (vectorConvApplies(*s, target)) {
    auto [vector, grid] =
        chooseNarrow(*s, target, epilogue, bytes, narrowGroupsForm(conv));
    if (grid)
      return ConvSummation{grid->c0, true};
    return vector ? std::optional(ConvSummation{1, true, true}) : std::nullopt;
  }
  auto [blocks, grid, winograd] =
      chooseTiler(*s, target, epilogue, bytes, convAlgorithm(conv));
  // The grid and Winograd tilers' products start from +0.0 and their
  // epilogues add the bias; the implicit GEMM's accumulators start from the
  // bias unless its blocks add it last.
  if (winograd) {
    ConvSummation sum{winograd->c0, true};
    sum.winograd = true;
    return sum;
  }
  if (grid)
    return ConvSummation{grid->c0, true};
  // Folded taps sum tap-major over the channels, as the fallback does with
  // chunks of all of them.
  if (blocks)
    return ConvSummation{blocks->folded ? s->cg : blocks->c0, blocks->biasLast};
  return std::nullopt;
}

std::optional<double>
sinan::tiling::estimateConvCycles(graph::Conv2dOp conv,
                                  const TargetDesc &target,
                                  const ConvEpilogue &epilogue) {
  std::optional<ConvShape> s = convShapeOf(conv, target);
  if (!s)
    return std::nullopt;
  // What convertConvKernel chooses: the vector unit's plan for narrow
  // groups, else the cheaper of the implicit GEMM and the grid tiler.
  int64_t bytes = bytesOf(conv.getInput().getType().getElementType());
  if (vectorConvApplies(*s, target)) {
    auto [vector, grid] =
        chooseNarrow(*s, target, epilogue, bytes, narrowGroupsForm(conv));
    if (grid)
      return grid->cycles;
    return vector ? std::optional(vector->cycles) : std::nullopt;
  }
  auto [blocks, grid, winograd] =
      chooseTiler(*s, target, epilogue, bytes, convAlgorithm(conv));
  if (winograd)
    return winograd->cycles;
  if (grid)
    return grid->cycles;
  return blocks ? std::optional(blocks->cycles) : std::nullopt;
}

LogicalResult sinan::tiling::convertConvKernel(func::FuncOp kernel,
                                               graph::Conv2dOp conv,
                                               const ConvEpilogue &epilogue,
                                               const TargetDesc &target) {
  std::optional<ConvShape> s = convShapeOf(conv, target);
  auto weights = conv.getWeight().getDefiningOp<graph::ConstantOp>();
  auto dense =
      weights ? dyn_cast<DenseElementsAttr>(weights.getValue()) : nullptr;
  if (!s || !dense)
    return conv.emitError("the SNPU tiles static NCHW f32/bf16 convolutions "
                          "with constant weights, on a target with a bf16 "
                          "matrix unit");
  int64_t bytes = bytesOf(conv.getInput().getType().getElementType());
  if (vectorConvApplies(*s, target)) {
    auto [plan, grid] =
        chooseNarrow(*s, target, epilogue, bytes, narrowGroupsForm(conv));
    if (grid)
      return emitGridConv(kernel, conv, *s, *grid, epilogue, target, dense);
    if (!plan)
      return conv.emitError()
             << "target " << target.name << ": "
             << (bytes == 4
                     ? "no block of one group's output row fits the "
                       "vector buffer twice (local.vbuf.size_kib = " +
                           std::to_string(target.vbuf.sizeBytes / 1024) + ")"
                     : "groups narrower than the matrix tile run on the "
                       "vector unit in f32, and this convolution is bf16");
    return emitDepthwiseConv(kernel, conv, *s, *plan, epilogue, target, dense);
  }
  auto [blocks, grid, winograd] =
      chooseTiler(*s, target, epilogue, bytes, convAlgorithm(conv));
  if (winograd)
    return emitWinogradConv(kernel, conv, *s, *winograd, epilogue, target,
                            dense);
  if (grid)
    return emitGridConv(kernel, conv, *s, *grid, epilogue, target, dense);
  if (!blocks)
    return conv.emitError()
           << "target " << target.name << ": no block of this convolution "
           << "fits the local memories (local.ibuf.size_kib = "
           << target.ibuf.sizeBytes / 1024
           << ", local.wbuf.size_kib = " << target.wbuf.sizeBytes / 1024
           << ", local.acc.size_kib = " << target.acc.sizeBytes / 1024
           << "; one output row is " << s->owa << " pixels at its pitch)";

  MLIRContext *context = kernel.getContext();
  auto dram = npu::MemorySpaceAttr::get(context, npu::MemorySpace::dram);
  Block &body = kernel.getBody().front();
  // The kernel's arguments are the convolution's operands in order (the
  // outlining copies constants in but keeps their arguments).
  if (body.getNumArguments() !=
      conv->getNumOperands() + (epilogue.residual ? 1 : 0))
    return conv.emitError("an SNPU convolution kernel takes the convolution's "
                          "operands (and a residual) as its arguments");
  int64_t xArg = 0, biasArg = conv.getBias() ? 2 : -1;
  Location loc = conv.getLoc();
  DenseElementsAttr packed = packWeights(dense, *s, *blocks);

  memref::GlobalOp global = addWeightsGlobal(kernel, packed, loc, target);
  MemRefType globalType = global.getType();
  memref::GlobalOp biasGlobal;
  if (blocks->biasProduct)
    biasGlobal = addWeightsGlobal(
        kernel,
        packBiasColumns(
            cast<DenseElementsAttr>(
                conv.getBias().getDefiningOp<graph::ConstantOp>().getValue()),
            *s),
        loc, target);
  auto module = kernel->getParentOfType<ModuleOp>();
  SymbolTable symbols(module);
  OpBuilder builder(context);

  Block &newBody = replaceBodyWithMemRefs(kernel, conv.getType());
  builder.setInsertionPointToStart(&newBody);
  Value packedWeights = memref::GetGlobalOp::create(builder, loc, globalType,
                                                    global.getSymName());
  Value scratch;
  if (blocks->padded) {
    // The padded copies: the kernel's scratch, one region per core.
    int64_t regions = blocks->cores;
    // Cores write their regions at once: each region spans whole granules
    // (unused channels pad it), or two cores would share one.
    int64_t channels = s->c;
    while ((s->n * channels * blocks->regionRows * s->wp * 2) %
           target.alignmentBytes)
      ++channels;
    auto scratchType = MemRefType::get(
        {regions, s->n, channels, blocks->regionRows, s->wp},
        builder.getBF16Type(), MemRefLayoutAttrInterface(), dram);
    OpBuilder detached(context);
    auto scratchGlobal = memref::GlobalOp::create(
        detached, loc, (kernel.getSymName() + "_scratch").str(),
        detached.getStringAttr("private"), scratchType, detached.getUnitAttr(),
        /*constant=*/false, detached.getI64IntegerAttr(target.alignmentBytes));
    symbols.insert(scratchGlobal, Block::iterator(kernel));
    scratch = memref::GetGlobalOp::create(builder, loc, scratchType,
                                          scratchGlobal.getSymName());
  }
  Value x = newBody.getArgument(xArg);
  Value bias = biasArg >= 0 ? newBody.getArgument(biasArg) : Value();
  Value y = newBody.getArguments().back();
  Value residual = epilogue.residual
                       ? newBody.getArgument(newBody.getNumArguments() - 2)
                       : Value();
  Value biasColumns =
      biasGlobal
          ? Value(memref::GetGlobalOp::create(
                builder, loc, biasGlobal.getType(), biasGlobal.getSymName()))
          : Value();
  ConvTiler(builder, loc, target, *s, *blocks, x, packedWeights, bias, y,
            epilogue, residual, &newBody, scratch, biasColumns)
      .emit();
  finishKernel(builder, kernel, blocks->cores,
               {blocks->f0, blocks->c0, blocks->pixels}, describe(*blocks));
  return success();
}
