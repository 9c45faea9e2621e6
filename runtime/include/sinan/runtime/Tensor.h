//===- Tensor.h - Host tensors ----------------------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A dense, row-major host tensor: element type, shape and bytes. Used by the
// reference kernels, .npy I/O and the runtime's host-side buffers. A view
// (Tensor::view) borrows memory it does not own, such as a slot of the
// runtime's arena, a memory-mapped constant or a caller's buffer; copying a
// view copies the pointer, not the bytes.
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
  /// A tensor over `data`, which must outlive it and hold byteSize() bytes.
  static Tensor view(DType type, std::vector<int64_t> shape, uint8_t *data);
  bool isView() const { return external != nullptr; }

  DType type() const { return elementType; }
  const std::vector<int64_t> &shape() const { return dims; }
  int64_t rank() const { return static_cast<int64_t>(dims.size()); }
  int64_t numElements() const;
  size_t byteSize() const { return bytes; }

  uint8_t *data() { return external ? external : storage.data(); }
  const uint8_t *data() const { return external ? external : storage.data(); }
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
           bytes == other.bytes &&
           (bytes == 0 || std::memcmp(data(), other.data(), bytes) == 0);
  }

private:
  DType elementType = DType::F32;
  std::vector<int64_t> dims;
  size_t bytes = 0;
  std::vector<uint8_t> storage;
  uint8_t *external = nullptr;
};

/// "1x3x224x224" (or "scalar" for rank 0).
std::string formatShape(const std::vector<int64_t> &shape);

} // namespace sinan

#endif // SINAN_RUNTIME_TENSOR_H
