//===- IsaDecoderFuzzer.cpp - libFuzzer target for SNPU machine code ------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Arbitrary bytes as SNPU machine code. Bytes that start with the kernel
// magic go through readKernel (header, sections, every instruction); the
// rest are read as raw 16-byte instruction words. Every instruction that
// decodes must encode back to the same word, disassemble to text that
// assembles back to it, and a kernel that loads must survive writeKernel
// and readKernel unchanged. A kernel built for a preset then runs on that
// preset's simulator (a watchdog of 2^20 cycles, 1 MiB of device memory):
// an error is the right answer to a bad program, a crash never is.
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/Target.h"
#include "sinan/runtime/isa/Isa.h"
#include "sinan/runtime/isa/Kernel.h"
#include "sinan/runtime/sim/Simulator.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

[[noreturn]] void bug(const std::string &what) {
  std::fprintf(stderr, "sinan-fuzz-isa-decoder: %s\n", what.c_str());
  std::abort();
}

/// The round trips every valid instruction must survive.
void checkInstruction(const sinan::isa::Instruction &inst) {
  using namespace sinan::isa;
  std::string error;
  if (!validate(inst, error))
    bug("a decoded instruction does not validate: " + error);
  Word word = encode(inst);
  std::optional<Instruction> again = decode(word, error);
  if (!again || *again != inst)
    bug("encode/decode changed an instruction: " + disassemble(inst));
  std::string text = disassemble(inst);
  std::optional<std::vector<Instruction>> parsed = assemble(text, error);
  // A branch prints its target as a number, which assembles alone.
  if (!parsed || parsed->size() != 1 || parsed->front() != inst)
    bug("'" + text + "' does not assemble back to itself: " + error);
}

void fuzzWords(const uint8_t *data, size_t size) {
  using namespace sinan::isa;
  for (size_t at = 0; at + kInstructionBytes <= size; at += kInstructionBytes) {
    Word word;
    std::memcpy(word.data(), data + at, kInstructionBytes);
    std::string error;
    std::optional<Instruction> inst = decode(word, error);
    if (!inst) {
      if (error.empty())
        bug("a word was refused without a message");
      continue;
    }
    if (encode(*inst) != word)
      bug("a word decodes but encodes differently: " + disassemble(*inst));
    checkInstruction(*inst);
  }
}

void fuzzKernel(const uint8_t *data, size_t size) {
  using namespace sinan;
  std::string error;
  std::optional<isa::Kernel> kernel = isa::readKernel(data, size, error);
  if (!kernel) {
    if (error.empty())
      bug("a kernel was refused without a message");
    return;
  }
  size_t count = 0;
  for (const auto &program : kernel->programs)
    for (const isa::Instruction &inst : program) {
      checkInstruction(inst);
      ++count;
    }
  std::vector<uint8_t> bytes = isa::writeKernel(*kernel);
  std::optional<isa::Kernel> again =
      isa::readKernel(bytes.data(), bytes.size(), error);
  if (!again || again->programs != kernel->programs ||
      again->readOnlyData != kernel->readOnlyData ||
      again->targetFingerprint != kernel->targetFingerprint)
    bug("writeKernel/readKernel changed a kernel: " + error);
  if (count > 4096)
    return; // Only slow.
  static const std::vector<TargetDesc> presets = [] {
    std::vector<TargetDesc> targets;
    for (const std::string &name : builtinTargetNames()) {
      std::string unused;
      targets.push_back(*loadBuiltinTarget(name, unused));
    }
    return targets;
  }();
  for (const TargetDesc &target : presets) {
    if (isa::targetFingerprint(target) != kernel->targetFingerprint)
      continue;
    std::vector<uint8_t> dram(1 << 20);
    sim::Options options;
    options.maxCycles = 1 << 20;
    options.maxInstructions = 1 << 20;
    // Arguments point into device memory, as a launch's would.
    options.arguments = {0, 1 << 18, 1 << 19};
    sim::Result result = sim::run(target, *kernel, dram, options);
    if (!result.ok && result.error.empty())
      bug("the simulator failed without a message");
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size >= sizeof(sinan::isa::kKernelMagic) &&
      std::memcmp(data, sinan::isa::kKernelMagic,
                  sizeof(sinan::isa::kKernelMagic)) == 0)
    fuzzKernel(data, size);
  else
    fuzzWords(data, size);
  return 0;
}
