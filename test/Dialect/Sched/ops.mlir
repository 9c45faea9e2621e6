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
