// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-server --sinan-convert-graph-to-npu --mlir-elide-elementsattrs-if-larger=16 | FileCheck %s
// RUN: sinan-opt %s --sinan-snpu-pipeline=target=snpu-server --mlir-elide-elementsattrs-if-larger=16 | FileCheck %s --check-prefix=ISA
// RUN: sinan-opt %s --sinan-snpu-pipeline=target=snpu-server | sinan-translate --isa-to-snpu-kernel -o %t.snk
// RUN: sinan-objdump %t.snk | FileCheck %s --check-prefix=BINARY

// A stride-1 convolution on a narrow image reads a padded bf16 copy of its
// input: each of the three cores copies the rows its pixel blocks read (one
// halo row each side, one extra zero row for the last tap's run) through
// vbuf into its region of the kernel's scratch, padding on the way in and
// converting to bf16 on the way out (chunks of 104 of the 520 channels).
// After a barrier, a channel's tap over a block of 14 rows is one run of
// 14 x 16 elements of the copy. (With fewer channels the grid tiler wins,
// conv-grid.mlir; its staging of 520 channels does not fit vbuf.)
// CHECK:       memref.global "private" @conv_kernel_scratch : memref<3x1x520x17x16xbf16, #npu.space<dram>> = uninitialized
// CHECK-LABEL: func.func @conv_kernel
// CHECK:         memref.get_global @conv_kernel_scratch
// CHECK:         npu.dma_load %{{.*}}, %{{.*}} {padding = array<i64: 1, 2, 1, 1>} : memref<104x14x14xf32, strided<[196, 14, 1], offset: ?>, #npu.space<dram>> to memref<104x17x16xf32, strided<[272, 16, 1]>, #npu.space<vbuf>>
// CHECK:         npu.dma_store %{{.*}}, %{{.*}} : memref<104x17x16xf32, strided<[272, 16, 1]>, #npu.space<vbuf>> to memref<104x17x16xbf16, strided<[272, 16, 1], offset: ?>, #npu.space<dram>>
// CHECK:         npu.barrier
// CHECK:         memref.subview %{{.*}} [1, 1, 16, 224] [1, 1, 1, 1] : memref<3x1x520x272xbf16, #npu.space<dram>> to memref<16x224xbf16, strided<[272, 1], offset: ?>, #npu.space<dram>>

// The scratch becomes the kernel's: its size on the isa.kernel and in the
// binary, its address in the register after the read-only data's. The
// original weights (argument 1, bound for the host fallback) are never read.
// ISA: isa.kernel @conv_kernel attributes {fingerprint = {{-?[0-9]+}} : i64, rodata = {{.*}}, scratch = 848640 : i64, target = "snpu-server", unread_args = 2 : i64}
// BINARY: scratch: 848640 bytes
func.func @main(%x: tensor<1x520x14x14xf32>, %b: tensor<48xf32>) -> tensor<1x48x14x14xf32> {
  %w = graph.constant dense<0.25> : tensor<48x520x3x3xf32>
  %y = graph.conv2d %x, %w, %b {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x520x14x14xf32>, tensor<48x520x3x3xf32>, tensor<48xf32>) -> tensor<1x48x14x14xf32> loc("conv")
  return %y : tensor<1x48x14x14xf32>
}
