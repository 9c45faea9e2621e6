//===- Npy.h - NumPy .npy and .npz files --------------------------*- C++
//-*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Reads and writes tensors in NumPy's formats: .npy (format 1.0-3.0,
// little-endian, C order) and .npz (a zip of .npy members, as written by
// numpy.savez; compressed members from savez_compressed are rejected with a
// clear message). Element types: f32, f16, i8, i32, i64, bool.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_RUNTIME_NPY_H
#define SINAN_RUNTIME_NPY_H

#include "sinan/runtime/Tensor.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sinan {

/// Parses .npy bytes; `name` prefixes errors.
std::optional<Tensor> parseNpy(const std::vector<uint8_t> &bytes,
                               const std::string &name, std::string &error);
std::optional<Tensor> readNpy(const std::string &path, std::string &error);

/// Serializes a tensor as .npy (bf16 has no NumPy type and is refused).
std::optional<std::vector<uint8_t>> serializeNpy(const Tensor &tensor,
                                                 std::string &error);
bool writeNpy(const std::string &path, const Tensor &tensor,
              std::string &error);

/// Member name (without ".npy") -> tensor, in file order.
std::optional<std::vector<std::pair<std::string, Tensor>>>
readNpz(const std::string &path, std::string &error);

} // namespace sinan

#endif // SINAN_RUNTIME_NPY_H
