//===- ConvWinograd.cpp - 3x3 convolutions as Winograd products per row ---===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A 3x3 convolution of stride 1 makes two adjacent outputs of a kernel row
// from four products instead of six with Winograd's F(2,3) (Lavin and
// Gray): the input's columns in tiles of four, two apart, are transformed
// into four points (d0 - d2, d1 + d2, d2 - d1, d1 - d3), each point a
// matrix product with the correspondingly transformed weights, and the
// four sums give the two outputs ((m0 + m1) + m2 and (m1 - m2) - m3). Only
// the columns are transformed: a kernel row stays a shift by whole rows of
// the points' grids, as in the grid tiler (ConvGrid.cpp), so the matrix
// unit does 12 products per pair of outputs where a direct convolution
// does 18, and the tiles' positions (W/2 to an image row) round up to the
// matrix tile less than a 7-wide row does (layer4's 7x7 rows: 28 of 32
// positions against the grid tiler's 49 of 64).
//
// Per chunk of c0 channels, every core: a dload of the channels' pixels
// (f32 -> bf16) into vbuf, a vtrans into pixel rows of c0 channels, a copy
// into a zero-bordered image (padding 1, an even width), the four points
// as one vbin each (the image's pixel rows two apart, over every tile of
// every row at once), and one dma_move of the four into the chunk's ibuf
// grids, each tile row TX positions (the point one past the last tile, which
// the strided vbin computes too, dropped). Each block of output channels
// then multiplies, per chunk, point and kernel row, the grid at the kernel
// row's shift by a [c0 x f0] tile of transformed weights (packed at compile
// time, bf16, streamed through wbuf) into the point's accumulator. The
// vector unit's epilogue adds the bias into m1 (which both outputs read),
// takes the four accumulators to the two outputs of each tile, interleaved
// into pixel order, transposes to channel rows, and applies the residual
// and clip before DMA-out stores with the relu. The sums' order (chunks,
// kernel rows, channels; the output transform with the bias in m1) is the
// host fallback's (`winograd = 1`, winogradRow* in Numerics.h), so the two
// agree bit for bit.
//
// Stride 2: a kernel row's two adjacent outputs read padded columns 0..4
// of a tile four apart. Taps g0 and g2 read the even columns, a 2-tap
// convolution that F(2,2) makes from three products (points d0 - d2, d2,
// d4 - d2 with weights g0, g0 + g2, g2); g1 reads d1 and d3 as they are.
// Five products a pair where a direct convolution makes six, into three
// sums (winogradStride2* in Numerics.h), with four weight tiles a kernel
// row (g1's serves two points). A point's grid holds the even image rows,
// then the odd ones, so kernel row ky (image row 2y + ky for output row y)
// reads one run of grid rows. When the width is four columns a tile, the
// points come from the transposed pixel rows themselves, with no bordered
// image (WinogradGeometry::direct): the vector unit's copy and the image's
// buffer are what keep ResNet-50's 28x28 stride-2 layer out of vbuf.
//
//===----------------------------------------------------------------------===//

#include "Conv.h"

#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Npu/IR/NpuOps.h"
#include "sinan/runtime/Numerics.h"
#include "sinan/runtime/Target.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/FormatVariadic.h"

#include <numeric>

using namespace mlir;
using namespace sinan;
using namespace sinan::tiling;

namespace {

/// Weight roles of a kernel row (F(2,3)'s four points at stride 1; g0, g1,
/// g0 + g2 and g2 at stride 2), and kernel rows.
constexpr int64_t kRoles = 4, kRows = 3;
/// The most points and sums of either stride.
constexpr int64_t kMaxPoints = 5, kMaxSums = 4;

/// Sizes that follow from a convolution: tiles per output row (TX, two
/// outputs each), the padded image (rows x a width of `pitch` columns per
/// tile slot, one slot past the last tile), the points' positions (a slot
/// per tile of every image row: `count`), the positions of a block of
/// every output row (m, rounded up to the matrix tile), of a point's grid
/// (its rows of TX positions; the grids lie end to end) and of a chunk's
/// (and what the last point's products read past them: those make only
/// positions past the outputs, and a point's reach into the next point's
/// grid the same).
///
/// Stride 1: four points and sums, a slot every two columns; a point's
/// grid holds every image row, kernel row ky reading from row ky.
/// Stride 2: five points, three sums, a slot every four columns; a point's
/// grid holds the even image rows, then the odd ones (oh + 1 each), so
/// kernel row ky, which reads image row 2y + ky for output row y, reads a
/// run of grid rows: the even ones from 0 or 1, the odd ones from 0.
struct WinogradGeometry {
  int64_t stride, oh, ow, tx, rows, width, pitch, slots, count, points, sums, m,
      gridRows, chunkRows;
  /// Stride 2 over a width of four columns a tile: the points come from
  /// the transposed pixel rows themselves (no bordered image; the left
  /// border's column fixed after, the top and bottom border rows zeros
  /// written once).
  bool direct;
  /// Over `outRows` output rows (a core's, when cores split them).
  WinogradGeometry(const ConvShape &s, const MatrixTile &tile,
                   int64_t outRows) {
    stride = s.sh;
    oh = outRows;
    ow = s.ow;
    tx = ceilDiv(ow, 2);
    pitch = 2 * stride;
    direct = stride == 2 && s.w == 4 * tx;
    slots = direct ? tx : tx + 1;
    width = pitch * slots;
    rows = stride == 1 ? oh + 2 : 2 * (oh + 1);
    count = rows * slots;
    points = stride == 1 ? 4 : 5;
    sums = stride == 1 ? 4 : 3;
    m = roundUp(oh * tx, tile.m);
    gridRows = rows * tx;
    chunkRows = (points - 1) * gridRows +
                std::max(gridRows, rowOffset(stride == 1 ? 2 : 1) + m);
  }
  /// Where kernel row ky's products start in a point's grid.
  int64_t rowOffset(int64_t ky) const {
    if (stride == 1)
      return ky * tx;
    return ky == 1 ? (oh + 1) * tx : ky / 2 * tx;
  }
};

/// The output rows [y0, y1) a core makes and the input rows [r0, r1) it
/// stages, which land from row `top` of its bordered image (image row j is
/// input row y0 * stride - 1 + j): the image's rows past the input are
/// zeros, and a core of rows in the middle reads real rows above and
/// below its own (a halo) where the whole image reads padding.
struct WinogradSlice {
  int64_t y0 = 0, y1 = 0, r0 = 0, r1 = 0, top = 1;
  WinogradSlice() = default;
  WinogradSlice(const ConvShape &s, int64_t y0, int64_t y1) : y0(y0), y1(y1) {
    int64_t first = y0 * s.sh - 1;
    r0 = std::max<int64_t>(0, first);
    r1 = std::min(s.h, (y1 - 1) * s.sh + 2);
    top = r0 - first;
  }
  /// Output rows.
  int64_t rows() const { return y1 - y0; }
  /// Staged input rows.
  int64_t staged() const { return r1 - r0; }
};

/// A chunk's channel rows in its staging buffer: all the input's rows of a
/// channel one after another (one run in DRAM), or a core's rows at a
/// pitch each DMA row starts on a granule at.
int64_t stagingPitch(const ConvShape &s, int64_t staged, int64_t align) {
  return staged == s.h ? s.h * s.w : pitch(staged * s.w, 2, align);
}

/// Staged rows a transpose band holds: `staged` in `bands`, each band's
/// channel rows starting on a granule.
int64_t transposeBand(const ConvShape &s, int64_t staged, int64_t bands,
                      int64_t align) {
  int64_t unit = align / std::gcd<int64_t>(align, s.w * 2);
  return std::min(staged, roundUp(ceilDiv(staged, bands), unit));
}

/// Each core's slice: its rows when cores split them, else every row.
SmallVector<WinogradSlice> coreSlices(const ConvShape &s,
                                      const WinogradPlan &p) {
  SmallVector<WinogradSlice> slices;
  for (int64_t c = 0; c < p.cores; ++c) {
    if (!p.splitRows) {
      slices.push_back(WinogradSlice(s, 0, s.oh));
      continue;
    }
    int64_t y0 = c * p.rowsPerCore;
    slices.push_back(WinogradSlice(s, y0, std::min(s.oh, y0 + p.rowsPerCore)));
  }
  return slices;
}

/// The slice whose buffers are the largest and whose work is the most:
/// the most rows, then the most staged.
WinogradSlice busiestSlice(const ConvShape &s, const WinogradPlan &p) {
  SmallVector<WinogradSlice> slices = coreSlices(s, p);
  return *llvm::max_element(slices, [](const auto &a, const auto &b) {
    return std::pair(a.rows(), a.staged()) < std::pair(b.rows(), b.staged());
  });
}

/// A point of the input transform: padded column a, op, padded column b
/// (winogradRowInput, winogradStride2Input; a null op copies column a).
struct Point {
  const char *op;
  int64_t a, b;
};
constexpr Point kStride1[4] = {
    {"sub", 0, 2}, {"add", 1, 2}, {"sub", 2, 1}, {"sub", 1, 3}};
constexpr Point kStride2[5] = {{"sub", 0, 2},
                               {nullptr, 1, 0},
                               {nullptr, 2, 0},
                               {"sub", 4, 2},
                               {nullptr, 3, 0}};

/// The products of weight role `role` of a kernel row, as (point, sum).
SmallVector<std::pair<int64_t, int64_t>, 2> roleProducts(int64_t stride,
                                                         int64_t role) {
  if (stride == 1)
    return {{role, role}};
  SmallVector<std::pair<int64_t, int64_t>, 2> products;
  for (const WinogradProduct &p : kWinogradStride2Products)
    if (p.role == role)
      products.push_back({p.point, p.sum});
  return products;
}

/// The chunks' grids in ibuf: every chunk's (which each block of a core
/// reads again), or p.grids that chunks take in turn (a core of one block;
/// a chunk's move then waits for the products of the chunk p.grids back).
int64_t gridBuffers(const ConvShape &s, const WinogradPlan &p) {
  int64_t chunks = s.c / p.c0;
  return p.grids > 0 ? std::min(chunks, p.grids) : chunks;
}

/// Output channel blocks of the core with the most: every block when cores
/// split the rows.
int64_t blocksPerCore(const ConvShape &s, const WinogradPlan &p) {
  int64_t blocks = s.f / p.f0;
  return p.splitRows ? blocks : ceilDiv(blocks, p.cores);
}

/// Output channel blocks [fb0, fb1) of core c (every one when cores split
/// the rows).
std::pair<int64_t, int64_t> coreBlocks(const WinogradPlan &p, int64_t blocks,
                                       int64_t c) {
  if (p.splitRows)
    return {0, blocks};
  int64_t q = blocks / p.cores, r = blocks % p.cores;
  int64_t fb0 = c * q + std::min(c, r);
  return {fb0, fb0 + q + (c < r ? 1 : 0)};
}

/// The weight loads of a chunk for one block, as (first tile, tiles):
/// p.group tiles each, in the products' order; the core's last chunk ends
/// in loads of one tile, so the products after the last load lands (its
/// DRAM latency exposed) are one tile's.
SmallVector<std::pair<int64_t, int64_t>> weightLoads(const WinogradPlan &p,
                                                     bool last) {
  SmallVector<std::pair<int64_t, int64_t>> loads;
  for (int64_t t = 0; t < kRoles * kRows; t += p.group) {
    if (last && t + p.group == kRoles * kRows) {
      for (int64_t i = t; i < t + p.group; ++i)
        loads.push_back({i, 1});
      break;
    }
    loads.push_back({t, p.group});
  }
  return loads;
}

/// [fBlock][chunk][role][kernel row][c0][f0] bf16 bits: the transformed
/// weights (winogradRowWeights, or winogradStride2Weights, of the weights
/// rounded to bf16, then rounded).
DenseElementsAttr packWinogradWeights(DenseElementsAttr weights,
                                      const ConvShape &s,
                                      const WinogradPlan &p) {
  SmallVector<float> values = weightValues(weights);
  int64_t chunks = s.c / p.c0;
  std::vector<uint16_t> packed(s.f * s.c * kRoles * kRows, 0);
  for (int64_t f = 0; f < s.f; ++f)
    for (int64_t c = 0; c < s.c; ++c)
      for (int64_t ky = 0; ky < kRows; ++ky) {
        const float *g = &values[((f * s.c + c) * kRows + ky) * 3];
        auto rounded = [](float v) { return bf16ToFloat(floatToBF16(v)); };
        float u[kRoles];
        if (s.sh == 1)
          winogradRowWeights(rounded(g[0]), rounded(g[1]), rounded(g[2]), u);
        else
          winogradStride2Weights(rounded(g[0]), rounded(g[1]), rounded(g[2]),
                                 u);
        for (int64_t nu = 0; nu < kRoles; ++nu) {
          int64_t row =
              (((f / p.f0 * chunks + c / p.c0) * kRoles + nu) * kRows + ky) *
                  p.c0 +
              c % p.c0;
          packed[row * p.f0 + f % p.f0] = floatToBF16(u[nu]);
        }
      }
  return bf16Attr(weights.getContext(), packed,
                  s.f * s.c * kRoles * kRows / p.f0, p.f0);
}

/// The vbuf buffers of a core, in elements: one or two staging buffers (a
/// chunk's channel rows; with two, DMA-in fills one while the vector unit
/// reads the other),
/// the rows' transpose, the bordered image and the points (staging: one
/// each, as the vector unit, which writes and reads them, runs in order;
/// the move reads the points), then the epilogue's pixel rows and channel
/// rows, which by liveness may take the staging buffers' bytes, and the
/// bias row.
struct VbufLayout {
  int64_t staging = 0, transposed = 0, image = 0, points = 0, pixels = 0,
          outPitch = 0, out = 0, biasRow = 0, blocks = 1, sum1 = 0,
          pointBuffers = 1, stagingBuffers = 2;
  /// For a geometry of the busiest slice (busiestSlice), which stages
  /// `staged` rows.
  VbufLayout(const ConvShape &s, const WinogradGeometry &geo,
             const WinogradPlan &p, int64_t align, int64_t staged) {
    staging = p.c0 * stagingPitch(s, staged, align);
    transposed = transposeBand(s, staged, p.bands, align) * s.w * p.c0;
    // Direct: a row of zeros for the left border's fix.
    image = geo.direct ? p.c0 : (geo.rows * geo.width + 2) * p.c0;
    points = geo.points * geo.count * p.c0;
    pointBuffers = p.pointBuffers;
    stagingBuffers = p.staging;
    int64_t outPixels = geo.oh * geo.ow;
    outPitch = pitch(outPixels, 4, align);
    out = p.f0 * outPitch;
    pixels = std::max(outPixels * p.f0, out);
    blocks = blocksPerCore(s, p);
    sum1 = s.bias ? geo.oh * geo.tx * p.f0 : 0;
    biasRow = s.bias ? blocks * p.f0 : 0;
  }
  /// The epilogue's channel rows: one per block (two at most, taken in
  /// turn), so a block's transpose need not wait for the store before it.
  int64_t outs() const { return std::min<int64_t>(blocks, 2); }
  int64_t bytes(int64_t align) const {
    auto aligned = [&](int64_t b) { return roundUp(b, align); };
    int64_t stage = stagingBuffers * aligned(staging * 2) +
                    aligned(transposed * 2) + aligned(image * 2) +
                    pointBuffers * aligned(points * 2);
    int64_t epilogue =
        aligned(pixels * 4) + aligned(sum1 * 4) + outs() * aligned(out * 4);
    return std::max(stage, epilogue) + aligned(biasRow * 4);
  }
};

class WinogradTiler {
public:
  WinogradTiler(OpBuilder &builder, Location loc, const TargetDesc &target,
                const ConvShape &s, const WinogradPlan &p,
                const ConvEpilogue &epilogue, Value x, Value w, Value bias,
                Value residual, Value y, Block *entry)
      : builder(builder), loc(loc), target(target), s(s), p(p),
        slice(busiestSlice(s, p)),
        geo(s, target.matrixTiles.at(DType::BF16), slice.rows()),
        epilogue(epilogue), x(x), w(w), bias(bias), residual(residual), y(y),
        entry(entry) {}

  void emit();

private:
  Value index(int64_t value) {
    return arith::ConstantIndexOp::create(builder, loc, value);
  }
  Value view(Value source, int64_t offset, ArrayRef<int64_t> sizes,
             ArrayRef<int64_t> strides) {
    return reinterpretView(builder, loc, source, builder.getIndexAttr(offset),
                           sizes, strides);
  }
  /// `count` channels from `channel` of image 0 of a [N, C, pixels] DRAM
  /// output-shaped tensor, the pixels of the core's rows.
  Value runsView(Value tensor, int64_t channel, int64_t count) {
    return channelRuns(builder, loc, tensor, builder.getIndexAttr(0),
                       builder.getIndexAttr(channel),
                       builder.getIndexAttr(slice.y0 * s.ow), count,
                       slice.rows() * s.ow);
  }
  /// A vbuf buffer of `elements`, allocated here (so its liveness starts
  /// at its first use on this core).
  Value local(int64_t elements, Type element) {
    return memref::AllocOp::create(
        builder, loc,
        MemRefType::get({elements}, element, MemRefLayoutAttrInterface(),
                        npu::MemorySpaceAttr::get(builder.getContext(),
                                                  npu::MemorySpace::vbuf)));
  }

  void emitCore(int64_t fb0, int64_t fb1);
  /// Chunk k's channel rows into its staging buffer.
  void load(int64_t k);
  /// Chunk k's points, from its staged rows into its ibuf grids.
  void transform(int64_t k);
  /// Chunk k's points of staged rows [r, r + rows) from their pixel rows
  /// (WinogradGeometry::direct), transposed.
  void directPoints(int64_t k, int64_t r, int64_t rows);
  /// Chunk k's points into its grids.
  void move(int64_t k);
  /// The zeros of the borders, written once before the first chunk.
  void fillBorders();
  /// Block fb's products of chunk k into accumulator set `set`.
  void products(int64_t fb, int64_t k, int64_t set);
  /// Block fb's outputs from accumulator set `set`, stored.
  void epilogueOf(int64_t fb, int64_t set);
  /// Tile t (point t / 3, kernel row t % 3) of chunk k's weights for block
  /// fb, in the buffer of its load: p.group tiles to a load, loads take
  /// the p.depth buffers in turn (DMA-in runs ahead as they free).
  Value weights(int64_t fb, int64_t k, int64_t t);
  /// Issues load `load` of chunk k's weights for block fb into the next
  /// buffer.
  void issue(int64_t fb, int64_t k, int64_t first, int64_t count);
  /// Block fb's loads of chunk k (weightLoads).
  SmallVector<std::pair<int64_t, int64_t>> loadsOf(int64_t fb, int64_t k);
  /// This core's last block.
  int64_t lastBlock = 0;
  /// The bias rows of blocks [fb0, fb1), in one load.
  void loadBias(int64_t fb0, int64_t fb1);

  OpBuilder &builder;
  Location loc;
  const TargetDesc &target;
  const ConvShape &s;
  const WinogradPlan &p;
  /// The core's rows and their geometry (the busiest core's while the
  /// buffers are allocated).
  WinogradSlice slice;
  WinogradGeometry geo;
  ConvEpilogue epilogue;
  Value x, w, bias, residual, y;
  Block *entry;
  Value xRuns, yRuns, residualRuns;
  SmallVector<Value> staging, grids, tiles;
  /// Per set, the sums' accumulators (each its own buffer, so the
  /// epilogue may start on a sum once its last products are in).
  SmallVector<SmallVector<Value, kMaxSums>> accs;
  Value transposed, image, pixels, sum1, biasRow;
  /// The points' buffers, which chunks take in turn.
  SmallVector<Value> points;
  Value pointsOf(int64_t k) { return points[k % points.size()]; }
  Value gridOf(int64_t k) { return grids[k % grids.size()]; }
  SmallVector<Value> outs;
  /// The first block of this core (its bias row first in biasRow).
  int64_t firstBlock = 0;
  /// Weight loads issued and not yet used: (block, chunk, load), buffer.
  SmallVector<std::pair<std::array<int64_t, 3>, Value>> issued;
  unsigned turn = 0;
  std::optional<VbufLayout> layout;
};

void WinogradTiler::load(int64_t k) {
  // Every row: the chunk's channels are one run in DRAM, one DMA row (a
  // row per channel would cost a cycle each), the transpose reading them
  // at any row stride. A core's rows: a run per channel.
  int64_t hw = s.h * s.w, run = slice.staged() * s.w;
  Value buffer = staging[k % staging.size()];
  if (run == hw) {
    int64_t elements = p.c0 * hw;
    npu::DmaLoadOp::create(
        builder, loc,
        reinterpretView(builder, loc, x, builder.getIndexAttr(k * elements),
                        {elements}, {1}),
        view(buffer, 0, {elements}, {1}), DenseI64ArrayAttr());
    return;
  }
  npu::DmaLoadOp::create(
      builder, loc,
      reinterpretView(builder, loc, x,
                      builder.getIndexAttr(k * p.c0 * hw + slice.r0 * s.w),
                      {p.c0, run}, {hw, 1}),
      view(buffer, 0, {p.c0, run},
           {stagingPitch(s, slice.staged(), target.alignmentBytes), 1}),
      DenseI64ArrayAttr());
}

void WinogradTiler::transform(int64_t k) {
  int64_t c0 = p.c0, n = slice.staged(),
          band = transposeBand(s, n, p.bands, target.alignmentBytes);
  int64_t rowPitch = stagingPitch(s, n, target.alignmentBytes);
  // Per band of staged rows (the transform is along rows only, so a band's
  // points need only its rows): channel rows -> pixel rows of c0 channels,
  // then the band's points, or its rows into the bordered image from row
  // `top`, column 1 (the border's zeros were written once, before the
  // first chunk).
  for (int64_t r = 0; r < n; r += band) {
    int64_t rows = std::min(band, n - r), pixels = rows * s.w;
    npu::VTransOp::create(
        builder, loc,
        view(staging[k % staging.size()], r * s.w, {c0, pixels}, {rowPitch, 1}),
        view(transposed, 0, {pixels, c0}, {c0, 1}));
    if (geo.direct) {
      directPoints(k, r, rows);
      continue;
    }
    npu::VScalOp::create(builder, loc, "mul",
                         view(transposed, 0, {rows, s.w * c0}, {s.w * c0, 1}),
                         view(image, ((slice.top + r) * geo.width + 1) * c0,
                              {rows, s.w * c0}, {geo.width * c0, 1}),
                         builder.getF32FloatAttr(1.0f));
  }
  if (geo.direct)
    return move(k);
  // The points over every slot of the image: its pixel rows `pitch` apart
  // from column a, op, from column b.
  int64_t count = geo.count, pitch = geo.pitch;
  for (int64_t nu = 0; nu < geo.points; ++nu) {
    const Point &point = geo.stride == 1 ? kStride1[nu] : kStride2[nu];
    Value a = view(image, point.a * c0, {count, c0}, {pitch * c0, 1});
    Value dst = view(pointsOf(k), nu * count * c0, {count, c0}, {c0, 1});
    if (!point.op) {
      npu::VScalOp::create(builder, loc, "mul", a, dst,
                           builder.getF32FloatAttr(1.0f));
      continue;
    }
    npu::VBinOp::create(builder, loc, point.op, a,
                        view(image, point.b * c0, {count, c0}, {pitch * c0, 1}),
                        dst);
  }
  // The points' tiles into the chunk's grids, TX to an image row (the slot
  // past the last tile dropped); at stride 2 the even rows, then the odd.
  move(k);
}

void WinogradTiler::directPoints(int64_t k, int64_t r, int64_t rows) {
  // Padded column a of tile slot e (over every input row, e = row * TX +
  // t) is input column 4e + a - 1 of the pixel rows: one view with the
  // rows' slots end to end, as the width is 4 TX. A point reading column
  // 0 (the left border) starts at slot 1, and its slot 0 of every row
  // (which read the row before's last pixel) is then made from zeros.
  int64_t c0 = p.c0, tx = geo.tx, count = geo.count, n = rows * tx,
          top = (slice.top + r) * tx;
  for (int64_t nu = 0; nu < geo.points; ++nu) {
    const Point &point = kStride2[nu];
    int64_t first = point.a == 0 || (point.op && point.b == 0) ? 1 : 0;
    auto column = [&](int64_t a) {
      return view(transposed, (4 * first + a - 1) * c0, {n - first, c0},
                  {4 * c0, 1});
    };
    // From the band's image row (the rows above the first staged one are
    // the top border's zeros).
    Value dst = view(pointsOf(k), (nu * count + top + first) * c0,
                     {n - first, c0}, {c0, 1});
    if (!point.op)
      npu::VScalOp::create(builder, loc, "mul", column(point.a), dst,
                           builder.getF32FloatAttr(1.0f));
    else
      npu::VBinOp::create(builder, loc, point.op, column(point.a),
                          column(point.b), dst);
    if (!first)
      continue;
    // Slot 0: the border's zero, op, column b.
    assert(point.a == 0 && point.op && "only a difference reads the border");
    npu::VBinOp::create(
        builder, loc, point.op, view(image, 0, {rows, c0}, {0, 1}),
        view(transposed, (point.b - 1) * c0, {rows, c0}, {s.w * c0, 1}),
        view(pointsOf(k), (nu * count + top) * c0, {rows, c0}, {tx * c0, 1}));
  }
}

void WinogradTiler::move(int64_t k) {
  int64_t c0 = p.c0, count = geo.count;
  int64_t points = geo.points, tx = geo.tx, slots = geo.slots;
  if (geo.stride == 1) {
    npu::DmaMoveOp::create(builder, loc,
                           view(pointsOf(k), 0, {points, geo.rows, tx * c0},
                                {count * c0, slots * c0, 1}),
                           view(gridOf(k), 0, {points, geo.rows, tx * c0},
                                {geo.gridRows * c0, tx * c0, 1}),
                           nullptr);
    return;
  }
  int64_t half = geo.rows / 2;
  npu::DmaMoveOp::create(builder, loc,
                         view(pointsOf(k), 0, {points, 2, half, tx * c0},
                              {count * c0, slots * c0, 2 * slots * c0, 1}),
                         view(gridOf(k), 0, {points, 2, half, tx * c0},
                              {geo.gridRows * c0, half * tx * c0, tx * c0, 1}),
                         nullptr);
}

void WinogradTiler::issue(int64_t fb, int64_t k, int64_t first, int64_t count) {
  Value buffer = tiles[turn];
  turn = (turn + 1) % tiles.size();
  int64_t chunks = s.c / p.c0;
  int64_t row = ((fb * chunks + k) * kRoles * kRows + first) * p.c0;
  int64_t rowPitch = pitch(p.f0, 2, target.alignmentBytes);
  // Rows as wide as their pitch: the load is one run (a DMA row each
  // would cost a cycle per 2 * f0 bytes).
  if (rowPitch == p.f0) {
    int64_t elements = count * p.c0 * p.f0;
    npu::DmaLoadOp::create(
        builder, loc,
        reinterpretView(builder, loc, w, builder.getIndexAttr(row * p.f0),
                        {elements}, {1}),
        view(buffer, 0, {elements}, {1}), DenseI64ArrayAttr());
  } else {
    npu::DmaLoadOp::create(builder, loc,
                           reinterpretView(builder, loc, w,
                                           builder.getIndexAttr(row * p.f0),
                                           {count * p.c0, p.f0}, {p.f0, 1}),
                           view(buffer, 0, {count * p.c0, p.f0}, {rowPitch, 1}),
                           DenseI64ArrayAttr());
  }
  issued.push_back({{fb, k, first}, buffer});
}

SmallVector<std::pair<int64_t, int64_t>> WinogradTiler::loadsOf(int64_t fb,
                                                                int64_t k) {
  return weightLoads(p, fb == lastBlock && k == s.c / p.c0 - 1);
}

Value WinogradTiler::weights(int64_t fb, int64_t k, int64_t t) {
  auto [first, count] = *llvm::find_if(
      loadsOf(fb, k), [&](auto load) { return t < load.first + load.second; });
  std::array<int64_t, 3> key = {fb, k, first};
  auto *it =
      llvm::find_if(issued, [&](auto &entry) { return entry.first == key; });
  if (it == issued.end()) {
    issue(fb, k, first, count);
    it = issued.end() - 1;
  }
  // Loads before this one are used up.
  Value buffer = it->second;
  issued.erase(issued.begin(), it);
  int64_t rowPitch = pitch(p.f0, 2, target.alignmentBytes);
  return view(buffer, (t - first) * p.c0 * rowPitch, {p.c0, p.f0},
              {rowPitch, 1});
}

void WinogradTiler::loadBias(int64_t fb0, int64_t fb1) {
  if (!bias)
    return;
  int64_t count = (fb1 - fb0) * p.f0;
  npu::DmaLoadOp::create(builder, loc, view(bias, fb0 * p.f0, {count}, {1}),
                         view(biasRow, 0, {count}, {1}), DenseI64ArrayAttr());
}

void WinogradTiler::products(int64_t fb, int64_t k, int64_t set) {
  // Per role and kernel row, its tile of weights times its points' grids
  // at the row's offset, into their sums (the first product of each sum
  // starts it).
  bool started[kMaxSums] = {};
  for (int64_t role = 0; role < kRoles; ++role)
    for (int64_t ky = 0; ky < kRows; ++ky) {
      Value rhs = weights(fb, k, role * kRows + ky);
      for (auto [point, sum] : roleProducts(geo.stride, role)) {
        Value lhs =
            view(gridOf(k), (point * geo.gridRows + geo.rowOffset(ky)) * p.c0,
                 {geo.m, p.c0}, {p.c0, 1});
        Value acc = view(accs[set][sum], 0, {geo.m, p.f0}, {p.f0, 1});
        auto mma = npu::MmaOp::create(builder, loc, lhs, rhs, acc);
        mma.setAccumulate(k > 0 || started[sum]);
        started[sum] = true;
      }
    }
}

void WinogradTiler::epilogueOf(int64_t fb, int64_t set) {
  int64_t f0 = p.f0, tx = geo.tx, oh = geo.oh, ow = geo.ow, hw = oh * ow;
  auto point = [&](Value buffer, int64_t row, int64_t count) {
    return view(buffer, row * f0, {count, f0}, {f0, 1});
  };
  // The bias joins m1 (winogradRowOutput, winogradStride2Output), which
  // both outputs read.
  Value m1 = accs[set][1];
  if (bias) {
    npu::VBinOp::create(
        builder, loc, "add", point(m1, 0, oh * tx),
        view(biasRow, (fb - firstBlock) * f0, {oh * tx, f0}, {0, 1}),
        point(sum1, 0, oh * tx));
    m1 = sum1;
  }
  // Output pixel (y, 2t + j) of tile t, written two pixel rows apart. An
  // even width makes every output row's tiles one run of the pixel rows
  // (one pass each), else a pass per output row. In the order the sums'
  // last products come.
  auto passes = [&](auto body) {
    if (ow % 2 == 0)
      return body(0, 0, oh * tx, oh * tx);
    for (int64_t r = 0; r < oh; ++r)
      body(r * tx, r * ow, tx, ow / 2);
  };
  auto even = [&](int64_t pixel, int64_t count) {
    return view(pixels, pixel * f0, {count, f0}, {2 * f0, 1});
  };
  auto odd = [&](int64_t pixel, int64_t count) {
    return view(pixels, (pixel + 1) * f0, {count, f0}, {2 * f0, 1});
  };
  // j = 0: m0 + m1 (then + m2 at stride 1).
  passes([&](int64_t row, int64_t pixel, int64_t count, int64_t) {
    npu::VBinOp::create(builder, loc, "add", point(accs[set][0], row, count),
                        point(m1, row, count), even(pixel, count));
  });
  if (geo.stride == 2) {
    // j = 1: m1 + m2.
    passes([&](int64_t row, int64_t pixel, int64_t, int64_t odds) {
      if (odds > 0)
        npu::VBinOp::create(builder, loc, "add", point(m1, row, odds),
                            point(accs[set][2], row, odds), odd(pixel, odds));
    });
  }
  // Stride 1: (m0 + m1) + m2 for j = 0, (m1 - m2) - m3 for j = 1.
  if (geo.stride == 1)
    passes([&](int64_t row, int64_t pixel, int64_t count, int64_t odds) {
      npu::VBinOp::create(builder, loc, "add", even(pixel, count),
                          point(accs[set][2], row, count), even(pixel, count));
      if (odds > 0)
        npu::VBinOp::create(builder, loc, "sub", point(m1, row, odds),
                            point(accs[set][2], row, odds), odd(pixel, odds));
    });
  if (geo.stride == 1)
    passes([&](int64_t row, int64_t pixel, int64_t, int64_t odds) {
      if (odds > 0)
        npu::VBinOp::create(builder, loc, "sub", odd(pixel, odds),
                            point(accs[set][3], row, odds), odd(pixel, odds));
    });
  Value all = view(pixels, 0, {hw, f0}, {f0, 1});
  Value out = outs[(fb - firstBlock) % outs.size()];
  Value channels = view(out, 0, {f0, hw}, {layout->outPitch, 1});
  npu::VTransOp::create(builder, loc, all, channels);
  Value dst = runsView(yRuns, fb * f0, f0);
  if (epilogue.residual) {
    // Into the pixel rows, free once transposed.
    Value added = view(pixels, 0, {f0, hw}, {layout->outPitch, 1});
    npu::DmaLoadOp::create(builder, loc, runsView(residualRuns, fb * f0, f0),
                           added, DenseI64ArrayAttr());
    npu::VBinOp::create(builder, loc, "add", channels, added, channels);
  }
  emitClip(builder, loc, channels, channels, epilogue.min, epilogue.max);
  if (epilogue.silu)
    emitSilu(builder, loc, channels, channels,
             view(pixels, 0, {f0, hw}, {layout->outPitch, 1}));
  emitUnaryActivation(builder, loc, epilogue, channels, channels);
  auto store = npu::DmaStoreOp::create(builder, loc, channels, dst);
  store.setRelu(epilogue.relu);
}

void WinogradTiler::fillBorders() {
  int64_t c0 = p.c0, top = slice.top, n = slice.staged();
  if (geo.direct) {
    // The zero row, and every point's rows of the top border and past the
    // input's last row.
    npu::FillOp::create(builder, loc, view(image, 0, {c0}, {1}), 0);
    int64_t row = geo.slots * c0, count = geo.count * c0;
    for (Value buffer : points) {
      if (top > 0)
        npu::FillOp::create(
            builder, loc, view(buffer, 0, {geo.points, top * row}, {count, 1}),
            0);
      if (geo.rows > top + n)
        npu::FillOp::create(builder, loc,
                            view(buffer, (top + n) * row,
                                 {geo.points, (geo.rows - top - n) * row},
                                 {count, 1}),
                            0);
    }
    return;
  }
  // The rows above the staged ones and the left border of the first,
  // the gap (right border, left border) between staged rows, and the
  // rest.
  int64_t width = geo.width * c0;
  npu::FillOp::create(builder, loc, view(image, 0, {top * width + c0}, {1}), 0);
  int64_t gap = (geo.width - s.w) * c0;
  if (n > 1)
    npu::FillOp::create(
        builder, loc,
        view(image, top * width + (1 + s.w) * c0, {n - 1, gap}, {width, 1}), 0);
  int64_t tail = (top + n - 1) * width + (1 + s.w) * c0;
  npu::FillOp::create(builder, loc,
                      view(image, tail, {layout->image - tail}, {1}), 0);
}

void WinogradTiler::emitCore(int64_t fb0, int64_t fb1) {
  if (fb1 <= fb0)
    return;
  int64_t chunks = s.c / p.c0;
  firstBlock = fb0;
  lastBlock = fb1 - 1;
  Type bf16 = builder.getBF16Type(), f32 = builder.getF32Type();
  staging.clear();
  for (int64_t b = 0; b < p.staging; ++b)
    staging.push_back(local(layout->staging, bf16));
  transposed = local(layout->transposed, bf16);
  image = local(layout->image, bf16);
  points.clear();
  for (int64_t b = 0; b < p.pointBuffers; ++b)
    points.push_back(local(layout->points, bf16));
  if (bias)
    biasRow = local(layout->biasRow, f32);
  // The first chunk's channels; the zeros, written once, of the image's
  // border (every chunk's copy writes only the inside; what the products
  // read past the last point's grid is never written: it makes only
  // positions past the outputs); the first weights, the
  // second chunk's channels, as many weights as there are buffers (in the
  // order the products take them) and the bias row, all while the first
  // chunk is transposed and transformed. (DMA-in runs its queue in order,
  // and the first chunk's move follows these.)
  load(0);
  fillBorders();
  SmallVector<std::array<int64_t, 3>> first; // (chunk, first tile, tiles)
  for (int64_t k = 0; k < chunks && int64_t(first.size()) < p.ahead; ++k)
    for (auto [t, count] : loadsOf(fb0, k))
      if (int64_t(first.size()) < p.ahead)
        first.push_back({k, t, count});
  loadBias(fb0, fb1);
  issue(fb0, first[0][0], first[0][1], first[0][2]);
  if (chunks > 1 && p.staging > 1)
    load(1);
  for (auto [k, t, count] : ArrayRef(first).drop_front())
    issue(fb0, k, t, count);
  // Staging runs a chunk ahead of the products (so in DMA-in's queue the
  // next chunk's move comes before this chunk's later weights, or, early,
  // after all of them: their loads then wait for no staging), and each
  // chunk's load as many ahead as there are staging buffers, into the one
  // its transpose has just read (after the move, whose signal would
  // otherwise wait for it to land).
  auto stage = [&](int64_t k) {
    transform(k);
    if (k + p.staging < chunks)
      load(k + p.staging);
  };
  stage(0);
  for (int64_t k = 0; k < chunks; ++k) {
    if (!p.late)
      products(fb0, k, 0);
    if (k + 1 < chunks)
      stage(k + 1);
    if (p.late)
      products(fb0, k, 0);
  }
  // The epilogue's buffers, after the staging ones' last use.
  pixels = local(layout->pixels, f32);
  if (bias)
    sum1 = local(layout->sum1, f32);
  outs.clear();
  for (int64_t b = 0; b < layout->outs(); ++b)
    outs.push_back(local(layout->out, f32));
  epilogueOf(fb0, 0);
  int64_t sets = accs.size();
  for (int64_t fb = fb0 + 1; fb < fb1; ++fb) {
    int64_t set = (fb - fb0) % sets;
    for (int64_t k = 0; k < chunks; ++k)
      products(fb, k, set);
    epilogueOf(fb, set);
  }
}

void WinogradTiler::emit() {
  Type bf16 = builder.getBF16Type(), f32 = builder.getF32Type();
  SmallVector<ReassociationIndices> groups = {{0}, {1}, {2, 3}};
  xRuns = memref::CollapseShapeOp::create(builder, loc, x, groups);
  yRuns = memref::CollapseShapeOp::create(builder, loc, y, groups);
  if (residual)
    residualRuns =
        memref::CollapseShapeOp::create(builder, loc, residual, groups);
  layout.emplace(s, geo, p, target.alignmentBytes, slice.staged());
  for (int64_t k = 0; k < gridBuffers(s, p); ++k)
    grids.push_back(allocTile(builder, loc, entry, geo.chunkRows, p.c0, bf16,
                              npu::MemorySpace::ibuf, target.alignmentBytes));
  for (int64_t b = 0; b < p.depth; ++b)
    tiles.push_back(allocTile(builder, loc, entry, p.group * p.c0, p.f0, bf16,
                              npu::MemorySpace::wbuf, target.alignmentBytes));
  for (int64_t b = 0; b < p.sets; ++b) {
    SmallVector<Value, kMaxSums> set;
    for (int64_t sum = 0; sum < geo.sums; ++sum)
      set.push_back(allocTile(builder, loc, entry, geo.m, p.f0, f32,
                              npu::MemorySpace::acc, target.alignmentBytes));
    accs.push_back(set);
  }
  int64_t blocks = s.f / p.f0;
  SmallVector<WinogradSlice> slices = coreSlices(s, p);
  auto useSlice = [&](int64_t c) {
    slice = slices[c];
    geo = WinogradGeometry(s, target.matrixTiles.at(DType::BF16), slice.rows());
  };
  if (p.cores == 1) {
    useSlice(0);
    return emitCore(0, blocks);
  }
  Value core = npu::CoreIdOp::create(builder, loc, builder.getIndexType());
  for (int64_t c = 0; c < p.cores; ++c) {
    auto [fb0, fb1] = coreBlocks(p, blocks, c);
    onCore(builder, loc, core, c, [&] {
      useSlice(c);
      issued.clear();
      turn = 0;
      emitCore(fb0, fb1);
    });
  }
}

/// The engines of a core as the estimate replays them: each runs its ops
/// in program order, an op starting once its engine is free and what it
/// waits for has completed. A DMA-in op's completion as others see it is
/// also every earlier DMA-in op's (a DMA engine's signal waits for every
/// transfer issued before it).
class Replay {
public:
  explicit Replay(const TargetDesc &target) : target(target) {}
  enum Engine { DmaIn, Matrix, Vector, DmaOut };
  /// A load from DRAM of `bytes` in `rows` rows.
  double load(int64_t bytes, int64_t rows, double after = 0) {
    return run(DmaIn, dram(bytes, rows), target.dramLatencyCycles, after, true);
  }
  /// A local move or fill.
  double local(int64_t bytes, int64_t rows, double after = 0) {
    return run(DmaIn, dma(bytes, rows), 0, after);
  }
  double store(int64_t bytes, int64_t rows, double after) {
    return run(DmaOut, dram(bytes, rows), target.dramLatencyCycles, after,
               true);
  }
  double vector(int64_t bytes, double after) {
    return run(Vector, double(ceilDiv(bytes, target.vectorBytesPerCycle)),
               target.vectorLatencyCycles, after);
  }
  double matrix(double cycles, double after) {
    return run(Matrix, cycles, target.matrixLatencyCycles, after);
  }

private:
  double dma(int64_t bytes, int64_t rows) const {
    return double(dmaCycles(target, bytes, rows));
  }
  /// A DRAM transfer also takes this core's share of the chip's DRAM
  /// channel (every core runs the same program at once).
  double dram(int64_t bytes, int64_t rows) const {
    double share = double(target.dramBytesPerCycle) / target.cores;
    return std::max(dma(bytes, rows),
                    target.dmaSetupCycles + double(bytes) / share);
  }
  double run(Engine engine, double busy, double latency, double after,
             bool channel = false) {
    double start = std::max(free[engine], after);
    if (channel) {
      start = std::max(start, channelFree);
      channelFree = start + busy;
    }
    free[engine] = start + busy;
    double done = free[engine] + latency;
    if (engine == DmaIn) {
      issued = std::max(issued, done);
      return issued;
    }
    return done;
  }
  const TargetDesc &target;
  double free[4] = {0, 0, 0, 0};
  double issued = 0, channelFree = 0;
};

/// The busiest core's cycles: its ops replayed in the order emitCore emits
/// them (Replay).
double estimateWinograd(const ConvShape &s, const TargetDesc &target,
                        const ConvEpilogue &epilogue, const WinogradPlan &p) {
  const MatrixTile &tile = target.matrixTiles.at(DType::BF16);
  WinogradSlice slice = busiestSlice(s, p);
  WinogradGeometry geo(s, tile, slice.rows());
  Replay r(target);
  int64_t staged = slice.staged(), top = slice.top;
  int64_t chunks = s.c / p.c0, hw = staged * s.w, c0 = p.c0, f0 = p.f0;
  int64_t outHw = geo.oh * geo.ow;
  int64_t blocks = blocksPerCore(s, p);
  int64_t rowPitch = pitch(f0, 2, target.alignmentBytes);
  // The core's weight loads in the tiles' order: per tile, its load's
  // index, and each load's tiles.
  SmallVector<int64_t> sizes;
  SmallVector<int64_t> loadOf;
  for (int64_t b = 0; b < blocks; ++b)
    for (int64_t k = 0; k < chunks; ++k)
      for (auto [first, count] :
           weightLoads(p, b == blocks - 1 && k == chunks - 1)) {
        for (int64_t i = 0; i < count; ++i)
          loadOf.push_back(sizes.size());
        sizes.push_back(count);
      }
  double product = double(geo.m / tile.m) * (c0 / tile.k) * (f0 / tile.n);
  // Completions: each chunk's channels, its staging transpose, its move;
  // each weight load; the products that last read each weight buffer; the
  // epilogue that last read each accumulator set.
  SmallVector<double> loaded(chunks, 0), transposed(chunks, 0),
      moved(chunks, 0);
  SmallVector<double> bufferFree(p.depth, 0), setFree(p.sets, 0),
      gridFree(gridBuffers(s, p), 0);
  auto loadChunk = [&](int64_t k, double after) {
    loaded[k] = r.load(c0 * hw * s.inBytes, staged == s.h ? 1 : c0, after);
  };
  double pointsFree[2] = {0, 0}, imageReady = 0;
  auto stage = [&](int64_t k) {
    // Per band: the transpose, then its points (or its copy into the
    // bordered image, whose points follow the last band).
    double &free = pointsFree[k % p.pointBuffers];
    double points = std::max(loaded[k], imageReady);
    int64_t band = transposeBand(s, staged, p.bands, target.alignmentBytes);
    for (int64_t row = 0; row < staged; row += band) {
      int64_t rows = std::min(band, staged - row);
      points = r.vector(rows * s.w * c0 * 2, points);
      transposed[k] = points;
      if (!geo.direct) {
        points = r.vector(rows * s.w * c0 * 2, points);
        continue;
      }
      for (int64_t nu = 0; nu < geo.points; ++nu)
        points = r.vector(rows * geo.tx * c0 * 2,
                          nu == 0 ? std::max(points, free) : points);
      points = r.vector(rows * c0 * 2, points); // The left border's fix.
    }
    if (!geo.direct)
      for (int64_t nu = 0; nu < geo.points; ++nu)
        points = r.vector(geo.count * c0 * 2,
                          nu == 0 ? std::max(points, free) : points);
    moved[k] =
        r.local(geo.points * geo.rows * geo.tx * c0 * 2, geo.points * geo.rows,
                std::max(points, gridFree[k % gridFree.size()]));
    free = moved[k];
    if (k + p.staging < chunks)
      loadChunk(k + p.staging, transposed[k]);
  };
  // Weight loads in the products' order.
  SmallVector<double> weights;
  auto issue = [&]() {
    int64_t i = weights.size(), count = sizes[i];
    weights.push_back(r.load(count * c0 * rowPitch * 2,
                             rowPitch == f0 ? 1 : count * c0,
                             bufferFree[i % p.depth]));
  };
  loadChunk(0, 0);
  if (geo.direct) {
    imageReady = r.local(c0 * 2, 1);
    for (int64_t b = 0; b < p.pointBuffers; ++b) {
      if (top > 0)
        imageReady = r.local(geo.points * top * geo.slots * c0 * 2, geo.points);
      if (geo.rows > top + staged)
        imageReady =
            r.local(geo.points * (geo.rows - top - staged) * geo.slots * c0 * 2,
                    geo.points);
    }
  } else {
    int64_t width = geo.width * c0;
    imageReady = r.local((top * width + c0) * 2, 1);
    if (staged > 1)
      imageReady =
          r.local((staged - 1) * (geo.width - s.w) * c0 * 2, staged - 1);
    imageReady = r.local((geo.rows * geo.width + 2) * c0 * 2 -
                             ((top + staged - 1) * width + (1 + s.w) * c0) * 2,
                         1);
  }
  double biasLoaded = s.bias ? r.load(blocks * f0 * 4, 1) : 0;
  int64_t ahead = std::min<int64_t>(p.ahead, sizes.size());
  issue();
  if (chunks > 1 && p.staging > 1)
    loadChunk(1, 0);
  for (int64_t i = 1; i < ahead; ++i)
    issue();
  stage(0);
  int64_t next = 0; // The next tile.
  double last = 0, stored = 0, outFree[2] = {0, 0};
  double sumDone[kMaxSums] = {0, 0, 0, 0};
  for (int64_t b = 0; b < blocks; ++b) {
    int64_t set = b % p.sets;
    for (int64_t k = 0; k < chunks; ++k) {
      if (b == 0 && k + 1 < chunks && p.late)
        stage(k + 1);
      for (int64_t t = 0; t < kRoles * kRows; ++t) {
        int64_t load = loadOf[next++];
        while (int64_t(weights.size()) <= load)
          issue();
        double ready = std::max({weights[load], moved[k], setFree[set]});
        for (auto [point, sum] : roleProducts(geo.stride, t / kRows)) {
          last = r.matrix(product, ready);
          sumDone[sum] = last;
        }
        bufferFree[load % p.depth] = last;
      }
      gridFree[k % gridFree.size()] = last;
      if (b == 0 && k + 1 < chunks && !p.late)
        stage(k + 1);
    }
    // The epilogue: the bias into m1, the output transform (each pass once
    // its sums are in), the transpose, the residual and clip, the store.
    int64_t passes = geo.ow % 2 == 0 ? 1 : geo.oh;
    int64_t passBytes = geo.oh * geo.tx * f0 * 4 / passes;
    double m1 = sumDone[1];
    if (s.bias)
      m1 = r.vector(geo.oh * geo.tx * f0 * 4, std::max(m1, biasLoaded));
    double done = 0;
    for (int64_t i = 0; i < passes; ++i)
      done = r.vector(passBytes, std::max(sumDone[0], m1));
    if (geo.stride == 2) {
      for (int64_t i = 0; i < passes; ++i)
        done = r.vector(passBytes, std::max(sumDone[2], m1));
    } else {
      for (int64_t i = 0; i < 2 * passes; ++i)
        done = r.vector(passBytes, sumDone[2]);
      for (int64_t i = 0; i < passes; ++i)
        done = r.vector(passBytes, sumDone[3]);
    }
    setFree[set] = done;
    // The transpose into the channel rows the store two blocks back read.
    int64_t outs = std::min<int64_t>(blocks, 2);
    done = r.vector(outHw * f0 * 4, std::max(done, outFree[b % outs]));
    if (epilogue.residual)
      done = r.vector(outHw * f0 * 4,
                      std::max(done, r.load(f0 * outHw * 4, f0, done)));
    for (int64_t i = 0;
         i < epilogue.vectorPasses() - (epilogue.residual ? 1 : 0); ++i)
      done = r.vector(outHw * f0 * 4, done);
    stored = r.store(f0 * outHw * s.outBytes, f0, done);
    outFree[b % outs] = stored;
  }
  return stored;
}

} // namespace

namespace sinan::tiling {

bool winogradApplies(const ConvShape &s) {
  if (s.group != 1 || s.n != 1 || s.kh != 3 || s.kw != 3 || s.dh != 1 ||
      s.dw != 1 || s.top != 1 || s.left != 1)
    return false;
  if (s.sh == 1 && s.sw == 1)
    return s.oh == s.h && s.ow == s.w;
  return s.sh == 2 && s.sw == 2 && winogradStride2Extent(s.h, s.oh) &&
         winogradStride2Extent(s.w, s.ow);
}

static std::optional<WinogradPlan>
searchWinogradPlan(const ConvShape &s, const TargetDesc &target,
                   const ConvEpilogue &epilogue) {
  const MatrixTile &tile = target.matrixTiles.at(DType::BF16);
  int64_t align = target.alignmentBytes;
  SmallVector<WinogradPlan> candidates;
  for (int64_t c0 : {32, 64, 128, 256}) {
    if (s.c % c0 != 0 || c0 % tile.k != 0 || (c0 * 2) % align != 0)
      continue;
    int64_t chunks = s.c / c0;
    for (auto [f0, splitRows] :
         llvm::map_range(llvm::seq<int64_t>(0, 10), [](int64_t i) {
           static constexpr int64_t kBlocks[] = {16, 32, 64, 128, 256};
           return std::pair(kBlocks[i / 2], i % 2 == 1);
         })) {
      if (s.f % f0 != 0 || f0 % tile.n != 0 || (f0 * 4) % align != 0)
        continue;
      int64_t blocks = s.f / f0;
      WinogradPlan base;
      base.c0 = c0;
      base.f0 = f0;
      base.splitRows = splitRows;
      // Cores store at once: each one's part on granules of its own (a
      // row split's cores start on a granule in every channel plane).
      auto split = coreSplit(s, s.outBytes, splitRows, f0, blocks, target);
      if (!split)
        continue;
      std::tie(base.rowsPerCore, base.cores) = *split;
      WinogradSlice busiest = busiestSlice(s, base);
      WinogradGeometry geo(s, tile, busiest.rows());
      int64_t staged = busiest.staged();
      int64_t perCore = blocksPerCore(s, base);
      // Every chunk's grids, or (one block a core, when they do not fit
      // ibuf) two in turn.
      bool all =
          chunks * geo.chunkRows * c0 * 2 <= int64_t(target.ibuf.sizeBytes);
      for (int64_t grids : {int64_t(0), int64_t(2)}) {
        if (grids > 0 && (perCore > 1 || chunks <= 2 || all))
          continue;
        if ((grids > 0 ? grids : chunks) * geo.chunkRows * c0 * 2 >
            int64_t(target.ibuf.sizeBytes))
          continue;
        for (auto [group, depth] :
             llvm::map_range(llvm::seq<int64_t>(0, 30), [](int64_t i) {
               static constexpr int64_t kGroups[] = {1, 2, 3, 4, 6, 12};
               static constexpr int64_t kDepths[] = {2, 3, 4, 5, 6};
               return std::pair(kGroups[i / 5], kDepths[i % 5]);
             })) {
          // DMA-in hands the matrix unit each grid and weight buffer on a
          // semaphore of its own.
          // (A core of one block reads a chunk's grids until the next
          // chunk's have landed: two at a time.)
          // A buffer no second load takes would only hold a semaphore.
          int64_t live =
              perCore == 1 || grids > 0 ? std::min<int64_t>(chunks, 2) : chunks;
          int64_t loads = perCore * chunks * ceilDiv(kRoles * kRows, group);
          if (depth > loads ||
              live + depth + 1 > int64_t(target.semaphoresPerEnginePair) ||
              depth * group * c0 * pitch(f0, 2, align) * 2 >
                  int64_t(target.wbuf.sizeBytes))
            continue;
          WinogradPlan p = base;
          p.grids = grids;
          p.group = group;
          p.depth = depth;
          int64_t set = geo.sums * geo.m * f0 * 4;
          p.sets =
              perCore > 1 && 2 * set <= int64_t(target.acc.sizeBytes) ? 2 : 1;
          if (set > int64_t(target.acc.sizeBytes))
            continue;
          // The fewest buffers first.
          p.pointBuffers = 1;
          p.staging = 1;
          if (VbufLayout(s, geo, p, align, staged).bytes(align) >
              int64_t(target.vbuf.sizeBytes))
            continue;
          // The loads issued ahead of the first move are refined below, on
          // the best few plans (the search's cost is the bf16 pass's and
          // the conversion's, once per shape).
          p.ahead = std::min<int64_t>(2, depth);
          // Two staging buffers where they fit, if need be with the
          // transposes in bands.
          auto fits = [&] {
            return VbufLayout(s, geo, p, align, staged).bytes(align) <=
                   int64_t(target.vbuf.sizeBytes);
          };
          for (int64_t buffers = 0; buffers < 4; ++buffers) {
            p.late = buffers < 2;
            p.pointBuffers = 1 + buffers % 2;
            p.staging = 2;
            for (p.bands = 1; p.bands < 4 && !fits(); p.bands *= 2)
              ;
            if (!fits()) {
              p.staging = 1;
              p.bands = 1;
            }
            if (!fits())
              continue;
            p.cycles = estimateWinograd(s, target, epilogue, p);
            candidates.push_back(p);
          }
        }
      }
    }
  }
  constexpr size_t kRefined = 8;
  llvm::sort(candidates, [](const WinogradPlan &a, const WinogradPlan &b) {
    return a.cycles < b.cycles;
  });
  if (candidates.size() > kRefined)
    candidates.resize(kRefined);
  std::optional<WinogradPlan> best;
  for (WinogradPlan p : candidates)
    for (int64_t ahead = 1; ahead <= p.depth; ++ahead) {
      p.ahead = ahead;
      p.cycles = estimateWinograd(s, target, epilogue, p);
      if (!best || p.cycles < best->cycles)
        best = p;
    }
  return best;
}

std::optional<WinogradPlan> chooseWinogradPlan(const ConvShape &s,
                                               const TargetDesc &target,
                                               const ConvEpilogue &epilogue) {
  if (!winogradApplies(s) || !target.matrixTiles.count(DType::BF16))
    return std::nullopt;
  // The search replays thousands of plans; once per shape, epilogue and
  // target.
  return cachedPlan<WinogradPlan>(convPlanKey(s, target, epilogue), [&] {
    return searchWinogradPlan(s, target, epilogue);
  });
}

std::string describe(const WinogradPlan &p) {
  return llvm::formatv("winograd c0={0} f0={1} cores={2} split={3} "
                       "group={4} depth={5} ahead={6} points={7} staging={8} "
                       "sets={9} early={10} bands={12} estimate={11}",
                       p.c0, p.f0, p.cores,
                       p.splitRows
                           ? llvm::formatv("rows{0}", p.rowsPerCore).str()
                           : std::string("channels"),
                       p.group, p.depth, p.ahead, p.pointBuffers, p.staging,
                       p.sets, p.late ? 0 : 1, int64_t(p.cycles), p.bands);
}

LogicalResult emitWinogradConv(func::FuncOp kernel, graph::Conv2dOp conv,
                               const ConvShape &s, const WinogradPlan &plan,
                               const ConvEpilogue &epilogue,
                               const TargetDesc &target,
                               DenseElementsAttr weights) {
  Location loc = conv.getLoc();
  memref::GlobalOp global = addWeightsGlobal(
      kernel, packWinogradWeights(weights, s, plan), loc, target);
  OpBuilder builder(kernel.getContext());
  bool hasBias = static_cast<bool>(conv.getBias());
  Block &body = replaceBodyWithMemRefs(kernel, conv.getType());
  builder.setInsertionPointToStart(&body);
  Value w = memref::GetGlobalOp::create(builder, loc, global.getType(),
                                        global.getSymName());
  Value x = body.getArgument(0);
  Value bias = hasBias ? body.getArgument(2) : Value();
  Value y = body.getArguments().back();
  Value residual = epilogue.residual
                       ? body.getArgument(body.getNumArguments() - 2)
                       : Value();
  WinogradTiler(builder, loc, target, s, plan, epilogue, x, w, bias, residual,
                y, &body)
      .emit();
  WinogradGeometry geo(s, target.matrixTiles.at(DType::BF16),
                       busiestSlice(s, plan).rows());
  finishKernel(builder, kernel, plan.cores, {plan.f0, plan.c0, geo.m},
               describe(plan));
  return success();
}

} // namespace sinan::tiling
