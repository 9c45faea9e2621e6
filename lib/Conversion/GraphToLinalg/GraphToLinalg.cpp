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
/// the output, iterators, body) over the output.
struct KernelSpec {
  SmallVector<AffineMap> maps;
  SmallVector<utils::IteratorType> iterators;
  Body body; ///< Of the inputs' elements and the output's.
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
  spec.body = *elementwiseBody(op);
  return spec;
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

/// The kernel over the slice [begin, end) of iteration dimension 0 (always
/// parallel): every operand indexed by d0 is viewed through a subview of
/// that range, the others whole. Rank-0 results have no dimension to split.
void buildSlicedGeneric(OpBuilder &b, Location loc, const KernelSpec &spec,
                        ValueRange operands, Value begin, Value end) {
  SmallVector<Value> views(operands);
  if (!spec.iterators.empty())
    views = sliceAlong(b, loc, operands, spec.maps, 0, begin,
                       arith::SubIOp::create(b, loc, end, begin).getResult());
  buildGeneric(b, loc, spec, views);
}

} // namespace

int64_t linalgKernelExtent(Operation *op) {
  if (isCpuGemm(op))
    return gemmKernelExtent(op);
  auto result = cast<RankedTensorType>(op->getResult(0).getType());
  return result.getRank() == 0 ? 1 : result.getDimSize(0);
}

int64_t linalgKernelSliceWork(Operation *op) {
  if (isCpuGemm(op))
    return gemmKernelUnitWork(op);
  auto result = cast<RankedTensorType>(op->getResult(0).getType());
  return result.getNumElements() / linalgKernelExtent(op);
}

bool hasLinalgKernel(Operation *op) {
  if (isCpuGemm(op))
    return true;
  if (op->getNumResults() != 1 || !staticF32(op->getResult(0).getType()))
    return false;
  for (Type type : op->getOperandTypes())
    if (!staticF32(type))
      return false;
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

LogicalResult buildLinalgKernel(Operation *op, StringRef name, ModuleOp module,
                                const CpuKernelOptions &options) {
  if (!hasLinalgKernel(op))
    return op->emitOpError("has no CPU kernel");
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
  arguments.push_back(memrefOf(op->getResult(0).getType()));
  arguments.append(2, b.getIndexType()); // The slice [begin, end) of d0.
  auto func = func::FuncOp::create(b, loc, name,
                                   b.getFunctionType(arguments, TypeRange{}));
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  ValueRange args = entry->getArguments();
  if (isCpuGemm(op)) {
    buildGemmKernelBody(b, loc, op, args.drop_back(2), args[args.size() - 2],
                        args.back(), options);
    func::ReturnOp::create(b, loc);
    return success();
  }
  KernelSpec spec = elementwiseSpec(op);
  buildSlicedGeneric(b, loc, spec, args.drop_back(2), args[args.size() - 2],
                     args.back());
  func::ReturnOp::create(b, loc);
  return success();
}

void registerLinalgKernelDialects(DialectRegistry &registry) {
  registry.insert<arith::ArithDialect, func::FuncDialect, linalg::LinalgDialect,
                  math::MathDialect, memref::MemRefDialect, scf::SCFDialect,
                  vector::VectorDialect>();
}

} // namespace sinan
