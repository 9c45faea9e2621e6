//===- Encoding.cpp - SNPU instruction encoding and validation ------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/isa/IsaTable.h"

#include <fmt/format.h>

namespace sinan::isa {

bool Instruction::operator==(const Instruction &other) const {
  return opcode == other.opcode && ra == other.ra && rb == other.rb &&
         rc == other.rc && flags == other.flags && imm0 == other.imm0 &&
         imm1 == other.imm1;
}

std::string_view engineName(Engine engine) { return name(engine); }

std::string_view spaceName(Space space) { return name(space); }

std::string_view mnemonic(Opcode opcode) {
  const OpInfo *info = lookup(opcode);
  return info ? info->name : "<invalid>";
}

Engine engineOf(const Instruction &inst) {
  switch (inst.opcode) {
  case Opcode::Signal:
    return fields::signal::src(inst);
  case Opcode::Wait:
    return fields::wait::dst(inst);
  case Opcode::DCfg:
    return fields::dcfg::engine(inst) == DmaEngine::Out ? Engine::DmaOut
                                                        : Engine::DmaIn;
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
/// Checks one field's value against its kind.
bool validateField(const FieldInfo &field, const Instruction &inst,
                   std::string &error) {
  uint64_t value = field.get(inst);
  auto fail = [&](const std::string &message) {
    error =
        fmt::format("{}: {} {}", mnemonic(inst.opcode), field.name, message);
    return false;
  };
  switch (field.kind) {
  case FieldKind::Positive:
    return value != 0 || fail("must be positive");
  case FieldKind::Type:
    if (value >= kNumDTypes || !isDeviceDType(static_cast<DType>(value)))
      return fail(fmt::format("= {} is not a device type code", value));
    return true;
  case FieldKind::Space:
    if (value == 0 || value >= kNumSpaces)
      return fail(fmt::format("= {} is not a local memory space", value));
    return true;
  case FieldKind::Enum:
    if (value >= field.enumInfo->count)
      return fail(
          fmt::format("= {} is not a {} code", value, field.enumInfo->what));
    return true;
  default:
    return true;
  }
}

/// Rules that relate fields to each other or to the register fields.
bool validateForm(const Instruction &inst, std::string &error) {
  auto fail = [&](std::string_view message) {
    error = fmt::format("{}: {}", mnemonic(inst.opcode), message);
    return false;
  };
  switch (inst.opcode) {
  case Opcode::Alu:
    if (fields::alu::immediate(inst) && inst.rc != 0)
      return fail("immediate form must leave rc zero");
    if (!fields::alu::immediate(inst) && inst.imm0 != 0)
      return fail("register form must leave imm0 zero");
    return true;
  case Opcode::Signal:
  case Opcode::Wait:
    if (fields::signal::src(inst) == fields::signal::dst(inst))
      return fail("source and destination engine are the same");
    return true;
  case Opcode::DCfg: {
    DmaCfg sel = fields::dcfg::sel(inst);
    if (isDmaInOnlyCfg(sel) && fields::dcfg::engine(inst) != DmaEngine::In)
      return fail(fmt::format("{} configures DMA-in only", name(sel)));
    if (isTwoRegisterDmaCfg(sel) && inst.rc != 0)
      return fail(fmt::format("{} form must leave rc zero", name(sel)));
    return true;
  }
  case Opcode::VCfg:
    if (fields::vcfg::sel(inst) == VecCfg::Len && inst.rc != 0)
      return fail("len form must leave rc zero");
    return true;
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
  if (uint32_t reserved = inst.flags & ~info->flagsMask()) {
    error = fmt::format("{}: reserved flag bits 0x{:08x} are set", info->name,
                        reserved);
    return false;
  }
  if ((!info->usesImm0() && inst.imm0) || (!info->usesImm1() && inst.imm1)) {
    error = fmt::format("{}: unused immediate must be zero", info->name);
    return false;
  }
  for (const FieldInfo *field = info->fieldsBegin; field != info->fieldsEnd;
       ++field)
    if (!validateField(*field, inst, error))
      return false;
  return validateForm(inst, error);
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
