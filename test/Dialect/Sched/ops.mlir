// RUN: sinan-opt %s -split-input-file -verify-diagnostics | sinan-opt | FileCheck %s

// CHECK-LABEL: func.func @copies
// CHECK:         %[[D:.*]] = sched.to_device %{{.*}} : tensor<4xf32>
// CHECK:         sched.to_host %{{.*}} : tensor<4xf32>
func.func @copies(%x: tensor<4xf32>) -> tensor<4xf32> {
  %d = sched.to_device %x : tensor<4xf32>
  %y = npu.launch @k(%d) : (tensor<4xf32>) -> tensor<4xf32>
  %h = sched.to_host %y : tensor<4xf32>
  return %h : tensor<4xf32>
}
func.func @k(%a: tensor<4xf32>) -> tensor<4xf32>
    attributes {npu.target = #npu.target<"snpu-server">} {
  return %a : tensor<4xf32>
}

// -----

func.func @to_host_of_host(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{copies a value that is not on the device}}
  %h = sched.to_host %x : tensor<4xf32>
  return %h : tensor<4xf32>
}

// -----

func.func @to_device_twice(%x: tensor<4xf32>) -> tensor<4xf32> {
  %d = sched.to_device %x : tensor<4xf32>
  // expected-error @+1 {{copies a value that is already on the device}}
  %e = sched.to_device %d : tensor<4xf32>
  return %x : tensor<4xf32>
}

// -----

// A host kernel: a convolution, a residual add and a relu as one step.
// CHECK-LABEL: func.func @host_kernel
// CHECK:         %[[Y:.*]] = sched.host_kernel(%{{.*}}, %{{.*}}, %{{.*}}) : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
// CHECK-NEXT:    ^bb0(%[[X:.*]]: tensor<1x2x4x4xf32>, %[[W:.*]]: tensor<2x2x1x1xf32>, %[[R:.*]]: tensor<1x2x4x4xf32>):
// CHECK-NEXT:      %[[C:.*]] = graph.conv2d %[[X]], %[[W]]
// CHECK-NEXT:      %[[S:.*]] = graph.add %[[C]], %[[R]]
// CHECK-NEXT:      %[[T:.*]] = graph.relu %[[S]]
// CHECK-NEXT:      sched.yield %[[T]] : tensor<1x2x4x4xf32>
func.func @host_kernel(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>, %r: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %y = sched.host_kernel(%x, %w, %r) : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  ^bb0(%a: tensor<1x2x4x4xf32>, %b: tensor<2x2x1x1xf32>, %c: tensor<1x2x4x4xf32>):
    %0 = graph.conv2d %a, %b : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
    %1 = graph.add %0, %c : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
    %2 = graph.relu %1 : tensor<1x2x4x4xf32>
    sched.yield %2 : tensor<1x2x4x4xf32>
  }
  return %y : tensor<1x2x4x4xf32>
}

// -----

func.func @host_kernel_not_a_chain(%x: tensor<4xf32>, %z: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{body op 1 ('graph.relu') does not use the result of the op before it}}
  %y = sched.host_kernel(%x, %z) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>, %b: tensor<4xf32>):
    %0 = graph.relu %a : tensor<4xf32>
    %1 = graph.relu %b : tensor<4xf32>
    sched.yield %1 : tensor<4xf32>
  }
  return %y : tensor<4xf32>
}

// -----

func.func @host_kernel_args(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{body arguments must have the operands' types}}
  %y = sched.host_kernel(%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<8xf32>):
    %0 = graph.relu %a : tensor<8xf32>
    sched.yield %0 : tensor<8xf32>
  }
  return %y : tensor<4xf32>
}

// -----

func.func @host_kernel_yield(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{must yield the last op's result}}
  %y = sched.host_kernel(%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %0 = graph.relu %a : tensor<4xf32>
    sched.yield %a : tensor<4xf32>
  }
  return %y : tensor<4xf32>
}

// -----

func.func @host_kernel_empty(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{needs at least one op in its body}}
  %y = sched.host_kernel(%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    sched.yield %a : tensor<4xf32>
  }
  return %y : tensor<4xf32>
}

// -----

// A concatenation view round-trips; it lives where its operands do.
// CHECK-LABEL: func.func @concat_view
// CHECK:         sched.concat %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<1x2x4xf32>, tensor<1x3x4xf32>) -> tensor<1x5x4xf32>
// CHECK:         sched.to_host
func.func @concat_view(%a: tensor<1x2x4xf32>, %b: tensor<1x3x4xf32>) -> tensor<1x5x4xf32> {
  %ad = sched.to_device %a : tensor<1x2x4xf32>
  %bd = sched.to_device %b : tensor<1x3x4xf32>
  %c = sched.concat %ad, %bd {axis = 1 : i64} : (tensor<1x2x4xf32>, tensor<1x3x4xf32>) -> tensor<1x5x4xf32>
  %h = sched.to_host %c : tensor<1x5x4xf32>
  return %h : tensor<1x5x4xf32>
}

// -----

func.func @concat_interleaved(%a: tensor<2x2xf32>, %b: tensor<2x3xf32>) -> tensor<2x5xf32> {
  // expected-error @+1 {{dimension 0 before the axis is 2, not 1: the operands would not lie end to end}}
  %c = sched.concat %a, %b {axis = 1 : i64} : (tensor<2x2xf32>, tensor<2x3xf32>) -> tensor<2x5xf32>
  return %c : tensor<2x5xf32>
}

// -----

func.func @concat_sum(%a: tensor<2xf32>, %b: tensor<3xf32>) -> tensor<6xf32> {
  // expected-error @+1 {{operands sum to 5 along the axis, the result has 6}}
  %c = sched.concat %a, %b {axis = 0 : i64} : (tensor<2xf32>, tensor<3xf32>) -> tensor<6xf32>
  return %c : tensor<6xf32>
}

// -----

func.func @concat_types(%a: tensor<2xf32>, %b: tensor<3xbf16>) -> tensor<5xf32> {
  // expected-error @+1 {{operand 1 has type 'tensor<3xbf16>', not the result's element type and rank}}
  %c = sched.concat %a, %b {axis = 0 : i64} : (tensor<2xf32>, tensor<3xbf16>) -> tensor<5xf32>
  return %c : tensor<5xf32>
}

// -----

func.func @concat_memories(%a: tensor<2xf32>, %b: tensor<3xf32>) -> tensor<5xf32> {
  %ad = sched.to_device %a : tensor<2xf32>
  // expected-error @+1 {{operand 1 lives in the other memory than operand 0}}
  %c = sched.concat %ad, %b {axis = 0 : i64} : (tensor<2xf32>, tensor<3xf32>) -> tensor<5xf32>
  %h = sched.to_host %c : tensor<5xf32>
  return %h : tensor<5xf32>
}

// -----

// A slice view round-trips.
// CHECK-LABEL: func.func @slice_view
// CHECK:         sched.slice %{{.*}} {axis = 1 : i64, start = 2 : i64} : (tensor<1x6x4xf32>) -> tensor<1x3x4xf32>
func.func @slice_view(%a: tensor<1x6x4xf32>) -> tensor<1x3x4xf32> {
  %s = sched.slice %a {axis = 1 : i64, start = 2 : i64} : (tensor<1x6x4xf32>) -> tensor<1x3x4xf32>
  return %s : tensor<1x3x4xf32>
}

// -----

func.func @slice_rows(%a: tensor<2x6x4xf32>) -> tensor<2x3x4xf32> {
  // expected-error @+1 {{dimension 0 before the axis is 2, not 1: the result would not be one run}}
  %s = sched.slice %a {axis = 1 : i64, start = 2 : i64} : (tensor<2x6x4xf32>) -> tensor<2x3x4xf32>
  return %s : tensor<2x3x4xf32>
}

// -----

func.func @slice_partial(%a: tensor<1x6x4xf32>) -> tensor<1x3x2xf32> {
  // expected-error @+1 {{dimension 2 after the axis must be whole: the result would not be one run}}
  %s = sched.slice %a {axis = 1 : i64, start = 2 : i64} : (tensor<1x6x4xf32>) -> tensor<1x3x2xf32>
  return %s : tensor<1x3x2xf32>
}

// -----

func.func @slice_outside(%a: tensor<1x6x4xf32>) -> tensor<1x3x4xf32> {
  // expected-error @+1 {{elements 4 to 7 along the axis are outside the operand's 6}}
  %s = sched.slice %a {axis = 1 : i64, start = 4 : i64} : (tensor<1x6x4xf32>) -> tensor<1x3x4xf32>
  return %s : tensor<1x3x4xf32>
}
