//===- PoolKernel.cpp - Max and average pooling on the CPU ----------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Each unit is one plane (image, channel). For every output row the kernel
// visits the window's taps in the reference kernel's order (tap row, then
// tap column) and combines each into the whole row of outputs whose input
// lies inside the image, so the inner loop runs along a row (LLVM
// vectorizes it) and every output sees its taps in the same order as
// runtime/ref's maxPool2d and avgPool2d: the results are theirs bit for
// bit. Taps in the padding are skipped; an average divides by the taps
// inside the image, or with count_include_pad by those inside the explicit
// padding (ceil mode's extra positions never count).
//
//===----------------------------------------------------------------------===//

#include "CpuKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinTypes.h"

#include <limits>

using namespace mlir;

namespace sinan {
namespace {

struct PoolShape {
  int64_t planes, h, w, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
  bool max, countPad;
};

SmallVector<int64_t> arrayOr(Operation *op, StringRef name,
                             ArrayRef<int64_t> fallback) {
  if (auto attr = op->getAttrOfType<DenseI64ArrayAttr>(name))
    return SmallVector<int64_t>(attr.asArrayRef());
  return SmallVector<int64_t>(fallback);
}

std::optional<PoolShape> poolShapeOf(Operation *op) {
  StringRef name = op->getName().stripDialect();
  if ((name != "max_pool2d" && name != "avg_pool2d") ||
      op->getNumOperands() != 1 || op->getNumResults() != 1)
    return std::nullopt;
  auto x = dyn_cast<RankedTensorType>(op->getOperand(0).getType());
  auto y = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!x || !y || !x.hasStaticShape() || !y.hasStaticShape() ||
      x.getRank() != 4 || y.getRank() != 4 || !x.getElementType().isF32() ||
      !y.getElementType().isF32() || x.getNumElements() == 0 ||
      y.getNumElements() == 0)
    return std::nullopt;
  SmallVector<int64_t> kernel = arrayOr(op, "kernel", {});
  SmallVector<int64_t> strides = arrayOr(op, "strides", {1, 1});
  SmallVector<int64_t> pads = arrayOr(op, "pads", {0, 0, 0, 0});
  SmallVector<int64_t> dilations = arrayOr(op, "dilations", {1, 1});
  if (kernel.size() != 2 || strides.size() != 2 || pads.size() != 4 ||
      dilations.size() != 2 || y.getDimSize(0) != x.getDimSize(0) ||
      y.getDimSize(1) != x.getDimSize(1))
    return std::nullopt;
  PoolShape s;
  s.planes = x.getDimSize(0) * x.getDimSize(1);
  s.h = x.getDimSize(2);
  s.w = x.getDimSize(3);
  s.oh = y.getDimSize(2);
  s.ow = y.getDimSize(3);
  s.kh = kernel[0];
  s.kw = kernel[1];
  s.sh = strides[0];
  s.sw = strides[1];
  s.dh = dilations[0];
  s.dw = dilations[1];
  s.pt = pads[0];
  s.pl = pads[1];
  s.pb = pads[2];
  s.pr = pads[3];
  s.max = name == "max_pool2d";
  auto countPad = op->getAttrOfType<BoolAttr>("count_include_pad");
  s.countPad = countPad && countPad.getValue();
  for (int64_t v : {s.kh, s.kw, s.sh, s.sw, s.dh, s.dw})
    if (v < 1)
      return std::nullopt;
  for (int64_t v : {s.pt, s.pl, s.pb, s.pr})
    if (v < 0)
      return std::nullopt;
  return s;
}

/// Output coordinates o in [0, outSize) whose input coordinate o * stride
/// + offset lies in [lo, hi), as [first, last): index arithmetic on a
/// dynamic offset.
std::pair<Value, Value> validRange(IndexMath &m, Value offset, int64_t stride,
                                   int64_t lo, int64_t hi, int64_t outSize) {
  // o * stride + offset >= lo  <=>  o >= ceil((lo - offset) / stride).
  Value before = m.max(m.sub(m.c(lo), offset), m.c(0));
  Value first =
      m.min(m.div(m.add(before, m.c(stride - 1)), stride), m.c(outSize));
  // o * stride + offset <= hi - 1  <=>  o <= floor((hi - 1 - offset) / s).
  Value last = m.sub(m.c(hi - 1), offset);
  Value end = m.select(m.cmp(arith::CmpIPredicate::slt, last, m.c(0)), m.c(0),
                       m.add(m.div(m.max(last, m.c(0)), stride), m.c(1)));
  end = m.max(first, m.min(end, m.c(outSize)));
  return {first, end};
}

Value f32(OpBuilder &b, Location loc, double v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

/// max: the reference's `isnan(v) || v > best`; average: best + v.
Value combine(OpBuilder &b, Location loc, bool max, Value best, Value v) {
  if (!max)
    return arith::AddFOp::create(b, loc, best, v);
  Value nan = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, v, v);
  Value greater =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, v, best);
  Value take = arith::OrIOp::create(b, loc, nan, greater);
  return arith::SelectOp::create(b, loc, take, v, best);
}

void emitPool(OpBuilder &b, Location loc, const PoolShape &s, Value input,
              Value output, Value begin, Value end) {
  // Planes: [N x C, H, W].
  auto planes = [&](Value v) -> Value {
    return memref::CollapseShapeOp::create(
        b, loc, v, SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}});
  };
  Value x = planes(input), y = planes(output);
  Value start =
      f32(b, loc, s.max ? -std::numeric_limits<double>::infinity() : 0.0);
  forLoop(b, loc, begin, end, [&](OpBuilder &pb, Value plane) {
    IndexMath pm{pb, loc};
    forLoop(pb, loc, pm.c(0), pm.c(s.oh), [&](OpBuilder &rb, Value oh) {
      IndexMath r{rb, loc};
      forLoop(rb, loc, r.c(0), r.c(s.ow), [&](OpBuilder &fb, Value ow) {
        memref::StoreOp::create(fb, loc, start, y, ValueRange{plane, oh, ow});
      });
      forLoop(rb, loc, r.c(0), r.c(s.kh), [&](OpBuilder &ib, Value i) {
        IndexMath im{ib, loc};
        Value iy =
            im.add(im.add(im.mul(oh, s.sh), im.mul(i, s.dh)), im.c(-s.pt));
        Value inside = arith::AndIOp::create(
            ib, loc, im.cmp(arith::CmpIPredicate::sge, iy, im.c(0)),
            im.cmp(arith::CmpIPredicate::slt, iy, im.c(s.h)));
        auto branch = scf::IfOp::create(ib, loc, inside, /*withElse=*/false);
        OpBuilder tb = OpBuilder::atBlockBegin(&branch.getThenRegion().front());
        IndexMath tm{tb, loc};
        forLoop(tb, loc, tm.c(0), tm.c(s.kw), [&](OpBuilder &jb, Value j) {
          IndexMath jm{jb, loc};
          Value offset = jm.add(jm.mul(j, s.dw), jm.c(-s.pl));
          auto [first, last] = validRange(jm, offset, s.sw, 0, s.w, s.ow);
          forLoop(jb, loc, first, last, [&](OpBuilder &fb, Value ow) {
            IndexMath fm{fb, loc};
            Value ix = fm.add(fm.mul(ow, s.sw), offset);
            Value v =
                memref::LoadOp::create(fb, loc, x, ValueRange{plane, iy, ix});
            Value best =
                memref::LoadOp::create(fb, loc, y, ValueRange{plane, oh, ow});
            memref::StoreOp::create(fb, loc, combine(fb, loc, s.max, best, v),
                                    y, ValueRange{plane, oh, ow});
          });
        });
      });
      if (s.max)
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

} // namespace

bool isCpuPool(Operation *op) { return poolShapeOf(op).has_value(); }

int64_t poolKernelExtent(Operation *op) { return poolShapeOf(op)->planes; }

int64_t poolKernelUnitWork(Operation *op) {
  PoolShape s = *poolShapeOf(op);
  return s.oh * s.ow * s.kh * s.kw;
}

void buildPoolKernelBody(OpBuilder &b, Location loc, Operation *op, Value input,
                         Value output, Value begin, Value end) {
  emitPool(b, loc, *poolShapeOf(op), input, output, begin, end);
}

} // namespace sinan
