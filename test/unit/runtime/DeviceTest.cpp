//===- DeviceTest.cpp - Sessions on the cpu and snpu-sim devices ----------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/exec/Device.h"
#include "sinan/runtime/exec/HostPool.h"
#include "sinan/runtime/exec/Session.h"
#include "sinan/runtime/isa/Isa.h"
#include "sinan/runtime/module/Module.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <tbb/parallel_for.h>

#include <cstring>
#include <mutex>
#include <set>
#include <thread>

#ifdef __linux__
#include <pthread.h>
#include <sched.h>
#endif

using namespace sinan;
using namespace sinan::module;

namespace {

TargetDesc preset(const std::string &name) {
  std::string error;
  std::optional<TargetDesc> target = loadBuiltinTarget(name, error);
  EXPECT_TRUE(target) << error;
  return *target;
}

/// A kernel container for `target` from assembly text.
std::vector<uint8_t> kernelBytes(const std::string &text,
                                 const TargetDesc &target,
                                 std::vector<uint8_t> readOnlyData = {}) {
  std::string error;
  auto program = isa::assemble(text, error);
  EXPECT_TRUE(program) << error;
  isa::Kernel kernel;
  kernel.targetName = target.name;
  kernel.targetFingerprint = isa::targetFingerprint(target);
  kernel.programs = {*program};
  kernel.readOnlyData = std::move(readOnlyData);
  return isa::writeKernel(kernel);
}

/// dram[out] = dram[a] + dram[b] over n f32 elements; a, b and out name the
/// registers the launch ABI fills.
std::string addKernel(unsigned n, const char *b, const char *out) {
  return fmt::format(R"(
        li r10, {0}
        li r11, 1
        dcfg.din shape, r10, r11, r11
        dload.f32.f32 vbuf[r0], dram[r1]
        li r12, 4096
        dload.f32.f32 vbuf[r12], dram[{1}]
        signal din, vec, 0
        wait din, vec, 0
        vcfg len, r10, r11
        li r13, 8192
        vbin.add.f32 vbuf[r13], vbuf[r0], vbuf[r12]
        signal vec, dout, 0
        dcfg.dout shape, r10, r11, r11
        wait vec, dout, 0
        dstore.f32.f32 dram[{2}], vbuf[r13]
        end
)",
                     n, b, out);
}

struct LaunchModule {
  ModuleDesc desc;
  std::vector<std::vector<uint8_t>> constants;
};

std::vector<float> iota(unsigned n, float scale) {
  std::vector<float> v(n);
  for (unsigned i = 0; i < n; ++i)
    v[i] = (float(i) - float(n) / 2) * scale;
  return v;
}

std::vector<uint8_t> bytesOf(const std::vector<float> &v) {
  std::vector<uint8_t> bytes(v.size() * 4);
  std::memcpy(bytes.data(), v.data(), bytes.size());
  return bytes;
}

/// y = relu(x + c): x and the constant c go to the device, a kernel adds
/// them, the sum comes back and the host applies relu. The launch names
/// "add" as its host fallback unless `fallback` is false.
LaunchModule launchModule(const TargetDesc &target, bool fallback = true) {
  const unsigned n = 16;
  LaunchModule lm;
  ModuleDesc &m = lm.desc;
  m.target = target.name;
  m.targetFingerprint = isa::targetFingerprint(target);
  m.values = {
      {"x", ValueKind::Input, DType::F32, {n}, 0},
      {"c", ValueKind::Constant, DType::F32, {n}, 0},
      {"x.dev", ValueKind::Intermediate, DType::F32, {n}, 0, Location::Device},
      {"c.dev", ValueKind::Intermediate, DType::F32, {n}, 64, Location::Device},
      {"s.dev",
       ValueKind::Intermediate,
       DType::F32,
       {n},
       128,
       Location::Device},
      {"s", ValueKind::Intermediate, DType::F32, {n}, 0},
      {"y", ValueKind::Output, DType::F32, {n}, 0}};
  m.inputs = {0};
  m.outputs = {6};
  m.arenaSize = 64;
  m.deviceArenaSize = 192;
  m.kernels = {{"add_f32_16", kernelBytes(addKernel(n, "r2", "r3"), target)}};
  StepDesc launch{StepKind::KernelLaunch,
                  fallback ? "add" : "",
                  {},
                  {2, 3},
                  {4},
                  0,
                  {0, 1}};
  m.steps = {{StepKind::CopyToDevice, "", {}, {0}, {2}, -1, {}},
             {StepKind::CopyToDevice, "", {}, {1}, {3}, -1, {}},
             launch,
             {StepKind::CopyToHost, "", {}, {4}, {5}, -1, {2}},
             {StepKind::HostOp, "relu", {}, {5}, {6}, -1, {3}}};
  lm.constants = {bytesOf(iota(n, 0.25f))};
  return lm;
}

std::unique_ptr<Module> load(const LaunchModule &lm) {
  std::vector<uint8_t> bytes = writeModule(lm.desc, lm.constants);
  std::string error;
  auto module = Module::loadFromMemory(bytes.data(), bytes.size(), error);
  EXPECT_TRUE(module) << error;
  return module;
}

std::vector<float> expected() {
  std::vector<float> x = iota(16, 1.0f), c = iota(16, 0.25f), y(16);
  for (int i = 0; i < 16; ++i)
    y[i] = std::max(x[i] + c[i], 0.0f);
  return y;
}

std::vector<float> runOn(const Module &module, exec::Device &device,
                         exec::RunStats *stats = nullptr, int runs = 1) {
  std::string error;
  auto session = exec::Session::create(module, device, error);
  EXPECT_TRUE(session) << error;
  if (!session)
    return {};
  std::vector<float> x = iota(16, 1.0f);
  Tensor input(DType::F32, {16});
  std::memcpy(input.data(), x.data(), 64);
  std::vector<Tensor> outputs;
  for (int r = 0; r < runs; ++r)
    EXPECT_TRUE(session->run({input}, outputs, error, stats)) << error;
  std::vector<float> y(16);
  if (outputs.size() == 1)
    std::memcpy(y.data(), outputs[0].data(), 64);
  return y;
}

TEST(Device, LaunchRunsOnTheSimulator) {
  TargetDesc edge = preset("snpu-edge");
  auto module = load(launchModule(edge));
  ASSERT_TRUE(module);
  auto device = exec::createSimDevice(edge);
  exec::RunStats stats;
  EXPECT_EQ(runOn(*module, *device, &stats), expected());
  const exec::DeviceRunStats &d = stats.device;
  EXPECT_EQ(d.launches, 1u);
  EXPECT_EQ(d.fallbackLaunches, 0u);
  EXPECT_EQ(d.copies, 3u);
  EXPECT_EQ(d.bytesToDevice, 128u);
  EXPECT_EQ(d.bytesToHost, 64u);
  // Each transfer: the link's latency plus its bytes at link bandwidth.
  EXPECT_EQ(d.copyCycles, 3 * edge.hostLinkLatencyCycles +
                              (64 + 64 + 64) / edge.hostLinkBytesPerCycle);
  EXPECT_GT(d.kernelCycles, edge.dramLatencyCycles);
  EXPECT_GT(d.engineBusy[unsigned(isa::Engine::Vector)], 0u);
  // A chain (copies in, the kernel, the copy out): nothing overlaps.
  EXPECT_EQ(d.timelineCycles, d.kernelCycles + d.copyCycles);
  EXPECT_EQ(stats.hostOpSteps, 1u);
}

TEST(Device, TimelineChargesHostOpsTheirModeledCycles) {
  TargetDesc edge = preset("snpu-edge");
  LaunchModule lm = launchModule(edge);
  ASSERT_EQ(lm.desc.steps[4].kind, StepKind::HostOp);
  lm.desc.steps[4].hostCycles = 777; // Format 1.6: the compiler's model.
  auto module = load(lm);
  ASSERT_TRUE(module);
  EXPECT_EQ(module->desc().steps[4].hostCycles, 777u);
  auto device = exec::createSimDevice(edge);
  exec::RunStats stats;
  EXPECT_EQ(runOn(*module, *device, &stats), expected());
  const exec::DeviceRunStats &d = stats.device;
  EXPECT_EQ(d.hostSteps, 1u);
  EXPECT_EQ(d.hostCycles, 777u);
  EXPECT_GE(d.hostSeconds, 0.0);
  // The relu follows the copy out: the whole chain, the host op last.
  EXPECT_EQ(d.timelineCycles, d.kernelCycles + d.copyCycles + 777);
}

TEST(Device, ConstantsStayResidentAfterTheFirstRun) {
  TargetDesc edge = preset("snpu-edge");
  auto module = load(launchModule(edge));
  auto device = exec::createSimDevice(edge);
  exec::RunStats stats;
  EXPECT_EQ(runOn(*module, *device, &stats, 2), expected());
  EXPECT_EQ(stats.device.copies, 2u);
  EXPECT_EQ(stats.device.bytesToDevice, 64u);
}

TEST(Device, SharedConstantCopiesAreRepeated) {
  TargetDesc edge = preset("snpu-edge");
  LaunchModule lm = launchModule(edge);
  lm.desc.values[4].offset = 64; // The sum overwrites c's device copy.
  auto module = load(lm);
  std::unique_ptr<exec::Device> devices[] = {exec::createSimDevice(edge),
                                             exec::createCpuDevice()};
  for (auto &device : devices) {
    exec::RunStats stats;
    EXPECT_EQ(runOn(*module, *device, &stats, 3), expected());
    EXPECT_EQ(stats.device.copies, 3u);
    EXPECT_EQ(stats.device.bytesToDevice, 128u);
  }
}

TEST(Device, CpuRunsTheLaunchFallback) {
  TargetDesc edge = preset("snpu-edge");
  auto module = load(launchModule(edge));
  auto cpu = exec::createCpuDevice();
  exec::RunStats stats;
  EXPECT_EQ(runOn(*module, *cpu, &stats), expected());
  EXPECT_EQ(stats.device.launches, 0u);
  EXPECT_EQ(stats.device.fallbackLaunches, 1u);
  EXPECT_EQ(stats.device.kernelCycles + stats.device.copyCycles, 0u);
}

TEST(Device, RefusesWhatItCannotRun) {
  TargetDesc edge = preset("snpu-edge");
  std::string error;
  auto noFallback = load(launchModule(edge, /*fallback=*/false));
  auto cpu = exec::createCpuDevice();
  EXPECT_FALSE(exec::Session::create(*noFallback, *cpu, error));
  EXPECT_NE(error.find("step 2 (launch 'add_f32_16') has no host fallback"),
            std::string::npos)
      << error;
  auto module = load(launchModule(edge));
  auto server = exec::createSimDevice(preset("snpu-server"));
  EXPECT_FALSE(exec::Session::create(*module, *server, error));
  EXPECT_NE(error.find("compiled for target 'snpu-edge'"), std::string::npos)
      << error;
  EXPECT_FALSE(exec::openDevice("tpu", "", error));
  EXPECT_NE(error.find("no device 'tpu'"), std::string::npos) << error;
  EXPECT_FALSE(exec::openDevice("snpu-sim", "", error));
  EXPECT_TRUE(exec::openDevice("snpu-sim", "snpu-edge", error)) << error;
}

TEST(Device, KernelFaultNamesStepAndInstruction) {
  TargetDesc edge = preset("snpu-edge");
  LaunchModule lm = launchModule(edge);
  // The device arena is 192 bytes: storing at s.dev + 128 runs past it.
  lm.desc.values[4].offset = 128;
  lm.desc.kernels[0].container =
      kernelBytes(addKernel(16, "r2", "r3+128"), edge);
  auto module = load(lm);
  auto device = exec::createSimDevice(edge);
  std::string error;
  auto session = exec::Session::create(*module, *device, error);
  ASSERT_TRUE(session) << error;
  Tensor input(DType::F32, {16});
  std::vector<Tensor> outputs;
  EXPECT_FALSE(session->run({input}, outputs, error));
  EXPECT_NE(error.find("step 2 (launch 'add_f32_16' for add): core 0 dout "
                       "instruction"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("out of bounds"), std::string::npos) << error;
}

TEST(Device, ReadOnlyDataIsPassedAfterTheBindings) {
  TargetDesc edge = preset("snpu-edge");
  LaunchModule lm = launchModule(edge);
  // One input (x.dev) and the constant as the kernel's own data (r3).
  std::vector<float> c = iota(16, 0.25f);
  lm.desc.kernels[0].container =
      kernelBytes(addKernel(16, "r3", "r2"), edge, bytesOf(c));
  lm.desc.steps[2].inputs = {2};
  lm.desc.steps[2].op = "";
  lm.desc.steps[2].deps = {0};
  lm.desc.steps.erase(lm.desc.steps.begin() + 1);
  lm.desc.steps[1].deps = {0};
  lm.desc.steps[2].deps = {1};
  lm.desc.steps[3].deps = {2};
  auto module = load(lm);
  ASSERT_TRUE(module);
  auto device = exec::createSimDevice(edge);
  EXPECT_EQ(runOn(*module, *device), expected());
}

TEST(Device, ConcurrentSessionsAgree) {
  TargetDesc edge = preset("snpu-edge");
  auto module = load(launchModule(edge));
  auto device = exec::createSimDevice(edge);
  std::vector<std::vector<float>> results(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back(
        [&, t] { results[t] = runOn(*module, *device, nullptr, 20); });
  for (std::thread &thread : threads)
    thread.join();
  for (const auto &result : results)
    EXPECT_EQ(result, expected());
}

std::string loadError(const LaunchModule &lm) {
  std::vector<uint8_t> bytes = writeModule(lm.desc, lm.constants);
  std::string error;
  EXPECT_FALSE(Module::loadFromMemory(bytes.data(), bytes.size(), error));
  return error;
}

TEST(Device, ValidatorChecksPlacement) {
  TargetDesc edge = preset("snpu-edge");
  LaunchModule hostReadsDevice = launchModule(edge);
  hostReadsDevice.desc.steps[4].inputs = {4};
  hostReadsDevice.desc.steps[4].deps = {2};
  EXPECT_NE(loadError(hostReadsDevice)
                .find("step 4 ('relu'): value 4 ('s.dev') is in device "
                      "memory, but a host step needs it in host memory"),
            std::string::npos)
      << loadError(hostReadsDevice);
  LaunchModule badCopy = launchModule(edge);
  badCopy.desc.values[3].shape = {4, 4};
  EXPECT_NE(loadError(badCopy).find("copies value 1 ('c') into value 3 "
                                    "('c.dev') of another type or shape"),
            std::string::npos)
      << loadError(badCopy);
  LaunchModule deviceInput = launchModule(edge);
  deviceInput.desc.values[0].location = Location::Device;
  EXPECT_NE(loadError(deviceInput)
                .find("only intermediates may live on the "
                      "device"),
            std::string::npos);
  LaunchModule outside = launchModule(edge);
  outside.desc.deviceArenaSize = 100;
  EXPECT_NE(loadError(outside).find("outside the 100-byte device arena"),
            std::string::npos)
      << loadError(outside);
  LaunchModule foreign = launchModule(edge);
  foreign.desc.kernels[0].container =
      kernelBytes(addKernel(16, "r2", "r3"), preset("snpu-server"));
  EXPECT_NE(loadError(foreign).find("was built for target 'snpu-server', not "
                                    "the module's 'snpu-edge'"),
            std::string::npos)
      << loadError(foreign);
}

/// Branches off x: a = relu(x) dies at step 1, so c = abs(x) (step 2) reuses
/// its bytes although no data path orders step 2 after step 1; z = neg(x)
/// (step 4) is independent of everything. With `failing`, step 4 gathers x at
/// index 99 instead, which fails when it runs.
std::unique_ptr<Module> branchModule(bool failing = false) {
  ModuleDesc m;
  m.values = {{"x", ValueKind::Input, DType::F32, {64}, 0},
              {"a", ValueKind::Intermediate, DType::F32, {64}, 0},
              {"b", ValueKind::Intermediate, DType::F32, {64}, 256},
              {"c", ValueKind::Intermediate, DType::F32, {64}, 0},
              {"y", ValueKind::Output, DType::F32, {64}, 0},
              {"z", ValueKind::Output, DType::F32, {64}, 0},
              {"i", ValueKind::Constant, DType::I64, {64}, 0}};
  m.inputs = {0};
  m.outputs = {4, 5};
  m.arenaSize = 512;
  m.steps = {{StepKind::HostOp, "relu", {}, {0}, {1}, -1, {}},
             {StepKind::HostOp, "neg", {}, {1}, {2}, -1, {0}},
             {StepKind::HostOp, "abs", {}, {0}, {3}, -1, {}},
             {StepKind::HostOp, "add", {}, {2, 3}, {4}, -1, {1, 2}},
             {StepKind::HostOp, "neg", {}, {0}, {5}, -1, {}}};
  if (failing)
    m.steps[4] = {StepKind::HostOp,
                  "gather",
                  {{"axis", int64_t(0)}},
                  {0, 6},
                  {5},
                  -1,
                  {}};
  std::vector<int64_t> index(64, 99);
  std::vector<uint8_t> indexBytes(64 * 8);
  std::memcpy(indexBytes.data(), index.data(), indexBytes.size());
  std::vector<uint8_t> bytes = writeModule(m, {indexBytes});
  std::string error;
  auto module = Module::loadFromMemory(bytes.data(), bytes.size(), error);
  EXPECT_TRUE(module) << error;
  return module;
}

TEST(Scheduler, MemoryReuseOrdersIndependentSteps) {
  auto module = branchModule();
  auto cpu = exec::createCpuDevice();
  std::string error;
  auto session = exec::Session::create(*module, *cpu, error);
  ASSERT_TRUE(session) << error;
  EXPECT_TRUE(session->runsInParallel());
  // c's writer waits for a's writer and for a's reader (step 1).
  EXPECT_EQ(session->successorsOf(0), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(session->successorsOf(1), (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(session->successorsOf(2), (std::vector<uint32_t>{3}));
  EXPECT_EQ(session->successorsOf(3), (std::vector<uint32_t>{}));
  Tensor x(DType::F32, {64});
  for (int i = 0; i < 64; ++i)
    x.setDouble(i, i % 2 ? i : -i);
  for (int run = 0; run < 200; ++run) {
    std::vector<Tensor> outputs;
    ASSERT_TRUE(session->run({x}, outputs, error)) << error;
    for (int i = 0; i < 64; ++i) { // -relu(x) + |x| and -x
      ASSERT_EQ(outputs[0].getDouble(i), i % 2 ? 0.0 : double(i)) << i;
      ASSERT_EQ(outputs[1].getDouble(i), i % 2 ? -i : double(i)) << i;
    }
  }
}

/// `m` written and loaded (a test failure names the loader's error).
std::unique_ptr<Module> loadDesc(const ModuleDesc &m) {
  std::vector<uint8_t> bytes = writeModule(m, {});
  std::string error;
  auto module = Module::loadFromMemory(bytes.data(), bytes.size(), error);
  if (!module)
    ADD_FAILURE() << error;
  return module;
}

/// The loader's error for `m`, which must be refused.
std::string refusal(const ModuleDesc &m) {
  std::vector<uint8_t> bytes = writeModule(m, {});
  std::string error;
  EXPECT_FALSE(Module::loadFromMemory(bytes.data(), bytes.size(), error));
  return error;
}

/// a = relu(x) [64]; v, a view of a as [8, 8] (step 1); b = neg(v) (step
/// 2), the last read of a's bytes; c, x reshaped on the host (step 3),
/// reuses them; y = b + c. The view writes nothing: it follows a's writer,
/// and c's writer waits for the view's reader as for a's.
std::unique_ptr<Module> viewModule(uint64_t viewOffset = 0) {
  ModuleDesc m;
  m.values = {{"x", ValueKind::Input, DType::F32, {64}, 0},
              {"a", ValueKind::Intermediate, DType::F32, {64}, 0},
              {"v", ValueKind::Intermediate, DType::F32, {8, 8}, viewOffset},
              {"b", ValueKind::Intermediate, DType::F32, {8, 8}, 256},
              {"c", ValueKind::Intermediate, DType::F32, {8, 8}, 0},
              {"y", ValueKind::Output, DType::F32, {8, 8}, 0}};
  m.inputs = {0};
  m.outputs = {5};
  m.arenaSize = 512;
  m.steps = {{StepKind::HostOp, "relu", {}, {0}, {1}, -1, {}},
             {StepKind::View, "", {}, {1}, {2}, -1, {0}},
             {StepKind::HostOp, "neg", {}, {2}, {3}, -1, {1}},
             {StepKind::HostOp, "reshape", {}, {0}, {4}, -1, {}},
             {StepKind::HostOp, "add", {}, {3, 4}, {5}, -1, {2, 3}}};
  return loadDesc(m);
}

TEST(Scheduler, ViewStepIsAnAliasOrderedLikeItsInput) {
  auto module = viewModule();
  ASSERT_TRUE(module);
  EXPECT_STREQ(module::stepKindName(StepKind::View), "view");
  auto cpu = exec::createCpuDevice();
  std::string error;
  auto session = exec::Session::create(*module, *cpu, error);
  ASSERT_TRUE(session) << error;
  // The view follows relu; c's writer (step 3) waits for the view's reader
  // (step 2), not for the view itself as a writer of a's bytes.
  EXPECT_EQ(session->successorsOf(0), (std::vector<uint32_t>{1, 3}));
  EXPECT_EQ(session->successorsOf(1), (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(session->successorsOf(2), (std::vector<uint32_t>{3, 4}));
  Tensor x(DType::F32, {64});
  for (int i = 0; i < 64; ++i)
    x.setDouble(i, i % 2 ? i : -i);
  for (int run = 0; run < 100; ++run) {
    std::vector<Tensor> outputs;
    ASSERT_TRUE(session->run({x}, outputs, error)) << error;
    for (int i = 0; i < 64; ++i) // -relu(x) + x
      ASSERT_EQ(outputs[0].getDouble(i), i % 2 ? 0.0 : double(-i)) << i;
  }
  // A view must share its input's offset (and arena and size).
  ModuleDesc bad = module->desc();
  bad.values[2].offset = 256;
  std::string loadError = refusal(bad);
  EXPECT_NE(loadError.find("step 1 (view): value 2 ('v') is not a view of "
                           "value 1 ('a')"),
            std::string::npos)
      << loadError;
}

/// A concatenation written in place: a = relu(x) and b = neg(x) lie end
/// to end in c's bytes (steps 0 and 1 write them there), the view c = (a,
/// b) (step 2) moves nothing, and y = c + c reads both halves.
std::unique_ptr<Module> concatViewModule(ModuleDesc *descOut = nullptr) {
  ModuleDesc m;
  m.values = {{"x", ValueKind::Input, DType::F32, {1, 16}, 0},
              {"a", ValueKind::Intermediate, DType::F32, {1, 16}, 64},
              {"b", ValueKind::Intermediate, DType::F32, {1, 16}, 128},
              {"c", ValueKind::Intermediate, DType::F32, {1, 32}, 64},
              {"y", ValueKind::Output, DType::F32, {1, 32}, 0}};
  m.inputs = {0};
  m.outputs = {4};
  m.arenaSize = 192;
  m.steps = {{StepKind::HostOp, "relu", {}, {0}, {1}, -1, {}},
             {StepKind::HostOp, "neg", {}, {0}, {2}, -1, {}},
             {StepKind::View, "", {}, {1, 2}, {3}, -1, {0, 1}},
             {StepKind::HostOp, "add", {}, {3, 3}, {4}, -1, {2}}};
  if (descOut)
    *descOut = m;
  return loadDesc(m);
}

TEST(Scheduler, ConcatViewReadsItsInputsInPlace) {
  ModuleDesc desc;
  auto module = concatViewModule(&desc);
  ASSERT_TRUE(module);
  auto cpu = exec::createCpuDevice();
  std::string error;
  auto session = exec::Session::create(*module, *cpu, error);
  ASSERT_TRUE(session) << error;
  EXPECT_EQ(session->successorsOf(0), (std::vector<uint32_t>{2}));
  EXPECT_EQ(session->successorsOf(1), (std::vector<uint32_t>{2}));
  Tensor x(DType::F32, {1, 16});
  for (int i = 0; i < 16; ++i)
    x.setDouble(i, i % 2 ? i : -i);
  std::vector<Tensor> outputs;
  ASSERT_TRUE(session->run({x}, outputs, error)) << error;
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(outputs[0].getDouble(i), i % 2 ? 2.0 * i : 0.0) << i;
    EXPECT_EQ(outputs[0].getDouble(16 + i), i % 2 ? -2.0 * i : 2.0 * i) << i;
  }
  // The inputs must lie end to end from the view's offset, in its arena,
  // with its element type, and fill it.
  auto refused = [&](const ModuleDesc &bad, const std::string &message) {
    std::string loadError = refusal(bad);
    EXPECT_NE(loadError.find(message), std::string::npos) << loadError;
  };
  ModuleDesc gap = desc;
  gap.values[2].offset = 192;
  gap.arenaSize = 256;
  refused(gap, "step 2 (view): value 3 ('c') is not a view of value 2 ('b') "
               "(intermediates of one arena, the inputs' bytes end to end "
               "from the output's offset)");
  ModuleDesc wide = desc;
  wide.values[3].shape = {1, 48};
  wide.values[4].shape = {1, 48};
  wide.arenaSize = 256;
  refused(wide, "step 2 (view): value 3 ('c') has 192 bytes, its inputs 128");
  ModuleDesc typed = desc;
  typed.values[2].dtype = DType::I32;
  refused(typed, "is not a view of value 2 ('b')");
}

TEST(Scheduler, SliceViewIsARunOfItsInput) {
  // a = relu(x) [1, 32]; s, its second half (a view 64 bytes in); y = neg(s).
  ModuleDesc m;
  m.values = {{"x", ValueKind::Input, DType::F32, {1, 32}, 0},
              {"a", ValueKind::Intermediate, DType::F32, {1, 32}, 0},
              {"s", ValueKind::Intermediate, DType::F32, {1, 16}, 64},
              {"y", ValueKind::Output, DType::F32, {1, 16}, 0}};
  m.inputs = {0};
  m.outputs = {3};
  m.arenaSize = 128;
  m.steps = {{StepKind::HostOp, "relu", {}, {0}, {1}, -1, {}},
             {StepKind::View, "", {}, {1}, {2}, -1, {0}},
             {StepKind::HostOp, "neg", {}, {2}, {3}, -1, {1}}};
  auto module = loadDesc(m);
  ASSERT_TRUE(module);
  auto cpu = exec::createCpuDevice();
  std::string error;
  auto session = exec::Session::create(*module, *cpu, error);
  ASSERT_TRUE(session) << error;
  Tensor x(DType::F32, {1, 32});
  for (int i = 0; i < 32; ++i)
    x.setDouble(i, i % 3 ? i : -i);
  std::vector<Tensor> outputs;
  ASSERT_TRUE(session->run({x}, outputs, error)) << error;
  for (int i = 0; i < 16; ++i)
    EXPECT_EQ(outputs[0].getDouble(i), (16 + i) % 3 ? -(16.0 + i) : 0.0) << i;
  // A run must lie inside its input and keep its element type.
  for (auto [offset, dtype] : {std::pair(uint64_t(96), DType::F32),
                               std::pair(uint64_t(64), DType::I32)}) {
    ModuleDesc bad = m;
    bad.values[2].offset = offset;
    bad.values[2].dtype = dtype;
    bad.arenaSize = 192;
    std::string loadError = refusal(bad);
    EXPECT_NE(loadError.find("step 1 (view): value 2 ('s') is not a view of "
                             "value 1 ('a')"),
              std::string::npos)
        << loadError;
  }
}

TEST(Scheduler, AFailingStepStopsAParallelRun) {
  auto module = branchModule(/*failing=*/true);
  auto cpu = exec::createCpuDevice();
  std::string error;
  auto session = exec::Session::create(*module, *cpu, error);
  ASSERT_TRUE(session) << error;
  ASSERT_TRUE(session->runsInParallel());
  Tensor x(DType::F32, {64});
  std::vector<Tensor> outputs;
  EXPECT_FALSE(session->run({x}, outputs, error));
  EXPECT_NE(
      error.find("step 4 (host 'gather'): op 'gather': gather index 99 is out "
                 "of range"),
      std::string::npos)
      << error;
}

TEST(Scheduler, InconsistentHostOpShapesAreRefused) {
  // A module the loader accepts (every value fits its memory) whose relu
  // claims a result of another shape than its input's.
  ModuleDesc m;
  m.values = {{"x", ValueKind::Input, DType::F32, {64}, 0},
              {"y", ValueKind::Output, DType::F32, {128}, 0}};
  m.inputs = {0};
  m.outputs = {1};
  m.steps = {{StepKind::HostOp, "relu", {}, {0}, {1}, -1, {}}};
  std::vector<uint8_t> bytes = writeModule(m, {});
  std::string error;
  auto module = Module::loadFromMemory(bytes.data(), bytes.size(), error);
  ASSERT_TRUE(module) << error;
  auto cpu = exec::createCpuDevice();
  EXPECT_FALSE(exec::Session::create(*module, *cpu, error));
  EXPECT_EQ(error, "step 0 (host 'relu'): op 'relu': result 0 is f32[128], "
                   "the op gives f32[64]");
  exec::Session session(*module); // Reports the same at run.
  std::vector<Tensor> outputs;
  EXPECT_FALSE(session.run({Tensor(DType::F32, {64})}, outputs, error));
  EXPECT_NE(error.find("result 0 is f32[128]"), std::string::npos);
}

} // namespace

#ifdef __linux__
namespace {

/// The CPUs the calling thread may run on.
std::set<int> threadCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::set<int> cpus;
  if (pthread_getaffinity_np(pthread_self(), sizeof set, &set) == 0)
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
      if (CPU_ISSET(cpu, &set))
        cpus.insert(cpu);
  return cpus;
}

} // namespace

// With one thread per allowed CPU, each thread of the pool runs on its own
// CPU while in it, and the caller gets its affinity back afterwards.
TEST(HostPool, PinsOneThreadPerCpu) {
  std::set<int> before = threadCpus();
  ASSERT_FALSE(before.empty());
  exec::HostPool pool(unsigned(before.size()), /*pin=*/true);
  EXPECT_EQ(pool.pinned(), before.size() > 1);
  std::mutex lock;
  std::set<std::set<int>> seen;
  pool.execute([&] {
    tbb::parallel_for(0, 64, [&](int) {
      std::set<int> mine = threadCpus();
      std::lock_guard<std::mutex> guard(lock);
      seen.insert(mine);
    });
  });
  for (const std::set<int> &cpus : seen) {
    if (pool.pinned()) {
      ASSERT_EQ(cpus.size(), 1u);
      EXPECT_TRUE(before.count(*cpus.begin()));
    } else {
      EXPECT_EQ(cpus, before);
    }
  }
  EXPECT_EQ(threadCpus(), before);
  // Fewer threads than CPUs, or pinning not asked for: left to the OS.
  exec::HostPool off(unsigned(before.size()));
  EXPECT_FALSE(off.pinned());
  off.execute([&] { EXPECT_EQ(threadCpus(), before); });
  if (before.size() > 1) {
    exec::HostPool fewer(unsigned(before.size() - 1), /*pin=*/true);
    EXPECT_FALSE(fewer.pinned());
    fewer.execute([&] { EXPECT_EQ(threadCpus(), before); });
  }
  pool.setPinning(false);
  EXPECT_FALSE(pool.pinned());
  pool.execute([&] { EXPECT_EQ(threadCpus(), before); });
}
#endif
