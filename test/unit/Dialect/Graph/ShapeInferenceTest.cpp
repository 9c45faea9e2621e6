//===- ShapeInferenceTest.cpp - Shape functions of graph ops --------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Dialect/Graph/IR/ShapeInference.h"

#include "mlir/IR/BuiltinTypeInterfaces.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace sinan::graph;

namespace {
constexpr int64_t kDyn = ShapedType::kDynamic;
using Shape = SmallVector<int64_t>;
using Conv2dParams = sinan::shape::Conv2dParams;

/// A shape function's answer, its refusal reported through `emitError`.
FailureOr<Shape> lifted(std::optional<sinan::shape::Shape> result,
                        const std::string &why, EmitErrorFn emitError) {
  if (result)
    return Shape(result->begin(), result->end());
  if (emitError)
    emitError() << why;
  return failure();
}

FailureOr<Shape> inferMatMulShape(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs,
                                  EmitErrorFn emitError = nullptr) {
  std::string why;
  return lifted(sinan::shape::matmul(lhs, rhs, why), why, emitError);
}

FailureOr<Shape> inferConv2dShape(ArrayRef<int64_t> input,
                                  ArrayRef<int64_t> weight,
                                  std::optional<ArrayRef<int64_t>> bias,
                                  const Conv2dParams &params,
                                  EmitErrorFn emitError = nullptr) {
  std::string why;
  std::optional<sinan::shape::Dims> biasDims;
  if (bias)
    biasDims = sinan::shape::Dims(*bias);
  return lifted(sinan::shape::conv2d(input, weight, biasDims, params, why), why,
                emitError);
}

/// Captures the message of the first error emitted through emitError().
class ShapeInferenceTest : public ::testing::Test {
protected:
  ShapeInferenceTest() {
    context.getDiagEngine().registerHandler([this](Diagnostic &diag) {
      message = diag.str();
      return success();
    });
  }
  InFlightDiagnostic emitError() {
    return mlir::emitError(UnknownLoc::get(&context));
  }
  MLIRContext context;
  std::string message;
};

TEST_F(ShapeInferenceTest, BroadcastAlignsTrailingDimensions) {
  EXPECT_EQ(*inferBroadcastShape({2, 3, 4}, {4}), (Shape{2, 3, 4}));
  EXPECT_EQ(*inferBroadcastShape({1, 64, 1, 1}, {8, 1, 5, 5}),
            (Shape{8, 64, 5, 5}));
  EXPECT_EQ(*inferBroadcastShape({}, {3, 1}), (Shape{3, 1}));
}

TEST_F(ShapeInferenceTest, BroadcastPropagatesDynamicDimensions) {
  EXPECT_EQ(*inferBroadcastShape({kDyn, 3}, {1, 3}), (Shape{kDyn, 3}));
  // ? against N > 1 must be 1 or N at run time, so the result is N.
  EXPECT_EQ(*inferBroadcastShape({kDyn}, {5}), (Shape{5}));
  EXPECT_EQ(*inferBroadcastShape({kDyn}, {1}), (Shape{kDyn}));
}

TEST_F(ShapeInferenceTest, BroadcastConflictIsReported) {
  EXPECT_TRUE(
      failed(inferBroadcastShape({2, 3}, {4}, [&] { return emitError(); })));
  EXPECT_NE(message.find("[2, 3] and [4]"), std::string::npos) << message;
  EXPECT_NE(message.find("3 vs 4"), std::string::npos) << message;
}

TEST_F(ShapeInferenceTest, MatMulFollowsNumPy) {
  EXPECT_EQ(*inferMatMulShape({2, 3}, {3, 4}), (Shape{2, 4}));
  EXPECT_EQ(*inferMatMulShape({8, 2, 3}, {3, 4}), (Shape{8, 2, 4}));
  EXPECT_EQ(*inferMatMulShape({5, 1, 2, 3}, {7, 3, 4}), (Shape{5, 7, 2, 4}));
  EXPECT_EQ(*inferMatMulShape({3}, {3, 4}), (Shape{4}));
  EXPECT_EQ(*inferMatMulShape({2, 3}, {3}), (Shape{2}));
  EXPECT_EQ(*inferMatMulShape({3}, {3}), (Shape{}));
  EXPECT_EQ(*inferMatMulShape({kDyn, 3}, {kDyn, 4}), (Shape{kDyn, 4}));
}

TEST_F(ShapeInferenceTest, MatMulErrorsNameTheShapes) {
  EXPECT_TRUE(
      failed(inferMatMulShape({2, 3}, {4, 5}, [&] { return emitError(); })));
  EXPECT_NE(message.find("3 columns"), std::string::npos) << message;
  EXPECT_NE(message.find("4 rows"), std::string::npos) << message;
  EXPECT_TRUE(failed(inferMatMulShape({}, {3})));
  EXPECT_TRUE(failed(inferMatMulShape({2, 2, 3}, {3, 3, 4})));
}

TEST_F(ShapeInferenceTest, ConvOutputFollowsWindowFormula) {
  Shape strides{2, 2}, pads{3, 3, 3, 3}, dilations{1, 1};
  Conv2dParams resnetStem{strides, pads, dilations, 1};
  EXPECT_EQ(
      *inferConv2dShape({1, 3, 224, 224}, {64, 3, 7, 7}, Shape{64}, resnetStem),
      (Shape{1, 64, 112, 112}));

  Shape one{1, 1}, noPads{0, 0, 0, 0}, dil2{2, 2};
  Conv2dParams dilated{one, noPads, dil2, 1};
  EXPECT_EQ(
      *inferConv2dShape({1, 8, 10, 10}, {4, 8, 3, 3}, std::nullopt, dilated),
      (Shape{1, 4, 6, 6}));

  Shape samePads{1, 1, 1, 1};
  Conv2dParams depthwise{one, samePads, one, 32};
  EXPECT_EQ(*inferConv2dShape({kDyn, 32, kDyn, 9}, {32, 1, 3, 3}, std::nullopt,
                              depthwise),
            (Shape{kDyn, 32, kDyn, 9}));
}

TEST_F(ShapeInferenceTest, ConvRejectsInconsistentOperands) {
  Shape one{1, 1}, noPads{0, 0, 0, 0};
  Conv2dParams grouped{one, noPads, one, 2};
  auto report = [&] { return emitError(); };
  EXPECT_TRUE(failed(inferConv2dShape({1, 6, 8, 8}, {4, 2, 3, 3}, std::nullopt,
                                      grouped, report)));
  EXPECT_NE(message.find("6 channels"), std::string::npos) << message;

  Conv2dParams plain{one, noPads, one, 1};
  EXPECT_TRUE(failed(inferConv2dShape({1, 3, 2, 2}, {4, 3, 3, 3}, std::nullopt,
                                      plain, report)));
  EXPECT_NE(message.find("exceeds padded input height"), std::string::npos)
      << message;
  EXPECT_TRUE(failed(
      inferConv2dShape({1, 3, 8, 8}, {4, 3, 3, 3}, Shape{5}, plain, report)));
  EXPECT_NE(message.find("bias must have shape [4]"), std::string::npos)
      << message;

  Shape zeroStride{0, 1};
  Conv2dParams badStride{zeroStride, noPads, one, 1};
  EXPECT_TRUE(failed(inferConv2dShape({1, 3, 8, 8}, {4, 3, 3, 3}, std::nullopt,
                                      badStride, report)));
  EXPECT_NE(message.find("strides must be >= 1"), std::string::npos) << message;
}

} // namespace
