//===- NodeTests.cpp - Run the ONNX backend node tests --------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
//   sinan-onnx-nodetests NODE_DIR [--expected-failures FILE] [--report MD]
//                        [--filter SUBSTRING] [-v]
//
// For every test directory (model.onnx + test_data_set_*/{input,output}_N.pb):
// import, evaluate with the reference kernels, compare with the shipped
// outputs (rtol 1e-3, atol 1e-7, the ONNX backend defaults). A test passes
// when every data set matches. Tests the importer rejects as unsupported are
// counted apart from failures. The run fails when a test that is not listed
// as an expected failure does not pass; it reports listed tests that now
// pass so the list can shrink.
//
//===----------------------------------------------------------------------===//

#include "sinan/Bridge/RuntimeBridge.h"
#include "sinan/Conversion/GraphToLinalg.h"
#include "sinan/Dialect/Graph/Transforms/Passes.h"
#include "sinan/Frontend/OnnxImporter.h"
#include "sinan/Frontend/OnnxModel.h"
#include "sinan/InitAll.h"
#include "sinan/Interpreter/Evaluator.h"
#include "sinan/Module/ModuleEmitter.h"
#include "sinan/runtime/Compare.h"
#include "sinan/runtime/exec/Device.h"
#include "sinan/runtime/exec/Session.h"
#include "sinan/runtime/module/Module.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

using namespace llvm;

namespace {

enum class Outcome { Pass, Fail, Unsupported };

struct Result {
  std::string name, op;
  Outcome outcome;
  std::string detail;
};

std::vector<std::string> listDirs(const std::string &root) {
  std::vector<std::string> dirs;
  std::error_code ec;
  for (sys::fs::directory_iterator it(root, ec), end; it != end && !ec;
       it.increment(ec))
    if (sys::fs::is_directory(it->path()))
      dirs.push_back(it->path());
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

std::optional<sinan::Tensor> readTensor(const std::string &path,
                                        mlir::MLIRContext &context,
                                        std::string &error) {
  auto buffer = MemoryBuffer::getFile(path, false, false);
  if (!buffer) {
    error = path + ": " + buffer.getError().message();
    return std::nullopt;
  }
  onnx::TensorProto proto;
  if (!proto.ParseFromArray((*buffer)->getBufferStart(),
                            static_cast<int>((*buffer)->getBufferSize()))) {
    error = path + ": not a TensorProto";
    return std::nullopt;
  }
  mlir::DenseElementsAttr attr =
      sinan::frontend::convertTensorProto(proto, context, "", error);
  if (!attr)
    return std::nullopt;
  return sinan::toTensor(attr);
}

/// Tests whose graph also ran as a compiled module (static shapes), and
/// those whose module also had SNPU kernels to run on the simulator.
int modulesChecked = 0;
int snpuModulesChecked = 0;
int nativeModulesChecked = 0;

/// The same outputs as `want`, bit for bit, or what differs.
std::optional<std::string> sameOutputs(const std::vector<sinan::Tensor> &got,
                                       const std::vector<sinan::Tensor> &want,
                                       const char *where) {
  for (size_t i = 0; i < want.size(); ++i)
    if (!(got[i] == want[i]))
      return formatv("output {0} {1} differs: {2}", i, where,
                     sinan::compare(got[i], want[i], 0, 0).summary())
          .str();
  return std::nullopt;
}

/// Compiles `func` for snpu-edge with SNPU placement and, when some op got a
/// kernel, runs the module on the simulated SNPU and on cpu, where each
/// launch runs its host fallback: the kernels must give the fallbacks'
/// results bit for bit. Without bf16 matmuls the fallbacks are the
/// evaluator's own ops, so the results must also equal the evaluator's.
std::optional<std::string> checkOnSnpu(mlir::func::FuncOp func,
                                       const std::vector<sinan::Tensor> &inputs,
                                       const std::vector<sinan::Tensor> &want) {
  static const sinan::TargetDesc edge = [] {
    std::string error;
    return *sinan::loadBuiltinTarget("snpu-edge", error);
  }();
  static const std::unique_ptr<sinan::exec::Device> device =
      sinan::exec::createSimDevice(edge);
  sinan::ModuleEmitOptions options;
  options.target = edge.name;
  options.targetFingerprint = sinan::isa::targetFingerprint(edge);
  options.snpu = &edge;
  std::string error;
  auto bytes = sinan::emitModule(func, options, error);
  if (!bytes)
    return "emission for the SNPU failed: " + error;
  auto module = sinan::module::Module::loadFromMemory(bytes->data(),
                                                      bytes->size(), error);
  if (!module)
    return "the emitted SNPU module does not load: " + error;
  if (module->desc().kernels.empty())
    return std::nullopt;
  static const std::unique_ptr<sinan::exec::Device> cpu =
      sinan::exec::createCpuDevice();
  std::vector<sinan::Tensor> onSim, onCpu;
  auto sim = sinan::exec::Session::create(*module, *device, error);
  if (!sim || !sim->run(inputs, onSim, error))
    return "on snpu-sim: " + error;
  auto host = sinan::exec::Session::create(*module, *cpu, error);
  if (!host || !host->run(inputs, onCpu, error))
    return "the SNPU module on cpu: " + error;
  if (auto differs = sameOutputs(onSim, onCpu, "on snpu-sim vs cpu"))
    return differs;
  // (A subgraph step names its ops' precision "i:precision".)
  bool bf16 = false;
  for (const sinan::module::StepDesc &step : module->desc().steps)
    for (const sinan::Attr &attr : step.attributes)
      if (attr.name == "precision" ||
          llvm::StringRef(attr.name).ends_with(":precision"))
        bf16 |= attr.value == sinan::AttrValue(std::string("bf16"));
  if (!bf16)
    if (auto differs = sameOutputs(onSim, want, "on snpu-sim"))
      return differs;
  ++snpuModulesChecked;
  return std::nullopt;
}

/// Compiles `func` to a module of host ops with native CPU code for the ops
/// the CPU path covers and, when some op got it, runs the module with that
/// code: kernels must give the evaluator's results bit for bit, except
/// those that round differently (sinan::cpuKernelRounds: fused
/// multiply-adds, polynomial exp/log/tanh/erf), within 1e-5 relative + 1e-6
/// absolute per element. Native code for x86-64-v3 needs such a host.
std::optional<std::string> checkNative(mlir::func::FuncOp func,
                                       const std::vector<sinan::Tensor> &inputs,
                                       const std::vector<sinan::Tensor> &want) {
  static const bool hostRunsV3 = sinan::exec::hostHasFeature("x86-64-v3");
  if (!hostRunsV3)
    return std::nullopt;
  sinan::ModuleEmitOptions options;
  options.cpu = sinan::CpuCodegenOptions{"x86-64-v3"};
  std::string error;
  auto bytes = sinan::emitModule(func, options, error);
  if (!bytes)
    return "emission with native code failed: " + error;
  auto module = sinan::module::Module::loadFromMemory(bytes->data(),
                                                      bytes->size(), error);
  if (!module)
    return "the module with native code does not load: " + error;
  if (module->desc().cpuObject.empty())
    return std::nullopt;
  sinan::exec::Session session(*module);
  std::vector<sinan::Tensor> outputs;
  if (!session.run(inputs, outputs, error))
    return "with native code: " + error;
  if (!session.runsNativeCode())
    return "the native code did not load: " + session.nativeCodeProblem();
  bool rounds = false;
  for (const sinan::module::StepDesc &step : module->desc().steps) {
    if (step.cpuEntry < 0)
      continue;
    rounds |= sinan::cpuKernelRounds(step.op);
    // A fused step rounds as its ops do.
    for (const sinan::Attr &attr : step.attributes)
      if (const auto *ops = std::get_if<std::string>(&attr.value);
          step.op == "fused" && ops && attr.name == "ops")
        for (llvm::StringRef op : llvm::split(*ops, ','))
          rounds |= sinan::cpuKernelRounds(op);
  }
  for (size_t i = 0; i < want.size(); ++i) {
    if (!rounds) {
      if (auto differs = sameOutputs(outputs, want, "with native code"))
        return differs;
      break;
    }
    sinan::Comparison cmp = sinan::compare(outputs[i], want[i], 1e-5, 1e-6);
    if (!cmp.allClose)
      return formatv("output {0} with native code: {1}", i, cmp.summary())
          .str();
  }
  ++nativeModulesChecked;
  return std::nullopt;
}

/// Compiles `func` to a module of host ops, loads it and runs it in a runtime
/// session: the outputs must equal the evaluator's bit for bit (same kernels,
/// now through the module format, the memory plan and the host-op
/// dispatcher). Then the same on the SNPU, where it has kernels.
/// Graphs with dynamic shapes cannot become modules and are skipped.
std::optional<std::string> checkModule(mlir::func::FuncOp func,
                                       const std::vector<sinan::Tensor> &inputs,
                                       const std::vector<sinan::Tensor> &want) {
  std::string error;
  sinan::ModuleEmitOptions hostOnly;
  auto bytes = sinan::emitModule(func, hostOnly, error);
  if (!bytes) {
    if (error.find("static shapes") != std::string::npos)
      return std::nullopt;
    return "emission failed: " + error;
  }
  auto module = sinan::module::Module::loadFromMemory(bytes->data(),
                                                      bytes->size(), error);
  if (!module)
    return "the emitted module does not load: " + error;
  sinan::exec::Session session(*module);
  std::vector<sinan::Tensor> outputs;
  if (!session.run(inputs, outputs, error))
    return error;
  if (auto differs = sameOutputs(outputs, want, "on cpu"))
    return differs;
  ++modulesChecked;
  if (auto problem = checkNative(func, inputs, want))
    return problem;
  return checkOnSnpu(func, inputs, want);
}

Result runTest(const std::string &dir, mlir::MLIRContext &context) {
  Result result{std::string(sys::path::filename(dir)), "?", Outcome::Fail, ""};
  auto model = sinan::frontend::loadOnnxModel(dir + "/model.onnx");
  if (!model) {
    result.detail = toString(model.takeError());
    return result;
  }
  if ((*model)->graph().node_size() > 0)
    result.op = (*model)->graph().node(0).op_type();
  // The importer's diagnostics, as text for the report.
  std::string error;
  llvm::raw_string_ostream errorStream(error);
  llvm::SourceMgr sourceMgr;
  mlir::SourceMgrDiagnosticHandler handler(sourceMgr, &context, errorStream);
  sinan::frontend::ImportOptions options;
  options.modelDirectory = dir;
  sinan::frontend::ImportFailures failures;
  auto module =
      sinan::frontend::importOnnxModel(**model, context, options, &failures);
  // Axes, shapes or pads given as graph inputs: retry with the integer
  // inputs bound to each data set's values.
  bool specialize = !module && failures.needsConstants && !failures.invalid;
  if (specialize)
    module = mlir::OwningOpRef<mlir::ModuleOp>(
        mlir::ModuleOp::create(mlir::UnknownLoc::get(&context)));
  if (!module) {
    // Valid ONNX that Sinan cannot take yet.
    result.outcome = failures.unsupported && !failures.invalid
                         ? Outcome::Unsupported
                         : Outcome::Fail;
    result.detail = error;
    return result;
  }
  int sets = 0;
  std::set<std::string> initializers;
  for (const auto &t : (*model)->graph().initializer())
    initializers.insert(t.name());
  // Graph inputs in order, without initializers: input_N.pb is the N-th.
  std::vector<std::string> names;
  for (const auto &input : (*model)->graph().input())
    if (!initializers.count(input.name()))
      names.push_back(input.name());
  for (const std::string &set : listDirs(dir)) {
    if (sys::path::filename(set).find("test_data_set") != 0)
      continue;
    ++sets;
    std::map<std::string, sinan::Tensor> data;
    for (unsigned i = 0; i < names.size(); ++i) {
      auto tensor =
          readTensor(formatv("{0}/input_{1}.pb", set, i), context, error);
      if (!tensor) {
        result.outcome = error.find("does not support") != std::string::npos
                             ? Outcome::Unsupported
                             : Outcome::Fail;
        result.detail = error;
        return result;
      }
      data[names[i]] = std::move(*tensor);
    }
    if (specialize) {
      // Shape-like inputs (axes, shapes, pads) become constants with this
      // data set's values.
      sinan::frontend::ImportOptions bound = options;
      // Small parameter tensors after the first input: axes, shapes, pads,
      // scales, pad values. Binding an input to its own value cannot change
      // the result; it only makes it a compile-time constant.
      for (size_t i = 1; i < names.size(); ++i) {
        const sinan::Tensor &tensor = data[names[i]];
        if (tensor.numElements() > 64)
          continue;
        auto type = mlir::RankedTensorType::get(
            tensor.shape(), sinan::toMlirType(tensor.type(), context));
        bound.boundInputs[names[i]] = sinan::toAttr(tensor, type);
      }
      error.clear();
      module = sinan::frontend::importOnnxModel(**model, context, bound);
      if (!module) {
        result.outcome = Outcome::Unsupported;
        result.detail = error;
        return result;
      }
    }
    auto func = module->lookupSymbol<mlir::func::FuncOp>("main");
    std::vector<sinan::Tensor> inputs;
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      auto name = func.getArgAttrOfType<mlir::StringAttr>(i, "graph.name");
      inputs.push_back(data[name.getValue().str()]);
    }
    auto outputs = sinan::evaluate(func, inputs, error);
    if (!outputs) {
      result.detail = error;
      return result;
    }
    for (unsigned i = 0; i < outputs->size(); ++i) {
      auto want =
          readTensor(formatv("{0}/output_{1}.pb", set, i), context, error);
      if (!want) {
        result.detail = error;
        return result;
      }
      sinan::Comparison cmp = sinan::compare((*outputs)[i], *want, 1e-3, 1e-7);
      if (!cmp.allClose) {
        result.detail = formatv("{0} output {1}: {2}", sys::path::filename(set),
                                i, cmp.summary());
        return result;
      }
    }
    if (auto failure = checkModule(func, inputs, *outputs)) {
      result.detail = formatv("{0} as a compiled module: {1}",
                              sys::path::filename(set), *failure);
      return result;
    }
  }
  if (sets == 0) {
    result.detail = "no test_data_set directories";
    return result;
  }
  result.outcome = Outcome::Pass;
  return result;
}

/// The backend runner's light-model test: inputs arange(n)/n as float32
/// (unknown dimensions as 1), expected outputs light_<name>_output_N.pb.
Result runLightModel(const std::string &dir, const std::string &name,
                     double rtol, mlir::MLIRContext &context) {
  Result result{"light_" + name, "model", Outcome::Fail, ""};
  std::string path = dir + "/light_" + name + ".onnx";
  auto model = sinan::frontend::loadOnnxModel(path);
  if (!model) {
    result.detail = toString(model.takeError());
    return result;
  }
  std::string error;
  sinan::frontend::ImportOptions options;
  options.modelDirectory = dir;
  const onnx::GraphProto &graph = (*model)->graph();
  std::set<std::string> initializers;
  for (const auto &t : graph.initializer())
    initializers.insert(t.name());
  std::vector<sinan::Tensor> inputs;
  for (const auto &input : graph.input()) {
    if (initializers.count(input.name()))
      continue;
    std::vector<int64_t> shape;
    for (const auto &dim : input.type().tensor_type().shape().dim())
      shape.push_back(dim.has_dim_value() ? dim.dim_value() : 1);
    options.inputShapes[input.name()] = shape;
    sinan::Tensor tensor(sinan::DType::F32, shape);
    int64_t n = tensor.numElements();
    for (int64_t i = 0; i < n; ++i)
      tensor.data<float>()[i] = static_cast<float>(double(i) / double(n));
    inputs.push_back(std::move(tensor));
  }
  mlir::OwningOpRef<mlir::ModuleOp> module;
  {
    std::string importError;
    llvm::raw_string_ostream errorStream(importError);
    llvm::SourceMgr sourceMgr;
    mlir::SourceMgrDiagnosticHandler handler(sourceMgr, &context, errorStream);
    module = sinan::frontend::importOnnxModel(**model, context, options);
    if (!module) {
      result.detail = importError;
      return result;
    }
  }
  // Evaluate the graph as imported, then after sinan-compile's graph
  // optimizations (BatchNorm folding changes rounding, so both are checked).
  std::vector<std::string> details;
  for (bool optimized : {false, true}) {
    if (optimized) {
      mlir::PassManager pm(&context);
      sinan::graph::buildGraphOptimizationPipeline(pm);
      if (mlir::failed(pm.run(*module))) {
        result.detail = "graph optimization failed";
        return result;
      }
    }
    auto func = module->lookupSymbol<mlir::func::FuncOp>("main");
    auto outputs = sinan::evaluate(func, inputs, error);
    if (!outputs) {
      result.detail = error;
      return result;
    }
    for (unsigned i = 0; i < outputs->size(); ++i) {
      auto want = readTensor(
          formatv("{0}/light_{1}_output_{2}.pb", dir, name, i), context, error);
      if (!want) {
        result.detail = error;
        return result;
      }
      sinan::Comparison cmp = sinan::compare((*outputs)[i], *want, rtol, 1e-7);
      details.push_back(formatv("{0}output {1}: {2}",
                                optimized ? "optimized " : "", i,
                                cmp.summary()));
      result.detail = llvm::join(details, "; ");
      if (!cmp.allClose)
        return result;
    }
    if (auto failure = checkModule(func, inputs, *outputs)) {
      result.detail += "; compiled module: " + *failure;
      return result;
    }
  }
  details.push_back("compiled module: identical");
  result.detail = llvm::join(details, "; ");
  result.outcome = Outcome::Pass;
  return result;
}

std::string report(const std::vector<Result> &results,
                   const std::vector<Result> &models) {
  struct Counts {
    int pass = 0, fail = 0, unsupported = 0;
  };
  std::map<std::string, Counts> perOp;
  Counts total;
  for (const Result &r : results) {
    Counts &c = perOp[r.op];
    (r.outcome == Outcome::Pass   ? c.pass
     : r.outcome == Outcome::Fail ? c.fail
                                  : c.unsupported)++;
    (r.outcome == Outcome::Pass   ? total.pass
     : r.outcome == Outcome::Fail ? total.fail
                                  : total.unsupported)++;
  }
  std::string text;
  raw_string_ostream os(text);
  size_t count = results.size();
  os << "# ONNX operator coverage\n\n"
     << "Generated by `sinan-onnx-nodetests` (ctest `onnx-node-tests`) from "
        "the backend node tests shipped in the pinned `onnx` wheel; the ctest "
        "`docs-onnx-coverage` fails when this file is stale. A test passes "
        "when Sinan imports the model, evaluates it with the reference "
        "kernels and matches every shipped output (rtol 1e-3, atol 1e-7). "
        "When a test feeds axes, shapes, pads or scales through graph "
        "inputs, its small parameter inputs (up to 64 elements, after the "
        "first input) are bound to the data set's values: shape "
        "specialization, as `--input-shape` does for dimensions. "
        "*Unsupported* means the importer rejected an op or element type "
        "with a clear message.\n\n"
     << "Known disagreements, left failing on purpose: the int8 "
        "`test_qlinearmatmul_*` data wraps out-of-range results (the ONNX "
        "reference's `astype`), while Sinan saturates as the operator spec "
        "and onnxruntime do. Light models: their shipped outputs are nearly "
        "constant (e.g. ResNet-50's softmax is 0.001 everywhere), so the "
        "\"optimized\" column checks that the graph optimizations run and "
        "preserve the output, not their rounding; "
        "`test/Frontend/sinan-run.test` checks BatchNorm folding against "
        "onnxruntime on random data.\n\n";
  os << formatv("**Total: {0} tests, {1} pass ({2:f1}%), {3} fail, {4} "
                "unsupported.**\n\n",
                count, total.pass,
                100.0 * total.pass / std::max<size_t>(count, 1), total.fail,
                total.unsupported);
  os << "| op | tests | pass | fail | unsupported |\n|---|---|---|---|---|\n";
  for (const auto &[op, c] : perOp)
    os << formatv("| {0} | {1} | {2} | {3} | {4} |\n", op,
                  c.pass + c.fail + c.unsupported, c.pass, c.fail,
                  c.unsupported);
  if (!models.empty()) {
    os << "\n## Model zoo (light models shipped in the onnx wheel)\n\n"
       << "Inputs `arange(n) / n`, expected outputs from the wheel, "
          "tolerances as in ONNX's backend runner.\n\n"
       << "| model | result |\n|---|---|\n";
    for (const Result &m : models)
      os << "| " << m.name << " | "
         << (m.outcome == Outcome::Pass ? "pass" : "FAIL") << ": "
         << StringRef(m.detail).split('\n').first << " |\n";
  }
  return text;
}
} // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    errs() << "usage: sinan-onnx-nodetests NODE_DIR [--expected-failures F] "
              "[--report MD] [--filter S] [-v]\n";
    return 2;
  }
  std::string root = argv[1], expectedPath, reportPath, filter, lightDir;
  bool verbose = false;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--expected-failures" && i + 1 < argc)
      expectedPath = argv[++i];
    else if (arg == "--report" && i + 1 < argc)
      reportPath = argv[++i];
    else if (arg == "--filter" && i + 1 < argc)
      filter = argv[++i];
    else if (arg == "--light-models" && i + 1 < argc)
      lightDir = argv[++i];
    else if (arg == "-v")
      verbose = true;
    else {
      errs() << "sinan-onnx-nodetests: unexpected argument '" << arg << "'\n";
      return 2;
    }
  }
  std::set<std::string> expectedFailures;
  if (!expectedPath.empty()) {
    std::ifstream file(expectedPath);
    if (!file) {
      errs() << "sinan-onnx-nodetests: cannot open " << expectedPath << "\n";
      return 2;
    }
    std::string line;
    while (std::getline(file, line))
      if (!line.empty() && line[0] != '#')
        expectedFailures.insert(line);
  }

  mlir::DialectRegistry registry;
  sinan::registerAllDialects(registry);
  std::vector<Result> results;
  std::vector<std::string> dirs = listDirs(root);
  if (dirs.empty()) {
    errs() << "sinan-onnx-nodetests: no tests under " << root << "\n";
    return 2;
  }
  for (const std::string &dir : dirs) {
    if (!filter.empty() && dir.find(filter) == std::string::npos)
      continue;
    // A fresh context per test keeps memory flat over 1600 models.
    mlir::MLIRContext context(registry);
    context.disableMultithreading();
    results.push_back(runTest(dir, context));
    const Result &r = results.back();
    if (verbose || (r.outcome != Outcome::Pass &&
                    !expectedFailures.count(r.name) && filter.empty()))
      outs() << (r.outcome == Outcome::Pass   ? "PASS"
                 : r.outcome == Outcome::Fail ? "FAIL"
                                              : "UNSUPPORTED")
             << ": " << r.name << (r.detail.empty() ? "" : ": ")
             << StringRef(r.detail).split('\n').first << "\n";
  }

  // The model-zoo networks the onnx wheel ships (tolerances as in its
  // backend runner).
  std::vector<Result> models;
  if (!lightDir.empty()) {
    const std::pair<const char *, double> kLight[] = {
        {"bvlc_alexnet", 1e-3}, {"densenet121", 2e-3}, {"inception_v1", 1e-3},
        {"inception_v2", 1e-3}, {"resnet50", 1e-3},    {"shufflenet", 1e-3},
        {"squeezenet", 1e-3},   {"vgg19", 1e-3},       {"zfnet512", 1e-3}};
    for (auto [name, rtol] : kLight) {
      if (!filter.empty() &&
          std::string(name).find(filter) == std::string::npos)
        continue;
      mlir::MLIRContext context(registry);
      context.disableMultithreading();
      auto start = std::chrono::steady_clock::now();
      models.push_back(runLightModel(lightDir, name, rtol, context));
      double seconds = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - start)
                           .count();
      outs() << (models.back().outcome == Outcome::Pass ? "PASS" : "FAIL")
             << formatv(": light_{0} ({1:f1} s): ", name, seconds)
             << StringRef(models.back().detail).split('\n').first << "\n";
    }
  }

  int unexpected = 0, fixed = 0, pass = 0;
  for (const Result &m : models)
    unexpected += m.outcome != Outcome::Pass;
  for (const Result &r : results) {
    bool listed = expectedFailures.count(r.name);
    pass += r.outcome == Outcome::Pass;
    if (r.outcome != Outcome::Pass && !listed)
      ++unexpected;
    if (r.outcome == Outcome::Pass && listed) {
      outs() << "NOW PASSING (remove from the expected-failure list): "
             << r.name << "\n";
      ++fixed;
    }
  }
  if (!reportPath.empty() && filter.empty()) {
    SmallString<256> dir(reportPath);
    sys::path::remove_filename(dir);
    sys::fs::create_directories(dir);
    std::ofstream file(reportPath);
    file << report(results, models);
  }
  if (results.empty()) {
    outs() << formatv("{0} light models, {1} unexpected failures\n",
                      models.size(), unexpected);
    return unexpected ? 1 : 0;
  }
  outs() << formatv("{0} node tests: {1} pass ({2:f1}%), {3} not passing; "
                    "{4} unexpected, {5} expected failures now pass\n",
                    results.size(), pass, 100.0 * pass / results.size(),
                    results.size() - pass, unexpected, fixed);
  outs() << formatv("{0} data sets and light models also ran as compiled "
                    "modules with identical outputs; {1} of them also ran "
                    "SNPU kernels on snpu-sim with outputs identical to the "
                    "kernels' host fallbacks; {2} ran native CPU code for "
                    "their host ops\n",
                    modulesChecked, snpuModulesChecked, nativeModulesChecked);
  return unexpected ? 1 : 0;
}
