//===- GraphToNpu.cpp - Tile kernel functions into npu code ---------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A matrix product C[M x N] = A[M x K] x B[K x N] becomes, per core, loops
// over its row blocks and the column blocks of C; each C block accumulates
// over K blocks in the accumulator and is stored once. Every size comes
// from the target: the tile the matrix unit takes, the local memories the
// double-buffered blocks must fit, the DMA and DRAM bandwidths the block
// choice weighs against matrix cycles.
//
//===----------------------------------------------------------------------===//

#include "sinan/Conversion/GraphToNpu.h"
#include "Conv.h"
#include "Tiling.h"
#include "sinan/Conversion/Passes.h"

#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Npu/IR/NpuOps.h"
#include "sinan/runtime/Numerics.h"
#include "sinan/runtime/Target.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "llvm/Support/Debug.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

#define DEBUG_TYPE "sinan-convert-graph-to-npu"

namespace sinan {
#define GEN_PASS_DEF_CONVERTGRAPHTONPU
#include "sinan/Conversion/Passes.h.inc"
} // namespace sinan

using namespace mlir;
using namespace sinan;
using namespace sinan::tiling;

namespace {

struct MatmulBlocks {
  int64_t m0 = 0, k0 = 0, n0 = 0, cores = 1;
  /// Cores split the column blocks (each reads all of A and its columns of
  /// B) rather than the row blocks: a product of few rows.
  bool splitCols = false;
  double cycles = 0;
  /// Copies of the K loop's operand blocks (sinan-npu-multi-buffer's
  /// npu.buffers): loads of the next blocks in flight while one is used.
  int64_t buffers = 2;
  /// Cores split the columns and A's rows, every K step of them, are
  /// loaded once before the products (one load instead of one per step
  /// and column block): a product of few rows streams only B.
  bool residentA = false;
  /// Cores split the rows, K is one step and N one block: B is loaded
  /// once per core for all of its row blocks.
  bool residentB = false;
};

/// Whether A's rows of one row block (`m0` rows of bf16, every one of the
/// `k / k0` K steps a block of its own) fit ibuf beside nothing else:
/// the left operand of a product whose cores split the columns.
bool residentRowsFit(const TargetDesc &target, int64_t m0, int64_t k,
                     int64_t k0) {
  return k % k0 == 0 && llvm::isPowerOf2_64(k0) &&
         pitch(k0, 2, target.alignmentBytes) % k0 == 0 &&
         (k / k0) * m0 * pitch(k0, 2, target.alignmentBytes) * 2 <=
             int64_t(target.ibuf.sizeBytes);
}

/// Block sizes for one dimension: multiples of the tile, doubling, up to the
/// dimension rounded up to the tile (which is also a candidate).
SmallVector<int64_t> blockSizes(int64_t dim, int64_t tile, int64_t limit) {
  SmallVector<int64_t> sizes;
  int64_t padded = roundUp(dim, tile);
  for (int64_t size = tile; size <= std::min(padded, limit); size *= 2)
    sizes.push_back(size);
  if (padded <= limit && (sizes.empty() || sizes.back() != padded))
    sizes.push_back(padded);
  return sizes;
}

/// The block sizes a dimension of `dim` tiled by `block` allocates: the
/// block, and the edge block rounded up to the tile when it does not divide.
SmallVector<int64_t, 2> variants(int64_t dim, int64_t block, int64_t tile) {
  SmallVector<int64_t, 2> sizes = {block};
  if (dim % block)
    sizes.push_back(roundUp(dim % block, tile));
  return sizes;
}

/// One core's share of a tiled product, as the tiler emits it, for
/// `simulateBlocks`.
struct BlockSchedule {
  int64_t cBlocks = 1, kSteps = 1, buffers = 2;
  /// A's rows loaded once for every C block (K in one step).
  bool residentA = false;
  /// B loaded once for every C block (K in one step, N one block).
  bool residentB = false;
  /// DMA-in occupancy of each load (setup, then the larger of its bytes at
  /// the core's share of bandwidth and its row count), the products' and
  /// the vector passes' cycles, DMA-out's per store.
  double loadA = 0, loadB = 0, fill = 0, epilogueLoads = 0, mma = 0, vector = 0,
         store = 0, latency = 0;
  /// A's normalization before its products (ProductTraits::prologue): the
  /// vector passes and the move into ibuf after A lands.
  double prologue = 0;
};

/// Cycles of `s` by replaying its engines in order: DMA-in issues every
/// load in program order (a block's epilogue operands before a loop of
/// products, after a single one), a K step's
/// load waits for the product `buffers`
/// steps back to release its buffer, a product for its operands to land and
/// for the product before it, the vector epilogue for the block's last
/// product and its own loads, DMA-out for the epilogue. The prologue (the
/// first loads' latency) and the last block's epilogue and store stay
/// exposed, which a per-step steady-state figure misses.
double simulateBlocks(const BlockSchedule &s) {
  double din = 0, mxu = 0, vec = 0, dout = 0, end = 0, aLanded = 0;
  std::vector<double> done;
  if (s.residentA) {
    din += s.loadA;
    aLanded = din + s.latency + s.prologue;
  }
  if (s.residentB) {
    din += s.loadB;
    aLanded = std::max(aLanded, din + s.latency);
  }
  // Past a few blocks the schedule repeats: extrapolate the period of the
  // last blocks replayed (averaged over a whole cycle of the buffers, whose
  // blocks alternate long and short waits) instead of replaying thousands
  // of steps.
  int64_t replay = std::min<int64_t>(s.cBlocks, 8);
  std::vector<double> ends;
  for (int64_t b = 0; b < replay; ++b) {
    double epilogueLanded = 0;
    if (s.kSteps > 1) {
      din += s.epilogueLoads;
      epilogueLanded = din + s.latency;
      din += s.fill;
    }
    for (int64_t k = 0; k < s.kSteps; ++k) {
      size_t step = done.size();
      double issue = din;
      if (step >= size_t(s.buffers))
        issue = std::max(issue, done[step - s.buffers]);
      // Synchronization sees a loop of products as one access of its
      // buffers: the next block's loop loads once the last product of the
      // one before has released them.
      if (k == 0 && s.kSteps > 1 && !done.empty())
        issue = std::max(issue, done.back());
      din = issue + (s.residentA ? 0 : s.loadA) + (s.residentB ? 0 : s.loadB);
      double start = std::max({din + s.latency, mxu, aLanded});
      mxu = start + s.mma;
      done.push_back(mxu);
    }
    if (s.kSteps == 1) {
      din += s.epilogueLoads;
      epilogueLanded = din + s.latency;
    }
    vec = std::max({mxu, vec, epilogueLanded}) + s.vector;
    dout = std::max(vec, dout) + s.store;
    end = dout + s.latency;
    ends.push_back(end);
  }
  int64_t span = std::min<int64_t>(replay - 1, 4);
  double period = span > 0 ? (end - ends[replay - 1 - span]) / double(span) : 0;
  return end + double(s.cBlocks - replay) * period;
}

/// Cycles the vector unit and DMA-in spend normalizing `rows` rows of `k`
/// before their products (MatmulTiler::normalizeA): eight passes and two
/// sums over the f32 rows, the conversion to bf16, one move into ibuf.
double normPrologueCycles(int64_t rows, int64_t k, const TargetDesc &target) {
  return 11.0 * (double(rows * k * 4) / double(target.vectorBytesPerCycle) +
                 double(target.vectorLatencyCycles)) +
         double(target.dmaSetupCycles) +
         std::ceil(double(rows * k * 2) / double(target.dmaBytesPerCycle));
}

/// What besides its shape and element sizes decides a product's blocks.
struct ProductTraits {
  /// One product per matrix of a batch (both operands batched).
  bool batched = false;
  /// The vector unit's epilogue on each block of C: the bias row, then the
  /// residual, then GELU.
  bool bias = false, residual = false, gelu = false;
  /// B is a constant the tiler packs into column panels of the block width
  /// (packedPanel), so that each of its blocks is one contiguous run.
  bool panels = false;
  /// A layer normalization of each row of C after the residual
  /// (snpuFusesNorm): blocks span every column.
  bool norm = false;
  /// A layer normalization of each row of A before the products (a norm
  /// and product group, normPrologueOf): K in one step, A's rows resident.
  bool prologue = false;
};

/// The column panel width of B's packed layout for blocks `n0` wide of a
/// product `n` wide, or 0 when B stays row-major: a panel index is the
/// column offset shifted right, so the width must be a power of two, and
/// a block as wide as B is contiguous already.
int64_t packedPanel(const ProductTraits &traits, int64_t n, int64_t n0) {
  return traits.panels && n0 < n && llvm::isPowerOf2_64(n0) ? n0 : 0;
}

/// The cheapest blocks by a cycle estimate per core (simulateBlocks).
std::optional<MatmulBlocks> chooseBlocks(const TargetDesc &target, int64_t m,
                                         int64_t k, int64_t n, int64_t lhsBytes,
                                         int64_t rhsBytes, int64_t outputBytes,
                                         const ProductTraits &traits) {
  bool batched = traits.batched, biasEpilogue = traits.bias || traits.gelu,
       residualEpilogue = traits.residual, geluEpilogue = traits.gelu;
  const MatrixTile &tile = target.matrixTiles.at(DType::BF16);
  int64_t align = target.alignmentBytes;
  std::optional<MatmulBlocks> best;
  for (int64_t m0 : blockSizes(m, tile.m, 512))
    for (int64_t n0 : blockSizes(n, tile.n, 512))
      for (int64_t k0 : blockSizes(k, tile.k, 1024)) {
        if ((traits.norm && n0 < n) || (traits.prologue && k0 < k))
          continue;
        // Every buffer the tiler allocates must fit, doubled: full and edge
        // variants of each operand (local allocation may find them live at
        // once, since unrolled loops interleave their uses).
        SmallVector<int64_t, 2> ms = variants(m, m0, tile.m),
                                ks = variants(k, k0, tile.k),
                                ns = variants(n, n0, tile.n);
        auto operandBytes = [&](int64_t copies) {
          int64_t ibuf = 0, wbuf = 0;
          for (int64_t ki : ks) {
            for (int64_t mi : ms)
              ibuf += copies * mi * pitch(ki, 2, align) * 2;
            for (int64_t ni : ns)
              wbuf += copies * ki * pitch(ni, 2, align) * 2;
          }
          return ibuf <= int64_t(target.ibuf.sizeBytes) &&
                 wbuf <= int64_t(target.wbuf.sizeBytes);
        };
        int64_t acc = 0;
        for (int64_t mi : ms)
          for (int64_t ni : ns)
            acc += 2 * mi * pitch(ni, 4, align) * 4;
        // A bias epilogue adds a vbuf block per accumulator and its row,
        // counted for the C blocks that exist (a dimension smaller than its
        // block has only the edge one).
        int64_t vbuf = 0;
        if (biasEpilogue) {
          auto exist = [](int64_t size, int64_t block, int64_t tileSize) {
            SmallVector<int64_t, 2> sizes;
            if (size >= block)
              sizes.push_back(block);
            if (size % block)
              sizes.push_back(roundUp(size % block, tileSize));
            return sizes;
          };
          for (int64_t ni : exist(n, n0, tile.n)) {
            vbuf += 2 * pitch(ni, 4, align) * 4;
            for (int64_t mi : exist(m, m0, tile.m))
              vbuf += (residualEpilogue ? 4 : 2) * mi * pitch(ni, 4, align) * 4;
          }
        }
        // A normalization's per-row scalars per block (its squares reuse the
        // residual's block), and its scale and bias rows.
        if (traits.norm) {
          for (int64_t mi : ms)
            vbuf += 2 * pitch(mi, 4, align) * 4;
          vbuf += 2 * pitch(n0, 4, align) * 4;
        }
        // A normalized before the products: its rows in f32 and their
        // squares, the bf16 copy moved into ibuf, the per-row scalars and
        // the scale and bias rows.
        if (traits.prologue)
          vbuf += m0 * (2 * pitch(k, 4, align) * 4 + pitch(k, 2, align) * 2) +
                  pitch(m0, 4, align) * 4 + 2 * pitch(k, 4, align) * 4;
        if (!operandBytes(2) || acc > int64_t(target.acc.sizeBytes) ||
            vbuf > int64_t(target.vbuf.sizeBytes))
          continue;
        int64_t rowBlocks = ceilDiv(m, m0), colBlocks = ceilDiv(n, n0);
        int64_t kSteps = ceilDiv(k, k0);
        // A third copy of the K loop's operands, when they fit: a block's
        // load then has two products' time to land, not one. Counted as
        // four copies: the edge blocks' buffers outside the loop and the
        // liveness of unrolled copies leave less than three copies' worth
        // free (snpu-edge's 64 KiB ibuf overflowed at three).
        int64_t buffers = kSteps >= 3 && operandBytes(4) ? 3 : 2;
        for (bool splitCols : {false, true}) {
          // Columns split only a product of one row block (and one matrix).
          if (splitCols && (batched || rowBlocks > 1 || colBlocks == 1))
            continue;
          int64_t cores = std::min<int64_t>(target.cores,
                                            splitCols ? colBlocks : rowBlocks);
          // Cores write C concurrently, so each core's rows (or columns
          // of every row) must start on a granule of its own (the hazard
          // checker tracks alignment-sized granules): row blocks, and in a
          // batched product whole matrices, must span whole granules;
          // column blocks and rows (of which there may be one) too.
          int64_t align64 = target.alignmentBytes;
          if (splitCols ? (n0 * outputBytes) % align64 ||
                              (m > 1 && (n * outputBytes) % align64)
                        : (m0 * n * outputBytes) % align64 ||
                              (batched && (m * n * outputBytes) % align64))
            cores = 1;
          if (splitCols && cores == 1)
            continue;
          double bandwidth = std::min<double>(target.dmaBytesPerCycle,
                                              double(target.dramBytesPerCycle) /
                                                  double(cores));
          // A transfer moves the larger side of each row, at most a row
          // per cycle; contiguous rows merge into one.
          auto occupancy = [&](double bytes, int64_t rows) {
            return double(target.dmaSetupCycles) +
                   std::max(std::ceil(bytes / bandwidth), double(rows));
          };
          int64_t blocksPerCore = splitCols
                                      ? rowBlocks * ceilDiv(colBlocks, cores)
                                      : ceilDiv(rowBlocks, cores) * colBlocks;
          // A block's rows merge into one DMA row when they are contiguous
          // on both sides: a whole row of the source, `width` elements,
          // is the local tile's aligned pitch.
          auto rowsOf = [&](int64_t rows, bool wholeRows, int64_t width,
                            int64_t tileCols, int64_t bytes) -> int64_t {
            return wholeRows && width == pitch(tileCols, bytes, align) ? 1
                                                                       : rows;
          };
          // A product of one row block over many K steps may keep all of A
          // (loaded before the first product, then only B streams).
          bool residentFits =
              splitCols && kSteps > 1 && residentRowsFit(target, m0, k, k0);
          for (bool stepsResident : {false, true}) {
            if (stepsResident && !residentFits)
              continue;
            BlockSchedule s;
            s.cBlocks = blocksPerCore;
            s.kSteps = kSteps;
            s.buffers = buffers;
            s.residentA =
                (kSteps == 1 && colBlocks > (splitCols ? cores : 1)) ||
                stepsResident || traits.prologue;
            // A core's row blocks all multiply the same B: loaded once.
            s.residentB = !splitCols && !batched && kSteps == 1 &&
                          colBlocks == 1 && blocksPerCore > 1;
            s.loadA =
                stepsResident
                    ? occupancy(double(std::min(m, m0) * k *
                                       std::max<int64_t>(lhsBytes, 2)),
                                std::min(m, m0) * kSteps)
                    : occupancy(
                          double(m0 * k0 * std::max<int64_t>(lhsBytes, 2)),
                          rowsOf(std::min(m, m0), k0 >= k, k, k0, 2));
            // A packed panel is contiguous in DRAM; row-major B is when a
            // block spans its width.
            int64_t panelWidth = packedPanel(traits, n, n0);
            s.loadB = occupancy(
                double(k0 * n0 * std::max<int64_t>(rhsBytes, 2)),
                rowsOf(k0, n0 >= n || panelWidth, panelWidth ? n0 : n, n0, 2));
            if (traits.prologue) {
              // A comes in as f32; eight passes and two sums normalize it,
              // a conversion rounds it to bf16, one move puts it in ibuf.
              s.loadA = occupancy(double(std::min(m, m0) * k * 4), 1);
              s.prologue = normPrologueCycles(m0, k, target);
            }
            s.fill = occupancy(double(m0 * n0 * 4), 1);
            if (biasEpilogue)
              s.epilogueLoads += occupancy(double(n0 * 4), 1);
            if (residualEpilogue)
              s.epilogueLoads +=
                  occupancy(double(m0 * n0 * 4), rowsOf(m0, n0 >= n, n, n0, 4));
            s.mma = double(m0 / tile.m) * (k0 / tile.k) * (n0 / tile.n);
            // A normalization: two sums and six passes over the block.
            int64_t passes = int64_t(biasEpilogue) + int64_t(residualEpilogue) +
                             int64_t(geluEpilogue) + (traits.norm ? 8 : 0);
            s.vector =
                double(passes) *
                (double(m0 * n0 * 4) / double(target.vectorBytesPerCycle) +
                 double(target.vectorLatencyCycles));
            s.store =
                occupancy(double(m0 * n0 * 4), rowsOf(m0, n0 >= n, n, n0, 4));
            s.latency = double(target.dramLatencyCycles);
            // A normalized row block's products wait for its rows: the
            // kernel takes a core's row blocks one after the other.
            // With one row block a core, all of B comes in once after A's
            // rows (while the vector unit normalizes them), when it fits.
            if (traits.prologue && !splitCols) {
              s.cBlocks = colBlocks;
              // (Several column blocks: B packed in panels of them, one
              // contiguous run, each block a panel.)
              int64_t width = panelWidth ? panelWidth : roundUp(n, tile.n);
              s.residentB =
                  ceilDiv(rowBlocks, cores) == 1 && (panelWidth || n0 >= n) &&
                  ceilDiv(n, width) * k * pitch(width, 2, align) * 2 <=
                      int64_t(target.wbuf.sizeBytes);
              if (s.residentB)
                s.loadB = occupancy(double(k * n * 2), 1);
            }
            double cycles = simulateBlocks(s);
            if (traits.prologue && !splitCols)
              cycles *= double(ceilDiv(rowBlocks, cores));
            LLVM_DEBUG(llvm::dbgs() << llvm::formatv(
                           "matmul {0}x{1}x{2}: blocks {3}x{4}x{5} on {6} "
                           "cores{7}, {8} buffers: {9} cycles\n",
                           m, k, n, m0, k0, n0, cores,
                           splitCols ? " (columns)" : "", buffers, cycles));
            if (!best || cycles < best->cycles)
              best = MatmulBlocks{m0,         k0,     n0,      cores,
                                  splitCols,  cycles, buffers, stepsResident,
                                  s.residentB};
          }
        }
      }
  return best;
}

/// Products of a batch a core takes together so that its results start on
/// a granule of their own: one when a result matrix spans whole granules,
/// else enough of them to (Swin's 49 x 49 f32 scores: 16).
int64_t productsPerUnit(const TargetDesc &target, int64_t m, int64_t n,
                        int64_t outputBytes) {
  int64_t bytes = m * n * outputBytes;
  return target.alignmentBytes / std::gcd(bytes, target.alignmentBytes);
}

/// The blocks for whole products on each core when a batched product has
/// at least two units of them (productsPerUnit; each core then loads and
/// stores its own products, instead of every core loading all of each
/// right-hand matrix for its share of the rows), and the cycles of the
/// batch that way; nullopt when that does not apply or the cores splitting
/// each product are faster.
std::optional<MatmulBlocks>
productPerCore(const TargetDesc &target, int64_t batch, int64_t m, int64_t k,
               int64_t n, int64_t lhsBytes, int64_t rhsBytes,
               int64_t outputBytes, const MatmulBlocks &split) {
  int64_t unit = productsPerUnit(target, m, n, outputBytes);
  int64_t units = ceilDiv(batch, unit);
  if (batch < 2 || units < 2 || target.cores < 2)
    return std::nullopt;
  TargetDesc one = target;
  one.cores = 1;
  std::optional<MatmulBlocks> whole =
      chooseBlocks(one, m, k, n, lhsBytes, rhsBytes, outputBytes,
                   ProductTraits{/*batched=*/true});
  if (!whole)
    return std::nullopt;
  whole->cycles *= double(ceilDiv(units, int64_t(target.cores)) * unit);
  if (whole->cycles >= split.cycles * double(batch))
    return std::nullopt;
  whole->cores = std::min<int64_t>(target.cores, units);
  return whole;
}

/// Emits the tiled product into the kernel's body.
class MatmulTiler {
public:
  /// Local buffers go to `entry` (the kernel's entry block), so passes see
  /// them outside every loop.
  /// `bias`: a [1, N] row the vector unit adds to each block of C before
  /// the store (which applies the relu when `relu`); `gelu`: the vector
  /// unit's GELU op ("gelu" or "gelu_tanh", geluUnaryOf) on each block
  /// after that, or empty.
  /// `residual`: an [M, N] addend the vector unit adds to each block after
  /// the bias.
  MatmulTiler(OpBuilder &builder, Location loc, const TargetDesc &target,
              const MatmulBlocks &blocks, Value a, Value b, Value c,
              Block *entry, Value bias = {}, bool relu = false,
              StringRef gelu = {}, Value residual = {}, int64_t panel = 0,
              int64_t n = 0)
      : builder(builder), loc(loc), target(target), blocks(blocks), a(a), b(b),
        c(c), bias(bias), residual(residual), relu(relu), gelu(gelu),
        tile(target.matrixTiles.at(DType::BF16)), panel(panel), entry(entry) {
    auto aType = cast<MemRefType>(a.getType());
    m = aType.getDimSize(0);
    k = aType.getDimSize(1);
    this->n = panel ? n : cast<MemRefType>(b.getType()).getDimSize(1);
  }

  /// Normalizes each block's rows after the residual (`rows`: the scale
  /// and bias rows in DRAM, [1, N]).
  void normalize(const NormSpec &spec, ArrayRef<Value> rows) {
    norm = spec;
    normArgs.assign(rows.begin(), rows.end());
  }

  /// Normalizes each row block of A before its products (`rows`: the
  /// scale and bias rows in DRAM, [1, K]): A's rows come into vbuf as f32,
  /// the vector unit normalizes them, rounds them to bf16, and DMA moves
  /// them into ibuf, where every C block of the row block reads them. The
  /// blocks must take K in one step.
  void normalizeA(const NormSpec &spec, ArrayRef<Value> rows) {
    prologue = spec;
    prologueArgs.assign(rows.begin(), rows.end());
  }

  void emit();

  /// A layer group's stages (convertFfnPairKernel). `intoLocal`: each
  /// block's result, rounded to bf16, goes into `buffer` (ibuf, laid out
  /// as MatmulBlocks::residentA's K steps of the next product, each block
  /// a step of it) instead of to C. `setShape`: the product's M and K when
  /// A is such a local buffer, not a DRAM operand.
  void intoLocal(Value buffer) { localOut = buffer; }
  void setShape(int64_t rows, int64_t depth) {
    m = rows;
    k = depth;
  }
  /// Every C block of row block i, A's rows loaded once (emitRows).
  void emitRowBlock(Value i, int64_t rows) { emitRows(i, rows); }
  /// Row block i (one C block of every column) from A resident in
  /// `resident` (its K steps, MatmulBlocks::residentA's layout): the
  /// epilogue's operands and the first block of B are loaded before
  /// `ready` (what makes A resident) is emitted, so DMA-in streams B while
  /// A is still being made; each block of B past the `buffers` first is
  /// loaded after the product that frees its buffer.
  void emitStreamedRows(Value i, int64_t rows, Value resident,
                        function_ref<void()> ready);

private:
  /// A normalization's scale and bias rows ([1, length] in DRAM) into
  /// vbuf, once: `loaded` keeps them.
  void loadRows(ArrayRef<Value> args, int64_t length,
                SmallVectorImpl<Value> &loaded) {
    if (!loaded.empty())
      return;
    for (Value row : args) {
      Value buffer =
          alloc(1, length, builder.getF32Type(), npu::MemorySpace::vbuf);
      npu::DmaLoadOp::create(builder, loc, row, buffer, DenseI64ArrayAttr());
      loaded.push_back(buffer);
    }
  }
  void loadNormRows() { loadRows(normArgs, n, normRows); }
  void loadPrologueRows() { loadRows(prologueArgs, k, prologueRows); }
  /// Normalizes `matrix`'s rows (vbuf, [rows, length]) in place with
  /// emitNorm, its per-row scalars in a buffer of their own and `squares`
  /// (of `matrix`'s type) for the squares.
  void normalizeRows(const NormSpec &spec, Value matrix, ArrayRef<Value> rows,
                     Value squares) {
    auto type = cast<MemRefType>(matrix.getType());
    Value scalars;
    {
      OpBuilder::InsertionGuard guard(builder);
      builder.setInsertionPointToStart(entry);
      scalars = memref::AllocOp::create(
          builder, loc,
          MemRefType::get({type.getDimSize(0)}, builder.getF32Type(),
                          MemRefLayoutAttrInterface(), type.getMemorySpace()));
    }
    emitNorm(
        builder, loc, spec, matrix, scalars,
        [&] {
          return reinterpretView(builder, loc, scalars, builder.getIndexAttr(0),
                                 type.getShape(), {1, 0});
        },
        rows, squares);
  }
  /// A's row block i normalized into ibuf (normalizeA). With `defer`, the
  /// move into ibuf waits in pendingMove for the first block's load of B
  /// (DMA-in runs in order, and the move waits for the vector unit).
  Value normalizedRows(Value i, int64_t rows, bool defer = false);
  void emitPendingMove() {
    if (!pendingMove.first)
      return;
    npu::DmaMoveOp::create(builder, loc, pendingMove.first, pendingMove.second,
                           DenseI64ArrayAttr());
    pendingMove = {};
  }
  Value index(int64_t value) {
    return arith::ConstantIndexOp::create(builder, loc, value);
  }
  Value alloc(int64_t rows, int64_t cols, Type element, npu::MemorySpace space);
  Value view(Value source, ArrayRef<OpFoldResult> offsets, int64_t rows,
             int64_t cols);
  /// `zeroed`: the padding is already zero (filled before a loop whose
  /// loads all cover the same region).
  void load(Value src, Value row, Value col, int64_t rows, int64_t cols,
            Value buffer, int kAxis, bool zeroed = false);
  void emitRows(Value i, int64_t rows);
  /// `resident`: A's row block, loaded once for all of its C blocks (K in
  /// one step), or null to load it per block.
  void emitBlock(Value i, Value j, int64_t rows, int64_t cols,
                 Value resident = {});
  /// A C block's epilogue operands in vbuf: the bias row and the residual
  /// block (null when there is none).
  struct Epilogue {
    Value row, addend;
  };
  Epilogue loadEpilogueOf(Value i, Value j, int64_t rows, int64_t cols);
  /// The vector unit's epilogue of C block (i, j) in `acc`, then its store
  /// (or its move into localOut).
  void finishBlock(Value i, Value j, int64_t rows, int64_t cols, Value acc,
                   const Epilogue &epilogue);
  /// A's row block i of `rows` rows loaded once into a buffer of its own
  /// for every C block of the row: with K in one step, or every step's
  /// block in turn when the blocks say so (MatmulBlocks::residentA); null
  /// otherwise.
  Value residentRows(Value i, int64_t rows);
  /// The left operand of the product at K offset `p` in such a buffer.
  Value residentStep(Value resident, Value p, int64_t rows);
  void loop(Value lower, Value upper, int64_t step,
            function_ref<void(Value)> body) {
    scf::ForOp forOp =
        tiling::loopUnlessOnce(builder, loc, lower, upper, step, body);
    // A layer group's loop over C blocks streams B's blocks as deep as its
    // K loop's (intoLocal: nothing else of the kernel is in flight then).
    if (forOp && localOut && blocks.buffers > 2)
      forOp->setAttr(npu::kBuffersAttrName,
                     builder.getI64IntegerAttr(blocks.buffers));
  }

  OpBuilder &builder;
  Location loc;
  const TargetDesc &target;
  MatmulBlocks blocks;
  Value a, b, c, bias, residual;
  bool relu;
  StringRef gelu;
  const MatrixTile &tile;
  /// B packed in column panels this wide ([panels * K, panel], packedPanel),
  /// or 0 for row-major [K, N].
  int64_t panel;
  /// B in wbuf for every block of the core (MatmulBlocks::residentB).
  Value residentRhs;
  /// Where each block's bf16 result goes instead of C (intoLocal).
  Value localOut;
  /// The normalization after the residual, its rows in DRAM and in vbuf.
  std::optional<NormSpec> norm;
  SmallVector<Value, 2> normArgs, normRows;
  /// The normalization of A's rows before the products (normalizeA).
  std::optional<NormSpec> prologue;
  SmallVector<Value, 2> prologueArgs, prologueRows;
  /// The normalized rows' move (from vbuf, into ibuf) not yet emitted.
  std::pair<Value, Value> pendingMove;
  int64_t m, k, n;
  Block *entry = nullptr;
};

Value MatmulTiler::alloc(int64_t rows, int64_t cols, Type element,
                         npu::MemorySpace space) {
  return allocTile(builder, loc, entry, rows, cols, element, space,
                   target.alignmentBytes);
}

Value MatmulTiler::view(Value source, ArrayRef<OpFoldResult> offsets,
                        int64_t rows, int64_t cols) {
  SmallVector<OpFoldResult> sizes = {builder.getIndexAttr(rows),
                                     builder.getIndexAttr(cols)};
  SmallVector<OpFoldResult> strides = {builder.getIndexAttr(1),
                                       builder.getIndexAttr(1)};
  return memref::SubViewOp::create(builder, loc, source, offsets, sizes,
                                   strides);
}

/// DMA-loads rows x cols of `src` at (row, col) into the top-left corner of
/// `buffer`, zeroing the buffer first when the block does not fill it along
/// K (`kAxis`: 0 when the rows run along K, 1 the columns, -1 neither), or
/// at all before a normalization (its sums span the block's columns), and
/// the padding is not `zeroed` already. Padding rows and columns of C take
/// whatever the padding of M and N holds: no store reads them, and a
/// product's rows and columns do not mix.
void MatmulTiler::load(Value src, Value row, Value col, int64_t rows,
                       int64_t cols, Value buffer, int kAxis, bool zeroed) {
  auto type = cast<MemRefType>(buffer.getType());
  Value dst = buffer;
  if (rows != type.getDimSize(0) || cols != type.getDimSize(1)) {
    bool kPadded = (kAxis == 0 && rows != type.getDimSize(0)) ||
                   (kAxis == 1 && cols != type.getDimSize(1));
    if (!zeroed && (kPadded || norm))
      npu::FillOp::create(builder, loc, buffer, 0);
    dst = view(buffer, {builder.getIndexAttr(0), builder.getIndexAttr(0)}, rows,
               cols);
  }
  npu::DmaLoadOp::create(builder, loc, view(src, {row, col}, rows, cols), dst,
                         DenseI64ArrayAttr());
}

Value MatmulTiler::normalizedRows(Value i, int64_t rows, bool defer) {
  // (Loaded once; emit() loads them before the cores' code, a layer
  // group's stage here, in its one core body.)
  loadPrologueRows();
  int64_t rowsPadded = roundUp(rows, tile.m);
  Type f32 = builder.getF32Type(), bf16 = builder.getBF16Type();
  auto vbuf = npu::MemorySpace::vbuf;
  // Padding rows are zeros: their normalization stays finite, and no store
  // reads the products of them.
  Value x = alloc(rowsPadded, k, f32, vbuf);
  Value dst = x;
  if (rows != rowsPadded) {
    npu::FillOp::create(builder, loc, x, 0);
    dst = view(x, {builder.getIndexAttr(0), builder.getIndexAttr(0)}, rows, k);
  }
  npu::DmaLoadOp::create(builder, loc,
                         view(a, {i, builder.getIndexAttr(0)}, rows, k), dst,
                         DenseI64ArrayAttr());
  // All of B, when the blocks keep it (a core's one row block): after A's
  // rows, so the normalization starts first. Packed in panels, B is one
  // contiguous run and each column block a panel.
  if (blocks.residentB) {
    int64_t width = panel ? panel : roundUp(n, tile.n);
    int64_t panels = panel ? ceilDiv(n, panel) : 1;
    if (!residentRhs)
      residentRhs = alloc(panels * k, width, bf16, npu::MemorySpace::wbuf);
    load(b, index(0), index(0), panels * k, panel ? panel : n, residentRhs,
         /*kAxis=*/0);
  }
  normalizeRows(*prologue, x, prologueRows, alloc(rowsPadded, k, f32, vbuf));
  // Rounded to bf16 (what the product does to its operand) in vbuf, then
  // moved as a whole into ibuf.
  Value staged = alloc(rowsPadded, k, bf16, vbuf);
  npu::VCvtOp::create(builder, loc, x, staged);
  Value lhs = alloc(rowsPadded, k, bf16, npu::MemorySpace::ibuf);
  pendingMove = {staged, lhs};
  if (!defer)
    emitPendingMove();
  return lhs;
}

Value MatmulTiler::residentRows(Value i, int64_t rows) {
  if (prologue)
    return normalizedRows(i, rows);
  int64_t rowsPadded = roundUp(rows, tile.m);
  if (k <= blocks.k0) {
    Value lhs = alloc(rowsPadded, roundUp(k, tile.k), builder.getBF16Type(),
                      npu::MemorySpace::ibuf);
    load(a, i, index(0), rows, k, lhs, /*kAxis=*/1);
    return lhs;
  }
  if (!blocks.residentA)
    return {};
  // Every K step's block [rowsPadded, k0] in turn, loaded by one transfer
  // of A's rows seen as [steps, rows, k0].
  int64_t steps = k / blocks.k0;
  Value lhs = alloc(steps * rowsPadded, blocks.k0, builder.getBF16Type(),
                    npu::MemorySpace::ibuf);
  if (rows != rowsPadded && norm)
    npu::FillOp::create(builder, loc, lhs, 0);
  int64_t rowPitch = pitch(blocks.k0, 2, target.alignmentBytes);
  Value offset = builder.createOrFold<arith::MulIOp>(loc, i, index(k));
  Value src = reinterpretView(builder, loc, a, offset, {steps, rows, blocks.k0},
                              {blocks.k0, k, 1});
  Value dst = reinterpretView(builder, loc, lhs, builder.getIndexAttr(0),
                              {steps, rows, blocks.k0},
                              {rowsPadded * rowPitch, rowPitch, 1});
  npu::DmaLoadOp::create(builder, loc, src, dst, DenseI64ArrayAttr());
  return lhs;
}

Value MatmulTiler::residentStep(Value resident, Value p, int64_t rows) {
  if (k <= blocks.k0)
    return resident;
  int64_t rowsPadded = roundUp(rows, tile.m);
  int64_t rowPitch = pitch(blocks.k0, 2, target.alignmentBytes);
  // p is a multiple of k0, a power of two (a K of several steps takes
  // blockSizes' doublings of the tile), whose aligned pitch is a multiple
  // of it: block p / k0 starts at element p * rowsPadded * (pitch / k0).
  assert(rowPitch % blocks.k0 == 0 && "a K step's pitch is a multiple of it");
  Value offset = builder.createOrFold<arith::MulIOp>(
      loc, p, index(rowsPadded * (rowPitch / blocks.k0)));
  return reinterpretView(builder, loc, resident, offset,
                         {rowsPadded, blocks.k0}, {rowPitch, 1});
}

void MatmulTiler::emitBlock(Value i, Value j, int64_t rows, int64_t cols,
                            Value resident) {
  int64_t rowsPadded = roundUp(rows, tile.m);
  int64_t colsPadded = roundUp(cols, tile.n);
  Type bf16 = builder.getBF16Type(), f32 = builder.getF32Type();
  // A block of one product starts its accumulator with it (a fill would
  // put the block's bytes of zeros on DMA-in ahead of its loads). Over a
  // loop of products the accumulator starts from zero: peeling the first
  // would take the loop's buffers out of its sole use, so they would no
  // longer be double-buffered.
  Value acc = alloc(rowsPadded, colsPadded, f32, npu::MemorySpace::acc);
  int64_t fullK = k / blocks.k0, edgeK = k % blocks.k0;
  bool started = fullK + (edgeK > 0 ? 1 : 0) > 1;
  // Before a loop of products the epilogue's operands load first: DMA-in
  // runs in order, and after the loop they would wait for its last product
  // to release its buffers. After a single product, whose own operands
  // should land first.
  Epilogue epilogue;
  auto loadEpilogue = [&] { epilogue = loadEpilogueOf(i, j, rows, cols); };
  bool products = started;
  if (products)
    loadEpilogue();
  if (started)
    npu::FillOp::create(builder, loc, acc, 0);
  auto step = [&](Value p, int64_t depth) {
    int64_t depthPadded = roundUp(depth, tile.k);
    // A resident row block is the left operand of every product.
    Value lhs =
        resident ? resident
                 : alloc(rowsPadded, depthPadded, bf16, npu::MemorySpace::ibuf);
    Value rhs = residentRhs ? residentRhs
                            : alloc(depthPadded, colsPadded, bf16,
                                    npu::MemorySpace::wbuf);
    return std::make_tuple(lhs, rhs, depth);
  };
  auto multiply = [&](Value p, Value lhs, Value rhs, int64_t depth,
                      bool zeroed) {
    if (resident)
      lhs = residentStep(resident, p, rows);
    else
      load(a, i, p, rows, depth, lhs, /*kAxis=*/1, zeroed);
    if (residentRhs) {
      // Loaded once for the core's blocks (emit, normalizedRows); with
      // several column blocks, block j is panel j / panel of it.
      if (panel) {
        int64_t panelPitch = pitch(panel, 2, target.alignmentBytes);
        Value offset = builder.createOrFold<arith::MulIOp>(
            loc,
            builder.createOrFold<arith::ShRUIOp>(loc, j,
                                                 index(llvm::Log2_64(panel))),
            index(k * panelPitch));
        rhs = reinterpretView(builder, loc, residentRhs, offset,
                              {k, roundUp(cols, tile.n)}, {panelPitch, 1});
      }
    } else if (panel) {
      // Block (p, j) is rows p.. of panel j / panel, a contiguous run.
      Value panelIndex = builder.createOrFold<arith::ShRUIOp>(
          loc, j, index(llvm::Log2_64(panel)));
      Value row = builder.createOrFold<arith::AddIOp>(
          loc, builder.createOrFold<arith::MulIOp>(loc, panelIndex, index(k)),
          p);
      load(b, row, index(0), depth, cols, rhs, /*kAxis=*/0, zeroed);
    } else {
      load(b, p, j, depth, cols, rhs, /*kAxis=*/0, zeroed);
    }
    // Normalized rows of A move into ibuf once B's first block is on its
    // way.
    emitPendingMove();
    auto mma = npu::MmaOp::create(builder, loc, lhs, rhs, acc);
    mma.setAccumulate(started);
    started = true;
  };
  if (fullK > 0) {
    // Every load of the loop covers the same region, whole along K (k0 is
    // a multiple of the tile): the padding, of M and N, is zeroed once only
    // before a normalization.
    auto [lhs, rhs, depth] = step(Value(), blocks.k0);
    if (rows != rowsPadded && !resident && norm)
      npu::FillOp::create(builder, loc, lhs, 0);
    if (cols != colsPadded && norm && !residentRhs)
      npu::FillOp::create(builder, loc, rhs, 0);
    if (fullK == 1)
      multiply(index(0), lhs, rhs, depth, /*zeroed=*/true);
    else {
      scf::ForOp kLoop = tiling::loop(
          builder, loc, index(0), index(fullK * blocks.k0), blocks.k0,
          [&, lhs = lhs, rhs = rhs, depth = depth](Value p) {
            multiply(p, lhs, rhs, depth, /*zeroed=*/true);
          });
      if (blocks.buffers > 2)
        kLoop->setAttr(npu::kBuffersAttrName,
                       builder.getI64IntegerAttr(blocks.buffers));
    }
  }
  if (edgeK > 0) {
    auto [lhs, rhs, depth] = step(Value(), edgeK);
    multiply(index(fullK * blocks.k0), lhs, rhs, depth, /*zeroed=*/false);
  }
  if (!products)
    loadEpilogue();
  finishBlock(i, j, rows, cols, acc, epilogue);
}

MatmulTiler::Epilogue MatmulTiler::loadEpilogueOf(Value i, Value j,
                                                  int64_t rows, int64_t cols) {
  Epilogue epilogue;
  if (!bias)
    return epilogue;
  int64_t rowsPadded = roundUp(rows, tile.m);
  int64_t colsPadded = roundUp(cols, tile.n);
  Type f32 = builder.getF32Type();
  epilogue.row = alloc(1, colsPadded, f32, npu::MemorySpace::vbuf);
  load(bias, index(0), j, 1, cols, epilogue.row, /*kAxis=*/-1);
  if (residual) {
    epilogue.addend =
        alloc(rowsPadded, colsPadded, f32, npu::MemorySpace::vbuf);
    load(residual, i, j, rows, cols, epilogue.addend, /*kAxis=*/-1);
  }
  return epilogue;
}

void MatmulTiler::finishBlock(Value i, Value j, int64_t rows, int64_t cols,
                              Value acc, const Epilogue &epilogue) {
  int64_t rowsPadded = roundUp(rows, tile.m);
  int64_t colsPadded = roundUp(cols, tile.n);
  Type f32 = builder.getF32Type();
  Value row = epilogue.row, addend = epilogue.addend;
  Value result = acc;
  if (bias) {
    // The bias row comes into vbuf; the vector unit adds it, repeated at
    // stride 0, to every row of the block on the way to a vbuf block.
    Value out = alloc(rowsPadded, colsPadded, f32, npu::MemorySpace::vbuf);
    auto vbuf = cast<MemRefType>(row.getType()).getMemorySpace();
    SmallVector<int64_t> shape = {rowsPadded, colsPadded};
    Value repeated = memref::ReinterpretCastOp::create(
        builder, loc,
        MemRefType::get(shape, f32,
                        StridedLayoutAttr::get(builder.getContext(), 0, {0, 1}),
                        vbuf),
        row, 0, shape, ArrayRef<int64_t>{0, 1});
    npu::VBinOp::create(builder, loc, "add", acc, repeated, out);
    result = out;
    if (residual) {
      npu::VBinOp::create(builder, loc, "add", out, addend, out);
    }
    if (norm) {
      // Blocks span every column (chooseBlocks): whole rows. The residual's
      // block is free once added: it takes the squares.
      normalizeRows(
          *norm, out, normRows,
          addend ? addend
                 : alloc(rowsPadded, colsPadded, f32, npu::MemorySpace::vbuf));
    }
  }
  if (!gelu.empty()) {
    // Out of the accumulator into vbuf, or in place after the bias.
    Value out =
        bias ? result
             : alloc(rowsPadded, colsPadded, f32, npu::MemorySpace::vbuf);
    npu::VUnOp::create(builder, loc, gelu, result, out);
    result = out;
  }
  if (localOut) {
    // Rounded to bf16 (what the next product does to its operand) into the
    // next product's K step j / cols: at element j * rowsPadded of the
    // buffer (in vbuf: moved on as a whole, so DMA-in streams the weights
    // meanwhile), the block being a whole step (cols its k0).
    Value offset =
        builder.createOrFold<arith::MulIOp>(loc, j, index(rowsPadded));
    npu::VCvtOp::create(builder, loc, result,
                        reinterpretView(builder, loc, localOut, offset,
                                        {rowsPadded, colsPadded},
                                        {colsPadded, 1}));
    return;
  }
  if (rows != rowsPadded || cols != colsPadded)
    result = view(result, {builder.getIndexAttr(0), builder.getIndexAttr(0)},
                  rows, cols);
  npu::DmaStoreOp::create(builder, loc, result, view(c, {i, j}, rows, cols))
      .setRelu(relu);
}

void MatmulTiler::emitStreamedRows(Value i, int64_t rows, Value resident,
                                   function_ref<void()> ready) {
  loadNormRows();
  int64_t rowsPadded = roundUp(rows, tile.m);
  int64_t colsPadded = roundUp(n, tile.n);
  Epilogue epilogue = loadEpilogueOf(i, index(0), rows, n);
  Value acc = alloc(rowsPadded, colsPadded, builder.getF32Type(),
                    npu::MemorySpace::acc);
  int64_t steps = k / blocks.k0;
  SmallVector<Value> rhs;
  for (int64_t p = 0; p < std::min(blocks.buffers, steps); ++p)
    rhs.push_back(alloc(blocks.k0, colsPadded, builder.getBF16Type(),
                        npu::MemorySpace::wbuf));
  auto loadStep = [&](int64_t p) {
    load(b, index(p * blocks.k0), index(0), blocks.k0, n, rhs[p % rhs.size()],
         /*kAxis=*/0);
  };
  // B's first block ahead of what makes A resident, the others after it:
  // a DMA-in signal covers every transfer before it, so the first product
  // waits for that block and A only.
  loadStep(0);
  ready();
  for (int64_t p = 1; p < int64_t(rhs.size()); ++p)
    loadStep(p);
  for (int64_t p = 0; p < steps; ++p) {
    auto mma = npu::MmaOp::create(
        builder, loc, residentStep(resident, index(p * blocks.k0), rows),
        rhs[p % rhs.size()], acc);
    // The first product starts the accumulator (no fill on DMA-in).
    mma.setAccumulate(p > 0);
    if (p + int64_t(rhs.size()) < steps)
      loadStep(p + rhs.size());
  }
  finishBlock(i, index(0), rows, n, acc, epilogue);
}

/// A row block of C: every column block.
void MatmulTiler::emitRows(Value i, int64_t rows) {
  int64_t fullN = n / blocks.n0, edgeN = n % blocks.n0;
  // A's rows serve every C block of the row (normalized, also one).
  if (prologue) {
    // The first block out of the loop: its load of B goes ahead of the
    // normalized rows' move (emitted once, after that load).
    Value resident = normalizedRows(i, rows, /*defer=*/true);
    int64_t first = fullN > 0 ? blocks.n0 : edgeN;
    emitBlock(i, index(0), rows, first, resident);
    if (fullN > 1)
      loop(index(blocks.n0), index(fullN * blocks.n0), blocks.n0,
           [&](Value j) { emitBlock(i, j, rows, blocks.n0, resident); });
    if (fullN > 0 && edgeN > 0)
      emitBlock(i, index(fullN * blocks.n0), rows, edgeN, resident);
    return;
  }
  Value resident =
      fullN + (edgeN > 0 ? 1 : 0) > 1 ? residentRows(i, rows) : Value();
  if (fullN > 0)
    loop(index(0), index(fullN * blocks.n0), blocks.n0,
         [&](Value j) { emitBlock(i, j, rows, blocks.n0, resident); });
  if (edgeN > 0)
    emitBlock(i, index(fullN * blocks.n0), rows, edgeN, resident);
}

void MatmulTiler::emit() {
  // A normalization's scale and bias rows, loaded once.
  loadNormRows();
  loadPrologueRows();
  int64_t fullM = m / blocks.m0, edgeM = m % blocks.m0;
  if (blocks.splitCols) {
    // One row block (chooseBlocks): the cores take its column blocks.
    int64_t rows = fullM > 0 ? blocks.m0 : edgeM;
    int64_t fullN = n / blocks.n0, edgeN = n % blocks.n0;
    // Every core's C blocks take the same rows of A: loaded once when a
    // core has more than one.
    Value resident = prologue || fullN + (edgeN > 0 ? 1 : 0) > blocks.cores ||
                             blocks.residentA
                         ? residentRows(index(0), rows)
                         : Value();
    auto edge = [&](Value j) { emitBlock(index(0), j, rows, edgeN, resident); };
    splitOverCores(
        builder, loc, fullN, blocks.n0, blocks.cores,
        [&](Value j) { emitBlock(index(0), j, rows, blocks.n0, resident); },
        edgeN > 0 ? function_ref<void(Value)>(edge) : nullptr);
    return;
  }
  if (blocks.residentB && !prologue) {
    // K in one step and N one block: every row block multiplies all of B
    // (its padding of N zeroed before a normalization, as a block's is).
    residentRhs = alloc(roundUp(k, tile.k), roundUp(n, tile.n),
                        builder.getBF16Type(), npu::MemorySpace::wbuf);
    bool padsN = n != roundUp(n, tile.n);
    if (norm && padsN)
      npu::FillOp::create(builder, loc, residentRhs, 0);
    load(b, index(0), index(0), k, n, residentRhs, /*kAxis=*/0,
         /*zeroed=*/norm && padsN);
  }
  auto edge = [&](Value i) { emitRows(i, edgeM); };
  splitOverCores(
      builder, loc, fullM, blocks.m0, blocks.cores,
      [&](Value i) { emitRows(i, blocks.m0); },
      edgeM > 0 ? function_ref<void(Value)>(edge) : nullptr);
}

/// Bytes per element of `value` in DRAM: its element type's, or those of
/// the kernel argument a storage cast widens into it.
int64_t dramBytesOf(Value value) {
  if (auto arg = dyn_cast<BlockArgument>(throughStorage(value)))
    if (auto kernel = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
        kernel && arg.getArgNumber() < kernel.getNumArguments())
      return bytesOf(
          getElementTypeOrSelf(kernel.getArgumentTypes()[arg.getArgNumber()]));
  return bytesOf(getElementTypeOrSelf(value.getType()));
}

/// Bytes per element in DRAM of the result of `op`, the first op of a
/// kernel function: the function's result type's, else the op's.
int64_t resultDramBytesOf(Operation *op) {
  auto kernel = op->getParentOfType<func::FuncOp>();
  if (kernel && kernel->hasAttr(npu::kTargetAttrName) &&
      kernel.getNumResults() == 1)
    return bytesOf(getElementTypeOrSelf(kernel.getResultTypes()[0]));
  return bytesOf(getElementTypeOrSelf(op->getResult(0).getType()));
}

/// The epilogue of a convolution kernel's body `ops` (the conv2d first, then
/// the residual add and the relu or clip that follow it, each the previous
/// one's only user; the residual is the body's last argument), or nullopt
/// when `ops` is not that.
std::optional<tiling::ConvEpilogue> convEpilogueOf(ArrayRef<Operation *> ops,
                                                   Block &body) {
  auto conv =
      ops.empty() ? graph::Conv2dOp() : dyn_cast<graph::Conv2dOp>(ops.front());
  if (!conv || ops.size() > 7)
    return std::nullopt;
  tiling::ConvEpilogue epilogue;
  bool chained = true;
  Value at = conv.getResult();
  for (size_t i = 1; i < ops.size(); ++i) {
    Operation *next = ops[i];
    // A SiLU or hardswish of the running value ends the chain.
    if (SmallVector<Operation *, 2> silu = siluOf(at);
        !silu.empty() && ArrayRef(ops).drop_front(i) == ArrayRef(silu)) {
      epilogue.silu = true;
      break;
    }
    if (SmallVector<Operation *, 5> hardSwish = hardSwishOf(at);
        !hardSwish.empty() &&
        ArrayRef(ops).drop_front(i) == ArrayRef(hardSwish)) {
      epilogue.hardswish = true;
      break;
    }
    chained &= at.hasOneUse() && *at.getUsers().begin() == next;
    if (llvm::isa<graph::SigmoidOp>(next)) {
      epilogue.sigmoid = true;
      chained &= next == ops.back();
      at = next->getResult(0);
      continue;
    }
    if (auto add = dyn_cast<graph::AddOp>(next)) {
      // The residual is the kernel's last argument (kernelOperands).
      Value other = add.getLhs() == at ? add.getRhs() : add.getLhs();
      chained &= !epilogue.residual && next == ops[1] &&
                 throughStorage(other) == body.getArguments().back() &&
                 other.getType() == at.getType();
      epilogue.residual = true;
    } else if (auto clip = dyn_cast<graph::ClipOp>(next)) {
      epilogue.clip = true;
      if (std::optional<APFloat> min = clip.getMin())
        epilogue.min = min->convertToFloat();
      if (std::optional<APFloat> max = clip.getMax())
        epilogue.max = max->convertToFloat();
      chained &= next == ops.back();
    } else {
      epilogue.relu = llvm::isa<graph::ReluOp>(next);
      chained &= epilogue.relu && next == ops.back();
    }
    at = next->getResult(0);
  }
  if (!chained)
    return std::nullopt;
  // A clip's lower bound of +0 (ReLU6) goes to the store's relu when the
  // clip is the last vector step: x < 0 ? +0 : x is max(x, +0) for every
  // x (-0 and NaN included, docs/isa.md), and it commutes with the upper
  // bound, so the vector unit saves a pass and the sums stay bit for bit.
  if (epilogue.clip && epilogue.min && *epilogue.min == 0.0f &&
      !std::signbit(*epilogue.min) && !epilogue.silu && !epilogue.hardswish &&
      !epilogue.sigmoid) {
    epilogue.relu = true;
    epilogue.min.reset();
    epilogue.clip = epilogue.max.has_value();
  }
  return epilogue;
}

/// A transformer's feed-forward block as one kernel (a layer group,
/// docs/layer-groups.md): x @ W1 + b1, a GELU, @ W2 + b2, plus a residual,
/// then a layer normalization or not; the body sinan-form-layer-groups
/// merges from the two launches, arguments [x, W1, b1, W2, b2, residual,
/// scale, bias] (the normalization's as it has them).
struct FfnPair {
  graph::MatMulOp first, second;
  StringRef gelu;
  graph::LayerNormOp norm;
  /// A pre-norm block's normalization of x first (normPrologueOf), its
  /// scale and bias the kernel's last arguments.
  graph::LayerNormOp prologue;
};

/// The shapes the pair runs in: x as [m, k1], W1 [k1, n1], W2 [n1, n2];
/// the cores take `rows` rows each, the hidden layer's columns a step of
/// `step` at a time (a C block of the first product, a K step of the
/// second).
struct FfnPlan {
  int64_t m, k1, n1, n2, rows, cores, step;
};

/// The hidden layer's column blocks and the second product's K steps: the
/// first product's C block is a whole K step of the second.
constexpr int64_t kFfnStep = 256;
/// Copies of each stage's weight blocks in flight.
constexpr int64_t kFfnBuffers = 3;

std::optional<FfnPair> matchFfnPair(ArrayRef<Operation *> all, Block &body,
                                    graph::LayerNormOp prologue = {}) {
  // The hidden layer is stored as bf16 between the two launches it came
  // from (sinan-snpu-bf16-activations): those casts are no step here.
  SmallVector<Operation *> ops;
  for (Operation *op : all)
    if (!isStorageCast(op))
      ops.push_back(op);
  auto isArg = [&](Value value, unsigned i) {
    return value && i < body.getNumArguments() &&
           throughStorage(value) == body.getArgument(i);
  };
  auto pastCasts = [](Value value) {
    while (value.hasOneUse() && isStorageCast(*value.getUsers().begin()))
      value = value.getUsers().begin()->getResult(0);
    return value;
  };
  auto other = [](graph::AddOp add, Value value) -> Value {
    if (add.getLhs() == value)
      return add.getRhs();
    return add.getRhs() == value ? add.getLhs() : Value();
  };
  if (ops.size() < 6)
    return std::nullopt;
  auto first = dyn_cast<graph::MatMulOp>(ops[0]);
  auto bias1 = dyn_cast<graph::AddOp>(ops[1]);
  bool lhs = prologue ? throughStorage(first ? first.getLhs() : Value()) ==
                            prologue.getResult()
                      : isArg(first ? first.getLhs() : Value(), 0);
  if (!first || !bias1 || !lhs || !first->hasOneUse() ||
      !isArg(other(bias1, first.getResult()), 2))
    return std::nullopt;
  SmallVector<Operation *, 5> gelu = geluOf(bias1.getResult());
  size_t at = 2 + gelu.size();
  if (gelu.empty() || ops.size() < at + 3 ||
      !llvm::equal(gelu, ArrayRef(ops).slice(2, gelu.size())))
    return std::nullopt;
  Value hidden = pastCasts(gelu.back()->getResult(0));
  auto second = dyn_cast<graph::MatMulOp>(ops[at]);
  auto bias2 = dyn_cast<graph::AddOp>(ops[at + 1]);
  auto residual = dyn_cast<graph::AddOp>(ops[at + 2]);
  if (!second || !bias2 || !residual || second.getLhs() != hidden ||
      !hidden.hasOneUse() || !second->hasOneUse() || !bias2->hasOneUse() ||
      !isArg(other(bias2, second.getResult()), 4) ||
      !isArg(other(residual, bias2.getResult()), 5))
    return std::nullopt;
  graph::LayerNormOp norm;
  if (ops.size() == at + 4) {
    norm = dyn_cast<graph::LayerNormOp>(ops[at + 3]);
    if (!norm || norm.getInput() != residual.getResult() ||
        !residual->hasOneUse() || !isArg(norm.getScale(), 6) ||
        (norm.getBias() && !isArg(norm.getBias(), 7)))
      return std::nullopt;
  } else if (ops.size() != at + 3) {
    return std::nullopt;
  }
  unsigned arguments = norm ? (norm.getBias() ? 8 : 7) : 6;
  if (prologue) {
    if (norm || !isArg(prologue.getScale(), arguments) ||
        (prologue.getBias() && !isArg(prologue.getBias(), arguments + 1)))
      return std::nullopt;
    arguments += prologue.getBias() ? 2 : 1;
  }
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  if (body.getNumArguments() != arguments || ret.getNumOperands() != 1 ||
      throughStorage(ret.getOperand(0)) != ops.back()->getResult(0))
    return std::nullopt;
  return FfnPair{first, second, geluUnaryOf(gelu), norm, prologue};
}

/// The pair's shapes when the SNPU runs it as one kernel: constant weights,
/// x's rows in one K step, whole hidden steps, the cores splitting the rows
/// in whole tiles (a normalization needs whole rows of the result).
std::optional<FfnPlan> planFfnPair(FfnPair pair, const TargetDesc &target) {
  auto found = target.matrixTiles.find(DType::BF16);
  if (found == target.matrixTiles.end() ||
      !snpuPacksMatmulWeights(pair.first) ||
      !snpuPacksMatmulWeights(pair.second) ||
      !isSnpuMatmul(pair.first, target) || !isSnpuMatmul(pair.second, target))
    return std::nullopt;
  const MatrixTile &tile = found->second;
  auto lhs = cast<RankedTensorType>(pair.first.getLhs().getType());
  auto w1 = cast<RankedTensorType>(pair.first.getRhs().getType());
  auto w2 = cast<RankedTensorType>(pair.second.getRhs().getType());
  // x may be stored as bf16 (sinan-snpu-bf16-activations): the DMA widens
  // or narrows it on the way into ibuf either way.
  if (!(lhs.getElementType().isF32() || lhs.getElementType().isBF16()) ||
      w1.getRank() != 2 || w2.getRank() != 2)
    return std::nullopt;
  FfnPlan plan;
  plan.m = lhs.getNumElements() / lhs.getShape().back();
  plan.k1 = w1.getDimSize(0);
  plan.n1 = w1.getDimSize(1);
  plan.n2 = w2.getDimSize(1);
  plan.step = kFfnStep;
  if (plan.k1 > plan.step || plan.k1 % tile.k || plan.n1 % plan.step ||
      plan.n2 % tile.n || plan.step % tile.n ||
      (pair.norm && !snpuFusesNorm(pair.second, pair.norm, target)))
    return std::nullopt;
  plan.cores = target.cores;
  while (plan.cores > 1 && plan.m % (plan.cores * tile.m))
    --plan.cores;
  plan.rows = plan.m / plan.cores;
  // A core's rows of the hidden layer stay in ibuf: a few tiles of rows.
  if (plan.rows % tile.m || plan.rows > 4 * tile.m)
    return std::nullopt;
  return plan;
}

/// Cycles of the pair on `target`, stage by stage as the kernel runs them:
/// every core streams both products' weights (its rows need every column
/// of the hidden layer and of the result), each stage bound by its weights'
/// DMA or its products, plus a DRAM latency and one block's products
/// exposed (the second stage's weights share wbuf with the first's, so they
/// stream once its last product has freed a buffer); then the last block's
/// vector passes and the store.
double estimateFfnCycles(const FfnPlan &p, const TargetDesc &target,
                         bool norm) {
  const MatrixTile &tile = target.matrixTiles.at(DType::BF16);
  double dma = double(target.dmaBytesPerCycle);
  double latency = double(target.dramLatencyCycles + target.dmaSetupCycles);
  int64_t rowTiles = p.rows / tile.m, steps = p.n1 / p.step;
  auto stage = [&](double bytes, int64_t stepMacs) {
    double block = double(rowTiles * stepMacs);
    return std::max(bytes / dma, double(steps) * block) + latency + block;
  };
  double first = stage(2.0 * double(p.k1 * p.n1) + 4.0 * double(p.rows * p.k1),
                       (p.k1 / tile.k) * (p.step / tile.n));
  double second = stage(2.0 * double(p.n1 * p.n2) + 4.0 * double(p.rows * p.n2),
                        (p.step / tile.k) * (p.n2 / tile.n));
  double weights = 2.0 * double(p.k1 * p.n1 + p.n1 * p.n2);
  double dram = double(p.cores) * weights / double(target.dramBytesPerCycle);
  double block = 4.0 * double(p.rows * p.n2);
  // Bias, residual and the normalization's passes over the last block.
  double passes = norm ? 10.0 : 2.0;
  double tail = passes * (block / double(target.vectorBytesPerCycle) +
                          double(target.vectorLatencyCycles)) +
                block / dma + latency;
  return std::max(first + second, dram) + tail;
}

/// The pair on memrefs: per core, its rows of x in ibuf, W1 in steps of
/// columns into the accumulators, each step's bias and GELU on the vector
/// unit and rounded to bf16 into ibuf as a K step of the hidden layer; then
/// W2 over those steps, the bias, the residual and the normalization, one
/// store. The hidden layer never leaves the core.
LogicalResult convertFfnPairKernel(func::FuncOp kernel, FfnPair pair,
                                   const FfnPlan &plan,
                                   const TargetDesc &target) {
  Location loc = pair.first.getLoc();
  auto weightsOf = [](graph::MatMulOp matmul) {
    return tiling::weightValues(cast<DenseElementsAttr>(
        matmul.getRhs().getDefiningOp<graph::ConstantOp>().getValue()));
  };
  SmallVector<float> w1 = weightsOf(pair.first), w2 = weightsOf(pair.second);
  // (Read before the body, and the ops with it, is replaced.)
  std::optional<NormSpec> prologueSpec;
  bool prologueBias = pair.prologue && pair.prologue.getBias();
  unsigned prologueArgs = kernel.getNumArguments() - (prologueBias    ? 2
                                                      : pair.prologue ? 1
                                                                      : 0);
  if (pair.prologue)
    prologueSpec =
        NormSpec{false, plan.k1, pair.prologue.getEpsilon().convertToFloat()};
  std::optional<NormSpec> normSpec;
  bool normBias = false;
  if (pair.norm) {
    normSpec =
        NormSpec{false, plan.n2, pair.norm.getEpsilon().convertToFloat()};
    normBias = bool(pair.norm.getBias());
  }
  StringRef gelu = pair.gelu;
  Type outType = kernel.getResultTypes().front();
  Block &body = replaceBodyWithMemRefs(kernel, outType);
  OpBuilder builder(kernel.getContext());
  builder.setInsertionPointToStart(&body);
  auto matrix = [&](Value value, int64_t rows, int64_t cols) {
    return reinterpretView(builder, loc, value, builder.getIndexAttr(0),
                           {rows, cols}, {cols, 1});
  };
  auto packed = [&](ArrayRef<float> values, int64_t rows, int64_t cols) {
    std::vector<uint16_t> bits(values.size());
    for (auto [i, v] : llvm::enumerate(values))
      bits[i] = floatToBF16(v);
    memref::GlobalOp global = tiling::addWeightsGlobal(
        kernel, tiling::bf16Attr(kernel.getContext(), bits, rows, cols), loc,
        target);
    return memref::GetGlobalOp::create(builder, loc, global.getType(),
                                       global.getSymName())
        .getResult();
  };
  Value x = matrix(body.getArgument(0), plan.m, plan.k1);
  Value out = matrix(body.getArguments().back(), plan.m, plan.n2);
  Value addend = matrix(body.getArgument(5), plan.m, plan.n2);
  Value row1 = matrix(body.getArgument(2), 1, plan.n1);
  Value row2 = matrix(body.getArgument(4), 1, plan.n2);
  Value b1 = packed(w1, plan.k1, plan.n1), b2 = packed(w2, plan.n1, plan.n2);
  const MatrixTile &tile = target.matrixTiles.at(DType::BF16);
  int64_t steps = plan.n1 / plan.step;
  int64_t hiddenRows = steps * roundUp(plan.rows, tile.m);
  auto hiddenIn = [&](npu::MemorySpace space) {
    return allocTile(builder, loc, &body, hiddenRows, plan.step,
                     builder.getBF16Type(), space, target.alignmentBytes);
  };
  Value staged = hiddenIn(npu::MemorySpace::vbuf);
  Value hidden = hiddenIn(npu::MemorySpace::ibuf);
  // Weights stream three blocks deep (a block's DRAM latency beside the
  // two before it); the two stages' buffers share wbuf by liveness.
  MatmulBlocks one{plan.rows, plan.k1, plan.step, plan.cores};
  MatmulBlocks two{plan.rows, plan.step, plan.n2, plan.cores};
  one.buffers = two.buffers = kFfnBuffers;
  MatmulTiler up(builder, loc, target, one, x, b1, out, &body, row1, false,
                 gelu);
  up.intoLocal(staged);
  MatmulTiler down(builder, loc, target, two, x, b2, out, &body, row2, false,
                   StringRef(), addend);
  down.setShape(plan.m, plan.n1);
  if (normSpec) {
    SmallVector<Value, 2> rows = {matrix(body.getArgument(6), 1, plan.n2)};
    if (normBias)
      rows.push_back(matrix(body.getArgument(7), 1, plan.n2));
    down.normalize(*normSpec, rows);
  }
  if (prologueSpec) {
    SmallVector<Value, 2> rows = {
        matrix(body.getArgument(prologueArgs), 1, plan.k1)};
    if (prologueBias)
      rows.push_back(matrix(body.getArgument(prologueArgs + 1), 1, plan.k1));
    up.normalizeA(*prologueSpec, rows);
  }
  splitOverCores(
      builder, loc, plan.cores, plan.rows, plan.cores,
      [&](Value i) {
        up.emitRowBlock(i, plan.rows);
        down.emitStreamedRows(i, plan.rows, hidden, [&] {
          npu::DmaMoveOp::create(builder, loc, staged, hidden,
                                 DenseI64ArrayAttr());
        });
      },
      nullptr);
  finishKernel(builder, kernel, plan.cores, {plan.rows, plan.step, plan.n2},
               "ffn-pair");
  return success();
}

/// A layer normalization over the last axis that a kernel computes first,
/// of its first argument, whose result only the matrix product after it
/// reads (through storage casts), as its left operand of a whole number of
/// matrix tiles: the norm and product group sinan-form-layer-groups makes,
/// whose kernel normalizes the product's rows in local memory
/// (MatmulTiler::normalizeA). Null otherwise. `ops` may hold storage casts.
graph::LayerNormOp normPrologueOf(ArrayRef<Operation *> ops,
                                  const TargetDesc &target) {
  auto norm = ops.empty() ? graph::LayerNormOp()
                          : dyn_cast<graph::LayerNormOp>(ops.front());
  if (!norm)
    return {};
  auto type = dyn_cast<RankedTensorType>(norm.getType());
  auto input = dyn_cast<BlockArgument>(throughStorage(norm.getInput()));
  int64_t rank = type ? type.getRank() : 0, axis = norm.getAxis();
  if (!type || !type.hasStaticShape() || rank < 2 || !input ||
      input.getArgNumber() != 0 ||
      (axis < 0 ? axis + rank : axis) != rank - 1 ||
      !llvm::isa<BlockArgument>(norm.getScale()) ||
      (norm.getBias() && !llvm::isa<BlockArgument>(norm.getBias())))
    return {};
  // Down the storage casts to the product.
  Value value = norm.getResult();
  while (value.hasOneUse() && isStorageCast(*value.getUsers().begin()))
    value = value.getUsers().begin()->getResult(0);
  if (!value.hasOneUse())
    return {};
  auto matmul = dyn_cast<graph::MatMulOp>(*value.getUsers().begin());
  if (!matmul || matmul.getLhs() != value || matmul.getRhs() == value)
    return {};
  auto rhs = dyn_cast<RankedTensorType>(matmul.getRhs().getType());
  const MatrixTile &tile = target.matrixTiles.at(DType::BF16);
  if (!rhs || rhs.getRank() != 2 || type.getShape().back() % tile.k)
    return {};
  return norm;
}

LogicalResult convertKernel(func::FuncOp kernel) {
  const TargetDesc *target = npu::targetOf(kernel);
  if (!target)
    return failure();
  // Arguments and results kept as bf16 are converted by the DMA.
  peelStorageCasts(kernel);
  Block &body = kernel.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  // Constants (a convolution's weights) are copied in by the outlining.
  SmallVector<Operation *> ops;
  for (Operation &op : body.without_terminator())
    if (!llvm::isa<graph::ConstantOp>(op))
      ops.push_back(&op);
  // A layer normalization of a product's rows first: the product's tiler
  // normalizes them (its arguments the last ones); the rest is a product
  // kernel's.
  graph::LayerNormOp prologue = normPrologueOf(ops, *target);
  if (prologue)
    ops.erase(ops.begin(), llvm::find_if(ops, llvm::IsaPred<graph::MatMulOp>));
  // A transformer's feed-forward block, as one kernel.
  if (std::optional<FfnPair> ffn = matchFfnPair(ops, body, prologue)) {
    if (std::optional<FfnPlan> plan = planFfnPair(*ffn, *target))
      return convertFfnPairKernel(kernel, *ffn, *plan, *target);
  }
  // A grid convolution and the 1x1 convolution after it, as one kernel.
  if (std::optional<tiling::ConvPair> pair =
          tiling::matchConvPair(ops, kernel, *target))
    return tiling::convertConvPairKernel(kernel, *pair, *target);
  // A convolution, with the residual add and the relu or clip that follow
  // it, each the previous one's only user.
  if (std::optional<tiling::ConvEpilogue> epilogue = convEpilogueOf(ops, body);
      epilogue && ret.getNumOperands() == 1 &&
      ret.getOperand(0) == ops.back()->getResult(0)) {
    auto conv = cast<graph::Conv2dOp>(ops.front());
    if (!isSnpuConv(conv, *target))
      return conv.emitError(
          "the SNPU tiles static NCHW f32/bf16 convolutions with constant "
          "weights and groups of at least a matrix tile of channels, on a "
          "target with a bf16 matrix unit whose local memories hold a "
          "block of one output row");
    return convertConvKernel(kernel, conv, *epilogue, *target);
  }
  // Attention: scores, softmax and weighted values of a block of queries
  // in local memory.
  // (With the reshapes, transposes and slices it reads and writes through.)
  if (auto it = llvm::find_if(ops, llvm::IsaPred<graph::AttentionOp>);
      it != ops.end())
    return convertAttentionKernel(kernel, cast<graph::AttentionOp>(*it),
                                  *target);
  // An elementwise op, streamed through the vector unit, with the relu
  // that follows it (a binary op with a column as a chain of one step
  // below, when its chunks fit: runsAsColumnChain).
  if (!ops.empty() && ops.size() <= 2 && ret.getNumOperands() == 1 &&
      !llvm::isa<graph::MatMulOp, graph::Conv2dOp>(ops.front()) &&
      isSnpuElementwise(ops.front(), *target) &&
      !runsAsColumnChain(ops.front(), *target,
                         resultDramBytesOf(ops.front()))) {
    auto relu =
        ops.size() == 2 ? dyn_cast<graph::ReluOp>(ops.back()) : graph::ReluOp();
    Value result =
        relu ? Value(relu.getOutput()) : Value(ops.front()->getResult(0));
    if ((ops.size() == 1 ||
         (relu && relu.getInput() == ops.front()->getResult(0))) &&
        ret.getOperand(0) == result)
      return convertElementwiseKernel(kernel, ops.front(), bool(relu), *target);
  }
  // A chain of elementwise ops, each on the result of the one before.
  if (!ops.empty() && ret.getNumOperands() == 1 &&
      ret.getOperand(0) == ops.back()->getResult(0) &&
      llvm::none_of(ops, llvm::IsaPred<graph::MatMulOp, graph::Conv2dOp>))
    return convertElementwiseChain(kernel, ops, *target);
  // A matrix product, with the bias row added after it (the kernel's third
  // argument) and the relu after that.
  // (At most the product, its bias row and a tanh-form GELU's ten ops.)
  auto matmul = !ops.empty() && ops.size() <= 12
                    ? dyn_cast<graph::MatMulOp>(ops.front())
                    : graph::MatMulOp();
  bool bias = false, relu = false, gelu = false, residual = false,
       chained = bool(matmul);
  StringRef geluName = "gelu";
  graph::LayerNormOp norm;
  if (matmul && ops.size() > 1) {
    auto add = dyn_cast<graph::AddOp>(ops[1]);
    Value other = !add                                 ? Value()
                  : add.getLhs() == matmul.getResult() ? add.getRhs()
                                                       : add.getLhs();
    bias = add && body.getNumArguments() >= 3 && other == body.getArgument(2) &&
           matmul->hasOneUse();
    // Then a relu, or a GELU of the sum (or of the product alone).
    ArrayRef<Operation *> rest = ArrayRef(ops).drop_front(bias ? 2 : 1);
    Value at = bias ? add.getResult() : matmul.getResult();
    relu = bias && rest.size() == 1 && llvm::isa<graph::ReluOp>(rest[0]) &&
           rest[0]->getOperand(0) == at && at.hasOneUse();
    gelu = !rest.empty() && llvm::equal(geluOf(at), rest);
    if (gelu)
      geluName = geluUnaryOf(rest);
    // Or the residual after the bias (the kernel's fourth argument), and
    // a layer normalization of the sum (its scale and bias the fifth and
    // sixth).
    norm = rest.size() == 2 ? dyn_cast<graph::LayerNormOp>(rest[1])
                            : graph::LayerNormOp();
    auto second = rest.size() == 1 || norm ? dyn_cast<graph::AddOp>(rest[0])
                                           : graph::AddOp();
    residual =
        bias && second && body.getNumArguments() >= 4 && at.hasOneUse() &&
        ((second.getLhs() == at && second.getRhs() == body.getArgument(3)) ||
         (second.getRhs() == at && second.getLhs() == body.getArgument(3)));
    if (norm &&
        !(residual && norm.getInput() == second.getResult() &&
          second->hasOneUse() && norm.getScale() == body.getArgument(4) &&
          (!norm.getBias() || norm.getBias() == body.getArgument(5)) &&
          snpuFusesNorm(matmul, norm, *target)))
      norm = graph::LayerNormOp();
    chained = (bias || gelu) && (rest.empty() || relu || gelu ||
                                 (residual && rest.size() == 1) || norm);
  }
  unsigned arguments = norm       ? (norm.getBias() ? 6u : 5u)
                       : residual ? 4u
                       : bias     ? 3u
                                  : 2u;
  // The prologue's scale and bias rows follow the product's arguments.
  unsigned prologueArgs = arguments;
  if (prologue)
    arguments += prologue.getBias() ? 2 : 1;
  if (prologue && (norm || !matmul || body.getNumArguments() != arguments ||
                   prologue.getScale() != body.getArgument(prologueArgs) ||
                   (prologue.getBias() &&
                    prologue.getBias() != body.getArgument(prologueArgs + 1))))
    return prologue.emitError("the SNPU normalizes a product's rows before "
                              "it only for a product without a "
                              "normalization of its own, the normalization's "
                              "scale and bias its last arguments");
  if (!chained || ret.getNumOperands() != 1 ||
      ret.getOperand(0) != ops.back()->getResult(0) ||
      body.getNumArguments() != arguments)
    return kernel.emitError(
        "an SNPU kernel must compute one graph.matmul "
        "of its two arguments (with the bias row and "
        "relu, GELU or residual that follow it), one graph.conv2d "
        "(with "
        "the residual add and relu or clip that follow "
        "it), or one elementwise op the vector unit "
        "runs");
  if (!isSnpuMatmul(matmul, *target))
    return matmul.emitError("the SNPU tiles static non-empty f32/bf16 "
                            "matrix products [batch..., M, K] x [K, N] or "
                            "with equal batch dimensions on both sides, on a "
                            "target with a bf16 matrix unit");
  auto lhsType = cast<RankedTensorType>(matmul.getLhs().getType());
  auto rhsType = cast<RankedTensorType>(matmul.getRhs().getType());
  auto outType = cast<RankedTensorType>(matmul.getType());
  int64_t rank = lhsType.getRank();
  bool batched = rhsType.getRank() > 2;
  int64_t batch = 1, m = lhsType.getDimSize(rank - 2);
  for (int64_t d : lhsType.getShape().drop_back(2))
    (batched ? batch : m) *= d;
  int64_t k = lhsType.getShape().back(), n = rhsType.getShape().back();
  Type element = lhsType.getElementType();
  // A constant right operand (a layer's weights) is packed as bf16 at
  // compile time, into the kernel's read-only data.
  auto weights =
      snpuPacksMatmulWeights(matmul)
          ? cast<DenseElementsAttr>(
                matmul.getRhs().getDefiningOp<graph::ConstantOp>().getValue())
          : nullptr;
  int64_t lhsBytes =
              dramBytesOf(prologue ? prologue.getInput() : matmul.getLhs()),
          outBytes = resultDramBytesOf(matmul);
  ProductTraits traits{batched, bool(bias),          bool(residual),
                       gelu,    weights && !batched, bool(norm)};
  traits.prologue = bool(prologue);
  std::optional<MatmulBlocks> blocks =
      chooseBlocks(*target, m, k, n, lhsBytes, weights ? 2 : bytesOf(element),
                   outBytes, traits);
  if (!blocks)
    return matmul.emitError()
           << "target " << target->name << ": no block of its bf16 matrix "
           << "tile fits the local memories twice (local.ibuf.size_kib = "
           << target->ibuf.sizeBytes / 1024
           << ", local.wbuf.size_kib = " << target->wbuf.sizeBytes / 1024
           << ", local.acc.size_kib = " << target->acc.sizeBytes / 1024
           << "; matrix.bf16 tile " << target->matrixTiles.at(DType::BF16).m
           << "x" << target->matrixTiles.at(DType::BF16).k << "x"
           << target->matrixTiles.at(DType::BF16).n << ")";

  // The normalization's rows and epsilon, read before its op goes with the
  // body.
  std::optional<NormSpec> normSpec, prologueSpec;
  bool normBias = false, prologueBias = false;
  if (norm) {
    normSpec = NormSpec{false, n, norm.getEpsilon().convertToFloat()};
    normBias = bool(norm.getBias());
  }
  if (prologue) {
    prologueSpec = NormSpec{false, k, prologue.getEpsilon().convertToFloat()};
    prologueBias = bool(prologue.getBias());
  }
  Location loc = matmul.getLoc();
  // Replace the body: the new one works on memrefs, inputs then outputs.
  Block &newBody = replaceBodyWithMemRefs(kernel, outType);
  OpBuilder builder(kernel.getContext());
  builder.setInsertionPointToStart(&newBody);
  // Leading dimensions collapse (the operands are contiguous): into M for
  // [batch..., M, K] x [K, N], into one batch dimension otherwise.
  auto collapse = [&](Value value, int64_t keep) -> Value {
    auto type = cast<MemRefType>(value.getType());
    int64_t lead = type.getRank() - keep;
    if (lead <= 1)
      return value;
    SmallVector<ReassociationIndices> groups(1);
    for (int64_t d = 0; d < lead; ++d)
      groups[0].push_back(d);
    for (int64_t d = lead; d < type.getRank(); ++d)
      groups.push_back({d});
    return memref::CollapseShapeOp::create(builder, loc, value, groups);
  };
  Value a = newBody.getArgument(0), b = newBody.getArgument(1),
        c = newBody.getArguments().back();
  int64_t panel = packedPanel(traits, n, blocks->n0);
  if (weights) {
    // Row-major [K, N], or column panels [panels * K, panel] (the last one
    // zero-padded) where each block of B is one contiguous run.
    SmallVector<float> values = tiling::weightValues(weights);
    int64_t width = panel ? panel : n, panels = panel ? ceilDiv(n, panel) : 1;
    std::vector<uint16_t> bits(panels * k * width, 0);
    for (int64_t r = 0; r < k; ++r)
      for (int64_t col = 0; col < n; ++col)
        bits[((col / width) * k + r) * width + col % width] =
            floatToBF16(values[r * n + col]);
    memref::GlobalOp global = tiling::addWeightsGlobal(
        kernel, tiling::bf16Attr(kernel.getContext(), bits, panels * k, width),
        loc, *target);
    b = memref::GetGlobalOp::create(builder, loc, global.getType(),
                                    global.getSymName());
  }
  if (!batched) {
    a = collapse(a, 1);
    c = collapse(c, 1);
    // A row of N ([N] or [1, ..., 1, N]) as [1, N].
    auto asRow = [&](Value row) -> Value {
      if (cast<MemRefType>(row.getType()).getRank() > 1)
        return collapse(row, 1);
      return memref::ExpandShapeOp::create(
          builder, loc, SmallVector<int64_t>{1, n}, row,
          ArrayRef<ReassociationIndices>{{0, 1}});
    };
    Value row = bias ? asRow(newBody.getArgument(2)) : Value();
    Value addend = residual ? collapse(newBody.getArgument(3), 1) : Value();
    MatmulTiler tiler(builder, loc, *target, *blocks, a, b, c, &newBody, row,
                      relu, gelu ? geluName : StringRef(), addend, panel, n);
    if (normSpec) {
      SmallVector<Value, 2> rows = {asRow(newBody.getArgument(4))};
      if (normBias)
        rows.push_back(asRow(newBody.getArgument(5)));
      tiler.normalize(*normSpec, rows);
    }
    if (prologueSpec) {
      // (K is the product's, the normalization's length.)
      auto kRow = [&](Value row) -> Value {
        if (cast<MemRefType>(row.getType()).getRank() > 1)
          return collapse(row, 1);
        return memref::ExpandShapeOp::create(
            builder, loc, SmallVector<int64_t>{1, k}, row,
            ArrayRef<ReassociationIndices>{{0, 1}});
      };
      SmallVector<Value, 2> rows = {kRow(newBody.getArgument(prologueArgs))};
      if (prologueBias)
        rows.push_back(kRow(newBody.getArgument(prologueArgs + 1)));
      tiler.normalizeA(*prologueSpec, rows);
    }
    tiler.emit();
  } else {
    a = collapse(a, 2);
    b = collapse(b, 2);
    c = collapse(c, 2);
    // One product per batch, on 2-D views of the batch's matrices.
    auto matrix = [&](Value value, Value index) -> Value {
      auto type = cast<MemRefType>(value.getType());
      SmallVector<OpFoldResult> offsets = {index, builder.getIndexAttr(0),
                                           builder.getIndexAttr(0)};
      SmallVector<OpFoldResult> sizes = {
          builder.getIndexAttr(1), builder.getIndexAttr(type.getDimSize(1)),
          builder.getIndexAttr(type.getDimSize(2))};
      SmallVector<OpFoldResult> strides(3, builder.getIndexAttr(1));
      auto result = memref::SubViewOp::inferRankReducedResultType(
          {type.getDimSize(1), type.getDimSize(2)}, type, offsets, sizes,
          strides);
      return memref::SubViewOp::create(builder, loc, cast<MemRefType>(result),
                                       value, offsets, sizes, strides);
    };
    if (std::optional<MatmulBlocks> whole =
            productPerCore(*target, batch, m, k, n, lhsBytes, bytesOf(element),
                           outBytes, *blocks)) {
      // Each core its products, each product on that core alone; units of
      // products when one result is not whole granules.
      MatmulBlocks alone = *whole;
      alone.cores = 1;
      auto product = [&](Value index) {
        MatmulTiler(builder, loc, *target, alone, matrix(a, index),
                    matrix(b, index), matrix(c, index), &newBody)
            .emit();
      };
      int64_t unit = productsPerUnit(*target, m, n, outBytes);
      auto products = [&](Value first, int64_t count) {
        if (count == 1)
          return product(first);
        tiling::loop(builder, loc,
                     arith::ConstantIndexOp::create(builder, loc, 0),
                     arith::ConstantIndexOp::create(builder, loc, count), 1,
                     [&](Value i) {
                       product(arith::AddIOp::create(builder, loc, first, i));
                     });
      };
      // (productPerCore's cores are at most the units.)
      int64_t full = batch / unit, rest = batch % unit;
      splitOverCores(
          builder, loc, full, unit, whole->cores,
          [&](Value first) { products(first, unit); },
          rest ? function_ref<void(Value)>(
                     [&](Value first) { products(first, rest); })
               : nullptr);
      finishKernel(builder, kernel, whole->cores,
                   {whole->m0, whole->k0, whole->n0});
      return success();
    }
    auto loop = scf::ForOp::create(
        builder, loc, arith::ConstantIndexOp::create(builder, loc, 0),
        arith::ConstantIndexOp::create(builder, loc, batch),
        arith::ConstantIndexOp::create(builder, loc, 1));
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToStart(loop.getBody());
    Value index = loop.getInductionVar();
    MatmulTiler(builder, loc, *target, *blocks, matrix(a, index),
                matrix(b, index), matrix(c, index), &newBody)
        .emit();
  }
  finishKernel(builder, kernel, blocks->cores,
               {blocks->m0, blocks->k0, blocks->n0});
  return success();
}

struct ConvertGraphToNpuPass
    : public sinan::impl::ConvertGraphToNpuBase<ConvertGraphToNpuPass> {
  void runOnOperation() override {
    SmallVector<func::FuncOp> kernels;
    getOperation().walk([&](func::FuncOp func) {
      if (func->hasAttr(npu::kTargetAttrName) &&
          llvm::any_of(func.getArgumentTypes(),
                       [](Type t) { return llvm::isa<TensorType>(t); }))
        kernels.push_back(func);
    });
    for (func::FuncOp kernel : kernels)
      if (failed(convertKernel(kernel)))
        return signalPassFailure();
  }
};

} // namespace

std::string sinan::snpuMatmulRefusal(Operation *op, const TargetDesc &target) {
  auto matmul = dyn_cast<graph::MatMulOp>(op);
  if (!matmul)
    return "not a matrix product";
  if (!target.matrixTiles.count(DType::BF16))
    return "target " + target.name + " has no bf16 matrix unit";
  auto lhs = dyn_cast<RankedTensorType>(matmul.getLhs().getType());
  auto rhs = dyn_cast<RankedTensorType>(matmul.getRhs().getType());
  auto out = dyn_cast<RankedTensorType>(matmul.getType());
  for (RankedTensorType type : {lhs, rhs, out}) {
    if (!type || !type.hasStaticShape())
      return "dynamic shape (fix it with --input-shape)";
    if (type.getRank() < 2)
      return "a vector operand (rank 1); the matrix unit takes matrices";
    if (type.getNumElements() == 0)
      return "empty";
    if (!(type.getElementType().isF32() || type.getElementType().isBF16()))
      return "elements are not f32 or bf16";
  }
  if (rhs.getRank() != 2 &&
      (lhs.getRank() != rhs.getRank() ||
       lhs.getShape().drop_back(2) != rhs.getShape().drop_back(2)))
    return "broadcast batch dimensions";
  return "";
}

bool sinan::snpuPacksMatmulWeights(Operation *op) {
  auto matmul = dyn_cast<graph::MatMulOp>(op);
  if (!matmul ||
      cast<RankedTensorType>(matmul.getRhs().getType()).getRank() != 2)
    return false;
  auto constant = matmul.getRhs().getDefiningOp<graph::ConstantOp>();
  return constant && llvm::isa<DenseElementsAttr>(constant.getValue());
}

bool sinan::snpuFusesNorm(Operation *op, Operation *normOp,
                          const TargetDesc &target) {
  auto matmul = dyn_cast<graph::MatMulOp>(op);
  auto norm = dyn_cast_or_null<graph::LayerNormOp>(normOp);
  if (!matmul || !norm || !isSnpuMatmul(matmul, target) ||
      !target.matrixTiles.count(DType::BF16))
    return false;
  auto lhs = cast<RankedTensorType>(matmul.getLhs().getType());
  auto rhs = cast<RankedTensorType>(matmul.getRhs().getType());
  auto out = dyn_cast<RankedTensorType>(norm.getType());
  if (rhs.getRank() != 2 || !out || out != matmul.getType())
    return false;
  int64_t rank = out.getRank(), axis = norm.getAxis();
  if (axis < 0)
    axis += rank;
  int64_t n = rhs.getDimSize(1), k = rhs.getDimSize(0);
  // Padded columns would join the rows' sums.
  if (axis != rank - 1 || n % target.matrixTiles.at(DType::BF16).n)
    return false;
  auto isRow = [&](Value value) {
    auto type = value ? dyn_cast<RankedTensorType>(value.getType())
                      : RankedTensorType();
    return type && type.hasStaticShape() && type.getElementType().isF32() &&
           type.getNumElements() == n && type.getShape().back() == n;
  };
  if (!isRow(norm.getScale()) || (norm.getBias() && !isRow(norm.getBias())))
    return false;
  int64_t m = lhs.getNumElements() / k;
  int64_t lhsBytes = bytesOf(lhs.getElementType()),
          outBytes = bytesOf(out.getElementType());
  std::optional<MatmulBlocks> fused =
      chooseBlocks(target, m, k, n, lhsBytes, 2, outBytes,
                   ProductTraits{false, true, true, false, true, true});
  std::optional<MatmulBlocks> alone =
      chooseBlocks(target, m, k, n, lhsBytes, 2, outBytes,
                   ProductTraits{false, true, true, false, true, false});
  if (!fused || !alone)
    return false;
  // Blocks of whole rows may cost more than the normalization's own
  // kernel saves (snpu-edge's small memories force short blocks that
  // reload B): that kernel reads and writes the rows once, at the DRAM
  // latency each way, and makes ten passes over them on the vector unit.
  // Fused only when whole-row blocks cost less than the product's own
  // blocks plus half that kernel.
  double bytes = double(m * n * 4), cores = double(target.cores);
  double normKernel =
      2.0 * double(target.dramLatencyCycles + target.dmaSetupCycles) +
      2.0 * bytes /
          std::min<double>(double(target.dramBytesPerCycle),
                           double(target.dmaBytesPerCycle) * cores) +
      10.0 * bytes / cores / double(target.vectorBytesPerCycle);
  // Half of it: the block estimates are off by up to half on snpu-edge
  // (ViT's final norm there estimated a gain and lost 57 %).
  return fused->cycles <= alone->cycles + normKernel / 2;
}

bool sinan::isSnpuMatmul(Operation *op, const TargetDesc &target) {
  return snpuMatmulRefusal(op, target).empty();
}

static std::optional<double> estimateMatmulCycles(graph::MatMulOp matmul,
                                                  const TargetDesc &target,
                                                  ProductTraits epilogue);

std::optional<double> sinan::estimateKernelCycles(func::FuncOp kernel,
                                                  const TargetDesc &target) {
  SmallVector<Operation *> ops = kernelBodyOps(kernel);
  if (ops.empty())
    return std::nullopt;
  if (std::optional<double> pair = estimateFfnPairCycles(kernel, target))
    return pair;
  if (auto conv = dyn_cast<graph::Conv2dOp>(ops.front())) {
    std::optional<tiling::ConvEpilogue> epilogue =
        convEpilogueOf(ops, kernel.getBody().front());
    return epilogue && isSnpuConv(conv, target)
               ? tiling::estimateConvCycles(conv, target, *epilogue)
               : std::nullopt;
  }
  if (auto pool = dyn_cast<graph::MaxPool2dOp>(ops.front()))
    return tiling::estimateMaxPoolCycles(pool, target);
  if (auto attention = dyn_cast<graph::AttentionOp>(ops.front()))
    return tiling::estimateAttentionCycles(attention, target);
  if (std::optional<double> chain = snpuChainCycles(kernel, target))
    return chain;
  // A concatenation's moves stream its bytes, at the types the kernel keeps
  // in DRAM (sinan-snpu-bf16-activations), through vbuf on every core, a
  // load's and a store's latency after. (The schedule may make it a view,
  // which moves nothing.)
  if (llvm::isa<graph::ConcatOp>(ops.front()) && ops.size() == 1) {
    double bytes = 0;
    auto add = [&](Type type) {
      auto shaped = cast<ShapedType>(type);
      bytes += double(shaped.getNumElements()) *
               double(shaped.getElementTypeBitWidth() / 8);
    };
    llvm::for_each(kernel.getArgumentTypes(), add);
    llvm::for_each(kernel.getResultTypes(), add);
    double dram =
        std::min<double>(double(target.dmaBytesPerCycle) * target.cores,
                         double(target.dramBytesPerCycle));
    return bytes / dram + 2.0 * target.dramLatencyCycles +
           2.0 * target.dmaSetupCycles;
  }
  // A norm and product group: the product's, with A normalized first.
  ProductTraits epilogue;
  if (normPrologueOf(ops, target)) {
    ops.erase(ops.begin());
    epilogue.prologue = true;
    if (llvm::any_of(ops, llvm::IsaPred<graph::LayerNormOp>))
      return std::nullopt;
  }
  auto matmul = dyn_cast<graph::MatMulOp>(ops.front());
  if (!matmul || !isSnpuMatmul(matmul, target))
    return std::nullopt;
  // The kernel's epilogue (convertKernel's forms): the vector passes each
  // block pays before its store.
  epilogue.bias = ops.size() > 1 && llvm::isa<graph::AddOp>(ops[1]);
  Value at = ops[epilogue.bias ? 1 : 0]->getResult(0);
  epilogue.gelu = !geluOf(at).empty();
  epilogue.norm = llvm::any_of(ops, llvm::IsaPred<graph::LayerNormOp>);
  epilogue.residual = !epilogue.gelu && epilogue.bias && ops.size() > 2 &&
                      llvm::isa<graph::AddOp>(ops[2]);
  return estimateMatmulCycles(matmul, target, epilogue);
}

std::optional<double> sinan::estimateFfnPairCycles(func::FuncOp kernel,
                                                   const TargetDesc &target) {
  SmallVector<Operation *> ops = kernelBodyOps(kernel);
  graph::LayerNormOp prologue = normPrologueOf(ops, target);
  if (prologue)
    ops.erase(ops.begin());
  std::optional<FfnPair> pair =
      matchFfnPair(ops, kernel.getBody().front(), prologue);
  std::optional<FfnPlan> plan =
      pair ? planFfnPair(*pair, target) : std::nullopt;
  if (!plan)
    return std::nullopt;
  double cycles = estimateFfnCycles(*plan, target, bool(pair->norm));
  // x's rows normalized before the first products, not overlapped.
  if (prologue)
    cycles += normPrologueCycles(plan->rows, plan->k1, target);
  return cycles;
}

/// The estimate of a matmul kernel whose vector epilogue `epilogue` gives
/// (bias, residual, GELU, normalization: the passes over each block).
static std::optional<double> estimateMatmulCycles(graph::MatMulOp matmul,
                                                  const TargetDesc &target,
                                                  ProductTraits epilogue) {
  auto lhsType = cast<RankedTensorType>(matmul.getLhs().getType());
  auto rhsType = cast<RankedTensorType>(matmul.getRhs().getType());
  int64_t rank = lhsType.getRank();
  bool batched = rhsType.getRank() > 2;
  int64_t batch = 1, m = lhsType.getDimSize(rank - 2);
  for (int64_t d : lhsType.getShape().drop_back(2))
    (batched ? batch : m) *= d;
  int64_t lhsBytes = dramBytesOf(matmul.getLhs()),
          rhsBytes = bytesOf(rhsType.getElementType()),
          outBytes = resultDramBytesOf(matmul);
  bool packed = snpuPacksMatmulWeights(matmul);
  ProductTraits traits = epilogue;
  traits.batched = batched;
  traits.panels = packed && !batched;
  std::optional<MatmulBlocks> blocks = chooseBlocks(
      target, m, lhsType.getShape().back(), rhsType.getShape().back(), lhsBytes,
      packed ? 2 : rhsBytes, outBytes, traits);
  if (!blocks)
    return std::nullopt;
  if (std::optional<MatmulBlocks> whole =
          batched ? productPerCore(target, batch, m, lhsType.getShape().back(),
                                   rhsType.getShape().back(), lhsBytes,
                                   packed ? 2 : rhsBytes, outBytes, *blocks)
                  : std::nullopt)
    return whole->cycles;
  return blocks->cycles * double(batch);
}

std::optional<double> sinan::estimateSnpuCycles(Operation *op,
                                                const TargetDesc &target) {
  if (isSnpuConv(op, target))
    return tiling::estimateConvCycles(cast<graph::Conv2dOp>(op), target);
  if (auto attention = dyn_cast<graph::AttentionOp>(op))
    return tiling::estimateAttentionCycles(attention, target);
  if (!isSnpuMatmul(op, target))
    return std::nullopt;
  return estimateMatmulCycles(cast<graph::MatMulOp>(op), target,
                              ProductTraits());
}

/// Whether operand `operand` of ops[i] is copied into the kernel instead of
/// passed: a one-element constant of an op past the first (the vector
/// unit's scalar), but not a matrix product's bias or a convolution's
/// residual (an add right after it), which stay the arguments the tiler
/// reads.
static bool copiedIn(ArrayRef<Operation *> ops, size_t i, Value operand) {
  auto constant = operand.getDefiningOp<graph::ConstantOp>();
  bool tiled = llvm::isa<graph::MatMulOp, graph::Conv2dOp>(ops.front());
  return constant && i > 0 &&
         !(tiled && i == 1 && llvm::isa<graph::AddOp>(ops[1])) &&
         cast<ShapedType>(constant.getType()).getNumElements() == 1;
}

std::optional<ConvSummation>
sinan::snpuConvSummation(ArrayRef<Operation *> ops, const TargetDesc &target) {
  std::optional<tiling::ConvEpilogue> epilogue =
      ops.empty() ? std::nullopt
                  : convEpilogueOf(ops, *ops.front()->getBlock());
  if (!epilogue)
    return std::nullopt;
  return tiling::convSummation(cast<graph::Conv2dOp>(ops.front()), *epilogue,
                               target);
}

func::FuncOp sinan::outlineSnpuKernel(OpBuilder &builder,
                                      ArrayRef<Operation *> ops, StringRef name,
                                      Attribute target) {
  OpBuilder::InsertionGuard guard(builder);
  Operation *op = ops.front();
  SmallVector<Value> operands = kernelOperands(ops);
  auto kernel = func::FuncOp::create(
      builder, op->getLoc(), name,
      builder.getFunctionType(ValueRange(operands).getTypes(),
                              ops.back()->getResultTypes()));
  kernel->setAttr(npu::kTargetAttrName, target);
  Block *body = kernel.addEntryBlock();
  builder.setInsertionPointToStart(body);
  IRMapping mapping;
  mapping.map(operands, body->getArguments());
  // The first op's constant operands are copied in too (a tiled op's all,
  // so the tiler may pack its weights at compile time; an elementwise op's
  // one-element ones, the vector unit's scalars); their arguments stay
  // (the launch binds every operand). Later ops' scalars are copied in
  // only (copiedIn).
  bool tiled = llvm::isa<graph::MatMulOp, graph::Conv2dOp>(op);
  llvm::SmallPtrSet<Operation *, 4> cloned;
  for (size_t i = 0; i < ops.size(); ++i)
    for (Value operand : ops[i]->getOperands())
      if (auto constant = operand.getDefiningOp<graph::ConstantOp>();
          constant &&
          ((i == 0 &&
            (tiled ||
             cast<ShapedType>(constant.getType()).getNumElements() == 1)) ||
           copiedIn(ops, i, operand)) &&
          cloned.insert(constant).second)
        mapping.map(operand, builder.clone(*constant)->getResult(0));
  Operation *clone = nullptr;
  for (Operation *next : ops)
    clone = builder.clone(*next, mapping);
  func::ReturnOp::create(builder, op->getLoc(), clone->getResults());
  return kernel;
}

SmallVector<Value> sinan::kernelOperands(ArrayRef<Operation *> ops) {
  SmallVector<Value> operands(ops.front()->getOperands());
  llvm::SmallPtrSet<Operation *, 4> inside(ops.begin(), ops.end());
  // An elementwise chain takes each value once (a GELU reads its input
  // twice); a convolution's residual stays its own last argument.
  bool once = !llvm::isa<graph::MatMulOp, graph::Conv2dOp>(ops.front());
  for (size_t i = 1; i < ops.size(); ++i)
    for (Value operand : ops[i]->getOperands())
      if (!inside.count(operand.getDefiningOp()) &&
          !copiedIn(ops, i, operand) &&
          !(once && llvm::is_contained(operands, operand)))
        operands.push_back(operand);
  return operands;
}
