// RUN: sinan-opt %s --graph-decompose=ops=lrn | FileCheck %s
// RUN: sinan-opt %s --graph-decompose | FileCheck %s --check-prefix=ALL

// A local response normalization is the squares, their sums over each
// channel's window as a 1x1 convolution with a band of ones (channel c
// sums channels c - 2 to c + 2 that exist), which counts none of the
// network's MACs, then x * exp(-beta * log(sums * alpha / size + bias)).
// Only when named: those are not the reference's roundings.
// CHECK-LABEL: func.func @lrn
// CHECK:         %[[SQ:.*]] = graph.mul %arg0, %arg0
// CHECK:         %[[BAND:.*]] = graph.constant dense<{{\[}}{{\[}}{{\[}}[1.000000e+00]], {{\[}}[1.000000e+00]], {{\[}}[1.000000e+00]], {{\[}}[0.000000e+00]], {{\[}}[0.000000e+00]], {{\[}}[0.000000e+00]]], {{\[}}{{\[}}[1.000000e+00]], {{\[}}[1.000000e+00]], {{\[}}[1.000000e+00]], {{\[}}[1.000000e+00]], {{\[}}[0.000000e+00]], {{\[}}[0.000000e+00]]],
// CHECK-SAME:      {{\[}}{{\[}}[0.000000e+00]], {{\[}}[0.000000e+00]], {{\[}}[0.000000e+00]], {{\[}}[1.000000e+00]], {{\[}}[1.000000e+00]], {{\[}}[1.000000e+00]]]]> : tensor<6x6x1x1xf32>
// CHECK:         %[[SUMS:.*]] = graph.conv2d %[[SQ]], %[[BAND]] {sinan.network_macs = 0 : i64} : (tensor<1x6x4x5xf32>, tensor<6x6x1x1xf32>) -> tensor<1x6x4x5xf32>
// CHECK:         %[[SCALE:.*]] = graph.constant dense<2.000000e-05> : tensor<f32>
// CHECK:         %[[SCALED:.*]] = graph.mul %[[SUMS]], %[[SCALE]]
// CHECK:         %[[BIAS:.*]] = graph.constant dense<1.000000e+00> : tensor<f32>
// CHECK:         %[[BASE:.*]] = graph.add %[[SCALED]], %[[BIAS]]
// CHECK:         %[[LOG:.*]] = graph.log %[[BASE]]
// CHECK:         %[[BETA:.*]] = graph.constant dense<-7.500000e-01> : tensor<f32>
// CHECK:         %[[EXPONENT:.*]] = graph.mul %[[LOG]], %[[BETA]]
// CHECK:         %[[POW:.*]] = graph.exp %[[EXPONENT]]
// CHECK:         %[[Y:.*]] = graph.mul %arg0, %[[POW]]
// CHECK:         return %[[Y]]
// ALL-LABEL: func.func @lrn
// ALL:         graph.lrn
func.func @lrn(%x: tensor<1x6x4x5xf32>) -> tensor<1x6x4x5xf32> {
  %0 = graph.lrn %x {size = 5 : i64, alpha = 1.0e-4 : f32, beta = 0.75 : f32, bias = 1.0 : f32} : tensor<1x6x4x5xf32>
  return %0 : tensor<1x6x4x5xf32>
}
