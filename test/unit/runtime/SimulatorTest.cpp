//===- SimulatorTest.cpp - SNPU device model ------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Results are compared with independent scalar references written here; the
// checker tests break a correct kernel in one place and expect the simulator
// to name the problem.
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/sim/Simulator.h"
#include "sinan/runtime/Numerics.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

using namespace sinan;

namespace {

std::string readFile(const std::string &name) {
  std::ifstream file(std::string(SINAN_TEST_DIR) + "/sim/" + name);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

struct Outcome {
  sim::Result result;
  std::vector<uint8_t> dram;
};

Outcome simulate(const std::string &preset,
                 const std::vector<std::string> &programs,
                 std::vector<uint8_t> dram, sim::Options options = {}) {
  std::string error;
  std::optional<TargetDesc> target = loadBuiltinTarget(preset, error);
  EXPECT_TRUE(target) << error;
  isa::Kernel kernel;
  kernel.targetName = target->name;
  kernel.targetFingerprint = isa::targetFingerprint(*target);
  for (const std::string &text : programs) {
    auto program = isa::assemble(text, error);
    EXPECT_TRUE(program) << error;
    kernel.programs.push_back(program ? *program
                                      : std::vector<isa::Instruction>{});
  }
  Outcome outcome{sim::run(*target, kernel, dram, options), {}};
  outcome.dram = std::move(dram);
  return outcome;
}

template <typename T> T at(const std::vector<uint8_t> &bytes, size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

template <typename T>
void put(std::vector<uint8_t> &bytes, size_t offset, T v) {
  std::memcpy(bytes.data() + offset, &v, sizeof(T));
}

//===----------------------------------------------------------------------===//
// The hand-written double-buffered matmul (test/sim/matmul_bf16_256.s)
//===----------------------------------------------------------------------===//

constexpr size_t kN = 256, kA = 0, kB = 131072, kC = 262144;

std::vector<uint8_t> matmulInputs() {
  std::vector<uint8_t> dram(kC + kN * kN * 4, 0);
  std::mt19937 rng(11);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (size_t i = 0; i < kN * kN; ++i) {
    put(dram, kA + 2 * i, floatToBF16(dist(rng)));
    put(dram, kB + 2 * i, floatToBF16(dist(rng)));
  }
  return dram;
}

/// f32 accumulation in ascending k, one rounding per step (docs/isa.md s3).
std::vector<float> matmulReference(const std::vector<uint8_t> &dram) {
  std::vector<float> c(kN * kN);
  for (size_t i = 0; i < kN; ++i)
    for (size_t j = 0; j < kN; ++j) {
      float sum = 0.0f;
      for (size_t k = 0; k < kN; ++k) {
        float a = bf16ToFloat(at<uint16_t>(dram, kA + 2 * (i * kN + k)));
        float b = bf16ToFloat(at<uint16_t>(dram, kB + 2 * (k * kN + j)));
        float product = a * b; // Exact: 8-bit by 8-bit significands.
        sum = sum + product;
      }
      c[i * kN + j] = sum;
    }
  return c;
}

void expectMatmulResult(const Outcome &outcome,
                        const std::vector<uint8_t> &inputs) {
  ASSERT_TRUE(outcome.result.ok) << outcome.result.error;
  std::vector<float> want = matmulReference(inputs);
  for (size_t i = 0; i < kN * kN; ++i)
    ASSERT_EQ(floatBits(at<float>(outcome.dram, kC + 4 * i)),
              floatBits(want[i]))
        << "element " << i;
}

TEST(SimulatorTest, DoubleBufferedMatmulIsBitExact) {
  std::vector<uint8_t> inputs = matmulInputs();
  Outcome outcome =
      simulate("snpu-server", {readFile("matmul_bf16_256.s")}, inputs);
  expectMatmulResult(outcome, inputs);
  EXPECT_EQ(outcome.result.stats.totalMacs(), kN * kN * kN);
}

TEST(SimulatorTest, OverlapIsRewarded) {
  std::vector<uint8_t> inputs = matmulInputs();
  std::string kernel = readFile("matmul_bf16_256.s");
  std::string single = kernel;
  single.replace(single.find("li r20, 2"), 9, "li r20, 1");
  Outcome overlapped = simulate("snpu-server", {kernel}, inputs);
  Outcome serial = simulate("snpu-server", {single}, inputs);
  expectMatmulResult(overlapped, inputs);
  expectMatmulResult(serial, inputs);
  uint64_t fast = overlapped.result.stats.cycles;
  uint64_t slow = serial.result.stats.cycles;
  EXPECT_LT(fast * 100, slow * 80)
      << "double buffered " << fast << " cycles, single " << slow;
}

TEST(SimulatorTest, RandomEngineOrderGivesIdenticalResults) {
  std::vector<uint8_t> inputs = matmulInputs();
  std::string kernel = readFile("matmul_bf16_256.s");
  Outcome base = simulate("snpu-server", {kernel}, inputs);
  ASSERT_TRUE(base.result.ok) << base.result.error;
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    sim::Options options;
    options.seed = seed;
    Outcome shuffled = simulate("snpu-server", {kernel}, inputs, options);
    ASSERT_TRUE(shuffled.result.ok) << shuffled.result.error;
    EXPECT_EQ(shuffled.dram, base.dram) << "seed " << seed;
  }
}

TEST(SimulatorTest, DeletedWaitIsReportedAsHazard) {
  std::string kernel = readFile("matmul_bf16_256.s");
  kernel.replace(kernel.find("wait din, mxu, 0"), 16, "nop");
  Outcome outcome = simulate("snpu-server", {kernel}, matmulInputs());
  ASSERT_FALSE(outcome.result.ok);
  const std::string &error = outcome.result.error;
  EXPECT_NE(error.find("unsynchronised read-after-write hazard on ibuf"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("core 0 mxu instruction"), std::string::npos) << error;
  EXPECT_NE(error.find("core 0 din instruction"), std::string::npos) << error;
  EXPECT_NE(error.find("`dload.bf16.bf16 ibuf[r10], dram[r17]`"),
            std::string::npos)
      << error;
}

TEST(SimulatorTest, FourCoreMatmulMatchesReferenceOnSamples) {
  // The benchmark kernel (1024^3 on snpu-server, one row band per core).
  constexpr size_t n = 1024, b = 2u << 20, cBase = 4u << 20;
  std::vector<uint8_t> dram(8u << 20, 0);
  std::mt19937 rng(13);
  std::normal_distribution<float> dist;
  for (size_t i = 0; i < 2 * n * n; ++i)
    put(dram, 2 * i, floatToBF16(dist(rng)));
  std::string source = readFile("matmul_bf16_1024_server.s");
  std::vector<std::string> programs;
  for (int core = 0; core < 4; ++core) {
    std::string text = source;
    text.replace(text.find("li r1, 0 "), 9,
                 "li r1, " + std::to_string(256 * core) + " ");
    programs.push_back(text);
  }
  Outcome outcome = simulate("snpu-server", programs, dram);
  ASSERT_TRUE(outcome.result.ok) << outcome.result.error;
  std::string error;
  EXPECT_GT(outcome.result.stats.matrixUtilization(
                *loadBuiltinTarget("snpu-server", error), DType::BF16),
            0.85);
  for (int sample = 0; sample < 500; ++sample) {
    size_t i = rng() % n, j = rng() % n;
    float sum = 0.0f;
    for (size_t k = 0; k < n; ++k)
      sum = sum + bf16ToFloat(at<uint16_t>(dram, 2 * (i * n + k))) *
                      bf16ToFloat(at<uint16_t>(dram, b + 2 * (k * n + j)));
    ASSERT_EQ(floatBits(at<float>(outcome.dram, cBase + 4 * (i * n + j))),
              floatBits(sum))
        << "C[" << i << "][" << j << "]";
  }
}

TEST(SimulatorTest, TraceHasOneEventPerInstruction) {
  sim::Options options;
  options.trace = true;
  Outcome outcome = simulate("snpu-server", {readFile("matmul_bf16_256.s")},
                             matmulInputs(), options);
  ASSERT_TRUE(outcome.result.ok) << outcome.result.error;
  const std::string &trace = outcome.result.traceJson;
  EXPECT_EQ(trace.rfind("{\"traceEvents\":[", 0), 0u);
  size_t events = 0;
  for (size_t at = trace.find("\"ph\":\"X\""); at != std::string::npos;
       at = trace.find("\"ph\":\"X\"", at + 1))
    ++events;
  uint64_t instructions = 0;
  for (const auto &engine : outcome.result.stats.cores[0].engines)
    instructions += engine.instructions;
  EXPECT_EQ(events, instructions);
}

//===----------------------------------------------------------------------===//
// Checker
//===----------------------------------------------------------------------===//

TEST(SimulatorTest, CircularWaitIsDeadlock) {
  Outcome outcome = simulate("snpu-edge", {R"(
        wait mxu, din, 0
        signal din, mxu, 0
        wait din, mxu, 0
        signal mxu, din, 0
        end
  )"},
                             std::vector<uint8_t>(4096));
  ASSERT_FALSE(outcome.result.ok);
  const std::string &error = outcome.result.error;
  EXPECT_NE(error.find("deadlock"), std::string::npos) << error;
  EXPECT_NE(error.find("core 0 din instruction 0 `wait mxu, din, 0` waits: "
                       "semaphore (mxu -> din, 0) is 0"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("core 0 mxu instruction 2 `wait din, mxu, 0` waits"),
            std::string::npos)
      << error;
}

TEST(SimulatorTest, OutOfBoundsDmaNamesInstruction) {
  Outcome outcome = simulate("snpu-edge", {R"(
        li r1, 16
        li r2, 1
        dcfg.din shape, r1, r2, r2
        li r3, 4096
        dload.f32.f32 vbuf[r0], dram[r3]
        end
  )"},
                             std::vector<uint8_t>(4096));
  ASSERT_FALSE(outcome.result.ok);
  EXPECT_EQ(outcome.result.error,
            "core 0 din instruction 4 `dload.f32.f32 vbuf[r0], dram[r3]`: "
            "dram access [0x1000, 0x1040) is out of bounds (dram is 4096 "
            "bytes)");
}

// Found by sinan-fuzz-module-run: a corrupt kernel's 2^32-row transfer made
// the simulator list every row before checking any.
TEST(SimulatorTest, DmaRowLimit) {
  Outcome outcome = simulate("snpu-edge", {R"(
        li r1, 65536
        li r2, 1
        dcfg.din shape, r2, r1, r1
        dload.f32.f32 vbuf[r0], dram[r0]
        end
  )"},
                             std::vector<uint8_t>(4096));
  ASSERT_FALSE(outcome.result.ok);
  EXPECT_EQ(outcome.result.error,
            "core 0 din instruction 3 `dload.f32.f32 vbuf[r0], dram[r0]`: a "
            "transfer of 1 x 65536 x 65536 rows exceeds the limit of 1048576 "
            "rows");
}

// Found by sinan-fuzz-module-run: a transfer of 0 x 2^48 rows passed the row
// limit and then looped over the 2^48.
TEST(SimulatorTest, EmptyTransferWithHugeCounts) {
  Outcome outcome = simulate("snpu-edge", {R"(
        li r1, 8
        li r2, 281474976710656
        dcfg.din shape, r1, r0, r2
        dfill.bf16 ibuf[r0], 0x0
        end
  )"},
                             std::vector<uint8_t>(64));
  EXPECT_TRUE(outcome.result.ok) << outcome.result.error;
}

// Rows of zero elements move nothing, in every kind of transfer: a store
// of 4 such rows used to convert from a non-address (UBSan; found by
// sinan-fuzz-module-run).
TEST(SimulatorTest, EmptyRowsMoveNothing) {
  for (const char *move : {"dstore.f32.f32 dram[r0], vbuf[r0]",
                           "dstore.f32.f32.relu dram[r0], vbuf[r0]"}) {
    Outcome outcome = simulate("snpu-edge",
                               {fmt::format(R"(
        li r1, 4
        li r2, 1
        dcfg.dout shape, r0, r1, r2
        {}
        end
  )",
                                            move)},
                               std::vector<uint8_t>(64, 0xab));
    EXPECT_TRUE(outcome.result.ok) << move << ": " << outcome.result.error;
  }
}

// A transfer of 1024 one-element rows moves 4 KiB, 64 cycles' worth at
// edge's 64 bytes per cycle, but the engine takes a row per cycle. (That
// also bounds the rows a launch can make the simulator list under a cycle
// watchdog.)
TEST(SimulatorTest, DmaTakesACyclePerRow) {
  auto run = [](int64_t rows, int64_t elements) {
    // Local rows start on 64-byte boundaries.
    int64_t local = std::max<int64_t>(elements * 4, 64);
    std::string text = fmt::format(R"(
        li r1, {}
        li r2, {}
        li r3, 1
        li r4, {}
        li r5, {}
        dcfg.din shape, r1, r2, r3
        dcfg.din src, r4, r0, r0
        dcfg.din dst, r5, r0, r0
        dload.f32.f32 vbuf[r0], dram[r0]
        end
  )",
                                   elements, rows, elements * 4, local);
    Outcome outcome = simulate("snpu-edge", {text},
                               std::vector<uint8_t>(rows * elements * 4));
    EXPECT_TRUE(outcome.result.ok) << outcome.result.error;
    return outcome.result.stats.cycles;
  };
  uint64_t shortRows = run(1024, 1), longRows = run(16, 64);
  EXPECT_GE(shortRows, 1024u);
  EXPECT_LT(longRows, 512u); // The same 4 KiB in 16 rows: bytes bound it.
}

// Found by the same fuzzer: a vector length whose byte size wrapped around
// passed the bounds check.
TEST(SimulatorTest, VectorLengthBeyondAnyMemory) {
  Outcome outcome = simulate("snpu-edge", {R"(
        li r1, 0x4000000000000001
        li r2, 1
        vcfg len, r1, r2
        vun.relu.f32 vbuf[r0], vbuf[r0]
        end
  )"},
                             std::vector<uint8_t>(4096));
  ASSERT_FALSE(outcome.result.ok);
  EXPECT_EQ(outcome.result.error,
            "core 0 vec instruction 3 `vun.relu.f32 vbuf[r0], vbuf[r0]`: a "
            "block of 1 repeats of 4611686018427387905 elements is larger "
            "than any memory allows");
}

TEST(SimulatorTest, MisalignedLocalAddress) {
  Outcome outcome = simulate("snpu-edge", {R"(
        li r1, 4
        li r2, 1
        dcfg.din shape, r1, r2, r2
        dload.f32.f32 vbuf[r0+8], dram[r0]
        end
  )"},
                             std::vector<uint8_t>(4096));
  ASSERT_FALSE(outcome.result.ok);
  EXPECT_NE(
      outcome.result.error.find("vbuf address 0x8 is not aligned to 64 bytes"),
      std::string::npos)
      << outcome.result.error;
}

TEST(SimulatorTest, SemaphoreOverflow) {
  std::string program;
  for (int i = 0; i < 16; ++i)
    program += "signal din, mxu, 0\n";
  program += "end\n";
  Outcome outcome = simulate("snpu-edge", {program}, {});
  ASSERT_FALSE(outcome.result.ok);
  EXPECT_EQ(outcome.result.error,
            "core 0 din instruction 15 `signal din, mxu, 0`: semaphore "
            "overflows its maximum 15");
}

TEST(SimulatorTest, ProgramWithoutEnd) {
  Outcome outcome = simulate("snpu-edge", {"nop\nnop"}, {});
  ASSERT_FALSE(outcome.result.ok);
  EXPECT_EQ(outcome.result.error, "core 0 ran past the end of its "
                                  "2-instruction program without `end`");
}

TEST(SimulatorTest, KernelForAnotherTargetIsRejected) {
  std::string error;
  isa::Kernel kernel;
  kernel.targetName = "snpu-edge";
  kernel.targetFingerprint =
      isa::targetFingerprint(*loadBuiltinTarget("snpu-edge", error));
  kernel.programs.push_back(*isa::assemble("end", error));
  std::vector<uint8_t> dram;
  sim::Result result =
      sim::run(*loadBuiltinTarget("snpu-server", error), kernel, dram);
  ASSERT_FALSE(result.ok);
  EXPECT_EQ(result.error, "kernel was built for target 'snpu-edge', whose "
                          "parameters differ from 'snpu-server'");
}

//===----------------------------------------------------------------------===//
// Instructions against scalar references
//===----------------------------------------------------------------------===//

/// Loads 4 rows x 16 f32 from DRAM 0 into vbuf (pitch 64), runs `body`, and
/// stores `outRows` rows of `outBytes` bytes from vbuf 4096 to DRAM 8192.
std::string vectorHarness(const std::string &body, int outRows, int outElems,
                          const char *outType) {
  return fmt::format(R"(
        li r1, 16
        li r2, 4
        li r3, 1
        dcfg.din shape, r1, r2, r3
        li r4, 64
        dcfg.din src, r4, r0, r0
        dcfg.din dst, r4, r0, r0
        dload.f32.f32 vbuf[r0], dram[r0]
        dload.f32.f32 vbuf[r0+1024], dram[r0+256]
        signal din, vec, 0
        wait din, vec, 0
        li r5, 4096
{}
        signal vec, dout, 0
        wait vec, dout, 0
        li r6, {}
        li r7, {}
        dcfg.dout shape, r6, r7, r3
        li r8, 64
        dcfg.dout src, r8, r0, r0
        dcfg.dout dst, r8, r0, r0
        li r9, 8192
        dstore.{}.{} dram[r9], vbuf[r5]
        end
  )",
                     body, outElems, outRows, outType, outType);
}

std::vector<uint8_t> vectorInputs() {
  std::vector<uint8_t> dram(16384, 0);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(-4.0f, 4.0f);
  for (int i = 0; i < 128; ++i)
    put(dram, 4 * i, dist(rng));
  return dram;
}

float input(const std::vector<uint8_t> &dram, int row, int col,
            int second = 0) {
  return at<float>(dram, second * 256 + row * 64 + col * 4);
}

TEST(SimulatorTest, VectorBinaryWithBroadcastRow) {
  std::vector<uint8_t> dram = vectorInputs();
  // d[r] = a[r] + b[0]: the second operand's repeat stride is 0.
  Outcome outcome = simulate("snpu-edge",
                             {vectorHarness(R"(
        li r10, 16
        li r11, 4
        vcfg len, r10, r11
        li r12, 64
        vcfg stride, r12, r12, r0
        vbin.add.f32 vbuf[r5], vbuf[r0], vbuf[r0+1024]
  )",
                                            4, 16, "f32")},
                             dram);
  ASSERT_TRUE(outcome.result.ok) << outcome.result.error;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 16; ++c)
      EXPECT_EQ(at<float>(outcome.dram, 8192 + r * 64 + c * 4),
                input(dram, r, c) + input(dram, 0, c, 1));
}

TEST(SimulatorTest, VectorUnaryInBF16RoundsOnce) {
  std::vector<uint8_t> dram = vectorInputs();
  Outcome outcome = simulate("snpu-edge",
                             {vectorHarness(R"(
        li r10, 16
        li r11, 4
        vcfg len, r10, r11
        li r12, 64
        vcfg stride, r12, r12, r0
        li r13, 2048
        add r13, r13, r5
        vcvt.f32.bf16 vbuf[r13], vbuf[r0]
        vun.exp.bf16 vbuf[r13], vbuf[r13]
        vcvt.bf16.f32 vbuf[r5], vbuf[r13]
  )",
                                            4, 16, "f32")},
                             dram);
  ASSERT_TRUE(outcome.result.ok) << outcome.result.error;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 16; ++c) {
      float x = bf16ToFloat(floatToBF16(input(dram, r, c)));
      float want = bf16ToFloat(floatToBF16(std::exp(x)));
      EXPECT_EQ(at<float>(outcome.dram, 8192 + r * 64 + c * 4), want);
    }
}

TEST(SimulatorTest, VectorReduceSumAndMax) {
  std::vector<uint8_t> dram = vectorInputs();
  Outcome outcome = simulate("snpu-edge",
                             {vectorHarness(R"(
        li r10, 16
        li r11, 4
        vcfg len, r10, r11
        li r12, 64
        li r14, 4
        vcfg stride, r14, r12, r0
        vred.sum.f32 vbuf[r5], vbuf[r0]
        li r13, 64
        add r13, r13, r5
        vred.max.f32 vbuf[r13], vbuf[r0]
  )",
                                            2, 4, "f32")},
                             dram);
  ASSERT_TRUE(outcome.result.ok) << outcome.result.error;
  for (int r = 0; r < 4; ++r) {
    // A float sum is pairwise (docs/isa.md section 3): two runs of 8.
    float max = input(dram, r, 0);
    float sum = sinan::pairwiseSum(
        [&](int64_t c) { return input(dram, r, int(c)); }, 0, 16);
    EXPECT_NE(sum, 0.0f);
    for (int c = 0; c < 16; ++c)
      max = std::max(max, input(dram, r, c));
    EXPECT_EQ(at<float>(outcome.dram, 8192 + 4 * r), sum);
    EXPECT_EQ(at<float>(outcome.dram, 8192 + 64 + 4 * r), max);
  }
}

TEST(SimulatorTest, VectorTransposeAndCompareSelect) {
  std::vector<uint8_t> dram = vectorInputs();
  Outcome outcome = simulate("snpu-edge",
                             {vectorHarness(R"(
        li r10, 16
        li r11, 4
        vcfg len, r10, r11
        li r12, 64
        vcfg stride, r12, r12, r12
        li r13, 2048
        vcmp.gt.f32 vbuf[r13], vbuf[r0], vbuf[r0+1024]
        li r15, 3072
        vbin.add.f32 vbuf[r15], vbuf[r0+1024], vbuf[r0+1024]
        vsel.f32 vbuf[r15], vbuf[r13], vbuf[r0]
        li r14, 16
        vcfg stride, r12, r12, r0
        vtrans.f32 vbuf[r5], vbuf[r15]
  )",
                                            16, 4, "f32")},
                             dram);
  ASSERT_TRUE(outcome.result.ok) << outcome.result.error;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 16; ++c) {
      float a = input(dram, r, c), b = input(dram, r, c, 1);
      float selected = a > b ? a : b + b;
      // Transposed: element (r, c) lands in row c, column r.
      EXPECT_EQ(at<float>(outcome.dram, 8192 + c * 64 + r * 4), selected);
    }
}

TEST(SimulatorTest, RequantizeRoundsAndSaturates) {
  std::vector<uint8_t> dram(16384, 0);
  int32_t values[16] = {0,   1,    2, 3, -3, 100, 1000, -1000,
                        255, -256, 7, 8, 9,  10,  11,   -12};
  for (int i = 0; i < 16; ++i)
    put(dram, 4 * i, values[i]);
  put<int32_t>(dram, 256, 3); // mult
  put<int32_t>(dram, 260, 2); // shift: x * 3 / 4, rounding half up
  Outcome outcome = simulate("snpu-edge", {R"(
        li r1, 16
        li r2, 1
        dcfg.din shape, r1, r2, r2
        dload.i32.i32 vbuf[r0], dram[r0]
        li r3, 2
        dcfg.din shape, r3, r2, r2
        dload.i32.i32 vbuf[r0+64], dram[r0+256]
        signal din, vec, 0
        wait din, vec, 0
        vcfg len, r1, r2
        li r5, 128
        vreq vbuf[r5], vbuf[r0], vbuf[r0+64], 5
        signal vec, dout, 0
        wait vec, dout, 0
        dcfg.dout shape, r1, r2, r2
        li r9, 8192
        dstore.i8.i8 dram[r9], vbuf[r5]
        end
  )"},
                             dram);
  ASSERT_TRUE(outcome.result.ok) << outcome.result.error;
  for (int i = 0; i < 16; ++i) {
    int64_t scaled = (int64_t(values[i]) * 3 + 2) >> 2;
    int64_t want = std::clamp<int64_t>(scaled + 5, -128, 127);
    EXPECT_EQ(at<int8_t>(outcome.dram, 8192 + i), want) << values[i];
  }
}

TEST(SimulatorTest, Int8MatmulWrapsInInt32) {
  // One 16x32 by 32x16 int8 tile on snpu-edge.
  std::vector<uint8_t> dram(16384, 0);
  std::mt19937 rng(9);
  for (int i = 0; i < 16 * 32 + 32 * 16; ++i)
    dram[i] = static_cast<uint8_t>(rng());
  Outcome outcome = simulate("snpu-edge", {R"(
        mcfg 16, 32, 16
        li r1, 32
        li r2, 16
        li r3, 1
        dcfg.din shape, r1, r2, r3
        li r4, 32
        li r5, 64
        dcfg.din src, r4, r0, r0
        dcfg.din dst, r5, r0, r0
        dload.i8.i8 ibuf[r0], dram[r0]
        dcfg.din shape, r2, r1, r3
        li r6, 16
        dcfg.din src, r6, r0, r0
        dload.i8.i8 wbuf[r0], dram[r0+512]
        signal din, mxu, 0
        wait din, mxu, 0
        mma.i8 acc[r0], ibuf[r0], wbuf[r0]
        signal mxu, dout, 0
        wait mxu, dout, 0
        dcfg.dout shape, r2, r2, r3
        dcfg.dout src, r5, r0, r0
        dcfg.dout dst, r5, r0, r0
        li r9, 4096
        dstore.i32.i32 dram[r9], acc[r0]
        end
  )"},
                             dram);
  ASSERT_TRUE(outcome.result.ok) << outcome.result.error;
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 16; ++j) {
      int32_t sum = 0;
      for (int k = 0; k < 32; ++k)
        sum += int32_t(int8_t(dram[i * 32 + k])) *
               int32_t(int8_t(dram[512 + k * 16 + j]));
      EXPECT_EQ(at<int32_t>(outcome.dram, 4096 + i * 64 + j * 4), sum);
    }
  EXPECT_EQ(outcome.result.stats.totalMacs(), 16u * 32 * 16);
}

TEST(SimulatorTest, MatrixBlockMustBeTileMultiple) {
  Outcome outcome = simulate("snpu-edge", {R"(
        mcfg 16, 8, 16
        mma.i8 acc[r0], ibuf[r0], wbuf[r0]
        end
  )"},
                             {});
  ASSERT_FALSE(outcome.result.ok);
  EXPECT_EQ(outcome.result.error,
            "core 0 mxu instruction 1 `mma.i8 acc[r0], ibuf[r0], wbuf[r0]`: "
            "block 16x8x16 (from mcfg) is not a multiple of the i8 tile "
            "16x32x16");
}

} // namespace

namespace {

std::vector<uint8_t> rowInputs(std::vector<float> &x) {
  std::vector<uint8_t> dram(8192, 0);
  std::mt19937 rng(21);
  std::normal_distribution<float> dist(0.0f, 3.0f);
  x.resize(8 * 64);
  for (int i = 0; i < 8 * 64; ++i) {
    x[i] = dist(rng);
    put(dram, 4 * i, x[i]);
  }
  return dram;
}

TEST(SimulatorTest, SoftmaxOnDevice) {
  std::vector<float> x;
  std::vector<uint8_t> dram = rowInputs(x);
  Outcome outcome = simulate("snpu-edge", {readFile("softmax_f32.s")}, dram);
  ASSERT_TRUE(outcome.result.ok) << outcome.result.error;
  for (int r = 0; r < 8; ++r) {
    const float *row = &x[r * 64];
    float max = row[0];
    for (int i = 1; i < 64; ++i)
      max = std::max(max, row[i]);
    float e[64];
    for (int i = 0; i < 64; ++i)
      e[i] = std::exp(row[i] - max);
    float sum = sinan::pairwiseSum([&](int64_t i) { return e[i]; }, 0, 64);
    float scale = 1.0f / sum;
    for (int i = 0; i < 64; ++i)
      ASSERT_EQ(at<float>(outcome.dram, 4096 + 4 * (r * 64 + i)), e[i] * scale)
          << r << "," << i;
  }
}

TEST(SimulatorTest, LayerNormOnDevice) {
  std::vector<float> x;
  std::vector<uint8_t> dram = rowInputs(x);
  float gamma[64], beta[64];
  for (int i = 0; i < 64; ++i) {
    gamma[i] = 0.5f + i / 64.0f;
    beta[i] = i * 0.125f - 4.0f;
    put(dram, 2048 + 4 * i, gamma[i]);
    put(dram, 2304 + 4 * i, beta[i]);
  }
  Outcome outcome = simulate("snpu-edge", {readFile("layernorm_f32.s")}, dram);
  ASSERT_TRUE(outcome.result.ok) << outcome.result.error;
  for (int r = 0; r < 8; ++r) {
    const float *row = &x[r * 64];
    float sum = sinan::pairwiseSum([&](int64_t i) { return row[i]; }, 0, 64);
    float mean = sum * 0.015625f;
    float centred[64], square[64];
    for (int i = 0; i < 64; ++i) {
      centred[i] = row[i] - mean;
      square[i] = centred[i] * centred[i];
    }
    float squares =
        sinan::pairwiseSum([&](int64_t i) { return square[i]; }, 0, 64);
    float rstd = 1.0f / std::sqrt(squares * 0.015625f + 9.99999975e-06f);
    for (int i = 0; i < 64; ++i)
      ASSERT_EQ(at<float>(outcome.dram, 4096 + 4 * (r * 64 + i)),
                centred[i] * rstd * gamma[i] + beta[i])
          << r << "," << i;
  }
}

constexpr const char *kProducer = R"(
        li r1, 64
        li r2, 1
        li r3, 1024
        dcfg.din shape, r1, r2, r2
        dcfg.dout shape, r1, r2, r2
        dload.i8.i8 vbuf[r0], dram[r0]
        signal din, dout, 0
        wait din, dout, 0
        dstore.i8.i8 dram[r3], vbuf[r0]
        csignal 1, 0
        end
)";

constexpr const char *kConsumer = R"(
        cwait 0
        li r1, 64
        li r2, 1
        li r3, 1024
        li r4, 2048
        dcfg.din shape, r1, r2, r2
        dcfg.dout shape, r1, r2, r2
        dload.i8.i8 vbuf[r0], dram[r3]
        signal din, dout, 0
        wait din, dout, 0
        dstore.i8.i8 dram[r4], vbuf[r0]
        end
)";

TEST(SimulatorTest, CrossCoreHandOff) {
  std::vector<uint8_t> dram(4096, 0);
  for (int i = 0; i < 64; ++i)
    dram[i] = static_cast<uint8_t>(i * 7 + 1);
  Outcome outcome = simulate("snpu-server", {kProducer, kConsumer}, dram);
  ASSERT_TRUE(outcome.result.ok) << outcome.result.error;
  for (int i = 0; i < 64; ++i)
    EXPECT_EQ(outcome.dram[2048 + i], dram[i]);
  // Core 1 could not start before core 0's store finished.
  EXPECT_GT(outcome.result.stats.cores[1].engines[0].semaphoreStallCycles, 0u);
}

TEST(SimulatorTest, MissingCrossCoreWaitIsHazard) {
  std::string consumer = kConsumer;
  consumer.replace(consumer.find("cwait 0"), 7, "nop");
  std::string producer = kProducer;
  producer.replace(producer.find("csignal 1, 0"), 12, "nop");
  Outcome outcome =
      simulate("snpu-server", {producer, consumer}, std::vector<uint8_t>(4096));
  ASSERT_FALSE(outcome.result.ok);
  const std::string &error = outcome.result.error;
  EXPECT_NE(error.find("unsynchronised"), std::string::npos) << error;
  EXPECT_NE(error.find("on dram[0x400, 0x440)"), std::string::npos) << error;
  EXPECT_NE(error.find("core 0 dout instruction 8"), std::string::npos)
      << error;
  EXPECT_NE(error.find("core 1 din instruction 7"), std::string::npos) << error;
}

} // namespace
