//===- TargetTest.cpp - SNPU target descriptions --------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/Target.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

using namespace sinan;
using nlohmann::json;

namespace {

std::string presetPath(const std::string &name) {
  return std::string(SINAN_TARGETS_DIR) + "/" + name + ".json";
}

json presetJson(const std::string &name) {
  std::ifstream file(presetPath(name));
  return json::parse(file);
}

/// Parses `document`, expecting failure; returns the error text.
std::string parseError(const json &document) {
  std::string error;
  EXPECT_FALSE(parseTarget(document.dump(), "t.json", error).has_value());
  return error;
}

TEST(TargetTest, BuiltinPresetsParse) {
  std::vector<std::string> names = builtinTargetNames();
  EXPECT_EQ(names, (std::vector<std::string>{"snpu-edge", "snpu-server"}));
  for (const std::string &name : names) {
    std::string error;
    std::optional<TargetDesc> desc = loadBuiltinTarget(name, error);
    ASSERT_TRUE(desc) << error;
    EXPECT_EQ(desc->name, name);
  }
}

TEST(TargetTest, ServerPresetValues) {
  std::string error;
  std::optional<TargetDesc> desc = loadBuiltinTarget("snpu-server", error);
  ASSERT_TRUE(desc) << error;
  EXPECT_EQ(desc->cores, 4u);
  EXPECT_EQ(desc->clockMhz, 1000u);
  EXPECT_EQ(desc->ibuf.sizeBytes, 512u * 1024);
  EXPECT_EQ(desc->dramBytesPerCycle, 1024u);
  ASSERT_EQ(desc->matrixTiles.count(DType::BF16), 1u);
  EXPECT_EQ(desc->matrixTiles.at(DType::BF16).macsPerCycle(), 4096u);
  EXPECT_EQ(desc->peakMacsPerCycle(DType::BF16), 4u * 4096);
  EXPECT_EQ(desc->peakMacsPerCycle(DType::I8), 4u * 8192);
  EXPECT_EQ(desc->peakMacsPerCycle(DType::F32), 0u);
}

TEST(TargetTest, EdgePresetIsInt8Centric) {
  std::string error;
  std::optional<TargetDesc> desc = loadBuiltinTarget("snpu-edge", error);
  ASSERT_TRUE(desc) << error;
  EXPECT_EQ(desc->cores, 1u);
  EXPECT_GT(desc->peakMacsPerCycle(DType::I8),
            desc->peakMacsPerCycle(DType::BF16));
  EXPECT_LT(desc->ibuf.sizeBytes,
            loadBuiltinTarget("snpu-server", error)->ibuf.sizeBytes);
}

TEST(TargetTest, EveryParameterHasASource) {
  std::string error;
  for (const std::string &name : builtinTargetNames()) {
    std::optional<TargetDesc> desc = loadBuiltinTarget(name, error);
    ASSERT_TRUE(desc) << error;
    EXPECT_GE(desc->sources.size(), 30u) << name;
    for (const auto &[path, source] : desc->sources)
      EXPECT_FALSE(source.empty()) << name << " " << path;
    EXPECT_NE(desc->sources.count("dram.bytes_per_cycle"), 0u);
  }
}

TEST(TargetTest, FilesOnDiskMatchTheBuiltinPresets) {
  for (const std::string &name : builtinTargetNames()) {
    std::string error;
    std::optional<TargetDesc> file = loadTarget(presetPath(name), error);
    ASSERT_TRUE(file) << error;
    std::optional<TargetDesc> builtin = loadBuiltinTarget(name, error);
    ASSERT_TRUE(builtin) << error;
    EXPECT_EQ(file->sources, builtin->sources);
    EXPECT_EQ(file->dramBytesPerCycle, builtin->dramBytesPerCycle);
  }
}

TEST(TargetTest, UnknownKeyAndMissingFieldAreBothNamed) {
  json doc = presetJson("snpu-edge");
  doc["clock_mhzz"] = doc["clock_mhz"];
  doc.erase("clock_mhz");
  std::string error = parseError(doc);
  EXPECT_NE(error.find("t.json: clock_mhz: missing field"), std::string::npos)
      << error;
  EXPECT_NE(error.find("t.json: clock_mhzz: unknown key"), std::string::npos)
      << error;
}

TEST(TargetTest, MissingSourceIsAnError) {
  json doc = presetJson("snpu-server");
  doc["dram"]["latency_cycles"].erase("source");
  EXPECT_NE(parseError(doc).find("dram.latency_cycles.source: missing field"),
            std::string::npos);
  doc["dram"]["latency_cycles"]["source"] = "";
  EXPECT_NE(parseError(doc).find("dram.latency_cycles.source: must say where"),
            std::string::npos);
}

TEST(TargetTest, ImpossibleValuesAreRejected) {
  json doc = presetJson("snpu-edge");
  doc["cores"]["value"] = 0;
  doc["dma"]["setup_cycles"]["value"] = -3;
  doc["vector"]["bytes_per_cycle"]["value"] = "wide";
  std::string error = parseError(doc);
  EXPECT_NE(error.find("cores.value: 0 is out of range [1, 256]"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("dma.setup_cycles.value: must be a non-negative "
                       "integer, got -3"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("vector.bytes_per_cycle.value: must be a non-negative "
                       "integer, got \"wide\""),
            std::string::npos)
      << error;
}

TEST(TargetTest, InconsistentValuesAreRejected) {
  json doc = presetJson("snpu-edge");
  doc["local"]["vbuf"]["banks"]["value"] = 3;
  doc["alignment_bytes"]["value"] = 48;
  doc["matrix"]["int8"]["k"]["value"] = 24;
  std::string error = parseError(doc);
  EXPECT_NE(error.find("local.vbuf.banks: 3 is not a power of two"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("alignment_bytes: 48 is not a power of two"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("matrix.int8.k: 24 is not a power of two"),
            std::string::npos)
      << error;

  json multi = presetJson("snpu-server");
  multi["sync"]["cross_core_semaphores"]["value"] = 0;
  EXPECT_NE(parseError(multi).find("sync.cross_core_semaphores: must be at "
                                   "least 1 with 4 cores"),
            std::string::npos);

  json tiny = presetJson("snpu-edge");
  tiny["local"]["acc"]["size_kib"]["value"] = 1;
  EXPECT_NE(parseError(tiny).find("does not fit in one bank"),
            std::string::npos);
}

TEST(TargetTest, UnsupportedMatrixTypeAndSchema) {
  json doc = presetJson("snpu-edge");
  doc["matrix"]["fp8"] = doc["matrix"]["int8"];
  doc["schema"] = "sinan-target/2";
  std::string error = parseError(doc);
  EXPECT_NE(error.find("matrix.fp8: unknown key"), std::string::npos) << error;
  EXPECT_NE(error.find("schema: unsupported schema 'sinan-target/2'"),
            std::string::npos)
      << error;
}

TEST(TargetTest, SyntaxErrorGivesByteOffset) {
  std::string error;
  EXPECT_FALSE(parseTarget("{\"name\": \"x\",, }", "bad.json", error));
  EXPECT_NE(error.find("bad.json: invalid JSON at byte 14"), std::string::npos)
      << error;
  EXPECT_FALSE(parseTarget("[1, 2]", "array.json", error));
  EXPECT_NE(error.find("array.json: must be an object"), std::string::npos)
      << error;
}

TEST(TargetTest, UnknownPresetListsTheBuiltins) {
  std::string error;
  EXPECT_FALSE(resolveTarget("snpu-mega", error));
  EXPECT_EQ(error, "unknown target preset 'snpu-mega' (built in: snpu-edge, "
                   "snpu-server)");
  EXPECT_FALSE(resolveTarget("/no/such/target.json", error));
  EXPECT_EQ(error, "/no/such/target.json: cannot open target description");
  EXPECT_TRUE(resolveTarget(presetPath("snpu-edge"), error)) << error;
}

} // namespace
