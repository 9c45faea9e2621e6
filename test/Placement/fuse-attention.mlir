// RUN: sinan-opt %s --sinan-fuse-attention=target=snpu-server --canonicalize | FileCheck %s
// RUN: sinan-opt %s --sinan-fuse-attention=target=%S/Inputs/small-vbuf.json --canonicalize | FileCheck %s --check-prefix=SMALL
// RUN: sinan-opt %s --sinan-fuse-attention="target=snpu-server precision=f32" | FileCheck %s --check-prefix=KEEP
// RUN: echo '{"op:softmax": "cpu"}' > %t.json
// RUN: sinan-opt %s --sinan-fuse-attention="target=snpu-server overrides=%t.json" | FileCheck %s --check-prefix=KEEP

// At f32 (the matrix unit multiplies in bf16 only), or when the overrides
// place one of the chain's ops, the pieces stay for sinan-place.
// KEEP-NOT: graph.attention

// A target whose local memories cannot hold a head's keys and values keeps
// the pieces (for placement to put the products on the matrix unit).

// BERT's heads as exported: K^T by a transpose (0, 2, 3, 1) of the
// projection, scores divided by 8, a padding-mask row added, softmax over
// the keys, times the values. One graph.attention with scale 1/8 takes K
// as (0, 2, 1, 3) of the projection: the transpose back to K folded into
// the one that made K^T.
// CHECK-LABEL: func.func @bert
// CHECK:         %[[K:.*]] = graph.transpose %arg1 {permutation = array<i64: 0, 2, 1, 3>}
// CHECK:         %[[A:.*]] = graph.attention %arg0, %[[K]], %arg2, %arg3 {scale = 1.250000e-01 : f32}
// CHECK-NEXT:    return %[[A]]
// SMALL-LABEL: func.func @bert
// SMALL:         graph.matmul
// SMALL:         graph.softmax
// SMALL:         graph.matmul
// SMALL-NOT:     graph.attention
// SMALL-LABEL: func.func @vit
func.func @bert(%q: tensor<1x4x128x64xf32>, %k: tensor<1x128x4x64xf32>, %v: tensor<1x4x128x64xf32>, %mask: tensor<1x1x1x128xf32>) -> tensor<1x4x128x64xf32> {
  %root = graph.constant dense<8.0> : tensor<f32>
  %kt = graph.transpose %k {permutation = array<i64: 0, 2, 3, 1>} : (tensor<1x128x4x64xf32>) -> tensor<1x4x64x128xf32>
  %s = graph.matmul %q, %kt : (tensor<1x4x128x64xf32>, tensor<1x4x64x128xf32>) -> tensor<1x4x128x128xf32>
  %d = graph.div %s, %root : (tensor<1x4x128x128xf32>, tensor<f32>) -> tensor<1x4x128x128xf32>
  %m = graph.add %d, %mask : (tensor<1x4x128x128xf32>, tensor<1x1x1x128xf32>) -> tensor<1x4x128x128xf32>
  %p = graph.softmax %m {axis = -1 : i64} : tensor<1x4x128x128xf32>
  %o = graph.matmul %p, %v : (tensor<1x4x128x128xf32>, tensor<1x4x128x64xf32>) -> tensor<1x4x128x64xf32>
  return %o : tensor<1x4x128x64xf32>
}

// torchvision's 3-D heads: the queries divided by 8 (a power of two: the
// same scores as scaling them after the product), the mask-free softmax.
// The operands gain a batch of one and the result loses it.
// CHECK-LABEL: func.func @vit
// CHECK:         %[[Q:.*]] = graph.reshape %arg0 : (tensor<3x197x64xf32>) -> tensor<1x3x197x64xf32>
// CHECK:         %[[K:.*]] = graph.reshape %arg1 : (tensor<3x197x64xf32>) -> tensor<1x3x197x64xf32>
// CHECK:         %[[V:.*]] = graph.reshape %arg2 : (tensor<3x197x64xf32>) -> tensor<1x3x197x64xf32>
// CHECK:         %[[A:.*]] = graph.attention %[[Q]], %[[K]], %[[V]] {scale = 1.250000e-01 : f32}
// CHECK:         graph.reshape %[[A]] : (tensor<1x3x197x64xf32>) -> tensor<3x197x64xf32>
func.func @vit(%q: tensor<3x197x64xf32>, %k: tensor<3x197x64xf32>, %v: tensor<3x197x64xf32>) -> tensor<3x197x64xf32> {
  %eight = graph.constant dense<8.0> : tensor<f32>
  %qs = graph.div %q, %eight : (tensor<3x197x64xf32>, tensor<f32>) -> tensor<3x197x64xf32>
  %kt = graph.transpose %k {permutation = array<i64: 0, 2, 1>} : (tensor<3x197x64xf32>) -> tensor<3x64x197xf32>
  %s = graph.matmul %qs, %kt : (tensor<3x197x64xf32>, tensor<3x64x197xf32>) -> tensor<3x197x197xf32>
  %p = graph.softmax %s {axis = 2 : i64} : tensor<3x197x197xf32>
  %o = graph.matmul %p, %v : (tensor<3x197x197xf32>, tensor<3x197x64xf32>) -> tensor<3x197x64xf32>
  return %o : tensor<3x197x64xf32>
}

// A query divided by 6 (not a power of two) stays a division before the
// product; the scores multiplied by a constant and a causal mask block
// fuse.
// CHECK-LABEL: func.func @causal
// CHECK:         %[[Q:.*]] = graph.div %arg0
// CHECK:         graph.attention %[[Q]], %{{.*}}, %arg2, %{{.*}} {scale = 5.000000e-01 : f32}
func.func @causal(%q: tensor<1x2x48x24xf32>, %kt: tensor<1x2x24x48xf32>, %v: tensor<1x2x48x24xf32>) -> tensor<1x2x48x24xf32> {
  %six = graph.constant dense<6.0> : tensor<f32>
  %half = graph.constant dense<0.5> : tensor<f32>
  %mask = graph.constant dense<-1.0e4> : tensor<1x1x48x48xf32>
  %qs = graph.div %q, %six : (tensor<1x2x48x24xf32>, tensor<f32>) -> tensor<1x2x48x24xf32>
  %s = graph.matmul %qs, %kt : (tensor<1x2x48x24xf32>, tensor<1x2x24x48xf32>) -> tensor<1x2x48x48xf32>
  %h = graph.mul %half, %s : (tensor<f32>, tensor<1x2x48x48xf32>) -> tensor<1x2x48x48xf32>
  %m = graph.add %mask, %h : (tensor<1x1x48x48xf32>, tensor<1x2x48x48xf32>) -> tensor<1x2x48x48xf32>
  %p = graph.softmax %m {axis = -1 : i64} : tensor<1x2x48x48xf32>
  %o = graph.matmul %p, %v : (tensor<1x2x48x48xf32>, tensor<1x2x48x24xf32>) -> tensor<1x2x48x24xf32>
  return %o : tensor<1x2x48x24xf32>
}

// The probabilities read twice, a softmax over another axis, and scores
// also returned all stay as they are.
// CHECK-LABEL: func.func @unfused
// CHECK-NOT:     graph.attention
// CHECK:         return
func.func @unfused(%q: tensor<2x16x8xf32>, %kt: tensor<2x8x16xf32>, %v: tensor<2x16x8xf32>) -> (tensor<2x16x8xf32>, tensor<2x16x16xf32>, tensor<2x16x8xf32>, tensor<2x16x8xf32>, tensor<2x16x16xf32>) {
  %s = graph.matmul %q, %kt : (tensor<2x16x8xf32>, tensor<2x8x16xf32>) -> tensor<2x16x16xf32>
  %p = graph.softmax %s {axis = -1 : i64} : tensor<2x16x16xf32>
  %o = graph.matmul %p, %v : (tensor<2x16x16xf32>, tensor<2x16x8xf32>) -> tensor<2x16x8xf32>
  %s2 = graph.matmul %q, %kt : (tensor<2x16x8xf32>, tensor<2x8x16xf32>) -> tensor<2x16x16xf32>
  %p2 = graph.softmax %s2 {axis = 1 : i64} : tensor<2x16x16xf32>
  %o2 = graph.matmul %p2, %v : (tensor<2x16x16xf32>, tensor<2x16x8xf32>) -> tensor<2x16x8xf32>
  %s3 = graph.matmul %q, %kt : (tensor<2x16x8xf32>, tensor<2x8x16xf32>) -> tensor<2x16x16xf32>
  %p3 = graph.softmax %s3 {axis = -1 : i64} : tensor<2x16x16xf32>
  %o3 = graph.matmul %p3, %v : (tensor<2x16x16xf32>, tensor<2x16x8xf32>) -> tensor<2x16x8xf32>
  return %o, %p, %o2, %o3, %s3 : tensor<2x16x8xf32>, tensor<2x16x16xf32>, tensor<2x16x8xf32>, tensor<2x16x8xf32>, tensor<2x16x16xf32>
}

// BERT's query, key and value layers on one X (a bias row each): after the
// attention fuses, the three products become one [32, 96] product with the
// rows side by side, sliced for Q, K and V (which the attention's kernel
// reads as views).
// CHECK-LABEL: func.func @projections
// CHECK-DAG:     %[[W:.*]] = graph.constant dense<{{.*}}> : tensor<32x96xf32>
// CHECK-DAG:     %[[B:.*]] = graph.constant dense<{{.*}}> : tensor<96xf32>
// CHECK:         %[[P:.*]] = graph.matmul %arg0, %[[W]] : (tensor<1x16x32xf32>, tensor<32x96xf32>) -> tensor<1x16x96xf32>
// CHECK:         %[[S:.*]] = graph.add %[[P]], %[[B]]
// CHECK:         graph.slice %[[S]] {limits = array<i64: 1, 16, 32>, starts = array<i64: 0, 0, 0>, steps = array<i64: 1, 1, 1>}
// CHECK:         graph.slice %[[S]] {limits = array<i64: 1, 16, 64>, starts = array<i64: 0, 0, 32>, steps = array<i64: 1, 1, 1>}
// CHECK:         graph.slice %[[S]] {limits = array<i64: 1, 16, 96>, starts = array<i64: 0, 0, 64>, steps = array<i64: 1, 1, 1>}
// CHECK-NOT:     graph.matmul
// CHECK:         graph.attention
func.func @projections(%x: tensor<1x16x32xf32>) -> tensor<1x2x16x16xf32> {
  %wq = graph.constant dense<1.0> : tensor<32x32xf32>
  %wk = graph.constant dense<2.0> : tensor<32x32xf32>
  %wv = graph.constant dense<3.0> : tensor<32x32xf32>
  %bq = graph.constant dense<0.5> : tensor<32xf32>
  %bk = graph.constant dense<0.25> : tensor<32xf32>
  %bv = graph.constant dense<0.125> : tensor<32xf32>
  %eight = graph.constant dense<4.0> : tensor<f32>
  %q0 = graph.matmul %x, %wq : (tensor<1x16x32xf32>, tensor<32x32xf32>) -> tensor<1x16x32xf32>
  %q1 = graph.add %q0, %bq : (tensor<1x16x32xf32>, tensor<32xf32>) -> tensor<1x16x32xf32>
  %k0 = graph.matmul %x, %wk : (tensor<1x16x32xf32>, tensor<32x32xf32>) -> tensor<1x16x32xf32>
  %k1 = graph.add %k0, %bk : (tensor<1x16x32xf32>, tensor<32xf32>) -> tensor<1x16x32xf32>
  %v0 = graph.matmul %x, %wv : (tensor<1x16x32xf32>, tensor<32x32xf32>) -> tensor<1x16x32xf32>
  %v1 = graph.add %v0, %bv : (tensor<1x16x32xf32>, tensor<32xf32>) -> tensor<1x16x32xf32>
  %q2 = graph.reshape %q1 : (tensor<1x16x32xf32>) -> tensor<1x16x2x16xf32>
  %q = graph.transpose %q2 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<1x16x2x16xf32>) -> tensor<1x2x16x16xf32>
  %k2 = graph.reshape %k1 : (tensor<1x16x32xf32>) -> tensor<1x16x2x16xf32>
  %kt = graph.transpose %k2 {permutation = array<i64: 0, 2, 3, 1>} : (tensor<1x16x2x16xf32>) -> tensor<1x2x16x16xf32>
  %v2 = graph.reshape %v1 : (tensor<1x16x32xf32>) -> tensor<1x16x2x16xf32>
  %v = graph.transpose %v2 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<1x16x2x16xf32>) -> tensor<1x2x16x16xf32>
  %s = graph.matmul %q, %kt : (tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32>
  %d = graph.div %s, %eight : (tensor<1x2x16x16xf32>, tensor<f32>) -> tensor<1x2x16x16xf32>
  %p = graph.softmax %d {axis = -1 : i64} : tensor<1x2x16x16xf32>
  %o = graph.matmul %p, %v : (tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32>
  return %o : tensor<1x2x16x16xf32>
}
