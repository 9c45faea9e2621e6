//===- GraphToLinalg.cpp - Graph ops as linalg kernels on buffers ---------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Conversion/GraphToLinalg.h"

#include "CpuKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

#include "llvm/ADT/StringSwitch.h"

#include <functional>

using namespace mlir;

namespace sinan {
namespace {

using Body = std::function<Value(OpBuilder &, Location, ValueRange)>;

/// A static, non-empty f32 tensor type, or null. (Empty tensors need no
/// code: the reference kernels handle them.)
RankedTensorType staticF32(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape() || !tensor.getElementType().isF32() ||
      tensor.getNumElements() == 0)
    return {};
  return tensor;
}

/// A unary math op by graph op name.
template <typename MathOp> Body unary() {
  return [](OpBuilder &b, Location loc, ValueRange args) -> Value {
    return MathOp::create(b, loc, args[0]);
  };
}

/// A binary arith or math op.
template <typename BinaryOp> Body binaryOp() {
  return [](OpBuilder &b, Location loc, ValueRange args) -> Value {
    return BinaryOp::create(b, loc, args[0], args[1]);
  };
}

Value f32Constant(OpBuilder &b, Location loc, double value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
}

/// The reference kernels' max or min: NaN if either operand is; else
/// std::max(x, y) = x < y ? y : x and std::min(x, y) = y < x ? y : x.
Value maxOrMin(OpBuilder &b, Location l, bool isMax, Value x, Value y) {
  Value nan = f32Constant(b, l, std::numeric_limits<double>::quiet_NaN());
  Value unordered =
      arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNO, x, y);
  Value takeY =
      isMax ? arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x, y)
            : arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, y, x);
  Value pick = arith::SelectOp::create(b, l, takeY, y, x);
  return arith::SelectOp::create(b, l, unordered, nan, pick);
}

/// The scalar computation of an elementwise op over f32, as the reference
/// kernels compute it (runtime/ref/Kernels.cpp: applyF).
std::optional<Body> elementwiseBody(Operation *op) {
  std::string name = op->getName().stripDialect().str();
  if (op->getNumOperands() == 2) {
    auto binary = [](auto make) -> Body {
      return [make](OpBuilder &b, Location loc, ValueRange args) -> Value {
        return make(b, loc, args[0], args[1]);
      };
    };
    std::optional<Body> arithmetic =
        llvm::StringSwitch<std::optional<Body>>(name)
            .Case("add", binaryOp<arith::AddFOp>())
            .Case("sub", binaryOp<arith::SubFOp>())
            .Case("mul", binaryOp<arith::MulFOp>())
            .Case("div", binaryOp<arith::DivFOp>())
            .Case("pow", binaryOp<math::PowFOp>())
            .Default(std::nullopt);
    if (arithmetic)
      return arithmetic;
    if (name == "max" || name == "min") {
      bool isMax = name == "max";
      return binary([isMax](OpBuilder &b, Location l, Value x, Value y) {
        return maxOrMin(b, l, isMax, x, y);
      });
    }
    return std::nullopt;
  }
  if (op->getNumOperands() != 1)
    return std::nullopt;
  if (name == "relu") // NaN or positive: x; else 0.
    return Body([](OpBuilder &b, Location l, ValueRange args) -> Value {
      Value zero = f32Constant(b, l, 0.0);
      Value keep =
          arith::CmpFOp::create(b, l, arith::CmpFPredicate::UGT, args[0], zero);
      return arith::SelectOp::create(b, l, keep, args[0], zero);
    });
  if (name == "clip") { // max with the lower bound, then min with the upper.
    auto lo = op->getAttrOfType<FloatAttr>("min");
    auto hi = op->getAttrOfType<FloatAttr>("max");
    return Body([lo, hi](OpBuilder &b, Location l, ValueRange args) -> Value {
      Value x = args[0];
      if (lo)
        x = maxOrMin(b, l, true, x, f32Constant(b, l, lo.getValueAsDouble()));
      if (hi)
        x = maxOrMin(b, l, false, x, f32Constant(b, l, hi.getValueAsDouble()));
      return x;
    });
  }
  if (name == "leaky_relu") {
    auto alpha = op->getAttrOfType<FloatAttr>("alpha");
    if (!alpha)
      return std::nullopt;
    float a = static_cast<float>(alpha.getValueAsDouble());
    return Body([a](OpBuilder &b, Location l, ValueRange args) -> Value {
      Value zero = f32Constant(b, l, 0.0);
      Value negative =
          arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, args[0], zero);
      Value scaled = arith::MulFOp::create(b, l, f32Constant(b, l, a), args[0]);
      return arith::SelectOp::create(b, l, negative, scaled, args[0]);
    });
  }
  if (name == "neg")
    return Body([](OpBuilder &b, Location l, ValueRange args) -> Value {
      return arith::NegFOp::create(b, l, args[0]);
    });
  if (name == "reciprocal")
    return Body([](OpBuilder &b, Location l, ValueRange args) -> Value {
      return arith::DivFOp::create(b, l, f32Constant(b, l, 1.0), args[0]);
    });
  if (name == "sigmoid") // 1 / (1 + e^-x)
    return Body([](OpBuilder &b, Location l, ValueRange args) -> Value {
      Value one = f32Constant(b, l, 1.0);
      Value e = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, args[0]));
      return arith::DivFOp::create(b, l, one,
                                   arith::AddFOp::create(b, l, one, e));
    });
  return llvm::StringSwitch<std::optional<Body>>(name)
      .Case("abs", unary<math::AbsFOp>())
      .Case("exp", unary<math::ExpOp>())
      .Case("log", unary<math::LogOp>())
      .Case("sqrt", unary<math::SqrtOp>())
      .Case("tanh", unary<math::TanhOp>())
      .Case("erf", unary<math::ErfOp>())
      .Case("floor", unary<math::FloorOp>())
      .Case("ceil", unary<math::CeilOp>())
      .Case("round", unary<math::RoundEvenOp>())
      .Case("sin", unary<math::SinOp>())
      .Case("cos", unary<math::CosOp>())
      .Case("tan", unary<math::TanOp>())
      .Case("asin", unary<math::AsinOp>())
      .Case("acos", unary<math::AcosOp>())
      .Case("atan", unary<math::AtanOp>())
      .Case("sinh", unary<math::SinhOp>())
      .Case("cosh", unary<math::CoshOp>())
      .Case("asinh", unary<math::AsinhOp>())
      .Case("acosh", unary<math::AcoshOp>())
      .Case("atanh", unary<math::AtanhOp>())
      .Default(std::nullopt);
}

/// The map from the result's iteration space (rank `rank`, plus `extra`
/// trailing dimensions) to an operand of shape `shape` broadcast NumPy-style
/// onto `result`'s leading dimensions.
AffineMap broadcastMap(ArrayRef<int64_t> shape, ArrayRef<int64_t> result,
                       unsigned rank, MLIRContext *context) {
  SmallVector<AffineExpr> exprs;
  unsigned offset = result.size() - shape.size();
  for (auto [d, size] : llvm::enumerate(shape))
    exprs.push_back(size == 1 && result[d + offset] != 1
                        ? getAffineConstantExpr(0, context)
                        : getAffineDimExpr(d + offset, context));
  return AffineMap::get(rank, 0, exprs, context);
}

/// What a kernel computes: one linalg.generic (maps over the operands then
/// the output, iterators, body) over an iteration space of `shape`.
struct KernelSpec {
  SmallVector<AffineMap> maps;
  SmallVector<utils::IteratorType> iterators;
  SmallVector<int64_t> shape;
  Body body; ///< Of the inputs' elements and the output's.
  /// Reductions: the output's value before the first element, and the
  /// count a mean divides the result by.
  std::optional<double> init;
  int64_t divideBy = 0;
};

KernelSpec elementwiseSpec(Operation *op) {
  auto result = cast<RankedTensorType>(op->getResult(0).getType());
  unsigned rank = result.getRank();
  KernelSpec spec;
  for (Value operand : op->getOperands())
    spec.maps.push_back(
        broadcastMap(cast<RankedTensorType>(operand.getType()).getShape(),
                     result.getShape(), rank, op->getContext()));
  spec.maps.push_back(
      AffineMap::getMultiDimIdentityMap(rank, op->getContext()));
  spec.iterators.assign(rank, utils::IteratorType::parallel);
  spec.shape.assign(result.getShape().begin(), result.getShape().end());
  spec.body = *elementwiseBody(op);
  return spec;
}

/// out[i] = in[j] with j[perm[d]] = i[d]: a copy over the output's space.
std::optional<KernelSpec> transposeSpec(Operation *op) {
  auto perm = op->getAttrOfType<DenseI64ArrayAttr>("permutation");
  auto result = cast<RankedTensorType>(op->getResult(0).getType());
  unsigned rank = result.getRank();
  if (!perm || perm.size() != rank)
    return std::nullopt;
  SmallVector<AffineExpr> exprs(rank);
  for (auto [d, from] : llvm::enumerate(perm.asArrayRef())) {
    if (from < 0 || from >= rank || exprs[from])
      return std::nullopt;
    exprs[from] = getAffineDimExpr(d, op->getContext());
  }
  KernelSpec spec;
  spec.maps = {AffineMap::get(rank, 0, exprs, op->getContext()),
               AffineMap::getMultiDimIdentityMap(rank, op->getContext())};
  spec.iterators.assign(rank, utils::IteratorType::parallel);
  spec.shape.assign(result.getShape().begin(), result.getShape().end());
  spec.body = [](OpBuilder &, Location, ValueRange args) { return args[0]; };
  return spec;
}

/// reduce_sum, reduce_mean, reduce_max, reduce_min over `axes` (negative
/// from the end, none: all) of a static f32 tensor. Maximum and minimum are
/// the reference kernels' (NaN if any element is; ties keep the first), so
/// bit for bit; sums run in ascending index order where the reference sums
/// pairwise, so they differ by rounding.
std::optional<KernelSpec> reduceSpec(Operation *op) {
  StringRef name = op->getName().stripDialect();
  auto axes = op->getAttrOfType<DenseI64ArrayAttr>("axes");
  if (!axes ||
      !llvm::is_contained(
          {"reduce_sum", "reduce_mean", "reduce_max", "reduce_min"}, name))
    return std::nullopt;
  auto input = cast<RankedTensorType>(op->getOperand(0).getType());
  auto result = cast<RankedTensorType>(op->getResult(0).getType());
  int64_t rank = input.getRank();
  SmallVector<bool> reduced(rank, axes.empty());
  for (int64_t a : axes.asArrayRef()) {
    if (a < -rank || a >= rank)
      return std::nullopt;
    reduced[a < 0 ? a + rank : a] = true;
  }
  bool keep = result.getRank() == rank;
  MLIRContext *context = op->getContext();
  SmallVector<AffineExpr> out;
  int64_t count = 1;
  KernelSpec spec;
  for (int64_t d = 0; d < rank; ++d) {
    spec.iterators.push_back(reduced[d] ? utils::IteratorType::reduction
                                        : utils::IteratorType::parallel);
    if (reduced[d])
      count *= input.getDimSize(d);
    if (!reduced[d])
      out.push_back(getAffineDimExpr(d, context));
    else if (keep)
      out.push_back(getAffineConstantExpr(0, context));
  }
  if (int64_t(out.size()) != result.getRank())
    return std::nullopt;
  spec.maps = {AffineMap::getMultiDimIdentityMap(rank, context),
               AffineMap::get(rank, 0, out, context)};
  spec.shape.assign(input.getShape().begin(), input.getShape().end());
  bool isMax = name == "reduce_max";
  if (isMax || name == "reduce_min") {
    spec.init = isMax ? -std::numeric_limits<double>::infinity()
                      : std::numeric_limits<double>::infinity();
    spec.body = [isMax](OpBuilder &b, Location l, ValueRange args) {
      return maxOrMin(b, l, isMax, args[1], args[0]);
    };
    return spec;
  }
  spec.init = 0.0;
  if (name == "reduce_mean")
    spec.divideBy = count;
  spec.body = [](OpBuilder &b, Location l, ValueRange args) -> Value {
    return arith::AddFOp::create(b, l, args[1], args[0]);
  };
  return spec;
}

/// The kernel of an op that is one linalg.generic, if it has one.
std::optional<KernelSpec> specOf(Operation *op) {
  StringRef name = op->getName().stripDialect();
  if (name == "transpose")
    return transposeSpec(op);
  if (name.starts_with("reduce_"))
    return reduceSpec(op);
  return elementwiseSpec(op);
}

/// The iteration dimension a kernel's range slices: the first parallel one
/// with more than one element (batch-1 tensors split their rows), or none.
std::optional<unsigned> sliceDimOf(const KernelSpec &spec) {
  std::optional<unsigned> fallback;
  for (auto [d, iterator] : llvm::enumerate(spec.iterators)) {
    if (iterator != utils::IteratorType::parallel)
      continue;
    if (spec.shape[d] > 1)
      return d;
    if (!fallback)
      fallback = d;
  }
  return fallback;
}

/// Softmax and log-softmax over `axis`, as the reference kernel computes
/// them: m = max (NaN skipped), e = exp(x - m), s = sum of e (ascending
/// here, pairwise there), then e / s or (x - m) - log(s).
bool isSoftmax(Operation *op) {
  StringRef name = op->getName().stripDialect();
  return (name == "softmax" || name == "log_softmax") &&
         op->getAttrOfType<IntegerAttr>("axis");
}

int64_t softmaxAxis(Operation *op) {
  int64_t rank = cast<RankedTensorType>(op->getOperand(0).getType()).getRank();
  int64_t axis = op->getAttrOfType<IntegerAttr>("axis").getInt();
  return axis < 0 ? axis + rank : axis;
}

/// The dimension softmax's range slices: the first other than the axis
/// with more than one element.
std::optional<unsigned> softmaxSliceDim(Operation *op) {
  auto type = cast<RankedTensorType>(op->getOperand(0).getType());
  int64_t axis = softmaxAxis(op);
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (d != axis && type.getDimSize(d) > 1)
      return d;
  return std::nullopt;
}

/// `operands` viewed through [offset, offset + size) of iteration dimension
/// `dim` wherever their map indexes it directly; the others whole.
SmallVector<Value> sliceAlong(OpBuilder &b, Location loc, ValueRange operands,
                              ArrayRef<AffineMap> maps, unsigned dim,
                              OpFoldResult offset, OpFoldResult size) {
  SmallVector<Value> views;
  for (auto [operand, map] : llvm::zip(operands, maps)) {
    std::optional<unsigned> position =
        map.getResultPosition(getAffineDimExpr(dim, b.getContext()));
    if (!position) {
      views.push_back(operand);
      continue;
    }
    unsigned rank = cast<MemRefType>(operand.getType()).getRank();
    SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0)),
        sizes = memref::getMixedSizes(b, loc, operand),
        strides(rank, b.getIndexAttr(1));
    offsets[*position] = offset;
    sizes[*position] = size;
    views.push_back(
        memref::SubViewOp::create(b, loc, operand, offsets, sizes, strides));
  }
  return views;
}

void buildGeneric(OpBuilder &b, Location loc, const KernelSpec &spec,
                  ValueRange views) {
  linalg::GenericOp::create(b, loc, TypeRange{}, views.drop_back(),
                            ValueRange{views.back()}, spec.maps, spec.iterators,
                            [&](OpBuilder &nb, Location l, ValueRange args) {
                              linalg::YieldOp::create(nb, l,
                                                      spec.body(nb, l, args));
                            });
}

Value fillValue(OpBuilder &b, Location loc, double value, Value view) {
  linalg::FillOp::create(b, loc, ValueRange{f32Constant(b, loc, value)},
                         ValueRange{view});
  return view;
}

/// The kernel over the slice [begin, end) of its slice dimension: every
/// operand indexed by it is viewed through a subview of that range, the
/// others whole. A mean divides its sums by the count afterwards.
void buildSlicedGeneric(OpBuilder &b, Location loc, const KernelSpec &spec,
                        ValueRange operands, Value begin, Value end) {
  SmallVector<Value> views(operands);
  if (std::optional<unsigned> dim = sliceDimOf(spec))
    views = sliceAlong(b, loc, operands, spec.maps, *dim, begin,
                       arith::SubIOp::create(b, loc, end, begin).getResult());
  if (spec.init)
    fillValue(b, loc, *spec.init, views.back());
  buildGeneric(b, loc, spec, views);
  if (!spec.divideBy)
    return;
  auto type = cast<MemRefType>(views.back().getType());
  KernelSpec mean;
  AffineMap identity =
      AffineMap::getMultiDimIdentityMap(type.getRank(), b.getContext());
  mean.maps = {identity};
  mean.iterators.assign(type.getRank(), utils::IteratorType::parallel);
  float count = static_cast<float>(spec.divideBy);
  linalg::GenericOp::create(
      b, loc, TypeRange{}, ValueRange{}, ValueRange{views.back()}, mean.maps,
      mean.iterators, [&](OpBuilder &nb, Location l, ValueRange args) {
        linalg::YieldOp::create(
            nb, l,
            arith::DivFOp::create(nb, l, args[0], f32Constant(nb, l, count))
                .getResult());
      });
}

/// Softmax over the slice [begin, end) of its slice dimension: the row
/// maxima and sums in scratch buffers of the input's shape with the axis
/// of size 1, then three passes over the rows.
void buildSoftmax(OpBuilder &b, Location loc, Operation *op, Value input,
                  Value output, Value begin, Value end) {
  auto type = cast<MemRefType>(input.getType());
  int64_t rank = type.getRank(), axis = softmaxAxis(op);
  bool log = op->getName().stripDialect() == "log_softmax";
  MLIRContext *context = b.getContext();
  SmallVector<int64_t> rowShape(type.getShape());
  rowShape[axis] = 1;
  auto rowType = MemRefType::get(rowShape, b.getF32Type());
  Value maxima = memref::AllocOp::create(b, loc, rowType);
  Value sums = memref::AllocOp::create(b, loc, rowType);
  AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, context);
  SmallVector<AffineExpr> rowExprs;
  for (int64_t d = 0; d < rank; ++d)
    rowExprs.push_back(d == axis ? getAffineConstantExpr(0, context)
                                 : getAffineDimExpr(d, context));
  AffineMap row = AffineMap::get(rank, 0, rowExprs, context);
  SmallVector<Value> views = {input, output, maxima, sums};
  if (std::optional<unsigned> dim = softmaxSliceDim(op))
    views =
        sliceAlong(b, loc, views, {identity, identity, row, row}, *dim, begin,
                   arith::SubIOp::create(b, loc, end, begin).getResult());
  Value x = views[0], y = views[1], m = views[2], sum = views[3];
  SmallVector<utils::IteratorType> reduce(rank, utils::IteratorType::parallel);
  reduce[axis] = utils::IteratorType::reduction;
  SmallVector<utils::IteratorType> parallel(rank,
                                            utils::IteratorType::parallel);
  auto generic = [&](ValueRange ins, Value out, ArrayRef<AffineMap> maps,
                     ArrayRef<utils::IteratorType> iterators, Body body) {
    linalg::GenericOp::create(
        b, loc, TypeRange{}, ins, ValueRange{out}, maps, iterators,
        [&](OpBuilder &nb, Location l, ValueRange args) {
          linalg::YieldOp::create(nb, l, body(nb, l, args));
        });
  };
  // std::max(m, x) = m < x ? x : m.
  fillValue(b, loc, -std::numeric_limits<double>::infinity(), m);
  generic({x}, m, {identity, row}, reduce,
          [](OpBuilder &nb, Location l, ValueRange args) -> Value {
            Value less = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OLT,
                                               args[1], args[0]);
            return arith::SelectOp::create(nb, l, less, args[0], args[1]);
          });
  generic({x, m}, y, {identity, row, identity}, parallel,
          [](OpBuilder &nb, Location l, ValueRange args) -> Value {
            return math::ExpOp::create(
                nb, l, arith::SubFOp::create(nb, l, args[0], args[1]));
          });
  fillValue(b, loc, 0.0, sum);
  generic({y}, sum, {identity, row}, reduce,
          [](OpBuilder &nb, Location l, ValueRange args) -> Value {
            return arith::AddFOp::create(nb, l, args[1], args[0]);
          });
  if (log)
    generic({x, m, sum}, y, {identity, row, row, identity}, parallel,
            [](OpBuilder &nb, Location l, ValueRange args) -> Value {
              Value shifted = arith::SubFOp::create(nb, l, args[0], args[1]);
              return arith::SubFOp::create(nb, l, shifted,
                                           math::LogOp::create(nb, l, args[2]));
            });
  else
    generic({y, sum}, y, {identity, row, identity}, parallel,
            [](OpBuilder &nb, Location l, ValueRange args) -> Value {
              return arith::DivFOp::create(nb, l, args[0], args[1]);
            });
  memref::DeallocOp::create(b, loc, maxima);
  memref::DeallocOp::create(b, loc, sums);
}

} // namespace

int64_t linalgKernelExtent(Operation *op) {
  if (isCpuGemm(op))
    return gemmKernelExtent(op);
  if (isCpuPool(op))
    return poolKernelExtent(op);
  if (isSoftmax(op)) {
    std::optional<unsigned> dim = softmaxSliceDim(op);
    return dim ? cast<RankedTensorType>(op->getOperand(0).getType())
                     .getDimSize(*dim)
               : 1;
  }
  KernelSpec spec = *specOf(op);
  std::optional<unsigned> dim = sliceDimOf(spec);
  return dim ? spec.shape[*dim] : 1;
}

int64_t linalgKernelSliceWork(Operation *op) {
  if (isCpuGemm(op))
    return gemmKernelUnitWork(op);
  if (isCpuPool(op))
    return poolKernelUnitWork(op);
  auto input = cast<RankedTensorType>(op->getOperand(0).getType());
  auto result = cast<RankedTensorType>(op->getResult(0).getType());
  int64_t elements = std::max(input.getNumElements(), result.getNumElements());
  return elements / linalgKernelExtent(op);
}

bool hasLinalgKernel(Operation *op) {
  if (isCpuGemm(op) || isCpuPool(op))
    return true;
  if (op->getNumResults() != 1 || !staticF32(op->getResult(0).getType()))
    return false;
  for (Type type : op->getOperandTypes())
    if (!staticF32(type))
      return false;
  StringRef name = op->getName().stripDialect();
  if (isSoftmax(op))
    return op->getNumOperands() == 1;
  if (name == "transpose" || name.starts_with("reduce_"))
    return op->getNumOperands() == 1 && specOf(op).has_value();
  auto result = cast<RankedTensorType>(op->getResult(0).getType());
  // Every operand broadcasts onto the result (the verifier's rule; checked
  // again because the kernel's maps rely on it).
  for (Type type : op->getOperandTypes()) {
    ArrayRef<int64_t> shape = cast<RankedTensorType>(type).getShape();
    if (shape.size() > result.getShape().size())
      return false;
    unsigned offset = result.getRank() - shape.size();
    for (auto [d, size] : llvm::enumerate(shape))
      if (size != 1 && size != result.getDimSize(d + offset))
        return false;
  }
  return elementwiseBody(op).has_value();
}

bool takesEpilogue(Operation *op, const CpuEpilogue &epilogue) {
  if (epilogue.empty())
    return true;
  if (!isCpuGemm(op) ||
      (epilogue.activation != "" && epilogue.activation != "relu" &&
       epilogue.activation != "clip"))
    return false;
  if (!epilogue.residual)
    return true;
  auto result = cast<RankedTensorType>(op->getResult(0).getType());
  auto residual = dyn_cast<RankedTensorType>(epilogue.residual);
  if (!residual || !residual.hasStaticShape() ||
      residual.getElementType() != result.getElementType())
    return false;
  if (residual == result)
    return true;
  // A bias row of a matmul.
  return op->getName().stripDialect() == "matmul" &&
         residual.getShape().back() == result.getShape().back() &&
         llvm::all_of(residual.getShape().drop_back(),
                      [](int64_t d) { return d == 1; });
}

LogicalResult buildLinalgKernel(Operation *op, StringRef name, ModuleOp module,
                                const CpuKernelOptions &options,
                                const CpuEpilogue &epilogue) {
  if (!hasLinalgKernel(op))
    return op->emitOpError("has no CPU kernel");
  if (!takesEpilogue(op, epilogue))
    return op->emitOpError("has no CPU kernel with this epilogue");
  module.getContext()
      ->loadDialect<arith::ArithDialect, func::FuncDialect,
                    linalg::LinalgDialect, math::MathDialect,
                    memref::MemRefDialect, scf::SCFDialect,
                    vector::VectorDialect>();
  OpBuilder b(module.getBodyRegion());
  b.setInsertionPointToEnd(module.getBody());
  Location loc = op->getLoc();
  SmallVector<Type> arguments;
  auto memrefOf = [](Type type) {
    auto tensor = cast<RankedTensorType>(type);
    return MemRefType::get(tensor.getShape(), tensor.getElementType());
  };
  for (Type type : op->getOperandTypes())
    arguments.push_back(memrefOf(type));
  if (epilogue.residual) // Of the result's type, or a row of it.
    arguments.push_back(memrefOf(epilogue.residual));
  arguments.push_back(memrefOf(op->getResult(0).getType()));
  arguments.append(2, b.getIndexType()); // The slice [begin, end) of d0.
  auto func = func::FuncOp::create(b, loc, name,
                                   b.getFunctionType(arguments, TypeRange{}));
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  ValueRange args = entry->getArguments();
  if (isCpuGemm(op)) {
    buildGemmKernelBody(b, loc, op, args.drop_back(2), args[args.size() - 2],
                        args.back(), options, epilogue);
    func::ReturnOp::create(b, loc);
    return success();
  }
  if (isCpuPool(op)) {
    buildPoolKernelBody(b, loc, op, args[0], args[1], args[2], args[3]);
    func::ReturnOp::create(b, loc);
    return success();
  }
  if (isSoftmax(op)) {
    buildSoftmax(b, loc, op, args[0], args[1], args[2], args[3]);
    func::ReturnOp::create(b, loc);
    return success();
  }
  buildSlicedGeneric(b, loc, *specOf(op), args.drop_back(2),
                     args[args.size() - 2], args.back());
  func::ReturnOp::create(b, loc);
  return success();
}

void registerLinalgKernelDialects(DialectRegistry &registry) {
  registry.insert<arith::ArithDialect, func::FuncDialect, linalg::LinalgDialect,
                  math::MathDialect, memref::MemRefDialect, scf::SCFDialect,
                  vector::VectorDialect>();
}

} // namespace sinan
