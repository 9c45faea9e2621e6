//===- MiniFloatTest.cpp - 8- and 4-bit float conversions -----------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/MiniFloat.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace sinan;

namespace {

struct Case {
  MiniFloatKind kind;
  int codes;     // 256, or 16 for float4
  float largest; // Largest finite value.
  float tiny;    // Smallest positive subnormal.
};

const Case kCases[] = {
    {MiniFloatKind::F8E4M3FN, 256, 448.0f, 0x1p-9f},
    {MiniFloatKind::F8E4M3FNUZ, 256, 240.0f, 0x1p-10f},
    {MiniFloatKind::F8E5M2, 256, 57344.0f, 0x1p-16f},
    {MiniFloatKind::F8E5M2FNUZ, 256, 57344.0f, 0x1p-17f},
    {MiniFloatKind::F4E2M1FN, 16, 6.0f, 0.5f},
};

class MiniFloatTest : public ::testing::TestWithParam<Case> {};

// Every finite code decodes to a value that encodes back to the same code.
TEST_P(MiniFloatTest, EveryCodeRoundTrips) {
  const Case &c = GetParam();
  for (int code = 0; code < c.codes; ++code) {
    float value = miniFloatToFloat(static_cast<uint8_t>(code), c.kind);
    if (std::isnan(value) || std::isinf(value))
      continue;
    EXPECT_EQ(floatToMiniFloat(value, c.kind, true), code) << value;
  }
}

TEST_P(MiniFloatTest, RangeAndSaturation) {
  const Case &c = GetParam();
  float largest = 0.0f, tiny = INFINITY;
  for (int code = 0; code < c.codes; ++code) {
    float value = miniFloatToFloat(static_cast<uint8_t>(code), c.kind);
    if (std::isfinite(value) && value > 0) {
      largest = std::max(largest, value);
      tiny = std::min(tiny, value);
    }
  }
  EXPECT_EQ(largest, c.largest);
  EXPECT_EQ(tiny, c.tiny);
  uint8_t max = floatToMiniFloat(c.largest, c.kind, true);
  EXPECT_EQ(floatToMiniFloat(1e9f, c.kind, true), max);
  EXPECT_EQ(floatToMiniFloat(INFINITY, c.kind, true), max);
  // Half the smallest subnormal ties to even: zero.
  EXPECT_EQ(
      miniFloatToFloat(floatToMiniFloat(c.tiny / 2, c.kind, true), c.kind),
      0.0f);
  EXPECT_EQ(
      miniFloatToFloat(floatToMiniFloat(c.tiny * 0.75f, c.kind, true), c.kind),
      c.tiny);
}

INSTANTIATE_TEST_SUITE_P(Formats, MiniFloatTest, ::testing::ValuesIn(kCases));

TEST(MiniFloat, NonSaturatingOverflow) {
  EXPECT_TRUE(std::isnan(
      miniFloatToFloat(floatToMiniFloat(1e6f, MiniFloatKind::F8E4M3FN, false),
                       MiniFloatKind::F8E4M3FN)));
  EXPECT_TRUE(std::isinf(
      miniFloatToFloat(floatToMiniFloat(1e6f, MiniFloatKind::F8E5M2, false),
                       MiniFloatKind::F8E5M2)));
  // 460 rounds down to 448 (e4m3fn), so it does not overflow.
  EXPECT_EQ(
      miniFloatToFloat(floatToMiniFloat(460.0f, MiniFloatKind::F8E4M3FN, false),
                       MiniFloatKind::F8E4M3FN),
      448.0f);
  // fnuz has no negative zero and a single NaN code.
  EXPECT_EQ(floatToMiniFloat(-0.0f, MiniFloatKind::F8E4M3FNUZ, true), 0);
  EXPECT_EQ(floatToMiniFloat(NAN, MiniFloatKind::F8E5M2FNUZ, true), 0x80);
}

TEST(MiniFloat, RoundsToNearestEven) {
  // e4m3fn spacing in [1, 2) is 1/8: 1 + 1/16 ties to 1, 1 + 3/16 to 1.25.
  EXPECT_EQ(
      miniFloatToFloat(floatToMiniFloat(1.0625f, MiniFloatKind::F8E4M3FN, true),
                       MiniFloatKind::F8E4M3FN),
      1.0f);
  EXPECT_EQ(
      miniFloatToFloat(floatToMiniFloat(1.1875f, MiniFloatKind::F8E4M3FN, true),
                       MiniFloatKind::F8E4M3FN),
      1.25f);
}

TEST(MiniFloat, E8M0Rounding) {
  EXPECT_EQ(e8m0ToFloat(127), 1.0f);
  EXPECT_TRUE(std::isnan(e8m0ToFloat(0xFF)));
  EXPECT_EQ(floatToE8M0(3.0f, true, E8M0Rounding::Up), 128 + 1);
  EXPECT_EQ(floatToE8M0(3.0f, true, E8M0Rounding::Down), 128);
  EXPECT_EQ(floatToE8M0(3.1f, true, E8M0Rounding::Nearest), 129);
  EXPECT_EQ(floatToE8M0(2.5f, true, E8M0Rounding::Nearest), 128);
  EXPECT_EQ(floatToE8M0(INFINITY, true, E8M0Rounding::Up), 0xFF);
  // Saturation keeps the largest exponent from rounding into NaN.
  EXPECT_EQ(floatToE8M0(0x1.8p127f, true, E8M0Rounding::Up), 0xFE);
  EXPECT_EQ(floatToE8M0(0x1.8p127f, false, E8M0Rounding::Up), 0xFF);
}

} // namespace
