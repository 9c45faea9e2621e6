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
  if (type.isInteger(8))
    return DType::I8;
  if (type.isInteger(32))
    return DType::I32;
  if (type.isInteger(64))
    return DType::I64;
  if (type.isInteger(1))
    return DType::I1;
  return std::nullopt;
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
  ArrayRef<char> raw = attr.getRawData();
  size_t width = dtypeSize(tensor.type());
  if (attr.isSplat()) {
    for (int64_t i = 0; i < tensor.numElements(); ++i)
      std::memcpy(tensor.data() + i * width, raw.data(), width);
  } else {
    std::memcpy(tensor.data(), raw.data(), tensor.byteSize());
  }
  return tensor;
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

std::string where(Operation *op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  op->getLoc().print(os);
  return text + " (" + op->getName().getStringRef().str() + ")";
}

/// The shape an op produces for these operand shapes, or an error.
FailureOr<SmallVector<int64_t>> resultShape(Operation *op,
                                            ArrayRef<const Tensor *> operands,
                                            std::string &error) {
  auto shape = [&](int i) { return ArrayRef<int64_t>(operands[i]->shape()); };
  if (binaryKind(op) || compareKind(op)) {
    FailureOr<SmallVector<int64_t>> result =
        graph::inferBroadcastShape(shape(0), shape(1));
    if (failed(result))
      error = where(op) + ": operand shapes are incompatible at run time";
    return result;
  }
  FailureOr<SmallVector<int64_t>> result =
      TypeSwitch<Operation *, FailureOr<SmallVector<int64_t>>>(op)
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
          .Default([&](Operation *) {
            return SmallVector<int64_t>(shape(0).begin(), shape(0).end());
          });
  if (failed(result))
    error = where(op) + ": operand shapes are incompatible at run time";
  return result;
}
} // namespace

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

  std::vector<Tensor> results;
  for (Operation &op : func.getBody().front()) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (Value v : ret.getOperands())
        results.push_back(values.lookup(v));
      return results;
    }
    if (auto constant = dyn_cast<graph::ConstantOp>(op)) {
      auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
      if (!dense) {
        error = where(&op) + ": only dense constants can be evaluated";
        return std::nullopt;
      }
      values[constant.getResult()] = toTensor(dense);
      continue;
    }
    SmallVector<const Tensor *> operands;
    for (Value v : op.getOperands())
      operands.push_back(&values.find(v)->second);
    FailureOr<SmallVector<int64_t>> shape = resultShape(&op, operands, error);
    if (failed(shape))
      return std::nullopt;
    std::optional<DType> resultType =
        toDType(getElementTypeOrSelf(op.getResult(0).getType()));
    Tensor out(*resultType, std::vector<int64_t>(shape->begin(), shape->end()));
    bool handled = true;
    if (auto kind = binaryKind(&op))
      ref::binary(*kind, *operands[0], *operands[1], out);
    else if (auto kind = unaryKind(&op))
      ref::unary(*kind, *operands[0], out);
    else if (auto kind = compareKind(&op))
      ref::compare(*kind, *operands[0], *operands[1], out);
    else
      TypeSwitch<Operation *>(&op)
          .Case<graph::SelectOp>([&](auto) {
            ref::select(*operands[0], *operands[1], *operands[2], out);
          })
          .Case<graph::MatMulOp>(
              [&](auto) { ref::matmul(*operands[0], *operands[1], out); })
          .Case<graph::Conv2dOp>([&](graph::Conv2dOp conv) {
            ref::Conv2dParams params;
            std::copy_n(conv.getStrides().begin(), 2, params.strides.begin());
            std::copy_n(conv.getPads().begin(), 4, params.pads.begin());
            std::copy_n(conv.getDilations().begin(), 2,
                        params.dilations.begin());
            params.group = static_cast<int64_t>(conv.getGroup());
            ref::conv2d(*operands[0], *operands[1],
                        operands.size() > 2 ? operands[2] : nullptr, params,
                        out);
          })
          .Default([&](Operation *) { handled = false; });
    if (!handled) {
      error = where(&op) + ": no reference kernel";
      return std::nullopt;
    }
    values[op.getResult(0)] = std::move(out);
  }
  error = "function has no return";
  return std::nullopt;
}

} // namespace sinan
