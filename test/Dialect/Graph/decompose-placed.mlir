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
