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

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sinan::isa {

/// Engines of a core; the values are the engine ids of the encoding.
enum class Engine : uint8_t { Scalar, DmaIn, Matrix, Vector, DmaOut };
inline constexpr unsigned kNumEngines = 5;

/// Memory spaces; the values are the space codes of the encoding.
enum class Space : uint8_t { Dram, Ibuf, Wbuf, Acc, Vbuf };
inline constexpr unsigned kNumSpaces = 5;

enum class Opcode : uint8_t {
  Nop = 0x00,
  End = 0x01,
  Li = 0x02,
  Alu = 0x03,
  Br = 0x04,
  Barrier = 0x05,
  Signal = 0x08,
  Wait = 0x09,
  CSignal = 0x0a,
  CWait = 0x0b,
  DCfg = 0x10,
  DLoad = 0x11,
  DStore = 0x12,
  DMove = 0x13,
  DFill = 0x14,
  MCfg = 0x20,
  Mma = 0x21,
  VCfg = 0x30,
  VBin = 0x31,
  VUn = 0x32,
  VScal = 0x33,
  VFma = 0x34,
  VRed = 0x35,
  VCvt = 0x36,
  VCmp = 0x37,
  VSel = 0x38,
  VTrans = 0x39,
  VReq = 0x3a,
};

/// `alu` operations (flags[3:0]).
enum class AluOp : uint8_t {
  Add,
  Sub,
  Mul,
  And,
  Or,
  Xor,
  Shl,
  Shr,
  Sra,
  Min,
  Max
};
/// `br` conditions (flags[1:0]).
enum class BranchCond : uint8_t { Eq, Ne, Lt, Ge };
/// `vbin`/`vscal` operations (flags[7:4]).
enum class VBinOp : uint8_t { Add, Sub, Mul, Div, Max, Min };
/// `vun` operations (flags[7:4]).
enum class VUnOp : uint8_t {
  Relu,
  Neg,
  Abs,
  Exp,
  Log,
  Sqrt,
  Rsqrt,
  Recip,
  Tanh,
  Sigmoid,
  Erf,
  Gelu,
  HardSwish
};
/// `vred` operations (flags[7:4]).
enum class VRedOp : uint8_t { Sum, Max, Min };
/// `vcmp` predicates (flags[7:4]).
enum class VCmpOp : uint8_t { Eq, Ne, Lt, Le, Gt, Ge };
/// vbin/vfma/vcmp flag: `b` holds one element per repeat, broadcast across
/// the row (assembly suffix `.bcast`).
inline constexpr uint32_t kBroadcastB = 1u << 15;
/// `dcfg` selectors (flags[2:1]).
enum class DmaCfg : uint8_t { Shape, SrcStrides, DstStrides, Outer };
/// `vcfg` selectors (flags[1:0]).
enum class VecCfg : uint8_t { Len, Strides };

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

// Field helpers shared by the simulator and the emitter.
inline Space spaceField(uint32_t flags, unsigned shift) {
  return static_cast<Space>((flags >> shift) & 7u);
}
inline DType typeField(uint32_t flags, unsigned shift) {
  return static_cast<DType>((flags >> shift) & 15u);
}

} // namespace sinan::isa

#endif // SINAN_RUNTIME_ISA_ISA_H
