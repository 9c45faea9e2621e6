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
#include "sinan/runtime/shape/ShapeRules.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace sinan {

namespace {
std::string where(Operation *op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  op->getLoc().print(os);
  return text + " (" + op->getName().getStringRef().str() + ")";
}

/// The shape an op produces for these operand shapes, so dynamic
/// dimensions resolve at run time: the op's own type inference on operands
/// of the actual shapes where it has one (the shape rules, once), else the
/// few rules of ops that carry their result type.
FailureOr<SmallVector<int64_t>>
resultShape(Operation *op, const std::vector<const Tensor *> &operands) {
  auto shape = [&](int i) { return ArrayRef<int64_t>(operands[i]->shape()); };
  if (auto *infer = op->getName().getInterface<InferTypeOpInterface>()) {
    // Stand-ins of the actual types for the inference to read.
    Block scratch;
    SmallVector<Value> values;
    for (auto [i, operand] : llvm::enumerate(op->getOperands()))
      values.push_back(scratch.addArgument(
          RankedTensorType::get(shape(i), getElementTypeOrSelf(operand)),
          op->getLoc()));
    SmallVector<Type> types;
    if (failed(infer->inferReturnTypes(
            op->getContext(), op->getLoc(), values, op->getAttrDictionary(),
            op->getPropertiesStorage(), op->getRegions(), types)))
      return failure();
    // A shape rule that refuses gives a rank-0 placeholder (GraphOps.cpp).
    auto inferred = cast<RankedTensorType>(types[0]);
    auto declared = cast<RankedTensorType>(op->getResult(0).getType());
    if (inferred.getRank() != declared.getRank() ||
        failed(verifyCompatibleShape(inferred.getShape(), declared.getShape())))
      return failure();
    return SmallVector<int64_t>(inferred.getShape());
  }
  return TypeSwitch<Operation *, FailureOr<SmallVector<int64_t>>>(op)
      .Case<graph::GatherElementsOp>([&](auto) {
        return SmallVector<int64_t>(shape(1).begin(), shape(1).end());
      })
      .Case<graph::GatherNdOp>([&](graph::GatherNdOp g) {
        return graph::inferGatherNdShape(shape(0), shape(1), g.getBatchDims());
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
