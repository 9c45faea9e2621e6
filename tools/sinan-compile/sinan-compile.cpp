//===- sinan-compile.cpp - Sinan's compiler driver ------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
//   sinan-compile model.onnx [--compile-to=graph|module] [-o out]
//                 [--target snpu-edge] [--input-shape name=1x3x224x224]...
//                 [--graph-opt=false] [--placement=snpu|cpu|auto]
//                 [--placement-overrides=FILE] [--placement-report=FILE]
//                 [--snpu-precision=bf16|f32]
//
// Imports an ONNX model, optimizes the graph (unless --graph-opt=false),
// places each op (sinan-place) and stops at the requested phase: `graph`
// prints the graph IR; `npu` and `isa` print the SNPU kernels; `module`
// writes a .snm module. With --placement=auto (the default) each op the
// SNPU can run becomes a kernel launch for the target, with host<->device
// copies around it, where a cost model finds that cheaper than the host,
// and the rest host ops; snpu launches every op the SNPU can run; cpu makes
// every op a host op.
//
//===----------------------------------------------------------------------===//

#include "sinan/Frontend/OnnxImporter.h"
#include "sinan/InitAll.h"
#include "sinan/Module/ModuleEmitter.h"
#include "sinan/Pipelines/CompilePipeline.h"
#include "sinan/Support/DiagnosticPrinter.h"
#include "sinan/Support/ToolOptions.h"
#include "sinan/runtime/Target.h"
#include "sinan/runtime/isa/Kernel.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

#include <onnx/onnx_pb.h>

#include <future>

using namespace llvm;

namespace {
cl::OptionCategory toolOptions("sinan-compile options");

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.onnx>"),
                               cl::Required, cl::cat(toolOptions));
cl::opt<std::string> outputFile("o", cl::desc("Output file"),
                                cl::value_desc("file"), cl::init("-"),
                                cl::cat(toolOptions));
cl::opt<std::string>
    compileTo("compile-to",
              cl::desc("Phase to stop after: graph, sched (the host "
                       "program: steps, launches, copies, arena plan), npu "
                       "(SNPU kernels tiled, buffered and synchronized), "
                       "isa (SNPU instructions), module; linalg or llvm "
                       "print the host ops' native kernels"),
              cl::init("graph"), cl::cat(toolOptions));
constexpr const char *kDefaultTarget = "snpu-edge";
cl::opt<std::string>
    targetName("target",
               cl::desc("Target preset or JSON description, or cpu (every op "
                        "on the host: --placement=cpu)"),
               cl::init(kDefaultTarget), cl::cat(toolOptions));
cl::list<std::string>
    inputShapes("input-shape",
                cl::desc("Fix an input's shape: name=1x3x224x224"),
                cl::value_desc("name=shape"), cl::cat(toolOptions));

cl::opt<std::string>
    placement("placement",
              cl::desc("Where module ops run: snpu (every op the SNPU can run "
                       "runs on the device), auto (where a cost model finds "
                       "it cheaper) or cpu (all on the host)"),
              cl::init("auto"), cl::cat(toolOptions));
cl::opt<std::string> placementOverrides(
    "placement-overrides",
    cl::desc("JSON file forcing ops to \"snpu\" or \"cpu\", keyed by ONNX "
             "node name or op:<name>"),
    cl::value_desc("file"), cl::cat(toolOptions));
cl::opt<std::string> placementReport(
    "placement-report",
    cl::desc("Write every op's placement and why (- for stdout; .json for "
             "JSON)"),
    cl::value_desc("file"), cl::cat(toolOptions));

cl::opt<std::string> snpuPrecision(
    "snpu-precision",
    cl::desc("Numerics the SNPU may use: bf16 (matmuls run on the matrix unit "
             "in bf16 with f32 accumulation, the default) or f32 (only ops "
             "the SNPU computes exactly as the host)"),
    cl::init("bf16"), cl::cat(toolOptions));

cl::opt<bool> snpuLayerGroups(
    "snpu-layer-groups",
    cl::desc("With --snpu-precision=bf16, run a grid convolution and the 1x1 "
             "convolution that reads it as one kernel where the estimate "
             "prefers it (default true; docs/layer-groups.md)"),
    cl::init(true), cl::cat(toolOptions));

cl::opt<bool> snpuBf16Activations(
    "snpu-bf16-activations",
    cl::desc("With --snpu-precision=bf16, keep activations that pass between "
             "matrix-unit kernels (and the residuals they add) in DRAM as "
             "bf16 (default true)"),
    cl::init(true), cl::cat(toolOptions));

cl::opt<std::string>
    cpuName("cpu",
            cl::desc("CPU the module's native host code is compiled for: an "
                     "LLVM CPU name (x86-64-v3, the default; znver4), native "
                     "(this machine) or none (host ops run the reference "
                     "kernels)"),
            cl::init("x86-64-v3"), cl::cat(toolOptions));

cl::opt<bool> graphOpt("graph-opt",
                       cl::desc("Run the graph optimizations (canonicalize, "
                                "CSE, fold BatchNorm into conv)"),
                       cl::init(true), cl::cat(toolOptions));

int fail(const Twine &message) {
  WithColor::error(errs(), "sinan-compile") << message << "\n";
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  // --mlir-print-debuginfo shows the ONNX node name of every op.
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  // --mlir-print-ir-after=..., --mlir-timing and friends for the pipelines.
  // Passes first: --mlir-print-ir-after lists the passes registered when it
  // is.
  sinan::registerAllPasses();
  mlir::registerPassManagerCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  sinan::showOnlyToolOptions(
      toolOptions,
      {"mlir-print-ir-after", "mlir-print-ir-before", "mlir-print-ir-after-all",
       "mlir-print-ir-before-all", "mlir-print-debuginfo", "mlir-timing",
       "mlir-timing-display", "mlir-disable-threading"});
  cl::ParseCommandLineOptions(argc, argv, "Sinan compiler driver\n");

  bool cpuPhase = compileTo == "linalg" || compileTo == "llvm";
  bool snpuPhase = compileTo == "npu" || compileTo == "isa";
  bool schedPhase = compileTo == "sched" || compileTo == "module" || cpuPhase;
  if (compileTo != "graph" && !schedPhase && !snpuPhase)
    return fail("--compile-to=" + compileTo +
                ": the phases are graph, sched, npu, isa, module, and for "
                "the host ops' native code linalg and llvm");
  if (cpuPhase && cpuName == "none")
    return fail("--compile-to=" + compileTo +
                " shows native host code; "
                "--cpu=none turns it off");
  if (placement != "snpu" && placement != "cpu" && placement != "auto")
    return fail("--placement=" + placement + ": expected snpu, cpu or auto");
  // --target=cpu: the all-host module, by its own name.
  bool hostTarget = targetName == "cpu";
  if (hostTarget) {
    if (placement.getNumOccurrences() && placement != "cpu")
      return fail("--target=cpu runs every op on the host; --placement=" +
                  placement + " needs an SNPU target");
    placement = "cpu";
  }
  if (snpuPrecision != "bf16" && snpuPrecision != "f32")
    return fail("--snpu-precision=" + snpuPrecision + ": expected bf16 or f32");
  std::string targetError;
  // The SNPU description the passes read (none of it is used when every op
  // is on the host).
  std::string snpuTarget =
      hostTarget ? std::string(kDefaultTarget) : std::string(targetName);
  std::optional<sinan::TargetDesc> target =
      sinan::resolveTarget(snpuTarget, targetError);
  if (!target)
    return fail(targetError);
  sinan::frontend::ImportOptions options;
  for (const std::string &spec : inputShapes)
    if (!sinan::frontend::parseInputShape(spec, options))
      return fail("--input-shape '" + spec +
                  "': expected name=DIMxDIM..., e.g. x=1x3x224x224");
  // The module records the source's SHA-256: hashed alongside the
  // compilation (a large model takes about a second to hash).
  std::future<std::string> sourceHash;
  if (compileTo == "module")
    sourceHash = std::async(std::launch::async, sinan::sha256File,
                            std::string(inputFile));
  mlir::DialectRegistry registry;
  sinan::registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  sinan::DiagnosticPrinter diagnostics(context);
  // --mlir-timing: the import, the passes, then the module writer's phases
  // (LLVM's among them), in one report.
  mlir::DefaultTimingManager timingManager;
  mlir::applyDefaultTimingManagerCLOptions(timingManager);
  mlir::TimingScope timing = timingManager.getRootScope();
  // The importer's problems are MLIR diagnostics, printed as they come.
  mlir::TimingScope importTiming = timing.nest("import ONNX");
  auto module = sinan::frontend::importOnnxFile(inputFile, context, options);
  if (!module)
    return 1;
  importTiming.stop();
  std::string error;
  // One pass manager runs every phase up to --compile-to, so
  // --mlir-print-ir-after and --mlir-timing see the whole pipeline.
  mlir::PassManager pm(&context);
  if (mlir::failed(mlir::applyPassManagerCLOptions(pm)))
    return fail("bad pass manager options");
  pm.enableTiming(timing);
  if (snpuPhase && placement == "cpu")
    return fail("--compile-to=" + compileTo +
                " shows SNPU kernels; --placement=cpu has none");
  sinan::CompilePipelineOptions pipeline;
  pipeline.target = snpuTarget;
  pipeline.phase = cpuPhase ? "module" : std::string(compileTo);
  pipeline.placement = placement;
  pipeline.precision = snpuPrecision;
  pipeline.bf16Activations = snpuBf16Activations;
  pipeline.layerGroups = snpuLayerGroups;
  pipeline.placementOverrides = placementOverrides;
  pipeline.placementReport = placementReport;
  pipeline.graphOpt = graphOpt;
  sinan::buildCompilePipeline(pm, pipeline);
  if (mlir::failed(pm.run(*module)))
    return fail(snpuPhase    ? "SNPU compilation failed"
                : schedPhase ? "scheduling failed"
                             : "graph optimization or placement failed");

  std::error_code ec;
  if (compileTo == "module" || cpuPhase) {
    if (outputFile == "-" && !cpuPhase)
      return fail("--compile-to=module needs an output file (-o model.snm)");
    sinan::ModuleEmitOptions emitOptions;
    emitOptions.target = hostTarget ? "cpu" : target->name;
    emitOptions.targetFingerprint =
        hostTarget ? 0 : sinan::isa::targetFingerprint(*target);
    emitOptions.sourceHash =
        sourceHash.valid() ? sourceHash.get() : sinan::sha256File(inputFile);
    if (placement != "cpu")
      emitOptions.snpu = &*target;
    emitOptions.bf16Matmul = snpuPrecision == "bf16";
    if (cpuName != "none")
      emitOptions.cpu = sinan::CpuCodegenOptions{cpuName};
    mlir::OwningOpRef<mlir::ModuleOp> cpuKernels;
    if (cpuPhase)
      emitOptions.cpuKernels = &cpuKernels;
    mlir::TimingScope writerTiming = timing.nest("module writer");
    emitOptions.timing = &writerTiming;
    auto func = module->lookupSymbol<mlir::func::FuncOp>("main");
    auto bytes = sinan::emitModule(func, emitOptions, error);
    if (!bytes)
      return fail(error);
    if (cpuPhase) {
      // The host ops' kernels, before or after lowering to the LLVM dialect.
      if (!cpuKernels)
        cpuKernels = mlir::ModuleOp::create(mlir::UnknownLoc::get(&context));
      if (compileTo == "llvm" && !sinan::lowerCpuKernels(*cpuKernels, error))
        return fail(error);
      ToolOutputFile out(outputFile, ec, sys::fs::OF_Text);
      if (ec)
        return fail(outputFile + ": " + ec.message());
      cpuKernels->print(out.os());
      out.os() << "\n";
      out.keep();
      return 0;
    }
    ToolOutputFile out(outputFile, ec, sys::fs::OF_None);
    if (ec)
      return fail(outputFile + ": " + ec.message());
    out.os().write(reinterpret_cast<const char *>(bytes->data()),
                   bytes->size());
    out.keep();
    return 0;
  }
  ToolOutputFile out(outputFile, ec, sys::fs::OF_Text);
  if (ec)
    return fail(outputFile + ": " + ec.message());
  module->print(out.os());
  out.os() << "\n";
  out.keep();
  return 0;
}
