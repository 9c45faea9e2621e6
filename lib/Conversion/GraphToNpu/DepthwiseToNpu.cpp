//===- DepthwiseToNpu.cpp - Narrow-group convolutions on the vector unit --===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A convolution whose groups have fewer input and output channels than the
// matrix tile's k and m (depthwise: one of each; RegNet: 8) leaves the
// matrix unit mostly idle: each group would be padded to a whole tile. The
// vector unit runs it instead, in f32, with one repeat per group: for each
// output j of a group, over a block of groups and output rows,
//
//   out[g][j][r * pitch + q]  = plane(c=0, t=0)[g][...] * w[j][0][0][g]
//   out[g][j][...]           += plane(c, t)[g][...] * w[j][c][t][g]  (vfma)
//   out[g][j][...]           += bias[g][j]
//
// where plane (c, t) holds, for input channel c of every group, the input
// tap t reads at every output position, rows `pitch` apart (the columns past
// the output's width are never stored), and w[...][g] is a per-repeat
// scalar (`.bcast`). The DMA gathers the planes straight from DRAM with the
// convolution's stride and writes the padding's zeros; taps that read the
// same columns (one kw) and rows of one stride phase share a plane at a row
// offset, so a 3x3 stride-1 convolution loads 3 planes and a stride-2 one 6.
// Vector operands must start on the alignment, which is why a column shift
// is a plane of its own rather than an offset.
//
// Units (a block of groups by a band of output rows of one image) are split
// over the cores in contiguous runs; units of one shape whose offsets step
// evenly become an scf.for that sinan-npu-multi-buffer double-buffers.
//
//===----------------------------------------------------------------------===//

#include "Depthwise.h"

#include "sinan/Dialect/Npu/IR/NpuOps.h"
#include "sinan/runtime/Target.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <limits>

using namespace mlir;
using namespace sinan;
using namespace sinan::tiling;
using namespace sinan::tiling::depthwise;

namespace {

/// Positions [0, positions) of one dimension read source index
/// first + stride * q of a dimension of `size`: `before` positions fall
/// before the source, `count` read it from `start` on, `after` fall past it.
struct Span {
  int64_t before = 0, count = 0, after = 0, start = 0;
  bool operator==(const Span &other) const {
    return before == other.before && count == other.count &&
           after == other.after;
  }
};

int64_t floorDiv(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

Span spanOf(int64_t size, int64_t first, int64_t stride, int64_t positions) {
  int64_t lo = first >= 0 ? 0 : ceilDiv(-first, stride);
  int64_t hi =
      size - 1 - first < 0 ? 0 : floorDiv(size - 1 - first, stride) + 1;
  lo = std::clamp<int64_t>(lo, 0, positions);
  hi = std::clamp<int64_t>(hi, lo, positions);
  Span span;
  span.before = lo;
  span.count = hi - lo;
  span.after = positions - hi;
  span.start = first + stride * lo;
  return span;
}

/// Which plane each tap reads and where.
struct Geometry {
  /// Per kernel row: its stride phase (an index into `phaseRow`) and its
  /// row offset within the phase's plane.
  llvm::SmallVector<int64_t> phaseOf, offsetOf;
  /// Per phase: the padded input row of plane row 0 (less the band's
  /// first row times the stride), and the rows a plane has past the band.
  llvm::SmallVector<int64_t> phaseRow, extraRows;
  /// Per kernel column: the columns its planes read.
  llvm::SmallVector<Span> columns;
  int64_t pitch = 0;
  int64_t planes() const { return int64_t(phaseRow.size()) * columns.size(); }
  int64_t plane(int64_t kh, int64_t kw) const {
    return phaseOf[kh] * int64_t(columns.size()) + kw;
  }
};

Geometry geometryOf(const ConvShape &s, const TargetDesc &target) {
  Geometry g;
  for (int64_t kh = 0; kh < s.kh; ++kh) {
    int64_t v = s.dh * kh, phase = v % s.sh, offset = v / s.sh;
    auto *it = llvm::find(g.phaseRow, phase);
    if (it == g.phaseRow.end()) {
      g.phaseRow.push_back(phase);
      g.extraRows.push_back(0);
      it = g.phaseRow.end() - 1;
    }
    int64_t index = it - g.phaseRow.begin();
    g.phaseOf.push_back(index);
    g.offsetOf.push_back(offset);
    g.extraRows[index] = std::max(g.extraRows[index], offset);
  }
  for (int64_t kw = 0; kw < s.kw; ++kw)
    g.columns.push_back(spanOf(s.w, s.dw * kw - s.left, s.sw, s.ow));
  g.pitch = roundUp(s.ow, target.alignmentBytes / 4);
  return g;
}

/// The rows plane `phase` of a band of `rows` output rows from `oh0` reads.
Span rowSpan(const ConvShape &s, const Geometry &g, int64_t phase, int64_t oh0,
             int64_t rows) {
  return spanOf(s.h, s.sh * oh0 + g.phaseRow[phase] - s.top, s.sh,
                rows + g.extraRows[phase]);
}

/// Rows of a unit's weights: one per output of its group (fg), input
/// channel of it (cg) and tap, over the unit's groups.
int64_t weightRows(const ConvShape &s) { return s.fg * s.cg * s.taps(); }

/// vbuf bytes of one unit of `ct` groups: weights and bias (a row per
/// output of a group), planes, result, residual.
int64_t unitBytes(const ConvShape &s, const Geometry &g, int64_t ct,
                  int64_t rows, const ConvEpilogue &epilogue, int64_t align) {
  int64_t bytes = (weightRows(s) + s.fg) * roundUp(ct * 4, align);
  for (int64_t extra : g.extraRows)
    bytes +=
        int64_t(g.columns.size()) * s.cg * ct * (rows + extra) * g.pitch * 4;
  // The result, a residual, a SiLU's sigmoid.
  bytes += (1 + (epilogue.residual ? 1 : 0) + (epilogue.silu ? 1 : 0)) * s.fg *
           ct * rows * g.pitch * 4;
  return bytes;
}

UnitCost unitCost(const ConvShape &s, const Geometry &g, int64_t ct,
                  int64_t rows, const ConvEpilogue &epilogue,
                  const TargetDesc &target) {
  UnitCost cost;
  int64_t outputs = s.fg * ct; // Output channels of the unit.
  cost.in += dmaCost(target, ct * 4, weightRows(s));
  cost.in += dmaCost(target, ((ct - 1) * s.fg + 1) * 4, s.fg);
  cost.dram += (weightRows(s) + s.fg) * ct * 4;
  for (size_t phase = 0; phase < g.phaseRow.size(); ++phase)
    for (const Span &column : g.columns) {
      int64_t planeRows = s.cg * ct * (rows + g.extraRows[phase]);
      int64_t span = std::max<int64_t>(
          ((std::max<int64_t>(column.count, 1) - 1) * s.sw + 1) * 4, s.ow * 4);
      cost.in += dmaCost(target, span, planeRows);
      cost.dram += span * planeRows;
    }
  // A multiply(-add) per output of a group, input channel and tap over
  // the unit's groups; the bias, residual and clip over its outputs.
  int64_t bytesPerCycle = int64_t(target.vectorBytesPerCycle);
  int64_t pass = ceilDiv(ct * rows * g.pitch * 4, bytesPerCycle);
  int64_t whole = ceilDiv(outputs * rows * g.pitch * 4, bytesPerCycle);
  cost.vector = weightRows(s) * pass + (1 + epilogue.vectorPasses()) * whole;
  if (epilogue.residual) {
    cost.in += dmaCost(target, s.ow * 4, outputs * rows);
    cost.dram += outputs * rows * s.ow * 4;
  }
  cost.out = dmaCost(target, s.ow * 4, outputs * rows);
  cost.dram += outputs * rows * s.ow * 4;
  return cost;
}

/// What differs between units of one run: their DRAM offsets (elements),
/// one per plane, then the result's, the weights' and the bias'.
llvm::SmallVector<int64_t> offsetsOf(const ConvShape &s, const Geometry &g,
                                     const Unit &unit) {
  llvm::SmallVector<int64_t> offsets;
  int64_t image = (unit.n * s.c + unit.c0 * s.cg) * s.h * s.w;
  for (size_t phase = 0; phase < g.phaseRow.size(); ++phase) {
    Span rows = rowSpan(s, g, phase, unit.oh0, unit.rows);
    for (const Span &columns : g.columns)
      offsets.push_back(rows.count && columns.count
                            ? image + rows.start * s.w + columns.start
                            : 0);
  }
  offsets.push_back((unit.n * s.f + unit.c0 * s.fg) * s.oh * s.ow +
                    unit.oh0 * s.ow);
  offsets.push_back(unit.c0);
  offsets.push_back(unit.c0 * s.fg);
  return offsets;
}

/// What must agree within a run: the unit's shape and its planes' row
/// spans.
llvm::SmallVector<int64_t> shapeOf(const ConvShape &s, const Geometry &g,
                                   const Unit &unit) {
  llvm::SmallVector<int64_t> shape = {unit.ct, unit.rows};
  for (size_t phase = 0; phase < g.phaseRow.size(); ++phase) {
    Span rows = rowSpan(s, g, phase, unit.oh0, unit.rows);
    llvm::append_values(shape, rows.before, rows.count, rows.after);
  }
  return shape;
}

/// A core's units as runs of the plane form.
llvm::SmallVector<Run> planeRunsOf(const ConvShape &s, const Geometry &g,
                                   llvm::ArrayRef<Unit> units) {
  return runsOf(
      units, [&](const Unit &unit) { return shapeOf(s, g, unit); },
      [&](const Unit &unit) { return offsetsOf(s, g, unit); });
}

/// The estimate of a unit shape over `perCore` units in `runs` runs on the
/// busiest core (depthwise::estimate).
double estimate(const ConvShape &s, const Geometry &g, int64_t ct, int64_t rows,
                int64_t perCore, int64_t runs, const ConvEpilogue &epilogue,
                const TargetDesc &target) {
  // (Counted per input channel, not per group: for groups of cg > 1
  // channels this overstates the DRAM bound cg times, which keeps the plan
  // off tiny units whose per-unit overheads the estimate understates;
  // counted per group, RegNet's stride-2 layers took 1.2x the cycles.)
  int64_t total = s.n * ceilDiv(s.c, ct) * ceilDiv(s.oh, rows);
  return depthwise::estimate(unitCost(s, g, ct, rows, epilogue, target),
                             perCore, runs, total, target);
}

} // namespace

bool sinan::tiling::vectorConvApplies(const ConvShape &s,
                                      const TargetDesc &target) {
  auto tile = target.matrixTiles.find(DType::BF16);
  return s.group > 1 && tile != target.matrixTiles.end() &&
         s.cg < tile->second.k && s.fg < tile->second.m;
}

std::string sinan::tiling::describe(const DepthwisePlan &p) {
  return llvm::formatv("vector form={0} ct={1} rows={2} pitch={3} cores={4} "
                       "estimate={5}",
                       !p.channelsLast ? "planes"
                       : p.oneOp       ? "channels-last-one-op"
                                       : "channels-last",
                       p.ct, p.rows, p.pitch, p.cores, int64_t(p.cycles));
}

std::optional<DepthwisePlan>
sinan::tiling::chooseDepthwisePlan(const ConvShape &s, const TargetDesc &target,
                                   const ConvEpilogue &epilogue,
                                   int64_t reservedBytes) {
  if (!vectorConvApplies(s, target) || target.vectorBytesPerCycle == 0)
    return std::nullopt;
  Geometry g = geometryOf(s, target);
  int64_t align = target.alignmentBytes;
  // Every buffer twice: the runs of units are double-buffered.
  int64_t budget = (int64_t(target.vbuf.sizeBytes) - reservedBytes) / 2;
  // First by the estimate with one run per core (cheap), then the best few
  // by their actual runs.
  struct Candidate {
    int64_t ct, rows;
    double cycles;
  };
  llvm::SmallVector<Candidate> candidates;
  for (int64_t blocks = 1; blocks <= s.group; ++blocks) {
    int64_t ct = ceilDiv(s.group, blocks);
    if (blocks > 1 && ceilDiv(s.group, blocks - 1) == ct)
      continue; // Every distinct block count once.
    if (unitBytes(s, g, ct, 1, epilogue, align) > budget)
      continue;
    for (int64_t rows = s.oh; rows >= 1; --rows) {
      if (rows < s.oh && ceilDiv(s.oh, rows) == ceilDiv(s.oh, rows + 1))
        continue; // Same band count, more rows: the larger one is better.
      if (unitBytes(s, g, ct, rows, epilogue, align) > budget)
        continue;
      int64_t units = s.n * blocks * ceilDiv(s.oh, rows);
      int64_t cores = std::min<int64_t>(target.cores, units);
      candidates.push_back({ct, rows,
                            estimate(s, g, ct, rows, ceilDiv(units, cores), 1,
                                     epilogue, target)});
    }
  }
  llvm::sort(candidates, [](const Candidate &a, const Candidate &b) {
    return a.cycles < b.cycles;
  });
  std::optional<DepthwisePlan> best;
  for (const Candidate &candidate : llvm::ArrayRef(candidates).take_front(8)) {
    auto parts =
        unitsPerCore(s, candidate.ct, candidate.rows, target.cores, align);
    DepthwisePlan plan;
    plan.ct = candidate.ct;
    plan.rows = candidate.rows;
    plan.pitch = g.pitch;
    plan.cores = parts.size();
    plan.cycles = 0;
    for (const auto &units : parts)
      plan.cycles =
          std::max(plan.cycles,
                   estimate(s, g, plan.ct, plan.rows, units.size(),
                            planeRunsOf(s, g, units).size(), epilogue, target));
    if (!best || plan.cycles < best->cycles)
      best = plan;
  }
  std::optional<DepthwisePlan> rows =
      chooseChannelsLast(s, target, epilogue, budget);
  if (rows && (!best || rows->cycles < best->cycles))
    return rows;
  return best;
}

namespace {

/// Products a unit emits unrolled; more loop over the outputs of a group.
constexpr int64_t kUnrolledProducts = 96;

/// Where a unit's inputs sit in its one vbuf buffer (elements): one buffer,
/// so that DMA-in hands it to the vector unit with one semaphore.
struct Slots {
  Value buffer;
  llvm::SmallVector<int64_t> planes;
  int64_t wts = 0, res = 0, sig = 0;
};

/// Emits a depthwise kernel's units into the (memref) body.
class DepthwiseEmitter {
public:
  DepthwiseEmitter(OpBuilder &builder, Location loc, const TargetDesc &target,
                   const ConvShape &s, const ConvEpilogue &epilogue, Value x,
                   Value weights, Value bias, Value residual, Value y)
      : builder(builder), loc(loc), target(target), s(s), epilogue(epilogue),
        x(x), weights(weights), bias(bias), residual(residual), y(y),
        g(geometryOf(s, target)) {}

  /// Emits one core's units in `plan`'s form.
  void emitCore(llvm::ArrayRef<Unit> units, const DepthwisePlan &plan);

  /// Max pooling with padding: per kernel column a row of `pitch` floats,
  /// -inf where that column's planes are padding and -0.0 elsewhere (x +
  /// -0.0 is x, signed zeros and NaN included), in vbuf; padded rows are
  /// filled with -inf. The DMA pads with zeros, max pooling with -inf.
  Value columnMask;

private:
  /// Emits `run` from offsets `base` (its own, or a repetition's).
  void emitRun(const Run &run, llvm::ArrayRef<Affine> base);
  /// `offset` computed where it is used (so it holds a register only
  /// there: a unit reads a dozen offsets).
  OpFoldResult materialize(const Affine &offset) {
    return depthwise::materialize(builder, loc, offset);
  }
  void emitUnit(const Unit &unit, llvm::ArrayRef<Affine> offsets,
                const Slots &in, Value out);

  Value alloc(llvm::ArrayRef<int64_t> shape);
  /// `buffer` (a whole buffer) viewed at `offset` elements with `shape`
  /// and `strides`.
  Value view(Value buffer, OpFoldResult offset, llvm::ArrayRef<int64_t> shape,
             llvm::ArrayRef<int64_t> strides);
  Value index(int64_t value) {
    return arith::ConstantIndexOp::create(builder, loc, value);
  }

  OpBuilder &builder;
  Location loc;
  const TargetDesc &target;
  const ConvShape &s;
  const ConvEpilogue &epilogue;
  Value x, weights, bias, residual, y;
  Geometry g;
};

Value DepthwiseEmitter::alloc(llvm::ArrayRef<int64_t> shape) {
  // At the start of the block the run is emitted into (a core's): a use
  // in a loop around the allocation would keep the buffer alive through
  // all of it (sinan-npu-allocate-local), so a core's runs could not share
  // vbuf.
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(builder.getInsertionBlock());
  auto type = MemRefType::get(
      shape, builder.getF32Type(), MemRefLayoutAttrInterface(),
      npu::MemorySpaceAttr::get(builder.getContext(), npu::MemorySpace::vbuf));
  return memref::AllocOp::create(builder, loc, type);
}

Value DepthwiseEmitter::view(Value buffer, OpFoldResult offset,
                             llvm::ArrayRef<int64_t> shape,
                             llvm::ArrayRef<int64_t> strides) {
  return reinterpretView(builder, loc, buffer, offset, shape, strides);
}

void DepthwiseEmitter::emitCore(llvm::ArrayRef<Unit> units,
                                const DepthwisePlan &plan) {
  if (plan.channelsLast) {
    emitChannelsLast(builder, loc, target, s, epilogue, plan, units, x, weights,
                     bias, residual, y);
    return;
  }
  llvm::SmallVector<Run> runs = planeRunsOf(s, g, units);
  emitRuns(builder, loc, runs,
           [&](const Run &run, ArrayRef<Affine> base) { emitRun(run, base); });
}

void DepthwiseEmitter::emitRun(const Run &run, llvm::ArrayRef<Affine> base) {
  const Unit &unit = run.unit;
  // The run's buffers, its own (so its loop can double them): the inputs
  // (planes, weights and bias, residual) in one, the result in another.
  Slots in;
  int64_t size = 0;
  for (int64_t extra : g.extraRows)
    for (size_t kw = 0; kw < g.columns.size(); ++kw) {
      in.planes.push_back(size);
      size += s.cg * unit.ct * (unit.rows + extra) * g.pitch;
    }
  int64_t ctPitch = roundUp(unit.ct, target.alignmentBytes / 4);
  in.wts = size;
  size += (weightRows(s) + s.fg) * ctPitch;
  in.res = size;
  if (epilogue.residual)
    size += s.fg * unit.ct * unit.rows * g.pitch;
  in.sig = size;
  if (epilogue.silu)
    size += s.fg * unit.ct * unit.rows * g.pitch;
  in.buffer = alloc({size});
  Value out = alloc({s.fg * unit.ct, unit.rows * g.pitch});
  if (run.count == 1) {
    emitUnit(unit, base, in, out);
    return;
  }
  // sinan-npu-multi-buffer doubles the run's buffers (unrolling by two).
  loop(builder, loc, index(0), index(run.count), 1, [&](Value i) {
    SmallVector<Affine> offsets;
    for (auto [first, delta] : llvm::zip(base, run.step))
      offsets.push_back(first.plus(i, delta));
    emitUnit(unit, offsets, in, out);
  });
}

void DepthwiseEmitter::emitUnit(const Unit &unit,
                                llvm::ArrayRef<Affine> offsets, const Slots &in,
                                Value out) {
  // ct groups: cg input and fg output channels each.
  int64_t ct = unit.ct, rows = unit.rows, pitch = g.pitch;
  int64_t inputs = s.cg * ct, outputs = s.fg * ct;
  int64_t len = rows * pitch;
  int64_t ctPitch = roundUp(ct, target.alignmentBytes / 4);
  OpFoldResult zero = builder.getIndexAttr(0);
  auto at = [&](int64_t offset) -> OpFoldResult {
    return builder.getIndexAttr(offset);
  };
  size_t count = offsets.size();
  const Affine &outOffset = offsets[count - 3];
  // The planes first: their buffers free up when the vector unit is done
  // with them, before the result's store lets the rest go.
  size_t p = 0;
  // Max pooling's column masks, added once every plane has landed: the
  // unit's buffer then passes from DMA-in to the vector unit once (an add
  // between two loads into it would hold the second behind the first's
  // DRAM latency and the add).
  SmallVector<std::pair<Value, Value>> maskAdds;
  for (size_t phase = 0; phase < g.phaseRow.size(); ++phase) {
    Span rowsIn = rowSpan(s, g, phase, unit.oh0, rows);
    int64_t planeRows = rows + g.extraRows[phase];
    for (const Span &columns : g.columns) {
      Value dst = view(in.buffer, at(in.planes[p]), {inputs, planeRows, s.ow},
                       {planeRows * pitch, pitch, 1});
      // Max pooling pads with -inf.
      uint32_t negInf = 0xff800000u;
      if (rowsIn.count == 0 || columns.count == 0) {
        npu::FillOp::create(builder, loc, dst, weights ? 0 : int64_t(negInf));
      } else {
        Value src = view(x, materialize(offsets[p]),
                         {inputs, rowsIn.count, columns.count},
                         {s.h * s.w, s.sh * s.w, s.sw});
        bool padded =
            rowsIn.before || rowsIn.after || columns.before || columns.after;
        npu::DmaLoadOp::create(builder, loc, src, dst,
                               padded ? builder.getDenseI64ArrayAttr(
                                            {rowsIn.before, rowsIn.after,
                                             columns.before, columns.after})
                                      : DenseI64ArrayAttr());
        if (!weights && padded) {
          // The padding's zeros become -inf: whole rows by a fill, columns
          // by adding the kernel column's mask row to every row.
          auto rowsOf = [&](int64_t first, int64_t count) {
            return view(in.buffer, at(in.planes[p] + first * pitch),
                        {inputs, count, s.ow}, {planeRows * pitch, pitch, 1});
          };
          // (-inf rows plus the mask stay -inf.)
          if (columns.before || columns.after) {
            int64_t kw = p % int64_t(g.columns.size());
            Value all = view(in.buffer, at(in.planes[p]),
                             {inputs * planeRows, pitch}, {pitch, 1});
            Value mask = view(columnMask, at(kw * pitch),
                              {inputs * planeRows, pitch}, {0, 1});
            maskAdds.push_back({all, mask});
          }
          if (rowsIn.before)
            npu::FillOp::create(builder, loc, rowsOf(0, rowsIn.before),
                                int64_t(negInf));
          if (rowsIn.after)
            npu::FillOp::create(builder, loc,
                                rowsOf(planeRows - rowsIn.after, rowsIn.after),
                                int64_t(negInf));
        }
      }
      ++p;
    }
  }
  // The unit's weights, a row over its groups per output of a group, input
  // channel and tap (packed so at compile time), then its bias, a row per
  // output of a group (gathered every fg-th). Max pooling has neither.
  if (weights)
    npu::DmaLoadOp::create(
        builder, loc,
        view(weights, materialize(offsets[count - 2]), {weightRows(s), ct},
             {s.group, 1}),
        view(in.buffer, at(in.wts), {weightRows(s), ct}, {ctPitch, 1}),
        DenseI64ArrayAttr());
  int64_t biasRow = weightRows(s);
  if (bias)
    npu::DmaLoadOp::create(
        builder, loc,
        view(bias, materialize(offsets[count - 1]), {s.fg, ct}, {1, s.fg}),
        view(in.buffer, at(in.wts + biasRow * ctPitch), {s.fg, ct},
             {ctPitch, 1}),
        DenseI64ArrayAttr());
  if (residual)
    npu::DmaLoadOp::create(
        builder, loc,
        view(residual, materialize(outOffset), {outputs, rows, s.ow},
             {s.oh * s.ow, s.ow, 1}),
        view(in.buffer, at(in.res), {outputs, rows, s.ow}, {len, pitch, 1}),
        DenseI64ArrayAttr());
  for (auto [all, mask] : maskAdds)
    npu::VBinOp::create(builder, loc, "add", all, mask, all);
  // Per output j of a group (one repeat per group): the first product
  // starts the sum, each other input channel and tap is one multiply-add,
  // in the order the fallback sums them (channels, then taps); the bias
  // comes last.
  int64_t products = s.cg * s.taps();
  auto emitOutput = [&](OpFoldResult j) {
    std::optional<int64_t> fixed = getConstantIntValue(j);
    // The output's sum and its weight rows (then its bias row) as one view
    // each; every product takes a static part of them (one add).
    auto scaled = [&](int64_t constant, int64_t step) -> OpFoldResult {
      return materialize(fixed
                             ? Affine{constant + *fixed * step, {}}
                             : Affine{constant, {}}.plus(cast<Value>(j), step));
    };
    Value sum = view(out, scaled(0, len), {ct, len}, {s.fg * len, 1});
    if (!weights) {
      // Max pooling: the maximum of the taps' planes, in tap order.
      for (int64_t kh = 0; kh < s.kh; ++kh)
        for (int64_t kw = 0; kw < s.kw; ++kw) {
          int64_t planeRows = rows + g.extraRows[g.phaseOf[kh]];
          Value a =
              view(in.buffer,
                   at(in.planes[g.plane(kh, kw)] + g.offsetOf[kh] * pitch),
                   {ct, len}, {planeRows * pitch, 1});
          if (kh == 0 && kw == 0)
            npu::VBinOp::create(builder, loc, "max", a, a, sum);
          else
            npu::VBinOp::create(builder, loc, "max", sum, a, sum);
        }
      return;
    }
    Value own = fixed ? Value()
                      : view(in.buffer, scaled(in.wts, products * ctPitch),
                             {products, ct, len}, {ctPitch, 1, 0});
    auto row = [&](int64_t r) -> Value {
      if (fixed)
        return view(in.buffer, at(in.wts + (*fixed * products + r) * ctPitch),
                    {ct, len}, {1, 0});
      return memref::SubViewOp::create(
          builder, loc,
          cast<MemRefType>(memref::SubViewOp::inferRankReducedResultType(
              {ct, len}, cast<MemRefType>(own.getType()),
              ArrayRef<int64_t>{r, 0, 0}, ArrayRef<int64_t>{1, ct, len},
              ArrayRef<int64_t>{1, 1, 1})),
          own, ArrayRef<int64_t>{r, 0, 0}, ArrayRef<int64_t>{1, ct, len},
          ArrayRef<int64_t>{1, 1, 1});
    };
    for (int64_t c = 0; c < s.cg; ++c)
      for (int64_t kh = 0; kh < s.kh; ++kh)
        for (int64_t kw = 0; kw < s.kw; ++kw) {
          int64_t planeRows = rows + g.extraRows[g.phaseOf[kh]];
          Value a = view(in.buffer,
                         at(in.planes[g.plane(kh, kw)] +
                            (c * planeRows + g.offsetOf[kh]) * pitch),
                         {ct, len}, {s.cg * planeRows * pitch, 1});
          Value b = row(c * s.taps() + kh * s.kw + kw);
          if (c == 0 && kh == 0 && kw == 0)
            npu::VBinOp::create(builder, loc, "mul", a, b, sum);
          else
            npu::VFmaOp::create(builder, loc, a, b, sum);
        }
    if (bias)
      npu::VBinOp::create(builder, loc, "add", sum,
                          view(in.buffer,
                               scaled(in.wts + biasRow * ctPitch, ctPitch),
                               {ct, len}, {1, 0}),
                          sum);
  };
  // Unrolled while small; else a loop over the outputs of a group (RegNet's
  // groups of 8 make 576 products a unit, which unrolled cost the compiler
  // seconds per network).
  if (s.fg == 1 || s.fg * products <= kUnrolledProducts) {
    for (int64_t j = 0; j < s.fg; ++j)
      emitOutput(at(j));
  } else {
    // The loop's buffers belong to the unit's loop: not multi-buffered.
    loop(builder, loc, index(0), index(s.fg), 1, [&](Value j) {
      emitOutput(j);
    })->setAttr(npu::kBufferedAttrName, builder.getUnitAttr());
  }
  Value whole = view(out, zero, {outputs, len}, {len, 1});
  if (residual)
    npu::VBinOp::create(builder, loc, "add", whole,
                        view(in.buffer, at(in.res), {outputs, len}, {len, 1}),
                        whole);
  if (epilogue.clip)
    emitClip(builder, loc, whole, whole, epilogue.min, epilogue.max);
  if (epilogue.silu)
    emitSilu(builder, loc, whole, whole,
             view(in.buffer, at(in.sig), {outputs, len}, {len, 1}));
  emitUnaryActivation(builder, loc, epilogue, whole, whole);
  npu::DmaStoreOp::create(
      builder, loc, view(out, zero, {outputs, rows, s.ow}, {len, pitch, 1}),
      view(y, materialize(outOffset), {outputs, rows, s.ow},
           {s.oh * s.ow, s.ow, 1}))
      .setRelu(epilogue.relu);
}

/// Emits `plan`'s units, split over the cores, into `kernel` and finishes
/// it (the depthwise convolution's and the max pooling's common tail).
void emitPlan(OpBuilder &builder, Location loc, func::FuncOp kernel,
              DepthwiseEmitter &emitter, const ConvShape &s,
              const DepthwisePlan &plan, const TargetDesc &target) {
  llvm::SmallVector<llvm::SmallVector<Unit>> parts =
      unitsPerCore(s, plan.ct, plan.rows, plan.cores, target.alignmentBytes);
  if (parts.size() == 1) {
    emitter.emitCore(parts.front(), plan);
  } else {
    Value core = npu::CoreIdOp::create(builder, loc, builder.getIndexType());
    for (auto [c, units] : llvm::enumerate(parts))
      onCore(builder, loc, core, c, [&] { emitter.emitCore(units, plan); });
  }
  finishKernel(builder, kernel, parts.size(), {plan.ct, plan.rows, plan.pitch},
               describe(plan));
}

} // namespace

LogicalResult sinan::tiling::emitDepthwiseConv(
    func::FuncOp kernel, graph::Conv2dOp conv, const ConvShape &s,
    const DepthwisePlan &plan, const ConvEpilogue &epilogue,
    const TargetDesc &target, DenseElementsAttr weights) {
  MLIRContext *context = kernel.getContext();
  Block &body = kernel.getBody().front();
  if (body.getNumArguments() !=
      conv->getNumOperands() + (epilogue.residual ? 1 : 0))
    return conv.emitError("an SNPU convolution kernel takes the convolution's "
                          "operands (and a residual) as its arguments");
  Location loc = conv.getLoc();
  // Weights as rows over the groups, one per output of a group, input
  // channel and tap, f32: a unit's weights are one strided load.
  SmallVector<float> values = weightValues(weights);
  SmallVector<float> packed(values.size());
  for (int64_t group = 0; group < s.group; ++group)
    for (int64_t j = 0; j < s.fg; ++j)
      for (int64_t c = 0; c < s.cg; ++c)
        for (int64_t t = 0; t < s.taps(); ++t)
          packed[((j * s.cg + c) * s.taps() + t) * s.group + group] =
              values[((group * s.fg + j) * s.cg + c) * s.taps() + t];
  auto packedType = RankedTensorType::get({weightRows(s), s.group},
                                          Float32Type::get(context));
  memref::GlobalOp global = addWeightsGlobal(
      kernel, DenseElementsAttr::get(packedType, ArrayRef<float>(packed)), loc,
      target);
  bool hasBias = static_cast<bool>(conv.getBias());
  OpBuilder builder(context);
  Block &newBody = replaceBodyWithMemRefs(kernel, conv.getType());
  builder.setInsertionPointToStart(&newBody);
  Value packedWeights = memref::GetGlobalOp::create(
      builder, loc, global.getType(), global.getSymName());
  Value x = newBody.getArgument(0);
  Value bias = hasBias ? newBody.getArgument(2) : Value();
  Value y = newBody.getArguments().back();
  Value residual = epilogue.residual
                       ? newBody.getArgument(newBody.getNumArguments() - 2)
                       : Value();
  DepthwiseEmitter emitter(builder, loc, target, s, epilogue, x, packedWeights,
                           bias, residual, y);
  emitPlan(builder, loc, kernel, emitter, s, plan, target);
  return success();
}

std::optional<ConvShape> sinan::tiling::maxPoolShapeOf(graph::MaxPool2dOp pool,
                                                       const TargetDesc &target,
                                                       std::string &why) {
  auto in = dyn_cast<RankedTensorType>(pool.getInput().getType());
  auto out = dyn_cast<RankedTensorType>(pool.getType());
  for (RankedTensorType type : {in, out})
    if (!type || type.getRank() != 4 || !type.hasStaticShape() ||
        type.getNumElements() == 0 || !type.getElementType().isF32()) {
      why = "not a static NCHW f32 pooling";
      return std::nullopt;
    }
  ArrayRef<int64_t> kernel = pool.getKernel(), strides = pool.getStrides(),
                    pads = pool.getPads(), dilations = pool.getDilations();
  if (kernel.size() != 2 || strides.size() != 2 || pads.size() != 4 ||
      dilations.size() != 2) {
    why = "not a 2-D pooling";
    return std::nullopt;
  }
  ConvShape s{};
  s.n = in.getDimSize(0);
  s.c = s.f = s.group = in.getDimSize(1);
  s.cg = s.fg = 1;
  s.h = in.getDimSize(2);
  s.w = in.getDimSize(3);
  s.kh = kernel[0];
  s.kw = kernel[1];
  s.oh = out.getDimSize(2);
  s.ow = out.getDimSize(3);
  s.sh = strides[0];
  s.sw = strides[1];
  s.dh = dilations[0];
  s.dw = dilations[1];
  s.top = pads[0];
  s.left = pads[1];
  // Padding is -inf: the kernel masks the DMA's zeros (maxPoolMask).
  if (s.c < 2 || !vectorConvApplies(s, target)) {
    why = "one channel (the vector unit takes a repeat per channel)";
    return std::nullopt;
  }
  // In a kernel function, the DRAM types are the function's (an input or
  // result kept as bf16).
  if (auto kernel = pool->getParentOfType<func::FuncOp>();
      kernel && kernel->hasAttr(npu::kTargetAttrName) &&
      kernel.getNumArguments() >= 1 && kernel.getNumResults() == 1) {
    s.inBytes = bytesOf(getElementTypeOrSelf(kernel.getArgumentTypes()[0]));
    s.outBytes = bytesOf(getElementTypeOrSelf(kernel.getResultTypes()[0]));
  }
  return s;
}

std::optional<double>
sinan::tiling::estimateMaxPoolCycles(graph::MaxPool2dOp pool,
                                     const TargetDesc &target) {
  std::string why;
  std::optional<ConvShape> s = maxPoolShapeOf(pool, target, why);
  if (!s)
    return std::nullopt;
  std::optional<DepthwisePlan> plan = chooseDepthwisePlan(
      *s, target, ConvEpilogue(), maxPoolMaskBytes(*s, target));
  std::optional<MaxPoolRowsPlan> rows = chooseMaxPoolRows(*s, target);
  if (rows && (!plan || rows->cycles < plan->cycles))
    return rows->cycles;
  return plan ? std::optional(plan->cycles) : std::nullopt;
}

int64_t sinan::tiling::maxPoolMaskBytes(const ConvShape &s,
                                        const TargetDesc &target) {
  Geometry g = geometryOf(s, target);
  bool padded = llvm::any_of(g.columns,
                             [](const Span &c) { return c.before || c.after; });
  return padded ? int64_t(g.columns.size()) * g.pitch * 4 : 0;
}

LogicalResult sinan::tiling::emitMaxPool(func::FuncOp kernel,
                                         graph::MaxPool2dOp pool,
                                         const TargetDesc &target) {
  std::string why;
  std::optional<ConvShape> s = maxPoolShapeOf(pool, target, why);
  int64_t maskBytes = s ? maxPoolMaskBytes(*s, target) : 0;
  std::optional<DepthwisePlan> plan =
      s ? chooseDepthwisePlan(*s, target, ConvEpilogue(), maskBytes)
        : std::nullopt;
  std::optional<MaxPoolRowsPlan> rows =
      s ? chooseMaxPoolRows(*s, target) : std::nullopt;
  if (!plan && !rows)
    return pool.emitError() << "the SNPU cannot run this max pooling: "
                            << (s ? "no unit fits the vector buffer" : why);
  Location loc = pool.getLoc();
  OpBuilder builder(kernel.getContext());
  Block &body = replaceBodyWithMemRefs(kernel, pool.getType());
  builder.setInsertionPointToStart(&body);
  Value x = body.getArgument(0), y = body.getArguments().back();
  // The separable form unless the planes' estimate is lower.
  if (rows && (!plan || rows->cycles < plan->cycles)) {
    emitMaxPoolRows(builder, loc, kernel, *s, *rows, target, x, y);
    return success();
  }
  // No epilogue (the emitter keeps a reference: it must outlive it).
  ConvEpilogue none{};
  DepthwiseEmitter emitter(builder, loc, target, *s, none, x, Value(), Value(),
                           Value(), y);
  if (maskBytes && !plan->channelsLast) {
    // Per kernel column, -inf where its planes are padding, -0.0 elsewhere,
    // loaded once by every core.
    Geometry g = geometryOf(*s, target);
    SmallVector<float> mask;
    for (const Span &columns : g.columns)
      for (int64_t q = 0; q < g.pitch; ++q)
        mask.push_back(q >= columns.before && q < columns.before + columns.count
                           ? -0.0f
                           : -std::numeric_limits<float>::infinity());
    auto maskType = RankedTensorType::get({int64_t(g.columns.size()), g.pitch},
                                          builder.getF32Type());
    memref::GlobalOp global = addWeightsGlobal(
        kernel, DenseElementsAttr::get(maskType, ArrayRef<float>(mask)), loc,
        target);
    Value source = memref::GetGlobalOp::create(builder, loc, global.getType(),
                                               global.getSymName());
    auto vbufType = MemRefType::get(
        {int64_t(g.columns.size()), g.pitch}, builder.getF32Type(),
        MemRefLayoutAttrInterface(),
        npu::MemorySpaceAttr::get(kernel.getContext(), npu::MemorySpace::vbuf));
    Value local = memref::AllocOp::create(builder, loc, vbufType);
    npu::DmaLoadOp::create(builder, loc, source, local, DenseI64ArrayAttr());
    SmallVector<ReassociationIndices> all = {{0, 1}};
    emitter.columnMask =
        memref::CollapseShapeOp::create(builder, loc, local, all);
  }
  emitPlan(builder, loc, kernel, emitter, *s, *plan, target);
  return success();
}
