//===- GraphOpsTest.cpp - Building and folding graph ops ------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Graph/IR/GraphDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace sinan::graph;

namespace {

class GraphOpsTest : public ::testing::Test {
protected:
  GraphOpsTest() : builder(&context) {
    context.loadDialect<GraphDialect>();
    module = ModuleOp::create(builder.getUnknownLoc());
    builder.setInsertionPointToEnd(module.getBody());
  }
  ~GraphOpsTest() override { module.erase(); }

  Value constant(ArrayRef<int64_t> shape, ArrayRef<float> values) {
    auto type = RankedTensorType::get(shape, builder.getF32Type());
    return ConstantOp::create(builder, builder.getUnknownLoc(),
                              DenseElementsAttr::get(type, values));
  }

  MLIRContext context;
  OpBuilder builder;
  ModuleOp module;
};

TEST_F(GraphOpsTest, BuildersInferBroadcastResultType) {
  Value a = constant({2, 1}, {1.0f, 2.0f});
  Value b = constant({3}, {10.0f, 20.0f, 30.0f});
  auto add = AddOp::create(builder, builder.getUnknownLoc(), a, b);
  EXPECT_EQ(add.getType(), RankedTensorType::get({2, 3}, builder.getF32Type()));
  EXPECT_TRUE(succeeded(verify(module)));
}

TEST_F(GraphOpsTest, AddOfSameShapeConstantsFolds) {
  Value a = constant({2}, {1.0f, 2.5f});
  Value b = constant({2}, {0.5f, -2.5f});
  Value sum = builder.createOrFold<AddOp>(builder.getUnknownLoc(), a, b);
  auto folded = sum.getDefiningOp<ConstantOp>();
  ASSERT_TRUE(folded);
  auto values = cast<DenseElementsAttr>(folded.getValue()).getValues<float>();
  EXPECT_EQ(values[0], 1.5f);
  EXPECT_EQ(values[1], 0.0f);
}

TEST_F(GraphOpsTest, ReluFoldsConstantsAndKeepsNaN) {
  float nan = std::numeric_limits<float>::quiet_NaN();
  Value x = constant({3}, {-1.0f, 2.0f, nan});
  Value y = builder.createOrFold<ReluOp>(builder.getUnknownLoc(), x);
  auto folded = y.getDefiningOp<ConstantOp>();
  ASSERT_TRUE(folded);
  auto values = cast<DenseElementsAttr>(folded.getValue()).getValues<float>();
  EXPECT_EQ(values[0], 0.0f);
  EXPECT_EQ(values[1], 2.0f);
  EXPECT_TRUE(std::isnan(values[2]));
}

TEST_F(GraphOpsTest, InvalidConvFailsVerificationWithReason) {
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    message = diag.str();
    return success();
  });
  auto type = [&](ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, builder.getF32Type());
  };
  OperationState state(builder.getUnknownLoc(), Conv2dOp::getOperationName());
  Value input = constant({1, 3, 4, 4}, std::vector<float>(48, 1.0f));
  Value weight = constant({2, 4, 1, 1}, std::vector<float>(8, 1.0f));
  // The wrong weight channel count makes inference fail, so the builder that
  // infers types cannot be used; build with an explicit result type.
  Conv2dOp::build(builder, state, type({1, 2, 4, 4}), input, weight,
                  /*bias=*/Value(), builder.getDenseI64ArrayAttr({1, 1}),
                  builder.getDenseI64ArrayAttr({0, 0, 0, 0}),
                  builder.getDenseI64ArrayAttr({1, 1}),
                  builder.getI64IntegerAttr(1));
  Operation *conv = builder.create(state);
  EXPECT_TRUE(failed(verify(conv)));
  EXPECT_NE(message.find("input has 3 channels"), std::string::npos) << message;
}

} // namespace
