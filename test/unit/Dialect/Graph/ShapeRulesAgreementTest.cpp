//===- ShapeRulesAgreementTest.cpp - Verifier and runtime agree -----------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The graph dialect's verifiers and the runtime's host-op checks run the
// same shape rule per op (runtime/shape/OpRules.cpp). Each case here gives one
// malformed op to both, as graph IR and as a module's host op, and requires
// that both refuse it with the same words. Before the rules were shared they
// did not: the runtime accepted a stride-2 convolution whose window exceeds its
// input (span -1 divided by 2 truncates to 0), which the verifier refused.
//
//===----------------------------------------------------------------------===//

#include "sinan/Dialect/Graph/IR/GraphDialect.h"
#include "sinan/runtime/ref/HostOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

using namespace sinan;
using sinan::ref::ValueType;

namespace {

struct Case {
  const char *name;
  /// The op in graph IR, inside `func.func @f(ARGS)`: `%r = ...`.
  const char *args;
  const char *op;
  /// The same op as a module's host op.
  const char *hostOp;
  std::vector<Attr> attrs;
  std::vector<ValueType> inputs, outputs;
};

ValueType f32(std::vector<int64_t> shape) { return {DType::F32, shape}; }
ValueType i64(std::vector<int64_t> shape) { return {DType::I64, shape}; }
ValueType f16(std::vector<int64_t> shape) { return {DType::F16, shape}; }
ValueType i1(std::vector<int64_t> shape) { return {DType::I1, shape}; }
ValueType u8(std::vector<int64_t> shape) { return {DType::U8, shape}; }
using Ints = std::vector<int64_t>;

/// The verifier's message without its "'graph.NAME' op " prefix, or "" when
/// the IR verifies.
std::string verifierSays(const Case &c) {
  mlir::MLIRContext context;
  context.loadDialect<graph::GraphDialect, mlir::func::FuncDialect>();
  std::string message;
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
    if (message.empty())
      message = d.str();
    return mlir::success();
  });
  std::string text = std::string("func.func @f(") + c.args + ") {\n  " + c.op +
                     "\n  return\n}\n";
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(text, &context);
  if (module)
    return "";
  std::string prefix = std::string("'graph.") + c.hostOp + "' op ";
  EXPECT_EQ(message.rfind(prefix, 0), 0u) << message;
  return message.substr(std::min(prefix.size(), message.size()));
}

/// The runtime's message without its "op 'NAME': " prefix, or "".
std::string runtimeSays(const Case &c) {
  std::string error;
  if (ref::checkHostOp(c.hostOp, c.attrs, c.inputs, c.outputs, error))
    return "";
  std::string prefix = std::string("op '") + c.hostOp + "': ";
  EXPECT_EQ(error.rfind(prefix, 0), 0u) << error;
  return error.substr(std::min(prefix.size(), error.size()));
}

const std::vector<Case> &cases() {
  static const std::vector<Case> all = {
      {"conv2d window exceeds input at stride 2",
       "%x: tensor<1x3x2x2xf32>, %w: tensor<4x3x3x3xf32>",
       "%r = graph.conv2d %x, %w {strides = array<i64: 2, 2>} : "
       "(tensor<1x3x2x2xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x1x1xf32>",
       "conv2d",
       {{"strides", Ints{2, 2}}},
       {f32({1, 3, 2, 2}), f32({4, 3, 3, 3})},
       {f32({1, 4, 1, 1})}},
      {"conv2d dilation overflows",
       "%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>",
       "%r = graph.conv2d %x, %w {dilations = array<i64: 4611686018427387904, "
       "1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> "
       "tensor<1x4x1x6xf32>",
       "conv2d",
       {{"dilations", Ints{int64_t(1) << 62, 1}}},
       {f32({1, 3, 8, 8}), f32({4, 3, 3, 3})},
       {f32({1, 4, 1, 6})}},
      {"conv2d channels and group",
       "%x: tensor<1x4x8x8xf32>, %w: tensor<6x3x1x1xf32>",
       "%r = graph.conv2d %x, %w {group = 2 : i64} : (tensor<1x4x8x8xf32>, "
       "tensor<6x3x1x1xf32>) -> tensor<1x6x8x8xf32>",
       "conv2d",
       {{"group", int64_t(2)}},
       {f32({1, 4, 8, 8}), f32({6, 3, 1, 1})},
       {f32({1, 6, 8, 8})}},
      {"conv2d negative pad",
       "%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>",
       "%r = graph.conv2d %x, %w {pads = array<i64: -1, 0, 0, 0>} : "
       "(tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x5x6xf32>",
       "conv2d",
       {{"pads", Ints{-1, 0, 0, 0}}},
       {f32({1, 3, 8, 8}), f32({4, 3, 3, 3})},
       {f32({1, 4, 5, 6})}},
      {"max_pool2d window exceeds input",
       "%x: tensor<1x1x2x2xf32>",
       "%r = graph.max_pool2d %x {kernel = array<i64: 3, 3>} : "
       "(tensor<1x1x2x2xf32>) -> tensor<1x1x1x1xf32>",
       "max_pool2d",
       {{"kernel", Ints{3, 3}}},
       {f32({1, 1, 2, 2})},
       {f32({1, 1, 1, 1})}},
      {"matmul contraction",
       "%a: tensor<2x3xf32>, %b: tensor<4x5xf32>",
       "%r = graph.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> "
       "tensor<2x5xf32>",
       "matmul",
       {},
       {f32({2, 3}), f32({4, 5})},
       {f32({2, 5})}},
      {"add broadcast",
       "%a: tensor<2x3xf32>, %b: tensor<4xf32>",
       "%r = graph.add %a, %b : (tensor<2x3xf32>, tensor<4xf32>) -> "
       "tensor<2x3xf32>",
       "add",
       {},
       {f32({2, 3}), f32({4})},
       {f32({2, 3})}},
      {"concat off-axis dimension",
       "%a: tensor<2x3xf32>, %b: tensor<3x3xf32>",
       "%r = graph.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, "
       "tensor<3x3xf32>) -> tensor<2x6xf32>",
       "concat",
       {{"axis", int64_t(1)}},
       {f32({2, 3}), f32({3, 3})},
       {f32({2, 6})}},
      {"transpose permutation",
       "%a: tensor<2x3xf32>",
       "%r = graph.transpose %a {permutation = array<i64: 0, 0>} : "
       "(tensor<2x3xf32>) -> tensor<2x2xf32>",
       "transpose",
       {{"permutation", Ints{0, 0}}},
       {f32({2, 3})},
       {f32({2, 2})}},
      {"gather_nd batch dims",
       "%d: tensor<2x3xf32>, %i: tensor<3x1xi64>",
       "%r = graph.gather_nd %d, %i {batch_dims = 1 : i64} : "
       "(tensor<2x3xf32>, tensor<3x1xi64>) -> tensor<3xf32>",
       "gather_nd",
       {{"batch_dims", int64_t(1)}},
       {f32({2, 3}), i64({3, 1})},
       {f32({3})}},
      {"gather_elements indices larger than data off the axis",
       "%d: tensor<2x3xf32>, %i: tensor<4x3xi64>",
       "%r = graph.gather_elements %d, %i {axis = 1 : i64} : "
       "(tensor<2x3xf32>, tensor<4x3xi64>) -> tensor<4x3xf32>",
       "gather_elements",
       {{"axis", int64_t(1)}},
       {f32({2, 3}), i64({4, 3})},
       {f32({4, 3})}},
      {"scatter_nd updates",
       "%d: tensor<4x3xf32>, %i: tensor<4x1xi64>, %u: tensor<4x2xf32>",
       "%r = graph.scatter_nd %d, %i, %u : (tensor<4x3xf32>, tensor<4x1xi64>, "
       "tensor<4x2xf32>) -> tensor<4x3xf32>",
       "scatter_nd",
       {},
       {f32({4, 3}), i64({4, 1}), f32({4, 2})},
       {f32({4, 3})}},
      {"top_k larger than the axis",
       "%x: tensor<2x3xf32>",
       "%v, %i = graph.top_k %x {k = 4 : i64, axis = 1 : i64} : "
       "(tensor<2x3xf32>) -> (tensor<2x4xf32>, tensor<2x4xi64>)",
       "top_k",
       {{"k", int64_t(4)}, {"axis", int64_t(1)}},
       {f32({2, 3})},
       {f32({2, 4}), i64({2, 4})}},
      {"reshape element count",
       "%x: tensor<2x3xf32>",
       "%r = graph.reshape %x : (tensor<2x3xf32>) -> tensor<7xf32>",
       "reshape",
       {},
       {f32({2, 3})},
       {f32({7})}},
      {"layer_norm scale",
       "%x: tensor<2x4xf32>, %s: tensor<3xf32>",
       "%r = graph.layer_norm %x, %s : (tensor<2x4xf32>, tensor<3xf32>) -> "
       "tensor<2x4xf32>",
       "layer_norm",
       {{"axis", int64_t(-1)}, {"epsilon", 1e-5}},
       {f32({2, 4}), f32({3})},
       {f32({2, 4})}},
      {"gelu approximate",
       "%x: tensor<4xf32>",
       "%r = graph.gelu %x {approximate = \"fast\"} : tensor<4xf32>",
       "gelu",
       {{"approximate", std::string("fast")}},
       {f32({4})},
       {f32({4})}},
      {"attention heads",
       "%q: tensor<1x3x2x4xf32>, %k: tensor<1x2x2x4xf32>",
       "%r = graph.attention %q, %k, %k {scale = 1.0 : f32} : "
       "(tensor<1x3x2x4xf32>, tensor<1x2x2x4xf32>, tensor<1x2x2x4xf32>) -> "
       "tensor<1x3x2x4xf32>",
       "attention",
       {{"scale", 1.0}},
       {f32({1, 3, 2, 4}), f32({1, 2, 2, 4}), f32({1, 2, 2, 4})},
       {f32({1, 3, 2, 4})}},
      // Element types: the runtime reads ODS's constraints and type-tying
      // traits from the generated signatures, so it says what ODS says.
      {"gather float indices",
       "%x: tensor<4x3xf32>, %i: tensor<2xf32>",
       "%r = graph.gather %x, %i {axis = 0 : i64} : (tensor<4x3xf32>, "
       "tensor<2xf32>) -> tensor<2x3xf32>",
       "gather",
       {{"axis", int64_t(0)}},
       {f32({4, 3}), f32({2})},
       {f32({2, 3})}},
      {"compare result not i1",
       "%x: tensor<2xf32>",
       "%r = graph.less %x, %x : (tensor<2xf32>, tensor<2xf32>) -> "
       "tensor<2xi64>",
       "less",
       {},
       {f32({2}), f32({2})},
       {i64({2})}},
      {"add mixed element types",
       "%x: tensor<2xf32>, %y: tensor<2xi64>",
       "%r = graph.add %x, %y : (tensor<2xf32>, tensor<2xi64>) -> "
       "tensor<2xf32>",
       "add",
       {},
       {f32({2}), i64({2})},
       {f32({2})}},
      {"select branches differ",
       "%c: tensor<2xi1>, %x: tensor<2xf32>, %y: tensor<2xf16>",
       "%r = graph.select %c, %x, %y : (tensor<2xi1>, tensor<2xf32>, "
       "tensor<2xf16>) -> tensor<2xf32>",
       "select",
       {},
       {i1({2}), f32({2}), f16({2})},
       {f32({2})}},
      {"concat variadic types",
       "%x: tensor<2xf32>, %y: tensor<2xi64>",
       "%r = graph.concat %x, %y {axis = 0 : i64} : (tensor<2xf32>, "
       "tensor<2xi64>) -> tensor<4xf32>",
       "concat",
       {{"axis", int64_t(0)}},
       {f32({2}), i64({2})},
       {f32({4})}},
      {"attention key type",
       "%q: tensor<1x1x2x4xf32>, %k: tensor<1x1x2x4xf16>",
       "%r = graph.attention %q, %k, %k {scale = 1.0 : f32} : "
       "(tensor<1x1x2x4xf32>, tensor<1x1x2x4xf16>, tensor<1x1x2x4xf16>) -> "
       "tensor<1x1x2x4xf32>",
       "attention",
       {{"scale", 1.0}},
       {f32({1, 1, 2, 4}), f16({1, 1, 2, 4}), f16({1, 1, 2, 4})},
       {f32({1, 1, 2, 4})}},
      {"sqrt of unsigned",
       "%x: tensor<3xui8>",
       "%r = graph.sqrt %x : tensor<3xui8>",
       "sqrt",
       {},
       {u8({3})},
       {u8({3})}},
      // Attribute checks that were the verifier's alone, and a slice the
      // runtime took from its result's extents instead of its limits.
      {"cast round mode",
       "%x: tensor<4xf32>",
       "%r = graph.cast %x {round_mode = \"zero\"} : tensor<4xf32> to "
       "tensor<4xf8E8M0FNU>",
       "cast",
       {{"round_mode", std::string("zero")}},
       {f32({4})},
       {{DType::F8E8M0FNU, {4}}}},
      {"lrn size",
       "%x: tensor<1x3x8x8xf32>",
       "%r = graph.lrn %x {size = 0, alpha = 0.0001 : f32, beta = 0.75 : f32, "
       "bias = 1.0 : f32} : tensor<1x3x8x8xf32>",
       "lrn",
       {{"size", int64_t(0)}, {"alpha", 0.0001}, {"beta", 0.75}, {"bias", 1.0}},
       {f32({1, 3, 8, 8})},
       {f32({1, 3, 8, 8})}},
      {"slice limit outside the input",
       "%x: tensor<4xf32>",
       "%r = graph.slice %x {starts = array<i64: 2>, limits = array<i64: 5>, "
       "steps = array<i64: 1>} : (tensor<4xf32>) -> tensor<3xf32>",
       "slice",
       {{"starts", Ints{2}}, {"limits", Ints{5}}, {"steps", Ints{1}}},
       {f32({4})},
       {f32({3})}},
      {"pad mode",
       "%x: tensor<4xf32>",
       "%r = graph.pad %x {low = array<i64: 1>, high = array<i64: 1>, mode = "
       "\"mirror\"} : (tensor<4xf32>) -> tensor<6xf32>",
       "pad",
       {{"low", Ints{1}}, {"high", Ints{1}}, {"mode", std::string("mirror")}},
       {f32({4})},
       {f32({6})}},
      {"softmax axis",
       "%x: tensor<2x3xf32>",
       "%r = graph.softmax %x {axis = 2 : i64} : tensor<2x3xf32>",
       "softmax",
       {{"axis", int64_t(2)}},
       {f32({2, 3})},
       {f32({2, 3})}},
  };
  return all;
}

class ShapeRulesAgree : public ::testing::TestWithParam<Case> {};

TEST_P(ShapeRulesAgree, SameVerdictAndMessage) {
  const Case &c = GetParam();
  std::string verifier = verifierSays(c), runtime = runtimeSays(c);
  EXPECT_NE(verifier, "") << c.name << ": the verifier accepts";
  EXPECT_EQ(verifier, runtime) << c.name;
}

INSTANTIATE_TEST_SUITE_P(Malformed, ShapeRulesAgree,
                         ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case> &info) {
                           std::string name;
                           for (const char *p = info.param.name; *p; ++p)
                             name +=
                                 std::isalnum(static_cast<unsigned char>(*p))
                                     ? *p
                                     : '_';
                           return name;
                         });

} // namespace
