// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-server | FileCheck %s
// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-server --sinan-convert-graph-to-npu --mlir-elide-elementsattrs-if-larger=16 | FileCheck %s --check-prefix=NPU

// A convolution with constant weights moves into a kernel with the relu
// that follows it; its constant operands are copied in (and stay
// arguments). One whose weights are computed stays on the host.
// CHECK-LABEL: func.func @main
// CHECK:         %[[W:.*]] = graph.constant
// CHECK:         %[[R:.*]] = npu.launch @conv_kernel(%arg0, %[[W]], %arg1) : (tensor<1x3x9x10xf32>, tensor<32x3x3x3xf32>, tensor<32xf32>) -> tensor<1x32x4x4xf32>
// CHECK-NEXT:    graph.conv2d %arg2, %arg3
// CHECK-NEXT:    return %[[R]]
// CHECK-LABEL: func.func @conv_kernel
// CHECK-NEXT:    graph.constant
// CHECK-NEXT:    graph.conv2d
// CHECK-NEXT:    graph.relu

// The weights are packed at compile time into a constant DRAM global. With
// three input channels the taps fold into the products' k: a [32 x 32]
// bf16 matrix, column tap * 3 + c (27 taps' channels, then -0.0 to the
// tile). The whole bias comes into a vbuf column once. Per block of output
// rows, the taps of each kernel column are one load (kernel rows, channels,
// rows, columns) gathering every other element (innermost stride 2), the
// columns past the output padded, into rows 3 * tap of one [32 x 128]
// operand whose last five rows are zeroed;
// one product (k = 32, which starts the accumulator) replaces nine of
// three channels padded to 16; the vector unit adds the bias (a per-row
// scalar: innermost stride 0, from the output channel block's row of the
// column) on the way into a vbuf block, whose rows (at a pitch of 32) go
// out with relu. (A "same" convolution at stride 2 takes the grid tiler
// instead, conv-grid.mlir.)
// NPU:         memref.global "private" constant @conv_kernel_weights : memref<32x32xbf16, #npu.space<dram>> = dense_resource<__elided__> {alignment = 64 : i64}
// NPU-LABEL:   func.func @conv_kernel(%arg0: memref<1x3x9x10xf32, #npu.space<dram>>, %arg1: memref<32x3x3x3xf32, #npu.space<dram>>, %arg2: memref<32xf32, #npu.space<dram>>, %arg3: memref<1x32x4x4xf32, #npu.space<dram>>)
// NPU-SAME:      npu.plan = "implicit-gemm f0=16 c0=32 rows=4 pixels=128 cores=2 split=channels weights=tiles input=folded-taps depth=3 accs=3 bias=last estimate={{[0-9]+}}"
// NPU:           %[[COLUMN:.*]] = memref.alloc() : memref<1x32xf32, strided<[32, 1]>, #npu.space<vbuf>>
// NPU:           memref.get_global @conv_kernel_weights
// NPU:           %[[DST:.*]] = memref.reinterpret_cast %[[COLUMN]] to offset: [0], sizes: [1, 32], strides: [32, 1]
// NPU:           %[[B:.*]] = memref.expand_shape %arg2 {{\[\[}}0, 1]] output_shape [1, 32]
// NPU:           npu.dma_load %[[B]], %[[DST]] : memref<1x32xf32, #npu.space<dram>> to memref<1x32xf32, strided<[32, 1]>, #npu.space<vbuf>>
// NPU:           npu.dma_load %{{.*}}, %{{.*}} : memref<16x32xbf16, strided<[32, 1], offset: ?>, #npu.space<dram>> to memref<16x32xbf16, strided<[32, 1]>, #npu.space<ibuf>>
// NPU:           npu.fill %{{.*}} : memref<5x128xbf16, strided<[128, 1], offset: 3456>, #npu.space<wbuf>>
// NPU:           npu.dma_load %{{.*}}, %{{.*}} {padding = array<i64: 0, 0, 0, 28>} : memref<3x3x4x4xf32, strided<[10, 90, 20, 2], offset: ?>, #npu.space<dram>> to memref<3x3x4x32xbf16, strided<[1152, 128, 32, 1]>, #npu.space<wbuf>>
// NPU:           npu.dma_load %{{.*}}, %{{.*}} {padding = array<i64: 0, 0, 0, 28>} : memref<3x3x4x4xf32, strided<[10, 90, 20, 2], offset: ?>, #npu.space<dram>> to memref<3x3x4x32xbf16, strided<[1152, 128, 32, 1], offset: 384>, #npu.space<wbuf>>
// NPU:           npu.dma_load %{{.*}}, %{{.*}} {padding = array<i64: 0, 0, 0, 28>} : memref<3x3x4x4xf32, strided<[10, 90, 20, 2], offset: ?>, #npu.space<dram>> to memref<3x3x4x32xbf16, strided<[1152, 128, 32, 1], offset: 768>, #npu.space<wbuf>>
// NPU-NOT:       npu.dma_load
// NPU:           npu.mma %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %[[ACC:[a-z0-9_]+]] : memref<16x32xbf16, strided<[32, 1]>, #npu.space<ibuf>>, memref<32x128xbf16, strided<[128, 1]>, #npu.space<wbuf>>
// NPU-NOT:       npu.mma
// NPU:           %[[BIAS:.*]] = memref.reinterpret_cast %[[COLUMN]] to offset: [%{{.*}}], sizes: [16, 128], strides: [1, 0]
// NPU:           npu.vbin "add" %[[ACC]], %[[BIAS]], %[[BLOCK:[a-z0-9_]+]] : memref<16x128xf32, strided<[128, 1]>, #npu.space<acc>>, memref<16x128xf32, strided<[1, 0], offset: ?>, #npu.space<vbuf>>, memref<16x128xf32, strided<[128, 1]>, #npu.space<vbuf>>
// NPU:           %[[OUT:.*]] = memref.subview %{{.*}}[0, 0, 0] [16, 4, 4] [1, 1, 1] : memref<16x4x32xf32, strided<[128, 32, 1]>, #npu.space<vbuf>>
// NPU:           npu.dma_store %[[OUT]], %{{.*}} {relu} : memref<16x4x4xf32, strided<[128, 32, 1]>, #npu.space<vbuf>> to memref<16x4x4xf32, strided<[16, 4, 1], offset: ?>, #npu.space<dram>>
func.func @main(%x: tensor<1x3x9x10xf32>, %b: tensor<32xf32>, %x2: tensor<1x3x9x10xf32>, %w2: tensor<32x3x3x3xf32>) -> (tensor<1x32x4x4xf32>, tensor<1x32x4x4xf32>) {
  %w = graph.constant dense<0.5> : tensor<32x3x3x3xf32>
  %y = graph.conv2d %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x3x9x10xf32>, tensor<32x3x3x3xf32>, tensor<32xf32>) -> tensor<1x32x4x4xf32> loc("conv")
  %r = graph.relu %y : tensor<1x32x4x4xf32>
  %z = graph.conv2d %x2, %w2 {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x3x9x10xf32>, tensor<32x3x3x3xf32>) -> tensor<1x32x4x4xf32> loc("dynamic_weights")
  return %r, %z : tensor<1x32x4x4xf32>, tensor<1x32x4x4xf32>
}

// Found by differential testing (sinan-difftest, seed 1796334030): a
// 1-channel 1x2 image under a 5x5 stride-2 convolution with asymmetric
// padding gives 1x1x1x1 views of it, whose dropped unit dimensions the
// tiler used to leave to inference (picking strides the subview verifier
// rejected); it spells the kept strides out.
// NPU-LABEL: func.func @unit_views_kernel
// NPU:           npu.mma
func.func @unit_views(%x: tensor<1x1x1x2xf32>) -> tensor<1x32x1x2xf32> {
  %w = graph.constant dense<0.125> : tensor<32x1x5x5xf32>
  %y = graph.conv2d %x, %w {pads = array<i64: 3, 1, 2, 4>, strides = array<i64: 2, 2>} : (tensor<1x1x1x2xf32>, tensor<32x1x5x5xf32>) -> tensor<1x32x1x2xf32> loc("unit_views")
  return %y : tensor<1x32x1x2xf32>
}

// With a residual the bias starts the accumulator (stride 0 repeats it
// along a row), as the host fallback sums (bias + products) + residual;
// every product accumulates, and the residual is added on the vector unit.
// NPU-LABEL: func.func @residual_conv_kernel
// NPU-NOT:       sizes: [1, 16]
// NPU:           memref.reinterpret_cast %arg2 to offset: [%{{.*}}], sizes: [16, 128], strides: [1, 0]
// NPU:           npu.dma_load %{{.*}}, %{{.*}} : memref<16x128xf32, strided<[1, 0], offset: ?>, #npu.space<dram>> to memref<16x128xf32, strided<[128, 1]>, #npu.space<acc>>
// NPU-NOT:       npu.mma %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : memref
// NPU:           npu.mma %{{.*}} {accumulate}
// NPU:           npu.vbin "add"
func.func @residual(%x: tensor<1x3x9x10xf32>, %b: tensor<32xf32>, %r: tensor<1x32x4x4xf32>) -> tensor<1x32x4x4xf32> {
  %w = graph.constant dense<0.5> : tensor<32x3x3x3xf32>
  %y = graph.conv2d %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x3x9x10xf32>, tensor<32x3x3x3xf32>, tensor<32xf32>) -> tensor<1x32x4x4xf32> loc("residual_conv")
  %s = graph.add %y, %r : (tensor<1x32x4x4xf32>, tensor<1x32x4x4xf32>) -> tensor<1x32x4x4xf32>
  return %s : tensor<1x32x4x4xf32>
}

// A SiLU after the convolution (sigmoid, then the product with its input)
// is two vector passes before the store: the sigmoid into a buffer of its
// own, then the product into the block the store reads.
// CHECK-LABEL: func.func @silu_conv_kernel
// CHECK:         graph.conv2d
// CHECK-NEXT:    graph.sigmoid
// CHECK-NEXT:    graph.mul
// NPU-LABEL: func.func @silu_conv_kernel
// NPU:           npu.mma
// NPU:           npu.vun "sigmoid" %[[X:[a-z0-9_]+]], %[[S:[a-z0-9_]+]] :
// NPU-NEXT:      npu.vbin "mul" %[[X]], %[[S]], %[[Y:[a-z0-9_]+]] :
// NPU:           npu.dma_store %{{.*}}, %{{.*}} : memref<16x4x4xf32, strided<[128, 32, 1]>, #npu.space<vbuf>>
func.func @silu(%x: tensor<1x3x9x10xf32>, %b: tensor<32xf32>) -> tensor<1x32x4x4xf32> {
  %w = graph.constant dense<0.5> : tensor<32x3x3x3xf32>
  %y = graph.conv2d %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x3x9x10xf32>, tensor<32x3x3x3xf32>, tensor<32xf32>) -> tensor<1x32x4x4xf32> loc("silu_conv")
  %s = graph.sigmoid %y : tensor<1x32x4x4xf32>
  %m = graph.mul %y, %s : (tensor<1x32x4x4xf32>, tensor<1x32x4x4xf32>) -> tensor<1x32x4x4xf32>
  return %m : tensor<1x32x4x4xf32>
}

// A hardswish as the importer writes ONNX's HardSwish (x * (1/6) + 1/2,
// clamped to [0, 1] by min then max, times x) is one vector pass.
// CHECK-LABEL: func.func @hardswish_conv_kernel
// CHECK:         graph.conv2d
// CHECK-COUNT-5: graph.{{mul|add|min|max}}
// CHECK-NEXT:    return
// NPU-LABEL: func.func @hardswish_conv_kernel
// NPU:           npu.mma
// NPU:           npu.vun "hardswish" %{{.*}}, %[[Y:[a-z0-9_]+]] :
// NPU-NOT:       npu.vbin
// NPU:           npu.dma_store
func.func @hardswish(%x: tensor<1x3x9x10xf32>, %b: tensor<32xf32>) -> tensor<1x32x4x4xf32> {
  %w = graph.constant dense<0.5> : tensor<32x3x3x3xf32>
  %sixth = graph.constant dense<0.166666672> : tensor<f32>
  %half = graph.constant dense<0.5> : tensor<f32>
  %one = graph.constant dense<1.0> : tensor<f32>
  %zero = graph.constant dense<0.0> : tensor<f32>
  %y = graph.conv2d %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x3x9x10xf32>, tensor<32x3x3x3xf32>, tensor<32xf32>) -> tensor<1x32x4x4xf32> loc("hardswish_conv")
  %s = graph.mul %y, %sixth : (tensor<1x32x4x4xf32>, tensor<f32>) -> tensor<1x32x4x4xf32>
  %a = graph.add %s, %half : (tensor<1x32x4x4xf32>, tensor<f32>) -> tensor<1x32x4x4xf32>
  %lo = graph.min %one, %a : (tensor<f32>, tensor<1x32x4x4xf32>) -> tensor<1x32x4x4xf32>
  %g = graph.max %zero, %lo : (tensor<f32>, tensor<1x32x4x4xf32>) -> tensor<1x32x4x4xf32>
  %m = graph.mul %y, %g : (tensor<1x32x4x4xf32>, tensor<1x32x4x4xf32>) -> tensor<1x32x4x4xf32>
  return %m : tensor<1x32x4x4xf32>
}

// A 1x1 over 14x14 (196 pixels) in blocks of 128: each output channel
// block takes two accumulators in turn, so the second block's products need
// not wait for the first one's epilogue; the second block is partial (68
// pixels) and computes only the 80 columns its pixels reach, as narrower
// tiles at the pitch the matrix unit reads (80 bf16 columns: 96 apart).
// NPU-LABEL: func.func @expand_kernel
// NPU-SAME:      npu.plan = "implicit-gemm f0=128 c0=128 rows=128 pixels=128
// NPU:         npu.core_id
// NPU:         scf.for
// NPU:           npu.mma %{{.*}}, %{{.*}}, %[[ACC0:[^ ]*]] : {{.*}}, memref<128x128xf32, strided<[128, 1]>, #npu.space<acc>>
// NPU:           npu.vbin "add" %[[ACC0]], %{{.*}}, %[[OUT0:[^ ]*]] :
// NPU:           npu.dma_store
// NPU-NOT:       npu.mma %{{.*}}, %{{.*}}, %[[ACC0]] :
// NPU:           %[[ACC1:.*]] = memref.reinterpret_cast %[[ALLOC1:[^ ]*]] to offset: [0], sizes: [128, 80], strides: [80, 1]
// NPU-NOT:       %[[ACC0]]
// NPU:           npu.mma %{{.*}}, %{{.*}}, %[[ACC1]] : {{.*}}, memref<128x80xbf16, strided<[96, 1]>, #npu.space<wbuf>>, memref<128x80xf32, strided<[80, 1]>, #npu.space<acc>>
// NPU:           npu.vbin "add" %[[ACC1]], %{{.*}}, %{{.*}} :
// NPU:           npu.dma_store %{{.*}}, %{{.*}} : memref<128x68xf32, strided<[80, 1]>, #npu.space<vbuf>>
func.func @expand(%x: tensor<1x256x14x14xf32>, %b: tensor<1024xf32>) -> tensor<1x1024x14x14xf32> {
  %w = graph.constant dense<0.5> : tensor<1024x256x1x1xf32>
  %0 = graph.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x256x14x14xf32>, tensor<1024x256x1x1xf32>, tensor<1024xf32>) -> tensor<1x1024x14x14xf32> loc("expand")
  return %0 : tensor<1x1024x14x14xf32>
}

// A 1x1 over 7x7 into 1280 channels (MobileNetV2's head): the whole input
// ([320 x 49] f32, converted to bf16 at a pitch of 64) comes into wbuf
// once, before the cores split the output channel blocks; each product
// reads its channel block's rows of it, and only weight tiles are loaded
// in the loop.
// NPU-LABEL: func.func @head_kernel
// NPU-SAME:      input=resident
// NPU:         %[[IN:.*]] = memref.alloc() : memref<320x64xbf16, strided<[64, 1]>, #npu.space<wbuf>>
// NPU:         %[[DST:.*]] = memref.subview %[[IN]][%{{.*}}, %{{.*}}] [320, 49] [1, 1]
// NPU:         npu.dma_load %{{.*}}, %[[DST]] : memref<320x49xf32, {{.*}}#npu.space<dram>> to memref<320x49xbf16, strided<[64, 1], offset: ?>, #npu.space<wbuf>>
// NPU:         npu.core_id
// NPU-NOT:     npu.dma_load {{.*}}#npu.space<wbuf>>
// NPU:         %[[TAP:.*]] = memref.subview %[[IN]][%{{.*}}, 0] [64, 64] [1, 1]
// NPU:         npu.mma %{{.*}}, %[[TAP]], %{{.*}} : memref<160x64xbf16, {{.*}}#npu.space<ibuf>>, memref<64x64xbf16, strided<[64, 1], offset: ?>, #npu.space<wbuf>>
// NPU-NOT:     npu.dma_load {{.*}}#npu.space<wbuf>>
func.func @head(%x: tensor<1x320x7x7xf32>, %b: tensor<1280xf32>) -> tensor<1x1280x7x7xf32> {
  %w = graph.constant dense<0.5> : tensor<1280x320x1x1xf32>
  %0 = graph.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x320x7x7xf32>, tensor<1280x320x1x1xf32>, tensor<1280xf32>) -> tensor<1x1280x7x7xf32> loc("head")
  return %0 : tensor<1x1280x7x7xf32>
}
