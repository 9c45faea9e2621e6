//===- IsaTest.cpp - SNPU encoding, assembler and disassembler ------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/isa/IsaTable.h"

#include <gtest/gtest.h>

#include <random>

using namespace sinan;
using namespace sinan::isa;

namespace {

struct OpRange {
  const OpInfo *begin() const { return opsBegin(); }
  const OpInfo *end() const { return opsEnd(); }
};
OpRange allOps() { return {}; }

/// A random instruction of `info`'s opcode that uses only its fields; it may
/// still break a sub-field rule (validate() decides).
Instruction randomFields(const OpInfo &info, std::mt19937 &rng) {
  std::uniform_int_distribution<uint32_t> word;
  std::uniform_int_distribution<int> regDist(0, kNumRegisters - 1);
  Instruction inst;
  inst.opcode = info.opcode;
  inst.ra = (info.regs & kRa) ? regDist(rng) : 0;
  inst.rb = (info.regs & kRb) ? regDist(rng) : 0;
  inst.rc = (info.regs & kRc) ? regDist(rng) : 0;
  inst.flags = word(rng) & info.flagsMask();
  // Small sub-field values are the interesting ones; bias towards them.
  if (rng() % 2)
    inst.flags &= 0x00ff00ffu | (info.flagsMask() & 0xffff0000u);
  inst.imm0 = info.usesImm0() ? word(rng) : 0;
  inst.imm1 = info.usesImm1() ? word(rng) : 0;
  return inst;
}

TEST(IsaTest, EveryOpcodeRoundTripsThroughBinaryAndText) {
  std::mt19937 rng(2026);
  for (const OpInfo &info : allOps()) {
    int valid = 0;
    for (int attempt = 0; attempt < 20000 && valid < 200; ++attempt) {
      Instruction inst = randomFields(info, rng);
      // Make the common fix-ups so most samples are valid.
      if (info.opcode == Opcode::Alu && (inst.flags & 0x100))
        inst.rc = 0;
      else if (info.opcode == Opcode::Alu)
        inst.imm0 = 0;
      std::string error;
      if (!validate(inst, error))
        continue;
      ++valid;
      Word word = encode(inst);
      std::optional<Instruction> decoded = decode(word, error);
      ASSERT_TRUE(decoded) << info.name << ": " << error;
      ASSERT_EQ(*decoded, inst) << info.name;

      std::string text = disassemble(inst);
      std::optional<std::vector<Instruction>> assembled = assemble(text, error);
      ASSERT_TRUE(assembled) << text << "\n" << error;
      ASSERT_EQ(assembled->size(), 1u) << text;
      ASSERT_EQ(assembled->front(), inst)
          << text << " reassembles to " << disassemble(assembled->front());
    }
    EXPECT_GE(valid, 200) << info.name << " produced too few valid samples";
  }
}

// Every prefix of a valid instruction's text (operands dropped from the
// end, then suffixes) assembles or is refused with a message: the
// fuzzer found dcfg and vcfg without operands refused with none.
TEST(IsaTest, TruncatedInstructionsAreRefusedWithAMessage) {
  std::mt19937 rng(11);
  for (const OpInfo &info : allOps()) {
    int checked = 0;
    for (int attempt = 0; attempt < 20000 && checked < 20; ++attempt) {
      Instruction inst = randomFields(info, rng);
      std::string error;
      if (!validate(inst, error))
        continue;
      ++checked;
      std::string text = disassemble(inst);
      while (!text.empty()) {
        size_t cut = text.find_last_of(" ,.");
        text.resize(cut == std::string::npos ? 0 : cut);
        while (!text.empty() && (text.back() == ',' || text.back() == ' '))
          text.pop_back();
        if (text.empty())
          break;
        error.clear();
        if (!assemble(text, error))
          EXPECT_FALSE(error.empty()) << "'" << text << "' refused silently";
      }
    }
    EXPECT_GT(checked, 0) << info.name;
  }
}

TEST(IsaTest, RandomWordsDecodeOrFailCleanly) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> word;
  int decoded = 0;
  for (int i = 0; i < 200000; ++i) {
    Word w = {word(rng) & 0x007fffffu, word(rng), word(rng), word(rng)};
    if (i % 2)
      w[1] &= 0xff; // Keep flags small so some words are valid.
    if (i % 4 == 1)
      w = {w[0] & 0x3f, w[1] & 0xf, 0, 0};
    std::string error;
    std::optional<Instruction> inst = decode(w, error);
    if (!inst) {
      EXPECT_FALSE(error.empty());
      continue;
    }
    ++decoded;
    ASSERT_EQ(encode(*inst), w);
  }
  EXPECT_GT(decoded, 1000);
}

TEST(IsaTest, FieldLayoutMatchesTheSpec) {
  std::string error;
  auto program =
      assemble("mma.bf16.acc acc[r3], ibuf[r1+64], wbuf[r2+128]", error);
  ASSERT_TRUE(program) << error;
  Word word = encode(program->front());
  EXPECT_EQ(word[0], 0x21u | 1u << 8 | 2u << 13 | 3u << 18);
  EXPECT_EQ(word[1], 0x5u); // bf16 = 1, accumulate = bit 2.
  EXPECT_EQ(word[2], 64u);
  EXPECT_EQ(word[3], 128u);

  program = assemble("dload.f32.bf16 vbuf[r4+256], dram[r5+4096]", error);
  ASSERT_TRUE(program) << error;
  word = encode(program->front());
  EXPECT_EQ(word[0], 0x11u | 4u << 8 | 5u << 13);
  EXPECT_EQ(word[1], 0u | 2u << 4 | 4u << 8); // f32, bf16, vbuf.
  EXPECT_EQ(engineOf(program->front()), Engine::DmaIn);
}

// The encoding the table generates, pinned: a change to Instructions.def
// that moves a bit must also change this list (and bump the kernel format).
TEST(IsaTest, TableKeepsTheEncoding) {
  struct Expected {
    Opcode opcode;
    uint8_t regs;
    uint32_t flagsMask;
    bool imm0, imm1;
  };
  const Expected expected[] = {
      {Opcode::Nop, 0, 0, false, false},
      {Opcode::End, 0, 0, false, false},
      {Opcode::Li, kRa, 0, true, true},
      {Opcode::Alu, kRa | kRb | kRc, 0x10f, true, false},
      {Opcode::Br, kRa | kRb, 0x3, true, false},
      {Opcode::Barrier, 0, 0, false, false},
      {Opcode::Signal, 0, 0x3f, true, false},
      {Opcode::Wait, 0, 0x3f, true, false},
      {Opcode::CSignal, 0, 0, true, true},
      {Opcode::CWait, 0, 0, true, false},
      {Opcode::DCfg, kRa | kRb | kRc, 0xf, false, false},
      {Opcode::DLoad, kRa | kRb, 0x7ff, true, true},
      {Opcode::DStore, kRa | kRb, 0xfff, true, true},
      {Opcode::DMove, kRa | kRb, 0x770f, true, true},
      {Opcode::DFill, kRa, 0x70f, true, true},
      {Opcode::MCfg, 0, 0xffff0000, true, true},
      {Opcode::Mma, kRa | kRb | kRc, 0x7, true, true},
      {Opcode::VCfg, kRa | kRb | kRc, 0x3, false, false},
      {Opcode::VBin, kRa | kRb | kRc, 0xf7ff, true, true},
      {Opcode::VUn, kRa | kRc, 0x7ff, true, false},
      {Opcode::VScal, kRa | kRc, 0x7ff, true, true},
      {Opcode::VFma, kRa | kRb | kRc, 0xf70f, true, true},
      {Opcode::VRed, kRa | kRc, 0x7ff, true, false},
      {Opcode::VCvt, kRa | kRc, 0x7ff, true, false},
      {Opcode::VCmp, kRa | kRb | kRc, 0xf7ff, true, true},
      {Opcode::VSel, kRa | kRb | kRc, 0x770f, true, true},
      {Opcode::VTrans, kRa | kRc, 0x70f, true, false},
      {Opcode::VReq, kRa | kRb | kRc, 0xffff7700, true, true},
  };
  ASSERT_EQ(size_t(opsEnd() - opsBegin()), std::size(expected));
  for (const Expected &e : expected) {
    const OpInfo *info = lookup(e.opcode);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->regs, e.regs) << info->name;
    EXPECT_EQ(info->flagsMask(), e.flagsMask) << info->name;
    EXPECT_EQ(info->usesImm0(), e.imm0) << info->name;
    EXPECT_EQ(info->usesImm1(), e.imm1) << info->name;
    // Fields of one opcode never overlap.
    uint32_t seen = 0;
    for (const FieldInfo *f = info->fieldsBegin; f != info->fieldsEnd; ++f) {
      EXPECT_EQ(seen & f->flagsMask(), 0u) << info->name << "." << f->name;
      seen |= f->flagsMask();
    }
  }
}

TEST(IsaTest, FieldAccessorsReadAndWriteTheirBits) {
  Instruction inst;
  inst.opcode = Opcode::VReq;
  fields::vreq::zeroPoint.set(inst, -3);
  fields::vreq::bSpace.set(inst, Space::Acc);
  EXPECT_EQ(inst.flags, 0xfffd0000u | 3u << 12);
  EXPECT_EQ(fields::vreq::zeroPoint(inst), -3);
  EXPECT_EQ(fields::vreq::bSpace(inst), Space::Acc);
  inst = {};
  inst.opcode = Opcode::Li;
  fields::li::value.set(inst, -2);
  EXPECT_EQ(inst.imm0, 0xfffffffeu);
  EXPECT_EQ(inst.imm1, 0xffffffffu);
  EXPECT_EQ(fields::li::value(inst), -2);
  EXPECT_EQ(name(AluOp::Xor), "xor");
  EXPECT_EQ(name(Engine::DmaOut), "dout");
}

TEST(IsaTest, DecoderNamesWhatIsWrong) {
  std::string error;
  EXPECT_FALSE(decode({0x06, 0, 0, 0}, error));
  EXPECT_EQ(error, "unknown opcode 0x06");
  EXPECT_FALSE(decode({0x80000000u, 0, 0, 0}, error));
  EXPECT_NE(error.find("reserved bits 31:23"), std::string::npos) << error;
  EXPECT_FALSE(decode({0x01 | 1u << 8, 0, 0, 0}, error)); // end with ra.
  EXPECT_EQ(error, "end: unused register field a must be zero");
  EXPECT_FALSE(decode({0x21, 0x8, 0, 0}, error)); // mma flag bit 3.
  EXPECT_EQ(error, "mma: reserved flag bits 0x00000008 are set");
  EXPECT_FALSE(decode({0x08, 0x1 | 0x1 << 3, 0, 0}, error)); // din -> din.
  EXPECT_EQ(error, "signal: source and destination engine are the same");
  EXPECT_FALSE(decode({0x11, 0x0, 0, 0}, error)); // dload to dram.
  EXPECT_EQ(error, "dload: space = 0 is not a local memory space");
  EXPECT_FALSE(decode({0x36, 0x0 | 5u << 4 | 4u << 8, 0, 0}, error));
  EXPECT_EQ(error, "vcvt: dstType = 5 is not a device type code");
  EXPECT_FALSE(decode({0x20, 0x10000, 0, 1}, error)); // mcfg m = 0.
  EXPECT_EQ(error, "mcfg: m must be positive");
  EXPECT_FALSE(decode({0x03, 11, 0, 0}, error)); // alu op 11.
  EXPECT_EQ(error, "alu: op = 11 is not a alu operation code");
}

TEST(IsaTest, EngineOfFollowsTheSynchronizationRules) {
  std::string error;
  auto program = assemble(R"(
    signal din, mxu, 3
    wait din, mxu, 3
    dcfg.dout shape, r1, r2, r3
    vun.relu.f32 vbuf[r1], acc[r2]
    li r1, -1
  )",
                          error);
  ASSERT_TRUE(program) << error;
  EXPECT_EQ(engineOf((*program)[0]), Engine::DmaIn);
  EXPECT_EQ(engineOf((*program)[1]), Engine::Matrix);
  EXPECT_EQ(engineOf((*program)[2]), Engine::DmaOut);
  EXPECT_EQ(engineOf((*program)[3]), Engine::Vector);
  EXPECT_EQ(engineOf((*program)[4]), Engine::Scalar);
  EXPECT_EQ((*program)[4].imm0, 0xffffffffu);
  EXPECT_EQ((*program)[4].imm1, 0xffffffffu);
}

TEST(IsaTest, AssemblerResolvesLabelsAndComments) {
  std::string error;
  auto program = assemble(R"(# count r1 down from 4
        li r1, 4
  loop: sub r1, r1, 1      # decrement
        bne r1, r0, loop
        beq r0, r0, done
        nop
  done: end
  )",
                          error);
  ASSERT_TRUE(program) << error;
  ASSERT_EQ(program->size(), 6u);
  EXPECT_EQ(disassemble((*program)[1]), "sub r1, r1, 1");
  EXPECT_EQ(disassemble((*program)[2]), "bne r1, r0, -1");
  EXPECT_EQ(disassemble((*program)[3]), "beq r0, r0, 2");
  EXPECT_EQ(disassemble((*program)[5]), "end");
}

TEST(IsaTest, DisassemblyOfEachFamily) {
  std::string error;
  const char *lines[] = {
      "add r1, r2, r3",
      "dcfg.din outer, r4, r5",
      "dstore.f32.bf16.relu dram[r1+64], acc[r2]",
      "dmove.bf16 wbuf[r1], vbuf[r2+128]",
      "dfill.f32 vbuf[r1], 0x3f800000",
      "mcfg 64, 128, 32",
      "vcfg stride, r1, r2, r3",
      "vscal.mul.f32 vbuf[r3], vbuf[r1], 0.125",
      "vscal.add.i32 vbuf[r3], acc[r1+64], -7",
      "vcvt.f32.bf16 vbuf[r2], acc[r1]",
      "vreq vbuf[r3], acc[r1], vbuf[r2+64], -128",
      "csignal 3, 1",
  };
  for (const char *line : lines) {
    auto program = assemble(line, error);
    ASSERT_TRUE(program) << line << ": " << error;
    EXPECT_EQ(disassemble(program->front()), line);
  }
}

TEST(IsaTest, AssemblerErrorsNameLineAndColumn) {
  struct Case {
    const char *text, *error;
  } cases[] = {
      {"nop\nfrob r1", "line 2, column 1: unknown mnemonic 'frob'"},
      {"add r1, r2, r32", "line 1, column 13: expected an integer, got 'r32'"},
      {"add r1, r2", "line 1, column 1: expected 3 operands, got 2"},
      {"  dload.f32.bf16 sram[r1], dram[r2]",
       "line 1, column 18: unknown memory space 'sram' (expected dram, ibuf, "
       "wbuf, acc or vbuf)"},
      {"mma.bf16 acc[r1], dram[r2], wbuf[r3]",
       "line 1, column 19: this operand must be in ibuf, got dram"},
      {"mma.bf16 acc[r1+16], ibuf[r2], wbuf[r3]",
       "line 1, column 10: this operand takes no offset"},
      {"vun.softmax.f32 vbuf[r1], vbuf[r2]",
       "line 1, column 1: unknown vector operation 'softmax' (expected one "
       "of: relu, neg, abs, exp, log, sqrt, rsqrt, recip, tanh, sigmoid, "
       "erf, gelu, hardswish, gelu_tanh)"},
      {"dload.f64.bf16 vbuf[r1], dram[r2]",
       "line 1, column 1: unknown element type 'f64' (expected f32, f16, "
       "bf16, i8, i32 or i1)"},
      {"signal din, din, 0",
       "line 1, column 1: signal: source and destination engine are the "
       "same"},
      {"beq r1, r2, nowhere",
       "line 1, column 13: 'nowhere' is neither a label nor an instruction "
       "offset"},
      {"a: nop\na: nop", "line 2: label 'a' is defined twice"},
      {"mcfg 16, 0, 16",
       "line 1, column 10: 0 is out of range [1, 4294967295]"},
  };
  for (const Case &c : cases) {
    std::string error;
    EXPECT_FALSE(assemble(c.text, error)) << c.text;
    EXPECT_EQ(error, c.error) << c.text;
  }
}

} // namespace
