// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-server --sinan-convert-graph-to-npu --mlir-elide-elementsattrs-if-larger=16 | FileCheck %s
// RUN: sinan-opt %s --sinan-snpu-pipeline=target=snpu-server | sinan-translate --isa-to-snpu-kernel -o %t.snk
// RUN: sinan-objdump %t.snk | FileCheck %s --check-prefix=BINARY

// A 3x3 convolution of stride 1 pinned to the Winograd tiler
// (ConvWinograd.cpp, snpu.conv_algorithm = "winograd"): F(2,3) along each
// kernel row. The 5-wide image makes three tiles a row (the last one's
// second output dropped), so each point's grid holds 8 rows (the padding
// rows included) of 3 positions, 64 channels each, and a block of the 6
// output rows is 18 positions, 32 rounded to the matrix tile. The weights
// are packed [block][chunk][point][row][c0][f0]: 12 tiles of [64 x 32].
// CHECK:       memref.global "private" constant @conv2d_kernel_weights : memref<768x32xbf16, #npu.space<dram>>
// CHECK-LABEL: func.func @conv2d_kernel
// CHECK-SAME:    npu.blocks = array<i64: 32, 64, 32>
// CHECK-SAME:    npu.plan = "winograd c0=64 f0=32 cores=1
// Four accumulators, one per point.
// CHECK-COUNT-4: memref.alloc() : memref<32x32xf32, strided<[32, 1]>, #npu.space<acc>>
// The chunk's channels as one DMA row; the bordered image's zeros: the
// first row and the first row's left column, the gaps between rows (the
// right padding of one and the left of the next), the rest.
// CHECK:       npu.dma_load {{.*}} : memref<1920xf32, strided<[1]>, #npu.space<dram>> to memref<1920xbf16, strided<[1]>, #npu.space<vbuf>>
// CHECK:       npu.fill {{.*}} : memref<576xbf16, strided<[1]>, #npu.space<vbuf>>
// CHECK:       npu.fill {{.*}} : memref<5x192xbf16, strided<[512, 1], offset: 896>, #npu.space<vbuf>>
// CHECK:       npu.fill {{.*}} : memref<768xbf16, strided<[1], offset: 3456>, #npu.space<vbuf>>
// The channel rows (30 pixels apart) into pixel rows, copied inside the
// border (image rows 8 columns apart), then the four points d0 - d2,
// d1 + d2, d2 - d1, d1 - d3 over every (row, tile): pixel rows two apart.
// CHECK:       npu.vtrans {{.*}} : memref<64x30xbf16, strided<[30, 1]>, #npu.space<vbuf>> to memref<30x64xbf16, strided<[64, 1]>, #npu.space<vbuf>>
// CHECK:       npu.vscal "mul" {{.*}}, 1.000000e+00 : f32, {{.*}} : memref<6x320xbf16, strided<[320, 1]>, #npu.space<vbuf>>, memref<6x320xbf16, strided<[512, 1], offset: 576>, #npu.space<vbuf>>
// CHECK:       npu.vbin "sub" {{.*}} : memref<32x64xbf16, strided<[128, 1]>, #npu.space<vbuf>>, memref<32x64xbf16, strided<[128, 1], offset: 128>, #npu.space<vbuf>>, memref<32x64xbf16, strided<[64, 1]>, #npu.space<vbuf>>
// CHECK:       npu.vbin "add" {{.*}} : memref<32x64xbf16, strided<[128, 1], offset: 64>, #npu.space<vbuf>>, memref<32x64xbf16, strided<[128, 1], offset: 128>, #npu.space<vbuf>>, memref<32x64xbf16, strided<[64, 1], offset: 2048>, #npu.space<vbuf>>
// CHECK:       npu.vbin "sub" {{.*}} : memref<32x64xbf16, strided<[128, 1], offset: 128>, #npu.space<vbuf>>, memref<32x64xbf16, strided<[128, 1], offset: 64>, #npu.space<vbuf>>, memref<32x64xbf16, strided<[64, 1], offset: 4096>, #npu.space<vbuf>>
// CHECK:       npu.vbin "sub" {{.*}} : memref<32x64xbf16, strided<[128, 1], offset: 64>, #npu.space<vbuf>>, memref<32x64xbf16, strided<[128, 1], offset: 192>, #npu.space<vbuf>>, memref<32x64xbf16, strided<[64, 1], offset: 6144>, #npu.space<vbuf>>
// One move of the four points into ibuf, 3 of each row's 4 positions.
// CHECK:       npu.dma_move {{.*}} : memref<4x8x192xbf16, strided<[2048, 256, 1]>, #npu.space<vbuf>> to memref<4x8x192xbf16, strided<[1536, 192, 1]>, #npu.space<ibuf>>
// Per point, the first kernel row's product starts the sum, the next rows'
// views 3 positions (192 elements) on accumulate.
// CHECK:       npu.mma {{.*}} : memref<32x64xbf16, strided<[64, 1]>, #npu.space<ibuf>>, memref<64x32xbf16, strided<[32, 1]>, #npu.space<wbuf>>, memref<32x32xf32, strided<[32, 1]>, #npu.space<acc>>
// CHECK:       npu.mma {{.*}} {accumulate} : memref<32x64xbf16, strided<[64, 1], offset: 192>, #npu.space<ibuf>>
// CHECK:       npu.mma {{.*}} {accumulate} : memref<32x64xbf16, strided<[64, 1], offset: 384>, #npu.space<ibuf>>
// CHECK:       npu.mma {{.*}} : memref<32x64xbf16, strided<[64, 1], offset: 1536>, #npu.space<ibuf>>
// CHECK-COUNT-8: npu.mma
// The epilogue: the bias (a stride-0 row) into m1, then per image row the
// even outputs (m0 + m1) + m2 and the odd ones (m1 - m2) - m3, two pixel
// rows apart; the transpose to channel rows; the store with the relu.
// CHECK:       npu.vbin "add" {{.*}} : memref<18x32xf32, strided<[32, 1]>, #npu.space<acc>>, memref<18x32xf32, strided<[0, 1]>, #npu.space<vbuf>>, memref<18x32xf32, strided<[32, 1]>, #npu.space<vbuf>>
// CHECK:       npu.vbin "add" {{.*}} : memref<3x32xf32, strided<[32, 1]>, #npu.space<acc>>, memref<3x32xf32, strided<[32, 1]>, #npu.space<vbuf>>, memref<3x32xf32, strided<[64, 1]>, #npu.space<vbuf>>
// CHECK-COUNT-5: npu.vbin "add"
// CHECK:       npu.vbin "add" {{.*}} : memref<3x32xf32, strided<[64, 1]>, #npu.space<vbuf>>, memref<3x32xf32, strided<[32, 1]>, #npu.space<acc>>, memref<3x32xf32, strided<[64, 1]>, #npu.space<vbuf>>
// CHECK:       npu.vbin "sub" {{.*}} : memref<2x32xf32, strided<[32, 1]>, #npu.space<vbuf>>, memref<2x32xf32, strided<[32, 1]>, #npu.space<acc>>, memref<2x32xf32, strided<[64, 1], offset: 32>, #npu.space<vbuf>>
// CHECK:       npu.vbin "sub" {{.*}} : memref<2x32xf32, strided<[64, 1], offset: 832>, #npu.space<vbuf>>, memref<2x32xf32, strided<[32, 1], offset: 480>, #npu.space<acc>>, memref<2x32xf32, strided<[64, 1], offset: 832>, #npu.space<vbuf>>
// CHECK:       npu.vtrans {{.*}} : memref<30x32xf32, strided<[32, 1]>, #npu.space<vbuf>> to memref<32x30xf32, strided<[32, 1]>, #npu.space<vbuf>>
// CHECK:       npu.dma_store {{.*}} {relu} : memref<32x30xf32, strided<[32, 1]>, #npu.space<vbuf>> to memref<32x30xf32, strided<[30, 1]>, #npu.space<dram>>

// The whole pipeline encodes it (12 products; loops none, all unrolled).
// BINARY-COUNT-12: mma.bf16
func.func @main(%x: tensor<1x64x6x5xf32>) -> tensor<1x32x6x5xf32> {
  %w = graph.constant dense<0.5> : tensor<32x64x3x3xf32>
  %b = graph.constant dense<0.25> : tensor<32xf32>
  %y = graph.conv2d %x, %w, %b {pads = array<i64: 1, 1, 1, 1>, snpu.conv_algorithm = "winograd"} : (tensor<1x64x6x5xf32>, tensor<32x64x3x3xf32>, tensor<32xf32>) -> tensor<1x32x6x5xf32>
  %r = graph.relu %y : tensor<1x32x6x5xf32>
  return %r : tensor<1x32x6x5xf32>
}
