//===- Encoding.cpp - SNPU instruction encoding and validation ------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/isa/Isa.h"

#include "IsaTables.h"

#include <fmt/format.h>

namespace sinan::isa {

bool Instruction::operator==(const Instruction &other) const {
  return opcode == other.opcode && ra == other.ra && rb == other.rb &&
         rc == other.rc && flags == other.flags && imm0 == other.imm0 &&
         imm1 == other.imm1;
}

std::string_view engineName(Engine engine) {
  static constexpr std::string_view kNames[] = {"scl", "din", "mxu", "vec",
                                                "dout"};
  return kNames[static_cast<unsigned>(engine)];
}

std::string_view spaceName(Space space) {
  static constexpr std::string_view kNames[] = {"dram", "ibuf", "wbuf", "acc",
                                                "vbuf"};
  return kNames[static_cast<unsigned>(space)];
}

std::string_view mnemonic(Opcode opcode) {
  const OpInfo *info = lookup(opcode);
  return info ? info->name : "<invalid>";
}

const OpInfo *lookup(Opcode opcode) {
  for (const OpInfo &info : kOpInfo)
    if (info.opcode == opcode)
      return &info;
  return nullptr;
}

Engine engineOf(const Instruction &inst) {
  switch (inst.opcode) {
  case Opcode::Signal:
    return static_cast<Engine>(inst.flags & 7u);
  case Opcode::Wait:
    return static_cast<Engine>((inst.flags >> 3) & 7u);
  case Opcode::DCfg:
    return (inst.flags & 1u) ? Engine::DmaOut : Engine::DmaIn;
  default:
    return lookup(inst.opcode)->engine;
  }
}

Word encode(const Instruction &inst) {
  return {static_cast<uint32_t>(inst.opcode) | uint32_t(inst.ra) << 8 |
              uint32_t(inst.rb) << 13 | uint32_t(inst.rc) << 18,
          inst.flags, inst.imm0, inst.imm1};
}

namespace {
/// Checks the sub-fields whose legal range depends on the opcode.
bool validateFields(const Instruction &inst, std::string &error) {
  auto fail = [&](const std::string &message) {
    error = fmt::format("{}: {}", mnemonic(inst.opcode), message);
    return false;
  };
  auto field = [&](unsigned shift, unsigned bits) {
    return (inst.flags >> shift) & ((1u << bits) - 1);
  };
  auto localSpace = [&](unsigned shift, const char *what) {
    unsigned space = field(shift, 3);
    if (space == 0 || space >= kNumSpaces)
      return fail(
          fmt::format("{} space code {} is not a local memory", what, space));
    return true;
  };
  auto dataType = [&](unsigned shift, const char *what) {
    unsigned type = field(shift, 4);
    if (type >= kNumDTypes || !isDeviceDType(static_cast<DType>(type)))
      return fail(
          fmt::format("{} type code {} is not a device type", what, type));
    return true;
  };
  auto below = [&](unsigned value, unsigned limit, const char *what) {
    if (value >= limit)
      return fail(fmt::format("{} code {} is out of range", what, value));
    return true;
  };

  switch (inst.opcode) {
  case Opcode::Alu: {
    bool immediate = field(8, 1);
    if (immediate && inst.rc != 0)
      return fail("immediate form must leave rc zero");
    if (!immediate && inst.imm0 != 0)
      return fail("register form must leave imm0 zero");
    return below(field(0, 4), kNumAluOps, "alu operation");
  }
  case Opcode::Signal:
  case Opcode::Wait:
    if (!below(field(0, 3), kNumEngines, "source engine") ||
        !below(field(3, 3), kNumEngines, "destination engine"))
      return false;
    if (field(0, 3) == field(3, 3))
      return fail("source and destination engine are the same");
    return true;
  case Opcode::DCfg:
    if (field(1, 2) == unsigned(DmaCfg::Outer) && inst.rc != 0)
      return fail("outer form must leave rc zero");
    return true;
  case Opcode::DLoad:
    return dataType(0, "source") && dataType(4, "destination") &&
           localSpace(8, "destination");
  case Opcode::DStore:
    return dataType(0, "source") && dataType(4, "destination") &&
           localSpace(8, "source");
  case Opcode::DMove:
    return dataType(0, "element") && localSpace(8, "destination") &&
           localSpace(12, "source");
  case Opcode::DFill:
    return dataType(0, "element") && localSpace(8, "destination");
  case Opcode::MCfg:
    if (inst.imm0 == 0 || inst.imm1 == 0 || field(16, 16) == 0)
      return fail("m, k and n must be positive");
    return true;
  case Opcode::Mma:
    return below(field(0, 2), 2, "input type");
  case Opcode::VCfg:
    if (field(0, 2) == unsigned(VecCfg::Len) && inst.rc != 0)
      return fail("len form must leave rc zero");
    return below(field(0, 2), 2, "selector");
  case Opcode::VBin:
  case Opcode::VScal:
    return dataType(0, "element") &&
           below(field(4, 4), kNumVBinOps, "operation") &&
           localSpace(8, "first operand") &&
           (inst.opcode == Opcode::VScal || localSpace(12, "second operand"));
  case Opcode::VUn:
    return dataType(0, "element") &&
           below(field(4, 4), kNumVUnOps, "operation") &&
           localSpace(8, "operand");
  case Opcode::VRed:
    return dataType(0, "element") &&
           below(field(4, 4), kNumVRedOps, "operation") &&
           localSpace(8, "operand");
  case Opcode::VCmp:
    return dataType(0, "element") &&
           below(field(4, 4), kNumVCmpOps, "predicate") &&
           localSpace(8, "first operand") && localSpace(12, "second operand");
  case Opcode::VCvt:
    return dataType(0, "source") && dataType(4, "destination") &&
           localSpace(8, "operand");
  case Opcode::VFma:
  case Opcode::VSel:
    return dataType(0, "element") && localSpace(8, "first operand") &&
           localSpace(12, "second operand");
  case Opcode::VTrans:
    return dataType(0, "element") && localSpace(8, "operand");
  case Opcode::VReq:
    return localSpace(8, "value operand") && localSpace(12, "scale operand");
  default:
    return true;
  }
}
} // namespace

bool validate(const Instruction &inst, std::string &error) {
  const OpInfo *info = lookup(inst.opcode);
  if (!info) {
    error = fmt::format("unknown opcode 0x{:02x}",
                        static_cast<unsigned>(inst.opcode));
    return false;
  }
  const uint8_t regs[] = {inst.ra, inst.rb, inst.rc};
  for (unsigned i = 0; i < 3; ++i) {
    if (regs[i] >= kNumRegisters) {
      error = fmt::format("{}: register field r{} out of range", info->name,
                          regs[i]);
      return false;
    }
    if (!(info->regs & (1u << i)) && regs[i] != 0) {
      error = fmt::format("{}: unused register field {} must be zero",
                          info->name, "abc"[i]);
      return false;
    }
  }
  if (inst.flags & ~info->flagsMask) {
    error = fmt::format("{}: reserved flag bits 0x{:08x} are set", info->name,
                        inst.flags & ~info->flagsMask);
    return false;
  }
  if ((!info->imm0 && inst.imm0) || (!info->imm1 && inst.imm1)) {
    error = fmt::format("{}: unused immediate must be zero", info->name);
    return false;
  }
  return validateFields(inst, error);
}

std::optional<Instruction> decode(const Word &word, std::string &error) {
  if (word[0] >> 23) {
    error = fmt::format("reserved bits 31:23 of word 0 are set (0x{:08x})",
                        word[0]);
    return std::nullopt;
  }
  Instruction inst;
  inst.opcode = static_cast<Opcode>(word[0] & 0xffu);
  inst.ra = (word[0] >> 8) & 31u;
  inst.rb = (word[0] >> 13) & 31u;
  inst.rc = (word[0] >> 18) & 31u;
  inst.flags = word[1];
  inst.imm0 = word[2];
  inst.imm1 = word[3];
  if (!validate(inst, error))
    return std::nullopt;
  return inst;
}

} // namespace sinan::isa
