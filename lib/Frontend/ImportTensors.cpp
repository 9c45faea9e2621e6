//===- ImportTensors.cpp - ONNX element types and tensors -----------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// ONNX element types as MLIR types and their names, and TensorProto
// (initializers, Constant values: raw, typed or external data) as
// DenseElementsAttr.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "sinan/Bridge/RuntimeBridge.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir;

namespace sinan::frontend {
namespace {

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
} // namespace

namespace detail {

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

} // namespace detail

/// Reads the bytes of a tensor stored outside the model file.
static bool readExternal(const onnx::TensorProto &tensor,
                         const std::string &dir, size_t bytes,
                         std::vector<char> &out, std::string &error) {
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

DenseElementsAttr convertTensorProto(const onnx::TensorProto &tensor,
                                     MLIRContext &context,
                                     const std::string &directory,
                                     std::string &error) {
  Type element = detail::elementType(tensor.data_type(), context);
  if (!element) {
    error =
        llvm::formatv("tensor '{0}' has element type {1}, which Sinan "
                      "does not support",
                      tensor.name(), detail::onnxTypeName(tensor.data_type()));
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
    if (llvm::MulOverflow(count, dim, count) ||
        count > detail::kMaxTensorElements) {
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

} // namespace sinan::frontend
