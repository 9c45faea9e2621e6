// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-server | FileCheck %s
// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-server --sinan-convert-graph-to-npu | FileCheck %s --check-prefix=NPU
// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-edge | FileCheck %s --check-prefix=EDGE

// A post-norm transformer's projection: the layer normalization of
// (x @ w + b) + r joins the product's kernel (its scale and bias the fifth
// and sixth arguments), whose blocks span every column so the vector unit
// normalizes whole rows after the residual. A normalization over more than
// the last dimension stays apart (here on the host: its scale is not a
// row).
// CHECK-LABEL: func.func @post_norm
// CHECK:         npu.launch @post_norm_kernel(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
// CHECK:         npu.launch @wide_kernel(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
// CHECK-NEXT:    graph.layer_norm %{{.*}} {axis = 1 : i64}
// CHECK-LABEL: func.func @post_norm_kernel
// CHECK:         graph.matmul
// CHECK:         graph.add
// CHECK:         graph.add
// CHECK:         graph.layer_norm
// CHECK-NEXT:    return

// NPU-LABEL: func.func @post_norm_kernel
// NPU-SAME:      npu.blocks = array<i64: {{[0-9]+}}, {{[0-9]+}}, 256>
// The scale and bias rows load once, before the blocks.
// NPU:           npu.dma_load %{{.*}}, %{{.*}} : memref<1x256xf32, #npu.space<dram>> to memref<1x256xf32
// NPU:           npu.dma_load %{{.*}}, %{{.*}} : memref<1x256xf32, #npu.space<dram>> to memref<1x256xf32
// NPU:           npu.mma
// NPU:           npu.vbin "add"
// NPU:           npu.vbin "add"
// NPU:           npu.vred "sum"
// NPU:           npu.vscal "div"
// NPU:           npu.vbin "sub"
// NPU:           npu.vun "sqrt"
// NPU:           npu.vun "recip"
// NPU:           npu.vbin "mul"
// NPU:           npu.vbin "mul"
// NPU:           npu.vbin "add"
// NPU:           npu.dma_store

// snpu-edge's memories would force whole-row blocks that reload the
// weights for every few rows: there the normalization keeps its kernel.
// EDGE-LABEL: func.func @post_norm
// EDGE:         npu.launch @post_norm_kernel(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
// EDGE-NEXT:    npu.launch @layer_norm_kernel(%{{.*}}, %{{.*}}, %{{.*}}) :
func.func @post_norm(%x: tensor<1x128x1024xf32>, %b: tensor<256xf32>,
                     %r: tensor<1x128x256xf32>, %g: tensor<256xf32>,
                     %beta: tensor<256xf32>, %x2: tensor<2x64x256xf32>,
                     %r2: tensor<2x64x256xf32>, %g2: tensor<64x256xf32>)
    -> (tensor<1x128x256xf32>, tensor<2x64x256xf32>) {
  %w = graph.constant dense<0.01> : tensor<1024x256xf32>
  %0 = graph.matmul %x, %w : (tensor<1x128x1024xf32>, tensor<1024x256xf32>) -> tensor<1x128x256xf32> loc("post_norm")
  %1 = graph.add %0, %b : (tensor<1x128x256xf32>, tensor<256xf32>) -> tensor<1x128x256xf32>
  %2 = graph.add %1, %r : (tensor<1x128x256xf32>, tensor<1x128x256xf32>) -> tensor<1x128x256xf32>
  %3 = graph.layer_norm %2, %g, %beta {axis = 2 : i64, epsilon = 9.99999996E-13 : f32} : (tensor<1x128x256xf32>, tensor<256xf32>, tensor<256xf32>) -> tensor<1x128x256xf32>
  %w2 = graph.constant dense<0.01> : tensor<256x256xf32>
  %4 = graph.matmul %x2, %w2 : (tensor<2x64x256xf32>, tensor<256x256xf32>) -> tensor<2x64x256xf32> loc("wide")
  %5 = graph.add %4, %b : (tensor<2x64x256xf32>, tensor<256xf32>) -> tensor<2x64x256xf32>
  %6 = graph.add %5, %r2 : (tensor<2x64x256xf32>, tensor<2x64x256xf32>) -> tensor<2x64x256xf32>
  %7 = graph.layer_norm %6, %g2 {axis = 1 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<2x64x256xf32>, tensor<64x256xf32>) -> tensor<2x64x256xf32>
  return %3, %7 : tensor<1x128x256xf32>, tensor<2x64x256xf32>
}
