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
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <functional>

using namespace mlir;

namespace sinan {
namespace {

using Body = std::function<Value(OpBuilder &, Location, ValueRange)>;

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

/// Comparisons (f32, i32, i64; NaN compares false), logical ops on bools
/// (bytes of 0 or 1) and select (any element type), as the reference
/// computes them: their scalar computation over buffer elements.
/// Whether every operand and result of `op` is a static, non-empty tensor
/// of elements a CPU buffer holds.
bool allStaticBuffers(Operation *op) {
  return llvm::all_of(
      llvm::concat<Type>(op->getOperandTypes(), op->getResultTypes()),
      [](Type type) { return bool(staticBuffer(type)); });
}

std::optional<Body> predicateBody(Operation *op) {
  auto tensor = [](Type type) { return dyn_cast<RankedTensorType>(type); };
  if (!allStaticBuffers(op) || op->getNumResults() != 1 ||
      op->getNumOperands() == 0)
    return std::nullopt;
  StringRef name = op->getName().stripDialect();
  Type first = tensor(op->getOperand(0).getType()).getElementType();
  auto isBool = [](Type t) { return t.isSignlessInteger(1); };
  auto toByte = [](OpBuilder &b, Location l, Value bit) -> Value {
    return arith::ExtUIOp::create(b, l, b.getI8Type(), bit);
  };
  std::optional<arith::CmpFPredicate> floatPredicate =
      llvm::StringSwitch<std::optional<arith::CmpFPredicate>>(name)
          .Case("equal", arith::CmpFPredicate::OEQ)
          .Case("less", arith::CmpFPredicate::OLT)
          .Case("less_equal", arith::CmpFPredicate::OLE)
          .Case("greater", arith::CmpFPredicate::OGT)
          .Case("greater_equal", arith::CmpFPredicate::OGE)
          .Default(std::nullopt);
  if (floatPredicate && op->getNumOperands() == 2) {
    if (first.isF32())
      return Body([=](OpBuilder &b, Location l, ValueRange args) -> Value {
        return toByte(
            b, l,
            arith::CmpFOp::create(b, l, *floatPredicate, args[0], args[1]));
      });
    if (!first.isSignlessInteger(32) && !first.isSignlessInteger(64))
      return std::nullopt;
    arith::CmpIPredicate intPredicate =
        llvm::StringSwitch<arith::CmpIPredicate>(name)
            .Case("equal", arith::CmpIPredicate::eq)
            .Case("less", arith::CmpIPredicate::slt)
            .Case("less_equal", arith::CmpIPredicate::sle)
            .Case("greater", arith::CmpIPredicate::sgt)
            .Default(arith::CmpIPredicate::sge);
    return Body([=](OpBuilder &b, Location l, ValueRange args) -> Value {
      return toByte(
          b, l, arith::CmpIOp::create(b, l, intPredicate, args[0], args[1]));
    });
  }
  if ((name == "and" || name == "or" || name == "xor") &&
      op->getNumOperands() == 2 && isBool(first))
    return Body([name](OpBuilder &b, Location l, ValueRange args) -> Value {
      if (name == "and")
        return arith::AndIOp::create(b, l, args[0], args[1]);
      if (name == "or")
        return arith::OrIOp::create(b, l, args[0], args[1]);
      return arith::XOrIOp::create(b, l, args[0], args[1]);
    });
  if (name == "not" && op->getNumOperands() == 1 && isBool(first))
    return Body([](OpBuilder &b, Location l, ValueRange args) -> Value {
      return arith::XOrIOp::create(
          b, l, args[0], arith::ConstantIntOp::create(b, l, b.getI8Type(), 1));
    });
  if (name == "select" && op->getNumOperands() == 3 && isBool(first))
    return Body([](OpBuilder &b, Location l, ValueRange args) -> Value {
      Value taken = arith::CmpIOp::create(
          b, l, arith::CmpIPredicate::ne, args[0],
          arith::ConstantIntOp::create(b, l, b.getI8Type(), 0));
      return arith::SelectOp::create(b, l, taken, args[1], args[2]);
    });
  return std::nullopt;
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
  /// Reductions: the output's value before the first element.
  std::optional<double> init;
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
  std::optional<Body> predicate = predicateBody(op);
  spec.body = predicate ? *predicate : *elementwiseBody(op);
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

/// The cast's scalar conversion between f32, bool (a byte of 0 or 1), i32
/// and i64, as the reference's cast: integers to f32 round to nearest; f32
/// to an integer truncates toward zero and saturates (NaN: 0); to bool is
/// `!= 0` (NaN: true); integers sign-extend or wrap.
std::optional<Body> castBody(Type from, Type to) {
  auto supported = [](Type t) {
    return t.isF32() || t.isSignlessInteger(1) || t.isSignlessInteger(32) ||
           t.isSignlessInteger(64);
  };
  if (!supported(from) || !supported(to))
    return std::nullopt;
  bool fromBool = from.isSignlessInteger(1), toBool = to.isSignlessInteger(1);
  return Body([=](OpBuilder &b, Location l, ValueRange args) -> Value {
    Value x = args[0];
    Type out = cpuBufferElementType(to);
    if (toBool) {
      Value nonZero =
          from.isF32() ? arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNE,
                                               x, f32Constant(b, l, 0.0))
                             .getResult()
                       : arith::CmpIOp::create(
                             b, l, arith::CmpIPredicate::ne, x,
                             arith::ConstantIntOp::create(b, l, x.getType(), 0))
                             .getResult();
      return arith::ExtUIOp::create(b, l, out, nonZero);
    }
    if (to.isF32()) {
      if (from.isF32())
        return x;
      return fromBool ? arith::UIToFPOp::create(b, l, out, x).getResult()
                      : arith::SIToFPOp::create(b, l, out, x).getResult();
    }
    unsigned width = to.getIntOrFloatBitWidth();
    if (!from.isF32()) {
      unsigned fromWidth = x.getType().getIntOrFloatBitWidth();
      if (fromWidth == width)
        return x;
      if (fromWidth > width)
        return arith::TruncIOp::create(b, l, out, x);
      return fromBool ? arith::ExtUIOp::create(b, l, out, x).getResult()
                      : arith::ExtSIOp::create(b, l, out, x).getResult();
    }
    // Saturate at +-2^(width-1) (exact in f32), NaN to 0.
    auto intConstant = [&](APInt v) -> Value {
      return arith::ConstantOp::create(b, l, b.getIntegerAttr(out, v));
    };
    Value bound = f32Constant(b, l, std::ldexp(1.0, int(width) - 1));
    Value truncated = arith::FPToSIOp::create(b, l, out, x);
    Value high =
        arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGE, x, bound);
    Value low = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLE, x,
                                      arith::NegFOp::create(b, l, bound));
    Value nan = arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNO, x, x);
    Value result = arith::SelectOp::create(
        b, l, high, intConstant(APInt::getSignedMaxValue(width)), truncated);
    result = arith::SelectOp::create(
        b, l, low, intConstant(APInt::getSignedMinValue(width)), result);
    return arith::SelectOp::create(b, l, nan, intConstant(APInt(width, 0)),
                                   result);
  });
}

bool isCpuCast(Operation *op) {
  if (op->getName().stripDialect() != "cast" || op->getNumOperands() != 1 ||
      op->getNumResults() != 1)
    return false;
  auto from = dyn_cast<RankedTensorType>(op->getOperand(0).getType());
  auto to = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  return from && to && from.hasStaticShape() && from.getNumElements() > 0 &&
         castBody(from.getElementType(), to.getElementType()).has_value();
}

/// out[i] = cast(in[i]).
KernelSpec castSpec(Operation *op) {
  auto result = cast<RankedTensorType>(op->getResult(0).getType());
  unsigned rank = result.getRank();
  KernelSpec spec;
  spec.maps.assign(2,
                   AffineMap::getMultiDimIdentityMap(rank, op->getContext()));
  spec.iterators.assign(rank, utils::IteratorType::parallel);
  spec.shape.assign(result.getShape().begin(), result.getShape().end());
  spec.body = *castBody(
      cast<RankedTensorType>(op->getOperand(0).getType()).getElementType(),
      result.getElementType());
  return spec;
}

/// Which of a reduction's input dimensions `axes` reduces (negative from
/// the end, none: all), or nothing for an axis out of range.
std::optional<SmallVector<bool>> reducedAxes(Operation *op) {
  auto axes = op->getAttrOfType<DenseI64ArrayAttr>("axes");
  int64_t rank = cast<RankedTensorType>(op->getOperand(0).getType()).getRank();
  SmallVector<bool> reduced(rank, axes.empty());
  for (int64_t a : axes.asArrayRef()) {
    if (a < -rank || a >= rank)
      return std::nullopt;
    reduced[a < 0 ? a + rank : a] = true;
  }
  return reduced;
}

/// reduce_max, reduce_min over `axes` (negative from the end, none: all)
/// of a static f32 tensor, as the reference kernels compute them (NaN if
/// any element is; ties keep the first): bit for bit.
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
  std::optional<SmallVector<bool>> reduced = reducedAxes(op);
  if (!reduced)
    return std::nullopt;
  bool keep = result.getRank() == rank;
  MLIRContext *context = op->getContext();
  SmallVector<AffineExpr> out;
  KernelSpec spec;
  for (int64_t d = 0; d < rank; ++d) {
    spec.iterators.push_back((*reduced)[d] ? utils::IteratorType::reduction
                                           : utils::IteratorType::parallel);
    if (!(*reduced)[d])
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
  return std::nullopt; // Sums: sumShapeOf.
}

/// The kernel of an op that is one linalg.generic, if it has one.
std::optional<KernelSpec> specOf(Operation *op) {
  StringRef name = op->getName().stripDialect();
  if (name == "transpose")
    return transposeSpec(op);
  if (name == "cast")
    return castSpec(op);
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

/// Softmax and log-softmax over `axis` (buildSoftmax).
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
/// others whole.
/// Whether result `i` of every map reads dimension `i`, or 0 (a broadcast):
/// elementwise ops' maps over operands of the result's rank.
static bool alignedMaps(const KernelSpec &spec) {
  unsigned rank = spec.shape.size();
  return llvm::all_of(spec.iterators,
                      [](utils::IteratorType t) {
                        return t == utils::IteratorType::parallel;
                      }) &&
         llvm::all_of(spec.maps, [&](AffineMap map) {
           if (map.getNumResults() != rank || map.getNumDims() != rank)
             return false;
           for (unsigned i = 0; i < rank; ++i) {
             AffineExpr e = map.getResult(i);
             auto dim = dyn_cast<AffineDimExpr>(e);
             auto zero = dyn_cast<AffineConstantExpr>(e);
             if (!(dim && dim.getPosition() == i) &&
                 !(zero && !zero.getValue()))
               return false;
           }
           return true;
         });
}

/// `spec` with the dimensions after the slice dimension merged where every
/// operand reads both of two neighbours or broadcasts both, and `operands`
/// collapsed to match: a [C, 1, 1] scale over [C, 14, 14] runs rows of 196
/// elements instead of 14, which LLVM's vectorizer fills (MobileNetV3's
/// squeeze-excitation products ran at a fifth of onnxruntime's speed).
/// The slice dimension, and so the kernel's range, stays as it was.
static KernelSpec collapseInner(OpBuilder &b, Location loc,
                                const KernelSpec &spec,
                                SmallVectorImpl<Value> &operands) {
  std::optional<unsigned> slice = sliceDimOf(spec);
  unsigned rank = spec.shape.size();
  if (!slice || !alignedMaps(spec) || *slice + 2 >= rank)
    return spec;
  auto reads = [](AffineMap map, unsigned d) {
    return isa<AffineDimExpr>(map.getResult(d));
  };
  // Groups of dimensions: each up to the slice dimension alone, then runs.
  SmallVector<ReassociationIndices> groups;
  for (unsigned d = 0; d < rank; ++d) {
    bool joins = d > *slice + 1 && llvm::all_of(spec.maps, [&](AffineMap m) {
                   return reads(m, d) == reads(m, d - 1);
                 });
    if (joins)
      groups.back().push_back(d);
    else
      groups.push_back({int64_t(d)});
  }
  if (groups.size() == rank)
    return spec;
  KernelSpec merged;
  merged.iterators.assign(groups.size(), utils::IteratorType::parallel);
  for (const ReassociationIndices &group : groups) {
    int64_t size = 1;
    for (int64_t d : group)
      size *= spec.shape[d];
    merged.shape.push_back(size);
  }
  MLIRContext *context = b.getContext();
  for (auto [map, operand] : llvm::zip(spec.maps, operands)) {
    SmallVector<AffineExpr> results;
    for (auto [i, group] : llvm::enumerate(groups))
      results.push_back(reads(map, group.front())
                            ? getAffineDimExpr(i, context)
                            : getAffineConstantExpr(0, context));
    merged.maps.push_back(AffineMap::get(groups.size(), 0, results, context));
    operand = memref::CollapseShapeOp::create(b, loc, operand, groups);
  }
  merged.body = spec.body;
  merged.init = spec.init;
  return merged;
}

void buildSlicedGeneric(OpBuilder &b, Location loc, const KernelSpec &spec,
                        ValueRange operands, Value begin, Value end) {
  SmallVector<Value> views(operands);
  if (std::optional<unsigned> dim = sliceDimOf(spec))
    views = sliceAlong(b, loc, operands, spec.maps, *dim, begin,
                       arith::SubIOp::create(b, loc, end, begin).getResult());
  if (spec.init)
    fillValue(b, loc, *spec.init, views.back());
  buildGeneric(b, loc, spec, views);
}

/// `func.func private @name(memref<N x f32>, first, n, stride) -> f32`:
/// the reference's pairwiseSum (runtime/include/sinan/runtime/Numerics.h)
/// over buf[first + i * stride], i < n (n >= 1): up to 8 elements summed in
/// order from the first, more split at n / 2 and the halves' sums added.
/// One per buffer size (the bare-pointer calling convention takes static
/// shapes only), made once per module.
func::FuncOp pairwiseSumFunc(ModuleOp module, int64_t size) {
  std::string name = llvm::formatv("sinan_pairwise_sum_{0}", size).str();
  if (auto existing = module.lookupSymbol<func::FuncOp>(name))
    return existing;
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  Location loc = module.getLoc();
  auto bufType = MemRefType::get({size}, b.getF32Type());
  Type index = b.getIndexType();
  auto func = func::FuncOp::create(
      b, loc, name,
      b.getFunctionType({bufType, index, index, index}, {b.getF32Type()}));
  func.setPrivate();
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  Value buf = entry->getArgument(0), first = entry->getArgument(1),
        n = entry->getArgument(2), stride = entry->getArgument(3);
  auto c = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  Value small =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, n, c(8));
  auto branch = scf::IfOp::create(b, loc, TypeRange{b.getF32Type()}, small,
                                  /*withElse=*/true);
  {
    OpBuilder tb = OpBuilder::atBlockBegin(&branch.getThenRegion().front());
    Value start = memref::LoadOp::create(tb, loc, buf, ValueRange{first});
    auto loop = scf::ForOp::create(
        tb, loc, arith::ConstantIndexOp::create(tb, loc, 1), n,
        arith::ConstantIndexOp::create(tb, loc, 1), ValueRange{start},
        [&](OpBuilder &lb, Location l, Value i, ValueRange acc) {
          Value at = arith::AddIOp::create(
              lb, l, first, arith::MulIOp::create(lb, l, i, stride));
          Value x = memref::LoadOp::create(lb, l, buf, ValueRange{at});
          scf::YieldOp::create(
              lb, l, arith::AddFOp::create(lb, l, acc[0], x).getResult());
        });
    scf::YieldOp::create(tb, loc, loop.getResult(0));
  }
  {
    OpBuilder eb = OpBuilder::atBlockBegin(&branch.getElseRegion().front());
    Value half = arith::DivUIOp::create(
        eb, loc, n, arith::ConstantIndexOp::create(eb, loc, 2));
    Value second = arith::AddIOp::create(
        eb, loc, first, arith::MulIOp::create(eb, loc, half, stride));
    Value rest = arith::SubIOp::create(eb, loc, n, half);
    Value lo = func::CallOp::create(eb, loc, func,
                                    ValueRange{buf, first, half, stride})
                   .getResult(0);
    Value hi = func::CallOp::create(eb, loc, func,
                                    ValueRange{buf, second, rest, stride})
                   .getResult(0);
    scf::YieldOp::create(eb, loc,
                         arith::AddFOp::create(eb, loc, lo, hi).getResult());
  }
  func::ReturnOp::create(b, loc, branch.getResult(0));
  return func;
}

/// The reference's pairwiseSum of `n` elements `at(i)`, unrolled: its tree
/// depends on `n` alone, so the leaves' sequential sums are independent
/// chains the core overlaps (the recursive function ran them one after
/// another: most of a softmax's time over rows of 128).
Value unrolledPairwiseSum(OpBuilder &b, Location loc,
                          function_ref<Value(int64_t)> at, int64_t first,
                          int64_t n) {
  if (n <= 8) {
    Value sum = at(first);
    for (int64_t i = 1; i < n; ++i)
      sum = arith::AddFOp::create(b, loc, sum, at(first + i));
    return sum;
  }
  int64_t half = n / 2;
  Value lo = unrolledPairwiseSum(b, loc, at, first, half);
  Value hi = unrolledPairwiseSum(b, loc, at, first + half, n - half);
  return arith::AddFOp::create(b, loc, lo, hi);
}

/// Sums of at most this many elements are unrolled (code size).
constexpr int64_t kUnrolledSumMax = 512;

/// pairwiseSum over buf[first + i * stride], i < n (static n >= 1).
Value pairwiseSumOf(OpBuilder &b, Location loc, ModuleOp module, Value buf,
                    Value first, int64_t n, int64_t stride) {
  if (n <= kUnrolledSumMax)
    return unrolledPairwiseSum(
        b, loc,
        [&](int64_t i) -> Value {
          Value index = arith::AddIOp::create(
              b, loc, first,
              arith::ConstantIndexOp::create(b, loc, i * stride));
          return memref::LoadOp::create(b, loc, buf, ValueRange{index});
        },
        0, n);
  auto size = cast<MemRefType>(buf.getType()).getNumElements();
  return func::CallOp::create(
             b, loc, pairwiseSumFunc(module, size),
             ValueRange{buf, first, arith::ConstantIndexOp::create(b, loc, n),
                        arith::ConstantIndexOp::create(b, loc, stride)})
      .getResult(0);
}

/// `value` as one dimension of all its elements.
Value flatten(OpBuilder &b, Location loc, Value value) {
  auto type = cast<MemRefType>(value.getType());
  if (type.getRank() == 1)
    return value;
  if (type.getRank() == 0)
    return memref::ExpandShapeOp::create(
        b, loc, MemRefType::get({1}, type.getElementType()), value,
        ArrayRef<ReassociationIndices>{});
  ReassociationIndices all;
  for (int64_t d = 0; d < type.getRank(); ++d)
    all.push_back(d);
  return memref::CollapseShapeOp::create(
      b, loc, value, SmallVector<ReassociationIndices>{all});
}

/// reduce_sum and reduce_mean whose reduced dimensions (of more than one
/// element) are one run of adjacent dimensions: the input is [outer, count,
/// inner] and each output sums `count` elements `inner` apart, as the
/// reference computes them: in ascending index order, pairwise, then
/// divided by the count for a mean. Bit for bit. (Reduced dimensions apart
/// from each other stay on the reference kernels.)
struct SumShape {
  int64_t outputs, count, inner;
  bool mean;
};

std::optional<SumShape> sumShapeOf(Operation *op) {
  StringRef name = op->getName().stripDialect();
  auto axes = op->getAttrOfType<DenseI64ArrayAttr>("axes");
  if ((name != "reduce_sum" && name != "reduce_mean") || !axes ||
      op->getNumOperands() != 1)
    return std::nullopt;
  auto input = cast<RankedTensorType>(op->getOperand(0).getType());
  int64_t rank = input.getRank();
  std::optional<SmallVector<bool>> reduced = reducedAxes(op);
  if (!reduced)
    return std::nullopt;
  SumShape s{1, 1, 1, name == "reduce_mean"};
  // Phases: kept dimensions before the run, the run, kept ones after it.
  int phase = 0;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t size = input.getDimSize(d);
    if ((*reduced)[d]) {
      s.count *= size;
      if (size > 1 && phase == 2)
        return std::nullopt; // A second run.
      if (size > 1)
        phase = 1;
      continue;
    }
    s.outputs *= size;
    if (phase >= 1 && size > 1) {
      phase = 2;
      s.inner *= size;
    } else if (phase == 2) {
      s.inner *= size;
    }
  }
  return s;
}

void buildSum(OpBuilder &b, Location loc, Operation *op, ModuleOp module,
              Value input, Value output, Value begin, Value end) {
  SumShape s = *sumShapeOf(op);
  Value in = flatten(b, loc, input), out = flatten(b, loc, output);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  scf::ForOp::create(
      b, loc, begin, end, one, ValueRange{},
      [&](OpBuilder &lb, Location l, Value o, ValueRange) {
        // Output (outer, i) sums input[outer][k][i] over k.
        IndexMath m{lb, l};
        Value first = m.add(m.mul(m.div(o, s.inner), s.count * s.inner),
                            m.rem(o, s.inner));
        Value total = pairwiseSumOf(lb, l, module, in, first, s.count, s.inner);
        if (s.mean)
          total = arith::DivFOp::create(
              lb, l, total, f32Constant(lb, l, static_cast<float>(s.count)));
        memref::StoreOp::create(lb, l, total, out, ValueRange{o});
        scf::YieldOp::create(lb, l);
      });
}

/// The reference's softmax maximum of x[base + k * inner], k < extent:
/// from -inf, m = m < v ? v : m (so NaN is skipped). Over a contiguous row
/// in vectors of 16, each lane by that rule, then the lanes and the rest
/// by it: the same value (the maximum of the non-NaN elements; of equal
/// zeros the sign may differ, which x - m and exp(x - m) do not see).
Value rowMax(OpBuilder &b, Location loc, Value x, Value base, int64_t extent,
             int64_t inner) {
  auto keepMax = [&](OpBuilder &kb, Value acc, Value v) -> Value {
    Value less =
        arith::CmpFOp::create(kb, loc, arith::CmpFPredicate::OLT, acc, v);
    return arith::SelectOp::create(kb, loc, less, v, acc);
  };
  auto c = [&](OpBuilder &ib, int64_t v) -> Value {
    return arith::ConstantIndexOp::create(ib, loc, v);
  };
  Value m = f32Constant(b, loc, -std::numeric_limits<double>::infinity());
  constexpr int64_t lanes = 16;
  int64_t whole = inner == 1 ? extent / lanes * lanes : 0;
  if (whole) {
    auto vectorType = VectorType::get({lanes}, b.getF32Type());
    Value init = vector::BroadcastOp::create(b, loc, vectorType, m);
    Value acc = scf::ForOp::create(
                    b, loc, c(b, 0), c(b, whole), c(b, lanes), ValueRange{init},
                    [&](OpBuilder &kb, Location, Value k, ValueRange a) {
                      Value v = vector::LoadOp::create(
                          kb, loc, vectorType, x,
                          ValueRange{arith::AddIOp::create(kb, loc, base, k)});
                      scf::YieldOp::create(kb, loc, keepMax(kb, a[0], v));
                    })
                    .getResult(0);
    for (int64_t lane = 0; lane < lanes; ++lane)
      m = keepMax(
          b, m,
          vector::ExtractOp::create(b, loc, acc, ArrayRef<int64_t>{lane}));
  }
  return scf::ForOp::create(
             b, loc, c(b, whole), c(b, extent), c(b, 1), ValueRange{m},
             [&](OpBuilder &kb, Location, Value k, ValueRange a) {
               Value at = arith::AddIOp::create(
                   kb, loc, base,
                   arith::MulIOp::create(kb, loc, k, c(kb, inner)));
               Value v = memref::LoadOp::create(kb, loc, x, at);
               scf::YieldOp::create(kb, loc, keepMax(kb, a[0], v));
             })
      .getResult(0);
}

/// Softmax over rows [begin, end) of outer x inner (the elements along the
/// axis `inner` apart), as the reference: m = max (std::max from -inf, so
/// NaN is skipped), e = exp(x - m), s = the pairwise sum of the e, then
/// e / s or (x - m) - log(s). Bit for bit.
void buildSoftmax(OpBuilder &b, Location loc, Operation *op, ModuleOp module,
                  Value input, Value output, Value begin, Value end) {
  auto type = cast<MemRefType>(input.getType());
  int64_t axis = softmaxAxis(op), extent = type.getDimSize(axis), inner = 1;
  for (int64_t d = axis + 1; d < type.getRank(); ++d)
    inner *= type.getDimSize(d);
  bool log = op->getName().stripDialect() == "log_softmax";
  Value x = flatten(b, loc, input), y = flatten(b, loc, output);
  auto c = [&](OpBuilder &ib, int64_t v) -> Value {
    return arith::ConstantIndexOp::create(ib, loc, v);
  };
  scf::ForOp::create(
      b, loc, begin, end, c(b, 1), ValueRange{},
      [&](OpBuilder &rb, Location l, Value r, ValueRange) {
        Value o = arith::DivUIOp::create(rb, l, r, c(rb, inner));
        Value i = arith::RemUIOp::create(rb, l, r, c(rb, inner));
        Value base = arith::AddIOp::create(
            rb, l, arith::MulIOp::create(rb, l, o, c(rb, extent * inner)), i);
        Value m = rowMax(rb, l, x, base, extent, inner);
        // dst[at] = f(src[at]) along the row: in vectors of 16 over a
        // contiguous row, the same ops per lane as the scalar rest (the
        // polynomial exp included), so the same bits.
        auto alongRow = [&](Value src,
                            function_ref<Value(OpBuilder &, Value)> f) {
          constexpr int64_t lanes = 16;
          int64_t whole = inner == 1 ? extent / lanes * lanes : 0;
          auto vectorType = VectorType::get({lanes}, rb.getF32Type());
          scf::ForOp::create(
              rb, l, c(rb, 0), c(rb, whole), c(rb, lanes), ValueRange{},
              [&](OpBuilder &kb, Location, Value k, ValueRange) {
                Value at = arith::AddIOp::create(kb, l, base, k);
                Value v = vector::LoadOp::create(kb, l, vectorType, src,
                                                 ValueRange{at});
                vector::StoreOp::create(kb, l, f(kb, v), y, ValueRange{at});
                scf::YieldOp::create(kb, l);
              });
          scf::ForOp::create(
              rb, l, c(rb, whole), c(rb, extent), c(rb, 1), ValueRange{},
              [&](OpBuilder &kb, Location, Value k, ValueRange) {
                Value at = arith::AddIOp::create(
                    kb, l, base, arith::MulIOp::create(kb, l, k, c(kb, inner)));
                Value v = memref::LoadOp::create(kb, l, src, at);
                memref::StoreOp::create(kb, l, f(kb, v), y, at);
                scf::YieldOp::create(kb, l);
              });
        };
        // A row's scalar, as `v`'s type.
        auto like = [&](OpBuilder &kb, Value scalar, Value v) -> Value {
          if (auto vector = dyn_cast<VectorType>(v.getType()))
            return vector::BroadcastOp::create(kb, l, vector, scalar);
          return scalar;
        };
        alongRow(x, [&](OpBuilder &kb, Value v) -> Value {
          return math::ExpOp::create(
              kb, l, arith::SubFOp::create(kb, l, v, like(kb, m, v)));
        });
        Value total = pairwiseSumOf(rb, l, module, y, base, extent, inner);
        if (log) {
          Value logTotal = math::LogOp::create(rb, l, total);
          alongRow(x, [&](OpBuilder &kb, Value v) -> Value {
            return arith::SubFOp::create(
                kb, l, arith::SubFOp::create(kb, l, v, like(kb, m, v)),
                like(kb, logTotal, v));
          });
        } else {
          alongRow(y, [&](OpBuilder &kb, Value e) -> Value {
            return arith::DivFOp::create(kb, l, e, like(kb, total, e));
          });
        }
        scf::YieldOp::create(rb, l);
      });
}

/// The buffer a kernel takes for a tensor of `type`.
MemRefType memrefOf(Type type) {
  auto tensor = cast<RankedTensorType>(type);
  return MemRefType::get(tensor.getShape(),
                         cpuBufferElementType(tensor.getElementType()));
}

void registerKernelDialects(MLIRContext *context) {
  context->loadDialect<arith::ArithDialect, func::FuncDialect,
                       linalg::LinalgDialect, math::MathDialect,
                       memref::MemRefDialect, scf::SCFDialect,
                       vector::VectorDialect>();
}

} // namespace

int64_t linalgKernelExtent(Operation *op, const CpuKernelOptions &options) {
  if (isCpuGemm(op))
    return gemmKernelExtent(op, options);
  if (isCpuPlane(op))
    return planeKernelExtent(op);
  if (isCpuLayout(op))
    return layoutKernelExtent(op);
  if (isCpuImage(op))
    return imageKernelExtent(op);
  if (isSoftmax(op)) {
    auto type = cast<RankedTensorType>(op->getOperand(0).getType());
    return type.getNumElements() / type.getDimSize(softmaxAxis(op));
  }
  if (std::optional<SumShape> sum = sumShapeOf(op))
    return sum->outputs;
  KernelSpec spec = *specOf(op);
  std::optional<unsigned> dim = sliceDimOf(spec);
  return dim ? spec.shape[*dim] : 1;
}

int64_t linalgKernelSliceWork(Operation *op, const CpuKernelOptions &options) {
  if (isCpuGemm(op))
    return gemmKernelUnitWork(op, options);
  if (isCpuPlane(op))
    return planeKernelUnitWork(op);
  if (isCpuLayout(op))
    return layoutKernelUnitWork(op);
  if (isCpuImage(op))
    return imageKernelUnitWork(op);
  auto input = cast<RankedTensorType>(op->getOperand(0).getType());
  auto result = cast<RankedTensorType>(op->getResult(0).getType());
  int64_t elements = std::max(input.getNumElements(), result.getNumElements());
  return elements / linalgKernelExtent(op, options);
}

SmallVector<CpuOperandPacking, 1>
linalgKernelPacking(Operation *op, const CpuKernelOptions &options) {
  if (!isCpuGemm(op))
    return {};
  int64_t panel = gemmWeightPanel(op, options);
  if (!panel)
    return {};
  auto weight = cast<RankedTensorType>(op->getOperand(1).getType());
  return {{1, weight.getNumElements() / weight.getDimSize(0), panel}};
}

bool hasLinalgKernel(Operation *op) {
  if (isCpuGemm(op) || isCpuPlane(op) || isCpuLayout(op) || isCpuCast(op) ||
      isCpuImage(op))
    return true;
  StringRef name = op->getName().stripDialect();
  // Transposes move bits: any element type.
  if (name == "transpose")
    return allStaticBuffers(op) && op->getNumOperands() == 1 &&
           op->getNumResults() == 1 && specOf(op).has_value();
  bool predicate = predicateBody(op).has_value();
  if (!predicate &&
      (op->getNumResults() != 1 || !staticF32(op->getResult(0).getType()) ||
       !llvm::all_of(op->getOperandTypes(),
                     [](Type type) { return bool(staticF32(type)); })))
    return false;
  if (isSoftmax(op))
    return op->getNumOperands() == 1;
  if (sumShapeOf(op))
    return true;
  if (name.starts_with("reduce_"))
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
  return predicate || elementwiseBody(op).has_value();
}

bool isCpuElementwise(Operation *op) {
  if (isCpuGemm(op) || isCpuPlane(op) || isCpuLayout(op) || isCpuCast(op) ||
      isCpuImage(op) || isSoftmax(op) || sumShapeOf(op) ||
      op->getNumResults() != 1)
    return false;
  StringRef name = op->getName().stripDialect();
  if (name == "transpose" || name.starts_with("reduce_") || predicateBody(op))
    return false;
  return hasLinalgKernel(op);
}

namespace {
/// The fused chain's kernel: the last op's iteration space, each argument
/// broadcast onto it, the ops' bodies composed.
KernelSpec fusedSpec(ArrayRef<Operation *> chain, ValueRange args) {
  Operation *last = chain.back();
  auto result = cast<RankedTensorType>(last->getResult(0).getType());
  unsigned rank = result.getRank();
  MLIRContext *context = last->getContext();
  KernelSpec spec;
  for (Value arg : args)
    spec.maps.push_back(
        broadcastMap(cast<RankedTensorType>(arg.getType()).getShape(),
                     result.getShape(), rank, context));
  spec.maps.push_back(AffineMap::getMultiDimIdentityMap(rank, context));
  spec.iterators.assign(rank, utils::IteratorType::parallel);
  spec.shape.assign(result.getShape().begin(), result.getShape().end());
  SmallVector<Operation *> ops(chain);
  SmallVector<Value> inputs(args);
  spec.body = [ops, inputs](OpBuilder &b, Location loc, ValueRange scalars) {
    llvm::DenseMap<Value, Value> scalarOf;
    for (auto [arg, scalar] : llvm::zip(inputs, scalars))
      scalarOf[arg] = scalar;
    Value value;
    for (Operation *op : ops) {
      SmallVector<Value> operands;
      for (Value operand : op->getOperands())
        operands.push_back(scalarOf.lookup(operand));
      value = (*elementwiseBody(op))(b, loc, operands);
      scalarOf[op->getResult(0)] = value;
    }
    return value;
  };
  return spec;
}

/// Whether `chain` is one the fused kernel takes, given the kernel's
/// arguments `args`.
bool isFusable(ArrayRef<Operation *> chain, ValueRange args) {
  if (chain.empty())
    return false;
  Type type = chain.back()->getResult(0).getType();
  for (auto [i, op] : llvm::enumerate(chain)) {
    if (!isCpuElementwise(op) || op->getResult(0).getType() != type)
      return false;
    for (Value operand : op->getOperands())
      if (!llvm::is_contained(args, operand) &&
          (i == 0 || operand != chain[i - 1]->getResult(0)))
        return false;
  }
  return true;
}
} // namespace

LogicalResult buildFusedKernel(ArrayRef<Operation *> chain, ValueRange args,
                               StringRef name, ModuleOp module) {
  if (!isFusable(chain, args))
    return chain.front()->emitOpError("starts a chain with no CPU kernel");
  registerKernelDialects(module.getContext());
  OpBuilder b(module.getBodyRegion());
  b.setInsertionPointToEnd(module.getBody());
  Location loc = chain.back()->getLoc();
  SmallVector<Type> arguments;
  for (Value arg : args)
    arguments.push_back(memrefOf(arg.getType()));
  arguments.push_back(memrefOf(chain.back()->getResult(0).getType()));
  arguments.append(2, b.getIndexType());
  auto func = func::FuncOp::create(b, loc, name,
                                   b.getFunctionType(arguments, TypeRange{}));
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  ValueRange buffers = entry->getArguments();
  buildSlicedGeneric(b, loc, fusedSpec(chain, args), buffers.drop_back(2),
                     buffers[buffers.size() - 2], buffers.back());
  func::ReturnOp::create(b, loc);
  return success();
}

int64_t fusedKernelExtent(ArrayRef<Operation *> chain) {
  KernelSpec spec = elementwiseSpec(chain.back());
  std::optional<unsigned> dim = sliceDimOf(spec);
  return dim ? spec.shape[*dim] : 1;
}

int64_t fusedKernelSliceWork(ArrayRef<Operation *> chain) {
  auto result = cast<RankedTensorType>(chain.back()->getResult(0).getType());
  return result.getNumElements() / fusedKernelExtent(chain) *
         int64_t(chain.size());
}

bool cpuApproximatesMath(StringRef function) {
  return llvm::is_contained({"exp", "log", "tanh", "erf"}, function);
}

bool cpuKernelRounds(StringRef name) {
  // Sigmoid and softmax compute exp.
  return cpuApproximatesMath(name) ||
         llvm::is_contained(
             {"sigmoid", "softmax", "log_softmax", "matmul", "conv2d"}, name);
}

bool takesEpilogue(Operation *op, const CpuEpilogue &epilogue) {
  if (epilogue.empty())
    return true;
  bool depthwise = isCpuPlane(op) && op->getName().stripDialect() == "conv2d";
  if ((!isCpuGemm(op) && !depthwise) ||
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
  return op->getName().stripDialect() == "matmul" && residual.getRank() > 0 &&
         result.getRank() > 0 &&
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
  registerKernelDialects(module.getContext());
  OpBuilder b(module.getBodyRegion());
  b.setInsertionPointToEnd(module.getBody());
  Location loc = op->getLoc();
  SmallVector<Type> arguments;
  for (Type type : op->getOperandTypes())
    arguments.push_back(memrefOf(type));
  if (epilogue.residual) // Of the result's type, or a row of it.
    arguments.push_back(memrefOf(epilogue.residual));
  arguments.push_back(memrefOf(op->getResult(0).getType()));
  arguments.append(2, b.getIndexType()); // The slice [begin, end) of d0.
  bool reportsStatus = cpuKernelReportsStatus(op);
  auto func = func::FuncOp::create(
      b, loc, name,
      b.getFunctionType(arguments, reportsStatus ? TypeRange{b.getI32Type()}
                                                 : TypeRange{}));
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  ValueRange args = entry->getArguments();
  if (isCpuLayout(op)) {
    Value status = buildLayoutKernelBody(b, loc, op, args.drop_back(2),
                                         args[args.size() - 2], args.back());
    func::ReturnOp::create(b, loc, status ? ValueRange{status} : ValueRange{});
    return success();
  }
  if (isCpuGemm(op)) {
    buildGemmKernelBody(b, loc, op, args.drop_back(2), args[args.size() - 2],
                        args.back(), options, epilogue);
    func::ReturnOp::create(b, loc);
    return success();
  }
  if (isCpuImage(op)) {
    buildImageKernelBody(b, loc, op, args.drop_back(2), args[args.size() - 2],
                         args.back(), name);
    func::ReturnOp::create(b, loc);
    return success();
  }
  if (isCpuPlane(op)) {
    buildPlaneKernelBody(b, loc, op, args.drop_back(2), args[args.size() - 2],
                         args.back(), options, epilogue);
    func::ReturnOp::create(b, loc);
    return success();
  }
  if (sumShapeOf(op)) {
    buildSum(b, loc, op, module, args[0], args[1], args[2], args[3]);
    func::ReturnOp::create(b, loc);
    return success();
  }
  if (isSoftmax(op)) {
    buildSoftmax(b, loc, op, module, args[0], args[1], args[2], args[3]);
    func::ReturnOp::create(b, loc);
    return success();
  }
  SmallVector<Value> buffers(args.drop_back(2));
  KernelSpec spec = collapseInner(b, loc, *specOf(op), buffers);
  buildSlicedGeneric(b, loc, spec, buffers, args[args.size() - 2], args.back());
  func::ReturnOp::create(b, loc);
  return success();
}

void registerLinalgKernelDialects(DialectRegistry &registry) {
  registry.insert<arith::ArithDialect, func::FuncDialect, linalg::LinalgDialect,
                  math::MathDialect, memref::MemRefDialect, scf::SCFDialect,
                  vector::VectorDialect>();
}

} // namespace sinan
