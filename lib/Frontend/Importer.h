//===- Importer.h - What the ONNX op converters share -----------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The importer's internals, shared by the driver (OnnxImporter.cpp) and the
// op converters, one file per op family (Import*.cpp): the Importer class,
// ONNX element types, the helpers and converter templates more than one
// family uses, and the function each family registers its converters with.
// Not installed.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_LIB_FRONTEND_IMPORTER_H
#define SINAN_LIB_FRONTEND_IMPORTER_H

#include "sinan/Frontend/OnnxImporter.h"

#include "sinan/Dialect/Graph/IR/GraphOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/StringMap.h"

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace sinan::frontend::detail {

using mlir::Location;
using mlir::LogicalResult;
using mlir::Type;
using mlir::Value;

/// Far beyond any real tensor; keeps every byte count below 2^63 too.
inline constexpr int64_t kMaxTensorElements = int64_t(1) << 56;

//===----------------------------------------------------------------------===//
// ONNX element types (ImportTensors.cpp)
//===----------------------------------------------------------------------===//

/// ONNX element type -> MLIR type, or null when the graph dialect has none.
Type elementType(int32_t onnxType, mlir::MLIRContext &context);

/// The name of an ONNX element type (its number if it has none).
std::string onnxTypeName(int32_t onnxType);

//===----------------------------------------------------------------------===//
// Importer (OnnxImporter.cpp)
//===----------------------------------------------------------------------===//

/// Imports one model. Every problem is an MLIR diagnostic on the context,
/// located at the ONNX node; they are not fatal, so one run reports as much
/// as possible. `failures` records their kinds.
class Importer {
public:
  Importer(const onnx::ModelProto &model, mlir::MLIRContext &context,
           const ImportOptions &options)
      : builder(&context), options(options), context(context), model(model) {}

  mlir::OwningOpRef<mlir::ModuleOp> run();
  ImportFailures failures;

  using Converter =
      std::function<LogicalResult(Importer &, const onnx::NodeProto &)>;
  static const std::map<std::string, Converter> &converters();

  // Helpers for converters.
  Location locOf(const onnx::NodeProto &node);
  Value input(const onnx::NodeProto &node, int index);
  bool hasInput(const onnx::NodeProto &node, int index) {
    return index < node.input_size() && !node.input(index).empty();
  }
  void define(const std::string &name, Value value) { symbols[name] = value; }
  Value lookup(const std::string &name) const { return symbols.lookup(name); }
  /// The node is malformed: reports `message` at it and fails.
  LogicalResult fail(const onnx::NodeProto &node, const llvm::Twine &message);
  /// Valid ONNX that Sinan does not take yet.
  LogicalResult unsupported(const onnx::NodeProto &node,
                            const llvm::Twine &message);
  /// A value the importer needs as a constant is computed at run time.
  LogicalResult needsConstant(const onnx::NodeProto &node,
                              const llvm::Twine &message);
  /// A problem of the model as a whole (no location; the message starts
  /// with the model file's name when known).
  void error(const llvm::Twine &message, bool isUnsupported = false);
  const onnx::AttributeProto *attribute(const onnx::NodeProto &node,
                                        llvm::StringRef name);
  int64_t intAttr(const onnx::NodeProto &node, llvm::StringRef name,
                  int64_t fallback);
  std::string stringAttr(const onnx::NodeProto &node, llvm::StringRef name,
                         const std::string &fallback);
  std::optional<llvm::SmallVector<int64_t>>
  intsAttr(const onnx::NodeProto &node, llvm::StringRef name);

  mlir::OpBuilder builder;
  int64_t opset = 0;
  const ImportOptions &options;
  mlir::MLIRContext &context;

private:
  bool checkOpset();
  bool checkSupported();
  bool checkArity();
  std::optional<std::vector<const onnx::NodeProto *>> orderNodes();
  void foldConstants(const onnx::NodeProto &node, mlir::Block::iterator first);
  LogicalResult verifyNew(const onnx::NodeProto &node,
                          mlir::Block::iterator first);
  mlir::RankedTensorType valueType(const onnx::ValueInfoProto &info);

  mlir::InFlightDiagnostic emitAt(const onnx::NodeProto &node);
  bool failedSoFar() const {
    return failures.invalid || failures.unsupported || failures.needsConstants;
  }

  const onnx::ModelProto &model;
  llvm::StringMap<Value> symbols;
};

//===----------------------------------------------------------------------===//
// Converter registration
//===----------------------------------------------------------------------===//

/// ONNX op type -> converter: what Importer::converters() holds.
using ConverterTable = std::map<std::string, Importer::Converter>;

/// Adds `opType` to `table`; asserts that no other family converts it.
void addConverter(ConverterTable &table, const std::string &opType,
                  Importer::Converter converter);

/// One per op family, each in its Import<Family>.cpp.
void registerElementwiseConverters(ConverterTable &table);
void registerConvPoolConverters(ConverterTable &table);
void registerNormalizationConverters(ConverterTable &table);
void registerReductionConverters(ConverterTable &table);
void registerLinearConverters(ConverterTable &table);
void registerShapeConverters(ConverterTable &table);
void registerIndexingConverters(ConverterTable &table);
void registerQuantizationConverters(ConverterTable &table);
void registerAttentionConverters(ConverterTable &table);

//===----------------------------------------------------------------------===//
// Helpers for converters (ImportHelpers.cpp)
//===----------------------------------------------------------------------===//

/// Operands of an elementwise op must share an element type (ONNX allows a
/// few mixed forms, e.g. Pow with an integer exponent, which Sinan lacks).
LogicalResult sameElementType(Importer &im, const onnx::NodeProto &node,
                              mlir::ValueRange operands);

/// `v` converted to `element` (graph.cast), or `v` if it already has it.
Value castElements(Importer &im, Location loc, Value v, Type element);

/// The integer values of a constant operand (shape, axes, ... inputs).
std::optional<llvm::SmallVector<int64_t>> constantInts(Value value);

/// The shape of a ranked tensor value.
llvm::ArrayRef<int64_t> shapeOf(Value v);

/// `input` reshaped to `shape` (graph.reshape), or `input` if it has it.
Value reshapeTo(Importer &im, Location loc, Value input,
                llvm::ArrayRef<int64_t> shape);

/// A rank-0 constant of `elementType` holding `value`.
Value scalarConstant(Importer &im, Location loc, Type elementType,
                     double value);

/// Axes from the attribute (older opsets) or the optional second input.
std::optional<llvm::SmallVector<int64_t>> axesOf(Importer &im,
                                                 const onnx::NodeProto &node,
                                                 int inputIndex, bool &dynamic);

/// The float attribute `name`, or `fallback` when the node lacks it.
float floatAttr(Importer &im, const onnx::NodeProto &node, const char *name,
                float fallback);

/// Small builder for decompositions: elementwise ops on one element type.
struct Emitter {
  Importer &im;
  Location loc;
  Type element;
  Value c(double value) { return scalarConstant(im, loc, element, value); }
  template <typename OpTy> Value op(Value a, Value b) {
    return OpTy::create(im.builder, loc, a, b)->getResult(0);
  }
  template <typename OpTy> Value op(Value a) {
    return OpTy::create(im.builder, loc, a)->getResult(0);
  }
  Value add(Value a, Value b) { return op<graph::AddOp>(a, b); }
  Value sub(Value a, Value b) { return op<graph::SubOp>(a, b); }
  Value mul(Value a, Value b) { return op<graph::MulOp>(a, b); }
  Value div(Value a, Value b) { return op<graph::DivOp>(a, b); }
  Value max(Value a, Value b) { return op<graph::MaxOp>(a, b); }
  Value min(Value a, Value b) { return op<graph::MinOp>(a, b); }
  Value less(Value a, Value b) { return op<graph::LessOp>(a, b); }
  Value greater(Value a, Value b) { return op<graph::GreaterOp>(a, b); }
  Value select(Value cond, Value a, Value b) {
    return graph::SelectOp::create(im.builder, loc, cond, a, b)->getResult(0);
  }
};

//===----------------------------------------------------------------------===//
// Converter templates
//===----------------------------------------------------------------------===//

template <typename OpTy>
LogicalResult convertBinary(Importer &im, const onnx::NodeProto &node) {
  Value lhs = im.input(node, 0), rhs = im.input(node, 1);
  if (mlir::failed(sameElementType(im, node, {lhs, rhs})))
    return mlir::failure();
  im.define(node.output(0), OpTy::create(im.builder, im.locOf(node), lhs, rhs));
  return mlir::success();
}

/// Max, Min, Sum and Mean take one or more inputs: a left fold, and Mean
/// divides by the count.
template <typename OpTy>
LogicalResult convertVariadic(Importer &im, const onnx::NodeProto &node) {
  llvm::SmallVector<Value> operands;
  for (int i = 0; i < node.input_size(); ++i)
    operands.push_back(im.input(node, i));
  if (operands.empty())
    return im.fail(node, "needs at least one input");
  if (mlir::failed(sameElementType(im, node, operands)))
    return mlir::failure();
  Location loc = im.locOf(node);
  Value result = operands[0];
  for (Value v : llvm::ArrayRef<Value>(operands).drop_front())
    result = OpTy::create(im.builder, loc, result, v);
  if (node.op_type() == "Mean") {
    auto type =
        mlir::RankedTensorType::get({}, mlir::getElementTypeOrSelf(result));
    if (!llvm::isa<mlir::FloatType>(type.getElementType()))
      return im.unsupported(node, "Mean of integers is not supported");
    auto count = mlir::DenseElementsAttr::get(
        type, im.builder.getFloatAttr(type.getElementType(),
                                      double(operands.size())));
    result =
        graph::DivOp::create(im.builder, loc, result,
                             graph::ConstantOp::create(im.builder, loc, count));
  }
  im.define(node.output(0), result);
  return mlir::success();
}

/// Ops that accept integers besides floats.
template <typename OpTy>
constexpr bool kTakesIntegers =
    std::is_same_v<OpTy, graph::ReluOp> || std::is_same_v<OpTy, graph::NegOp> ||
    std::is_same_v<OpTy, graph::AbsOp> || std::is_same_v<OpTy, graph::NotOp> ||
    std::is_same_v<OpTy, graph::BitNotOp>;

template <typename OpTy>
LogicalResult convertUnary(Importer &im, const onnx::NodeProto &node) {
  Value input = im.input(node, 0);
  if (!kTakesIntegers<OpTy> &&
      !llvm::isa<mlir::FloatType>(mlir::getElementTypeOrSelf(input)))
    return im.unsupported(node, "integer inputs are not supported");
  im.define(node.output(0), OpTy::create(im.builder, im.locOf(node), input));
  return mlir::success();
}

template <typename OpTy>
LogicalResult convertReduce(Importer &im, const onnx::NodeProto &node) {
  Location loc = im.locOf(node);
  Value x = im.input(node, 0);
  llvm::SmallVector<int64_t> axes;
  bool keepDims = im.intAttr(node, "keepdims", 1);
  if (node.op_type() == "GlobalAveragePool" ||
      node.op_type() == "GlobalMaxPool") {
    for (int64_t d = 2; d < static_cast<int64_t>(shapeOf(x).size()); ++d)
      axes.push_back(d);
    keepDims = true;
  } else {
    bool dynamic;
    auto given = axesOf(im, node, 1, dynamic);
    if (dynamic)
      return im.needsConstant(node,
                              "axes computed at run time are not supported");
    if (given)
      axes = *given;
    if (axes.empty() && im.intAttr(node, "noop_with_empty_axes", 0)) {
      im.define(node.output(0), x);
      return mlir::success();
    }
  }
  if (std::is_same_v<OpTy, graph::ReduceMeanOp> &&
      !llvm::isa<mlir::FloatType>(mlir::getElementTypeOrSelf(x)))
    return im.unsupported(node, "integer inputs are not supported");
  // Boolean ReduceMax/ReduceMin (opset 20) are any/all: reduce as u8.
  Type element = mlir::getElementTypeOrSelf(x);
  bool boolean = element.isInteger(1);
  if (boolean && !std::is_same_v<OpTy, graph::ReduceMaxOp> &&
      !std::is_same_v<OpTy, graph::ReduceMinOp>)
    return im.unsupported(node, "boolean inputs are not supported");
  if (boolean)
    x = castElements(im, loc, x,
                     im.builder.getIntegerType(8, /*isSigned=*/false));
  Value y =
      OpTy::create(im.builder, loc, x, im.builder.getDenseI64ArrayAttr(axes),
                   im.builder.getBoolAttr(keepDims));
  im.define(node.output(0), boolean ? castElements(im, loc, y, element) : y);
  return mlir::success();
}

/// 1-D Conv, ConvTranspose and pooling run as their 2-D forms on an
/// inserted unit height: [N, C, L] -> [N, C, 1, L] and back.
template <LogicalResult (*Convert2d)(Importer &, const onnx::NodeProto &)>
LogicalResult convertVia2d(Importer &im, const onnx::NodeProto &node) {
  Value x = im.input(node, 0);
  if (shapeOf(x).size() != 3)
    return Convert2d(im, node);
  Location loc = im.locOf(node);
  onnx::NodeProto wide = node;
  for (onnx::AttributeProto &attr : *wide.mutable_attribute()) {
    const std::string &name = attr.name();
    auto ints = attr.ints();
    if (name == "kernel_shape" || name == "strides" || name == "dilations" ||
        name == "output_padding" || name == "output_shape") {
      attr.clear_ints();
      attr.add_ints(name == "output_padding" ? 0 : 1);
      for (int64_t v : ints)
        attr.add_ints(v);
    } else if (name == "pads" && ints.size() == 2) {
      attr.clear_ints();
      for (int64_t v : {int64_t(0), ints[0], int64_t(0), ints[1]})
        attr.add_ints(v);
    }
  }
  auto widen = [&](int index) {
    if (!im.hasInput(node, index))
      return;
    Value v = im.input(node, index);
    llvm::ArrayRef<int64_t> s = shapeOf(v);
    if (s.size() != 3)
      return;
    std::string name = node.input(index) + "@2d";
    im.define(name, reshapeTo(im, loc, v, {s[0], s[1], 1, s[2]}));
    wide.set_input(index, name);
  };
  widen(0);
  if (node.op_type() != "MaxPool" && node.op_type() != "AveragePool")
    widen(1);
  std::string out = node.output(0) + "@2d";
  wide.set_output(0, out);
  if (mlir::failed(Convert2d(im, wide)))
    return mlir::failure();
  Value wideOut = im.lookup(out);
  llvm::ArrayRef<int64_t> s = shapeOf(wideOut);
  if (s.size() != 4) {
    // The 2-D op's shape inference failed; its verifier says why.
    im.define(node.output(0), wideOut);
    return mlir::success();
  }
  im.define(node.output(0), reshapeTo(im, loc, wideOut, {s[0], s[1], s[3]}));
  return mlir::success();
}

} // namespace sinan::frontend::detail

#endif // SINAN_LIB_FRONTEND_IMPORTER_H
