// RUN: sinan-opt %s --sinan-place=target=snpu-server --sinan-form-snpu-kernels=target=snpu-server --sinan-convert-graph-to-npu | FileCheck %s

// Transposes and slices that keep the innermost dimension's rows whole are
// DMA moves through local memory (the largest: snpu-server's ibuf, four
// blocks in flight). The result's dimensions, those of
// 1 dropped and each merged into the next where the two are one run in the
// input too, become one transfer of up to four dimensions each way, a block
// of the outermost at a time: heads (0, 2, 1, 3) of 1x32x4x64 is 4x32x64
// read at strides 64, 256, 1; the cores split those blocks when each
// block's result rows start and end on granules (one input). A reshape is
// no kernel: the schedule makes it a view of its operand's bytes. A
// transpose that moves the innermost dimension turns tiles on the vector
// unit: the keys (0, 1, 3, 2) of 1x4x32x64 are [4, 64, 32] at source
// strides 2048, 1, 64; a core takes a head's whole tile (its result is
// whole granules): 32 rows of 64 come in, vtrans makes them 64 rows of 32,
// which go out whole.
// CHECK-LABEL: func.func @main
// CHECK:         %[[SPLIT:.*]] = graph.reshape %arg0
// CHECK:         npu.launch @heads_kernel(%[[SPLIT]])
// CHECK:         npu.launch @keys_kernel
// CHECK:         npu.launch @split_channels_kernel
// CHECK-NOT:   func.func @split_kernel
// The four cores take a head each: a head's result rows are whole granules.
// CHECK-LABEL: func.func @heads_kernel
// CHECK-SAME:      npu.cores = 4
// CHECK:         npu.core_id
// CHECK:           npu.dma_load %{{.*}}, %[[B:.*]] : memref<1x32x64xf32, strided<[64, 256, 1], offset: ?>, #npu.space<dram>> to memref<1x32x64xf32, strided<[2048, 64, 1]>, #npu.space<ibuf>>
// CHECK:           npu.dma_store %[[B]], %{{.*}} : memref<1x32x64xf32, strided<[2048, 64, 1]>, #npu.space<ibuf>> to memref<1x32x64xf32, strided<[2048, 64, 1], offset: ?>, #npu.space<dram>>
// CHECK-LABEL: func.func @keys_kernel
// CHECK-SAME:      npu.cores = 4
// CHECK:         npu.core_id
// CHECK:         npu.dma_load %{{.*}} : memref<1x32x64xf32, strided<[2048, 64, 1], offset: ?>, #npu.space<dram>> to memref<1x32x64xf32, strided<[2048, 64, 1]>, #npu.space<vbuf>>
// CHECK:         npu.vtrans %{{.*}} : memref<32x64xf32, strided<[64, 1]>, #npu.space<vbuf>> to memref<64x32xf32, strided<[32, 1]>, #npu.space<vbuf>>
// CHECK:         npu.dma_store %{{.*}} : memref<1x64x32xf32, strided<[2048, 32, 1]>, #npu.space<vbuf>> to memref<1x64x32xf32, strided<[2048, 32, 1], offset: ?>, #npu.space<dram>>
// A channel split (ShuffleNet's): channels 58 to 115, one run of 58 x 784
// elements from element 58 x 784, moved in pieces of a buffer.
// CHECK-LABEL: func.func @split_channels_kernel
// CHECK:         arith.constant 45472 : index
// CHECK:         npu.dma_load
func.func @main(%x: tensor<1x32x256xf32>, %c: tensor<1x116x28x28xf32>) -> (tensor<1x4x32x64xf32>, tensor<1x4x64x32xf32>, tensor<1x58x28x28xf32>) {
  %r = graph.reshape %x : (tensor<1x32x256xf32>) -> tensor<1x32x4x64xf32> loc("split")
  %t = graph.transpose %r {permutation = array<i64: 0, 2, 1, 3>} : (tensor<1x32x4x64xf32>) -> tensor<1x4x32x64xf32> loc("heads")
  %k = graph.transpose %t {permutation = array<i64: 0, 1, 3, 2>} : (tensor<1x4x32x64xf32>) -> tensor<1x4x64x32xf32> loc("keys")
  %s = graph.slice %c {starts = array<i64: 0, 58, 0, 0>, limits = array<i64: 1, 116, 28, 28>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x116x28x28xf32>) -> tensor<1x58x28x28xf32> loc("split_channels")
  return %t, %k, %s : tensor<1x4x32x64xf32>, tensor<1x4x64x32xf32>, tensor<1x58x28x28xf32>
}
