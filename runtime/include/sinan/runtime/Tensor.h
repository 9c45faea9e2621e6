//===- Tensor.h - Host tensors -----------------------------------*- C++
//-*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A dense, row-major host tensor: element type, shape and bytes. Used by the
// reference kernels, .npy I/O and the runtime's host-side buffers.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_RUNTIME_TENSOR_H
#define SINAN_RUNTIME_TENSOR_H

#include "sinan/runtime/DType.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace sinan {

class Tensor {
public:
  Tensor() = default;
  /// A zero-filled tensor.
  Tensor(DType type, std::vector<int64_t> shape);

  DType type() const { return elementType; }
  const std::vector<int64_t> &shape() const { return dims; }
  int64_t rank() const { return static_cast<int64_t>(dims.size()); }
  int64_t numElements() const;
  size_t byteSize() const { return storage.size(); }

  uint8_t *data() { return storage.data(); }
  const uint8_t *data() const { return storage.data(); }
  template <typename T> T *data() { return reinterpret_cast<T *>(data()); }
  template <typename T> const T *data() const {
    return reinterpret_cast<const T *>(data());
  }

  /// Element `i` (flat index) widened to double; i1 reads as 0/1.
  double getDouble(int64_t i) const;
  /// Writes `value` to element `i`, rounding to the element type by the
  /// runtime's rules (Numerics.h): RNE for floats, saturation for integers.
  void setDouble(int64_t i, double value);

  /// "f32[1x3x224x224]" for messages.
  std::string describe() const;

  bool operator==(const Tensor &other) const {
    return elementType == other.elementType && dims == other.dims &&
           storage == other.storage;
  }

private:
  DType elementType = DType::F32;
  std::vector<int64_t> dims;
  std::vector<uint8_t> storage;
};

/// "1x3x224x224" (or "scalar" for rank 0).
std::string formatShape(const std::vector<int64_t> &shape);

} // namespace sinan

#endif // SINAN_RUNTIME_TENSOR_H
