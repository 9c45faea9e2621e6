//===- OnnxImporter.cpp - ONNX to graph dialect ---------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Frontend/OnnxImporter.h"

#include "sinan/Dialect/Graph/IR/GraphOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <onnx/onnx_pb.h>

#include <functional>
#include <map>
#include <set>

using namespace mlir;

namespace sinan::frontend {
namespace {

/// ONNX element type -> MLIR type, or null when the graph dialect has none.
Type elementType(int32_t onnxType, MLIRContext &context) {
  Builder b(&context);
  switch (onnxType) {
  case onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case onnx::TensorProto::FLOAT16:
    return b.getF16Type();
  case onnx::TensorProto::BFLOAT16:
    return b.getBF16Type();
  case onnx::TensorProto::INT8:
    return b.getIntegerType(8);
  case onnx::TensorProto::INT32:
    return b.getIntegerType(32);
  case onnx::TensorProto::INT64:
    return b.getIntegerType(64);
  case onnx::TensorProto::BOOL:
    return b.getIntegerType(1);
  default:
    return {};
  }
}

std::string onnxTypeName(int32_t onnxType) {
  const std::string &name = onnx::TensorProto::DataType_Name(
      static_cast<onnx::TensorProto::DataType>(onnxType));
  return name.empty() ? std::to_string(onnxType) : name;
}

/// Reads the bytes of a tensor stored outside the model file.
bool readExternal(const onnx::TensorProto &tensor, const std::string &dir,
                  size_t bytes, std::vector<char> &out, std::string &error) {
  std::string location;
  uint64_t offset = 0, length = bytes;
  for (const auto &entry : tensor.external_data()) {
    if (entry.key() == "location")
      location = entry.value();
    else if (entry.key() == "offset")
      offset = std::stoull(entry.value());
    else if (entry.key() == "length")
      length = std::stoull(entry.value());
  }
  if (location.empty()) {
    error = "external data of tensor '" + tensor.name() + "' has no location";
    return false;
  }
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, location);
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    error = llvm::formatv("tensor '{0}': cannot read external data '{1}': {2}",
                          tensor.name(), path, buffer.getError().message());
    return false;
  }
  if (length != bytes || offset > (*buffer)->getBufferSize() ||
      length > (*buffer)->getBufferSize() - offset) {
    error = llvm::formatv("tensor '{0}': external data '{1}' holds {2} bytes "
                          "at offset {3}, expected {4}",
                          tensor.name(), path, length, offset, bytes);
    return false;
  }
  const char *start = (*buffer)->getBufferStart() + offset;
  out.assign(start, start + length);
  return true;
}
} // namespace

DenseElementsAttr convertTensorProto(const onnx::TensorProto &tensor,
                                     MLIRContext &context,
                                     const std::string &directory,
                                     std::string &error) {
  Type element = elementType(tensor.data_type(), context);
  if (!element) {
    error = llvm::formatv("tensor '{0}' has element type {1}, which Sinan "
                          "does not support",
                          tensor.name(), onnxTypeName(tensor.data_type()));
    return {};
  }
  SmallVector<int64_t> shape;
  int64_t count = 1;
  for (int64_t dim : tensor.dims()) {
    if (dim < 0) {
      error = llvm::formatv("tensor '{0}' has negative dimension {1}",
                            tensor.name(), dim);
      return {};
    }
    shape.push_back(dim);
    count *= dim;
  }
  auto type = RankedTensorType::get(shape, element);
  unsigned bits = element.getIntOrFloatBitWidth();
  size_t width = bits == 1 ? 1 : bits / 8;
  size_t bytes = static_cast<size_t>(count) * width;

  std::vector<char> raw;
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    if (!readExternal(tensor, directory, bytes, raw, error))
      return {};
  } else if (tensor.has_raw_data()) {
    raw.assign(tensor.raw_data().begin(), tensor.raw_data().end());
    if (raw.size() != bytes) {
      error = llvm::formatv("tensor '{0}' has {1} bytes of raw data, its "
                            "shape needs {2}",
                            tensor.name(), raw.size(), bytes);
      return {};
    }
  } else {
    // Typed fields: float_data for f32, int64_data for i64, int32_data for
    // the other integer and 16-bit float types (one value per element).
    auto append = [&](auto value, size_t size) {
      const char *p = reinterpret_cast<const char *>(&value);
      raw.insert(raw.end(), p, p + size);
    };
    int64_t available = 0;
    switch (tensor.data_type()) {
    case onnx::TensorProto::FLOAT:
      available = tensor.float_data_size();
      for (float v : tensor.float_data())
        append(v, 4);
      break;
    case onnx::TensorProto::INT64:
      available = tensor.int64_data_size();
      for (int64_t v : tensor.int64_data())
        append(v, 8);
      break;
    default:
      available = tensor.int32_data_size();
      for (int32_t v : tensor.int32_data())
        append(v, width); // Little-endian: the low bytes hold the value.
      break;
    }
    if (available != count) {
      error = llvm::formatv("tensor '{0}' has {1} values, its shape needs {2}",
                            tensor.name(), available, count);
      return {};
    }
  }
  if (bits == 1) {
    SmallVector<bool> values;
    for (char c : raw)
      values.push_back(c != 0);
    return DenseElementsAttr::get(type, values);
  }
  return DenseElementsAttr::getFromRawBuffer(type, ArrayRef<char>(raw));
}

namespace {

/// Imports one model. Conversion errors are collected, not fatal, so one run
/// reports as much as possible.
class Importer {
public:
  Importer(const onnx::ModelProto &model, MLIRContext &context,
           const ImportOptions &options)
      : builder(&context), options(options), context(context), model(model) {}

  OwningOpRef<ModuleOp> run();
  std::string takeErrors() {
    std::string text;
    for (const std::string &e : errors)
      text += (text.empty() ? "" : "\n") + e;
    return text;
  }

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
  LogicalResult fail(const onnx::NodeProto &node, const llvm::Twine &message);
  const onnx::AttributeProto *attribute(const onnx::NodeProto &node,
                                        llvm::StringRef name);
  int64_t intAttr(const onnx::NodeProto &node, llvm::StringRef name,
                  int64_t fallback);
  std::string stringAttr(const onnx::NodeProto &node, llvm::StringRef name,
                         const std::string &fallback);
  std::optional<SmallVector<int64_t>> intsAttr(const onnx::NodeProto &node,
                                               llvm::StringRef name);

  OpBuilder builder;
  int64_t opset = 0;
  const ImportOptions &options;
  MLIRContext &context;

private:
  bool checkOpset();
  bool checkSupported();
  bool declareInputs(func::FuncOp &func, SmallVectorImpl<Type> &inputTypes);
  RankedTensorType valueType(const onnx::ValueInfoProto &info);

  const onnx::ModelProto &model;
  llvm::StringMap<Value> symbols;
  std::vector<std::string> errors;
};

Location Importer::locOf(const onnx::NodeProto &node) {
  std::string name = node.name();
  if (name.empty())
    name = node.op_type() + (node.output_size() ? ":" + node.output(0) : "");
  return NameLoc::get(builder.getStringAttr(name));
}

Value Importer::input(const onnx::NodeProto &node, int index) {
  auto it = symbols.find(node.input(index));
  return it == symbols.end() ? Value() : it->second;
}

LogicalResult Importer::fail(const onnx::NodeProto &node,
                             const llvm::Twine &message) {
  errors.push_back(
      llvm::formatv("node '{0}' ({1}): {2}",
                    node.name().empty() ? node.output(0) : node.name(),
                    node.op_type(), message.str()));
  return failure();
}

const onnx::AttributeProto *Importer::attribute(const onnx::NodeProto &node,
                                                llvm::StringRef name) {
  for (const onnx::AttributeProto &attr : node.attribute())
    if (attr.name() == name)
      return &attr;
  return nullptr;
}

int64_t Importer::intAttr(const onnx::NodeProto &node, llvm::StringRef name,
                          int64_t fallback) {
  const onnx::AttributeProto *attr = attribute(node, name);
  return attr ? attr->i() : fallback;
}

std::string Importer::stringAttr(const onnx::NodeProto &node,
                                 llvm::StringRef name,
                                 const std::string &fallback) {
  const onnx::AttributeProto *attr = attribute(node, name);
  return attr ? attr->s() : fallback;
}

std::optional<SmallVector<int64_t>>
Importer::intsAttr(const onnx::NodeProto &node, llvm::StringRef name) {
  const onnx::AttributeProto *attr = attribute(node, name);
  if (!attr)
    return std::nullopt;
  return SmallVector<int64_t>(attr->ints().begin(), attr->ints().end());
}

//===----------------------------------------------------------------------===//
// Op converters
//===----------------------------------------------------------------------===//

/// Operands of an elementwise op must share an element type (ONNX allows a
/// few mixed forms, e.g. Pow with an integer exponent, which Sinan lacks).
LogicalResult sameElementType(Importer &im, const onnx::NodeProto &node,
                              ValueRange operands) {
  Type first = getElementTypeOrSelf(operands[0]);
  for (Value v : operands.drop_front())
    if (getElementTypeOrSelf(v) != first) {
      std::string a, b;
      llvm::raw_string_ostream(a) << first;
      llvm::raw_string_ostream(b) << getElementTypeOrSelf(v);
      return im.fail(node, "operands of different element types (" + a +
                               " and " + b + ") are not supported");
    }
  return success();
}

template <typename OpTy>
LogicalResult convertBinary(Importer &im, const onnx::NodeProto &node) {
  Value lhs = im.input(node, 0), rhs = im.input(node, 1);
  if (failed(sameElementType(im, node, {lhs, rhs})))
    return failure();
  im.define(node.output(0), OpTy::create(im.builder, im.locOf(node), lhs, rhs));
  return success();
}

/// Max, Min, Sum and Mean take one or more inputs: a left fold, and Mean
/// divides by the count.
template <typename OpTy>
LogicalResult convertVariadic(Importer &im, const onnx::NodeProto &node) {
  SmallVector<Value> operands;
  for (int i = 0; i < node.input_size(); ++i)
    operands.push_back(im.input(node, i));
  if (operands.empty())
    return im.fail(node, "needs at least one input");
  if (failed(sameElementType(im, node, operands)))
    return failure();
  Location loc = im.locOf(node);
  Value result = operands[0];
  for (Value v : ArrayRef<Value>(operands).drop_front())
    result = OpTy::create(im.builder, loc, result, v);
  if (node.op_type() == "Mean") {
    auto type = RankedTensorType::get({}, getElementTypeOrSelf(result));
    if (!isa<FloatType>(type.getElementType()))
      return im.fail(node, "Mean of integers is not supported");
    auto count = DenseElementsAttr::get(
        type, im.builder.getFloatAttr(type.getElementType(),
                                      double(operands.size())));
    result =
        graph::DivOp::create(im.builder, loc, result,
                             graph::ConstantOp::create(im.builder, loc, count));
  }
  im.define(node.output(0), result);
  return success();
}

/// Ops that accept integers besides floats.
template <typename OpTy>
constexpr bool kTakesIntegers =
    std::is_same_v<OpTy, graph::ReluOp> || std::is_same_v<OpTy, graph::NegOp> ||
    std::is_same_v<OpTy, graph::AbsOp> || std::is_same_v<OpTy, graph::NotOp>;

template <typename OpTy>
LogicalResult convertUnary(Importer &im, const onnx::NodeProto &node) {
  Value input = im.input(node, 0);
  if (!kTakesIntegers<OpTy> && !isa<FloatType>(getElementTypeOrSelf(input)))
    return im.fail(node, "integer inputs are not supported");
  im.define(node.output(0), OpTy::create(im.builder, im.locOf(node), input));
  return success();
}

LogicalResult convertWhere(Importer &im, const onnx::NodeProto &node) {
  Value a = im.input(node, 1), b = im.input(node, 2);
  if (failed(sameElementType(im, node, {a, b})))
    return failure();
  im.define(node.output(0), graph::SelectOp::create(im.builder, im.locOf(node),
                                                    im.input(node, 0), a, b));
  return success();
}

LogicalResult convertIdentity(Importer &im, const onnx::NodeProto &node) {
  // Dropout at inference is the identity; its mask output is not supported.
  if (node.op_type() == "Dropout" && node.output_size() > 1 &&
      !node.output(1).empty())
    return im.fail(node, "the mask output of Dropout is not supported");
  if (node.op_type() == "Dropout" && im.hasInput(node, 2))
    return im.fail(node, "training-mode Dropout (training_mode input) is not "
                         "supported");
  im.define(node.output(0), im.input(node, 0));
  return success();
}

LogicalResult convertMatMul(Importer &im, const onnx::NodeProto &node) {
  im.define(node.output(0),
            graph::MatMulOp::create(im.builder, im.locOf(node),
                                    im.input(node, 0), im.input(node, 1)));
  return success();
}

LogicalResult convertConstant(Importer &im, const onnx::NodeProto &node) {
  const onnx::AttributeProto *value = im.attribute(node, "value");
  if (!value || !value->has_t())
    return im.fail(node, "only the 'value' (tensor) form of Constant is "
                         "supported");
  std::string error;
  DenseElementsAttr attr = convertTensorProto(value->t(), im.context,
                                              im.options.modelDirectory, error);
  if (!attr)
    return im.fail(node, error);
  im.define(node.output(0),
            graph::ConstantOp::create(im.builder, im.locOf(node), attr));
  return success();
}

LogicalResult convertConv(Importer &im, const onnx::NodeProto &node) {
  Value x = im.input(node, 0), w = im.input(node, 1);
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  if (xType.getRank() != 4)
    return im.fail(node, llvm::formatv("only 2-D convolution (rank-4 input) "
                                       "is supported, input has rank {0}",
                                       xType.getRank())
                             .str());
  SmallVector<int64_t> strides =
      im.intsAttr(node, "strides").value_or(SmallVector<int64_t>{1, 1});
  SmallVector<int64_t> dilations =
      im.intsAttr(node, "dilations").value_or(SmallVector<int64_t>{1, 1});
  SmallVector<int64_t> pads =
      im.intsAttr(node, "pads").value_or(SmallVector<int64_t>{0, 0, 0, 0});
  int64_t group = im.intAttr(node, "group", 1);
  if (auto kernel = im.intsAttr(node, "kernel_shape")) {
    ArrayRef<int64_t> wShape = wType.getShape();
    if (kernel->size() != 2 ||
        (!ShapedType::isDynamic(wShape[2]) && (*kernel)[0] != wShape[2]) ||
        (!ShapedType::isDynamic(wShape[3]) && (*kernel)[1] != wShape[3]))
      return im.fail(node, "kernel_shape does not match the weight shape");
  }
  std::string autoPad = im.stringAttr(node, "auto_pad", "NOTSET");
  if (autoPad == "VALID") {
    pads = {0, 0, 0, 0};
  } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    // Output = ceil(input / stride); the padding that achieves it is split
    // evenly, the odd pixel at the end (UPPER) or the beginning (LOWER).
    pads.assign(4, 0);
    for (int axis = 0; axis < 2; ++axis) {
      int64_t in = xType.getDimSize(2 + axis);
      int64_t k = wType.getDimSize(2 + axis);
      if (ShapedType::isDynamic(in) || ShapedType::isDynamic(k))
        return im.fail(node, "auto_pad " + autoPad +
                                 " needs static spatial sizes; use "
                                 "--input-shape");
      int64_t out = (in + strides[axis] - 1) / strides[axis];
      int64_t total = std::max<int64_t>(
          (out - 1) * strides[axis] + (k - 1) * dilations[axis] + 1 - in, 0);
      int64_t small = total / 2, large = total - small;
      pads[axis] = autoPad == "SAME_UPPER" ? small : large;
      pads[axis + 2] = autoPad == "SAME_UPPER" ? large : small;
    }
  } else if (autoPad != "NOTSET") {
    return im.fail(node, "unknown auto_pad '" + autoPad + "'");
  }
  Value bias = im.hasInput(node, 2) ? im.input(node, 2) : Value();
  auto op = graph::Conv2dOp::create(im.builder, im.locOf(node), x, w, bias,
                                    im.builder.getDenseI64ArrayAttr(strides),
                                    im.builder.getDenseI64ArrayAttr(pads),
                                    im.builder.getDenseI64ArrayAttr(dilations),
                                    im.builder.getI64IntegerAttr(group));
  im.define(node.output(0), op);
  return success();
}

const std::map<std::string, Importer::Converter> &Importer::converters() {
  static const std::map<std::string, Converter> table = {
      {"Abs", convertUnary<graph::AbsOp>},
      {"Add", convertBinary<graph::AddOp>},
      {"And", convertBinary<graph::AndOp>},
      {"Ceil", convertUnary<graph::CeilOp>},
      {"Constant", convertConstant},
      {"Conv", convertConv},
      {"Cos", convertUnary<graph::CosOp>},
      {"Div", convertBinary<graph::DivOp>},
      {"Dropout", convertIdentity},
      {"Equal", convertBinary<graph::EqualOp>},
      {"Erf", convertUnary<graph::ErfOp>},
      {"Exp", convertUnary<graph::ExpOp>},
      {"Floor", convertUnary<graph::FloorOp>},
      {"Greater", convertBinary<graph::GreaterOp>},
      {"GreaterOrEqual", convertBinary<graph::GreaterEqualOp>},
      {"Identity", convertIdentity},
      {"Less", convertBinary<graph::LessOp>},
      {"LessOrEqual", convertBinary<graph::LessEqualOp>},
      {"Log", convertUnary<graph::LogOp>},
      {"MatMul", convertMatMul},
      {"Max", convertVariadic<graph::MaxOp>},
      {"Mean", convertVariadic<graph::AddOp>},
      {"Min", convertVariadic<graph::MinOp>},
      {"Mul", convertBinary<graph::MulOp>},
      {"Neg", convertUnary<graph::NegOp>},
      {"Not", convertUnary<graph::NotOp>},
      {"Or", convertBinary<graph::OrOp>},
      {"Pow", convertBinary<graph::PowOp>},
      {"Reciprocal", convertUnary<graph::ReciprocalOp>},
      {"Relu", convertUnary<graph::ReluOp>},
      {"Sigmoid", convertUnary<graph::SigmoidOp>},
      {"Sin", convertUnary<graph::SinOp>},
      {"Sqrt", convertUnary<graph::SqrtOp>},
      {"Sub", convertBinary<graph::SubOp>},
      {"Sum", convertVariadic<graph::AddOp>},
      {"Tanh", convertUnary<graph::TanhOp>},
      {"Where", convertWhere},
      {"Xor", convertBinary<graph::XorOp>},
  };
  return table;
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

bool Importer::checkOpset() {
  for (const auto &entry : model.opset_import())
    if (entry.domain().empty() || entry.domain() == "ai.onnx")
      opset = entry.version();
  bool usesDefault = false;
  for (const onnx::NodeProto &node : model.graph().node())
    usesDefault |= node.domain().empty() || node.domain() == "ai.onnx";
  if (opset == 0 && usesDefault) {
    errors.push_back("model uses ai.onnx ops but imports no ai.onnx opset");
    return false;
  }
  if (opset == 0) // Only other domains: checkSupported() names them.
    return true;
  if (opset < kMinOnnxOpset || opset > kMaxOnnxOpset) {
    errors.push_back(llvm::formatv("model uses ai.onnx opset {0}; Sinan "
                                   "supports opsets {1} to {2}",
                                   opset, kMinOnnxOpset, kMaxOnnxOpset));
    return false;
  }
  return true;
}

/// Lists every unsupported op before any IR is built.
bool Importer::checkSupported() {
  std::map<std::string, std::vector<std::string>> missing;
  for (const onnx::NodeProto &node : model.graph().node()) {
    bool defaultDomain = node.domain().empty() || node.domain() == "ai.onnx";
    std::string key = node.op_type() + " (domain " +
                      (defaultDomain ? std::string("ai.onnx") : node.domain()) +
                      ", opset " + std::to_string(opset) + ")";
    if (!defaultDomain || !converters().count(node.op_type()))
      missing[key].push_back(node.name().empty() ? node.output(0)
                                                 : node.name());
  }
  if (missing.empty())
    return true;
  size_t nodes = 0;
  for (const auto &entry : missing)
    nodes += entry.second.size();
  std::string text =
      llvm::formatv("unsupported ONNX ops ({0} kind{1}, {2} "
                    "node{3}):",
                    missing.size(), missing.size() == 1 ? "" : "s", nodes,
                    nodes == 1 ? "" : "s");
  for (const auto &[op, names] : missing) {
    text += "\n  " + op + ": ";
    for (size_t i = 0; i < names.size() && i < 8; ++i)
      text += (i ? ", " : "") + names[i];
    if (names.size() > 8)
      text += llvm::formatv(", ... ({0} more)", names.size() - 8);
  }
  errors.push_back(text);
  return false;
}

RankedTensorType Importer::valueType(const onnx::ValueInfoProto &info) {
  if (!info.type().has_tensor_type()) {
    errors.push_back("graph input '" + info.name() +
                     "' is not a tensor (sequence, map and optional types are "
                     "not supported)");
    return {};
  }
  const auto &tensorType = info.type().tensor_type();
  Type element = elementType(tensorType.elem_type(), context);
  if (!element) {
    errors.push_back(llvm::formatv("graph input '{0}' has element type {1}, "
                                   "which Sinan does not support",
                                   info.name(),
                                   onnxTypeName(tensorType.elem_type())));
    return {};
  }
  auto fixed = options.inputShapes.find(info.name());
  if (fixed != options.inputShapes.end()) {
    if (tensorType.has_shape() && tensorType.shape().dim_size() !=
                                      static_cast<int>(fixed->second.size())) {
      errors.push_back(llvm::formatv("--input-shape {0}: the model's input has "
                                     "rank {1}, not {2}",
                                     info.name(), tensorType.shape().dim_size(),
                                     fixed->second.size()));
      return {};
    }
    return RankedTensorType::get(fixed->second, element);
  }
  if (!tensorType.has_shape()) {
    errors.push_back("graph input '" + info.name() +
                     "' has no shape; give one with --input-shape");
    return {};
  }
  SmallVector<int64_t> shape;
  for (const auto &dim : tensorType.shape().dim())
    shape.push_back(dim.has_dim_value() ? dim.dim_value()
                                        : ShapedType::kDynamic);
  return RankedTensorType::get(shape, element);
}

OwningOpRef<ModuleOp> Importer::run() {
  if (!model.has_graph()) {
    errors.push_back("model has no graph");
    return {};
  }
  if (!checkOpset() || !checkSupported())
    return {};
  for (const auto &[name, shape] : options.inputShapes) {
    bool found = false;
    for (const auto &input : model.graph().input())
      found |= input.name() == name;
    if (!found)
      errors.push_back("--input-shape names '" + name +
                       "', which is not a graph input");
  }
  if (!errors.empty())
    return {};

  context.loadDialect<graph::GraphDialect, func::FuncDialect>();
  OwningOpRef<ModuleOp> module = ModuleOp::create(builder.getUnknownLoc());
  builder.setInsertionPointToEnd(module->getBody());
  const onnx::GraphProto &graph = model.graph();

  // Initializers may also be listed as inputs (old exporters); they are
  // constants, not arguments.
  std::set<std::string> initializers;
  for (const auto &tensor : graph.initializer())
    initializers.insert(tensor.name());
  SmallVector<Type> inputTypes;
  SmallVector<std::string> inputNames;
  for (const auto &info : graph.input()) {
    if (initializers.count(info.name()))
      continue;
    RankedTensorType type = valueType(info);
    if (!type)
      continue;
    inputTypes.push_back(type);
    inputNames.push_back(info.name());
  }
  if (!errors.empty())
    return {};

  auto func = func::FuncOp::create(builder, builder.getUnknownLoc(), "main",
                                   builder.getFunctionType(inputTypes, {}));
  Block *body = func.addEntryBlock();
  for (auto [name, arg] : llvm::zip(inputNames, body->getArguments())) {
    define(name, arg);
    func.setArgAttr(arg.getArgNumber(), "graph.name",
                    builder.getStringAttr(name));
  }
  builder.setInsertionPointToStart(body);
  for (const auto &tensor : graph.initializer()) {
    std::string error;
    DenseElementsAttr attr =
        convertTensorProto(tensor, context, options.modelDirectory, error);
    if (!attr) {
      errors.push_back("initializer: " + error);
      continue;
    }
    define(
        tensor.name(),
        graph::ConstantOp::create(
            builder, NameLoc::get(builder.getStringAttr(tensor.name())), attr));
  }
  if (!errors.empty())
    return {};

  for (const onnx::NodeProto &node : graph.node()) {
    bool ready = true;
    for (int i = 0; i < node.input_size(); ++i)
      if (!node.input(i).empty() && !symbols.count(node.input(i))) {
        (void)fail(node,
                   "input '" + node.input(i) +
                       "' is not produced by any earlier node, initializer or "
                       "graph input (graph not in topological order, or a "
                       "dangling name)");
        ready = false;
      }
    if (!ready)
      break;
    if (failed(converters().at(node.op_type())(*this, node)))
      break;
  }
  if (!errors.empty())
    return {};

  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  for (const auto &output : graph.output()) {
    auto it = symbols.find(output.name());
    if (it == symbols.end()) {
      errors.push_back("graph output '" + output.name() +
                       "' is not produced by any node");
      continue;
    }
    results.push_back(it->second);
    resultTypes.push_back(it->second.getType());
  }
  if (!errors.empty())
    return {};
  func::ReturnOp::create(builder, builder.getUnknownLoc(), results);
  func.setType(builder.getFunctionType(inputTypes, resultTypes));
  for (auto [index, output] : llvm::enumerate(graph.output()))
    func.setResultAttr(index, "graph.name",
                       builder.getStringAttr(output.name()));

  // Type or shape mismatches surface here, located at the ONNX node.
  std::string diagnostics;
  {
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      std::string location;
      llvm::raw_string_ostream os(location);
      diag.getLocation().print(os);
      diagnostics +=
          (diagnostics.empty() ? "" : "\n") + location + ": " + diag.str();
      return success();
    });
    if (failed(verify(*module))) {
      errors.push_back(diagnostics);
      return {};
    }
  }
  return module;
}
} // namespace

OwningOpRef<ModuleOp> importOnnxModel(const onnx::ModelProto &model,
                                      MLIRContext &context,
                                      const ImportOptions &options,
                                      std::string &error) {
  Importer importer(model, context, options);
  OwningOpRef<ModuleOp> module = importer.run();
  if (!module)
    error = importer.takeErrors();
  return module;
}

std::vector<std::string> supportedOnnxOps() {
  std::vector<std::string> ops;
  for (const auto &entry : Importer::converters())
    ops.push_back(entry.first);
  return ops;
}

} // namespace sinan::frontend
