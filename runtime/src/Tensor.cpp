//===- Tensor.cpp - Host tensors ------------------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/Tensor.h"

#include "sinan/runtime/MiniFloat.h"
#include "sinan/runtime/Numerics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace sinan {

Tensor::Tensor(DType type, std::vector<int64_t> shape)
    : elementType(type), dims(std::move(shape)) {
  bytes = static_cast<size_t>(numElements()) * dtypeSize(type);
  storage.assign(bytes, 0);
}

Tensor Tensor::view(DType type, std::vector<int64_t> shape, uint8_t *data) {
  Tensor t;
  t.elementType = type;
  t.dims = std::move(shape);
  t.bytes = static_cast<size_t>(t.numElements()) * dtypeSize(type);
  t.external = data;
  return t;
}

int64_t Tensor::numElements() const {
  int64_t count = 1;
  for (int64_t dim : dims)
    count *= dim;
  return count;
}

double Tensor::getDouble(int64_t i) const {
  const uint8_t *p = data() + i * dtypeSize(elementType);
  switch (elementType) {
  case DType::F32: {
    float v;
    std::memcpy(&v, p, 4);
    return v;
  }
  case DType::F16: {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return halfToFloat(v);
  }
  case DType::BF16: {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return bf16ToFloat(v);
  }
  case DType::I8:
    return static_cast<int8_t>(*p);
  case DType::I32: {
    int32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  case DType::I64: {
    int64_t v;
    std::memcpy(&v, p, 8);
    return static_cast<double>(v);
  }
  case DType::I1:
    return *p != 0;
  case DType::U8:
    return *p;
  case DType::I16: {
    int16_t v;
    std::memcpy(&v, p, 2);
    return v;
  }
  case DType::U16: {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
  }
  case DType::U32: {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  case DType::U64: {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return static_cast<double>(v);
  }
  case DType::F64: {
    double v;
    std::memcpy(&v, p, 8);
    return v;
  }
  case DType::F8E4M3FN:
  case DType::F8E4M3FNUZ:
  case DType::F8E5M2:
  case DType::F8E5M2FNUZ:
  case DType::F8E8M0FNU:
  case DType::F4E2M1FN:
    return decodeMiniFloat(*p, elementType);
  case DType::I4:
    return static_cast<int8_t>(*p);
  case DType::U4:
    return *p;
  }
  return 0;
}

namespace {
template <typename T> T saturating(double value) {
  if (std::isnan(value))
    return 0;
  double lo = static_cast<double>(std::numeric_limits<T>::min());
  double hi = static_cast<double>(std::numeric_limits<T>::max());
  if (value <= lo)
    return std::numeric_limits<T>::min();
  if (value >= hi)
    return std::numeric_limits<T>::max();
  return static_cast<T>(std::nearbyint(value));
}
} // namespace

void Tensor::setDouble(int64_t i, double value) {
  uint8_t *p = data() + i * dtypeSize(elementType);
  switch (elementType) {
  case DType::F32: {
    float v = static_cast<float>(value);
    std::memcpy(p, &v, 4);
    return;
  }
  case DType::F16: {
    uint16_t v = floatToHalf(static_cast<float>(value));
    std::memcpy(p, &v, 2);
    return;
  }
  case DType::BF16: {
    uint16_t v = floatToBF16(static_cast<float>(value));
    std::memcpy(p, &v, 2);
    return;
  }
  case DType::I8:
    *p = static_cast<uint8_t>(saturating<int8_t>(value));
    return;
  case DType::I32: {
    int32_t v = saturating<int32_t>(value);
    std::memcpy(p, &v, 4);
    return;
  }
  case DType::I64: {
    int64_t v = saturating<int64_t>(value);
    std::memcpy(p, &v, 8);
    return;
  }
  case DType::I1:
    *p = value != 0.0;
    return;
  case DType::U8:
    *p = saturating<uint8_t>(value);
    return;
  case DType::I16: {
    int16_t v = saturating<int16_t>(value);
    std::memcpy(p, &v, 2);
    return;
  }
  case DType::U16: {
    uint16_t v = saturating<uint16_t>(value);
    std::memcpy(p, &v, 2);
    return;
  }
  case DType::U32: {
    uint32_t v = saturating<uint32_t>(value);
    std::memcpy(p, &v, 4);
    return;
  }
  case DType::U64: {
    uint64_t v = saturating<uint64_t>(value);
    std::memcpy(p, &v, 8);
    return;
  }
  case DType::F64:
    std::memcpy(p, &value, 8);
    return;
  case DType::F8E4M3FN:
  case DType::F8E4M3FNUZ:
  case DType::F8E5M2:
  case DType::F8E5M2FNUZ:
  case DType::F8E8M0FNU:
  case DType::F4E2M1FN:
    *p = encodeMiniFloat(static_cast<float>(value), elementType);
    return;
  case DType::I4:
    *p = static_cast<uint8_t>(
        std::clamp(saturating<int8_t>(value), int8_t{-8}, int8_t{7}));
    return;
  case DType::U4:
    *p = std::min(saturating<uint8_t>(value), uint8_t{15});
    return;
  }
}

std::string formatShape(const std::vector<int64_t> &shape) {
  if (shape.empty())
    return "scalar";
  std::string text;
  for (size_t i = 0; i < shape.size(); ++i)
    text += fmt::format("{}{}", i ? "x" : "", shape[i]);
  return text;
}

std::string Tensor::describe() const {
  return fmt::format("{}[{}]", dtypeName(elementType), formatShape(dims));
}

} // namespace sinan
