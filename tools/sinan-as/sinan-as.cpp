//===- sinan-as.cpp - SNPU assembler --------------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
//   sinan-as [--target NAME|FILE] -o OUT.snk CORE0.s [CORE1.s ...]
//
// Assembles one program per core into a kernel binary for the target
// (default snpu-edge). Errors name the file, line and column.
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/Target.h"
#include "sinan/runtime/isa/Kernel.h"

#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <sstream>

using namespace sinan;

namespace {
constexpr const char *kUsage =
    "usage: sinan-as [--target NAME|FILE] -o OUT.snk CORE0.s [CORE1.s ...]\n";

int fail(const std::string &message) {
  std::cerr << "sinan-as: error: " << message << "\n";
  return 1;
}
} // namespace

int main(int argc, char **argv) {
  std::string targetName = "snpu-edge", output;
  std::vector<std::string> inputs;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if ((arg == "--target" || arg == "-o") && i + 1 < argc) {
      (arg == "-o" ? output : targetName) = argv[++i];
    } else if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (!arg.empty() && arg[0] == '-') {
      return fail(
          fmt::format("unknown or incomplete option '{}'\n{}", arg, kUsage));
    } else {
      inputs.push_back(arg);
    }
  }
  if (output.empty() || inputs.empty())
    return fail(std::string("need -o OUT and at least one input\n") + kUsage);

  std::string error;
  std::optional<TargetDesc> target = resolveTarget(targetName, error);
  if (!target)
    return fail(error);
  if (inputs.size() > target->cores)
    return fail(fmt::format("{} programs given but target {} has {} core{}",
                            inputs.size(), target->name, target->cores,
                            target->cores == 1 ? "" : "s"));

  isa::Kernel kernel;
  kernel.targetName = target->name;
  kernel.targetFingerprint = isa::targetFingerprint(*target);
  for (const std::string &input : inputs) {
    std::ifstream file(input);
    if (!file)
      return fail(fmt::format("{}: cannot open", input));
    std::ostringstream text;
    text << file.rdbuf();
    std::optional<std::vector<isa::Instruction>> program =
        isa::assemble(text.str(), error);
    if (!program)
      return fail(fmt::format("{}: {}", input, error));
    kernel.programs.push_back(std::move(*program));
  }
  std::vector<uint8_t> bytes = isa::writeKernel(kernel);
  std::ofstream out(output, std::ios::binary);
  out.write(reinterpret_cast<const char *>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out)
    return fail(fmt::format("{}: cannot write", output));
  return 0;
}
