//===- Compute.cpp - Functional semantics of SNPU data instructions -------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "Compute.h"

#include "sinan/runtime/Numerics.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace sinan::sim {
namespace {

template <typename T> T load(const uint8_t *p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}
template <typename T> void store(uint8_t *p, T value) {
  std::memcpy(p, &value, sizeof(T));
}

/// Reads element `i` of a float-typed buffer as f32 (exact widening).
float loadFloat(const uint8_t *p, DType type, size_t i) {
  switch (type) {
  case DType::F32:
    return load<float>(p + 4 * i);
  case DType::BF16:
    return bf16ToFloat(load<uint16_t>(p + 2 * i));
  default:
    return halfToFloat(load<uint16_t>(p + 2 * i));
  }
}

/// Writes an f32 result into a float-typed buffer, rounding once.
void storeFloat(uint8_t *p, DType type, size_t i, float value) {
  switch (type) {
  case DType::F32:
    store(p + 4 * i, value);
    break;
  case DType::BF16:
    store(p + 2 * i, floatToBF16(value));
    break;
  default:
    store(p + 2 * i, floatToHalf(value));
    break;
  }
}

int64_t loadInt(const uint8_t *p, DType type, size_t i) {
  switch (type) {
  case DType::I8:
    return load<int8_t>(p + i);
  case DType::I1:
    return p[i] != 0;
  case DType::I64:
    return load<int64_t>(p + 8 * i);
  default:
    return load<int32_t>(p + 4 * i);
  }
}

void storeInt(uint8_t *p, DType type, size_t i, int64_t value) {
  switch (type) {
  case DType::I8:
    store(p + i, static_cast<int8_t>(value));
    break;
  case DType::I1:
    p[i] = value != 0;
    break;
  case DType::I64:
    store(p + 8 * i, value);
    break;
  default:
    store(p + 4 * i, static_cast<int32_t>(value));
    break;
  }
}

/// Float to integer: round to nearest even, saturate, NaN -> 0.
int64_t floatToInt(float value, DType to) {
  if (std::isnan(value))
    return 0;
  if (to == DType::I1)
    return value != 0.0f;
  double lo = to == DType::I8 ? -128.0 : -2147483648.0;
  double hi = to == DType::I8 ? 127.0 : 2147483647.0;
  double rounded = std::nearbyint(static_cast<double>(value));
  return static_cast<int64_t>(std::clamp(rounded, lo, hi));
}

int64_t saturate(int64_t value, DType to) {
  if (to == DType::I8)
    return std::clamp<int64_t>(value, -128, 127);
  if (to == DType::I32)
    return std::clamp<int64_t>(value, INT32_MIN, INT32_MAX);
  return value;
}

float applyBinary(isa::VBinOp op, float a, float b) {
  switch (op) {
  case isa::VBinOp::Add:
    return a + b;
  case isa::VBinOp::Sub:
    return a - b;
  case isa::VBinOp::Mul:
    return a * b;
  case isa::VBinOp::Div:
    return a / b;
  case isa::VBinOp::Max:
    return (std::isnan(a) || std::isnan(b))
               ? std::numeric_limits<float>::quiet_NaN()
               : std::max(a, b);
  case isa::VBinOp::Min:
    return (std::isnan(a) || std::isnan(b))
               ? std::numeric_limits<float>::quiet_NaN()
               : std::min(a, b);
  }
  return 0;
}

/// Integer arithmetic wraps at 32 bits (as int32), like the matrix unit.
int64_t applyBinary(isa::VBinOp op, int64_t a, int64_t b) {
  uint32_t ua = static_cast<uint32_t>(a), ub = static_cast<uint32_t>(b);
  switch (op) {
  case isa::VBinOp::Add:
    return static_cast<int32_t>(ua + ub);
  case isa::VBinOp::Sub:
    return static_cast<int32_t>(ua - ub);
  case isa::VBinOp::Mul:
    return static_cast<int32_t>(ua * ub);
  case isa::VBinOp::Div:
    // Division by zero gives 0; INT32_MIN / -1 wraps.
    if (b == 0)
      return 0;
    if (a == INT32_MIN && b == -1)
      return INT32_MIN;
    return a / b;
  case isa::VBinOp::Max:
    return std::max(a, b);
  case isa::VBinOp::Min:
    return std::min(a, b);
  }
  return 0;
}

float applyUnary(isa::VUnOp op, float x) {
  switch (op) {
  case isa::VUnOp::Relu:
    return std::isnan(x) ? x : (x < 0.0f ? 0.0f : x);
  case isa::VUnOp::Neg:
    return -x;
  case isa::VUnOp::Abs:
    return std::fabs(x);
  case isa::VUnOp::Exp:
    return std::exp(x);
  case isa::VUnOp::Log:
    return std::log(x);
  case isa::VUnOp::Sqrt:
    return std::sqrt(x);
  case isa::VUnOp::Rsqrt:
    return 1.0f / std::sqrt(x);
  case isa::VUnOp::Recip:
    return 1.0f / x;
  case isa::VUnOp::Tanh:
    return std::tanh(x);
  case isa::VUnOp::Sigmoid:
    return 1.0f / (1.0f + std::exp(-x));
  case isa::VUnOp::Erf:
    return std::erf(x);
  case isa::VUnOp::Gelu:
    return geluErf(x);
  case isa::VUnOp::HardSwish:
    return hardSwish(x);
  case isa::VUnOp::GeluTanh:
    return geluTanh(x);
  }
  return 0;
}

int64_t applyUnary(isa::VUnOp op, int64_t x) {
  switch (op) {
  case isa::VUnOp::Relu:
    return std::max<int64_t>(x, 0);
  case isa::VUnOp::Neg:
    return static_cast<int32_t>(0u - static_cast<uint32_t>(x));
  case isa::VUnOp::Abs:
    return x < 0 ? static_cast<int32_t>(0u - static_cast<uint32_t>(x)) : x;
  default:
    // Transcendentals of integers go through f32.
    return floatToInt(applyUnary(op, static_cast<float>(x)), DType::I32);
  }
}

bool compare(isa::VCmpOp op, double a, double b) {
  switch (op) {
  case isa::VCmpOp::Eq:
    return a == b;
  case isa::VCmpOp::Ne:
    return a != b;
  case isa::VCmpOp::Lt:
    return a < b;
  case isa::VCmpOp::Le:
    return a <= b;
  case isa::VCmpOp::Gt:
    return a > b;
  case isa::VCmpOp::Ge:
    return a >= b;
  }
  return false;
}
} // namespace

void convertElements(const uint8_t *src, DType from, uint8_t *dst, DType to,
                     size_t count) {
  if (from == to) {
    std::memcpy(dst, src, count * dtypeSize(from));
    return;
  }
  bool fromFloat = isFloatDType(from), toFloat = isFloatDType(to);
  for (size_t i = 0; i < count; ++i) {
    if (fromFloat && toFloat)
      storeFloat(dst, to, i, loadFloat(src, from, i));
    else if (fromFloat)
      storeInt(dst, to, i, floatToInt(loadFloat(src, from, i), to));
    else if (toFloat) // Integers reach f16/bf16 through f32.
      storeFloat(dst, to, i, static_cast<float>(loadInt(src, from, i)));
    else
      storeInt(dst, to, i, saturate(loadInt(src, from, i), to));
  }
}

void matmulAccumulate(DType input, const uint8_t *lhs, size_t lhsPitch,
                      const uint8_t *rhs, size_t rhsPitch, uint8_t *acc,
                      size_t accPitch, size_t m, size_t k, size_t n,
                      bool accumulate) {
  if (input == DType::BF16)
    return matmulAccumulateBF16(lhs, lhsPitch, rhs, rhsPitch, acc, accPitch, m,
                                k, n, accumulate);
  std::vector<uint32_t> c(n);
  for (size_t i = 0; i < m; ++i) {
    uint8_t *out = acc + i * accPitch;
    if (accumulate)
      std::memcpy(c.data(), out, 4 * n);
    else
      std::fill(c.begin(), c.end(), 0u);
    for (size_t kk = 0; kk < k; ++kk) {
      int32_t a = load<int8_t>(lhs + i * lhsPitch + kk);
      const int8_t *row = reinterpret_cast<const int8_t *>(rhs + kk * rhsPitch);
      for (size_t j = 0; j < n; ++j)
        c[j] += static_cast<uint32_t>(a * int32_t(row[j]));
    }
    std::memcpy(out, c.data(), 4 * n);
  }
}

void vectorBinary(isa::VBinOp op, DType type, const uint8_t *a,
                  const uint8_t *b, uint8_t *d, size_t len) {
  if (isFloatDType(type)) {
    for (size_t i = 0; i < len; ++i)
      storeFloat(d, type, i,
                 applyBinary(op, loadFloat(a, type, i), loadFloat(b, type, i)));
    return;
  }
  for (size_t i = 0; i < len; ++i)
    storeInt(d, type, i,
             saturate(applyBinary(op, loadInt(a, type, i), loadInt(b, type, i)),
                      type));
}

void vectorScalar(isa::VBinOp op, DType type, const uint8_t *a, uint32_t s,
                  uint8_t *d, size_t len) {
  if (isFloatDType(type)) {
    // The scalar is f32 bits for f32, else the 16-bit pattern of the type.
    uint8_t bits[4];
    std::memcpy(bits, &s, 4);
    float scalar = loadFloat(bits, type, 0);
    for (size_t i = 0; i < len; ++i)
      storeFloat(d, type, i, applyBinary(op, loadFloat(a, type, i), scalar));
    return;
  }
  int64_t scalar = static_cast<int32_t>(s);
  for (size_t i = 0; i < len; ++i)
    storeInt(d, type, i,
             saturate(applyBinary(op, loadInt(a, type, i), scalar), type));
}

void vectorUnary(isa::VUnOp op, DType type, const uint8_t *a, uint8_t *d,
                 size_t len) {
  if (isFloatDType(type)) {
    for (size_t i = 0; i < len; ++i)
      storeFloat(d, type, i, applyUnary(op, loadFloat(a, type, i)));
    return;
  }
  for (size_t i = 0; i < len; ++i)
    storeInt(d, type, i, saturate(applyUnary(op, loadInt(a, type, i)), type));
}

void vectorFma(DType type, const uint8_t *a, const uint8_t *b, uint8_t *d,
               size_t len) {
  if (isFloatDType(type)) {
    for (size_t i = 0; i < len; ++i)
      storeFloat(d, type, i,
                 std::fma(loadFloat(a, type, i), loadFloat(b, type, i),
                          loadFloat(d, type, i)));
    return;
  }
  for (size_t i = 0; i < len; ++i) {
    int64_t product =
        applyBinary(isa::VBinOp::Mul, loadInt(a, type, i), loadInt(b, type, i));
    storeInt(
        d, type, i,
        saturate(applyBinary(isa::VBinOp::Add, product, loadInt(d, type, i)),
                 type));
  }
}

void vectorReduce(isa::VRedOp op, DType type, const uint8_t *a, uint8_t *d,
                  size_t len) {
  if (isFloatDType(type)) {
    // A float sum is pairwise, as the host reference's (Numerics.h).
    if (op == isa::VRedOp::Sum) {
      storeFloat(
          d, type, 0,
          len == 0
              ? 0.0f
              : pairwiseSum([&](int64_t i) { return loadFloat(a, type, i); }, 0,
                            int64_t(len)));
      return;
    }
    float result = loadFloat(a, type, 0);
    for (size_t i = 1; i < len; ++i)
      result = applyBinary(op == isa::VRedOp::Max ? isa::VBinOp::Max
                                                  : isa::VBinOp::Min,
                           result, loadFloat(a, type, i));
    storeFloat(d, type, 0, result);
    return;
  }
  int64_t result = op == isa::VRedOp::Sum ? 0 : loadInt(a, type, 0);
  for (size_t i = op == isa::VRedOp::Sum ? 0 : 1; i < len; ++i) {
    int64_t x = loadInt(a, type, i);
    result = applyBinary(op == isa::VRedOp::Sum   ? isa::VBinOp::Add
                         : op == isa::VRedOp::Max ? isa::VBinOp::Max
                                                  : isa::VBinOp::Min,
                         result, x);
  }
  storeInt(d, type, 0, saturate(result, type));
}

void vectorCompare(isa::VCmpOp op, DType type, const uint8_t *a,
                   const uint8_t *b, uint8_t *d, size_t len) {
  for (size_t i = 0; i < len; ++i) {
    double x = isFloatDType(type) ? loadFloat(a, type, i)
                                  : static_cast<double>(loadInt(a, type, i));
    double y = isFloatDType(type) ? loadFloat(b, type, i)
                                  : static_cast<double>(loadInt(b, type, i));
    d[i] = compare(op, x, y);
  }
}

void vectorSelect(DType type, const uint8_t *mask, const uint8_t *b, uint8_t *d,
                  size_t len) {
  size_t size = dtypeSize(type);
  for (size_t i = 0; i < len; ++i)
    if (mask[i])
      std::memcpy(d + i * size, b + i * size, size);
}

void vectorRequantize(const uint8_t *a, int32_t mult, int32_t shift,
                      int32_t zeroPoint, uint8_t *d, size_t len) {
  for (size_t i = 0; i < len; ++i) {
    int64_t product = int64_t(load<int32_t>(a + 4 * i)) * mult;
    if (shift > 0)
      product = (product + (int64_t(1) << (shift - 1))) >> shift;
    store(d + i, static_cast<int8_t>(
                     std::clamp<int64_t>(product + zeroPoint, -128, 127)));
  }
}

} // namespace sinan::sim
