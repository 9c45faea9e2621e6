//===- MaxPoolRows.cpp - Max pooling as two passes over whole rows --------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The separable form of max pooling. The plane form (DepthwiseToNpu.cpp)
// gathers a plane per kernel column and row phase from DRAM, a DMA row per
// channel and output row, and takes the maximum of every tap over the
// output: with a stride the DMA engine's row rate bounds it, and its f32
// planes double the vector unit's bytes. Here a unit (ct channels by a band
// of output rows) loads its input rows as they are, one DMA row per channel
// and image row, in the input's own type (a maximum is exact in bf16), and
// the vector unit takes the window's maximum in two passes over whole rows:
//
//   X[c][r][w]        the band's input rows (padding rows are -inf)
//   XT[col][c, r]     = X transposed (vtrans), col = w + left; the padding
//                       columns are rows of -inf
//   HT[q][c, r]       = max over kw of XT[q * sw + kw * dw]   (rows: aligned)
//   H[c, r][q]        = HT transposed back
//   O[c, j][q]        = max over kh of H[c, j * sh + kh * dh]
//
// A column tap is a row of XT, so every operand starts on a row and stays
// aligned (an element offset would not). Each channel's rows of X and H
// are r' * sh apart for r' output rows (r' >= the band's, enough for the
// rows it reads), so one instruction per tap covers every channel with a
// uniform repeat stride; the extra output rows are computed and not stored.
// The row pass comes first, then the column pass: of equal maxima (-0.0
// and +0.0) the first in row-major tap order wins, as in the plane form and
// the reference kernel.
//
//===----------------------------------------------------------------------===//

#include "Depthwise.h"

#include "sinan/Dialect/Npu/IR/NpuOps.h"
#include "sinan/runtime/Target.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>

using namespace mlir;
using namespace sinan;
using namespace sinan::tiling;
using namespace sinan::tiling::depthwise;

namespace {

/// The input rows `rows` output rows read (bandOf's `need`).
int64_t inputRows(const ConvShape &s, int64_t rows) {
  return bandOf(s, 0, rows).need;
}

/// Elements of a unit's buffers, `eb`-byte elements, rows aligned.
struct Layout {
  int64_t eb = 4;
  /// Rows a channel has in X and H (a multiple of sh) and output rows
  /// computed per channel (rowsX / sh).
  int64_t rowsX = 0, rowsOut = 0;
  int64_t pitchX = 0, pitchT = 0, pitchH = 0, width = 0;
  /// Rows of H past the last channel's that the column pass reads for the
  /// rows it computes and does not store.
  int64_t spare = 0;
  /// With one kernel row, DMA-out stores H itself (O goes unused).
  bool storesH = false;
  /// Bytes of the buffers each copy of a run has: the rows DMA-in loads
  /// and the result DMA-out stores.
  int64_t copiedBytes(int64_t ct) const {
    return (ct * rowsX * pitchX +
            (storesH ? hRows(ct) : ct * rowsOut) * pitchH) *
           eb;
  }
  /// Bytes of the vector unit's own buffers (the transposed rows and the
  /// row pass's results; npu.shared, so one copy however many units are in
  /// flight), the row of -inf and an unused O.
  int64_t sharedBytes(int64_t ct, int64_t ow) const {
    int64_t xt = width * pitchT, ht = ow * pitchT;
    int64_t h = (storesH ? ct * rowsOut : hRows(ct)) * pitchH;
    return (xt + ht + h + pitchT) * eb;
  }
  int64_t hRows(int64_t ct) const { return ct * rowsX + spare; }
  int64_t bytes(int64_t ct, int64_t ow, int64_t copies) const {
    return copies * copiedBytes(ct) + sharedBytes(ct, ow);
  }
  /// Bytes of a run of `count` units with `copies` asked (a run of fewer
  /// units has as many copies as units).
  int64_t runBytes(int64_t ct, int64_t ow, int64_t copies,
                   int64_t count) const {
    return bytes(ct, ow, std::min(copies, count));
  }
};

Layout layoutOf(const ConvShape &s, int64_t ct, int64_t rows, int64_t eb,
                int64_t align) {
  Layout l;
  l.eb = eb;
  l.rowsOut = ceilDiv(inputRows(s, rows), s.sh);
  l.rowsX = l.rowsOut * s.sh;
  l.pitchX = pitch(s.w, eb, align);
  l.pitchT = pitch(ct * l.rowsX, eb, align);
  l.pitchH = pitch(s.ow, eb, align);
  l.width = gridWidth(s);
  l.spare = (s.kh - 1) * s.dh + s.sh;
  l.storesH = s.kh == 1;
  return l;
}

int64_t elementBytesOf(const ConvShape &s) { return s.inBytes == 2 ? 2 : 4; }

UnitCost unitCost(const ConvShape &s, int64_t ct, int64_t rows, int64_t copies,
                  const TargetDesc &target) {
  int64_t eb = elementBytesOf(s);
  Layout l = layoutOf(s, ct, rows, eb, target.alignmentBytes);
  Band band = bandOf(s, 0, rows);
  band.count = std::min<int64_t>(inputRows(s, rows), s.h);
  UnitCost cost;
  cost.in = dmaCost(target, s.w * s.inBytes, ct * band.count) +
            3 * int64_t(target.dmaSetupCycles);
  cost.out = dmaCost(target, s.ow * s.outBytes, ct * rows);
  cost.dram =
      (ct * band.count * s.w) * s.inBytes + ct * rows * s.ow * s.outBytes;
  int64_t vb = std::max<int64_t>(target.vectorBytesPerCycle, 1);
  auto pass = [&](int64_t elements) {
    return ceilDiv(elements * eb, vb) + int64_t(target.vectorLatencyCycles);
  };
  int64_t columns = ct * l.rowsX;
  cost.vector = pass(columns * s.w) + (l.width - s.w) * pass(l.pitchT) +
                (s.kw - 1) * pass(s.ow * l.pitchT) + pass(s.ow * l.pitchT) +
                (s.kh - 1) * pass(ct * l.rowsOut * s.ow);
  // A unit's rows land a DRAM latency after their load, then both passes;
  // `copies` units are in flight (the run's buffers are multiplied).
  cost.chain =
      (cost.in + int64_t(target.dramLatencyCycles) + cost.vector) / copies;
  return cost;
}

/// What must agree within a run (the unit's shape) and what steps along it
/// (elements): the first image row loaded and the first output row.
SmallVector<int64_t> shapeOf(const ConvShape &s, const Unit &unit) {
  Band band = bandOf(s, unit.oh0, unit.rows);
  return {unit.ct, unit.rows, band.before, band.count, band.after};
}

SmallVector<int64_t> offsetsOf(const ConvShape &s, const Unit &unit) {
  Band band = bandOf(s, unit.oh0, unit.rows);
  int64_t image = (unit.n * s.c + unit.c0) * s.h * s.w;
  return {image + band.start * s.w,
          (unit.n * s.c + unit.c0) * s.oh * s.ow + unit.oh0 * s.ow};
}

class MaxPoolRowsEmitter {
public:
  MaxPoolRowsEmitter(OpBuilder &builder, Location loc, const TargetDesc &target,
                     const ConvShape &s, int64_t copies, Value x, Value y)
      : builder(builder), loc(loc), target(target), s(s), copies(copies), x(x),
        y(y), element(elementBytesOf(s) == 2 ? Type(builder.getBF16Type())
                                             : Type(builder.getF32Type())) {}

  void emitCore(ArrayRef<Unit> units) {
    SmallVector<Run> runs = runsOf(
        units, [&](const Unit &unit) { return shapeOf(s, unit); },
        [&](const Unit &unit) { return offsetsOf(s, unit); });
    emitRuns(builder, loc, runs, [&](const Run &run, ArrayRef<Affine> base) {
      emitRun(run, base);
    });
  }

private:
  void emitRun(const Run &run, ArrayRef<Affine> base);
  void emitUnit(const Unit &unit, ArrayRef<Affine> offsets, const Layout &l,
                ArrayRef<Value> buffers);

  Value alloc(int64_t elements, bool shared = false) {
    // At the start of the core's block, as the depthwise forms' (so a
    // core's runs may share vbuf by liveness).
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToStart(builder.getInsertionBlock());
    auto type =
        MemRefType::get({elements}, element, MemRefLayoutAttrInterface(),
                        npu::MemorySpaceAttr::get(builder.getContext(),
                                                  npu::MemorySpace::vbuf));
    auto op = memref::AllocOp::create(builder, loc, type);
    if (shared)
      op->setAttr(npu::kSharedAttrName, builder.getUnitAttr());
    return op;
  }
  Value view(Value buffer, int64_t offset, ArrayRef<int64_t> shape,
             ArrayRef<int64_t> strides) {
    return reinterpretView(builder, loc, buffer, builder.getIndexAttr(offset),
                           shape, strides);
  }
  Value dram(Value tensor, const Affine &offset, ArrayRef<int64_t> shape,
             ArrayRef<int64_t> strides) {
    return reinterpretView(builder, loc, tensor,
                           materialize(builder, loc, offset), shape, strides);
  }
  /// The fill pattern of -inf in the unit's element type.
  int64_t negInf() const {
    return isa<BFloat16Type>(element) ? int64_t(0xff80) : int64_t(0xff800000u);
  }

  OpBuilder &builder;
  Location loc;
  const TargetDesc &target;
  const ConvShape &s;
  int64_t copies;
  Value x, y;
  Type element;
};

void MaxPoolRowsEmitter::emitRun(const Run &run, ArrayRef<Affine> base) {
  const Unit &unit = run.unit;
  Layout l =
      layoutOf(s, unit.ct, unit.rows, elementBytesOf(s), target.alignmentBytes);
  // The run's own buffers (so its loop can double them), and a row of
  // -inf, filled once, that the vector unit copies into each unit's
  // padding columns (a fill there, on DMA-in, would wait for the buffer's
  // previous unit and hold the next unit's load behind it).
  // The loaded rows and the result change engines (DMA-in to vector to
  // DMA-out) and are copied per unit in flight; the vector unit's own
  // buffers between them are shared by the units.
  SmallVector<Value> buffers = {
      alloc(unit.ct * l.rowsX * l.pitchX),
      alloc(l.width * l.pitchT, /*shared=*/true),
      alloc(s.ow * l.pitchT, /*shared=*/true),
      alloc(l.hRows(unit.ct) * l.pitchH, /*shared=*/!l.storesH),
      alloc(unit.ct * l.rowsOut * l.pitchH, /*shared=*/l.storesH)};
  if (l.width > s.w) {
    buffers.push_back(alloc(l.pitchT));
    npu::FillOp::create(builder, loc, buffers.back(), negInf());
  }
  if (run.count == 1) {
    emitUnit(unit, base, l, buffers);
    return;
  }
  scf::ForOp units = loop(
      builder, loc, arith::ConstantIndexOp::create(builder, loc, 0),
      arith::ConstantIndexOp::create(builder, loc, run.count), 1, [&](Value i) {
        SmallVector<Affine> offsets;
        for (auto [first, delta] : llvm::zip(base, run.step))
          offsets.push_back(first.plus(i, delta));
        emitUnit(unit, offsets, l, buffers);
      });
  units->setAttr(npu::kBuffersAttrName, builder.getI64IntegerAttr(copies));
}

void MaxPoolRowsEmitter::emitUnit(const Unit &unit, ArrayRef<Affine> offsets,
                                  const Layout &l, ArrayRef<Value> buffers) {
  Value xs = buffers[0], xt = buffers[1], ht = buffers[2], h = buffers[3],
        o = buffers[4];
  int64_t ct = unit.ct, columns = ct * l.rowsX;
  Band band = bandOf(s, unit.oh0, unit.rows);
  // The band's image rows, one DMA row per channel and row; its padding
  // rows -inf.
  if (band.count)
    npu::DmaLoadOp::create(
        builder, loc,
        dram(x, offsets[0], {ct, band.count, s.w}, {s.h * s.w, s.w, 1}),
        view(xs, band.before * l.pitchX, {ct, band.count, s.w},
             {l.rowsX * l.pitchX, l.pitchX, 1}),
        DenseI64ArrayAttr());
  if (band.before)
    npu::FillOp::create(
        builder, loc,
        view(xs, 0, {ct, band.before, s.w}, {l.rowsX * l.pitchX, l.pitchX, 1}),
        negInf());
  if (band.after)
    npu::FillOp::create(builder, loc,
                        view(xs, (band.before + band.count) * l.pitchX,
                             {ct, band.after, s.w},
                             {l.rowsX * l.pitchX, l.pitchX, 1}),
                        negInf());
  // Columns become rows between the padding columns' rows of -inf.
  int64_t right = l.width - s.left - s.w;
  auto padRows = [&](int64_t first, int64_t count) {
    if (count <= 0)
      return;
    Value inf = view(buffers.back(), 0, {count, columns}, {0, 1});
    npu::VBinOp::create(
        builder, loc, "max", inf, inf,
        view(xt, first * l.pitchT, {count, columns}, {l.pitchT, 1}));
  };
  padRows(0, s.left);
  padRows(s.left + s.w, right);
  npu::VTransOp::create(
      builder, loc, view(xs, 0, {columns, s.w}, {l.pitchX, 1}),
      view(xt, s.left * l.pitchT, {s.w, columns}, {l.pitchT, 1}));
  // The row pass: output column q takes rows q * sw + kw * dw of XT.
  auto columnTap = [&](int64_t kw) {
    return view(xt, kw * s.dw * l.pitchT, {s.ow, columns},
                {s.sw * l.pitchT, 1});
  };
  Value rowMax = columnTap(0);
  if (s.kw > 1) {
    rowMax = view(ht, 0, {s.ow, columns}, {l.pitchT, 1});
    npu::VBinOp::create(builder, loc, "max", columnTap(0), columnTap(1),
                        rowMax);
    for (int64_t kw = 2; kw < s.kw; ++kw)
      npu::VBinOp::create(builder, loc, "max", rowMax, columnTap(kw), rowMax);
  }
  npu::VTransOp::create(builder, loc, rowMax,
                        view(h, 0, {columns, s.ow}, {l.pitchH, 1}));
  // The column pass over every channel's rows: output row j of a channel
  // takes its rows j * sh + kh * dh.
  int64_t outRows = ct * l.rowsOut;
  auto rowTap = [&](int64_t kh) {
    return view(h, kh * s.dh * l.pitchH, {outRows, s.ow}, {s.sh * l.pitchH, 1});
  };
  Value result = o;
  int64_t resultPitch = l.pitchH;
  if (s.kh > 1) {
    Value all = view(o, 0, {outRows, s.ow}, {l.pitchH, 1});
    npu::VBinOp::create(builder, loc, "max", rowTap(0), rowTap(1), all);
    for (int64_t kh = 2; kh < s.kh; ++kh)
      npu::VBinOp::create(builder, loc, "max", all, rowTap(kh), all);
  } else {
    // One kernel row: the rows are H's, sh apart.
    result = h;
    resultPitch = s.sh * l.pitchH;
  }
  npu::DmaStoreOp::create(
      builder, loc,
      view(result, 0, {ct, unit.rows, s.ow},
           {l.rowsOut * resultPitch, resultPitch, 1}),
      dram(y, offsets[1], {ct, unit.rows, s.ow}, {s.oh * s.ow, s.ow, 1}));
}

} // namespace

std::optional<MaxPoolRowsPlan>
sinan::tiling::chooseMaxPoolRows(const ConvShape &s, const TargetDesc &target) {
  if (target.vectorBytesPerCycle == 0 || s.c < 1)
    return std::nullopt;
  int64_t eb = elementBytesOf(s), align = target.alignmentBytes;
  // The loaded rows and the results at least twice: the runs of units are
  // multi-buffered, and up to kMaxCopies units in flight hide more of each
  // load's DRAM latency.
  constexpr int64_t kMaxCopies = 4;
  int64_t vbuf = int64_t(target.vbuf.sizeBytes);
  // With several runs on a core, which share vbuf by liveness, a unit stays
  // bounded by all of its buffers twice and two copies: larger units or
  // more copies leave the runs' reuse of each other's bytes more handoffs
  // than the target has semaphores (sinan-npu-insert-sync then orders
  // whole groups of buffers: on the edge preset ResNet-50's pooling with 6
  // channels a unit ran 35 % slower than with 4, SqueezeNet's first 108k ->
  // 162k cycles with three copies). One run per core has no such reuse.
  auto unitFits = [&](const Layout &l, int64_t ct) {
    return 2 * (l.copiedBytes(ct) + l.sharedBytes(ct, s.ow)) <= vbuf;
  };
  std::optional<MaxPoolRowsPlan> best;
  for (int64_t blocks = 1; blocks <= s.c; ++blocks) {
    int64_t ct = ceilDiv(s.c, blocks);
    if (blocks > 1 && ceilDiv(s.c, blocks - 1) == ct)
      continue;
    if (layoutOf(s, ct, 1, eb, align).bytes(ct, s.ow, 2) > vbuf)
      continue;
    // Bands of even height (each band count once).
    for (int64_t bands = 1; bands <= s.oh; ++bands) {
      int64_t rows = ceilDiv(s.oh, bands);
      if (bands > 1 && ceilDiv(s.oh, bands - 1) == rows)
        continue;
      Layout layout = layoutOf(s, ct, rows, eb, align);
      auto parts = unitsPerCore(s, ct, rows, target.cores, align);
      SmallVector<SmallVector<Run>> coreRuns;
      for (const auto &units : parts)
        coreRuns.push_back(runsOf(
            units, [&](const Unit &unit) { return shapeOf(s, unit); },
            [&](const Unit &unit) { return offsetsOf(s, unit); }));
      // As many copies as every run's buffers fit in vbuf with.
      auto fits = [&](int64_t copies) {
        for (const auto &runs : coreRuns)
          for (const Run &run : runs)
            if (layout.runBytes(ct, s.ow, copies, run.count) > vbuf)
              return false;
        return true;
      };
      bool oneRun = llvm::all_of(coreRuns, [](const SmallVector<Run> &runs) {
        return runs.size() <= 1;
      });
      if (!oneRun && !unitFits(layout, ct))
        continue;
      int64_t copies = oneRun ? kMaxCopies : 2;
      while (copies >= 2 && !fits(copies))
        --copies;
      if (copies < 2)
        continue;
      double cycles = 0;
      int64_t total = s.n * blocks * ceilDiv(s.oh, rows);
      for (auto [units, runList] : llvm::zip(parts, coreRuns)) {
        int64_t runs = runList.size();
        cycles =
            std::max(cycles, estimate(unitCost(s, ct, rows, copies, target),
                                      units.size(), runs, total, target));
      }
      if (!best || cycles < best->cycles)
        best = MaxPoolRowsPlan{ct, rows, int64_t(parts.size()), copies, cycles};
    }
  }
  return best;
}

std::string sinan::tiling::describe(const MaxPoolRowsPlan &p) {
  return llvm::formatv("vector form=rows ct={0} rows={1} copies={2} "
                       "cores={3} estimate={4}",
                       p.ct, p.rows, p.copies, p.cores, int64_t(p.cycles));
}

void sinan::tiling::emitMaxPoolRows(OpBuilder &builder, Location loc,
                                    func::FuncOp kernel, const ConvShape &s,
                                    const MaxPoolRowsPlan &plan,
                                    const TargetDesc &target, Value x,
                                    Value y) {
  MaxPoolRowsEmitter emitter(builder, loc, target, s, plan.copies, x, y);
  auto parts =
      unitsPerCore(s, plan.ct, plan.rows, plan.cores, target.alignmentBytes);
  if (parts.size() == 1) {
    emitter.emitCore(parts.front());
  } else {
    Value core = npu::CoreIdOp::create(builder, loc, builder.getIndexType());
    for (auto [c, units] : llvm::enumerate(parts))
      onCore(builder, loc, core, c, [&] { emitter.emitCore(units); });
  }
  finishKernel(builder, kernel, parts.size(), {plan.ct, plan.rows},
               describe(plan));
}
