//===- DTypeTest.cpp - Element types --------------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/DType.h"

#include <gtest/gtest.h>

using namespace sinan;

namespace {

TEST(DTypeTest, NamesRoundTripForEveryType) {
  for (unsigned i = 0; i < kNumDTypes; ++i) {
    auto type = static_cast<DType>(i);
    std::optional<DType> parsed = parseDType(dtypeName(type));
    ASSERT_TRUE(parsed.has_value()) << dtypeName(type);
    EXPECT_EQ(*parsed, type);
  }
}

TEST(DTypeTest, SizesMatchStorage) {
  EXPECT_EQ(dtypeSize(DType::F32), 4u);
  EXPECT_EQ(dtypeSize(DType::F16), 2u);
  EXPECT_EQ(dtypeSize(DType::BF16), 2u);
  EXPECT_EQ(dtypeSize(DType::I8), 1u);
  EXPECT_EQ(dtypeSize(DType::I32), 4u);
  EXPECT_EQ(dtypeSize(DType::I64), 8u);
  EXPECT_EQ(dtypeSize(DType::I1), 1u);
}

TEST(DTypeTest, EncodingIsStable) {
  // These values are written into module files; changing one breaks them.
  EXPECT_EQ(static_cast<int>(DType::F32), 0);
  EXPECT_EQ(static_cast<int>(DType::BF16), 2);
  EXPECT_EQ(static_cast<int>(DType::I1), 6);
}

TEST(DTypeTest, UnknownNameNamesCulpritAndChoices) {
  std::string error;
  EXPECT_FALSE(parseDType("float33", error).has_value());
  EXPECT_NE(error.find("'float33'"), std::string::npos) << error;
  EXPECT_NE(error.find("bf16"), std::string::npos) << error;
  EXPECT_FALSE(parseDType("").has_value());
  EXPECT_FALSE(parseDType("F32").has_value()); // Spellings are lower case.
}

TEST(DTypeTest, FloatClassification) {
  EXPECT_TRUE(isFloatDType(DType::BF16));
  EXPECT_TRUE(isFloatDType(DType::F16));
  EXPECT_FALSE(isFloatDType(DType::I8));
  EXPECT_FALSE(isFloatDType(DType::I1));
}

} // namespace
