//===- OnnxImporter.cpp - ONNX to graph dialect ---------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Frontend/OnnxImporter.h"
#include "sinan/Frontend/OnnxModel.h"

#include "OnnxSchema.h"

#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Graph/IR/ShapeInference.h"
#include "sinan/Interpreter/Evaluator.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <onnx/onnx_pb.h>

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <set>

using namespace mlir;

namespace sinan::frontend {
namespace {

/// Far beyond any real tensor; keeps every byte count below 2^63 too.
constexpr int64_t kMaxTensorElements = int64_t(1) << 56;

/// Element types newer than Debian's ONNX schema (onnx.proto values).
namespace onnxtype {
enum : int32_t {
  FLOAT8E4M3FN = 17,
  FLOAT8E4M3FNUZ = 18,
  FLOAT8E5M2 = 19,
  FLOAT8E5M2FNUZ = 20,
  UINT4 = 21,
  INT4 = 22,
  FLOAT4E2M1 = 23,
  FLOAT8E8M0 = 24,
};
constexpr const char *kNames[] = {
    "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ",
    "UINT4",        "INT4",           "FLOAT4E2M1", "FLOAT8E8M0"};
} // namespace onnxtype

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
  case onnx::TensorProto::DOUBLE:
    return b.getF64Type();
  case onnx::TensorProto::INT16:
    return b.getIntegerType(16);
  case onnx::TensorProto::UINT8:
    return b.getIntegerType(8, /*isSigned=*/false);
  case onnx::TensorProto::UINT16:
    return b.getIntegerType(16, /*isSigned=*/false);
  case onnx::TensorProto::UINT32:
    return b.getIntegerType(32, /*isSigned=*/false);
  case onnx::TensorProto::UINT64:
    return b.getIntegerType(64, /*isSigned=*/false);
  case onnxtype::FLOAT8E4M3FN:
    return b.getType<Float8E4M3FNType>();
  case onnxtype::FLOAT8E4M3FNUZ:
    return b.getType<Float8E4M3FNUZType>();
  case onnxtype::FLOAT8E5M2:
    return b.getType<Float8E5M2Type>();
  case onnxtype::FLOAT8E5M2FNUZ:
    return b.getType<Float8E5M2FNUZType>();
  case onnxtype::FLOAT8E8M0:
    return b.getType<Float8E8M0FNUType>();
  case onnxtype::FLOAT4E2M1:
    return b.getType<Float4E2M1FNType>();
  case onnxtype::INT4:
    return b.getIntegerType(4);
  case onnxtype::UINT4:
    return b.getIntegerType(4, /*isSigned=*/false);
  default:
    return {};
  }
}

std::string onnxTypeName(int32_t onnxType) {
  if (onnxType >= onnxtype::FLOAT8E4M3FN && onnxType <= onnxtype::FLOAT8E8M0)
    return onnxtype::kNames[onnxType - onnxtype::FLOAT8E4M3FN];
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
    if (entry.key() == "location") {
      location = entry.value();
    } else if (entry.key() == "offset" || entry.key() == "length") {
      uint64_t value;
      if (llvm::StringRef(entry.value()).getAsInteger(10, value)) {
        error = "external data of tensor '" + tensor.name() + "' has " +
                entry.key() + " '" + entry.value() +
                "', not a non-negative integer";
        return false;
      }
      (entry.key() == "offset" ? offset : length) = value;
    }
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
    if (llvm::MulOverflow(count, dim, count) || count > kMaxTensorElements) {
      error = llvm::formatv("tensor '{0}' has more than 2^56 elements",
                            tensor.name());
      return {};
    }
  }
  auto type = RankedTensorType::get(shape, element);
  unsigned bits = element.getIntOrFloatBitWidth();
  size_t width = bits == 1 ? 1 : bits / 8;
  // 4-bit types pack two elements per byte, the first in the low nibble.
  bool packed = bits == 4;
  size_t bytes = packed ? (static_cast<size_t>(count) + 1) / 2
                        : static_cast<size_t>(count) * width;

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
    case onnx::TensorProto::DOUBLE:
      available = tensor.double_data_size();
      for (double v : tensor.double_data())
        append(v, 8);
      break;
    case onnx::TensorProto::UINT32:
    case onnx::TensorProto::UINT64:
      available = tensor.uint64_data_size();
      for (uint64_t v : tensor.uint64_data())
        append(v, width);
      break;
    default: // Little-endian: the low bytes hold the value (or the pair).
      available = tensor.int32_data_size();
      for (int32_t v : tensor.int32_data())
        append(v, packed ? 1 : width);
      break;
    }
    int64_t needed = packed ? static_cast<int64_t>(bytes) : count;
    if (available != needed) {
      error = llvm::formatv("tensor '{0}' has {1} values, its shape needs {2}",
                            tensor.name(), available, needed);
      return {};
    }
  }
  if (packed) {
    Tensor unpacked(*toDType(element),
                    std::vector<int64_t>(shape.begin(), shape.end()));
    for (int64_t i = 0; i < count; ++i) {
      uint8_t nibble =
          (static_cast<uint8_t>(raw[i / 2]) >> (4 * (i % 2))) & 0xF;
      if (unpacked.type() == DType::I4 && (nibble & 0x8))
        nibble |= 0xF0; // Sign-extend.
      unpacked.data()[i] = nibble;
    }
    return toAttr(unpacked, type);
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
  Value lookup(const std::string &name) const { return symbols.lookup(name); }
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
  bool checkArity();
  std::optional<std::vector<const onnx::NodeProto *>> orderNodes();
  void foldConstants(const onnx::NodeProto &node, Block::iterator first);
  LogicalResult verifyNew(const onnx::NodeProto &node, Block::iterator first);
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
  if (index >= node.input_size())
    return Value();
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

/// `v` converted to `element` (graph.cast), or `v` if it already has it.
Value castElements(Importer &im, Location loc, Value v, Type element) {
  auto type = RankedTensorType::get(
      cast<RankedTensorType>(v.getType()).getShape(), element);
  if (type == v.getType())
    return v;
  return graph::CastOp::create(im.builder, loc, type, v);
}

/// Pow allows different base and exponent types (opset 12+): an integer
/// exponent of a float base is converted to the base's type; an integer base
/// with a float exponent is raised in that float type and truncated back,
/// as ONNX's reference does.
LogicalResult convertPow(Importer &im, const onnx::NodeProto &node) {
  Location loc = im.locOf(node);
  Value base = im.input(node, 0), exponent = im.input(node, 1);
  Type baseType = getElementTypeOrSelf(base),
       expType = getElementTypeOrSelf(exponent);
  if (baseType == expType) {
    im.define(node.output(0),
              graph::PowOp::create(im.builder, loc, base, exponent));
    return success();
  }
  if (isa<FloatType>(baseType)) {
    im.define(node.output(0),
              graph::PowOp::create(im.builder, loc, base,
                                   castElements(im, loc, exponent, baseType)));
    return success();
  }
  if (!isa<FloatType>(expType))
    return im.fail(node, "integer operands of different types are not "
                         "supported");
  Value power = graph::PowOp::create(
      im.builder, loc, castElements(im, loc, base, expType), exponent);
  im.define(node.output(0), castElements(im, loc, power, baseType));
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
    std::is_same_v<OpTy, graph::AbsOp> || std::is_same_v<OpTy, graph::NotOp> ||
    std::is_same_v<OpTy, graph::BitNotOp>;

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
  if (node.op_type() == "Dropout" && im.hasInput(node, 2))
    return im.fail(node, "training-mode Dropout (training_mode input) is not "
                         "supported");
  Value input = im.input(node, 0);
  // At inference the mask is all true.
  if (node.op_type() == "Dropout" && node.output_size() > 1 &&
      !node.output(1).empty()) {
    auto type = cast<RankedTensorType>(input.getType());
    if (!type.hasStaticShape())
      return im.fail(node, "the mask output of Dropout on an input with "
                           "unknown dimensions is not supported");
    auto maskType =
        RankedTensorType::get(type.getShape(), im.builder.getIntegerType(1));
    im.define(node.output(1), graph::ConstantOp::create(
                                  im.builder, im.locOf(node),
                                  DenseElementsAttr::get(maskType, true)));
  }
  im.define(node.output(0), input);
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
  Location loc = im.locOf(node);
  auto define = [&](DenseElementsAttr attr) {
    im.define(node.output(0), graph::ConstantOp::create(im.builder, loc, attr));
    return success();
  };
  if (auto attr = im.attribute(node, "value_float"))
    return define(DenseElementsAttr::get(
        RankedTensorType::get({}, im.builder.getF32Type()), attr->f()));
  if (auto attr = im.attribute(node, "value_int"))
    return define(DenseElementsAttr::get(
        RankedTensorType::get({}, im.builder.getI64Type()),
        static_cast<int64_t>(attr->i())));
  if (auto attr = im.attribute(node, "value_floats")) {
    SmallVector<float> values(attr->floats().begin(), attr->floats().end());
    return define(DenseElementsAttr::get(
        RankedTensorType::get({static_cast<int64_t>(values.size())},
                              im.builder.getF32Type()),
        ArrayRef(values)));
  }
  if (auto attr = im.attribute(node, "value_ints")) {
    SmallVector<int64_t> values(attr->ints().begin(), attr->ints().end());
    return define(DenseElementsAttr::get(
        RankedTensorType::get({static_cast<int64_t>(values.size())},
                              im.builder.getI64Type()),
        ArrayRef(values)));
  }
  if (!value || !value->has_t())
    return im.fail(node, "string and sparse Constant forms are not supported");
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
  if (wType.getRank() != 4)
    return im.fail(
        node, llvm::formatv("weight has rank {0}, expected 4", wType.getRank())
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

//===----------------------------------------------------------------------===//
// Shape, layout and NN converters
//===----------------------------------------------------------------------===//

/// The integer values of a constant operand (shape, axes, ... inputs).
std::optional<SmallVector<int64_t>> constantInts(Value value) {
  auto constant = value ? value.getDefiningOp<graph::ConstantOp>() : nullptr;
  if (!constant)
    return std::nullopt;
  auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
  if (!dense || !isa<IntegerType>(dense.getElementType()))
    return std::nullopt;
  SmallVector<int64_t> values;
  for (const APInt &v : dense.getValues<APInt>())
    values.push_back(v.getSExtValue());
  return values;
}

ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

Value reshapeTo(Importer &im, Location loc, Value input,
                ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get(shape, getElementTypeOrSelf(input));
  if (type == input.getType())
    return input;
  return graph::ReshapeOp::create(im.builder, loc, type, input);
}

/// A rank-0 constant of `elementType` holding `value`.
Value scalarConstant(Importer &im, Location loc, Type elementType,
                     double value) {
  auto type = RankedTensorType::get({}, elementType);
  Attribute element =
      isa<FloatType>(elementType)
          ? Attribute(im.builder.getFloatAttr(elementType, value))
          : Attribute(im.builder.getIntegerAttr(elementType,
                                                static_cast<int64_t>(value)));
  return graph::ConstantOp::create(im.builder, loc,
                                   DenseElementsAttr::get(type, element));
}

/// Axes from the attribute (older opsets) or the optional second input.
std::optional<SmallVector<int64_t>> axesOf(Importer &im,
                                           const onnx::NodeProto &node,
                                           int inputIndex, bool &dynamic) {
  dynamic = false;
  if (auto attr = im.intsAttr(node, "axes"))
    return attr;
  if (im.hasInput(node, inputIndex)) {
    auto values = constantInts(im.input(node, inputIndex));
    dynamic = !values;
    return values;
  }
  return std::nullopt;
}

LogicalResult convertReshape(Importer &im, const onnx::NodeProto &node) {
  Value data = im.input(node, 0);
  ArrayRef<int64_t> in = shapeOf(data);
  SmallVector<int64_t> target;
  if (node.op_type() == "Reshape") {
    auto shape = constantInts(im.input(node, 1));
    if (!shape)
      return im.fail(node, "a shape input computed at run time is not "
                           "supported");
    bool allowZero = im.intAttr(node, "allowzero", 0);
    int64_t inferred = -1, known = 1;
    for (auto [i, dim] : llvm::enumerate(*shape)) {
      if (dim == 0 && !allowZero) {
        if (i >= in.size())
          return im.fail(node, "shape copies a dimension the input lacks");
        dim = in[i];
      }
      if (dim == -1) {
        if (inferred >= 0)
          return im.fail(node, "shape has more than one -1");
        inferred = i;
      } else if (dim < -1) {
        return im.fail(node, "shape has a negative dimension");
      }
      target.push_back(dim == -1 ? ShapedType::kDynamic : dim);
      if (dim == -1 || ShapedType::isDynamic(known))
        continue;
      if (ShapedType::isDynamic(dim))
        known = ShapedType::kDynamic;
      else if (llvm::MulOverflow(known, dim, known))
        return im.fail(node, "shape has more than 2^63 elements");
    }
    if (inferred >= 0 && ShapedType::isStatic(known) &&
        llvm::none_of(in, ShapedType::isDynamic)) {
      int64_t total = 1;
      for (int64_t d : in)
        if (llvm::MulOverflow(total, d, total))
          return im.fail(node, "input has more than 2^63 elements");
      if (known == 0 || total % known != 0)
        return im.fail(node, "cannot infer the -1 dimension");
      target[inferred] = total / known;
    }
  } else if (node.op_type() == "Flatten") {
    int64_t rank = in.size();
    // Flatten's axis lies in [-rank, rank]; negative counts from the end.
    int64_t given = im.intAttr(node, "axis", 1);
    std::optional<int64_t> axis =
        given < -rank || given > rank
            ? std::nullopt
            : std::optional<int64_t>(given < 0 ? given + rank : given);
    if (!axis)
      return im.fail(node, "axis out of range");
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < rank; ++d) {
      int64_t &part = d < *axis ? outer : inner;
      part = ShapedType::isDynamic(in[d]) || ShapedType::isDynamic(part)
                 ? ShapedType::kDynamic
                 : part * in[d];
    }
    target = {outer, inner};
  } else {
    bool dynamicAxes;
    auto axes = axesOf(im, node, 1, dynamicAxes);
    if (dynamicAxes)
      return im.fail(node, "axes computed at run time are not supported");
    int64_t rank = in.size();
    if (node.op_type() == "Squeeze") {
      SmallVector<bool> drop(rank, false);
      if (axes) {
        for (int64_t a : *axes) {
          auto axis = graph::normalizeAxis(a, rank);
          if (!axis || (ShapedType::isStatic(in[*axis]) && in[*axis] != 1))
            return im.fail(node, "cannot squeeze a dimension that is not 1");
          drop[*axis] = true;
        }
      } else {
        for (int64_t d = 0; d < rank; ++d) {
          if (ShapedType::isDynamic(in[d]))
            return im.fail(node, "squeezing unknown dimensions is not "
                                 "supported");
          drop[d] = in[d] == 1;
        }
      }
      for (int64_t d = 0; d < rank; ++d)
        if (!drop[d])
          target.push_back(in[d]);
    } else { // Unsqueeze
      if (!axes)
        return im.fail(node, "needs axes");
      int64_t outRank = rank + axes->size();
      SmallVector<bool> inserted(outRank, false);
      for (int64_t a : *axes) {
        auto axis = graph::normalizeAxis(a, outRank);
        if (!axis || inserted[*axis])
          return im.fail(node, "axes out of range or repeated");
        inserted[*axis] = true;
      }
      for (int64_t d = 0, next = 0; d < outRank; ++d)
        target.push_back(inserted[d] ? 1 : in[next++]);
    }
  }
  im.define(node.output(0), reshapeTo(im, im.locOf(node), data, target));
  return success();
}

LogicalResult convertTranspose(Importer &im, const onnx::NodeProto &node) {
  Value data = im.input(node, 0);
  int64_t rank = shapeOf(data).size();
  SmallVector<int64_t> perm;
  if (auto attr = im.intsAttr(node, "perm"))
    perm = *attr;
  else
    for (int64_t d = rank - 1; d >= 0; --d)
      perm.push_back(d);
  im.define(node.output(0),
            graph::TransposeOp::create(im.builder, im.locOf(node), data,
                                       im.builder.getDenseI64ArrayAttr(perm)));
  return success();
}

LogicalResult convertConcat(Importer &im, const onnx::NodeProto &node) {
  SmallVector<Value> inputs;
  for (int i = 0; i < node.input_size(); ++i)
    inputs.push_back(im.input(node, i));
  if (failed(sameElementType(im, node, inputs)))
    return failure();
  im.define(node.output(0),
            graph::ConcatOp::create(
                im.builder, im.locOf(node), inputs,
                im.builder.getI64IntegerAttr(im.intAttr(node, "axis", 0))));
  return success();
}

LogicalResult convertShape(Importer &im, const onnx::NodeProto &node) {
  ArrayRef<int64_t> in = shapeOf(im.input(node, 0));
  int64_t rank = in.size();
  int64_t start = im.intAttr(node, "start", 0),
          end = im.intAttr(node, "end", rank);
  start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
  end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
  SmallVector<int64_t> dims;
  for (int64_t d = start; d < end; ++d) {
    if (ShapedType::isDynamic(in[d]))
      return im.fail(node, "the shape of an input with unknown dimensions is "
                           "not supported (use --input-shape)");
    dims.push_back(in[d]);
  }
  auto type = RankedTensorType::get({static_cast<int64_t>(dims.size())},
                                    im.builder.getIntegerType(64));
  im.define(node.output(0), graph::ConstantOp::create(
                                im.builder, im.locOf(node),
                                DenseElementsAttr::get(type, ArrayRef(dims))));
  return success();
}

LogicalResult convertConstantOfShape(Importer &im,
                                     const onnx::NodeProto &node) {
  auto shape = constantInts(im.input(node, 0));
  if (!shape)
    return im.fail(node, "a shape computed at run time is not supported");
  DenseElementsAttr value;
  if (const onnx::AttributeProto *attr = im.attribute(node, "value")) {
    std::string error;
    value = convertTensorProto(attr->t(), im.context, "", error);
    if (!value)
      return im.fail(node, error);
  } else {
    value = DenseElementsAttr::get(
        RankedTensorType::get({1}, im.builder.getF32Type()), 0.0f);
  }
  auto type = RankedTensorType::get(*shape, value.getElementType());
  im.define(node.output(0), graph::ConstantOp::create(
                                im.builder, im.locOf(node),
                                DenseElementsAttr::get(
                                    type, value.getSplatValue<Attribute>())));
  return success();
}

/// Cast and CastLike: `saturate` (opset 19) and `round_mode` (opset 24).
LogicalResult castTo(Importer &im, const onnx::NodeProto &node, Type element) {
  std::string mode = im.stringAttr(node, "round_mode", "up");
  if (mode != "up" && mode != "down" && mode != "nearest")
    return im.fail(node, "round_mode must be 'up', 'down' or 'nearest', got '" +
                             mode + "'");
  Value input = im.input(node, 0);
  auto type = RankedTensorType::get(shapeOf(input), element);
  if (type == input.getType()) {
    im.define(node.output(0), input);
    return success();
  }
  auto cast = graph::CastOp::create(im.builder, im.locOf(node), type, input);
  cast.setSaturate(im.intAttr(node, "saturate", 1) != 0);
  cast.setRoundMode(mode);
  im.define(node.output(0), cast);
  return success();
}

LogicalResult convertCast(Importer &im, const onnx::NodeProto &node) {
  int64_t to = im.intAttr(node, "to", 0);
  Type element = elementType(static_cast<int32_t>(to), im.context);
  if (!element)
    return im.fail(node, "cast to " + onnxTypeName(static_cast<int32_t>(to)) +
                             " is not supported");
  return castTo(im, node, element);
}

LogicalResult convertGemm(Importer &im, const onnx::NodeProto &node) {
  Location loc = im.locOf(node);
  Value a = im.input(node, 0), b = im.input(node, 1);
  auto swap = im.builder.getDenseI64ArrayAttr({1, 0});
  if (im.intAttr(node, "transA", 0))
    a = graph::TransposeOp::create(im.builder, loc, a, swap);
  if (im.intAttr(node, "transB", 0))
    b = graph::TransposeOp::create(im.builder, loc, b, swap);
  if (failed(sameElementType(im, node, {a, b})))
    return failure();
  Type element = getElementTypeOrSelf(a);
  Value y = graph::MatMulOp::create(im.builder, loc, a, b);
  float alpha = 1.0f, beta = 1.0f;
  if (auto attr = im.attribute(node, "alpha"))
    alpha = attr->f();
  if (auto attr = im.attribute(node, "beta"))
    beta = attr->f();
  if (alpha != 1.0f)
    y = graph::MulOp::create(im.builder, loc, y,
                             scalarConstant(im, loc, element, alpha));
  if (im.hasInput(node, 2) && beta != 0.0f) {
    Value c = im.input(node, 2);
    if (beta != 1.0f)
      c = graph::MulOp::create(im.builder, loc, c,
                               scalarConstant(im, loc, element, beta));
    y = graph::AddOp::create(im.builder, loc, y, c);
  }
  im.define(node.output(0), y);
  return success();
}

LogicalResult convertSoftmax(Importer &im, const onnx::NodeProto &node) {
  Location loc = im.locOf(node);
  Value input = im.input(node, 0);
  ArrayRef<int64_t> in = shapeOf(input);
  int64_t rank = in.size();
  bool log = node.op_type() == "LogSoftmax";
  auto make = [&](Value x, int64_t axis) -> Value {
    auto attr = im.builder.getI64IntegerAttr(axis);
    if (log)
      return graph::LogSoftmaxOp::create(im.builder, loc, x, attr);
    return graph::SoftmaxOp::create(im.builder, loc, x, attr);
  };
  if (im.opset >= 13) {
    im.define(node.output(0), make(input, im.intAttr(node, "axis", -1)));
    return success();
  }
  // Before opset 13 the input is flattened to 2-D at `axis` (default 1).
  auto axis = graph::normalizeAxis(im.intAttr(node, "axis", 1), rank);
  if (!axis)
    return im.fail(node, "axis out of range");
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < rank; ++d) {
    if (ShapedType::isDynamic(in[d]))
      return im.fail(node, "softmax before opset 13 needs static shapes");
    (d < *axis ? outer : inner) *= in[d];
  }
  Value flat = reshapeTo(im, loc, input, {outer, inner});
  im.define(node.output(0), reshapeTo(im, loc, make(flat, 1), in));
  return success();
}

LogicalResult convertBatchNorm(Importer &im, const onnx::NodeProto &node) {
  for (int i = 1; i < node.output_size(); ++i)
    if (!node.output(i).empty())
      return im.fail(node, "training-mode BatchNormalization (running "
                           "statistics outputs) is not supported");
  Location loc = im.locOf(node);
  Value x = im.input(node, 0);
  if (failed(sameElementType(im, node,
                             {x, im.input(node, 1), im.input(node, 2),
                              im.input(node, 3), im.input(node, 4)})))
    return failure();
  for (int i = 1; i <= 4; ++i)
    if (shapeOf(im.input(node, i)).size() != 1)
      return im.fail(node, "scale, bias, mean and variance must be 1-D");
  Type element = getElementTypeOrSelf(x);
  float epsilon = 1e-5f;
  if (auto attr = im.attribute(node, "epsilon"))
    epsilon = attr->f();
  // y = x * a + b with a = scale / sqrt(var + eps), b = bias - mean * a;
  // a and b fold to constants when the statistics are initializers.
  Value var = graph::AddOp::create(im.builder, loc, im.input(node, 4),
                                   scalarConstant(im, loc, element, epsilon));
  Value a = graph::MulOp::create(
      im.builder, loc, im.input(node, 1),
      graph::ReciprocalOp::create(im.builder, loc,
                                  graph::SqrtOp::create(im.builder, loc, var)));
  Value b = graph::SubOp::create(
      im.builder, loc, im.input(node, 2),
      graph::MulOp::create(im.builder, loc, im.input(node, 3), a));
  if (shapeOf(a).size() != 1 || shapeOf(b).size() != 1)
    return im.fail(node, "scale, bias, mean and variance differ in length");
  // Per-channel vectors broadcast over [N, C, d1, ...] as [C, 1, ...].
  int64_t rank = shapeOf(x).size();
  SmallVector<int64_t> perChannel{shapeOf(a)[0]};
  perChannel.append(std::max<int64_t>(rank - 2, 0), 1);
  a = reshapeTo(im, loc, a, perChannel);
  b = reshapeTo(im, loc, b, perChannel);
  im.define(node.output(0),
            graph::AddOp::create(im.builder, loc,
                                 graph::MulOp::create(im.builder, loc, x, a),
                                 b));
  return success();
}

LogicalResult convertPool(Importer &im, const onnx::NodeProto &node) {
  Location loc = im.locOf(node);
  Value x = im.input(node, 0);
  ArrayRef<int64_t> in = shapeOf(x);
  if (in.size() != 4)
    return im.fail(node, llvm::formatv("{0}-D pooling is not supported (2-D "
                                       "only)",
                                       static_cast<int64_t>(in.size()) - 2)
                             .str());
  if (node.output_size() > 1 && !node.output(1).empty())
    return im.fail(node, "the Indices output of MaxPool is not supported");
  if (im.intAttr(node, "storage_order", 0) != 0)
    return im.fail(node, "storage_order 1 is not supported");
  auto kernel = im.intsAttr(node, "kernel_shape");
  if (!kernel || kernel->size() != 2)
    return im.fail(node, "needs a 2-D kernel_shape");
  SmallVector<int64_t> strides =
      im.intsAttr(node, "strides").value_or(SmallVector<int64_t>{1, 1});
  SmallVector<int64_t> dilations =
      im.intsAttr(node, "dilations").value_or(SmallVector<int64_t>{1, 1});
  SmallVector<int64_t> pads =
      im.intsAttr(node, "pads").value_or(SmallVector<int64_t>{0, 0, 0, 0});
  bool ceil = im.intAttr(node, "ceil_mode", 0);
  std::string autoPad = im.stringAttr(node, "auto_pad", "NOTSET");
  if (autoPad == "VALID") {
    pads = {0, 0, 0, 0};
  } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    for (int axis = 0; axis < 2; ++axis) {
      if (ShapedType::isDynamic(in[2 + axis]))
        return im.fail(node, "auto_pad needs static spatial sizes");
      int64_t out = (in[2 + axis] + strides[axis] - 1) / strides[axis];
      int64_t total = std::max<int64_t>(
          (out - 1) * strides[axis] + ((*kernel)[axis] - 1) * dilations[axis] +
              1 - in[2 + axis],
          0);
      int64_t small = total / 2, large = total - small;
      pads[axis] = autoPad == "SAME_UPPER" ? small : large;
      pads[axis + 2] = autoPad == "SAME_UPPER" ? large : small;
    }
  } else if (autoPad != "NOTSET") {
    return im.fail(node, "unknown auto_pad '" + autoPad + "'");
  }
  auto ints = [&](ArrayRef<int64_t> v) {
    return im.builder.getDenseI64ArrayAttr(v);
  };
  Value y;
  Type element = getElementTypeOrSelf(x);
  if (node.op_type() == "MaxPool" && element.isInteger(8)) {
    // 8-bit MaxPool (opset 12): exact in f32.
    y = graph::MaxPool2dOp::create(
        im.builder, loc, castElements(im, loc, x, im.builder.getF32Type()),
        ints(*kernel), ints(strides), ints(pads), ints(dilations),
        im.builder.getBoolAttr(ceil));
    y = castElements(im, loc, y, element);
  } else if (node.op_type() == "MaxPool")
    y = graph::MaxPool2dOp::create(im.builder, loc, x, ints(*kernel),
                                   ints(strides), ints(pads), ints(dilations),
                                   im.builder.getBoolAttr(ceil));
  else
    y = graph::AvgPool2dOp::create(
        im.builder, loc, x, ints(*kernel), ints(strides), ints(pads),
        ints(dilations), im.builder.getBoolAttr(ceil),
        im.builder.getBoolAttr(im.intAttr(node, "count_include_pad", 0)));
  im.define(node.output(0), y);
  return success();
}

template <typename OpTy>
LogicalResult convertReduce(Importer &im, const onnx::NodeProto &node) {
  Location loc = im.locOf(node);
  Value x = im.input(node, 0);
  SmallVector<int64_t> axes;
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
      return im.fail(node, "axes computed at run time are not supported");
    if (given)
      axes = *given;
    if (axes.empty() && im.intAttr(node, "noop_with_empty_axes", 0)) {
      im.define(node.output(0), x);
      return success();
    }
  }
  if (std::is_same_v<OpTy, graph::ReduceMeanOp> &&
      !isa<FloatType>(getElementTypeOrSelf(x)))
    return im.fail(node, "integer inputs are not supported");
  // Boolean ReduceMax/ReduceMin (opset 20) are any/all: reduce as u8.
  Type element = getElementTypeOrSelf(x);
  bool boolean = element.isInteger(1);
  if (boolean && !std::is_same_v<OpTy, graph::ReduceMaxOp> &&
      !std::is_same_v<OpTy, graph::ReduceMinOp>)
    return im.fail(node, "boolean inputs are not supported");
  if (boolean)
    x = castElements(im, loc, x,
                     im.builder.getIntegerType(8, /*isSigned=*/false));
  Value y =
      OpTy::create(im.builder, loc, x, im.builder.getDenseI64ArrayAttr(axes),
                   im.builder.getBoolAttr(keepDims));
  im.define(node.output(0), boolean ? castElements(im, loc, y, element) : y);
  return success();
}

LogicalResult convertGather(Importer &im, const onnx::NodeProto &node) {
  im.define(node.output(0),
            graph::GatherOp::create(
                im.builder, im.locOf(node), im.input(node, 0),
                im.input(node, 1),
                im.builder.getI64IntegerAttr(im.intAttr(node, "axis", 0))));
  return success();
}

LogicalResult convertClip(Importer &im, const onnx::NodeProto &node) {
  Location loc = im.locOf(node);
  Value y = im.input(node, 0);
  Type element = getElementTypeOrSelf(y);
  auto bound = [&](const char *name, int index) -> Value {
    if (im.opset < 11) {
      if (auto attr = im.attribute(node, name))
        return scalarConstant(im, loc, element, attr->f());
      return {};
    }
    return im.hasInput(node, index) ? im.input(node, index) : Value();
  };
  Value lo = bound("min", 1), hi = bound("max", 2);
  // f32 with constant (non-NaN) bounds: one graph.clip, which backends run
  // in one pass; anything else as max and min.
  auto constantBound = [&](Value v) -> std::optional<FloatAttr> {
    if (!v)
      return FloatAttr();
    auto constant = v.getDefiningOp<graph::ConstantOp>();
    auto dense = constant ? dyn_cast<DenseElementsAttr>(constant.getValue())
                          : DenseElementsAttr();
    if (!dense || dense.getNumElements() != 1 ||
        !dense.getElementType().isF32())
      return std::nullopt;
    float value = *dense.getValues<float>().begin();
    if (std::isnan(value))
      return std::nullopt;
    return im.builder.getF32FloatAttr(value);
  };
  std::optional<FloatAttr> min = constantBound(lo), max = constantBound(hi);
  if (element.isF32() && min && max && (*min || *max)) {
    y = graph::ClipOp::create(im.builder, loc, y.getType(), y, *min, *max);
  } else {
    if (lo)
      y = graph::MaxOp::create(im.builder, loc, y, lo);
    if (hi)
      y = graph::MinOp::create(im.builder, loc, y, hi);
  }
  if (failed(sameElementType(im, node, {y, im.input(node, 0)})))
    return failure();
  im.define(node.output(0), y);
  return success();
}

LogicalResult convertLrn(Importer &im, const onnx::NodeProto &node) {
  Value x = im.input(node, 0);
  if (!isa<FloatType>(getElementTypeOrSelf(x)))
    return im.fail(node, "integer inputs are not supported");
  auto f = [&](const char *name, float fallback) {
    const onnx::AttributeProto *attr = im.attribute(node, name);
    return im.builder.getF32FloatAttr(attr ? attr->f() : fallback);
  };
  if (!im.attribute(node, "size"))
    return im.fail(node, "needs the size attribute");
  im.define(node.output(0),
            graph::LrnOp::create(
                im.builder, im.locOf(node), x,
                im.builder.getI64IntegerAttr(im.intAttr(node, "size", 1)),
                f("alpha", 1e-4f), f("beta", 0.75f), f("bias", 1.0f)));
  return success();
}

LogicalResult convertLeakyRelu(Importer &im, const onnx::NodeProto &node) {
  Value x = im.input(node, 0);
  if (!isa<FloatType>(getElementTypeOrSelf(x)))
    return im.fail(node, "integer inputs are not supported");
  float alpha = 0.01f;
  if (auto attr = im.attribute(node, "alpha"))
    alpha = attr->f();
  im.define(node.output(0),
            graph::LeakyReluOp::create(im.builder, im.locOf(node), x,
                                       im.builder.getF32FloatAttr(alpha)));
  return success();
}

//===----------------------------------------------------------------------===//
// Activations and normalizations built from graph ops
//===----------------------------------------------------------------------===//

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

float floatAttr(Importer &im, const onnx::NodeProto &node, const char *name,
                float fallback) {
  const onnx::AttributeProto *attr = im.attribute(node, name);
  return attr ? attr->f() : fallback;
}

LogicalResult convertActivation(Importer &im, const onnx::NodeProto &node) {
  Value x = im.input(node, 0);
  Type element = getElementTypeOrSelf(x);
  const std::string &type = node.op_type();
  bool integersOk = type == "Sign" || type == "PRelu";
  if (!integersOk && !isa<FloatType>(element))
    return im.fail(node, "integer inputs are not supported");
  Emitter e{im, im.locOf(node), element};
  auto attr = [&](const char *name, float fallback) {
    return floatAttr(im, node, name, fallback);
  };
  Value zero = e.c(0);
  Value y;
  if (type == "HardSigmoid" || type == "HardSwish") {
    float alpha = type == "HardSwish" ? 1.0f / 6 : attr("alpha", 0.2f);
    float beta = type == "HardSwish" ? 0.5f : attr("beta", 0.5f);
    y = e.max(zero, e.min(e.c(1), e.add(e.mul(x, e.c(alpha)), e.c(beta))));
    if (type == "HardSwish")
      y = e.mul(x, y);
  } else if (type == "Swish") {
    y = e.mul(x, e.op<graph::SigmoidOp>(e.mul(x, e.c(attr("alpha", 1.0f)))));
  } else if (type == "Elu") {
    float alpha = attr("alpha", 1.0f);
    Value negative = e.mul(e.c(alpha), e.sub(e.op<graph::ExpOp>(x), e.c(1)));
    y = e.select(e.less(x, zero), negative, x);
  } else if (type == "Selu") {
    float alpha = attr("alpha", 1.67326319217681884765625f);
    float gamma = attr("gamma", 1.05070102214813232421875f);
    Value negative =
        e.sub(e.mul(e.c(alpha), e.op<graph::ExpOp>(x)), e.c(alpha));
    y = e.mul(e.c(gamma), e.select(e.greater(x, zero), x, negative));
  } else if (type == "Celu") {
    float alpha = attr("alpha", 1.0f);
    Value scaled = e.mul(
        e.c(alpha), e.sub(e.op<graph::ExpOp>(e.div(x, e.c(alpha))), e.c(1)));
    y = e.add(e.max(zero, x), e.min(zero, scaled));
  } else if (type == "Softplus") {
    y = e.op<graph::LogOp>(e.add(e.op<graph::ExpOp>(x), e.c(1)));
  } else if (type == "Softsign") {
    y = e.div(x, e.add(e.c(1), e.op<graph::AbsOp>(x)));
  } else if (type == "ThresholdedRelu") {
    y = e.select(e.greater(x, e.c(attr("alpha", 1.0f))), x, zero);
  } else if (type == "Mish") {
    Value softplus = e.op<graph::LogOp>(e.add(e.op<graph::ExpOp>(x), e.c(1)));
    y = e.mul(x, e.op<graph::TanhOp>(softplus));
  } else if (type == "Gelu") {
    std::string approximate = im.stringAttr(node, "approximate", "none");
    if (approximate == "tanh") {
      Value inner =
          e.mul(e.c(0.7978845608028654),
                e.add(x, e.mul(e.c(0.044715), e.mul(x, e.mul(x, x)))));
      y = e.mul(e.mul(e.c(0.5), x), e.add(e.c(1), e.op<graph::TanhOp>(inner)));
    } else {
      Value erf = e.op<graph::ErfOp>(e.mul(x, e.c(0.7071067811865476)));
      y = e.mul(e.mul(e.c(0.5), x), e.add(e.c(1), erf));
    }
  } else if (type == "Shrink") {
    float bias = attr("bias", 0.0f), lambd = attr("lambd", 0.5f);
    y = e.select(e.less(x, e.c(-lambd)), e.add(x, e.c(bias)),
                 e.select(e.greater(x, e.c(lambd)), e.sub(x, e.c(bias)), zero));
  } else if (type == "Sign") {
    y = e.select(e.greater(x, zero), e.c(1),
                 e.select(e.less(x, zero), e.c(-1), zero));
  } else if (type == "PRelu") {
    Value slope = im.input(node, 1);
    if (getElementTypeOrSelf(slope) != element)
      return im.fail(node, "slope of a different element type is not "
                           "supported");
    y = e.select(e.less(x, zero), e.mul(x, slope), x);
  } else if (type == "IsNaN") {
    y = e.op<graph::NotOp>(e.op<graph::EqualOp>(x, x));
  } else if (type == "IsInf") {
    bool negative = im.intAttr(node, "detect_negative", 1);
    bool positive = im.intAttr(node, "detect_positive", 1);
    double inf = std::numeric_limits<double>::infinity();
    Value pos = e.op<graph::EqualOp>(x, e.c(inf));
    Value neg = e.op<graph::EqualOp>(x, e.c(-inf));
    y = negative && positive ? e.op<graph::OrOp>(pos, neg)
        : positive           ? pos
        : negative           ? neg
                             : e.op<graph::NotOp>(e.op<graph::EqualOp>(x, x));
    if (!negative && !positive) // Neither: all false, even for NaN.
      y = e.op<graph::AndOp>(y, e.op<graph::EqualOp>(x, x));
  } else if (type == "Round") {
    y = e.op<graph::RoundOp>(x);
  } else {
    return im.fail(node, "internal: no decomposition");
  }
  im.define(node.output(0), y);
  return success();
}

LogicalResult convertLayerNorm(Importer &im, const onnx::NodeProto &node) {
  Value x = im.input(node, 0);
  Type element = getElementTypeOrSelf(x);
  if (!isa<FloatType>(element))
    return im.fail(node, "integer inputs are not supported");
  int64_t rank = shapeOf(x).size();
  auto axis = graph::normalizeAxis(im.intAttr(node, "axis", -1), rank);
  if (!axis)
    return im.fail(node, "axis out of range");
  SmallVector<int64_t> axes;
  for (int64_t d = *axis; d < rank; ++d)
    axes.push_back(d);
  Emitter e{im, im.locOf(node), element};
  auto mean = [&](Value v) {
    return graph::ReduceMeanOp::create(im.builder, e.loc, v,
                                       im.builder.getDenseI64ArrayAttr(axes),
                                       im.builder.getBoolAttr(true))
        ->getResult(0);
  };
  Value mu = mean(x);
  Value centred = e.sub(x, mu);
  Value var = mean(e.mul(centred, centred));
  Value invStd = e.op<graph::ReciprocalOp>(e.op<graph::SqrtOp>(
      e.add(var, e.c(floatAttr(im, node, "epsilon", 1e-5f)))));
  Value y = e.mul(e.mul(centred, invStd), im.input(node, 1));
  if (im.hasInput(node, 2))
    y = e.add(y, im.input(node, 2));
  im.define(node.output(0), y);
  if (node.output_size() > 1 && !node.output(1).empty())
    im.define(node.output(1), mu);
  if (node.output_size() > 2 && !node.output(2).empty())
    im.define(node.output(2), invStd);
  return success();
}

/// ReduceL1, ReduceL2, ReduceSumSquare, ReduceLogSum, ReduceLogSumExp.
LogicalResult convertReduceComposite(Importer &im,
                                     const onnx::NodeProto &node) {
  Value x = im.input(node, 0);
  Type element = getElementTypeOrSelf(x);
  if (!isa<FloatType>(element))
    return im.fail(node, "integer inputs are not supported");
  bool dynamic;
  auto given = axesOf(im, node, 1, dynamic);
  if (dynamic)
    return im.fail(node, "axes computed at run time are not supported");
  SmallVector<int64_t> axes = given.value_or(SmallVector<int64_t>{});
  if (axes.empty() && im.intAttr(node, "noop_with_empty_axes", 0)) {
    im.define(node.output(0), x);
    return success();
  }
  bool keep = im.intAttr(node, "keepdims", 1);
  Emitter e{im, im.locOf(node), element};
  auto reduce = [&](auto tag, Value v, bool keepDims) {
    using OpTy = decltype(tag);
    return OpTy::create(im.builder, e.loc, v,
                        im.builder.getDenseI64ArrayAttr(axes),
                        im.builder.getBoolAttr(keepDims))
        ->getResult(0);
  };
  const std::string &type = node.op_type();
  Value y;
  if (type == "ReduceL1")
    y = reduce(graph::ReduceSumOp(), e.op<graph::AbsOp>(x), keep);
  else if (type == "ReduceL2")
    y = e.op<graph::SqrtOp>(reduce(graph::ReduceSumOp(), e.mul(x, x), keep));
  else if (type == "ReduceSumSquare")
    y = reduce(graph::ReduceSumOp(), e.mul(x, x), keep);
  else if (type == "ReduceLogSum")
    y = e.op<graph::LogOp>(reduce(graph::ReduceSumOp(), x, keep));
  else { // ReduceLogSumExp, shifted by the max for stability.
    Value max = reduce(graph::ReduceMaxOp(), x, true);
    Value sum =
        reduce(graph::ReduceSumOp(), e.op<graph::ExpOp>(e.sub(x, max)), true);
    y = e.add(e.op<graph::LogOp>(sum), max);
    if (!keep)
      y = reshapeTo(im, e.loc, y,
                    cast<RankedTensorType>(
                        reduce(graph::ReduceSumOp(), x, false).getType())
                        .getShape());
  }
  im.define(node.output(0), y);
  return success();
}

LogicalResult convertArg(Importer &im, const onnx::NodeProto &node) {
  auto axis = im.builder.getI64IntegerAttr(im.intAttr(node, "axis", 0));
  auto keep = im.builder.getBoolAttr(im.intAttr(node, "keepdims", 1));
  auto last = im.builder.getBoolAttr(im.intAttr(node, "select_last_index", 0));
  Value x = im.input(node, 0);
  Value y = node.op_type() == "ArgMax"
                ? graph::ArgMaxOp::create(im.builder, im.locOf(node), x, axis,
                                          keep, last)
                      ->getResult(0)
                : graph::ArgMinOp::create(im.builder, im.locOf(node), x, axis,
                                          keep, last)
                      ->getResult(0);
  im.define(node.output(0), y);
  return success();
}

//===----------------------------------------------------------------------===//
// Slicing, padding, broadcasting
//===----------------------------------------------------------------------===//

/// Builds graph.slice from ONNX-style starts/ends/axes/steps, clamping as
/// ONNX specifies. Needs static dimensions on the sliced axes.
FailureOr<Value> emitSlice(Importer &im, const onnx::NodeProto &node,
                           Location loc, Value data, ArrayRef<int64_t> startsIn,
                           ArrayRef<int64_t> endsIn, ArrayRef<int64_t> axesIn,
                           ArrayRef<int64_t> stepsIn) {
  ArrayRef<int64_t> in = shapeOf(data);
  int64_t rank = in.size();
  SmallVector<int64_t> starts(rank, 0), limits(in), steps(rank, 1);
  for (size_t i = 0; i < startsIn.size(); ++i) {
    auto axis =
        graph::normalizeAxis(axesIn.empty() ? int64_t(i) : axesIn[i], rank);
    if (!axis)
      return im.fail(node, "axis out of range");
    int64_t n = in[*axis];
    if (ShapedType::isDynamic(n))
      return im.fail(node, "slicing a dimension of unknown size is not "
                           "supported");
    int64_t step = stepsIn.empty() ? 1 : stepsIn[i];
    if (step == 0)
      return im.fail(node, "step 0 is invalid");
    auto clamp = [&](int64_t v) {
      if (v < 0)
        v += n;
      return step > 0 ? std::clamp<int64_t>(v, 0, n)
                      : std::clamp<int64_t>(v, -1, n - 1);
    };
    starts[*axis] = clamp(startsIn[i]);
    limits[*axis] = clamp(endsIn[i]);
    steps[*axis] = step;
  }
  return graph::SliceOp::create(im.builder, loc, data,
                                im.builder.getDenseI64ArrayAttr(starts),
                                im.builder.getDenseI64ArrayAttr(limits),
                                im.builder.getDenseI64ArrayAttr(steps))
      ->getResult(0);
}

LogicalResult convertSlice(Importer &im, const onnx::NodeProto &node) {
  Value data = im.input(node, 0);
  SmallVector<int64_t> starts, ends, axes, steps;
  if (im.opset < 10) {
    starts = im.intsAttr(node, "starts").value_or(SmallVector<int64_t>{});
    ends = im.intsAttr(node, "ends").value_or(SmallVector<int64_t>{});
    axes = im.intsAttr(node, "axes").value_or(SmallVector<int64_t>{});
  } else {
    auto get = [&](int i) -> std::optional<SmallVector<int64_t>> {
      if (!im.hasInput(node, i))
        return SmallVector<int64_t>{};
      return constantInts(im.input(node, i));
    };
    auto s = get(1), e = get(2), a = get(3), st = get(4);
    if (!s || !e || !a || !st)
      return im.fail(node, "slice bounds computed at run time are not "
                           "supported");
    starts = *s, ends = *e, axes = *a, steps = *st;
  }
  if (starts.size() != ends.size())
    return im.fail(node, "starts and ends differ in length");
  auto y = emitSlice(im, node, im.locOf(node), data, starts, ends, axes, steps);
  if (failed(y))
    return failure();
  im.define(node.output(0), *y);
  return success();
}

LogicalResult convertSplit(Importer &im, const onnx::NodeProto &node) {
  Value data = im.input(node, 0);
  ArrayRef<int64_t> in = shapeOf(data);
  auto axis = graph::normalizeAxis(im.intAttr(node, "axis", 0), in.size());
  if (!axis || ShapedType::isDynamic(in[*axis]))
    return im.fail(node, "axis out of range or of unknown size");
  int64_t outputs = node.output_size(), n = in[*axis];
  SmallVector<int64_t> sizes;
  if (auto attr = im.intsAttr(node, "split")) {
    sizes = *attr;
  } else if (im.hasInput(node, 1)) {
    auto given = constantInts(im.input(node, 1));
    if (!given)
      return im.fail(node, "split sizes computed at run time are not "
                           "supported");
    sizes = *given;
  } else {
    // Equal parts; with num_outputs (opset 18) the last may be smaller.
    int64_t parts = im.intAttr(node, "num_outputs", outputs);
    int64_t chunk = (n + parts - 1) / parts;
    for (int64_t i = 0; i < parts; ++i)
      sizes.push_back(std::min(chunk, n - i * chunk));
  }
  if (static_cast<int64_t>(sizes.size()) != outputs)
    return im.fail(node, "split sizes do not match the number of outputs");
  int64_t offset = 0;
  for (int64_t i = 0; i < outputs; ++i) {
    int64_t start[] = {offset}, end[] = {offset + sizes[i]}, ax[] = {*axis};
    auto y = emitSlice(im, node, im.locOf(node), data, start, end, ax, {});
    if (failed(y))
      return failure();
    im.define(node.output(i), *y);
    offset += sizes[i];
  }
  if (offset != n)
    return im.fail(node, "split sizes do not add up to the dimension");
  return success();
}

LogicalResult convertPad(Importer &im, const onnx::NodeProto &node) {
  Value data = im.input(node, 0);
  int64_t rank = shapeOf(data).size();
  SmallVector<int64_t> pads;
  double value = 0;
  if (im.opset < 11) {
    pads = im.intsAttr(node, "pads").value_or(SmallVector<int64_t>{});
    value = floatAttr(im, node, "value", 0.0f);
  } else {
    auto given = constantInts(im.input(node, 1));
    if (!given)
      return im.fail(node, "pads computed at run time are not supported");
    pads = *given;
    if (im.hasInput(node, 2)) {
      auto constant = im.input(node, 2).getDefiningOp<graph::ConstantOp>();
      auto dense = constant ? dyn_cast<DenseElementsAttr>(constant.getValue())
                            : DenseElementsAttr();
      if (!dense)
        return im.fail(node, "a pad value computed at run time is not "
                             "supported");
      value = toTensor(dense).getDouble(0);
    }
  }
  SmallVector<int64_t> axes;
  if (im.hasInput(node, 3)) {
    auto given = constantInts(im.input(node, 3));
    if (!given)
      return im.fail(node, "axes computed at run time are not supported");
    for (int64_t a : *given) {
      auto axis = graph::normalizeAxis(a, rank);
      if (!axis)
        return im.fail(node, "axis out of range");
      axes.push_back(*axis);
    }
  } else {
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  if (pads.size() != 2 * axes.size())
    return im.fail(node, "pads need a begin and an end per axis");
  SmallVector<int64_t> low(rank, 0), high(rank, 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    low[axes[i]] = pads[i];
    high[axes[i]] = pads[i + axes.size()];
  }
  std::string mode = im.stringAttr(node, "mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge" &&
      mode != "wrap")
    return im.fail(node, "pad mode '" + mode + "' is not supported");
  im.define(node.output(0),
            graph::PadOp::create(im.builder, im.locOf(node), data,
                                 im.builder.getDenseI64ArrayAttr(low),
                                 im.builder.getDenseI64ArrayAttr(high),
                                 im.builder.getF64FloatAttr(value),
                                 im.builder.getStringAttr(mode))
                ->getResult(0));
  return success();
}

LogicalResult convertExpand(Importer &im, const onnx::NodeProto &node) {
  Value data = im.input(node, 0);
  auto shape = constantInts(im.input(node, 1));
  if (!shape)
    return im.fail(node, "a target shape computed at run time is not "
                         "supported");
  auto result = graph::inferBroadcastShape(shapeOf(data), *shape);
  if (failed(result))
    return im.fail(node, "the input cannot broadcast to the requested shape");
  auto type = RankedTensorType::get(*result, getElementTypeOrSelf(data));
  im.define(node.output(0), type == data.getType()
                                ? data
                                : graph::BroadcastOp::create(
                                      im.builder, im.locOf(node), type, data)
                                      ->getResult(0));
  return success();
}

LogicalResult convertTile(Importer &im, const onnx::NodeProto &node) {
  auto repeats = constantInts(im.input(node, 1));
  if (!repeats)
    return im.fail(node, "repeats computed at run time are not supported");
  im.define(node.output(0),
            graph::TileOp::create(im.builder, im.locOf(node), im.input(node, 0),
                                  im.builder.getDenseI64ArrayAttr(*repeats))
                ->getResult(0));
  return success();
}

LogicalResult convertRange(Importer &im, const onnx::NodeProto &node) {
  auto scalar = [&](int i) -> std::optional<double> {
    auto constant = im.input(node, i).getDefiningOp<graph::ConstantOp>();
    auto dense = constant ? dyn_cast<DenseElementsAttr>(constant.getValue())
                          : DenseElementsAttr();
    if (!dense || dense.getNumElements() != 1)
      return std::nullopt;
    return toTensor(dense).getDouble(0);
  };
  auto start = scalar(0), limit = scalar(1), delta = scalar(2);
  if (!start || !limit || !delta)
    return im.fail(node, "Range with bounds computed at run time is not "
                         "supported");
  if (*delta == 0)
    return im.fail(node, "delta is 0");
  int64_t count = std::max<int64_t>(
      static_cast<int64_t>(std::ceil((*limit - *start) / *delta)), 0);
  Type element = getElementTypeOrSelf(im.input(node, 0));
  std::optional<DType> dtype = toDType(element);
  Tensor values(*dtype, {count});
  for (int64_t i = 0; i < count; ++i)
    values.setDouble(i, *start + i * *delta);
  im.define(node.output(0),
            graph::ConstantOp::create(
                im.builder, im.locOf(node),
                toAttr(values, RankedTensorType::get({count}, element)))
                ->getResult(0));
  return success();
}

//===----------------------------------------------------------------------===//
// Further ONNX operators
//===----------------------------------------------------------------------===//

LogicalResult convertCastLike(Importer &im, const onnx::NodeProto &node) {
  return castTo(im, node, getElementTypeOrSelf(im.input(node, 1)));
}

LogicalResult convertSize(Importer &im, const onnx::NodeProto &node) {
  ArrayRef<int64_t> in = shapeOf(im.input(node, 0));
  int64_t count = 1;
  for (int64_t d : in) {
    if (ShapedType::isDynamic(d))
      return im.fail(node, "the size of an input with unknown dimensions is "
                           "not supported (use --input-shape)");
    count *= d;
  }
  auto type = RankedTensorType::get({}, im.builder.getI64Type());
  im.define(node.output(0),
            graph::ConstantOp::create(im.builder, im.locOf(node),
                                      DenseElementsAttr::get(type, count))
                ->getResult(0));
  return success();
}

LogicalResult convertMod(Importer &im, const onnx::NodeProto &node) {
  Value a = im.input(node, 0), b = im.input(node, 1);
  if (failed(sameElementType(im, node, {a, b})))
    return failure();
  bool fmod = im.intAttr(node, "fmod", 0);
  if (!fmod && isa<FloatType>(getElementTypeOrSelf(a)))
    return im.fail(node, "Mod of floats needs fmod=1");
  im.define(node.output(0),
            graph::ModOp::create(im.builder, im.locOf(node), a, b,
                                 im.builder.getBoolAttr(fmod))
                ->getResult(0));
  return success();
}

LogicalResult convertTrilu(Importer &im, const onnx::NodeProto &node) {
  int64_t k = 0;
  if (im.hasInput(node, 1)) {
    auto given = constantInts(im.input(node, 1));
    if (!given || given->size() != 1)
      return im.fail(node, "a diagonal offset computed at run time is not "
                           "supported");
    k = (*given)[0];
  }
  im.define(node.output(0),
            graph::TriluOp::create(
                im.builder, im.locOf(node), im.input(node, 0),
                im.builder.getBoolAttr(im.intAttr(node, "upper", 1)),
                im.builder.getI64IntegerAttr(k))
                ->getResult(0));
  return success();
}

LogicalResult convertGatherElements(Importer &im, const onnx::NodeProto &node) {
  im.define(node.output(0),
            graph::GatherElementsOp::create(
                im.builder, im.locOf(node),
                RankedTensorType::get(shapeOf(im.input(node, 1)),
                                      getElementTypeOrSelf(im.input(node, 0))),
                im.input(node, 0), im.input(node, 1),
                im.builder.getI64IntegerAttr(im.intAttr(node, "axis", 0)))
                ->getResult(0));
  return success();
}

LogicalResult convertCumSum(Importer &im, const onnx::NodeProto &node) {
  auto axis = constantInts(im.input(node, 1));
  if (!axis || axis->size() != 1)
    return im.fail(node, "an axis computed at run time is not supported");
  im.define(node.output(0),
            graph::CumSumOp::create(
                im.builder, im.locOf(node), im.input(node, 0),
                im.builder.getI64IntegerAttr((*axis)[0]),
                im.builder.getBoolAttr(im.intAttr(node, "exclusive", 0)),
                im.builder.getBoolAttr(im.intAttr(node, "reverse", 0)))
                ->getResult(0));
  return success();
}

LogicalResult convertHardmax(Importer &im, const onnx::NodeProto &node) {
  Value x = im.input(node, 0);
  if (!isa<FloatType>(getElementTypeOrSelf(x)))
    return im.fail(node, "integer inputs are not supported");
  int64_t rank = shapeOf(x).size();
  int64_t axis = im.intAttr(node, "axis", im.opset >= 13 ? -1 : 1);
  auto normalized = graph::normalizeAxis(axis, rank);
  if (!normalized)
    return im.fail(node, "axis out of range");
  if (im.opset < 13 && *normalized != rank - 1)
    return im.fail(node, "Hardmax before opset 13 over a flattened suffix is "
                         "not supported");
  im.define(node.output(0),
            graph::HardmaxOp::create(im.builder, im.locOf(node), x,
                                     im.builder.getI64IntegerAttr(axis))
                ->getResult(0));
  return success();
}

/// RMSNormalization and LpNormalization: x scaled by a norm over axes.
LogicalResult convertNorm(Importer &im, const onnx::NodeProto &node) {
  Value x = im.input(node, 0);
  Type element = getElementTypeOrSelf(x);
  if (!isa<FloatType>(element))
    return im.fail(node, "integer inputs are not supported");
  int64_t rank = shapeOf(x).size();
  Emitter e{im, im.locOf(node), element};
  bool rms = node.op_type() == "RMSNormalization";
  auto axis = graph::normalizeAxis(im.intAttr(node, "axis", -1), rank);
  if (!axis)
    return im.fail(node, "axis out of range");
  SmallVector<int64_t> axes;
  for (int64_t d = *axis; d < (rms ? rank : *axis + 1); ++d)
    axes.push_back(d);
  auto reduce = [&](auto tag, Value v) {
    using OpTy = decltype(tag);
    return OpTy::create(im.builder, e.loc, v,
                        im.builder.getDenseI64ArrayAttr(axes),
                        im.builder.getBoolAttr(true))
        ->getResult(0);
  };
  Value y;
  if (rms) {
    Value meanSquare = reduce(graph::ReduceMeanOp(), e.mul(x, x));
    Value scale = e.op<graph::ReciprocalOp>(e.op<graph::SqrtOp>(
        e.add(meanSquare, e.c(floatAttr(im, node, "epsilon", 1e-5f)))));
    y = e.mul(e.mul(x, scale), im.input(node, 1));
  } else {
    int64_t p = im.intAttr(node, "p", 2);
    if (p != 1 && p != 2)
      return im.fail(node, "only p = 1 and p = 2 are supported");
    Value norm =
        p == 1 ? reduce(graph::ReduceSumOp(), e.op<graph::AbsOp>(x))
               : e.op<graph::SqrtOp>(reduce(graph::ReduceSumOp(), e.mul(x, x)));
    y = e.div(x, norm);
  }
  im.define(node.output(0), y);
  return success();
}

/// NegativeLogLikelihoodLoss on given log-probabilities [N, C, d...] and
/// targets [N, d...]; shared by SoftmaxCrossEntropyLoss.
FailureOr<Value> emitNllLoss(Importer &im, const onnx::NodeProto &node,
                             Value input, Value target, Value weight) {
  Type element = getElementTypeOrSelf(input);
  if (!isa<FloatType>(element))
    return im.fail(node, "integer inputs are not supported");
  Location loc = im.locOf(node);
  Emitter e{im, loc, element};
  Type targetType = getElementTypeOrSelf(target);
  ArrayRef<int64_t> targetShape = shapeOf(target);
  SmallVector<int64_t> expanded(targetShape);
  expanded.insert(expanded.begin() + 1, 1);
  Value t = reshapeTo(im, loc, target, expanded);
  // Targets equal to ignore_index pick class 0 and get weight 0.
  Value keep = e.c(1);
  if (const onnx::AttributeProto *ignore = im.attribute(node, "ignore_index")) {
    Value ignored =
        graph::EqualOp::create(im.builder, loc, t,
                               scalarConstant(im, loc, targetType, ignore->i()))
            ->getResult(0);
    t = e.select(ignored, scalarConstant(im, loc, targetType, 0), t);
    keep = reshapeTo(im, loc, e.select(ignored, e.c(0), e.c(1)), targetShape);
  }
  Value picked =
      reshapeTo(im, loc,
                graph::GatherElementsOp::create(
                    im.builder, loc, RankedTensorType::get(expanded, element),
                    input, t, im.builder.getI64IntegerAttr(1))
                    ->getResult(0),
                targetShape);
  Value w = keep;
  if (weight) {
    Value flat = reshapeTo(im, loc, t, targetShape);
    Value classWeight = graph::GatherOp::create(im.builder, loc, weight, flat,
                                                im.builder.getI64IntegerAttr(0))
                            ->getResult(0);
    w = e.mul(classWeight, keep);
  }
  Value loss = e.mul(e.op<graph::NegOp>(picked), w);
  std::string reduction = im.stringAttr(node, "reduction", "mean");
  auto sumAll = [&](Value v) {
    return graph::ReduceSumOp::create(im.builder, loc, v,
                                      im.builder.getDenseI64ArrayAttr({}),
                                      im.builder.getBoolAttr(false))
        ->getResult(0);
  };
  if (reduction == "none")
    return loss;
  if (reduction == "sum")
    return sumAll(loss);
  if (reduction != "mean")
    return im.fail(node, "unknown reduction '" + reduction + "'");
  // Mean over the weights actually applied (a broadcast weight of 1 when
  // there is neither a weight input nor an ignore_index).
  Value total = sumAll(w);
  if (!weight && !im.attribute(node, "ignore_index")) {
    int64_t count = 1;
    for (int64_t d : targetShape) {
      if (ShapedType::isDynamic(d))
        return im.fail(node, "mean reduction over unknown dimensions is not "
                             "supported");
      count *= d;
    }
    total = e.c(static_cast<double>(count));
  }
  return e.div(sumAll(loss), total);
}

LogicalResult convertLoss(Importer &im, const onnx::NodeProto &node) {
  Value input = im.input(node, 0);
  Value weight = im.hasInput(node, 2) ? im.input(node, 2) : Value();
  if (node.op_type() == "SoftmaxCrossEntropyLoss") {
    if (!isa<FloatType>(getElementTypeOrSelf(input)))
      return im.fail(node, "integer inputs are not supported");
    input = graph::LogSoftmaxOp::create(im.builder, im.locOf(node), input,
                                        im.builder.getI64IntegerAttr(1))
                ->getResult(0);
    if (node.output_size() > 1 && !node.output(1).empty())
      im.define(node.output(1), input);
  }
  auto loss = emitNllLoss(im, node, input, im.input(node, 1), weight);
  if (failed(loss))
    return failure();
  im.define(node.output(0), *loss);
  return success();
}

/// Reshapes a per-axis vector [C] to broadcast along `axis` of `rank`.
Value alongAxis(Importer &im, Location loc, Value v, int64_t axis,
                int64_t rank) {
  ArrayRef<int64_t> shape = shapeOf(v);
  if (shape.size() != 1 || rank == 0)
    return v;
  SmallVector<int64_t> target(rank, 1);
  target[axis] = shape[0];
  return reshapeTo(im, loc, v, target);
}

/// One Einsum operand: its value and one label per dimension.
struct EinsumTerm {
  Value value;
  std::string labels;
};

/// Builds Einsum from reduce_sum, transpose, reshape and matmul: each pair
/// of operands becomes one (broadcasting) batched matmul.
class EinsumBuilder {
public:
  EinsumBuilder(Importer &im, Location loc) : im(im), loc(loc) {}

  /// Sums out the labels of `t` that are not in `keep`.
  EinsumTerm reduce(EinsumTerm t, const std::string &keep) {
    SmallVector<int64_t> axes;
    std::string left;
    for (size_t d = 0; d < t.labels.size(); ++d) {
      if (keep.find(t.labels[d]) == std::string::npos)
        axes.push_back(d);
      else
        left += t.labels[d];
    }
    if (axes.empty())
      return t;
    Value v = graph::ReduceSumOp::create(im.builder, loc, t.value,
                                         im.builder.getDenseI64ArrayAttr(axes),
                                         im.builder.getBoolAttr(false));
    return {v, left};
  }

  /// Permutes `t` to the label order `order` (a permutation of its labels).
  EinsumTerm arrange(EinsumTerm t, const std::string &order) {
    SmallVector<int64_t> perm;
    for (char c : order)
      perm.push_back(t.labels.find(c));
    if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())))
      return {t.value, order};
    Value v = graph::TransposeOp::create(im.builder, loc, t.value,
                                         im.builder.getDenseI64ArrayAttr(perm));
    return {v, order};
  }

  /// a x b over their shared labels, keeping the labels in `keep`.
  EinsumTerm contract(EinsumTerm a, EinsumTerm b, const std::string &keep) {
    std::string keepA = keep + b.labels, keepB = keep + a.labels;
    a = reduce(a, keepA);
    b = reduce(b, keepB);
    std::string batch, contracted, freeA, freeB;
    for (char c : a.labels) {
      bool shared = b.labels.find(c) != std::string::npos;
      bool kept = keep.find(c) != std::string::npos;
      (shared ? (kept ? batch : contracted) : freeA) += c;
    }
    for (char c : b.labels)
      if (a.labels.find(c) == std::string::npos)
        freeB += c;
    a = arrange(a, batch + freeA + contracted);
    b = arrange(b, batch + contracted + freeB);
    auto sizes = [&](const EinsumTerm &t, const std::string &labels) {
      SmallVector<int64_t> out;
      for (char c : labels)
        out.push_back(shapeOf(t.value)[t.labels.find(c)]);
      return out;
    };
    auto product = [](ArrayRef<int64_t> dims) {
      int64_t n = 1;
      for (int64_t d : dims)
        n *= d;
      return n;
    };
    SmallVector<int64_t> shapeA = sizes(a, batch), shapeB = sizes(b, batch);
    shapeA.append({product(sizes(a, freeA)), product(sizes(a, contracted))});
    shapeB.append({product(sizes(b, contracted)), product(sizes(b, freeB))});
    Value mm = graph::MatMulOp::create(im.builder, loc,
                                       reshapeTo(im, loc, a.value, shapeA),
                                       reshapeTo(im, loc, b.value, shapeB));
    SmallVector<int64_t> result(shapeOf(mm).drop_back(2));
    result.append(sizes(a, freeA));
    result.append(sizes(b, freeB));
    return {reshapeTo(im, loc, mm, result), batch + freeA + freeB};
  }

private:
  Importer &im;
  Location loc;
};

/// Parses an Einsum equation into per-operand labels and the output labels.
/// Ellipsis dimensions get the labels '0'..'9', right-aligned like
/// broadcasting; an implicit output is the ellipsis, then the labels used
/// once, in alphabetical order.
FailureOr<std::pair<SmallVector<std::string>, std::string>>
parseEinsum(Importer &im, const onnx::NodeProto &node) {
  std::string equation;
  for (char c : im.stringAttr(node, "equation", ""))
    if (c != ' ')
      equation += c;
  size_t arrow = equation.find("->");
  std::string lhs = equation.substr(0, arrow);
  SmallVector<StringRef> parts;
  StringRef(lhs).split(parts, ',');
  if (static_cast<int>(parts.size()) != node.input_size())
    return im.fail(node, "equation '" + equation + "' names " +
                             std::to_string(parts.size()) +
                             " operands, the "
                             "node has " +
                             std::to_string(node.input_size()));
  int64_t ellipsisRank = 0;
  SmallVector<int64_t> ranks;
  for (int i = 0; i < node.input_size(); ++i) {
    int64_t rank = shapeOf(im.input(node, i)).size();
    ranks.push_back(rank);
    if (parts[i].contains("..."))
      ellipsisRank = std::max<int64_t>(
          ellipsisRank, rank - static_cast<int64_t>(parts[i].size() - 3));
  }
  if (ellipsisRank > 10)
    return im.fail(node, "more than 10 ellipsis dimensions are not supported");
  auto expand = [&](StringRef term,
                    int64_t rank) -> std::optional<std::string> {
    std::string out;
    size_t dots = term.find("...");
    for (size_t i = 0; i < term.size(); ++i) {
      if (i == dots) {
        int64_t count = rank < 0 ? ellipsisRank
                                 : rank - static_cast<int64_t>(term.size() - 3);
        if (count < 0)
          return std::nullopt;
        for (int64_t j = ellipsisRank - count; j < ellipsisRank; ++j)
          out += static_cast<char>('0' + j);
        i += 2;
      } else if (std::isalpha(static_cast<unsigned char>(term[i]))) {
        out += term[i];
      } else {
        return std::nullopt;
      }
    }
    if (rank >= 0 && static_cast<int64_t>(out.size()) != rank)
      return std::nullopt;
    return out;
  };
  SmallVector<std::string> terms;
  std::map<char, int> uses;
  for (int i = 0; i < node.input_size(); ++i) {
    auto labels = expand(parts[i], ranks[i]);
    if (!labels)
      return im.fail(node, "operand " + std::to_string(i) + " of equation '" +
                               equation + "' does not match its rank " +
                               std::to_string(ranks[i]));
    for (char c : *labels)
      if (llvm::count(*labels, c) > 1)
        return im.fail(node, "repeated labels within an operand (diagonals, "
                             "traces) are not supported");
    for (char c : *labels)
      ++uses[c];
    terms.push_back(*labels);
  }
  std::string output;
  if (arrow == std::string::npos) {
    for (int64_t j = 0; j < ellipsisRank; ++j)
      output += static_cast<char>('0' + j);
    for (auto [c, n] : uses)
      if (n == 1 && std::isalpha(static_cast<unsigned char>(c)))
        output += c;
  } else {
    auto labels = expand(equation.substr(arrow + 2), -1);
    if (!labels)
      return im.fail(node, "bad output of equation '" + equation + "'");
    output = *labels;
    for (char c : output)
      if (!uses.count(c) || llvm::count(output, c) > 1)
        return im.fail(node, std::string("output label '") + c +
                                 "' of equation '" + equation +
                                 "' is not an input label, or repeats");
  }
  return std::make_pair(terms, output);
}

LogicalResult convertEinsum(Importer &im, const onnx::NodeProto &node) {
  for (int i = 0; i < node.input_size(); ++i)
    if (!cast<RankedTensorType>(im.input(node, i).getType()).hasStaticShape())
      return im.fail(node, "Einsum needs static shapes; use --input-shape");
  auto parsed = parseEinsum(im, node);
  if (failed(parsed))
    return failure();
  auto &[labels, output] = *parsed;
  // Label sizes must agree (1 broadcasts).
  std::map<char, int64_t> sizes;
  for (size_t i = 0; i < labels.size(); ++i)
    for (size_t d = 0; d < labels[i].size(); ++d) {
      int64_t size = shapeOf(im.input(node, i))[d];
      auto [it, inserted] = sizes.emplace(labels[i][d], size);
      if (!inserted && it->second != size && it->second != 1 && size != 1)
        return im.fail(node, std::string("label '") + labels[i][d] +
                                 "' has sizes " + std::to_string(it->second) +
                                 " and " + std::to_string(size));
    }
  EinsumBuilder b(im, im.locOf(node));
  EinsumTerm result{im.input(node, 0), labels[0]};
  for (size_t i = 1; i < labels.size(); ++i) {
    std::string keep = output;
    for (size_t j = i + 1; j < labels.size(); ++j)
      keep += labels[j];
    result = b.contract(result, {im.input(node, i), labels[i]}, keep);
  }
  result = b.arrange(b.reduce(result, output), output);
  im.define(node.output(0), result.value);
  return success();
}

/// Indices as i64 (ONNX allows i32 for some index inputs).
Value indicesI64(Importer &im, Location loc, Value indices) {
  return castElements(im, loc, indices, im.builder.getI64Type());
}

LogicalResult convertGatherNd(Importer &im, const onnx::NodeProto &node) {
  Location loc = im.locOf(node);
  Value data = im.input(node, 0),
        indices = indicesI64(im, loc, im.input(node, 1));
  int64_t batchDims = im.intAttr(node, "batch_dims", 0);
  auto shape =
      graph::inferGatherNdShape(shapeOf(data), shapeOf(indices), batchDims);
  if (failed(shape))
    return im.fail(
        node,
        llvm::formatv(
            "indices of shape [{0}] do not "
            "address data of shape [{1}] with "
            "batch_dims {2}",
            llvm::make_range(shapeOf(indices).begin(), shapeOf(indices).end()),
            llvm::make_range(shapeOf(data).begin(), shapeOf(data).end()),
            batchDims)
            .str());
  im.define(node.output(0),
            graph::GatherNdOp::create(
                im.builder, loc,
                RankedTensorType::get(*shape, getElementTypeOrSelf(data)), data,
                indices, im.builder.getI64IntegerAttr(batchDims)));
  return success();
}

/// ScatterND, ScatterElements and the older Scatter.
LogicalResult convertScatter(Importer &im, const onnx::NodeProto &node) {
  Location loc = im.locOf(node);
  Value data = im.input(node, 0), indices = im.input(node, 1),
        updates = im.input(node, 2);
  std::string reduction = im.stringAttr(node, "reduction", "none");
  if (reduction != "none" && reduction != "add" && reduction != "mul" &&
      reduction != "max" && reduction != "min")
    return im.fail(node, "reduction must be none, add, mul, max or min, got '" +
                             reduction + "'");
  Value y;
  if (node.op_type() == "ScatterND")
    y = graph::ScatterNdOp::create(im.builder, loc, data.getType(), data,
                                   indicesI64(im, loc, indices), updates,
                                   reduction);
  else
    y = graph::ScatterElementsOp::create(
        im.builder, loc, data.getType(), data, indices, updates,
        im.builder.getI64IntegerAttr(im.intAttr(node, "axis", 0)),
        im.builder.getStringAttr(reduction));
  im.define(node.output(0), y);
  return success();
}

/// OneHot: select(expand(indices) == range(depth), on, off), with negative
/// indices counting from depth; indices out of range give all-off rows.
LogicalResult convertOneHot(Importer &im, const onnx::NodeProto &node) {
  Location loc = im.locOf(node);
  auto depthValues = constantInts(im.input(node, 1));
  if (!depthValues) {
    // Depth may be a float constant.
    auto constant = im.input(node, 1).getDefiningOp<graph::ConstantOp>();
    auto dense =
        constant ? dyn_cast<DenseElementsAttr>(constant.getValue()) : nullptr;
    if (!dense || !isa<FloatType>(dense.getElementType()))
      return im.fail(node, "a depth computed at run time is not supported");
    depthValues = SmallVector<int64_t>();
    for (const APFloat &v : dense.getValues<APFloat>())
      depthValues->push_back(static_cast<int64_t>(v.convertToDouble()));
  }
  if (depthValues->size() != 1 || depthValues->front() < 1)
    return im.fail(node, "depth must be one positive value");
  int64_t depth = depthValues->front();
  Value indices = im.input(node, 0), values = im.input(node, 2);
  ArrayRef<int64_t> inShape = shapeOf(indices);
  int64_t rank = inShape.size() + 1;
  auto axis = graph::normalizeAxis(im.intAttr(node, "axis", -1), rank);
  if (!axis)
    return im.fail(node, "axis out of range");
  Type i64 = im.builder.getI64Type();
  indices = indicesI64(im, loc, indices);
  Emitter e{im, loc, i64};
  indices =
      e.select(e.less(indices, e.c(0)), e.add(indices, e.c(depth)), indices);
  SmallVector<int64_t> expanded(inShape);
  expanded.insert(expanded.begin() + *axis, 1);
  SmallVector<int64_t> rangeShape(rank, 1);
  rangeShape[*axis] = depth;
  SmallVector<int64_t> range;
  for (int64_t j = 0; j < depth; ++j)
    range.push_back(j);
  Value classes = graph::ConstantOp::create(
      im.builder, loc,
      DenseElementsAttr::get(RankedTensorType::get(rangeShape, i64),
                             ArrayRef(range)));
  Value hot = graph::EqualOp::create(
      im.builder, loc, reshapeTo(im, loc, indices, expanded), classes);
  auto pick = [&](int64_t which) -> Value {
    Value index = scalarConstant(im, loc, i64, which);
    return graph::GatherOp::create(im.builder, loc, values, index,
                                   im.builder.getI64IntegerAttr(0));
  };
  im.define(node.output(0), e.select(hot, pick(1), pick(0)));
  return success();
}

/// TopK with a constant k (the input of opset 10+, the attribute before).
LogicalResult convertTopK(Importer &im, const onnx::NodeProto &node) {
  Value x = im.input(node, 0);
  int64_t k = im.intAttr(node, "k", -1);
  if (im.hasInput(node, 1)) {
    auto values = constantInts(im.input(node, 1));
    if (!values || values->size() != 1)
      return im.fail(node, "a k computed at run time is not supported");
    k = values->front();
  }
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  auto axis = graph::normalizeAxis(im.intAttr(node, "axis", -1), rank);
  if (!axis)
    return im.fail(node, "axis out of range");
  int64_t extent = type.getDimSize(*axis);
  if (k < 0 || (!ShapedType::isDynamic(extent) && k > extent))
    return im.fail(node, llvm::formatv("k = {0} is out of range for an axis "
                                       "of size {1}",
                                       k, extent)
                             .str());
  SmallVector<int64_t> shape(type.getShape());
  shape[*axis] = k;
  auto topK = graph::TopKOp::create(
      im.builder, im.locOf(node),
      RankedTensorType::get(shape, type.getElementType()),
      RankedTensorType::get(shape, im.builder.getI64Type()), x,
      im.builder.getI64IntegerAttr(k), im.builder.getI64IntegerAttr(*axis),
      im.builder.getBoolAttr(im.intAttr(node, "largest", 1) != 0));
  im.define(node.output(0), topK.getValues());
  if (node.output_size() > 1)
    im.define(node.output(1), topK.getIndices());
  return success();
}

/// The integer range of a quantized element type.
std::pair<double, double> integerRange(IntegerType type) {
  unsigned width = type.getWidth();
  if (type.isUnsigned())
    return {0.0, std::ldexp(1.0, width) - 1};
  return {-std::ldexp(1.0, width - 1), std::ldexp(1.0, width - 1) - 1};
}

/// Repeats each entry of a blocked scale (or zero point) `block` times along
/// `axis`, so it lines up with the input (ONNX blocked quantization).
FailureOr<Value> unblock(Importer &im, const onnx::NodeProto &node,
                         Location loc, Value v, int64_t axis, int64_t block,
                         ArrayRef<int64_t> inputShape) {
  ArrayRef<int64_t> shape = shapeOf(v);
  int64_t extent = inputShape[axis];
  if (shape.size() != inputShape.size() || ShapedType::isDynamic(extent) ||
      shape[axis] != (extent + block - 1) / block)
    return im.fail(node, "blocked scale or zero point does not match the "
                         "input shape and block_size");
  SmallVector<int64_t> indices;
  for (int64_t j = 0; j < extent; ++j)
    indices.push_back(j / block);
  auto indexType = RankedTensorType::get({extent}, im.builder.getI64Type());
  Value index = graph::ConstantOp::create(
      im.builder, loc, DenseElementsAttr::get(indexType, ArrayRef(indices)));
  return graph::GatherOp::create(im.builder, loc, v, index,
                                 im.builder.getI64IntegerAttr(axis))
      ->getResult(0);
}

/// QuantizeLinear: saturate(round(x / scale) + zero_point);
/// DequantizeLinear: (x - zero_point) * scale. Per-tensor, per-axis or
/// blocked; integer (4, 8 and 16 bits) and 8- and 4-bit float results.
LogicalResult convertQuantize(Importer &im, const onnx::NodeProto &node) {
  Location loc = im.locOf(node);
  Value x = im.input(node, 0), scale = im.input(node, 1);
  int64_t rank = shapeOf(x).size();
  Value zeroPoint = im.hasInput(node, 2) ? im.input(node, 2) : Value();
  int64_t block = im.intAttr(node, "block_size", 0);
  if (block < 0)
    return im.fail(node, "block_size must not be negative");
  // The axis matters only for per-axis (1-D) and blocked scales.
  if (shapeOf(scale).size() == 1 || block > 0) {
    auto axis = graph::normalizeAxis(im.intAttr(node, "axis", 1), rank);
    if (!axis)
      return im.fail(node, "axis out of range");
    for (Value *v : {&scale, &zeroPoint}) {
      if (!*v)
        continue;
      if (block == 0) {
        *v = alongAxis(im, loc, *v, *axis, rank);
        continue;
      }
      auto full = unblock(im, node, loc, *v, *axis, block, shapeOf(x));
      if (failed(full))
        return failure();
      *v = *full;
    }
  }
  Type scaleType = getElementTypeOrSelf(scale);
  if (!isa<FloatType>(scaleType))
    return im.fail(node, "integer scales are not supported");
  Emitter e{im, loc, scaleType};
  if (node.op_type() == "DequantizeLinear") {
    Value value = castElements(im, loc, x, scaleType);
    if (zeroPoint)
      value = e.sub(value, castElements(im, loc, zeroPoint, scaleType));
    im.define(node.output(0), e.mul(value, scale));
    return success();
  }
  // The output type is the zero point's, else output_dtype, else uint8.
  Type out = im.builder.getIntegerType(8, /*isSigned=*/false);
  if (zeroPoint) {
    out = getElementTypeOrSelf(zeroPoint);
  } else if (int64_t dtype = im.intAttr(node, "output_dtype", 0)) {
    out = elementType(static_cast<int32_t>(dtype), im.context);
    if (!out)
      return im.fail(node, "quantization to " +
                               onnxTypeName(static_cast<int32_t>(dtype)) +
                               " is not supported");
  }
  Value q = e.div(castElements(im, loc, x, scaleType), scale);
  if (auto outFloat = dyn_cast<FloatType>(out)) {
    // Float results round once, in the cast (nearest even, saturating
    // unless saturate=0).
    if (outFloat.getWidth() > 8)
      return im.fail(node, "quantization to this type is not supported");
    if (zeroPoint)
      q = e.add(q, castElements(im, loc, zeroPoint, scaleType));
    auto type = RankedTensorType::get(shapeOf(q), out);
    auto cast = graph::CastOp::create(im.builder, loc, type, q);
    cast.setSaturate(im.intAttr(node, "saturate", 1) != 0);
    im.define(node.output(0), cast);
    return success();
  }
  auto outInteger = dyn_cast<IntegerType>(out);
  if (!outInteger ||
      (outInteger.getWidth() != 4 && outInteger.getWidth() != 8 &&
       outInteger.getWidth() != 16))
    return im.fail(node, "quantization to this type is not supported");
  auto [lo, hi] = integerRange(outInteger);
  q = e.op<graph::RoundOp>(q);
  if (zeroPoint)
    q = e.add(q, castElements(im, loc, zeroPoint, scaleType));
  q = e.min(e.max(q, e.c(lo)), e.c(hi));
  im.define(node.output(0), castElements(im, loc, q, out));
  return success();
}

/// x - zero_point in i32 for MatMulInteger and QLinearMatMul. A 1-D zero
/// point of the left operand is per row, so it becomes a column.
Value widenAndCenter(Importer &im, Location loc, Value x, Value zeroPoint,
                     bool perRow) {
  Type i32 = im.builder.getI32Type();
  Value centered = castElements(im, loc, x, i32);
  if (!zeroPoint)
    return centered;
  Value zp = castElements(im, loc, zeroPoint, i32);
  if (perRow && shapeOf(zp).size() == 1 && shapeOf(x).size() >= 2)
    zp = reshapeTo(im, loc, zp, {shapeOf(zp)[0], 1});
  return graph::SubOp::create(im.builder, loc, centered, zp)->getResult(0);
}

LogicalResult convertMatMulInteger(Importer &im, const onnx::NodeProto &node) {
  Location loc = im.locOf(node);
  Value a = widenAndCenter(im, loc, im.input(node, 0),
                           im.hasInput(node, 2) ? im.input(node, 2) : Value(),
                           /*perRow=*/true);
  Value b = widenAndCenter(im, loc, im.input(node, 1),
                           im.hasInput(node, 3) ? im.input(node, 3) : Value(),
                           /*perRow=*/false);
  im.define(node.output(0), graph::MatMulOp::create(im.builder, loc, a, b));
  return success();
}

/// QLinearMatMul: round((a - a_zp) @ (b - b_zp) * (a_scale * b_scale /
/// y_scale)) + y_zp, saturated to the output type; the product is exact in
/// i32 and the rescale is done in f32.
LogicalResult convertQLinearMatMul(Importer &im, const onnx::NodeProto &node) {
  Location loc = im.locOf(node);
  Value a = widenAndCenter(im, loc, im.input(node, 0), im.input(node, 2),
                           /*perRow=*/true);
  Value b = widenAndCenter(im, loc, im.input(node, 3), im.input(node, 5),
                           /*perRow=*/false);
  Value aScale = im.input(node, 1), bScale = im.input(node, 4),
        yScale = im.input(node, 6);
  Type scaleType = getElementTypeOrSelf(yScale);
  if (!isa<FloatType>(scaleType))
    return im.fail(node, "integer scales are not supported");
  if (shapeOf(aScale).size() == 1 && shapeOf(a).size() >= 2)
    aScale = reshapeTo(im, loc, aScale, {shapeOf(aScale)[0], 1});
  Emitter s{im, loc, scaleType};
  Value multiplier = s.div(s.mul(aScale, bScale), yScale);
  Type f32 = im.builder.getF32Type();
  Emitter e{im, loc, f32};
  Value product = graph::MatMulOp::create(im.builder, loc, a, b);
  Value y = e.op<graph::RoundOp>(e.mul(castElements(im, loc, product, f32),
                                       castElements(im, loc, multiplier, f32)));
  Value yZeroPoint = im.hasInput(node, 7) ? im.input(node, 7) : Value();
  Type out = yZeroPoint ? getElementTypeOrSelf(yZeroPoint)
                        : getElementTypeOrSelf(im.input(node, 0));
  auto outInteger = dyn_cast<IntegerType>(out);
  if (!outInteger)
    return im.fail(node, "float outputs are not supported");
  if (yZeroPoint)
    y = e.add(y, castElements(im, loc, yZeroPoint, f32));
  auto [lo, hi] = integerRange(outInteger);
  y = e.min(e.max(y, e.c(lo)), e.c(hi));
  im.define(node.output(0),
            graph::CastOp::create(im.builder, loc,
                                  RankedTensorType::get(shapeOf(y), out), y));
  return success();
}

/// DynamicQuantizeLinear: uint8 quantization with the scale and zero point
/// taken from the input's range (which always includes 0).
LogicalResult convertDynamicQuantize(Importer &im,
                                     const onnx::NodeProto &node) {
  Location loc = im.locOf(node);
  Value x = im.input(node, 0);
  Type element = getElementTypeOrSelf(x);
  if (!isa<FloatType>(element))
    return im.fail(node, "integer inputs are not supported");
  Emitter e{im, loc, element};
  auto all = [&](auto tag, Value v) {
    using OpTy = decltype(tag);
    return OpTy::create(im.builder, loc, v, im.builder.getDenseI64ArrayAttr({}),
                        im.builder.getBoolAttr(false))
        ->getResult(0);
  };
  Value hi = e.max(all(graph::ReduceMaxOp(), x), e.c(0));
  Value lo = e.min(all(graph::ReduceMinOp(), x), e.c(0));
  Value range = e.sub(hi, lo);
  Value equal = graph::EqualOp::create(im.builder, loc, hi, lo)->getResult(0);
  Value scale = e.div(e.select(equal, e.c(1), range), e.c(255));
  Value zeroPoint = e.op<graph::RoundOp>(
      e.min(e.max(e.sub(e.c(0), e.div(lo, scale)), e.c(0)), e.c(255)));
  Value y = e.add(e.op<graph::RoundOp>(e.div(x, scale)), zeroPoint);
  y = e.min(e.max(y, e.c(0)), e.c(255));
  Type u8 = im.builder.getIntegerType(8, /*isSigned=*/false);
  im.define(node.output(0), castElements(im, loc, y, u8));
  if (node.output_size() > 1)
    im.define(node.output(1), scale);
  if (node.output_size() > 2)
    im.define(node.output(2), castElements(im, loc, zeroPoint, u8));
  return success();
}

/// Attention (opset 23): softmax(Q K^T * scale + mask) V with the 3-D
/// (packed heads) and 4-D layouts, grouped-query heads, causal masking,
/// softcap and past key/value caches, built from graph ops.
LogicalResult convertAttention(Importer &im, const onnx::NodeProto &node) {
  Location loc = im.locOf(node);
  // Debian's ONNX schemas predate Attention: the arity check cannot say so.
  if (!im.hasInput(node, 0) || !im.hasInput(node, 1) || !im.hasInput(node, 2))
    return im.fail(node, "Q, K and V are required");
  Value q = im.input(node, 0), k = im.input(node, 1), v = im.input(node, 2);
  Type element = getElementTypeOrSelf(q);
  if (!isa<FloatType>(element))
    return im.fail(node, "integer inputs are not supported");
  if (im.hasInput(node, 6))
    return im.fail(node, "the nonpad_kv_seqlen input is not supported");
  for (Value x : {q, k, v})
    if (!cast<RankedTensorType>(x.getType()).hasStaticShape())
      return im.fail(node, "unknown dimensions are not supported");
  Emitter e{im, loc, element};
  auto perm = [&](Value x, ArrayRef<int64_t> p) {
    return graph::TransposeOp::create(im.builder, loc, x,
                                      im.builder.getDenseI64ArrayAttr(p))
        ->getResult(0);
  };
  size_t rank = shapeOf(q).size();
  if ((rank != 3 && rank != 4) || shapeOf(k).size() != rank ||
      shapeOf(v).size() != rank)
    return im.fail(node, "Q, K and V must be all 3-D or all 4-D");
  bool packed = rank == 3;
  int64_t batch = shapeOf(q)[0];
  if (packed) {
    int64_t qHeads = im.intAttr(node, "q_num_heads", 0);
    int64_t kvHeads = im.intAttr(node, "kv_num_heads", 0);
    if (qHeads <= 0 || kvHeads <= 0)
      return im.fail(node, "3-D inputs need q_num_heads and kv_num_heads");
    if (shapeOf(q)[2] % qHeads != 0 || shapeOf(k)[2] % kvHeads != 0 ||
        shapeOf(v)[2] % kvHeads != 0)
      return im.fail(node, "the hidden sizes of 3-D Q, K and V must be "
                           "multiples of q_num_heads and kv_num_heads");
    auto split = [&](Value x, int64_t heads) {
      ArrayRef<int64_t> s = shapeOf(x);
      return perm(reshapeTo(im, loc, x, {s[0], s[1], heads, s[2] / heads}),
                  {0, 2, 1, 3});
    };
    q = split(q, qHeads);
    k = split(k, kvHeads);
    v = split(v, kvHeads);
  }
  // [batch, heads, sequence, head size]: what the products need to agree.
  auto mismatch = [&](Value a, Value b, ArrayRef<int> dims) {
    return llvm::any_of(
        dims, [&](int d) { return d >= 0 && shapeOf(a)[d] != shapeOf(b)[d]; });
  };
  for (int index : {4, 5})
    if (im.hasInput(node, index) &&
        (shapeOf(im.input(node, index)).size() != 4 ||
         mismatch(im.input(node, index), index == 4 ? k : v, {0, 1, -1, 3})))
      return im.fail(node, "past_key and past_value must be 4-D with the "
                           "batch, heads and head size of K and V");
  if (im.hasInput(node, 4))
    k = graph::ConcatOp::create(im.builder, loc,
                                ValueRange{im.input(node, 4), k},
                                im.builder.getI64IntegerAttr(2))
            ->getResult(0);
  if (im.hasInput(node, 5))
    v = graph::ConcatOp::create(im.builder, loc,
                                ValueRange{im.input(node, 5), v},
                                im.builder.getI64IntegerAttr(2))
            ->getResult(0);
  if (node.output_size() > 1 && !node.output(1).empty())
    im.define(node.output(1), k);
  if (node.output_size() > 2 && !node.output(2).empty())
    im.define(node.output(2), v);

  if (mismatch(q, k, {0, -1, -1, 3}) || mismatch(k, v, {0, 1, 2, -1}))
    return im.fail(node, "Q, K and V disagree: they need one batch, K the "
                         "head size of Q, V the heads and sequence of K");
  ArrayRef<int64_t> qs = shapeOf(q), ks = shapeOf(k);
  int64_t qHeads = qs[1], kvHeads = ks[1], querySeq = qs[2], keySeq = ks[2];
  if (kvHeads == 0 || qHeads % kvHeads != 0)
    return im.fail(node, "query heads must be a multiple of key/value heads");
  // Grouped-query attention: each key/value head serves qHeads / kvHeads
  // query heads.
  auto repeatHeads = [&](Value x) {
    int64_t group = qHeads / kvHeads;
    if (group == 1)
      return x;
    ArrayRef<int64_t> s = shapeOf(x);
    Value wide = reshapeTo(im, loc, x, {s[0], s[1], 1, s[2], s[3]});
    auto type = RankedTensorType::get({s[0], s[1], group, s[2], s[3]}, element);
    Value tiled =
        graph::BroadcastOp::create(im.builder, loc, type, wide)->getResult(0);
    return reshapeTo(im, loc, tiled, {s[0], qHeads, s[2], s[3]});
  };
  Value kAll = repeatHeads(k), vAll = repeatHeads(v);
  double scale = 1.0 / std::sqrt(static_cast<double>(qs[3]));
  if (const onnx::AttributeProto *attr = im.attribute(node, "scale"))
    scale = attr->f();
  Value scores = e.mul(
      graph::MatMulOp::create(im.builder, loc, q, perm(kAll, {0, 1, 3, 2}))
          ->getResult(0),
      e.c(scale));
  int64_t mode = im.intAttr(node, "qk_matmul_output_mode", 0);
  Value qkOutput = mode == 0 ? scores : Value();
  double negInf = -std::numeric_limits<double>::infinity();
  if (im.hasInput(node, 3)) {
    Value mask = im.input(node, 3);
    if (getElementTypeOrSelf(mask).isInteger(1))
      scores = e.select(mask, scores, e.c(negInf));
    else
      scores = e.add(scores, mask);
  }
  if (im.intAttr(node, "is_causal", 0)) {
    // Upper-left aligned, as ONNX's reference: query i sees every past key
    // and the new keys up to position i.
    int64_t past = im.hasInput(node, 4) ? shapeOf(im.input(node, 4))[2] : 0;
    auto maskType =
        RankedTensorType::get({querySeq, keySeq}, im.builder.getIntegerType(1));
    SmallVector<bool> allowed;
    for (int64_t i = 0; i < querySeq; ++i)
      for (int64_t j = 0; j < keySeq; ++j)
        allowed.push_back(j <= i + past);
    Value causal =
        graph::ConstantOp::create(im.builder, loc,
                                  DenseElementsAttr::get(maskType, allowed))
            ->getResult(0);
    scores = e.select(causal, scores, e.c(negInf));
  }
  if (mode == 1)
    qkOutput = scores;
  if (const onnx::AttributeProto *cap = im.attribute(node, "softcap"))
    if (cap->f() > 0)
      scores = e.mul(e.c(cap->f()),
                     e.op<graph::TanhOp>(e.div(scores, e.c(cap->f()))));
  if (mode == 2)
    qkOutput = scores;
  Value probs = graph::SoftmaxOp::create(im.builder, loc, scores,
                                         im.builder.getI64IntegerAttr(-1))
                    ->getResult(0);
  if (mode == 3)
    qkOutput = probs;
  Value y = graph::MatMulOp::create(im.builder, loc, probs, vAll)->getResult(0);
  if (packed) {
    ArrayRef<int64_t> s = shapeOf(y);
    y = reshapeTo(im, loc, perm(y, {0, 2, 1, 3}), {batch, s[2], s[1] * s[3]});
  }
  im.define(node.output(0), y);
  if (node.output_size() > 3 && !node.output(3).empty()) {
    if (!qkOutput)
      return im.fail(node, "qk_matmul_output_mode out of range");
    im.define(node.output(3), qkOutput);
  }
  return success();
}

LogicalResult convertBitShift(Importer &im, const onnx::NodeProto &node) {
  Value a = im.input(node, 0), b = im.input(node, 1);
  if (failed(sameElementType(im, node, {a, b})))
    return failure();
  std::string direction = im.stringAttr(node, "direction", "");
  Value y;
  if (direction == "LEFT")
    y = graph::ShiftLeftOp::create(im.builder, im.locOf(node), a, b)
            ->getResult(0);
  else if (direction == "RIGHT")
    y = graph::ShiftRightOp::create(im.builder, im.locOf(node), a, b)
            ->getResult(0);
  else
    return im.fail(node, "direction must be LEFT or RIGHT");
  im.define(node.output(0), y);
  return success();
}

/// DepthToSpace (DCR or CRD) and SpaceToDepth: reshape, transpose, reshape.
LogicalResult convertDepthSpace(Importer &im, const onnx::NodeProto &node) {
  Location loc = im.locOf(node);
  Value x = im.input(node, 0);
  auto type = cast<RankedTensorType>(x.getType());
  if (type.getRank() != 4 || !type.hasStaticShape())
    return im.fail(node, "needs a static rank-4 input");
  int64_t b = im.intAttr(node, "blocksize", 0);
  if (b < 1)
    return im.fail(node, "needs blocksize >= 1");
  auto s = type.getShape();
  int64_t n = s[0], c = s[1], h = s[2], w = s[3];
  auto perm = [&](Value v, ArrayRef<int64_t> p) {
    return graph::TransposeOp::create(im.builder, loc, v,
                                      im.builder.getDenseI64ArrayAttr(p))
        ->getResult(0);
  };
  Value y;
  if (node.op_type() == "DepthToSpace") {
    if (c % (b * b))
      return im.fail(node, "channels are not divisible by blocksize^2");
    int64_t oc = c / (b * b);
    if (im.stringAttr(node, "mode", "DCR") == "DCR")
      y = perm(reshapeTo(im, loc, x, {n, b, b, oc, h, w}), {0, 3, 4, 1, 5, 2});
    else
      y = perm(reshapeTo(im, loc, x, {n, oc, b, b, h, w}), {0, 1, 4, 2, 5, 3});
    y = reshapeTo(im, loc, y, {n, oc, h * b, w * b});
  } else {
    if (h % b || w % b)
      return im.fail(node, "spatial sizes are not divisible by blocksize");
    y = perm(reshapeTo(im, loc, x, {n, c, h / b, b, w / b, b}),
             {0, 3, 5, 1, 2, 4});
    y = reshapeTo(im, loc, y, {n, c * b * b, h / b, w / b});
  }
  im.define(node.output(0), y);
  return success();
}

LogicalResult convertInstanceNorm(Importer &im, const onnx::NodeProto &node) {
  Value x = im.input(node, 0);
  Type element = getElementTypeOrSelf(x);
  if (!isa<FloatType>(element))
    return im.fail(node, "integer inputs are not supported");
  int64_t rank = shapeOf(x).size();
  if (rank < 3)
    return im.fail(node, "needs rank >= 3");
  Emitter e{im, im.locOf(node), element};
  SmallVector<int64_t> axes;
  for (int64_t d = 2; d < rank; ++d)
    axes.push_back(d);
  auto mean = [&](Value v) {
    return graph::ReduceMeanOp::create(im.builder, e.loc, v,
                                       im.builder.getDenseI64ArrayAttr(axes),
                                       im.builder.getBoolAttr(true))
        ->getResult(0);
  };
  Value centred = e.sub(x, mean(x));
  Value var = mean(e.mul(centred, centred));
  Value normalized =
      e.mul(centred, e.op<graph::ReciprocalOp>(e.op<graph::SqrtOp>(e.add(
                         var, e.c(floatAttr(im, node, "epsilon", 1e-5f))))));
  SmallVector<int64_t> perChannel{shapeOf(x)[1]};
  perChannel.append(rank - 2, 1);
  Value scale = reshapeTo(im, e.loc, im.input(node, 1), perChannel);
  Value bias = reshapeTo(im, e.loc, im.input(node, 2), perChannel);
  im.define(node.output(0), e.add(e.mul(normalized, scale), bias));
  return success();
}

/// GroupNormalization: normalizes [N, G, C/G * spatial] groups, then applies
/// the per-channel scale and bias (opset 21; opset 18's per-group ones are
/// expanded to channels).
LogicalResult convertGroupNorm(Importer &im, const onnx::NodeProto &node) {
  Value x = im.input(node, 0);
  Type element = getElementTypeOrSelf(x);
  if (!isa<FloatType>(element))
    return im.fail(node, "integer inputs are not supported");
  auto type = cast<RankedTensorType>(x.getType());
  if (type.getRank() < 3 || !type.hasStaticShape())
    return im.fail(node, "needs a static input of rank >= 3");
  int64_t groups = im.intAttr(node, "num_groups", 0);
  ArrayRef<int64_t> shape = type.getShape();
  int64_t channels = shape[1];
  if (groups <= 0 || channels % groups != 0)
    return im.fail(node, llvm::formatv("num_groups {0} does not divide the {1} "
                                       "channels",
                                       groups, channels)
                             .str());
  Emitter e{im, im.locOf(node), element};
  int64_t perGroup = channels / groups;
  for (int64_t d : shape.drop_front(2))
    perGroup *= d;
  Value grouped = reshapeTo(im, e.loc, x, {shape[0], groups, perGroup});
  auto mean = [&](Value v) {
    return graph::ReduceMeanOp::create(im.builder, e.loc, v,
                                       im.builder.getDenseI64ArrayAttr({2}),
                                       im.builder.getBoolAttr(true))
        ->getResult(0);
  };
  Value centred = e.sub(grouped, mean(grouped));
  Value var = mean(e.mul(centred, centred));
  Value normalized = reshapeTo(
      im, e.loc,
      e.mul(centred, e.op<graph::ReciprocalOp>(e.op<graph::SqrtOp>(e.add(
                         var, e.c(floatAttr(im, node, "epsilon", 1e-5f)))))),
      shape);
  SmallVector<int64_t> perChannel{channels};
  perChannel.append(shape.size() - 2, 1);
  auto channelwise = [&](Value v) {
    if (shapeOf(v).size() == 1 && shapeOf(v)[0] == groups &&
        groups != channels) {
      // Opset 18's per-group values: broadcast each over its channels.
      auto zerosType = RankedTensorType::get({1, channels / groups}, element);
      Value zeros = graph::ConstantOp::create(
          im.builder, e.loc,
          DenseElementsAttr::get(zerosType,
                                 im.builder.getFloatAttr(element, 0.0)));
      v = reshapeTo(im, e.loc,
                    e.add(reshapeTo(im, e.loc, v, {groups, 1}), zeros),
                    {channels});
    }
    return reshapeTo(im, e.loc, v, perChannel);
  };
  im.define(node.output(0),
            e.add(e.mul(normalized, channelwise(im.input(node, 1))),
                  channelwise(im.input(node, 2))));
  return success();
}

/// MeanVarianceNormalization: (x - mean) / (std + 1e-9) over `axes`, in the
/// order of ONNX's function body.
LogicalResult convertMvn(Importer &im, const onnx::NodeProto &node) {
  Value x = im.input(node, 0);
  Type element = getElementTypeOrSelf(x);
  if (!isa<FloatType>(element))
    return im.fail(node, "integer inputs are not supported");
  int64_t rank = shapeOf(x).size();
  SmallVector<int64_t> axes =
      im.intsAttr(node, "axes").value_or(SmallVector<int64_t>{0, 2, 3});
  for (int64_t &axis : axes) {
    auto normalized = graph::normalizeAxis(axis, rank);
    if (!normalized)
      return im.fail(node, "axis out of range");
    axis = *normalized;
  }
  Emitter e{im, im.locOf(node), element};
  auto mean = [&](Value v) {
    return graph::ReduceMeanOp::create(im.builder, e.loc, v,
                                       im.builder.getDenseI64ArrayAttr(axes),
                                       im.builder.getBoolAttr(true))
        ->getResult(0);
  };
  Value m = mean(x);
  Value variance = e.sub(mean(e.mul(x, x)), e.mul(m, m));
  im.define(
      node.output(0),
      e.div(e.sub(x, m), e.add(e.op<graph::SqrtOp>(variance), e.c(1e-9))));
  return success();
}

LogicalResult convertEyeLike(Importer &im, const onnx::NodeProto &node) {
  auto type = cast<RankedTensorType>(im.input(node, 0).getType());
  if (type.getRank() != 2 || !type.hasStaticShape())
    return im.fail(node, "needs a static rank-2 input");
  Type element = type.getElementType();
  if (const onnx::AttributeProto *dtype = im.attribute(node, "dtype")) {
    element = elementType(static_cast<int32_t>(dtype->i()), im.context);
    if (!element)
      return im.fail(node, "this dtype is not supported");
  }
  int64_t k = im.intAttr(node, "k", 0);
  std::optional<DType> d = toDType(element);
  Tensor eye(*d, {type.getDimSize(0), type.getDimSize(1)});
  for (int64_t i = 0; i < type.getDimSize(0); ++i)
    if (i + k >= 0 && i + k < type.getDimSize(1))
      eye.setDouble(i * type.getDimSize(1) + i + k, 1);
  im.define(node.output(0),
            graph::ConstantOp::create(
                im.builder, im.locOf(node),
                toAttr(eye, RankedTensorType::get(type.getShape(), element)))
                ->getResult(0));
  return success();
}

LogicalResult convertResize(Importer &im, const onnx::NodeProto &node) {
  Value x = im.input(node, 0);
  auto type = cast<RankedTensorType>(x.getType());
  if (!type.hasStaticShape())
    return im.fail(node, "unknown dimensions are not supported");
  if (!isa<FloatType>(type.getElementType()))
    return im.fail(node, "integer inputs are not supported");
  if (im.intAttr(node, "antialias", 0))
    return im.fail(node, "antialias is not supported");
  if (im.stringAttr(node, "keep_aspect_ratio_policy", "stretch") != "stretch")
    return im.fail(node, "keep_aspect_ratio_policy other than stretch is not "
                         "supported");
  bool old = im.opset < 11;
  std::string coordinate =
      old ? "asymmetric"
          : im.stringAttr(node, "coordinate_transformation_mode", "half_pixel");
  if (coordinate == "tf_crop_and_resize")
    return im.fail(node, "tf_crop_and_resize is not supported");
  std::string mode = im.stringAttr(node, "mode", "nearest");
  std::string nearest =
      old ? "floor" : im.stringAttr(node, "nearest_mode", "round_prefer_floor");
  int64_t rank = type.getRank();
  SmallVector<int64_t> axes;
  if (auto given = im.intsAttr(node, "axes")) {
    for (int64_t a : *given) {
      auto axis = graph::normalizeAxis(a, rank);
      if (!axis)
        return im.fail(node, "axis out of range");
      axes.push_back(*axis);
    }
  } else {
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  // Scales and sizes are float and int64 constants (inputs 2 and 3; input 1
  // in opset 10).
  auto floats = [&](int index) -> std::optional<SmallVector<double>> {
    if (!im.hasInput(node, index))
      return SmallVector<double>{};
    auto constant = im.input(node, index).getDefiningOp<graph::ConstantOp>();
    auto dense = constant ? dyn_cast<DenseElementsAttr>(constant.getValue())
                          : DenseElementsAttr();
    if (!dense)
      return std::nullopt;
    SmallVector<double> values;
    Tensor t = toTensor(dense);
    for (int64_t i = 0; i < t.numElements(); ++i)
      values.push_back(t.getDouble(i));
    return values;
  };
  auto scalesIn = floats(old ? 1 : 2);
  auto sizesIn = old ? std::optional<SmallVector<double>>(SmallVector<double>{})
                     : floats(3);
  if (!scalesIn || !sizesIn)
    return im.fail(node, "scales or sizes computed at run time are not "
                         "supported");
  SmallVector<int64_t> outShape(type.getShape());
  SmallVector<double> scales(rank, 1.0);
  SmallVector<Attribute> scaleAttrs;
  if (!sizesIn->empty()) {
    if (sizesIn->size() != axes.size())
      return im.fail(node, "sizes need one value per axis");
    for (auto [i, axis] : llvm::enumerate(axes)) {
      outShape[axis] = static_cast<int64_t>((*sizesIn)[i]);
      scales[axis] = double(outShape[axis]) / double(type.getDimSize(axis));
    }
  } else {
    if (scalesIn->size() != axes.size())
      return im.fail(node, "scales need one value per axis");
    for (auto [i, axis] : llvm::enumerate(axes)) {
      scales[axis] = (*scalesIn)[i];
      if (scales[axis] <= 0)
        return im.fail(node, "scales must be positive");
      outShape[axis] = static_cast<int64_t>(
          std::floor(double(type.getDimSize(axis)) * scales[axis]));
    }
  }
  for (double s : scales)
    scaleAttrs.push_back(im.builder.getF64FloatAttr(s));
  auto result = RankedTensorType::get(outShape, type.getElementType());
  im.define(node.output(0),
            graph::ResizeOp::create(
                im.builder, im.locOf(node), result, x,
                im.builder.getStringAttr(mode),
                im.builder.getStringAttr(coordinate),
                im.builder.getStringAttr(nearest),
                im.builder.getArrayAttr(scaleAttrs),
                im.builder.getF64FloatAttr(
                    floatAttr(im, node, "cubic_coeff_a", -0.75f)),
                im.builder.getBoolAttr(im.intAttr(node, "exclude_outside", 0)))
                ->getResult(0));
  return success();
}

LogicalResult convertConvTranspose(Importer &im, const onnx::NodeProto &node) {
  Value x = im.input(node, 0), w = im.input(node, 1);
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  if (xType.getRank() != 4)
    return im.fail(node, llvm::formatv("{0}-D transposed convolution is not "
                                       "supported (2-D only)",
                                       xType.getRank() - 2)
                             .str());
  auto ints = [&](const char *name, SmallVector<int64_t> fallback) {
    return im.intsAttr(node, name).value_or(fallback);
  };
  SmallVector<int64_t> strides = ints("strides", {1, 1});
  SmallVector<int64_t> dilations = ints("dilations", {1, 1});
  SmallVector<int64_t> outputPadding = ints("output_padding", {0, 0});
  SmallVector<int64_t> pads = ints("pads", {0, 0, 0, 0});
  int64_t group = im.intAttr(node, "group", 1);
  std::string autoPad = im.stringAttr(node, "auto_pad", "NOTSET");
  auto outputShape = im.intsAttr(node, "output_shape");
  if (outputShape || autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    // The padding that yields the requested (or input * stride) size.
    for (int axis = 0; axis < 2; ++axis) {
      int64_t in = xType.getDimSize(2 + axis), k = wType.getDimSize(2 + axis);
      if (ShapedType::isDynamic(in) || ShapedType::isDynamic(k))
        return im.fail(node, "output_shape/auto_pad need static sizes");
      int64_t want = outputShape
                         ? (*outputShape)[outputShape->size() - 2 + axis]
                         : in * strides[axis];
      int64_t total = strides[axis] * (in - 1) + outputPadding[axis] +
                      (k - 1) * dilations[axis] + 1 - want;
      if (total < 0) { // A larger output grows at the end (output padding).
        outputPadding[axis] -= total;
        total = 0;
      }
      bool upper = autoPad == "SAME_UPPER";
      pads[axis] = upper ? total - total / 2 : total / 2;
      pads[axis + 2] = total - pads[axis];
      if (upper)
        std::swap(pads[axis], pads[axis + 2]);
    }
  } else if (autoPad == "VALID") {
    pads = {0, 0, 0, 0};
  }
  Value bias = im.hasInput(node, 2) ? im.input(node, 2) : Value();
  auto arr = [&](ArrayRef<int64_t> v) {
    return im.builder.getDenseI64ArrayAttr(v);
  };
  im.define(node.output(0),
            graph::ConvTranspose2dOp::create(
                im.builder, im.locOf(node), x, w, bias, arr(strides), arr(pads),
                arr(dilations), arr(outputPadding),
                im.builder.getI64IntegerAttr(group))
                ->getResult(0));
  return success();
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
    ArrayRef<int64_t> s = shapeOf(v);
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
  if (failed(Convert2d(im, wide)))
    return failure();
  Value wideOut = im.lookup(out);
  ArrayRef<int64_t> s = shapeOf(wideOut);
  if (s.size() != 4) {
    // The 2-D op's shape inference failed; its verifier says why.
    im.define(node.output(0), wideOut);
    return success();
  }
  im.define(node.output(0), reshapeTo(im, loc, wideOut, {s[0], s[1], s[3]}));
  return success();
}

const std::map<std::string, Importer::Converter> &Importer::converters() {
  static const std::map<std::string, Converter> table = {
      {"Abs", convertUnary<graph::AbsOp>},
      {"Acos", convertUnary<graph::AcosOp>},
      {"Acosh", convertUnary<graph::AcoshOp>},
      {"Add", convertBinary<graph::AddOp>},
      {"And", convertBinary<graph::AndOp>},
      {"ArgMax", convertArg},
      {"ArgMin", convertArg},
      {"Asin", convertUnary<graph::AsinOp>},
      {"Asinh", convertUnary<graph::AsinhOp>},
      {"Atan", convertUnary<graph::AtanOp>},
      {"Atanh", convertUnary<graph::AtanhOp>},
      {"Attention", convertAttention},
      {"AveragePool", convertVia2d<convertPool>},
      {"BatchNormalization", convertBatchNorm},
      {"BitShift", convertBitShift},
      {"BitwiseAnd", convertBinary<graph::BitAndOp>},
      {"BitwiseNot", convertUnary<graph::BitNotOp>},
      {"BitwiseOr", convertBinary<graph::BitOrOp>},
      {"BitwiseXor", convertBinary<graph::BitXorOp>},
      {"Cast", convertCast},
      {"CastLike", convertCastLike},
      {"Ceil", convertUnary<graph::CeilOp>},
      {"Celu", convertActivation},
      {"Clip", convertClip},
      {"Concat", convertConcat},
      {"Constant", convertConstant},
      {"ConstantOfShape", convertConstantOfShape},
      {"Conv", convertVia2d<convertConv>},
      {"ConvTranspose", convertVia2d<convertConvTranspose>},
      {"Cos", convertUnary<graph::CosOp>},
      {"Cosh", convertUnary<graph::CoshOp>},
      {"CumSum", convertCumSum},
      {"DepthToSpace", convertDepthSpace},
      {"DequantizeLinear", convertQuantize},
      {"Div", convertBinary<graph::DivOp>},
      {"Dropout", convertIdentity},
      {"DynamicQuantizeLinear", convertDynamicQuantize},
      {"Einsum", convertEinsum},
      {"Elu", convertActivation},
      {"Equal", convertBinary<graph::EqualOp>},
      {"Erf", convertUnary<graph::ErfOp>},
      {"Exp", convertUnary<graph::ExpOp>},
      {"Expand", convertExpand},
      {"EyeLike", convertEyeLike},
      {"Flatten", convertReshape},
      {"Floor", convertUnary<graph::FloorOp>},
      {"Gather", convertGather},
      {"GatherElements", convertGatherElements},
      {"GatherND", convertGatherNd},
      {"Gelu", convertActivation},
      {"Gemm", convertGemm},
      {"GlobalAveragePool", convertReduce<graph::ReduceMeanOp>},
      {"GlobalMaxPool", convertReduce<graph::ReduceMaxOp>},
      {"Greater", convertBinary<graph::GreaterOp>},
      {"GreaterOrEqual", convertBinary<graph::GreaterEqualOp>},
      {"GroupNormalization", convertGroupNorm},
      {"HardSigmoid", convertActivation},
      {"HardSwish", convertActivation},
      {"Hardmax", convertHardmax},
      {"Identity", convertIdentity},
      {"InstanceNormalization", convertInstanceNorm},
      {"IsInf", convertActivation},
      {"IsNaN", convertActivation},
      {"LRN", convertLrn},
      {"LayerNormalization", convertLayerNorm},
      {"LeakyRelu", convertLeakyRelu},
      {"Less", convertBinary<graph::LessOp>},
      {"LessOrEqual", convertBinary<graph::LessEqualOp>},
      {"Log", convertUnary<graph::LogOp>},
      {"LogSoftmax", convertSoftmax},
      {"LpNormalization", convertNorm},
      {"MatMul", convertMatMul},
      {"MeanVarianceNormalization", convertMvn},
      {"MatMulInteger", convertMatMulInteger},
      {"Max", convertVariadic<graph::MaxOp>},
      {"MaxPool", convertVia2d<convertPool>},
      {"Mean", convertVariadic<graph::AddOp>},
      {"Min", convertVariadic<graph::MinOp>},
      {"Mish", convertActivation},
      {"Mod", convertMod},
      {"Mul", convertBinary<graph::MulOp>},
      {"Neg", convertUnary<graph::NegOp>},
      {"NegativeLogLikelihoodLoss", convertLoss},
      {"Not", convertUnary<graph::NotOp>},
      {"OneHot", convertOneHot},
      {"Or", convertBinary<graph::OrOp>},
      {"PRelu", convertActivation},
      {"Pad", convertPad},
      {"Pow", convertPow},
      {"QLinearMatMul", convertQLinearMatMul},
      {"QuantizeLinear", convertQuantize},
      {"RMSNormalization", convertNorm},
      {"Range", convertRange},
      {"Reciprocal", convertUnary<graph::ReciprocalOp>},
      {"ReduceL1", convertReduceComposite},
      {"ReduceL2", convertReduceComposite},
      {"ReduceLogSum", convertReduceComposite},
      {"ReduceLogSumExp", convertReduceComposite},
      {"ReduceMax", convertReduce<graph::ReduceMaxOp>},
      {"ReduceMean", convertReduce<graph::ReduceMeanOp>},
      {"ReduceMin", convertReduce<graph::ReduceMinOp>},
      {"ReduceProd", convertReduce<graph::ReduceProdOp>},
      {"ReduceSum", convertReduce<graph::ReduceSumOp>},
      {"ReduceSumSquare", convertReduceComposite},
      {"Relu", convertUnary<graph::ReluOp>},
      {"Reshape", convertReshape},
      {"Resize", convertResize},
      {"Round", convertActivation},
      {"Scatter", convertScatter},
      {"ScatterElements", convertScatter},
      {"ScatterND", convertScatter},
      {"Selu", convertActivation},
      {"Shape", convertShape},
      {"Shrink", convertActivation},
      {"Sigmoid", convertUnary<graph::SigmoidOp>},
      {"Sign", convertActivation},
      {"Sin", convertUnary<graph::SinOp>},
      {"Sinh", convertUnary<graph::SinhOp>},
      {"Size", convertSize},
      {"Slice", convertSlice},
      {"Softmax", convertSoftmax},
      {"SoftmaxCrossEntropyLoss", convertLoss},
      {"Softplus", convertActivation},
      {"Softsign", convertActivation},
      {"SpaceToDepth", convertDepthSpace},
      {"Split", convertSplit},
      {"Sqrt", convertUnary<graph::SqrtOp>},
      {"Squeeze", convertReshape},
      {"Sub", convertBinary<graph::SubOp>},
      {"Sum", convertVariadic<graph::AddOp>},
      {"Swish", convertActivation},
      {"Tan", convertUnary<graph::TanOp>},
      {"Tanh", convertUnary<graph::TanhOp>},
      {"ThresholdedRelu", convertActivation},
      {"Tile", convertTile},
      {"TopK", convertTopK},
      {"Transpose", convertTranspose},
      {"Trilu", convertTrilu},
      {"Unsqueeze", convertReshape},
      {"Upsample", convertResize},
      {"Where", convertWhere},
      {"Xor", convertBinary<graph::XorOp>},
  };
  return table;
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

/// Verifies the ops a converter just built, so a shape or type problem is
/// reported at its ONNX node before anything consumes the result.
LogicalResult Importer::verifyNew(const onnx::NodeProto &node,
                                  Block::iterator first) {
  Block *block = builder.getInsertionBlock();
  for (Operation &op : llvm::make_range(first, block->end())) {
    // Shapes computed from attributes or constants (a Pad by 2^62) must
    // stay countable: the runtime sizes buffers from them.
    for (Type type : op.getResultTypes()) {
      auto shaped = dyn_cast<ShapedType>(type);
      if (!shaped || !shaped.hasRank())
        continue;
      int64_t count = 1;
      for (int64_t dim : shaped.getShape())
        if (!ShapedType::isDynamic(dim) &&
            (llvm::MulOverflow(count, dim, count) ||
             count > kMaxTensorElements))
          return fail(node, "a result has more than 2^56 elements");
    }
    std::string diagnostics;
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      diagnostics += (diagnostics.empty() ? "" : "; ") + diag.str();
      return success();
    });
    if (failed(verify(&op))) {
      // An element type the op does not take is a gap, not a model error.
      if (diagnostics.find("must be ranked tensor of") != std::string::npos)
        diagnostics = "element type not supported by " +
                      op.getName().getStringRef().str() + ": " + diagnostics;
      return fail(node, diagnostics);
    }
  }
  return success();
}

/// Evaluates the ops a converter just built whose operands are all
/// constants, so shape arithmetic, folded BatchNorm statistics and similar
/// static subgraphs become constants (the reference kernels define the
/// values). Large results are left alone to keep the IR small.
void Importer::foldConstants(const onnx::NodeProto &node,
                             Block::iterator first) {
  constexpr int64_t kMaxFoldedElements = 1 << 20;
  Block *block = builder.getInsertionBlock();
  for (Operation &op :
       llvm::make_early_inc_range(llvm::make_range(first, block->end()))) {
    if (isa<graph::ConstantOp>(op) || op.getNumResults() != 1)
      continue;
    auto type = dyn_cast<RankedTensorType>(op.getResult(0).getType());
    if (!type || !type.hasStaticShape() ||
        type.getNumElements() > kMaxFoldedElements)
      continue;
    std::vector<Tensor> operands;
    bool allConstant = true;
    for (Value v : op.getOperands()) {
      auto constant = v.getDefiningOp<graph::ConstantOp>();
      auto dense = constant ? dyn_cast<DenseElementsAttr>(constant.getValue())
                            : DenseElementsAttr();
      if (!dense) {
        allConstant = false;
        break;
      }
      operands.push_back(toTensor(dense));
    }
    if (!allConstant)
      continue;
    std::vector<const Tensor *> pointers;
    for (const Tensor &t : operands)
      pointers.push_back(&t);
    std::string error;
    auto results = evaluateOp(&op, pointers, error);
    if (!results ||
        (*results)[0].shape() != std::vector<int64_t>(type.getShape().begin(),
                                                      type.getShape().end()))
      continue; // Left for the verifier or the run to report.
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPoint(&op);
    Value folded = graph::ConstantOp::create(builder, op.getLoc(),
                                             toAttr((*results)[0], type));
    Value old = op.getResult(0);
    old.replaceAllUsesWith(folded);
    for (const std::string &name : node.output())
      if (symbols.lookup(name) == old)
        symbols[name] = folded;
    op.erase();
  }
}

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
/// Input and output counts against the ONNX schema (Debian's onnx library),
/// so converters never read a required input the node does not have. Ops
/// newer than that library's schemas are checked by their converters.
bool Importer::checkArity() {
  for (const onnx::NodeProto &node : model.graph().node()) {
    std::optional<OpArity> arity = onnxArity(node.op_type(), opset);
    if (!arity)
      continue;
    if (arity->introducedIn) {
      (void)fail(node, llvm::formatv("{0} does not exist in opset {1} (it "
                                     "was introduced in opset {2})",
                                     node.op_type(), opset, arity->introducedIn)
                           .str());
      continue;
    }
    int inputs = node.input_size(), outputs = node.output_size();
    if (inputs < arity->minInputs || outputs < arity->minOutputs) {
      (void)fail(node, llvm::formatv("has {0} input(s) and {1} output(s); "
                                     "{2} needs at least {3} and {4}",
                                     inputs, outputs, node.op_type(),
                                     arity->minInputs, arity->minOutputs)
                           .str());
      continue;
    }
    for (int i = 0; i < inputs && i < static_cast<int>(arity->required.size());
         ++i)
      if (node.input(i).empty() && arity->required[i])
        (void)fail(node, llvm::formatv("required input {0} ('{1}') is empty", i,
                                       arity->names[i])
                             .str());
  }
  return errors.empty();
}

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

/// The nodes in dependency order. ONNX requires topological order, but
/// hand-edited and merged graphs do not always keep it, so the importer sorts
/// (stably) instead of rejecting them; a cycle is reported with its path.
std::optional<std::vector<const onnx::NodeProto *>> Importer::orderNodes() {
  const auto &nodes = model.graph().node();
  std::map<std::string, int> producer;
  for (int i = 0; i < nodes.size(); ++i)
    for (const std::string &out : nodes[i].output())
      if (!out.empty())
        producer.emplace(out, i);
  std::vector<std::vector<int>> users(nodes.size());
  std::vector<int> pending(nodes.size(), 0);
  for (int i = 0; i < nodes.size(); ++i) {
    std::set<int> deps;
    for (const std::string &in : nodes[i].input()) {
      auto it = producer.find(in);
      if (it != producer.end())
        deps.insert(it->second);
    }
    for (int d : deps) {
      users[d].push_back(i);
      ++pending[i];
    }
  }
  std::set<int> ready; // Lowest index first keeps the model's order.
  for (int i = 0; i < nodes.size(); ++i)
    if (!pending[i])
      ready.insert(i);
  std::vector<const onnx::NodeProto *> order;
  while (!ready.empty()) {
    int i = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(&nodes[i]);
    for (int u : users[i])
      if (--pending[u] == 0)
        ready.insert(u);
  }
  if (static_cast<int>(order.size()) == nodes.size())
    return order;
  // Every node left waits on another node left: walk producers to a repeat.
  int at = 0;
  while (!pending[at])
    ++at;
  std::vector<int> path;
  std::map<int, size_t> seen;
  while (!seen.count(at)) {
    seen[at] = path.size();
    path.push_back(at);
    for (const std::string &in : nodes[at].input()) {
      auto it = producer.find(in);
      if (it != producer.end() && pending[it->second]) {
        at = it->second;
        break;
      }
    }
  }
  std::string cycle;
  for (size_t k = seen[at]; k < path.size(); ++k) {
    const onnx::NodeProto &n = nodes[path[k]];
    cycle +=
        llvm::formatv("node '{0}' ({1}) <- ",
                      n.name().empty() ? n.output(0) : n.name(), n.op_type());
  }
  const onnx::NodeProto &first = nodes[at];
  cycle +=
      "node '" + (first.name().empty() ? first.output(0) : first.name()) + "'";
  errors.push_back("the graph has a cycle: " + cycle);
  return std::nullopt;
}

OwningOpRef<ModuleOp> Importer::run() {
  if (!model.has_graph()) {
    errors.push_back("model has no graph");
    return {};
  }
  // Messages and converters name a node by its first output.
  for (const onnx::NodeProto &node : model.graph().node())
    if (node.output_size() == 0)
      errors.push_back("node '" + node.name() + "' (" + node.op_type() +
                       ") has no outputs");
  if (!errors.empty())
    return {};
  if (!checkOpset() || !checkSupported() || !checkArity())
    return {};
  for (const auto &[name, value] : options.boundInputs) {
    bool found = false;
    for (const auto &input : model.graph().input())
      found |= input.name() == name;
    if (!found)
      errors.push_back("bound input '" + name + "' is not a graph input");
  }
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
    if (initializers.count(info.name()) ||
        options.boundInputs.count(info.name()))
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
    arg.setLoc(NameLoc::get(builder.getStringAttr(name)));
    func.setArgAttr(arg.getArgNumber(), "graph.name",
                    builder.getStringAttr(name));
  }
  builder.setInsertionPointToStart(body);
  for (const auto &[name, value] : options.boundInputs)
    define(name,
           graph::ConstantOp::create(
               builder, NameLoc::get(builder.getStringAttr(name)), value));
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

  auto order = orderNodes();
  if (!order)
    return {};
  for (const onnx::NodeProto *nodePtr : *order) {
    const onnx::NodeProto &node = *nodePtr;
    bool ready = true;
    for (int i = 0; i < node.input_size(); ++i)
      if (!node.input(i).empty() && !symbols.count(node.input(i))) {
        (void)fail(node, "input '" + node.input(i) +
                             "' is not produced by any node, initializer or "
                             "graph input");
        ready = false;
      }
    if (!ready)
      break;
    Operation *last = body->empty() ? nullptr : &body->back();
    if (failed(converters().at(node.op_type())(*this, node)))
      break;
    Block::iterator first =
        last ? std::next(last->getIterator()) : body->begin();
    if (failed(verifyNew(node, first)))
      break;
    foldConstants(node, first);
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

OwningOpRef<ModuleOp> importOnnxFile(llvm::StringRef path, MLIRContext &context,
                                     ImportOptions options,
                                     std::string &error) {
  auto model = loadOnnxModel(path);
  if (!model) {
    error = llvm::toString(model.takeError());
    return {};
  }
  llvm::SmallString<256> directory(path);
  llvm::sys::path::remove_filename(directory);
  options.modelDirectory = directory.empty() ? "." : directory.str().str();
  OwningOpRef<ModuleOp> module =
      importOnnxModel(**model, context, options, error);
  if (!module)
    error = path.str() + ": " + error;
  return module;
}

bool parseInputShape(llvm::StringRef spec, ImportOptions &options) {
  auto [name, dims] = spec.split('=');
  if (name.empty() || dims.empty())
    return false;
  std::vector<int64_t> shape;
  SmallVector<llvm::StringRef> parts;
  dims.split(parts, 'x');
  for (llvm::StringRef part : parts) {
    int64_t dim;
    if (part.getAsInteger(10, dim) || dim < 0)
      return false;
    shape.push_back(dim);
  }
  options.inputShapes[name.str()] = shape;
  return true;
}

std::vector<std::string> supportedOnnxOps() {
  std::vector<std::string> ops;
  for (const auto &entry : Importer::converters())
    ops.push_back(entry.first);
  return ops;
}

} // namespace sinan::frontend
