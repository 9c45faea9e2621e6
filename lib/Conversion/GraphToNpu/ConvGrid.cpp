//===- ConvGrid.cpp - Convolutions over a channels-last grid in ibuf ------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A stride-1 convolution's taps differ only by a shift of the input. With
// the input's pixels as the rows of the matrix unit's left operand (m) and
// its channels as their columns (k), a shift by whole pixels is a shift by
// whole rows, which keeps every row aligned: each tap's operand is then a
// plain offset view of one buffer, with no copy or DMA per tap.
//
// So each core stages the input rows it reads once, per chunk of c0
// channels and band of rows (a unit: bands keep a large chunk's staging
// within vbuf): a dload (f32 -> bf16, each channel's rows as one run) into
// vbuf, a vtrans into pixel rows of c0 channels, and a dma_move into ibuf
// as a grid whose image rows are `pitch` positions apart. The zero
// positions after each row serve both neighbours: the right-hand reach of
// a tap past one row and the left-hand reach (`lead`) before the next.
// Zero rows stand for the vertical padding. Output position q = y * pitch
// + x then reads, for tap (i, j), grid position q + tapOffset(i, j). A
// stride-2 convolution is a stride-1 one over the input's phases (every
// other row and column): a grid per phase, filled by a strided move of
// the phase's pixels out of the transposed rows (GridGeometry).
//
// The products of a block of output rows land in the accumulator as
// [positions x f0]; the vector unit drops the gap positions while adding
// the bias (one pass over rows of OW * f0 elements), transposes to
// [f0 x pixels] (NCHW rows), applies the residual and clip, and DMA-out
// stores with the relu. Weights are packed at compile time as [c0 x f0]
// tiles per output channel block, chunk and tap, resident in wbuf when
// they fit, else streamed. The plan (chunks, blocks, core split, staging
// buffers) comes from a cycle estimate (estimateGrid) that ConvToNpu.cpp
// weighs against its implicit-GEMM modes.
//
//===----------------------------------------------------------------------===//

#include "Conv.h"

#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Npu/IR/NpuOps.h"
#include "sinan/runtime/Numerics.h"
#include "sinan/runtime/Target.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <numeric>

using namespace mlir;
using namespace sinan;
using namespace sinan::tiling;

namespace {

/// Output blocks of a pair (PairStage) that take its stores in turn.
constexpr int64_t kPairOutputs = 4;

/// Accumulators a pair's blocks of output channels take in turn. With a
/// residual (loaded into them before the products) as many as two row
/// blocks take, when they fit beside the grid convolution's, so a row
/// block's loads need not wait for the previous block's epilogue.
int64_t pairAccumulators(const ConvShape &s, const GridPlan &p,
                         const PairStage &pair, const TargetDesc &target) {
  int64_t blocks = pair.f / pair.f0;
  if (!pair.residual)
    return std::min<int64_t>(4, blocks);
  int64_t n = roundUp(p.rows * s.ow, target.alignmentBytes / 2);
  int64_t room = (int64_t(target.acc.sizeBytes) - p.accs * p.m * p.f0 * 4) /
                 (pair.f0 * n * 4);
  // Each accumulator hands over from the matrix to the vector unit on a
  // semaphore of its own, beside the grid convolution's.
  int64_t semaphores = int64_t(target.semaphoresPerEnginePair) - p.accs;
  return std::max<int64_t>(0, std::min({room, semaphores, 2 * blocks}));
}

int64_t floorDiv(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/// Sizes that follow from a convolution and a plan. A stride s splits the
/// input into s x s phases (image rows a, a + s, ...; columns b, b + s,
/// ...): tap (i, j) reads phase (a, b) at a shift (dy, dx), as a stride-1
/// tap would its input, so every stride is a stride-1 convolution over the
/// phases its taps use. Each phase has a grid of rows `pitch` positions
/// apart: the phase's columns, then zeros that serve both the right-hand
/// reach past one row and the left-hand reach (`lead`) before the next.
/// Output position q = y * pitch + x; tap (i, j) reads its phase's grid
/// at q + tapOffset(i, j).
struct GridGeometry {
  const ConvShape &s;
  const GridPlan &p;
  const MatrixTile &tile;
  int64_t dyMin = 0, dyMax = 0, dxMin = 0, dxMax = 0;
  int64_t lead = 0, width = 0, pitch = 0;
  /// Phases some tap reads, as a * sw + b; phaseIndex[tap] into that list.
  SmallVector<int64_t> phases, phaseIndex;

  GridGeometry(const ConvShape &s, const GridPlan &p, const MatrixTile &tile)
      : s(s), p(p), tile(tile) {
    bool first = true;
    for (int64_t i = 0; i < s.kh; ++i)
      for (int64_t j = 0; j < s.kw; ++j) {
        auto [a, dy] = split(i * s.dh - s.top, s.sh);
        auto [b, dx] = split(j * s.dw - s.left, s.sw);
        dyMin = first ? dy : std::min(dyMin, dy);
        dyMax = first ? dy : std::max(dyMax, dy);
        dxMin = first ? dx : std::min(dxMin, dx);
        dxMax = first ? dx : std::max(dxMax, dx);
        first = false;
        int64_t phase = a * s.sw + b;
        auto *it = llvm::find(phases, phase);
        if (it == phases.end()) {
          phases.push_back(phase);
          it = phases.end() - 1;
        }
        phaseIndex.push_back(it - phases.begin());
        width = std::max(width, phaseCols(b));
      }
    // Phases in order (a, b), so the grids of a stride-2 convolution's
    // four phases are an affine 2x2 of offsets one move may write.
    SmallVector<int64_t> order(phases);
    llvm::sort(order);
    for (int64_t &index : phaseIndex)
      index = llvm::find(order, phases[index]) - order.begin();
    phases = std::move(order);
    lead = std::max<int64_t>(0, -dxMin);
    pitch = std::max(width + lead, s.ow + std::max<int64_t>(dxMax, 0));
  }
  /// An offset as (phase, shift): offset = shift * stride + phase.
  static std::pair<int64_t, int64_t> split(int64_t offset, int64_t stride) {
    int64_t shift = floorDiv(offset, stride);
    return {offset - shift * stride, shift};
  }
  int64_t phaseRows(int64_t a) const {
    return a < s.h ? ceilDiv(s.h - a, s.sh) : 0;
  }
  int64_t phaseCols(int64_t b) const {
    return b < s.w ? ceilDiv(s.w - b, s.sw) : 0;
  }
  bool strided() const { return s.sh > 1 || s.sw > 1; }
  /// See GridPlan::pairs.
  bool splitsPairs() const { return p.pairs; }
  /// Each image row moves as one DMA row (not a pixel per row), which then
  /// also writes the zeros of the gap after it.
  bool movesRows() const { return !strided() || p.pairs; }
  /// Positions a block of `rows` output rows computes.
  int64_t positions(int64_t rows) const {
    return roundUp((rows - 1) * pitch + s.ow, tile.m);
  }
  /// Grid rows for `rows` output rows.
  int64_t gridRows(int64_t rows) const { return rows + dyMax - dyMin; }
  /// Positions of one phase's grid for `rows` output rows in blocks of
  /// `block` rows: the lead, the rows, and what the products of the last
  /// blocks read past them.
  int64_t gridPositions(int64_t rows, int64_t block) const {
    int64_t end = lead + gridRows(rows) * pitch;
    int64_t full = rows / block, tail = rows % block;
    int64_t reach = 0;
    for (int64_t i = 0; i < s.kh; ++i)
      for (int64_t j = 0; j < s.kw; ++j)
        reach = std::max(reach, tapOffset(i, j));
    if (full > 0)
      end =
          std::max(end, (full - 1) * block * pitch + positions(block) + reach);
    if (tail > 0)
      end = std::max(end, full * block * pitch + positions(tail) + reach);
    return end;
  }
  /// The rows [lo, hi) of phase row a that output rows [y0, y1) read.
  std::pair<int64_t, int64_t> phaseRowsRead(int64_t a, int64_t y0,
                                            int64_t y1) const {
    int64_t lo = std::max<int64_t>(0, y0 + dyMin);
    int64_t hi = std::min<int64_t>(phaseRows(a), y1 + dyMax);
    return {lo, std::max(lo, hi)};
  }
  /// The image rows [lo, hi) that output rows [y0, y1) read, in any
  /// phase.
  std::pair<int64_t, int64_t> imageRowsRead(int64_t y0, int64_t y1) const {
    int64_t lo = s.h, hi = 0;
    for (int64_t phase : phases) {
      int64_t a = phase / s.sw;
      auto [from, to] = phaseRowsRead(a, y0, y1);
      if (to > from) {
        lo = std::min(lo, a + s.sh * from);
        hi = std::max(hi, a + s.sh * (to - 1) + 1);
      }
    }
    return {std::min(lo, hi), hi};
  }
  int64_t tapOffset(int64_t i, int64_t j) const {
    int64_t dy = split(i * s.dh - s.top, s.sh).second;
    int64_t dx = split(j * s.dw - s.left, s.sw).second;
    return lead + (dy - dyMin) * pitch + dx;
  }
};

/// Output channel blocks: F / f0, or with block-diagonal chunks one per
/// chunk (the last one's channels past F unused).
int64_t fBlocksOf(const ConvShape &s, const GridPlan &p) {
  return p.diagonal ? p.chunks : s.f / p.f0;
}

/// Chunks a block's products read: all of them, or its own.
int64_t chunksPerBlock(const GridPlan &p) { return p.diagonal ? 1 : p.chunks; }

/// [fBlock][chunk][tap][c0][f0] bf16 bits, zero padded, from OIHW weights
/// (with block-diagonal chunks, [fBlock][tap][c0][f0]: block k's channels
/// read chunk k alone, zeros between groups).
DenseElementsAttr packGridWeights(DenseElementsAttr weights, const ConvShape &s,
                                  const GridPlan &p) {
  SmallVector<float> values = weightValues(weights);
  int64_t fBlocks = fBlocksOf(s, p), taps = s.taps();
  int64_t chunks = chunksPerBlock(p);
  std::vector<uint16_t> packed(fBlocks * chunks * taps * p.c0 * p.f0, 0);
  for (int64_t f = 0; f < s.f; ++f)
    for (int64_t cg = 0; cg < s.cg; ++cg)
      for (int64_t i = 0; i < s.kh; ++i)
        for (int64_t j = 0; j < s.kw; ++j) {
          // The input channel: its group's first plus cg.
          int64_t c = f / s.fg * s.cg + cg;
          int64_t chunk = p.diagonal ? 0 : c / p.c0;
          int64_t tap = i * s.kw + j;
          int64_t row =
              ((f / p.f0 * chunks + chunk) * taps + tap) * p.c0 + c % p.c0;
          packed[row * p.f0 + f % p.f0] =
              floatToBF16(values[((f * s.cg + cg) * s.kh + i) * s.kw + j]);
        }
  return bf16Attr(weights.getContext(), packed, fBlocks * chunks * taps * p.c0,
                  p.f0);
}

/// The part of the work one core does: output rows [y0, y1) of output
/// channel blocks [fb0, fb1).
struct CoreWork {
  int64_t y0, y1, fb0, fb1;
};

SmallVector<CoreWork> coreWork(const ConvShape &s, const GridPlan &p) {
  SmallVector<CoreWork> work;
  int64_t fBlocks = fBlocksOf(s, p);
  for (int64_t c = 0; c < p.cores; ++c) {
    if (p.splitRows) {
      int64_t y0 = std::min(s.oh, c * p.rowsPerCore);
      work.push_back({y0, std::min(s.oh, y0 + p.rowsPerCore), 0, fBlocks});
    } else {
      int64_t q = fBlocks / p.cores, r = fBlocks % p.cores;
      int64_t fb0 = c * q + std::min(c, r);
      work.push_back({0, s.oh, fb0, fb0 + q + (c < r ? 1 : 0)});
    }
  }
  return work;
}

/// A core's rows in p.segments segments (block-diagonal chunks; else its
/// work whole).
SmallVector<CoreWork> segmentsOf(const GridPlan &p, const CoreWork &work) {
  SmallVector<CoreWork> parts;
  int64_t rows = ceilDiv(work.y1 - work.y0, p.segments);
  for (int64_t y = work.y0; y < work.y1; y += rows)
    parts.push_back({y, std::min(work.y1, y + rows), work.fb0, work.fb1});
  return parts;
}

/// Every core's segments.
SmallVector<CoreWork> segmentWork(const ConvShape &s, const GridPlan &p) {
  SmallVector<CoreWork> parts;
  for (const CoreWork &work : coreWork(s, p))
    llvm::append_range(parts, segmentsOf(p, work));
  return parts;
}

/// The most image rows any core stages (at once: a segment's).
int64_t maxStagedRows(const ConvShape &s, const GridPlan &p,
                      const GridGeometry &geo) {
  int64_t most = 0;
  for (const CoreWork &work : segmentWork(s, p)) {
    auto [lo, hi] = geo.imageRowsRead(work.y0, work.y1);
    most = std::max(most, hi - lo);
  }
  return most;
}

/// Image rows per staged band: the most rows any core stages in p.bands
/// bands, a whole number of strides each (so every band holds as many rows
/// of each phase), and so one staging buffer size for every core.
int64_t bandRows(const ConvShape &s, const GridPlan &p, int64_t most) {
  return p.bands == 1 ? most : roundUp(ceilDiv(most, p.bands), s.sh);
}

/// ceil(a / b) for b > 0 and any a.
int64_t ceilDivSigned(int64_t a, int64_t b) { return -floorDiv(-a, b); }

/// Whether a core's first two blocks (of `rows` output rows) take the first
/// chunk's products before the rest of each.
bool interleaves(const GridPlan &p, int64_t rows) {
  return p.interleave && p.chunks > 1 && p.accs > 1 && rows / p.rows >= 2;
}

/// The grid buffer of chunk k (its own, or with two buffers the first
/// chunk's or the others') and the row of chunk k's first phase grid in
/// it.
/// (Block-diagonal chunks take two grid buffers in turn.)
int64_t gridBufferOf(const GridPlan &p, int64_t k) {
  if (p.diagonal)
    return k % p.grids;
  return p.grids == p.chunks ? k : std::min<int64_t>(k, 1);
}
int64_t gridRowOf(const GridPlan &p, int64_t k, int64_t phases,
                  int64_t gridSize) {
  return p.diagonal || p.grids == p.chunks || k == 0
             ? 0
             : (k - 1) * phases * gridSize;
}

/// A zero fill of grid positions: a view (in elements) of a grid buffer.
struct GridFill {
  int64_t offset;
  SmallVector<int64_t, 3> sizes, strides;
  int64_t rows() const {
    int64_t rows = 1;
    for (int64_t size : ArrayRef(sizes).drop_back())
      rows *= size;
    return rows;
  }
  int64_t elements() const { return rows() * sizes.back(); }
};

/// The fills that zero the positions of a chunk's phase grids (each
/// `gridSize` positions, from position `start`) that no move writes for
/// output rows [y0, y1): per phase, the lead and the rows outside the phase
/// before its first row, everything after its last row up to the next
/// phase's grid, and the gap after each row (unless the moves write it).
/// As few as the DMA cost allows:
/// ranges that touch merge into one fill, the gaps of equally wide phases
/// into one strided fill, and one fill of every grid replaces them all
/// when that is cheaper (the moves then overwrite most of it).
SmallVector<GridFill> gridZeros(const GridGeometry &geo,
                                const TargetDesc &target, int64_t y0,
                                int64_t y1, int64_t gridSize, int64_t start) {
  const ConvShape &s = geo.s;
  int64_t c0 = geo.p.c0, phases = geo.phases.size();
  int64_t gridRows = geo.gridRows(y1 - y0);
  SmallVector<GridFill> fills;
  auto zeros = [&](int64_t begin, int64_t end) {
    if (end <= begin)
      return;
    if (!fills.empty() &&
        fills.back().offset + fills.back().sizes[0] == begin * c0)
      fills.back().sizes[0] += (end - begin) * c0;
    else
      fills.push_back({begin * c0, {(end - begin) * c0}, {1}});
  };
  SmallVector<int64_t> cols;
  for (int64_t u = 0; u < phases; ++u) {
    int64_t base = start + u * gridSize;
    auto [from, to] = geo.phaseRowsRead(geo.phases[u] / s.sw, y0, y1);
    int64_t first = from - (y0 + geo.dyMin);
    zeros(base, base + geo.lead + first * geo.pitch);
    zeros(base + geo.lead + (first + to - from) * geo.pitch, base + gridSize);
    cols.push_back(geo.phaseCols(geo.phases[u] % s.sw));
  }
  bool sameCols = llvm::all_equal(cols);
  for (int64_t u = 0; u < phases && !geo.movesRows(); ++u) {
    if (geo.pitch <= cols[u] || (sameCols && u > 0))
      continue;
    int64_t at = (start + u * gridSize + geo.lead + cols[u]) * c0;
    int64_t gap = (geo.pitch - cols[u]) * c0;
    if (sameCols)
      fills.push_back(
          {at, {phases, gridRows, gap}, {gridSize * c0, geo.pitch * c0, 1}});
    else
      fills.push_back({at, {gridRows, gap}, {geo.pitch * c0, 1}});
  }
  // Equal ranges at a constant step (between equally sized phase grids:
  // one's tail and the next one's lead) as one strided fill.
  SmallVector<GridFill> strided;
  for (const GridFill &fill : fills) {
    if (!strided.empty() && fill.sizes.size() == 1) {
      GridFill &last = strided.back();
      int64_t size = last.sizes.back();
      if (last.sizes.size() == 1 && size == fill.sizes[0] &&
          fill.offset > last.offset) {
        last = {last.offset, {2, size}, {fill.offset - last.offset, 1}};
        continue;
      }
      if (last.sizes.size() == 2 && last.strides.back() == 1 &&
          size == fill.sizes[0] &&
          fill.offset == last.offset + last.sizes[0] * last.strides[0]) {
        ++last.sizes[0];
        continue;
      }
    }
    strided.push_back(fill);
  }
  fills = std::move(strided);
  int64_t merged = 0;
  for (const GridFill &fill : fills)
    merged += dmaCycles(target, fill.elements() * 2, fill.rows());
  int64_t whole = phases * gridSize * c0;
  if (dmaCycles(target, whole * 2, 1) <= merged)
    return {GridFill{start * c0, {whole}, {1}}};
  return fills;
}

/// The most chunks a core stages: all of them when cores split the rows.
int64_t chunksPerCore(const GridPlan &p) {
  return p.splitRows ? p.chunks : ceilDiv(p.chunks, p.cores);
}

/// The most channel blocks a core emits one by one (emitCore); more run in
/// a loop.
constexpr int64_t kUnrolledChannelBlocks = 4;

/// The output channel blocks of the busiest core.
int64_t coreChannelBlocks(const ConvShape &s, const GridPlan &p) {
  int64_t blocks = fBlocksOf(s, p);
  return p.splitRows ? blocks : ceilDiv(blocks, p.cores);
}

/// The bias rows a core keeps in vbuf: every channel block's when its
/// blocks are emitted one by one (loaded once, with the first block's
/// weights), else one that each block loads in turn. With one, a later
/// block's load of it waits for the block before's last epilogue, and its
/// weights queue behind it on DMA-in.
int64_t biasRows(const ConvShape &s, const GridPlan &p) {
  if (!s.bias)
    return 0;
  if (p.diagonal)
    return chunksPerCore(p);
  int64_t blocks = coreChannelBlocks(s, p);
  return blocks <= kUnrolledChannelBlocks ? blocks : 1;
}

/// Whether the core's channel blocks may take each chunk's products in turn
/// (GridPlan::cross): each is one block of rows with an accumulator of its
/// own, its weights streamed (a tile per product), and its bias row kept.
bool crossApplies(const ConvShape &s, const GridPlan &p) {
  int64_t blocks = coreChannelBlocks(s, p);
  return !p.diagonal && !p.resident && s.n == 1 && blocks > 1 &&
         blocks <= std::min(p.accs, kUnrolledChannelBlocks) &&
         p.rows >= p.rowsPerCore;
}

/// A streamed [c0 x f0] tile's load: its bytes at the core's share of
/// DRAM, or its rows when they do not merge into one, after the setup.
double tileLoadCycles(const GridPlan &p, const TargetDesc &target) {
  double bw = std::min<double>(target.dmaBytesPerCycle,
                               double(target.dramBytesPerCycle) / p.cores);
  bool merge = pitch(p.f0, 2, target.alignmentBytes) == p.f0;
  return std::max(double(p.c0 * p.f0 * 2) / bw, merge ? 1.0 : double(p.c0)) +
         target.dmaSetupCycles;
}

/// Streamed tiles loaded right after the first unit, before the first
/// chunk's moves: as many as DMA-in has time for while that unit lands
/// and is transposed (the moves wait for it anyway), at least the first
/// product's, at most a buffer each. More would hold the moves up (DMA-in
/// runs its queue in order).
int64_t prefetchedTiles(const ConvShape &s, const GridPlan &p,
                        const GridGeometry &geo, const TargetDesc &target) {
  int64_t band = bandRows(s, p, maxStagedRows(s, p, geo));
  double idle = target.dramLatencyCycles +
                double(p.c0 * band * s.w * 2) / target.vectorBytesPerCycle +
                target.vectorLatencyCycles;
  return std::clamp<int64_t>(int64_t(idle / tileLoadCycles(p, target)), 1,
                             p.depth);
}

/// Resident weights' wbuf buffers: one per chunk for the first ones, the
/// last holding every remaining chunk's (loaded with the first of them), as
/// many as the DMA-in -> matrix semaphores leave beside the grids (at least
/// two: the first chunk's, the rest).
int64_t residentBuffers(const GridPlan &p, const TargetDesc &target) {
  if (!p.resident)
    return 0;
  // (Block-diagonal chunks: two in turn, or one for a core of one chunk.)
  if (p.diagonal)
    return std::min<int64_t>(2, chunksPerCore(p));
  int64_t spare = int64_t(target.semaphoresPerEnginePair) - p.grids - 1;
  return std::min<int64_t>(
      p.chunks, std::max<int64_t>(std::min<int64_t>(p.chunks, 2), spare));
}

class GridTiler {
public:
  GridTiler(OpBuilder &builder, Location loc, const TargetDesc &target,
            const GridGeometry &geo, const ConvEpilogue &epilogue, Value x,
            Value w, Value bias, Value residual, Value y, Block *entry)
      : builder(builder), loc(loc), target(target), s(geo.s), p(geo.p),
        geo(geo), epilogue(epilogue), x(x), w(w), bias(bias),
        residual(residual), y(y), entry(entry) {}

  void emit();
  /// Runs `pair` (PairStage) on every block's channel rows: its weights
  /// (`[f x F]` bf16 rows), bias, residual and result in DRAM; set before
  /// emit().
  void setPair(const PairStage *stage, Value weights, Value stageBias,
               Value stageResidual, Value result) {
    pair = stage;
    pairWeights = weights;
    pairBias = stageBias;
    pairResidual = stageResidual;
    pairResult = result;
  }

private:
  /// The pair's part of the block of `rows` output rows from `row` whose
  /// channel rows are `out` ([F x pixels] f32): their conversion into a
  /// right operand now, its products and epilogue after the next block's
  /// products (flushPair).
  void emitPairBlock(Value n, Value row, int64_t rows, Value out);
  void emitPairProducts(Value n, Value row, int64_t rows, Value rhs,
                        int64_t turn0);
  /// Loads the residual of pair turn `turn` (block `fb` of the output
  /// channels of `rows` rows from `row`) into its accumulator.
  void loadPairResidual(Value n, Value row, int64_t rows, int64_t fb,
                        int64_t turn);
  /// Emits the pending block's pair products and epilogue.
  void flushPair();
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
  OpFoldResult fold(Value value) {
    if (std::optional<int64_t> c = getConstantIntValue(value))
      return builder.getIndexAttr(*c);
    return value;
  }
  /// `count` channels from `channel` of image n of a [N, C, pixels] DRAM
  /// tensor, `length` pixels from `start`: a [count x length] view.
  Value runsView(Value tensor, Value n, OpFoldResult channel,
                 OpFoldResult start, int64_t count, int64_t length) {
    return channelRuns(builder, loc, tensor, fold(n), channel, start, count,
                       length);
  }
  /// `source` (offset 0) seen as `sizes` with `strides` from element
  /// `offset`.
  /// A phase's image rows of a band, moved from the staged rows into its
  /// grid: `rows` runs of `run` elements (`srcPitch` apart) to rows of the
  /// grid (`pitch` positions apart), each followed by `gap` zeros.
  struct RowMove {
    int64_t src, srcPitch, dst, rows, run, gap;
  };
  void emitRowMoves(Value from, Value chunk, ArrayRef<RowMove> moves);
  Value reinterpret(Value source, OpFoldResult offset, ArrayRef<int64_t> sizes,
                    ArrayRef<int64_t> strides);
  Value local(ArrayRef<int64_t> shape, Type element, npu::MemorySpace space) {
    return memref::AllocOp::create(
        builder, loc,
        MemRefType::get(
            shape, element, MemRefLayoutAttrInterface(),
            npu::MemorySpaceAttr::get(builder.getContext(), space)));
  }

  void emitCore(const CoreWork &work);
  /// A core's block-diagonal chunks: each staged one ahead of the previous
  /// chunk's products.
  void emitDiagonalCore(const CoreWork &work);
  /// Channels of output block fb that exist (the last block-diagonal
  /// chunk's may be fewer than f0).
  int64_t storedChannels() const {
    return p.diagonal ? std::min(p.f0, s.f - diagonalChunk * p.f0) : p.f0;
  }
  /// Stages image n's rows for output rows [y0, y1) into the grids: every
  /// chunk's load, the first followed by `afterLoad(0)` (the weights its
  /// products need), then per chunk (emitted by the first block, see
  /// pendingMoves) `afterLoad(k)` for k > 0, its zeros and, once the
  /// vector unit has transposed it, its move; `afterMoves` last.
  /// (Chunks [k0, k1): every chunk, or a block-diagonal chunk at a time.)
  void stage(const CoreWork &work, Value n, int64_t k0, int64_t k1,
             std::function<void(int64_t)> afterLoad,
             std::function<void()> afterMoves);
  /// Zeros the positions of a chunk's phase grids (from position `start`
  /// of `chunk`) that no move writes.
  void emitGridZeros(const CoreWork &work, Value chunk, int64_t start);
  /// Per chunk, its zeros and move (stage's; null for a chunk moved with
  /// an earlier one), for the first block to emit.
  SmallVector<std::function<void()>> pendingMoves;
  /// The next unit to stage (by pendingMoves).
  int64_t nextUnit = 0;
  /// Loads output channel block fb's resident weights of chunk k.
  void loadWeights(Value fb, int64_t k);
  /// Loads output channel block fb's bias row.
  void loadBias(Value fb);
  /// Streams the weight tile of chunk k and `tap` for block fb into the
  /// next tile buffer, which it returns.
  Value loadTile(Value fb, int64_t k, int64_t tap);
  /// Tiles loaded ahead (while the input lands) for the first products.
  SmallVector<Value> prefetched;
  /// The (channel block past the first, chunk, tap) of the tiles the first
  /// products of a core take, `rows` output rows, in their order
  /// (interleaved row blocks take the first chunk's twice; crossed channel
  /// blocks each chunk's of every block): prefetchedTiles of them.
  SmallVector<std::array<int64_t, 3>> firstTiles(int64_t rows,
                                                 int64_t blocks) const;
  /// Output channel block fb (index) of image n: the pixel blocks.
  void emitChannelBlock(const CoreWork &work, Value n, Value fb);
  /// `rows` output rows from `row` (absolute) into `acc`: the products of
  /// chunks [from, to), and the epilogue once the last chunk's are in.
  void emitBlock(const CoreWork &work, Value n, Value fb, Value row,
                 int64_t rows, Value acc, int64_t from = 0,
                 std::optional<int64_t> to = std::nullopt);

  OpBuilder &builder;
  Location loc;
  const TargetDesc &target;
  const ConvShape &s;
  const GridPlan &p;
  const GridGeometry &geo;
  ConvEpilogue epilogue;
  Value x, w, bias, residual, y;
  Block *entry;
  /// x, y and the residual with each channel's pixels as one run.
  Value xRuns, yRuns, residualRuns;
  /// Per chunk: [phases * gridSize x c0] bf16 in ibuf, a grid per phase.
  SmallVector<Value> grid;
  int64_t gridSize = 0;
  SmallVector<Value> acc, tiles;
  /// Per chunk, with resident weights: [taps * c0 x f0] bf16 in wbuf.
  SmallVector<Value> resident;
  Value biasRow, compact;
  /// The channel-rows buffers of the epilogue: one, or one per
  /// accumulator of two (p.outs), so a block's transpose need not wait for
  /// the previous block's store to land.
  SmallVector<Value> outs;
  Value outFor(Value accumulator) const {
    if (outs.size() == 1)
      return outs.front();
    return outs[(llvm::find(acc, accumulator) - acc.begin()) % outs.size()];
  }
  /// Block-diagonal chunks: the chunk being staged or computed, and the
  /// two bias rows chunks take in turn.
  int64_t diagonalChunk = 0;
  /// Block-diagonal chunks: the unit (a chunk's segment) being staged or
  /// computed; units take the grids in turn.
  int64_t diagonalUnit = 0;
  Value gridFor(int64_t k) {
    return p.diagonal ? grid[diagonalUnit % grid.size()]
                      : grid[gridBufferOf(p, k)];
  }
  /// biasRow holds every channel block's (block-diagonal: chunk's) bias
  /// row of the core, loaded once (the block's at biasOffset), so no load
  /// waits for an epilogue; or, past kUnrolledChannelBlocks, one.
  int64_t biasOffset = 0;
  /// Loads the bias rows of blocks (block-diagonal: chunks) [k0, k1) into
  /// biasRow.
  void loadBiasRows(int64_t k0, int64_t k1);
  /// Block-diagonal chunks: the core's staging buffers, and the units
  /// staged through them so far.
  SmallVector<Value> diagonalStaging;
  int64_t unitBase = 0;
  unsigned turn = 0;
  /// The pair (setPair) and its buffers: its weights resident in ibuf, the
  /// block's channel rows as bf16 in vbuf and in wbuf, two accumulators,
  /// two output and two residual blocks, the bias column; the blocks of its
  /// output channels take the accumulators and vbuf blocks in turn.
  const PairStage *pair = nullptr;
  Value pairWeights, pairBias, pairResidual, pairResult;
  Value pairResidualRuns, pairResultRuns;
  Value pairLhs, pairBiasColumn;
  SmallVector<Value> pairRows, pairRhs, pairAcc, pairOut;
  int64_t pairN = 0, pairTurn = 0, pairBlock = 0;
  std::function<void()> pendingPair;
};

Value GridTiler::reinterpret(Value source, OpFoldResult offset,
                             ArrayRef<int64_t> sizes,
                             ArrayRef<int64_t> strides) {
  return reinterpretView(builder, loc, source, offset, sizes, strides);
}

void GridTiler::emitGridZeros(const CoreWork &work, Value chunk,
                              int64_t start) {
  for (const GridFill &fill :
       gridZeros(geo, target, work.y0, work.y1, gridSize, start))
    npu::FillOp::create(builder, loc,
                        reinterpret(chunk, builder.getIndexAttr(fill.offset),
                                    fill.sizes, fill.strides),
                        0);
}

void GridTiler::emitRowMoves(Value from, Value chunk, ArrayRef<RowMove> moves) {
  if (moves.empty())
    return;
  const RowMove &m = moves.front();
  auto alike = llvm::all_of(moves, [&](const RowMove &other) {
    return other.rows == m.rows && other.run == m.run && other.gap == m.gap &&
           other.srcPitch == m.srcPitch;
  });
  // The phases' moves as one transfer of up to two more dimensions, when
  // their offsets are affine in them with strides the DMA takes: all in a
  // row (a constant step), or the 2x2 of a stride-2 convolution's phases.
  SmallVector<int64_t, 2> sizes, srcSteps, dstSteps;
  auto steps = [&](ArrayRef<RowMove> group, int64_t stride) {
    return std::pair(group[stride].src - group[0].src,
                     group[stride].dst - group[0].dst);
  };
  auto affine = [&](int64_t outer, int64_t inner) {
    auto [si, di] = steps(moves, 1);
    auto [so, dO] = inner > 1 ? steps(moves, inner) : std::pair(si, di);
    for (int64_t i = 0; i < outer; ++i)
      for (int64_t j = 0; j < inner; ++j) {
        const RowMove &move = moves[i * inner + j];
        if (move.src != m.src + i * so + j * si ||
            move.dst != m.dst + i * dO + j * di)
          return false;
      }
    if (si <= 0 || di <= 0 || so <= 0 || dO <= 0)
      return false;
    sizes = inner > 1 ? SmallVector<int64_t, 2>{outer, inner}
                      : SmallVector<int64_t, 2>{outer};
    srcSteps = inner > 1 ? SmallVector<int64_t, 2>{so, si}
                         : SmallVector<int64_t, 2>{si};
    dstSteps = inner > 1 ? SmallVector<int64_t, 2>{dO, di}
                         : SmallVector<int64_t, 2>{di};
    return true;
  };
  int64_t count = moves.size();
  bool merged =
      count > 1 && alike && (affine(count, 1) || (count == 4 && affine(2, 2)));
  auto emit = [&](const RowMove &move, ArrayRef<int64_t> outer,
                  ArrayRef<int64_t> srcOuter, ArrayRef<int64_t> dstOuter) {
    SmallVector<int64_t> srcSizes(outer), srcStrides(srcOuter), dstSizes(outer),
        dstStrides(dstOuter);
    srcSizes.append({move.rows, move.run});
    srcStrides.append({move.srcPitch, 1});
    dstSizes.append({move.rows, move.run + move.gap});
    dstStrides.append({geo.pitch * p.c0, 1});
    Value src =
        reinterpret(from, builder.getIndexAttr(move.src), srcSizes, srcStrides);
    Value dst = reinterpret(chunk, builder.getIndexAttr(move.dst), dstSizes,
                            dstStrides);
    npu::DmaMoveOp::create(
        builder, loc, src, dst,
        move.gap ? builder.getDenseI64ArrayAttr({0, move.gap}) : nullptr);
  };
  if (merged) {
    emit(m, sizes, srcSteps, dstSteps);
    return;
  }
  for (const RowMove &move : moves)
    emit(move, {}, {}, {});
}

void GridTiler::stage(const CoreWork &work, Value n, int64_t k0, int64_t k1,
                      std::function<void(int64_t)> afterLoad,
                      std::function<void()> afterMoves) {
  int64_t c0 = p.c0;
  int64_t align = target.alignmentBytes;
  int64_t phases = geo.phases.size();
  Type bf16 = builder.getBF16Type();
  // The image rows [lo, hi) every phase of this core reads, staged per
  // chunk of c0 channels and band of rows (a unit), one run per channel.
  auto [lo, hi] = geo.imageRowsRead(work.y0, work.y1);
  int64_t band = bandRows(s, p, maxStagedRows(s, p, geo));
  int64_t bands = hi > lo ? ceilDiv(hi - lo, band) : 0;
  int64_t units = (k1 - k0) * bands;
  auto rowsOf = [=](int64_t u) {
    int64_t b0 = lo + (u % bands) * band;
    return std::pair(b0, std::min(hi, b0 + band));
  };
  // p.staging buffers take the units in turn; each holds a unit's loaded
  // rows and their transpose (two buffers, the transpose's used later,
  // could by liveness take the bytes of another unit's rows and so wait
  // for that load too). Sized for a whole band of the core that stages the
  // most rows, so every core's buffers have one size.
  int64_t rowPitch = pitch(band * s.w, 2, align);
  // (Block-diagonal chunks take one core's buffers in turn, continuing
  // from the previous chunk's last unit.)
  SmallVector<Value> buffers =
      p.diagonal ? diagonalStaging : SmallVector<Value>();
  if (buffers.empty())
    for (int64_t b = 0; b < std::min(p.staging, units); ++b)
      buffers.push_back(local({c0 * rowPitch + band * s.w * c0}, bf16,
                              npu::MemorySpace::vbuf));
  if (p.diagonal)
    diagonalStaging = buffers;
  int64_t base = p.diagonal ? unitBase : 0;
  unitBase += units;
  // (By value: the first block runs the pending moves after this returns.)
  auto buffer = [=](int64_t u) { return buffers[(base + u) % buffers.size()]; };
  // Unit u's load (its channels' rows as one run each, zero rows for the
  // channels past C) and transpose into pixel rows of c0 channels.
  auto load = [=, this](int64_t u) {
    int64_t k = k0 + u / bands;
    auto [b0, b1] = rowsOf(u);
    int64_t run = (b1 - b0) * s.w, count = std::min(c0, s.c - k * c0);
    if (count < c0)
      npu::FillOp::create(builder, loc,
                          reinterpret(buffer(u),
                                      builder.getIndexAttr(count * rowPitch),
                                      {c0 - count, run}, {rowPitch, 1}),
                          0);
    Value src = runsView(xRuns, n, builder.getIndexAttr(k * c0),
                         builder.getIndexAttr(b0 * s.w), count, run);
    npu::DmaLoadOp::create(builder, loc, src,
                           reinterpret(buffer(u), builder.getIndexAttr(0),
                                       {count, run}, {rowPitch, 1}),
                           DenseI64ArrayAttr());
  };
  auto transpose = [=, this](int64_t u) {
    auto [b0, b1] = rowsOf(u);
    int64_t run = (b1 - b0) * s.w;
    Value rows = reinterpret(buffer(u), builder.getIndexAttr(0), {c0, run},
                             {rowPitch, 1});
    if (!geo.splitsPairs()) {
      npu::VTransOp::create(builder, loc, rows,
                            reinterpret(buffer(u),
                                        builder.getIndexAttr(c0 * rowPitch),
                                        {run, c0}, {c0, 1}));
      return;
    }
    // Pixel pairs of c0 channels, each channel's pair one unit: [pair,
    // channel, column parity]; then the parities apart, back over the
    // loaded rows (read by then): each column phase's pixels in order.
    int64_t pairs = run / 2;
    npu::VTransOp::create(builder, loc, rows,
                          reinterpret(buffer(u),
                                      builder.getIndexAttr(c0 * rowPitch),
                                      {pairs, 2 * c0}, {2 * c0, 1}),
                          /*group=*/2);
    npu::VTransOp::create(builder, loc,
                          reinterpret(buffer(u),
                                      builder.getIndexAttr(c0 * rowPitch),
                                      {pairs * c0, 2}, {2, 1}),
                          reinterpret(buffer(u), builder.getIndexAttr(0),
                                      {2, pairs * c0}, {pairs * c0, 1}));
  };
  // The units that have a buffer load first (DMA-in runs ahead while the
  // vector unit transposes), the first followed by its weights.
  // (Only the first chunk's when p.ahead says so: the first moves' signal
  // then waits for fewer loads to land.)
  int64_t upfront =
      std::min<int64_t>({int64_t(buffers.size()), p.ahead, units});
  for (int64_t u = 0; u < upfront; ++u) {
    load(u);
    if (u == 0)
      afterLoad(k0);
  }
  if (upfront == 0)
    afterLoad(k0);
  for (int64_t u = 0; u < upfront; ++u)
    transpose(u);
  nextUnit = upfront;
  // Per chunk its zeros, then per band and phase the move of the phase's
  // pixels in the band (every stride-th row and column of the staged
  // rows): emitted by the first block just before its products of that
  // chunk, so the scalar unit dispatches those products without waiting
  // for DMA-in to work through every chunk's moves. Once moved, a unit's
  // buffer takes the next unit that waits for one.
  // Chunks that share a grid buffer move one after the other before any
  // of their products (else each move would wait for the products of the
  // chunk before it, which read the same buffer).
  std::function<void(int64_t)> moveChunk;
  moveChunk = [=, this](int64_t k) {
    // A later chunk's weights: issued here, after the previous chunk's
    // move, since a DMA engine's signal waits for every transfer issued
    // before it (issued earlier, they would hold back that move's
    // signal).
    if (k > k0)
      afterLoad(k);
    Value chunk = gridFor(k);
    int64_t start = gridRowOf(p, k, phases, gridSize);
    emitGridZeros(work, chunk, start);
    for (int64_t u = (k - k0) * bands; u < (k - k0 + 1) * bands; ++u) {
      auto [b0, b1] = rowsOf(u);
      SmallVector<RowMove> rowMoves;
      for (int64_t v = 0; v < phases; ++v) {
        int64_t base = start + v * gridSize;
        int64_t a = geo.phases[v] / s.sw, b = geo.phases[v] % s.sw;
        auto [from, to] = geo.phaseRowsRead(a, work.y0, work.y1);
        // The phase's rows in this band.
        from = std::max(from, ceilDivSigned(b0 - a, s.sh));
        to = std::min(to, ceilDivSigned(b1 - a, s.sh));
        int64_t valid = to - from, cols = geo.phaseCols(b);
        if (valid <= 0)
          continue;
        int64_t first = from - (work.y0 + geo.dyMin);
        int64_t pixel = (a + s.sh * from - b0) * s.w + b;
        int64_t at = (base + geo.lead + first * geo.pitch) * c0;
        if (geo.splitsPairs()) {
          // Column phase b's pixels of the band's rows, W/2 to a row, in
          // the loaded rows' buffer (transpose above): a run per row.
          int64_t half = s.w / 2, run = (b1 - b0) * s.w;
          rowMoves.push_back(
              {b * (run / 2) * c0 + (a + s.sh * from - b0) * half * c0,
               s.sh * half * c0, at, valid, cols * c0,
               (geo.pitch - cols) * c0});
        } else if (!geo.strided()) {
          rowMoves.push_back({c0 * rowPitch + pixel * c0, s.w * c0, at, valid,
                              cols * c0, (geo.pitch - cols) * c0});
        } else {
          // A pixel (c0 channels) per DMA row.
          Value src = reinterpret(
              buffer(u), builder.getIndexAttr(c0 * rowPitch + pixel * c0),
              {valid, cols, c0}, {s.sh * s.w * c0, s.sw * c0, 1});
          Value dst = reinterpret(chunk, builder.getIndexAttr(at),
                                  {valid, cols, c0}, {geo.pitch * c0, c0, 1});
          npu::DmaMoveOp::create(builder, loc, src, dst, nullptr);
        }
      }
      emitRowMoves(buffer(u), chunk, rowMoves);
      // Every unit that now has a buffer.
      for (; nextUnit < std::min(units, u + 1 + int64_t(buffers.size()));
           ++nextUnit) {
        load(nextUnit);
        transpose(nextUnit);
      }
    }
  };
  pendingMoves.clear();
  bool ownGrids = p.diagonal || p.grids == p.chunks;
  for (int64_t k = k0; k < k1; ++k) {
    if (ownGrids || k < 1)
      pendingMoves.push_back([=] { moveChunk(k); });
    else if (k == 1)
      pendingMoves.push_back([=, this] {
        for (int64_t later = 1; later < p.chunks; ++later)
          moveChunk(later);
      });
    else
      pendingMoves.push_back(nullptr);
  }
  // What follows the moves (the bias row) comes after the last of them.
  int64_t last = ownGrids ? k1 - k0 - 1 : std::min<int64_t>(p.chunks - 1, 1);
  pendingMoves[last] = [move = pendingMoves[last], afterMoves] {
    move();
    afterMoves();
  };
}

void GridTiler::emitBlock(const CoreWork &work, Value n, Value fb, Value row,
                          int64_t rows, Value accumulator, int64_t from,
                          std::optional<int64_t> to) {
  int64_t m = geo.positions(rows), c0 = p.c0, f0 = p.f0;
  Value q0 = times(plus(row, -work.y0), geo.pitch);
  // Block-diagonal chunks: the block's own chunk only.
  int64_t lo = p.diagonal ? diagonalChunk : 0;
  int64_t hi = p.diagonal ? diagonalChunk + 1 : p.chunks;
  if (p.diagonal) {
    from = lo;
    to = hi;
  }
  bool first = from == lo;
  for (int64_t k = from; k < to.value_or(hi); ++k) {
    if (!p.diagonal && k < int64_t(pendingMoves.size()) && pendingMoves[k]) {
      // Streamed weights: the chunk's first tile ahead of its moves in
      // DMA-in's queue, so it lands while they run.
      if (!p.resident && prefetched.empty())
        prefetched.push_back(loadTile(fb, k, 0));
      pendingMoves[k]();
      pendingMoves[k] = nullptr;
    }
    for (int64_t i = 0; i < s.kh; ++i)
      for (int64_t j = 0; j < s.kw; ++j) {
        int64_t tap = i * s.kw + j;
        int64_t phaseBase = gridRowOf(p, k, geo.phases.size(), gridSize) +
                            geo.phaseIndex[tap] * gridSize;
        Value lhs = memref::SubViewOp::create(
            builder, loc, gridFor(k),
            ArrayRef<OpFoldResult>{
                fold(plus(q0, phaseBase + geo.tapOffset(i, j))),
                builder.getIndexAttr(0)},
            ArrayRef<OpFoldResult>{builder.getIndexAttr(m),
                                   builder.getIndexAttr(c0)},
            ArrayRef<OpFoldResult>{builder.getIndexAttr(1),
                                   builder.getIndexAttr(1)});
        Value rhs;
        if (p.resident) {
          // (Block-diagonal: chunk k's weights in buffer k % 2, alone.)
          int64_t b = p.diagonal
                          ? k % int64_t(resident.size())
                          : std::min<int64_t>(k, int64_t(resident.size()) - 1);
          int64_t before = p.diagonal ? 0 : k - b;
          rhs = memref::SubViewOp::create(
              builder, loc, resident[b],
              ArrayRef<OpFoldResult>{
                  builder.getIndexAttr((before * s.taps() + tap) * c0),
                  builder.getIndexAttr(0)},
              ArrayRef<OpFoldResult>{builder.getIndexAttr(c0),
                                     builder.getIndexAttr(f0)},
              ArrayRef<OpFoldResult>{builder.getIndexAttr(1),
                                     builder.getIndexAttr(1)});
        } else {
          if (!prefetched.empty()) {
            rhs = prefetched.front();
            prefetched.erase(prefetched.begin());
          } else {
            rhs = loadTile(fb, k, tap);
          }
        }
        Value out = memref::SubViewOp::create(
            builder, loc, accumulator,
            ArrayRef<OpFoldResult>{builder.getIndexAttr(0),
                                   builder.getIndexAttr(0)},
            ArrayRef<OpFoldResult>{builder.getIndexAttr(m),
                                   builder.getIndexAttr(f0)},
            ArrayRef<OpFoldResult>{builder.getIndexAttr(1),
                                   builder.getIndexAttr(1)});
        auto mma = npu::MmaOp::create(builder, loc, lhs, rhs, out);
        mma.setAccumulate(!first);
        first = false;
      }
  }
  if (to.value_or(hi) < hi)
    return;
  // The last block-diagonal chunk's channels past F are not stored.
  int64_t count = storedChannels();

  // Epilogue: the gap positions dropped and the bias added in one pass
  // (rows of W * f0), then [pixels x f0] -> [f0 x pixels].
  int64_t pixels = rows * s.ow;
  Value accRows = reinterpret(accumulator, builder.getIndexAttr(0),
                              {rows, s.ow * f0}, {geo.pitch * f0, 1});
  Value compactRows = reinterpret(compact, builder.getIndexAttr(0),
                                  {rows, s.ow * f0}, {s.ow * f0, 1});
  if (bias)
    npu::VBinOp::create(builder, loc, "add", accRows,
                        reinterpret(biasRow, builder.getIndexAttr(biasOffset),
                                    {rows, s.ow * f0}, {0, 1}),
                        compactRows);
  else
    npu::VScalOp::create(builder, loc, "mul", accRows, compactRows,
                         builder.getF32FloatAttr(1.0f));
  int64_t outPitch = pitch(p.rows * s.ow, 4, target.alignmentBytes);
  Value transposed = outFor(accumulator);
  Value out = reinterpret(transposed, builder.getIndexAttr(0), {f0, pixels},
                          {outPitch, 1});
  npu::VTransOp::create(
      builder, loc,
      reinterpret(compact, builder.getIndexAttr(0), {pixels, f0}, {f0, 1}),
      out);
  if (count < f0)
    out = reinterpret(transposed, builder.getIndexAttr(0), {count, pixels},
                      {outPitch, 1});
  if (pair)
    return emitPairBlock(n, row, rows, out);
  Value f = times(fb, f0);
  auto dramView = [&](Value runs) {
    return runsView(runs, n, fold(f), fold(times(row, s.ow)), count, pixels);
  };
  if (epilogue.residual) {
    // Into the compaction buffer, free once transposed.
    Value added = reinterpret(compact, builder.getIndexAttr(0), {count, pixels},
                              {outPitch, 1});
    npu::DmaLoadOp::create(builder, loc, dramView(residualRuns), added,
                           DenseI64ArrayAttr());
    npu::VBinOp::create(builder, loc, "add", out, added, out);
  }
  emitClip(builder, loc, out, out, epilogue.min, epilogue.max);
  // The sigmoid into the compaction buffer, free once transposed.
  if (epilogue.silu)
    emitSilu(builder, loc, out, out,
             reinterpret(compact, builder.getIndexAttr(0), {count, pixels},
                         {outPitch, 1}));
  emitUnaryActivation(builder, loc, epilogue, out, out);
  auto store = npu::DmaStoreOp::create(builder, loc, out, dramView(yRuns));
  store.setRelu(epilogue.relu);
}

void GridTiler::emitPairBlock(Value n, Value row, int64_t rows, Value out) {
  int64_t pixels = rows * s.ow, channels = s.f;
  // The previous block's pair products and epilogue first: in the matrix
  // unit's queue they follow this block's grid products (the engines run
  // their queues in order, so it has those to run while the vector unit
  // converted the previous block). Then this block's conversion, its
  // residual loads and the move of its right operand, in that order: the
  // move's signal stands for the loads too (a DMA engine's signal waits
  // for every transfer issued before it), and the previous move's wait for
  // its conversion for the epilogues before that, which freed the
  // accumulators the loads take (sinan-npu-insert-sync drops the handoffs
  // these imply).
  flushPair();
  // The grid convolution's relu (of the f32 sums, as its reference takes
  // it), then its channel rows as bf16 (the pair's products would round
  // them so) into wbuf, zeros past the pixels to the block's width; two
  // buffers, which the blocks take in turn.
  if (pair->firstRelu)
    npu::VUnOp::create(builder, loc, "relu", out, out);
  Value rowsBf16 = reinterpret(pairRows[pairBlock % 2], builder.getIndexAttr(0),
                               {channels, pixels}, {pairN, 1});
  Value rhs = pairRhs[pairBlock % 2];
  ++pairBlock;
  npu::VCvtOp::create(builder, loc, out, rowsBf16);
  // The block's residual comes into its accumulators (those of the block
  // before the previous one, freed by epilogues emitted already; their DRAM
  // latency passes while the matrix unit works), then the move: its signal
  // stands for the loads too.
  int64_t turn0 = pairTurn;
  pairTurn += pair->f / pair->f0;
  if (pair->residual)
    for (int64_t fb = 0; fb < pair->f / pair->f0; ++fb)
      loadPairResidual(n, row, rows, fb, turn0 + fb);
  npu::DmaMoveOp::create(builder, loc, rowsBf16, rhs,
                         pixels < pairN
                             ? builder.getDenseI64ArrayAttr({0, pairN - pixels})
                             : nullptr);
  pendingPair = [=, this] { emitPairProducts(n, row, rows, rhs, turn0); };
}

void GridTiler::loadPairResidual(Value n, Value row, int64_t rows, int64_t fb,
                                 int64_t turn) {
  // (The plan holds two blocks' worth of accumulators, so the epilogue of
  // this one's previous turn, two blocks back, is emitted already.)
  int64_t pixels = rows * s.ow, f0 = pair->f0;
  Value sums = reinterpret(pairAcc[turn % pairAcc.size()],
                           builder.getIndexAttr(0), {f0, pixels}, {pairN, 1});
  npu::DmaLoadOp::create(builder, loc,
                         runsView(pairResidualRuns, n,
                                  builder.getIndexAttr(fb * f0),
                                  fold(times(row, s.ow)), f0, pixels),
                         sums, DenseI64ArrayAttr());
}

void GridTiler::flushPair() {
  if (!pendingPair)
    return;
  std::function<void()> emit = std::move(pendingPair);
  pendingPair = nullptr;
  emit();
}

void GridTiler::emitPairProducts(Value n, Value row, int64_t rows, Value rhs,
                                 int64_t turn0) {
  int64_t pixels = rows * s.ow, channels = s.f, f0 = pair->f0;
  int64_t outPitch = pitch(p.rows * s.ow, 4, target.alignmentBytes);
  Value pixel0 = times(row, s.ow);
  for (int64_t fb = 0; fb < pair->f / f0; ++fb) {
    int64_t turn = turn0 + fb;
    Value accumulator = pairAcc[turn % pairAcc.size()];
    Value block = pairOut[turn % pairOut.size()];
    Value lhs = reinterpret(pairLhs, builder.getIndexAttr(fb * f0 * channels),
                            {f0, channels}, {channels, 1});
    // With a residual the sums start from it (loaded into the accumulator).
    npu::MmaOp::create(builder, loc, lhs, rhs, accumulator)
        .setAccumulate(pair->residual);
    // The bias last (a per-row scalar), on the way out of the accumulator.
    Value sums = reinterpret(accumulator, builder.getIndexAttr(0), {f0, pixels},
                             {pairN, 1});
    Value result = reinterpret(block, builder.getIndexAttr(0), {f0, pixels},
                               {outPitch, 1});
    if (pair->bias)
      npu::VBinOp::create(builder, loc, "add", sums,
                          reinterpret(pairBiasColumn,
                                      builder.getIndexAttr(fb * f0),
                                      {f0, pixels}, {1, 0}),
                          result);
    else
      npu::VScalOp::create(builder, loc, "mul", sums, result,
                           builder.getF32FloatAttr(1.0f));
    auto dramView = [&](Value runs) {
      return runsView(runs, n, builder.getIndexAttr(fb * f0), fold(pixel0), f0,
                      pixels);
    };
    auto store =
        npu::DmaStoreOp::create(builder, loc, result, dramView(pairResultRuns));
    store.setRelu(pair->relu);
  }
}

void GridTiler::loadBias(Value fb) {
  if (!bias)
    return;
  // The bias row repeated W times: f0 channels per pixel.
  int64_t f0 = p.f0;
  Value src = reinterpret(bias, fold(times(fb, f0)), {s.ow, f0}, {0, 1});
  npu::DmaLoadOp::create(
      builder, loc, src,
      reinterpret(biasRow, builder.getIndexAttr(0), {s.ow, f0}, {f0, 1}),
      DenseI64ArrayAttr());
}

SmallVector<std::array<int64_t, 3>>
GridTiler::firstTiles(int64_t rows, int64_t blocks) const {
  SmallVector<std::array<int64_t, 3>> order;
  int64_t taps = s.taps();
  if (interleaves(p, rows))
    for (int64_t tap = 0; tap < taps; ++tap)
      order.push_back({0, 0, tap});
  for (int64_t k = 0; k < p.chunks; ++k)
    for (int64_t b = 0; b < (p.cross ? blocks : 1); ++b)
      for (int64_t tap = 0; tap < taps; ++tap)
        order.push_back({b, k, tap});
  order.truncate(
      std::min<int64_t>(prefetchedTiles(s, p, geo, target), order.size()));
  return order;
}

Value GridTiler::loadTile(Value fb, int64_t k, int64_t tap) {
  Value tile = tiles[turn];
  turn = (turn + 1) % tiles.size();
  int64_t c0 = p.c0;
  Value row =
      plus(times(fb, p.chunks * s.taps() * c0), (k * s.taps() + tap) * c0);
  Value src = memref::SubViewOp::create(
      builder, loc, w,
      ArrayRef<OpFoldResult>{fold(row), builder.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{builder.getIndexAttr(c0),
                             builder.getIndexAttr(p.f0)},
      ArrayRef<OpFoldResult>{builder.getIndexAttr(1), builder.getIndexAttr(1)});
  npu::DmaLoadOp::create(builder, loc, src, tile, DenseI64ArrayAttr());
  return tile;
}

void GridTiler::loadWeights(Value fb, int64_t k) {
  if (!p.resident)
    return;
  if (p.diagonal) {
    // Block k's [taps x c0, f0], into the buffer of its turn.
    int64_t rows = s.taps() * p.c0;
    Value src = memref::SubViewOp::create(
        builder, loc, w,
        ArrayRef<OpFoldResult>{fold(times(fb, rows)), builder.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{builder.getIndexAttr(rows),
                               builder.getIndexAttr(p.f0)},
        ArrayRef<OpFoldResult>{builder.getIndexAttr(1),
                               builder.getIndexAttr(1)});
    npu::DmaLoadOp::create(builder, loc, src, resident[k % resident.size()],
                           DenseI64ArrayAttr());
    return;
  }
  // A buffer per chunk (the first ones' weights come in just before their
  // moves), the last one every remaining chunk's (residentBuffers).
  int64_t last = residentBuffers(p, target) - 1;
  if (k > last)
    return;
  int64_t rows = s.taps() * p.c0;
  int64_t count = k < last ? rows : (p.chunks - k) * rows;
  Value src = memref::SubViewOp::create(
      builder, loc, w,
      ArrayRef<OpFoldResult>{fold(plus(times(fb, p.chunks * rows), k * rows)),
                             builder.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{builder.getIndexAttr(count),
                             builder.getIndexAttr(p.f0)},
      ArrayRef<OpFoldResult>{builder.getIndexAttr(1), builder.getIndexAttr(1)});
  npu::DmaLoadOp::create(builder, loc, src, resident[k], DenseI64ArrayAttr());
}

void GridTiler::emitChannelBlock(const CoreWork &work, Value n, Value fb) {
  // Blocks take the accumulators in turn. Up to kUnrolled blocks are
  // emitted one by one, so each waits only for what it uses (a loop waits
  // at its entry for every buffer its body touches, and drains at its
  // exit). More: the first accs blocks on their own (their products wait
  // for each chunk of the grid as it lands), the rest in a loop over one
  // block per accumulator, a shorter last block on its own.
  constexpr int64_t kUnrolled = 32;
  int64_t rows = work.y1 - work.y0, r = p.rows;
  int64_t full = rows / r, tail = rows % r;
  int64_t accs = acc.size();
  int64_t accTurn = 0;
  auto block = [&](Value row, int64_t count) {
    emitBlock(work, n, fb, row, count, acc[accTurn]);
    accTurn = (accTurn + 1) % accs;
  };
  int64_t peeled = full + (tail > 0) <= kUnrolled ? full : std::min(full, accs);
  int64_t b = 0;
  if (interleaves(p, rows)) {
    // The first two blocks' products of the first chunk, then the rest of
    // each: the second chunk lands meanwhile.
    Value row0 = index(work.y0), row1 = index(work.y0 + r);
    emitBlock(work, n, fb, row0, r, acc[0], 0, 1);
    emitBlock(work, n, fb, row1, r, acc[1], 0, 1);
    emitBlock(work, n, fb, row0, r, acc[0], 1);
    emitBlock(work, n, fb, row1, r, acc[1], 1);
    accTurn = 2 % accs;
    b = 2;
  }
  for (; b < peeled; ++b)
    block(index(work.y0 + b * r), r);
  int64_t pairs = (full - peeled) / accs;
  if (pairs > 0) {
    scf::ForOp blocks = loop(builder, loc, index(work.y0 + peeled * r),
                             index(work.y0 + (peeled + pairs * accs) * r),
                             accs * r, [&](Value row) {
                               for (int64_t k = 0; k < accs; ++k)
                                 emitBlock(work, n, fb, plus(row, k * r), r,
                                           acc[(accTurn + k) % accs]);
                             });
    blocks->setAttr(npu::kBufferedAttrName, builder.getUnitAttr());
  }
  for (int64_t b = peeled + pairs * accs; b < full; ++b)
    block(index(work.y0 + b * r), r);
  if (tail > 0)
    block(index(work.y0 + full * r), tail);
}

void GridTiler::loadBiasRows(int64_t k0, int64_t k1) {
  if (!bias)
    return;
  // The whole chunks in one transfer (each chunk's f0 values repeated
  // OW times: a stride-0 dimension), the last one's channels past F zero.
  int64_t f0 = p.f0, whole = std::min(k1, s.f / f0) - k0;
  if (k1 * f0 > s.f)
    npu::FillOp::create(
        builder, loc,
        reinterpret(biasRow, builder.getIndexAttr((k1 - 1 - k0) * s.ow * f0),
                    {s.ow * f0}, {1}),
        0);
  if (whole > 0)
    npu::DmaLoadOp::create(builder, loc,
                           reinterpret(bias, builder.getIndexAttr(k0 * f0),
                                       {whole, s.ow, f0}, {f0, 0, 1}),
                           reinterpret(biasRow, builder.getIndexAttr(0),
                                       {whole, s.ow, f0}, {s.ow * f0, f0, 1}),
                           DenseI64ArrayAttr());
  if (whole < k1 - k0) {
    int64_t count = s.f - (k1 - 1) * f0;
    npu::DmaLoadOp::create(
        builder, loc,
        reinterpret(bias, builder.getIndexAttr((k1 - 1) * f0), {s.ow, count},
                    {0, 1}),
        reinterpret(biasRow, builder.getIndexAttr(whole * s.ow * f0),
                    {s.ow, count}, {f0, 1}),
        DenseI64ArrayAttr());
  }
}

void GridTiler::emitDiagonalCore(const CoreWork &work) {
  // The core's units: each chunk's row segments in turn (a chunk's weights
  // then load once).
  SmallVector<std::pair<CoreWork, int64_t>> units;
  for (int64_t k = work.fb0; k < work.fb1; ++k)
    for (const CoreWork &part : segmentsOf(p, work))
      units.push_back({part, k});
  auto image = [&](Value n) {
    unitBase = 0;
    // Unit u's rows into its grid (the moves at once: no block of another
    // unit reads it), after its first load the chunk's weights (with its
    // first segment) and every chunk's bias rows (with the first unit).
    auto stageUnit = [&](size_t u) {
      auto [part, k] = units[u];
      diagonalChunk = k;
      diagonalUnit = u;
      bool firstOfChunk = u == 0 || units[u - 1].second != k;
      stage(
          part, n, k, k + 1,
          [&](int64_t) {
            if (firstOfChunk)
              loadWeights(index(k), k);
            if (u == 0)
              loadBiasRows(work.fb0, work.fb1);
          },
          [] {});
      for (std::function<void()> &move : pendingMoves)
        if (move)
          move();
      pendingMoves.clear();
    };
    stageUnit(0);
    for (size_t u = 0; u < units.size(); ++u) {
      // The next unit's staging comes first in every engine's queue, so
      // it runs while this unit's products do.
      if (u + 1 < units.size())
        stageUnit(u + 1);
      auto [part, k] = units[u];
      diagonalChunk = k;
      diagonalUnit = u;
      biasOffset = (k - work.fb0) * s.ow * p.f0;
      emitChannelBlock(part, n, index(k));
    }
  };
  if (s.n == 1)
    image(index(0));
  else
    loop(builder, loc, index(0), index(s.n), 1, image)
        ->setAttr(npu::kBufferedAttrName, builder.getUnitAttr());
}

void GridTiler::emitCore(const CoreWork &work) {
  if (work.y1 <= work.y0 || work.fb1 <= work.fb0)
    return;
  if (p.diagonal)
    return emitDiagonalCore(work);
  Type f32 = builder.getF32Type();
  if (pair) {
    // The pair's weights and bias column, once per core.
    npu::DmaLoadOp::create(
        builder, loc, pairWeights,
        reinterpret(pairLhs, builder.getIndexAttr(0), {pair->f, s.f}, {s.f, 1}),
        DenseI64ArrayAttr());
    if (pair->bias)
      npu::DmaLoadOp::create(
          builder, loc, pairBias,
          reinterpret(pairBiasColumn, builder.getIndexAttr(0), {pair->f}, {1}),
          DenseI64ArrayAttr());
  }
  auto image = [&](Value n) {
    // The bias row comes in with the first channel block's weights while
    // the input lands; the epilogue's other vbuf blocks are allocated after
    // the staging buffers, so by liveness they may take their bytes.
    int64_t blocks = work.fb1 - work.fb0;
    bool allRows = blocks > 1 && blocks <= kUnrolledChannelBlocks;
    if (bias)
      biasRow = local({(allRows ? blocks : 1) * s.ow * p.f0}, f32,
                      npu::MemorySpace::vbuf);
    biasOffset = 0;
    stage(
        work, n, 0, p.chunks,
        [&](int64_t k) {
          loadWeights(index(work.fb0), k);
          // Streamed weights: the first products' tiles come in with the
          // first chunk's first unit, before the loads of the other units
          // issued ahead (prefetchedTiles); the next ones follow the first
          // chunk's moves, each later chunk's first ahead of its moves.
          if (!p.resident && k == 0)
            for (auto [b, chunk, tap] :
                 firstTiles(work.y1 - work.y0, work.fb1 - work.fb0))
              prefetched.push_back(loadTile(index(work.fb0 + b), chunk, tap));
        },
        [&] {
          if (allRows)
            loadBiasRows(work.fb0, work.fb1);
          else
            loadBias(index(work.fb0));
        });
    int64_t outPitch = pitch(p.rows * s.ow, 4, target.alignmentBytes);
    compact = local({std::max(p.rows * s.ow * p.f0, p.f0 * outPitch)}, f32,
                    npu::MemorySpace::vbuf);
    outs.clear();
    for (int64_t b = 0; b < p.outs; ++b)
      outs.push_back(local({p.f0 * outPitch}, f32, npu::MemorySpace::vbuf));
    if (p.cross) {
      // Chunk by chunk, every block's products (the epilogues after the
      // last chunk's).
      int64_t rows = work.y1 - work.y0;
      for (int64_t k = 0; k < p.chunks; ++k)
        for (int64_t fb = work.fb0; fb < work.fb1; ++fb) {
          biasOffset = (fb - work.fb0) * s.ow * p.f0;
          emitBlock(work, n, index(fb), index(work.y0), rows,
                    acc[fb - work.fb0], k, k + 1);
        }
      return;
    }
    emitChannelBlock(work, n, index(work.fb0));
    flushPair();
    // A few channel blocks one by one (see emitChannelBlock), more in a
    // loop.
    if (blocks <= kUnrolledChannelBlocks) {
      for (int64_t fb = work.fb0 + 1; fb < work.fb1; ++fb) {
        biasOffset = (fb - work.fb0) * s.ow * p.f0;
        for (int64_t k = 0; k < p.chunks; ++k)
          loadWeights(index(fb), k);
        emitChannelBlock(work, n, index(fb));
      }
    } else
      loop(builder, loc, index(work.fb0 + 1), index(work.fb1), 1,
           [&](Value fb) {
             loadBias(fb);
             for (int64_t k = 0; k < p.chunks; ++k)
               loadWeights(fb, k);
             emitChannelBlock(work, n, fb);
           })
          ->setAttr(npu::kBufferedAttrName, builder.getUnitAttr());
  };
  if (s.n == 1)
    image(index(0));
  else
    loop(builder, loc, index(0), index(s.n), 1, image)
        ->setAttr(npu::kBufferedAttrName, builder.getUnitAttr());
}

void GridTiler::emit() {
  Type bf16 = builder.getBF16Type();
  SmallVector<ReassociationIndices> groups = {{0}, {1}, {2, 3}};
  xRuns = memref::CollapseShapeOp::create(builder, loc, x, groups);
  yRuns = memref::CollapseShapeOp::create(builder, loc, y, groups);
  if (residual)
    residualRuns =
        memref::CollapseShapeOp::create(builder, loc, residual, groups);
  for (int64_t k = 0; k < p.accs; ++k)
    acc.push_back(allocTile(builder, loc, entry, geo.positions(p.rows), p.f0,
                            builder.getF32Type(), npu::MemorySpace::acc,
                            target.alignmentBytes));
  int64_t weightBuffers = residentBuffers(p, target);
  for (int64_t k = 0; k < weightBuffers; ++k)
    resident.push_back(
        allocTile(builder, loc, entry,
                  (p.diagonal || k + 1 < weightBuffers ? 1 : p.chunks - k) *
                      s.taps() * p.c0,
                  p.f0, bf16, npu::MemorySpace::wbuf, target.alignmentBytes));
  if (!p.resident)
    for (int64_t k = 0; k < p.depth; ++k)
      tiles.push_back(allocTile(builder, loc, entry, p.c0, p.f0, bf16,
                                npu::MemorySpace::wbuf, target.alignmentBytes));
  SmallVector<CoreWork> work = coreWork(s, p);
  // Block-diagonal chunks: the vbuf buffers too are one set for every core
  // (allocated per core region, they would not all fit disjoint, and a
  // buffer placed over another by liveness waits for that one's readers).
  if (p.diagonal) {
    Type f32 = builder.getF32Type();
    int64_t most = maxStagedRows(s, p, geo);
    int64_t band = bandRows(s, p, most);
    int64_t rowPitch = pitch(band * s.w, 2, target.alignmentBytes);
    for (int64_t b = 0; b < std::min(p.staging, ceilDiv(most, band)); ++b)
      diagonalStaging.push_back(local({p.c0 * rowPitch + band * s.w * p.c0},
                                      bf16, npu::MemorySpace::vbuf));
    if (bias) {
      int64_t chunks = 0;
      for (const CoreWork &part : work)
        chunks = std::max(chunks, part.fb1 - part.fb0);
      biasRow = local({chunks * s.ow * p.f0}, f32, npu::MemorySpace::vbuf);
    }
    int64_t outPitch = pitch(p.rows * s.ow, 4, target.alignmentBytes);
    compact = local({std::max(p.rows * s.ow * p.f0, p.f0 * outPitch)}, f32,
                    npu::MemorySpace::vbuf);
    for (int64_t b = 0; b < p.outs; ++b)
      outs.push_back(local({p.f0 * outPitch}, f32, npu::MemorySpace::vbuf));
  }
  // One grid per chunk for every core, sized for the largest region: a
  // buffer per core would, placed at other offsets, alias this core's
  // others and join them into one resource for synchronization.
  for (const CoreWork &part : segmentWork(s, p))
    gridSize = std::max(gridSize, geo.gridPositions(part.y1 - part.y0, p.rows));
  // A buffer per chunk's phase grids, or two: the first chunk's, which the
  // first products wait for alone, and the other chunks'.
  for (int64_t k = 0; k < p.grids; ++k)
    grid.push_back(allocTile(
        builder, loc, entry,
        (p.diagonal || p.grids == p.chunks || k == 0 ? 1 : p.chunks - 1) *
            int64_t(geo.phases.size()) * gridSize,
        p.c0, bf16, npu::MemorySpace::ibuf, target.alignmentBytes));
  if (pair) {
    Type f32 = builder.getF32Type();
    int64_t align = target.alignmentBytes;
    pairN = roundUp(p.rows * s.ow, align / 2);
    int64_t outPitch = pitch(p.rows * s.ow, 4, align);
    pairResultRuns =
        memref::CollapseShapeOp::create(builder, loc, pairResult, groups);
    if (pairResidual)
      pairResidualRuns =
          memref::CollapseShapeOp::create(builder, loc, pairResidual, groups);
    pairLhs = allocTile(builder, loc, entry, pair->f, s.f, bf16,
                        npu::MemorySpace::ibuf, align);
    // An accumulator per block of the pair's output channels (up to 4), so
    // a row block's products need not wait for its first blocks' adds.
    for (int64_t b = 0; b < pairAccumulators(s, p, *pair, target); ++b)
      pairAcc.push_back(allocTile(builder, loc, entry, pair->f0, pairN, f32,
                                  npu::MemorySpace::acc, align));
    for (int b = 0; b < 2; ++b) {
      pairRhs.push_back(allocTile(builder, loc, entry, s.f, pairN, bf16,
                                  npu::MemorySpace::wbuf, align));
      pairRows.push_back(local({s.f * pairN}, bf16, npu::MemorySpace::vbuf));
    }
    // Output blocks: a block's store must land before its buffer takes
    // another (a DRAM latency), so a few of them in turn.
    for (int b = 0; b < kPairOutputs; ++b)
      pairOut.push_back(
          local({pair->f0 * outPitch}, f32, npu::MemorySpace::vbuf));
    if (pair->bias)
      pairBiasColumn = local({pair->f}, f32, npu::MemorySpace::vbuf);
  }
  if (p.cores == 1)
    return emitCore(work.front());
  Value core = npu::CoreIdOp::create(builder, loc, builder.getIndexType());
  for (int64_t c = 0; c < p.cores; ++c)
    onCore(builder, loc, core, c, [&] { emitCore(work[c]); });
}

/// A chunk's staging costs in cycles: per band its load, transpose and
/// moves; its weights and zeros.
struct StagingCosts {
  SmallVector<double> in, trans, move;
  double weights, fills;
};

/// The epilogues of a grid tiler's blocks in turn, for its estimates: the
/// vector unit compacts a block's accumulator once its products are done,
/// transposes it into its channel-rows buffer once that buffer's previous
/// store has landed and runs the other passes; DMA-out stores it. `vec` is
/// the vector unit's clock (staging transposes may advance it too).
struct EpilogueClock {
  EpilogueClock(const ConvShape &s, const ConvEpilogue &epilogue,
                const GridPlan &p, const TargetDesc &target, double bw,
                const PairStage *pair = nullptr)
      : s(s), epilogue(epilogue), p(p), bw(bw), setup(target.dmaSetupCycles),
        latency(target.dramLatencyCycles), vecBw(target.vectorBytesPerCycle),
        vecLat(target.vectorLatencyCycles), pair(pair), accFree(p.accs, 0.0),
        stored(p.outs, 0.0) {}

  /// When the next block's accumulator is free.
  double accReady() const { return accFree[turn]; }

  /// The epilogue of a block of `rows` output rows whose products end at
  /// `done`, not before `after` (the bias rows landing); returns DMA-in's
  /// cycles for its residual.
  double block(int64_t rows, double done, double after = 0) {
    double pixels = double(rows * s.ow * p.f0 * 4);
    double pass = pixels / vecBw + vecLat;
    double compacted = std::max({done, vec, after}) + pass;
    accFree[turn] = compacted;
    double &outFree = stored[turn % p.outs];
    turn = (turn + 1) % p.accs;
    vec = std::max(compacted, outFree) + (1 + epilogue.vectorPasses()) * pass;
    if (pair) {
      // The pair (PairStage): the relu and the conversion of these channel
      // rows (after the previous block's pair epilogue, pairBlock); its
      // residual loads instead of this store.
      outFree = vec;
      double out = double(rows * s.ow * pair->f * 4);
      return pair->residual ? out * pair->residualBytes / 4 / bw +
                                  setup * (pair->f / pair->f0)
                            : 0.0;
    }
    double store = std::max(pixels * s.outBytes / 4 / bw, double(p.f0)) + setup;
    dout = std::max(vec, dout) + store;
    outFree = dout + latency;
    last = outFree;
    return epilogue.residual ? pixels / bw + setup : 0.0;
  }

  /// The relu and conversion of a pair's block of `rows` rows.
  void pairConversion(int64_t rows) {
    double pass = double(rows * s.ow * p.f0 * 4) / vecBw + vecLat;
    vec += (pair->firstRelu ? 2 : 1) * pass;
  }

  /// A pair's epilogue of a block of `rows` rows whose products end at
  /// `done`: per block of its output channels the bias (or a copy) out of
  /// the accumulator, then the store.
  void pairBlock(int64_t rows, double done) {
    double out = double(rows * s.ow * pair->f * 4);
    int64_t blocks = pair->f / pair->f0;
    vec = std::max(vec, done) + out / vecBw + blocks * vecLat;
    double stores = std::max(out * pair->outBytes / 4 / bw, double(pair->f)) +
                    setup * blocks;
    dout = std::max(vec, dout) + stores;
    last = dout + latency;
  }

  const ConvShape &s;
  const ConvEpilogue &epilogue;
  const GridPlan &p;
  double bw, setup, latency, vecBw, vecLat;
  const PairStage *pair;
  double vec = 0, dout = 0, last = 0;
  SmallVector<double> accFree, stored;
  int64_t turn = 0;
};

/// Cycles of a block-diagonal plan on the busiest core, with the staging
/// costs of its chunks: in program order chunk k + 1 stages (DMA-in loads
/// its bands and weights, the vector unit transposes them, DMA-in moves
/// them into the grid the products of chunk k - 1 have freed) before the
/// blocks of chunk k (products, the vector unit's passes, the store).
double estimateDiagonal(const ConvShape &s, const TargetDesc &target,
                        const ConvEpilogue &epilogue, const GridPlan &p,
                        const GridGeometry &geo, const StagingCosts &c) {
  const MatrixTile &tile = geo.tile;
  double bw = std::min<double>(target.dmaBytesPerCycle,
                               double(target.dramBytesPerCycle) / p.cores);
  double setup = target.dmaSetupCycles, latency = target.dramLatencyCycles;
  int64_t chunks = chunksPerCore(p);
  // Units: each chunk's row segments in turn.
  int64_t rows = p.rowsPerCore, f0 = p.f0;
  int64_t segmentRows = ceilDiv(rows, p.segments);
  int64_t segments = ceilDiv(rows, segmentRows), units = chunks * segments;
  double dinAt = 0, mxuAt = 0;
  SmallVector<double> ready(units, 0.0), gridFree(2, 0.0);
  EpilogueClock epilogues(s, epilogue, p, target, bw);
  double &vecAt = epilogues.vec;
  // Units load into `buffers` staging buffers in turn, a unit's load
  // issued after the move out of the buffer it takes (stage's order: the
  // first `ahead` loads, the zeros, then per unit its move and the next
  // loads that have a buffer).
  int64_t bands = c.in.size();
  int64_t buffers = std::min(p.staging, bands);
  // Every chunk's bias row in one load after the first chunk's weights.
  double biasLanded = 0;
  double biasLoad = s.bias ? std::max(double(chunks * s.ow * f0 * 4) / bw,
                                      double(chunks * s.ow)) +
                                 setup
                           : 0.0;
  double weightsLanded = 0;
  auto stageUnit = [&](int64_t k) {
    SmallVector<double> transposed;
    int64_t loaded = 0;
    auto load = [&] {
      int64_t j = loaded++;
      dinAt += c.in[j];
      vecAt = std::max(vecAt, dinAt + latency) + c.trans[j];
      transposed.push_back(vecAt);
      // (A chunk's weights with its first segment.)
      if (j == 0 && k % segments == 0) {
        dinAt += c.weights;
        weightsLanded = dinAt + latency;
        if (k == 0) {
          dinAt += biasLoad;
          biasLanded = dinAt + latency;
        }
      }
    };
    while (loaded < std::min<int64_t>(buffers, std::max<int64_t>(p.ahead, 1)))
      load();
    dinAt = std::max(dinAt, gridFree[k % 2]) + c.fills;
    for (int64_t j = 0; j < bands; ++j) {
      dinAt = std::max(dinAt, transposed[j]) + c.move[j];
      while (loaded < std::min(bands, j + 1 + buffers))
        load();
    }
    ready[k] = std::max(dinAt, weightsLanded);
  };
  auto blocks = [&](int64_t k) {
    int64_t first = k % segments * segmentRows;
    int64_t end = std::min(rows, first + segmentRows);
    for (int64_t row = first; row < end; row += p.rows) {
      int64_t r = std::min(p.rows, end - row);
      double product = double(geo.positions(r) / tile.m) * (p.c0 / tile.k) *
                       (f0 / tile.n) * s.taps();
      mxuAt = std::max({mxuAt, ready[k], epilogues.accReady()}) + product;
      dinAt += epilogues.block(r, mxuAt, biasLanded);
    }
    gridFree[k % 2] = mxuAt;
  };
  stageUnit(0);
  for (int64_t k = 0; k < units; ++k) {
    if (k + 1 < units)
      stageUnit(k + 1);
    blocks(k);
  }
  return std::max(epilogues.last, dinAt + latency);
}

/// Cycles of `p` on the busiest core (the first), or nullopt when its
/// buffers do not fit: the first chunk's staging and the last block's
/// epilogue around the busiest engine's total.
/// The bytes a pair (PairStage) adds to each local memory for `p`: its
/// weights in ibuf, its right operand in wbuf, its accumulators (which
/// also take its residual), and in vbuf the converted rows, the output
/// blocks and the bias column.
struct PairBytes {
  int64_t ibuf = 0, wbuf = 0, acc = 0, vbuf = 0, n = 0;
};

PairBytes pairBytes(const ConvShape &s, const GridPlan &p,
                    const PairStage &pair, const TargetDesc &target) {
  PairBytes b;
  int64_t align = target.alignmentBytes;
  int64_t pixels = p.rows * s.ow;
  b.n = roundUp(pixels, align / 2);
  b.ibuf = pair.f * pitch(s.f, 2, align) * 2;
  b.wbuf = 2 * s.f * b.n * 2;
  b.acc = pairAccumulators(s, p, pair, target) * pair.f0 * b.n * 4;
  int64_t outPitch = pitch(pixels, 4, align);
  b.vbuf = 2 * s.f * b.n * 2 + kPairOutputs * pair.f0 * outPitch * 4 +
           roundUp(pair.f * 4, align);
  return b;
}

std::optional<double> estimateGrid(const ConvShape &s, const TargetDesc &target,
                                   const ConvEpilogue &epilogue,
                                   const GridPlan &p, const GridGeometry &geo,
                                   const PairStage *pair = nullptr) {
  const MatrixTile &tile = geo.tile;
  int64_t align = target.alignmentBytes;
  // (A block-diagonal grid holds one segment's rows.)
  int64_t rows =
      p.diagonal ? ceilDiv(p.rowsPerCore, p.segments) : p.rowsPerCore;
  int64_t c0 = p.c0, f0 = p.f0;
  int64_t valid = maxStagedRows(s, p, geo);
  int64_t band = bandRows(s, p, valid), run = band * s.w;
  int64_t bands = valid > 0 ? ceilDiv(valid, band) : 0;
  // (Block-diagonal chunks stage one at a time, into two grids.)
  int64_t units = chunksPerBlock(p) * bands;
  int64_t held = p.diagonal ? p.grids : p.chunks;
  int64_t phases = geo.phases.size();
  int64_t outPitch = pitch(p.rows * s.ow, 4, align);
  int64_t tileBytes = c0 * pitch(f0, 2, align) * 2;
  int64_t staging = std::min(p.staging, units) *
                    (c0 * pitch(run, 2, align) * 2 + run * c0 * 2);
  // (Block-diagonal chunks keep every chunk's bias row of the core.)
  int64_t coreChunks = chunksPerCore(p);
  int64_t keptRows = biasRows(s, p);
  int64_t epilogueBytes =
      (std::max(p.rows * s.ow * f0, f0 * outPitch) + p.outs * f0 * outPitch +
       (s.bias       ? keptRows
        : p.diagonal ? coreChunks
                     : 1) *
           s.ow * f0) *
      4;
  // (The pair's buffers live through the whole kernel, beside both.)
  PairBytes extra = pair ? pairBytes(s, p, *pair, target) : PairBytes();
  // A pair's row block loads its residual into the accumulators of the
  // block before the previous one (emitPairBlock): two blocks' worth.
  if (pair && pair->residual &&
      pairAccumulators(s, p, *pair, target) < 2 * pair->f / pair->f0)
    return std::nullopt;
  epilogueBytes += extra.vbuf;
  staging += extra.vbuf;
  if (held * phases * geo.gridPositions(rows, p.rows) * c0 * 2 + extra.ibuf >
          int64_t(target.ibuf.sizeBytes) ||
      p.accs * p.m * f0 * 4 + extra.acc > int64_t(target.acc.sizeBytes) ||
      (p.resident ? held * s.taps() * tileBytes : p.depth * tileBytes) +
              extra.wbuf >
          int64_t(target.wbuf.sizeBytes) ||
      std::max(staging, epilogueBytes) > int64_t(target.vbuf.sizeBytes) ||
      ((s.n > 1 || p.diagonal) &&
       staging + epilogueBytes > int64_t(target.vbuf.sizeBytes)) ||
      p.grids + (p.resident ? residentBuffers(p, target) : p.depth) + 1 >
          int64_t(target.semaphoresPerEnginePair))
    return std::nullopt;
  double bw = std::min<double>(target.dmaBytesPerCycle,
                               double(target.dramBytesPerCycle) / p.cores);
  double setup = target.dmaSetupCycles, latency = target.dramLatencyCycles;
  double vecBw = target.vectorBytesPerCycle,
         vecLat = target.vectorLatencyCycles;
  // A DMA costs its bytes or its rows, whichever is more; rows of f0
  // bf16 merge into one when they fill whole granules.
  bool tileRowsMerge = pitch(f0, 2, align) == f0;
  // Per band, a unit's load (one run per channel), transpose and moves (per
  // phase, a DMA row per image row at stride 1, else per pixel).
  SmallVector<double> in, trans, move;
  for (int64_t j = 0; j < bands; ++j) {
    int64_t rowsIn = std::min(band, valid - j * band), pixels = rowsIn * s.w;
    in.push_back(std::max(double(c0) * pixels * s.inBytes / bw, double(c0)) +
                 setup);
    trans.push_back((geo.splitsPairs() ? 2 : 1) *
                    (double(c0) * pixels * 2 / vecBw + vecLat));
    // Rows moved as runs also write their gap, and a stride-2
    // convolution's four phases (of one size) move as one transfer.
    double bytes = 0, dmaRows = 0, separate = 0;
    bool rowRuns = geo.movesRows();
    for (int64_t phase : geo.phases) {
      int64_t rowsRead = ceilDiv(rowsIn, s.sh),
              cols = geo.phaseCols(phase % s.sw);
      double phaseBytes = rowsRead * (rowRuns ? geo.pitch : cols) * c0 * 2;
      double phaseRows = rowRuns ? rowsRead : rowsRead * cols;
      bytes += phaseBytes;
      dmaRows += phaseRows;
      separate +=
          std::max(phaseBytes / target.dmaBytesPerCycle, phaseRows) + setup;
    }
    bool oneMove = rowRuns && phases == 4 && s.h % 2 == 0 && band % 2 == 0;
    move.push_back(
        oneMove ? std::max(bytes / target.dmaBytesPerCycle, dmaRows) + setup
                : separate);
  }
  // One chunk's resident weights.
  double weights = p.resident
                       ? std::max(double(s.taps() * c0 * f0 * 2) / bw,
                                  tileRowsMerge ? 1.0 : double(s.taps() * c0)) +
                             setup
                       : 0.0;
  auto biasLoad = [&](int64_t rows) {
    return std::max(double(rows * s.ow * f0 * 4) / bw, double(rows * s.ow)) +
           setup;
  };
  double biasRow = biasLoad(1);
  // A chunk's zeros (the first core's: its grid has the most zero rows).
  double fills = 0;
  for (const GridFill &fill :
       gridZeros(geo, target, 0, rows, geo.gridPositions(rows, p.rows), 0))
    fills += dmaCycles(target, fill.elements() * 2, fill.rows());
  if (p.diagonal)
    return estimateDiagonal(s, target, epilogue, p, geo,
                            {in, trans, move, weights, fills});
  // DMA-in issues the loads of the units that have a staging buffer (the
  // first unit's weights after its load), then per chunk its weights (past
  // the first) and zeros and per band, once transposed, the band's move and
  // the load of the unit that takes its buffer. A DMA engine's signal waits
  // for every transfer issued before it, so a move's signal waits for those
  // loads to land. The first block's products of chunk k wait for its
  // moves; `head` is when the first block's products would start were they
  // never held up by a later chunk.
  double firstProducts =
      double(geo.positions(std::min(p.rows, rows)) / tile.m) * (c0 / tile.k) *
      (f0 / tile.n) * s.taps();
  // Crossed channel blocks: a product as its streamed tiles allow (each
  // tile's load waits for the product depth tiles back to free its
  // buffer).
  int64_t crossed = p.cross ? coreChannelBlocks(s, p) : 1;
  double tapProduct = firstProducts / s.taps();
  // Chunks past the first share one grid buffer: their products wait for
  // the last of their moves.
  int64_t buffers = std::min(p.staging, units);
  double dinAt = 0, landed = 0, vecAt = 0, mxuAt = 0;
  SmallVector<double> transposed(units, 0.0), ready(p.chunks, 0.0);
  auto issueLoad = [&](int64_t u) {
    dinAt += in[u % bands];
    landed = std::max(landed, dinAt + latency);
    vecAt = std::max(vecAt, dinAt + latency) + trans[u % bands];
    transposed[u] = vecAt;
  };
  int64_t next = std::min(buffers, p.ahead);
  bool interleaved = interleaves(p, rows);
  double tileLoad = tileLoadCycles(p, target);
  if (p.cross)
    tapProduct = std::max(
        {tapProduct, tileLoad, (tileLoad + latency + tapProduct) / p.depth});
  // After the first unit's load, the first chunk's resident weights or
  // the streamed tiles loaded ahead (prefetchedTiles).
  for (int64_t u = 0; u < next; ++u) {
    issueLoad(u);
    if (u == 0) {
      dinAt +=
          p.resident ? weights : prefetchedTiles(s, p, geo, target) * tileLoad;
      landed = std::max(landed, dinAt + latency);
    }
  }
  auto stageChunk = [&](int64_t k) {
    dinAt += fills;
    for (int64_t u = k * bands; u < (k + 1) * bands; ++u) {
      dinAt = std::max(dinAt, transposed[u]) + move[u % bands];
      if (u == (k + 1) * bands - 1)
        ready[k] = std::max(dinAt, landed);
      for (; next < std::min(units, u + 1 + buffers); ++next)
        issueLoad(next);
    }
  };
  // The first block emits chunk k's zeros and moves (every later chunk's,
  // when they share a grid buffer) just before its products of chunk k.
  // With streamed weights DMA-in reaches them only after the tiles of the
  // products before them, which load as those products free tile buffers,
  // and after the chunk's own first tile.
  for (int64_t k = 0; k < p.chunks; ++k) {
    bool shared = p.grids < p.chunks && k > 0;
    if (k <= 1 || !shared) {
      // Streamed: the chunk's first tile ahead of its moves, once the
      // product depth tiles back has freed its buffer.
      if (k > 0 && !p.resident) {
        dinAt =
            std::max(dinAt, mxuAt - (p.depth - 1) * firstProducts / s.taps()) +
            tileLoad;
        landed = std::max(landed, dinAt + latency);
      }
      // Resident weights past the first chunk's: a chunk's own, or with
      // the last buffer every remaining chunk's at once.
      int64_t lastBuffer = residentBuffers(p, target) - 1;
      if (k >= 1 && k <= lastBuffer) {
        dinAt += weights * (k < lastBuffer ? 1 : p.chunks - k);
        landed = std::max(landed, dinAt + latency);
      }
      for (int64_t j = k; j < (shared ? p.chunks : k + 1); ++j)
        stageChunk(j);
    }
    // (Interleaved, the second block's products of the first chunk too;
    // crossed, every channel block's.)
    mxuAt = std::max(mxuAt, shared ? ready.back() : ready[k]) +
            (p.cross ? crossed * s.taps() * tapProduct
                     : (k == 0 && interleaved ? 2 : 1) * firstProducts);
  }
  double head = mxuAt - (p.chunks + (interleaved ? 1 : 0)) * firstProducts;
  double din = dinAt + biasLoad(std::max<int64_t>(keptRows, 1));
  int64_t channelBlocks = coreChannelBlocks(s, p);
  // The blocks in order: the matrix unit's products into the accumulators
  // in turn (one is free once the vector unit has compacted it), then the
  // vector passes (the transpose into the one channel-rows buffer once the
  // previous block's store has landed) and the store.
  double mxuClock = head;
  EpilogueClock epilogues(s, epilogue, p, target, bw, pair);
  // The pair's weights come in once, with the first chunk's.
  if (pair)
    din += double(pair->f * s.f * 2) / bw + setup;
  epilogues.vec = vecAt;
  // A pair's products of the block before, emitted after the next block's
  // grid products.
  int64_t pendingRows = 0;
  double pendingReady = 0, pendingProducts = 0, lastMove = 0;
  auto flushPair = [&] {
    if (pendingRows == 0)
      return;
    mxuClock = std::max(mxuClock, pendingReady) + pendingProducts;
    epilogues.pairBlock(pendingRows, mxuClock);
    pendingRows = 0;
  };
  auto block = [&](int64_t r) {
    int64_t m = geo.positions(r);
    double product = double(m / tile.m) * (c0 / tile.k) * (f0 / tile.n);
    if (!p.resident) {
      product = std::max(
          {product, tileLoad, (tileLoad + latency + product) / p.depth});
      din += p.chunks * s.taps() * tileLoad;
    }
    mxuClock = std::max(mxuClock, epilogues.accReady()) +
               p.chunks * s.taps() * product;
    din += epilogues.block(r, mxuClock);
    if (pair) {
      // The previous block's pair products (after this block's grid
      // products) and epilogue, then this block's conversion and the move
      // of its right operand into wbuf, whose signal waits for the
      // residual loads before it to land.
      flushPair();
      epilogues.pairConversion(r);
      int64_t n = roundUp(r * s.ow, align / 2);
      double move =
          std::max(double(s.f * n * 2) / target.dmaBytesPerCycle, double(s.f)) +
          setup;
      din += move;
      // The residual loads queue on DMA-in behind the previous block's
      // move, so they are under way while this block converts.
      double loads = pair->residual ? double(r * s.ow * pair->f) *
                                              pair->residualBytes / bw +
                                          setup * (pair->f / pair->f0)
                                    : 0.0;
      double landed = lastMove + loads + latency;
      lastMove = std::max(epilogues.vec, lastMove + loads) + move;
      pendingRows = r;
      pendingReady = pair->residual ? std::max(lastMove, landed) : lastMove;
      pendingProducts =
          double(pair->f / tile.m) * (s.f / tile.k) * (n / tile.n);
    }
  };
  if (p.cross) {
    // Every product is in by mxuAt; block b's last one came (blocks - 1 -
    // b) blocks' last-chunk products before.
    for (int64_t b = 0; b < channelBlocks; ++b) {
      double done = mxuAt - (channelBlocks - 1 - b) * s.taps() * tapProduct;
      din += p.chunks * s.taps() * tileLoad + epilogues.block(rows, done);
    }
    return std::max(epilogues.last, din + latency);
  }
  for (int64_t b = 0; b < channelBlocks; ++b) {
    // A later channel block's resident weights (and its bias row, when
    // the core keeps one: biasRows) wait for the previous block's products
    // (one buffer each).
    if (b > 0) {
      double wait = (keptRows == 1 ? biasRow : 0.0) + p.chunks * weights;
      if (wait > 0) {
        mxuClock += wait + latency;
        din += wait;
      }
    }
    for (int64_t row = 0; row < rows; row += p.rows)
      block(std::min(p.rows, rows - row));
  }
  flushPair();
  return std::max(epilogues.last, din + latency);
}

/// (bands, staging buffers, units loaded ahead) to try: each chunk's rows
/// whole or in 2, 4 or 8 bands (distinct band sizes only), through as many
/// buffers as units, or 2 or 3, with every buffer's unit loaded before the
/// first moves or only the first chunk's.
SmallVector<std::tuple<int64_t, int64_t, int64_t>>
stagingCandidates(const ConvShape &s, const GridPlan &p,
                  const MatrixTile &tile) {
  int64_t most = maxStagedRows(s, p, GridGeometry(s, p, tile));
  SmallVector<std::tuple<int64_t, int64_t, int64_t>> candidates;
  int64_t previous = 0;
  for (int64_t bands : {1, 2, 4, 8}) {
    GridPlan q = p;
    q.bands = bands;
    int64_t band = bandRows(s, q, most);
    if (band == previous || (bands > 1 && band < s.sh))
      break;
    previous = band;
    int64_t units = p.chunks * ceilDiv(std::max<int64_t>(most, 1), band);
    for (int64_t staging :
         {units, std::min<int64_t>(units, 2), std::min<int64_t>(units, 3),
          std::min<int64_t>(units, 4)})
      for (int64_t ahead : {staging, std::min(staging, bands)})
        if (!llvm::is_contained(candidates, std::tuple(bands, staging, ahead)))
          candidates.push_back({bands, staging, ahead});
  }
  return candidates;
}

} // namespace

namespace sinan::tiling {

bool gridApplies(const ConvShape &s) {
  // Up to four phases; the output as wide as the phases (a "same"
  // convolution at its stride), so output rows and phase rows line up.
  return (s.group == 1 || s.cg == s.fg) && !s.flat && s.sh <= 2 && s.sw <= 2 &&
         s.ow == ceilDiv(s.w, s.sw);
}

/// The search chooseGridPlan caches.
static std::optional<GridPlan> searchGridPlan(const ConvShape &s,
                                              const TargetDesc &target,
                                              const ConvEpilogue &epilogue,
                                              const PairStage *pair) {
  const MatrixTile &tile = target.matrixTiles.at(DType::BF16);
  // Groups narrower than the tile run as block-diagonal chunks (wider ones
  // are the implicit GEMM's).
  bool diagonal = s.group > 1;
  if (!gridApplies(s) || (!diagonal && s.f % tile.n) ||
      (diagonal && s.cg >= tile.k) || (pair && diagonal))
    return std::nullopt;
  int64_t align = target.alignmentBytes;
  // (With a pair the pair's result is what the cores store.)
  int64_t outBytes = pair ? pair->outBytes : s.outBytes;
  std::optional<GridPlan> best;
  for (int64_t c0 = align / 2; c0 <= 256; c0 *= 2) {
    if (c0 % tile.k || (c0 > align / 2 && c0 / 2 >= s.c))
      continue;
    // A block-diagonal chunk holds whole groups, and a wider one than
    // needed only multiplies the zero products.
    if (diagonal && (c0 % s.cg || c0 > std::max<int64_t>(align / 2, tile.k)))
      continue;
    int64_t chunks = ceilDiv(s.c, c0);
    // Output channel blocks: the tile times powers of two, or all of F
    // when it is at most 256 (fewer candidates keep compile time down);
    // a block-diagonal chunk's own channels.
    for (int64_t f0 = diagonal ? c0 : tile.n;
         f0 <= (diagonal ? c0 : std::min<int64_t>(s.f, 256));
         f0 = f0 * 2 > std::min<int64_t>(s.f, 256) && f0 < s.f && s.f <= 256
                  ? s.f
                  : f0 * 2) {
      if ((!diagonal && s.f % f0) || (pair && f0 != s.f))
        continue;
      int64_t fBlocks = diagonal ? chunks : s.f / f0;
      for (bool splitRows : {false, true}) {
        // (A pair needs every channel of a core's rows: cores split rows,
        // or there is one core.)
        if (pair && !splitRows && target.cores > 1)
          continue;
        GridPlan p;
        p.c0 = c0;
        p.f0 = f0;
        p.chunks = chunks;
        p.diagonal = diagonal;
        p.splitRows = splitRows;
        auto split = coreSplit(s, outBytes, splitRows, f0, fBlocks, target);
        if (!split)
          continue;
        std::tie(p.rowsPerCore, p.cores) = *split;
        for (int64_t segments : {1, 2, 4, 8, 16, 32, 64}) {
          // Row segments for block-diagonal chunks only, of distinct
          // heights.
          int64_t segmentRows = ceilDiv(p.rowsPerCore, segments);
          if (segments > 1 &&
              (!diagonal ||
               segmentRows == ceilDiv(p.rowsPerCore, segments / 2)))
            continue;
          p.segments = segments;
          SmallVector<std::tuple<int64_t, int64_t, int64_t>> stagings =
              stagingCandidates(s, p, tile);
          for (int64_t r = 1; r <= segmentRows; ++r) {
            // Taller blocks only grow the accumulators.
            if (p.accs * GridGeometry(s, p, tile).positions(r) * f0 * 4 >
                int64_t(target.acc.sizeBytes))
              break;
            for (bool resident : {true, false})
              for (int64_t depth = 2; depth <= (resident ? 2 : 4); ++depth) {
                if (diagonal && !resident)
                  continue;
                for (auto [bands, staging, ahead] : stagings) {
                  for (int64_t outs : {1, 2})
                    for (auto [interleave, pairs] :
                         {std::pair(false, false), std::pair(true, false),
                          std::pair(false, true), std::pair(true, true)}) {
                      // Pixel pairs split only at stride 2 across an even
                      // width.
                      if (pairs && (s.sw != 2 || s.w % 2))
                        continue;
                      if (diagonal && interleave)
                        continue;
                      // A second channel-rows buffer for block-diagonal
                      // chunks only: their blocks' epilogues are as long as
                      // their products. On ResNet's 3x3 layers the estimate
                      // took it and the simulator ran 1-5 % slower.
                      if (outs > 1 && !diagonal)
                        continue;
                      GridPlan q = p;
                      q.pairs = pairs;
                      q.ahead = ahead;
                      q.interleave = interleave;
                      q.rows = r;
                      // (Interleaving that does not apply is the plan without.)
                      if (interleave && !interleaves(q, p.rowsPerCore))
                        continue;
                      q.resident = resident;
                      q.depth = depth;
                      q.outs = outs;
                      q.bands = bands;
                      q.staging = staging;
                      // A grid buffer per chunk when semaphores allow; strided
                      // convolutions (whose many small chunks would not) may
                      // share one for the chunks past the first.
                      q.grids =
                          chunks +
                                          (resident
                                               ? std::min<int64_t>(chunks, 2)
                                               : depth) +
                                          1 <=
                                      int64_t(target.semaphoresPerEnginePair) ||
                                  (s.sh == 1 && s.sw == 1)
                              ? chunks
                              : std::min<int64_t>(chunks, 2);
                      // Block-diagonal chunks: two grids in turn (one for a
                      // core of one chunk).
                      if (diagonal)
                        q.grids = std::min<int64_t>(
                            2, chunksPerCore(p) *
                                   ceilDiv(p.rowsPerCore, segmentRows));
                      GridGeometry geo(s, q, tile);
                      q.m = geo.positions(r);
                      for (bool cross : {false, true}) {
                        q.cross = cross;
                        if (cross && (pair || !crossApplies(s, q)))
                          continue;
                        // (One image's: the kernel takes the images one
                        // after another, its loop over them npu.buffered.)
                        if (std::optional<double> cycles = estimateGrid(
                                s, target, epilogue, q, geo, pair)) {
                          q.cycles = *cycles * double(s.n);
                          if (!best || q.cycles < best->cycles)
                            best = q;
                        }
                      }
                    }
                }
              }
          }
        }
      }
    }
  }
  return best;
}

std::string describe(const GridPlan &p) {
  return llvm::formatv(
      "{0} c0={1} f0={2} rows={3} m={4} chunks={5} cores={6} split={7} "
      "weights={8} depth={9} accs={10} bands={11} staging={12} ahead={13} "
      "interleave={14} grids={15} pairs={16} outs={17} segments={18} "
      "cross={19} estimate={20}",
      p.diagonal ? "grid diagonal" : "grid", p.c0, p.f0, p.rows, p.m, p.chunks,
      p.cores, p.splitRows ? "rows" : "channels",
      p.resident ? "resident" : "streamed", p.depth, p.accs, p.bands, p.staging,
      p.ahead, int(p.interleave), p.grids, int(p.pairs), p.outs, p.segments,
      int(p.cross), int64_t(p.cycles));
}

Value channelRuns(OpBuilder &builder, Location loc, Value tensor,
                  OpFoldResult n, OpFoldResult channel, OpFoldResult start,
                  int64_t count, int64_t length) {
  SmallVector<OpFoldResult> offsets = {n, channel, start};
  SmallVector<OpFoldResult> sizes = {builder.getIndexAttr(1),
                                     builder.getIndexAttr(count),
                                     builder.getIndexAttr(length)};
  SmallVector<OpFoldResult> strides(3, builder.getIndexAttr(1));
  auto type = memref::SubViewOp::inferRankReducedResultType(
      {count, length}, cast<MemRefType>(tensor.getType()), offsets, sizes,
      strides);
  return memref::SubViewOp::create(builder, loc, cast<MemRefType>(type), tensor,
                                   offsets, sizes, strides);
}

std::string convPlanKey(const ConvShape &s, const TargetDesc &target,
                        const ConvEpilogue &epilogue) {
  std::string key;
  llvm::raw_string_ostream os(key);
  for (int64_t v : {s.n,
                    s.c,
                    s.h,
                    s.w,
                    s.f,
                    s.kh,
                    s.kw,
                    s.oh,
                    s.ow,
                    s.sh,
                    s.sw,
                    s.dh,
                    s.dw,
                    s.top,
                    s.left,
                    s.group,
                    s.inBytes,
                    s.outBytes,
                    int64_t(s.bias),
                    int64_t(s.biasConstant)})
    os << v << ",";
  os << epilogue.residual << epilogue.relu << epilogue.clip << epilogue.silu
     << epilogue.hardswish << epilogue.sigmoid << ","
     << epilogue.min.value_or(NAN) << "," << epilogue.max.value_or(NAN) << ","
     << target.name << "," << target.cores << "," << target.alignmentBytes
     << "," << target.ibuf.sizeBytes << "," << target.wbuf.sizeBytes << ","
     << target.acc.sizeBytes << "," << target.vbuf.sizeBytes << ","
     << target.dmaBytesPerCycle << "," << target.dramBytesPerCycle << ","
     << target.dramLatencyCycles << "," << target.dmaSetupCycles << ","
     << target.vectorBytesPerCycle << "," << target.vectorLatencyCycles << ","
     << target.matrixLatencyCycles << "," << target.semaphoresPerEnginePair;
  if (auto it = target.matrixTiles.find(DType::BF16);
      it != target.matrixTiles.end())
    os << "," << it->second.m << "x" << it->second.k << "x" << it->second.n;
  return key;
}

std::optional<GridPlan> chooseGridPlan(const ConvShape &s,
                                       const TargetDesc &target,
                                       const ConvEpilogue &epilogue,
                                       const PairStage *pair) {
  // Placement and conversion ask for every convolution, and a network
  // repeats its shapes: the search runs once per shape, epilogue and
  // target (what the estimate reads of it).
  std::string key = convPlanKey(s, target, epilogue);
  llvm::raw_string_ostream os(key);
  if (pair)
    os << ",pair" << pair->f << "," << pair->f0 << "," << pair->bias
       << pair->residual << pair->relu << pair->firstRelu << ","
       << pair->outBytes << "," << pair->residualBytes;
  return cachedPlan<GridPlan>(
      key, [&] { return searchGridPlan(s, target, epilogue, pair); });
}

LogicalResult emitGridConv(func::FuncOp kernel, graph::Conv2dOp conv,
                           const ConvShape &s, const GridPlan &plan,
                           const ConvEpilogue &epilogue,
                           const TargetDesc &target,
                           DenseElementsAttr weights) {
  MLIRContext *context = kernel.getContext();
  Location loc = conv.getLoc();
  DenseElementsAttr packed = packGridWeights(weights, s, plan);
  memref::GlobalOp global = addWeightsGlobal(kernel, packed, loc, target);
  MemRefType globalType = global.getType();
  OpBuilder builder(context);

  bool hasBias = static_cast<bool>(conv.getBias());
  Block &body = replaceBodyWithMemRefs(kernel, conv.getType());
  builder.setInsertionPointToStart(&body);
  Value w = memref::GetGlobalOp::create(builder, loc, globalType,
                                        global.getSymName());
  Value x = body.getArgument(0);
  Value bias = hasBias ? body.getArgument(2) : Value();
  Value y = body.getArguments().back();
  Value residual = epilogue.residual
                       ? body.getArgument(body.getNumArguments() - 2)
                       : Value();
  GridGeometry geo(s, plan, target.matrixTiles.at(DType::BF16));
  GridTiler(builder, loc, target, geo, epilogue, x, w, bias, residual, y, &body)
      .emit();
  body.walk([&](scf::ForOp forOp) {
    forOp->setAttr(npu::kBufferedAttrName, builder.getUnitAttr());
  });
  finishKernel(builder, kernel, plan.cores, {plan.f0, plan.c0, plan.m},
               describe(plan));
  return success();
}

LogicalResult emitGridPair(func::FuncOp kernel, graph::Conv2dOp conv,
                           const ConvShape &s, const GridPlan &plan,
                           const PairStage &pair, const TargetDesc &target,
                           DenseElementsAttr weights,
                           DenseElementsAttr pairWeights) {
  MLIRContext *context = kernel.getContext();
  Location loc = conv.getLoc();
  memref::GlobalOp global =
      addWeightsGlobal(kernel, packGridWeights(weights, s, plan), loc, target);
  // The pair's weights as bf16 rows [f x F], its products' left operand.
  SmallVector<float> values = weightValues(pairWeights);
  std::vector<uint16_t> bits(values.size());
  for (size_t i = 0; i < values.size(); ++i)
    bits[i] = floatToBF16(values[i]);
  memref::GlobalOp pairGlobal = addWeightsGlobal(
      kernel, bf16Attr(context, bits, pair.f, s.f), loc, target);
  OpBuilder builder(context);
  bool hasBias = static_cast<bool>(conv.getBias());
  Block &body = replaceBodyWithMemRefs(kernel, kernel.getResultTypes());
  builder.setInsertionPointToStart(&body);
  Value w = memref::GetGlobalOp::create(builder, loc, global.getType(),
                                        global.getSymName());
  Value pw = memref::GetGlobalOp::create(builder, loc, pairGlobal.getType(),
                                         pairGlobal.getSymName());
  // Arguments: x, weights, [bias], the pair's weights, [bias], [residual];
  // then the result.
  unsigned next = hasBias ? 4 : 3; // Past the pair's weights (packed above).
  Value pairBias = pair.bias ? body.getArgument(next++) : Value();
  Value residual = pair.residual ? body.getArgument(next++) : Value();
  Value x = body.getArgument(0);
  Value bias = hasBias ? body.getArgument(2) : Value();
  Value y = body.getArguments().back();
  GridGeometry geo(s, plan, target.matrixTiles.at(DType::BF16));
  GridTiler tiler(builder, loc, target, geo, ConvEpilogue(), x, w, bias,
                  Value(), y, &body);
  tiler.setPair(&pair, pw, pairBias, residual, y);
  tiler.emit();
  body.walk([&](scf::ForOp forOp) {
    forOp->setAttr(npu::kBufferedAttrName, builder.getUnitAttr());
  });
  finishKernel(builder, kernel, plan.cores, {plan.f0, plan.c0, plan.m},
               describe(plan) + llvm::formatv(" pair f={0} f0={1} residual={2}",
                                              pair.f, pair.f0,
                                              int(pair.residual))
                                    .str());
  return success();
}

} // namespace sinan::tiling
