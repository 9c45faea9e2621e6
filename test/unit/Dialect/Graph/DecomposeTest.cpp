//===- DecomposeTest.cpp - Composite ops equal their expansion ------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// graph-decompose promises that its expansion computes what the composite
// op's reference kernel computes, bit for bit: each function here is
// evaluated as written and after the pass, on random inputs, and the bytes
// must agree.
//
//===----------------------------------------------------------------------===//

#include "sinan/Bridge/RuntimeBridge.h"
#include "sinan/Dialect/Graph/IR/GraphDialect.h"
#include "sinan/Dialect/Graph/Transforms/Passes.h"
#include "sinan/Interpreter/Evaluator.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

using namespace mlir;

namespace {

struct Case {
  const char *name;
  const char *function;
};

std::vector<sinan::Tensor> run(func::FuncOp func,
                               const std::vector<sinan::Tensor> &inputs) {
  std::string error;
  auto results = sinan::evaluate(func, inputs, error);
  EXPECT_TRUE(results) << error;
  return results ? *results : std::vector<sinan::Tensor>{};
}

class Decompose : public ::testing::TestWithParam<Case> {};

TEST_P(Decompose, ExpansionMatchesTheKernelBitForBit) {
  MLIRContext context;
  context.loadDialect<sinan::graph::GraphDialect, func::FuncDialect>();
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(GetParam().function, &context);
  ASSERT_TRUE(module);
  auto func = *module->getOps<func::FuncOp>().begin();
  std::mt19937 rng(7);
  std::normal_distribution<double> normal(0.0, 2.0);
  std::vector<sinan::Tensor> inputs;
  for (Type type : func.getArgumentTypes()) {
    auto shaped = cast<RankedTensorType>(type);
    sinan::Tensor t(*sinan::toDType(shaped.getElementType()),
                    std::vector<int64_t>(shaped.getShape().begin(),
                                         shaped.getShape().end()));
    for (int64_t i = 0; i < t.numElements(); ++i)
      if (t.type() == sinan::DType::I1)
        t.data()[i] = normal(rng) > -1.0; // Masks keep most scores.
      else
        t.setDouble(i, normal(rng));
    inputs.push_back(std::move(t));
  }
  std::vector<sinan::Tensor> whole = run(func, inputs);

  PassManager pm(&context);
  pm.addPass(sinan::graph::createGraphDecompose());
  ASSERT_TRUE(succeeded(pm.run(*module)));
  bool composite = false;
  module->walk([&](Operation *op) {
    StringRef name = op->getName().getStringRef();
    composite |= name == "graph.layer_norm" || name == "graph.rms_norm" ||
                 name == "graph.group_norm" || name == "graph.gelu" ||
                 name == "graph.attention";
  });
  ASSERT_FALSE(composite) << "the pass left a composite op";
  std::vector<sinan::Tensor> pieces = run(func, inputs);

  ASSERT_EQ(whole.size(), pieces.size());
  for (size_t i = 0; i < whole.size(); ++i) {
    ASSERT_EQ(whole[i].byteSize(), pieces[i].byteSize());
    EXPECT_EQ(
        std::memcmp(whole[i].data(), pieces[i].data(), whole[i].byteSize()), 0)
        << GetParam().name << ": result " << i << " differs";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Composites, Decompose,
    ::testing::Values(
        Case{"layer_norm_bias",
             R"(func.func @f(%x: tensor<3x5x16xf32>, %s: tensor<16xf32>,
                             %b: tensor<16xf32>) -> tensor<3x5x16xf32> {
                  %0 = graph.layer_norm %x, %s, %b {epsilon = 1.0e-5 : f32}
                       : (tensor<3x5x16xf32>, tensor<16xf32>, tensor<16xf32>)
                       -> tensor<3x5x16xf32>
                  return %0 : tensor<3x5x16xf32>
                })"},
        Case{"layer_norm_two_axes_bf16",
             R"(func.func @f(%x: tensor<2x6x8xbf16>, %s: tensor<6x8xbf16>)
                  -> tensor<2x6x8xbf16> {
                  %0 = graph.layer_norm %x, %s {axis = 1 : i64}
                       : (tensor<2x6x8xbf16>, tensor<6x8xbf16>)
                       -> tensor<2x6x8xbf16>
                  return %0 : tensor<2x6x8xbf16>
                })"},
        Case{"rms_norm",
             R"(func.func @f(%x: tensor<4x32xf32>, %s: tensor<32xf32>)
                  -> tensor<4x32xf32> {
                  %0 = graph.rms_norm %x, %s {epsilon = 1.0e-6 : f32}
                       : (tensor<4x32xf32>, tensor<32xf32>) -> tensor<4x32xf32>
                  return %0 : tensor<4x32xf32>
                })"},
        Case{"group_norm",
             R"(func.func @f(%x: tensor<2x8x3x5xf32>, %s: tensor<8xf32>,
                             %b: tensor<8xf32>) -> tensor<2x8x3x5xf32> {
                  %0 = graph.group_norm %x, %s, %b {num_groups = 4 : i64}
                       : (tensor<2x8x3x5xf32>, tensor<8xf32>, tensor<8xf32>)
                       -> tensor<2x8x3x5xf32>
                  return %0 : tensor<2x8x3x5xf32>
                })"},
        Case{"instance_norm_bf16",
             R"(func.func @f(%x: tensor<2x3x4x5xbf16>, %s: tensor<3xbf16>,
                             %b: tensor<3xbf16>) -> tensor<2x3x4x5xbf16> {
                  %0 = graph.group_norm %x, %s, %b {num_groups = 3 : i64,
                                                    epsilon = 1.0e-3 : f32}
                       : (tensor<2x3x4x5xbf16>, tensor<3xbf16>, tensor<3xbf16>)
                       -> tensor<2x3x4x5xbf16>
                  return %0 : tensor<2x3x4x5xbf16>
                })"},
        Case{"attention_gqa_causal_bool_mask",
             R"(func.func @f(%q: tensor<2x4x3x8xf32>, %k: tensor<2x2x5x8xf32>,
                             %v: tensor<2x2x5x6xf32>, %m: tensor<3x5xi1>)
                  -> tensor<2x4x3x6xf32> {
                  %0 = graph.attention %q, %k, %v, %m
                       {scale = 0.35 : f32, is_causal = true,
                        causal_offset = 2 : i64}
                       : (tensor<2x4x3x8xf32>, tensor<2x2x5x8xf32>,
                          tensor<2x2x5x6xf32>, tensor<3x5xi1>)
                       -> tensor<2x4x3x6xf32>
                  return %0 : tensor<2x4x3x6xf32>
                })"},
        Case{"attention_additive_mask_softcap",
             R"(func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>,
                             %v: tensor<1x2x4x8xf32>, %m: tensor<1x1x4x4xf32>)
                  -> tensor<1x2x4x8xf32> {
                  %0 = graph.attention %q, %k, %v, %m
                       {scale = 0.125 : f32, softcap = 2.5 : f32}
                       : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>,
                          tensor<1x2x4x8xf32>, tensor<1x1x4x4xf32>)
                       -> tensor<1x2x4x8xf32>
                  return %0 : tensor<1x2x4x8xf32>
                })"},
        Case{"gelu_erf",
             R"(func.func @f(%x: tensor<64xf32>) -> tensor<64xf32> {
                  %0 = graph.gelu %x : tensor<64xf32>
                  return %0 : tensor<64xf32>
                })"},
        Case{"gelu_tanh",
             R"(func.func @f(%x: tensor<64xf32>) -> tensor<64xf32> {
                  %0 = graph.gelu %x {approximate = "tanh"} : tensor<64xf32>
                  return %0 : tensor<64xf32>
                })"},
        Case{"gelu_tanh_f16",
             R"(func.func @f(%x: tensor<64xf16>) -> tensor<64xf16> {
                  %0 = graph.gelu %x {approximate = "tanh"} : tensor<64xf16>
                  return %0 : tensor<64xf16>
                })"}),
    [](const ::testing::TestParamInfo<Case> &info) {
      return std::string(info.param.name);
    });

} // namespace
