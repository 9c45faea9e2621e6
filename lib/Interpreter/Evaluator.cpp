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
  FailureOr<SmallVector<int64_t>> result =
      TypeSwitch<Operation *, FailureOr<SmallVector<int64_t>>>(op)
          .Case<graph::AddOp, graph::MulOp>([&](auto) {
            return graph::inferBroadcastShape(shape(0), shape(1));
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
    TypeSwitch<Operation *>(&op)
        .Case<graph::AddOp>([&](auto) {
          ref::binary(ref::BinaryOp::Add, *operands[0], *operands[1], out);
        })
        .Case<graph::MulOp>([&](auto) {
          ref::binary(ref::BinaryOp::Mul, *operands[0], *operands[1], out);
        })
        .Case<graph::ReluOp>(
            [&](auto) { ref::unary(ref::UnaryOp::Relu, *operands[0], out); })
        .Case<graph::MatMulOp>(
            [&](auto) { ref::matmul(*operands[0], *operands[1], out); })
        .Case<graph::Conv2dOp>([&](graph::Conv2dOp conv) {
          ref::Conv2dParams params;
          std::copy_n(conv.getStrides().begin(), 2, params.strides.begin());
          std::copy_n(conv.getPads().begin(), 4, params.pads.begin());
          std::copy_n(conv.getDilations().begin(), 2, params.dilations.begin());
          params.group = static_cast<int64_t>(conv.getGroup());
          ref::conv2d(*operands[0], *operands[1],
                      operands.size() > 2 ? operands[2] : nullptr, params, out);
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
