//===- sinan-objdump.cpp - Inspect SNPU kernel binaries -------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
//   sinan-objdump [--target NAME|FILE] KERNEL.snk
//   sinan-objdump MODULE.snm
//
// For a kernel: prints its metadata and disassembles every core's program;
// with --target, also checks that it was built for that description. For a
// compiled module: prints the header, the sections, the values with their
// placement, the schedule, and disassembles every kernel it carries.
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/Target.h"
#include "sinan/runtime/Tensor.h"
#include "sinan/runtime/isa/Kernel.h"
#include "sinan/runtime/module/Module.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>

using namespace sinan;
using sinan::module::Attr;
using sinan::module::AttrValue;

namespace {
constexpr const char *kUsage =
    "usage: sinan-objdump [--target NAME|FILE] KERNEL.snk | MODULE.snm\n";

int fail(const std::string &message) {
  std::cerr << "sinan-objdump: error: " << message << "\n";
  return 1;
}
} // namespace

void printKernel(const isa::Kernel &kernel) {
  fmt::print("read-only data: {} bytes\n", kernel.readOnlyData.size());
  if (kernel.scratchBytes)
    fmt::print("scratch: {} bytes\n", kernel.scratchBytes);
  for (size_t core = 0; core < kernel.programs.size(); ++core) {
    const auto &program = kernel.programs[core];
    fmt::print("\ncore {}: {} instructions\n", core, program.size());
    for (size_t i = 0; i < program.size(); ++i) {
      isa::Word word = isa::encode(program[i]);
      fmt::print("{:6}: {:08x} {:08x} {:08x} {:08x}  {}\n", i, word[0], word[1],
                 word[2], word[3], isa::disassemble(program[i]));
    }
  }
}

std::string formatAttr(const AttrValue &value) {
  if (auto *i = std::get_if<int64_t>(&value))
    return std::to_string(*i);
  if (auto *f = std::get_if<double>(&value))
    return fmt::format("{}", *f);
  if (auto *s = std::get_if<std::string>(&value))
    return "\"" + *s + "\"";
  if (auto *ints = std::get_if<std::vector<int64_t>>(&value))
    return fmt::format("[{}]", fmt::join(*ints, ", "));
  return fmt::format("[{}]",
                     fmt::join(std::get<std::vector<double>>(value), ", "));
}

int dumpModule(const std::string &path) {
  std::string error;
  auto module = module::Module::load(path, error);
  if (!module)
    return fail(error);
  const module::ModuleDesc &m = module->desc();
  fmt::print("{}: Sinan module format {}.{}, {} bytes\n", path, m.majorVersion,
             m.minorVersion, module->fileSize());
  fmt::print("compiler: {}\ntarget: {} (fingerprint {:016x})\nsource "
             "sha256: {}\n",
             m.compilerVersion, m.target, m.targetFingerprint, m.sourceHash);
  fmt::print("\nsections:\n  header    offset {:>10}  size {:>10}\n", 0,
             module::kHeaderSize);
  fmt::print("  schedule  offset {:>10}  size {:>10}\n",
             module->scheduleOffset(), module->scheduleSize());
  fmt::print("  data      offset {:>10}  size {:>10}\n",
             module->dataSectionOffset(), module->dataSectionSize());
  fmt::print("  arena     {:>28} bytes (intermediates)\n", m.arenaSize);
  if (m.deviceArenaSize)
    fmt::print("  device    {:>28} bytes (intermediates on the device)\n",
               m.deviceArenaSize);
  const module::CpuObjectDesc &cpu = m.cpuObject;
  if (!cpu.empty())
    fmt::print("  cpu       {:>28} bytes (ELF shared object for {}, cpu {}, "
               "needs {})\n",
               cpu.image.size(), cpu.triple, cpu.cpu,
               cpu.features.empty()
                   ? "nothing"
                   : fmt::format("{}", fmt::join(cpu.features, ", ")));
  static const char *kKinds[] = {"input", "output", "const", "temp"};
  fmt::print("\nvalues:\n");
  for (size_t i = 0; i < m.values.size(); ++i) {
    const module::ValueDesc &v = m.values[i];
    std::string place =
        v.kind == module::ValueKind::Constant ? fmt::format("data+{}", v.offset)
        : v.kind == module::ValueKind::Intermediate
            ? fmt::format("{}+{}",
                          v.location == module::Location::Device ? "device"
                                                                 : "arena",
                          v.offset)
            : "";
    fmt::print("  %{:<4} {:<6} {:<14} {:>12} bytes  {:<14} {}\n", i,
               kKinds[static_cast<int>(v.kind)],
               fmt::format("{}[{}]", dtypeName(v.dtype), formatShape(v.shape)),
               v.byteSize(), place, v.name);
  }
  fmt::print("\nschedule:\n");
  for (size_t s = 0; s < m.steps.size(); ++s) {
    const module::StepDesc &step = m.steps[s];
    std::vector<std::string> ins, outs, attrs;
    for (uint32_t v : step.inputs)
      ins.push_back(fmt::format("%{}", v));
    for (uint32_t v : step.outputs)
      outs.push_back(fmt::format("%{}", v));
    for (const Attr &a : step.attributes)
      attrs.push_back(a.name + "=" + formatAttr(a.value));
    fmt::print(
        "  {:4}: {:<9} {} = {}({}){}{}{}\n", s, module::stepKindName(step.kind),
        fmt::join(outs, ", "), step.op, fmt::join(ins, ", "),
        attrs.empty() ? "" : fmt::format(" {{{}}}", fmt::join(attrs, ", ")),
        step.deps.empty()
            ? ""
            : fmt::format("  after {}", fmt::join(step.deps, ", ")),
        step.cpuEntry < 0
            ? ""
            : fmt::format("  native {}", cpu.entries[step.cpuEntry].symbol));
  }
  if (!cpu.empty()) {
    fmt::print("\ncpu entries:\n");
    for (size_t e = 0; e < cpu.entries.size(); ++e)
      fmt::print("  {:4}: {} ({})\n", e, cpu.entries[e].symbol,
                 cpu.entries[e].signature);
  }
  for (size_t k = 0; k < m.kernels.size(); ++k) {
    fmt::print("\nkernel {} ('{}'):\n", k, m.kernels[k].name);
    printKernel(module->kernel(k));
  }
  return 0;
}

int main(int argc, char **argv) {
  std::string targetName, input;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--target" && i + 1 < argc) {
      targetName = argv[++i];
    } else if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else if ((!arg.empty() && arg[0] == '-') || !input.empty()) {
      return fail(fmt::format("unexpected argument '{}'\n{}", arg, kUsage));
    } else {
      input = arg;
    }
  }
  if (input.empty())
    return fail(std::string("no input kernel\n") + kUsage);

  if (module::hasModuleMagic(input))
    return dumpModule(input);
  std::string error;
  std::optional<isa::Kernel> kernel = isa::loadKernel(input, error);
  if (!kernel)
    return fail(error);
  if (!targetName.empty()) {
    std::optional<TargetDesc> target = resolveTarget(targetName, error);
    if (!target)
      return fail(error);
    uint64_t want = isa::targetFingerprint(*target);
    if (want != kernel->targetFingerprint)
      return fail(fmt::format("{} was built for target '{}' (fingerprint "
                              "{:016x}), not for '{}' ({:016x})",
                              input, kernel->targetName,
                              kernel->targetFingerprint, target->name, want));
  }

  fmt::print("{}: SNPU kernel format {}.{}, target {} (fingerprint {:016x})\n",
             input, isa::kKernelMajorVersion, isa::kKernelMinorVersion,
             kernel->targetName, kernel->targetFingerprint);
  printKernel(*kernel);
  return 0;
}
