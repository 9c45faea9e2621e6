//===- ShapeRules.h - What each graph op's shapes must be -------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The shape functions of the graph ops, written once. Each op's rule
// (OpRules.h) reads its attributes and calls these; the graph dialect's
// verifier and type inference and the runtime's host-op check run that
// rule, so a module the verifier would refuse is refused by the runtime
// too, with the same words.
//
// Plain C++ over shapes and attribute values, no MLIR or LLVM: the runtime
// links this without the compiler. Each rule returns the result shape, or
// nullopt with the reason in `why` (a sentence fragment; callers add the op).
// Extents may be kDynamic (the compiler's unknown extent, `?`); a module's
// are all known. Arithmetic on extents and attributes is checked: a value
// that would overflow is an error, never a wrapped result.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_RUNTIME_SHAPE_SHAPERULES_H
#define SINAN_RUNTIME_SHAPE_SHAPERULES_H

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace sinan::shape {

using Shape = std::vector<int64_t>;

/// An unknown extent; the same value as MLIR's ShapedType::kDynamic (the
/// graph dialect asserts it).
inline constexpr int64_t kDynamic = std::numeric_limits<int64_t>::min();

inline bool isStatic(int64_t dim) { return dim != kDynamic; }

/// A read-only view of extents or integer attribute values: any contiguous
/// container with data() and size() (std::vector, llvm::ArrayRef).
class Dims {
public:
  Dims() = default;
  Dims(const int64_t *data, size_t size) : data_(data), size_(size) {}
  template <typename Container>
  Dims(const Container &c) : data_(c.data()), size_(c.size()) {}

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  int64_t operator[](size_t i) const { return data_[i]; }
  int64_t back() const { return data_[size_ - 1]; }
  const int64_t *begin() const { return data_; }
  const int64_t *end() const { return data_ + size_; }
  Shape vec() const { return Shape(begin(), end()); }

private:
  const int64_t *data_ = nullptr;
  size_t size_ = 0;
};

/// `shape` as [1, ?, 3], as every rule's message prints it.
std::string format(Dims shape);

/// `axis` in [-rank, rank) as a dimension index, or nullopt.
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

/// Numpy broadcasting of two shapes.
std::optional<Shape> broadcast(Dims lhs, Dims rhs, std::string &why);

/// Numpy matmul: rank-1 operands promoted, batch dimensions broadcast.
std::optional<Shape> matmul(Dims lhs, Dims rhs, std::string &why);

struct Conv2dParams {
  Dims strides;   // [h, w]
  Dims pads;      // [top, left, bottom, right]
  Dims dilations; // [h, w]
  int64_t group = 1;
};

/// NCHW input, OIHW weight, optional [O] bias.
std::optional<Shape> conv2d(Dims input, Dims weight, std::optional<Dims> bias,
                            const Conv2dParams &params, std::string &why);

struct ConvTranspose2dParams {
  Dims strides, pads, dilations, outputPadding;
  int64_t group = 1;
};

/// NCHW input, (C, O/group, kh, kw) weight, optional [O] bias.
std::optional<Shape> convTranspose2d(Dims input, Dims weight,
                                     std::optional<Dims> bias,
                                     const ConvTranspose2dParams &params,
                                     std::string &why);

struct Pool2dParams {
  Dims kernel;    // [h, w]
  Dims strides;   // [h, w]
  Dims pads;      // [top, left, bottom, right]
  Dims dilations; // [h, w]
  bool ceilMode = false;
};

std::optional<Shape> pool2d(Dims input, const Pool2dParams &params,
                            std::string &why);

/// Starts and limits clamped already: [0, n] for positive steps, [-1, n - 1]
/// for negative ones.
std::optional<Shape> slice(Dims input, Dims starts, Dims limits, Dims steps,
                           std::string &why);

std::optional<Shape> pad(Dims input, Dims low, Dims high, std::string &why);

/// One of "constant", "reflect", "edge", "wrap".
bool padMode(const std::string &mode, std::string &why);

std::optional<Shape> tile(Dims input, Dims repeats, std::string &why);

std::optional<Shape> transpose(Dims input, Dims permutation, std::string &why);

std::optional<Shape> concat(const std::vector<Dims> &inputs, int64_t axis,
                            std::string &why);

std::optional<Shape> gather(Dims data, Dims indices, int64_t axis,
                            std::string &why);

/// The indices' shape; off the axis no larger than the data's.
std::optional<Shape> gatherElements(Dims data, Dims indices, int64_t axis,
                                    std::string &why);

std::optional<Shape> gatherNd(Dims data, Dims indices, int64_t batchDims,
                              std::string &why);

/// The data's shape; `updates` must be indices[:-1] + data[indices[-1]:].
std::optional<Shape> scatterNd(Dims data, Dims indices, Dims updates,
                               std::string &why);

/// The data's shape; indices and updates of one shape, the data's rank.
std::optional<Shape> scatterElements(Dims data, Dims indices, Dims updates,
                                     int64_t axis, std::string &why);

/// One of "none", "add", "mul", "max", "min".
bool scatterReduction(const std::string &reduction, std::string &why);

/// Empty `axes` reduce every dimension.
std::optional<Shape> reduce(Dims input, Dims axes, bool keepDims,
                            std::string &why);

/// argmax / argmin: one axis reduced.
std::optional<Shape> argExtreme(Dims input, int64_t axis, bool keepDims,
                                std::string &why);

/// The shape of both results (values and indices).
std::optional<Shape> topK(Dims input, int64_t axis, int64_t k,
                          std::string &why);

/// A reshape keeps the element count (where both are known).
bool reshape(Dims input, Dims result, std::string &why);

/// One scale per dimension, the input's rank; an empty dimension stays
/// empty.
bool resize(Dims input, size_t scales, Dims result, std::string &why);

/// Layer normalization: the input's shape; `axis` in range, the scale and
/// the optional bias broadcasting to the input.
std::optional<Shape> layerNorm(Dims input, Dims scale, std::optional<Dims> bias,
                               int64_t axis, std::string &why);

/// Group normalization of [N, C, ...]: the input's shape; `numGroups`
/// divides C, `scale` and `bias` are [C].
std::optional<Shape> groupNorm(Dims input, Dims scale, Dims bias,
                               int64_t numGroups, std::string &why);

/// Attention over [B, H, S, D]: [B, Hq, Sq, Dv]; Hkv divides Hq, the
/// batch and head sizes agree, the mask broadcasts to [B, Hq, Sq, Sk].
std::optional<Shape> attention(Dims query, Dims key, Dims value,
                               std::optional<Dims> mask, std::string &why);

/// GELU's `approximate`: "none" or "tanh".
bool geluApproximation(const std::string &approximate, std::string &why);

/// An axis attribute in range for `rank` (softmax, cumsum, hardmax).
bool axisInRange(int64_t axis, int64_t rank, std::string &why);

/// At least `minRank` dimensions (what `what` needs them for).
bool rankAtLeast(Dims input, int64_t minRank, const char *what,
                 std::string &why);

} // namespace sinan::shape

#endif // SINAN_RUNTIME_SHAPE_SHAPERULES_H
