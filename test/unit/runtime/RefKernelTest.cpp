//===- RefKernelTest.cpp - Reference kernels' numerics --------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/ref/Kernels.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace sinan;

namespace {

// Float sums are pairwise: the mean of 2^16 copies of 0.1f is 0.1f to an
// ulp, where a sequential f32 sum drifts by about 1e-4 relative.
TEST(RefKernelTest, FloatMeanIsSummedPairwise) {
  constexpr int64_t n = 1 << 16;
  Tensor input(DType::F32, {2, n});
  for (int64_t i = 0; i < 2 * n; ++i)
    input.data<float>()[i] = i < n ? 0.1f : -0.25f;
  Tensor out(DType::F32, {2});
  ref::reduce(ref::ReduceOp::Mean, input, {1}, out);
  EXPECT_NEAR(out.data<float>()[0], 0.1f, 1e-8f);
  EXPECT_EQ(out.data<float>()[1], -0.25f);
  float sequential = 0.0f;
  for (int64_t i = 0; i < n; ++i)
    sequential += 0.1f;
  EXPECT_GT(std::fabs(sequential / n - 0.1f), 1e-6f); // What it replaced.
}

// Over a middle axis (elements of one output are strided), a sum of one
// element keeps its sign of zero, and integers sum exactly.
TEST(RefKernelTest, SumOverMiddleAxis) {
  Tensor input(DType::F32, {2, 3, 2});
  for (int64_t i = 0; i < 12; ++i)
    input.data<float>()[i] = float(i);
  Tensor out(DType::F32, {2, 2});
  ref::reduce(ref::ReduceOp::Sum, input, {1}, out);
  EXPECT_EQ(out.data<float>()[0], 0.0f + 2 + 4);
  EXPECT_EQ(out.data<float>()[1], 1.0f + 3 + 5);
  EXPECT_EQ(out.data<float>()[2], 6.0f + 8 + 10);
  EXPECT_EQ(out.data<float>()[3], 7.0f + 9 + 11);

  Tensor negZero(DType::F32, {1});
  negZero.data<float>()[0] = -0.0f;
  Tensor one(DType::F32, {});
  ref::reduce(ref::ReduceOp::Sum, negZero, {0}, one);
  EXPECT_TRUE(std::signbit(one.data<float>()[0]));

  Tensor ints(DType::I64, {3});
  ints.data<int64_t>()[0] = int64_t(1) << 40;
  ints.data<int64_t>()[1] = 3;
  ints.data<int64_t>()[2] = -1;
  Tensor sum(DType::I64, {});
  ref::reduce(ref::ReduceOp::Sum, ints, {0}, sum);
  EXPECT_EQ(sum.data<int64_t>()[0], (int64_t(1) << 40) + 2);
}

} // namespace
