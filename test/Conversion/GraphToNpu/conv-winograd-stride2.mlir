// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-server --sinan-convert-graph-to-npu --mlir-elide-elementsattrs-if-larger=16 | FileCheck %s
// RUN: sinan-opt %s --sinan-snpu-pipeline=target=snpu-server | sinan-translate --isa-to-snpu-kernel -o %t.snk
// RUN: sinan-objdump %t.snk | FileCheck %s --check-prefix=BINARY

// A 3x3 convolution of stride 2 pinned to the Winograd tiler's stride-2
// form (ConvWinograd.cpp, winogradStride2* in Numerics.h): per kernel row,
// a pair of outputs from five products. The 8x8 input makes 4x4 outputs,
// two tiles of a row; its width is four columns a tile, so the points come
// from the transposed pixel rows themselves (no bordered image). Each
// point's grid holds the 5 even image rows, then the 5 odd ones, of 2
// positions; a block of the 4 output rows is 8 positions, 16 rounded to
// the matrix tile. The weights are packed [block][chunk][role][row][c0][f0]:
// 12 tiles of [64 x 32] (g0, g1, g0 + g2, g2 per kernel row).
// CHECK:       memref.global "private" constant @conv2d_kernel_weights : memref<768x32xbf16, #npu.space<dram>>
// CHECK-LABEL: func.func @conv2d_kernel
// CHECK-SAME:    npu.blocks = array<i64: 32, 64, 16>
// CHECK-SAME:    npu.plan = "winograd c0=64 f0=32 cores=1
// Three sums' accumulators.
// CHECK-COUNT-3: memref.alloc() : memref<16x32xf32, strided<[32, 1]>, #npu.space<acc>>
// CHECK-NOT:   #npu.space<acc>>
// The chunk's channels as one DMA row, the zero row, and every point's top
// border row and the row past the input's last.
// CHECK:       npu.dma_load {{.*}} : memref<4096xf32, strided<[1]>, #npu.space<dram>> to memref<4096xbf16, strided<[1]>, #npu.space<vbuf>>
// CHECK:       npu.fill {{.*}} : memref<64xbf16, strided<[1]>, #npu.space<vbuf>>
// CHECK:       npu.fill {{.*}} : memref<5x128xbf16, strided<[1280, 1]>, #npu.space<vbuf>>
// CHECK:       npu.fill {{.*}} : memref<5x128xbf16, strided<[1280, 1], offset: 1152>, #npu.space<vbuf>>
// The channel rows into pixel rows; then d0 - d2 over every slot but the
// first (input columns 4e - 1 and 4e + 1, slots four pixels apart), the
// first slot of each row from the zero row (a stride-0 view) and input
// column 1; d1, d2, d4 - d2 and d3.
// CHECK:       npu.vtrans {{.*}} : memref<64x64xbf16, strided<[64, 1]>, #npu.space<vbuf>> to memref<64x64xbf16, strided<[64, 1]>, #npu.space<vbuf>>
// CHECK:       npu.vbin "sub" {{.*}} : memref<15x64xbf16, strided<[256, 1], offset: 192>, #npu.space<vbuf>>, memref<15x64xbf16, strided<[256, 1], offset: 320>, #npu.space<vbuf>>, memref<15x64xbf16, strided<[64, 1], offset: 192>, #npu.space<vbuf>>
// CHECK:       npu.vbin "sub" {{.*}} : memref<8x64xbf16, strided<[0, 1]>, #npu.space<vbuf>>, memref<8x64xbf16, strided<[512, 1], offset: 64>, #npu.space<vbuf>>, memref<8x64xbf16, strided<[128, 1], offset: 128>, #npu.space<vbuf>>
// CHECK:       npu.vscal "mul" {{.*}}, 1.000000e+00 : f32, {{.*}} : memref<16x64xbf16, strided<[256, 1]>, #npu.space<vbuf>>, memref<16x64xbf16, strided<[64, 1], offset: 1408>, #npu.space<vbuf>>
// CHECK:       npu.vscal "mul" {{.*}}, 1.000000e+00 : f32, {{.*}} : memref<16x64xbf16, strided<[256, 1], offset: 64>, #npu.space<vbuf>>, memref<16x64xbf16, strided<[64, 1], offset: 2688>, #npu.space<vbuf>>
// CHECK:       npu.vbin "sub" {{.*}} : memref<16x64xbf16, strided<[256, 1], offset: 192>, #npu.space<vbuf>>, memref<16x64xbf16, strided<[256, 1], offset: 64>, #npu.space<vbuf>>, memref<16x64xbf16, strided<[64, 1], offset: 3968>, #npu.space<vbuf>>
// CHECK:       npu.vscal "mul" {{.*}}, 1.000000e+00 : f32, {{.*}} : memref<16x64xbf16, strided<[256, 1], offset: 128>, #npu.space<vbuf>>, memref<16x64xbf16, strided<[64, 1], offset: 5248>, #npu.space<vbuf>>
// One move of the five points into ibuf, the even image rows, then the odd.
// CHECK:       npu.dma_move {{.*}} : memref<5x2x5x128xbf16, strided<[1280, 128, 256, 1]>, #npu.space<vbuf>> to memref<5x2x5x128xbf16, strided<[1280, 640, 128, 1]>, #npu.space<ibuf>>
// g0's kernel rows over point 0 into the first sum: rows 0 and 2 from the
// even rows (positions 0 and 2), row 1 from the odd (position 10).
// CHECK:       npu.mma {{.*}} : memref<16x64xbf16, strided<[64, 1]>, #npu.space<ibuf>>, memref<64x32xbf16, strided<[32, 1]>, #npu.space<wbuf>>, memref<16x32xf32, strided<[32, 1]>, #npu.space<acc>>
// CHECK:       npu.mma {{.*}} {accumulate} : memref<16x64xbf16, strided<[64, 1], offset: 640>, #npu.space<ibuf>>
// CHECK:       npu.mma {{.*}} {accumulate} : memref<16x64xbf16, strided<[64, 1], offset: 128>, #npu.space<ibuf>>
// g1 serves points 1 (into the first sum) and 4, whose product starts the
// third sum.
// CHECK:       npu.mma {{.*}} {accumulate} : memref<16x64xbf16, strided<[64, 1], offset: 1280>, #npu.space<ibuf>>
// CHECK:       npu.mma {{.*}} : memref<16x64xbf16, strided<[64, 1], offset: 5120>, #npu.space<ibuf>>
// CHECK-COUNT-4: npu.mma {{.*}} {accumulate}
// g0 + g2 over point 2 starts the second sum.
// CHECK:       npu.mma {{.*}} : memref<16x64xbf16, strided<[64, 1], offset: 2560>, #npu.space<ibuf>>
// CHECK-COUNT-5: npu.mma {{.*}} {accumulate}
// CHECK-NOT:   npu.mma
// The epilogue: the bias (a stride-0 row) into the second sum, the even
// outputs r0 + r1' and the odd ones r1' + r2 (one pass each: an even
// width), two pixel rows apart; the transpose; the store with the relu.
// CHECK:       npu.vbin "add" {{.*}} : memref<8x32xf32, strided<[32, 1]>, #npu.space<acc>>, memref<8x32xf32, strided<[0, 1]>, #npu.space<vbuf>>, memref<8x32xf32, strided<[32, 1]>, #npu.space<vbuf>>
// CHECK:       npu.vbin "add" {{.*}} : memref<8x32xf32, strided<[32, 1]>, #npu.space<acc>>, memref<8x32xf32, strided<[32, 1]>, #npu.space<vbuf>>, memref<8x32xf32, strided<[64, 1]>, #npu.space<vbuf>>
// CHECK:       npu.vbin "add" {{.*}} : memref<8x32xf32, strided<[32, 1]>, #npu.space<vbuf>>, memref<8x32xf32, strided<[32, 1]>, #npu.space<acc>>, memref<8x32xf32, strided<[64, 1], offset: 32>, #npu.space<vbuf>>
// CHECK:       npu.vtrans {{.*}} : memref<16x32xf32, strided<[32, 1]>, #npu.space<vbuf>> to memref<32x16xf32, strided<[16, 1]>, #npu.space<vbuf>>
// CHECK:       npu.dma_store {{.*}} {relu} : memref<32x16xf32, strided<[16, 1]>, #npu.space<vbuf>> to memref<32x16xf32, strided<[16, 1]>, #npu.space<dram>>

// The whole pipeline encodes it (15 products).
// BINARY-COUNT-15: mma.bf16
// BINARY-NOT: mma.bf16
func.func @main(%x: tensor<1x64x8x8xf32>) -> tensor<1x32x4x4xf32> {
  %w = graph.constant dense<0.5> : tensor<32x64x3x3xf32>
  %b = graph.constant dense<0.25> : tensor<32xf32>
  %y = graph.conv2d %x, %w, %b {pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>, snpu.conv_algorithm = "winograd"} : (tensor<1x64x8x8xf32>, tensor<32x64x3x3xf32>, tensor<32xf32>) -> tensor<1x32x4x4xf32>
  %r = graph.relu %y : tensor<1x32x4x4xf32>
  return %r : tensor<1x32x4x4xf32>
}
