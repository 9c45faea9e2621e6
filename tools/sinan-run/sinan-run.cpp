//===- sinan-run.cpp - Run a model ----------------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
//   sinan-run model.snm [--device cpu|snpu-sim[:PRESET|FILE]] [--repeat N]
//             [--profile trace.json]
//   sinan-run --reference model.onnx [--input-shape name=1x3x224x224]
//             [--graph-opt]
//   common:   [--input name=x.npy | --inputs in.npz] [--output-dir D]
//             [--expected name=y.npy | --expected-npz e.npz]
//             [--rtol R] [--atol A] [--min-cosine C]
//
// A compiled module (.snm) runs through a runtime session on the chosen
// device; --reference instead imports an ONNX model and evaluates it with the
// reference kernels (the golden path). Prints each output's comparison and a
// timing summary; exits 1 when any output is out of tolerance.
//
//===----------------------------------------------------------------------===//

#include "sinan/Dialect/Graph/Transforms/Passes.h"
#include "sinan/Frontend/OnnxImporter.h"
#include "sinan/InitAll.h"
#include "sinan/Interpreter/Evaluator.h"
#include "sinan/Support/DiagnosticPrinter.h"
#include "sinan/Support/ToolOptions.h"
#include "sinan/runtime/Compare.h"
#include "sinan/runtime/Npy.h"
#include "sinan/runtime/exec/Session.h"
#include "sinan/runtime/module/Module.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>

using namespace llvm;

namespace {
cl::OptionCategory toolOptions("sinan-run options");

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.onnx>"),
                               cl::Required, cl::cat(toolOptions));
cl::opt<std::string>
    device("device",
           cl::desc("Device for a .snm module: cpu, snpu-sim (the module's "
                    "target) or snpu-sim:PRESET|FILE"),
           cl::init("cpu"), cl::cat(toolOptions));
cl::opt<std::string> profile("profile",
                             cl::desc("Write the last run's per-step trace "
                                      "(Chrome/Perfetto JSON) of a .snm"),
                             cl::value_desc("trace.json"),
                             cl::cat(toolOptions));
cl::opt<unsigned> repeat("repeat",
                         cl::desc("Run N times; report the median time"),
                         cl::init(1), cl::cat(toolOptions));
cl::opt<unsigned> warmup(
    "warmup",
    cl::desc("Untimed runs before the --repeat timed ones (a session's first "
             "run also packs weights and copies constants to the device)"),
    cl::init(0), cl::cat(toolOptions));
cl::opt<unsigned> hostThreads("host-threads",
                              cl::desc("Host threads for a .snm's host work "
                                       "(default: one per core)"),
                              cl::init(0), cl::cat(toolOptions));
cl::opt<bool> pinHostThreads(
    "pin-host-threads",
    cl::desc("With one host thread per CPU, pin each to its own CPU while it "
             "runs (steadier timings for a process that has the machine)"),
    cl::init(false), cl::cat(toolOptions));
cl::opt<uint64_t> simSeed(
    "sim-seed",
    cl::desc("On snpu-sim, shuffle the order of the engines ready in the same "
             "cycle with this seed (the hazard checker then sees another "
             "legal interleaving; outputs must not change; 0: fixed order)"),
    cl::init(0), cl::cat(toolOptions));
cl::opt<bool> sequential("sequential",
                         cl::desc("Run a .snm's steps one at a time in order "
                                  "(default: independent steps in parallel)"),
                         cl::cat(toolOptions));
cl::opt<bool> native("native",
                     cl::desc("Run a .snm's host ops with its native CPU "
                              "code where it has some (default; "
                              "--native=false: reference kernels)"),
                     cl::init(true), cl::cat(toolOptions));
cl::opt<bool> reference("reference",
                        cl::desc("Evaluate with the reference kernels"),
                        cl::cat(toolOptions));
cl::list<std::string> inputs("input", cl::desc("name=file.npy"),
                             cl::cat(toolOptions));
cl::opt<std::string> inputsNpz("inputs", cl::desc("All inputs from an .npz"),
                               cl::cat(toolOptions));
cl::list<std::string> expected("expected", cl::desc("name=file.npy"),
                               cl::cat(toolOptions));
cl::opt<std::string> expectedNpz("expected-npz",
                                 cl::desc("Expected outputs from an .npz"),
                                 cl::cat(toolOptions));
cl::opt<std::string>
    outputDir("output-dir",
              cl::desc("Write each output as NAME.npy (characters other than "
                       "letters, digits, '_', '-' and '.' become '_')"),
              cl::cat(toolOptions));
cl::opt<double> relTol("rtol", cl::desc("Relative tolerance"), cl::init(1e-4),
                       cl::cat(toolOptions));
cl::opt<double> absTol("atol", cl::desc("Absolute tolerance"), cl::init(1e-5),
                       cl::cat(toolOptions));
cl::opt<double> minCosine("min-cosine", cl::desc("Also require cosine >= x"),
                          cl::init(-2.0), cl::cat(toolOptions));
cl::opt<bool> graphOpt("graph-opt",
                       cl::desc("Evaluate the graph after sinan-compile's "
                                "graph optimizations instead of as imported"),
                       cl::cat(toolOptions));
cl::opt<std::string>
    reportFile("report",
               cl::desc("Write the run's figures (timing, host ops, device "
                        "statistics) as JSON"),
               cl::value_desc("report.json"), cl::cat(toolOptions));
cl::list<std::string> inputShapes("input-shape",
                                  cl::desc("Fix an input's shape: name=1x3x8"),
                                  cl::cat(toolOptions));

int fail(const Twine &message) {
  WithColor::error(errs(), "sinan-run") << message << "\n";
  return 1;
}

/// The file --output-dir writes an output to: its name with every character
/// but letters, digits, '_', '-' and '.' replaced by '_' (ONNX names such as
/// "gpu_0/softmax_1" are not file names), and ".npy".
std::string npyFileName(StringRef name) {
  std::string file = name.str();
  for (char &c : file)
    if (!llvm::isAlnum(c) && c != '_' && c != '-' && c != '.')
      c = '_';
  if (file.empty() || file == "." || file == "..")
    file = "_" + file;
  return file + ".npy";
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

static StringRef engineName(unsigned engine) {
  std::string_view name =
      sinan::isa::engineName(static_cast<sinan::isa::Engine>(engine));
  return StringRef(name.data(), name.size());
}

/// MACs over kernel cycles times the matrix unit's bf16 peak (the kernel
/// library's matrix kernels are bf16); 0 without kernel time.
static double mxuUtilization(const sinan::TargetDesc &target,
                             const sinan::exec::DeviceRunStats &d) {
  uint64_t peak = target.peakMacsPerCycle(sinan::DType::BF16);
  return d.kernelCycles && peak
             ? double(d.macs) / (double(d.kernelCycles) * double(peak))
             : 0.0;
}

/// A kernel's roofline bound in cycles: its op's own MACs at the matrix
/// unit's bf16 peak or its operands and results (each moved once) at the
/// chip's DRAM bandwidth, whichever is slower.
static uint64_t rooflineCycles(const sinan::TargetDesc &target,
                               const sinan::exec::KernelRunStats &k) {
  uint64_t peak = target.peakMacsPerCycle(sinan::DType::BF16);
  uint64_t compute = peak ? (k.usefulMacs + peak - 1) / peak : 0;
  uint64_t memory = target.dramBytesPerCycle
                        ? (k.minimalBytes + target.dramBytesPerCycle - 1) /
                              target.dramBytesPerCycle
                        : 0;
  return std::max(compute, memory);
}

/// The share of the matrix unit's work that was padding, over the kernels
/// that used it (vector-unit convolutions execute no matrix MACs).
static double paddingWaste(const sinan::exec::DeviceRunStats &d) {
  uint64_t executed = 0, useful = 0;
  for (const sinan::exec::KernelRunStats &k : d.kernels)
    if (k.macs) {
      executed += k.macs;
      useful += std::min(k.usefulMacs, k.macs);
    }
  return executed ? 1.0 - double(useful) / double(executed) : 0.0;
}

/// The network's own MACs on the device over the peak for the whole
/// timeline (host-link copies and host ops included).
static double endToEndUtilization(const sinan::TargetDesc &target,
                                  const sinan::exec::DeviceRunStats &d) {
  uint64_t peak = target.peakMacsPerCycle(sinan::DType::BF16);
  return d.timelineCycles && peak
             ? double(d.usefulMacs) / (double(d.timelineCycles) * double(peak))
             : 0.0;
}

/// The simulated side of the last run: launches, host-link copies, cycles
/// and time at the target's clock, and how busy each engine was.
static void printDeviceSummary(const sinan::TargetDesc &target,
                               const sinan::exec::DeviceRunStats &d) {
  uint64_t total = d.kernelCycles + d.copyCycles + d.hostCycles;
  double us = double(total) / double(target.clockMhz);
  outs() << formatv("snpu-sim ({0}, last run): {1} kernel launches, {2} "
                    "launches run as host ops, {3} copies ({4} B to device, "
                    "{5} B to host)\n",
                    target.name, d.launches, d.fallbackLaunches, d.copies,
                    d.bytesToDevice, d.bytesToHost);
  outs() << formatv("  simulated cycles: {0} in kernels + {1} on the host "
                    "link + {2} in host ops = {3} ({4:f3} us at {5} MHz)\n",
                    d.kernelCycles, d.copyCycles, d.hostCycles, total, us,
                    target.clockMhz);
  if (d.hostSteps)
    outs() << formatv("  host ops: {0}, modeled {1} cycles ({2:f3} us, the "
                      "compiler's estimate the timeline charges); measured "
                      "{3:f3} us on this host\n",
                      d.hostSteps, d.hostCycles,
                      double(d.hostCycles) / double(target.clockMhz),
                      d.hostSeconds * 1e6);
  outs() << formatv("  with copies and host ops overlapping independent "
                    "kernels: {0} cycles ({1:f3} us)\n",
                    d.timelineCycles,
                    double(d.timelineCycles) / double(target.clockMhz));
  if (d.kernelCycles == 0)
    return;
  uint64_t engineCycles = d.kernelCycles * target.cores;
  outs() << "  engine busy over kernel time:";
  for (unsigned e = 0; e < sinan::isa::kNumEngines; ++e)
    outs() << formatv(" {0} {1:f1}%", engineName(e),
                      100.0 * double(d.engineBusy[e]) / double(engineCycles));
  outs() << formatv("; {0} MACs ({1:f1}% of the matrix unit's bf16 peak)\n",
                    d.macs, 100.0 * mxuUtilization(target, d));
}

/// The network's MACs by where they ran, utilization, bytes and the kernels
/// that took longest beside their roofline bounds.
static void printNetworkFigures(const sinan::TargetDesc &target,
                                const sinan::exec::DeviceRunStats &d,
                                uint64_t hostMacs) {
  uint64_t all = d.usefulMacs + hostMacs;
  outs() << formatv("  network MACs: {0} on the device ({1:f1}%), {2} on the "
                    "host; matrix-unit padding waste {3:f1}%; end-to-end "
                    "utilization {4:f1}% (device MACs over the bf16 peak for "
                    "the {5} timeline cycles)\n",
                    d.usefulMacs,
                    all ? 100.0 * double(d.usefulMacs) / double(all) : 0.0,
                    hostMacs, 100.0 * paddingWaste(d),
                    100.0 * endToEndUtilization(target, d), d.timelineCycles);
  outs() << formatv("  bytes: {0} to and from DRAM by the kernels (their "
                    "operands and results once each: {1}), {2} over the host "
                    "link\n",
                    d.dramBytes, d.minimalBytes,
                    d.bytesToDevice + d.bytesToHost);
  std::vector<const sinan::exec::KernelRunStats *> slowest;
  for (const sinan::exec::KernelRunStats &k : d.kernels)
    slowest.push_back(&k);
  std::stable_sort(slowest.begin(), slowest.end(),
                   [](auto *a, auto *b) { return a->cycles > b->cycles; });
  if (slowest.size() > 5)
    slowest.resize(5);
  for (const sinan::exec::KernelRunStats *k : slowest) {
    uint64_t bound = rooflineCycles(target, *k);
    std::string estimate =
        k->estimateCycles ? formatv(", estimated {0}", k->estimateCycles).str()
                          : std::string();
    outs() << formatv(
        "  kernel {0}: {1} cycles{4}, roofline {2} ({3:f1}% "
        "of the bound)\n",
        k->name, k->cycles, bound,
        k->cycles ? 100.0 * double(bound) / double(k->cycles) : 0.0, estimate);
  }
  if (d.kernels.size() > 5)
    outs() << formatv("  ({0} more kernels in --report)\n",
                      d.kernels.size() - 5);
}

/// What printNetworkFigures says, and every kernel, as JSON fields.
static void writeNetworkFigures(json::OStream &j,
                                const sinan::TargetDesc &target,
                                const sinan::exec::DeviceRunStats &d,
                                uint64_t hostMacs) {
  j.attribute("device_macs", int64_t(d.usefulMacs));
  j.attribute("host_macs", int64_t(hostMacs));
  j.attribute("padding_waste", paddingWaste(d));
  j.attribute("time_us", double(d.timelineCycles) / double(target.clockMhz));
  j.attribute("end_to_end_utilization", endToEndUtilization(target, d));
  j.attribute("dram_bytes", int64_t(d.dramBytes));
  j.attribute("minimal_dram_bytes", int64_t(d.minimalBytes));
  j.attribute("host_link_bytes", int64_t(d.bytesToDevice + d.bytesToHost));
  j.attributeArray("kernels", [&] {
    for (const sinan::exec::KernelRunStats &k : d.kernels)
      j.object([&] {
        j.attribute("name", k.name);
        j.attribute("cycles", int64_t(k.cycles));
        j.attribute("macs", int64_t(k.usefulMacs));
        j.attribute("executed_matrix_macs", int64_t(k.macs));
        j.attribute("dram_bytes", int64_t(k.dramBytes));
        j.attribute("minimal_dram_bytes", int64_t(k.minimalBytes));
        j.attribute("roofline_cycles", int64_t(rooflineCycles(target, k)));
        if (k.estimateCycles)
          j.attribute("estimate_cycles", int64_t(k.estimateCycles));
        j.attributeObject("engine_busy_cycles", [&] {
          for (unsigned e = 0; e < sinan::isa::kNumEngines; ++e)
            j.attribute(engineName(e), int64_t(k.engineBusy[e]));
        });
      });
  });
}

/// The device side of the last run as JSON fields (see printDeviceSummary).
static void writeDeviceReport(json::OStream &j, const sinan::TargetDesc &target,
                              const sinan::exec::DeviceRunStats &d) {
  j.attribute("target", target.name);
  j.attribute("clock_mhz", int64_t(target.clockMhz));
  j.attribute("cores", int64_t(target.cores));
  j.attribute("launches", int64_t(d.launches));
  j.attribute("fallback_launches", int64_t(d.fallbackLaunches));
  j.attribute("copies", int64_t(d.copies));
  j.attribute("bytes_to_device", int64_t(d.bytesToDevice));
  j.attribute("bytes_to_host", int64_t(d.bytesToHost));
  j.attribute("kernel_cycles", int64_t(d.kernelCycles));
  j.attribute("copy_cycles", int64_t(d.copyCycles));
  j.attribute("host_steps", int64_t(d.hostSteps));
  j.attribute("host_cycles", int64_t(d.hostCycles));
  j.attribute("host_measured_us", d.hostSeconds * 1e6);
  j.attribute("timeline_cycles", int64_t(d.timelineCycles));
  j.attribute("macs", int64_t(d.macs));
  j.attribute("peak_macs_per_cycle_bf16",
              int64_t(target.peakMacsPerCycle(sinan::DType::BF16)));
  j.attribute("mxu_utilization", mxuUtilization(target, d));
  j.attributeObject("engine_busy_cycles", [&] {
    for (unsigned e = 0; e < sinan::isa::kNumEngines; ++e)
      j.attribute(engineName(e), int64_t(d.engineBusy[e]));
  });
}

/// What sinan-run executes: named inputs and outputs and a run function.
struct Program {
  std::vector<std::string> inputNames, outputNames;
  std::function<bool(const std::vector<sinan::Tensor> &,
                     std::vector<sinan::Tensor> &, std::string &)>
      run;
  std::string label; // For the timing line.
};

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  // LLVM's own statistics flag takes the name `--stats-json`, which the SNPU
  // figures answer to here: it moves to `--llvm-stats-json` (registered
  // options exist only once the registry is first asked for them, hence an
  // alias made here rather than at static initialization).
  if (auto &options = cl::getRegisteredOptions(); options.count("stats-json"))
    options["stats-json"]->setArgStr("llvm-stats-json");
  cl::alias statsJson(
      "stats-json", cl::desc("Alias for --report: the run's figures as JSON"),
      cl::aliasopt(reportFile), cl::cat(toolOptions), cl::NotHidden);
  sinan::showOnlyToolOptions(toolOptions);
  cl::ParseCommandLineOptions(argc, argv, "Sinan model runner\n");
  std::string error;
  Program program;
  // Owners of whatever the program's run function uses.
  std::unique_ptr<sinan::module::Module> loaded;
  std::unique_ptr<sinan::exec::Device> runDevice;
  std::unique_ptr<sinan::exec::Session> session;
  mlir::DialectRegistry registry;
  sinan::registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  sinan::DiagnosticPrinter diagnostics(context);
  mlir::OwningOpRef<mlir::ModuleOp> imported;
  sinan::exec::RunStats stats;

  if (sinan::module::hasModuleMagic(inputFile)) {
    if (reference)
      return fail("--reference evaluates ONNX models; " + inputFile +
                  " is a compiled module (run it with --device cpu)");
    loaded = sinan::module::Module::load(inputFile, error);
    if (!loaded)
      return fail(error);
    const sinan::module::ModuleDesc &m = loaded->desc();
    runDevice = sinan::exec::openDevice(device, m.target, error, hostThreads);
    if (!runDevice)
      return fail("--device " + device + ": " + error);
    runDevice->setHostThreadPinning(pinHostThreads);
    if (!runDevice->setSimulatorSeed(simSeed))
      return fail("--sim-seed: device " + runDevice->name() +
                  " runs no simulator");
    session = sinan::exec::Session::create(*loaded, *runDevice, error);
    if (!session)
      return fail(inputFile + ": " + error);
    session->setParallel(!sequential);
    session->setNativeCode(native);
    if (!session->nativeCodeProblem().empty())
      errs() << "sinan-run: warning: native code not used, host ops run the "
                "reference kernels: "
             << session->nativeCodeProblem() << "\n";
    for (uint32_t id : m.inputs)
      program.inputNames.push_back(m.values[id].name);
    for (uint32_t id : m.outputs)
      program.outputNames.push_back(m.values[id].name);
    stats.recordSteps = !profile.empty();
    program.run = [&](const std::vector<sinan::Tensor> &in,
                      std::vector<sinan::Tensor> &out, std::string &e) {
      return session->run(in, out, e, &stats);
    };
    program.label = formatv(
        "{0} ({1} steps, {2} KiB arena, {3}, {4} host thread{5}{6})",
        runDevice->name(), m.steps.size(), (m.arenaSize + 1023) / 1024,
        session->runsInParallel() ? "parallel" : "sequential",
        runDevice->hostThreads(), runDevice->hostThreads() == 1 ? "" : "s",
        runDevice->hostThreadsPinned() ? ", pinned" : "");
  } else {
    if (!profile.empty())
      return fail("--profile traces the steps of a compiled module (.snm)");
    if (!reference)
      return fail(inputFile + " is not a compiled module; compile it with "
                              "sinan-compile --compile-to=module, or use "
                              "--reference to evaluate an ONNX model");
    sinan::frontend::ImportOptions options;
    for (const std::string &spec : inputShapes)
      if (!sinan::frontend::parseInputShape(spec, options))
        return fail("--input-shape '" + spec + "': expected name=1x3x224x224");
    // The importer's problems are MLIR diagnostics, printed as they come.
    imported = sinan::frontend::importOnnxFile(inputFile, context, options);
    if (!imported)
      return 1;
    if (graphOpt) {
      mlir::PassManager pm(&context);
      sinan::graph::buildGraphOptimizationPipeline(pm);
      if (mlir::failed(pm.run(*imported)))
        return fail("graph optimization failed");
    }
    auto func = imported->lookupSymbol<mlir::func::FuncOp>("main");
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      program.inputNames.push_back(
          func.getArgAttrOfType<mlir::StringAttr>(i, "graph.name").str());
    for (unsigned i = 0; i < func.getNumResults(); ++i)
      program.outputNames.push_back(
          func.getResultAttrOfType<mlir::StringAttr>(i, "graph.name").str());
    program.run = [func](const std::vector<sinan::Tensor> &in,
                         std::vector<sinan::Tensor> &out,
                         std::string &e) mutable {
      auto results = sinan::evaluate(func, in, e);
      if (!results)
        return false;
      out = std::move(*results);
      return true;
    };
    program.label = "reference evaluation";
  }

  std::map<std::string, sinan::Tensor> given, wanted;
  if (!collect(inputs, inputsNpz, given, error) ||
      !collect(expected, expectedNpz, wanted, error))
    return fail(error);
  std::vector<sinan::Tensor> arguments;
  for (const std::string &name : program.inputNames) {
    auto it = given.find(name);
    if (it == given.end())
      return fail("no value for model input '" + name + "' (give --input " +
                  name + "=file.npy)");
    arguments.push_back(it->second);
    given.erase(it);
  }
  // Leftovers are errors, except that an .npz may also hold the outputs.
  for (const auto &[name, tensor] : given) {
    bool isOutput = llvm::is_contained(program.outputNames, name);
    if (!isOutput || inputsNpz.empty())
      return fail("'" + name + "' is not an input of the model");
  }

  std::vector<sinan::Tensor> outputs;
  std::vector<double> times;
  for (unsigned r = 0; r < warmup; ++r)
    if (!program.run(arguments, outputs, error))
      return fail(error);
  for (unsigned r = 0; r < std::max(1u, repeat.getValue()); ++r) {
    auto start = std::chrono::steady_clock::now();
    if (!program.run(arguments, outputs, error))
      return fail(error);
    times.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count());
  }

  bool ok = true;
  for (unsigned i = 0; i < outputs.size(); ++i) {
    const std::string &name = program.outputNames[i];
    const sinan::Tensor &out = outputs[i];
    outs() << name << ": " << out.describe();
    if (!outputDir.empty()) {
      SmallString<256> path(outputDir);
      sys::fs::create_directories(path);
      sys::path::append(path, npyFileName(name));
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
  if (!profile.empty()) {
    std::error_code ec;
    raw_fd_ostream trace(profile, ec);
    if (ec)
      return fail(profile + ": " + ec.message());
    const sinan::module::ModuleDesc &m = loaded->desc();
    trace << "{\"traceEvents\": [";
    for (size_t i = 0; i < stats.steps.size(); ++i) {
      const sinan::exec::StepTiming &t = stats.steps[i];
      const sinan::module::StepDesc &step = m.steps[t.step];
      std::string outputsText;
      for (uint32_t v : step.outputs)
        outputsText += (outputsText.empty() ? "" : ", ") + m.values[v].name;
      trace << (i ? ",\n" : "\n")
            << formatv("  {{\"name\": \"{0}\", \"ph\": \"X\", \"pid\": 0, "
                       "\"tid\": 0, \"ts\": {1:f3}, \"dur\": {2:f3}, "
                       "\"args\": {{\"step\": {3}, \"kind\": \"{4}\", "
                       "\"outputs\": \"{5}\", \"device_cycles\": {6}}}",
                       !step.op.empty() ? step.op
                       : step.kind == sinan::module::StepKind::KernelLaunch
                           ? m.kernels[step.kernel].name
                           : sinan::module::stepKindName(step.kind),
                       t.start * 1e6, t.seconds * 1e6, t.step,
                       sinan::module::stepKindName(step.kind), outputsText,
                       t.deviceCycles);
    }
    trace << "\n], \"displayTimeUnit\": \"ns\"}\n";
    outs() << formatv("profile: {0} steps written to {1}\n", stats.steps.size(),
                      profile.getValue());
  }
  std::sort(times.begin(), times.end());
  outs() << formatv("{0}: {1:f3} ms host wall time", program.label,
                    times[times.size() / 2] * 1e3);
  if (times.size() > 1)
    outs() << formatv(" (median of {0}; min {1:f3} ms, max {2:f3} ms)",
                      times.size(), times.front() * 1e3, times.back() * 1e3);
  outs() << "\n";
  if (loaded)
    outs() << formatv("host ops: {0} native ({1}), {2} on the reference "
                      "kernels\n",
                      stats.nativeSteps,
                      loaded->desc().cpuObject.empty()
                          ? "no CPU object"
                          : "CPU object for " + loaded->desc().cpuObject.cpu,
                      stats.hostOpSteps);
  if (runDevice && runDevice->target()) {
    printDeviceSummary(*runDevice->target(), stats.device);
    printNetworkFigures(*runDevice->target(), stats.device, stats.hostMacs);
  }
  if (!reportFile.empty()) {
    std::error_code ec;
    raw_fd_ostream os(reportFile, ec);
    if (ec)
      return fail(reportFile + ": " + ec.message());
    json::OStream j(os, 2);
    j.object([&] {
      j.attribute("input", inputFile.getValue());
      j.attribute("runner", program.label);
      j.attribute("device", loaded ? runDevice->name() : "reference");
      j.attributeObject("time_ms", [&] {
        j.attribute("median", times[times.size() / 2] * 1e3);
        j.attribute("min", times.front() * 1e3);
        j.attribute("max", times.back() * 1e3);
        j.attribute("runs", int64_t(times.size()));
      });
      j.attributeArray("outputs", [&] {
        for (unsigned i = 0; i < outputs.size(); ++i)
          j.object([&] {
            j.attribute("name", program.outputNames[i]);
            j.attribute("type", outputs[i].describe());
          });
      });
      if (!loaded)
        return;
      j.attributeObject("host_ops", [&] {
        j.attribute("native", int64_t(stats.nativeSteps));
        j.attribute("reference", int64_t(stats.hostOpSteps));
        j.attribute("macs", int64_t(stats.hostMacs));
      });
      if (runDevice->target())
        j.attributeObject("snpu", [&] {
          writeDeviceReport(j, *runDevice->target(), stats.device);
          writeNetworkFigures(j, *runDevice->target(), stats.device,
                              stats.hostMacs);
        });
    });
    os << "\n";
  }
  return ok ? 0 : 1;
}
