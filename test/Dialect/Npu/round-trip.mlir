// RUN: sinan-opt %s | sinan-opt | FileCheck %s
// RUN: sinan-opt --mlir-print-op-generic %s | sinan-opt | FileCheck %s

// CHECK-LABEL: func.func @ops
// CHECK-SAME:    attributes {npu.target = #npu.target<"snpu-edge">}
// CHECK:         npu.dma_load %{{.*}}, %{{.*}} : memref<16x32xbf16, strided<[64, 1], offset: ?>, #npu.space<dram>> to memref<16x32xbf16, #npu.space<ibuf>>
// CHECK:         npu.fill %{{.*}} {pattern = 1065353216 : i64} : memref<16x16xf32, #npu.space<acc>>
// CHECK:         npu.mma %{{.*}}, %{{.*}}, %{{.*}} {accumulate} : memref<16x32xbf16, #npu.space<ibuf>>, memref<32x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>, memref<16x16xf32, #npu.space<acc>>
// CHECK:         npu.dma_store %{{.*}}, %{{.*}} {relu} : memref<16x16xf32, #npu.space<acc>> to memref<16x16xbf16, #npu.space<dram>>
// CHECK:         npu.signal <din> -> <mxu>, 0
// CHECK:         npu.wait <din> -> <mxu>, 0
// CHECK:         npu.barrier
func.func @ops(%a: memref<64x64xbf16, #npu.space<dram>>,
               %c: memref<16x16xbf16, #npu.space<dram>>, %i: index)
    attributes {npu.target = #npu.target<"snpu-edge">} {
  %lhs = memref.alloc() : memref<16x32xbf16, #npu.space<ibuf>>
  %rhs = memref.alloc() : memref<32x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>
  %acc = memref.alloc() : memref<16x16xf32, #npu.space<acc>>
  %view = memref.subview %a[%i, 0] [16, 32] [1, 1] : memref<64x64xbf16, #npu.space<dram>> to memref<16x32xbf16, strided<[64, 1], offset: ?>, #npu.space<dram>>
  npu.dma_load %view, %lhs : memref<16x32xbf16, strided<[64, 1], offset: ?>, #npu.space<dram>> to memref<16x32xbf16, #npu.space<ibuf>>
  npu.fill %acc {pattern = 1065353216} : memref<16x16xf32, #npu.space<acc>>
  npu.mma %lhs, %rhs, %acc {accumulate} : memref<16x32xbf16, #npu.space<ibuf>>, memref<32x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>, memref<16x16xf32, #npu.space<acc>>
  npu.dma_store %acc, %c {relu} : memref<16x16xf32, #npu.space<acc>> to memref<16x16xbf16, #npu.space<dram>>
  npu.signal <din> -> <mxu>, 0
  npu.wait <din> -> <mxu>, 0
  npu.barrier
  return
}

// The vector unit: a row repeated at stride 0, a source in acc, a scalar.
// CHECK-LABEL: func.func @vector
// CHECK:         npu.vbin "add" %{{.*}}, %{{.*}}, %{{.*}} : memref<4x16xf32, #npu.space<vbuf>>, memref<4x16xf32, strided<[0, 1]>, #npu.space<vbuf>>, memref<4x16xf32, #npu.space<vbuf>>
// CHECK:         npu.vun "relu" %{{.*}}, %{{.*}} : memref<4x16xf32, #npu.space<acc>>, memref<4x16xf32, #npu.space<vbuf>>
// CHECK:         npu.vscal "max" %{{.*}}, 0.000000e+00 : f32, %{{.*}} : memref<64xf32, #npu.space<vbuf>>, memref<64xf32, #npu.space<vbuf>>
func.func @vector() attributes {npu.target = #npu.target<"snpu-edge">} {
  %a = memref.alloc() : memref<4x16xf32, #npu.space<vbuf>>
  %row = memref.alloc() : memref<16xf32, #npu.space<vbuf>>
  %acc = memref.alloc() : memref<4x16xf32, #npu.space<acc>>
  %flat = memref.alloc() : memref<64xf32, #npu.space<vbuf>>
  %rows = memref.reinterpret_cast %row to offset: [0], sizes: [4, 16], strides: [0, 1] : memref<16xf32, #npu.space<vbuf>> to memref<4x16xf32, strided<[0, 1]>, #npu.space<vbuf>>
  npu.vbin "add" %a, %rows, %a : memref<4x16xf32, #npu.space<vbuf>>, memref<4x16xf32, strided<[0, 1]>, #npu.space<vbuf>>, memref<4x16xf32, #npu.space<vbuf>>
  npu.vun "relu" %acc, %a : memref<4x16xf32, #npu.space<acc>>, memref<4x16xf32, #npu.space<vbuf>>
  npu.vscal "max" %flat, 0.0 : f32, %flat : memref<64xf32, #npu.space<vbuf>>, memref<64xf32, #npu.space<vbuf>>
  return
}

// A multiply-add, and a per-repeat scalar operand (innermost stride 0: one
// element per repeat, a depthwise convolution's weight per channel).
// CHECK-LABEL: func.func @fma
// CHECK:         npu.vfma %{{.*}}, %{{.*}}, %{{.*}} : memref<4x64xf32, #npu.space<vbuf>>, memref<4x64xf32, strided<[1, 0]>, #npu.space<vbuf>>, memref<4x64xf32, #npu.space<vbuf>>
// CHECK:         npu.vbin "add" %{{.*}}, %{{.*}}, %{{.*}} : memref<4x64xf32, #npu.space<vbuf>>, memref<4x64xf32, strided<[1, 0], offset: 16>, #npu.space<vbuf>>, memref<4x64xf32, #npu.space<vbuf>>
func.func @fma() attributes {npu.target = #npu.target<"snpu-edge">} {
  %a = memref.alloc() : memref<4x64xf32, #npu.space<vbuf>>
  %acc = memref.alloc() : memref<4x64xf32, #npu.space<vbuf>>
  %w = memref.alloc() : memref<32xf32, #npu.space<vbuf>>
  %scale = memref.reinterpret_cast %w to offset: [0], sizes: [4, 64], strides: [1, 0] : memref<32xf32, #npu.space<vbuf>> to memref<4x64xf32, strided<[1, 0]>, #npu.space<vbuf>>
  %bias = memref.reinterpret_cast %w to offset: [16], sizes: [4, 64], strides: [1, 0] : memref<32xf32, #npu.space<vbuf>> to memref<4x64xf32, strided<[1, 0], offset: 16>, #npu.space<vbuf>>
  npu.vfma %a, %scale, %acc : memref<4x64xf32, #npu.space<vbuf>>, memref<4x64xf32, strided<[1, 0]>, #npu.space<vbuf>>, memref<4x64xf32, #npu.space<vbuf>>
  npu.vbin "add" %acc, %bias, %acc : memref<4x64xf32, #npu.space<vbuf>>, memref<4x64xf32, strided<[1, 0], offset: 16>, #npu.space<vbuf>>, memref<4x64xf32, #npu.space<vbuf>>
  return
}

// Conversions on the vector unit: f32 scores in acc rounded to bf16 rows in
// vbuf, at the source's row pitch.
// CHECK-LABEL: func.func @convert
// CHECK:         npu.vcvt %{{.*}}, %{{.*}} : memref<16x100xf32, strided<[112, 1]>, #npu.space<acc>> to memref<16x100xbf16, strided<[128, 1]>, #npu.space<vbuf>>
func.func @convert(%scores: memref<16x100xf32, strided<[112, 1]>, #npu.space<acc>>, %probs: memref<16x100xbf16, strided<[128, 1]>, #npu.space<vbuf>>) attributes {npu.target = #npu.target<"snpu-server">} {
  npu.vcvt %scores, %probs : memref<16x100xf32, strided<[112, 1]>, #npu.space<acc>> to memref<16x100xbf16, strided<[128, 1]>, #npu.space<vbuf>>
  return
}

// Local moves and transposes: a channel-rows block of the input becomes
// pixel rows of channels, moved into ibuf at a wider row pitch.
// CHECK-LABEL: func.func @layout
// CHECK:         npu.vtrans %{{.*}}, %{{.*}} : memref<32x64xbf16, #npu.space<vbuf>> to memref<64x32xbf16, #npu.space<vbuf>>
// CHECK:         npu.vtrans %{{.*}}, %{{.*}} {group = 2 : i64} : memref<32x64xbf16, #npu.space<vbuf>> to memref<32x64xbf16, #npu.space<vbuf>>
// CHECK:         npu.dma_move %{{.*}}, %{{.*}} : memref<2x1024xbf16, strided<[1024, 1]>, #npu.space<vbuf>> to memref<2x1024xbf16, strided<[1088, 1]>, #npu.space<ibuf>>
// CHECK:         npu.dma_move %{{.*}}, %{{.*}} {padding = array<i64: 0, 64>} : memref<2x1024xbf16, strided<[1024, 1]>, #npu.space<vbuf>> to memref<2x1088xbf16, #npu.space<ibuf>>
func.func @layout() attributes {npu.target = #npu.target<"snpu-edge">} {
  %in = memref.alloc() : memref<32x64xbf16, #npu.space<vbuf>>
  %t = memref.alloc() : memref<64x32xbf16, #npu.space<vbuf>>
  %pairs = memref.alloc() : memref<32x64xbf16, #npu.space<vbuf>>
  %grid = memref.alloc() : memref<2x1088xbf16, #npu.space<ibuf>>
  npu.vtrans %in, %t : memref<32x64xbf16, #npu.space<vbuf>> to memref<64x32xbf16, #npu.space<vbuf>>
  // Pixel pairs of channels: 32 pairs of 32 channels, each pair as a unit.
  npu.vtrans %in, %pairs {group = 2 : i64} : memref<32x64xbf16, #npu.space<vbuf>> to memref<32x64xbf16, #npu.space<vbuf>>
  %rows = memref.reinterpret_cast %t to offset: [0], sizes: [2, 1024], strides: [1024, 1] : memref<64x32xbf16, #npu.space<vbuf>> to memref<2x1024xbf16, strided<[1024, 1]>, #npu.space<vbuf>>
  %dst = memref.subview %grid[0, 0] [2, 1024] [1, 1] : memref<2x1088xbf16, #npu.space<ibuf>> to memref<2x1024xbf16, strided<[1088, 1]>, #npu.space<ibuf>>
  npu.dma_move %rows, %dst : memref<2x1024xbf16, strided<[1024, 1]>, #npu.space<vbuf>> to memref<2x1024xbf16, strided<[1088, 1]>, #npu.space<ibuf>>
  // The same rows with the zeros after each written by the move.
  npu.dma_move %rows, %grid {padding = array<i64: 0, 64>} : memref<2x1024xbf16, strided<[1024, 1]>, #npu.space<vbuf>> to memref<2x1088xbf16, #npu.space<ibuf>>
  return
}

// Row reductions: one element per row of the source (layer normalization's
// mean, a global average pool's sum).
// CHECK-LABEL: func.func @reduce_rows
// CHECK:         npu.vred "sum" %{{.*}}, %{{.*}} : memref<8x768xf32, #npu.space<vbuf>>, memref<8xf32, #npu.space<vbuf>>
// CHECK:         npu.vred "max" %{{.*}}, %{{.*}} : memref<8x768xf32, #npu.space<acc>>, memref<8xf32, strided<[1], offset: 16>, #npu.space<vbuf>>
func.func @reduce_rows() attributes {npu.target = #npu.target<"snpu-edge">} {
  %rows = memref.alloc() : memref<8x768xf32, #npu.space<vbuf>>
  %acc = memref.alloc() : memref<8x768xf32, #npu.space<acc>>
  %out = memref.alloc() : memref<32xf32, #npu.space<vbuf>>
  %sums = memref.subview %out[0] [8] [1] : memref<32xf32, #npu.space<vbuf>> to memref<8xf32, strided<[1]>, #npu.space<vbuf>>
  %maxes = memref.subview %out[16] [8] [1] : memref<32xf32, #npu.space<vbuf>> to memref<8xf32, strided<[1], offset: 16>, #npu.space<vbuf>>
  %s = memref.cast %sums : memref<8xf32, strided<[1]>, #npu.space<vbuf>> to memref<8xf32, #npu.space<vbuf>>
  npu.vred "sum" %rows, %s : memref<8x768xf32, #npu.space<vbuf>>, memref<8xf32, #npu.space<vbuf>>
  npu.vred "max" %acc, %maxes : memref<8x768xf32, #npu.space<acc>>, memref<8xf32, strided<[1], offset: 16>, #npu.space<vbuf>>
  return
}

// CHECK-LABEL: func.func @embedding
// CHECK:         npu.dma_gather %{{.*}}[%{{.*}}], %{{.*}} : memref<1000x256xf32, #npu.space<dram>>[memref<32xi64, #npu.space<dram>>] to memref<32x256xf32, #npu.space<vbuf>>
func.func @embedding(%table: memref<1000x256xf32, #npu.space<dram>>, %ids: memref<32xi64, #npu.space<dram>>)
    attributes {npu.target = #npu.target<"snpu-edge">} {
  %rows = memref.alloc() : memref<32x256xf32, #npu.space<vbuf>>
  npu.dma_gather %table[%ids], %rows : memref<1000x256xf32, #npu.space<dram>>[memref<32xi64, #npu.space<dram>>] to memref<32x256xf32, #npu.space<vbuf>>
  return
}
