//===- sinan.cpp - The Sinan runtime C API --------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/sinan.h"

#include "sinan/runtime/exec/Session.h"
#include "sinan/runtime/module/Module.h"

#include <fmt/format.h>

#include <algorithm>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

using namespace sinan;

struct sinan_status {
  sinan_status_code code;
  std::string message;
};

struct sinan_device {
  std::unique_ptr<exec::Device> device;
};

struct sinan_instance {
  std::mutex lock; // find_device may add a device for a target file.
  std::vector<std::unique_ptr<sinan_device>> devices;
};

struct sinan_module {
  std::shared_ptr<module::Module> module;
};

struct sinan_tensor {
  Tensor tensor; // Owned storage or a view of caller memory.
};

struct sinan_session {
  std::shared_ptr<module::Module> module; // Keeps the module alive.
  std::unique_ptr<exec::Session> session;
  std::mutex running; // One run at a time.
  bool profiling = false;
  exec::RunStats last;
};

struct sinan_event {
  std::future<sinan_status *> done;
  std::vector<Tensor> outputs;
};

namespace {

sinan_status *error(sinan_status_code code, std::string message) {
  return new sinan_status{code, std::move(message)};
}

sinan_status *nullArgument(const char *what) {
  return error(SINAN_INVALID_ARGUMENT,
               fmt::format("{} must not be null", what));
}

bool validDType(sinan_dtype dtype) {
  return static_cast<int>(dtype) >= 0 &&
         static_cast<unsigned>(dtype) <= static_cast<unsigned>(SINAN_F64);
}

/// Checks dtype, shape and byte count of a tensor about to be made.
sinan_status *checkTensor(sinan_dtype dtype, const int64_t *shape, size_t rank,
                          const void *data, size_t bytes, bool needData,
                          std::vector<int64_t> &dims) {
  if (!validDType(dtype))
    return error(SINAN_INVALID_ARGUMENT,
                 fmt::format("unknown dtype {}", static_cast<int>(dtype)));
  if (rank && !shape)
    return nullArgument("shape");
  uint64_t count = 1;
  for (size_t i = 0; i < rank; ++i) {
    if (shape[i] < 0 ||
        (shape[i] > 0 && count > (uint64_t(1) << 48) / uint64_t(shape[i])))
      return error(SINAN_INVALID_ARGUMENT,
                   fmt::format("bad dimension {} at index {}", shape[i], i));
    count *= static_cast<uint64_t>(shape[i]);
    dims.push_back(shape[i]);
  }
  uint64_t need = count * dtypeSize(static_cast<DType>(dtype));
  if (needData && need && !data)
    return nullArgument("data");
  if (needData && bytes != need)
    return error(SINAN_INVALID_ARGUMENT,
                 fmt::format("{} bytes given, a {}[{}] tensor needs {}", bytes,
                             dtypeName(static_cast<DType>(dtype)),
                             formatShape(dims), need));
  return nullptr;
}

/// Input (or, with `outputs`, output) `index` of `module`, or a status.
sinan_status *valueAt(const sinan_module *module, bool outputs, size_t index,
                      const module::ValueDesc **out) {
  if (!module)
    return nullArgument("module");
  const module::ModuleDesc &m = module->module->desc();
  const std::vector<uint32_t> &list = outputs ? m.outputs : m.inputs;
  const char *what = outputs ? "output" : "input";
  if (index >= list.size())
    return error(SINAN_NOT_FOUND,
                 fmt::format("{} index {} is out of range: the module has {} "
                             "{}s",
                             what, index, list.size(), what));
  *out = &m.values[list[index]];
  return nullptr;
}

sinan_status *valueName(const sinan_module *module, bool outputs, size_t index,
                        const char **name) {
  if (!name)
    return nullArgument("name");
  const module::ValueDesc *v = nullptr;
  if (sinan_status *s = valueAt(module, outputs, index, &v))
    return s;
  *name = v->name.c_str();
  return nullptr;
}

sinan_status *valueInfo(const sinan_module *module, bool outputs, size_t index,
                        sinan_dtype *dtype, int64_t *shape, size_t maxRank,
                        size_t *rank) {
  if (!rank)
    return nullArgument("rank");
  const module::ValueDesc *v = nullptr;
  if (sinan_status *s = valueAt(module, outputs, index, &v))
    return s;
  if (shape && maxRank < v->shape.size())
    return error(SINAN_INVALID_ARGUMENT,
                 fmt::format("{} {} ('{}') has rank {}; the shape buffer "
                             "holds {}",
                             outputs ? "output" : "input", index, v->name,
                             v->shape.size(), maxRank));
  *rank = v->shape.size();
  if (dtype)
    *dtype = static_cast<sinan_dtype>(v->dtype);
  if (shape)
    std::copy(v->shape.begin(), v->shape.end(), shape);
  return nullptr;
}

sinan_status *runSession(sinan_session *s, const std::vector<Tensor> &inputs,
                         std::vector<Tensor> &outputs) {
  std::lock_guard<std::mutex> lock(s->running);
  std::string message;
  exec::RunStats stats;
  if (!s->session->run(inputs, outputs, message, &stats))
    return error(SINAN_EXECUTION_FAILED, message);
  if (s->profiling)
    s->last = stats;
  return nullptr;
}

sinan_status *gatherInputs(const sinan_session *s, sinan_tensor *const *in,
                           size_t count, std::vector<Tensor> &inputs) {
  size_t want = s->module->desc().inputs.size();
  if (count != want)
    return error(
        SINAN_INVALID_ARGUMENT,
        fmt::format("the module takes {} inputs, got {}", want, count));
  if (count && !in)
    return nullArgument("inputs");
  for (size_t i = 0; i < count; ++i) {
    if (!in[i])
      return error(SINAN_INVALID_ARGUMENT, fmt::format("input {} is null", i));
    const Tensor &t = in[i]->tensor;
    inputs.push_back(
        Tensor::view(t.type(), t.shape(), const_cast<uint8_t *>(t.data())));
  }
  return nullptr;
}

sinan_status *handOut(std::vector<Tensor> &results, sinan_tensor **outputs,
                      size_t count) {
  if (count != results.size())
    return error(SINAN_INVALID_ARGUMENT,
                 fmt::format("the module has {} outputs, room for {} given",
                             results.size(), count));
  if (count && !outputs)
    return nullArgument("outputs");
  for (size_t i = 0; i < count; ++i)
    outputs[i] = new sinan_tensor{std::move(results[i])};
  return nullptr;
}

} // namespace

extern "C" {

sinan_status_code sinan_status_get_code(const sinan_status *status) {
  return status ? status->code : SINAN_OK;
}
const char *sinan_status_message(const sinan_status *status) {
  return status ? status->message.c_str() : "ok";
}
void sinan_status_free(sinan_status *status) { delete status; }

sinan_status *sinan_instance_create(sinan_instance **out) {
  if (!out)
    return nullArgument("out");
  auto *instance = new sinan_instance;
  instance->devices.push_back(
      std::make_unique<sinan_device>(sinan_device{exec::createCpuDevice()}));
  for (const std::string &preset : builtinTargetNames()) {
    std::string unused;
    instance->devices.push_back(std::make_unique<sinan_device>(
        sinan_device{exec::openDevice("snpu-sim:" + preset, "", unused)}));
  }
  *out = instance;
  return nullptr;
}
void sinan_instance_destroy(sinan_instance *instance) { delete instance; }

size_t sinan_instance_device_count(const sinan_instance *instance) {
  return instance ? instance->devices.size() : 0;
}

sinan_status *sinan_instance_device(sinan_instance *instance, size_t index,
                                    sinan_device **out) {
  if (!instance || !out)
    return nullArgument(!instance ? "instance" : "out");
  if (index >= instance->devices.size())
    return error(SINAN_NOT_FOUND,
                 fmt::format("device index {} out of range ({} devices)", index,
                             instance->devices.size()));
  *out = instance->devices[index].get();
  return nullptr;
}

sinan_status *sinan_instance_find_device(sinan_instance *instance,
                                         const char *name, sinan_device **out) {
  if (!instance || !name || !out)
    return nullArgument(!instance ? "instance" : !name ? "name" : "out");
  std::string wanted = name;
  // "snpu-sim" alone is the default (first built-in) preset.
  if (wanted == "snpu-sim")
    wanted += ":" + builtinTargetNames().front();
  std::lock_guard<std::mutex> guard(instance->lock);
  for (auto &device : instance->devices)
    if (device->device->name() == wanted) {
      *out = device.get();
      return nullptr;
    }
  if (wanted.rfind("snpu-sim:", 0) != 0) {
    std::string names;
    for (auto &device : instance->devices)
      names += (names.empty() ? "" : ", ") + device->device->name();
    return error(SINAN_NOT_FOUND, fmt::format("no device '{}' (available: "
                                              "{}, snpu-sim:FILE.json)",
                                              wanted, names));
  }
  // A target description file: a new simulated device.
  std::string message;
  std::unique_ptr<exec::Device> device = exec::openDevice(wanted, "", message);
  if (!device)
    return error(SINAN_NOT_FOUND,
                 fmt::format("device '{}': {}", wanted, message));
  instance->devices.push_back(
      std::make_unique<sinan_device>(sinan_device{std::move(device)}));
  *out = instance->devices.back().get();
  return nullptr;
}

const char *sinan_device_name(const sinan_device *device) {
  return device ? device->device->name().c_str() : "";
}

sinan_status *sinan_module_load_file(sinan_instance *instance, const char *path,
                                     sinan_module **out) {
  if (!instance || !path || !out)
    return nullArgument(!instance ? "instance" : !path ? "path" : "out");
  std::string message;
  std::unique_ptr<module::Module> loaded = module::Module::load(path, message);
  if (!loaded)
    return error(SINAN_INVALID_MODULE, message);
  *out = new sinan_module{std::move(loaded)};
  return nullptr;
}

sinan_status *sinan_module_load_memory(sinan_instance *instance,
                                       const void *data, size_t size,
                                       sinan_module **out) {
  if (!instance || (!data && size) || !out)
    return nullArgument(!instance ? "instance" : !out ? "out" : "data");
  std::string message;
  std::unique_ptr<module::Module> loaded = module::Module::loadFromMemory(
      static_cast<const uint8_t *>(data), size, message);
  if (!loaded)
    return error(SINAN_INVALID_MODULE, message);
  *out = new sinan_module{std::move(loaded)};
  return nullptr;
}

void sinan_module_release(sinan_module *module) { delete module; }

size_t sinan_module_input_count(const sinan_module *module) {
  return module ? module->module->desc().inputs.size() : 0;
}
size_t sinan_module_output_count(const sinan_module *module) {
  return module ? module->module->desc().outputs.size() : 0;
}
sinan_status *sinan_module_input_name(const sinan_module *module, size_t index,
                                      const char **name) {
  return valueName(module, false, index, name);
}
sinan_status *sinan_module_output_name(const sinan_module *module, size_t index,
                                       const char **name) {
  return valueName(module, true, index, name);
}
sinan_status *sinan_module_input_info(const sinan_module *module, size_t index,
                                      sinan_dtype *dtype, int64_t *shape,
                                      size_t maxRank, size_t *rank) {
  return valueInfo(module, false, index, dtype, shape, maxRank, rank);
}
sinan_status *sinan_module_output_info(const sinan_module *module, size_t index,
                                       sinan_dtype *dtype, int64_t *shape,
                                       size_t maxRank, size_t *rank) {
  return valueInfo(module, true, index, dtype, shape, maxRank, rank);
}

sinan_status *sinan_tensor_create(sinan_dtype dtype, const int64_t *shape,
                                  size_t rank, sinan_tensor **out) {
  std::vector<int64_t> dims;
  if (!out)
    return nullArgument("out");
  if (sinan_status *s =
          checkTensor(dtype, shape, rank, nullptr, 0, false, dims))
    return s;
  *out = new sinan_tensor{Tensor(static_cast<DType>(dtype), dims)};
  return nullptr;
}

sinan_status *sinan_tensor_copy(sinan_dtype dtype, const int64_t *shape,
                                size_t rank, const void *data, size_t bytes,
                                sinan_tensor **out) {
  std::vector<int64_t> dims;
  if (!out)
    return nullArgument("out");
  if (sinan_status *s =
          checkTensor(dtype, shape, rank, data, bytes, true, dims))
    return s;
  Tensor tensor(static_cast<DType>(dtype), dims);
  if (bytes)
    std::memcpy(tensor.data(), data, bytes);
  *out = new sinan_tensor{std::move(tensor)};
  return nullptr;
}

sinan_status *sinan_tensor_wrap(sinan_dtype dtype, const int64_t *shape,
                                size_t rank, void *data, size_t bytes,
                                sinan_tensor **out) {
  std::vector<int64_t> dims;
  if (!out)
    return nullArgument("out");
  if (sinan_status *s =
          checkTensor(dtype, shape, rank, data, bytes, true, dims))
    return s;
  *out = new sinan_tensor{Tensor::view(static_cast<DType>(dtype), dims,
                                       static_cast<uint8_t *>(data))};
  return nullptr;
}

void sinan_tensor_release(sinan_tensor *tensor) { delete tensor; }
sinan_dtype sinan_tensor_dtype(const sinan_tensor *tensor) {
  return tensor ? static_cast<sinan_dtype>(tensor->tensor.type()) : SINAN_F32;
}
size_t sinan_tensor_rank(const sinan_tensor *tensor) {
  return tensor ? tensor->tensor.shape().size() : 0;
}
const int64_t *sinan_tensor_shape(const sinan_tensor *tensor) {
  return tensor ? tensor->tensor.shape().data() : nullptr;
}
size_t sinan_tensor_byte_size(const sinan_tensor *tensor) {
  return tensor ? tensor->tensor.byteSize() : 0;
}
void *sinan_tensor_data(sinan_tensor *tensor) {
  return tensor ? tensor->tensor.data() : nullptr;
}

sinan_status *sinan_session_create(sinan_module *module, sinan_device *device,
                                   sinan_session **out) {
  if (!module || !device || !out)
    return nullArgument(!module ? "module" : !device ? "device" : "out");
  std::string message;
  std::unique_ptr<exec::Session> run =
      exec::Session::create(*module->module, *device->device, message);
  if (!run)
    return error(SINAN_INVALID_ARGUMENT, std::move(message));
  auto *session = new sinan_session;
  session->module = module->module;
  session->session = std::move(run);
  *out = session;
  return nullptr;
}

void sinan_session_destroy(sinan_session *session) { delete session; }

void sinan_session_set_profiling(sinan_session *session, int enabled) {
  if (session)
    session->profiling = enabled != 0;
}

sinan_status *sinan_session_run(sinan_session *session,
                                sinan_tensor *const *inputs, size_t numInputs,
                                sinan_tensor **outputs, size_t numOutputs) {
  if (!session)
    return nullArgument("session");
  std::vector<Tensor> in, out;
  if (sinan_status *s = gatherInputs(session, inputs, numInputs, in))
    return s;
  size_t want = session->module->desc().outputs.size();
  if (numOutputs != want || (want && !outputs))
    return error(SINAN_INVALID_ARGUMENT,
                 fmt::format("the module has {} outputs, room for {} given",
                             want, outputs ? numOutputs : 0));
  if (sinan_status *s = runSession(session, in, out))
    return s;
  return handOut(out, outputs, numOutputs);
}

sinan_status *sinan_session_submit(sinan_session *session,
                                   sinan_tensor *const *inputs,
                                   size_t numInputs, sinan_event **out) {
  if (!session || !out)
    return nullArgument(!session ? "session" : "out");
  std::vector<Tensor> in;
  if (sinan_status *s = gatherInputs(session, inputs, numInputs, in))
    return s;
  auto *event = new sinan_event;
  event->done =
      std::async(std::launch::async, [session, event, in = std::move(in)]() {
        return runSession(session, in, event->outputs);
      });
  *out = event;
  return nullptr;
}

sinan_status *sinan_event_wait(sinan_event *event, sinan_tensor **outputs,
                               size_t numOutputs) {
  if (!event)
    return nullArgument("event");
  if (!event->done.valid())
    return error(SINAN_INVALID_ARGUMENT, "event already waited for");
  if (sinan_status *s = event->done.get())
    return s;
  return handOut(event->outputs, outputs, numOutputs);
}

void sinan_event_release(sinan_event *event) {
  if (event && event->done.valid())
    event->done.wait(); // The run still uses the event's outputs.
  delete event;
}

sinan_status *sinan_session_last_profile(const sinan_session *session,
                                         double *seconds, size_t *steps) {
  if (!session)
    return nullArgument("session");
  if (!session->profiling)
    return error(SINAN_INVALID_ARGUMENT,
                 "profiling is off (sinan_session_set_profiling)");
  if (seconds)
    *seconds = session->last.seconds;
  if (steps)
    *steps = session->last.stepsRun;
  return nullptr;
}

sinan_status *sinan_session_last_host_profile(const sinan_session *session,
                                              size_t *nativeSteps,
                                              size_t *referenceSteps) {
  if (!session)
    return nullArgument("session");
  if (!session->profiling)
    return error(SINAN_INVALID_ARGUMENT,
                 "profiling is off (sinan_session_set_profiling)");
  if (nativeSteps)
    *nativeSteps = session->last.nativeSteps;
  if (referenceSteps)
    *referenceSteps = session->last.hostOpSteps;
  return nullptr;
}

void sinan_session_set_native_code(sinan_session *session, int enabled) {
  if (!session)
    return;
  std::lock_guard<std::mutex> guard(session->running);
  session->session->setNativeCode(enabled != 0);
}

void sinan_session_set_host_threads(sinan_session *session, unsigned threads,
                                    int pin) {
  if (!session)
    return;
  std::lock_guard<std::mutex> guard(session->running);
  session->session->setHostThreads(threads, pin != 0);
}

unsigned sinan_session_host_threads(const sinan_session *session) {
  return session ? session->session->hostThreads() : 0;
}

const char *sinan_session_native_code_problem(const sinan_session *session) {
  if (!session || session->session->nativeCodeProblem().empty())
    return nullptr;
  return session->session->nativeCodeProblem().c_str();
}

sinan_status *sinan_session_last_device_profile(const sinan_session *session,
                                                sinan_device_profile *out) {
  if (!session || !out)
    return nullArgument(!session ? "session" : "out");
  if (!session->profiling)
    return error(SINAN_INVALID_ARGUMENT,
                 "profiling is off (sinan_session_set_profiling)");
  const exec::DeviceRunStats &d = session->last.device;
  const TargetDesc *target = session->session->device().target();
  *out = sinan_device_profile{};
  out->kernel_launches = d.launches;
  out->host_op_launches = d.fallbackLaunches;
  out->copies = d.copies;
  out->kernel_cycles = d.kernelCycles;
  out->copy_cycles = d.copyCycles;
  out->timeline_cycles = d.timelineCycles;
  out->bytes_to_device = d.bytesToDevice;
  out->bytes_to_host = d.bytesToHost;
  out->macs = d.macs;
  out->clock_mhz = target ? target->clockMhz : 0;
  return nullptr;
}

} // extern "C"
