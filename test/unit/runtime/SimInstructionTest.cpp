//===- SimInstructionTest.cpp - Each SNPU instruction vs a reference ------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Scalar instructions are observed through a register probe: `dfill` writes
// as many bytes as a register holds, and the test counts them. Data
// instructions are compared element by element with formulas written here.
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/Numerics.h"
#include "sinan/runtime/sim/Simulator.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <random>

using namespace sinan;

namespace {

sim::Result runProgram(const std::string &text, std::vector<uint8_t> &dram,
                       const char *preset = "snpu-edge") {
  std::string error;
  std::optional<TargetDesc> target = loadBuiltinTarget(preset, error);
  isa::Kernel kernel;
  kernel.targetName = target->name;
  kernel.targetFingerprint = isa::targetFingerprint(*target);
  auto program = isa::assemble(text, error);
  EXPECT_TRUE(program) << error << "\n" << text;
  if (!program)
    return {};
  kernel.programs.push_back(*program);
  return sim::run(*target, kernel, dram);
}

/// Runs `body`, which leaves a value in [0, 4096) in r1, and returns it.
int64_t probe(const std::string &body) {
  std::vector<uint8_t> dram(4096, 0);
  sim::Result result = runProgram(body + R"(
        li r31, 1
        dcfg.din shape, r1, r31, r31
        dfill.i8 vbuf[r0], 1
        signal din, dout, 0
        li r30, 4096
        dcfg.dout shape, r30, r31, r31
        wait din, dout, 0
        dstore.i8.i8 dram[r0], vbuf[r0]
        end
  )",
                                  dram);
  EXPECT_TRUE(result.ok) << result.error;
  int64_t ones = 0;
  for (uint8_t byte : dram)
    ones += byte == 1;
  return ones;
}

TEST(SimInstructionTest, AluOperations) {
  struct Case {
    const char *body;
    int64_t want;
  } cases[] = {
      {"li r2, 1000\nli r3, 234\nadd r1, r2, r3", 1234},
      {"li r2, 1000\nsub r1, r2, 1", 999},
      {"li r2, 1000\nsub r1, r2, -24", 1024},
      {"li r2, 37\nli r3, 11\nmul r1, r2, r3", 407},
      {"li r2, 0xff0\nand r1, r2, 0x3cf", 0xff0 & 0x3cf},
      {"li r2, 0x100\nor r1, r2, 0x0ff", 0x1ff},
      {"li r2, 0xfff\nxor r1, r2, 0xaaa", 0xfff ^ 0xaaa},
      {"li r2, 3\nshl r1, r2, 9", 3 << 9},
      {"li r2, 4000\nshr r1, r2, 3", 4000 >> 3},
      // Arithmetic shift keeps the sign; mask back into probe range.
      {"li r2, -64\nsra r1, r2, 2\nand r1, r1, 4095", (-16) & 4095},
      {"li r2, -64\nshr r1, r2, 60", 0xf},
      {"li r2, -3\nli r3, 7\nmin r1, r2, r3\nadd r1, r1, 10", 7},
      {"li r2, -3\nli r3, 7\nmax r1, r2, r3", 7},
      {"li r2, 0x100000000\nshr r1, r2, 32", 1},
      // r0 reads as zero and ignores writes.
      {"li r0, 55\nadd r1, r0, 9", 9},
  };
  for (const Case &c : cases)
    EXPECT_EQ(probe(c.body), c.want) << c.body;
}

TEST(SimInstructionTest, BranchesCountLoops) {
  // Each loop adds 1 to r1 per iteration.
  EXPECT_EQ(probe(R"(
        li r1, 0
        li r2, 10
  l:    add r1, r1, 1
        blt r1, r2, l)"),
            10);
  EXPECT_EQ(probe(R"(
        li r1, 0
        li r2, -5
  l:    add r1, r1, 1
        add r2, r2, 1
        bne r2, r0, l)"),
            5);
  EXPECT_EQ(probe(R"(
        li r1, 0
        li r2, 7
  l:    add r1, r1, 1
        sub r2, r2, 1
        bge r2, r0, l)"),
            8);
  EXPECT_EQ(probe(R"(
        li r1, 40
        beq r1, r1, skip
        li r1, 3
  skip: nop)"),
            40);
}

//===----------------------------------------------------------------------===//
// DMA
//===----------------------------------------------------------------------===//

template <typename T> T at(const std::vector<uint8_t> &bytes, size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}
template <typename T>
void put(std::vector<uint8_t> &bytes, size_t offset, T v) {
  std::memcpy(bytes.data() + offset, &v, sizeof(T));
}

/// Loads 64 elements of `from` at DRAM 0 into vbuf as `to`, and stores them
/// back to DRAM 4096 unchanged.
std::vector<uint8_t> convertThroughDma(const std::vector<uint8_t> &input,
                                       const char *from, const char *to) {
  std::vector<uint8_t> dram = input;
  dram.resize(8192, 0);
  sim::Result result = runProgram(fmt::format(R"(
        li r1, 64
        li r2, 1
        dcfg.din shape, r1, r2, r2
        dload.{0}.{1} vbuf[r0], dram[r0]
        signal din, dout, 0
        dcfg.dout shape, r1, r2, r2
        wait din, dout, 0
        li r3, 4096
        dstore.{1}.{1} dram[r3], vbuf[r0]
        end
  )",
                                              from, to),
                                  dram);
  EXPECT_TRUE(result.ok) << result.error;
  return dram;
}

TEST(SimInstructionTest, DmaConversions) {
  std::vector<uint8_t> input(256, 0);
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> dist(-300.0f, 300.0f);
  std::vector<float> values(64);
  for (int i = 0; i < 64; ++i) {
    values[i] = i == 0 ? 2.5f : i == 1 ? -2.5f : dist(rng);
    put(input, 4 * i, values[i]);
  }
  std::vector<uint8_t> bf16 = convertThroughDma(input, "f32", "bf16");
  std::vector<uint8_t> f16 = convertThroughDma(input, "f32", "f16");
  std::vector<uint8_t> i8 = convertThroughDma(input, "f32", "i8");
  std::vector<uint8_t> i32 = convertThroughDma(input, "f32", "i32");
  for (int i = 0; i < 64; ++i) {
    EXPECT_EQ(at<uint16_t>(bf16, 4096 + 2 * i), floatToBF16(values[i]));
    EXPECT_EQ(at<uint16_t>(f16, 4096 + 2 * i), floatToHalf(values[i]));
    EXPECT_EQ(at<int8_t>(i8, 4096 + i), floatToI8(values[i]));
    EXPECT_EQ(at<int32_t>(i32, 4096 + 4 * i),
              static_cast<int32_t>(std::nearbyint(values[i])));
  }
  // i32 -> i8 saturates; i8 -> f32 is exact.
  std::vector<uint8_t> ints(256, 0);
  for (int i = 0; i < 64; ++i)
    put<int32_t>(ints, 4 * i, (i - 32) * 9);
  std::vector<uint8_t> narrowed = convertThroughDma(ints, "i32", "i8");
  for (int i = 0; i < 64; ++i)
    EXPECT_EQ(at<int8_t>(narrowed, 4096 + i),
              std::clamp((i - 32) * 9, -128, 127));
}

TEST(SimInstructionTest, DmaFourDimensionalStridesMoveFillAndRelu) {
  // DRAM holds a 2 x 3 x 4 f32 block with padded strides; load it densely,
  // move it to ibuf and back, fill a marker, store with relu.
  std::vector<uint8_t> dram(16384, 0);
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 3; ++b)
      for (int c = 0; c < 4; ++c)
        put(dram, a * 1024 + b * 256 + c * 4, float(a * 100 + b * 10 + c) - 50);
  sim::Result result = runProgram(R"(
        li r1, 4
        li r2, 3
        li r3, 1
        dcfg.din shape, r1, r2, r3
        li r4, 2
        dcfg.din outer, r4, r0
        li r5, 256
        li r6, 1024
        dcfg.din src, r5, r0, r6
        li r7, 64
        li r8, 192
        dcfg.din dst, r7, r0, r8
        dload.f32.f32 vbuf[r0], dram[r0]
        dcfg.din src, r7, r0, r8
        dmove.f32 ibuf[r0], vbuf[r0]
        dmove.f32 vbuf[r0+512], ibuf[r0]
        li r9, 1
        dcfg.din shape, r1, r9, r9
        dcfg.din outer, r9, r0
        dfill.f32 vbuf[r0+1024], 0x3fc00000
        signal din, dout, 0
        dcfg.dout shape, r1, r2, r3
        dcfg.dout outer, r4, r0
        dcfg.dout src, r7, r0, r8
        dcfg.dout dst, r7, r0, r8
        wait din, dout, 0
        li r10, 8192
        dstore.f32.f32.relu dram[r10], vbuf[r0+512]
        dcfg.dout shape, r1, r9, r9
        dcfg.dout outer, r9, r0
        li r11, 12288
        dstore.f32.bf16 dram[r11], vbuf[r0+1024]
        end
  )",
                                  dram);
  ASSERT_TRUE(result.ok) << result.error;
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 3; ++b)
      for (int c = 0; c < 4; ++c) {
        float want = std::max(float(a * 100 + b * 10 + c) - 50, 0.0f);
        EXPECT_EQ(at<float>(dram, 8192 + a * 192 + b * 64 + c * 4), want);
      }
  for (int c = 0; c < 4; ++c)
    EXPECT_EQ(at<uint16_t>(dram, 12288 + 2 * c), floatToBF16(1.5f));
}

TEST(SimInstructionTest, DmaGatherAndPaddingReadAConvolutionTap) {
  // A 5 x 6 f32 image; the stride-2 tap with one zero row above and one
  // zero column either side: rows 0, 2, 4 and columns 0, 2, 4, as bf16.
  std::vector<uint8_t> dram(8192, 0);
  for (int r = 0; r < 5; ++r)
    for (int c = 0; c < 6; ++c)
      put(dram, r * 24 + c * 4, float(r * 10 + c));
  sim::Result result = runProgram(R"(
        li r1, 5
        li r2, 4
        li r3, 1
        dcfg.din shape, r1, r2, r3
        li r4, 48
        dcfg.din src, r4, r0, r0
        li r5, 64
        dcfg.din dst, r5, r0, r0
        li r6, 2
        dcfg.din gather, r6, r0
        dcfg.din padw, r3, r3
        dcfg.din padh, r3, r0
        dload.f32.bf16 vbuf[r0], dram[r0]
        signal din, dout, 0
        dcfg.dout shape, r1, r2, r3
        dcfg.dout src, r5, r0, r0
        li r7, 10
        dcfg.dout dst, r7, r0, r0
        wait din, dout, 0
        li r8, 4096
        dstore.bf16.bf16 dram[r8], vbuf[r0]
        end
  )",
                                  dram);
  ASSERT_TRUE(result.ok) << result.error;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 5; ++j) {
      bool pad = i == 0 || j == 0 || j == 4;
      float want = pad ? 0.0f : float(2 * (i - 1) * 10 + 2 * (j - 1));
      EXPECT_EQ(at<uint16_t>(dram, 4096 + i * 10 + j * 2), floatToBF16(want))
          << "row " << i << " column " << j;
    }
}

/// A 6 x 4 f32 table at 0 (row r holds r*10 + column), int64 indices at
/// 1024, a gathering dload of `count` rows into vbuf and a store of them
/// to 2048.
sim::Result gatherRows(std::vector<uint8_t> &dram,
                       const std::vector<int64_t> &indices,
                       const std::string &beforeStore = "") {
  dram.assign(4096, 0);
  for (int r = 0; r < 6; ++r)
    for (int c = 0; c < 4; ++c)
      put(dram, r * 16 + c * 4, float(r * 10 + c));
  for (size_t i = 0; i < indices.size(); ++i)
    std::memcpy(dram.data() + 1024 + 8 * i, &indices[i], 8);
  return runProgram(fmt::format(R"(
        li r1, 4
        li r2, {}
        li r3, 1
        dcfg.din shape, r1, r2, r3
        li r4, 16
        dcfg.din src, r4, r0, r0
        li r5, 64
        dcfg.din dst, r5, r0, r0
        li r6, 1024
        li r7, 6
        li r8, 8
        dcfg.din index, r6, r7, r8
        dload.f32.f32 vbuf[r0], dram[r0]
        dcfg.din index, r0, r0, r0
        {}
        signal din, dout, 0
        dcfg.dout shape, r1, r2, r3
        dcfg.dout src, r5, r0, r0
        dcfg.dout dst, r4, r0, r0
        wait din, dout, 0
        li r9, 2048
        dstore.f32.f32 dram[r9], vbuf[r0]
        end
  )",
                                indices.size(), beforeStore),
                    dram);
}

TEST(SimInstructionTest, DmaIndexGathersTableRows) {
  std::vector<uint8_t> dram;
  std::vector<int64_t> indices = {3, 0, 5, -1, 2};
  sim::Result result = gatherRows(dram, indices);
  ASSERT_TRUE(result.ok) << result.error;
  for (size_t i = 0; i < indices.size(); ++i) {
    int64_t row = indices[i] < 0 ? indices[i] + 6 : indices[i];
    for (int c = 0; c < 4; ++c)
      EXPECT_EQ(at<float>(dram, 2048 + i * 16 + c * 4), float(row * 10 + c))
          << "row " << i << " column " << c;
  }
  // Turned off again, the next load reads rows in order.
  result = gatherRows(dram, {4, 4}, R"(
        dload.f32.f32 vbuf[r0], dram[r0])");
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(at<float>(dram, 2048 + 16), 10.0f);
}

TEST(SimInstructionTest, DmaIndexOutsideTheTableFaults) {
  std::vector<uint8_t> dram;
  for (int64_t bad : {int64_t(6), int64_t(-7), int64_t(1) << 40}) {
    sim::Result result = gatherRows(dram, {1, bad});
    EXPECT_FALSE(result.ok);
    EXPECT_NE(result.error.find(fmt::format(
                  "row index {} (position 1) is outside [-6, 6)", bad)),
              std::string::npos)
        << result.error;
  }
  std::string error;
  EXPECT_FALSE(isa::assemble("dcfg.dout index, r1, r2, r3\nend", error));
  EXPECT_NE(error.find("configures DMA-in only"), std::string::npos) << error;
  sim::Result result = runProgram(R"(
        li r1, 3
        dcfg.din index, r0, r1, r1
        end
  )",
                                  dram);
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("an index is 4 or 8 bytes, not 3"),
            std::string::npos)
      << result.error;
}

TEST(SimInstructionTest, DmaPaddingIsCheckedAndDmaInOnly) {
  std::string error;
  EXPECT_FALSE(isa::assemble("dcfg.dout padw, r1, r2\nend", error));
  EXPECT_NE(error.find("configures DMA-in only"), std::string::npos) << error;
  std::vector<uint8_t> dram(4096, 0);
  sim::Result result = runProgram(R"(
        li r1, 4
        li r2, 1
        dcfg.din shape, r1, r2, r2
        dcfg.din padw, r1, r2
        dload.f32.f32 vbuf[r0], dram[r0]
        end
  )",
                                  dram);
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("padding 0+0 x 4+1 exceeds the block 1 x 4"),
            std::string::npos)
      << result.error;
}

//===----------------------------------------------------------------------===//
// Vector unit
//===----------------------------------------------------------------------===//

/// Runs `op` over 64 f32 inputs (a at vbuf 0, b at vbuf 256, d at vbuf 512,
/// initial d = 1.0) and returns d.
std::vector<float> vectorOp(const std::string &op, const std::vector<float> &a,
                            const std::vector<float> &b) {
  std::vector<uint8_t> dram(8192, 0);
  for (int i = 0; i < 64; ++i) {
    put(dram, 4 * i, a[i]);
    put(dram, 256 + 4 * i, b[i]);
    put(dram, 512 + 4 * i, 1.0f);
  }
  sim::Result result = runProgram(fmt::format(R"(
        li r1, 192
        li r2, 1
        dcfg.din shape, r1, r2, r2
        dload.f32.f32 vbuf[r0], dram[r0]
        signal din, vec, 0
        wait din, vec, 0
        li r3, 64
        vcfg len, r3, r2
        li r5, 512
        {}
        signal vec, dout, 0
        dcfg.dout shape, r3, r2, r2
        wait vec, dout, 0
        li r4, 4096
        dstore.f32.f32 dram[r4], vbuf[r5]
        end
  )",
                                              op),
                                  dram);
  EXPECT_TRUE(result.ok) << result.error << "\n" << op;
  std::vector<float> d(64);
  for (int i = 0; i < 64; ++i)
    d[i] = at<float>(dram, 4096 + 4 * i);
  return d;
}

TEST(SimInstructionTest, VectorOpsMatchFormulas) {
  std::mt19937 rng(8);
  std::uniform_real_distribution<float> dist(-3.0f, 3.0f);
  std::vector<float> a(64), b(64);
  for (int i = 0; i < 64; ++i) {
    a[i] = dist(rng);
    b[i] = i == 5 ? 0.0f : dist(rng);
  }
  a[7] = std::numeric_limits<float>::quiet_NaN();
  using Fn = std::function<float(float, float, float)>;
  struct Case {
    std::string op;
    Fn want;
  } cases[] = {
      {"vbin.sub.f32 vbuf[r5], vbuf[r0], vbuf[r0+256]",
       [](float x, float y, float) { return x - y; }},
      {"vbin.mul.f32 vbuf[r5], vbuf[r0], vbuf[r0+256]",
       [](float x, float y, float) { return x * y; }},
      {"vbin.div.f32 vbuf[r5], vbuf[r0], vbuf[r0+256]",
       [](float x, float y, float) { return x / y; }},
      {"vbin.max.f32 vbuf[r5], vbuf[r0], vbuf[r0+256]",
       [](float x, float y, float) {
         return std::isnan(x) ? x : std::max(x, y);
       }},
      {"vbin.min.f32 vbuf[r5], vbuf[r0], vbuf[r0+256]",
       [](float x, float y, float) {
         return std::isnan(x) ? x : std::min(x, y);
       }},
      {"vscal.mul.f32 vbuf[r5], vbuf[r0], -0.25",
       [](float x, float, float) { return x * -0.25f; }},
      {"vfma.f32 vbuf[r5], vbuf[r0], vbuf[r0+256]",
       [](float x, float y, float d) { return std::fma(x, y, d); }},
      {"vun.relu.f32 vbuf[r5], vbuf[r0]",
       [](float x, float, float) { return std::isnan(x) || x > 0 ? x : 0.0f; }},
      {"vun.neg.f32 vbuf[r5], vbuf[r0]",
       [](float x, float, float) { return -x; }},
      {"vun.abs.f32 vbuf[r5], vbuf[r0]",
       [](float x, float, float) { return std::fabs(x); }},
      {"vun.exp.f32 vbuf[r5], vbuf[r0]",
       [](float x, float, float) { return std::exp(x); }},
      {"vun.log.f32 vbuf[r5], vbuf[r0]",
       [](float x, float, float) { return std::log(x); }},
      {"vun.sqrt.f32 vbuf[r5], vbuf[r0]",
       [](float x, float, float) { return std::sqrt(x); }},
      {"vun.rsqrt.f32 vbuf[r5], vbuf[r0]",
       [](float x, float, float) { return 1.0f / std::sqrt(x); }},
      {"vun.recip.f32 vbuf[r5], vbuf[r0]",
       [](float x, float, float) { return 1.0f / x; }},
      {"vun.tanh.f32 vbuf[r5], vbuf[r0]",
       [](float x, float, float) { return std::tanh(x); }},
      {"vun.sigmoid.f32 vbuf[r5], vbuf[r0]",
       [](float x, float, float) { return 1.0f / (1.0f + std::exp(-x)); }},
      {"vun.erf.f32 vbuf[r5], vbuf[r0]",
       [](float x, float, float) { return std::erf(x); }},
      {"vun.gelu.f32 vbuf[r5], vbuf[r0]",
       [](float x, float, float) {
         return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f));
       }},
      {"vun.hardswish.f32 vbuf[r5], vbuf[r0]",
       [](float x, float, float) {
         return x * std::min(std::max(x / 6.0f + 0.5f, 0.0f), 1.0f);
       }},
      {"vun.gelu_tanh.f32 vbuf[r5], vbuf[r0]",
       [](float x, float, float) {
         float inner = 0.7978845608028654f * (x + 0.044715f * (x * x * x));
         return 0.5f * x * (1.0f + std::tanh(inner));
       }},
  };
  for (const Case &c : cases) {
    std::vector<float> got = vectorOp(c.op, a, b);
    for (int i = 0; i < 64; ++i) {
      float want = c.want(a[i], b[i], 1.0f);
      if (std::isnan(want))
        EXPECT_TRUE(std::isnan(got[i])) << c.op << " element " << i;
      else
        EXPECT_EQ(floatBits(got[i]), floatBits(want))
            << c.op << " element " << i << ": " << got[i] << " vs " << want;
    }
  }
}

TEST(SimInstructionTest, IntegerVectorOpsWrapThenSaturate) {
  std::vector<uint8_t> dram(8192, 0);
  int32_t values[16] = {INT32_MAX, INT32_MIN, 100, -100, 7, -7, 0, 1,
                        120,       -120,      60,  -60,  5, 3,  2, -1};
  for (int i = 0; i < 16; ++i)
    put(dram, 4 * i, values[i]);
  sim::Result result = runProgram(R"(
        li r1, 16
        li r2, 1
        dcfg.din shape, r1, r2, r2
        dload.i32.i32 vbuf[r0], dram[r0]
        dload.i32.i8 vbuf[r0+64], dram[r0]
        signal din, vec, 0
        wait din, vec, 0
        vcfg len, r1, r2
        li r5, 128
        vscal.add.i32 vbuf[r5], vbuf[r0], 1
        li r6, 192
        vbin.add.i8 vbuf[r6], vbuf[r0+64], vbuf[r0+64]
        li r7, 256
        vbin.div.i32 vbuf[r7], vbuf[r0], vbuf[r0+128]
        signal vec, dout, 0
        li r3, 192
        dcfg.dout shape, r3, r2, r2
        wait vec, dout, 0
        li r4, 4096
        dstore.i8.i8 dram[r4], vbuf[r5]
        end
  )",
                                  dram);
  ASSERT_TRUE(result.ok) << result.error;
  for (int i = 0; i < 16; ++i) {
    int32_t plusOne = static_cast<int32_t>(uint32_t(values[i]) + 1u);
    EXPECT_EQ(at<int32_t>(dram, 4096 + 4 * i), plusOne) << i;
    int8_t narrow = static_cast<int8_t>(std::clamp(values[i], -128, 127));
    EXPECT_EQ(at<int8_t>(dram, 4096 + 64 + i),
              std::clamp(2 * int(narrow), -128, 127))
        << i;
    int32_t divisor = plusOne;
    int32_t quotient = divisor == 0 ? 0
                       : values[i] == INT32_MIN && divisor == -1
                           ? INT32_MIN
                           : values[i] / divisor;
    EXPECT_EQ(at<int32_t>(dram, 4096 + 128 + 4 * i), quotient) << i;
  }
}

} // namespace

namespace {
/// Runs one vector instruction `op` (destination vbuf[r3], a at vbuf[r0],
/// b at vbuf[r0+256], len = a.size(), one repeat) on the device and returns
/// the `outLen` f32 results.
std::vector<float> runVector(const std::string &op, const std::vector<float> &a,
                             const std::vector<float> &b, size_t outLen) {
  std::vector<uint8_t> dram(2048, 0);
  // No memcpy of an empty vector: its data() may be null (UBSan).
  std::copy(a.begin(), a.end(), reinterpret_cast<float *>(dram.data()));
  std::copy(b.begin(), b.end(), reinterpret_cast<float *>(dram.data() + 256));
  sim::Result result = runProgram(fmt::format(R"(
        li r1, {}
        li r2, 1
        li r3, 512
        li r4, {}
        dcfg.din shape, r1, r2, r2
        dload.f32.f32 vbuf[r0], dram[r0]
        dload.f32.f32 vbuf[r0+256], dram[r0+256]
        signal din, vec, 0
        wait din, vec, 0
        vcfg len, r1, r2
        {}
        signal vec, dout, 0
        wait vec, dout, 0
        dcfg.dout shape, r4, r2, r2
        dstore.f32.f32 dram[r0+1024], vbuf[r3]
        end
  )",
                                              a.size(), outLen, op),
                                  dram);
  EXPECT_TRUE(result.ok) << result.error;
  std::vector<float> out(outLen);
  std::memcpy(out.data(), dram.data() + 1024, outLen * 4);
  return out;
}

uint32_t bitsOf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  return bits;
}
} // namespace

// docs/isa.md section 3 states these signed-zero and NaN rules; the device
// must keep them.
TEST(SimInstructionTest, SignedZeroAndNaNRulesOfTheSpec) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // max/min of equal operands (+0 and -0 compare equal) return a.
  std::vector<float> max =
      runVector("vbin.max.f32 vbuf[r3], vbuf[r0], "
                "vbuf[r0+256]",
                {-0.0f, 0.0f, nan, 1.0f}, {0.0f, -0.0f, 1.0f, nan}, 4);
  EXPECT_EQ(bitsOf(max[0]), 0x80000000u);
  EXPECT_EQ(bitsOf(max[1]), 0x00000000u);
  EXPECT_TRUE(std::isnan(max[2]));
  EXPECT_TRUE(std::isnan(max[3]));
  std::vector<float> min = runVector("vbin.min.f32 vbuf[r3], vbuf[r0], "
                                     "vbuf[r0+256]",
                                     {0.0f, -0.0f}, {-0.0f, 0.0f}, 2);
  EXPECT_EQ(bitsOf(min[0]), 0x00000000u);
  EXPECT_EQ(bitsOf(min[1]), 0x80000000u);
  // relu keeps -0 and NaN; neg flips the sign of zero.
  std::vector<float> relu =
      runVector("vun.relu.f32 vbuf[r3], vbuf[r0]", {-0.0f, -1.0f, nan}, {}, 3);
  EXPECT_EQ(bitsOf(relu[0]), 0x80000000u);
  EXPECT_EQ(bitsOf(relu[1]), 0x00000000u);
  EXPECT_TRUE(std::isnan(relu[2]));
  std::vector<float> neg =
      runVector("vun.neg.f32 vbuf[r3], vbuf[r0]", {0.0f}, {}, 1);
  EXPECT_EQ(bitsOf(neg[0]), 0x80000000u);
  // A float sum starts from its first element (pairwise, as the host
  // reference's), so a sum of negative zeros is -0; with a +0 it is +0.
  std::vector<float> sum =
      runVector("vred.sum.f32 vbuf[r3], vbuf[r0]", {-0.0f, -0.0f}, {}, 1);
  EXPECT_EQ(bitsOf(sum[0]), 0x80000000u);
  std::vector<float> mixed =
      runVector("vred.sum.f32 vbuf[r3], vbuf[r0]", {-0.0f, 0.0f}, {}, 1);
  EXPECT_EQ(bitsOf(mixed[0]), 0x00000000u);
  // A max reduction starts from the first element: -0 then +0 gives -0.
  std::vector<float> rmax =
      runVector("vred.max.f32 vbuf[r3], vbuf[r0]", {-0.0f, 0.0f}, {}, 1);
  EXPECT_EQ(bitsOf(rmax[0]), 0x80000000u);
}

TEST(SimInstructionTest, DmaInReadsWhatItLoadedOnlyOnceItLanded) {
  // One engine's accesses happen in program order (docs/isa.md §7), in time
  // too: a dmove that reads a load's destination starts once the load's
  // data is there (the DRAM latency), while one that reads other bytes
  // only follows the load's transfer.
  auto cycles = [](int64_t source) {
    std::vector<uint8_t> dram(8192, 0);
    put(dram, 0, 2.5f);
    sim::Result result = runProgram(fmt::format(R"(
        li r1, 1024
        li r2, 1
        dcfg.din shape, r1, r2, r2
        dload.f32.f32 vbuf[r0], dram[r0]
        li r3, {0}
        dmove.f32 ibuf[r0], vbuf[r3]
        signal din, dout, 0
        dcfg.dout shape, r1, r2, r2
        wait din, dout, 0
        dmove.f32 vbuf[r0+8192], ibuf[r0]
        end
  )",
                                                source),
                                    dram);
    EXPECT_TRUE(result.ok) << result.error;
    return result.stats.cycles;
  };
  std::string error;
  std::optional<TargetDesc> edge = loadBuiltinTarget("snpu-edge", error);
  ASSERT_TRUE(edge) << error;
  uint64_t loaded = cycles(0), other = cycles(4096);
  EXPECT_GE(loaded, other + edge->dramLatencyCycles / 2);
}
