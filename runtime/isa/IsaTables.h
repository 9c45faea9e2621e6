//===- IsaTables.h - Per-opcode encoding rules ------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Which fields each opcode uses. Private to the ISA library; docs/isa.md
// section 5 is this table in prose.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_RUNTIME_ISA_ISATABLES_H
#define SINAN_RUNTIME_ISA_ISATABLES_H

#include "sinan/runtime/isa/Isa.h"

namespace sinan::isa {

inline constexpr unsigned kNumAluOps = 11;
inline constexpr unsigned kNumBranchConds = 4;
inline constexpr unsigned kNumVBinOps = 6;
inline constexpr unsigned kNumVUnOps = 13;
inline constexpr unsigned kNumVRedOps = 3;
inline constexpr unsigned kNumVCmpOps = 6;

enum : uint8_t { kRa = 1, kRb = 2, kRc = 4 };

struct OpInfo {
  Opcode opcode;
  std::string_view name;
  Engine engine;      ///< Executing engine unless engineOf() says otherwise.
  uint8_t regs;       ///< Register fields the opcode uses (kRa | kRb | kRc).
  uint32_t flagsMask; ///< Flag bits the opcode defines.
  bool imm0, imm1;    ///< Immediates the opcode uses.
};

// clang-format off
inline constexpr OpInfo kOpInfo[] = {
    {Opcode::Nop,     "nop",     Engine::Scalar, 0,               0,          false, false},
    {Opcode::End,     "end",     Engine::Scalar, 0,               0,          false, false},
    {Opcode::Li,      "li",      Engine::Scalar, kRa,             0,          true,  true},
    {Opcode::Alu,     "alu",     Engine::Scalar, kRa | kRb | kRc, 0x10f,      true,  false},
    {Opcode::Br,      "br",      Engine::Scalar, kRa | kRb,       0x3,        true,  false},
    {Opcode::Barrier, "barrier", Engine::Scalar, 0,               0,          false, false},
    {Opcode::Signal,  "signal",  Engine::Scalar, 0,               0x3f,       true,  false},
    {Opcode::Wait,    "wait",    Engine::Scalar, 0,               0x3f,       true,  false},
    {Opcode::CSignal, "csignal", Engine::Scalar, 0,               0,          true,  true},
    {Opcode::CWait,   "cwait",   Engine::Scalar, 0,               0,          true,  false},
    {Opcode::DCfg,    "dcfg",    Engine::DmaIn,  kRa | kRb | kRc, 0x7,        false, false},
    {Opcode::DLoad,   "dload",   Engine::DmaIn,  kRa | kRb,       0x7ff,      true,  true},
    {Opcode::DStore,  "dstore",  Engine::DmaOut, kRa | kRb,       0xfff,      true,  true},
    {Opcode::DMove,   "dmove",   Engine::DmaIn,  kRa | kRb,       0x770f,     true,  true},
    {Opcode::DFill,   "dfill",   Engine::DmaIn,  kRa,             0x70f,      true,  true},
    {Opcode::MCfg,    "mcfg",    Engine::Matrix, 0,               0xffff0000, true,  true},
    {Opcode::Mma,     "mma",     Engine::Matrix, kRa | kRb | kRc, 0x7,        true,  true},
    {Opcode::VCfg,    "vcfg",    Engine::Vector, kRa | kRb | kRc, 0x3,        false, false},
    {Opcode::VBin,    "vbin",    Engine::Vector, kRa | kRb | kRc, 0xf7ff,     true,  true},
    {Opcode::VUn,     "vun",     Engine::Vector, kRa | kRc,       0x7ff,      true,  false},
    {Opcode::VScal,   "vscal",   Engine::Vector, kRa | kRc,       0x7ff,      true,  true},
    {Opcode::VFma,    "vfma",    Engine::Vector, kRa | kRb | kRc, 0xf70f,     true,  true},
    {Opcode::VRed,    "vred",    Engine::Vector, kRa | kRc,       0x7ff,      true,  false},
    {Opcode::VCvt,    "vcvt",    Engine::Vector, kRa | kRc,       0x7ff,      true,  false},
    {Opcode::VCmp,    "vcmp",    Engine::Vector, kRa | kRb | kRc, 0xf7ff,     true,  true},
    {Opcode::VSel,    "vsel",    Engine::Vector, kRa | kRb | kRc, 0x770f,     true,  true},
    {Opcode::VTrans,  "vtrans",  Engine::Vector, kRa | kRc,       0x70f,      true,  false},
    {Opcode::VReq,    "vreq",    Engine::Vector, kRa | kRb | kRc, 0xffff7700, true,  true},
};
// clang-format on

/// The row of `opcode`, or null for an unassigned opcode.
const OpInfo *lookup(Opcode opcode);

} // namespace sinan::isa

#endif // SINAN_RUNTIME_ISA_ISATABLES_H
