//===- sinan.hpp - C++ RAII layer over the Sinan C API ----------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Header-only: owning wrappers over the C handles; a failed call throws
// sinan::Error carrying the status code and message.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_RUNTIME_SINAN_HPP
#define SINAN_RUNTIME_SINAN_HPP

#include "sinan/runtime/sinan.h"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace sinan {

class Error : public std::runtime_error {
public:
  Error(sinan_status_code code, const std::string &message)
      : std::runtime_error(message), statusCode(code) {}
  sinan_status_code code() const { return statusCode; }

private:
  sinan_status_code statusCode;
};

/// Throws if `status` is an error (and frees it either way).
inline void check(sinan_status *status) {
  if (!status)
    return;
  Error error(sinan_status_get_code(status), sinan_status_message(status));
  sinan_status_free(status);
  throw error;
}

template <typename T, void (*Release)(T *)> struct Deleter {
  void operator()(T *p) const { Release(p); }
};

class Tensor {
public:
  Tensor(sinan_dtype dtype, const std::vector<int64_t> &shape) {
    sinan_tensor *t = nullptr;
    check(sinan_tensor_create(dtype, shape.data(), shape.size(), &t));
    handle.reset(t);
  }
  /// Copies `bytes` bytes from `data`.
  Tensor(sinan_dtype dtype, const std::vector<int64_t> &shape, const void *data,
         size_t bytes) {
    sinan_tensor *t = nullptr;
    check(
        sinan_tensor_copy(dtype, shape.data(), shape.size(), data, bytes, &t));
    handle.reset(t);
  }
  /// Wraps caller memory that must outlive the tensor.
  static Tensor wrap(sinan_dtype dtype, const std::vector<int64_t> &shape,
                     void *data, size_t bytes) {
    sinan_tensor *t = nullptr;
    check(
        sinan_tensor_wrap(dtype, shape.data(), shape.size(), data, bytes, &t));
    return Tensor(t);
  }
  explicit Tensor(sinan_tensor *owned) : handle(owned) {}

  sinan_dtype dtype() const { return sinan_tensor_dtype(handle.get()); }
  std::vector<int64_t> shape() const {
    const int64_t *dims = sinan_tensor_shape(handle.get());
    return std::vector<int64_t>(dims, dims + sinan_tensor_rank(handle.get()));
  }
  size_t byteSize() const { return sinan_tensor_byte_size(handle.get()); }
  template <typename T = void> T *data() {
    return static_cast<T *>(sinan_tensor_data(handle.get()));
  }
  sinan_tensor *get() const { return handle.get(); }

private:
  std::unique_ptr<sinan_tensor, Deleter<sinan_tensor, sinan_tensor_release>>
      handle;
};

class Instance;

class Module {
public:
  explicit Module(sinan_module *owned) : handle(owned) {}
  size_t inputCount() const { return sinan_module_input_count(get()); }
  size_t outputCount() const { return sinan_module_output_count(get()); }
  std::string inputName(size_t i) const {
    const char *name = nullptr;
    check(sinan_module_input_name(get(), i, &name));
    return name;
  }
  std::string outputName(size_t i) const {
    const char *name = nullptr;
    check(sinan_module_output_name(get(), i, &name));
    return name;
  }
  /// Element type and shape of input `i`.
  std::pair<sinan_dtype, std::vector<int64_t>> inputInfo(size_t i) const {
    return info(sinan_module_input_info, i);
  }
  std::pair<sinan_dtype, std::vector<int64_t>> outputInfo(size_t i) const {
    return info(sinan_module_output_info, i);
  }
  sinan_module *get() const { return handle.get(); }

private:
  template <typename Query>
  std::pair<sinan_dtype, std::vector<int64_t>> info(Query query,
                                                    size_t i) const {
    size_t rank = 0;
    check(query(get(), i, nullptr, nullptr, 0, &rank));
    std::vector<int64_t> shape(rank);
    sinan_dtype dtype;
    check(query(get(), i, &dtype, shape.data(), rank, &rank));
    return {dtype, shape};
  }

  std::unique_ptr<sinan_module, Deleter<sinan_module, sinan_module_release>>
      handle;
};

class Session {
public:
  Session(const Module &module, sinan_device *device) {
    sinan_session *s = nullptr;
    check(sinan_session_create(module.get(), device, &s));
    handle.reset(s);
    outputs = module.outputCount();
  }
  std::vector<Tensor> run(const std::vector<const Tensor *> &inputs) {
    std::vector<sinan_tensor *> in;
    for (const Tensor *t : inputs)
      in.push_back(t->get());
    std::vector<sinan_tensor *> out(outputs, nullptr);
    check(sinan_session_run(handle.get(), in.data(), in.size(), out.data(),
                            out.size()));
    std::vector<Tensor> result;
    for (sinan_tensor *t : out)
      result.emplace_back(t);
    return result;
  }
  void setProfiling(bool on) { sinan_session_set_profiling(handle.get(), on); }
  /// The device side of the last run (profiling must be on).
  sinan_device_profile deviceProfile() const {
    sinan_device_profile profile{};
    check(sinan_session_last_device_profile(handle.get(), &profile));
    return profile;
  }
  sinan_session *get() const { return handle.get(); }

private:
  std::unique_ptr<sinan_session, Deleter<sinan_session, sinan_session_destroy>>
      handle;
  size_t outputs = 0;
};

class Instance {
public:
  Instance() {
    sinan_instance *i = nullptr;
    check(sinan_instance_create(&i));
    handle.reset(i);
  }
  sinan_device *device(const std::string &name) {
    sinan_device *d = nullptr;
    check(sinan_instance_find_device(handle.get(), name.c_str(), &d));
    return d;
  }
  Module loadModule(const std::string &path) {
    sinan_module *m = nullptr;
    check(sinan_module_load_file(handle.get(), path.c_str(), &m));
    return Module(m);
  }
  Module loadModule(const void *data, size_t size) {
    sinan_module *m = nullptr;
    check(sinan_module_load_memory(handle.get(), data, size, &m));
    return Module(m);
  }
  sinan_instance *get() const { return handle.get(); }

private:
  std::unique_ptr<sinan_instance,
                  Deleter<sinan_instance, sinan_instance_destroy>>
      handle;
};

} // namespace sinan

#endif // SINAN_RUNTIME_SINAN_HPP
