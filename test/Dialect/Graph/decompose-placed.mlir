// RUN: sinan-opt %s --graph-decompose=placed=cpu | FileCheck %s

// After placement, only the composites sinan-place put on the host expand
// (the SNPU runs a normalization whole), and every piece takes the host's
// placement, so kernel formation leaves them to the host too.
// CHECK-LABEL: func.func @placed
// CHECK:         %[[KEPT:.*]] = graph.layer_norm %arg0, %arg1 {sinan.placement = "snpu"}
// CHECK:         graph.reduce_mean %arg0 {{{.*}}sinan.placement = "cpu"}
// CHECK:         graph.sub {{.*}}sinan.placement = "cpu"
// CHECK:         graph.constant {{.*}}sinan.placement = "cpu"
// CHECK:         graph.sqrt {{.*}}sinan.placement = "cpu"
// CHECK:         %[[LAST:.*]] = graph.mul {{.*}}, %arg1 {sinan.placement = "cpu"}
// CHECK-NOT:     graph.layer_norm
// CHECK:         return %[[KEPT]], %[[LAST]]
func.func @placed(%x: tensor<2x4xf32>, %s: tensor<4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %0 = graph.layer_norm %x, %s {sinan.placement = "snpu"} : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %1 = graph.layer_norm %x, %s {sinan.placement = "cpu"} : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %0, %1 : tensor<2x4xf32>, tensor<2x4xf32>
}

// A composite's modeled host time (placement's sinan.host_cycles, which the
// timeline charges per host step) is shared by its pieces that are steps:
// a transposed convolution's 90 cycles over its pad and convolution (the
// reshapes are views).
// CHECK-LABEL: func.func @host_time
// CHECK:         graph.reshape
// CHECK-NOT:     sinan.host_cycles
// CHECK:         graph.pad {{.*}}sinan.host_cycles = 45 : i64
// CHECK:         graph.reshape
// CHECK-NOT:     sinan.host_cycles
// CHECK:         graph.conv2d {{.*}}sinan.host_cycles = 45 : i64
func.func @host_time(%x: tensor<1x2x4x4xf32>) -> tensor<1x1x8x8xf32> {
  %w = graph.constant dense<1.0> : tensor<2x1x2x2xf32>
  %y = graph.conv_transpose2d %x, %w {strides = array<i64: 2, 2>, sinan.placement = "cpu", sinan.host_cycles = 90 : i64} : (tensor<1x2x4x4xf32>, tensor<2x1x2x2xf32>) -> tensor<1x1x8x8xf32>
  return %y : tensor<1x1x8x8xf32>
}
