//===- ModuleLoaderFuzzer.cpp - libFuzzer target for .snm loading ---------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Arbitrary bytes through Module::loadFromMemory: the header checks, the
// FlatBuffers verifier, the conversion and every validator rule. A clear
// error is the right answer; a crash or sanitizer report is a bug. A module
// that loads is walked (values, steps, constants) as a session would.
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/module/Module.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string error;
  auto module = sinan::module::Module::loadFromMemory(data, size, error);
  if (!module) {
    if (error.empty())
      std::abort(); // A rejection must say why.
    return 0;
  }
  // Touch every constant's bytes: the validator promised they are inside.
  const sinan::module::ModuleDesc &m = module->desc();
  volatile uint8_t sink = 0;
  for (uint32_t i = 0; i < m.values.size(); ++i)
    if (m.values[i].kind == sinan::module::ValueKind::Constant) {
      uint64_t bytes = m.values[i].byteSize();
      const uint8_t *p = module->constantData(i);
      if (bytes)
        sink = sink ^ p[0] ^ p[bytes - 1];
    }
  (void)sink;
  return 0;
}
