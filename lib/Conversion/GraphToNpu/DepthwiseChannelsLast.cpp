//===- DepthwiseChannelsLast.cpp - Depthwise kernels on pixel rows --------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The channels-last form of the vector unit's depthwise convolution and max
// pooling. The plane form (DepthwiseToNpu.cpp) gathers a plane per kernel
// column from DRAM, a DMA row per channel and image row: on small images
// (rows of 7 to 56 floats) the DMA engine's row rate, not its bytes, bounds
// it. Here a unit (ct channels by a band of output rows) loads its input
// rows as one DMA row per channel, turns them on the vector unit into
// pixel rows of ct channels, and moves them (DMA-in, local) into a grid
// with the padding around it:
//
//   X[row][col][c]   (col = input column + left; pad rows and columns are
//                     zeros, or -inf for max pooling)
//
// A tap is then an offset view of X for every output row: output pixel q
// of row r reads X[r * sh + kh * dh][q * sw + kw * dw], a repeat per pixel
// of ct channels (the repeat stride is the column stride), and the tap's
// weights are one row of ct, read by every repeat (stride 0). Bases stay
// aligned because a pixel row of ct channels is a whole number of granules
// (ct rounded up to the alignment in local memory). The result, pixel
// rows of channels, turns back into channel rows for the epilogue and one
// DMA row per channel of the store. The sums are the plane form's: the
// first tap's product, a multiply-add per other tap in tap order, then the
// bias; max pooling takes the maximum in tap order.
//
//===----------------------------------------------------------------------===//

#include "Depthwise.h"

#include "sinan/Dialect/Npu/IR/NpuOps.h"
#include "sinan/runtime/Target.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include <algorithm>

using namespace mlir;
using namespace sinan;
using namespace sinan::tiling;
using namespace sinan::tiling::depthwise;

namespace {

/// At unit strides a tap may be one op over every output row (`oneOp`):
/// the result's rows are then the grid's width apart (the columns past the
/// output's width are never stored). Otherwise an op per output row, rows
/// dense (more ops, a DMA row per channel for the store).
bool allowsOneOp(const ConvShape &s) { return s.sh == 1 && s.sw == 1; }

int64_t outputPitch(const ConvShape &s, bool oneOp) {
  return oneOp ? gridWidth(s) : s.ow;
}

/// The result's channel rows: `rowPitch` apart per output row, `pitch`
/// per channel. Dense (one DMA row per channel) at the output's width;
/// else at the grid's width when that keeps rows aligned (one transpose),
/// or at the output's width rounded up (a transpose per output row).
struct ResultRows {
  int64_t rowPitch = 0, pitch = 0;
  bool perRow = false;
  bool dense(const ConvShape &s) const { return rowPitch == s.ow; }
};

ResultRows resultRowsOf(const ConvShape &s, int64_t rows, int64_t granule,
                        bool oneOp) {
  ResultRows r;
  int64_t op = outputPitch(s, oneOp);
  if (op == s.ow) {
    r.rowPitch = s.ow;
    r.pitch = roundUp(rows * s.ow, granule);
  } else {
    r.perRow = op % granule != 0;
    r.rowPitch = r.perRow ? roundUp(s.ow, granule) : op;
    r.pitch = rows * r.rowPitch;
  }
  return r;
}

/// Elements of a unit's local buffers.
struct Layout {
  int64_t ctp = 0; ///< Channels of a pixel row (ct rounded up).
  int64_t sp = 0;  ///< Row pitch of the loaded channel rows.
  ResultRows result;
  int64_t wts = 0;  ///< Weights: a row of ct per tap, then the bias row.
  int64_t res = 0;  ///< Residual channel rows (as the result's).
  int64_t sig = 0;  ///< A SiLU's sigmoid.
  int64_t in = 0;   ///< The unit's input buffer (DMA-in -> vector unit).
  int64_t rows = 0; ///< Pixel rows of the image, then of the result.
  int64_t grid = 0; ///< X.
  int64_t out = 0;  ///< The result's channel rows (vector unit -> DMA-out).
  int64_t bytes() const { return (in + rows + grid + out) * 4; }
  /// The bias row, after the taps' weight rows.
  int64_t biasRow(const ConvShape &s) const { return wts + s.taps() * ctp; }
};

Layout layoutOf(const ConvShape &s, const ConvEpilogue &epilogue, int64_t ct,
                int64_t rows, const Band &band, bool hasBias, bool oneOp,
                const TargetDesc &target) {
  int64_t granule = target.alignmentBytes / 4;
  Layout l;
  l.ctp = roundUp(ct, granule);
  l.result = resultRowsOf(s, rows, granule, oneOp);
  l.sp = roundUp(band.count * s.w, granule);
  l.wts = ct * l.sp;
  l.res = l.wts + (s.taps() + (hasBias ? 1 : 0)) * l.ctp;
  l.sig = l.res + (epilogue.residual ? ct * l.result.pitch : 0);
  l.in = l.sig + (epilogue.silu ? ct * l.result.pitch : 0);
  l.rows = std::max(band.count * s.w, rows * outputPitch(s, oneOp)) * l.ctp;
  l.grid = band.need * gridWidth(s) * l.ctp;
  l.out = ct * l.result.pitch;
  return l;
}

UnitCost unitCost(const ConvShape &s, const ConvEpilogue &epilogue, int64_t ct,
                  int64_t rows, bool hasWeights, bool oneOp,
                  const TargetDesc &target) {
  Band band = bandOf(s, 0, rows);
  band.count = std::min(band.need, s.h);
  int64_t ctp = roundUp(ct, target.alignmentBytes / 4);
  int64_t wp = gridWidth(s), pixels = rows * s.ow,
          computed = rows * outputPitch(s, oneOp);
  UnitCost cost;
  cost.in = dmaCost(target, band.count * s.w * 4, ct);
  cost.dram = (band.count * s.w + pixels) * ct * 4;
  if (hasWeights) {
    cost.in += dmaCost(target, ct * 4, s.taps() + 1);
    cost.dram += (s.taps() + 1) * ct * 4;
  }
  // A pitched result moves a DMA row per channel and output row.
  ResultRows result =
      resultRowsOf(s, rows, int64_t(target.alignmentBytes) / 4, oneOp);
  auto channelRows = [&] {
    return result.dense(s) ? dmaCost(target, pixels * 4, ct)
                           : dmaCost(target, s.ow * 4, ct * rows);
  };
  if (epilogue.residual) {
    cost.in += channelRows();
    cost.dram += pixels * ct * 4;
  }
  // The local move into the grid (its rows with their padding).
  int64_t move = dmaCost(target, wp * ctp * 4, band.need);
  if (!hasWeights)
    move += 4 * int64_t(target.dmaSetupCycles) + 2 * band.need;
  cost.in += move;
  int64_t vb = int64_t(target.vectorBytesPerCycle);
  auto pass = [&](int64_t elements) { return ceilDiv(elements * 4, vb) + 1; };
  int64_t tapOps = oneOp ? s.taps() : s.taps() * rows;
  int64_t ops =
      1 + tapOps + (result.perRow ? rows : 1) + 1 + epilogue.vectorPasses();
  int64_t tapPass =
      oneOp ? pass(((rows - 1) * wp + s.ow) * ct) : pass(s.ow * ct);
  cost.vector = pass(ct * band.count * s.w) + tapOps * tapPass +
                (2 + epilogue.vectorPasses()) * pass(computed * ct) +
                (result.perRow ? rows : 0);
  // The scalar unit issues every instruction (a few per vector op); the
  // vector unit waits for the move between its two transposes.
  cost.vector = std::max(cost.vector, 3 * ops) + move;
  // A unit's loads are issued once the previous unit's rows have moved:
  // they land a DRAM latency later, then turn and move before its taps.
  cost.chain = cost.in + int64_t(target.dramLatencyCycles) +
               pass(ct * band.count * s.w) + move;
  cost.out = channelRows();
  return cost;
}

/// What must agree within a run, and what steps along it (elements): the
/// input's first loaded row, the result's, the weights' and bias' channel.
SmallVector<int64_t> shapeOf(const ConvShape &s, const Unit &unit) {
  Band band = bandOf(s, unit.oh0, unit.rows);
  return {unit.ct, unit.rows, band.before, band.count, band.after};
}

SmallVector<int64_t> offsetsOf(const ConvShape &s, const Unit &unit) {
  Band band = bandOf(s, unit.oh0, unit.rows);
  return {(unit.n * s.c + unit.c0) * s.h * s.w + band.start * s.w,
          (unit.n * s.f + unit.c0) * s.oh * s.ow + unit.oh0 * s.ow, unit.c0,
          unit.c0};
}

SmallVector<Run> runsFor(const ConvShape &s, ArrayRef<Unit> units) {
  return runsOf(
      units, [&](const Unit &unit) { return shapeOf(s, unit); },
      [&](const Unit &unit) { return offsetsOf(s, unit); });
}

/// Units of a run emitted without a loop.
constexpr int64_t kUnrolledUnits = 6;
/// A core's units emitted without loops (pipelined across all of them).
constexpr int64_t kUnrolledCoreUnits = 16;

class ChannelsLastEmitter {
public:
  ChannelsLastEmitter(OpBuilder &builder, Location loc,
                      const TargetDesc &target, const ConvShape &s,
                      const ConvEpilogue &epilogue, bool oneOp, Value x,
                      Value weights, Value bias, Value residual, Value y)
      : builder(builder), loc(loc), target(target), s(s), epilogue(epilogue),
        oneOp(oneOp), x(x), weights(weights), bias(bias), residual(residual),
        y(y) {}

  void emitRun(const Run &run, ArrayRef<Affine> base);
  /// A core's few units, unrolled and software-pipelined across them all.
  void emitUnits(ArrayRef<Unit> units);

private:
  struct Buffers {
    Layout layout;
    Band band;
    Value in, rows, grid, out;
  };
  /// A unit's DMA loads from DRAM, its image rows turned and moved into
  /// its grid, then the rest of it.
  void emitLoads(const Unit &unit, ArrayRef<Affine> offsets, const Buffers &b);
  void emitStage(const Unit &unit, const Buffers &b);
  void emitCompute(const Unit &unit, ArrayRef<Affine> offsets,
                   const Buffers &b);
  void emitGrid(const Unit &unit, const Buffers &b);
  void emitTaps(const Unit &unit, const Buffers &b, Value r);
  /// A unit's band and layout (its buffers still to be given).
  Buffers planOf(const Unit &unit) const {
    Buffers b;
    b.band = bandOf(s, unit.oh0, unit.rows);
    b.layout = layoutOf(s, epilogue, unit.ct, unit.rows, b.band,
                        static_cast<bool>(bias), oneOp, target);
    return b;
  }
  /// The unit's output pixels (of y or the residual) in DRAM at `offset`, and
  /// the same pixels in `buffer` at `offset` in the result's layout.
  Value outputIn(Value memref, const Unit &unit, const Affine &offset,
                 const Buffers &b) {
    int64_t ct = unit.ct, pixels = unit.rows * s.ow;
    return b.layout.result.dense(s)
               ? view(memref, at(offset), {ct, pixels}, {s.oh * s.ow, 1})
               : view(memref, at(offset), {ct, unit.rows, s.ow},
                      {s.oh * s.ow, s.ow, 1});
  }
  Value resultIn(Value buffer, int64_t offset, const Unit &unit,
                 const Buffers &b) {
    const ResultRows &result = b.layout.result;
    return result.dense(s) ? view(buffer, offset, {unit.ct, unit.rows * s.ow},
                                  {result.pitch, 1})
                           : view(buffer, offset, {unit.ct, unit.rows, s.ow},
                                  {result.pitch, result.rowPitch, 1});
  }

  Value alloc(int64_t elements) {
    // At the start of the core's block, as the plane form's (so a core's
    // runs may share vbuf by liveness).
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToStart(builder.getInsertionBlock());
    auto type = MemRefType::get(
        {elements}, builder.getF32Type(), MemRefLayoutAttrInterface(),
        npu::MemorySpaceAttr::get(builder.getContext(),
                                  npu::MemorySpace::vbuf));
    return memref::AllocOp::create(builder, loc, type);
  }
  Value view(Value buffer, OpFoldResult offset, ArrayRef<int64_t> shape,
             ArrayRef<int64_t> strides) {
    return reinterpretView(builder, loc, buffer, offset, shape, strides);
  }
  Value view(Value buffer, int64_t offset, ArrayRef<int64_t> shape,
             ArrayRef<int64_t> strides) {
    return view(buffer, builder.getIndexAttr(offset), shape, strides);
  }
  OpFoldResult at(const Affine &offset) {
    return materialize(builder, loc, offset);
  }

  OpBuilder &builder;
  Location loc;
  const TargetDesc &target;
  const ConvShape &s;
  const ConvEpilogue &epilogue;
  bool oneOp;
  Value x, weights, bias, residual, y;
};

void ChannelsLastEmitter::emitStage(const Unit &unit, const Buffers &b) {
  const Layout &l = b.layout;
  int64_t count = b.band.count;
  if (count)
    npu::VTransOp::create(builder, loc,
                          view(b.in, 0, {unit.ct, count * s.w}, {l.sp, 1}),
                          view(b.rows, 0, {count * s.w, unit.ct}, {l.ctp, 1}),
                          /*group=*/1);
  emitGrid(unit, b);
}

void ChannelsLastEmitter::emitUnits(ArrayRef<Unit> units) {
  // Two sets of buffers, each as large as any unit needs; each unit keeps
  // its own layout within them.
  SmallVector<Buffers> own;
  Layout most;
  for (const Unit &unit : units) {
    Buffers b = planOf(unit);
    most.in = std::max(most.in, b.layout.in);
    most.rows = std::max(most.rows, b.layout.rows);
    most.grid = std::max(most.grid, b.layout.grid);
    most.out = std::max(most.out, b.layout.out);
    own.push_back(b);
  }
  Value sets[2][4];
  for (size_t i = 0; i < std::min<size_t>(2, units.size()); ++i) {
    Value *set = sets[i];
    set[0] = alloc(most.in);
    set[1] = alloc(most.rows);
    set[2] = alloc(most.grid);
    set[3] = alloc(most.out);
  }
  for (auto [i, b] : llvm::enumerate(own)) {
    b.in = sets[i % 2][0];
    b.rows = sets[i % 2][1];
    b.grid = sets[i % 2][2];
    b.out = sets[i % 2][3];
  }
  auto offsets = [&](size_t i) {
    SmallVector<Affine> at;
    for (int64_t offset : offsetsOf(s, units[i]))
      at.push_back(Affine{offset, {}});
    return at;
  };
  emitLoads(units[0], offsets(0), own[0]);
  for (size_t i = 0; i < units.size(); ++i) {
    emitStage(units[i], own[i]);
    if (i + 1 < units.size())
      emitLoads(units[i + 1], offsets(i + 1), own[i + 1]);
    emitCompute(units[i], offsets(i), own[i]);
  }
}

void ChannelsLastEmitter::emitRun(const Run &run, ArrayRef<Affine> base) {
  const Unit &unit = run.unit;
  // Two sets of buffers, taken in turn (the loop below is this form's own
  // double buffering, not sinan-npu-multi-buffer's).
  Buffers b[2];
  for (Buffers &set : b) {
    set = planOf(unit);
    set.in = alloc(set.layout.in);
    set.rows = alloc(set.layout.rows);
    set.grid = alloc(set.layout.grid);
    set.out = alloc(set.layout.out);
  }
  // The offsets of unit `k * scale + extra` of the run.
  auto offsetsOf = [&](Value k, int64_t scale, int64_t extra) {
    SmallVector<Affine> offsets;
    for (auto [first, delta] : llvm::zip(base, run.step)) {
      Affine at = first.plus(k, scale * delta);
      at.constant += extra * delta;
      offsets.push_back(at);
    }
    return offsets;
  };
  // Software-pipelined: a unit's loads are issued once the previous
  // unit's rows have moved into its grid, before that unit's taps. A DMA
  // signal waits for every transfer issued before it, so the move's must
  // not follow loads still in flight; and the scalar unit, which issues a
  // unit's many vector ops into a queue of a few dozen, would hold the
  // loads back behind the taps.
  auto step = [&](Value k, int64_t unitIndex, const Buffers &own,
                  const Buffers *next) {
    emitStage(unit, own);
    if (next)
      emitLoads(unit, offsetsOf(k, 2, unitIndex + 1), *next);
    emitCompute(unit, offsetsOf(k, 2, unitIndex), own);
  };
  emitLoads(unit, offsetsOf(Value(), 0, 0), b[0]);
  // A short run unrolled: the synchronization a loop needs at its edges
  // would hold its last unit behind the stores before it.
  if (run.count <= kUnrolledUnits) {
    for (int64_t i = 0; i < run.count; ++i)
      step(Value(), i, b[i % 2], i + 1 < run.count ? &b[(i + 1) % 2] : nullptr);
    return;
  }
  int64_t pairs = (run.count - 1) / 2;
  if (pairs > 0)
    loop(builder, loc, arith::ConstantIndexOp::create(builder, loc, 0),
         arith::ConstantIndexOp::create(builder, loc, pairs), 1,
         [&](Value k) {
           step(k, 0, b[0], &b[1]);
           step(k, 1, b[1], &b[0]);
         })
        ->setAttr(npu::kBufferedAttrName, builder.getUnitAttr());
  int64_t last = 2 * pairs;
  bool two = run.count - last == 2;
  step(Value(), last, b[0], two ? &b[1] : nullptr);
  if (two)
    step(Value(), last + 1, b[1], nullptr);
}

/// X from the turned image rows: padded by the move itself (zeros), or,
/// for max pooling, by -inf fills around the moved rows.
void ChannelsLastEmitter::emitGrid(const Unit &unit, const Buffers &b) {
  const Band &band = b.band;
  int64_t ctp = b.layout.ctp, wp = gridWidth(s);
  int64_t row = wp * ctp, right = wp - s.w - s.left;
  bool pooling = !weights;
  uint32_t pad = pooling ? 0xff800000u : 0u;
  Value whole = view(b.grid, 0, {band.need, row}, {row, 1});
  if (band.count == 0) {
    npu::FillOp::create(builder, loc, whole, int64_t(pad));
    return;
  }
  Value moved = view(b.rows, 0, {band.count, s.w * ctp}, {s.w * ctp, 1});
  if (!pooling) {
    npu::DmaMoveOp::create(
        builder, loc, moved, whole,
        builder.getDenseI64ArrayAttr(
            {band.before, band.after, s.left * ctp, right * ctp}));
    return;
  }
  npu::DmaMoveOp::create(builder, loc, moved,
                         view(b.grid, (band.before * wp + s.left) * ctp,
                              {band.count, s.w * ctp}, {row, 1}),
                         DenseI64ArrayAttr());
  if (band.before)
    npu::FillOp::create(builder, loc,
                        view(b.grid, 0, {band.before, row}, {row, 1}),
                        int64_t(pad));
  if (band.after)
    npu::FillOp::create(builder, loc,
                        view(b.grid, (band.before + band.count) * row,
                             {band.after, row}, {row, 1}),
                        int64_t(pad));
  if (s.left)
    npu::FillOp::create(builder, loc,
                        view(b.grid, 0, {band.need, s.left * ctp}, {row, 1}),
                        int64_t(pad));
  if (right)
    npu::FillOp::create(
        builder, loc,
        view(b.grid, (s.left + s.w) * ctp, {band.need, right * ctp}, {row, 1}),
        int64_t(pad));
}

/// Output row `r` (an index; null: every output row at once): every tap
/// over its pixels.
void ChannelsLastEmitter::emitTaps(const Unit &unit, const Buffers &b,
                                   Value r) {
  int64_t ct = unit.ct, ctp = b.layout.ctp, wp = gridWidth(s);
  // Pixels per op: an output row, or all of them at the grid's pitch.
  int64_t count = r ? s.ow : (unit.rows - 1) * wp + s.ow;
  Value sum =
      view(b.rows, at(Affine{}.plus(r, s.ow * ctp)), {count, ct}, {ctp, 1});
  for (int64_t kh = 0; kh < s.kh; ++kh)
    for (int64_t kw = 0; kw < s.kw; ++kw) {
      int64_t tap = kh * s.kw + kw;
      Value a = view(b.grid,
                     at(Affine{(kh * s.dh * wp + kw * s.dw) * ctp, {}}.plus(
                         r, s.sh * wp * ctp)),
                     {count, ct}, {s.sw * ctp, 1});
      if (!weights) {
        npu::VBinOp::create(builder, loc, "max", tap ? sum : a, a, sum);
        continue;
      }
      Value w = view(b.in, b.layout.wts + tap * ctp, {count, ct}, {0, 1});
      if (tap == 0)
        npu::VBinOp::create(builder, loc, "mul", a, w, sum);
      else
        npu::VFmaOp::create(builder, loc, a, w, sum);
    }
}

void ChannelsLastEmitter::emitLoads(const Unit &unit, ArrayRef<Affine> offsets,
                                    const Buffers &b) {
  const Layout &l = b.layout;
  const Band &band = b.band;
  int64_t ct = unit.ct;
  if (band.count)
    npu::DmaLoadOp::create(
        builder, loc,
        view(x, at(offsets[0]), {ct, band.count * s.w}, {s.h * s.w, 1}),
        view(b.in, 0, {ct, band.count * s.w}, {l.sp, 1}), DenseI64ArrayAttr());
  if (weights)
    npu::DmaLoadOp::create(
        builder, loc, view(weights, at(offsets[2]), {s.taps(), ct}, {s.c, 1}),
        view(b.in, l.wts, {s.taps(), ct}, {l.ctp, 1}), DenseI64ArrayAttr());
  int64_t biasRow = l.biasRow(s);
  if (bias)
    npu::DmaLoadOp::create(
        builder, loc, view(bias, at(offsets[3]), {1, ct}, {ct, 1}),
        view(b.in, biasRow, {1, ct}, {ct, 1}), DenseI64ArrayAttr());
  if (residual)
    npu::DmaLoadOp::create(builder, loc,
                           outputIn(residual, unit, offsets[1], b),
                           resultIn(b.in, l.res, unit, b), DenseI64ArrayAttr());
}

void ChannelsLastEmitter::emitCompute(const Unit &unit,
                                      ArrayRef<Affine> offsets,
                                      const Buffers &b) {
  const Layout &l = b.layout;
  const ResultRows &result = l.result;
  int64_t ct = unit.ct;
  int64_t computed = unit.rows * outputPitch(s, oneOp);
  int64_t biasRow = l.biasRow(s);
  if (oneOp) {
    emitTaps(unit, b, Value());
  } else if (unit.rows == 1) {
    emitTaps(unit, b, arith::ConstantIndexOp::create(builder, loc, 0));
  } else {
    // The loop's buffers belong to the unit's: not multi-buffered.
    loop(builder, loc, arith::ConstantIndexOp::create(builder, loc, 0),
         arith::ConstantIndexOp::create(builder, loc, unit.rows), 1,
         [&](Value r) { emitTaps(unit, b, r); })
        ->setAttr(npu::kBufferedAttrName, builder.getUnitAttr());
  }
  // Back to channel rows.
  if (result.perRow) {
    for (int64_t r = 0; r < unit.rows; ++r)
      npu::VTransOp::create(
          builder, loc,
          view(b.rows, r * outputPitch(s, oneOp) * l.ctp, {s.ow, ct},
               {l.ctp, 1}),
          view(b.out, r * result.rowPitch, {ct, s.ow}, {result.pitch, 1}),
          /*group=*/1);
  } else {
    npu::VTransOp::create(builder, loc,
                          view(b.rows, 0, {computed, ct}, {l.ctp, 1}),
                          view(b.out, 0, {ct, computed}, {result.pitch, 1}),
                          /*group=*/1);
  }
  int64_t span = unit.rows * result.rowPitch;
  Value whole = view(b.out, 0, {ct, span}, {result.pitch, 1});
  if (bias)
    npu::VBinOp::create(builder, loc, "add", whole,
                        view(b.in, biasRow, {ct, span}, {1, 0}), whole);
  if (residual)
    npu::VBinOp::create(builder, loc, "add", whole,
                        view(b.in, l.res, {ct, span}, {result.pitch, 1}),
                        whole);
  if (epilogue.clip)
    emitClip(builder, loc, whole, whole, epilogue.min, epilogue.max);
  if (epilogue.silu)
    emitSilu(builder, loc, whole, whole,
             view(b.in, l.sig, {ct, span}, {result.pitch, 1}));
  emitUnaryActivation(builder, loc, epilogue, whole, whole);
  npu::DmaStoreOp::create(builder, loc, resultIn(b.out, 0, unit, b),
                          outputIn(y, unit, offsets[1], b))
      .setRelu(epilogue.relu);
}

} // namespace

namespace sinan::tiling::depthwise {

std::optional<DepthwisePlan> chooseChannelsLast(const ConvShape &s,
                                                const TargetDesc &target,
                                                const ConvEpilogue &epilogue,
                                                int64_t budget) {
  if (s.cg != 1 || s.fg != 1 || target.vectorBytesPerCycle == 0)
    return std::nullopt;
  int64_t granule = target.alignmentBytes / 4;
  // (Max pooling loads no weights; its fills cost about as much.)
  bool hasWeights = true;
  struct Candidate {
    int64_t ct, rows;
    bool oneOp;
    double cycles;
  };
  SmallVector<Candidate> candidates;
  for (bool oneOp : {false, true})
    for (int64_t ct = granule; ct < roundUp(s.group, granule) + granule;
         ct += granule) {
      int64_t blocks = ceilDiv(s.group, ct);
      if ((oneOp && !allowsOneOp(s)) ||
          (ct > granule && ceilDiv(s.group, ct - granule) == blocks))
        continue; // Every distinct block count once.
      for (int64_t rows = s.oh; rows >= 1; --rows) {
        if (rows < s.oh && ceilDiv(s.oh, rows) == ceilDiv(s.oh, rows + 1))
          continue;
        Band band = bandOf(s, 0, rows);
        band.count = std::min(band.need, s.h);
        if (layoutOf(s, epilogue, std::min(ct, s.group), rows, band, true,
                     oneOp, target)
                .bytes() > budget)
          continue;
        int64_t units = s.n * blocks * ceilDiv(s.oh, rows);
        int64_t cores = std::min<int64_t>(target.cores, units);
        candidates.push_back(
            {ct, rows, oneOp,
             estimate(unitCost(s, epilogue, std::min(ct, s.group), rows,
                               hasWeights, oneOp, target),
                      ceilDiv(units, cores), 1, units, target)});
      }
    }
  llvm::sort(candidates, [](const Candidate &a, const Candidate &b) {
    return a.cycles < b.cycles;
  });
  std::optional<DepthwisePlan> best;
  for (const Candidate &candidate : ArrayRef(candidates).take_front(8)) {
    int64_t ct = std::min(candidate.ct, s.group);
    auto parts = unitsPerCore(s, ct, candidate.rows, target.cores,
                              target.alignmentBytes);
    DepthwisePlan plan;
    plan.ct = ct;
    plan.rows = candidate.rows;
    plan.pitch = gridWidth(s);
    plan.cores = parts.size();
    plan.channelsLast = true;
    plan.oneOp = candidate.oneOp;
    plan.cycles = 0;
    int64_t units = s.n * ceilDiv(s.group, ct) * ceilDiv(s.oh, plan.rows);
    UnitCost cost =
        unitCost(s, epilogue, ct, plan.rows, hasWeights, plan.oneOp, target);
    for (const auto &part : parts)
      plan.cycles = std::max(
          plan.cycles,
          estimate(cost, part.size(), runsFor(s, part).size(), units, target));
    if (!best || plan.cycles < best->cycles)
      best = plan;
  }
  return best;
}

void emitChannelsLast(OpBuilder &builder, Location loc,
                      const TargetDesc &target, const ConvShape &s,
                      const ConvEpilogue &epilogue, const DepthwisePlan &plan,
                      ArrayRef<Unit> units, Value x, Value weights, Value bias,
                      Value residual, Value y) {
  ChannelsLastEmitter emitter(builder, loc, target, s, epilogue, plan.oneOp, x,
                              weights, bias, residual, y);
  if (int64_t(units.size()) <= kUnrolledCoreUnits) {
    emitter.emitUnits(units);
    return;
  }
  emitRuns(
      builder, loc, runsFor(s, units),
      [&](const Run &run, ArrayRef<Affine> base) {
        emitter.emitRun(run, base);
      },
      /*buffered=*/true);
}

} // namespace sinan::tiling::depthwise
