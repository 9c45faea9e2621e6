// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-server --sinan-convert-graph-to-npu --mlir-elide-elementsattrs-if-larger=16 | FileCheck %s
// RUN: sinan-opt %s --sinan-snpu-pipeline=target=snpu-server | sinan-translate --isa-to-snpu-kernel -o %t.snk
// RUN: sinan-objdump %t.snk | FileCheck %s --check-prefix=BINARY
// RUN: sinan-opt %s --sinan-snpu-pipeline=target=snpu-edge --mlir-elide-elementsattrs-if-larger=16 | FileCheck %s --check-prefix=EDGE

// A depthwise convolution runs on the vector unit in f32
// (DepthwiseToNpu.cpp). Its weights are packed tap-major, f32. A unit is a
// block of channels by a band of output rows; here 2 channels by all 37
// rows, two cores (a channel plane of 37x35 elements starts on a granule
// only every 16 channels, and cores must not share one). Per unit, DMA-in
// fills one vbuf buffer: a plane per kernel column (the input each of its
// taps reads at every output position, rows 48 apart, the padding written
// as zeros), then the weights and the bias. The vector unit multiplies the
// first tap, multiply-adds the other eight (the weight of each channel a
// per-repeat scalar: innermost stride 0), adds the bias, and DMA-out
// stores the 35 columns of each row.
// CHECK:       memref.global "private" constant @dw_kernel_weights : memref<9x24xf32, #npu.space<dram>>
// CHECK-LABEL: func.func @dw_kernel
// CHECK-SAME:    npu.blocks = array<i64: 2, 37, 48>
// CHECK-SAME:    npu.cores = 2
// CHECK-SAME:    npu.plan = "vector form=planes ct=2 rows=37 pitch=48 cores=2 estimate={{[0-9]+}}"
// CHECK:         scf.for
// CHECK:         npu.dma_load %{{.*}}, %{{.*}} {padding = array<i64: 1, 1, 1, 0>} : memref<2x37x34xf32, strided<[1295, 35, 1], offset: ?>, #npu.space<dram>> to memref<2x39x35xf32, strided<[1872, 48, 1]>, #npu.space<vbuf>>
// CHECK:         npu.dma_load %{{.*}}, %{{.*}} {padding = array<i64: 1, 1, 0, 0>} : memref<2x37x35xf32, strided<[1295, 35, 1], offset: ?>, #npu.space<dram>> to memref<2x39x35xf32, strided<[1872, 48, 1], offset: 3744>, #npu.space<vbuf>>
// CHECK:         npu.dma_load %{{.*}}, %{{.*}} {padding = array<i64: 1, 1, 0, 1>} : memref<2x37x34xf32, strided<[1295, 35, 1], offset: ?>, #npu.space<dram>> to memref<2x39x35xf32, strided<[1872, 48, 1], offset: 7488>, #npu.space<vbuf>>
// CHECK:         npu.dma_load %{{.*}}, %{{.*}} : memref<9x2xf32, strided<[24, 1], offset: ?>, #npu.space<dram>> to memref<9x2xf32, strided<[16, 1], offset: 11232>, #npu.space<vbuf>>
// CHECK:         npu.dma_load %{{.*}}, %{{.*}} : memref<1x2xf32, strided<[1, 1], offset: ?>, #npu.space<dram>> to memref<1x2xf32, strided<[16, 1], offset: 11376>, #npu.space<vbuf>>
// CHECK:         npu.vbin "mul" %{{.*}}, %{{.*}}, %{{.*}} : memref<2x1776xf32, strided<[1872, 1]>, #npu.space<vbuf>>, memref<2x1776xf32, strided<[1, 0], offset: 11232>, #npu.space<vbuf>>, memref<2x1776xf32, strided<[1776, 1]>, #npu.space<vbuf>>
// CHECK-COUNT-8: npu.vfma
// CHECK:         npu.vbin "add" %{{.*}}, %{{.*}}, %{{.*}} : memref<2x1776xf32, strided<[1776, 1]>, #npu.space<vbuf>>, memref<2x1776xf32, strided<[1, 0], offset: 11376>, #npu.space<vbuf>>, memref<2x1776xf32, strided<[1776, 1]>, #npu.space<vbuf>>
// CHECK:         npu.dma_store %{{.*}}, %{{.*}} : memref<2x37x35xf32, strided<[1776, 48, 1]>, #npu.space<vbuf>> to memref<2x37x35xf32, strided<[1295, 35, 1], offset: ?>, #npu.space<dram>>
// BINARY:        vbin.mul.f32.bcast
// BINARY-COUNT-8: vfma.f32.bcast
// BINARY:        vbin.add.f32.bcast
func.func @main(%x: tensor<1x24x37x35xf32>, %b: tensor<24xf32>) -> tensor<1x24x37x35xf32> {
  %w = graph.constant dense<0.25> : tensor<24x1x3x3xf32>
  %y = graph.conv2d %x, %w, %b {pads = array<i64: 1, 1, 1, 1>, group = 24 : i64, snpu.narrow_groups = "vector"} : (tensor<1x24x37x35xf32>, tensor<24x1x3x3xf32>, tensor<24xf32>) -> tensor<1x24x37x35xf32> loc("dw")
  return %y : tensor<1x24x37x35xf32>
}

// Stride 2: the DMA gathers every other column (innermost source stride 2)
// and row (a phase's rows 56 apart), a plane per row phase and kernel
// column: the even rows' planes hold a row more (kernel rows 0 and 2 read
// them one row apart). No bias; the relu is the store's.
// CHECK-LABEL: func.func @strided_kernel
// CHECK-SAME:    npu.cores = 4
// CHECK:         npu.dma_load %{{.*}}, %{{.*}} {padding = array<i64: 1, 0, 1, 0>} : memref<4x14x13xf32, strided<[784, 56, 2], offset: ?>, #npu.space<dram>> to memref<4x15x14xf32, strided<[240, 16, 1]>, #npu.space<vbuf>>
// CHECK-COUNT-2: npu.dma_load %{{.*}}, %{{.*}} {padding = array<i64: 1, 0, 0, 0>} : memref<4x14x14xf32, strided<[784, 56, 2], offset: ?>, #npu.space<dram>> to memref<4x15x14xf32
// CHECK:         npu.dma_load %{{.*}}, %{{.*}} {padding = array<i64: 0, 0, 1, 0>} : memref<4x14x13xf32, strided<[784, 56, 2], offset: ?>, #npu.space<dram>> to memref<4x14x14xf32
// CHECK-COUNT-2: npu.dma_load %{{.*}}, %{{.*}} : memref<4x14x14xf32, strided<[784, 56, 2], offset: ?>, #npu.space<dram>> to memref<4x14x14xf32
// CHECK:         npu.dma_load %{{.*}}, %{{.*}} : memref<9x4xf32
// CHECK-NEXT:    memref.reinterpret_cast
// CHECK-NEXT:    memref.reinterpret_cast
// CHECK-NEXT:    memref.reinterpret_cast
// CHECK-NEXT:    npu.vbin "mul"
// CHECK-COUNT-8: npu.vfma
// CHECK-NOT:     npu.vbin
// CHECK:         npu.dma_store {{.*}} {relu}
func.func @strided(%x: tensor<1x32x28x28xf32>) -> tensor<1x32x14x14xf32> {
  %w = graph.constant dense<0.5> : tensor<32x1x3x3xf32>
  %y = graph.conv2d %x, %w {pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>, group = 32 : i64, snpu.narrow_groups = "vector"} : (tensor<1x32x28x28xf32>, tensor<32x1x3x3xf32>) -> tensor<1x32x14x14xf32> loc("strided")
  %r = graph.relu %y : tensor<1x32x14x14xf32>
  return %r : tensor<1x32x14x14xf32>
}

// Found by differential testing (sinan-difftest, seed 141): 65 images of a
// 5x5 depthwise convolution on snpu-edge are runs of units repeated in an
// outer loop; each unit reads seven offsets, which once held a register
// each for the whole unit and ran the 31 registers out. Offsets are now
// computed where they are used.
// EDGE-LABEL: isa.kernel @many_images_kernel
// EDGE-COUNT-25: isa.vfma
func.func @many_images(%x: tensor<65x63x1x16xf32>) -> tensor<65x63x1x16xf32> {
  %w = graph.constant dense<0.125> : tensor<63x1x5x5xf32>
  %y = graph.conv2d %x, %w {pads = array<i64: 2, 2, 2, 2>, group = 63 : i64, snpu.narrow_groups = "vector"} : (tensor<65x63x1x16xf32>, tensor<63x1x5x5xf32>) -> tensor<65x63x1x16xf32> loc("many_images")
  return %y : tensor<65x63x1x16xf32>
}

// Groups of 4 input and 2 output channels (narrower than the matrix tile)
// run on the vector unit too: a unit holds a block of groups; its weights
// are a row over the groups per output of a group, input channel and tap
// (2 x 4 x 9 = 72 rows) and its bias a row per output of a group, gathered
// every second channel. Each output j of a group is a view of every
// second result row (one repeat per group); each of its 36 products reads
// the plane of one input channel of every group (every fourth channel).
// CHECK:       memref.global "private" constant @narrow_kernel_weights : memref<72x8xf32, #npu.space<dram>>
// CHECK-LABEL: func.func @narrow_kernel
// CHECK:         npu.dma_load %{{.*}}, %{{.*}} : memref<72x[[G:[0-9]+]]xf32, strided<[8, 1]{{.*}}>, #npu.space<dram>> to memref<72x[[G]]xf32, strided<[16, 1], offset: {{[0-9]+}}>, #npu.space<vbuf>>
// CHECK:         npu.dma_load %{{.*}}, %{{.*}} : memref<2x[[G]]xf32, strided<[1, 2]{{.*}}>, #npu.space<dram>> to memref<2x[[G]]xf32, strided<[16, 1], offset: {{[0-9]+}}>, #npu.space<vbuf>>
// CHECK:         npu.vbin "mul" %{{.*}}, %{{.*}}, %{{.*}} : memref<[[G]]x[[LEN:[0-9]+]]xf32, strided<[{{[0-9]+}}, 1]{{.*}}>, #npu.space<vbuf>>, memref<[[G]]x[[LEN]]xf32, strided<[1, 0], offset: {{[0-9]+}}>, #npu.space<vbuf>>, memref<[[G]]x[[LEN]]xf32, strided<[{{[0-9]+}}, 1]{{.*}}>, #npu.space<vbuf>>
// CHECK-COUNT-35: npu.vfma
// CHECK:         npu.vbin "add"
// CHECK:         npu.vbin "mul"
// CHECK-COUNT-35: npu.vfma
func.func @narrow(%x: tensor<1x32x12x12xf32>, %b: tensor<16xf32>) -> tensor<1x16x12x12xf32> {
  %w = graph.constant dense<0.125> : tensor<16x4x3x3xf32>
  %y = graph.conv2d %x, %w, %b {pads = array<i64: 1, 1, 1, 1>, group = 8 : i64, snpu.narrow_groups = "vector"} : (tensor<1x32x12x12xf32>, tensor<16x4x3x3xf32>, tensor<16xf32>) -> tensor<1x16x12x12xf32> loc("narrow")
  return %y : tensor<1x16x12x12xf32>
}

// Groups of 8 input and 8 output channels (RegNet's): 8 x 72 products a
// unit would be 576 unrolled vector ops, so the outputs of a group are a
// loop (not multi-buffered: its buffers are the unit's). Each iteration
// views its sum and its 72 weight rows once; every product takes a static
// part of them.
// CHECK-LABEL: func.func @looped_kernel
// CHECK:         scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step
// CHECK:           %[[ROWS:.*]] = memref.reinterpret_cast %{{.*}} to offset: [%{{.*}}], sizes: [72, {{[0-9]+}}, {{[0-9]+}}], strides: [16, 1, 0]
// CHECK:           %[[W0:.*]] = memref.subview %[[ROWS]][0, 0, 0]
// CHECK:           npu.vbin "mul" %{{.*}}, %[[W0]], %{{.*}}
// CHECK:           %[[W71:.*]] = memref.subview %[[ROWS]][71, 0, 0]
// CHECK-NEXT:      npu.vfma %{{.*}}, %[[W71]], %{{.*}}
// CHECK:           npu.vbin "add"
// CHECK-NEXT:    } {npu.buffered}
func.func @looped(%x: tensor<1x16x10x10xf32>, %b: tensor<16xf32>) -> tensor<1x16x10x10xf32> {
  %w = graph.constant dense<0.125> : tensor<16x8x3x3xf32>
  %y = graph.conv2d %x, %w, %b {pads = array<i64: 1, 1, 1, 1>, group = 2 : i64, snpu.narrow_groups = "vector"} : (tensor<1x16x10x10xf32>, tensor<16x8x3x3xf32>, tensor<16xf32>) -> tensor<1x16x10x10xf32> loc("looped")
  return %y : tensor<1x16x10x10xf32>
}

// Max pooling of a small image takes the separable form (MaxPoolRows.cpp):
// the unit's 16 channels of 15 input rows load as they are (rows padded to
// 16 floats, 16 rows a channel), turn into 15 rows of 256 (one per input
// column), the row pass takes the maximum of columns 2q, 2q + 1, 2q + 2 (rows
// of that buffer 512 floats apart), turns back into 256 rows of 7, and the
// column pass takes rows 2j, 2j + 1, 2j + 2 of each channel (8 output rows
// a channel, the 8th computed and not stored).
// CHECK-LABEL: func.func @pool_kernel
// CHECK-SAME:    npu.plan = "vector form=rows ct=16 rows=7
// CHECK-NOT:     npu.vfma
// CHECK:         npu.dma_load %{{.*}}, %{{.*}} : memref<16x15x15xf32, strided<[225, 15, 1]>, #npu.space<dram>> to memref<16x15x15xf32, strided<[256, 16, 1]>, #npu.space<vbuf>>
// CHECK:         npu.vtrans %{{.*}}, %{{.*}} : memref<256x15xf32, strided<[16, 1]>, #npu.space<vbuf>> to memref<15x256xf32, strided<[256, 1]>, #npu.space<vbuf>>
// CHECK:         npu.vbin "max" %{{.*}}, %{{.*}}, %[[H:[^ ]*]] : memref<7x256xf32, strided<[512, 1]>, #npu.space<vbuf>>, memref<7x256xf32, strided<[512, 1], offset: 256>, #npu.space<vbuf>>
// CHECK:         npu.vbin "max" %[[H]], %{{.*}}, %[[H]] : {{.*}}, memref<7x256xf32, strided<[512, 1], offset: 512>, #npu.space<vbuf>>
// CHECK:         npu.vtrans %[[H]], %{{.*}} : memref<7x256xf32, strided<[256, 1]>, #npu.space<vbuf>> to memref<256x7xf32, strided<[16, 1]>, #npu.space<vbuf>>
// CHECK:         npu.vbin "max" %{{.*}}, %{{.*}}, %[[O:[^ ]*]] : memref<128x7xf32, strided<[32, 1]>, #npu.space<vbuf>>, memref<128x7xf32, strided<[32, 1], offset: 16>, #npu.space<vbuf>>
// CHECK:         npu.vbin "max" %[[O]], %{{.*}}, %[[O]] : {{.*}}, memref<128x7xf32, strided<[32, 1], offset: 32>, #npu.space<vbuf>>
// CHECK:         npu.dma_store %{{.*}}, %{{.*}} : memref<16x7x7xf32, strided<[128, 16, 1]>, #npu.space<vbuf>> to memref<16x7x7xf32, strided<[49, 7, 1]>, #npu.space<dram>>
func.func @pooled(%x: tensor<1x16x15x15xf32>) -> tensor<1x16x7x7xf32> {
  %y = graph.max_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>} : (tensor<1x16x15x15xf32>) -> tensor<1x16x7x7xf32> loc("pool")
  return %y : tensor<1x16x7x7xf32>
}

// Small images with channels to spare run channels-last
// (DepthwiseChannelsLast.cpp): a unit (16 channels by the 7 output rows)
// loads its input as one DMA row per channel, turns it on the vector unit
// into 49 pixel rows of 16 channels and moves them (DMA-in, local) into a
// 9x9 grid with its zero padding (16 floats = one pixel). Per output row, a
// tap is an offset view of the grid, a repeat per pixel, its weights one
// row read by every repeat (stride 0). The result turns back into channel
// rows, adds the bias (a per-repeat scalar) and stores one DMA row per
// channel.
// CHECK-LABEL: func.func @rows_kernel
// CHECK-SAME:    npu.plan = "vector form=channels-last ct=16 rows=7 pitch=9 cores=2
// CHECK:         npu.dma_load %{{.*}}, %{{.*}} : memref<16x49xf32, strided<[49, 1]>, #npu.space<dram>> to memref<16x49xf32, strided<[64, 1]>, #npu.space<vbuf>>
// CHECK:         npu.dma_load %{{.*}}, %{{.*}} : memref<9x16xf32, strided<[32, 1]>, #npu.space<dram>> to memref<9x16xf32, strided<[16, 1], offset: 1024>, #npu.space<vbuf>>
// CHECK:         npu.vtrans %{{.*}}, %{{.*}} : memref<16x49xf32, strided<[64, 1]>, #npu.space<vbuf>> to memref<49x16xf32, strided<[16, 1]>, #npu.space<vbuf>>
// CHECK:         npu.dma_move %{{.*}}, %{{.*}} {padding = array<i64: 1, 1, 16, 16>} : memref<7x112xf32, strided<[112, 1]>, #npu.space<vbuf>> to memref<9x144xf32, strided<[144, 1]>, #npu.space<vbuf>>
// CHECK:         scf.for
// CHECK:           npu.vbin "mul" %{{.*}}, %{{.*}}, %[[ROW:.*]] : memref<7x16xf32, strided<[16, 1], offset: ?>, #npu.space<vbuf>>, memref<7x16xf32, strided<[0, 1], offset: 1024>, #npu.space<vbuf>>, memref<7x16xf32, strided<[16, 1], offset: ?>, #npu.space<vbuf>>
// CHECK-COUNT-8:   npu.vfma %{{.*}}, %{{.*}}, %[[ROW]]
// CHECK:         } {npu.buffered}
// CHECK:         npu.vtrans %{{.*}}, %{{.*}} : memref<49x16xf32, strided<[16, 1]>, #npu.space<vbuf>> to memref<16x49xf32, strided<[64, 1]>, #npu.space<vbuf>>
// CHECK:         npu.vbin "add" {{.*}} memref<16x49xf32, strided<[1, 0], offset: 1168>
// CHECK:         npu.dma_store %{{.*}}, %{{.*}} : memref<16x49xf32, strided<[64, 1]>, #npu.space<vbuf>> to memref<16x49xf32, strided<[49, 1]>, #npu.space<dram>>
func.func @rows(%x: tensor<1x32x7x7xf32>, %b: tensor<32xf32>) -> tensor<1x32x7x7xf32> {
  %w = graph.constant dense<0.25> : tensor<32x1x3x3xf32>
  %y = graph.conv2d %x, %w, %b {pads = array<i64: 1, 1, 1, 1>, group = 32 : i64, snpu.narrow_groups = "vector"} : (tensor<1x32x7x7xf32>, tensor<32x1x3x3xf32>, tensor<32xf32>) -> tensor<1x32x7x7xf32> loc("rows")
  return %y : tensor<1x32x7x7xf32>
}
