// RUN: sinan-opt %s -split-input-file --sinan-concat-views --sinan-slice-views | FileCheck %s

// ShuffleNet's split: the half a branch reads becomes a view of the input's
// bytes (the run from channel 16 on), the half that is concatenated again
// stays a copy written into the concatenation (which is a view). Unused
// slicing kernels are erased.
// CHECK-LABEL: func.func @split
// CHECK:         %[[X:.*]] = npu.launch @sv_p
// CHECK-NEXT:    %[[A:.*]] = npu.launch @sv_lo(%[[X]])
// CHECK-NEXT:    %[[B:.*]] = sched.slice %[[X]] {axis = 1 : i64, start = 16 : i64} : (tensor<1x32x4x4xf32>) -> tensor<1x16x4x4xf32>
// CHECK-NEXT:    %[[Y:.*]] = npu.launch @sv_branch(%[[B]])
// CHECK-NEXT:    sched.concat %[[A]], %[[Y]] {axis = 1 : i64}
// CHECK-NOT:     func.func @sv_hi
func.func @split(%in: tensor<1x32x4x4xf32>) -> tensor<1x32x4x4xf32> {
  %x = npu.launch @sv_p(%in) : (tensor<1x32x4x4xf32>) -> tensor<1x32x4x4xf32>
  %a = npu.launch @sv_lo(%x) : (tensor<1x32x4x4xf32>) -> tensor<1x16x4x4xf32>
  %b = npu.launch @sv_hi(%x) : (tensor<1x32x4x4xf32>) -> tensor<1x16x4x4xf32>
  %y = npu.launch @sv_branch(%b) : (tensor<1x16x4x4xf32>) -> tensor<1x16x4x4xf32>
  %c = npu.launch @sv_cat(%a, %y) : (tensor<1x16x4x4xf32>, tensor<1x16x4x4xf32>) -> tensor<1x32x4x4xf32>
  %t = npu.launch @sv_p(%c) : (tensor<1x32x4x4xf32>) -> tensor<1x32x4x4xf32>
  return %t : tensor<1x32x4x4xf32>
}
func.func @sv_p(%a: tensor<1x32x4x4xf32>) -> tensor<1x32x4x4xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %r = graph.relu %a : tensor<1x32x4x4xf32>
  return %r : tensor<1x32x4x4xf32>
}
func.func @sv_branch(%a: tensor<1x16x4x4xf32>) -> tensor<1x16x4x4xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %r = graph.relu %a : tensor<1x16x4x4xf32>
  return %r : tensor<1x16x4x4xf32>
}
func.func @sv_lo(%a: tensor<1x32x4x4xf32>) -> tensor<1x16x4x4xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %s = graph.slice %a {starts = array<i64: 0, 0, 0, 0>, limits = array<i64: 1, 16, 4, 4>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x32x4x4xf32>) -> tensor<1x16x4x4xf32>
  return %s : tensor<1x16x4x4xf32>
}
func.func @sv_hi(%a: tensor<1x32x4x4xf32>) -> tensor<1x16x4x4xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %s = graph.slice %a {starts = array<i64: 0, 16, 0, 0>, limits = array<i64: 1, 32, 4, 4>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x32x4x4xf32>) -> tensor<1x16x4x4xf32>
  return %s : tensor<1x16x4x4xf32>
}
func.func @sv_cat(%a: tensor<1x16x4x4xf32>, %b: tensor<1x16x4x4xf32>) -> tensor<1x32x4x4xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %c = graph.concat %a, %b {axis = 1 : i64} : (tensor<1x16x4x4xf32>, tensor<1x16x4x4xf32>) -> tensor<1x32x4x4xf32>
  return %c : tensor<1x32x4x4xf32>
}

// -----

// What keeps a slice a copy: steps other than one, a narrowed axis after
// the first (two rows' first halves: not one run), a run starting off the 64-byte alignment (row 1 of 4-float rows:
// 16 bytes in), a model input or a model output. On the host, a slice of
// a host result that is one run is a view (the last one, of rows 2-3: 32
// bytes a row, 64 in).
// CHECK-LABEL: func.func @copies
// CHECK-NOT:     sched.slice
// CHECK:         sched.slice %{{.*}} {axis = 0 : i64, start = 2 : i64} : (tensor<4x8xf32>) -> tensor<2x8xf32>
// CHECK-NOT:     sched.slice
func.func @copies(%x: tensor<4x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x4xf32>, tensor<1x8xf32>, tensor<2x8xf32>) {
  %r = graph.relu %x : tensor<4x8xf32>
  %s1 = graph.slice %r {starts = array<i64: 0, 0>, limits = array<i64: 4, 8>, steps = array<i64: 2, 1>} : (tensor<4x8xf32>) -> tensor<2x8xf32>
  %s2 = graph.slice %x {starts = array<i64: 0, 0>, limits = array<i64: 2, 8>, steps = array<i64: 1, 1>} : (tensor<4x8xf32>) -> tensor<2x8xf32>
  %s3 = graph.slice %r {starts = array<i64: 0, 0>, limits = array<i64: 2, 8>, steps = array<i64: 1, 1>} : (tensor<4x8xf32>) -> tensor<2x8xf32>
  %s4 = graph.slice %r {starts = array<i64: 0, 0>, limits = array<i64: 2, 4>, steps = array<i64: 1, 1>} : (tensor<4x8xf32>) -> tensor<2x4xf32>
  %s5 = graph.slice %r {starts = array<i64: 1, 0>, limits = array<i64: 2, 8>, steps = array<i64: 1, 1>} : (tensor<4x8xf32>) -> tensor<1x8xf32>
  %s6 = graph.slice %r {starts = array<i64: 2, 0>, limits = array<i64: 4, 8>, steps = array<i64: 1, 1>} : (tensor<4x8xf32>) -> tensor<2x8xf32>
  %t = graph.relu %s6 : tensor<2x8xf32>
  return %s1, %s2, %s3, %s4, %s5, %t : tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x4xf32>, tensor<1x8xf32>, tensor<2x8xf32>
}
