//===- ShapeCheckTest.cpp - Host-op shape rules ---------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The rules are exercised on every node-test data set (each runs as a module,
// which is checked before it runs); these tests pin the rejections.
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/Numerics.h"
#include "sinan/runtime/Tensor.h"
#include "sinan/runtime/ref/HostOps.h"

#include "sinan/runtime/shape/OpSignatures.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace sinan;
using namespace sinan::ref;
using namespace sinan::shape;

namespace {

ValueType f32(std::vector<int64_t> shape) { return {DType::F32, shape}; }

/// The error checkHostOp gives, or "" when it accepts.
std::string check(std::string_view op, const std::vector<Attr> &attrs,
                  const std::vector<ValueType> &in,
                  const std::vector<ValueType> &out) {
  std::string error;
  return checkHostOp(op, attrs, in, out, error) ? "" : error;
}

TEST(ShapeCheck, EveryHostOpHasARule) {
  for (std::string_view op : hostOpNames())
    EXPECT_TRUE(hasHostOpCheck(op)) << op;
}

TEST(ShapeCheck, Elementwise) {
  EXPECT_EQ(check("add", {}, {f32({2, 3}), f32({3})}, {f32({2, 3})}), "");
  EXPECT_EQ(
      check("add", {}, {f32({2, 3}), f32({4})}, {f32({2, 3})}),
      "op 'add': shapes [2, 3] and [4] are not broadcast-compatible (3 vs 4 "
      "in trailing dimension 0)");
  EXPECT_EQ(check("relu", {}, {f32({4})}, {f32({8})}),
            "op 'relu': result 0 is f32[8], the op gives f32[4]");
  // Found by sinan-fuzz-module-run: log of f32 into i16.
  EXPECT_EQ(check("log", {}, {f32({4})}, {{DType::I16, {4}}}),
            "op 'log': result #0 must be ranked tensor of 32-bit float or "
            "16-bit float or bfloat16 type or 64-bit float values, but got "
            "'tensor<4xi16>'");
  EXPECT_EQ(check("less", {}, {f32({4}), f32({4})}, {f32({4})}),
            "op 'less': result #0 must be ranked tensor of 1-bit signless "
            "integer values, but got 'tensor<4xf32>'");
  EXPECT_EQ(check("select", {}, {{DType::I1, {4}}, f32({4}), {DType::I8, {4}}},
                  {f32({4})}),
            "op 'select': failed to verify that all of {on_true, on_false, "
            "output} have same element type");
}

TEST(ShapeCheck, Structural) {
  EXPECT_EQ(check("matmul", {}, {f32({2, 3}), f32({4, 5})}, {f32({2, 5})}),
            "op 'matmul': contraction dimensions differ: lhs [2, 3] has 3 "
            "columns but rhs [4, 5] has 4 rows");
  EXPECT_EQ(check("matmul", {}, {f32({7, 2, 3}), f32({3})}, {f32({7, 2})}), "");
  std::vector<Attr> conv = {{"pads", std::vector<int64_t>{1, 1, 1, 1}}};
  EXPECT_EQ(check("conv2d", conv, {f32({1, 3, 8, 8}), f32({4, 3, 3, 3})},
                  {f32({1, 4, 8, 8})}),
            "");
  EXPECT_EQ(check("conv2d", conv, {f32({1, 3, 8, 8}), f32({4, 2, 3, 3})},
                  {f32({1, 4, 8, 8})}),
            "op 'conv2d': input has 3 channels but weight [4, 2, 3, 3] with "
            "group 1 expects 2");
  EXPECT_EQ(check("reshape", {}, {f32({2, 3})}, {f32({7})}),
            "op 'reshape': cannot reshape [2, 3] (6 elements) into [7] (7 "
            "elements)");
  EXPECT_EQ(check("reshape", {}, {f32({2, 3})}, {{DType::I8, {6}}}),
            "op 'reshape': failed to verify that all of {input, output} have "
            "same element type");
  EXPECT_EQ(check("transpose", {{"permutation", std::vector<int64_t>{0, 0}}},
                  {f32({2, 3})}, {f32({3, 2})}),
            "op 'transpose': permutation [0, 0] is not a permutation of 0..1");
  EXPECT_EQ(check("concat", {{"axis", int64_t(1)}}, {f32({2, 3}), f32({3, 3})},
                  {f32({2, 6})}),
            "op 'concat': inputs [2, 3] and [3, 3] differ in dimension 0, "
            "which is not the concatenation axis");
}

TEST(ShapeCheck, Indexing) {
  std::vector<Attr> slice = {{"starts", std::vector<int64_t>{2}},
                             {"limits", std::vector<int64_t>{4}},
                             {"steps", std::vector<int64_t>{1}}};
  EXPECT_EQ(check("slice", slice, {f32({4})}, {f32({2})}), "");
  EXPECT_EQ(check("slice", slice, {f32({4})}, {f32({3})}),
            "op 'slice': result 0 is f32[3], the op gives f32[2]");
  // Every attribute ODS requires is in the module: a slice's limits too.
  EXPECT_EQ(check("slice", {slice[0], slice[2]}, {f32({4})}, {f32({2})}),
            "op 'slice': missing attribute 'limits'");
  EXPECT_EQ(check("gather", {{"axis", int64_t(0)}}, {f32({5, 2}), f32({3})},
                  {f32({3, 2})}),
            "op 'gather': operand #1 must be ranked tensor of 32-bit signless "
            "integer or 64-bit signless integer values, but got "
            "'tensor<3xf32>'");
  EXPECT_EQ(check("top_k", {{"axis", int64_t(0)}, {"k", int64_t(2)}},
                  {f32({5})}, {f32({2}), {DType::I32, {2}}}),
            "op 'top_k': result #1 must be ranked tensor of 64-bit signless "
            "integer values, but got 'tensor<2xi32>'");
  EXPECT_EQ(
      check("softmax", {{"axis", int64_t(3)}}, {f32({2, 3})}, {f32({2, 3})}),
      "op 'softmax': axis 3 is out of range for rank 2");
  EXPECT_EQ(check("tile", {{"repeats", std::vector<int64_t>{2, 2}}},
                  {f32({2, 3})}, {f32({4, 7})}),
            "op 'tile': result 0 is f32[4x7], the op gives f32[4x6]");
  EXPECT_EQ(check("relu", {}, {f32({4})}, {f32({4}), f32({4})}),
            "op 'relu' got 1 inputs and 2 results");
  // Found by sinan-fuzz-module-run: select with one operand, concat of
  // operands of different ranks.
  EXPECT_EQ(
      check("concat", {{"axis", int64_t(0)}}, {f32({2}), f32({})}, {f32({3})}),
      "op 'concat': inputs [2] and [] differ in rank");
  EXPECT_EQ(check("select", {}, {f32({4})}, {f32({4})}),
            "op 'select' got 1 inputs and 1 results");
  EXPECT_EQ(check("no_such_op", {}, {f32({4})}, {f32({4})}),
            "no shape rule for op 'no_such_op'");
}

} // namespace

namespace {

/// Runs elementwise_chain (an SNPU chain's fallback) on x = [-2, -0.5, 1, 3]
/// and a row r = [1, 2, 3, 4]; the error, or "" and the result in `out`.
std::string runChain(std::vector<Attr> attrs, std::vector<float> &out) {
  Tensor x(DType::F32, {1, 4}), r(DType::F32, {4}), y(DType::F32, {1, 4});
  const float xs[] = {-2, -0.5f, 1, 3}, rs[] = {1, 2, 3, 4};
  std::copy(xs, xs + 4, x.data<float>());
  std::copy(rs, rs + 4, r.data<float>());
  std::string error;
  if (!runHostOp("elementwise_chain", attrs, {&x, &r}, {&y}, error))
    return error;
  out.assign(y.data<float>(), y.data<float>() + 4);
  return "";
}

} // namespace

TEST(HostOps, ElementwiseChain) {
  double none = std::nan("");
  std::vector<float> y;
  // relu(x) * r - 0.5, clipped to [0, 5].
  EXPECT_EQ(runChain({{"steps", std::string("relu,mul,sub,clip")},
                      {"operands",
                       std::vector<int64_t>{0, -2, -1, 1, -1, -3, -1, -2}},
                      {"scalars", std::vector<double>{0.5}},
                      {"clip_min", std::vector<double>{none, none, none, 0}},
                      {"clip_max", std::vector<double>{none, none, none, 5}}},
                     y),
            "");
  EXPECT_EQ(y, (std::vector<float>{0, 0, 2.5f, 5}));
  // GELU is the vector unit's formula.
  EXPECT_EQ(runChain({{"steps", std::string("gelu")},
                      {"operands", std::vector<int64_t>{0, -2}},
                      {"clip_min", std::vector<double>{none}},
                      {"clip_max", std::vector<double>{none}}},
                     y),
            "");
  EXPECT_EQ(y[3], geluErf(3.0f));
  // Malformed chains are errors that name the step, never crashes.
  EXPECT_EQ(runChain({{"steps", std::string("relu,mul")},
                      {"operands", std::vector<int64_t>{-1, -2, -1, 7}},
                      {"clip_min", std::vector<double>{none, none}},
                      {"clip_max", std::vector<double>{none, none}}},
                     y),
            "op 'elementwise_chain': step 0 ('relu'): operand code -1 is not "
            "an f32 input or an earlier step");
  EXPECT_EQ(runChain({{"steps", std::string("relu,frob")},
                      {"operands", std::vector<int64_t>{0, -2, -1, -2}},
                      {"clip_min", std::vector<double>{none, none}},
                      {"clip_max", std::vector<double>{none, none}}},
                     y),
            "op 'elementwise_chain': step 1: unknown op 'frob'");
  EXPECT_EQ(runChain({{"steps", std::string("relu")},
                      {"operands", std::vector<int64_t>{0}},
                      {"clip_min", std::vector<double>{none}},
                      {"clip_max", std::vector<double>{none}}},
                     y),
            "op 'elementwise_chain': 1 steps need 2 operand codes and 1 clip "
            "bounds each, got 1, 1 and 1");
}

// A vector-unit convolution's fallback (fma = 1 with sum_chunk = 1 and
// bias_last = 1): f32 operands, each product added with one rounding from
// -0.0, in the order channels then taps, the bias last.
TEST(HostOps, Conv2dFmaOrder) {
  // One group of two input channels, one output, a 1x2 kernel over a 1x2
  // image: y = ((x0 w0 + x1 w1) + x2 w2 + x3 w3) + b with fused adds.
  Tensor x(DType::F32, {1, 2, 1, 2}), w(DType::F32, {1, 2, 1, 2}),
      b(DType::F32, {1}), y(DType::F32, {1, 1, 1, 1});
  // The second product cancels the first's rounded value: one rounding
  // leaves the first's rounding error (-2^-24), two leave zero.
  const float xs[] = {1 + 0x1p-12f, 1 + 0x1p-12f, 0, 0};
  const float ws[] = {1 + 0x1p-12f, -(1 + 0x1p-12f), 0.5f, 0.5f};
  std::copy(xs, xs + 4, x.data<float>());
  std::copy(ws, ws + 4, w.data<float>());
  b.data<float>()[0] = 0.25f;
  auto run = [&](int64_t fma) {
    std::string error;
    EXPECT_TRUE(runHostOp("conv2d",
                          {{"precision", std::string("f32")},
                           {"sum_chunk", int64_t(1)},
                           {"bias_last", int64_t(1)},
                           {"fma", fma}},
                          {&x, &w, &b}, {&y}, error))
        << error;
    return y.data<float>()[0];
  };
  float acc = std::fma(ws[0], xs[0], -0.0f);
  for (int i = 1; i < 4; ++i)
    acc = std::fma(ws[i], xs[i], acc);
  EXPECT_EQ(run(1), acc + 0.25f);
  float rounded = -0.0f;
  for (int i = 0; i < 4; ++i)
    rounded += ws[i] * xs[i];
  EXPECT_EQ(run(0), rounded + 0.25f);
  EXPECT_NE(run(1), run(0)); // The inputs tell the two orders apart.
  EXPECT_EQ(run(1), 0.25f - 0x1p-24f);
  // Without a bias the sum keeps the sign of zero products.
  std::fill(x.data<float>(), x.data<float>() + 4, -0.0f);
  std::fill(w.data<float>(), w.data<float>() + 4, 0.5f);
  std::string error;
  ASSERT_TRUE(runHostOp("conv2d",
                        {{"precision", std::string("f32")},
                         {"sum_chunk", int64_t(1)},
                         {"bias_last", int64_t(1)},
                         {"fma", int64_t(1)}},
                        {&x, &w}, {&y}, error))
      << error;
  EXPECT_TRUE(std::signbit(y.data<float>()[0]));
}

// The Winograd kernel's fallback (winograd = 1, F(2,3) along each kernel
// row): on values whose every transform, product and sum is exact in bf16
// and f32 (small integers; the weights' transforms halves of them) it is
// the convolution itself, over an odd width (the last tile's second output
// dropped), a bias included; on other values it differs from the direct
// sums by rounding only; and it takes only a 3x3 of stride 1 and padding 1.
TEST(HostOps, Conv2dWinogradRows) {
  Tensor x(DType::F32, {1, 40, 5, 7}), w(DType::F32, {3, 40, 3, 3}),
      b(DType::F32, {3}), y(DType::F32, {1, 3, 5, 7}),
      want(DType::F32, {1, 3, 5, 7});
  uint32_t seed = 7;
  auto next = [&](int range) {
    seed = seed * 1103515245u + 12345u;
    return float(int((seed >> 16) % (2 * range + 1)) - range);
  };
  for (int64_t i = 0; i < x.numElements(); ++i)
    x.data<float>()[i] = next(4);
  for (int64_t i = 0; i < w.numElements(); ++i)
    w.data<float>()[i] = next(3);
  for (int i = 0; i < 3; ++i)
    b.data<float>()[i] = next(5) + 0.5f;
  std::vector<Attr> conv = {{"pads", std::vector<int64_t>{1, 1, 1, 1}}};
  std::vector<Attr> winograd = conv;
  winograd.insert(winograd.end(), {{"precision", std::string("bf16")},
                                   {"sum_chunk", int64_t(32)},
                                   {"bias_last", int64_t(1)},
                                   {"winograd", int64_t(1)}});
  std::string error;
  ASSERT_TRUE(runHostOp("conv2d", conv, {&x, &w, &b}, {&want}, error)) << error;
  ASSERT_TRUE(runHostOp("conv2d", winograd, {&x, &w, &b}, {&y}, error))
      << error;
  for (int64_t i = 0; i < y.numElements(); ++i)
    ASSERT_EQ(y.data<float>()[i], want.data<float>()[i]) << "element " << i;
  // Fractions round: close to the direct sums, not equal to them.
  for (int64_t i = 0; i < x.numElements(); ++i)
    x.data<float>()[i] = next(1000) / 997.0f;
  ASSERT_TRUE(runHostOp("conv2d", conv, {&x, &w, &b}, {&want}, error)) << error;
  ASSERT_TRUE(runHostOp("conv2d", winograd, {&x, &w, &b}, {&y}, error))
      << error;
  double worst = 0, scale = 0;
  for (int64_t i = 0; i < y.numElements(); ++i) {
    worst = std::max(
        worst, double(std::abs(y.data<float>()[i] - want.data<float>()[i])));
    scale = std::max(scale, double(std::abs(want.data<float>()[i])));
  }
  EXPECT_GT(worst, 0.0);
  EXPECT_LT(worst, scale * 0x1p-6);
  // Another shape is an error naming what the kernel takes.
  winograd[0].value = std::vector<int64_t>{0, 0, 0, 0};
  Tensor small(DType::F32, {1, 3, 3, 5});
  EXPECT_FALSE(runHostOp("conv2d", winograd, {&x, &w, &b}, {&small}, error));
  EXPECT_NE(error.find("winograd needs an f32 3x3 convolution of stride 1"),
            std::string::npos)
      << error;
}

// The Winograd kernel's stride-2 fallback (winograd = 1 with strides 2:
// five products a pair of outputs, winogradStride2* in Numerics.h): on
// small integers (every transform, product and sum exact) it is the
// convolution itself, over an odd height and an odd output width (the
// last tile's second output dropped), padded 1 after or 0 after; on
// fractions it differs from the direct sums by rounding only; an output
// that is not half the input is an error.
TEST(HostOps, Conv2dWinogradStride2) {
  uint32_t seed = 11;
  auto next = [&](int range) {
    seed = seed * 1103515245u + 12345u;
    return float(int((seed >> 16) % (2 * range + 1)) - range);
  };
  struct Case {
    int64_t h, w, oh, ow;
    std::vector<int64_t> pads;
  };
  for (const Case &c :
       {Case{9, 14, 5, 7, {1, 1, 1, 1}}, Case{10, 10, 5, 5, {1, 1, 0, 0}}}) {
    Tensor x(DType::F32, {1, 40, c.h, c.w}), w(DType::F32, {3, 40, 3, 3}),
        b(DType::F32, {3}), y(DType::F32, {1, 3, c.oh, c.ow}),
        want(DType::F32, {1, 3, c.oh, c.ow});
    for (int64_t i = 0; i < x.numElements(); ++i)
      x.data<float>()[i] = next(4);
    for (int64_t i = 0; i < w.numElements(); ++i)
      w.data<float>()[i] = next(3);
    for (int i = 0; i < 3; ++i)
      b.data<float>()[i] = next(5) + 0.5f;
    std::vector<Attr> conv = {{"pads", c.pads},
                              {"strides", std::vector<int64_t>{2, 2}}};
    std::vector<Attr> winograd = conv;
    winograd.insert(winograd.end(), {{"precision", std::string("bf16")},
                                     {"sum_chunk", int64_t(16)},
                                     {"bias_last", int64_t(1)},
                                     {"winograd", int64_t(1)}});
    std::string error;
    ASSERT_TRUE(runHostOp("conv2d", conv, {&x, &w, &b}, {&want}, error))
        << error;
    ASSERT_TRUE(runHostOp("conv2d", winograd, {&x, &w, &b}, {&y}, error))
        << error;
    for (int64_t i = 0; i < y.numElements(); ++i)
      ASSERT_EQ(y.data<float>()[i], want.data<float>()[i]) << "element " << i;
    for (int64_t i = 0; i < x.numElements(); ++i)
      x.data<float>()[i] = next(1000) / 997.0f;
    ASSERT_TRUE(runHostOp("conv2d", conv, {&x, &w, &b}, {&want}, error))
        << error;
    ASSERT_TRUE(runHostOp("conv2d", winograd, {&x, &w, &b}, {&y}, error))
        << error;
    double worst = 0, scale = 0;
    for (int64_t i = 0; i < y.numElements(); ++i) {
      worst = std::max(
          worst, double(std::abs(y.data<float>()[i] - want.data<float>()[i])));
      scale = std::max(scale, double(std::abs(want.data<float>()[i])));
    }
    EXPECT_GT(worst, 0.0);
    EXPECT_LT(worst, scale * 0x1p-6);
    // A third of the input is not a stride-2 output of it.
    Tensor third(DType::F32, {1, 3, c.h / 3, c.w / 3});
    EXPECT_FALSE(runHostOp("conv2d", winograd, {&x, &w, &b}, {&third}, error));
    EXPECT_NE(error.find("winograd needs"), std::string::npos) << error;
  }
}

// A layer group's 1x1 (residual_first = 1, with sum_chunk and bias_last):
// the sums start from the last input, the residual the kernel loads into
// its accumulators, then the products in order, then the bias.
TEST(HostOps, Conv2dResidualFirst) {
  // One input channel, one output, a 1x1 kernel over one pixel:
  // y = ((r + x w) + b), each addition rounded to f32.
  Tensor x(DType::F32, {1, 1, 1, 1}), w(DType::F32, {1, 1, 1, 1}),
      b(DType::F32, {1}), r(DType::F32, {1, 1, 1, 1}),
      y(DType::F32, {1, 1, 1, 1});
  // r + xw rounds xw away (a tie, to even), as does adding b after; the
  // other order adds xw + b = 2^-23 to r exactly.
  x.data<float>()[0] = 1.0f;
  w.data<float>()[0] = 0x1p-24f;
  b.data<float>()[0] = 0x1p-24f;
  r.data<float>()[0] = 1.0f;
  std::vector<Attr> attrs = {{"precision", std::string("f32")},
                             {"sum_chunk", int64_t(1)},
                             {"bias_last", int64_t(1)},
                             {"residual_first", int64_t(1)}};
  std::string error;
  ASSERT_TRUE(runHostOp("conv2d", attrs, {&x, &w, &b, &r}, {&y}, error))
      << error;
  EXPECT_EQ(y.data<float>()[0], 1.0f);
  // The residual added after the op (residual = 1).
  ASSERT_TRUE(runHostOp("conv2d",
                        {{"precision", std::string("f32")},
                         {"sum_chunk", int64_t(1)},
                         {"bias_last", int64_t(1)},
                         {"residual", int64_t(1)}},
                        {&x, &w, &b, &r}, {&y}, error))
      << error;
  EXPECT_EQ(y.data<float>()[0], 1.0f + 0x1p-23f);
  // Without the kernel's order, or beside a residual after the op, or of
  // another shape, it is an error.
  attrs[1].value = int64_t(0);
  EXPECT_FALSE(runHostOp("conv2d", attrs, {&x, &w, &b, &r}, {&y}, error));
  EXPECT_NE(error.find("residual_first needs sum_chunk"), std::string::npos)
      << error;
  attrs[1].value = int64_t(1);
  attrs.push_back({"residual", int64_t(1)});
  EXPECT_FALSE(runHostOp("conv2d", attrs, {&x, &w, &b, &r}, {&y}, error));
  attrs.pop_back();
  Tensor wide(DType::F32, {1, 1, 1, 2});
  EXPECT_FALSE(runHostOp("conv2d", attrs, {&x, &w, &b, &wide}, {&y}, error));
  EXPECT_EQ(
      check("conv2d", attrs,
            {f32({1, 1, 1, 1}), f32({1, 1, 1, 1}), f32({1}), f32({1, 1, 1, 2})},
            {f32({1, 1, 1, 1})}),
      "op 'conv2d': residual_first's input must have the result's type "
      "and shape");
  EXPECT_EQ(
      check("conv2d", attrs,
            {f32({1, 1, 1, 1}), f32({1, 1, 1, 1}), f32({1}), f32({1, 1, 1, 1})},
            {f32({1, 1, 1, 1})}),
      "");
}

namespace {

/// SiLU as a fused step: sigmoid of input 0, times input 0.
std::vector<Attr> siluAttrs() {
  return {{"ops", std::string("sigmoid,mul")},
          {"arity", std::vector<int64_t>{1, 2}},
          {"operands", std::vector<int64_t>{0, 0, -1}}};
}

} // namespace

TEST(ShapeCheck, FusedChains) {
  EXPECT_EQ(check("fused", siluAttrs(), {f32({2, 3})}, {f32({2, 3})}), "");
  // Every link is checked with its own rule, its result the step's type.
  std::vector<Attr> scaled = {{"ops", std::string("relu,mul")},
                              {"arity", std::vector<int64_t>{1, 2}},
                              {"operands", std::vector<int64_t>{0, -1, 1}}};
  EXPECT_EQ(check("fused", scaled, {f32({2, 3}), f32({3})}, {f32({2, 3})}), "");
  EXPECT_EQ(check("fused", scaled, {f32({2, 3}), f32({4})}, {f32({2, 3})}),
            "fused op 1: op 'mul': shapes [2, 3] and [4] are not "
            "broadcast-compatible (3 vs 4 in trailing dimension 0)");
  EXPECT_EQ(check("fused", {}, {f32({2})}, {f32({2})}),
            "a fused step needs the attributes 'ops' (a string), 'arity' and "
            "'operands' (integer lists)");
  std::vector<Attr> bad = siluAttrs();
  bad[2].value = std::vector<int64_t>{0, 3, -1};
  EXPECT_EQ(check("fused", bad, {f32({2})}, {f32({2})}),
            "fused op 1 ('mul'): operand 0 refers to 3, which is neither one "
            "of the 1 inputs nor an earlier result");
  bad = siluAttrs();
  bad[0].value = std::string("sigmoid,fused");
  EXPECT_EQ(check("fused", bad, {f32({2})}, {f32({2})}),
            "fused op 1 ('fused') is not a host op");
  bad = siluAttrs();
  bad[2].value = std::vector<int64_t>{0, 0, 0};
  EXPECT_EQ(check("fused", bad, {f32({2})}, {f32({2})}),
            "fused op 1 ('mul') does not use the result of the op before it");
  bad = siluAttrs();
  bad.push_back({"7:alpha", 0.5});
  EXPECT_EQ(check("fused", bad, {f32({2})}, {f32({2})}),
            "fused step attribute '7:alpha' names no op of the chain");
}

TEST(ShapeCheck, FusedRunsLinkByLink) {
  Tensor x(DType::F32, {5});
  for (int64_t i = 0; i < 5; ++i)
    x.data<float>()[i] = float(i) - 2.5f;
  Tensor fused(DType::F32, {5}), gate(DType::F32, {5}), apart(DType::F32, {5});
  std::string error;
  ASSERT_TRUE(runHostOp("fused", siluAttrs(), {&x}, {&fused}, error)) << error;
  ASSERT_TRUE(runHostOp("sigmoid", {}, {&x}, {&gate}, error)) << error;
  ASSERT_TRUE(runHostOp("mul", {}, {&x, &gate}, {&apart}, error)) << error;
  for (int64_t i = 0; i < 5; ++i)
    EXPECT_EQ(fused.data<float>()[i], apart.data<float>()[i]) << i;
}

namespace {
/// x [2, 3] transposed, then added to y [3, 2]: a small graph whose second
/// op reads a step input and the first op's result.
std::vector<Attr> subgraphAttrs() {
  return {{"ops", std::string("transpose,add")},
          {"arity", std::vector<int64_t>{1, 2}},
          {"operands", std::vector<int64_t>{0, -1, 1}},
          {"ranks", std::vector<int64_t>{2, 2}},
          {"shapes", std::vector<int64_t>{3, 2, 3, 2}},
          {"0:permutation", std::vector<int64_t>{1, 0}}};
}
} // namespace

TEST(ShapeCheck, Subgraphs) {
  EXPECT_EQ(check("subgraph", subgraphAttrs(), {f32({2, 3}), f32({3, 2})},
                  {f32({3, 2})}),
            "");
  // Each op is checked with its own rule and result type.
  EXPECT_EQ(check("subgraph", subgraphAttrs(), {f32({2, 3}), f32({2, 3})},
                  {f32({3, 2})}),
            "subgraph op 1 ('add'): op 'add': shapes [3, 2] and [2, 3] are "
            "not broadcast-compatible (2 vs 3 in trailing dimension 0)");
  EXPECT_EQ(check("subgraph", subgraphAttrs(), {f32({2, 3}), f32({3, 2})},
                  {f32({2, 3})}),
            "a subgraph step's last op does not make its output's shape");
  std::vector<Attr> bad = subgraphAttrs();
  bad[2].value = std::vector<int64_t>{0, -2, 1};
  EXPECT_EQ(check("subgraph", bad, {f32({2, 3}), f32({3, 2})}, {f32({3, 2})}),
            "subgraph op 1 ('add'): operand 0 refers to -2, which is neither "
            "one of the 2 inputs nor an earlier op's result");
  bad = subgraphAttrs();
  bad[4].value = std::vector<int64_t>{3, 2, 3};
  EXPECT_EQ(check("subgraph", bad, {f32({2, 3}), f32({3, 2})}, {f32({3, 2})}),
            "subgraph op 1 ('add'): arity 2 or rank 2 overruns the 3 operands "
            "or 3 dimensions");
  bad = subgraphAttrs();
  bad[4].value = std::vector<int64_t>{-3, -2, 3, 2};
  EXPECT_EQ(check("subgraph", bad, {f32({2, 3}), f32({3, 2})}, {f32({3, 2})}),
            "subgraph op 0 ('transpose'): its result's dimensions are "
            "negative or hold more than 2^48 elements");
  bad = subgraphAttrs();
  bad[0].value = std::string("transpose,subgraph");
  EXPECT_EQ(check("subgraph", bad, {f32({2, 3}), f32({3, 2})}, {f32({3, 2})}),
            "subgraph op 1 ('subgraph') is not a host op");
  EXPECT_EQ(check("subgraph", {}, {f32({2})}, {f32({2})}),
            "a subgraph step needs the attributes 'ops' (a string), 'arity', "
            "'operands', 'ranks' and 'shapes' (integer lists)");
}

TEST(ShapeCheck, SubgraphRunsOpByOp) {
  Tensor x(DType::F32, {2, 3}), y(DType::F32, {3, 2});
  for (int64_t i = 0; i < 6; ++i) {
    x.data<float>()[i] = float(i);
    y.data<float>()[i] = 10.0f * float(i);
  }
  Tensor out(DType::F32, {3, 2});
  std::string error;
  ASSERT_TRUE(runHostOp("subgraph", subgraphAttrs(), {&x, &y}, {&out}, error))
      << error;
  // out[i][j] = x[j][i] + y[i][j].
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 2; ++j)
      EXPECT_EQ(out.data<float>()[i * 2 + j],
                x.data<float>()[j * 3 + i] + y.data<float>()[i * 2 + j]);
  EXPECT_EQ(hostOpMacs("subgraph", subgraphAttrs(),
                       {{DType::F32, {2, 3}}, {DType::F32, {3, 2}}},
                       {{DType::F32, {3, 2}}}),
            0u);
}

// The host ops' names, arities and attribute defaults come from the graph
// dialect's ODS (GraphOpSignatures.inc, generated by sinan-tblgen; ctest
// graph-op-signatures keeps it current).
namespace {
TEST(Signatures, EveryGraphOpHasAHostKernelAndRule) {
  for (const OpSignature &op : graphOpSignatures()) {
    if (op.name == "constant")
      continue; // Constants are module data, never a step.
    EXPECT_TRUE(isHostOp(op.name)) << op.name << " has no reference kernel";
    EXPECT_TRUE(hasHostOpCheck(op.name)) << op.name << " has no shape rule";
  }
}

TEST(Signatures, EveryHostOpIsAGraphOp) {
  for (std::string_view op : hostOpNames())
    if (op != "elementwise_chain") // An SNPU kernel's fallback.
      EXPECT_NE(graphOpSignature(op), nullptr) << op << " is not in ODS";
}

TEST(Signatures, ArityAndDefaultsFromOds) {
  EXPECT_TRUE(hostOpArity("conv2d", 2, 1));
  EXPECT_TRUE(hostOpArity("conv2d", 3, 1));
  EXPECT_FALSE(hostOpArity("conv2d", 4, 1));
  EXPECT_TRUE(hostOpArity("concat", 5, 1));
  EXPECT_FALSE(hostOpArity("concat", 0, 1));
  EXPECT_TRUE(hostOpArity("top_k", 1, 2));
  // Strides, pads, dilations and group left out take ODS's defaults.
  EXPECT_EQ(check("conv2d", {}, {f32({1, 3, 8, 8}), f32({4, 3, 3, 3})},
                  {f32({1, 4, 6, 6})}),
            "");
  Tensor x(DType::F32, {1, 1, 2, 2}), w(DType::F32, {1, 1, 1, 1}),
      y(DType::F32, {1, 1, 2, 2});
  for (int i = 0; i < 4; ++i)
    x.data<float>()[i] = float(i);
  w.data<float>()[0] = 2;
  std::string error;
  ASSERT_TRUE(runHostOp("conv2d", {}, {&x, &w}, {&y}, error)) << error;
  EXPECT_EQ(y.data<float>()[3], 6.0f);
  // cast's round_mode and saturate default as ODS says ("up", true).
  EXPECT_EQ(graphOpSignature("cast")->attr("round_mode")->fallback,
            AttrValue(std::string("up")));
  // Attribute names are ODS's (or a launch fallback's own).
  EXPECT_EQ(check("conv2d", {{"grop", int64_t(1)}},
                  {f32({1, 3, 8, 8}), f32({4, 3, 3, 3})}, {f32({1, 4, 6, 6})}),
            "op 'conv2d': unknown attribute 'grop'");
  EXPECT_EQ(check("conv2d", {{"precision", std::string("bf16")}},
                  {f32({1, 3, 8, 8}), f32({4, 3, 3, 3})}, {f32({1, 4, 6, 6})}),
            "");
  // A required attribute has no fallback in code.
  EXPECT_EQ(check("transpose", {}, {f32({2, 3})}, {f32({3, 2})}),
            "op 'transpose': missing attribute 'permutation'");
}

} // namespace

// A launch's fallback adds its last `residual` inputs to the result in
// turn: a matrix product's bias row, then a residual of the result's shape.
TEST(HostOps, ResidualsAddInTurn) {
  Tensor a(DType::F32, {2, 2}), w(DType::F32, {2, 2}), bias(DType::F32, {2}),
      res(DType::F32, {2, 2}), y(DType::F32, {2, 2});
  const float as[] = {1, 2, 3, 4}, ws[] = {1, 0, 0, 1}, bs[] = {0.5f, -1},
              rs[] = {10, 20, 30, 40};
  std::copy(as, as + 4, a.data<float>());
  std::copy(ws, ws + 4, w.data<float>());
  std::copy(bs, bs + 2, bias.data<float>());
  std::copy(rs, rs + 4, res.data<float>());
  std::string error;
  ASSERT_TRUE(runHostOp("matmul", {{"residual", int64_t(2)}},
                        {&a, &w, &bias, &res}, {&y}, error))
      << error;
  const float want[] = {11.5f, 21, 33.5f, 43};
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(y.data<float>()[i], want[i]) << i;
  std::vector<ValueType> in = {{DType::F32, {2, 2}},
                               {DType::F32, {2, 2}},
                               {DType::F32, {2}},
                               {DType::F32, {2, 2}}},
                         out = {{DType::F32, {2, 2}}};
  EXPECT_TRUE(checkHostOp("matmul", {{"residual", int64_t(2)}}, in, out, error))
      << error;
  // An addend that does not broadcast to the result, and a count the
  // fallback does not know, are refused by name.
  in[3] = {DType::F32, {3, 2}};
  EXPECT_FALSE(
      checkHostOp("matmul", {{"residual", int64_t(2)}}, in, out, error));
  EXPECT_NE(error.find("a residual must have the result's element type"),
            std::string::npos)
      << error;
  EXPECT_FALSE(runHostOp("matmul", {{"residual", int64_t(3)}},
                         {&a, &w, &bias, &res}, {&y}, error));
  EXPECT_NE(error.find("residual must be 0, 1 or 2, got 3"), std::string::npos)
      << error;
}

// An SNPU launch that keeps its input, residual and result in DRAM as bf16
// (stored_bf16: binding indices, inputs then outputs): the fallback widens
// the inputs, runs the f32 op with its epilogue and rounds the result to
// bf16, as the kernel's store does.
TEST(HostOps, StoredBF16BindingsAreWidenedAndNarrowed) {
  Tensor a(DType::BF16, {2, 2}), w(DType::F32, {2, 2}), bias(DType::F32, {2}),
      res(DType::BF16, {2, 2}), y(DType::BF16, {2, 2});
  const float as[] = {1, 2, 3, 4}, ws[] = {1.0f / 3, 0, 0, 1},
              bs[] = {0.5f, -1}, rs[] = {10, 20, 30, 40};
  for (int i = 0; i < 4; ++i) {
    a.data<uint16_t>()[i] = floatToBF16(as[i]);
    res.data<uint16_t>()[i] = floatToBF16(rs[i]);
  }
  std::copy(ws, ws + 4, w.data<float>());
  std::copy(bs, bs + 2, bias.data<float>());
  std::vector<Attr> attrs = {{"residual", int64_t(2)},
                             {"stored_bf16", std::vector<int64_t>{0, 3, 4}}};
  std::string error;
  ASSERT_TRUE(runHostOp("matmul", attrs, {&a, &w, &bias, &res}, {&y}, error))
      << error;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) {
      float sum = 0;
      for (int k = 0; k < 2; ++k)
        sum += as[i * 2 + k] * ws[k * 2 + j];
      float want = bf16ToFloat(floatToBF16(sum + bs[j] + rs[i * 2 + j]));
      EXPECT_EQ(bf16ToFloat(y.data<uint16_t>()[i * 2 + j]), want) << i << j;
    }
  std::vector<ValueType> in = {{DType::BF16, {2, 2}},
                               {DType::F32, {2, 2}},
                               {DType::F32, {2}},
                               {DType::BF16, {2, 2}}},
                         out = {{DType::BF16, {2, 2}}};
  EXPECT_TRUE(checkHostOp("matmul", attrs, in, out, error)) << error;
  // Without the attribute the op's types do not tie.
  EXPECT_FALSE(
      checkHostOp("matmul", {{"residual", int64_t(2)}}, in, out, error));
  // A listed binding that is not bf16, and malformed lists, are refused.
  in[0].dtype = DType::F32;
  EXPECT_FALSE(checkHostOp("matmul", attrs, in, out, error));
  EXPECT_NE(error.find("stored_bf16 binding 0 is f32, not bf16"),
            std::string::npos)
      << error;
  for (std::vector<int64_t> bad :
       {std::vector<int64_t>{}, {3, 0}, {0, 0}, {5}, {-1}}) {
    std::vector<Attr> wrong = {{"residual", int64_t(2)}, {"stored_bf16", bad}};
    EXPECT_FALSE(
        runHostOp("matmul", wrong, {&a, &w, &bias, &res}, {&y}, error));
    EXPECT_NE(error.find("stored_bf16 must list distinct binding indices in "
                         "[0, 5) in ascending order"),
              std::string::npos)
        << error;
  }
  // Given twice, or on a fused host kernel (no launch's fallback), it is
  // refused by name.
  std::vector<Attr> twice = attrs;
  twice.push_back({"stored_bf16", std::vector<int64_t>{0}});
  EXPECT_FALSE(runHostOp("matmul", twice, {&a, &w, &bias, &res}, {&y}, error));
  EXPECT_NE(error.find("stored_bf16 is given twice"), std::string::npos)
      << error;
  EXPECT_FALSE(checkHostOp("fused", {{"stored_bf16", std::vector<int64_t>{0}}},
                           {{DType::BF16, {2}}}, {{DType::F32, {2}}}, error));
  EXPECT_NE(error.find("stored_bf16 belongs to an SNPU launch's fallback"),
            std::string::npos)
      << error;
}
