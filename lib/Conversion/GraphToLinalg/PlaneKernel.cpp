//===- PlaneKernel.cpp - Pooling and depthwise convolution on the CPU -----===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Kernels whose outputs each read one input plane: max and average pooling,
// and convolutions with one input channel per group (depthwise, with any
// channel multiplier). Each unit is one output plane (image, channel).
// Pooling visits, for every output row, the window's taps in the reference
// kernel's order (tap row, then tap column) and combines each into the
// whole row of outputs whose input lies inside the image, so the inner loop
// runs along a row (LLVM vectorizes it). Depthwise convolutions work in
// vectors of output columns (emitDepthwise), each summing its taps in the
// same order (from the bias, a multiply then an add per tap) and then
// applying the epilogue (residual, relu, clip) as the reference does after
// the op. Both are runtime/ref's maxPool2d, avgPool2d and conv2d's f32
// path bit for bit. Taps in the padding are skipped; an average divides by
// the taps inside the image, or with count_include_pad by those inside the
// explicit padding (ceil mode's extra positions never count).
//
//===----------------------------------------------------------------------===//

#include "CpuKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinTypes.h"

#include <limits>

using namespace mlir;

namespace sinan {
namespace {

enum class PlaneOp { Max, Average, Depthwise };

struct PlaneShape : Window2d {
  PlaneOp kind;
  /// Output planes (N x output channels), the input's channels and the
  /// output channels per input channel (1 for pooling).
  int64_t planes, channels, multiplier;
  int64_t h, w, oh, ow;
  bool countPad = false, bias = false;
};

std::optional<PlaneShape> planeShapeOf(Operation *op) {
  StringRef name = op->getName().stripDialect();
  if (op->getNumResults() != 1 || op->getNumOperands() < 1)
    return std::nullopt;
  auto x = staticF32(op->getOperand(0).getType(), 4);
  auto y = staticF32(op->getResult(0).getType(), 4);
  if (!x || !y || y.getDimSize(0) != x.getDimSize(0))
    return std::nullopt;
  PlaneShape s{};
  s.h = x.getDimSize(2);
  s.w = x.getDimSize(3);
  s.oh = y.getDimSize(2);
  s.ow = y.getDimSize(3);
  s.channels = x.getDimSize(1);
  s.planes = y.getDimSize(0) * y.getDimSize(1);
  if (name == "max_pool2d" || name == "avg_pool2d") {
    std::optional<Window2d> window = windowOf(op, i64Array(op, "kernel", {}));
    if (op->getNumOperands() != 1 || y.getDimSize(1) != s.channels || !window)
      return std::nullopt;
    static_cast<Window2d &>(s) = *window;
    s.kind = name == "max_pool2d" ? PlaneOp::Max : PlaneOp::Average;
    s.multiplier = 1;
    auto countPad = op->getAttrOfType<BoolAttr>("count_include_pad");
    s.countPad = countPad && countPad.getValue();
    return s;
  }
  if (name != "conv2d" || op->getNumOperands() > 3)
    return std::nullopt;
  // One input channel per group: groups == input channels.
  auto wt = staticF32(op->getOperand(1).getType(), 4);
  int64_t groups = 1;
  if (auto attr = op->getAttrOfType<IntegerAttr>("group"))
    groups = attr.getInt();
  int64_t f = y.getDimSize(1);
  if (!wt || wt.getDimSize(1) != 1 || groups != s.channels || groups < 1 ||
      f % groups != 0 || wt.getDimSize(0) != f ||
      (op->getNumOperands() == 3 && !staticF32(op->getOperand(2).getType(), 1)))
    return std::nullopt;
  std::optional<Window2d> window =
      windowOf(op, {wt.getDimSize(2), wt.getDimSize(3)});
  if (!window)
    return std::nullopt;
  static_cast<Window2d &>(s) = *window;
  s.kind = PlaneOp::Depthwise;
  s.multiplier = f / groups;
  s.bias = op->getNumOperands() == 3;
  return s;
}

Value f32(OpBuilder &b, Location loc, double v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

/// max: the reference's `isnan(v) || v > best`; average: best + v.
Value combine(OpBuilder &b, Location loc, PlaneOp kind, Value best, Value v) {
  if (kind == PlaneOp::Average)
    return arith::AddFOp::create(b, loc, best, v);
  Value nan = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, v, v);
  Value greater =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, v, best);
  Value take = arith::OrIOp::create(b, loc, nan, greater);
  return arith::SelectOp::create(b, loc, take, v, best);
}

/// An NCHW buffer (or depthwise weights [F, 1, KH, KW]) as planes
/// [N x C, H, W].
Value planesOf(OpBuilder &b, Location loc, Value v) {
  return memref::CollapseShapeOp::create(
      b, loc, v, SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}});
}

/// Output plane (n, m)'s channel m and the input plane it reads, (n, m /
/// multiplier).
std::pair<Value, Value> planeSource(IndexMath &m, Value plane,
                                    const PlaneShape &s) {
  int64_t outChannels = s.channels * s.multiplier;
  Value channel = m.rem(plane, outChannels);
  Value source = m.add(m.mul(m.div(plane, outChannels), s.channels),
                       m.div(channel, s.multiplier));
  return {channel, source};
}

/// Pooling over output planes [begin, end); `buffers` are the input and
/// the output.
void emitPooling(OpBuilder &b, Location loc, const PlaneShape &s,
                 ValueRange buffers, Value begin, Value end) {
  Value x = planesOf(b, loc, buffers[0]), y = planesOf(b, loc, buffers.back());
  Value first = f32(
      b, loc,
      s.kind == PlaneOp::Max ? -std::numeric_limits<double>::infinity() : 0.0);
  forLoop(b, loc, begin, end, [&](OpBuilder &pb, Value plane) {
    IndexMath pm{pb, loc};
    Value source = planeSource(pm, plane, s).second;
    forLoop(pb, loc, pm.c(0), pm.c(s.oh), [&](OpBuilder &rb, Value oh) {
      IndexMath r{rb, loc};
      forLoop(rb, loc, r.c(0), r.c(s.ow), [&](OpBuilder &fb, Value ow) {
        memref::StoreOp::create(fb, loc, first, y, ValueRange{plane, oh, ow});
      });
      forLoop(rb, loc, r.c(0), r.c(s.kh), [&](OpBuilder &ib, Value i) {
        IndexMath im{ib, loc};
        // Plain values: lambdas below capture them (C++17 captures no
        // structured bindings).
        std::pair<Value, Value> row = tapRow(im, oh, i, s, s.h);
        Value iy = row.first, inside = row.second;
        auto branch = scf::IfOp::create(ib, loc, inside, /*withElse=*/false);
        OpBuilder tb = OpBuilder::atBlockBegin(&branch.getThenRegion().front());
        IndexMath tm{tb, loc};
        forLoop(tb, loc, tm.c(0), tm.c(s.kw), [&](OpBuilder &jb, Value j) {
          IndexMath jm{jb, loc};
          Value offset = jm.add(jm.mul(j, s.dw), jm.c(-s.pl));
          auto [firstCol, lastCol] = validRange(jm, offset, s.sw, 0, s.w, s.ow);
          forLoop(jb, loc, firstCol, lastCol, [&](OpBuilder &fb, Value ow) {
            IndexMath fm{fb, loc};
            Value ix = fm.add(fm.mul(ow, s.sw), offset);
            Value v =
                memref::LoadOp::create(fb, loc, x, ValueRange{source, iy, ix});
            Value best =
                memref::LoadOp::create(fb, loc, y, ValueRange{plane, oh, ow});
            memref::StoreOp::create(fb, loc, combine(fb, loc, s.kind, best, v),
                                    y, ValueRange{plane, oh, ow});
          });
        });
      });
      if (s.kind != PlaneOp::Average)
        return;
      // The divisor per output: taps inside the image, or inside the
      // explicit padding, rows times columns.
      int64_t lo = s.countPad ? -s.pt : 0, hi = s.countPad ? s.h + s.pb : s.h;
      int64_t left = s.countPad ? -s.pl : 0,
              right = s.countPad ? s.w + s.pr : s.w;
      forLoop(rb, loc, r.c(0), r.c(s.ow), [&](OpBuilder &fb, Value ow) {
        IndexMath fm{fb, loc};
        // Taps t with lo <= top + t * d < hi, for top = o * s - pad.
        auto taps = [&](Value o, int64_t stride, int64_t pad, int64_t dil,
                        int64_t k, int64_t from, int64_t to) {
          Value top = fm.add(fm.mul(o, stride), fm.c(-pad));
          auto [a, e] = validRange(fm, top, dil, from, to, k);
          return fm.sub(e, a);
        };
        Value rows = taps(oh, s.sh, s.pt, s.dh, s.kh, lo, hi);
        Value cols = taps(ow, s.sw, s.pl, s.dw, s.kw, left, right);
        Value count = arith::MulIOp::create(fb, loc, rows, cols);
        Value asInt =
            arith::IndexCastOp::create(fb, loc, fb.getI64Type(), count);
        Value divisor =
            arith::SIToFPOp::create(fb, loc, fb.getF32Type(), asInt);
        Value sum =
            memref::LoadOp::create(fb, loc, y, ValueRange{plane, oh, ow});
        Value zero = f32(fb, loc, 0.0);
        Value none = fm.cmp(arith::CmpIPredicate::eq, count, fm.c(0));
        Value mean = arith::SelectOp::create(
            fb, loc, none, zero,
            arith::DivFOp::create(fb, loc, sum, divisor).getResult());
        memref::StoreOp::create(fb, loc, mean, y, ValueRange{plane, oh, ow});
      });
    });
  });
}

/// The input under one tap column for vector lanes ow0 + l: x[source, iy,
/// (ow0 + l) * sw + offset] where `mask` holds, else 0. Strides 1 and 2 load
/// the sw * vl columns from (ow0 * sw + offset) with masked loads and pick
/// every sw-th; the row's first vector, which may start left of the row,
/// loads from column 0 and shifts its lanes instead. Other strides gather.
Value loadTap(OpBuilder &b, Location loc, Value x, Value source, Value iy,
              Value ow0, Value isFirst, int64_t offset, Value mask,
              const PlaneShape &s, int64_t vl, Value zeros, Value laneOw) {
  auto vectorType = cast<VectorType>(zeros.getType());
  IndexMath m{b, loc};
  if (s.sw > 2) {
    // Gather from the row's start; masked-off lanes read column 0.
    auto laneType = cast<VectorType>(laneOw.getType());
    auto splat = [&](int64_t v) -> Value {
      return arith::ConstantOp::create(
          b, loc, laneType,
          DenseElementsAttr::get(laneType, b.getI32IntegerAttr(int32_t(v))));
    };
    Value columns = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, laneOw, splat(s.sw)),
        splat(offset));
    columns = arith::SelectOp::create(b, loc, mask, columns, splat(0));
    return vector::GatherOp::create(b, loc, vectorType, x,
                                    ValueRange{source, iy, m.c(0)}, columns,
                                    mask, zeros);
  }
  auto maskType = VectorType::get({vl}, b.getI1Type());
  // Columns [start, start + sw * vl) of the row (those past it as 0), and
  // lane l as the one `shift + l * sw` of them (a negative one: 0).
  auto pick = [&](OpBuilder &ib, Value start, int64_t shift) -> Value {
    IndexMath im{ib, loc};
    SmallVector<Value> pieces;
    for (int64_t p = 0; p < s.sw; ++p) {
      Value from = im.add(start, p * vl);
      Value count = im.sub(im.c(s.w), im.min(from, im.c(s.w)));
      Value inRow =
          vector::CreateMaskOp::create(ib, loc, maskType, ValueRange{count});
      pieces.push_back(vector::MaskedLoadOp::create(
          ib, loc, vectorType, x,
          ValueRange{source, iy, im.min(from, im.c(s.w))}, inRow, zeros));
    }
    if (s.sw == 1 && shift == 0)
      return pieces[0];
    Value second = s.sw == 1 ? zeros : pieces[1];
    SmallVector<int64_t> lanes;
    for (int64_t l = 0; l < vl; ++l) {
      int64_t at = shift + l * s.sw;
      // Outside the loaded columns: a lane of `second` that is zero (the
      // masks make such lanes unused).
      lanes.push_back(at >= 0 && at < s.sw * vl ? at : 2 * vl - 1);
    }
    return vector::ShuffleOp::create(ib, loc, pieces[0], second, lanes);
  };
  if (offset >= 0)
    return pick(b, m.add(m.mul(ow0, s.sw), offset), 0);
  auto branch = scf::IfOp::create(b, loc, TypeRange{vectorType}, isFirst,
                                  /*withElse=*/true);
  {
    OpBuilder tb = OpBuilder::atBlockBegin(branch.thenBlock());
    scf::YieldOp::create(tb, loc, pick(tb, IndexMath{tb, loc}.c(0), offset));
  }
  {
    OpBuilder eb = OpBuilder::atBlockBegin(branch.elseBlock());
    IndexMath em{eb, loc};
    scf::YieldOp::create(eb, loc,
                         pick(eb, em.add(em.mul(ow0, s.sw), offset), 0));
  }
  return branch.getResult(0);
}

/// Output columns o in [0, outSize) whose input column o * stride + offset
/// lies in [0, size), as [first, end): the static form of validRange.
std::pair<int64_t, int64_t> validColumns(int64_t offset, int64_t stride,
                                         int64_t size, int64_t outSize) {
  int64_t first = std::max<int64_t>(0, (-offset + stride - 1) / stride);
  if (offset >= 0)
    first = 0;
  int64_t last = size - 1 - offset; // o * stride <= last
  int64_t end = last < 0 ? 0 : last / stride + 1;
  first = std::min(first, outSize);
  return {first, std::max(first, std::min(end, outSize))};
}

/// Depthwise convolutions in vectors of `vl` output columns: each vector
/// accumulates all its taps in a register (from the bias, a multiply then
/// an add per tap inside the image, rows then columns, as the reference)
/// before its epilogue and one masked store. Stride-1 taps are masked
/// loads (the first vector of a row shifts its lanes for taps left of the
/// image, so no load starts before a row); other strides gather.
void emitDepthwise(OpBuilder &b, Location loc, const PlaneShape &s,
                   ValueRange buffers, Value begin, Value end,
                   const CpuEpilogue &epilogue, int64_t vl) {
  Value x = planesOf(b, loc, buffers[0]), y = planesOf(b, loc, buffers.back());
  Value weight = planesOf(b, loc, buffers[1]); // [F, KH, KW]
  Value bias = s.bias ? buffers[2] : Value();
  Value residual = epilogue.residual
                       ? planesOf(b, loc, buffers[buffers.size() - 2])
                       : Value();
  auto vectorType = VectorType::get({vl}, b.getF32Type());
  auto laneType = VectorType::get({vl}, b.getI32Type());
  Value zeros = arith::ConstantOp::create(
      b, loc, vectorType, DenseElementsAttr::get(vectorType, 0.0f));
  SmallVector<int32_t> iota;
  for (int64_t l = 0; l < vl; ++l)
    iota.push_back(int32_t(l));
  Value lanes = arith::ConstantOp::create(
      b, loc, laneType, DenseElementsAttr::get(laneType, ArrayRef(iota)));
  auto i32Splat = [&](OpBuilder &ob, Value index) -> Value {
    Value v = arith::IndexCastOp::create(ob, loc, ob.getI32Type(), index);
    return vector::BroadcastOp::create(ob, loc, laneType, v);
  };
  auto i32Const = [&](OpBuilder &ob, int64_t v) -> Value {
    return arith::ConstantOp::create(
        ob, loc, laneType,
        DenseElementsAttr::get(laneType, ob.getI32IntegerAttr(int32_t(v))));
  };
  int64_t chunks = (s.ow + vl - 1) / vl;
  forLoop(b, loc, begin, end, [&](OpBuilder &pb, Value plane) {
    IndexMath pm{pb, loc};
    // Plain values: lambdas below capture them.
    std::pair<Value, Value> from = planeSource(pm, plane, s);
    Value channel = from.first, source = from.second;
    Value first = zeros;
    if (bias)
      first = vector::BroadcastOp::create(
          pb, loc, vectorType,
          memref::LoadOp::create(pb, loc, bias, ValueRange{channel}));
    SmallVector<Value> taps;
    for (int64_t i = 0; i < s.kh; ++i)
      for (int64_t j = 0; j < s.kw; ++j)
        taps.push_back(vector::BroadcastOp::create(
            pb, loc, vectorType,
            memref::LoadOp::create(pb, loc, weight,
                                   ValueRange{channel, pm.c(i), pm.c(j)})));
    forLoop(pb, loc, pm.c(0), pm.c(s.oh), [&](OpBuilder &rb, Value oh) {
      IndexMath r{rb, loc};
      forLoop(rb, loc, r.c(0), r.c(chunks), [&](OpBuilder &cb, Value chunk) {
        IndexMath cm{cb, loc};
        Value ow0 = cm.mul(chunk, vl);
        Value laneOw = arith::AddIOp::create(cb, loc, lanes, i32Splat(cb, ow0));
        auto lanesIn = [&](int64_t lo, int64_t hi) -> Value {
          Value above = arith::CmpIOp::create(
              cb, loc, arith::CmpIPredicate::sge, laneOw, i32Const(cb, lo));
          Value below = arith::CmpIOp::create(
              cb, loc, arith::CmpIPredicate::slt, laneOw, i32Const(cb, hi));
          return arith::AndIOp::create(cb, loc, above, below);
        };
        Value outMask = lanesIn(0, s.ow);
        // Per tap column: its offset and the lanes it reaches.
        SmallVector<int64_t> offsets;
        SmallVector<Value> masks;
        for (int64_t j = 0; j < s.kw; ++j) {
          int64_t offset = j * s.dw - s.pl;
          auto [lo, hi] = validColumns(offset, s.sw, s.w, s.ow);
          offsets.push_back(offset);
          masks.push_back(lo < hi ? lanesIn(lo, hi) : Value());
        }
        Value isFirst = cm.cmp(arith::CmpIPredicate::eq, chunk, cm.c(0));
        Value acc = first;
        for (int64_t i = 0; i < s.kh; ++i) {
          std::pair<Value, Value> row = tapRow(cm, oh, cm.c(i), s, s.h);
          Value iy = row.first;
          auto branch = scf::IfOp::create(cb, loc, TypeRange{vectorType},
                                          row.second, /*withElse=*/true);
          OpBuilder eb = OpBuilder::atBlockBegin(branch.elseBlock());
          scf::YieldOp::create(eb, loc, acc);
          OpBuilder tb = OpBuilder::atBlockBegin(branch.thenBlock());
          Value sum = acc;
          for (int64_t j = 0; j < s.kw; ++j) {
            if (!masks[j])
              continue;
            Value v = loadTap(tb, loc, x, source, iy, ow0, isFirst, offsets[j],
                              masks[j], s, vl, zeros, laneOw);
            Value product =
                arith::MulFOp::create(tb, loc, taps[i * s.kw + j], v);
            Value added = arith::AddFOp::create(tb, loc, sum, product);
            sum = arith::SelectOp::create(tb, loc, masks[j], added, sum);
          }
          scf::YieldOp::create(tb, loc, sum);
          acc = branch.getResult(0);
        }
        SmallVector<Value> at = {plane, oh, ow0};
        if (residual)
          acc = arith::AddFOp::create(
              cb, loc, acc,
              vector::MaskedLoadOp::create(cb, loc, vectorType, residual, at,
                                           outMask, zeros));
        acc = applyActivation(cb, loc, epilogue, acc);
        vector::MaskedStoreOp::create(cb, loc, y, at, outMask, acc);
      });
    });
  });
}

} // namespace

Value applyActivation(OpBuilder &b, Location loc, const CpuEpilogue &epilogue,
                      Value value) {
  auto constant = [&](float v) -> Value {
    if (auto vector = dyn_cast<VectorType>(value.getType()))
      return arith::ConstantOp::create(
          b, loc, vector, DenseElementsAttr::get(vector, b.getF32FloatAttr(v)));
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  };
  // The reference's relu: x if x > 0 or NaN, else 0. Its clip: max(x, lo)
  // = x < lo ? lo : x, then min(x, hi) = hi < x ? hi : x; NaN stays NaN.
  if (epilogue.activation == "relu") {
    Value zero = constant(0.0f);
    Value keep =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UGT, value, zero);
    return arith::SelectOp::create(b, loc, keep, value, zero);
  }
  if (epilogue.activation != "clip")
    return value;
  if (epilogue.min) {
    Value lo = constant(*epilogue.min);
    Value below =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, value, lo);
    value = arith::SelectOp::create(b, loc, below, lo, value);
  }
  if (epilogue.max) {
    Value hi = constant(*epilogue.max);
    Value above =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, hi, value);
    value = arith::SelectOp::create(b, loc, above, hi, value);
  }
  return value;
}

bool isCpuPlane(Operation *op) { return planeShapeOf(op).has_value(); }

int64_t planeKernelExtent(Operation *op) { return planeShapeOf(op)->planes; }

int64_t planeKernelUnitWork(Operation *op) {
  PlaneShape s = *planeShapeOf(op);
  return s.oh * s.ow * s.kh * s.kw;
}

void buildPlaneKernelBody(OpBuilder &b, Location loc, Operation *op,
                          ValueRange buffers, Value begin, Value end,
                          const CpuKernelOptions &options,
                          const CpuEpilogue &epilogue) {
  PlaneShape s = *planeShapeOf(op);
  if (s.kind == PlaneOp::Depthwise)
    return emitDepthwise(b, loc, s, buffers, begin, end, epilogue,
                         options.vectorBits / 32);
  emitPooling(b, loc, s, buffers, begin, end);
}

} // namespace sinan
