// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-server --sinan-convert-graph-to-npu --mlir-elide-elementsattrs-if-larger=16 | FileCheck %s
// RUN: sinan-opt %s --sinan-snpu-pipeline=target=snpu-server | sinan-translate --isa-to-snpu-kernel -o %t.snk
// RUN: sinan-objdump %t.snk | FileCheck %s --check-prefix=BINARY

// A stride-1 convolution whose input fits on chip runs on the grid tiler
// (ConvGrid.cpp). Three cores take 16 of the 48 output channels each, so
// each stages the whole input: the 17 channels (padded to a chunk of 32,
// the extra rows zeroed) load as one run per channel into vbuf as bf16, the
// vector unit transposes them into pixel rows of 32 channels, and DMA-in
// moves the 14 image rows into ibuf 15 positions apart, each with the zero
// position after it (the move's padding). Two fills zero the rest: the
// lead and the padding row before the image rows, the padding row and tail
// after them. Each tap's left
// operand is then a 224-position view of that grid at the tap's offset: no
// copy per tap (one block of all 14 rows here). The weights are [c0 x f0]
// tiles, resident in wbuf; the first chunk's come in right after its
// input, the bias row after the move (a DMA engine's signal waits for
// every transfer issued before it).
// CHECK:       memref.global "private" constant @conv_kernel_weights : memref<864x16xbf16, #npu.space<dram>>
// CHECK-LABEL: func.func @conv_kernel
// CHECK-SAME:    npu.blocks = array<i64: 16, 32, 224>
// CHECK-SAME:    npu.cores = 3
// CHECK-SAME:    npu.plan = "grid c0=32 f0=16 rows=14 m=224 chunks=1 cores=3 split=channels weights=resident depth=2 accs=2 bands=1 staging=1 ahead=1 interleave=0 grids=1 pairs=0 outs=1 segments=1 cross=0 estimate={{[0-9]+}}"
// CHECK:         npu.fill %{{.*}} : memref<15x196xbf16, strided<[224, 1], offset: 3808>, #npu.space<vbuf>>
// CHECK:         npu.dma_load %{{.*}}, %{{.*}} : memref<17x196xf32, strided<[196, 1]>, #npu.space<dram>> to memref<17x196xbf16, strided<[224, 1]>, #npu.space<vbuf>>
// CHECK:         npu.dma_load %{{.*}}, %{{.*}} : memref<288x16xbf16, strided<[16, 1], offset: ?>, #npu.space<dram>> to memref<288x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>
// CHECK:         npu.vtrans %{{.*}}, %{{.*}} : memref<32x196xbf16, strided<[224, 1]>, #npu.space<vbuf>> to memref<196x32xbf16, strided<[32, 1], offset: 7168>, #npu.space<vbuf>>
// CHECK:         npu.fill %{{.*}} : memref<512xbf16, strided<[1]>, #npu.space<ibuf>>
// CHECK-NEXT:    memref.reinterpret_cast
// CHECK-NEXT:    npu.fill %{{.*}} : memref<960xbf16, strided<[1], offset: 7232>, #npu.space<ibuf>>
// CHECK-NEXT:    memref.reinterpret_cast
// CHECK-NEXT:    memref.reinterpret_cast
// CHECK-NEXT:    npu.dma_move %{{.*}}, %{{.*}} {padding = array<i64: 0, 32>} : memref<14x448xbf16, strided<[448, 1], offset: 7168>, #npu.space<vbuf>> to memref<14x480xbf16, strided<[480, 1], offset: 512>, #npu.space<ibuf>>
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

// A stride-2 convolution is a stride-1 one over the input's four phases (a
// grid each, 15 positions apart per row). Across an even width the
// transposes split each channel's pixel pairs into the column phases (pairs
// as one unit, then the two halves apart), so a phase's image row is one
// run, moved with the zero after it; the four phases' grids are an affine
// 2x2 of offsets, so one 4-D move writes them all. What no move writes:
// the first grid's lead and padding row, each grid's last row and the next
// one's lead (one strided fill), the last grid's tail.
// CHECK-LABEL: func.func @strided_kernel
// CHECK-SAME:    npu.blocks = array<i64: 16, 32, 224>
// CHECK:         npu.vtrans %{{.*}}, %{{.*}} {group = 2 : i64} : memref<32x784xbf16, strided<[800, 1]>, #npu.space<vbuf>> to memref<392x64xbf16, strided<[64, 1], offset: 25600>, #npu.space<vbuf>>
// CHECK-NEXT:    memref.reinterpret_cast
// CHECK-NEXT:    memref.reinterpret_cast
// CHECK-NEXT:    npu.vtrans %{{.*}}, %{{.*}} : memref<12544x2xbf16, strided<[2, 1], offset: 25600>, #npu.space<vbuf>> to memref<2x12544xbf16, strided<[12544, 1]>, #npu.space<vbuf>>
// CHECK:         npu.fill %{{.*}} : memref<512xbf16, strided<[1]>, #npu.space<ibuf>>
// CHECK-NEXT:    memref.reinterpret_cast
// CHECK-NEXT:    npu.fill %{{.*}} : memref<3x960xbf16, strided<[7680, 1], offset: 7232>, #npu.space<ibuf>>
// CHECK-NEXT:    memref.reinterpret_cast
// CHECK-NEXT:    npu.fill %{{.*}} : memref<448xbf16, strided<[1], offset: 30272>, #npu.space<ibuf>>
// CHECK-NEXT:    memref.reinterpret_cast
// CHECK-NEXT:    memref.reinterpret_cast
// CHECK-NEXT:    npu.dma_move %{{.*}}, %{{.*}} {padding = array<i64: 0, 32>} : memref<2x2x14x448xbf16, strided<[448, 12544, 896, 1]>, #npu.space<vbuf>> to memref<2x2x14x480xbf16, strided<[15360, 7680, 480, 1], offset: 512>, #npu.space<ibuf>>
// CHECK-NOT:     npu.dma_move
// CHECK:         npu.fill
func.func @strided(%x: tensor<1x64x28x28xf32>) -> tensor<1x64x14x14xf32> {
  %w = graph.constant dense<0.25> : tensor<64x64x3x3xf32>
  %y = graph.conv2d %x, %w {pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x64x28x28xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x14x14xf32> loc("strided")
  return %y : tensor<1x64x14x14xf32>
}

// Across an odd width the phases' pixels stay interleaved: moved a pixel
// per DMA row, phases (0, 0), (0, 1), (1, 0), (1, 1). The zeros are ranges
// that no move writes, merged where they touch (the tail of one phase's
// grid and the lead and padding row of the next; equal ones as one strided
// fill), and each phase's gap after its rows as one strided fill.
// CHECK-LABEL: func.func @strided_odd_kernel
// CHECK-SAME:    npu.blocks = array<i64: 16, 64, 224>
// CHECK:         npu.vtrans %{{.*}}, %{{.*}} : memref<64x729xbf16, strided<[736, 1]>, #npu.space<vbuf>> to memref<729x64xbf16, strided<[64, 1], offset: 47104>, #npu.space<vbuf>>
// CHECK:         npu.fill %{{.*}} : memref<1024xbf16, strided<[1]>, #npu.space<ibuf>>
// CHECK-NEXT:    memref.reinterpret_cast
// CHECK-NEXT:    npu.fill %{{.*}} : memref<2x1920xbf16, strided<[15360, 1], offset: 14464>, #npu.space<ibuf>>
// CHECK-NEXT:    memref.reinterpret_cast
// CHECK-NEXT:    npu.fill %{{.*}} : memref<2880xbf16, strided<[1], offset: 44224>, #npu.space<ibuf>>
// CHECK-NEXT:    memref.reinterpret_cast
// CHECK-NEXT:    npu.fill %{{.*}} : memref<1856xbf16, strided<[1], offset: 59584>, #npu.space<ibuf>>
// CHECK-NEXT:    memref.reinterpret_cast
// CHECK-NEXT:    npu.fill %{{.*}} : memref<15x64xbf16, strided<[960, 1], offset: 960>, #npu.space<ibuf>>
// CHECK:         npu.dma_move %{{.*}}, %{{.*}} : memref<14x14x64xbf16, strided<[3456, 128, 1], offset: {{[0-9]+}}>, #npu.space<vbuf>> to memref<14x14x64xbf16, strided<[960, 64, 1], offset: 1024>, #npu.space<ibuf>>
// CHECK-NEXT:    memref.reinterpret_cast
// CHECK-NEXT:    memref.reinterpret_cast
// CHECK-NEXT:    npu.dma_move %{{.*}}, %{{.*}} : memref<14x13x64xbf16, strided<[3456, 128, 1], offset: {{[0-9]+}}>, #npu.space<vbuf>> to memref<14x13x64xbf16, strided<[960, 64, 1], offset: 16384>, #npu.space<ibuf>>
func.func @strided_odd(%x: tensor<1x64x27x27xf32>) -> tensor<1x64x14x14xf32> {
  %w = graph.constant dense<0.25> : tensor<64x64x3x3xf32>
  %y = graph.conv2d %x, %w {pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x64x27x27xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x14x14xf32> loc("strided_odd")
  return %y : tensor<1x64x14x14xf32>
}
