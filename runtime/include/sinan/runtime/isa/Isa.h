//===- Isa.h - SNPU instruction encoding ------------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The single source of truth for the SNPU instruction encoding (docs/isa.md
// section 4-5): opcodes, field layout, validation, and the text form used by
// the assembler and disassembler. The simulator and the compiler's binary
// emitter both use these definitions.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_RUNTIME_ISA_ISA_H
#define SINAN_RUNTIME_ISA_ISA_H

#include "sinan/runtime/DType.h"
#include "sinan/runtime/isa/Instructions.def"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sinan::isa {

#define SINAN_ISA_ENUM_VALUE(Value, Text) Value,
#define SINAN_ISA_DEFINE_ENUM(Name, What, List)                                \
  enum class Name : uint8_t { List(SINAN_ISA_ENUM_VALUE) };
/// Engine, Space, AluOp, BranchCond, DmaEngine, DmaCfg, MmaType, VecCfg,
/// VBinOp, VUnOp, VRedOp, VCmpOp: the codes of Instructions.def. Engine ids
/// and space codes are also the encoding's.
SINAN_ISA_ENUMS(SINAN_ISA_DEFINE_ENUM)
#undef SINAN_ISA_DEFINE_ENUM
#undef SINAN_ISA_ENUM_VALUE

/// dcfg selectors that configure DMA-in only: the source element stride of
/// d0 (gather), the zero padding of d0 (padw) and d1 (padh), and the row
/// index array of a gathering dload (index).
inline bool isDmaInOnlyCfg(DmaCfg sel) {
  return sel == DmaCfg::Gather || sel == DmaCfg::PadW || sel == DmaCfg::PadH ||
         sel == DmaCfg::Index;
}
/// dcfg selectors that read ra and rb only (rc must be zero).
inline bool isTwoRegisterDmaCfg(DmaCfg sel) {
  return sel == DmaCfg::Outer || (isDmaInOnlyCfg(sel) && sel != DmaCfg::Index);
}

#define SINAN_ISA_COUNT_VALUE(Value, Text) +1
inline constexpr unsigned kNumEngines =
    0 SINAN_ISA_ENGINE_LIST(SINAN_ISA_COUNT_VALUE);
inline constexpr unsigned kNumSpaces =
    0 SINAN_ISA_SPACE_LIST(SINAN_ISA_COUNT_VALUE);
#undef SINAN_ISA_COUNT_VALUE

enum class Opcode : uint8_t {
#define SINAN_ISA_OPCODE(Name, Mnemonic, Code, Engine, Regs, Summary)          \
  Name = Code,
  SINAN_ISA_OPS(SINAN_ISA_OPCODE)
#undef SINAN_ISA_OPCODE
};

/// A decoded instruction: the raw fields of the 128-bit encoding.
///   word 0: [7:0] opcode [12:8] ra [17:13] rb [22:18] rc, [31:23] zero
///   word 1: flags   word 2: imm0   word 3: imm1
struct Instruction {
  Opcode opcode = Opcode::Nop;
  uint8_t ra = 0, rb = 0, rc = 0;
  uint32_t flags = 0;
  uint32_t imm0 = 0, imm1 = 0;

  bool operator==(const Instruction &other) const;
  bool operator!=(const Instruction &other) const { return !(*this == other); }
};

using Word = std::array<uint32_t, 4>;
inline constexpr unsigned kInstructionBytes = 16;
inline constexpr unsigned kNumRegisters = 32;

/// Packs an instruction. The instruction must be valid (see validate()).
Word encode(const Instruction &inst);

/// Unpacks and validates one instruction; on failure `error` names the
/// problem (unknown opcode, reserved bits, a field out of range).
std::optional<Instruction> decode(const Word &word, std::string &error);

/// Checks every field of `inst` against its opcode's rules.
bool validate(const Instruction &inst, std::string &error);

/// The engine whose queue runs `inst` (for signal: the source engine; for
/// wait: the destination; for dcfg: the DMA engine it configures).
Engine engineOf(const Instruction &inst);

std::string_view engineName(Engine engine);
std::string_view spaceName(Space space);
std::string_view mnemonic(Opcode opcode);

/// One line of assembly text for `inst` (which must be valid).
std::string disassemble(const Instruction &inst);

/// Assembles a program: one instruction per line, `#` comments, `name:`
/// labels usable as branch targets. Errors name the line and column.
std::optional<std::vector<Instruction>> assemble(std::string_view text,
                                                 std::string &error);

} // namespace sinan::isa

#endif // SINAN_RUNTIME_ISA_ISA_H
