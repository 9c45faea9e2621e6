// RUN: sinan-opt %s --graph-decompose | FileCheck %s
// RUN: sinan-opt %s --graph-decompose=ops=gelu | FileCheck %s --check-prefix=ONLY-GELU

// Layer normalization expands in the reference kernel's order: mean,
// centre, variance, 1 / sqrt(var + epsilon), scale, bias.
// CHECK-LABEL: func.func @layer_norm
// CHECK:         %[[MEAN:.*]] = graph.reduce_mean %arg0 {axes = array<i64: 1, 2>} : (tensor<2x3x4xf32>) -> tensor<2x1x1xf32>
// CHECK:         %[[C:.*]] = graph.sub %arg0, %[[MEAN]]
// CHECK:         %[[SQ:.*]] = graph.mul %[[C]], %[[C]]
// CHECK:         %[[VAR:.*]] = graph.reduce_mean %[[SQ]] {axes = array<i64: 1, 2>}
// CHECK:         %[[EPS:.*]] = graph.constant dense<1.000000e-03> : tensor<f32>
// CHECK:         %[[SUM:.*]] = graph.add %[[VAR]], %[[EPS]]
// CHECK:         %[[ROOT:.*]] = graph.sqrt %[[SUM]]
// CHECK:         %[[INV:.*]] = graph.reciprocal %[[ROOT]]
// CHECK:         %[[N:.*]] = graph.mul %[[C]], %[[INV]]
// CHECK:         %[[S:.*]] = graph.mul %[[N]], %arg1
// CHECK:         %[[Y:.*]] = graph.add %[[S]], %arg2
// CHECK:         return %[[Y]]
// ONLY-GELU-LABEL: func.func @layer_norm
// ONLY-GELU:       graph.layer_norm
func.func @layer_norm(%x: tensor<2x3x4xf32>, %s: tensor<3x4xf32>, %b: tensor<4xf32>) -> tensor<2x3x4xf32> {
  %0 = graph.layer_norm %x, %s, %b {axis = -2 : i64, epsilon = 1.0e-3 : f32} : (tensor<2x3x4xf32>, tensor<3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// CHECK-LABEL: func.func @gelu
// The constants take the element type (1/sqrt(2) rounded to bf16).
// CHECK:         %[[K:.*]] = graph.constant dense<7.070310e-01> : tensor<bf16>
// CHECK:         %[[X:.*]] = graph.mul %arg0, %[[K]]
// CHECK:         %[[E:.*]] = graph.erf %[[X]]
// CHECK:         %[[ONE:.*]] = graph.constant dense<1.000000e+00> : tensor<bf16>
// CHECK:         %[[P:.*]] = graph.add %[[ONE]], %[[E]]
// CHECK:         %[[HALF:.*]] = graph.constant dense<5.000000e-01> : tensor<bf16>
// CHECK:         %[[H:.*]] = graph.mul %[[HALF]], %arg0
// CHECK:         graph.mul %[[H]], %[[P]]
// CHECK-NOT:     graph.gelu
// ONLY-GELU-LABEL: func.func @gelu
// ONLY-GELU-NOT:   graph.gelu
func.func @gelu(%x: tensor<8xbf16>) -> tensor<8xbf16> {
  %0 = graph.gelu %x : tensor<8xbf16>
  return %0 : tensor<8xbf16>
}

// CHECK-LABEL: func.func @gelu_tanh
// CHECK:         %[[X2:.*]] = graph.mul %arg0, %arg0
// CHECK:         %[[X3:.*]] = graph.mul %arg0, %[[X2]]
// CHECK:         graph.constant dense<4.471500e-02>
// CHECK:         graph.constant dense<0.797884583>
// CHECK:         graph.tanh
func.func @gelu_tanh(%x: tensor<8xf32>) -> tensor<8xf32> {
  %0 = graph.gelu %x {approximate = "tanh"} : tensor<8xf32>
  return %0 : tensor<8xf32>
}

// CHECK-LABEL: func.func @rms_norm
// CHECK:         %[[SQ:.*]] = graph.mul %arg0, %arg0
// CHECK:         %[[MS:.*]] = graph.reduce_mean %[[SQ]] {axes = array<i64: 1>}
// CHECK:         graph.add %[[MS]]
// CHECK:         graph.sqrt
// CHECK:         %[[F:.*]] = graph.reciprocal
// CHECK:         %[[N:.*]] = graph.mul %arg0, %[[F]]
// CHECK:         graph.mul %[[N]], %arg1
func.func @rms_norm(%x: tensor<4x8xf32>, %s: tensor<8xf32>) -> tensor<4x8xf32> {
  %0 = graph.rms_norm %x, %s : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// Groups of two channels: statistics over a [N, G, C / G * H * W] view.
// CHECK-LABEL: func.func @group_norm
// CHECK:         %[[V:.*]] = graph.reshape %arg0 : (tensor<1x4x3x3xf32>) -> tensor<1x2x18xf32>
// CHECK:         graph.reduce_mean %[[V]] {axes = array<i64: 2>}
// CHECK:         %[[N:.*]] = graph.reshape %{{.*}} : (tensor<1x2x18xf32>) -> tensor<1x4x3x3xf32>
// CHECK:         %[[S:.*]] = graph.reshape %arg1 : (tensor<4xf32>) -> tensor<4x1x1xf32>
// CHECK:         %[[M:.*]] = graph.mul %[[N]], %[[S]]
// CHECK:         %[[B:.*]] = graph.reshape %arg2 : (tensor<4xf32>) -> tensor<4x1x1xf32>
// CHECK:         graph.add %[[M]], %[[B]]
func.func @group_norm(%x: tensor<1x4x3x3xf32>, %s: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<1x4x3x3xf32> {
  %0 = graph.group_norm %x, %s, %b {num_groups = 2 : i64} : (tensor<1x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x3x3xf32>
  return %0 : tensor<1x4x3x3xf32>
}

// One channel per group (instance normalization): over the spatial axes.
// CHECK-LABEL: func.func @instance_norm
// CHECK-NOT:     graph.reshape %arg0
// CHECK:         graph.reduce_mean %arg0 {axes = array<i64: 2, 3>}
func.func @instance_norm(%x: tensor<1x4x3x3xf32>, %s: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<1x4x3x3xf32> {
  %0 = graph.group_norm %x, %s, %b {num_groups = 4 : i64} : (tensor<1x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x3x3xf32>
  return %0 : tensor<1x4x3x3xf32>
}

// Grouped-query heads repeat through a broadcast; a causal mask is a
// constant of kept positions (query i sees keys j <= i + causal_offset).
// CHECK-LABEL: func.func @attention
// CHECK:         %[[KW:.*]] = graph.reshape %arg1 : (tensor<1x1x3x4xf32>) -> tensor<1x1x1x3x4xf32>
// CHECK:         %[[KB:.*]] = graph.broadcast %[[KW]] : (tensor<1x1x1x3x4xf32>) -> tensor<1x1x2x3x4xf32>
// CHECK:         %[[K:.*]] = graph.reshape %[[KB]] : (tensor<1x1x2x3x4xf32>) -> tensor<1x2x3x4xf32>
// CHECK:         %[[V:.*]] = graph.reshape %{{.*}} : (tensor<1x1x2x3x4xf32>) -> tensor<1x2x3x4xf32>
// CHECK:         %[[KT:.*]] = graph.transpose %[[K]] {permutation = array<i64: 0, 1, 3, 2>}
// CHECK:         %[[P:.*]] = graph.matmul %arg0, %[[KT]]
// CHECK:         %[[S:.*]] = graph.mul %[[P]], %{{.*}}
// CHECK:         %[[C:.*]] = graph.constant dense<{{\[}}[true, true, false], [true, true, true]]> : tensor<2x3xi1>
// CHECK:         %[[M:.*]] = graph.select %[[C]], %[[S]], %{{.*}}
// CHECK:         %[[PR:.*]] = graph.softmax %[[M]] {axis = -1 : i64}
// CHECK:         graph.matmul %[[PR]], %[[V]]
// CHECK-NOT:     graph.attention
func.func @attention(%q: tensor<1x2x2x4xf32>, %k: tensor<1x1x3x4xf32>, %v: tensor<1x1x3x4xf32>) -> tensor<1x2x2x4xf32> {
  %0 = graph.attention %q, %k, %v {scale = 0.5 : f32, is_causal = true, causal_offset = 1 : i64} : (tensor<1x2x2x4xf32>, tensor<1x1x3x4xf32>, tensor<1x1x3x4xf32>) -> tensor<1x2x2x4xf32>
  return %0 : tensor<1x2x2x4xf32>
}
