//===- CpuCodeBench.cpp - Native CPU code vs the reference kernels --------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// One-op modules compiled with native CPU code (sinan-compile --cpu) and run
// in a session on the cpu device, with the native code (for the portable
// x86-64-v3 and for this host's CPU) and with the reference kernels, on one
// and two host threads (the last argument):
//   build/release/bench/sinan-bench-cpucode
// Matmuls report GFLOP/s (2 m n k per run); this machine's fp32 FMA peak is
// about 117 GFLOP/s per core (docs/development.md).
//
//===----------------------------------------------------------------------===//

#include "sinan/InitAll.h"
#include "sinan/Module/ModuleEmitter.h"
#include "sinan/runtime/exec/Session.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "llvm/Support/FormatVariadic.h"

#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <string>

namespace {

enum class Code { Portable, Host, Reference };

/// Compiles `source` (a graph-dialect @main) to a loaded module.
std::unique_ptr<sinan::module::Module> compile(const std::string &source,
                                               Code code, std::string &error) {
  mlir::DialectRegistry registry;
  sinan::registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(source, &context);
  if (!module) {
    error = "cannot parse the benchmark's graph";
    return nullptr;
  }
  sinan::ModuleEmitOptions options;
  if (code != Code::Reference)
    options.cpu =
        sinan::CpuCodegenOptions{code == Code::Host ? "native" : "x86-64-v3"};
  auto bytes = sinan::emitModule(
      module->lookupSymbol<mlir::func::FuncOp>("main"), options, error);
  if (!bytes)
    return nullptr;
  return sinan::module::Module::loadFromMemory(bytes->data(), bytes->size(),
                                               error);
}

std::vector<sinan::Tensor> randomInputs(const sinan::module::ModuleDesc &m) {
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  std::vector<sinan::Tensor> inputs;
  for (uint32_t id : m.inputs) {
    sinan::Tensor t(m.values[id].dtype, m.values[id].shape);
    float *data = reinterpret_cast<float *>(t.data());
    for (int64_t i = 0; i < t.numElements(); ++i)
      data[i] = normal(rng);
    inputs.push_back(std::move(t));
  }
  return inputs;
}

/// Runs with state.range(1) host threads (the device's oneTBB arena; the
/// native kernels split their outer dimension over it).
void run(benchmark::State &state, const std::string &source, Code code,
         double flopsPerRun) {
  std::string error;
  auto module = compile(source, code, error);
  if (!module) {
    state.SkipWithError(error.c_str());
    return;
  }
  auto device =
      sinan::exec::createCpuDevice(static_cast<unsigned>(state.range(1)));
  auto session = sinan::exec::Session::create(*module, *device, error);
  if (!session) {
    state.SkipWithError(error.c_str());
    return;
  }
  if (code != Code::Reference && !session->runsNativeCode()) {
    state.SkipWithError(session->nativeCodeProblem().c_str());
    return;
  }
  std::vector<sinan::Tensor> inputs = randomInputs(module->desc()), outputs;
  for (auto _ : state)
    if (!session->run(inputs, outputs, error)) {
      state.SkipWithError(error.c_str());
      break;
    }
  if (flopsPerRun > 0)
    state.counters["GFLOP/s"] = benchmark::Counter(
        flopsPerRun * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void matmul(benchmark::State &state, Code code) {
  int64_t n = state.range(0);
  std::string t = llvm::formatv("tensor<{0}x{0}xf32>", n).str();
  std::string source =
      llvm::formatv("func.func @main(%a: {0}, %b: {0}) -> {0} {{\n"
                    "  %y = graph.matmul %a, %b : ({0}, {0}) -> {0}\n"
                    "  return %y : {0}\n}\n",
                    t);
  run(state, source, code, 2.0 * n * n * n);
}

void unary(benchmark::State &state, Code code, const char *op) {
  std::string t = "tensor<1024x1024xf32>";
  std::string source = llvm::formatv("func.func @main(%a: {0}) -> {0} {{\n"
                                     "  %y = graph.{1} %a : {0}\n"
                                     "  return %y : {0}\n}\n",
                                     t, op);
  run(state, source, code, 0);
}

void biasAdd(benchmark::State &state, Code code) {
  std::string source =
      "func.func @main(%a: tensor<1024x1024xf32>, %b: tensor<1024xf32>) -> "
      "tensor<1024x1024xf32> {\n"
      "  %y = graph.add %a, %b : (tensor<1024x1024xf32>, tensor<1024xf32>) -> "
      "tensor<1024x1024xf32>\n"
      "  return %y : tensor<1024x1024xf32>\n}\n";
  run(state, source, code, 0);
}

} // namespace

BENCHMARK_CAPTURE(matmul, portable, Code::Portable)
    ->ArgsProduct({{256, 512, 1024}, {1, 2}})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(matmul, host_cpu, Code::Host)
    ->ArgsProduct({{256, 512, 1024}, {1, 2}})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(matmul, reference, Code::Reference)
    ->ArgsProduct({{256, 512, 1024}, {1, 2}})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(biasAdd, portable, Code::Portable)
    ->ArgsProduct({{0}, {1, 2}})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(biasAdd, reference, Code::Reference)
    ->ArgsProduct({{0}, {1, 2}})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(unary, tanh_portable, Code::Portable, "tanh")
    ->ArgsProduct({{0}, {1, 2}})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(unary, tanh_reference, Code::Reference, "tanh")
    ->ArgsProduct({{0}, {1, 2}})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(unary, relu_portable, Code::Portable, "relu")
    ->ArgsProduct({{0}, {1, 2}})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(unary, relu_reference, Code::Reference, "relu")
    ->ArgsProduct({{0}, {1, 2}})
    ->Unit(benchmark::kMicrosecond);
