//===- NumericsTest.cpp - Exact low-precision conversions -----------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Each conversion is checked against an independent reference that picks the
// nearest representable value by comparing exact distances in double, rather
// than by bit manipulation.
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/Numerics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace sinan;

namespace {

/// Decodes binary16 from its fields, independently of halfToFloat.
double referenceHalfValue(uint16_t bits) {
  int exponent = (bits >> 10) & 0x1f;
  int mantissa = bits & 0x3ff;
  double magnitude = exponent == 0 ? std::ldexp(mantissa, -24)
                                   : std::ldexp(1024 + mantissa, exponent - 25);
  return (bits & 0x8000) ? -magnitude : magnitude;
}

/// Rounds a non-negative finite `x` to the nearest of `values` (ascending,
/// with `codes` their encodings), ties to the even code. A value beyond the
/// last entry's rounding range must be handled by the caller.
uint16_t nearest(double x, const std::vector<double> &values,
                 const std::vector<uint16_t> &codes) {
  auto it = std::lower_bound(values.begin(), values.end(), x);
  size_t hi = it - values.begin();
  if (hi < values.size() && values[hi] == x)
    return codes[hi];
  size_t lo = hi - 1;
  double dLo = x - values[lo], dHi = values[hi] - x;
  if (dLo < dHi)
    return codes[lo];
  if (dHi < dLo)
    return codes[hi];
  return (codes[lo] & 1) ? codes[hi] : codes[lo];
}

struct HalfTable {
  std::vector<double> values;
  std::vector<uint16_t> codes;
  HalfTable() {
    for (uint16_t code = 0; code < 0x7c00; ++code) {
      values.push_back(referenceHalfValue(code));
      codes.push_back(code);
    }
    // 2^16 is where rounding reaches infinity.
    values.push_back(65536.0);
    codes.push_back(0x7c00);
  }
};

uint16_t referenceFloatToHalf(float value) {
  static const HalfTable table;
  uint16_t sign = std::signbit(value) ? 0x8000 : 0;
  if (std::isnan(value))
    return sign | 0x7e00;
  double magnitude = std::fabs(static_cast<double>(value));
  if (magnitude >= 65536.0)
    return sign | 0x7c00;
  return sign | nearest(magnitude, table.values, table.codes);
}

uint16_t referenceFloatToBF16(float value) {
  uint16_t sign = std::signbit(value) ? 0x8000 : 0;
  if (std::isnan(value))
    return sign | 0x7fc0;
  if (std::isinf(value))
    return sign | 0x7f80;
  double magnitude = std::fabs(static_cast<double>(value));
  // The two bf16 neighbours: truncation and one unit above it. One above the
  // largest finite bf16 stands for 2^128, where rounding overflows.
  uint16_t lo = static_cast<uint16_t>((floatBits(std::fabs(value))) >> 16);
  uint16_t hi = lo + 1;
  double loValue = static_cast<double>(bf16ToFloat(lo));
  double hiValue = hi == 0x7f80 ? std::ldexp(1.0, 128)
                                : static_cast<double>(bf16ToFloat(hi));
  std::vector<double> values = {loValue, hiValue};
  std::vector<uint16_t> codes = {lo, hi};
  return sign | nearest(magnitude, values, codes);
}

/// Random floats: uniform bit patterns plus values concentrated where the
/// 16-bit formats have their normal/subnormal/overflow edges.
std::vector<float> sampleFloats() {
  std::mt19937 rng(20261125);
  std::vector<float> samples;
  std::uniform_int_distribution<uint32_t> bits;
  for (int i = 0; i < 400000; ++i)
    samples.push_back(floatFromBits(bits(rng)));
  std::uniform_int_distribution<int> exponent(-30, 17);
  std::uniform_real_distribution<double> mantissa(1.0, 2.0);
  for (int i = 0; i < 400000; ++i) {
    float x = static_cast<float>(std::ldexp(mantissa(rng), exponent(rng)));
    samples.push_back(i % 2 ? -x : x);
  }
  // Exact ties and their neighbours for every fp16 step, and the edges.
  for (uint16_t code = 0; code < 0x7c00; code += 7) {
    double mid = (referenceHalfValue(code) + referenceHalfValue(code + 1)) / 2;
    float tie = static_cast<float>(mid);
    samples.insert(samples.end(),
                   {tie, std::nextafter(tie, 0.0f),
                    std::nextafter(tie, std::numeric_limits<float>::max())});
  }
  samples.insert(samples.end(), {0.0f, -0.0f, 65504.0f, 65519.996f, 65520.0f,
                                 65536.0f, std::numeric_limits<float>::max(),
                                 std::numeric_limits<float>::min(),
                                 std::numeric_limits<float>::denorm_min(),
                                 std::numeric_limits<float>::infinity(),
                                 -std::numeric_limits<float>::infinity(),
                                 std::ldexp(1.0f, -24), std::ldexp(1.0f, -25),
                                 std::ldexp(1.5f, -25), std::ldexp(1.0f, -14)});
  return samples;
}

TEST(NumericsTest, FloatToHalfMatchesNearestEvenReference) {
  for (float value : sampleFloats())
    ASSERT_EQ(floatToHalf(value), referenceFloatToHalf(value))
        << "value " << value << " bits 0x" << std::hex << floatBits(value);
}

TEST(NumericsTest, FloatToBF16MatchesNearestEvenReference) {
  for (float value : sampleFloats())
    ASSERT_EQ(floatToBF16(value), referenceFloatToBF16(value))
        << "value " << value << " bits 0x" << std::hex << floatBits(value);
}

TEST(NumericsTest, HalfDecodesEveryCodeExactly) {
  for (uint32_t code = 0; code <= 0xffff; ++code) {
    float value = halfToFloat(static_cast<uint16_t>(code));
    int exponent = (code >> 10) & 0x1f;
    if (exponent == 0x1f) {
      EXPECT_EQ(std::isnan(value), (code & 0x3ff) != 0) << code;
      EXPECT_EQ(std::signbit(value), (code & 0x8000) != 0) << code;
      continue;
    }
    ASSERT_EQ(static_cast<double>(value),
              referenceHalfValue(static_cast<uint16_t>(code)))
        << code;
    ASSERT_EQ(std::signbit(value), (code & 0x8000) != 0) << code;
    // Every finite fp16 value is exactly representable, so it round-trips.
    ASSERT_EQ(floatToHalf(value), code) << code;
  }
}

TEST(NumericsTest, BF16RoundTripsEveryNonNaNCode) {
  for (uint32_t code = 0; code <= 0xffff; ++code) {
    float value = bf16ToFloat(static_cast<uint16_t>(code));
    if (std::isnan(value))
      continue;
    ASSERT_EQ(floatToBF16(value), code) << code;
  }
}

// A convolution's bias starts its accumulators as a matrix-unit product of
// three bf16 columns with ones (ConvBlocks::biasProduct): their f32 sum from
// +0.0, in any order, must be the bias's exact bits.
TEST(NumericsTest, SplitToBF16SumsToTheValue) {
  std::mt19937 rng(20261205);
  std::uniform_int_distribution<uint32_t> bits;
  int exact = 0;
  for (int i = 0; i < 200000; ++i) {
    float value = floatFromBits(bits(rng));
    if (std::isnan(value))
      continue;
    uint16_t parts[3];
    splitToBF16(value, parts);
    float sum = ((0.0f + bf16ToFloat(parts[0])) + bf16ToFloat(parts[1])) +
                bf16ToFloat(parts[2]);
    // Exact above bf16's subnormal range (2^-133 for the last part).
    if (std::fabs(value) >= 0x1p-110f || value == 0.0f || std::isinf(value)) {
      if (floatBits(value) != floatBits(-0.0f)) {
        ASSERT_EQ(floatBits(sum), floatBits(value)) << value;
        ASSERT_TRUE(splitsExactly(value)) << value;
        ++exact;
      }
    }
    // Whatever splitsExactly accepts sums exactly.
    if (splitsExactly(value))
      ASSERT_EQ(floatBits(sum), floatBits(value)) << value;
  }
  EXPECT_GT(exact, 150000);
  // A product's sum starts from +0.0, so -0.0 is refused, and a NaN whose
  // payload the split would lose; the three parts of 0.1f.
  EXPECT_FALSE(splitsExactly(-0.0f));
  EXPECT_FALSE(splitsExactly(floatFromBits(0x7fc00001u)));
  EXPECT_TRUE(splitsExactly(std::numeric_limits<float>::infinity()));
  uint16_t parts[3];
  splitToBF16(0.1f, parts);
  EXPECT_EQ(parts[0], 0x3dcc);
  EXPECT_EQ(parts[1], 0x39cc);
  EXPECT_EQ(parts[2], 0x35cd);
}

TEST(NumericsTest, NaNKeepsSignAndBecomesCanonicalQuiet) {
  float nan = std::numeric_limits<float>::quiet_NaN();
  float signalling = floatFromBits(0x7f800001u); // Payload in the low bits.
  EXPECT_EQ(floatToBF16(nan), 0x7fc0);
  EXPECT_EQ(floatToBF16(-nan), 0xffc0);
  EXPECT_EQ(floatToBF16(signalling), 0x7fc0);
  EXPECT_EQ(floatToHalf(nan), 0x7e00);
  EXPECT_EQ(floatToHalf(-nan), 0xfe00);
  EXPECT_EQ(floatToHalf(signalling), 0x7e00);
}

TEST(NumericsTest, FloatToI8RoundsHalfToEvenAndSaturates) {
  EXPECT_EQ(floatToI8(2.5f), 2);
  EXPECT_EQ(floatToI8(3.5f), 4);
  EXPECT_EQ(floatToI8(-2.5f), -2);
  EXPECT_EQ(floatToI8(-0.5f), 0);
  EXPECT_EQ(floatToI8(126.5f), 126);
  EXPECT_EQ(floatToI8(127.4f), 127);
  EXPECT_EQ(floatToI8(127.5f), 127);
  EXPECT_EQ(floatToI8(1e9f), 127);
  EXPECT_EQ(floatToI8(-128.5f), -128);
  EXPECT_EQ(floatToI8(-1e9f), -128);
  EXPECT_EQ(floatToI8(std::numeric_limits<float>::infinity()), 127);
  EXPECT_EQ(floatToI8(-std::numeric_limits<float>::infinity()), -128);
  EXPECT_EQ(floatToI8(std::numeric_limits<float>::quiet_NaN()), 0);
}

TEST(NumericsTest, SaturateToI8ClampsToRange) {
  EXPECT_EQ(saturateToI8(0), 0);
  EXPECT_EQ(saturateToI8(127), 127);
  EXPECT_EQ(saturateToI8(128), 127);
  EXPECT_EQ(saturateToI8(-128), -128);
  EXPECT_EQ(saturateToI8(-129), -128);
  EXPECT_EQ(saturateToI8(std::numeric_limits<int32_t>::max()), 127);
  EXPECT_EQ(saturateToI8(std::numeric_limits<int32_t>::min()), -128);
}

} // namespace
