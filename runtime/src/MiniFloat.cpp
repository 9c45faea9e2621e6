//===- MiniFloat.cpp - 8- and 4-bit float formats of ONNX -----------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/MiniFloat.h"

#include "sinan/runtime/Numerics.h"

#include <cmath>
#include <limits>

namespace sinan {
namespace {

struct Format {
  int expBits;
  int manBits;
  int bias;
  bool hasInf; // e5m2: all-ones exponent with zero mantissa is infinity.
  bool fnuz;   // Single NaN at 0x80, no negative zero.
  bool hasNaN;
};

Format format(MiniFloatKind kind) {
  switch (kind) {
  case MiniFloatKind::F8E4M3FN:
    return {4, 3, 7, false, false, true};
  case MiniFloatKind::F8E4M3FNUZ:
    return {4, 3, 8, false, true, true};
  case MiniFloatKind::F8E5M2:
    return {5, 2, 15, true, false, true};
  case MiniFloatKind::F8E5M2FNUZ:
    return {5, 2, 16, false, true, true};
  case MiniFloatKind::F4E2M1FN:
    return {2, 1, 1, false, false, false};
  }
  return {};
}

int signShift(const Format &f) { return f.expBits + f.manBits; }
uint8_t expMask(const Format &f) { return (1u << f.expBits) - 1; }
uint8_t manMask(const Format &f) { return (1u << f.manBits) - 1; }

/// The largest finite encoding without its sign.
uint8_t maxFinite(const Format &f) {
  uint8_t all = static_cast<uint8_t>((expMask(f) << f.manBits) | manMask(f));
  if (f.hasInf) // e5m2: the all-ones exponent is reserved.
    return static_cast<uint8_t>(all - manMask(f) - 1);
  if (f.hasNaN && !f.fnuz) // e4m3fn: only S.1111.111 is NaN.
    return static_cast<uint8_t>(all - 1);
  return all;
}

uint8_t nanBits(const Format &f) {
  if (f.fnuz)
    return 0x80;
  if (!f.hasNaN) // float4: NaN becomes -0, as ONNX's reference does.
    return static_cast<uint8_t>(1u << signShift(f));
  return static_cast<uint8_t>((expMask(f) << f.manBits) | manMask(f));
}

float decode(uint8_t bits, const Format &f) {
  bool sign = (bits >> signShift(f)) & 1;
  unsigned exponent = (bits >> f.manBits) & expMask(f);
  unsigned mantissa = bits & manMask(f);
  float quiet = std::numeric_limits<float>::quiet_NaN();
  if (f.fnuz && bits == 0x80)
    return quiet;
  if (f.hasInf && exponent == expMask(f))
    return mantissa ? quiet : (sign ? -1.0f : 1.0f) * INFINITY;
  if (f.hasNaN && !f.fnuz && !f.hasInf && exponent == expMask(f) &&
      mantissa == manMask(f))
    return quiet;
  float magnitude =
      exponent == 0
          ? std::ldexp(static_cast<float>(mantissa), 1 - f.bias - f.manBits)
          : std::ldexp(static_cast<float>(mantissa + (1u << f.manBits)),
                       static_cast<int>(exponent) - f.bias - f.manBits);
  return sign ? -magnitude : magnitude;
}

uint8_t encode(float value, const Format &f, bool saturate) {
  if (std::isnan(value))
    return nanBits(f);
  bool sign = std::signbit(value);
  uint8_t signBit = static_cast<uint8_t>(sign << signShift(f));
  double magnitude = std::fabs(static_cast<double>(value));
  double largest = decode(maxFinite(f), f);
  auto overflow = [&]() -> uint8_t {
    if (saturate || !f.hasNaN)
      return signBit | maxFinite(f);
    if (f.hasInf)
      return signBit | static_cast<uint8_t>(expMask(f) << f.manBits);
    return nanBits(f);
  };
  if (std::isinf(magnitude))
    return overflow();
  // Round to a multiple of the spacing of the binade (ties to even).
  int minExponent = 1 - f.bias;
  int exponent = std::max(std::ilogb(magnitude), minExponent);
  if (magnitude == 0.0)
    exponent = minExponent;
  double quantum = std::ldexp(1.0, exponent - f.manBits);
  double rounded = std::nearbyint(magnitude / quantum) * quantum;
  if (rounded > largest)
    return overflow();
  if (rounded == 0.0)
    return f.fnuz ? 0 : signBit;
  int e = std::ilogb(rounded);
  if (e < minExponent) // Subnormal.
    return signBit | static_cast<uint8_t>(
                         rounded / std::ldexp(1.0, minExponent - f.manBits));
  unsigned mantissa =
      static_cast<unsigned>(std::ldexp(rounded, f.manBits - e)) -
      (1u << f.manBits);
  return signBit | static_cast<uint8_t>(((e + f.bias) << f.manBits) | mantissa);
}
} // namespace

float miniFloatToFloat(uint8_t bits, MiniFloatKind kind) {
  return decode(bits, format(kind));
}

uint8_t floatToMiniFloat(float value, MiniFloatKind kind, bool saturate) {
  return encode(value, format(kind), saturate);
}

float e8m0ToFloat(uint8_t bits) {
  if (bits == 0xFF)
    return std::numeric_limits<float>::quiet_NaN();
  return std::ldexp(1.0f, static_cast<int>(bits) - 127);
}

uint8_t floatToE8M0(float value, bool saturate, E8M0Rounding rounding) {
  uint32_t bits = floatBits(value);
  uint32_t exponent = (bits >> 23) & 0xFF;
  if (exponent == 0xFF) // NaN and infinity.
    return 0xFF;
  bool roundUp = false;
  uint32_t fraction = bits & 0x7FFFFF;
  switch (rounding) {
  case E8M0Rounding::Up:
    roundUp = fraction != 0;
    break;
  case E8M0Rounding::Down:
    break;
  case E8M0Rounding::Nearest: {
    bool guard = bits & 0x400000, round = bits & 0x200000,
         sticky = bits & 0x1FFFFF;
    roundUp = guard && (round || sticky || exponent > 0);
    break;
  }
  }
  if (roundUp && !(saturate && exponent == 0xFE))
    ++exponent;
  return static_cast<uint8_t>(exponent);
}

MiniFloatKind miniFloatKind(DType type) {
  switch (type) {
  case DType::F8E4M3FNUZ:
    return MiniFloatKind::F8E4M3FNUZ;
  case DType::F8E5M2:
    return MiniFloatKind::F8E5M2;
  case DType::F8E5M2FNUZ:
    return MiniFloatKind::F8E5M2FNUZ;
  case DType::F4E2M1FN:
    return MiniFloatKind::F4E2M1FN;
  default:
    return MiniFloatKind::F8E4M3FN;
  }
}

float decodeMiniFloat(uint8_t bits, DType type) {
  if (type == DType::F8E8M0FNU)
    return e8m0ToFloat(bits);
  return miniFloatToFloat(bits, miniFloatKind(type));
}

uint8_t encodeMiniFloat(float value, DType type, bool saturate) {
  if (type == DType::F8E8M0FNU)
    return floatToE8M0(value, saturate, E8M0Rounding::Up);
  return floatToMiniFloat(value, miniFloatKind(type), saturate);
}

} // namespace sinan
