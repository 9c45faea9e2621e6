//===- Kernels.cpp - Reference kernels of the graph ops -------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/ref/Kernels.h"

#include "sinan/runtime/MiniFloat.h"
#include "sinan/runtime/Numerics.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

namespace sinan::ref {
namespace {
/// Float to int64 without undefined behaviour: NaN gives 0, values beyond
/// the range saturate (integer results of transcendentals, huge sums).
int64_t saturateToInt64(double v) {
  if (std::isnan(v))
    return 0;
  if (v >= 9223372036854775807.0)
    return INT64_MAX;
  if (v <= -9223372036854775808.0)
    return INT64_MIN;
  return static_cast<int64_t>(v);
}

/// Reads element i of a float-typed tensor as f32.
float loadF(const Tensor &t, int64_t i) {
  switch (t.type()) {
  case DType::F32:
    return t.data<float>()[i];
  case DType::F64: // Host-only type: computed in f32 like the others.
    return static_cast<float>(t.data<double>()[i]);
  case DType::F16:
    return halfToFloat(t.data<uint16_t>()[i]);
  case DType::BF16:
    return bf16ToFloat(t.data<uint16_t>()[i]);
  default: // 8- and 4-bit floats.
    return decodeMiniFloat(t.data<uint8_t>()[i], t.type());
  }
}

void storeF(Tensor &t, int64_t i, float v) {
  switch (t.type()) {
  case DType::F32:
    t.data<float>()[i] = v;
    return;
  case DType::F64:
    t.data<double>()[i] = v;
    return;
  case DType::F16:
    t.data<uint16_t>()[i] = floatToHalf(v);
    return;
  case DType::BF16:
    t.data<uint16_t>()[i] = floatToBF16(v);
    return;
  default: // 8- and 4-bit floats saturate (ONNX's default).
    t.data<uint8_t>()[i] = encodeMiniFloat(v, t.type());
    return;
  }
}

int64_t loadI(const Tensor &t, int64_t i) {
  switch (t.type()) {
  case DType::I8:
    return t.data<int8_t>()[i];
  case DType::I32:
    return t.data<int32_t>()[i];
  case DType::I64:
    return t.data<int64_t>()[i];
  case DType::U8:
  case DType::U4:
    return t.data<uint8_t>()[i];
  case DType::I4:
    return t.data<int8_t>()[i];
  case DType::I16:
    return t.data<int16_t>()[i];
  case DType::U16:
    return t.data<uint16_t>()[i];
  case DType::U32:
    return t.data<uint32_t>()[i];
  case DType::U64: // Values above 2^63 wrap; arithmetic stays modular.
    return static_cast<int64_t>(t.data<uint64_t>()[i]);
  default:
    return t.data<uint8_t>()[i] != 0;
  }
}

/// Stores with two's-complement wrap (ONNX integer arithmetic).
void storeI(Tensor &t, int64_t i, int64_t v) {
  switch (t.type()) {
  case DType::I8:
    t.data<int8_t>()[i] = static_cast<int8_t>(v);
    return;
  case DType::I32:
    t.data<int32_t>()[i] = static_cast<int32_t>(v);
    return;
  case DType::I64:
    t.data<int64_t>()[i] = v;
    return;
  case DType::U8:
    t.data<uint8_t>()[i] = static_cast<uint8_t>(v);
    return;
  case DType::I4: // Wraps to 4 bits, then sign-extends into the byte.
    t.data<int8_t>()[i] = static_cast<int8_t>(static_cast<uint8_t>(
                              static_cast<uint64_t>(v) << 4)) >>
                          4;
    return;
  case DType::U4:
    t.data<uint8_t>()[i] = static_cast<uint8_t>(v & 0xF);
    return;
  case DType::I16:
    t.data<int16_t>()[i] = static_cast<int16_t>(v);
    return;
  case DType::U16:
    t.data<uint16_t>()[i] = static_cast<uint16_t>(v);
    return;
  case DType::U32:
    t.data<uint32_t>()[i] = static_cast<uint32_t>(v);
    return;
  case DType::U64:
    t.data<uint64_t>()[i] = static_cast<uint64_t>(v);
    return;
  default:
    t.data<uint8_t>()[i] = v != 0;
    return;
  }
}

/// Element strides of `shape` aligned to the trailing dimensions of an
/// output of rank `rank`; broadcast (size-1 or missing) dimensions get 0.
std::vector<int64_t> broadcastStrides(const std::vector<int64_t> &shape,
                                      size_t rank) {
  std::vector<int64_t> strides(rank, 0);
  int64_t stride = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    size_t dim = shape.size() - 1 - i, out = rank - 1 - i;
    strides[out] = shape[dim] == 1 ? 0 : stride;
    stride *= shape[dim];
  }
  return strides;
}

/// Calls fn(outIndex, aIndex, bIndex) for every output element.
template <typename Fn>
void forEachBroadcast(const Tensor &a, const Tensor &b, const Tensor &out,
                      Fn fn) {
  size_t rank = out.shape().size();
  std::vector<int64_t> sa = broadcastStrides(a.shape(), rank);
  std::vector<int64_t> sb = broadcastStrides(b.shape(), rank);
  std::vector<int64_t> index(rank, 0);
  int64_t ia = 0, ib = 0, total = out.numElements();
  for (int64_t o = 0; o < total; ++o) {
    fn(o, ia, ib);
    for (size_t d = rank; d-- > 0;) {
      ++index[d];
      ia += sa[d];
      ib += sb[d];
      if (index[d] < out.shape()[d])
        break;
      ia -= sa[d] * index[d];
      ib -= sb[d] * index[d];
      index[d] = 0;
    }
  }
}

float applyF(BinaryOp op, float x, float y) {
  switch (op) {
  case BinaryOp::Add:
    return x + y;
  case BinaryOp::Sub:
    return x - y;
  case BinaryOp::Mul:
    return x * y;
  case BinaryOp::Div:
    return x / y;
  case BinaryOp::Max:
    return std::isnan(x) || std::isnan(y)
               ? std::numeric_limits<float>::quiet_NaN()
               : std::max(x, y);
  case BinaryOp::Min:
    return std::isnan(x) || std::isnan(y)
               ? std::numeric_limits<float>::quiet_NaN()
               : std::min(x, y);
  case BinaryOp::Pow:
    return std::pow(x, y);
  case BinaryOp::And:
    return (x != 0) && (y != 0);
  case BinaryOp::Or:
    return (x != 0) || (y != 0);
  case BinaryOp::Xor:
    return (x != 0) != (y != 0);
  default:
    return 0; // Shifts are integer-only.
  }
}

int64_t applyI(BinaryOp op, int64_t x, int64_t y) {
  auto u = [](int64_t v) { return static_cast<uint64_t>(v); };
  switch (op) {
  case BinaryOp::Add:
    return static_cast<int64_t>(u(x) + u(y));
  case BinaryOp::Sub:
    return static_cast<int64_t>(u(x) - u(y));
  case BinaryOp::Mul:
    return static_cast<int64_t>(u(x) * u(y));
  case BinaryOp::Div:
    // C-style truncation as ONNX (and numpy's int true-divide is not used).
    if (y == 0)
      return 0;
    if (x == std::numeric_limits<int64_t>::min() && y == -1)
      return x;
    return x / y;
  case BinaryOp::Max:
    return std::max(x, y);
  case BinaryOp::Min:
    return std::min(x, y);
  case BinaryOp::Pow: {
    int64_t result = 1;
    for (int64_t k = 0; k < y; ++k)
      result = static_cast<int64_t>(u(result) * u(x));
    return result;
  }
  case BinaryOp::And:
    return x & y;
  case BinaryOp::Or:
    return x | y;
  case BinaryOp::Xor:
    return x ^ y;
  case BinaryOp::ShiftLeft:
    return y < 0 || y >= 64 ? 0 : static_cast<int64_t>(u(x) << y);
  case BinaryOp::ShiftRight:
    return y < 0 || y >= 64 ? 0 : static_cast<int64_t>(u(x) >> y);
  }
  return 0;
}

float applyF(UnaryOp op, float x) {
  switch (op) {
  case UnaryOp::Relu:
    return std::isnan(x) || x > 0 ? x : 0.0f;
  case UnaryOp::Neg:
    return -x;
  case UnaryOp::Abs:
    return std::fabs(x);
  case UnaryOp::Exp:
    return std::exp(x);
  case UnaryOp::Log:
    return std::log(x);
  case UnaryOp::Sqrt:
    return std::sqrt(x);
  case UnaryOp::Reciprocal:
    return 1.0f / x;
  case UnaryOp::Tanh:
    return std::tanh(x);
  case UnaryOp::Sigmoid:
    return 1.0f / (1.0f + std::exp(-x));
  case UnaryOp::Erf:
    return std::erf(x);
  case UnaryOp::Gelu:
    return geluErf(x);
  case UnaryOp::GeluTanh:
    return geluTanh(x);
  case UnaryOp::Floor:
    return std::floor(x);
  case UnaryOp::Ceil:
    return std::ceil(x);
  case UnaryOp::Sin:
    return std::sin(x);
  case UnaryOp::Cos:
    return std::cos(x);
  case UnaryOp::Not:
    return x == 0.0f;
  case UnaryOp::Round:
    return std::nearbyint(x);
  case UnaryOp::Tan:
    return std::tan(x);
  case UnaryOp::Asin:
    return std::asin(x);
  case UnaryOp::Acos:
    return std::acos(x);
  case UnaryOp::Atan:
    return std::atan(x);
  case UnaryOp::Sinh:
    return std::sinh(x);
  case UnaryOp::Cosh:
    return std::cosh(x);
  case UnaryOp::Asinh:
    return std::asinh(x);
  case UnaryOp::Acosh:
    return std::acosh(x);
  case UnaryOp::Atanh:
    return std::atanh(x);
  case UnaryOp::BitNot:
    return 0;
  }
  return 0;
}

int64_t applyI(UnaryOp op, int64_t x) {
  switch (op) {
  case UnaryOp::Relu:
    return std::max<int64_t>(x, 0);
  case UnaryOp::Neg:
    return static_cast<int64_t>(0 - static_cast<uint64_t>(x));
  case UnaryOp::Abs:
    return x < 0 ? static_cast<int64_t>(0 - static_cast<uint64_t>(x)) : x;
  case UnaryOp::Not:
    return x == 0;
  case UnaryOp::BitNot:
    return ~x;
  default:
    return saturateToInt64(applyF(op, static_cast<float>(x)));
  }
}
} // namespace

void binary(BinaryOp op, const Tensor &a, const Tensor &b, Tensor &out) {
  if (isFloatDType(out.type())) {
    forEachBroadcast(a, b, out, [&](int64_t o, int64_t ia, int64_t ib) {
      storeF(out, o, applyF(op, loadF(a, ia), loadF(b, ib)));
    });
    return;
  }
  forEachBroadcast(a, b, out, [&](int64_t o, int64_t ia, int64_t ib) {
    storeI(out, o, applyI(op, loadI(a, ia), loadI(b, ib)));
  });
}

namespace {
template <typename T> bool compareValues(CompareOp op, T x, T y) {
  switch (op) {
  case CompareOp::Equal:
    return x == y;
  case CompareOp::Less:
    return x < y;
  case CompareOp::LessEqual:
    return x <= y;
  case CompareOp::Greater:
    return x > y;
  default:
    return x >= y;
  }
}
} // namespace

void compare(CompareOp op, const Tensor &a, const Tensor &b, Tensor &out) {
  // Compare in the operands' own domain: floats as f32 (NaN compares false),
  // integers exactly as int64.
  bool isFloat = isFloatDType(a.type());
  forEachBroadcast(a, b, out, [&](int64_t o, int64_t ia, int64_t ib) {
    out.data<uint8_t>()[o] =
        isFloat ? compareValues(op, loadF(a, ia), loadF(b, ib))
                : compareValues(op, loadI(a, ia), loadI(b, ib));
  });
}

void select(const Tensor &condition, const Tensor &onTrue,
            const Tensor &onFalse, Tensor &out) {
  size_t rank = out.shape().size();
  std::vector<int64_t> sc = broadcastStrides(condition.shape(), rank);
  std::vector<int64_t> st = broadcastStrides(onTrue.shape(), rank);
  std::vector<int64_t> sf = broadcastStrides(onFalse.shape(), rank);
  size_t width = dtypeSize(out.type());
  for (int64_t o = 0; o < out.numElements(); ++o) {
    int64_t rest = o, ic = 0, it = 0, iff = 0;
    for (size_t d = rank; d-- > 0;) {
      int64_t idx = rest % out.shape()[d];
      rest /= out.shape()[d];
      ic += idx * sc[d];
      it += idx * st[d];
      iff += idx * sf[d];
    }
    const Tensor &from = condition.data<uint8_t>()[ic] ? onTrue : onFalse;
    std::memcpy(out.data() + o * width,
                from.data() + (&from == &onTrue ? it : iff) * width, width);
  }
}

void unary(UnaryOp op, const Tensor &x, Tensor &out) {
  int64_t n = out.numElements();
  if (isFloatDType(out.type())) {
    for (int64_t i = 0; i < n; ++i)
      storeF(out, i, applyF(op, loadF(x, i)));
    return;
  }
  for (int64_t i = 0; i < n; ++i)
    storeI(out, i, applyI(op, loadI(x, i)));
}

void matmul(const Tensor &a, const Tensor &b, Tensor &out) {
  // Promote rank-1 operands as numpy.matmul does.
  std::vector<int64_t> sa = a.shape(), sb = b.shape();
  if (sa.size() == 1)
    sa.insert(sa.begin(), 1);
  if (sb.size() == 1)
    sb.push_back(1);
  int64_t m = sa[sa.size() - 2], k = sa.back(), n = sb.back();
  std::vector<int64_t> batchA(sa.begin(), sa.end() - 2);
  std::vector<int64_t> batchB(sb.begin(), sb.end() - 2);
  size_t rank = std::max(batchA.size(), batchB.size());
  std::vector<int64_t> batch(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t x =
        i < rank - batchA.size() ? 1 : batchA[i - (rank - batchA.size())];
    int64_t y =
        i < rank - batchB.size() ? 1 : batchB[i - (rank - batchB.size())];
    batch[i] = std::max(x, y);
  }
  std::vector<int64_t> strideA = broadcastStrides(batchA, rank);
  std::vector<int64_t> strideB = broadcastStrides(batchB, rank);
  int64_t batches = 1;
  for (int64_t d : batch)
    batches *= d;
  bool isFloat = isFloatDType(out.type());
  bool allF32 = a.type() == DType::F32 && b.type() == DType::F32 &&
                out.type() == DType::F32;
  const float *pa = allF32 ? a.data<float>() : nullptr;
  const float *pb = allF32 ? b.data<float>() : nullptr;
  float *po = allF32 ? out.data<float>() : nullptr;
  tbb::parallel_for(int64_t(0), batches * m, [&](int64_t row) {
    int64_t bi = row / m, i = row % m;
    // Batch offsets of the operands for batch index bi.
    int64_t offA = 0, offB = 0, rest = bi;
    for (size_t d = rank; d-- > 0;) {
      int64_t idx = rest % batch[d];
      rest /= batch[d];
      offA += idx * strideA[d];
      offB += idx * strideB[d];
    }
    int64_t baseA = offA * m * k + i * k, baseB = offB * k * n;
    int64_t baseOut = (bi * m + i) * n;
    if (allF32) {
      // Raw pointers keep the inner loop free of type dispatch.
      std::vector<float> acc(n, 0.0f);
      for (int64_t kk = 0; kk < k; ++kk) {
        float x = pa[baseA + kk];
        const float *row = pb + baseB + kk * n;
        for (int64_t j = 0; j < n; ++j)
          acc[j] += x * row[j];
      }
      std::copy(acc.begin(), acc.end(), po + baseOut);
      return;
    }
    if (isFloat) {
      std::vector<float> acc(n, 0.0f);
      for (int64_t kk = 0; kk < k; ++kk) {
        float x = loadF(a, baseA + kk);
        for (int64_t j = 0; j < n; ++j)
          acc[j] += x * loadF(b, baseB + kk * n + j);
      }
      for (int64_t j = 0; j < n; ++j)
        storeF(out, baseOut + j, acc[j]);
      return;
    }
    for (int64_t j = 0; j < n; ++j) {
      uint64_t sum = 0;
      for (int64_t kk = 0; kk < k; ++kk)
        sum += static_cast<uint64_t>(loadI(a, baseA + kk) *
                                     loadI(b, baseB + kk * n + j));
      storeI(out, baseOut + j, static_cast<int64_t>(sum));
    }
  });
}

namespace {
/// The Winograd kernels' transformed weights U[f][c][ky][role] (four roles
/// a kernel row, by `transform`), each rounded to bf16.
template <typename Transform>
std::vector<float> winogradWeights(const Tensor &weight, Transform transform) {
  const auto &ws = weight.shape();
  int64_t pairs = ws[0] * ws[1];
  const float *wt = weight.data<float>();
  std::vector<float> u(pairs * 3 * 4);
  for (int64_t fc = 0; fc < pairs; ++fc)
    for (int64_t ky = 0; ky < 3; ++ky) {
      const float *g = wt + (fc * 3 + ky) * 3;
      float t[4];
      transform(g[0], g[1], g[2], t);
      for (int role = 0; role < 4; ++role)
        u[(fc * 3 + ky) * 4 + role] = bf16ToFloat(floatToBF16(t[role]));
    }
  return u;
}

/// The Winograd kernels' input points V[n][c][point][row][tile], each
/// rounded to bf16: `points` of them (by `transform`) from `span` padded
/// columns of a tile, tiles `pitch` columns apart, over `rows` padded rows
/// (the image padded by one row and column at the start, zeros past it).
template <typename Transform>
std::vector<float> winogradPoints(const Tensor &input, int points, int span,
                                  int pitch, int64_t rows, int64_t tiles,
                                  Transform transform) {
  const auto &xs = input.shape();
  int64_t channels = xs[1], height = xs[2], width = xs[3];
  const float *x = input.data<float>();
  std::vector<float> v(xs[0] * channels * points * rows * tiles);
  tbb::parallel_for(int64_t(0), xs[0] * channels, [&](int64_t nc) {
    const float *image = x + nc * height * width;
    for (int64_t py = 0; py < rows; ++py)
      for (int64_t tx = 0; tx < tiles; ++tx) {
        float d[5];
        for (int i = 0; i < span; ++i) {
          int64_t iy = py - 1, ix = pitch * tx + i - 1;
          bool inside = iy >= 0 && iy < height && ix >= 0 && ix < width;
          d[i] = inside ? image[iy * width + ix] : 0.0f;
        }
        for (int point = 0; point < points; ++point)
          v[((nc * points + point) * rows + py) * tiles + tx] =
              bf16ToFloat(floatToBF16(transform(point, d)));
      }
  });
  return v;
}

/// The SNPU's Winograd kernel (Conv2dParams::winograd): `input` and
/// `weight` hold bf16 values. Per image and channel the input's
/// transformed columns V[nu][row][tile] (rows and columns of the image
/// padded by one), per output channel and tile row its four sums in the
/// kernel's order, then the output transform with the bias.
void conv2dWinogradRows(const Tensor &input, const Tensor &weight,
                        const Tensor *bias, const Conv2dParams &p,
                        Tensor &out) {
  const auto &xs = input.shape(), &ws = weight.shape();
  int64_t batches = xs[0], channels = xs[1], height = xs[2], width = xs[3];
  int64_t outChannels = ws[0];
  int64_t tiles = (width + 1) / 2, rows = height + 2;
  float *y = out.data<float>();
  std::vector<float> u = winogradWeights(weight, winogradRowWeights);
  std::vector<float> v =
      winogradPoints(input, 4, 4, 2, rows, tiles, winogradRowInput);
  int64_t chunk = p.sumChunk;
  tbb::parallel_for(int64_t(0), batches * outChannels, [&](int64_t job) {
    int64_t n = job / outChannels, f = job % outChannels;
    float b = bias ? bias->data<float>()[f] : 0.0f;
    for (int64_t oy = 0; oy < height; ++oy)
      for (int64_t tx = 0; tx < tiles; ++tx) {
        float m[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        for (int64_t c0 = 0; c0 < channels; c0 += chunk)
          for (int64_t ky = 0; ky < 3; ++ky)
            for (int64_t c = c0; c < std::min(channels, c0 + chunk); ++c)
              for (int nu = 0; nu < 4; ++nu)
                m[nu] +=
                    u[((f * channels + c) * 3 + ky) * 4 + nu] *
                    v[(((n * channels + c) * 4 + nu) * rows + oy + ky) * tiles +
                      tx];
        float pair[2];
        winogradRowOutput(m, bias ? &b : nullptr, pair);
        for (int64_t j = 0; j < 2 && 2 * tx + j < width; ++j)
          y[(job * height + oy) * width + 2 * tx + j] = pair[j];
      }
  });
}

/// The SNPU's Winograd kernel of stride 2 (winogradStride2* in Numerics.h):
/// per image and channel the five points P[point][row][tile] of the padded
/// image (rows and columns padded by one at the start, zeros past the
/// end), per output channel and tile row its three sums, each chunk's
/// products in the kernel's order (kWinogradStride2Products, kernel rows
/// within a role), then the output transform with the bias.
void conv2dWinogradStride2(const Tensor &input, const Tensor &weight,
                           const Tensor *bias, const Conv2dParams &p,
                           Tensor &out) {
  const auto &xs = input.shape(), &ws = weight.shape(), &os = out.shape();
  int64_t batches = xs[0], channels = xs[1];
  int64_t outChannels = ws[0], oh = os[2], ow = os[3];
  int64_t tiles = (ow + 1) / 2, rows = 2 * oh + 1;
  float *y = out.data<float>();
  std::vector<float> u = winogradWeights(weight, winogradStride2Weights);
  constexpr int kPoints = 5;
  std::vector<float> v =
      winogradPoints(input, kPoints, 5, 4, rows, tiles, winogradStride2Input);
  int64_t chunk = p.sumChunk;
  tbb::parallel_for(int64_t(0), batches * outChannels, [&](int64_t job) {
    int64_t n = job / outChannels, f = job % outChannels;
    float b = bias ? bias->data<float>()[f] : 0.0f;
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t tx = 0; tx < tiles; ++tx) {
        float r[3] = {0.0f, 0.0f, 0.0f};
        for (int64_t c0 = 0; c0 < channels; c0 += chunk)
          for (int role = 0; role < 4; ++role)
            for (int64_t ky = 0; ky < 3; ++ky)
              for (const WinogradProduct &product : kWinogradStride2Products) {
                if (product.role != role)
                  continue;
                for (int64_t c = c0; c < std::min(channels, c0 + chunk); ++c)
                  r[product.sum] +=
                      u[((f * channels + c) * 3 + ky) * 4 + role] *
                      v[(((n * channels + c) * kPoints + product.point) * rows +
                         2 * oy + ky) *
                            tiles +
                        tx];
              }
        float pair[2];
        winogradStride2Output(r, bias ? &b : nullptr, pair);
        for (int64_t j = 0; j < 2 && 2 * tx + j < ow; ++j)
          y[(job * oh + oy) * ow + 2 * tx + j] = pair[j];
      }
  });
}
} // namespace

void conv2d(const Tensor &input, const Tensor &weight, const Tensor *bias,
            const Conv2dParams &p, Tensor &out) {
  if (p.winograd)
    return p.strides[0] == 2
               ? conv2dWinogradStride2(input, weight, bias, p, out)
               : conv2dWinogradRows(input, weight, bias, p, out);
  const auto &xs = input.shape(), &ws = weight.shape(), &os = out.shape();
  int64_t batches = xs[0], channels = xs[1], height = xs[2], width = xs[3];
  int64_t outChannels = ws[0], groupChannels = ws[1], kh = ws[2], kw = ws[3];
  int64_t oh = os[2], ow = os[3];
  int64_t perGroup = outChannels / p.group;
  (void)channels;
  bool f32 = input.type() == DType::F32 && weight.type() == DType::F32 &&
             out.type() == DType::F32 && (!bias || bias->type() == DType::F32);
  if (f32 && p.sumChunk > 0) {
    // An SNPU kernel's order (Conv2dParams::sumChunk).
    const float *x = input.data<float>(), *wt = weight.data<float>();
    float *y = out.data<float>();
    int64_t padded = (groupChannels + p.sumChunk - 1) / p.sumChunk * p.sumChunk;
    tbb::parallel_for(int64_t(0), batches * outChannels, [&](int64_t job) {
      int64_t n = job / outChannels, m = job % outChannels, g = m / perGroup;
      float b = bias ? bias->data<float>()[m] : 0.0f;
      for (int64_t r = 0; r < oh; ++r)
        for (int64_t q = 0; q < ow; ++q) {
          // With fma, from -0.0: fma(w, v, -0.0) is w * v, the sign of a
          // zero product included (the kernel's first tap is a product).
          float acc = p.initFromOut ? y[(job * oh + r) * ow + q]
                      : p.biasLast  ? (p.fma ? -0.0f : 0.0f)
                                    : b;
          for (int64_t c0 = 0; c0 < padded; c0 += p.sumChunk)
            for (int64_t i = 0; i < kh; ++i)
              for (int64_t j = 0; j < kw; ++j)
                for (int64_t c = c0; c < c0 + p.sumChunk; ++c) {
                  int64_t iy =
                      r * p.strides[0] - p.pads[0] + i * p.dilations[0];
                  int64_t ix =
                      q * p.strides[1] - p.pads[1] + j * p.dilations[1];
                  bool inside = c < groupChannels && iy >= 0 && iy < height &&
                                ix >= 0 && ix < width;
                  float v =
                      inside ? x[((n * xs[1] + g * groupChannels + c) * height +
                                  iy) *
                                     width +
                                 ix]
                             : 0.0f;
                  float w =
                      c < groupChannels
                          ? wt[((m * groupChannels + c) * kh + i) * kw + j]
                          : 0.0f;
                  acc = p.fma ? std::fma(w, v, acc) : acc + w * v;
                }
          if (p.biasLast && (bias || !p.fma))
            acc += b;
          y[(job * oh + r) * ow + q] = acc;
        }
    });
    return;
  }
  if (f32) {
    // f32 fast path: one output plane at a time, accumulating each
    // (channel, tap) contribution over whole rows so the inner loop is a
    // contiguous multiply-add the compiler vectorizes. The summation order
    // differs from the generic path, within f32 rounding.
    const float *x = input.data<float>(), *wt = weight.data<float>();
    float *y = out.data<float>();
    tbb::parallel_for(int64_t(0), batches * outChannels, [&](int64_t job) {
      int64_t n = job / outChannels, m = job % outChannels, g = m / perGroup;
      float *plane = y + job * oh * ow;
      std::fill(plane, plane + oh * ow, bias ? bias->data<float>()[m] : 0.0f);
      for (int64_t c = 0; c < groupChannels; ++c) {
        const float *in =
            x + (n * xs[1] + g * groupChannels + c) * height * width;
        for (int64_t i = 0; i < kh; ++i)
          for (int64_t j = 0; j < kw; ++j) {
            float w = wt[((m * groupChannels + c) * kh + i) * kw + j];
            for (int64_t r = 0; r < oh; ++r) {
              int64_t iy = r * p.strides[0] - p.pads[0] + i * p.dilations[0];
              if (iy < 0 || iy >= height)
                continue;
              const float *row = in + iy * width;
              float *dst = plane + r * ow;
              // Output columns whose input column lies inside the row.
              int64_t offset = j * p.dilations[1] - p.pads[1];
              int64_t s = p.strides[1];
              int64_t first = offset < 0 ? (-offset + s - 1) / s : 0;
              int64_t last =
                  std::min<int64_t>(ow, (width - 1 - offset) / s + 1);
              if (width - 1 - offset < 0)
                last = 0;
              if (s == 1) {
                for (int64_t q = first; q < last; ++q)
                  dst[q] += w * row[q + offset];
              } else {
                for (int64_t q = first; q < last; ++q)
                  dst[q] += w * row[q * s + offset];
              }
            }
          }
      }
    });
    return;
  }
  tbb::parallel_for(int64_t(0), batches * outChannels, [&](int64_t job) {
    int64_t n = job / outChannels, m = job % outChannels;
    int64_t g = m / perGroup;
    float b = bias ? loadF(*bias, m) : 0.0f;
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t x = 0; x < ow; ++x) {
        float acc = b;
        for (int64_t c = 0; c < groupChannels; ++c) {
          int64_t inC = g * groupChannels + c;
          for (int64_t i = 0; i < kh; ++i) {
            int64_t iy = y * p.strides[0] - p.pads[0] + i * p.dilations[0];
            if (iy < 0 || iy >= height)
              continue;
            for (int64_t j = 0; j < kw; ++j) {
              int64_t ix = x * p.strides[1] - p.pads[1] + j * p.dilations[1];
              if (ix < 0 || ix >= width)
                continue;
              acc +=
                  loadF(input, ((n * xs[1] + inC) * height + iy) * width + ix) *
                  loadF(weight, ((m * groupChannels + c) * kh + i) * kw + j);
            }
          }
        }
        storeF(out, ((n * outChannels + m) * oh + y) * ow + x, acc);
      }
  });
}

namespace {
/// Row-major strides of `shape`, in elements.
std::vector<int64_t> stridesOf(const std::vector<int64_t> &shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;)
    strides[d - 1] = strides[d] * shape[d];
  return strides;
}
} // namespace

void transpose(const Tensor &input, const std::vector<int64_t> &perm,
               Tensor &out) {
  std::vector<int64_t> inStrides = stridesOf(input.shape());
  size_t rank = perm.size(), width = dtypeSize(input.type());
  std::vector<int64_t> index(rank, 0);
  int64_t total = out.numElements();
  for (int64_t o = 0; o < total; ++o) {
    int64_t src = 0;
    for (size_t d = 0; d < rank; ++d)
      src += index[d] * inStrides[perm[d]];
    std::memcpy(out.data() + o * width, input.data() + src * width, width);
    for (size_t d = rank; d-- > 0;) {
      if (++index[d] < out.shape()[d])
        break;
      index[d] = 0;
    }
  }
}

void concat(const std::vector<const Tensor *> &inputs, int64_t axis,
            Tensor &out) {
  // View every tensor as [outer, axis * inner] rows and copy row by row.
  size_t width = dtypeSize(out.type());
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= out.shape()[d];
  for (int64_t d = axis + 1; d < out.rank(); ++d)
    inner *= out.shape()[d];
  int64_t outRow = out.shape()[axis] * inner * width, offset = 0;
  for (const Tensor *in : inputs) {
    int64_t row = in->shape()[axis] * inner * width;
    for (int64_t o = 0; o < outer; ++o)
      if (row != 0)
        std::memcpy(out.data() + o * outRow + offset, in->data() + o * row,
                    row);
    offset += row;
  }
}

bool gather(const Tensor &data, const Tensor &indices, int64_t axis,
            Tensor &out, std::string &error) {
  size_t width = dtypeSize(data.type());
  int64_t outer = 1, inner = 1, extent = data.shape()[axis];
  for (int64_t d = 0; d < axis; ++d)
    outer *= data.shape()[d];
  for (int64_t d = axis + 1; d < data.rank(); ++d)
    inner *= data.shape()[d];
  int64_t count = indices.numElements();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < count; ++i) {
      int64_t index = loadI(indices, i);
      if (index < -extent || index >= extent) {
        error = "gather index " + std::to_string(index) +
                " is out of range for a dimension of size " +
                std::to_string(extent);
        return false;
      }
      if (index < 0)
        index += extent;
      std::memcpy(out.data() + (o * count + i) * inner * width,
                  data.data() + (o * extent + index) * inner * width,
                  inner * width);
    }
  return true;
}

void cast(const Tensor &input, Tensor &out, bool saturate,
          E8M0Rounding rounding) {
  int64_t n = out.numElements();
  DType to = out.type();
  bool fromFloat = isFloatDType(input.type()), toFloat = isFloatDType(to);
  bool toSmallInt = to == DType::I4 || to == DType::U4;
  for (int64_t i = 0; i < n; ++i) {
    if (to == DType::I1) {
      out.data<uint8_t>()[i] =
          fromFloat ? loadF(input, i) != 0.0f : loadI(input, i) != 0;
    } else if (to == DType::F8E8M0FNU) {
      float value =
          fromFloat ? loadF(input, i) : static_cast<float>(loadI(input, i));
      out.data<uint8_t>()[i] = floatToE8M0(value, saturate, rounding);
    } else if (isMiniFloatDType(to)) {
      float value =
          fromFloat ? loadF(input, i) : static_cast<float>(loadI(input, i));
      out.data<uint8_t>()[i] = encodeMiniFloat(value, to, saturate);
    } else if (toFloat) {
      // Integers convert exactly to double, then round once to f32 (and
      // once more to f16/bf16, like ONNX's reference).
      storeF(out, i,
             fromFloat ? loadF(input, i) : static_cast<float>(loadI(input, i)));
    } else if (fromFloat && toSmallInt) {
      // Truncate, then wrap to 4 bits like ONNX's reference (ml_dtypes).
      float value = loadF(input, i);
      storeI(out, i,
             std::isfinite(value)
                 ? static_cast<int64_t>(std::fmod(std::trunc(value), 16.0))
                 : 0);
    } else if (fromFloat) {
      // Truncate toward zero, then saturate (NaN gives 0).
      out.setDouble(i, std::trunc(static_cast<double>(loadF(input, i))));
    } else {
      storeI(out, i, loadI(input, i)); // Wraps, as C and ONNX do.
    }
  }
}

namespace {
float pairwiseSum(const float *x, int64_t n);
} // namespace

void softmax(const Tensor &input, int64_t axis, bool log, Tensor &out) {
  int64_t outer = 1, inner = 1, extent = input.shape()[axis];
  for (int64_t d = 0; d < axis; ++d)
    outer *= input.shape()[d];
  for (int64_t d = axis + 1; d < input.rank(); ++d)
    inner *= input.shape()[d];
  std::vector<float> row(extent), exps(extent);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      int64_t base = o * extent * inner + i;
      float max = -std::numeric_limits<float>::infinity();
      for (int64_t k = 0; k < extent; ++k)
        max = std::max(max, loadF(input, base + k * inner));
      // The exponentials summed pairwise, as the SNPU's softmax kernel sums
      // them (`vred sum`).
      for (int64_t k = 0; k < extent; ++k) {
        row[k] = loadF(input, base + k * inner) - max;
        exps[k] = std::exp(row[k]);
      }
      float sum = extent ? pairwiseSum(exps.data(), extent) : 0.0f;
      for (int64_t k = 0; k < extent; ++k)
        storeF(out, base + k * inner,
               log ? row[k] - std::log(sum) : std::exp(row[k]) / sum);
    }
}

void leakyRelu(const Tensor &input, float alpha, Tensor &out) {
  for (int64_t i = 0; i < out.numElements(); ++i) {
    float x = loadF(input, i);
    storeF(out, i, x < 0 ? alpha * x : x);
  }
}

void clip(const Tensor &input, std::optional<float> min,
          std::optional<float> max, Tensor &out) {
  for (int64_t i = 0; i < out.numElements(); ++i) {
    float x = loadF(input, i);
    if (min)
      x = applyF(BinaryOp::Max, x, *min);
    if (max)
      x = applyF(BinaryOp::Min, x, *max);
    storeF(out, i, x);
  }
}

void lrn(const Tensor &input, int64_t size, float alpha, float beta, float bias,
         Tensor &out) {
  int64_t batches = input.shape()[0], channels = input.shape()[1];
  int64_t inner =
      input.numElements() / std::max<int64_t>(batches * channels, 1);
  int64_t before = (size - 1) / 2, after = size - 1 - before;
  for (int64_t n = 0; n < batches; ++n)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t i = 0; i < inner; ++i) {
        float sum = 0.0f;
        for (int64_t k = std::max<int64_t>(c - before, 0);
             k <= std::min<int64_t>(c + after, channels - 1); ++k) {
          float v = loadF(input, (n * channels + k) * inner + i);
          sum += v * v;
        }
        int64_t at = (n * channels + c) * inner + i;
        storeF(out, at,
               loadF(input, at) /
                   std::pow(bias + alpha / float(size) * sum, beta));
      }
}

namespace {
/// Pairwise summation (sinan::pairwiseSum, shared with the simulator's
/// `vred sum`): a sequential sum lost 3e-5 in an instance normalization
/// whose mean was 68 times its spread, three times onnxruntime's error
/// (sinan-difftest, seed 1796379053).
float pairwiseSum(const float *x, int64_t n) {
  return sinan::pairwiseSum([x](int64_t i) { return x[i]; }, 0, n);
}

/// Sum or mean of floats over the reduced axes: each output's elements in
/// ascending index order, summed pairwise.
void reduceFloatSum(bool mean, const Tensor &input,
                    const std::vector<int64_t> &outOf, Tensor &out) {
  int64_t outCount = out.numElements(), n = input.numElements();
  std::vector<int64_t> begin(outCount + 1, 0);
  for (int64_t o : outOf)
    ++begin[o + 1];
  for (int64_t o = 0; o < outCount; ++o)
    begin[o + 1] += begin[o];
  std::vector<float> values(n);
  std::vector<int64_t> next(begin.begin(), begin.end() - 1);
  for (int64_t i = 0; i < n; ++i)
    values[next[outOf[i]]++] = loadF(input, i);
  for (int64_t o = 0; o < outCount; ++o) {
    int64_t count = begin[o + 1] - begin[o];
    float sum = count ? pairwiseSum(values.data() + begin[o], count) : 0.0f;
    storeF(out, o, mean && count ? sum / float(count) : sum);
  }
}
} // namespace

void reduce(ReduceOp op, const Tensor &input, const std::vector<int64_t> &axes,
            Tensor &out) {
  size_t rank = input.shape().size();
  std::vector<bool> reduced(rank, axes.empty());
  for (int64_t a : axes)
    reduced[a] = true;
  // Output strides over the input's index space (0 on reduced dims).
  std::vector<int64_t> outStrides(rank, 0);
  int64_t stride = 1;
  for (size_t d = rank; d-- > 0;)
    if (!reduced[d]) {
      outStrides[d] = stride;
      stride *= input.shape()[d];
    }
  int64_t outCount = out.numElements();
  bool isFloat = isFloatDType(input.type());
  // The output element each input element goes to.
  std::vector<int64_t> outOf(input.numElements());
  std::vector<int64_t> index(rank, 0);
  for (int64_t i = 0; i < input.numElements(); ++i) {
    for (size_t d = 0; d < rank; ++d)
      outOf[i] += index[d] * outStrides[d];
    for (size_t d = rank; d-- > 0;) {
      if (++index[d] < input.shape()[d])
        break;
      index[d] = 0;
    }
  }
  if (isFloat && (op == ReduceOp::Sum || op == ReduceOp::Mean)) {
    reduceFloatSum(op == ReduceOp::Mean, input, outOf, out);
    return;
  }
  std::vector<double> acc(outCount);
  std::vector<int64_t> count(outCount, 0);
  for (int64_t i = 0; i < input.numElements(); ++i) {
    int64_t o = outOf[i];
    double x = isFloat ? loadF(input, i) : static_cast<double>(loadI(input, i));
    if (count[o] == 0) {
      acc[o] = x;
    } else {
      switch (op) {
      case ReduceOp::Sum:
      case ReduceOp::Mean: // Integers only: floats are summed above.
        acc[o] += x;
        break;
      case ReduceOp::Prod:
        acc[o] = isFloat ? double(float(acc[o]) * float(x)) : acc[o] * x;
        break;
      case ReduceOp::Max:
        acc[o] = std::isnan(x) || std::isnan(acc[o])
                     ? std::numeric_limits<double>::quiet_NaN()
                     : std::max(acc[o], x);
        break;
      case ReduceOp::Min:
        acc[o] = std::isnan(x) || std::isnan(acc[o])
                     ? std::numeric_limits<double>::quiet_NaN()
                     : std::min(acc[o], x);
        break;
      }
    }
    ++count[o];
  }
  for (int64_t o = 0; o < outCount; ++o) {
    double v = acc[o];
    if (count[o] == 0) // Reducing an empty dimension.
      v = op == ReduceOp::Prod  ? 1
          : op == ReduceOp::Max ? -std::numeric_limits<double>::infinity()
          : op == ReduceOp::Min ? std::numeric_limits<double>::infinity()
                                : 0;
    else if (op == ReduceOp::Mean)
      v = isFloat ? double(float(v) / float(count[o])) : v / count[o];
    if (isFloat)
      storeF(out, o, static_cast<float>(v));
    else
      storeI(out, o, saturateToInt64(v));
  }
}

namespace {
template <typename Fn>
void forEachWindow(const Tensor &input, const Pool2dParams &p, Tensor &out,
                   Fn fn) {
  const auto &xs = input.shape();
  int64_t planes = xs[0] * xs[1], h = xs[2], w = xs[3];
  int64_t oh = out.shape()[2], ow = out.shape()[3];
  tbb::parallel_for(int64_t(0), planes, [&](int64_t plane) {
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t x = 0; x < ow; ++x)
        fn(plane, y, x, plane * h * w, h, w, (plane * oh + y) * ow + x);
  });
}
} // namespace

void maxPool2d(const Tensor &input, const Pool2dParams &p, Tensor &out) {
  forEachWindow(input, p, out,
                [&](int64_t, int64_t y, int64_t x, int64_t base, int64_t h,
                    int64_t w, int64_t o) {
                  float best = -std::numeric_limits<float>::infinity();
                  for (int64_t i = 0; i < p.kernel[0]; ++i) {
                    int64_t iy =
                        y * p.strides[0] - p.pads[0] + i * p.dilations[0];
                    if (iy < 0 || iy >= h)
                      continue;
                    for (int64_t j = 0; j < p.kernel[1]; ++j) {
                      int64_t ix =
                          x * p.strides[1] - p.pads[1] + j * p.dilations[1];
                      if (ix < 0 || ix >= w)
                        continue;
                      float v = loadF(input, base + iy * w + ix);
                      if (std::isnan(v) || v > best)
                        best = v;
                    }
                  }
                  storeF(out, o, best);
                });
}

void avgPool2d(const Tensor &input, const Pool2dParams &p, Tensor &out) {
  forEachWindow(input, p, out,
                [&](int64_t, int64_t y, int64_t x, int64_t base, int64_t h,
                    int64_t w, int64_t o) {
                  float sum = 0.0f;
                  int64_t count = 0, padded = 0;
                  for (int64_t i = 0; i < p.kernel[0]; ++i) {
                    int64_t iy =
                        y * p.strides[0] - p.pads[0] + i * p.dilations[0];
                    for (int64_t j = 0; j < p.kernel[1]; ++j) {
                      int64_t ix =
                          x * p.strides[1] - p.pads[1] + j * p.dilations[1];
                      // Positions in the explicit padding count with
                      // count_include_pad; positions past it (ceil mode) never
                      // do.
                      bool inPadded = iy >= -p.pads[0] && iy < h + p.pads[2] &&
                                      ix >= -p.pads[1] && ix < w + p.pads[3];
                      padded += inPadded;
                      if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                        continue;
                      sum += loadF(input, base + iy * w + ix);
                      ++count;
                    }
                  }
                  int64_t divisor = p.countIncludePad ? padded : count;
                  storeF(out, o, divisor ? sum / float(divisor) : 0.0f);
                });
}

namespace {
/// Calls fn(outIndex, multiIndex) over every element of `shape`.
template <typename Fn>
void forEachIndex(const std::vector<int64_t> &shape, Fn fn) {
  int64_t total = 1;
  for (int64_t d : shape)
    total *= d;
  std::vector<int64_t> index(shape.size(), 0);
  for (int64_t o = 0; o < total; ++o) {
    fn(o, index);
    for (size_t d = shape.size(); d-- > 0;) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  }
}
} // namespace

void slice(const Tensor &input, const std::vector<int64_t> &starts,
           const std::vector<int64_t> &steps, Tensor &out) {
  std::vector<int64_t> strides = stridesOf(input.shape());
  size_t width = dtypeSize(input.type());
  forEachIndex(out.shape(), [&](int64_t o, const std::vector<int64_t> &index) {
    int64_t src = 0;
    for (size_t d = 0; d < index.size(); ++d)
      src += (starts[d] + index[d] * steps[d]) * strides[d];
    std::memcpy(out.data() + o * width, input.data() + src * width, width);
  });
}

void pad(const Tensor &input, const std::vector<int64_t> &low,
         const std::string &mode, double value, Tensor &out) {
  std::vector<int64_t> strides = stridesOf(input.shape());
  size_t width = dtypeSize(input.type());
  Tensor fill(out.type(), {1});
  fill.setDouble(0, value);
  forEachIndex(out.shape(), [&](int64_t o, const std::vector<int64_t> &index) {
    int64_t src = 0;
    bool inside = true;
    for (size_t d = 0; d < index.size(); ++d) {
      int64_t n = input.shape()[d], i = index[d] - low[d];
      if (i < 0 || i >= n) {
        if (mode == "constant" || n == 0) {
          inside = false;
          break;
        }
        if (mode == "edge")
          i = i < 0 ? 0 : n - 1;
        else if (mode == "wrap")
          i = ((i % n) + n) % n;
        else { // reflect: mirror without repeating the edge
          int64_t period = 2 * (n - 1);
          i = period == 0 ? 0 : ((i % period) + period) % period;
          if (i >= n)
            i = period - i;
        }
      }
      src += i * strides[d];
    }
    std::memcpy(out.data() + o * width,
                inside ? input.data() + src * width : fill.data(), width);
  });
}

void tile(const Tensor &input, Tensor &out) {
  std::vector<int64_t> strides = stridesOf(input.shape());
  size_t width = dtypeSize(input.type());
  forEachIndex(out.shape(), [&](int64_t o, const std::vector<int64_t> &index) {
    int64_t src = 0;
    for (size_t d = 0; d < index.size(); ++d)
      src += (index[d] % input.shape()[d]) * strides[d];
    std::memcpy(out.data() + o * width, input.data() + src * width, width);
  });
}

void broadcastTo(const Tensor &input, Tensor &out) {
  std::vector<int64_t> strides = broadcastStrides(input.shape(), out.rank());
  size_t width = dtypeSize(input.type());
  forEachIndex(out.shape(), [&](int64_t o, const std::vector<int64_t> &index) {
    int64_t src = 0;
    for (size_t d = 0; d < index.size(); ++d)
      src += index[d] * strides[d];
    std::memcpy(out.data() + o * width, input.data() + src * width, width);
  });
}

void argExtreme(const Tensor &input, int64_t axis, bool max, bool last,
                Tensor &out) {
  int64_t outer = 1, inner = 1, extent = input.shape()[axis];
  for (int64_t d = 0; d < axis; ++d)
    outer *= input.shape()[d];
  for (int64_t d = axis + 1; d < input.rank(); ++d)
    inner *= input.shape()[d];
  bool isFloat = isFloatDType(input.type());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      int64_t best = 0;
      double bestValue = 0;
      for (int64_t k = 0; k < extent; ++k) {
        int64_t at = (o * extent + k) * inner + i;
        double v =
            isFloat ? loadF(input, at) : static_cast<double>(loadI(input, at));
        bool better;
        if (k == 0)
          better = true;
        else if (std::isnan(bestValue))
          better = false;
        else if (std::isnan(v))
          better = true;
        else
          better = max ? (last ? v >= bestValue : v > bestValue)
                       : (last ? v <= bestValue : v < bestValue);
        if (better) {
          best = k;
          bestValue = v;
        }
      }
      out.data<int64_t>()[o * inner + i] = best;
    }
}

namespace {
/// out[dst] = reduce(out[dst], updates[src]).
void scatterOne(Tensor &out, int64_t dst, const Tensor &updates, int64_t src,
                ScatterReduction reduction) {
  size_t width = dtypeSize(out.type());
  if (reduction == ScatterReduction::None) {
    std::memcpy(out.data() + dst * width, updates.data() + src * width, width);
    return;
  }
  if (isFloatDType(out.type())) {
    float a = loadF(out, dst), b = loadF(updates, src);
    storeF(out, dst,
           reduction == ScatterReduction::Add   ? a + b
           : reduction == ScatterReduction::Mul ? a * b
           : reduction == ScatterReduction::Max ? std::max(a, b)
                                                : std::min(a, b));
    return;
  }
  int64_t a = loadI(out, dst), b = loadI(updates, src);
  auto u = [](int64_t v) { return static_cast<uint64_t>(v); };
  bool isUnsigned = isUnsignedDType(out.type());
  bool less = isUnsigned ? u(a) < u(b) : a < b;
  storeI(out, dst,
         reduction == ScatterReduction::Add ? static_cast<int64_t>(u(a) + u(b))
         : reduction == ScatterReduction::Mul
             ? static_cast<int64_t>(u(a) * u(b))
         : reduction == ScatterReduction::Max ? (less ? b : a)
                                              : (less ? a : b));
}

/// Resolves a possibly negative index against `extent`.
bool resolveIndex(int64_t &index, int64_t extent, const char *op,
                  std::string &error) {
  if (index < -extent || index >= extent) {
    error = std::string(op) + " index " + std::to_string(index) +
            " is out of range for a dimension of size " +
            std::to_string(extent);
    return false;
  }
  if (index < 0)
    index += extent;
  return true;
}

/// Element offset in `data` (rank-major strides) of the tuple at position
/// `tuple` of `indices`, over dimensions [first, first + q); false on a bad
/// index.
bool tupleOffset(const Tensor &data, const std::vector<int64_t> &strides,
                 const Tensor &indices, int64_t tuple, int64_t first,
                 const char *op, int64_t &offset, std::string &error) {
  int64_t q = indices.shape().back();
  offset = 0;
  for (int64_t j = 0; j < q; ++j) {
    int64_t index = loadI(indices, tuple * q + j);
    if (!resolveIndex(index, data.shape()[first + j], op, error))
      return false;
    offset += index * strides[first + j];
  }
  return true;
}
} // namespace

bool gatherNd(const Tensor &data, const Tensor &indices, int64_t batchDims,
              Tensor &out, std::string &error) {
  std::vector<int64_t> strides = stridesOf(data.shape());
  int64_t q = indices.shape().back();
  int64_t batches = 1, tuplesPerBatch = 1;
  for (int64_t d = 0; d < batchDims; ++d)
    batches *= indices.shape()[d];
  for (int64_t d = batchDims; d + 1 < indices.rank(); ++d)
    tuplesPerBatch *= indices.shape()[d];
  int64_t slice = 1;
  for (int64_t d = batchDims + q; d < data.rank(); ++d)
    slice *= data.shape()[d];
  int64_t batchStride = batchDims ? strides[batchDims - 1] : 0;
  size_t width = dtypeSize(data.type());
  for (int64_t b = 0; b < batches; ++b)
    for (int64_t t = 0; t < tuplesPerBatch; ++t) {
      int64_t tuple = b * tuplesPerBatch + t, offset;
      if (!tupleOffset(data, strides, indices, tuple, batchDims, "gather_nd",
                       offset, error))
        return false;
      std::memcpy(out.data() + tuple * slice * width,
                  data.data() + (b * batchStride + offset) * width,
                  slice * width);
    }
  return true;
}

bool scatterNd(const Tensor &data, const Tensor &indices, const Tensor &updates,
               ScatterReduction reduction, Tensor &out, std::string &error) {
  if (data.byteSize())
    std::memcpy(out.data(), data.data(), data.byteSize());
  std::vector<int64_t> strides = stridesOf(data.shape());
  int64_t q = indices.shape().back();
  int64_t tuples = 1;
  for (int64_t d = 0; d + 1 < indices.rank(); ++d)
    tuples *= indices.shape()[d];
  int64_t slice = 1;
  for (int64_t d = q; d < data.rank(); ++d)
    slice *= data.shape()[d];
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t offset;
    if (!tupleOffset(data, strides, indices, t, 0, "scatter_nd", offset, error))
      return false;
    for (int64_t e = 0; e < slice; ++e)
      scatterOne(out, offset + e, updates, t * slice + e, reduction);
  }
  return true;
}

bool scatterElements(const Tensor &data, const Tensor &indices,
                     const Tensor &updates, int64_t axis,
                     ScatterReduction reduction, Tensor &out,
                     std::string &error) {
  if (data.byteSize())
    std::memcpy(out.data(), data.data(), data.byteSize());
  std::vector<int64_t> strides = stridesOf(data.shape());
  bool ok = true;
  forEachIndex(
      indices.shape(), [&](int64_t o, const std::vector<int64_t> &index) {
        if (!ok)
          return;
        int64_t at = loadI(indices, o);
        if (!resolveIndex(at, data.shape()[axis], "scatter_elements", error)) {
          ok = false;
          return;
        }
        int64_t dst = 0;
        for (size_t d = 0; d < index.size(); ++d)
          dst += (static_cast<int64_t>(d) == axis ? at : index[d]) * strides[d];
        scatterOne(out, dst, updates, o, reduction);
      });
  return ok;
}

void topK(const Tensor &input, int64_t k, int64_t axis, bool largest,
          Tensor &values, Tensor &indices) {
  int64_t outer = 1, inner = 1, extent = input.shape()[axis];
  for (int64_t d = 0; d < axis; ++d)
    outer *= input.shape()[d];
  for (int64_t d = axis + 1; d < input.rank(); ++d)
    inner *= input.shape()[d];
  bool isFloat = isFloatDType(input.type());
  bool isUnsigned = isUnsignedDType(input.type());
  size_t width = dtypeSize(input.type());
  std::vector<int64_t> order(extent);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      auto at = [&](int64_t j) { return (o * extent + j) * inner + i; };
      // Strict "comes before": larger (or smaller) first, NaN first when
      // largest, equal values by index.
      auto before = [&](int64_t a, int64_t b) {
        if (isFloat) {
          float x = loadF(input, at(a)), y = loadF(input, at(b));
          if (std::isnan(x) || std::isnan(y))
            return std::isnan(x) && !std::isnan(y)   ? largest
                   : std::isnan(y) && !std::isnan(x) ? !largest
                                                     : a < b;
          if (x != y)
            return largest ? x > y : x < y;
          return a < b;
        }
        int64_t x = loadI(input, at(a)), y = loadI(input, at(b));
        if (x != y) {
          bool less = isUnsigned
                          ? static_cast<uint64_t>(x) < static_cast<uint64_t>(y)
                          : x < y;
          return largest ? !less : less;
        }
        return a < b;
      };
      for (int64_t j = 0; j < extent; ++j)
        order[j] = j;
      std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
      for (int64_t j = 0; j < k; ++j) {
        int64_t dst = (o * k + j) * inner + i;
        std::memcpy(values.data() + dst * width,
                    input.data() + at(order[j]) * width, width);
        indices.data<int64_t>()[dst] = order[j];
      }
    }
}

void mod(const Tensor &a, const Tensor &b, bool fmod, Tensor &out) {
  if (isFloatDType(out.type())) {
    forEachBroadcast(a, b, out, [&](int64_t o, int64_t ia, int64_t ib) {
      storeF(out, o, std::fmod(loadF(a, ia), loadF(b, ib)));
    });
    return;
  }
  forEachBroadcast(a, b, out, [&](int64_t o, int64_t ia, int64_t ib) {
    int64_t x = loadI(a, ia), y = loadI(b, ib);
    int64_t r = y == 0 ? 0 : x % y;
    if (!fmod && r != 0 && ((r < 0) != (y < 0)))
      r += y;
    storeI(out, o, r);
  });
}

void trilu(const Tensor &input, bool upper, int64_t k, Tensor &out) {
  int64_t rows = input.shape()[input.rank() - 2];
  int64_t cols = input.shape()[input.rank() - 1];
  size_t width = dtypeSize(input.type());
  for (int64_t i = 0; i < input.numElements(); ++i) {
    int64_t c = i % cols, r = (i / cols) % rows;
    bool keep = upper ? c - r >= k : c - r <= k;
    if (keep)
      std::memcpy(out.data() + i * width, input.data() + i * width, width);
    else
      std::memset(out.data() + i * width, 0, width);
  }
}

bool gatherElements(const Tensor &data, const Tensor &indices, int64_t axis,
                    Tensor &out, std::string &error) {
  std::vector<int64_t> dataStrides = stridesOf(data.shape());
  size_t width = dtypeSize(data.type());
  int64_t extent = data.shape()[axis];
  bool ok = true;
  forEachIndex(indices.shape(), [&](int64_t o,
                                    const std::vector<int64_t> &index) {
    if (!ok)
      return;
    int64_t at = loadI(indices, o);
    if (at < -extent || at >= extent) {
      error = "gather_elements index " + std::to_string(at) +
              " is out of range for a dimension of size " +
              std::to_string(extent);
      ok = false;
      return;
    }
    if (at < 0)
      at += extent;
    int64_t src = 0;
    for (size_t d = 0; d < index.size(); ++d)
      src += (static_cast<int64_t>(d) == axis ? at : index[d]) * dataStrides[d];
    std::memcpy(out.data() + o * width, data.data() + src * width, width);
  });
  return ok;
}

void cumsum(const Tensor &input, int64_t axis, bool exclusive, bool reverse,
            Tensor &out) {
  int64_t outer = 1, inner = 1, extent = input.shape()[axis];
  for (int64_t d = 0; d < axis; ++d)
    outer *= input.shape()[d];
  for (int64_t d = axis + 1; d < input.rank(); ++d)
    inner *= input.shape()[d];
  bool isFloat = isFloatDType(input.type());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      float sumF = 0;
      int64_t sumI = 0;
      for (int64_t step = 0; step < extent; ++step) {
        int64_t k = reverse ? extent - 1 - step : step;
        int64_t at = (o * extent + k) * inner + i;
        if (isFloat) {
          float x = loadF(input, at);
          if (!exclusive)
            sumF += x;
          storeF(out, at, sumF);
          if (exclusive)
            sumF += x;
        } else {
          int64_t x = loadI(input, at);
          if (!exclusive)
            sumI += x;
          storeI(out, at, sumI);
          if (exclusive)
            sumI += x;
        }
      }
    }
}

void hardmax(const Tensor &input, int64_t axis, Tensor &out) {
  std::vector<int64_t> reducedShape = input.shape();
  reducedShape[axis] = 1;
  Tensor best(DType::I64, reducedShape);
  argExtreme(input, axis, /*max=*/true, /*last=*/false, best);
  int64_t outer = 1, inner = 1, extent = input.shape()[axis];
  for (int64_t d = 0; d < axis; ++d)
    outer *= input.shape()[d];
  for (int64_t d = axis + 1; d < input.rank(); ++d)
    inner *= input.shape()[d];
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i)
      for (int64_t k = 0; k < extent; ++k)
        storeF(out, (o * extent + k) * inner + i,
               best.data<int64_t>()[o * inner + i] == k ? 1.0f : 0.0f);
}

namespace {
/// Source coordinate of output coordinate `x` along one dimension.
double sourceCoordinate(const std::string &mode, double x, double scale,
                        int64_t in, int64_t out) {
  if (mode == "asymmetric")
    return x / scale;
  if (mode == "align_corners") {
    // ONNX uses the unrounded resized length in * scale here.
    double length = double(in) * scale;
    return length == 1 ? 0 : x * double(in - 1) / (length - 1);
  }
  if (mode == "pytorch_half_pixel")
    return out > 1 ? (x + 0.5) / scale - 0.5 : 0;
  if (mode == "half_pixel_symmetric") {
    double adjustment = double(out) / (scale * double(in));
    double offset = double(in) / 2 * (1 - adjustment);
    return offset + (x + 0.5) / scale - 0.5;
  }
  return (x + 0.5) / scale - 0.5; // half_pixel
}

double cubicWeight(double x, double a) {
  x = std::fabs(x);
  if (x <= 1)
    return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2)
    return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0;
}

/// (input index, weight) taps of one output coordinate.
std::vector<std::pair<int64_t, double>> coordinateTaps(const ResizeParams &p,
                                                       double x, int64_t in) {
  auto clampIndex = [&](int64_t i) {
    return std::clamp<int64_t>(i, 0, in - 1);
  };
  if (p.mode == "nearest") {
    double floorX = std::floor(x);
    int64_t index;
    if (p.nearestMode == "floor")
      index = static_cast<int64_t>(floorX);
    else if (p.nearestMode == "ceil")
      index = static_cast<int64_t>(std::ceil(x));
    else if (x - floorX == 0.5)
      index = static_cast<int64_t>(
          p.nearestMode == "round_prefer_ceil" ? floorX + 1 : floorX);
    else
      index = static_cast<int64_t>(std::round(x));
    return {{clampIndex(index), 1.0}};
  }
  if (p.mode == "linear") {
    x = std::clamp(x, 0.0, double(in - 1));
    int64_t x0 = static_cast<int64_t>(std::floor(x));
    double t = x - x0;
    return {{clampIndex(x0), 1 - t}, {clampIndex(x0 + 1), t}};
  }
  int64_t x0 = static_cast<int64_t>(std::floor(x));
  double t = x - x0;
  std::vector<std::pair<int64_t, double>> taps;
  double total = 0;
  for (int64_t k = -1; k <= 2; ++k) {
    double w = cubicWeight(t - k, p.cubicCoeffA);
    int64_t i = x0 + k;
    if (p.excludeOutside && (i < 0 || i >= in))
      w = 0;
    taps.push_back({clampIndex(i), w});
    total += w;
  }
  if (p.excludeOutside && total != 0)
    for (auto &tap : taps)
      tap.second /= total;
  return taps;
}
} // namespace

void convTranspose2d(const Tensor &input, const Tensor &weight,
                     const Tensor *bias, const ConvTranspose2dParams &p,
                     Tensor &out) {
  const auto &xs = input.shape(), &ws = weight.shape(), &os = out.shape();
  int64_t batches = xs[0], channels = xs[1], h = xs[2], w = xs[3];
  int64_t perGroupOut = ws[1], kh = ws[2], kw = ws[3];
  int64_t outChannels = os[1], oh = os[2], ow = os[3];
  int64_t perGroupIn = channels / p.group;
  // Each output plane gathers from the input pixels whose windows reach it,
  // so planes are independent and run in parallel.
  tbb::parallel_for(int64_t(0), batches * outChannels, [&](int64_t job) {
    int64_t n = job / outChannels, m = job % outChannels;
    int64_t g = m / perGroupOut, mLocal = m % perGroupOut;
    std::vector<float> plane(oh * ow, bias ? loadF(*bias, m) : 0.0f);
    for (int64_t c = g * perGroupIn; c < (g + 1) * perGroupIn; ++c)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) {
          float v = loadF(input, ((n * channels + c) * h + y) * w + x);
          for (int64_t i = 0; i < kh; ++i) {
            int64_t oy = y * p.strides[0] - p.pads[0] + i * p.dilations[0];
            if (oy < 0 || oy >= oh)
              continue;
            for (int64_t j = 0; j < kw; ++j) {
              int64_t ox = x * p.strides[1] - p.pads[1] + j * p.dilations[1];
              if (ox < 0 || ox >= ow)
                continue;
              plane[oy * ow + ox] +=
                  v *
                  loadF(weight, ((c * perGroupOut + mLocal) * kh + i) * kw + j);
            }
          }
        }
    for (int64_t i = 0; i < oh * ow; ++i)
      storeF(out, job * oh * ow + i, plane[i]);
  });
}

ResizeTaps resizeTaps(const std::vector<int64_t> &inShape,
                      const std::vector<int64_t> &outShape,
                      const ResizeParams &p) {
  ResizeTaps taps(inShape.size());
  for (size_t d = 0; d < inShape.size(); ++d) {
    int64_t in = inShape[d], outSize = outShape[d];
    for (int64_t o = 0; o < outSize; ++o) {
      if (in == outSize && p.scales[d] == 1.0) {
        taps[d].push_back({{o, 1.0}});
        continue;
      }
      double x = sourceCoordinate(p.coordinateMode, double(o), p.scales[d], in,
                                  outSize);
      taps[d].push_back(coordinateTaps(p, x, in));
    }
  }
  return taps;
}

void resize(const Tensor &input, const ResizeParams &p, Tensor &out) {
  size_t rank = input.shape().size();
  std::vector<int64_t> strides = stridesOf(input.shape());
  ResizeTaps taps = resizeTaps(input.shape(), out.shape(), p);
  forEachIndex(out.shape(), [&](int64_t o, const std::vector<int64_t> &index) {
    // Sum over the cartesian product of the per-dimension taps.
    std::vector<size_t> pick(rank, 0);
    double sum = 0;
    while (true) {
      double weight = 1;
      int64_t src = 0;
      for (size_t d = 0; d < rank; ++d) {
        const auto &tap = taps[d][index[d]][pick[d]];
        weight *= tap.second;
        src += tap.first * strides[d];
      }
      if (weight != 0)
        sum += weight * double(loadF(input, src));
      size_t d = rank;
      while (d-- > 0) {
        if (++pick[d] < taps[d][index[d]].size())
          break;
        pick[d] = 0;
      }
      if (d == size_t(-1))
        break;
    }
    storeF(out, o, static_cast<float>(sum));
  });
}

} // namespace sinan::ref
