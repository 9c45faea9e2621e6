//===- CpuCode.cpp - Native host code from a module -----------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/exec/CpuCode.h"

#include <fmt/format.h>

#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

namespace sinan::exec {

const char *hostArch() {
#if defined(__x86_64__)
  return "x86_64";
#elif defined(__aarch64__)
  return "aarch64";
#else
  return "unknown";
#endif
}

bool hostHasFeature(const std::string &feature) {
#if defined(__x86_64__)
  __builtin_cpu_init();
#define SINAN_FEATURE(name)                                                    \
  if (feature == name)                                                         \
    return __builtin_cpu_supports(name);
  SINAN_FEATURE("x86-64")
  SINAN_FEATURE("x86-64-v2")
  SINAN_FEATURE("x86-64-v3")
  SINAN_FEATURE("x86-64-v4")
  SINAN_FEATURE("sse4.2")
  SINAN_FEATURE("avx")
  SINAN_FEATURE("avx2")
  SINAN_FEATURE("fma")
  SINAN_FEATURE("f16c")
  SINAN_FEATURE("bmi2")
  SINAN_FEATURE("avx512f")
  SINAN_FEATURE("avx512bw")
  SINAN_FEATURE("avx512dq")
  SINAN_FEATURE("avx512vl")
  SINAN_FEATURE("avx512vnni")
  SINAN_FEATURE("avx512bf16")
#undef SINAN_FEATURE
#endif
  return false;
}

std::shared_ptr<CpuCode> CpuCode::load(const module::CpuObjectDesc &object,
                                       std::string &why) {
  std::string arch = object.triple.substr(0, object.triple.find('-'));
  if (arch != hostArch()) {
    why = fmt::format("the CPU object is for '{}', this host is {}",
                      object.triple, hostArch());
    return nullptr;
  }
  for (const std::string &feature : object.features)
    if (!hostHasFeature(feature)) {
      why = fmt::format("the CPU object was compiled for {} and needs {}, "
                        "which this host lacks (recompile with --cpu=native "
                        "or an older --cpu)",
                        object.cpu, feature);
      return nullptr;
    }
  // The dynamic loader takes a path: give it an anonymous in-memory file.
  int fd = memfd_create("sinan-cpu-object", MFD_CLOEXEC);
  if (fd < 0) {
    why = "memfd_create failed";
    return nullptr;
  }
  size_t written = 0;
  while (written < object.image.size()) {
    ssize_t n = ::write(fd, object.image.data() + written,
                        object.image.size() - written);
    if (n <= 0) {
      ::close(fd);
      why = "cannot write the CPU object to an anonymous file";
      return nullptr;
    }
    written += static_cast<size_t>(n);
  }
  std::shared_ptr<CpuCode> code(new CpuCode());
  std::string path = fmt::format("/proc/self/fd/{}", fd);
  code->handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  ::close(fd);
  if (!code->handle) {
    const char *message = dlerror();
    why = fmt::format("the dynamic loader refused the CPU object: {}",
                      message ? message : "unknown error");
    return nullptr;
  }
  for (const module::CpuEntryDesc &entry : object.entries) {
    void *symbol = dlsym(code->handle, entry.symbol.c_str());
    if (!symbol) {
      why = fmt::format("the CPU object has no entry '{}'", entry.symbol);
      return nullptr;
    }
    code->entries.push_back(reinterpret_cast<Entry>(symbol));
  }
  return code;
}

CpuCode::~CpuCode() {
  if (handle)
    dlclose(handle);
}

} // namespace sinan::exec
