//===- Evaluator.cpp - Reference evaluation of graph IR -------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Interpreter/Evaluator.h"

#include "sinan/Bridge/RuntimeBridge.h"

#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Graph/IR/ShapeInference.h"
#include "sinan/runtime/ref/HostOps.h"
#include "sinan/runtime/ref/Kernels.h"
#include "sinan/runtime/shape/ShapeRules.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace sinan {

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
      .Case<graph::AttentionOp>([&](auto) -> FailureOr<SmallVector<int64_t>> {
        std::string why;
        std::optional<shape::Dims> mask;
        if (operands.size() > 3)
          mask = shape::Dims(shape(3));
        std::optional<shape::Shape> result =
            shape::attention(shape(0), shape(1), shape(2), mask, why);
        if (!result)
          return failure();
        return SmallVector<int64_t>(result->begin(), result->end());
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
  std::vector<Tensor> results;
  if (auto topK = dyn_cast<graph::TopKOp>(op)) {
    const Tensor &x = *operands[0];
    std::vector<int64_t> shape = x.shape();
    if (auto axis = graph::normalizeAxis(topK.getAxis(), x.rank()))
      shape[*axis] = topK.getK();
    results.emplace_back(x.type(), shape);
    results.emplace_back(DType::I64, shape);
  } else {
    FailureOr<SmallVector<int64_t>> shape = resultShape(op, operands);
    if (failed(shape)) {
      error = where(op) + ": operand shapes are incompatible at run time";
      return std::nullopt;
    }
    std::optional<DType> type =
        toDType(getElementTypeOrSelf(op->getResult(0).getType()));
    results.emplace_back(*type,
                         std::vector<int64_t>(shape->begin(), shape->end()));
  }
  std::vector<Tensor *> outputs;
  for (Tensor &result : results)
    outputs.push_back(&result);
  std::string kernelError;
  if (!ref::runHostOp(op->getName().stripDialect(), hostOpAttributes(op),
                      operands, outputs, kernelError)) {
    error = where(op) + ": " + kernelError;
    return std::nullopt;
  }
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
