//===- CApiTest.cpp - The runtime's C API and C++ layer -------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/Target.h"
#include "sinan/runtime/isa/Isa.h"
#include "sinan/runtime/module/Module.h"
#include "sinan/runtime/sinan.h"
#include "sinan/runtime/sinan.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <thread>

using namespace sinan::module;

namespace {

/// y = relu(x * w + b) over [2, 3] floats, with an intermediate.
std::vector<uint8_t> sampleModule() {
  ModuleDesc m;
  m.values = {{"x", ValueKind::Input, sinan::DType::F32, {2, 3}, 0},
              {"w", ValueKind::Constant, sinan::DType::F32, {3}, 0},
              {"b", ValueKind::Constant, sinan::DType::F32, {3}, 0},
              {"t", ValueKind::Intermediate, sinan::DType::F32, {2, 3}, 0},
              {"u", ValueKind::Intermediate, sinan::DType::F32, {2, 3}, 64},
              {"y", ValueKind::Output, sinan::DType::F32, {2, 3}, 0}};
  m.inputs = {0};
  m.outputs = {5};
  m.arenaSize = 128;
  m.steps = {{StepKind::HostOp, "mul", {}, {0, 1}, {3}, -1, {}},
             {StepKind::HostOp, "add", {}, {3, 2}, {4}, -1, {0}},
             {StepKind::HostOp, "relu", {}, {4}, {5}, -1, {1}}};
  auto floats = [](std::vector<float> v) {
    std::vector<uint8_t> bytes(v.size() * 4);
    std::memcpy(bytes.data(), v.data(), bytes.size());
    return bytes;
  };
  return writeModule(m, {floats({1, -2, 3}), floats({0.5f, 0.5f, -10})});
}

/// y = relu(x) over 256 floats as an SNPU kernel on snpu-edge, with the
/// copies around it and "relu" as the host fallback.
std::vector<uint8_t> launchModule() {
  std::string error;
  std::optional<sinan::TargetDesc> edge =
      sinan::loadBuiltinTarget("snpu-edge", error);
  auto program = sinan::isa::assemble(R"(
        li r10, 256
        li r11, 1
        dcfg.din shape, r10, r11, r11
        dload.f32.f32 vbuf[r0], dram[r1]
        signal din, vec, 0
        wait din, vec, 0
        vcfg len, r10, r11
        vun.relu.f32 vbuf[r0], vbuf[r0]
        signal vec, dout, 0
        dcfg.dout shape, r10, r11, r11
        wait vec, dout, 0
        dstore.f32.f32 dram[r2], vbuf[r0]
        end
)",
                                      error);
  EXPECT_TRUE(edge && program) << error;
  sinan::isa::Kernel kernel{
      edge->name, sinan::isa::targetFingerprint(*edge), {*program}, {}};
  ModuleDesc m;
  m.target = edge->name;
  m.targetFingerprint = kernel.targetFingerprint;
  m.values = {{"x", ValueKind::Input, sinan::DType::F32, {256}, 0},
              {"x.dev",
               ValueKind::Intermediate,
               sinan::DType::F32,
               {256},
               0,
               Location::Device},
              {"y.dev",
               ValueKind::Intermediate,
               sinan::DType::F32,
               {256},
               1024,
               Location::Device},
              {"y", ValueKind::Output, sinan::DType::F32, {256}, 0}};
  m.inputs = {0};
  m.outputs = {3};
  m.deviceArenaSize = 2048;
  m.kernels = {{"relu", sinan::isa::writeKernel(kernel)}};
  m.steps = {{StepKind::CopyToDevice, "", {}, {0}, {1}, -1, {}},
             {StepKind::KernelLaunch, "relu", {}, {1}, {2}, 0, {0}},
             {StepKind::CopyToHost, "", {}, {2}, {3}, -1, {1}}};
  return writeModule(m, {});
}

/// Frees a status and returns its message ("" for success).
std::string message(sinan_status *status) {
  std::string text = status ? sinan_status_message(status) : "";
  sinan_status_free(status);
  return text;
}

struct Fixture : ::testing::Test {
  void SetUp() override {
    ASSERT_EQ(message(sinan_instance_create(&instance)), "");
    bytes = sampleModule();
    ASSERT_EQ(message(sinan_module_load_memory(instance, bytes.data(),
                                               bytes.size(), &module)),
              "");
    ASSERT_EQ(message(sinan_instance_find_device(instance, "cpu", &cpu)), "");
  }
  void TearDown() override {
    sinan_module_release(module);
    sinan_instance_destroy(instance);
  }
  sinan_instance *instance = nullptr;
  sinan_module *module = nullptr;
  sinan_device *cpu = nullptr;
  std::vector<uint8_t> bytes;
  float x[6] = {1, 2, 3, -1, -2, -3};
  int64_t shape[2] = {2, 3};
};

TEST_F(Fixture, DevicesAndModuleInfo) {
  // cpu, then a simulated SNPU per built-in preset.
  EXPECT_EQ(sinan_instance_device_count(instance), 3u);
  sinan_device *first = nullptr, *last = nullptr;
  EXPECT_EQ(message(sinan_instance_device(instance, 0, &first)), "");
  EXPECT_STREQ(sinan_device_name(first), "cpu");
  EXPECT_EQ(message(sinan_instance_device(instance, 2, &last)), "");
  EXPECT_STREQ(sinan_device_name(last), "snpu-sim:snpu-server");
  EXPECT_EQ(sinan_module_input_count(module), 1u);
  const char *name = nullptr;
  EXPECT_EQ(message(sinan_module_input_name(module, 0, &name)), "");
  EXPECT_STREQ(name, "x");
  EXPECT_EQ(message(sinan_module_output_name(module, 0, &name)), "");
  EXPECT_STREQ(name, "y");
  EXPECT_EQ(message(sinan_module_output_name(module, 1, &name)),
            "output index 1 is out of range: the module has 1 outputs");
  int64_t dims[4];
  sinan_dtype dtype;
  size_t rank = 0;
  EXPECT_EQ(
      message(sinan_module_input_info(module, 0, nullptr, nullptr, 0, &rank)),
      "");
  EXPECT_EQ(rank, 2u);
  EXPECT_EQ(message(sinan_module_input_info(module, 0, &dtype, dims, 4, &rank)),
            "");
  EXPECT_EQ(dtype, SINAN_F32);
  EXPECT_EQ(dims[1], 3);
  EXPECT_EQ(message(sinan_module_input_info(module, 5, &dtype, dims, 4, &rank)),
            "input index 5 is out of range: the module has 1 inputs");
  EXPECT_EQ(message(sinan_module_input_info(module, 0, &dtype, dims, 1, &rank)),
            "input 0 ('x') has rank 2; the shape buffer holds 1");
  EXPECT_EQ(
      message(sinan_module_input_info(nullptr, 0, &dtype, dims, 4, &rank)),
      "module must not be null");
  EXPECT_EQ(
      message(sinan_module_input_info(module, 0, &dtype, dims, 4, nullptr)),
      "rank must not be null");
}

TEST_F(Fixture, RunWrappedAndCopiedInputs) {
  sinan_session *session = nullptr;
  ASSERT_EQ(message(sinan_session_create(module, cpu, &session)), "");
  sinan_tensor *input = nullptr;
  ASSERT_EQ(
      message(sinan_tensor_wrap(SINAN_F32, shape, 2, x, sizeof(x), &input)),
      "");
  sinan_tensor *output = nullptr;
  sinan_session_set_profiling(session, 1);
  ASSERT_EQ(message(sinan_session_run(session, &input, 1, &output, 1)), "");
  const float *y = static_cast<const float *>(sinan_tensor_data(output));
  // relu(x * w + b): w = [1, -2, 3], b = [0.5, 0.5, -10]
  const float want[6] = {1.5f, 0, 0, 0, 4.5f, 0};
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(y[i], want[i]) << i;
  EXPECT_EQ(sinan_tensor_rank(output), 2u);
  EXPECT_EQ(sinan_tensor_byte_size(output), 24u);
  double seconds = -1;
  size_t steps = 0;
  EXPECT_EQ(message(sinan_session_last_profile(session, &seconds, &steps)), "");
  EXPECT_EQ(steps, 3u);
  EXPECT_GE(seconds, 0);
  // No CPU object in this module: every host op ran the reference kernels.
  size_t native = 9, reference = 0;
  EXPECT_EQ(
      message(sinan_session_last_host_profile(session, &native, &reference)),
      "");
  EXPECT_EQ(native, 0u);
  EXPECT_EQ(reference, 3u);
  EXPECT_EQ(sinan_session_native_code_problem(session), nullptr);
  sinan_session_set_native_code(session, 0);
  sinan_tensor_release(output);
  ASSERT_EQ(message(sinan_session_run(session, &input, 1, &output, 1)), "");
  EXPECT_EQ(static_cast<const float *>(sinan_tensor_data(output))[4], 4.5f);
  sinan_tensor_release(output);
  sinan_tensor_release(input);
  sinan_session_destroy(session);
}

TEST_F(Fixture, HostThreadsPerSession) {
  sinan_session *session = nullptr;
  ASSERT_EQ(message(sinan_session_create(module, cpu, &session)), "");
  unsigned device = sinan_session_host_threads(session);
  EXPECT_GE(device, 1u);
  sinan_tensor *input = nullptr;
  ASSERT_EQ(
      message(sinan_tensor_wrap(SINAN_F32, shape, 2, x, sizeof(x), &input)),
      "");
  // Three threads of its own, then one, then the device's again: every
  // run gives the same result.
  for (unsigned threads : {3u, 1u, 0u}) {
    sinan_session_set_host_threads(session, threads, 1);
    EXPECT_EQ(sinan_session_host_threads(session), threads ? threads : device);
    sinan_tensor *output = nullptr;
    ASSERT_EQ(message(sinan_session_run(session, &input, 1, &output, 1)), "");
    EXPECT_EQ(static_cast<const float *>(sinan_tensor_data(output))[4], 4.5f);
    sinan_tensor_release(output);
  }
  sinan_session_set_host_threads(nullptr, 2, 1);
  EXPECT_EQ(sinan_session_host_threads(nullptr), 0u);
  sinan_tensor_release(input);
  sinan_session_destroy(session);
}

TEST_F(Fixture, ErrorPaths) {
  sinan_session *session = nullptr;
  ASSERT_EQ(message(sinan_session_create(module, cpu, &session)), "");
  sinan_tensor *wrong = nullptr;
  int64_t other[2] = {3, 2};
  ASSERT_EQ(message(sinan_tensor_create(SINAN_F32, other, 2, &wrong)), "");
  sinan_tensor *out = nullptr;
  sinan_status *status = sinan_session_run(session, &wrong, 1, &out, 1);
  EXPECT_EQ(sinan_status_get_code(status), SINAN_EXECUTION_FAILED);
  EXPECT_NE(std::string(sinan_status_message(status))
                .find("input 0 ('x') is f32[3x2], the module expects f32[2x3]"),
            std::string::npos)
      << sinan_status_message(status);
  sinan_status_free(status);
  EXPECT_NE(message(sinan_session_run(session, nullptr, 0, &out, 1))
                .find("the module takes 1 inputs, got 0"),
            std::string::npos);
  EXPECT_NE(message(sinan_session_run(session, &wrong, 1, nullptr, 0))
                .find("the module has 1 outputs, room for 0 given"),
            std::string::npos);
  EXPECT_NE(message(sinan_tensor_wrap(SINAN_F32, shape, 2, x, 5, &out))
                .find("5 bytes given, a f32[2x3] tensor needs 24"),
            std::string::npos);
  EXPECT_NE(
      message(sinan_tensor_create(static_cast<sinan_dtype>(99), shape, 2, &out))
          .find("unknown dtype 99"),
      std::string::npos);
  status = sinan_instance_find_device(instance, "snpu-sim:nope", &cpu);
  EXPECT_EQ(sinan_status_get_code(status), SINAN_NOT_FOUND);
  std::string text = message(status);
  EXPECT_NE(text.find("unknown target preset 'nope'"), std::string::npos)
      << text;
  EXPECT_NE(message(sinan_instance_find_device(instance, "gpu", &cpu))
                .find("no device 'gpu'"),
            std::string::npos);
  sinan_module *bad = nullptr;
  status = sinan_module_load_memory(instance, bytes.data(), 40, &bad);
  EXPECT_EQ(sinan_status_get_code(status), SINAN_INVALID_MODULE);
  sinan_status_free(status);
  EXPECT_NE(message(sinan_module_load_file(instance, "/nonexistent.snm", &bad))
                .find("cannot open"),
            std::string::npos);
  EXPECT_NE(message(sinan_session_last_profile(session, nullptr, nullptr))
                .find("profiling is off"),
            std::string::npos);
  EXPECT_NE(message(sinan_session_create(nullptr, cpu, &session))
                .find("module must not be null"),
            std::string::npos);
  sinan_tensor_release(wrong);
  sinan_session_destroy(session);
}

TEST_F(Fixture, SubmitAndWait) {
  sinan_session *session = nullptr;
  ASSERT_EQ(message(sinan_session_create(module, cpu, &session)), "");
  sinan_tensor *input = nullptr;
  ASSERT_EQ(
      message(sinan_tensor_copy(SINAN_F32, shape, 2, x, sizeof(x), &input)),
      "");
  sinan_event *events[4];
  for (sinan_event *&event : events)
    ASSERT_EQ(message(sinan_session_submit(session, &input, 1, &event)), "");
  for (sinan_event *event : events) {
    sinan_tensor *out = nullptr;
    ASSERT_EQ(message(sinan_event_wait(event, &out, 1)), "");
    EXPECT_EQ(static_cast<float *>(sinan_tensor_data(out))[4], 4.5f);
    EXPECT_NE(message(sinan_event_wait(event, &out, 1)), "");
    sinan_tensor_release(out);
    sinan_event_release(event);
  }
  sinan_tensor_release(input);
  sinan_session_destroy(session);
}

// Sessions of one module on several threads give identical results.
TEST_F(Fixture, ConcurrentSessions) {
  std::vector<std::vector<float>> results(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      sinan_session *session = nullptr;
      if (sinan_status *s = sinan_session_create(module, cpu, &session)) {
        sinan_status_free(s);
        return;
      }
      float local[6];
      std::memcpy(local, x, sizeof(x));
      for (int run = 0; run < 200; ++run) {
        sinan_tensor *in = nullptr, *out = nullptr;
        sinan_status_free(
            sinan_tensor_wrap(SINAN_F32, shape, 2, local, sizeof(local), &in));
        if (sinan_status *s = sinan_session_run(session, &in, 1, &out, 1)) {
          sinan_status_free(s);
          sinan_tensor_release(in);
          break;
        }
        const float *y = static_cast<const float *>(sinan_tensor_data(out));
        results[t].assign(y, y + 6);
        sinan_tensor_release(out);
        sinan_tensor_release(in);
      }
      sinan_session_destroy(session);
    });
  for (std::thread &thread : threads)
    thread.join();
  for (int t = 0; t < 4; ++t)
    EXPECT_EQ(results[t], (std::vector<float>{1.5f, 0, 0, 0, 4.5f, 0}));
}

TEST_F(Fixture, CppLayer) {
  sinan::Instance inst;
  sinan::Module mod = inst.loadModule(bytes.data(), bytes.size());
  EXPECT_EQ(mod.inputName(0), "x");
  sinan::Session session(mod, inst.device("cpu"));
  sinan::Tensor input(SINAN_F32, {2, 3}, x, sizeof(x));
  std::vector<sinan::Tensor> out = session.run({&input});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(out[0].data<float>()[0], 1.5f);
  // A module of host ops runs on the simulated device too, the same.
  EXPECT_EQ(std::string(sinan_device_name(inst.device("snpu-sim"))),
            "snpu-sim:snpu-edge");
  sinan::Session onSim(mod, inst.device("snpu-sim:snpu-server"));
  std::vector<sinan::Tensor> simOut = onSim.run({&input});
  ASSERT_EQ(simOut.size(), 1u);
  EXPECT_EQ(std::memcmp(simOut[0].data<float>(), out[0].data<float>(), 24), 0);
  try {
    inst.device("gpu");
    FAIL() << "expected an error";
  } catch (const sinan::Error &e) {
    EXPECT_EQ(e.code(), SINAN_NOT_FOUND);
  }
}

TEST(CppApi, KernelLaunchesOnSnpuSimAndCpu) {
  sinan::Instance inst;
  std::vector<uint8_t> bytes = launchModule();
  sinan::Module mod = inst.loadModule(bytes.data(), bytes.size());
  std::vector<float> x(256);
  for (int i = 0; i < 256; ++i)
    x[i] = float(i % 7) - 3.0f;
  sinan::Tensor input(SINAN_F32, {256}, x.data(), x.size() * 4);
  sinan::Session onSim(mod, inst.device("snpu-sim"));
  onSim.setProfiling(true);
  std::vector<sinan::Tensor> simOut = onSim.run({&input});
  sinan_device_profile profile = onSim.deviceProfile();
  EXPECT_EQ(profile.kernel_launches, 1u);
  EXPECT_EQ(profile.copies, 2u);
  EXPECT_EQ(profile.bytes_to_device, 1024u);
  EXPECT_GT(profile.kernel_cycles, 0u);
  EXPECT_GT(profile.copy_cycles, 0u);
  EXPECT_EQ(profile.clock_mhz, 800u);
  sinan::Session onCpu(mod, inst.device("cpu"));
  onCpu.setProfiling(true);
  std::vector<sinan::Tensor> cpuOut = onCpu.run({&input});
  EXPECT_EQ(onCpu.deviceProfile().host_op_launches, 1u);
  for (int i = 0; i < 256; ++i) {
    EXPECT_EQ(simOut[0].data<float>()[i], std::max(x[i], 0.0f)) << i;
    EXPECT_EQ(cpuOut[0].data<float>()[i], std::max(x[i], 0.0f)) << i;
  }
  // A module for snpu-edge does not run on snpu-server.
  try {
    sinan::Session wrong(mod, inst.device("snpu-sim:snpu-server"));
    FAIL() << "expected an error";
  } catch (const sinan::Error &e) {
    EXPECT_EQ(e.code(), SINAN_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find("compiled for target 'snpu-edge'"),
              std::string::npos)
        << e.what();
  }
}

} // namespace
