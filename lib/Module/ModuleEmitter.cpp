//===- ModuleEmitter.cpp - A schedule translated into a module ------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The module writer translates a planned schedule (sinan-form-snpu-kernels,
// sinan-insert-copies, sinan-plan-memory): every op of the host function is
// one step (a host op, a launch of the kernel function it names, a copy),
// every value keeps the arena offset the plan gave it. It compiles and
// encodes each distinct kernel once and builds the CPU object; it decides
// nothing about where ops run, what is copied or where values live.
//
//===----------------------------------------------------------------------===//

#include "sinan/Module/ModuleEmitter.h"

#include "sinan/Pipelines/SchedulePipeline.h"
#include "sinan/Pipelines/SnpuKernel.h"

#include "sinan/Conversion/GraphToLinalg.h"
#include "sinan/Conversion/GraphToNpu.h"
#include "sinan/Placement/Placement.h"

#include "sinan/Bridge/RuntimeBridge.h"
#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Npu/IR/NpuOps.h"
#include "sinan/Dialect/Sched/IR/SchedOps.h"
#include "sinan/runtime/module/Module.h"
#include "sinan/runtime/ref/HostOps.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/xxhash.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

using namespace mlir;

namespace sinan {
namespace {

using module::StepKind;
using module::ValueKind;
using Placement = module::Location;

/// The op's attributes as its step carries them: hostOpAttributes, and the
/// network's MACs when the op stands for others' (kNetworkMacsAttrName),
/// which the run's figures count instead of its own.
std::vector<Attr> stepAttributes(Operation *op) {
  std::vector<Attr> attrs = hostOpAttributes(op);
  if (auto macs = op->getAttrOfType<IntegerAttr>(kNetworkMacsAttrName))
    attrs.push_back({"network_macs", int64_t(macs.getInt())});
  return attrs;
}

std::string where(Operation *op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  op->getLoc().print(os);
  return text;
}

/// A name for a value defined at `loc` (the ONNX node or tensor name).
std::string nameOf(Location loc, const std::string &fallback) {
  return placement::onnxName(loc).value_or(fallback);
}

/// The bindings (inputs, then outputs) SNPU kernel function `kernel` keeps
/// in DRAM as bf16 by its storage casts.
std::vector<int64_t> storedAsBF16(func::FuncOp kernel) {
  std::vector<int64_t> stored;
  if (!kernel)
    return stored;
  Block &body = kernel.getBody().front();
  for (BlockArgument arg : body.getArguments())
    if (llvm::any_of(arg.getUsers(),
                     [](Operation *user) { return isStorageCast(user); }))
      stored.push_back(arg.getArgNumber());
  for (auto [i, value] : llvm::enumerate(body.getTerminator()->getOperands()))
    if (isStorageCast(value.getDefiningOp()))
      stored.push_back(int64_t(body.getNumArguments() + i));
  return stored;
}

class Emitter {
public:
  explicit Emitter(const ModuleEmitOptions &options)
      : snpu(options.snpu), bf16Matmul(options.bf16Matmul), cpu(options.cpu),
        cpuKernelsOut(options.cpuKernels), timing(options.timing) {
    desc.compilerVersion = "sinan " SINAN_VERSION_STRING;
    desc.target = options.target;
    desc.targetFingerprint = options.targetFingerprint;
    desc.sourceHash = options.sourceHash;
  }

  bool run(func::FuncOp func, std::string &error);
  std::vector<uint8_t> bytes() {
    TimingScope writing = timed("serialize");
    return module::writeModule(desc, constants);
  }

private:
  /// Adds a value of `value`'s type; `value` is null for copies, which take
  /// `typeOf`'s type.
  std::optional<uint32_t> addValue(Value value, const std::string &name,
                                   ValueKind kind, std::string &error,
                                   Value typeOf = {});
  bool addStep(Operation *op, std::string &error);
  /// A view step: a reshape whose result has its input's bytes (a device
  /// value's, or a host intermediate's where the plan gave both one
  /// offset), a sched.concat whose operands the plan laid end to end in
  /// its bytes, or a sched.slice, a run of its operand's.
  bool addViewStep(Operation *view, Placement placement, std::string &error);
  /// The host arena offset planned for `value`, or -1 where it has none of
  /// its own (a function argument, a constant, a returned value).
  int64_t plannedHostOffset(Value value);
  bool addLaunch(npu::LaunchOp launch, std::string &error);
  bool addCopyStep(Operation *copy, std::string &error);
  uint32_t addCopy(uint32_t id, Placement to, ValueKind kind,
                   const std::string &name);
  /// Results of `op` as step outputs named after `op` (with `suffix`), in
  /// `where`.
  bool addResults(Operation *op, module::StepDesc &step, Placement where,
                  const std::string &suffix, std::string &error);
  /// The inputs of a step reading `operands`, and the steps it waits for.
  void addInputs(module::StepDesc &step, ValueRange operands);
  /// The kernel running `ops` (kernelOps of a launch), added once per key.
  int32_t kernelFor(ArrayRef<Operation *> ops, std::string &error);
  /// Describes kernel function `kernel`'s ops as the host op subgraph, its
  /// fallback.
  bool describeSubgraph(func::FuncOp kernel, module::StepDesc &step,
                        std::string &error);
  /// Describes the elementwise chain `ops` (a kernel's body) as the host
  /// op elementwise_chain, its fallback.
  bool describeChain(ArrayRef<Operation *> ops, module::StepDesc &step,
                     std::string &error);
  /// The ops a launched kernel function runs: its primary op, then the
  /// epilogue it absorbed (constants and the return left out).
  SmallVector<Operation *, 2> kernelOps(npu::LaunchOp launch,
                                        std::string &error);
  /// Whether `constant` is only ever the weights of convolutions (and
  /// matmuls) launched on the SNPU's matrix unit (whose kernels pack their
  /// own bf16 copy).
  bool onlySnpuPackedWeights(graph::ConstantOp constant);
  bool addOutputs(func::FuncOp func, func::ReturnOp ret, std::string &error);
  /// Offsets and arena sizes from sinan-plan-memory.
  bool applyPlan(func::FuncOp func, std::string &error);
  /// The CPU object entry for host op `op` (built once per op, attributes
  /// and types), or -1 when the CPU path does not cover it.
  int32_t fusedEntryFor(sched::HostKernelOp kernel, std::string &error);
  /// The entry under `key`, or a new one named after `kind` that `build`
  /// adds to the CPU kernels (false: no kernel, with the error set), with
  /// the range and unit work `slicing` gives and the inputs it reads
  /// packed.
  int32_t cachedCpuEntry(const std::string &key, StringRef kind,
                         function_ref<bool(StringRef symbol)> build,
                         function_ref<std::pair<int64_t, int64_t>()> slicing,
                         std::vector<module::CpuPackingDesc> packing = {});
  bool addFusedKernel(sched::HostKernelOp kernel, std::string &error);
  /// Adds `step` (inputs and native entry set) with `op`'s results.
  bool addHostStep(Operation *op, module::StepDesc step, std::string &error);
  int32_t cpuEntryFor(Operation *op, std::string &error,
                      const CpuEpilogue &epilogue = {});
  /// One host step for a host kernel: its first op with the epilogue as
  /// the attributes the reference kernels apply too.
  bool addHostKernel(sched::HostKernelOp kernel, std::string &error);
  /// Compiles the CPU kernels into the module's CPU object.
  bool finishCpuObject(std::string &error);

  module::ModuleDesc desc;
  std::vector<std::vector<uint8_t>> constants;
  const TargetDesc *snpu;
  bool bf16Matmul;
  llvm::DenseMap<Value, uint32_t> ids;
  std::map<std::string, int32_t> kernelIndex;
  std::vector<int64_t> producer; // Step writing each value, or -1.
  /// Op results the function returns directly, with their result index.
  llvm::DenseMap<Value, unsigned> returned;
  func::FuncOp function;
  std::optional<CpuCodegenOptions> cpu;
  std::optional<CpuKernelOptions> cpuKernelOptions;
  OwningOpRef<ModuleOp> *cpuKernelsOut;
  OwningOpRef<ModuleOp> cpuKernels;
  std::vector<std::string> cpuSymbols;
  /// Each entry's slice range and grain.
  std::vector<std::pair<int64_t, int64_t>> cpuSlicing;
  /// The writer's phases' timers (--mlir-timing), or null.
  TimingScope *timing;
  /// A phase timed under `timing` (same-named phases add up).
  TimingScope timed(StringRef name) {
    return timing ? timing->nest(name) : TimingScope();
  }
  /// Per CPU entry: the inputs it reads packed.
  std::vector<std::vector<module::CpuPackingDesc>> cpuPacking;
  std::map<std::string, int32_t> cpuEntryIndex;
};

std::optional<uint32_t> Emitter::addValue(Value value, const std::string &name,
                                          ValueKind kind, std::string &error,
                                          Value typeOf) {
  Type valueType = value ? value.getType() : typeOf.getType();
  auto type = dyn_cast<RankedTensorType>(valueType);
  std::optional<DType> dtype =
      type ? toDType(type.getElementType()) : std::nullopt;
  if (!type || !type.hasStaticShape() || !dtype) {
    error = llvm::formatv("'{0}' has type {1}; modules need static shapes of "
                          "supported element types (fix dynamic dimensions "
                          "with --input-shape)",
                          name, valueType);
    return std::nullopt;
  }
  module::ValueDesc v;
  v.name = name;
  v.kind = kind;
  v.dtype = *dtype;
  v.shape.assign(type.getShape().begin(), type.getShape().end());
  desc.values.push_back(std::move(v));
  producer.push_back(-1);
  uint32_t id = desc.values.size() - 1;
  if (value)
    ids[value] = id;
  return id;
}

bool Emitter::addStep(Operation *op, std::string &error) {
  std::string name = op->getName().stripDialect().str();
  if (!ref::isHostOp(name)) {
    error = where(op) + ": '" + op->getName().getStringRef().str() +
            "' has no host kernel to put in a module";
    return false;
  }
  // (A reshape is a view wherever it was placed: of a host value, the host
  // op that the memory plan makes a copy onto itself.)
  if (isPlacedOn(op, "snpu") && !llvm::isa<graph::ReshapeOp>(op)) {
    error = where(op) + ": '" + op->getName().getStringRef().str() +
            "' is placed on the SNPU, but " +
            (snpu ? "the SNPU has no kernel for it"
                  : "the module is compiled for the host only");
    return false;
  }
  module::StepDesc step;
  step.kind = StepKind::HostOp;
  step.op = name;
  step.attributes = stepAttributes(op);
  if (auto cycles = op->getAttrOfType<IntegerAttr>(kHostCyclesAttrName))
    step.hostCycles = uint64_t(std::max<int64_t>(0, cycles.getInt()));
  addInputs(step, op->getOperands());
  step.cpuEntry = cpuEntryFor(op, error);
  return error.empty() && addHostStep(op, std::move(step), error);
}

void Emitter::addInputs(module::StepDesc &step, ValueRange operands) {
  std::set<uint32_t> deps;
  for (Value operand : operands) {
    uint32_t id = ids.at(operand);
    step.inputs.push_back(id);
    if (producer[id] >= 0)
      deps.insert(producer[id]);
  }
  step.deps.assign(deps.begin(), deps.end());
}

bool Emitter::addResults(Operation *op, module::StepDesc &step, Placement where,
                         const std::string &suffix, std::string &error) {
  uint32_t index = desc.steps.size();
  for (OpResult result : op->getResults()) {
    auto it = returned.find(result);
    bool isOutput = it != returned.end() && where == Placement::Host;
    std::string valueName =
        nameOf(op->getLoc(), llvm::formatv("v{0}", desc.values.size()).str());
    if (op->getNumResults() > 1)
      valueName += ":" + std::to_string(result.getResultNumber());
    valueName += suffix;
    if (isOutput)
      if (auto attr = function.getResultAttrOfType<StringAttr>(it->second,
                                                               "graph.name"))
        valueName = attr.str();
    auto id =
        addValue(result, valueName,
                 isOutput ? ValueKind::Output : ValueKind::Intermediate, error);
    if (!id) {
      error = sinan::where(op) + ": " + error;
      return false;
    }
    desc.values[*id].location = where;
    producer[*id] = index;
    step.outputs.push_back(*id);
  }
  return true;
}

uint32_t Emitter::addCopy(uint32_t id, Placement to, ValueKind kind,
                          const std::string &name) {
  module::ValueDesc value = desc.values[id];
  value.name = name;
  value.kind = kind;
  value.location = to;
  desc.values.push_back(std::move(value));
  uint32_t copy = desc.values.size() - 1;
  module::StepDesc step;
  step.kind =
      to == Placement::Device ? StepKind::CopyToDevice : StepKind::CopyToHost;
  step.inputs = {id};
  step.outputs = {copy};
  if (producer[id] >= 0)
    step.deps = {static_cast<uint32_t>(producer[id])};
  producer.push_back(desc.steps.size());
  desc.steps.push_back(std::move(step));
  return copy;
}

/// A copy step: its value is the source's, in the other memory, named
/// after it (`.dev` on the device).
bool Emitter::addCopyStep(Operation *copy, std::string &error) {
  Value source = copy->getOperand(0);
  auto it = ids.find(source);
  if (it == ids.end()) {
    error = where(copy) + ": copies a value the module does not have";
    return false;
  }
  bool toDevice = llvm::isa<sched::ToDeviceOp>(copy);
  std::string name = desc.values[it->second].name;
  if (toDevice)
    name += ".dev";
  else if (llvm::StringRef(name).ends_with(".dev"))
    name.resize(name.size() - 4);
  Value result = copy->getResult(0);
  auto out = returned.find(result);
  bool isOutput = out != returned.end() && !toDevice;
  if (isOutput)
    if (auto attr =
            function.getResultAttrOfType<StringAttr>(out->second, "graph.name"))
      name = attr.str();
  uint32_t id =
      addCopy(it->second, toDevice ? Placement::Device : Placement::Host,
              isOutput ? ValueKind::Output : ValueKind::Intermediate, name);
  ids[result] = id;
  return true;
}

/// The kernel's packed operands as the runtime's packed inputs (a host
/// op's operands are its step's first inputs, in order).
static std::vector<module::CpuPackingDesc>
packingOf(ArrayRef<CpuOperandPacking> operands) {
  std::vector<module::CpuPackingDesc> packing;
  for (const CpuOperandPacking &p : operands)
    packing.push_back({p.operand, p.k, p.panel});
  return packing;
}

/// What a host op's native kernel depends on: `op` printed (its region,
/// for a fused chain) without discardable attributes, the compiler's notes
/// (memory offsets, placement). With them, ConvNeXt-T's 18 blocks, each at
/// its own offsets, compiled 110 kernels instead of 59.
static std::string kernelKey(Operation *op) {
  Operation *copy = op->clone();
  copy->walk([](Operation *nested) {
    for (NamedAttribute attr : llvm::to_vector(nested->getDiscardableAttrs()))
      nested->removeDiscardableAttr(attr.getName());
  });
  std::string key;
  llvm::raw_string_ostream os(key);
  copy->print(os, OpPrintingFlags().useLocalScope());
  copy->destroy();
  return key;
}

int32_t Emitter::cpuEntryFor(Operation *op, std::string &error,
                             const CpuEpilogue &epilogue) {
  if (!cpu || !hasLinalgKernel(op) || !takesEpilogue(op, epilogue))
    return -1;
  // The printed op carries its operand and result types.
  std::string key = kernelKey(op);
  llvm::raw_string_ostream os(key);
  if (!epilogue.empty())
    os << " epilogue " << epilogue.residual << " " << epilogue.activation << " "
       << epilogue.min.value_or(NAN) << " " << epilogue.max.value_or(NAN);
  if (!cpuKernelOptions) {
    std::optional<unsigned> bits = cpuVectorBits(*cpu, error);
    if (!bits)
      return -1;
    cpuKernelOptions = CpuKernelOptions{*bits, cpuL2CacheBytes(*cpu)};
  }
  return cachedCpuEntry(
      key, op->getName().stripDialect(),
      [&](StringRef symbol) {
        if (succeeded(buildLinalgKernel(op, symbol, *cpuKernels,
                                        *cpuKernelOptions, epilogue)))
          return true;
        error = where(op) + ": no CPU kernel";
        return false;
      },
      [&] {
        return std::pair(linalgKernelExtent(op, *cpuKernelOptions),
                         linalgKernelSliceWork(op, *cpuKernelOptions));
      },
      packingOf(linalgKernelPacking(op, *cpuKernelOptions)));
}

int32_t
Emitter::cachedCpuEntry(const std::string &key, StringRef kind,
                        function_ref<bool(StringRef symbol)> build,
                        function_ref<std::pair<int64_t, int64_t>()> slicing,
                        std::vector<module::CpuPackingDesc> packing) {
  auto it = cpuEntryIndex.find(key);
  if (it != cpuEntryIndex.end())
    return it->second;
  if (!cpuKernels)
    cpuKernels = ModuleOp::create(UnknownLoc::get(function.getContext()));
  std::string symbol =
      llvm::formatv("sinan_cpu_{0}_{1}", cpuSymbols.size(), kind).str();
  TimingScope generating = timed("CPU kernels (linalg, vector)");
  if (!build(symbol))
    return -1;
  generating.stop();
  cpuSymbols.push_back(symbol);
  // A thread task of at least ~64k multiply-adds or elements.
  auto [extent, unitWork] = slicing();
  int64_t work = std::max<int64_t>(unitWork, 1);
  cpuSlicing.push_back(
      {extent, std::max<int64_t>(1, (int64_t(1) << 16) / work)});
  cpuPacking.push_back(std::move(packing));
  return cpuEntryIndex[key] = cpuSymbols.size() - 1;
}

bool Emitter::finishCpuObject(std::string &error) {
  if (cpuSymbols.empty())
    return true;
  if (cpuKernelsOut) {
    *cpuKernelsOut = std::move(cpuKernels);
    return true;
  }
  TimingScope objectTiming = timed("CPU object");
  std::optional<module::CpuObjectDesc> object = buildCpuObject(
      *cpuKernels, cpuSymbols, *cpu, error, timing ? &objectTiming : nullptr);
  objectTiming.stop();
  if (!object)
    return false;
  desc.cpuObject = std::move(*object);
  for (size_t e = 0; e < cpuSlicing.size(); ++e) {
    std::tie(desc.cpuObject.entries[e].extent,
             desc.cpuObject.entries[e].grain) = cpuSlicing[e];
    desc.cpuObject.entries[e].packing = cpuPacking[e];
  }
  // Each entry records the binding types of the first step using it; every
  // other step using it has the same types (they are part of the key).
  for (const module::StepDesc &step : desc.steps)
    if (step.cpuEntry >= 0 &&
        desc.cpuObject.entries[step.cpuEntry].signature.empty())
      desc.cpuObject.entries[step.cpuEntry].signature = module::signatureOf(
          desc, step.inputs, step.outputs, cpuPacking[step.cpuEntry]);
  return true;
}

/// The kernel for `op` (added to the module once per op and shape), -1 when
/// the SNPU cannot run it (error empty) or on failure. What the SNPU runs is
/// placement::snpuSupport's to say.
int32_t Emitter::kernelFor(ArrayRef<Operation *> ops, std::string &error) {
  Operation *op = ops.front();
  placement::SnpuSupport support =
      placement::snpuSupport(op, *snpu, bf16Matmul);
  if (!support)
    return -1;
  std::string name = op->getName().stripDialect().str();
  // Kernels depend on the op, its operand types and the values of the
  // constants they absorb: one kernel per distinct key.
  std::string key;
  llvm::raw_string_ostream os(key);
  os << name
     << (support.kind == placement::KernelKind::Tiled ? "_bf16" : "_f32");
  for (Type type : op->getOperandTypes()) {
    auto shape = cast<RankedTensorType>(type).getShape();
    os << "_"
       << (shape.empty() ? "s"
                         : llvm::join(llvm::map_range(shape,
                                                      [](int64_t d) {
                                                        return llvm::itostr(d);
                                                      }),
                                      "x"));
  }
  // The epilogue the kernel function holds after the op (residual or bias
  // add, relu, clip, GELU, an elementwise chain's ops): each op, its
  // attributes and where each operand comes from (an argument and its
  // shape, an earlier op, a scalar's value), so chains that differ only in
  // a scalar or in operand order get kernels of their own.
  // Where an operand comes from: an argument, an earlier op of the kernel,
  // a scalar constant's value, or something else.
  auto source = [&](llvm::raw_ostream &out, Value operand) {
    auto dense = dyn_cast_if_present<DenseElementsAttr>(
        operand.getDefiningOp<graph::ConstantOp>()
            ? operand.getDefiningOp<graph::ConstantOp>().getValue()
            : Attribute());
    if (auto arg = dyn_cast<BlockArgument>(throughStorage(operand)))
      out << "_a" << arg.getArgNumber();
    else if (auto it = llvm::find(ops, operand.getDefiningOp());
             it != ops.end())
      out << "_r" << (it - ops.begin());
    else if (dense && dense.getNumElements() == 1 &&
             dense.getElementType().isF32())
      out << "_c"
          << llvm::format_hex_no_prefix(
                 llvm::bit_cast<uint32_t>(*dense.getValues<float>().begin()),
                 8);
    else
      out << "_o";
  };
  for (Operation *epilogue : ops.drop_front()) {
    os << "_" << epilogue->getName().stripDialect();
    for (NamedAttribute attr : epilogue->getAttrs())
      if (auto f = dyn_cast<FloatAttr>(attr.getValue()))
        os << "_" << attr.getName().strref()
           << llvm::format_hex_no_prefix(
                  llvm::bit_cast<uint32_t>(
                      static_cast<float>(f.getValueAsDouble())),
                  8);
    for (Value operand : epilogue->getOperands()) {
      source(os, operand);
      if (auto type = dyn_cast<RankedTensorType>(operand.getType()))
        os << "x" << type.getNumElements();
    }
  }
  if (name == "attention") {
    // Its scale and flags, the views' permutations, slices and shapes, and
    // where the attention's own operands come from are compiled in: a
    // stable hash of them keeps the name short.
    std::string details;
    llvm::raw_string_ostream text(details);
    for (Operation *each : ops) {
      for (NamedAttribute attr : each->getAttrs())
        if (attr.getName() != "sinan.placement") {
          text << "_" << attr.getName().strref() << "=";
          attr.getValue().print(text);
        }
      text << "_" << each->getResult(0).getType();
    }
    for (Value operand : op->getOperands())
      source(text, operand);
    os << "_h" << llvm::format_hex_no_prefix(llvm::xxh3_64bits(details), 16);
  }
  if (name == "conv2d" || llvm::any_of(ops, [](Operation *each) {
        return snpuPacksMatmulWeights(each);
      })) {
    // Its weights are packed into the kernel: one kernel per convolution
    // (and matmul of constant weights, also a layer group's second op).
    os << "_" << desc.kernels.size();
  } else if (support.kind == placement::KernelKind::Elementwise) {
    // Attributes (a clip's bounds, a reduction's axes) and the result's
    // shape (a reduction's) are compiled in.
    for (NamedAttribute attr : op->getAttrs())
      if (!op->getDiscardableAttr(attr.getName())) {
        os << "_" << attr.getName().strref();
        if (auto f = dyn_cast<FloatAttr>(attr.getValue()))
          os << llvm::format_hex_no_prefix(
              llvm::bit_cast<uint32_t>(
                  static_cast<float>(f.getValueAsDouble())),
              8);
        else
          os << "=" << attr.getValue();
      }
    for (Type type : op->getResultTypes())
      os << "_r" << type;
    // A one-element constant operand becomes the vector unit's scalar.
    for (Value operand : op->getOperands())
      if (auto constant = operand.getDefiningOp<graph::ConstantOp>())
        if (auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
            dense && dense.getNumElements() == 1 &&
            dense.getElementType().isF32())
          os << "_c"
             << llvm::format_hex_no_prefix(
                    llvm::bit_cast<uint32_t>(*dense.getValues<float>().begin()),
                    8);
  }
  // Arguments and results kept in DRAM as bf16.
  auto function = op->getParentOfType<func::FuncOp>();
  FunctionType storage = function ? function.getFunctionType() : nullptr;
  for (int64_t index : storedAsBF16(function))
    os << "_s" << index;
  auto it = kernelIndex.find(key);
  if (it != kernelIndex.end())
    return it->second;
  // Outlined again in the kernel function's order (kernelBodyOps puts the
  // primary op first), so its arguments come in the launch's order.
  SmallVector<Operation *> ordered(ops.begin(), ops.end());
  llvm::sort(ordered,
             [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  TimingScope compiling = timed("SNPU kernels");
  std::optional<double> estimate;
  std::optional<isa::Kernel> kernel =
      compileSnpuKernel(ordered, *snpu, error, storage, &estimate);
  compiling.stop();
  if (!kernel) {
    error = where(op) + ": " + error;
    return -1;
  }
  desc.kernels.push_back({key, isa::writeKernel(*kernel),
                          estimate ? uint64_t(std::llround(*estimate)) : 0});
  return kernelIndex[key] = desc.kernels.size() - 1;
}

bool Emitter::describeSubgraph(func::FuncOp kernel, module::StepDesc &step,
                               std::string &error) {
  std::string names;
  std::vector<int64_t> arity, operands, ranks, shapes;
  llvm::DenseMap<Value, int64_t> results;
  Block &body = kernel.getBody().front();
  int64_t count = 0, convs = 0;
  Value last;
  std::optional<std::pair<ConvSummation, ConvSummation>> pairSums =
      snpu ? snpuPairSummations(kernel, *snpu) : std::nullopt;
  // A convolution whose sums start from the residual its add takes: the
  // add's other operand becomes the convolution step's last input
  // (residual_first) and the add is no step of its own.
  llvm::DenseMap<Operation *, Value> residualFirst;
  if (pairSums && pairSums->second.residualFirst) {
    auto convs = llvm::to_vector(body.getOps<graph::Conv2dOp>());
    Operation *add = convs.size() == 2 && convs[1]->hasOneUse()
                         ? *convs[1]->getUsers().begin()
                         : nullptr;
    if (auto sum = dyn_cast_or_null<graph::AddOp>(add)) {
      Value conv = convs[1].getResult();
      residualFirst[convs[1]] =
          sum.getLhs() == conv ? sum.getRhs() : sum.getLhs();
      residualFirst[add] = Value();
    }
  }
  // A GELU's pieces inside the kernel (a feed-forward pair's) are one
  // `gelu` step, computed as the vector unit's `vun gelu` is: its last
  // piece stands for it, the others are no steps.
  llvm::DenseMap<Operation *, std::pair<Value, StringRef>> geluLast;
  llvm::SmallPtrSet<Operation *, 8> geluInner;
  for (Operation &op : body.without_terminator()) {
    Value x;
    SmallVector<Operation *, 5> gelu = matchGelu(&op, &x);
    if (gelu.empty() || geluInner.count(&op) || geluLast.count(&op))
      continue;
    geluLast[gelu.back()] = {x, geluUnaryOf(gelu)};
    for (Operation *piece : ArrayRef(gelu).drop_back())
      geluInner.insert(piece);
  }
  for (Operation &op : body.without_terminator()) {
    // A tiled op's constant operands (a product's weights) are copied into
    // the body; the launch still passes them as the first op's operands.
    if (isStorageCast(&op) || llvm::isa<graph::ConstantOp>(op) ||
        geluInner.count(&op))
      continue;
    if (auto it = residualFirst.find(&op);
        it != residualFirst.end() && !it->second) {
      results[op.getResult(0)] = count - 1;
      last = op.getResult(0);
      continue;
    }
    auto type = op.getNumResults() == 1
                    ? dyn_cast<RankedTensorType>(op.getResult(0).getType())
                    : RankedTensorType();
    std::string name = op.getName().stripDialect().str();
    auto gelu = geluLast.find(&op);
    if (gelu != geluLast.end())
      name = "gelu";
    if (!type || !type.hasStaticShape() || !ref::isHostOp(name)) {
      error = where(&op) + ": '" + op.getName().getStringRef().str() +
              "' cannot be a step of a kernel's host fallback";
      return false;
    }
    names += (count ? "," : "") + name;
    SmallVector<Value> stepOperands(op.getOperands());
    if (gelu != geluLast.end()) {
      stepOperands = {gelu->second.first};
      step.attributes.push_back(
          {std::to_string(count) + ":approximate",
           std::string(gelu->second.second == "gelu" ? "none" : "tanh")});
    }
    if (Value residual = residualFirst.lookup(&op))
      stepOperands.push_back(residual);
    arity.push_back(stepOperands.size());
    for (auto [index, operand] : llvm::enumerate(stepOperands)) {
      // A bf16 argument's widening: the fallback gets it widened already
      // (stored_bf16).
      Value value = throughStorage(operand);
      if (auto arg = dyn_cast<BlockArgument>(value)) {
        operands.push_back(arg.getArgNumber());
        continue;
      }
      if (count == 0 && value.getDefiningOp<graph::ConstantOp>()) {
        operands.push_back(int64_t(index));
        continue;
      }
      // A later op's constant copied in for its tiler stands for an
      // argument (sinan-form-layer-groups).
      if (auto constant = value.getDefiningOp<graph::ConstantOp>())
        if (auto arg =
                constant->getAttrOfType<IntegerAttr>(kArgumentAttrName)) {
          operands.push_back(arg.getInt());
          continue;
        }
      auto it = results.find(value);
      if (it == results.end()) {
        error = where(&op) + ": an operand of a kernel's fallback step is "
                             "neither an argument nor an earlier result";
        return false;
      }
      operands.push_back(-1 - it->second);
    }
    ranks.push_back(type.getRank());
    llvm::append_range(shapes, type.getShape());
    if (gelu == geluLast.end())
      for (Attr &attr : hostOpAttributes(&op))
        step.attributes.push_back(
            {std::to_string(count) + ":" + attr.name, std::move(attr.value)});
    // The matrix unit's numerics.
    if (llvm::isa<graph::AttentionOp, graph::MatMulOp, graph::Conv2dOp>(op))
      step.attributes.push_back(
          {std::to_string(count) + ":precision", std::string("bf16")});
    // A pair of convolutions: each in its kernel's order.
    if (llvm::isa<graph::Conv2dOp>(op) && pairSums) {
      const ConvSummation &sum =
          convs++ == 0 ? pairSums->first : pairSums->second;
      step.attributes.push_back(
          {std::to_string(count) + ":sum_chunk", sum.chunk});
      step.attributes.push_back(
          {std::to_string(count) + ":bias_last", int64_t(sum.biasLast)});
      if (residualFirst.lookup(&op))
        step.attributes.push_back(
            {std::to_string(count) + ":residual_first", int64_t(1)});
    }
    results[op.getResult(0)] = count++;
    last = op.getResult(0);
  }
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  if (ret.getNumOperands() != 1 || throughStorage(ret.getOperand(0)) != last) {
    error = where(kernel) + ": the kernel's result is not its last op's";
    return false;
  }
  step.attributes.push_back({"ops", names});
  step.attributes.push_back({"arity", arity});
  step.attributes.push_back({"operands", operands});
  step.attributes.push_back({"ranks", ranks});
  step.attributes.push_back({"shapes", shapes});
  return true;
}

bool Emitter::describeChain(ArrayRef<Operation *> ops, module::StepDesc &step,
                            std::string &error) {
  std::string steps;
  std::vector<int64_t> operands;
  std::vector<double> scalars, lo, hi;
  double none = std::numeric_limits<double>::quiet_NaN();
  Value running;
  // An operand's code: its launch input (the kernel's argument), -1 for the
  // previous step's result, <= -3 for a scalar constant.
  auto code = [&](Value value) -> std::optional<int64_t> {
    if (running && value == running)
      return -1;
    if (auto arg = dyn_cast<BlockArgument>(value))
      return int64_t(arg.getArgNumber());
    if (auto constant = value.getDefiningOp<graph::ConstantOp>()) {
      auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
      if (dense && dense.getNumElements() == 1 &&
          dense.getElementType().isF32()) {
        scalars.push_back(*dense.getValues<float>().begin());
        return -2 - int64_t(scalars.size());
      }
    }
    return std::nullopt;
  };
  auto add = [&](StringRef name, ArrayRef<Value> args, double min = NAN,
                 double max = NAN) {
    steps += (steps.empty() ? "" : ",") + name.str();
    for (size_t j = 0; j < 2; ++j) {
      std::optional<int64_t> c = j < args.size() ? code(args[j]) : -2;
      if (!c) {
        error = where(ops.front()) + ": an operand of a fused elementwise "
                                     "op is neither an argument, the op "
                                     "before nor a scalar constant";
        return false;
      }
      operands.push_back(*c);
    }
    lo.push_back(min);
    hi.push_back(max);
    return true;
  };
  for (size_t i = 0; i < ops.size();) {
    Value x;
    SmallVector<Operation *, 5> gelu = matchGelu(ops[i], &x);
    if (!gelu.empty() && i + gelu.size() <= ops.size() &&
        llvm::equal(gelu, ops.slice(i, gelu.size()))) {
      if (!add(geluUnaryOf(gelu).str(), {x}))
        return false;
      running = gelu.back()->getResult(0);
      i += gelu.size();
      continue;
    }
    Operation *op = ops[i];
    std::optional<double> min, max;
    if (auto clip = dyn_cast<graph::ClipOp>(op)) {
      if (std::optional<APFloat> bound = clip.getMin())
        min = bound->convertToFloat();
      if (std::optional<APFloat> bound = clip.getMax())
        max = bound->convertToFloat();
    }
    SmallVector<Value, 2> args(op->getOperands());
    if (!add(op->getName().stripDialect(), args, min.value_or(none),
             max.value_or(none)))
      return false;
    running = op->getResult(0);
    ++i;
  }
  step.op = "elementwise_chain";
  // (The first op's attributes give way to the chain's; the bindings kept
  // as bf16 stay.)
  std::vector<Attr> stored;
  for (const Attr &attr : step.attributes)
    if (attr.name == "stored_bf16")
      stored.push_back(attr);
  step.attributes = {{"steps", steps},
                     {"operands", operands},
                     {"clip_min", lo},
                     {"clip_max", hi}};
  if (!scalars.empty())
    step.attributes.push_back({"scalars", scalars});
  llvm::append_range(step.attributes, stored);
  return true;
}

SmallVector<Operation *, 2> Emitter::kernelOps(npu::LaunchOp launch,
                                               std::string &error) {
  auto kernel = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
      launch, launch.getKernelAttr());
  SmallVector<Operation *, 2> ops;
  if (!kernel || kernel.isExternal()) {
    error = where(launch) + ": launches '" + launch.getKernel().str() +
            "', which is not a kernel function of the module";
    return ops;
  }
  llvm::append_range(ops, kernelBodyOps(kernel));
  if (ops.empty() ||
      !llvm::isa_and_nonnull<graph::GraphDialect>(ops.front()->getDialect())) {
    error = where(launch) + ": kernel '" + launch.getKernel().str() +
            "' is not a graph op (run the module writer before "
            "sinan-convert-graph-to-npu)";
    ops.clear();
  }
  return ops;
}

bool Emitter::onlySnpuPackedWeights(graph::ConstantOp constant) {
  if (constant->use_empty())
    return false;
  for (Operation *user : constant->getUsers()) {
    if (!llvm::isa<sched::ToDeviceOp>(user) || user->use_empty())
      return false;
    for (OpOperand &use : user->getUses()) {
      auto launch = dyn_cast<npu::LaunchOp>(use.getOwner());
      std::string ignored;
      if (!launch)
        return false;
      SmallVector<Operation *, 2> ops = kernelOps(launch, ignored);
      // A later product's packed weights in a layer group's kernel (the
      // feed-forward pair's W2): its copy in the body names the argument.
      if (use.getOperandNumber() != 1) {
        if (llvm::any_of(ops, [&](Operation *op) {
              auto matmul = dyn_cast<graph::MatMulOp>(op);
              auto copy = matmul ? matmul.getRhs().getDefiningOp() : nullptr;
              auto arg =
                  copy ? copy->getAttrOfType<IntegerAttr>(kArgumentAttrName)
                       : IntegerAttr();
              return arg && arg.getInt() == use.getOperandNumber() &&
                     snpuPacksMatmulWeights(matmul);
            }))
          continue;
        return false;
      }
      // (A norm and product group's product is its second op; a QKV
      // group's, the attention's tiler packs per head.)
      if (!ops.empty() && (snpuPacksMatmulWeights(ops.front()) ||
                           (llvm::isa<graph::LayerNormOp>(ops.front()) &&
                            ops.size() > 1 && snpuPacksMatmulWeights(ops[1])) ||
                           (llvm::isa<graph::AttentionOp>(ops.front()) &&
                            llvm::any_of(ops, [](Operation *op) {
                              return llvm::isa<graph::MatMulOp>(op) &&
                                     snpuPacksMatmulWeights(op);
                            }))))
        continue;
      if (ops.empty() || !llvm::isa<graph::Conv2dOp>(ops.front()))
        return false;
      // The vector unit's depthwise kernel keeps f32 weights.
      std::optional<ConvSummation> sum = snpuConvSummation(ops, *snpu);
      if (sum && sum->fma)
        return false;
    }
  }
  return true;
}

/// A launch step: the kernel compiled from the launched function's ops,
/// with the primary op as the host fallback (with the kernel's numerics).
bool Emitter::addLaunch(npu::LaunchOp launch, std::string &error) {
  if (!snpu) {
    error = where(launch) + ": the module is compiled for the host only";
    return false;
  }
  SmallVector<Operation *, 2> ops = kernelOps(launch, error);
  if (ops.empty())
    return false;
  Operation *op = ops.front();
  int32_t kernel = kernelFor(ops, error);
  if (kernel < 0) {
    if (error.empty())
      error = where(op) + ": the SNPU has no kernel for '" +
              op->getName().getStringRef().str() + "'";
    return false;
  }
  std::string name = op->getName().stripDialect().str();
  module::StepDesc step;
  step.kind = StepKind::KernelLaunch;
  step.kernel = kernel;
  auto finish = [&] {
    addInputs(step, launch.getArgs());
    if (!addResults(launch, step, Placement::Device, ".dev", error))
      return false;
    desc.steps.push_back(std::move(step));
    return true;
  };
  // An attention that reads and writes through views, or a product whose
  // kernel normalizes its rows: the fallback runs the kernel's ops in turn.
  auto function = op->getParentOfType<func::FuncOp>();
  bool subgraph = (llvm::any_of(ops, llvm::IsaPred<graph::AttentionOp>) &&
                   ops.size() > 1) ||
                  (llvm::isa<graph::MatMulOp, graph::LayerNormOp>(op) &&
                   llvm::any_of(ops, llvm::IsaPred<graph::LayerNormOp>) &&
                   llvm::any_of(ops, llvm::IsaPred<graph::MatMulOp>)) ||
                  llvm::count_if(ops, llvm::IsaPred<graph::Conv2dOp>) > 1 ||
                  llvm::count_if(ops, llvm::IsaPred<graph::MatMulOp>) > 1;
  step.op = subgraph ? "subgraph" : name;
  if (subgraph) {
    if (!describeSubgraph(function, step, error))
      return false;
  } else {
    step.attributes = stepAttributes(op);
  }
  // The fallback widens these bindings to f32 and narrows its results.
  if (std::vector<int64_t> stored = storedAsBF16(function); !stored.empty())
    step.attributes.push_back({"stored_bf16", stored});
  if (subgraph)
    return finish();
  if (ops.size() > 1 &&
      !llvm::isa<graph::MatMulOp, graph::Conv2dOp>(ops.front())) {
    // A chain of elementwise ops: its fallback runs them in turn.
    if (!describeChain(ops, step, error))
      return false;
    return finish();
  }
  // A convolution's fallback sums in the kernel's order, so the two agree
  // bit for bit; the vector unit's (fma) keeps f32 inputs.
  std::optional<ConvSummation> sum;
  if (name == "conv2d")
    sum = snpuConvSummation(ops, *snpu);
  if (name == "matmul" || name == "conv2d" || name == "attention")
    step.attributes.push_back(
        {"precision", std::string(sum && sum->fma ? "f32" : "bf16")});
  if (sum) {
    step.attributes.push_back({"sum_chunk", sum->chunk});
    step.attributes.push_back({"bias_last", int64_t(sum->biasLast)});
    if (sum->fma)
      step.attributes.push_back({"fma", int64_t(1)});
    if (sum->winograd)
      step.attributes.push_back({"winograd", int64_t(1)});
  }
  // The kernel's epilogue, which the fallback applies too: residuals (the
  // launch's last inputs, added to the result in turn: a bias row, then a
  // residual) and a relu, clip, GELU or SiLU.
  ArrayRef<Operation *> rest = ArrayRef(ops).drop_front();
  std::optional<size_t> residual; // Its attribute's index.
  for (size_t i = 0; i < rest.size(); ++i) {
    Operation *epilogue = rest[i];
    if (SmallVector<Operation *, 5> gelu = matchGelu(epilogue);
        !gelu.empty() && llvm::equal(gelu, rest.drop_front(i))) {
      step.attributes.push_back({"activation", geluUnaryOf(gelu).str()});
      break;
    }
    Value input = (i == 0 ? ops.front() : rest[i - 1])->getResult(0);
    if (SmallVector<Operation *, 2> silu = siluOf(input);
        !silu.empty() && llvm::equal(silu, rest.drop_front(i))) {
      step.attributes.push_back({"activation", std::string("silu")});
      break;
    }
    if (SmallVector<Operation *, 5> hardSwish = hardSwishOf(input);
        !hardSwish.empty() && llvm::equal(hardSwish, rest.drop_front(i))) {
      step.attributes.push_back({"activation", std::string("hardswish")});
      break;
    }
    if (llvm::isa<graph::AddOp>(epilogue)) {
      if (residual)
        step.attributes[*residual].value =
            std::get<int64_t>(step.attributes[*residual].value) + 1;
      else {
        residual = step.attributes.size();
        step.attributes.push_back({"residual", int64_t(1)});
      }
      continue;
    }
    step.attributes.push_back(
        {"activation", epilogue->getName().stripDialect().str()});
    for (const Attr &attr : hostOpAttributes(epilogue))
      step.attributes.push_back({"activation_" + attr.name, attr.value});
  }
  return finish();
}

/// An elementwise chain: one `fused` step (runtime/ref/Fused.cpp), whose
/// attributes the reference kernels can run op by op.
bool Emitter::addFusedKernel(sched::HostKernelOp kernel, std::string &error) {
  SmallVector<Operation *, 3> chain = kernel.chain();
  module::StepDesc step;
  step.kind = StepKind::HostOp;
  step.op = "fused";
  std::string ops;
  std::vector<int64_t> arity, operands;
  ValueRange args = kernel.getBody().front().getArguments();
  for (auto [i, op] : llvm::enumerate(chain)) {
    std::string name = op->getName().stripDialect().str();
    if (!ref::isHostOp(name) || isPlacedOn(op, "snpu")) {
      error = where(op) + ": '" + op->getName().getStringRef().str() +
              (isPlacedOn(op, "snpu")
                   ? "' is placed on the SNPU, but the SNPU has no kernel "
                     "for it"
                   : "' has no host kernel to put in a module");
      return false;
    }
    ops += (i ? "," : "") + name;
    arity.push_back(op->getNumOperands());
    for (Value operand : op->getOperands()) {
      auto it = llvm::find(args, operand);
      operands.push_back(it == args.end() ? -1 : it - args.begin());
    }
    for (Attr &attr : hostOpAttributes(op))
      step.attributes.push_back(
          {std::to_string(i) + ":" + attr.name, std::move(attr.value)});
  }
  step.attributes.push_back({"ops", ops});
  step.attributes.push_back({"arity", arity});
  step.attributes.push_back({"operands", operands});
  addInputs(step, kernel.getArgs());
  step.cpuEntry = fusedEntryFor(kernel, error);
  return error.empty() && addHostStep(kernel, std::move(step), error);
}

bool Emitter::addViewStep(Operation *view, Placement placement,
                          std::string &error) {
  module::StepDesc step;
  step.kind = StepKind::View;
  addInputs(step, view->getOperands());
  if (!addResults(view, step, placement,
                  placement == Placement::Device ? ".dev" : "", error))
    return false;
  desc.steps.push_back(std::move(step));
  return true;
}

int64_t Emitter::plannedHostOffset(Value value) {
  auto result = dyn_cast<OpResult>(value);
  if (!result || returned.count(value) || sched::onDevice(value) ||
      result.getDefiningOp<graph::ConstantOp>())
    return -1;
  auto offsets = result.getOwner()->getAttrOfType<DenseI64ArrayAttr>(
      sched::kOffsetsAttrName);
  if (!offsets || offsets.size() <= int64_t(result.getResultNumber()))
    return -1;
  return offsets[result.getResultNumber()];
}

bool Emitter::addHostStep(Operation *op, module::StepDesc step,
                          std::string &error) {
  if (!addResults(op, step, Placement::Host, "", error))
    return false;
  desc.steps.push_back(std::move(step));
  return true;
}

int32_t Emitter::fusedEntryFor(sched::HostKernelOp kernel, std::string &error) {
  if (!cpu)
    return -1;
  std::string key = kernelKey(kernel);
  SmallVector<Operation *, 3> chain = kernel.chain();
  return cachedCpuEntry(
      key, "fused",
      [&](StringRef symbol) {
        if (succeeded(buildFusedKernel(chain,
                                       kernel.getBody().front().getArguments(),
                                       symbol, *cpuKernels)))
          return true;
        error = where(chain.front()) + ": no CPU kernel for the fused chain";
        return false;
      },
      [&] {
        return std::pair(fusedKernelExtent(chain), fusedKernelSliceWork(chain));
      });
}

bool Emitter::addHostKernel(sched::HostKernelOp kernel, std::string &error) {
  SmallVector<Operation *, 3> chain = kernel.chain();
  Operation *op = chain.front();
  if (isCpuElementwise(op))
    return addFusedKernel(kernel, error);
  std::string name = op->getName().stripDialect().str();
  if (!ref::isHostOp(name)) {
    error = where(op) + ": '" + op->getName().getStringRef().str() +
            "' has no host kernel to put in a module";
    return false;
  }
  module::StepDesc step;
  step.kind = StepKind::HostOp;
  step.op = name;
  step.attributes = stepAttributes(op);
  CpuEpilogue epilogue;
  for (Operation *next : ArrayRef(chain).drop_front()) {
    if (llvm::isa<graph::AddOp>(next)) {
      // The residual is the kernel's last argument.
      step.attributes.push_back({"residual", int64_t(1)});
      epilogue.residual = kernel.getArgs().back().getType();
      continue;
    }
    epilogue.activation = next->getName().stripDialect().str();
    step.attributes.push_back({"activation", epilogue.activation});
    for (const Attr &attr : hostOpAttributes(next))
      step.attributes.push_back({"activation_" + attr.name, attr.value});
    if (auto clip = dyn_cast<graph::ClipOp>(next)) {
      if (auto min = clip.getMin())
        epilogue.min = min->convertToFloat();
      if (auto max = clip.getMax())
        epilogue.max = max->convertToFloat();
    }
  }
  addInputs(step, kernel.getArgs());
  step.cpuEntry = cpuEntryFor(op, error, epilogue);
  return error.empty() && addHostStep(kernel, std::move(step), error);
}

bool Emitter::run(func::FuncOp func, std::string &error) {
  function = func;
  for (BlockArgument arg : func.getArguments()) {
    auto attr =
        func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "graph.name");
    std::string name =
        attr ? attr.str() : llvm::formatv("input{0}", arg.getArgNumber());
    auto id = addValue(arg, name, ValueKind::Input, error);
    if (!id)
      return false;
    desc.inputs.push_back(*id);
  }
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  // An op result returned once becomes an Output value in place; arguments,
  // constants and repeated results get a copy step.
  for (auto [index, operand] : llvm::enumerate(ret.getOperands()))
    if (llvm::isa<OpResult>(operand) &&
        !operand.getDefiningOp<graph::ConstantOp>() && !returned.count(operand))
      returned[operand] = index;
  for (Operation &op : func.getBody().front().without_terminator()) {
    if (auto launch = dyn_cast<npu::LaunchOp>(op)) {
      if (!addLaunch(launch, error))
        return false;
      continue;
    }
    if (llvm::isa<sched::ToDeviceOp, sched::ToHostOp>(op)) {
      if (!addCopyStep(&op, error))
        return false;
      continue;
    }
    if (auto kernel = dyn_cast<sched::HostKernelOp>(op)) {
      if (!addHostKernel(kernel, error))
        return false;
      continue;
    }
    // A concatenation whose operands the plan laid end to end in its bytes,
    // or a slice that is a run of its operand's.
    if (llvm::isa<sched::ConcatOp, sched::SliceOp>(op)) {
      if (!addViewStep(&op,
                       sched::onDevice(op.getResult(0)) ? Placement::Device
                                                        : Placement::Host,
                       error))
        return false;
      continue;
    }
    if (auto constant = dyn_cast<graph::ConstantOp>(op)) {
      auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
      if (!dense) {
        error = where(&op) + ": only dense constants can be emitted";
        return false;
      }
      std::string name = nameOf(
          op.getLoc(), llvm::formatv("const{0}", constants.size()).str());
      if (!addValue(constant.getResult(), name, ValueKind::Constant, error)) {
        error = where(&op) + ": " + error;
        return false;
      }
      TimingScope copying = timed("constants");
      Tensor tensor = toTensor(dense);
      if (onlySnpuPackedWeights(constant)) {
        // The kernels read their own packed copy; the launches bind these
        // for the host fallback, which rounds them to bf16 anyway: keep
        // them as bf16 (half the bytes, the same numerics).
        Tensor rounded(DType::BF16, tensor.shape());
        for (int64_t i = 0; i < tensor.numElements(); ++i)
          rounded.setDouble(i, tensor.getDouble(i));
        tensor = std::move(rounded);
        desc.values.back().dtype = DType::BF16;
      }
      constants.emplace_back(tensor.data(), tensor.data() + tensor.byteSize());
      continue;
    }
    if (!llvm::isa_and_nonnull<graph::GraphDialect>(op.getDialect())) {
      error = where(&op) + ": '" + op.getName().getStringRef().str() +
              "' is not a graph op";
      return false;
    }
    if (auto reshape = dyn_cast<graph::ReshapeOp>(op);
        reshape && sched::onDevice(reshape.getInput())) {
      if (!addViewStep(reshape, Placement::Device, error))
        return false;
      continue;
    }
    // On the host too a reshape of a planned intermediate into the same
    // bytes moves nothing (it ran as a host op copying onto itself: Swin-T
    // had 115 of them). A model input or output keeps its copy.
    if (auto reshape = dyn_cast<graph::ReshapeOp>(op)) {
      int64_t from = plannedHostOffset(reshape.getInput());
      if (from >= 0 && from == plannedHostOffset(reshape.getResult())) {
        if (!addViewStep(reshape, Placement::Host, error))
          return false;
        continue;
      }
    }
    if (!addStep(&op, error))
      return false;
  }
  if (!addOutputs(func, ret, error) || !applyPlan(func, error))
    return false;
  return finishCpuObject(error);
}

bool Emitter::addOutputs(func::FuncOp func, func::ReturnOp ret,
                         std::string &error) {
  for (auto [index, operand] : llvm::enumerate(ret.getOperands())) {
    auto it = returned.find(operand);
    uint32_t source = ids.at(operand);
    bool onDevice = desc.values[source].location == Placement::Device;
    if (it != returned.end() && it->second == index && !onDevice) {
      desc.outputs.push_back(source);
      continue;
    }
    auto attr = func.getResultAttrOfType<StringAttr>(index, "graph.name");
    std::string name =
        attr ? attr.str() : llvm::formatv("output{0}", index).str();
    if (onDevice) {
      error = "output " + name +
              " is on the device; sinan-insert-copies brings it back first";
      return false;
    }
    // Copy into a fresh output: reshape to the same shape is a copy.
    auto id = addValue(Value(), name, ValueKind::Output, error, operand);
    if (!id)
      return false;
    module::StepDesc copy;
    copy.op = "reshape";
    copy.inputs = {source};
    copy.outputs = {*id};
    if (producer[source] >= 0)
      copy.deps = {static_cast<uint32_t>(producer[source])};
    producer[*id] = desc.steps.size();
    desc.steps.push_back(std::move(copy));
    desc.outputs.push_back(*id);
  }
  return true;
}

/// Each value made by an op takes the offset sinan-plan-memory gave it;
/// outputs made by copies for the return (of arguments, constants, repeated
/// results) live in the caller's memory.
bool Emitter::applyPlan(func::FuncOp func, std::string &error) {
  auto hostArena = func->getAttrOfType<IntegerAttr>(sched::kHostArenaAttrName);
  auto deviceArena =
      func->getAttrOfType<IntegerAttr>(sched::kDeviceArenaAttrName);
  if (!hostArena || !deviceArena) {
    error = "the schedule has no memory plan (run sinan-plan-memory)";
    return false;
  }
  desc.arenaSize = hostArena.getInt();
  desc.deviceArenaSize = deviceArena.getInt();
  for (Operation &op : func.getBody().front().without_terminator()) {
    if (llvm::isa<graph::ConstantOp>(op) || op.getNumResults() == 0)
      continue;
    auto offsets = op.getAttrOfType<DenseI64ArrayAttr>(sched::kOffsetsAttrName);
    if (!offsets || offsets.size() != int64_t(op.getNumResults())) {
      error = where(&op) + ": no planned offset (run sinan-plan-memory)";
      return false;
    }
    for (auto [result, offset] :
         llvm::zip(op.getResults(), offsets.asArrayRef())) {
      module::ValueDesc &value = desc.values[ids.at(result)];
      if (value.kind != ValueKind::Intermediate)
        continue;
      if (offset < 0) {
        error = where(&op) + ": an intermediate value has no planned offset";
        return false;
      }
      value.offset = offset;
    }
  }
  return true;
}

} // namespace

std::optional<std::vector<uint8_t>> emitModule(func::FuncOp func,
                                               const ModuleEmitOptions &options,
                                               std::string &error) {
  if (func->hasAttr(sched::kHostArenaAttrName)) {
    Emitter emitter(options);
    if (!emitter.run(func, error))
      return std::nullopt;
    return emitter.bytes();
  }
  // Not yet a planned schedule: make one from a copy of the graph module.
  auto parent = func->getParentOfType<ModuleOp>();
  if (!parent) {
    error = "the function is not in a module";
    return std::nullopt;
  }
  OwningOpRef<ModuleOp> copy = parent.clone();
  MLIRContext *context = func.getContext();
  std::string diagnostics;
  llvm::raw_string_ostream os(diagnostics);
  ScopedDiagnosticHandler handler(context, [&](Diagnostic &diagnostic) {
    if (diagnostic.getSeverity() == DiagnosticSeverity::Error)
      os << diagnostic.getLocation() << ": " << diagnostic << "\n";
    return success();
  });
  PassManager pm(context);
  SchedulePipelineOptions pipeline;
  if (options.snpu)
    pipeline.target = options.snpu->name;
  pipeline.precision = options.bf16Matmul ? "bf16" : "f32";
  buildSchedulePipeline(pm, pipeline);
  if (failed(pm.run(*copy))) {
    error = diagnostics.empty() ? "the schedule pipeline failed" : diagnostics;
    while (!error.empty() && error.back() == '\n')
      error.pop_back();
    return std::nullopt;
  }
  auto scheduled = copy->lookupSymbol<func::FuncOp>(func.getSymName());
  Emitter emitter(options);
  if (!emitter.run(scheduled, error))
    return std::nullopt;
  return emitter.bytes();
}

std::string sha256File(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return "";
  std::array<uint8_t, 32> hash =
      llvm::SHA256::hash(llvm::arrayRefFromStringRef((*buffer)->getBuffer()));
  return llvm::toHex(hash, /*LowerCase=*/true);
}

} // namespace sinan
