//===- Evaluator.cpp - Reference evaluation of graph IR -------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Interpreter/Evaluator.h"

#include "sinan/Bridge/RuntimeBridge.h"

#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/runtime/ref/HostOps.h"
#include "sinan/runtime/shape/OpRules.h"

#include "llvm/ADT/DenseMap.h"
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

/// The shapes an op produces for these operands, so dynamic dimensions
/// resolve at run time: the op's shape rule (the one its verifier runs) on
/// the actual operands. Static declared results go along for the ops that
/// carry their result type (reshape, broadcast, resize); each answer must
/// agree with the declared type where that is known.
std::optional<std::vector<shape::Shape>>
resultShapes(Operation *op, const std::vector<const Tensor *> &operands,
             std::string &why) {
  std::vector<shape::TypedShape> in, out;
  for (const Tensor *operand : operands)
    in.push_back({operand->type(), operand->shape()});
  bool staticResults = llvm::all_of(op->getResultTypes(), [](Type type) {
    return cast<RankedTensorType>(type).hasStaticShape();
  });
  for (Type type : op->getResultTypes()) {
    auto ranked = cast<RankedTensorType>(type);
    std::optional<DType> element = toDType(ranked.getElementType());
    if (staticResults && element)
      out.push_back({*element, shape::Shape(ranked.getShape().begin(),
                                            ranked.getShape().end())});
  }
  std::optional<std::vector<shape::Shape>> shapes = shape::opResultShapes(
      op->getName().stripDialect(), in, out, hostOpAttributes(op), why);
  if (!shapes || shapes->size() != op->getNumResults())
    return std::nullopt;
  for (auto [type, shape] : llvm::zip(op->getResultTypes(), *shapes)) {
    ArrayRef<int64_t> declared = cast<RankedTensorType>(type).getShape();
    if (declared.size() != shape.size() ||
        failed(verifyCompatibleShape(declared, shape))) {
      why = "a result does not have its declared type";
      return std::nullopt;
    }
  }
  return shapes;
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
  std::string why;
  std::optional<std::vector<shape::Shape>> shapes =
      resultShapes(op, operands, why);
  if (!shapes) {
    error = where(op) + ": operand shapes are incompatible at run time (" +
            why + ")";
    return std::nullopt;
  }
  std::vector<Tensor> results;
  for (auto [result, shape] : llvm::zip(op->getResults(), *shapes))
    results.emplace_back(*toDType(getElementTypeOrSelf(result.getType())),
                         shape);
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
