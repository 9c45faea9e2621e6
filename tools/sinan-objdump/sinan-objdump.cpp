//===- sinan-objdump.cpp - Inspect SNPU kernel binaries -------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
//   sinan-objdump [--target NAME|FILE] KERNEL.snk
//
// Prints the kernel's metadata and disassembles every core's program. With
// --target, also checks that the kernel was built for that description.
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/Target.h"
#include "sinan/runtime/isa/Kernel.h"

#include <fmt/format.h>

#include <iostream>

using namespace sinan;

namespace {
constexpr const char *kUsage =
    "usage: sinan-objdump [--target NAME|FILE] KERNEL.snk\n";

int fail(const std::string &message) {
  std::cerr << "sinan-objdump: error: " << message << "\n";
  return 1;
}
} // namespace

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
  fmt::print("read-only data: {} bytes\n", kernel->readOnlyData.size());
  for (size_t core = 0; core < kernel->programs.size(); ++core) {
    const auto &program = kernel->programs[core];
    fmt::print("\ncore {}: {} instructions\n", core, program.size());
    for (size_t i = 0; i < program.size(); ++i) {
      isa::Word word = isa::encode(program[i]);
      fmt::print("{:6}: {:08x} {:08x} {:08x} {:08x}  {}\n", i, word[0], word[1],
                 word[2], word[3], isa::disassemble(program[i]));
    }
  }
  return 0;
}
