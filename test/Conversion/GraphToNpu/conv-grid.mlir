// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-server --sinan-convert-graph-to-npu --mlir-elide-elementsattrs-if-larger=16 | FileCheck %s
// RUN: sinan-opt %s --sinan-snpu-pipeline=target=snpu-server | sinan-translate --isa-to-snpu-kernel -o %t.snk
// RUN: sinan-objdump %t.snk | FileCheck %s --check-prefix=BINARY

// A stride-1 convolution whose input fits on chip runs on the grid tiler
// (ConvGrid.cpp). Three cores take 16 of the 48 output channels each, so
// each stages the whole input: the 17 channels (padded to a chunk of 32,
// the extra rows zeroed) load as one run per channel into vbuf as bf16, the
// vector unit transposes them into pixel rows of 32 channels, and DMA-in
// moves the 14 image rows into ibuf 15 positions apart (one zero position
// between rows, zeroed with the padding rows beforehand). Each tap's left
// operand is then a 224-position view of that grid at the tap's offset: no
// copy per tap (one block of all 14 rows here). The weights are [c0 x f0]
// tiles, resident in wbuf; the first chunk's come in right after its
// input, the bias row after the move (a DMA engine's signal waits for
// every transfer issued before it).
// CHECK:       memref.global "private" constant @conv_kernel_weights : memref<864x16xbf16, #npu.space<dram>>
// CHECK-LABEL: func.func @conv_kernel
// CHECK-SAME:    npu.blocks = array<i64: 16, 32, 224>
// CHECK-SAME:    npu.cores = 3
// CHECK:         npu.fill %{{.*}} : memref<15x196xbf16, strided<[224, 1], offset: 3808>, #npu.space<vbuf>>
// CHECK:         npu.dma_load %{{.*}}, %{{.*}} : memref<17x196xf32, strided<[196, 1]>, #npu.space<dram>> to memref<17x196xbf16, strided<[224, 1]>, #npu.space<vbuf>>
// CHECK:         npu.dma_load %{{.*}}, %{{.*}} : memref<288x16xbf16, strided<[16, 1], offset: ?>, #npu.space<dram>> to memref<288x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>
// CHECK:         npu.vtrans %{{.*}}, %{{.*}} : memref<32x196xbf16, strided<[224, 1]>, #npu.space<vbuf>> to memref<196x32xbf16, strided<[32, 1], offset: 7168>, #npu.space<vbuf>>
// CHECK:         npu.fill %{{.*}} : memref<16x32xbf16, strided<[480, 1], offset: 480>, #npu.space<ibuf>>
// CHECK:         npu.dma_move %{{.*}}, %{{.*}} : memref<14x448xbf16, strided<[448, 1], offset: 7168>, #npu.space<vbuf>> to memref<14x448xbf16, strided<[480, 1], offset: 512>, #npu.space<ibuf>>
// CHECK:         npu.dma_load %{{.*}}, %{{.*}} : memref<14x16xf32, strided<[0, 1], offset: ?>, #npu.space<dram>> to memref<14x16xf32, strided<[16, 1]>, #npu.space<vbuf>>
// The first product starts the sum; the other eight taps accumulate.
// CHECK:         npu.mma %{{.*}}, %{{.*}}, %{{.*}} : memref<224x32xbf16, strided<[32, 1], offset: ?>, #npu.space<ibuf>>, memref<32x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>, memref<224x16xf32, strided<[16, 1]>, #npu.space<acc>>
// CHECK-COUNT-8: npu.mma {{.*}} {accumulate}
// The epilogue: the gap positions dropped while the bias row is added,
// then [pixels x channels] -> [channels x pixels] and the store.
// CHECK:         npu.vbin "add" %{{.*}}, %{{.*}}, %{{.*}} : memref<14x224xf32, strided<[240, 1]>, #npu.space<acc>>, memref<14x224xf32, strided<[0, 1]>, #npu.space<vbuf>>, memref<14x224xf32, strided<[224, 1]>, #npu.space<vbuf>>
// CHECK:         npu.vtrans %{{.*}}, %{{.*}} : memref<196x16xf32, strided<[16, 1]>, #npu.space<vbuf>> to memref<16x196xf32, strided<[208, 1]>, #npu.space<vbuf>>
// CHECK:         npu.dma_store %{{.*}}, %{{.*}} : memref<16x196xf32, strided<[208, 1]>, #npu.space<vbuf>> to memref<16x196xf32, strided<[196, 1], offset: ?>, #npu.space<dram>>

// BINARY: vtrans.bf16
// BINARY: dmove.bf16 ibuf
// BINARY: mma.bf16
// BINARY: vtrans.f32
func.func @main(%x: tensor<1x17x14x14xf32>, %b: tensor<48xf32>) -> tensor<1x48x14x14xf32> {
  %w = graph.constant dense<0.25> : tensor<48x17x3x3xf32>
  %y = graph.conv2d %x, %w, %b {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x17x14x14xf32>, tensor<48x17x3x3xf32>, tensor<48xf32>) -> tensor<1x48x14x14xf32> loc("conv")
  return %y : tensor<1x48x14x14xf32>
}
