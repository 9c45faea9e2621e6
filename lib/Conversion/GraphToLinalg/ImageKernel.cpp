//===- ImageKernel.cpp - Resize and LRN over NCHW on the CPU --------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Resize computes each output row from the reference's own tap table
// (sinan::ref::resizeTaps, compiled into the code as constants), in the
// reference's order and precision (a double sum of weight x input, zero
// weights skipped), so it is the reference's result bit for bit. LRN sums
// its channel window in the reference's order and calls the same powf.
//
//===----------------------------------------------------------------------===//

#include "CpuKernels.h"

#include "sinan/Bridge/RuntimeBridge.h"
#include "sinan/runtime/ref/Kernels.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"

using namespace mlir;

namespace sinan {
namespace {

/// One resized dimension: per output coordinate `taps` (input index,
/// weight) pairs, flattened.
struct TapTable {
  int64_t taps = 0;
  SmallVector<int64_t> index;
  SmallVector<double> weight;
};

/// A 4-D resize of the two inner dimensions: their tap tables, or nothing
/// when the op resizes N or C, or a dimension's coordinates take
/// different numbers of taps.
std::optional<std::array<TapTable, 2>> resizeTablesOf(Operation *op) {
  auto input = staticF32(op->getOperand(0).getType(), 4);
  auto result = staticF32(op->getResult(0).getType(), 4);
  std::optional<ref::ResizeParams> params = resizeParamsOf(op);
  if (op->getName().stripDialect() != "resize" || op->getNumOperands() != 1 ||
      !input || !result || !params || params->scales.size() != 4)
    return std::nullopt;
  std::vector<int64_t> in(input.getShape()), out(result.getShape());
  ref::ResizeTaps taps = ref::resizeTaps(in, out, *params);
  std::array<TapTable, 2> tables;
  for (int64_t d = 0; d < 4; ++d)
    for (auto [o, list] : llvm::enumerate(taps[d])) {
      if (d < 2) { // N and C: each output is its own input.
        if (list.size() != 1 || list[0].first != int64_t(o) ||
            list[0].second != 1.0)
          return std::nullopt;
        continue;
      }
      TapTable &table = tables[d - 2];
      if (o == 0)
        table.taps = list.size();
      if (int64_t(list.size()) != table.taps || list.empty())
        return std::nullopt;
      for (auto [index, weight] : list) {
        table.index.push_back(index);
        table.weight.push_back(weight);
      }
    }
  return tables;
}

/// A constant global holding `values` (of `type`'s elements), made once per
/// name, and its value in the current function.
Value constantTable(OpBuilder &b, Location loc, StringRef name, MemRefType type,
                    DenseElementsAttr values) {
  auto module =
      b.getInsertionBlock()->getParentOp()->getParentOfType<ModuleOp>();
  if (!module.lookupSymbol(name)) {
    OpBuilder top = OpBuilder::atBlockBegin(module.getBody());
    memref::GlobalOp::create(top, loc, name, top.getStringAttr("private"), type,
                             values, /*constant=*/true,
                             /*alignment=*/top.getI64IntegerAttr(64));
  }
  return memref::GetGlobalOp::create(b, loc, type, name);
}

/// The index and weight tables of one dimension as [outputs, taps].
std::pair<Value, Value> tableValues(OpBuilder &b, Location loc,
                                    StringRef prefix, const TapTable &t) {
  int64_t outputs = t.index.size() / t.taps;
  auto indexType = MemRefType::get({outputs, t.taps}, b.getI64Type());
  auto weightType = MemRefType::get({outputs, t.taps}, b.getF64Type());
  auto indexData = DenseElementsAttr::get(
      RankedTensorType::get({outputs, t.taps}, b.getI64Type()),
      ArrayRef<int64_t>(t.index));
  auto weightData = DenseElementsAttr::get(
      RankedTensorType::get({outputs, t.taps}, b.getF64Type()),
      ArrayRef<double>(t.weight));
  return {
      constantTable(b, loc, (prefix + "_index").str(), indexType, indexData),
      constantTable(b, loc, (prefix + "_weight").str(), weightType,
                    weightData)};
}

Value loadIndex(OpBuilder &b, Location loc, Value table, ValueRange at) {
  Value v = memref::LoadOp::create(b, loc, table, at);
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
}

/// Units are output rows (n, c, y); each sums its taps per column.
void buildResize(OpBuilder &b, Location loc, Operation *op, Value input,
                 Value output, Value begin, Value end, StringRef prefix) {
  std::array<TapTable, 2> tables = *resizeTablesOf(op);
  ArrayRef<int64_t> in = cast<MemRefType>(input.getType()).getShape(),
                    out = cast<MemRefType>(output.getType()).getShape();
  int64_t planes = out[0] * out[1], rows = out[2], cols = out[3];
  Value x = viewAs(b, loc, input, {planes, in[2], in[3]});
  Value y = viewAs(b, loc, output, {planes * rows, cols});
  auto [rowIndex, rowWeight] =
      tableValues(b, loc, (prefix + "_h").str(), tables[0]);
  auto [colIndex, colWeight] =
      tableValues(b, loc, (prefix + "_w").str(), tables[1]);
  forLoop(b, loc, begin, end, [&](OpBuilder &rb, Value u) {
    IndexMath m{rb, loc};
    Value plane = m.div(u, rows), row = m.rem(u, rows);
    SmallVector<std::pair<Value, Value>> rowTaps;
    for (int64_t t = 0; t < tables[0].taps; ++t) {
      rowTaps.push_back(
          {loadIndex(rb, loc, rowIndex, {row, m.c(t)}),
           memref::LoadOp::create(rb, loc, rowWeight, ValueRange{row, m.c(t)})
               .getResult()});
    }
    forLoop(rb, loc, m.c(0), m.c(cols), [&](OpBuilder &cb, Value col) {
      IndexMath cm{cb, loc};
      Value zero = arith::ConstantOp::create(cb, loc, cb.getF64FloatAttr(0.0));
      Value sum = zero;
      for (auto [iy, wy] : rowTaps)
        for (int64_t t = 0; t < tables[1].taps; ++t) {
          Value ix = loadIndex(cb, loc, colIndex, {col, cm.c(t)});
          Value wx = memref::LoadOp::create(cb, loc, colWeight,
                                            ValueRange{col, cm.c(t)});
          Value weight = arith::MulFOp::create(cb, loc, wy, wx);
          Value v =
              memref::LoadOp::create(cb, loc, x, ValueRange{plane, iy, ix});
          Value term = arith::MulFOp::create(
              cb, loc, weight,
              arith::ExtFOp::create(cb, loc, cb.getF64Type(), v));
          Value used = arith::CmpFOp::create(cb, loc, arith::CmpFPredicate::UNE,
                                             weight, zero);
          sum = arith::SelectOp::create(
              cb, loc, used, arith::AddFOp::create(cb, loc, sum, term), sum);
        }
      Value result = arith::TruncFOp::create(cb, loc, cb.getF32Type(), sum);
      memref::StoreOp::create(cb, loc, result, y, ValueRange{u, col});
    });
  });
}

/// The declaration of libm's f32 function `name` of `arity` arguments.
func::FuncOp libmFunction(OpBuilder &b, StringRef name, unsigned arity) {
  auto module =
      b.getInsertionBlock()->getParentOp()->getParentOfType<ModuleOp>();
  if (auto existing = module.lookupSymbol<func::FuncOp>(name))
    return existing;
  OpBuilder top = OpBuilder::atBlockBegin(module.getBody());
  SmallVector<Type> arguments(arity, top.getF32Type());
  auto function =
      func::FuncOp::create(top, module.getLoc(), name,
                           top.getFunctionType(arguments, {top.getF32Type()}));
  function.setPrivate();
  return function;
}

bool isCpuLrn(Operation *op) {
  auto input = staticF32(op->getOperand(0).getType());
  auto size = op->getAttrOfType<IntegerAttr>("size");
  return op->getName().stripDialect() == "lrn" && input &&
         input.getRank() >= 2 && size && size.getInt() >= 1 &&
         op->getAttrOfType<FloatAttr>("alpha") &&
         op->getAttrOfType<FloatAttr>("beta") &&
         op->getAttrOfType<FloatAttr>("bias");
}

float floatAttr(Operation *op, StringRef name) {
  return static_cast<float>(
      op->getAttrOfType<FloatAttr>(name).getValueAsDouble());
}

/// Units are (n, c) planes: x / powf(bias + alpha / size * sum, beta) with
/// the sum of squares over the channel window in ascending order.
void buildLrn(OpBuilder &b, Location loc, Operation *op, Value input,
              Value output, Value begin, Value end) {
  ArrayRef<int64_t> shape = cast<MemRefType>(input.getType()).getShape();
  int64_t channels = shape[1],
          inner = cast<MemRefType>(input.getType()).getNumElements() /
                  (shape[0] * channels);
  int64_t size = op->getAttrOfType<IntegerAttr>("size").getInt();
  int64_t before = (size - 1) / 2, after = size - 1 - before;
  float scale = floatAttr(op, "alpha") / float(size);
  Value x = viewAs(b, loc, input, {shape[0], channels, inner});
  Value y = viewAs(b, loc, output, {shape[0], channels, inner});
  // libm's powf called as the reference calls it: LLVM rewrites its pow
  // intrinsic with an exponent of 0.5 to a square root, which rounds
  // differently.
  func::FuncOp powf = libmFunction(b, "powf", 2);
  forLoop(b, loc, begin, end, [&](OpBuilder &pb, Value u) {
    IndexMath m{pb, loc};
    Value n = m.div(u, channels), c = m.rem(u, channels);
    Value first = m.max(m.sub(c, m.c(before)), m.c(0));
    Value last = m.add(m.min(m.add(c, after), m.c(channels - 1)), m.c(1));
    Value scaleValue =
        arith::ConstantOp::create(pb, loc, pb.getF32FloatAttr(scale));
    Value bias = arith::ConstantOp::create(
        pb, loc, pb.getF32FloatAttr(floatAttr(op, "bias")));
    Value beta = arith::ConstantOp::create(
        pb, loc, pb.getF32FloatAttr(floatAttr(op, "beta")));
    forLoop(pb, loc, m.c(0), m.c(inner), [&](OpBuilder &ib, Value i) {
      Value zero = arith::ConstantOp::create(ib, loc, ib.getF32FloatAttr(0));
      auto window = scf::ForOp::create(
          ib, loc, first, last, IndexMath{ib, loc}.c(1), ValueRange{zero},
          [&](OpBuilder &kb, Location l, Value k, ValueRange acc) {
            Value v = memref::LoadOp::create(kb, l, x, ValueRange{n, k, i});
            Value square = arith::MulFOp::create(kb, l, v, v);
            scf::YieldOp::create(
                kb, l,
                arith::AddFOp::create(kb, l, acc[0], square).getResult());
          });
      Value base = arith::AddFOp::create(
          ib, loc, bias,
          arith::MulFOp::create(ib, loc, scaleValue, window.getResult(0)));
      Value denominator =
          func::CallOp::create(ib, loc, powf, ValueRange{base, beta})
              .getResult(0);
      Value v = memref::LoadOp::create(ib, loc, x, ValueRange{n, c, i});
      memref::StoreOp::create(ib, loc,
                              arith::DivFOp::create(ib, loc, v, denominator), y,
                              ValueRange{n, c, i});
    });
  });
}

} // namespace

bool isCpuImage(Operation *op) {
  if (op->getNumOperands() != 1 || op->getNumResults() != 1)
    return false;
  return isCpuLrn(op) || resizeTablesOf(op).has_value();
}

int64_t imageKernelExtent(Operation *op) {
  ArrayRef<int64_t> out =
      cast<RankedTensorType>(op->getResult(0).getType()).getShape();
  int64_t units = out[0] * out[1];
  return op->getName().stripDialect() == "resize" ? units * out[2] : units;
}

int64_t imageKernelUnitWork(Operation *op) {
  auto out = cast<RankedTensorType>(op->getResult(0).getType());
  int64_t work = out.getNumElements() / imageKernelExtent(op);
  if (op->getName().stripDialect() == "lrn")
    work *= op->getAttrOfType<IntegerAttr>("size").getInt();
  return work;
}

void buildImageKernelBody(OpBuilder &b, Location loc, Operation *op,
                          ValueRange buffers, Value begin, Value end,
                          StringRef name) {
  if (op->getName().stripDialect() == "lrn")
    buildLrn(b, loc, op, buffers[0], buffers[1], begin, end);
  else
    buildResize(b, loc, op, buffers[0], buffers[1], begin, end, name);
}

} // namespace sinan
