//===- sinan-sim.cpp - Run a kernel on the SNPU device model --------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
//   sinan-sim KERNEL.snk [--target NAME|FILE] [--dram-bytes N]
//             [--load FILE@OFFSET]... [--dump OFFSET:BYTES:FILE]...
//             [--seed N] [--trace OUT.json] [--arg ADDRESS]...
//
// Loads files into device DRAM, runs the kernel, writes DRAM ranges back to
// files and prints the statistics. Each --arg is a launch argument: the
// first arrives in r1, the next in r2, ... (docs/isa.md section 11). The target
// defaults to the one the kernel names. Any error (bad kernel, hazard,
// deadlock, bad address) is printed once and the exit code is 1.
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/Target.h"
#include "sinan/runtime/isa/Kernel.h"
#include "sinan/runtime/sim/Simulator.h"

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>

using namespace sinan;

namespace {
constexpr const char *kUsage =
    "usage: sinan-sim KERNEL.snk [--target NAME|FILE] [--dram-bytes N]\n"
    "                 [--load FILE@OFFSET]... [--dump OFFSET:BYTES:FILE]...\n"
    "                 [--seed N] [--trace OUT.json] [--arg ADDRESS]...\n";

int fail(const std::string &message) {
  std::cerr << "sinan-sim: error: " << message << "\n";
  return 1;
}

std::optional<uint64_t> number(const std::string &text) {
  try {
    size_t used = 0;
    unsigned long long value = std::stoull(text, &used, 0);
    if (used != text.size())
      return std::nullopt;
    return value;
  } catch (...) {
    return std::nullopt;
  }
}
} // namespace

int main(int argc, char **argv) {
  std::string input, targetName, tracePath;
  uint64_t dramBytes = 64ull << 20;
  std::vector<std::pair<std::string, uint64_t>> loads;
  struct Dump {
    uint64_t offset, bytes;
    std::string path;
  };
  std::vector<Dump> dumps;
  sim::Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    bool hasValue = i + 1 < argc;
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (arg == "--target" && hasValue) {
      targetName = argv[++i];
    } else if (arg == "--trace" && hasValue) {
      tracePath = argv[++i];
      options.trace = true;
    } else if ((arg == "--dram-bytes" || arg == "--seed") && hasValue) {
      std::optional<uint64_t> value = number(argv[++i]);
      if (!value)
        return fail(fmt::format("{} needs a number, got '{}'", arg, argv[i]));
      (arg == "--seed" ? options.seed : dramBytes) = *value;
    } else if (arg == "--arg" && hasValue) {
      std::optional<uint64_t> value = number(argv[++i]);
      if (!value)
        return fail(fmt::format("--arg needs a number, got '{}'", argv[i]));
      options.arguments.push_back(*value);
    } else if (arg == "--load" && hasValue) {
      std::string spec = argv[++i];
      size_t at = spec.rfind('@');
      std::optional<uint64_t> offset =
          at == std::string::npos ? std::nullopt : number(spec.substr(at + 1));
      if (!offset)
        return fail(fmt::format("--load needs FILE@OFFSET, got '{}'", spec));
      loads.emplace_back(spec.substr(0, at), *offset);
    } else if (arg == "--dump" && hasValue) {
      std::string spec = argv[++i];
      size_t first = spec.find(':'), second = spec.find(':', first + 1);
      std::optional<uint64_t> offset, bytes;
      if (second != std::string::npos) {
        offset = number(spec.substr(0, first));
        bytes = number(spec.substr(first + 1, second - first - 1));
      }
      if (!offset || !bytes)
        return fail(
            fmt::format("--dump needs OFFSET:BYTES:FILE, got '{}'", spec));
      dumps.push_back({*offset, *bytes, spec.substr(second + 1)});
    } else if (arg.empty() || arg[0] == '-' || !input.empty()) {
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
  std::optional<TargetDesc> target = resolveTarget(
      targetName.empty() ? kernel->targetName : targetName, error);
  if (!target)
    return fail(error);
  if (dramBytes > target->dramSizeBytes)
    return fail(fmt::format("--dram-bytes {} exceeds the target's {} bytes",
                            dramBytes, target->dramSizeBytes));
  std::vector<uint8_t> dram(dramBytes, 0);
  for (const auto &[path, offset] : loads) {
    std::ifstream file(path, std::ios::binary);
    if (!file)
      return fail(fmt::format("{}: cannot open", path));
    std::vector<char> bytes((std::istreambuf_iterator<char>(file)),
                            std::istreambuf_iterator<char>());
    if (offset > dram.size() || bytes.size() > dram.size() - offset)
      return fail(fmt::format("{}: {} bytes at offset {} do not fit in {} "
                              "bytes of DRAM",
                              path, bytes.size(), offset, dram.size()));
    std::copy(bytes.begin(), bytes.end(), dram.begin() + offset);
  }

  auto begin = std::chrono::steady_clock::now();
  sim::Result result = sim::run(*target, *kernel, dram, options);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin)
          .count();
  if (!result.ok)
    return fail(result.error);
  for (const Dump &dump : dumps) {
    if (dump.offset > dram.size() || dump.bytes > dram.size() - dump.offset)
      return fail(fmt::format("--dump {}:{} is outside {} bytes of DRAM",
                              dump.offset, dump.bytes, dram.size()));
    std::ofstream file(dump.path, std::ios::binary);
    file.write(reinterpret_cast<const char *>(dram.data() + dump.offset),
               static_cast<std::streamsize>(dump.bytes));
    if (!file)
      return fail(fmt::format("{}: cannot write", dump.path));
  }
  if (!tracePath.empty()) {
    std::ofstream file(tracePath);
    file << result.traceJson;
    if (!file)
      return fail(fmt::format("{}: cannot write", tracePath));
  }
  std::cout << sim::formatStats(*target, result.stats);
  std::cout << fmt::format("host time: {:.3f} s, {:.3g} simulated MAC/s\n",
                           seconds, double(result.stats.totalMacs()) / seconds);
  return 0;
}
