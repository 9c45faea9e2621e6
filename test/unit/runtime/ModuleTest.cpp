//===- ModuleTest.cpp - .snm writer, loader and validator -----------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/module/Module.h"
#include "sinan/runtime/exec/Packing.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>

using namespace sinan;
using namespace sinan::module;

namespace {

std::vector<uint8_t> floats(std::vector<float> values) {
  std::vector<uint8_t> bytes(values.size() * 4);
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

/// y = relu(x + w) with w a constant and one intermediate.
ModuleDesc sample() {
  ModuleDesc m;
  m.compilerVersion = "sinan test";
  m.sourceHash = std::string(64, 'a');
  m.target = "snpu-edge";
  m.targetFingerprint = 0x1234;
  m.values = {{"x", ValueKind::Input, DType::F32, {2, 3}, 0},
              {"w", ValueKind::Constant, DType::F32, {2, 3}, 0},
              {"t", ValueKind::Intermediate, DType::F32, {2, 3}, 0},
              {"y", ValueKind::Output, DType::F32, {2, 3}, 0}};
  m.inputs = {0};
  m.outputs = {3};
  m.arenaSize = 24;
  StepDesc add{StepKind::HostOp, "add", {}, {0, 1}, {2}, -1, {}};
  StepDesc relu{StepKind::HostOp, "relu", {}, {2}, {3}, -1, {0}};
  relu.attributes = {{"alpha", 0.5},
                     {"axes", std::vector<int64_t>{1, -1}},
                     {"mode", std::string("constant")},
                     {"group", int64_t{2}},
                     {"scales", std::vector<double>{1.5}}};
  m.steps = {add, relu};
  return m;
}

std::vector<uint8_t> sampleBytes(ModuleDesc m = sample()) {
  return writeModule(std::move(m), {floats({1, 2, 3, 4, 5, 6})});
}

std::string loadError(const std::vector<uint8_t> &bytes) {
  std::string error;
  auto module = Module::loadFromMemory(bytes.data(), bytes.size(), error);
  return module ? "" : (error.empty() ? "<empty error>" : error);
}

TEST(Module, RoundTrip) {
  std::vector<uint8_t> bytes = sampleBytes();
  std::string error;
  auto module = Module::loadFromMemory(bytes.data(), bytes.size(), error);
  ASSERT_TRUE(module) << error;
  const ModuleDesc &m = module->desc();
  EXPECT_EQ(m.majorVersion, kMajorVersion);
  EXPECT_EQ(m.compilerVersion, "sinan test");
  EXPECT_EQ(m.target, "snpu-edge");
  EXPECT_EQ(m.targetFingerprint, 0x1234u);
  ASSERT_EQ(m.values.size(), 4u);
  EXPECT_EQ(m.values[1].name, "w");
  EXPECT_EQ(m.values[1].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(m.inputs, std::vector<uint32_t>{0});
  EXPECT_EQ(m.outputs, std::vector<uint32_t>{3});
  ASSERT_EQ(m.steps.size(), 2u);
  EXPECT_EQ(m.steps[1].op, "relu");
  EXPECT_EQ(m.steps[1].deps, std::vector<uint32_t>{0});
  EXPECT_EQ(std::get<double>(*m.steps[1].attr("alpha")), 0.5);
  EXPECT_EQ(std::get<std::vector<int64_t>>(*m.steps[1].attr("axes")),
            (std::vector<int64_t>{1, -1}));
  EXPECT_EQ(std::get<std::string>(*m.steps[1].attr("mode")), "constant");
  EXPECT_EQ(std::get<int64_t>(*m.steps[1].attr("group")), 2);
  EXPECT_EQ(std::get<std::vector<double>>(*m.steps[1].attr("scales")),
            std::vector<double>{1.5});
  EXPECT_EQ(m.steps[1].attr("missing"), nullptr);
  float w[6];
  std::memcpy(w, module->constantData(1), sizeof(w));
  EXPECT_EQ(w[5], 6.0f);
}

TEST(Module, FileIsMappedWithAlignedConstants) {
  std::vector<uint8_t> bytes = sampleBytes();
  std::string path = ::testing::TempDir() + "/sinan-module-test.snm";
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  std::string error;
  auto module = Module::load(path, error);
  ASSERT_TRUE(module) << error;
  EXPECT_TRUE(module->isMapped());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(module->constantData(1)) %
                kDataAlignment,
            0u);
  std::remove(path.c_str());
  EXPECT_FALSE(Module::load(path, error));
  EXPECT_NE(error.find("cannot open"), std::string::npos) << error;
}

TEST(Module, EveryTruncationIsAnError) {
  std::vector<uint8_t> bytes = sampleBytes();
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + n);
    EXPECT_NE(loadError(cut), "") << "prefix of " << n << " bytes loaded";
  }
  EXPECT_NE(loadError({}).find("shorter than the 64-byte module header"),
            std::string::npos);
}

TEST(Module, BadMagicAndVersion) {
  std::vector<uint8_t> bytes = sampleBytes();
  std::vector<uint8_t> magic = bytes;
  magic[0] = 'X';
  EXPECT_NE(loadError(magic).find("bad magic at offset 0"), std::string::npos);
  std::vector<uint8_t> newer = bytes;
  newer[8] = 2; // major version
  EXPECT_NE(loadError(newer).find(fmt::format(
                "module format version 2.{}; this runtime reads version 1.x",
                module::kMinorVersion)),
            std::string::npos)
      << loadError(newer);
  std::vector<uint8_t> minor = bytes;
  minor[10] = 7; // a newer minor version still loads
  EXPECT_EQ(loadError(minor), "");
}

// Random single-bit flips either load or fail with a message; under the
// asan preset this also proves no flip reads out of bounds.
TEST(Module, BitFlipsNeverCrash) {
  std::vector<uint8_t> bytes = sampleBytes();
  std::mt19937 rng(42);
  int rejected = 0;
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> flipped = bytes;
    size_t bit = rng() % (flipped.size() * 8);
    flipped[bit / 8] ^= uint8_t(1u << (bit % 8));
    rejected += loadError(flipped) != "";
  }
  EXPECT_GT(rejected, 0);
}

TEST(Module, ValidatorNamesTheCulprit) {
  auto errorOf = [](auto mutate) {
    ModuleDesc m = sample();
    mutate(m);
    return loadError(sampleBytes(m));
  };
  EXPECT_NE(errorOf([](ModuleDesc &m) { m.steps[1].deps = {1}; })
                .find("step 1 ('relu') depends on step 1, which does not come "
                      "before it"),
            std::string::npos);
  EXPECT_NE(errorOf([](ModuleDesc &m) { m.steps[1].deps = {}; })
                .find("step 1 ('relu') reads value 2 ('t'), written by step "
                      "0, without depending on that step"),
            std::string::npos);
  EXPECT_NE(errorOf([](ModuleDesc &m) {
              std::swap(m.steps[0], m.steps[1]);
            }).find("depends on step 0, which does not come before it"),
            std::string::npos);
  EXPECT_NE(errorOf([](ModuleDesc &m) {
              m.steps[0].inputs = {0, 9};
            }).find("step 0 ('add') reads value 9, but the module has 4"),
            std::string::npos);
  EXPECT_NE(errorOf([](ModuleDesc &m) { m.arenaSize = 8; })
                .find("value 2 ('t'): 24 bytes at arena offset 0 lie outside "
                      "the 8-byte arena"),
            std::string::npos);
  EXPECT_NE(errorOf([](ModuleDesc &m) {
              m.steps[0].kind = StepKind::KernelLaunch;
              m.steps[0].kernel = 3;
            }).find("step 0 ('add') launches kernel 3, but the module has 0"),
            std::string::npos);
  EXPECT_NE(errorOf([](ModuleDesc &m) { m.outputs = {2}; })
                .find("module output list names value 2, which is not an "
                      "output value"),
            std::string::npos);
  EXPECT_NE(errorOf([](ModuleDesc &m) {
              m.kernels.push_back({"broken", {1, 2, 3}});
            }).find("kernel 0 ('broken'): "),
            std::string::npos);
  // Found by sinan-fuzz-module-run: an input value the caller never binds.
  EXPECT_NE(errorOf([](ModuleDesc &m) {
              m.inputs = {0, 0};
            })
                .find("value 0 ('x') appears 2 times in the module's input "
                      "list, not once"),
            std::string::npos)
      << errorOf([](ModuleDesc &m) {
           m.inputs = {0, 0};
         });
  EXPECT_NE(errorOf([](ModuleDesc &m) {
              m.outputs = {};
            }).find("appears 0 times in the module's output list"),
            std::string::npos);
}

/// A CPU object whose image has a valid ELF header for this module format
/// (the validator does not load it), with the add step using its entry.
void addCpuObject(ModuleDesc &m) {
  CpuObjectDesc &cpu = m.cpuObject;
  cpu.triple = "x86_64-unknown-linux-gnu";
  cpu.cpu = "x86-64-v3";
  cpu.features = {"x86-64-v3"};
  cpu.image.assign(256, 0);
  const uint8_t ident[] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
  std::memcpy(cpu.image.data(), ident, sizeof(ident));
  cpu.image[16] = 3;  // ET_DYN
  cpu.image[18] = 62; // EM_X86_64
  cpu.checksum = imageChecksum(cpu.image.data(), cpu.image.size());
  cpu.entries = {{"sinan_cpu_0_add", "f32[2,3],f32[2,3]->f32[2,3]", 2, 1}};
  m.steps[0].cpuEntry = 0;
}

TEST(Module, CpuObjectRoundTrip) {
  ModuleDesc desc = sample();
  addCpuObject(desc);
  EXPECT_EQ(signatureOf(desc, desc.steps[0].inputs, desc.steps[0].outputs),
            "f32[2,3],f32[2,3]->f32[2,3]");
  std::vector<uint8_t> bytes = sampleBytes(desc);
  std::string error;
  auto module = Module::loadFromMemory(bytes.data(), bytes.size(), error);
  ASSERT_TRUE(module) << error;
  const CpuObjectDesc &cpu = module->desc().cpuObject;
  EXPECT_EQ(cpu.triple, desc.cpuObject.triple);
  EXPECT_EQ(cpu.cpu, "x86-64-v3");
  EXPECT_EQ(cpu.features, desc.cpuObject.features);
  EXPECT_EQ(cpu.image, desc.cpuObject.image);
  ASSERT_EQ(cpu.entries.size(), 1u);
  EXPECT_EQ(cpu.entries[0].symbol, "sinan_cpu_0_add");
  EXPECT_EQ(cpu.entries[0].extent, 2);
  EXPECT_EQ(cpu.entries[0].grain, 1);
  EXPECT_EQ(module->desc().steps[0].cpuEntry, 0);
  EXPECT_EQ(module->desc().steps[1].cpuEntry, -1);
  EXPECT_TRUE(cpu.entries[0].packing.empty());
}

TEST(Module, CpuPackingRoundTrip) {
  ModuleDesc desc = sample();
  addCpuObject(desc);
  desc.cpuObject.entries[0].packing = {{1, 3, 2}};
  desc.cpuObject.entries[0].signature =
      signatureOf(desc, desc.steps[0].inputs, desc.steps[0].outputs,
                  desc.cpuObject.entries[0].packing);
  EXPECT_EQ(desc.cpuObject.entries[0].signature,
            "f32[2,3],f32[2,3]/panels(3,2)->f32[2,3]");
  std::vector<uint8_t> bytes = sampleBytes(desc);
  std::string error;
  auto module = Module::loadFromMemory(bytes.data(), bytes.size(), error);
  ASSERT_TRUE(module) << error;
  const std::vector<CpuPackingDesc> &packing =
      module->desc().cpuObject.entries[0].packing;
  ASSERT_EQ(packing.size(), 1u);
  EXPECT_EQ(packing[0].input, 1u);
  EXPECT_EQ(packing[0].k, 3);
  EXPECT_EQ(packing[0].panel, 2);
}

TEST(Packing, PanelsInterleaveRows) {
  // 4 rows of 3 in panels of 2: element (r, j) at ((r / 2) 3 + j) 2 + r % 2.
  std::vector<float> src(12), dst(12, -1);
  for (int i = 0; i < 12; ++i)
    src[i] = float(i);
  exec::packPanels(src.data(), 4, 3, 2, dst.data());
  EXPECT_EQ(dst, (std::vector<float>{0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11}));
  // Panels of one row leave the layout as it is.
  std::vector<float> same(12);
  exec::packPanels(src.data(), 4, 3, 1, same.data());
  EXPECT_EQ(same, src);
}

TEST(Module, CpuObjectValidation) {
  auto errorOf = [](auto mutate) {
    ModuleDesc m = sample();
    addCpuObject(m);
    mutate(m);
    return loadError(sampleBytes(m));
  };
  EXPECT_EQ(errorOf([](ModuleDesc &) {}), "");
  EXPECT_NE(errorOf([](ModuleDesc &m) {
              m.cpuObject.image[100] ^= 1;
            }).find("CPU object (256 bytes): checksum mismatch"),
            std::string::npos);
  auto rechecksum = [](CpuObjectDesc &cpu) {
    cpu.checksum = imageChecksum(cpu.image.data(), cpu.image.size());
  };
  EXPECT_NE(errorOf([&](ModuleDesc &m) {
              m.cpuObject.image[0] = 0;
              rechecksum(m.cpuObject);
            }).find("not a 64-bit little-endian ELF shared object"),
            std::string::npos);
  EXPECT_NE(errorOf([&](ModuleDesc &m) {
              m.cpuObject.image[18] = 183; // EM_AARCH64
              rechecksum(m.cpuObject);
            })
                .find("CPU object for 'x86_64-unknown-linux-gnu' holds code "
                      "for ELF machine 183"),
            std::string::npos);
  EXPECT_NE(errorOf([](ModuleDesc &m) { m.steps[0].cpuEntry = 1; })
                .find("step 0 ('add') names CPU entry 1, but it is not a host "
                      "op or the CPU object has 1 entries"),
            std::string::npos);
  // Native code trusts its shapes: the step's types must be the entry's.
  EXPECT_NE(errorOf([](ModuleDesc &m) {
              m.cpuObject.entries[0].signature = "f32[6],f32[6]->f32[6]";
            })
                .find("step 0 ('add') binds f32[2,3],f32[2,3]->f32[2,3], but "
                      "CPU entry 0 ('sinan_cpu_0_add') was compiled for "
                      "f32[6],f32[6]->f32[6]"),
            std::string::npos);
  // Each unit of the range writes at least one element of the output.
  EXPECT_NE(errorOf([](ModuleDesc &m) { m.cpuObject.entries[0].extent = 7; })
                .find("step 0 ('add'): CPU entry 0 ('sinan_cpu_0_add') splits "
                      "a range of 7 in slices of 1; its one output of 6 "
                      "elements takes 1 to 6 units"),
            std::string::npos);
  EXPECT_NE(errorOf([](ModuleDesc &m) {
              m.cpuObject.entries[0].extent = 0;
            }).find("splits a range of 0 in slices of 1"),
            std::string::npos);
  EXPECT_NE(errorOf([](ModuleDesc &m) {
              m.cpuObject.entries[0].grain = 0;
            }).find("splits a range of 2 in slices of 0"),
            std::string::npos);
  // A packed input: whole panels of whole rows of an f32 input, in the
  // signature too (so that a runtime that does not pack refuses it).
  auto packed = [](int64_t k, int64_t panel, uint32_t input = 1) {
    return [=](ModuleDesc &m) {
      m.cpuObject.entries[0].packing = {{input, k, panel}};
      m.cpuObject.entries[0].signature =
          signatureOf(m, m.steps[0].inputs, m.steps[0].outputs,
                      m.cpuObject.entries[0].packing);
    };
  };
  EXPECT_EQ(errorOf(packed(3, 2)), "");
  EXPECT_NE(errorOf(packed(4, 2))
                .find("step 0 ('add'): CPU entry 0 ('sinan_cpu_0_add') packs "
                      "its input 1 as panels of 2 rows of 4, which does not "
                      "divide that f32 value"),
            std::string::npos);
  EXPECT_NE(errorOf(packed(3, 4)).find("panels of 4 rows of 3"),
            std::string::npos);
  EXPECT_NE(errorOf(packed(3, 2, 5)).find("which the step does not have"),
            std::string::npos);
  EXPECT_NE(errorOf([&](ModuleDesc &m) {
              packed(3, 2)(m);
              m.cpuObject.entries[0].signature = "f32[2,3],f32[2,3]->f32[2,3]";
            }).find("was compiled for f32[2,3],f32[2,3]->f32[2,3]"),
            std::string::npos);
  // Without a triple there is no object to write: the step's entry dangles.
  EXPECT_NE(errorOf([](ModuleDesc &m) { m.cpuObject.triple.clear(); })
                .find("step 0 ('add') names CPU entry 0, but it is not a host "
                      "op or the CPU object has 0 entries"),
            std::string::npos);
}

} // namespace
