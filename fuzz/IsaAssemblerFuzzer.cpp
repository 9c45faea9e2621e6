//===- IsaAssemblerFuzzer.cpp - libFuzzer target for SNPU assembly --------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Arbitrary text through isa::assemble. A refusal must say why (and where);
// a program that assembles must hold only valid instructions, each of which
// encodes and decodes unchanged, and its disassembly must assemble back to
// the same program.
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/isa/Isa.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

[[noreturn]] void bug(const std::string &what) {
  std::fprintf(stderr, "sinan-fuzz-isa-assembler: %s\n", what.c_str());
  std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace sinan::isa;
  std::string_view text(reinterpret_cast<const char *>(data), size);
  std::string error;
  std::optional<std::vector<Instruction>> program = assemble(text, error);
  if (!program) {
    if (error.empty())
      bug("assembly was refused without a message");
    return 0;
  }
  std::string listing;
  for (const Instruction &inst : *program) {
    if (!validate(inst, error))
      bug("an assembled instruction does not validate: " + error);
    std::optional<Instruction> again = decode(encode(inst), error);
    if (!again || *again != inst)
      bug("encode/decode changed an assembled instruction: " +
          disassemble(inst));
    listing += disassemble(inst);
    listing += '\n';
  }
  std::optional<std::vector<Instruction>> reparsed = assemble(listing, error);
  if (!reparsed || *reparsed != *program)
    bug("the disassembly does not assemble back to the program: " + error +
        "\n" + listing);
  return 0;
}
