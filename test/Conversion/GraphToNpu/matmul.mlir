// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-server --sinan-convert-graph-to-npu --mlir-elide-elementsattrs-if-larger=16 | FileCheck %s
// RUN: sinan-opt %s --sinan-snpu-pipeline="target=snpu-server phase=isa" -o /dev/null

// A classifier's one row against constant weights: the weights are packed
// as bf16 at compile time into the kernel's read-only data (the launch's
// argument stays, unread), and with one block of rows the four cores split
// the column blocks (each stores its columns of the one row).
// CHECK:       memref.global "private" constant @fc_kernel_weights : memref<512x1000xbf16, #npu.space<dram>>
// CHECK-LABEL: func.func @fc_kernel
// CHECK-SAME:    npu.blocks = array<i64: 16, 256, 256>
// CHECK-SAME:    npu.cores = 4
// CHECK:         memref.get_global @fc_kernel_weights
// CHECK:         npu.core_id
// Three full column blocks on cores 0-2, the 232-column edge on core 3.
// CHECK:         scf.for
// CHECK:           npu.dma_load %{{.*}}, %{{.*}} : memref<256x256xbf16, strided<[1000, 1], offset: ?>, #npu.space<dram>> to memref<256x256xbf16, strided<[256, 1]>, #npu.space<wbuf>>
// CHECK:           npu.mma
// CHECK:         npu.vbin "add"
// CHECK:         npu.dma_store %{{.*}}, %{{.*}} : memref<1x256xf32, strided<[256, 1]>, #npu.space<vbuf>> to memref<1x256xf32, strided<[1000, 1], offset: ?>, #npu.space<dram>>
// CHECK:         npu.dma_store %{{.*}}, %{{.*}} : memref<1x232xf32, strided<[240, 1]>, #npu.space<vbuf>> to memref<1x232xf32, strided<[1000, 1], offset: ?>, #npu.space<dram>>
// CHECK-NEXT:    } {npu.once = 3 : i64}
func.func @fc(%x: tensor<1x512xf32>, %bias: tensor<1000xf32>) -> tensor<1x1000xf32> {
  %w = graph.constant dense<0.5> : tensor<512x1000xf32>
  %0 = graph.matmul %x, %w : (tensor<1x512xf32>, tensor<512x1000xf32>) -> tensor<1x1000xf32> loc("fc")
  %1 = graph.add %0, %bias : (tensor<1x1000xf32>, tensor<1000xf32>) -> tensor<1x1000xf32> loc("fc")
  return %1 : tensor<1x1000xf32>
}

// Rows enough for every core: they split the row blocks; both operands are
// arguments (f32, converted by DMA-in).
// CHECK-LABEL: func.func @rows_kernel
// CHECK-SAME:    npu.cores = 4
// CHECK-NOT:     memref.get_global
// CHECK:         npu.dma_load %{{.*}}, %{{.*}} : memref<{{[0-9]+}}x{{[0-9]+}}xf32, strided<[256, 1], offset: ?>, #npu.space<dram>> to memref<{{[0-9]+}}x{{[0-9]+}}xbf16
func.func @rows(%x: tensor<1024x256xf32>, %w: tensor<256x256xf32>) -> tensor<1024x256xf32> {
  %0 = graph.matmul %x, %w : (tensor<1024x256xf32>, tensor<256x256xf32>) -> tensor<1024x256xf32> loc("rows")
  return %0 : tensor<1024x256xf32>
}
