// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-server --sinan-insert-copies | FileCheck %s
// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-server --sinan-insert-copies --sinan-insert-copies | FileCheck %s

// The add runs on the SNPU, the average pool on the host: the add's operands go
// to the device just before it (the argument once, though it is read
// twice), its result comes back before the pool, and the pool's host result
// is returned as it is. The relu after the add is absorbed by its kernel.
// CHECK-LABEL: func.func @main
// CHECK-SAME:    (%[[X:.*]]: tensor<1x16x8x8xf32>)
// CHECK:         %[[XD:.*]] = sched.to_device %[[X]] : tensor<1x16x8x8xf32>
// CHECK-NEXT:    %[[S:.*]] = npu.launch @add_kernel(%[[XD]], %[[XD]])
// CHECK-NEXT:    %[[SH:.*]] = sched.to_host %[[S]] : tensor<1x16x8x8xf32>
// CHECK-NEXT:    %[[P:.*]] = graph.avg_pool2d %[[SH]]
// CHECK-NEXT:    return %[[P]], %[[SH]]
func.func @main(%x: tensor<1x16x8x8xf32>) -> (tensor<1x16x4x4xf32>, tensor<1x16x8x8xf32>) {
  %s = graph.add %x, %x : (tensor<1x16x8x8xf32>, tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32> loc("add")
  %r = graph.relu %s : tensor<1x16x8x8xf32>
  %p = graph.avg_pool2d %r {kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x16x8x8xf32>) -> tensor<1x16x4x4xf32>
  return %p, %r : tensor<1x16x4x4xf32>, tensor<1x16x8x8xf32>
}

// A reshape lives where its operand does: of a launch's result, it is a
// device value (a view) that the next launch takes without copies; only the
// returned value comes back.
// CHECK-LABEL: func.func @device_reshape
// CHECK:         %[[A:.*]] = npu.launch @relu_kernel
// CHECK-NEXT:    %[[V:.*]] = graph.reshape %[[A]]
// CHECK-NEXT:    %[[B:.*]] = npu.launch @neg_kernel(%[[V]])
// CHECK-NEXT:    %[[H:.*]] = sched.to_host %[[B]]
// CHECK-NEXT:    return %[[H]]
func.func @device_reshape(%x: tensor<64xf32>) -> tensor<8x8xf32> {
  %a = graph.relu %x : tensor<64xf32> loc("relu")
  %v = graph.reshape %a : (tensor<64xf32>) -> tensor<8x8xf32>
  %b = graph.neg %v : tensor<8x8xf32> loc("neg")
  return %b : tensor<8x8xf32>
}
