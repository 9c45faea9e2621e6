// RUN: sinan-opt %s --sinan-form-host-kernels | FileCheck %s

// A ResNet block on the host: the first convolution takes its relu; of the
// add of two convolutions only the first (in block order) takes the add and
// the relu after it; a convolution used twice and one alone stay.
// CHECK-LABEL: func.func @block
// CHECK:         %[[C1:.*]] = sched.host_kernel(%arg0, %arg1)
// CHECK:           graph.conv2d
// CHECK-NEXT:      graph.relu
// CHECK-NEXT:      sched.yield
// CHECK:         %[[D:.*]] = graph.conv2d %arg0, %arg2
// CHECK:         %[[S:.*]] = sched.host_kernel(%[[C1]], %arg1, %[[D]])
// CHECK:           graph.conv2d
// CHECK-NEXT:      graph.add
// CHECK-NEXT:      graph.relu
// CHECK:         %[[T:.*]] = graph.conv2d %[[S]], %arg1
// CHECK-NEXT:    %[[U:.*]] = graph.relu %[[T]]
// CHECK-NEXT:    return %[[U]], %[[T]]
func.func @block(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>, %w2: tensor<2x2x1x1xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %c1 = graph.conv2d %x, %w : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %r1 = graph.relu %c1 : tensor<1x2x4x4xf32>
  %c2 = graph.conv2d %r1, %w : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %d = graph.conv2d %x, %w2 : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %s = graph.add %c2, %d : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %r2 = graph.relu %s : tensor<1x2x4x4xf32>
  %t = graph.conv2d %r2, %w : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %u = graph.relu %t : tensor<1x2x4x4xf32>
  return %u, %t : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// A matmul takes a bias row and a clip; an add of a broadcast column is no
// residual, nor is a scalar or the result itself.
// CHECK-LABEL: func.func @matmuls
// CHECK:         sched.host_kernel(%arg0, %arg1, %arg2) : (tensor<3x8xf32>, tensor<8x5xf32>, tensor<5xf32>) -> tensor<3x5xf32>
// CHECK:           graph.matmul
// CHECK-NEXT:      graph.add
// CHECK-NEXT:      graph.clip
// CHECK:         %[[M:.*]] = graph.matmul %arg0, %arg1
// CHECK-NEXT:    graph.add %[[M]], %arg3
// CHECK:         %[[N:.*]] = graph.matmul %arg0, %arg1
// CHECK-NEXT:    graph.add %[[N]], %[[N]]
// CHECK:         %[[O:.*]] = graph.matmul %arg0, %arg1
// CHECK-NEXT:    graph.add %[[O]], %arg4
func.func @matmuls(%a: tensor<3x8xf32>, %b: tensor<8x5xf32>, %row: tensor<5xf32>, %col: tensor<3x1xf32>, %scalar: tensor<f32>) -> (tensor<3x5xf32>, tensor<3x5xf32>, tensor<3x5xf32>, tensor<3x5xf32>) {
  %m = graph.matmul %a, %b : (tensor<3x8xf32>, tensor<8x5xf32>) -> tensor<3x5xf32>
  %s = graph.add %m, %row : (tensor<3x5xf32>, tensor<5xf32>) -> tensor<3x5xf32>
  %c = graph.clip %s {min = 0.0 : f32, max = 6.0 : f32} : tensor<3x5xf32>
  %m2 = graph.matmul %a, %b : (tensor<3x8xf32>, tensor<8x5xf32>) -> tensor<3x5xf32>
  %s2 = graph.add %m2, %col : (tensor<3x5xf32>, tensor<3x1xf32>) -> tensor<3x5xf32>
  %m3 = graph.matmul %a, %b : (tensor<3x8xf32>, tensor<8x5xf32>) -> tensor<3x5xf32>
  %s3 = graph.add %m3, %m3 : (tensor<3x5xf32>, tensor<3x5xf32>) -> tensor<3x5xf32>
  %m4 = graph.matmul %a, %b : (tensor<3x8xf32>, tensor<8x5xf32>) -> tensor<3x5xf32>
  %s4 = graph.add %m4, %scalar : (tensor<3x5xf32>, tensor<f32>) -> tensor<3x5xf32>
  return %c, %s2, %s3, %s4 : tensor<3x5xf32>, tensor<3x5xf32>, tensor<3x5xf32>, tensor<3x5xf32>
}

// SNPU kernels are left alone.
// CHECK-LABEL: func.func @kernel
// CHECK-NOT:     sched.host_kernel
func.func @kernel(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
    attributes {npu.target = #npu.target<"snpu-server">} {
  %c = graph.conv2d %x, %w : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %r = graph.relu %c : tensor<1x2x4x4xf32>
  return %r : tensor<1x2x4x4xf32>
}

// Elementwise chains: SiLU (x * sigmoid(x): x is one argument, used twice),
// GELU's five ops; a result used twice ends a chain (abs), and so does an
// op of a smaller result (the per-channel sigmoid of a squeeze-excite gate
// stays apart; the mul it feeds starts the next chain).
// CHECK-LABEL: func.func @elementwise
// CHECK:         %[[SILU:.*]] = sched.host_kernel(%arg0) : (tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
// CHECK-NEXT:    ^bb0(%[[X:.*]]: tensor<1x4x3x3xf32>):
// CHECK-NEXT:      %[[G:.*]] = graph.sigmoid %[[X]]
// CHECK-NEXT:      graph.mul %[[X]], %[[G]]
// CHECK:         sched.host_kernel(%[[SILU]], %arg2, %arg3, %arg4)
// CHECK:           graph.div
// CHECK-NEXT:      graph.erf
// CHECK-NEXT:      graph.add
// CHECK-NEXT:      graph.mul
// CHECK-NEXT:      graph.mul
// CHECK:         %[[A:.*]] = graph.abs %arg0
// CHECK-NEXT:    %[[GATE:.*]] = graph.sigmoid %arg1
// CHECK-NEXT:    sched.host_kernel(%[[A]], %[[GATE]]) :
// CHECK:           graph.mul
// CHECK-NEXT:      graph.add
func.func @elementwise(%x: tensor<1x4x3x3xf32>, %s: tensor<1x4x1x1xf32>, %c: tensor<f32>, %one: tensor<f32>, %half: tensor<f32>) -> (tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>) {
  %g = graph.sigmoid %x : tensor<1x4x3x3xf32>
  %silu = graph.mul %x, %g : (tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  %d = graph.div %silu, %c : (tensor<1x4x3x3xf32>, tensor<f32>) -> tensor<1x4x3x3xf32>
  %e = graph.erf %d : tensor<1x4x3x3xf32>
  %p = graph.add %e, %one : (tensor<1x4x3x3xf32>, tensor<f32>) -> tensor<1x4x3x3xf32>
  %q = graph.mul %silu, %p : (tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  %gelu = graph.mul %q, %half : (tensor<1x4x3x3xf32>, tensor<f32>) -> tensor<1x4x3x3xf32>
  %a = graph.abs %x : tensor<1x4x3x3xf32>
  %gate = graph.sigmoid %s : tensor<1x4x1x1xf32>
  %scaled = graph.mul %a, %gate : (tensor<1x4x3x3xf32>, tensor<1x4x1x1xf32>) -> tensor<1x4x3x3xf32>
  %sum = graph.add %scaled, %a : (tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  return %gelu, %sum : tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>
}
