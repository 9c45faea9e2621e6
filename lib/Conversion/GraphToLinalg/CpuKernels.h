//===- CpuKernels.h - CPU kernels beyond single linalg ops ------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Kernels of the CPU path that are not one linalg.generic: convolutions and
// matmuls as a GEMM over register tiles written in the vector dialect
// (ConvKernel.cpp), pooling and depthwise convolutions as loops over rows
// (PlaneKernel.cpp), and the index arithmetic they share. Private to
// GraphToLinalg.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_LIB_CONVERSION_GRAPHTOLINALG_CPUKERNELS_H
#define SINAN_LIB_CONVERSION_GRAPHTOLINALG_CPUKERNELS_H

#include "sinan/Conversion/GraphToLinalg.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

#include <optional>

namespace sinan {

using mlir::Location;
using mlir::OpBuilder;
using mlir::Value;

/// A static, non-empty f32 tensor type (of `rank` when given), or null.
/// (Empty tensors need no code: the reference kernels handle them.)
inline mlir::RankedTensorType staticF32(mlir::Type type,
                                        std::optional<int64_t> rank = {}) {
  auto tensor = llvm::dyn_cast<mlir::RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape() || !tensor.getElementType().isF32() ||
      tensor.getNumElements() == 0 || (rank && tensor.getRank() != *rank))
    return {};
  return tensor;
}

/// The i64 array attribute `name`'s values, or `fallback` where the op has
/// none (its ODS default).
inline llvm::SmallVector<int64_t> i64Array(mlir::Operation *op,
                                           llvm::StringRef name,
                                           llvm::ArrayRef<int64_t> fallback) {
  if (auto attr = op->getAttrOfType<mlir::DenseI64ArrayAttr>(name))
    return llvm::SmallVector<int64_t>(attr.asArrayRef());
  return llvm::SmallVector<int64_t>(fallback);
}

/// A 2-D window over NCHW planes (convolutions, pooling): taps, strides,
/// dilations and pads [top, left, bottom, right].
struct Window2d {
  int64_t kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
};

/// The op's window with taps `kernel` (the op's strides, pads and
/// dilations, ODS defaults where absent), or nothing when an attribute has
/// the wrong length, a tap, stride or dilation is below 1 or a pad below 0.
inline std::optional<Window2d> windowOf(mlir::Operation *op,
                                        llvm::ArrayRef<int64_t> kernel) {
  llvm::SmallVector<int64_t> strides = i64Array(op, "strides", {1, 1});
  llvm::SmallVector<int64_t> pads = i64Array(op, "pads", {0, 0, 0, 0});
  llvm::SmallVector<int64_t> dilations = i64Array(op, "dilations", {1, 1});
  if (kernel.size() != 2 || strides.size() != 2 || pads.size() != 4 ||
      dilations.size() != 2)
    return std::nullopt;
  Window2d w{kernel[0],    kernel[1], strides[0], strides[1], dilations[0],
             dilations[1], pads[0],   pads[1],    pads[2],    pads[3]};
  for (int64_t v : {w.kh, w.kw, w.sh, w.sw, w.dh, w.dw})
    if (v < 1)
      return std::nullopt;
  for (int64_t v : {w.pt, w.pl, w.pb, w.pr})
    if (v < 0)
      return std::nullopt;
  return w;
}

/// Index arithmetic at one insertion point.
struct IndexMath {
  OpBuilder &b;
  Location loc;
  Value c(int64_t v) { return mlir::arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) {
    return mlir::arith::AddIOp::create(b, loc, x, y);
  }
  Value add(Value x, int64_t y) { return y == 0 ? x : add(x, c(y)); }
  Value sub(Value x, Value y) {
    return mlir::arith::SubIOp::create(b, loc, x, y);
  }
  Value mul(Value x, int64_t y) {
    return y == 1 ? x
                  : mlir::arith::MulIOp::create(b, loc, x, c(y)).getResult();
  }
  Value div(Value x, int64_t y) {
    return y == 1 ? x
                  : mlir::arith::DivUIOp::create(b, loc, x, c(y)).getResult();
  }
  Value rem(Value x, int64_t y) {
    return mlir::arith::RemUIOp::create(b, loc, x, c(y));
  }
  Value min(Value x, Value y) {
    return mlir::arith::MinSIOp::create(b, loc, x, y);
  }
  Value max(Value x, Value y) {
    return mlir::arith::MaxSIOp::create(b, loc, x, y);
  }
  Value cmp(mlir::arith::CmpIPredicate pred, Value x, Value y) {
    return mlir::arith::CmpIOp::create(b, loc, pred, x, y);
  }
  Value select(Value cond, Value x, Value y) {
    return mlir::arith::SelectOp::create(b, loc, cond, x, y);
  }
};

/// Output coordinates o in [0, outSize) whose input coordinate o * stride
/// + offset lies in [lo, hi), as [first, end): index arithmetic on a
/// dynamic offset.
inline std::pair<Value, Value> validRange(IndexMath &m, Value offset,
                                          int64_t stride, int64_t lo,
                                          int64_t hi, int64_t outSize) {
  // o * stride + offset >= lo  <=>  o >= ceil((lo - offset) / stride).
  Value before = m.max(m.sub(m.c(lo), offset), m.c(0));
  Value first =
      m.min(m.div(m.add(before, m.c(stride - 1)), stride), m.c(outSize));
  // o * stride + offset <= hi - 1  <=>  o <= floor((hi - 1 - offset) / s).
  Value last = m.sub(m.c(hi - 1), offset);
  Value end =
      m.select(m.cmp(mlir::arith::CmpIPredicate::slt, last, m.c(0)), m.c(0),
               m.add(m.div(m.max(last, m.c(0)), stride), m.c(1)));
  end = m.max(first, m.min(end, m.c(outSize)));
  return {first, end};
}

/// The input row of output row `oh`'s tap row `i` under window `w`, and
/// whether it lies inside an image of `h` rows.
inline std::pair<Value, Value> tapRow(IndexMath &m, Value oh, Value i,
                                      const Window2d &w, int64_t h) {
  Value iy = m.add(m.add(m.mul(oh, w.sh), m.mul(i, w.dh)), m.c(-w.pt));
  Value inside = mlir::arith::AndIOp::create(
      m.b, m.loc, m.cmp(mlir::arith::CmpIPredicate::sge, iy, m.c(0)),
      m.cmp(mlir::arith::CmpIPredicate::slt, iy, m.c(h)));
  return {iy, inside};
}

/// `body(iv)` for iv in [lower, upper).
inline void forLoop(OpBuilder &b, Location loc, Value lower, Value upper,
                    llvm::function_ref<void(OpBuilder &, Value)> body) {
  Value one = mlir::arith::ConstantIndexOp::create(b, loc, 1);
  mlir::scf::ForOp::create(
      b, loc, lower, upper, one, mlir::ValueRange{},
      [&](OpBuilder &nb, Location, Value iv, mlir::ValueRange) {
        body(nb, iv);
        mlir::scf::YieldOp::create(nb, loc);
      });
}

/// `buffer` (identity layout) seen as a static `shape` of its elements.
inline Value viewAs(OpBuilder &b, Location loc, Value buffer,
                    llvm::ArrayRef<int64_t> shape) {
  auto type = llvm::cast<mlir::MemRefType>(buffer.getType());
  llvm::SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = int64_t(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  auto viewType = mlir::MemRefType::get(
      shape, type.getElementType(),
      mlir::StridedLayoutAttr::get(b.getContext(), /*offset=*/0, strides));
  llvm::SmallVector<mlir::OpFoldResult> sizes, strideValues;
  for (auto [size, stride] : llvm::zip(shape, strides)) {
    sizes.push_back(b.getIndexAttr(size));
    strideValues.push_back(b.getIndexAttr(stride));
  }
  return mlir::memref::ReinterpretCastOp::create(
      b, loc, viewType, buffer, b.getIndexAttr(0), sizes, strideValues);
}

/// Whether `op` is an f32 conv2d (every stride, padding, dilation and
/// group) or matmul (any batch broadcast) with static shapes: the GEMM
/// kernel's (ConvKernel.cpp).
bool isCpuGemm(mlir::Operation *op);

/// The number of units the kernel's [begin, end) range counts, and the
/// multiply-adds of one unit.
int64_t gemmKernelExtent(mlir::Operation *op, const CpuKernelOptions &options);
int64_t gemmKernelUnitWork(mlir::Operation *op,
                           const CpuKernelOptions &options);
/// The weights' panel height when the kernel's vectors hold output
/// channels (ConvKernel.cpp), else 0.
int64_t gemmWeightPanel(mlir::Operation *op, const CpuKernelOptions &options);

/// The element type a CPU kernel's buffer holds for tensor elements of
/// `element` (bools as bytes, integers signless), or null when native code
/// does not take it.
mlir::Type cpuBufferElementType(mlir::Type element);

/// A static, non-empty tensor type of elements a CPU buffer holds, or null.
inline mlir::RankedTensorType staticBuffer(mlir::Type type) {
  auto tensor = llvm::dyn_cast<mlir::RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape() || tensor.getNumElements() == 0 ||
      !cpuBufferElementType(tensor.getElementType()))
    return {};
  return tensor;
}

/// Whether `op` is a concat, a slice with positive steps, a constant pad of
/// f32 or a gather, with static shapes: the layout kernel's
/// (LayoutKernel.cpp), which copies bits and so takes every element type.
bool isCpuLayout(mlir::Operation *op);

/// Whether `op`'s kernel returns an i32 status (non-zero: bad input, such
/// as a gather index out of range, for the reference kernel to explain).
bool cpuKernelReportsStatus(mlir::Operation *op);

/// A layout kernel's units and the elements of one.
int64_t layoutKernelExtent(mlir::Operation *op);
int64_t layoutKernelUnitWork(mlir::Operation *op);

/// Emits the body computing units [begin, end) of a layout op; `buffers`
/// are its operands then its output. Returns the status for kernels that
/// report one (cpuKernelReportsStatus), else null.
mlir::Value buildLayoutKernelBody(mlir::OpBuilder &b, mlir::Location loc,
                                  mlir::Operation *op, mlir::ValueRange buffers,
                                  mlir::Value begin, mlir::Value end);

/// Whether `op` is a 4-D f32 resize of H and W (any mode: the reference's
/// tap table is compiled in) or an f32 LRN: the image kernel's
/// (ImageKernel.cpp), bit for bit with the reference.
bool isCpuImage(mlir::Operation *op);

/// An image kernel's units (output rows of a resize, planes of an LRN) and
/// the work of one.
int64_t imageKernelExtent(mlir::Operation *op);
int64_t imageKernelUnitWork(mlir::Operation *op);

/// Emits the body computing units [begin, end); `buffers` are the input and
/// the output; a resize's tables are globals named after `name`.
void buildImageKernelBody(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Operation *op, mlir::ValueRange buffers,
                          mlir::Value begin, mlir::Value end,
                          llvm::StringRef name);

/// Whether `op` is an f32 max_pool2d or avg_pool2d, or a conv2d with one
/// input channel per group (depthwise), with static shapes: the plane
/// kernel's (PlaneKernel.cpp).
bool isCpuPlane(mlir::Operation *op);

/// A plane kernel's units (output planes, N x C) and the work of one.
int64_t planeKernelExtent(mlir::Operation *op);
int64_t planeKernelUnitWork(mlir::Operation *op);

/// Emits the body computing output planes [begin, end); `buffers` as for
/// buildGemmKernelBody.
void buildPlaneKernelBody(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Operation *op, mlir::ValueRange buffers,
                          mlir::Value begin, mlir::Value end,
                          const CpuKernelOptions &options,
                          const CpuEpilogue &epilogue);

/// `value` (an f32 or a vector of them) after the epilogue's relu or clip,
/// with the reference kernels' NaN and signed-zero rules.
mlir::Value applyActivation(mlir::OpBuilder &b, mlir::Location loc,
                            const CpuEpilogue &epilogue, mlir::Value value);

/// Emits the body computing units [begin, end) of `op` at the builder's
/// insertion point; `buffers` are the op's operands (a convolution's input,
/// weight and optional bias; a matmul's A and B), the epilogue's residual
/// if it has one, and the output.
void buildGemmKernelBody(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Operation *op, mlir::ValueRange buffers,
                         mlir::Value begin, mlir::Value end,
                         const CpuKernelOptions &options,
                         const CpuEpilogue &epilogue);

} // namespace sinan

#endif // SINAN_LIB_CONVERSION_GRAPHTOLINALG_CPUKERNELS_H
