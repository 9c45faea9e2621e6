// RUN: sinan-opt %s --sinan-place=target=snpu-server --sinan-form-snpu-kernels=target=snpu-server --sinan-convert-graph-to-npu | FileCheck %s

// Reshapes and transposes that keep the innermost dimension are DMA moves
// through vbuf: a reshape moves every element in order; a transpose moves
// rows of its innermost dimension whole, a loop per outer dimension of the
// result (here the heads) and a block of its second innermost (the
// sequence) at a time, read at the input's pitch of that dimension. A
// transpose that moves the innermost dimension stays on the host.
// CHECK-LABEL: func.func @main
// CHECK:         npu.launch @split_kernel
// CHECK:         npu.launch @heads_kernel
// CHECK:         graph.transpose {{.*}}permutation = array<i64: 0, 1, 3, 2>
// CHECK-LABEL: func.func @split_kernel
// CHECK:         npu.dma_load %{{.*}}, %{{.*}} : memref<1x8192xf32, strided<[8192, 1], offset: ?>, #npu.space<dram>>
// CHECK-LABEL: func.func @heads_kernel
// CHECK:         scf.for
// CHECK:           scf.for
// One head's 32 positions: rows of 64 elements, 256 elements apart in the
// input, next to each other in the result.
// CHECK:             npu.dma_load %{{.*}}, %[[B:.*]] : memref<32x64xf32, strided<[256, 1], offset: ?>, #npu.space<dram>> to memref<32x64xf32, strided<[64, 1]>, #npu.space<vbuf>>
// CHECK:             npu.dma_store %[[B]], %{{.*}} : memref<32x64xf32, strided<[64, 1]>, #npu.space<vbuf>> to memref<32x64xf32, strided<[64, 1], offset: ?>, #npu.space<dram>>
func.func @main(%x: tensor<1x32x256xf32>) -> (tensor<1x4x32x64xf32>, tensor<1x4x64x32xf32>) {
  %r = graph.reshape %x : (tensor<1x32x256xf32>) -> tensor<1x32x4x64xf32> loc("split")
  %t = graph.transpose %r {permutation = array<i64: 0, 2, 1, 3>} : (tensor<1x32x4x64xf32>) -> tensor<1x4x32x64xf32> loc("heads")
  %k = graph.transpose %t {permutation = array<i64: 0, 1, 3, 2>} : (tensor<1x4x32x64xf32>) -> tensor<1x4x64x32xf32> loc("keys")
  return %t, %k : tensor<1x4x32x64xf32>, tensor<1x4x64x32xf32>
}
