// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-server --sinan-convert-graph-to-npu --mlir-elide-elementsattrs-if-larger=16 | FileCheck %s
// RUN: sinan-opt %s --sinan-snpu-pipeline=target=snpu-server --mlir-elide-elementsattrs-if-larger=16 | FileCheck %s --check-prefix=ISA
// RUN: sinan-opt %s --sinan-snpu-pipeline=target=snpu-server | sinan-translate --isa-to-snpu-kernel -o %t.snk
// RUN: sinan-objdump %t.snk | FileCheck %s --check-prefix=BINARY

// A stride-1 convolution whose output is narrower than its input (no
// padding, so the grid tiler of conv-grid.mlir does not apply) reads a
// padded bf16 copy of its input: each of the three cores copies the rows
// its pixel blocks read (with the halo and one extra zero row for the last
// tap's run) through vbuf into its region of the kernel's scratch, padding
// on the way in and converting to bf16 on the way out. After a barrier, a
// channel's tap over a block of 26 rows is one run of 26 x 32 elements of
// the copy.
// CHECK:       memref.global "private" @conv_kernel_scratch : memref<3x1x17x29x32xbf16, #npu.space<dram>> = uninitialized
// CHECK-LABEL: func.func @conv_kernel
// CHECK:         memref.get_global @conv_kernel_scratch
// CHECK:         npu.dma_load %{{.*}}, %{{.*}} {padding = array<i64: 0, 1, 0, 4>} : memref<17x28x28xf32, strided<[784, 28, 1], offset: ?>, #npu.space<dram>> to memref<17x29x32xf32, strided<[928, 32, 1]>, #npu.space<vbuf>>
// CHECK:         npu.dma_store %{{.*}}, %{{.*}} : memref<17x29x32xf32, strided<[928, 32, 1]>, #npu.space<vbuf>> to memref<17x29x32xbf16, strided<[928, 32, 1], offset: ?>, #npu.space<dram>>
// CHECK:         npu.barrier
// CHECK:         memref.subview %{{.*}} [1, 1, 17, 832] [1, 1, 1, 1] : memref<3x1x17x928xbf16, #npu.space<dram>> to memref<17x832xbf16, strided<[928, 1], offset: ?>, #npu.space<dram>>

// The scratch becomes the kernel's: its size on the isa.kernel and in the
// binary, its address in the register after the read-only data's. The
// original weights (argument 1, bound for the host fallback) are never read.
// ISA: isa.kernel @conv_kernel attributes {fingerprint = {{-?[0-9]+}} : i64, rodata = {{.*}}, scratch = 94656 : i64, target = "snpu-server", unread_args = 2 : i64}
// BINARY: scratch: 94656 bytes
func.func @main(%x: tensor<1x17x28x28xf32>, %b: tensor<48xf32>) -> tensor<1x48x26x26xf32> {
  %w = graph.constant dense<0.25> : tensor<48x17x3x3xf32>
  %y = graph.conv2d %x, %w, %b {pads = array<i64: 0, 0, 0, 0>} : (tensor<1x17x28x28xf32>, tensor<48x17x3x3xf32>, tensor<48xf32>) -> tensor<1x48x26x26xf32> loc("conv")
  return %y : tensor<1x48x26x26xf32>
}
