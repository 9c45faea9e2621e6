//===- KernelTest.cpp - SNPU kernel binary container ----------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/isa/Kernel.h"
#include "sinan/runtime/Target.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <random>

using namespace sinan;
using namespace sinan::isa;

namespace {

Kernel sampleKernel() {
  std::string error;
  Kernel kernel;
  kernel.targetName = "snpu-server";
  kernel.targetFingerprint =
      targetFingerprint(*loadBuiltinTarget("snpu-server", error));
  kernel.programs.push_back(
      *assemble("li r1, 64\nsignal din, mxu, 0\nend", error));
  kernel.programs.push_back(*assemble("wait din, mxu, 0\nend", error));
  kernel.readOnlyData = {1, 2, 3, 4, 5};
  kernel.scratchBytes = 4096;
  kernel.unreadArguments = 0b10;
  return kernel;
}

std::string readError(const std::vector<uint8_t> &bytes) {
  std::string error;
  EXPECT_FALSE(readKernel(bytes.data(), bytes.size(), error));
  return error;
}

TEST(KernelTest, RoundTrip) {
  Kernel kernel = sampleKernel();
  std::vector<uint8_t> bytes = writeKernel(kernel);
  std::string error;
  std::optional<Kernel> back = readKernel(bytes.data(), bytes.size(), error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->targetName, "snpu-server");
  EXPECT_EQ(back->targetFingerprint, kernel.targetFingerprint);
  EXPECT_EQ(back->programs, kernel.programs);
  EXPECT_EQ(back->readOnlyData, kernel.readOnlyData);
  EXPECT_EQ(back->scratchBytes, 4096u);
  EXPECT_EQ(back->unreadArguments, 0b10u);
}

TEST(KernelTest, FingerprintTellsTargetsApart) {
  std::string error;
  std::optional<TargetDesc> edge = loadBuiltinTarget("snpu-edge", error);
  std::optional<TargetDesc> server = loadBuiltinTarget("snpu-server", error);
  ASSERT_TRUE(edge && server);
  EXPECT_NE(targetFingerprint(*edge), targetFingerprint(*server));
  TargetDesc slower = *edge;
  slower.dramBytesPerCycle /= 2;
  EXPECT_NE(targetFingerprint(slower), targetFingerprint(*edge));
  slower = *edge;
  slower.sources.clear(); // Notes are not part of the fingerprint.
  EXPECT_EQ(targetFingerprint(slower), targetFingerprint(*edge));
}

TEST(KernelTest, TruncatedBadMagicAndWrongVersion) {
  std::vector<uint8_t> bytes = writeKernel(sampleKernel());
  EXPECT_EQ(readError({bytes.begin(), bytes.begin() + 10}),
            "truncated: 10 bytes, the header alone needs 16");
  std::vector<uint8_t> cut(bytes.begin(), bytes.end() - 20);
  EXPECT_NE(readError(cut).find("extends past the end"), std::string::npos);

  std::vector<uint8_t> magic = bytes;
  magic[0] = 'X';
  EXPECT_EQ(readError(magic), "bad magic at offset 0: not an SNPU kernel "
                              "(expected \"SNPUKERN\")");
  std::vector<uint8_t> version = bytes;
  version[8] = 2;
  EXPECT_EQ(readError(version), "kernel format version 2.1 at offset 8; this "
                                "build reads version 1.x");
}

TEST(KernelTest, BadInstructionNamesCoreIndexAndOffset) {
  std::vector<uint8_t> bytes = writeKernel(sampleKernel());
  std::string error;
  // Find core 1's program (the second program section) and corrupt its first
  // opcode to an unassigned value.
  uint64_t offset = 0;
  for (int i = 0; i < 4; ++i) {
    const uint8_t *entry = bytes.data() + 16 + 24 * i;
    if (entry[0] == 1 && entry[4] == 1) {
      offset = 0;
      for (int b = 7; b >= 0; --b)
        offset = offset << 8 | entry[8 + b];
    }
  }
  ASSERT_NE(offset, 0u);
  bytes[offset] = 0x06;
  EXPECT_EQ(readError(bytes),
            fmt::format("core 1 instruction 0 (file offset 0x{:x}): unknown "
                        "opcode 0x06",
                        offset));
}

TEST(KernelTest, CorruptionNeverCrashes) {
  std::vector<uint8_t> pristine = writeKernel(sampleKernel());
  std::mt19937 rng(3);
  int rejected = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    std::vector<uint8_t> bytes = pristine;
    int flips = 1 + trial % 4;
    for (int i = 0; i < flips; ++i)
      bytes[rng() % bytes.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    if (trial % 5 == 0)
      bytes.resize(rng() % bytes.size());
    std::string error;
    if (!readKernel(bytes.data(), bytes.size(), error)) {
      EXPECT_FALSE(error.empty());
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 1000);
}

} // namespace
