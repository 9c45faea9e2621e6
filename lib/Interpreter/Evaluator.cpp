//===- Evaluator.cpp - Reference evaluation of graph IR -------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Interpreter/Evaluator.h"

#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Graph/IR/ShapeInference.h"
#include "sinan/runtime/ref/Kernels.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace sinan {

std::optional<DType> toDType(Type type) {
  if (type.isF32())
    return DType::F32;
  if (type.isF16())
    return DType::F16;
  if (type.isBF16())
    return DType::BF16;
  if (type.isF64())
    return DType::F64;
  if (isa<Float8E4M3FNType>(type))
    return DType::F8E4M3FN;
  if (isa<Float8E4M3FNUZType>(type))
    return DType::F8E4M3FNUZ;
  if (isa<Float8E5M2Type>(type))
    return DType::F8E5M2;
  if (isa<Float8E5M2FNUZType>(type))
    return DType::F8E5M2FNUZ;
  if (isa<Float8E8M0FNUType>(type))
    return DType::F8E8M0FNU;
  if (isa<Float4E2M1FNType>(type))
    return DType::F4E2M1FN;
  auto integer = dyn_cast<IntegerType>(type);
  if (!integer)
    return std::nullopt;
  unsigned width = integer.getWidth();
  if (integer.isUnsigned()) {
    switch (width) {
    case 4:
      return DType::U4;
    case 8:
      return DType::U8;
    case 16:
      return DType::U16;
    case 32:
      return DType::U32;
    case 64:
      return DType::U64;
    default:
      return std::nullopt;
    }
  }
  if (!integer.isSignless())
    return std::nullopt;
  switch (width) {
  case 1:
    return DType::I1;
  case 4:
    return DType::I4;
  case 8:
    return DType::I8;
  case 16:
    return DType::I16;
  case 32:
    return DType::I32;
  case 64:
    return DType::I64;
  default:
    return std::nullopt;
  }
}

Type toMlirType(DType type, MLIRContext &context) {
  Builder b(&context);
  switch (type) {
  case DType::F32:
    return b.getF32Type();
  case DType::F16:
    return b.getF16Type();
  case DType::BF16:
    return b.getBF16Type();
  case DType::F64:
    return b.getF64Type();
  case DType::I1:
    return b.getIntegerType(1);
  case DType::I8:
    return b.getIntegerType(8);
  case DType::I16:
    return b.getIntegerType(16);
  case DType::I32:
    return b.getIntegerType(32);
  case DType::I64:
    return b.getIntegerType(64);
  case DType::U8:
    return b.getIntegerType(8, false);
  case DType::U16:
    return b.getIntegerType(16, false);
  case DType::U32:
    return b.getIntegerType(32, false);
  case DType::U64:
    return b.getIntegerType(64, false);
  case DType::F8E4M3FN:
    return b.getType<Float8E4M3FNType>();
  case DType::F8E4M3FNUZ:
    return b.getType<Float8E4M3FNUZType>();
  case DType::F8E5M2:
    return b.getType<Float8E5M2Type>();
  case DType::F8E5M2FNUZ:
    return b.getType<Float8E5M2FNUZType>();
  case DType::F8E8M0FNU:
    return b.getType<Float8E8M0FNUType>();
  case DType::F4E2M1FN:
    return b.getType<Float4E2M1FNType>();
  case DType::I4:
    return b.getIntegerType(4);
  case DType::U4:
    return b.getIntegerType(4, false);
  }
  return {};
}

Tensor toTensor(DenseElementsAttr attr) {
  auto type = cast<RankedTensorType>(attr.getType());
  Tensor tensor(
      *toDType(type.getElementType()),
      std::vector<int64_t>(type.getShape().begin(), type.getShape().end()));
  if (type.getElementType().isInteger(1)) {
    int64_t i = 0;
    for (bool value : attr.getValues<bool>())
      tensor.data()[i++] = value;
    return tensor;
  }
  // 4-bit types: one element per byte (i4 sign-extended) from the values, not
  // from MLIR's storage layout.
  if (tensor.type() == DType::F4E2M1FN) {
    int64_t i = 0;
    for (const APFloat &value : attr.getValues<APFloat>())
      tensor.data()[i++] = value.bitcastToAPInt().getZExtValue();
    return tensor;
  }
  if (tensor.type() == DType::I4 || tensor.type() == DType::U4) {
    int64_t i = 0;
    bool isSigned = tensor.type() == DType::I4;
    for (const APInt &value : attr.getValues<APInt>())
      tensor.data()[i++] = static_cast<uint8_t>(
          isSigned ? value.getSExtValue() : value.getZExtValue());
    return tensor;
  }
  ArrayRef<char> raw = attr.getRawData();
  size_t width = dtypeSize(tensor.type());
  if (attr.isSplat()) {
    for (int64_t i = 0; i < tensor.numElements(); ++i)
      std::memcpy(tensor.data() + i * width, raw.data(), width);
  } else if (tensor.byteSize() != 0) { // memcpy may not see null pointers
    std::memcpy(tensor.data(), raw.data(), tensor.byteSize());
  }
  return tensor;
}

DenseElementsAttr toAttr(const Tensor &tensor, RankedTensorType type) {
  if (tensor.type() == DType::I1) {
    SmallVector<bool> values(tensor.data(),
                             tensor.data() + tensor.numElements());
    return DenseElementsAttr::get(type, values);
  }
  if (tensor.type() == DType::F4E2M1FN) {
    const llvm::fltSemantics &semantics =
        cast<FloatType>(type.getElementType()).getFloatSemantics();
    SmallVector<APFloat> values;
    for (int64_t i = 0; i < tensor.numElements(); ++i)
      values.emplace_back(semantics, APInt(4, tensor.data()[i] & 0xF));
    return DenseElementsAttr::get(type, values);
  }
  if (tensor.type() == DType::I4 || tensor.type() == DType::U4) {
    SmallVector<APInt> values;
    for (int64_t i = 0; i < tensor.numElements(); ++i)
      values.emplace_back(4, tensor.data()[i] & 0xF);
    return DenseElementsAttr::get(type, values);
  }
  return DenseElementsAttr::getFromRawBuffer(
      type, ArrayRef<char>(reinterpret_cast<const char *>(tensor.data()),
                           tensor.byteSize()));
}

namespace {
std::optional<ref::BinaryOp> binaryKind(Operation *op) {
  return TypeSwitch<Operation *, std::optional<ref::BinaryOp>>(op)
      .Case<graph::AddOp>([](auto) { return ref::BinaryOp::Add; })
      .Case<graph::SubOp>([](auto) { return ref::BinaryOp::Sub; })
      .Case<graph::MulOp>([](auto) { return ref::BinaryOp::Mul; })
      .Case<graph::DivOp>([](auto) { return ref::BinaryOp::Div; })
      .Case<graph::PowOp>([](auto) { return ref::BinaryOp::Pow; })
      .Case<graph::MaxOp>([](auto) { return ref::BinaryOp::Max; })
      .Case<graph::MinOp>([](auto) { return ref::BinaryOp::Min; })
      .Case<graph::AndOp>([](auto) { return ref::BinaryOp::And; })
      .Case<graph::OrOp>([](auto) { return ref::BinaryOp::Or; })
      .Case<graph::XorOp>([](auto) { return ref::BinaryOp::Xor; })
      .Case<graph::BitAndOp>([](auto) { return ref::BinaryOp::And; })
      .Case<graph::BitOrOp>([](auto) { return ref::BinaryOp::Or; })
      .Case<graph::BitXorOp>([](auto) { return ref::BinaryOp::Xor; })
      .Case<graph::ShiftLeftOp>([](auto) { return ref::BinaryOp::ShiftLeft; })
      .Case<graph::ShiftRightOp>([](auto) { return ref::BinaryOp::ShiftRight; })
      .Default([](Operation *) { return std::nullopt; });
}

std::optional<ref::UnaryOp> unaryKind(Operation *op) {
  return TypeSwitch<Operation *, std::optional<ref::UnaryOp>>(op)
      .Case<graph::ReluOp>([](auto) { return ref::UnaryOp::Relu; })
      .Case<graph::NegOp>([](auto) { return ref::UnaryOp::Neg; })
      .Case<graph::AbsOp>([](auto) { return ref::UnaryOp::Abs; })
      .Case<graph::ExpOp>([](auto) { return ref::UnaryOp::Exp; })
      .Case<graph::LogOp>([](auto) { return ref::UnaryOp::Log; })
      .Case<graph::SqrtOp>([](auto) { return ref::UnaryOp::Sqrt; })
      .Case<graph::ReciprocalOp>([](auto) { return ref::UnaryOp::Reciprocal; })
      .Case<graph::TanhOp>([](auto) { return ref::UnaryOp::Tanh; })
      .Case<graph::SigmoidOp>([](auto) { return ref::UnaryOp::Sigmoid; })
      .Case<graph::ErfOp>([](auto) { return ref::UnaryOp::Erf; })
      .Case<graph::FloorOp>([](auto) { return ref::UnaryOp::Floor; })
      .Case<graph::CeilOp>([](auto) { return ref::UnaryOp::Ceil; })
      .Case<graph::SinOp>([](auto) { return ref::UnaryOp::Sin; })
      .Case<graph::CosOp>([](auto) { return ref::UnaryOp::Cos; })
      .Case<graph::NotOp>([](auto) { return ref::UnaryOp::Not; })
      .Case<graph::RoundOp>([](auto) { return ref::UnaryOp::Round; })
      .Case<graph::TanOp>([](auto) { return ref::UnaryOp::Tan; })
      .Case<graph::AsinOp>([](auto) { return ref::UnaryOp::Asin; })
      .Case<graph::AcosOp>([](auto) { return ref::UnaryOp::Acos; })
      .Case<graph::AtanOp>([](auto) { return ref::UnaryOp::Atan; })
      .Case<graph::SinhOp>([](auto) { return ref::UnaryOp::Sinh; })
      .Case<graph::CoshOp>([](auto) { return ref::UnaryOp::Cosh; })
      .Case<graph::AsinhOp>([](auto) { return ref::UnaryOp::Asinh; })
      .Case<graph::AcoshOp>([](auto) { return ref::UnaryOp::Acosh; })
      .Case<graph::AtanhOp>([](auto) { return ref::UnaryOp::Atanh; })
      .Case<graph::BitNotOp>([](auto) { return ref::UnaryOp::BitNot; })
      .Default([](Operation *) { return std::nullopt; });
}

std::optional<ref::CompareOp> compareKind(Operation *op) {
  return TypeSwitch<Operation *, std::optional<ref::CompareOp>>(op)
      .Case<graph::EqualOp>([](auto) { return ref::CompareOp::Equal; })
      .Case<graph::LessOp>([](auto) { return ref::CompareOp::Less; })
      .Case<graph::LessEqualOp>([](auto) { return ref::CompareOp::LessEqual; })
      .Case<graph::GreaterOp>([](auto) { return ref::CompareOp::Greater; })
      .Case<graph::GreaterEqualOp>(
          [](auto) { return ref::CompareOp::GreaterEqual; })
      .Default([](Operation *) { return std::nullopt; });
}

std::optional<ref::ReduceOp> reduceKind(Operation *op) {
  return TypeSwitch<Operation *, std::optional<ref::ReduceOp>>(op)
      .Case<graph::ReduceSumOp>([](auto) { return ref::ReduceOp::Sum; })
      .Case<graph::ReduceMeanOp>([](auto) { return ref::ReduceOp::Mean; })
      .Case<graph::ReduceMaxOp>([](auto) { return ref::ReduceOp::Max; })
      .Case<graph::ReduceMinOp>([](auto) { return ref::ReduceOp::Min; })
      .Case<graph::ReduceProdOp>([](auto) { return ref::ReduceOp::Prod; })
      .Default([](Operation *) { return std::nullopt; });
}

std::string where(Operation *op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  op->getLoc().print(os);
  return text + " (" + op->getName().getStringRef().str() + ")";
}

std::vector<int64_t> normalized(ArrayRef<int64_t> axes, int64_t rank) {
  std::vector<int64_t> result;
  for (int64_t axis : axes)
    result.push_back(*graph::normalizeAxis(axis, rank));
  std::sort(result.begin(), result.end());
  return result;
}

/// The shape an op produces for these operand shapes, from the op's shape
/// function (so dynamic dimensions resolve at run time).
FailureOr<SmallVector<int64_t>>
resultShape(Operation *op, const std::vector<const Tensor *> &operands) {
  auto shape = [&](int i) { return ArrayRef<int64_t>(operands[i]->shape()); };
  if (isa<graph::GatherElementsOp>(op))
    return SmallVector<int64_t>(shape(1).begin(), shape(1).end());
  if (auto g = dyn_cast<graph::GatherNdOp>(op))
    return graph::inferGatherNdShape(shape(0), shape(1), g.getBatchDims());
  if (binaryKind(op) || compareKind(op) || isa<graph::ModOp>(op))
    return graph::inferBroadcastShape(shape(0), shape(1));
  return TypeSwitch<Operation *, FailureOr<SmallVector<int64_t>>>(op)
      .Case<graph::SelectOp>([&](auto) -> FailureOr<SmallVector<int64_t>> {
        auto first = graph::inferBroadcastShape(shape(0), shape(1));
        if (failed(first))
          return failure();
        return graph::inferBroadcastShape(*first, shape(2));
      })
      .Case<graph::MatMulOp>(
          [&](auto) { return graph::inferMatMulShape(shape(0), shape(1)); })
      .Case<graph::Conv2dOp>([&](graph::Conv2dOp conv) {
        graph::Conv2dParams params{conv.getStrides(), conv.getPads(),
                                   conv.getDilations(),
                                   static_cast<int64_t>(conv.getGroup())};
        std::optional<ArrayRef<int64_t>> bias;
        if (operands.size() > 2)
          bias = shape(2);
        return graph::inferConv2dShape(shape(0), shape(1), bias, params);
      })
      .Case<graph::TransposeOp>([&](graph::TransposeOp t) {
        return graph::inferTransposeShape(shape(0), t.getPermutation());
      })
      .Case<graph::ConvTranspose2dOp>([&](graph::ConvTranspose2dOp c) {
        graph::ConvTranspose2dParams params{
            c.getStrides(), c.getPads(), c.getDilations(), c.getOutputPadding(),
            static_cast<int64_t>(c.getGroup())};
        std::optional<ArrayRef<int64_t>> bias;
        if (operands.size() > 2)
          bias = shape(2);
        return graph::inferConvTranspose2dShape(shape(0), shape(1), bias,
                                                params);
      })
      .Case<graph::ConcatOp>([&](graph::ConcatOp c) {
        SmallVector<ArrayRef<int64_t>> shapes;
        for (size_t i = 0; i < operands.size(); ++i)
          shapes.push_back(shape(i));
        return graph::inferConcatShape(shapes,
                                       static_cast<int64_t>(c.getAxis()));
      })
      .Case<graph::GatherOp>([&](graph::GatherOp g) {
        return graph::inferGatherShape(shape(0), shape(1),
                                       static_cast<int64_t>(g.getAxis()));
      })
      .Case<graph::ReduceSumOp, graph::ReduceMeanOp, graph::ReduceMaxOp,
            graph::ReduceMinOp, graph::ReduceProdOp>([&](auto r) {
        return graph::inferReduceShape(shape(0), r.getAxes(), r.getKeepdims());
      })
      .Case<graph::MaxPool2dOp, graph::AvgPool2dOp>([&](auto pool) {
        graph::Pool2dParams params{pool.getKernel(), pool.getStrides(),
                                   pool.getPads(), pool.getDilations(),
                                   pool.getCeilMode()};
        return graph::inferPool2dShape(shape(0), params);
      })
      .Case<graph::SliceOp>([&](graph::SliceOp sl) {
        return graph::inferSliceShape(shape(0), sl.getStarts(), sl.getLimits(),
                                      sl.getSteps());
      })
      .Case<graph::PadOp>([&](graph::PadOp p) {
        return graph::inferPadShape(shape(0), p.getLow(), p.getHigh());
      })
      .Case<graph::TileOp>([&](graph::TileOp t) {
        return graph::inferTileShape(shape(0), t.getRepeats());
      })
      .Case<graph::ArgMaxOp, graph::ArgMinOp>([&](auto a) {
        SmallVector<int64_t> axes{static_cast<int64_t>(a.getAxis())};
        return graph::inferReduceShape(shape(0), axes, a.getKeepdims());
      })
      .Case<graph::ReshapeOp, graph::BroadcastOp, graph::ResizeOp>(
          [&](auto r) -> FailureOr<SmallVector<int64_t>> {
            auto type = cast<RankedTensorType>(r.getType());
            if (!type.hasStaticShape())
              return failure();
            return SmallVector<int64_t>(type.getShape());
          })
      .Default([&](Operation *) {
        return SmallVector<int64_t>(shape(0).begin(), shape(0).end());
      });
}

ref::ScatterReduction scatterReduction(StringRef name) {
  return llvm::StringSwitch<ref::ScatterReduction>(name)
      .Case("add", ref::ScatterReduction::Add)
      .Case("mul", ref::ScatterReduction::Mul)
      .Case("max", ref::ScatterReduction::Max)
      .Case("min", ref::ScatterReduction::Min)
      .Default(ref::ScatterReduction::None);
}

template <typename PoolOp> ref::Pool2dParams poolParams(PoolOp pool) {
  ref::Pool2dParams params;
  std::copy_n(pool.getKernel().begin(), 2, params.kernel.begin());
  std::copy_n(pool.getStrides().begin(), 2, params.strides.begin());
  std::copy_n(pool.getDilations().begin(), 2, params.dilations.begin());
  std::copy_n(pool.getPads().begin(), 4, params.pads.begin());
  return params;
}
} // namespace

std::optional<std::vector<Tensor>>
evaluateOp(Operation *op, const std::vector<const Tensor *> &operands,
           std::string &error) {
  if (auto constant = dyn_cast<graph::ConstantOp>(op)) {
    auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
    if (!dense) {
      error = where(op) + ": only dense constants can be evaluated";
      return std::nullopt;
    }
    return std::vector<Tensor>{toTensor(dense)};
  }
  if (auto topK = dyn_cast<graph::TopKOp>(op)) {
    const Tensor &x = *operands[0];
    int64_t axis = *graph::normalizeAxis(topK.getAxis(), x.rank());
    int64_t k = topK.getK();
    if (k > x.shape()[axis]) {
      error = where(op) + ": k exceeds the axis size at run time";
      return std::nullopt;
    }
    std::vector<int64_t> shape = x.shape();
    shape[axis] = k;
    std::vector<Tensor> results;
    results.emplace_back(x.type(), shape);
    results.emplace_back(DType::I64, shape);
    ref::topK(x, k, axis, topK.getLargest(), results[0], results[1]);
    return results;
  }
  FailureOr<SmallVector<int64_t>> shape = resultShape(op, operands);
  if (failed(shape)) {
    error = where(op) + ": operand shapes are incompatible at run time";
    return std::nullopt;
  }
  std::optional<DType> resultType =
      toDType(getElementTypeOrSelf(op->getResult(0).getType()));
  Tensor out(*resultType, std::vector<int64_t>(shape->begin(), shape->end()));
  const Tensor &x = *operands[0];
  bool ok = true;
  if (auto kind = binaryKind(op)) {
    ref::binary(*kind, x, *operands[1], out);
  } else if (auto kind = unaryKind(op)) {
    ref::unary(*kind, x, out);
  } else if (auto kind = compareKind(op)) {
    ref::compare(*kind, x, *operands[1], out);
  } else if (auto kind = reduceKind(op)) {
    auto axes = cast<DenseI64ArrayAttr>(op->getAttr("axes")).asArrayRef();
    ref::reduce(*kind, x, normalized(axes, x.rank()), out);
  } else {
    ok =
        TypeSwitch<Operation *, bool>(op)
            .Case<graph::SelectOp>([&](auto) {
              ref::select(x, *operands[1], *operands[2], out);
              return true;
            })
            .Case<graph::MatMulOp>([&](auto) {
              ref::matmul(x, *operands[1], out);
              return true;
            })
            .Case<graph::Conv2dOp>([&](graph::Conv2dOp conv) {
              ref::Conv2dParams params;
              std::copy_n(conv.getStrides().begin(), 2, params.strides.begin());
              std::copy_n(conv.getPads().begin(), 4, params.pads.begin());
              std::copy_n(conv.getDilations().begin(), 2,
                          params.dilations.begin());
              params.group = static_cast<int64_t>(conv.getGroup());
              ref::conv2d(x, *operands[1],
                          operands.size() > 2 ? operands[2] : nullptr, params,
                          out);
              return true;
            })
            .Case<graph::ReshapeOp>([&](auto) {
              if (x.byteSize() != 0)
                std::memcpy(out.data(), x.data(), x.byteSize());
              return true;
            })
            .Case<graph::ConvTranspose2dOp>([&](graph::ConvTranspose2dOp c) {
              ref::ConvTranspose2dParams params;
              std::copy_n(c.getStrides().begin(), 2, params.strides.begin());
              std::copy_n(c.getPads().begin(), 4, params.pads.begin());
              std::copy_n(c.getDilations().begin(), 2,
                          params.dilations.begin());
              params.group = static_cast<int64_t>(c.getGroup());
              ref::convTranspose2d(x, *operands[1],
                                   operands.size() > 2 ? operands[2] : nullptr,
                                   params, out);
              return true;
            })
            .Case<graph::ResizeOp>([&](graph::ResizeOp r) {
              ref::ResizeParams params;
              params.mode = r.getMode().str();
              params.coordinateMode = r.getCoordinateMode().str();
              params.nearestMode = r.getNearestMode().str();
              for (Attribute scale : r.getScales())
                params.scales.push_back(
                    cast<FloatAttr>(scale).getValueAsDouble());
              params.cubicCoeffA = r.getCubicCoeffA().convertToDouble();
              params.excludeOutside = r.getExcludeOutside();
              ref::resize(x, params, out);
              return true;
            })
            .Case<graph::ModOp>([&](graph::ModOp m) {
              ref::mod(x, *operands[1], m.getFmod(), out);
              return true;
            })
            .Case<graph::TriluOp>([&](graph::TriluOp t) {
              ref::trilu(x, t.getUpper(), static_cast<int64_t>(t.getK()), out);
              return true;
            })
            .Case<graph::GatherNdOp>([&](graph::GatherNdOp g) {
              if (ref::gatherNd(x, *operands[1], g.getBatchDims(), out, error))
                return true;
              error = where(op) + ": " + error;
              return false;
            })
            .Case<graph::ScatterNdOp>([&](graph::ScatterNdOp sc) {
              if (ref::scatterNd(x, *operands[1], *operands[2],
                                 scatterReduction(sc.getReduction()), out,
                                 error))
                return true;
              error = where(op) + ": " + error;
              return false;
            })
            .Case<graph::ScatterElementsOp>([&](graph::ScatterElementsOp sc) {
              if (ref::scatterElements(
                      x, *operands[1], *operands[2],
                      *graph::normalizeAxis(sc.getAxis(), x.rank()),
                      scatterReduction(sc.getReduction()), out, error))
                return true;
              error = where(op) + ": " + error;
              return false;
            })
            .Case<graph::GatherElementsOp>([&](graph::GatherElementsOp g) {
              if (ref::gatherElements(
                      x, *operands[1],
                      *graph::normalizeAxis(static_cast<int64_t>(g.getAxis()),
                                            x.rank()),
                      out, error))
                return true;
              error = where(op) + ": " + error;
              return false;
            })
            .Case<graph::CumSumOp>([&](graph::CumSumOp c) {
              ref::cumsum(x,
                          *graph::normalizeAxis(
                              static_cast<int64_t>(c.getAxis()), x.rank()),
                          c.getExclusive(), c.getReverse(), out);
              return true;
            })
            .Case<graph::HardmaxOp>([&](graph::HardmaxOp h) {
              ref::hardmax(x,
                           *graph::normalizeAxis(
                               static_cast<int64_t>(h.getAxis()), x.rank()),
                           out);
              return true;
            })
            .Case<graph::SliceOp>([&](graph::SliceOp sl) {
              ref::slice(x,
                         std::vector<int64_t>(sl.getStarts().begin(),
                                              sl.getStarts().end()),
                         std::vector<int64_t>(sl.getSteps().begin(),
                                              sl.getSteps().end()),
                         out);
              return true;
            })
            .Case<graph::PadOp>([&](graph::PadOp p) {
              ref::pad(
                  x, std::vector<int64_t>(p.getLow().begin(), p.getLow().end()),
                  p.getMode().str(), p.getValue().convertToDouble(), out);
              return true;
            })
            .Case<graph::TileOp>([&](auto) {
              ref::tile(x, out);
              return true;
            })
            .Case<graph::BroadcastOp>([&](auto) {
              ref::broadcastTo(x, out);
              return true;
            })
            .Case<graph::ArgMaxOp, graph::ArgMinOp>([&](auto a) {
              ref::argExtreme(x,
                              *graph::normalizeAxis(
                                  static_cast<int64_t>(a.getAxis()), x.rank()),
                              isa<graph::ArgMaxOp>(op), a.getSelectLastIndex(),
                              out);
              return true;
            })
            .Case<graph::TransposeOp>([&](graph::TransposeOp t) {
              ref::transpose(x,
                             std::vector<int64_t>(t.getPermutation().begin(),
                                                  t.getPermutation().end()),
                             out);
              return true;
            })
            .Case<graph::ConcatOp>([&](graph::ConcatOp c) {
              ref::concat(operands,
                          *graph::normalizeAxis(
                              static_cast<int64_t>(c.getAxis()), x.rank()),
                          out);
              return true;
            })
            .Case<graph::GatherOp>([&](graph::GatherOp g) {
              if (ref::gather(x, *operands[1],
                              *graph::normalizeAxis(
                                  static_cast<int64_t>(g.getAxis()), x.rank()),
                              out, error))
                return true;
              error = where(op) + ": " + error;
              return false;
            })
            .Case<graph::CastOp>([&](graph::CastOp c) {
              StringRef mode = c.getRoundMode();
              ref::cast(x, out, c.getSaturate(),
                        mode == "down"      ? E8M0Rounding::Down
                        : mode == "nearest" ? E8M0Rounding::Nearest
                                            : E8M0Rounding::Up);
              return true;
            })
            .Case<graph::SoftmaxOp, graph::LogSoftmaxOp>([&](auto s) {
              ref::softmax(x,
                           *graph::normalizeAxis(
                               static_cast<int64_t>(s.getAxis()), x.rank()),
                           isa<graph::LogSoftmaxOp>(op), out);
              return true;
            })
            .Case<graph::LrnOp>([&](graph::LrnOp l) {
              ref::lrn(x, static_cast<int64_t>(l.getSize()),
                       l.getAlpha().convertToFloat(),
                       l.getBeta().convertToFloat(),
                       l.getBias().convertToFloat(), out);
              return true;
            })
            .Case<graph::LeakyReluOp>([&](graph::LeakyReluOp l) {
              ref::leakyRelu(x, l.getAlpha().convertToFloat(), out);
              return true;
            })
            .Case<graph::MaxPool2dOp>([&](graph::MaxPool2dOp pool) {
              ref::maxPool2d(x, poolParams(pool), out);
              return true;
            })
            .Case<graph::AvgPool2dOp>([&](graph::AvgPool2dOp pool) {
              ref::Pool2dParams params = poolParams(pool);
              params.countIncludePad = pool.getCountIncludePad();
              ref::avgPool2d(x, params, out);
              return true;
            })
            .Default([&](Operation *) {
              error = where(op) + ": no reference kernel";
              return false;
            });
  }
  if (!ok)
    return std::nullopt;
  std::vector<Tensor> results;
  results.push_back(std::move(out));
  return results;
}

std::optional<std::vector<Tensor>> evaluate(func::FuncOp func,
                                            const std::vector<Tensor> &inputs,
                                            std::string &error) {
  FunctionType type = func.getFunctionType();
  if (inputs.size() != type.getNumInputs()) {
    error = llvm::formatv("expected {0} inputs, got {1}", type.getNumInputs(),
                          inputs.size());
    return std::nullopt;
  }
  llvm::DenseMap<Value, Tensor> values;
  for (auto [index, arg] : llvm::enumerate(func.getArguments())) {
    auto argType = cast<RankedTensorType>(arg.getType());
    const Tensor &tensor = inputs[index];
    std::optional<DType> want = toDType(argType.getElementType());
    bool shapeOk =
        static_cast<int64_t>(tensor.shape().size()) == argType.getRank();
    for (int64_t d = 0; shapeOk && d < argType.getRank(); ++d)
      shapeOk =
          argType.isDynamicDim(d) || argType.getDimSize(d) == tensor.shape()[d];
    if (!want || *want != tensor.type() || !shapeOk) {
      auto name = func.getArgAttrOfType<StringAttr>(index, "graph.name");
      std::string typeText;
      llvm::raw_string_ostream os(typeText);
      os << argType;
      error = llvm::formatv("input {0} ('{1}') is {2}, the model expects {3}",
                            index, name ? name.getValue() : "",
                            tensor.describe(), typeText);
      return std::nullopt;
    }
    values[arg] = tensor;
  }

  for (Operation &op : func.getBody().front()) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      std::vector<Tensor> results;
      for (Value v : ret.getOperands())
        results.push_back(values.lookup(v));
      return results;
    }
    std::vector<const Tensor *> operands;
    for (Value v : op.getOperands())
      operands.push_back(&values.find(v)->second);
    auto results = evaluateOp(&op, operands, error);
    if (!results)
      return std::nullopt;
    for (auto [result, tensor] : llvm::zip(op.getResults(), *results))
      values[result] = std::move(tensor);
  }
  error = "function has no return";
  return std::nullopt;
}

} // namespace sinan
