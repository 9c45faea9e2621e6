// RUN: sinan-opt %s -canonicalize -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @fold_add_constants
func.func @fold_add_constants() -> (tensor<2xf32>, tensor<2xi32>, tensor<1xbf16>) {
  // CHECK-DAG: %[[F:.*]] = graph.constant dense<[1.500000e+00, 0.000000e+00]> : tensor<2xf32>
  // Integer addition wraps.
  // CHECK-DAG: %[[I:.*]] = graph.constant dense<[-2147483648, 5]> : tensor<2xi32>
  // bf16 rounds once, to nearest even: 1 + 2^-8 is a tie and gives 1.
  // CHECK-DAG: %[[B:.*]] = graph.constant dense<1.000000e+00> : tensor<1xbf16>
  // CHECK-NOT: graph.add
  // CHECK: return %[[F]], %[[I]], %[[B]]
  %a = graph.constant dense<[1.0, 2.5]> : tensor<2xf32>
  %b = graph.constant dense<[0.5, -2.5]> : tensor<2xf32>
  %0 = graph.add %a, %b : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %c = graph.constant dense<[2147483647, 2]> : tensor<2xi32>
  %d = graph.constant dense<[1, 3]> : tensor<2xi32>
  %1 = graph.add %c, %d : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi32>
  %e = graph.constant dense<1.0> : tensor<1xbf16>
  %f = graph.constant dense<0.00390625> : tensor<1xbf16>
  %2 = graph.add %e, %f : (tensor<1xbf16>, tensor<1xbf16>) -> tensor<1xbf16>
  return %0, %1, %2 : tensor<2xf32>, tensor<2xi32>, tensor<1xbf16>
}

// -----

// CHECK-LABEL: func.func @fold_mul_constants
func.func @fold_mul_constants() -> tensor<3xf32> {
  // CHECK: %[[C:.*]] = graph.constant dense<[-2.000000e+00, 6.000000e+00, 0.000000e+00]> : tensor<3xf32>
  // CHECK-NEXT: return %[[C]]
  %a = graph.constant dense<[1.0, 2.0, 0.0]> : tensor<3xf32>
  %b = graph.constant dense<[-2.0, 3.0, 5.0]> : tensor<3xf32>
  %0 = graph.mul %a, %b : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Broadcasting constants are left alone (only same-type operands fold).
// CHECK-LABEL: func.func @no_fold_broadcast_constants
func.func @no_fold_broadcast_constants() -> tensor<2x2xf32> {
  // CHECK: graph.add
  %a = graph.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %b = graph.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %0 = graph.add %a, %b : (tensor<2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// -----

// CHECK-LABEL: func.func @add_negative_zero
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
func.func @add_negative_zero(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  // CHECK-NOT: graph.add
  // CHECK: return %[[X]], %[[X]]
  %z = graph.constant dense<-0.0> : tensor<4xf32>
  %0 = graph.add %x, %z : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = graph.add %z, %x : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0, %1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// x + 0.0 is not x when x is -0.0, so it stays.
// CHECK-LABEL: func.func @add_positive_zero_kept
func.func @add_positive_zero_kept(%x: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: graph.add
  %z = graph.constant dense<0.0> : tensor<4xf32>
  %0 = graph.add %x, %z : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @add_int_zero
// CHECK-SAME: (%[[X:.*]]: tensor<4xi64>)
func.func @add_int_zero(%x: tensor<4xi64>) -> tensor<4xi64> {
  // CHECK-NEXT: return %[[X]]
  %z = graph.constant dense<0> : tensor<4xi64>
  %0 = graph.add %x, %z : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

// Adding a broadcast zero changes the shape, so it is not an identity.
// CHECK-LABEL: func.func @add_zero_that_broadcasts
func.func @add_zero_that_broadcasts(%x: tensor<4xi32>) -> tensor<2x4xi32> {
  // CHECK: graph.add
  %z = graph.constant dense<0> : tensor<2x4xi32>
  %0 = graph.add %x, %z : (tensor<4xi32>, tensor<2x4xi32>) -> tensor<2x4xi32>
  return %0 : tensor<2x4xi32>
}

// -----

// CHECK-LABEL: func.func @mul_one
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xbf16>)
func.func @mul_one(%x: tensor<2x3xbf16>) -> (tensor<2x3xbf16>, tensor<2x3xbf16>) {
  // CHECK-NOT: graph.mul
  // CHECK: return %[[X]], %[[X]]
  %one = graph.constant dense<1.0> : tensor<2x3xbf16>
  %0 = graph.mul %x, %one : (tensor<2x3xbf16>, tensor<2x3xbf16>) -> tensor<2x3xbf16>
  %1 = graph.mul %one, %x : (tensor<2x3xbf16>, tensor<2x3xbf16>) -> tensor<2x3xbf16>
  return %0, %1 : tensor<2x3xbf16>, tensor<2x3xbf16>
}

// -----

// CHECK-LABEL: func.func @mul_int_zero
func.func @mul_int_zero(%x: tensor<5xi8>) -> tensor<5xi8> {
  // CHECK: %[[Z:.*]] = graph.constant dense<0> : tensor<5xi8>
  // CHECK-NEXT: return %[[Z]]
  %z = graph.constant dense<0> : tensor<5xi8>
  %0 = graph.mul %x, %z : (tensor<5xi8>, tensor<5xi8>) -> tensor<5xi8>
  return %0 : tensor<5xi8>
}

// -----

// With a dynamic result shape there is no constant to fold x * 0 to.
// CHECK-LABEL: func.func @mul_int_zero_dynamic
func.func @mul_int_zero_dynamic(%x: tensor<?xi32>) -> tensor<?xi32> {
  // CHECK: graph.mul
  %z = graph.constant dense<0> : tensor<1xi32>
  %0 = graph.mul %x, %z : (tensor<?xi32>, tensor<1xi32>) -> tensor<?xi32>
  return %0 : tensor<?xi32>
}

// -----

// x * 0.0 is not 0 for NaN, infinite or negative x.
// CHECK-LABEL: func.func @mul_float_zero_kept
func.func @mul_float_zero_kept(%x: tensor<5xf32>) -> tensor<5xf32> {
  // CHECK: graph.mul
  %z = graph.constant dense<0.0> : tensor<5xf32>
  %0 = graph.mul %x, %z : (tensor<5xf32>, tensor<5xf32>) -> tensor<5xf32>
  return %0 : tensor<5xf32>
}

// -----

// CHECK-LABEL: func.func @relu_idempotent
// CHECK-SAME: (%[[X:.*]]: tensor<1x8xf32>)
func.func @relu_idempotent(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  // CHECK-NEXT: %[[R:.*]] = graph.relu %[[X]]
  // CHECK-NEXT: return %[[R]]
  %0 = graph.relu %x : tensor<1x8xf32>
  %1 = graph.relu %0 : tensor<1x8xf32>
  %2 = graph.relu %1 : tensor<1x8xf32>
  return %2 : tensor<1x8xf32>
}

// -----

// CHECK-LABEL: func.func @relu_constant
func.func @relu_constant() -> (tensor<4xf32>, tensor<3xi32>) {
  // CHECK-DAG: graph.constant dense<[0.000000e+00, 0.000000e+00, 2.000000e+00, 0x7FC00000]> : tensor<4xf32>
  // CHECK-DAG: graph.constant dense<[0, 0, 7]> : tensor<3xi32>
  // CHECK-NOT: graph.relu
  %a = graph.constant dense<[-1.0, -0.0, 2.0, 0x7FC00000]> : tensor<4xf32>
  %0 = graph.relu %a : tensor<4xf32>
  %b = graph.constant dense<[-5, 0, 7]> : tensor<3xi32>
  %1 = graph.relu %b : tensor<3xi32>
  return %0, %1 : tensor<4xf32>, tensor<3xi32>
}

// -----

// Pure ops with no users are erased.
// CHECK-LABEL: func.func @dead_ops
func.func @dead_ops(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // CHECK-NEXT: return
  %0 = graph.conv2d %x, %w : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  %1 = graph.relu %0 : tensor<1x4x6x6xf32>
  return
}

// -----

// CHECK-LABEL: func.func @reshape_folds
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
func.func @reshape_folds(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<6xf32>, tensor<3x2xi32>) {
  // CHECK-DAG: %[[C:.*]] = graph.constant dense<{{\[}}[1, 2], [3, 4], [5, 6]]> : tensor<3x2xi32>
  // CHECK-DAG: %[[R:.*]] = graph.reshape %[[X]] : (tensor<2x3xf32>) -> tensor<6xf32>
  // CHECK: return %[[X]], %[[R]], %[[C]]
  %0 = graph.reshape %x : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %1 = graph.reshape %x : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %2 = graph.reshape %1 : (tensor<3x2xf32>) -> tensor<6xf32>
  %c = graph.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi32>
  %3 = graph.reshape %c : (tensor<2x3xi32>) -> tensor<3x2xi32>
  return %0, %2, %3 : tensor<2x3xf32>, tensor<6xf32>, tensor<3x2xi32>
}

// -----

// transpose(transpose(x)) is one transpose; an identity permutation is x.
// CHECK-LABEL: func.func @merge_transposes
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK: %[[T:.*]] = graph.transpose %[[X]] {permutation = array<i64: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
// CHECK-NOT: graph.transpose
// CHECK: return %[[T]], %[[X]]
func.func @merge_transposes(%x: tensor<2x3x4xf32>) -> (tensor<4x2x3xf32>, tensor<2x3x4xf32>) {
  %0 = graph.transpose %x {permutation = array<i64: 1, 0, 2>} : (tensor<2x3x4xf32>) -> tensor<3x2x4xf32>
  %1 = graph.transpose %0 {permutation = array<i64: 2, 1, 0>} : (tensor<3x2x4xf32>) -> tensor<4x2x3xf32>
  %2 = graph.transpose %x {permutation = array<i64: 1, 0, 2>} : (tensor<2x3x4xf32>) -> tensor<3x2x4xf32>
  %3 = graph.transpose %2 {permutation = array<i64: 1, 0, 2>} : (tensor<3x2x4xf32>) -> tensor<2x3x4xf32>
  return %1, %3 : tensor<4x2x3xf32>, tensor<2x3x4xf32>
}

// -----

// A transpose that moves only dimensions of size 1 keeps the elements'
// order: a reshape (torchvision's [1, S, E] <-> [S, 1, E]). One that
// reorders two dimensions larger than 1 stays.
// CHECK-LABEL: func.func @unit_transposes
// CHECK-SAME: (%[[X:.*]]: tensor<1x197x192xf32>, %[[Y:.*]]: tensor<197x3x64xf32>)
// CHECK: %[[R:.*]] = graph.reshape %[[X]] : (tensor<1x197x192xf32>) -> tensor<197x1x192xf32>
// CHECK: %[[T:.*]] = graph.transpose %[[Y]] {permutation = array<i64: 1, 0, 2>}
// CHECK: return %[[R]], %[[T]]
func.func @unit_transposes(%x: tensor<1x197x192xf32>, %y: tensor<197x3x64xf32>) -> (tensor<197x1x192xf32>, tensor<3x197x64xf32>) {
  %0 = graph.transpose %x {permutation = array<i64: 1, 0, 2>} : (tensor<1x197x192xf32>) -> tensor<197x1x192xf32>
  %1 = graph.transpose %y {permutation = array<i64: 1, 0, 2>} : (tensor<197x3x64xf32>) -> tensor<3x197x64xf32>
  return %0, %1 : tensor<197x1x192xf32>, tensor<3x197x64xf32>
}

// -----

// A transpose of a constant is a constant (a Gemm's transB weights are
// transposed once at compile time, not on every run): any element width
// that is whole bytes, any rank.
// CHECK-LABEL: func.func @fold_transpose_constant
// CHECK-DAG: graph.constant dense<{{\[\[}}1.000000e+00, 4.000000e+00], [2.000000e+00, 5.000000e+00], [3.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>
// CHECK-DAG: graph.constant dense<{{\[\[\[}}0, 2], [4, 6]], {{\[\[}}1, 3], [5, 7]]]> : tensor<2x2x2xi8>
// CHECK-NOT: graph.transpose
func.func @fold_transpose_constant() -> (tensor<3x2xf32>, tensor<2x2x2xi8>) {
  %a = graph.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %0 = graph.transpose %a {permutation = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %b = graph.constant dense<[[[0, 1], [2, 3]], [[4, 5], [6, 7]]]> : tensor<2x2x2xi8>
  %1 = graph.transpose %b {permutation = array<i64: 2, 0, 1>} : (tensor<2x2x2xi8>) -> tensor<2x2x2xi8>
  return %0, %1 : tensor<3x2xf32>, tensor<2x2x2xi8>
}

// -----

// A gather of one constant index is a slice without the axis; of
// consecutive ones, a slice.
// CHECK-LABEL: func.func @gather_constant_index
// CHECK-NOT: graph.gather
// CHECK: %[[S:.*]] = graph.slice %arg0 {limits = array<i64: 2, 4, 5>, starts = array<i64: 1, 0, 0>, steps = array<i64: 1, 1, 1>} : (tensor<3x4x5xf32>) -> tensor<1x4x5xf32>
// CHECK: %[[R:.*]] = graph.reshape %[[S]] : (tensor<1x4x5xf32>) -> tensor<4x5xf32>
// CHECK: %[[T:.*]] = graph.slice %arg0 {limits = array<i64: 3, 4, 4>, starts = array<i64: 0, 0, 2>, steps = array<i64: 1, 1, 1>} : (tensor<3x4x5xf32>) -> tensor<3x4x2xf32>
// CHECK: return %[[R]], %[[T]]
func.func @gather_constant_index(%x: tensor<3x4x5xf32>) -> (tensor<4x5xf32>, tensor<3x4x2xf32>) {
  %one = graph.constant dense<1> : tensor<i64>
  %run = graph.constant dense<[-3, -2]> : tensor<2xi64>
  %a = graph.gather %x, %one {axis = 0 : i64} : (tensor<3x4x5xf32>, tensor<i64>) -> tensor<4x5xf32>
  %b = graph.gather %x, %run {axis = -1 : i64} : (tensor<3x4x5xf32>, tensor<2xi64>) -> tensor<3x4x2xf32>
  return %a, %b : tensor<4x5xf32>, tensor<3x4x2xf32>
}

// -----

// Indices out of order, or not constant, stay a gather.
// CHECK-LABEL: func.func @gather_kept
// CHECK-COUNT-2: graph.gather
func.func @gather_kept(%x: tensor<3x4xf32>, %i: tensor<2xi64>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %swap = graph.constant dense<[1, 0]> : tensor<2xi64>
  %a = graph.gather %x, %swap {axis = 0 : i64} : (tensor<3x4xf32>, tensor<2xi64>) -> tensor<2x4xf32>
  %b = graph.gather %x, %i {axis = 0 : i64} : (tensor<3x4xf32>, tensor<2xi64>) -> tensor<2x4xf32>
  return %a, %b : tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// Padding by zero everywhere is the input.
// CHECK-LABEL: func.func @pad_nothing
// CHECK-NEXT: return %arg0
func.func @pad_nothing(%x: tensor<1x5x5x8xf32>) -> tensor<1x5x5x8xf32> {
  %y = graph.pad %x {low = array<i64: 0, 0, 0, 0>, high = array<i64: 0, 0, 0, 0>} : (tensor<1x5x5x8xf32>) -> tensor<1x5x5x8xf32>
  return %y : tensor<1x5x5x8xf32>
}

// -----

// A slice of everything is the input; a strided one stays.
// CHECK-LABEL: func.func @slice_everything
// CHECK-NEXT: %[[S:.*]] = graph.slice %arg0 {limits = array<i64: 1, 5, 5, 8>, starts = array<i64: 0, 0, 0, 0>, steps = array<i64: 1, 1, 2, 1>}
// CHECK-NEXT: return %arg0, %[[S]]
func.func @slice_everything(%x: tensor<1x5x5x8xf32>) -> (tensor<1x5x5x8xf32>, tensor<1x5x3x8xf32>) {
  %y = graph.slice %x {starts = array<i64: 0, 0, 0, 0>, limits = array<i64: 1, 5, 5, 8>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x5x5x8xf32>) -> tensor<1x5x5x8xf32>
  %z = graph.slice %x {starts = array<i64: 0, 0, 0, 0>, limits = array<i64: 1, 5, 5, 8>, steps = array<i64: 1, 1, 2, 1>} : (tensor<1x5x5x8xf32>) -> tensor<1x5x3x8xf32>
  return %y, %z : tensor<1x5x5x8xf32>, tensor<1x5x3x8xf32>
}

// -----

// PyTorch's avg_pool2d(x, 3, 1, padding=1) as Inception-v3 exports it: a
// Pad of zeros, then a pooling that counts every position of its windows.
// The pooling pads by itself and counts the padding.
// CHECK-LABEL: func.func @avg_pool_of_pad
// CHECK-NEXT:    %[[Y:.*]] = graph.avg_pool2d %arg0 {count_include_pad = true, kernel = array<i64: 3, 3>, pads = array<i64: 1, 2, 1, 0>}
// CHECK-NEXT:    return %[[Y]]
func.func @avg_pool_of_pad(%x: tensor<1x2x5x5xf32>) -> tensor<1x2x5x5xf32> {
  %p = graph.pad %x {low = array<i64: 0, 0, 1, 2>, high = array<i64: 0, 0, 1, 0>} : (tensor<1x2x5x5xf32>) -> tensor<1x2x7x7xf32>
  %y = graph.avg_pool2d %p {kernel = array<i64: 3, 3>} : (tensor<1x2x7x7xf32>) -> tensor<1x2x5x5xf32>
  return %y : tensor<1x2x5x5xf32>
}

// -----

// A zero pad before a convolution joins its own padding; a pad of another
// value, of the channels, or before a pooling that pads without counting it
// (or in ceil mode), stays.
// CHECK-LABEL: func.func @conv_of_pad
// CHECK-NEXT:    %[[Y:.*]] = graph.conv2d %arg0, %arg1 {pads = array<i64: 2, 1, 2, 1>}
// CHECK-NEXT:    return %[[Y]]
func.func @conv_of_pad(%x: tensor<1x2x5x5xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x4x7x5xf32> {
  %p = graph.pad %x {low = array<i64: 0, 0, 1, 0>, high = array<i64: 0, 0, 1, 0>} : (tensor<1x2x5x5xf32>) -> tensor<1x2x7x5xf32>
  %y = graph.conv2d %p, %w {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x2x7x5xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x7x5xf32>
  return %y : tensor<1x4x7x5xf32>
}

// -----

// CHECK-LABEL: func.func @pads_kept
// CHECK-COUNT-4: graph.pad
func.func @pads_kept(%x: tensor<1x2x5x5xf32>, %w: tensor<4x2x3x3xf32>, %w4: tensor<4x4x3x3xf32>) -> (tensor<1x4x5x5xf32>, tensor<1x4x3x3xf32>, tensor<1x2x4x4xf32>, tensor<1x2x3x3xf32>) {
  %one = graph.pad %x {low = array<i64: 0, 0, 1, 1>, high = array<i64: 0, 0, 1, 1>, value = 1.0 : f64} : (tensor<1x2x5x5xf32>) -> tensor<1x2x7x7xf32>
  %a = graph.conv2d %one, %w : (tensor<1x2x7x7xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x5x5xf32>
  %c = graph.pad %x {low = array<i64: 0, 1, 0, 0>, high = array<i64: 0, 1, 0, 0>} : (tensor<1x2x5x5xf32>) -> tensor<1x4x5x5xf32>
  %b = graph.conv2d %c, %w4 : (tensor<1x4x5x5xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  %z = graph.pad %x {low = array<i64: 0, 0, 1, 1>, high = array<i64: 0, 0, 1, 1>} : (tensor<1x2x5x5xf32>) -> tensor<1x2x7x7xf32>
  %d = graph.avg_pool2d %z {kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x2x7x7xf32>) -> tensor<1x2x4x4xf32>
  %q = graph.pad %x {low = array<i64: 0, 0, 0, 0>, high = array<i64: 0, 0, 1, 1>} : (tensor<1x2x5x5xf32>) -> tensor<1x2x6x6xf32>
  %e = graph.avg_pool2d %q {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, ceil_mode = true} : (tensor<1x2x6x6xf32>) -> tensor<1x2x3x3xf32>
  return %a, %b, %d, %e : tensor<1x4x5x5xf32>, tensor<1x4x3x3xf32>, tensor<1x2x4x4xf32>, tensor<1x2x3x3xf32>
}

// -----

// The add of a residual moves above the reshape of a biased product (the
// residual is reshaped instead), so it can join the product's epilogue;
// the operands keep their order.
// CHECK-LABEL: func.func @residual_of_reshaped_product
// CHECK-SAME: (%[[A:.*]]: tensor<197x192xf32>, %[[W:.*]]: tensor<192x192xf32>, %[[B:.*]]: tensor<192xf32>, %[[R:.*]]: tensor<1x197x192xf32>)
func.func @residual_of_reshaped_product(%a: tensor<197x192xf32>, %w: tensor<192x192xf32>, %b: tensor<192xf32>, %r: tensor<1x197x192xf32>) -> tensor<1x197x192xf32> {
  // CHECK: %[[P:.*]] = graph.matmul %[[A]], %[[W]]
  // CHECK: %[[PB:.*]] = graph.add %[[P]], %[[B]]
  // CHECK: %[[R2:.*]] = graph.reshape %[[R]] : (tensor<1x197x192xf32>) -> tensor<197x192xf32>
  // CHECK: %[[S:.*]] = graph.add %[[R2]], %[[PB]] : (tensor<197x192xf32>, tensor<197x192xf32>) -> tensor<197x192xf32>
  // CHECK: %[[Y:.*]] = graph.reshape %[[S]] : (tensor<197x192xf32>) -> tensor<1x197x192xf32>
  // CHECK: return %[[Y]]
  %0 = graph.matmul %a, %w : (tensor<197x192xf32>, tensor<192x192xf32>) -> tensor<197x192xf32>
  %1 = graph.add %0, %b : (tensor<197x192xf32>, tensor<192xf32>) -> tensor<197x192xf32>
  %2 = graph.reshape %1 : (tensor<197x192xf32>) -> tensor<1x197x192xf32>
  %3 = graph.add %r, %2 : (tensor<1x197x192xf32>, tensor<1x197x192xf32>) -> tensor<1x197x192xf32>
  return %3 : tensor<1x197x192xf32>
}

// -----

// Left alone: the reshape has another user, the residual broadcasts, or
// the reshaped value is no product.
// CHECK-LABEL: func.func @reshape_not_sunk
func.func @reshape_not_sunk(%a: tensor<4x8xf32>, %w: tensor<8x8xf32>, %r: tensor<1x4x8xf32>, %row: tensor<8xf32>, %x: tensor<4x8xf32>) -> (tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>) {
  // CHECK-COUNT-3: graph.reshape
  // CHECK-NOT: graph.reshape
  %0 = graph.matmul %a, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %1 = graph.reshape %0 : (tensor<4x8xf32>) -> tensor<1x4x8xf32>
  %2 = graph.add %1, %r : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %3 = graph.matmul %x, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %4 = graph.reshape %3 : (tensor<4x8xf32>) -> tensor<1x4x8xf32>
  %5 = graph.add %4, %row : (tensor<1x4x8xf32>, tensor<8xf32>) -> tensor<1x4x8xf32>
  %6 = graph.reshape %x : (tensor<4x8xf32>) -> tensor<1x4x8xf32>
  %7 = graph.add %6, %r : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  return %1, %2, %5, %7 : tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>
}

// -----

// Two reshaped products: the sum could join either epilogue; left alone
// (sinking one reshape would expose the other, back and forth).
// CHECK-LABEL: func.func @two_reshaped_products
func.func @two_reshaped_products(%a: tensor<49x8xf32>, %w: tensor<8x8xf32>, %b: tensor<8xf32>, %x: tensor<1x7x7x8xf32>) -> tensor<1x7x7x8xf32> {
  // CHECK: %[[P:.*]] = graph.add
  // CHECK: %[[Q:.*]] = graph.reshape %[[P]]
  // CHECK: graph.add %[[Q]], %{{.*}} : (tensor<1x7x7x8xf32>, tensor<1x7x7x8xf32>)
  // CHECK-NOT: graph.reshape
  %0 = graph.matmul %a, %w : (tensor<49x8xf32>, tensor<8x8xf32>) -> tensor<49x8xf32>
  %1 = graph.add %0, %b : (tensor<49x8xf32>, tensor<8xf32>) -> tensor<49x8xf32>
  %2 = graph.reshape %1 : (tensor<49x8xf32>) -> tensor<1x7x7x8xf32>
  %3 = graph.matmul %x, %w : (tensor<1x7x7x8xf32>, tensor<8x8xf32>) -> tensor<1x7x7x8xf32>
  %4 = graph.add %2, %3 : (tensor<1x7x7x8xf32>, tensor<1x7x7x8xf32>) -> tensor<1x7x7x8xf32>
  return %4 : tensor<1x7x7x8xf32>
}

// -----

// A bound of each after the other is one clip: max(min(x, hi), lo) (the
// importer's HardSigmoid; a constant written first moves last) and
// min(max(x, lo), hi), bf16 bounds exactly as f32.
// CHECK-LABEL: func.func @bounds_to_clip
func.func @bounds_to_clip(%x: tensor<1x8x1x1xf32>, %y: tensor<4xbf16>) -> (tensor<1x8x1x1xf32>, tensor<1x8x1x1xf32>, tensor<4xbf16>) {
  // CHECK: %[[A:.*]] = graph.clip %arg0 {max = 1.000000e+00 : f32, min = 0.000000e+00 : f32} : tensor<1x8x1x1xf32>
  // CHECK: %[[B:.*]] = graph.clip %arg0 {max = 6.000000e+00 : f32, min = -0.000000e+00 : f32} : tensor<1x8x1x1xf32>
  // CHECK: %[[C:.*]] = graph.clip %arg1 {max = 2.500000e+00 : f32, min = -1.000000e+00 : f32} : tensor<4xbf16>
  // CHECK-NOT: graph.min
  // CHECK-NOT: graph.max
  // CHECK: return %[[A]], %[[B]], %[[C]]
  %zero = graph.constant dense<0.0> : tensor<f32>
  %one = graph.constant dense<1.0> : tensor<1xf32>
  %0 = graph.min %one, %x : (tensor<1xf32>, tensor<1x8x1x1xf32>) -> tensor<1x8x1x1xf32>
  %1 = graph.max %zero, %0 : (tensor<f32>, tensor<1x8x1x1xf32>) -> tensor<1x8x1x1xf32>
  %nzero = graph.constant dense<-0.0> : tensor<f32>
  %six = graph.constant dense<6.0> : tensor<f32>
  %2 = graph.max %x, %nzero : (tensor<1x8x1x1xf32>, tensor<f32>) -> tensor<1x8x1x1xf32>
  %3 = graph.min %2, %six : (tensor<1x8x1x1xf32>, tensor<f32>) -> tensor<1x8x1x1xf32>
  %lo = graph.constant dense<-1.0> : tensor<bf16>
  %hi = graph.constant dense<2.5> : tensor<bf16>
  %4 = graph.min %y, %hi : (tensor<4xbf16>, tensor<bf16>) -> tensor<4xbf16>
  %5 = graph.max %4, %lo : (tensor<4xbf16>, tensor<bf16>) -> tensor<4xbf16>
  return %1, %3, %5 : tensor<1x8x1x1xf32>, tensor<1x8x1x1xf32>, tensor<4xbf16>
}

// -----

// Left alone: bounds the wrong way round (the result is the upper one, not
// a clip), a bound that broadcasts x to a larger shape, an inner op with
// another user, a bound that is not a splat, and a NaN bound.
// CHECK-LABEL: func.func @bounds_not_clip
func.func @bounds_not_clip(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  // CHECK-NOT: graph.clip
  // CHECK-COUNT-5: graph.max
  // CHECK-NOT: graph.clip
  %zero = graph.constant dense<0.0> : tensor<f32>
  %one = graph.constant dense<1.0> : tensor<f32>
  %0 = graph.min %x, %zero : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = graph.max %0, %one : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %wide = graph.constant dense<0.0> : tensor<2x4xf32>
  %2 = graph.min %x, %one : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %3 = graph.max %2, %wide : (tensor<4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %4 = graph.min %x, %one : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %5 = graph.max %4, %zero : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %ramp = graph.constant dense<[0.0, 0.0, 0.0, -1.0]> : tensor<4xf32>
  %6 = graph.min %x, %one : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %7 = graph.max %6, %ramp : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %nan = graph.constant dense<0x7FC00000> : tensor<f32>
  %8 = graph.min %x, %one : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %9 = graph.max %8, %nan : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %1, %3, %4, %5, %7, %9 : tensor<4xf32>, tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
