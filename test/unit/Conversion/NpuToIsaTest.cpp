//===- NpuToIsaTest.cpp - npu kernels compiled and run on the device ------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Each kernel goes through the SNPU pipeline from `npu` (local allocation,
// synchronization, instruction selection, register allocation, encoding)
// and runs on the simulator, whose hazard checker is always on, with the
// engines in a fixed and in randomized orders. Results must equal host
// arithmetic in the device's order bit for bit.
//
//===----------------------------------------------------------------------===//

#include "sinan/Bridge/RuntimeBridge.h"
#include "sinan/Conversion/GraphToNpu.h"
#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Npu/IR/NpuOps.h"
#include "sinan/InitAll.h"
#include "sinan/Interpreter/Evaluator.h"
#include "sinan/Target/SnpuBinary.h"
#include "sinan/runtime/Numerics.h"
#include "sinan/runtime/Target.h"
#include "sinan/runtime/Tensor.h"
#include "sinan/runtime/ref/HostOps.h"
#include "sinan/runtime/sim/Simulator.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>

using namespace sinan;

namespace {

/// Elements per row of a local tile: the matrix unit reads rows at a pitch
/// rounded up to the target's alignment.
int64_t pitch(int64_t columns, int64_t elementBytes, int64_t align) {
  return (columns * elementBytes + align - 1) / align * align / elementBytes;
}

/// C = A x B for row-major M x K and K x N bf16 in DRAM (A at 0, B after
/// it, C after B), in M0 x K0 x N0 blocks.
std::string matmulKernel(const std::string &target, int64_t m, int64_t k,
                         int64_t n, int64_t m0, int64_t k0, int64_t n0,
                         int64_t align) {
  return fmt::format(
      R"(
!a = memref<{M}x{K}xbf16, #npu.space<dram>>
!b = memref<{K}x{N}xbf16, #npu.space<dram>>
!c = memref<{M}x{N}xf32, #npu.space<dram>>
!av = memref<{M0}x{K0}xbf16, strided<[{K}, 1], offset: ?>, #npu.space<dram>>
!bv = memref<{K0}x{N0}xbf16, strided<[{N}, 1], offset: ?>, #npu.space<dram>>
!cv = memref<{M0}x{N0}xf32, strided<[{N}, 1], offset: ?>, #npu.space<dram>>
!lhs = memref<{M0}x{K0}xbf16, strided<[{LP}, 1]>, #npu.space<ibuf>>
!rhs = memref<{K0}x{N0}xbf16, strided<[{RP}, 1]>, #npu.space<wbuf>>
!acc = memref<{M0}x{N0}xf32, strided<[{AP}, 1]>, #npu.space<acc>>
func.func @matmul(%a: !a, %b: !b, %c: !c)
    attributes {{npu.target = #npu.target<"{T}">}} {{
  %c0 = arith.constant 0 : index
  %m = arith.constant {M} : index
  %n = arith.constant {N} : index
  %k = arith.constant {K} : index
  %m0 = arith.constant {M0} : index
  %n0 = arith.constant {N0} : index
  %k0 = arith.constant {K0} : index
  %lhs = memref.alloc() : !lhs
  %rhs = memref.alloc() : !rhs
  %acc = memref.alloc() : !acc
  scf.for %i = %c0 to %m step %m0 {{
    scf.for %j = %c0 to %n step %n0 {{
      npu.fill %acc : !acc
      scf.for %p = %c0 to %k step %k0 {{
        %av = memref.subview %a[%i, %p] [{M0}, {K0}] [1, 1] : !a to !av
        %bv = memref.subview %b[%p, %j] [{K0}, {N0}] [1, 1] : !b to !bv
        npu.dma_load %av, %lhs : !av to !lhs
        npu.dma_load %bv, %rhs : !bv to !rhs
        npu.mma %lhs, %rhs, %acc {{accumulate}} : !lhs, !rhs, !acc
      }}
      %cv = memref.subview %c[%i, %j] [{M0}, {N0}] [1, 1] : !c to !cv
      npu.dma_store %acc, %cv : !acc to !cv
    }}
  }}
  return
}}
)",
      fmt::arg("T", target), fmt::arg("M", m), fmt::arg("K", k),
      fmt::arg("N", n), fmt::arg("M0", m0), fmt::arg("K0", k0),
      fmt::arg("N0", n0), fmt::arg("LP", pitch(k0, 2, align)),
      fmt::arg("RP", pitch(n0, 2, align)), fmt::arg("AP", pitch(n0, 4, align)));
}

/// Compiles `source` through the SNPU pipeline into a kernel binary.
constexpr const char *kPipeline =
    "func.func(sinan-npu-allocate-local,sinan-npu-insert-sync,"
    "sinan-npu-verify-sync),"
    "sinan-convert-npu-to-isa,isa.kernel(sinan-isa-allocate-registers)";

std::optional<isa::Kernel> compile(const std::string &source,
                                   std::string &diagnostics,
                                   const char *pipeline = kPipeline) {
  mlir::DialectRegistry registry;
  registerAllDialects(registry);
  registerAllPasses();
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  llvm::raw_string_ostream os(diagnostics);
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
    os << d << "\n";
    return mlir::success();
  });
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(source, &context);
  if (!module) {
    os << "parse failed\n";
    return std::nullopt;
  }
  mlir::PassManager pm(&context);
  if (failed(mlir::parsePassPipeline(pipeline, pm, os)) ||
      failed(pm.run(*module))) {
    os << "pipeline failed\n";
    return std::nullopt;
  }
  isa::ir::KernelOp kernel;
  module->walk([&](isa::ir::KernelOp found) { kernel = found; });
  if (!kernel) {
    os << "no isa.kernel in\n";
    module->print(os);
    return std::nullopt;
  }
  llvm::FailureOr<isa::Kernel> encoded = encodeKernel(kernel);
  if (failed(encoded))
    return std::nullopt;
  return *encoded;
}

struct MatmulCase {
  const char *target;
  int64_t m, k, n, m0, k0, n0;
};

class NpuMatmulTest : public ::testing::TestWithParam<MatmulCase> {};

TEST_P(NpuMatmulTest, MatchesHostArithmeticBitForBit) {
  const MatmulCase &c = GetParam();
  std::string error;
  std::optional<TargetDesc> target = loadBuiltinTarget(c.target, error);
  ASSERT_TRUE(target) << error;
  std::string diagnostics;
  std::optional<isa::Kernel> kernel =
      compile(matmulKernel(c.target, c.m, c.k, c.n, c.m0, c.k0, c.n0,
                           target->alignmentBytes),
              diagnostics);
  ASSERT_TRUE(kernel) << diagnostics;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
  std::vector<uint16_t> a(c.m * c.k), b(c.k * c.n);
  for (uint16_t &x : a)
    x = floatToBF16(dist(rng));
  for (uint16_t &x : b)
    x = floatToBF16(dist(rng));
  uint64_t aAt = 0, bAt = a.size() * 2, cAt = bAt + b.size() * 2;
  // Products of bf16 are exact in f32; the device adds them in ascending k
  // from +0.0.
  std::vector<float> expected(c.m * c.n);
  for (int64_t i = 0; i < c.m; ++i)
    for (int64_t j = 0; j < c.n; ++j) {
      float sum = 0.0f;
      for (int64_t p = 0; p < c.k; ++p)
        sum += bf16ToFloat(a[i * c.k + p]) * bf16ToFloat(b[p * c.n + j]);
      expected[i * c.n + j] = sum;
    }

  for (uint64_t seed : {0u, 1u, 2u}) {
    std::vector<uint8_t> dram(cAt + expected.size() * 4, 0);
    std::memcpy(dram.data() + aAt, a.data(), a.size() * 2);
    std::memcpy(dram.data() + bAt, b.data(), b.size() * 2);
    sim::Options options;
    options.seed = seed;
    options.arguments = {aAt, bAt, cAt};
    sim::Result result = sim::run(*target, *kernel, dram, options);
    ASSERT_TRUE(result.ok) << "seed " << seed << ": " << result.error;
    std::vector<float> got(expected.size());
    std::memcpy(got.data(), dram.data() + cAt, got.size() * 4);
    for (size_t i = 0; i < got.size(); ++i)
      ASSERT_EQ(std::memcmp(&got[i], &expected[i], 4), 0)
          << "seed " << seed << " element " << i << ": " << got[i] << " vs "
          << expected[i];
  }
}

// Without synchronization the engines race, and the device names the
// hazard instead of computing garbage.
TEST(NpuToIsaTest, MissingSynchronizationIsAHazard) {
  std::string error, diagnostics;
  std::optional<TargetDesc> target = loadBuiltinTarget("snpu-edge", error);
  ASSERT_TRUE(target) << error;
  std::optional<isa::Kernel> kernel = compile(
      matmulKernel("snpu-edge", 32, 32, 32, 16, 16, 16, target->alignmentBytes),
      diagnostics,
      "func.func(sinan-npu-allocate-local),sinan-convert-npu-to-isa,"
      "isa.kernel(sinan-isa-allocate-registers)");
  ASSERT_TRUE(kernel) << diagnostics;
  std::vector<uint8_t> dram(32 * 32 * 8, 0);
  sim::Options options;
  options.arguments = {0, 32 * 32 * 2, 32 * 32 * 4};
  sim::Result result = sim::run(*target, *kernel, dram, options);
  ASSERT_FALSE(result.ok);
  EXPECT_NE(result.error.find("unsynchronised"), std::string::npos)
      << result.error;
}

/// sinan-npu-verify-sync proves what insert-sync wrote, and names the race
/// when one inserted wait is deleted, without running the kernel.
TEST(NpuVerifySyncTest, DeletedWaitIsNamedWithoutRunning) {
  std::string error;
  std::optional<TargetDesc> target = loadBuiltinTarget("snpu-edge", error);
  ASSERT_TRUE(target) << error;
  mlir::DialectRegistry registry;
  registerAllDialects(registry);
  registerAllPasses();
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  std::string diagnostics;
  llvm::raw_string_ostream os(diagnostics);
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
    os << d << "\n";
    return mlir::success();
  });
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(
          matmulKernel("snpu-edge", 64, 64, 64, 32, 32, 32,
                       target->alignmentBytes),
          &context);
  ASSERT_TRUE(module);
  auto run = [&](const char *pipeline) {
    mlir::PassManager pm(&context);
    return succeeded(mlir::parsePassPipeline(pipeline, pm, os)) &&
           succeeded(pm.run(*module));
  };
  ASSERT_TRUE(run("func.func(sinan-npu-multi-buffer,sinan-npu-allocate-local,"
                  "sinan-npu-insert-sync,sinan-npu-verify-sync)"))
      << diagnostics;
  int waits = 0;
  module->walk([&](npu::WaitOp wait) {
    if (waits++ == 1)
      wait.erase();
  });
  ASSERT_GT(waits, 1);
  EXPECT_FALSE(run("func.func(sinan-npu-verify-sync)"));
  EXPECT_NE(diagnostics.find("unordered access on core 0"), std::string::npos)
      << diagnostics;
}

/// The whole SNPU path from `graph`: kernel formation, tiling from the
/// target, double buffering, allocation, synchronization, instruction
/// selection, register allocation.
struct GraphMatmulCase {
  const char *target;
  int64_t m, k, n;
  /// batch > 1: [batch, m, k] x [batch, k, n] when `shared` is false, else
  /// [batch, m, k] x [k, n] (the batch rows join M).
  int64_t batch = 1;
  bool shared = false;
  /// A bias row [N] added after the product, then a relu (2-D only): the
  /// vector unit adds it to each block, the store applies the relu. Or a
  /// GELU as PyTorch exports it (five ops), the vector unit's `vun gelu`.
  bool bias = false, relu = false, gelu = false;
  /// B a constant (a layer's weights), packed as bf16 into the kernel's
  /// read-only data (2-D only).
  bool constB = false;
};

class GraphMatmulTest : public ::testing::TestWithParam<GraphMatmulCase> {};

TEST_P(GraphMatmulTest, CompiledFromGraphMatchesBf16HostArithmetic) {
  const GraphMatmulCase &c = GetParam();
  std::string lead = c.batch > 1 ? fmt::format("{}x", c.batch) : "";
  std::string T = fmt::format("tensor<{}{}x{}xf32>", lead, c.m, c.n);
  std::string epilogue, at = "%0";
  if (c.bias) {
    epilogue += fmt::format("%1 = graph.add %0, %bias : ({0}, "
                            "tensor<{1}xf32>) -> {0}\n  ",
                            T, c.n);
    at = "%1";
  }
  if (c.relu) {
    epilogue += fmt::format("%2 = graph.relu {} : {}\n  ", at, T);
    at = "%2";
  }
  if (c.gelu) {
    epilogue += fmt::format(
        "%c = graph.constant dense<1.41421354> : tensor<f32>\n"
        "  %one = graph.constant dense<1.0> : tensor<f32>\n"
        "  %half = graph.constant dense<0.5> : tensor<f32>\n"
        "  %g1 = graph.div {0}, %c : ({1}, tensor<f32>) -> {1}\n"
        "  %g2 = graph.erf %g1 : {1}\n"
        "  %g3 = graph.add %g2, %one : ({1}, tensor<f32>) -> {1}\n"
        "  %g4 = graph.mul {0}, %g3 : ({1}, {1}) -> {1}\n"
        "  %g5 = graph.mul %g4, %half : ({1}, tensor<f32>) -> {1}\n  ",
        at, T);
    at = "%g5";
  }
  epilogue += fmt::format("return {} : {}", at, T);
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  int64_t rhsBatch = c.shared ? 1 : c.batch;
  std::vector<float> a(c.batch * c.m * c.k), b(rhsBatch * c.k * c.n), bias(c.n);
  for (std::vector<float> *v : {&a, &b, &bias})
    for (float &x : *v)
      x = dist(rng);
  // A constant B as raw little-endian f32 bytes (a dense hex literal).
  std::string constant;
  if (c.constB) {
    for (float e : b) {
      uint8_t bytes[4];
      std::memcpy(bytes, &e, 4);
      for (uint8_t byte : bytes)
        constant += fmt::format("{:02X}", byte);
    }
    constant = fmt::format(
        "%b = graph.constant dense<\"0x{}\"> : tensor<{}x{}xf32>\n  ", constant,
        c.k, c.n);
  }
  std::string source = fmt::format(
      R"(
func.func @main(%a: tensor<{B}{M}x{K}xf32>, {BARG}%bias: tensor<{N}xf32>) -> tensor<{B}{M}x{N}xf32> {{
  {CONST}%0 = graph.matmul %a, %b : (tensor<{B}{M}x{K}xf32>, tensor<{BB}{K}x{N}xf32>) -> tensor<{B}{M}x{N}xf32>
  {EPILOGUE}
}}
)",
      fmt::arg("B", lead), fmt::arg("BB", c.shared ? "" : lead),
      fmt::arg("M", c.m), fmt::arg("K", c.k), fmt::arg("N", c.n),
      fmt::arg("BARG", c.constB ? std::string()
                                : fmt::format("%b: tensor<{}{}x{}xf32>, ",
                                              c.shared ? "" : lead, c.k, c.n)),
      fmt::arg("CONST", constant), fmt::arg("EPILOGUE", epilogue));
  std::string pipeline = fmt::format(
      "sinan-form-snpu-kernels{{target={}}},sinan-convert-graph-to-npu,"
      "func.func(sinan-npu-multi-buffer,sinan-npu-allocate-local,"
      "sinan-npu-insert-sync,sinan-npu-verify-sync),sinan-convert-npu-to-isa,"
      "isa.kernel(sinan-isa-allocate-registers)",
      c.target);
  std::string diagnostics, error;
  std::optional<isa::Kernel> kernel =
      compile(source, diagnostics, pipeline.c_str());
  ASSERT_TRUE(kernel) << diagnostics;
  std::optional<TargetDesc> target = loadBuiltinTarget(c.target, error);
  ASSERT_TRUE(target) << error;

  ASSERT_EQ(kernel->readOnlyData.empty(), !c.constB);
  // The device rounds the f32 operands to bf16 on the way in; products are
  // exact in f32 and added in ascending k from +0.0.
  std::vector<float> expected(c.batch * c.m * c.n);
  for (int64_t t = 0; t < c.batch; ++t) {
    const float *at = a.data() + t * c.m * c.k;
    const float *bt = b.data() + (c.shared ? 0 : t) * c.k * c.n;
    for (int64_t i = 0; i < c.m; ++i)
      for (int64_t j = 0; j < c.n; ++j) {
        float sum = 0.0f;
        for (int64_t p = 0; p < c.k; ++p)
          sum += bf16ToFloat(floatToBF16(at[i * c.k + p])) *
                 bf16ToFloat(floatToBF16(bt[p * c.n + j]));
        // Then the bias, in f32, and the relu.
        if (c.bias)
          sum += bias[j];
        if (c.relu)
          sum = sum < 0.0f ? 0.0f : sum;
        // The vector unit's GELU (and the fallback's).
        if (c.gelu)
          sum = geluErf(sum);
        expected[(t * c.m + i) * c.n + j] = sum;
      }
  }
  auto page = [](uint64_t bytes) { return (bytes + 4095) / 4096 * 4096; };
  uint64_t aAt = 0, bAt = page(a.size() * 4), biasAt = bAt + page(b.size() * 4),
           cAt = biasAt + page(bias.size() * 4),
           dataAt = cAt + page(expected.size() * 4);
  for (uint64_t seed : {0u, 3u}) {
    std::vector<uint8_t> dram(dataAt + kernel->readOnlyData.size(), 0);
    std::memcpy(dram.data() + aAt, a.data(), a.size() * 4);
    // A constant B's binding holds nothing: the kernel reads its own copy.
    if (!c.constB)
      std::memcpy(dram.data() + bAt, b.data(), b.size() * 4);
    std::memcpy(dram.data() + biasAt, bias.data(), bias.size() * 4);
    std::memcpy(dram.data() + dataAt, kernel->readOnlyData.data(),
                kernel->readOnlyData.size());
    sim::Options options;
    options.seed = seed;
    // (A constant B stays the launch's argument, one the kernel never
    // reads.)
    options.arguments = {aAt, bAt};
    if (c.bias)
      options.arguments.push_back(biasAt);
    options.arguments.push_back(cAt);
    if (c.constB)
      options.arguments.push_back(dataAt);
    sim::Result result = sim::run(*target, *kernel, dram, options);
    ASSERT_TRUE(result.ok) << "seed " << seed << ": " << result.error;
    for (size_t i = 0; i < expected.size(); ++i) {
      float got;
      std::memcpy(&got, dram.data() + cAt + i * 4, 4);
      ASSERT_EQ(std::memcmp(&got, &expected[i], 4), 0)
          << "seed " << seed << " element " << i << ": " << got << " vs "
          << expected[i];
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, GraphMatmulTest,
    ::testing::Values(
        GraphMatmulCase{"snpu-edge", 100, 72, 40},
        GraphMatmulCase{"snpu-edge", 64, 256, 96},
        GraphMatmulCase{"snpu-edge", 1, 300, 17},
        GraphMatmulCase{"snpu-server", 300, 200, 130},
        GraphMatmulCase{"snpu-server", 512, 96, 64},
        GraphMatmulCase{"snpu-server", 33, 1000, 9},
        GraphMatmulCase{"snpu-server", 40, 64, 24, 3},
        // Rows of 197 f32 share granules across row blocks:
        // one core, or cores would race on them (vit_tiny).
        GraphMatmulCase{"snpu-server", 197, 64, 197, 3},
        GraphMatmulCase{"snpu-edge", 20, 48, 36, 2},
        GraphMatmulCase{"snpu-edge", 5, 48, 20, 2, true},
        // A bias row (and relu) on the vector unit: edge
        // blocks in M and N, several column blocks.
        GraphMatmulCase{"snpu-edge", 100, 72, 40, 1, false, true, true},
        GraphMatmulCase{"snpu-server", 33, 256, 1000, 1, false, true},
        GraphMatmulCase{"snpu-server", 128, 768, 768, 1, false, true, true},
        // A GELU after the bias (a transformer's MLP) and after the product
        // alone, bit for bit with the fallback's.
        GraphMatmulCase{"snpu-server", 197, 192, 768, 1, false, true, false,
                        true},
        GraphMatmulCase{"snpu-edge", 50, 64, 40, 1, false, false, false, true},
        // Constant weights packed as bf16: a classifier's one row (cores
        // split the column blocks; 1000 columns of f32 share granules
        // across rows, but there is one row), with and without its bias,
        // and a block of rows.
        GraphMatmulCase{"snpu-server", 1, 512, 1000, 1, false, true, false,
                        false, true},
        GraphMatmulCase{"snpu-server", 1, 200, 300, 1, false, false, false,
                        false, true},
        GraphMatmulCase{"snpu-edge", 3, 96, 80, 1, false, true, true, false,
                        true},
        GraphMatmulCase{"snpu-server", 100, 64, 48, 1, false, false, false,
                        false, true},
        GraphMatmulCase{"snpu-server", 128, 1024, 256, 1, false, true, false,
                        false, true},
        GraphMatmulCase{"snpu-server", 128, 256, 1024, 1, false, true, false,
                        true, true}),
    [](const ::testing::TestParamInfo<GraphMatmulCase> &info) {
      const GraphMatmulCase &c = info.param;
      std::string name = fmt::format("{}_{}x{}x{}", c.target, c.m, c.k, c.n);
      if (c.batch > 1)
        name += fmt::format("_batch{}{}", c.batch, c.shared ? "_shared" : "");
      if (c.bias)
        name += c.relu ? "_bias_relu" : "_bias";
      if (c.gelu)
        name += "_gelu";
      if (c.constB)
        name += "_const";
      for (char &ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch)))
          ch = '_';
      return name;
    });

/// A convolution from `graph` through the whole SNPU path, weights packed
/// at compile time into the kernel's read-only data.
struct GraphConvCase {
  const char *target;
  int64_t n, c, h, w, f, k, stride, pad, dilation = 1, group = 1;
  bool bias = true, relu = false;
  /// ReLU6 (graph.clip 0..6) after the convolution, on the vector unit.
  bool clip = false;
  /// A residual (another input of the result's shape) added before the
  /// relu or clip, on the vector unit.
  bool residual = false;
  /// The Winograd tiler (snpu.conv_algorithm = "winograd"); else the
  /// direct ones (the implicit GEMM or the grid tiler), whichever the
  /// estimates prefer.
  bool winograd = false;
};

class GraphConvTest : public ::testing::TestWithParam<GraphConvCase> {};

TEST_P(GraphConvTest, CompiledFromGraphMatchesBf16HostArithmetic) {
  const GraphConvCase &c = GetParam();
  int64_t cg = c.c / c.group, span = c.dilation * (c.k - 1) + 1;
  int64_t oh = (c.h + 2 * c.pad - span) / c.stride + 1;
  int64_t ow = (c.w + 2 * c.pad - span) / c.stride + 1;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> x(c.n * c.c * c.h * c.w), w(c.f * cg * c.k * c.k), b(c.f),
      residual(c.n * c.f * oh * ow);
  for (std::vector<float> *v : {&x, &w, &b, &residual})
    for (float &e : *v)
      e = dist(rng);
  // The weights as raw little-endian f32 bytes (a dense hex literal).
  std::string weights;
  for (float e : w) {
    uint8_t bytes[4];
    std::memcpy(bytes, &e, 4);
    for (uint8_t byte : bytes)
      weights += fmt::format("{:02X}", byte);
  }
  std::string X = fmt::format("tensor<{}x{}x{}x{}xf32>", c.n, c.c, c.h, c.w);
  std::string W = fmt::format("tensor<{}x{}x{}x{}xf32>", c.f, cg, c.k, c.k);
  std::string Y = fmt::format("tensor<{}x{}x{}x{}xf32>", c.n, c.f, oh, ow);
  std::string B = fmt::format("tensor<{}xf32>", c.f);
  std::string text = fmt::format(
      R"(
func.func @main(%x: {X}, %b: {B}, %res: {Y}) -> {Y} {{
  %w = graph.constant dense<"0x{V}"> : {W}
  %{CONV} = graph.conv2d %x, %w{BIAS} {{strides = array<i64: {S}, {S}>, pads = array<i64: {P}, {P}, {P}, {P}>, dilations = array<i64: {D}, {D}>, group = {G} : i64, snpu.conv_algorithm = "{A}"}} : ({X}, {W}{BT}) -> {Y}
  {ADD}
  {RELU}
}}
)",
      fmt::arg("X", X), fmt::arg("W", W), fmt::arg("Y", Y), fmt::arg("B", B),
      fmt::arg("V", weights), fmt::arg("BIAS", c.bias ? ", %b" : ""),
      fmt::arg("BT", c.bias ? ", " + B : ""), fmt::arg("S", c.stride),
      fmt::arg("P", c.pad), fmt::arg("D", c.dilation), fmt::arg("G", c.group),
      fmt::arg("A", c.winograd ? "winograd" : "direct"),
      fmt::arg("CONV", c.residual ? "c" : "y"),
      fmt::arg("ADD", c.residual ? "%y = graph.add %c, %res : (" + Y + ", " +
                                       Y + ") -> " + Y
                                 : ""),
      fmt::arg("RELU",
               c.clip ? "%r = graph.clip %y {min = 0.0 : f32, max = 6.0 : "
                        "f32} : " +
                            Y + "\n  return %r : " + Y
               : c.relu ? "%r = graph.relu %y : " + Y + "\n  return %r : " + Y
                        : "return %y : " + Y));
  std::string pipeline = fmt::format(
      "sinan-form-snpu-kernels{{target={}}},"
      "sinan-convert-graph-to-npu,"
      "func.func(sinan-npu-multi-buffer,sinan-npu-allocate-local,"
      "sinan-npu-insert-sync,sinan-npu-verify-sync),sinan-convert-npu-to-isa,"
      "isa.kernel(sinan-isa-allocate-registers)",
      c.target);
  std::string diagnostics, error;
  std::optional<isa::Kernel> kernel =
      compile(text, diagnostics, pipeline.c_str());
  ASSERT_TRUE(kernel) << diagnostics;
  ASSERT_FALSE(kernel->readOnlyData.empty());
  std::optional<TargetDesc> target = loadBuiltinTarget(c.target, error);
  ASSERT_TRUE(target) << error;

  // The device rounds input and weights to bf16; products are exact, sums
  // f32 in the device's order: compare with a double sum within the f32
  // rounding of its terms.
  std::vector<double> expected(c.n * c.f * oh * ow), bound(expected.size());
  auto bf = [](float v) { return double(bf16ToFloat(floatToBF16(v))); };
  // The Winograd kernel's (F(2,3) along each kernel row at stride 1,
  // winogradRow* in Numerics.h): the transforms of the rounded input and
  // weights, each rounded to bf16, the four sums, then the output transform
  // with the bias in the second; a double sum within the f32 rounding of its
  // terms.
  auto winogradSum = [&](int64_t n, int64_t f, int64_t i, int64_t j) {
    auto padded = [&](int64_t ci, int64_t y, int64_t z) {
      bool inside = y >= 0 && y < c.h && z >= 0 && z < c.w;
      return inside ? float(bf(x[((n * c.c + ci) * c.h + y) * c.w + z])) : 0.0f;
    };
    int64_t t = j / 2;
    double m[4] = {0, 0, 0, 0}, magnitude = c.bias ? std::abs(b[f]) : 0.0;
    if (c.stride == 2) {
      // Stride 2 (winogradStride2* in Numerics.h): five padded columns
      // four apart, five products into three sums.
      for (int64_t ci = 0; ci < c.c; ++ci)
        for (int64_t p = 0; p < 3; ++p) {
          float d[5], u[4];
          for (int e = 0; e < 5; ++e)
            d[e] = padded(ci, 2 * i + p - 1, 4 * t + e - 1);
          const float *g = &w[((f * c.c + ci) * 3 + p) * 3];
          winogradStride2Weights(float(bf(g[0])), float(bf(g[1])),
                                 float(bf(g[2])), u);
          for (const WinogradProduct &product : kWinogradStride2Products) {
            double term = bf(u[product.role]) *
                          bf(winogradStride2Input(product.point, d));
            m[product.sum] += term;
            magnitude += std::abs(term);
          }
        }
      double m1 = m[1] + (c.bias ? b[f] : 0.0);
      return std::pair(j % 2 == 0 ? m[0] + m1 : m1 + m[2], magnitude);
    }
    for (int64_t ci = 0; ci < c.c; ++ci)
      for (int64_t p = 0; p < 3; ++p) {
        float d[4], u[4];
        for (int e = 0; e < 4; ++e)
          d[e] = padded(ci, i + p - 1, 2 * t + e - 1);
        const float *g = &w[((f * c.c + ci) * 3 + p) * 3];
        winogradRowWeights(float(bf(g[0])), float(bf(g[1])), float(bf(g[2])),
                           u);
        for (int nu = 0; nu < 4; ++nu) {
          double term = bf(u[nu]) * bf(winogradRowInput(nu, d));
          m[nu] += term;
          magnitude += std::abs(term);
        }
      }
    double m1 = m[1] + (c.bias ? b[f] : 0.0);
    double sum = j % 2 == 0 ? (m[0] + m1) + m[2] : (m1 - m[2]) - m[3];
    return std::pair(sum, magnitude);
  };
  for (int64_t n = 0; n < c.n; ++n)
    for (int64_t f = 0; f < c.f; ++f)
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          double sum = c.bias ? b[f] : 0.0, magnitude = std::abs(sum);
          int64_t g = f / (c.f / c.group);
          for (int64_t ci = 0; ci < cg; ++ci)
            for (int64_t p = 0; p < c.k; ++p)
              for (int64_t q = 0; q < c.k; ++q) {
                int64_t y = i * c.stride + p * c.dilation - c.pad;
                int64_t z = j * c.stride + q * c.dilation - c.pad;
                if (y < 0 || y >= c.h || z < 0 || z >= c.w)
                  continue;
                double term =
                    bf(x[((n * c.c + g * cg + ci) * c.h + y) * c.w + z]) *
                    bf(w[((f * cg + ci) * c.k + p) * c.k + q]);
                sum += term;
                magnitude += std::abs(term);
              }
          if (c.winograd)
            std::tie(sum, magnitude) = winogradSum(n, f, i, j);
          size_t at = ((n * c.f + f) * oh + i) * ow + j;
          if (c.residual)
            sum += residual[at];
          expected[at] = c.clip   ? std::min(std::max(sum, 0.0), 6.0)
                         : c.relu ? std::max(sum, 0.0)
                                  : sum;
          bound[at] = 1e-6 * magnitude + 1e-7;
        }
  auto page = [](uint64_t bytes) { return (bytes + 4095) / 4096 * 4096; };
  uint64_t xAt = 0, wAt = page(x.size() * 4), bAt = wAt + page(w.size() * 4),
           resAt = bAt + page(b.size() * 4),
           yAt = resAt + page(residual.size() * 4),
           dataAt = yAt + page(expected.size() * 4);
  for (uint64_t seed : {0u, 7u}) {
    uint64_t scratchAt = page(dataAt + kernel->readOnlyData.size());
    std::vector<uint8_t> dram(scratchAt + kernel->scratchBytes, 0);
    std::memcpy(dram.data() + xAt, x.data(), x.size() * 4);
    std::memcpy(dram.data() + wAt, w.data(), w.size() * 4);
    std::memcpy(dram.data() + bAt, b.data(), b.size() * 4);
    std::memcpy(dram.data() + resAt, residual.data(), residual.size() * 4);
    std::memcpy(dram.data() + dataAt, kernel->readOnlyData.data(),
                kernel->readOnlyData.size());
    sim::Options options;
    options.seed = seed;
    options.arguments = {xAt, wAt};
    if (c.bias)
      options.arguments.push_back(bAt);
    if (c.residual)
      options.arguments.push_back(resAt);
    options.arguments.push_back(yAt);
    options.arguments.push_back(dataAt);
    if (kernel->scratchBytes)
      options.arguments.push_back(scratchAt);
    sim::Result result = sim::run(*target, *kernel, dram, options);
    ASSERT_TRUE(result.ok) << "seed " << seed << ": " << result.error;
    for (size_t i = 0; i < expected.size(); ++i) {
      float got;
      std::memcpy(&got, dram.data() + yAt + i * 4, 4);
      ASSERT_NEAR(got, expected[i], bound[i])
          << "seed " << seed << " element " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, GraphConvTest,
    ::testing::Values(
        GraphConvCase{"snpu-server", 1, 16, 8, 8, 32, 3, 1, 1, 1, 1, true,
                      true},
        // Three channels (an edge channel block), stride 2, two images.
        GraphConvCase{"snpu-server", 2, 3, 17, 19, 40, 3, 2, 1},
        GraphConvCase{"snpu-edge", 1, 64, 14, 14, 64, 1, 1, 0, 1, 1, false},
        // Dilation, groups, padding wider than a tap.
        GraphConvCase{"snpu-edge", 1, 32, 9, 9, 32, 3, 1, 2, 2, 2},
        // A ResNet stem: 7x7, stride 2, pad 3, filters not a tile multiple.
        GraphConvCase{"snpu-server", 1, 8, 23, 23, 24, 7, 2, 3},
        // ReLU6 fused (MobileNet): a gathered 3x3 stride 2, a flat 1x1 with
        // a partial last run, and a stride-1 3x3 (no padded copy then).
        GraphConvCase{"snpu-server", 1, 16, 15, 15, 32, 3, 2, 1, 1, 1, true,
                      false, true},
        GraphConvCase{"snpu-edge", 1, 32, 7, 7, 96, 1, 1, 0, 1, 1, true, false,
                      true},
        GraphConvCase{"snpu-server", 1, 32, 28, 28, 32, 3, 1, 1, 1, 1, false,
                      false, true},
        // A residual added before the relu (ResNet's last 1x1 of a block),
        // before the clip, and alone (gathered 3x3, two images).
        GraphConvCase{"snpu-server", 1, 64, 14, 14, 128, 1, 1, 0, 1, 1, true,
                      true, false, true},
        GraphConvCase{"snpu-edge", 1, 32, 9, 9, 48, 1, 1, 0, 1, 1, true, false,
                      true, true},
        GraphConvCase{"snpu-server", 2, 16, 12, 12, 32, 3, 2, 1, 1, 1, true,
                      false, false, true},
        // ResNet's basic block: a stride-1 3x3 (the padded copy, then the
        // vector blocks in its vbuf bytes) with residual and relu.
        GraphConvCase{"snpu-server", 1, 64, 14, 14, 64, 3, 1, 1, 1, 1, true,
                      true, false, true},
        // 1x1, stride 1: pixels as runs (flat), a partial last run.
        GraphConvCase{"snpu-server", 1, 64, 7, 7, 96, 1, 1, 0, 1, 1, true,
                      true},
        GraphConvCase{"snpu-edge", 2, 24, 10, 13, 40, 1, 1, 0},
        // Weights resident in ibuf (loaded once per output channel block).
        GraphConvCase{"snpu-edge", 1, 32, 12, 12, 48, 3, 1, 1, 1, 1, true,
                      true},
        GraphConvCase{"snpu-edge", 1, 48, 20, 20, 32, 3, 2, 1},
        // Stride 1: taps read a padded copy of the input in the kernel's
        // scratch (cores splitting the rows or the output channels).
        GraphConvCase{"snpu-server", 1, 64, 32, 32, 64, 3, 1, 1, 1, 1, true,
                      true},
        GraphConvCase{"snpu-server", 1, 32, 28, 28, 32, 3, 1, 1},
        // 17 channels: each core's copy is padded to whole granules (cores
        // raced on a shared one, found on VGG-19's first layer).
        GraphConvCase{"snpu-server", 1, 17, 14, 14, 48, 3, 1, 1},
        // Several channel blocks and cores.
        GraphConvCase{"snpu-server", 1, 256, 7, 7, 128, 3, 1, 1, 1, 1, true,
                      true},
        // The grid tiler (ConvGrid.cpp): two images; a 5x5 and a dilated
        // 3x3 (two zero positions between grid rows), 40 channels (a
        // partial chunk); ResNet's last 3x3 with streamed weights and a
        // residual; 128 channels staged through two reused buffers, with
        // ReLU6; the edge preset with a residual.
        GraphConvCase{"snpu-server", 2, 32, 12, 12, 48, 3, 1, 1},
        GraphConvCase{"snpu-server", 1, 40, 16, 16, 32, 5, 1, 2},
        GraphConvCase{"snpu-server", 1, 32, 14, 14, 32, 3, 1, 2, 2},
        GraphConvCase{"snpu-server", 1, 512, 7, 7, 512, 3, 1, 1, 1, 1, true,
                      true, false, true},
        GraphConvCase{"snpu-server", 1, 128, 28, 28, 128, 3, 1, 1, 1, 1, true,
                      false, true},
        GraphConvCase{"snpu-edge", 1, 64, 20, 20, 64, 3, 1, 1, 1, 1, true, true,
                      false, true},
        // The Winograd tiler (ConvWinograd.cpp, pinned; the cases above
        // pin the direct tilers): ResNet-50's layer4 3x3 (7 wide, a pass
        // per image row) with a residual and relu; a 14x14 (even, one pass
        // for every row) without a bias, with ReLU6; on the edge preset,
        // several blocks of output channels on its one core.
        GraphConvCase{"snpu-server", 1, 512, 7, 7, 512, 3, 1, 1, 1, 1, true,
                      true, false, true, true},
        GraphConvCase{"snpu-server", 1, 64, 14, 14, 64, 3, 1, 1, 1, 1, false,
                      false, true, false, true},
        GraphConvCase{"snpu-edge", 1, 64, 12, 12, 64, 3, 1, 1, 1, 1, true, true,
                      false, false, true},
        // Its stride-2 form: ResNet-50's layer4.0 3x3 (14x14 -> 7x7, the
        // bordered image) with its relu; 28x28 -> 14x14 (the points from
        // the pixel rows) with a residual; on the edge preset an odd
        // height (the bottom border row) with ReLU6.
        GraphConvCase{"snpu-server", 1, 512, 14, 14, 512, 3, 2, 1, 1, 1, true,
                      true, false, false, true},
        GraphConvCase{"snpu-server", 1, 64, 28, 28, 64, 3, 2, 1, 1, 1, true,
                      true, false, true, true},
        GraphConvCase{"snpu-edge", 1, 64, 9, 12, 32, 3, 2, 1, 1, 1, false,
                      false, true, false, true},
        // Stride 2 on the grid, over the input's four phases: ResNet-50's
        // layer3 3x3 (four chunks, each staged in two bands of rows); a 1x1
        // downsample; a 3x3 over 1536 channels (six chunks: those past the
        // first share one grid buffer, as semaphores are short).
        GraphConvCase{"snpu-server", 1, 256, 28, 28, 256, 3, 2, 1, 1, 1, true,
                      true},
        GraphConvCase{"snpu-server", 1, 256, 28, 28, 128, 1, 2, 0},
        GraphConvCase{"snpu-server", 1, 1536, 6, 6, 16, 3, 2, 1, 1, 1, true},
        // Few input channels: the taps fold into k (one product per pixel
        // block), a kernel column's taps one load in the blocks away from
        // the padding rows; an RGB 7x7/2 stem with its relu, a 3x3/2.
        GraphConvCase{"snpu-server", 1, 3, 64, 64, 64, 7, 2, 3, 1, 1, true,
                      true},
        GraphConvCase{"snpu-edge", 1, 3, 48, 40, 32, 3, 2, 1}),
    [](const ::testing::TestParamInfo<GraphConvCase> &info) {
      const GraphConvCase &c = info.param;
      std::string name = fmt::format(
          "{}_{}x{}x{}x{}_f{}_k{}_s{}_p{}_d{}_g{}{}{}{}", c.target, c.n, c.c,
          c.h, c.w, c.f, c.k, c.stride, c.pad, c.dilation, c.group,
          c.bias ? "_bias" : "", c.relu ? "_relu" : "", c.clip ? "_relu6" : "");
      if (c.residual)
        name += "_residual";
      if (c.winograd)
        name += "_winograd";
      for (char &ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch)))
          ch = '_';
      return name;
    });

/// An elementwise op from `graph` through the vector unit.
/// A kernel run on the simulator with `inputs` in DRAM, a page each, and
/// then `outputBytes` for its output (its last argument).
struct SimRun {
  sim::Result result;
  std::vector<uint8_t> dram;
  uint64_t outputAt = 0;
  const uint8_t *output() const { return dram.data() + outputAt; }
};

SimRun runOnSim(const TargetDesc &target, const isa::Kernel &kernel,
                const std::vector<Tensor> &inputs, uint64_t outputBytes,
                uint64_t seed) {
  auto page = [](uint64_t bytes) { return (bytes + 4095) / 4096 * 4096; };
  SimRun run;
  sim::Options options;
  options.seed = seed;
  for (const Tensor &t : inputs) {
    options.arguments.push_back(run.outputAt);
    run.outputAt += page(t.byteSize());
  }
  options.arguments.push_back(run.outputAt);
  run.dram.assign(run.outputAt + page(outputBytes), 0);
  for (size_t i = 0; i < inputs.size(); ++i)
    std::memcpy(run.dram.data() + options.arguments[i], inputs[i].data(),
                inputs[i].byteSize());
  run.result = sim::run(target, kernel, run.dram, options);
  return run;
}

struct GraphElementwiseCase {
  const char *target;
  const char *op;
  /// The result's (and first operand's) shape.
  std::vector<int64_t> shape;
  /// How the second operand (binary ops) is given: "same" (the result's
  /// shape), "row" (its last dimension), "scalar" (a constant 6.0),
  /// "scalar-first" (the constant as the first operand).
  const char *second = "";
  /// Unary ops: a clip's bounds (both, or the upper only when false).
  bool bothBounds = true;
  /// A relu follows the op (the kernel's store applies it).
  bool relu = false;
};

class GraphElementwiseTest
    : public ::testing::TestWithParam<GraphElementwiseCase> {};

TEST_P(GraphElementwiseTest, CompiledFromGraphMatchesTheReferenceKernel) {
  const GraphElementwiseCase &c = GetParam();
  std::string second = c.second;
  auto typeOf = [](const std::vector<int64_t> &shape) {
    std::string text = "tensor<";
    for (int64_t d : shape)
      text += std::to_string(d) + "x";
    return text + "f32>";
  };
  std::vector<int64_t> otherShape =
      second == "row" ? std::vector<int64_t>{c.shape.back()} : c.shape;
  std::string T = typeOf(c.shape), O = typeOf(otherShape);
  std::string text;
  bool clip = std::string(c.op) == "clip";
  std::string bounds =
      clip ? (c.bothBounds ? " {min = 0.0 : f32, max = 6.0 : f32}"
                           : " {max = 0.5 : f32}")
           : "";
  if (second.empty())
    text = fmt::format("func.func @main(%x: {T}) -> {T} {{\n"
                       "  %y = graph.{OP} %x{A} : {T}\n  return %y : {T}\n}}\n",
                       fmt::arg("T", T), fmt::arg("OP", c.op),
                       fmt::arg("A", bounds));
  else if (second == "same" || second == "row")
    text = fmt::format(
        "func.func @main(%x: {T}, %z: {O}) -> {T} {{\n"
        "  %y = graph.{OP} %x, %z : ({T}, {O}) -> {T}\n  return %y : {T}\n}}\n",
        fmt::arg("T", T), fmt::arg("O", O), fmt::arg("OP", c.op));
  else
    text = fmt::format("func.func @main(%x: {T}) -> {T} {{\n"
                       "  %s = graph.constant dense<6.0> : tensor<f32>\n"
                       "  %y = graph.{OP} {A}, {B} : ({TA}, {TB}) -> {T}\n  "
                       "return %y : {T}\n}}\n",
                       fmt::arg("T", T), fmt::arg("OP", c.op),
                       fmt::arg("A", second == "scalar" ? "%x" : "%s"),
                       fmt::arg("B", second == "scalar" ? "%s" : "%x"),
                       fmt::arg("TA", second == "scalar" ? T : "tensor<f32>"),
                       fmt::arg("TB", second == "scalar" ? "tensor<f32>" : T));
  if (c.relu) {
    std::string ret = "  return %y : " + T;
    size_t at = text.find(ret);
    ASSERT_NE(at, std::string::npos);
    text.replace(at, ret.size(),
                 "  %r = graph.relu %y : " + T + "\n  return %r : " + T);
  }
  std::string pipeline = fmt::format(
      "sinan-form-snpu-kernels{{target={}}},"
      "sinan-convert-graph-to-npu,"
      "func.func(sinan-npu-multi-buffer,sinan-npu-allocate-local,"
      "sinan-npu-insert-sync,sinan-npu-verify-sync),sinan-convert-npu-to-isa,"
      "isa.kernel(sinan-isa-allocate-registers)",
      c.target);
  std::string diagnostics, error;
  std::optional<isa::Kernel> kernel =
      compile(text, diagnostics, pipeline.c_str());
  ASSERT_TRUE(kernel) << diagnostics << text;
  std::optional<TargetDesc> target = loadBuiltinTarget(c.target, error);
  ASSERT_TRUE(target) << error;

  // Inputs in the kernel's argument order, and the reference kernel's
  // result for them.
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-3.0f, 3.0f);
  std::vector<Tensor> inputs;
  inputs.emplace_back(DType::F32, c.shape);
  if (second == "same" || second == "row")
    inputs.emplace_back(DType::F32, otherShape);
  for (Tensor &t : inputs)
    for (int64_t i = 0; i < t.numElements(); ++i)
      t.data<float>()[i] = dist(rng);
  Tensor six(DType::F32, {});
  six.data<float>()[0] = 6.0f;
  if (second == "scalar")
    inputs.push_back(six);
  else if (second == "scalar-first")
    inputs.insert(inputs.begin(), six);
  Tensor expected(DType::F32, c.shape);
  std::vector<const Tensor *> in;
  for (const Tensor &t : inputs)
    in.push_back(&t);
  std::vector<Attr> attrs;
  if (clip && c.bothBounds)
    attrs = {{"min", 0.0}, {"max", 6.0}};
  else if (clip)
    attrs = {{"max", 0.5}};
  // The host fallback of a launch that absorbed the relu.
  if (c.relu)
    attrs.push_back({"activation", std::string("relu")});
  ASSERT_TRUE(ref::runHostOp(c.op, attrs, in, {&expected}, error)) << error;

  for (uint64_t seed : {0u, 5u}) {
    SimRun run = runOnSim(*target, *kernel, inputs, expected.byteSize(), seed);
    ASSERT_TRUE(run.result.ok) << "seed " << seed << ": " << run.result.error;
    ASSERT_EQ(std::memcmp(run.output(), expected.data(), expected.byteSize()),
              0)
        << "seed " << seed;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Ops, GraphElementwiseTest,
    ::testing::Values(
        GraphElementwiseCase{"snpu-edge", "relu", {64, 1024}},
        // An edge chunk and a size that is not a granule multiple.
        GraphElementwiseCase{"snpu-server", "sigmoid", {3, 333}},
        GraphElementwiseCase{"snpu-edge", "tanh", {1000}},
        GraphElementwiseCase{"snpu-server", "erf", {2, 50, 70}},
        GraphElementwiseCase{"snpu-edge", "exp", {17}},
        GraphElementwiseCase{"snpu-edge", "mul", {64, 1024}, "same"},
        GraphElementwiseCase{"snpu-server", "div", {5, 999}, "same"},
        GraphElementwiseCase{"snpu-server", "sub", {300, 77}, "same"},
        // A bias row: rows that do not start on granules.
        GraphElementwiseCase{"snpu-edge", "add", {33, 40}, "row"},
        GraphElementwiseCase{"snpu-server", "add", {197, 17}, "row"},
        GraphElementwiseCase{"snpu-server", "max", {4, 64, 128}, "row"},
        // Clip as max and min with constants (ReLU6).
        GraphElementwiseCase{"snpu-edge", "min", {1, 32, 56, 56}, "scalar"},
        GraphElementwiseCase{"snpu-server", "max", {7, 11}, "scalar-first"},
        GraphElementwiseCase{"snpu-server", "sub", {640}, "scalar"},
        // ReLU6 as one clip: two scalar passes over each chunk.
        GraphElementwiseCase{"snpu-edge", "clip", {1, 32, 56, 56}},
        GraphElementwiseCase{"snpu-server", "clip", {3, 333}, "", false},
        // A residual add and its relu: one kernel, the store applies relu.
        GraphElementwiseCase{
            "snpu-server", "add", {1, 256, 56, 56}, "same", true, true},
        GraphElementwiseCase{"snpu-edge", "mul", {5, 77}, "row", true, true}),
    [](const ::testing::TestParamInfo<GraphElementwiseCase> &info) {
      const GraphElementwiseCase &c = info.param;
      std::string name = fmt::format("{}_{}", c.target, c.op);
      for (int64_t d : c.shape)
        name += fmt::format("_{}", d);
      name += std::string("_") + c.second;
      if (!c.bothBounds)
        name += "_upper";
      if (c.relu)
        name += "_relu";
      for (char &ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch)))
          ch = '_';
      return name;
    });

/// A chain of elementwise graph ops, which sinan-form-snpu-kernels fuses
/// into one kernel (the vector unit passes each chunk through every op
/// while it is in vbuf). Simulated, the kernel gives what the reference
/// evaluator gives for the whole function: bit for bit, or within
/// `tolerance` where a fused GELU computes x * (1 / sqrt(2)) and the graph
/// divides by sqrt(2).
struct GraphChainCase {
  const char *name;
  const char *target;
  /// The function's body, its arguments %x [rows x cols] and %z (same
  /// shape) and %b [cols] (a row); `T` is the tensor type, `R` the row's.
  const char *body;
  int64_t rows, cols;
  float tolerance = 0;
};

class GraphChainTest : public ::testing::TestWithParam<GraphChainCase> {};

TEST_P(GraphChainTest, FusedKernelMatchesTheEvaluator) {
  const GraphChainCase &c = GetParam();
  std::string T = fmt::format("tensor<{}x{}xf32>", c.rows, c.cols),
              R = fmt::format("tensor<{}xf32>", c.cols);
  std::string body = c.body;
  for (auto [from, to] : {std::pair{std::string("T"), T}, {"R", R}}) {
    std::string pattern = "{" + from + "}";
    for (size_t at; (at = body.find(pattern)) != std::string::npos;)
      body.replace(at, pattern.size(), to);
  }
  std::string text = fmt::format(
      "func.func @main(%x: {0}, %z: {0}, %b: {1}) -> {0} {{\n{2}}}\n", T, R,
      body);

  mlir::DialectRegistry registry;
  registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(text, &context);
  ASSERT_TRUE(module) << text;
  auto func = module->lookupSymbol<mlir::func::FuncOp>("main");
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> dist(-3.0f, 3.0f);
  std::vector<Tensor> args;
  for (auto shape :
       {std::vector<int64_t>{c.rows, c.cols},
        std::vector<int64_t>{c.rows, c.cols}, std::vector<int64_t>{c.cols}}) {
    args.emplace_back(DType::F32, shape);
    for (int64_t i = 0; i < args.back().numElements(); ++i)
      args.back().data<float>()[i] = dist(rng);
  }
  std::string error;
  std::optional<std::vector<Tensor>> expected = evaluate(func, args, error);
  ASSERT_TRUE(expected) << error;
  // The kernel's arguments: kernelOperands of the chain (its inputs once
  // each, and the scalar constants, which it reads as immediates).
  llvm::SmallVector<mlir::Operation *> ops;
  for (mlir::Operation &op : func.getBody().front().without_terminator())
    if (!llvm::isa<graph::ConstantOp>(op))
      ops.push_back(&op);
  std::vector<Tensor> inputs;
  for (mlir::Value value : kernelOperands(ops)) {
    if (auto arg = llvm::dyn_cast<mlir::BlockArgument>(value))
      inputs.push_back(args[arg.getArgNumber()]);
    else
      inputs.push_back(toTensor(llvm::cast<mlir::DenseElementsAttr>(
          value.getDefiningOp<graph::ConstantOp>().getValue())));
  }
  std::string pipeline = fmt::format(
      "sinan-form-snpu-kernels{{target={}}},"
      "sinan-convert-graph-to-npu,"
      "func.func(sinan-npu-multi-buffer,sinan-npu-allocate-local,"
      "sinan-npu-insert-sync,sinan-npu-verify-sync),sinan-convert-npu-to-isa,"
      "isa.kernel(sinan-isa-allocate-registers)",
      c.target);
  std::string diagnostics;
  std::optional<isa::Kernel> kernel =
      compile(text, diagnostics, pipeline.c_str());
  ASSERT_TRUE(kernel) << diagnostics << text;
  std::optional<TargetDesc> target = loadBuiltinTarget(c.target, error);
  ASSERT_TRUE(target) << error;

  const Tensor &want = expected->front();
  for (uint64_t seed : {0u, 9u}) {
    SimRun run = runOnSim(*target, *kernel, inputs, want.byteSize(), seed);
    ASSERT_TRUE(run.result.ok) << "seed " << seed << ": " << run.result.error;
    const float *got = reinterpret_cast<const float *>(run.output());
    for (int64_t i = 0; i < want.numElements(); ++i) {
      float w = want.data<float>()[i];
      if (c.tolerance == 0)
        ASSERT_EQ(floatBits(got[i]), floatBits(w))
            << "element " << i << ": " << got[i] << " vs " << w;
      else
        ASSERT_NEAR(got[i], w, c.tolerance) << "element " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Chains, GraphChainTest,
    ::testing::Values(
        // GELU as PyTorch exports it: one `vun gelu`.
        GraphChainCase{"gelu", "snpu-server", R"(
  %c = graph.constant dense<1.41421354> : tensor<f32>
  %one = graph.constant dense<1.0> : tensor<f32>
  %half = graph.constant dense<0.5> : tensor<f32>
  %d = graph.div %x, %c : ({T}, tensor<f32>) -> {T}
  %e = graph.erf %d : {T}
  %a = graph.add %e, %one : ({T}, tensor<f32>) -> {T}
  %m = graph.mul %x, %a : ({T}, {T}) -> {T}
  %y = graph.mul %m, %half : ({T}, tensor<f32>) -> {T}
  return %y : {T}
)",
                       5, 300, 2e-6f},
        // A bias row, then a GELU of the sum (its input read twice, from
        // the running value), * 0.5 before * x.
        GraphChainCase{"bias_gelu", "snpu-edge", R"(
  %c = graph.constant dense<0.707106769> : tensor<f32>
  %one = graph.constant dense<1.0> : tensor<f32>
  %half = graph.constant dense<0.5> : tensor<f32>
  %s = graph.add %x, %b : ({T}, {R}) -> {T}
  %d = graph.mul %s, %c : ({T}, tensor<f32>) -> {T}
  %e = graph.erf %d : {T}
  %a = graph.add %one, %e : (tensor<f32>, {T}) -> {T}
  %h = graph.mul %a, %half : ({T}, tensor<f32>) -> {T}
  %y = graph.mul %h, %s : ({T}, {T}) -> {T}
  return %y : {T}
)",
                       33, 40, 2e-6f},
        // SiLU: x * sigmoid(x), x read twice.
        GraphChainCase{"silu", "snpu-server", R"(
  %s = graph.sigmoid %x : {T}
  %y = graph.mul %x, %s : ({T}, {T}) -> {T}
  return %y : {T}
)",
                       7, 1000},
        // Another tensor, a row, a clip, a scalar and the relu the store
        // applies.
        GraphChainCase{"mixed", "snpu-edge", R"(
  %k = graph.constant dense<0.5> : tensor<f32>
  %m = graph.mul %x, %z : ({T}, {T}) -> {T}
  %a = graph.add %m, %b : ({T}, {R}) -> {T}
  %c = graph.clip %a {min = 0.0 : f32, max = 6.0 : f32} : {T}
  %s = graph.sub %c, %k : ({T}, tensor<f32>) -> {T}
  %y = graph.relu %s : {T}
  return %y : {T}
)",
                       64, 96},
        // One element (a normalization's mean): the scalars, copied into
        // the kernel, are the vector unit's immediates, not tensors (found
        // by the ONNX node tests' LayerNormalization).
        GraphChainCase{"one_element", "snpu-edge", R"(
  %eps = graph.constant dense<1.0e-05> : tensor<f32>
  %two = graph.constant dense<2.0> : tensor<f32>
  %e = graph.exp %x : {T}
  %a = graph.add %e, %eps : ({T}, tensor<f32>) -> {T}
  %r = graph.reciprocal %a : {T}
  %y = graph.mul %two, %r : (tensor<f32>, {T}) -> {T}
  return %y : {T}
)",
                       1, 1},
        // The running value as the right-hand operand.
        GraphChainCase{"running_rhs", "snpu-server", R"(
  %e = graph.exp %x : {T}
  %y = graph.sub %z, %e : ({T}, {T}) -> {T}
  return %y : {T}
)",
                       3, 333}),
    [](const ::testing::TestParamInfo<GraphChainCase> &info) {
      return std::string(info.param.name);
    });

INSTANTIATE_TEST_SUITE_P(
    Presets, NpuMatmulTest,
    ::testing::Values(MatmulCase{"snpu-server", 128, 128, 128, 64, 64, 64},
                      MatmulCase{"snpu-server", 64, 192, 32, 32, 64, 16},
                      MatmulCase{"snpu-edge", 64, 64, 64, 32, 32, 32},
                      MatmulCase{"snpu-edge", 48, 40, 32, 16, 8, 16}),
    [](const ::testing::TestParamInfo<MatmulCase> &info) {
      const MatmulCase &c = info.param;
      std::string name = fmt::format("{}_{}x{}x{}_blocks{}x{}x{}", c.target,
                                     c.m, c.k, c.n, c.m0, c.k0, c.n0);
      for (char &ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch)))
          ch = '_';
      return name;
    });

} // namespace
