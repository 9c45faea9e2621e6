// RUN: sinan-opt %s | sinan-opt | FileCheck %s
// RUN: sinan-opt %s --mlir-print-op-generic | sinan-opt | FileCheck %s

// CHECK-LABEL: func.func @constants
func.func @constants() -> (tensor<2xf32>, tensor<2x2xbf16>, tensor<3xi8>, tensor<i1>, tensor<4xf16>, tensor<2xi64>, tensor<1xi32>) {
  // CHECK: graph.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
  %0 = graph.constant dense<[1.0, 2.0]> : tensor<2xf32>
  // CHECK: graph.constant dense<5.000000e-01> : tensor<2x2xbf16>
  %1 = graph.constant dense<0.5> : tensor<2x2xbf16>
  // CHECK: graph.constant dense<[-128, 0, 127]> : tensor<3xi8>
  %2 = graph.constant dense<[-128, 0, 127]> : tensor<3xi8>
  // CHECK: graph.constant dense<true> : tensor<i1>
  %3 = graph.constant dense<true> : tensor<i1>
  // CHECK: graph.constant dense<1.000000e+00> : tensor<4xf16>
  %4 = graph.constant dense<1.0> : tensor<4xf16>
  // CHECK: graph.constant dense<[1, 2]> : tensor<2xi64>
  %5 = graph.constant dense<[1, 2]> : tensor<2xi64>
  // CHECK: graph.constant dense<7> : tensor<1xi32>
  %6 = graph.constant dense<7> : tensor<1xi32>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<2xf32>, tensor<2x2xbf16>, tensor<3xi8>, tensor<i1>, tensor<4xf16>, tensor<2xi64>, tensor<1xi32>
}

// CHECK-LABEL: func.func @elementwise
func.func @elementwise(%a: tensor<1x64x56x56xf32>, %b: tensor<64x1x1xf32>, %c: tensor<?x8xi32>) -> (tensor<1x64x56x56xf32>, tensor<?x8xi32>) {
  // CHECK: graph.add %{{.*}}, %{{.*}} : (tensor<1x64x56x56xf32>, tensor<64x1x1xf32>) -> tensor<1x64x56x56xf32>
  %0 = graph.add %a, %b : (tensor<1x64x56x56xf32>, tensor<64x1x1xf32>) -> tensor<1x64x56x56xf32>
  // CHECK: graph.mul %{{.*}}, %{{.*}} : (tensor<1x64x56x56xf32>, tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32>
  %1 = graph.mul %0, %0 : (tensor<1x64x56x56xf32>, tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32>
  // CHECK: graph.relu %{{.*}} : tensor<1x64x56x56xf32>
  %2 = graph.relu %1 : tensor<1x64x56x56xf32>
  // CHECK: graph.add %{{.*}}, %{{.*}} : (tensor<?x8xi32>, tensor<8xi32>) -> tensor<?x8xi32>
  %k = graph.constant dense<1> : tensor<8xi32>
  %3 = graph.add %c, %k : (tensor<?x8xi32>, tensor<8xi32>) -> tensor<?x8xi32>
  // CHECK: graph.relu %{{.*}} : tensor<?x8xi32>
  %4 = graph.relu %3 : tensor<?x8xi32>
  return %2, %4 : tensor<1x64x56x56xf32>, tensor<?x8xi32>
}

// A declared type may be more static than the inferred one.
// CHECK-LABEL: func.func @refined_dynamic
func.func @refined_dynamic(%a: tensor<?x4xf32>, %b: tensor<3x1xf32>) -> tensor<3x4xf32> {
  // CHECK: graph.add %{{.*}}, %{{.*}} : (tensor<?x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  %0 = graph.add %a, %b : (tensor<?x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// CHECK-LABEL: func.func @matmuls
func.func @matmuls(%a: tensor<8x128x64xbf16>, %b: tensor<64x32xbf16>, %v: tensor<64xbf16>, %d: tensor<?x?x64xf32>, %e: tensor<64x?xf32>) -> (tensor<8x128x32xbf16>, tensor<8x128xbf16>, tensor<32xbf16>, tensor<?x?x?xf32>) {
  // CHECK: graph.matmul %{{.*}}, %{{.*}} : (tensor<8x128x64xbf16>, tensor<64x32xbf16>) -> tensor<8x128x32xbf16>
  %0 = graph.matmul %a, %b : (tensor<8x128x64xbf16>, tensor<64x32xbf16>) -> tensor<8x128x32xbf16>
  // CHECK: graph.matmul %{{.*}}, %{{.*}} : (tensor<8x128x64xbf16>, tensor<64xbf16>) -> tensor<8x128xbf16>
  %1 = graph.matmul %a, %v : (tensor<8x128x64xbf16>, tensor<64xbf16>) -> tensor<8x128xbf16>
  // CHECK: graph.matmul %{{.*}}, %{{.*}} : (tensor<64xbf16>, tensor<64x32xbf16>) -> tensor<32xbf16>
  %2 = graph.matmul %v, %b : (tensor<64xbf16>, tensor<64x32xbf16>) -> tensor<32xbf16>
  // CHECK: graph.matmul %{{.*}}, %{{.*}} : (tensor<?x?x64xf32>, tensor<64x?xf32>) -> tensor<?x?x?xf32>
  %3 = graph.matmul %d, %e : (tensor<?x?x64xf32>, tensor<64x?xf32>) -> tensor<?x?x?xf32>
  return %0, %1, %2, %3 : tensor<8x128x32xbf16>, tensor<8x128xbf16>, tensor<32xbf16>, tensor<?x?x?xf32>
}

// CHECK-LABEL: func.func @convs
func.func @convs(%x: tensor<1x3x224x224xf32>, %w: tensor<64x3x7x7xf32>, %b: tensor<64xf32>, %dx: tensor<?x32x?x?xf16>, %dw: tensor<32x1x3x3xf16>) -> (tensor<1x64x112x112xf32>, tensor<1x64x218x218xf32>, tensor<?x32x?x?xf16>) {
  // CHECK: graph.conv2d %{{.*}}, %{{.*}}, %{{.*}} {pads = array<i64: 3, 3, 3, 3>, strides = array<i64: 2, 2>} : (tensor<1x3x224x224xf32>, tensor<64x3x7x7xf32>, tensor<64xf32>) -> tensor<1x64x112x112xf32>
  %0 = graph.conv2d %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 3, 3, 3, 3>} : (tensor<1x3x224x224xf32>, tensor<64x3x7x7xf32>, tensor<64xf32>) -> tensor<1x64x112x112xf32>
  // Defaults (stride 1, no padding, dilation 1, group 1) are not printed.
  // CHECK: graph.conv2d %{{.*}}, %{{.*}} : (tensor<1x3x224x224xf32>, tensor<64x3x7x7xf32>) -> tensor<1x64x218x218xf32>
  %1 = graph.conv2d %x, %w {strides = array<i64: 1, 1>, group = 1} : (tensor<1x3x224x224xf32>, tensor<64x3x7x7xf32>) -> tensor<1x64x218x218xf32>
  // CHECK: graph.conv2d %{{.*}}, %{{.*}} {group = 32 : i64, pads = array<i64: 1, 1, 1, 1>} : (tensor<?x32x?x?xf16>, tensor<32x1x3x3xf16>) -> tensor<?x32x?x?xf16>
  %2 = graph.conv2d %dx, %dw {group = 32, pads = array<i64: 1, 1, 1, 1>} : (tensor<?x32x?x?xf16>, tensor<32x1x3x3xf16>) -> tensor<?x32x?x?xf16>
  return %0, %1, %2 : tensor<1x64x112x112xf32>, tensor<1x64x218x218xf32>, tensor<?x32x?x?xf16>
}

// CHECK-LABEL: func.func @dilated
func.func @dilated(%x: tensor<1x8x10x10xf32>, %w: tensor<4x8x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // CHECK: graph.conv2d %{{.*}}, %{{.*}} {dilations = array<i64: 2, 2>} : (tensor<1x8x10x10xf32>, tensor<4x8x3x3xf32>) -> tensor<1x4x6x6xf32>
  %0 = graph.conv2d %x, %w {dilations = array<i64: 2, 2>} : (tensor<1x8x10x10xf32>, tensor<4x8x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// CHECK-LABEL: func.func @elementwise_family
func.func @elementwise_family(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %i: tensor<4xi32>, %c: tensor<2x1xi1>) -> (tensor<2x3xf32>, tensor<2x3xi1>, tensor<4xi32>, tensor<2x3xf32>) {
  // CHECK: graph.sub %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %0 = graph.sub %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: graph.div
  %1 = graph.div %0, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: graph.pow
  %2 = graph.pow %1, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: graph.max
  %3 = graph.max %2, %a : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: graph.min
  %4 = graph.min %3, %a : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: graph.exp %{{.*}} : tensor<2x3xf32>
  %5 = graph.exp %4 : tensor<2x3xf32>
  %6 = graph.log %5 : tensor<2x3xf32>
  %7 = graph.sqrt %6 : tensor<2x3xf32>
  %8 = graph.reciprocal %7 : tensor<2x3xf32>
  %9 = graph.tanh %8 : tensor<2x3xf32>
  %10 = graph.sigmoid %9 : tensor<2x3xf32>
  %11 = graph.erf %10 : tensor<2x3xf32>
  %12 = graph.floor %11 : tensor<2x3xf32>
  %13 = graph.ceil %12 : tensor<2x3xf32>
  %14 = graph.sin %13 : tensor<2x3xf32>
  %15 = graph.cos %14 : tensor<2x3xf32>
  // CHECK: graph.neg %{{.*}} : tensor<4xi32>
  %16 = graph.neg %i : tensor<4xi32>
  %17 = graph.abs %16 : tensor<4xi32>
  // CHECK: graph.less %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  %18 = graph.less %15, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  %19 = graph.equal %15, %a : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xi1>
  %20 = graph.greater_equal %15, %a : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xi1>
  // CHECK: graph.and %{{.*}}, %{{.*}} : (tensor<2x3xi1>, tensor<2x1xi1>) -> tensor<2x3xi1>
  %21 = graph.and %18, %c : (tensor<2x3xi1>, tensor<2x1xi1>) -> tensor<2x3xi1>
  %22 = graph.xor %21, %19 : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  %23 = graph.not %22 : tensor<2x3xi1>
  // CHECK: graph.select %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x1xi1>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %24 = graph.select %c, %a, %b : (tensor<2x1xi1>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %24, %23, %17, %15 : tensor<2x3xf32>, tensor<2x3xi1>, tensor<4xi32>, tensor<2x3xf32>
}

// CHECK-LABEL: func.func @layout_and_nn
func.func @layout_and_nn(%x: tensor<1x3x8x8xf32>, %i: tensor<2xi64>) -> (tensor<3x8x8x1xf32>, tensor<1x3x1x1xf32>, tensor<1x3x4x4xf32>, tensor<2x3x8x8xf32>, tensor<1x2x8x8xf32>, tensor<1x192xf32>, tensor<1x3x5x5xf32>, tensor<1x192xi32>, tensor<1x3x8x8xf32>, tensor<3xf32>) {
  // CHECK: graph.transpose %{{.*}} {permutation = array<i64: 1, 2, 3, 0>} : (tensor<1x3x8x8xf32>) -> tensor<3x8x8x1xf32>
  %0 = graph.transpose %x {permutation = array<i64: 1, 2, 3, 0>} : (tensor<1x3x8x8xf32>) -> tensor<3x8x8x1xf32>
  // CHECK: graph.reduce_mean %{{.*}} {axes = array<i64: 2, 3>} : (tensor<1x3x8x8xf32>) -> tensor<1x3x1x1xf32>
  %1 = graph.reduce_mean %x {axes = array<i64: 2, 3>} : (tensor<1x3x8x8xf32>) -> tensor<1x3x1x1xf32>
  // CHECK: graph.max_pool2d %{{.*}} {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32>
  %2 = graph.max_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32>
  // CHECK: graph.concat %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<1x3x8x8xf32>, tensor<1x3x8x8xf32>) -> tensor<2x3x8x8xf32>
  %3 = graph.concat %x, %x {axis = 0} : (tensor<1x3x8x8xf32>, tensor<1x3x8x8xf32>) -> tensor<2x3x8x8xf32>
  // CHECK: graph.gather %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<2xi64>) -> tensor<1x2x8x8xf32>
  %4 = graph.gather %x, %i {axis = 1} : (tensor<1x3x8x8xf32>, tensor<2xi64>) -> tensor<1x2x8x8xf32>
  // CHECK: graph.reshape %{{.*}} : (tensor<1x3x8x8xf32>) -> tensor<1x192xf32>
  %5 = graph.reshape %x : (tensor<1x3x8x8xf32>) -> tensor<1x192xf32>
  // CHECK: graph.softmax %{{.*}} {axis = -1 : i64} : tensor<1x192xf32>
  %6 = graph.softmax %5 {axis = -1} : tensor<1x192xf32>
  %7 = graph.log_softmax %6 {axis = 1} : tensor<1x192xf32>
  // CHECK: graph.cast %{{.*}} : tensor<1x192xf32> to tensor<1x192xi32>
  %8 = graph.cast %7 : tensor<1x192xf32> to tensor<1x192xi32>
  // CHECK: graph.cast %{{.*}} {saturate = false} : tensor<1x192xf32> to tensor<1x192xf8E4M3FN>
  %f8 = graph.cast %7 {saturate = false} : tensor<1x192xf32> to tensor<1x192xf8E4M3FN>
  // CHECK: graph.cast %{{.*}} {round_mode = "nearest"} : tensor<1x192xf32> to tensor<1x192xf8E8M0FNU>
  %e8 = graph.cast %7 {round_mode = "nearest"} : tensor<1x192xf32> to tensor<1x192xf8E8M0FNU>
  // CHECK: graph.top_k %{{.*}} {axis = 1 : i64, k = 5 : i64, largest = false} : (tensor<1x192xf32>) -> (tensor<1x5xf32>, tensor<1x5xi64>)
  %tv, %ti = graph.top_k %7 {k = 5, axis = 1, largest = false} : (tensor<1x192xf32>) -> (tensor<1x5xf32>, tensor<1x5xi64>)
  // CHECK: graph.gather_nd %{{.*}}, %{{.*}} {batch_dims = 1 : i64} : (tensor<1x192xf32>, tensor<1x3x1xi64>) -> tensor<1x3xf32>
  %gi = graph.constant dense<[[[0], [5], [191]]]> : tensor<1x3x1xi64>
  %gnd_i = graph.constant dense<[[0, 5, 191]]> : tensor<1x3xi64>
  %gnd = graph.gather_nd %7, %gi {batch_dims = 1} : (tensor<1x192xf32>, tensor<1x3x1xi64>) -> tensor<1x3xf32>
  // CHECK: graph.scatter_nd %{{.*}}, %{{.*}}, %{{.*}} {reduction = "add"} : (tensor<1x192xf32>, tensor<2x2xi64>, tensor<2xf32>) -> tensor<1x192xf32>
  %si = graph.constant dense<[[0, 1], [0, 7]]> : tensor<2x2xi64>
  %su = graph.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %snd = graph.scatter_nd %7, %si, %su {reduction = "add"} : (tensor<1x192xf32>, tensor<2x2xi64>, tensor<2xf32>) -> tensor<1x192xf32>
  // CHECK: graph.scatter_elements %{{.*}}, %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<1x192xf32>, tensor<1x3xi64>, tensor<1x3xf32>) -> tensor<1x192xf32>
  %sel = graph.scatter_elements %7, %gnd_i, %gnd {axis = 1} : (tensor<1x192xf32>, tensor<1x3xi64>, tensor<1x3xf32>) -> tensor<1x192xf32>
  // CHECK: graph.cast %{{.*}} : tensor<1x192xf32> to tensor<1x192xi4>
  %i4 = graph.cast %7 : tensor<1x192xf32> to tensor<1x192xi4>
  // CHECK: graph.leaky_relu %{{.*}} {alpha = 2.000000e-01 : f32} : tensor<1x192xf32>
  %9 = graph.leaky_relu %6 {alpha = 0.2 : f32} : tensor<1x192xf32>
  // CHECK: graph.avg_pool2d %{{.*}} {ceil_mode = true, kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x3x8x8xf32>) -> tensor<1x3x5x5xf32>
  %10 = graph.avg_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, ceil_mode = true, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x8x8xf32>) -> tensor<1x3x5x5xf32>
  // CHECK: graph.lrn %{{.*}} {alpha = 9.99999974E-5 : f32, beta = 7.500000e-01 : f32, bias = 1.000000e+00 : f32, size = 3 : i64} : tensor<1x3x8x8xf32>
  %11 = graph.lrn %x {size = 3, alpha = 0.0001 : f32, beta = 0.75 : f32, bias = 1.0 : f32} : tensor<1x3x8x8xf32>
  // CHECK: graph.reduce_sum %{{.*}} {axes = array<i64>, keepdims = false} : (tensor<1x3x8x8xf32>) -> tensor<f32>
  %12 = graph.reduce_sum %x {axes = array<i64>, keepdims = false} : (tensor<1x3x8x8xf32>) -> tensor<f32>
  %13 = graph.reduce_max %x {axes = array<i64: 0, 2, 3>, keepdims = false} : (tensor<1x3x8x8xf32>) -> tensor<3xf32>
  return %0, %1, %2, %3, %4, %9, %10, %8, %11, %13 : tensor<3x8x8x1xf32>, tensor<1x3x1x1xf32>, tensor<1x3x4x4xf32>, tensor<2x3x8x8xf32>, tensor<1x2x8x8xf32>, tensor<1x192xf32>, tensor<1x3x5x5xf32>, tensor<1x192xi32>, tensor<1x3x8x8xf32>, tensor<3xf32>
}

// CHECK-LABEL: func.func @conv_transpose
func.func @conv_transpose(%x: tensor<1x2x3x3xf32>, %w: tensor<2x4x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x7x7xf32> {
  // CHECK: graph.conv_transpose2d %{{.*}}, %{{.*}}, %{{.*}} {strides = array<i64: 2, 2>} : (tensor<1x2x3x3xf32>, tensor<2x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x7x7xf32>
  %0 = graph.conv_transpose2d %x, %w, %b {strides = array<i64: 2, 2>} : (tensor<1x2x3x3xf32>, tensor<2x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x7x7xf32>
  return %0 : tensor<1x4x7x7xf32>
}

// CHECK-LABEL: func.func @clip
// CHECK:         graph.clip %{{.*}} {max = 6.000000e+00 : f32, min = 0.000000e+00 : f32} : tensor<2x3xf32>
// CHECK:         graph.clip %{{.*}} {min = -1.000000e+00 : f32} : tensor<2x3xf32>
func.func @clip(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = graph.clip %x {min = 0.0 : f32, max = 6.0 : f32} : tensor<2x3xf32>
  %1 = graph.clip %0 {min = -1.0 : f32} : tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}

// CHECK-LABEL: func.func @composites
// CHECK:         graph.layer_norm %{{.*}}, %{{.*}}, %{{.*}} {axis = 1 : i64, epsilon = 5.000000e-01 : f32} : (tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
// CHECK:         graph.layer_norm %{{.*}}, %{{.*}} : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
// CHECK:         graph.gelu %{{.*}} {approximate = "tanh"} : tensor<2x4xf32>
// CHECK:         graph.gelu %{{.*}} : tensor<2x4xf32>
// CHECK:         graph.rms_norm %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
// CHECK:         graph.group_norm %{{.*}}, %{{.*}}, %{{.*}} {num_groups = 2 : i64} : (tensor<1x4x2xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x2xf32>
func.func @composites(%x: tensor<2x4xf32>, %s: tensor<4xf32>, %b: tensor<4xf32>, %g: tensor<1x4x2xf32>) -> tensor<2x4xf32> {
  %0 = graph.layer_norm %x, %s, %b {axis = 1 : i64, epsilon = 0.5 : f32} : (tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %1 = graph.layer_norm %0, %s : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %2 = graph.gelu %1 {approximate = "tanh"} : tensor<2x4xf32>
  %3 = graph.gelu %2 : tensor<2x4xf32>
  %4 = graph.rms_norm %3, %s {axis = 1 : i64} : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %5 = graph.group_norm %g, %s, %b {num_groups = 2 : i64} : (tensor<1x4x2xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x2xf32>
  return %4 : tensor<2x4xf32>
}

// CHECK-LABEL: func.func @attention
// CHECK:         graph.attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {causal_offset = 2 : i64, is_causal = true, scale = 1.250000e-01 : f32, softcap = 3.000000e+00 : f32} : (tensor<1x4x2x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>, tensor<2x5xi1>) -> tensor<1x4x2x8xf32>
func.func @attention(%q: tensor<1x4x2x8xf32>, %k: tensor<1x2x5x8xf32>, %v: tensor<1x2x5x8xf32>, %m: tensor<2x5xi1>) -> tensor<1x4x2x8xf32> {
  %0 = graph.attention %q, %k, %v, %m {scale = 0.125 : f32, is_causal = true, causal_offset = 2 : i64, softcap = 3.0 : f32} : (tensor<1x4x2x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>, tensor<2x5xi1>) -> tensor<1x4x2x8xf32>
  return %0 : tensor<1x4x2x8xf32>
}
