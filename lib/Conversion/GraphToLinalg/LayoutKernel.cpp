//===- LayoutKernel.cpp - Concat, slice, pad and gather on the CPU --------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Layout ops move elements without computing on them, so their kernels
// copy bits (bools as bytes, every integer signless) through strided views
// and work for every element type a module holds. A unit of a concat,
// slice or pad is one index of the output's first dimension with more than
// one element (not the joined one; for a pad, one without padding), and
// every view is cut to the units' range along it; a gather's unit is one
// (outer index, index) pair, a row copy; a reshape's is one element (it
// copies only where its result cannot share its input's bytes: a model's
// input or output, which the caller owns). Units never share an output
// element.
//
//===----------------------------------------------------------------------===//

#include "CpuKernels.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

namespace sinan {
namespace {

/// The axis attribute `name` of `op` in [0, rank), or nothing.
std::optional<int64_t> axisOf(Operation *op, StringRef name, int64_t rank) {
  auto attr = op->getAttrOfType<IntegerAttr>(name);
  if (!attr)
    return std::nullopt;
  int64_t axis = attr.getInt();
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

ArrayRef<int64_t> shapeOf(Value value) {
  return cast<ShapedType>(value.getType()).getShape();
}

/// The dimension units cut: the output's first with more than one element
/// that `allowed` accepts, or none (one unit).
std::optional<int64_t> unitDimOf(ArrayRef<int64_t> shape,
                                 function_ref<bool(int64_t)> allowed) {
  for (auto [d, size] : llvm::enumerate(shape))
    if (size > 1 && allowed(d))
      return d;
  return std::nullopt;
}

/// The dimension a concat, slice or pad kernel's units cut.
std::optional<int64_t> copyUnitDim(Operation *op) {
  auto result = cast<RankedTensorType>(op->getResult(0).getType());
  StringRef name = op->getName().stripDialect();
  if (name == "concat") {
    int64_t axis = *axisOf(op, "axis", result.getRank());
    return unitDimOf(result.getShape(), [&](int64_t d) { return d != axis; });
  }
  if (name == "pad") {
    SmallVector<int64_t> low = i64Array(op, "low", {}),
                         high = i64Array(op, "high", {});
    return unitDimOf(result.getShape(),
                     [&](int64_t d) { return low[d] == 0 && high[d] == 0; });
  }
  return unitDimOf(result.getShape(), [](int64_t) { return true; });
}

bool isCopyable(Operation *op) {
  if (op->getNumResults() != 1 || !staticBuffer(op->getResult(0).getType()))
    return false;
  for (Type type : op->getOperandTypes())
    if (!staticBuffer(type))
      return false;
  auto result = cast<RankedTensorType>(op->getResult(0).getType());
  int64_t rank = result.getRank();
  StringRef name = op->getName().stripDialect();
  if (name == "concat")
    return op->getNumOperands() >= 1 && axisOf(op, "axis", rank).has_value();
  if (name == "reshape")
    return op->getNumOperands() == 1 &&
           cast<ShapedType>(op->getOperand(0).getType()).getNumElements() ==
               result.getNumElements();
  if (name == "slice") {
    // Negative steps walk backwards: the reference kernels take those.
    SmallVector<int64_t> starts = i64Array(op, "starts", {}),
                         steps = i64Array(op, "steps", {});
    ArrayRef<int64_t> in = shapeOf(op->getOperand(0));
    if (int64_t(starts.size()) != rank || int64_t(steps.size()) != rank ||
        int64_t(in.size()) != rank)
      return false;
    for (int64_t d = 0; d < rank; ++d)
      if (steps[d] < 1 || starts[d] < 0 ||
          starts[d] + (result.getDimSize(d) - 1) * steps[d] >= in[d])
        return false;
    return true;
  }
  if (name == "pad") {
    auto mode = op->getAttrOfType<StringAttr>("mode");
    SmallVector<int64_t> low = i64Array(op, "low", {}),
                         high = i64Array(op, "high", {});
    if ((mode && mode.getValue() != "constant") ||
        !result.getElementType().isF32() || int64_t(low.size()) != rank ||
        int64_t(high.size()) != rank)
      return false;
    return llvm::all_of(low, [](int64_t v) { return v >= 0; }) &&
           llvm::all_of(high, [](int64_t v) { return v >= 0; });
  }
  if (name == "gather") {
    int64_t dataRank =
        cast<RankedTensorType>(op->getOperand(0).getType()).getRank();
    return op->getNumOperands() == 2 && dataRank > 0 &&
           axisOf(op, "axis", dataRank).has_value();
  }
  return false;
}

/// A gather as [outer, extent, inner] data, `count` indices.
struct GatherShape {
  int64_t outer = 1, extent, inner = 1, count;
};

GatherShape gatherShapeOf(Operation *op) {
  ArrayRef<int64_t> data = shapeOf(op->getOperand(0));
  int64_t axis = *axisOf(op, "axis", data.size());
  GatherShape s;
  s.extent = data[axis];
  for (int64_t d = 0; d < axis; ++d)
    s.outer *= data[d];
  for (int64_t d = axis + 1; d < int64_t(data.size()); ++d)
    s.inner *= data[d];
  s.count =
      cast<RankedTensorType>(op->getOperand(1).getType()).getNumElements();
  return s;
}

/// The view of `buffer` at `offsets` of `sizes` with `strides`.
Value subview(OpBuilder &b, Location loc, Value buffer,
              ArrayRef<OpFoldResult> offsets, ArrayRef<OpFoldResult> sizes,
              ArrayRef<OpFoldResult> strides) {
  return memref::SubViewOp::create(b, loc, buffer, offsets, sizes, strides);
}

SmallVector<OpFoldResult> indexAttrs(OpBuilder &b, ArrayRef<int64_t> values) {
  SmallVector<OpFoldResult> attrs;
  for (int64_t v : values)
    attrs.push_back(b.getIndexAttr(v));
  return attrs;
}

/// Out and in views of one copy: the output's region at `outOffsets` of
/// `sizes`, the input's at `inOffsets` with `inStrides`, both cut to units
/// [begin, end) along `dim` (the input's offset there advancing by its
/// stride per unit).
void copyRegion(OpBuilder &b, Location loc, Value in, Value out,
                ArrayRef<int64_t> inOffsets, ArrayRef<int64_t> inStrides,
                ArrayRef<int64_t> outOffsets, ArrayRef<int64_t> sizes,
                std::optional<int64_t> dim, Value begin, Value end) {
  IndexMath m{b, loc};
  SmallVector<OpFoldResult> inOffs = indexAttrs(b, inOffsets),
                            outOffs = indexAttrs(b, outOffsets),
                            size = indexAttrs(b, sizes),
                            ones = indexAttrs(
                                b, SmallVector<int64_t>(sizes.size(), 1));
  if (dim) {
    inOffs[*dim] = m.add(m.mul(begin, inStrides[*dim]), inOffsets[*dim]);
    outOffs[*dim] = m.add(begin, outOffsets[*dim]);
    size[*dim] = m.sub(end, begin);
  }
  Value from = subview(b, loc, in, inOffs, size, indexAttrs(b, inStrides));
  Value to = subview(b, loc, out, outOffs, size, ones);
  linalg::CopyOp::create(b, loc, from, to);
}

void buildConcat(OpBuilder &b, Location loc, Operation *op, ValueRange inputs,
                 Value out, Value begin, Value end) {
  ArrayRef<int64_t> result = shapeOf(op->getResult(0));
  int64_t rank = result.size(), axis = *axisOf(op, "axis", rank), at = 0;
  std::optional<int64_t> dim = copyUnitDim(op);
  for (Value in : inputs) {
    ArrayRef<int64_t> shape = shapeOf(in);
    SmallVector<int64_t> outOffsets(rank, 0);
    outOffsets[axis] = at;
    copyRegion(b, loc, in, out, SmallVector<int64_t>(rank, 0),
               SmallVector<int64_t>(rank, 1), outOffsets, shape, dim, begin,
               end);
    at += shape[axis];
  }
}

void buildSlice(OpBuilder &b, Location loc, Operation *op, Value in, Value out,
                Value begin, Value end) {
  ArrayRef<int64_t> result = shapeOf(op->getResult(0));
  copyRegion(b, loc, in, out, i64Array(op, "starts", {}),
             i64Array(op, "steps", {}), SmallVector<int64_t>(result.size(), 0),
             result, copyUnitDim(op), begin, end);
}

/// The output's units filled with the value, then the input copied inside.
void buildPad(OpBuilder &b, Location loc, Operation *op, Value in, Value out,
              Value begin, Value end) {
  ArrayRef<int64_t> result = shapeOf(op->getResult(0));
  int64_t rank = result.size();
  std::optional<int64_t> dim = copyUnitDim(op);
  IndexMath m{b, loc};
  SmallVector<OpFoldResult> offsets = indexAttrs(b, SmallVector<int64_t>(rank)),
                            sizes = indexAttrs(b, result);
  if (dim) {
    offsets[*dim] = begin;
    sizes[*dim] = m.sub(end, begin);
  }
  Value region = subview(b, loc, out, offsets, sizes,
                         indexAttrs(b, SmallVector<int64_t>(rank, 1)));
  auto value = op->getAttrOfType<FloatAttr>("value");
  Value fill = arith::ConstantOp::create(
      b, loc,
      b.getF32FloatAttr(value ? static_cast<float>(value.getValueAsDouble())
                              : 0.0f));
  linalg::FillOp::create(b, loc, ValueRange{fill}, ValueRange{region});
  copyRegion(b, loc, in, out, SmallVector<int64_t>(rank, 0),
             SmallVector<int64_t>(rank, 1), i64Array(op, "low", {}),
             shapeOf(in), dim, begin, end);
}

/// Elements [begin, end) in row-major order: a reshape keeps that order.
void buildReshape(OpBuilder &b, Location loc, Operation *op, Value in,
                  Value out, Value begin, Value end) {
  int64_t count =
      cast<RankedTensorType>(op->getResult(0).getType()).getNumElements();
  IndexMath m{b, loc};
  auto cut = [&](Value buffer) {
    return subview(b, loc, viewAs(b, loc, buffer, {count}), {begin},
                   {m.sub(end, begin)}, {b.getIndexAttr(1)});
  };
  linalg::CopyOp::create(b, loc, cut(in), cut(out));
}

/// Units are (outer, index) pairs, each copying one row of `inner`
/// elements. An index out of range copies nothing and makes the kernel
/// return 1, so the runtime asks the reference kernel to explain.
Value buildGather(OpBuilder &b, Location loc, Operation *op, Value dataBuffer,
                  Value indexBuffer, Value outBuffer, Value begin, Value end) {
  GatherShape s = gatherShapeOf(op);
  IndexMath m{b, loc};
  Value data = viewAs(b, loc, dataBuffer, {s.outer, s.extent, s.inner});
  Value indices = viewAs(b, loc, indexBuffer, {s.count});
  Value out = viewAs(b, loc, outBuffer, {s.outer * s.count, s.inner});
  Type i64 = b.getI64Type(), i32 = b.getI32Type();
  Value zero32 = arith::ConstantIntOp::create(b, loc, i32, 0);
  Value one32 = arith::ConstantIntOp::create(b, loc, i32, 1);
  auto loop = scf::ForOp::create(
      b, loc, begin, end, m.c(1), ValueRange{zero32},
      [&](OpBuilder &lb, Location l, Value u, ValueRange status) {
        IndexMath lm{lb, l};
        Value o = lm.div(u, s.count), j = lm.rem(u, s.count);
        Value raw = memref::LoadOp::create(lb, l, indices, ValueRange{j});
        if (raw.getType() != i64)
          raw = arith::ExtSIOp::create(lb, l, i64, raw);
        Value extent = arith::ConstantIntOp::create(lb, l, i64, s.extent);
        Value zero = arith::ConstantIntOp::create(lb, l, i64, 0);
        Value negative =
            arith::CmpIOp::create(lb, l, arith::CmpIPredicate::slt, raw, zero);
        Value index = arith::SelectOp::create(
            lb, l, negative, arith::AddIOp::create(lb, l, raw, extent), raw);
        Value inRange = arith::AndIOp::create(
            lb, l,
            arith::CmpIOp::create(lb, l, arith::CmpIPredicate::sge, index,
                                  zero),
            arith::CmpIOp::create(lb, l, arith::CmpIPredicate::slt, index,
                                  extent));
        auto ifOp = scf::IfOp::create(lb, l, inRange, /*withElse=*/false);
        {
          OpBuilder tb = OpBuilder::atBlockBegin(ifOp.thenBlock());
          Value row =
              arith::IndexCastOp::create(tb, l, tb.getIndexType(), index);
          forLoop(tb, l, IndexMath{tb, l}.c(0), IndexMath{tb, l}.c(s.inner),
                  [&](OpBuilder &ib, Value t) {
                    Value v = memref::LoadOp::create(ib, l, data,
                                                     ValueRange{o, row, t});
                    memref::StoreOp::create(ib, l, v, out, ValueRange{u, t});
                  });
        }
        Value next = arith::SelectOp::create(lb, l, inRange, status[0], one32);
        scf::YieldOp::create(lb, l, next);
      });
  return loop.getResult(0);
}

} // namespace

Type cpuBufferElementType(Type element) {
  if (auto integer = dyn_cast<IntegerType>(element)) {
    unsigned width = integer.getWidth();
    if (width != 1 && width != 8 && width != 16 && width != 32 && width != 64)
      return {};
    return IntegerType::get(element.getContext(), std::max(width, 8u));
  }
  if (element.isF16() || element.isBF16() || element.isF32() || element.isF64())
    return element;
  return {};
}

bool isCpuLayout(Operation *op) { return isCopyable(op); }

bool cpuKernelReportsStatus(Operation *op) {
  return isCpuLayout(op) && op->getName().stripDialect() == "gather";
}

int64_t layoutKernelExtent(Operation *op) {
  if (op->getName().stripDialect() == "reshape")
    return cast<RankedTensorType>(op->getResult(0).getType()).getNumElements();
  if (op->getName().stripDialect() == "gather") {
    GatherShape s = gatherShapeOf(op);
    return s.outer * s.count;
  }
  std::optional<int64_t> dim = copyUnitDim(op);
  return dim ? shapeOf(op->getResult(0))[*dim] : 1;
}

int64_t layoutKernelUnitWork(Operation *op) {
  return cast<RankedTensorType>(op->getResult(0).getType()).getNumElements() /
         layoutKernelExtent(op);
}

Value buildLayoutKernelBody(OpBuilder &b, Location loc, Operation *op,
                            ValueRange buffers, Value begin, Value end) {
  StringRef name = op->getName().stripDialect();
  Value out = buffers.back();
  if (name == "concat")
    buildConcat(b, loc, op, buffers.drop_back(), out, begin, end);
  else if (name == "slice")
    buildSlice(b, loc, op, buffers[0], out, begin, end);
  else if (name == "pad")
    buildPad(b, loc, op, buffers[0], out, begin, end);
  else if (name == "reshape")
    buildReshape(b, loc, op, buffers[0], out, begin, end);
  else
    return buildGather(b, loc, op, buffers[0], buffers[1], out, begin, end);
  return {};
}

} // namespace sinan
