//===- sinan-run.cpp - Run a model ----------------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
//   sinan-run --reference model.onnx [--input name=x.npy | --inputs in.npz]
//             [--output-dir D] [--expected name=y.npy | --expected-npz e.npz]
//             [--rtol R] [--atol A] [--input-shape name=1x3x224x224]
//             [--graph-opt]
//
// --reference imports the model and evaluates it with the reference kernels:
// the golden path. Compiled modules (.snm) on the cpu and snpu-sim devices
// come with the runtime (issue #5). Prints each output's comparison and a
// timing summary; exits 1 when any output is out of tolerance.
//
//===----------------------------------------------------------------------===//

#include "sinan/Dialect/Graph/Transforms/Passes.h"
#include "sinan/Frontend/OnnxImporter.h"
#include "sinan/InitAll.h"
#include "sinan/Interpreter/Evaluator.h"
#include "sinan/runtime/Compare.h"
#include "sinan/runtime/Npy.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"

#include <onnx/onnx_pb.h>

#include <chrono>
#include <map>

using namespace llvm;

namespace {
cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.onnx>"),
                               cl::Required);
cl::opt<bool> reference("reference",
                        cl::desc("Evaluate with the reference kernels"));
cl::list<std::string> inputs("input", cl::desc("name=file.npy"));
cl::opt<std::string> inputsNpz("inputs", cl::desc("All inputs from an .npz"));
cl::list<std::string> expected("expected", cl::desc("name=file.npy"));
cl::opt<std::string> expectedNpz("expected-npz",
                                 cl::desc("Expected outputs from an .npz"));
cl::opt<std::string> outputDir("output-dir",
                               cl::desc("Write each output as NAME.npy"));
cl::opt<double> relTol("rtol", cl::desc("Relative tolerance"), cl::init(1e-4));
cl::opt<double> absTol("atol", cl::desc("Absolute tolerance"), cl::init(1e-5));
cl::opt<double> minCosine("min-cosine", cl::desc("Also require cosine >= x"),
                          cl::init(-2.0));
cl::opt<bool> graphOpt("graph-opt",
                       cl::desc("Evaluate the graph after sinan-compile's "
                                "graph optimizations instead of as imported"));
cl::list<std::string> inputShapes("input-shape",
                                  cl::desc("Fix an input's shape: name=1x3x8"));

int fail(const Twine &message) {
  WithColor::error(errs(), "sinan-run") << message << "\n";
  return 1;
}

/// Reads name=file.npy specs and an optional .npz into `tensors`.
bool collect(const std::vector<std::string> &specs, const std::string &npz,
             std::map<std::string, sinan::Tensor> &tensors,
             std::string &error) {
  if (!npz.empty()) {
    auto members = sinan::readNpz(npz, error);
    if (!members)
      return false;
    for (auto &[name, tensor] : *members)
      tensors[name] = std::move(tensor);
  }
  for (const std::string &spec : specs) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) {
      error = "'" + spec + "': expected name=file.npy";
      return false;
    }
    auto tensor = sinan::readNpy(spec.substr(eq + 1), error);
    if (!tensor)
      return false;
    tensors[spec.substr(0, eq)] = std::move(*tensor);
  }
  return true;
}
} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "Sinan model runner\n");
  if (!reference)
    return fail("running compiled modules (.snm) on devices is not "
                "implemented yet; use --reference to evaluate an ONNX model "
                "with the reference kernels");

  sinan::frontend::ImportOptions options;
  for (const std::string &spec : inputShapes)
    if (!sinan::frontend::parseInputShape(spec, options))
      return fail("--input-shape '" + spec + "': expected name=1x3x224x224");
  mlir::DialectRegistry registry;
  sinan::registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  std::string error;
  auto module =
      sinan::frontend::importOnnxFile(inputFile, context, options, error);
  if (!module)
    return fail(error);
  if (graphOpt) {
    mlir::PassManager pm(&context);
    sinan::graph::buildGraphOptimizationPipeline(pm);
    if (mlir::failed(pm.run(*module)))
      return fail("graph optimization failed");
  }
  auto func = module->lookupSymbol<mlir::func::FuncOp>("main");

  std::map<std::string, sinan::Tensor> given, wanted;
  if (!collect(inputs, inputsNpz, given, error) ||
      !collect(expected, expectedNpz, wanted, error))
    return fail(error);
  std::vector<sinan::Tensor> arguments;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    auto name = func.getArgAttrOfType<mlir::StringAttr>(i, "graph.name");
    auto it = given.find(name.getValue().str());
    if (it == given.end())
      return fail("no value for model input '" + name.getValue() +
                  "' (give --input " + name.getValue() + "=file.npy)");
    arguments.push_back(it->second);
    given.erase(it);
  }
  // Leftovers are errors, except that an .npz may also hold the outputs.
  for (const auto &[name, tensor] : given) {
    bool isOutput = false;
    for (unsigned i = 0; i < func.getNumResults(); ++i)
      isOutput |= func.getResultAttrOfType<mlir::StringAttr>(i, "graph.name")
                      .getValue() == name;
    if (!isOutput || inputsNpz.empty())
      return fail("'" + name + "' is not an input of the model");
  }

  auto start = std::chrono::steady_clock::now();
  auto outputs = sinan::evaluate(func, arguments, error);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (!outputs)
    return fail(error);

  bool ok = true;
  for (unsigned i = 0; i < outputs->size(); ++i) {
    auto name = func.getResultAttrOfType<mlir::StringAttr>(i, "graph.name")
                    .getValue()
                    .str();
    const sinan::Tensor &out = (*outputs)[i];
    outs() << name << ": " << out.describe();
    if (!outputDir.empty()) {
      SmallString<256> path(outputDir);
      sys::fs::create_directories(path);
      sys::path::append(path, name + ".npy");
      if (!sinan::writeNpy(std::string(path), out, error))
        return fail(error);
    }
    auto want = wanted.find(name);
    if (want != wanted.end()) {
      sinan::Comparison cmp = sinan::compare(out, want->second, relTol, absTol);
      bool pass = cmp.allClose && cmp.cosine >= minCosine;
      ok &= pass;
      outs() << "  vs expected: " << cmp.summary();
      if (cmp.allClose && !pass)
        outs() << formatv(" (but cosine below {0}: fail)",
                          minCosine.getValue());
    }
    outs() << "\n";
  }
  outs() << formatv("reference evaluation: {0:f3} ms host wall time\n",
                    seconds * 1e3);
  return ok ? 0 : 1;
}
