// RUN: sinan-opt %s -split-input-file --sinan-plan-memory | FileCheck %s

// Device copies of constants are placed first and never freed; every other
// value lives from its step to its last reader, first fit at 64-byte
// offsets; a step's results are placed before its inputs are freed; model
// outputs (returned host values) and constants take no arena space (-1).
// The host and the device have separate arenas.
// CHECK-LABEL: func.func @main
// CHECK-SAME:    attributes {sched.device_arena = 1088 : i64, sched.host_arena = 512 : i64}
// CHECK:         sched.to_device %{{.*}} {sched.offsets = array<i64: 64>}
// CHECK-NEXT:    sched.to_device %{{.*}} {sched.offsets = array<i64: 0>}
// CHECK-NEXT:    npu.launch @k(%{{.*}}, %{{.*}}) {sched.offsets = array<i64: 576>}
// CHECK-NEXT:    sched.to_host %{{.*}} {sched.offsets = array<i64: 0>}
// CHECK-NEXT:    graph.relu %{{.*}} {sched.offsets = array<i64: -1>}
// CHECK-NEXT:    return
func.func @main(%x: tensor<128xf32>) -> tensor<128xf32> {
  %w = graph.constant dense<1.0> : tensor<16xf32>
  %xd = sched.to_device %x : tensor<128xf32>
  %wd = sched.to_device %w : tensor<16xf32>
  %y = npu.launch @k(%xd, %wd) : (tensor<128xf32>, tensor<16xf32>) -> tensor<128xf32>
  %yh = sched.to_host %y : tensor<128xf32>
  %r = graph.relu %yh : tensor<128xf32>
  return %r : tensor<128xf32>
}
func.func @k(%a: tensor<128xf32>, %b: tensor<16xf32>) -> tensor<128xf32>
    attributes {npu.target = #npu.target<"snpu-server">} {
  return %a : tensor<128xf32>
}

// -----

// A value read by no one is freed right after its step: the next result
// reuses its bytes.
// CHECK-LABEL: func.func @unread
// CHECK:         graph.relu %{{.*}} {sched.offsets = array<i64: 0>}
// CHECK-NEXT:    graph.relu %{{.*}} {sched.offsets = array<i64: 0>}
// CHECK-NEXT:    graph.relu %{{.*}} {sched.offsets = array<i64: -1>}
func.func @unread(%x: tensor<16xf32>) -> tensor<16xf32> {
  %dead = graph.relu %x : tensor<16xf32>
  %a = graph.relu %x : tensor<16xf32>
  %b = graph.relu %a : tensor<16xf32>
  return %b : tensor<16xf32>
}

// -----

// A reshape of an intermediate shares its bytes (the step copies nothing),
// and the slot lives until the last read of either value: %a's bytes stay
// taken until %f reads %r, so %d, %e and %f go elsewhere. A reshape of a
// model input gets bytes of its own, one into a model output none.
// CHECK-LABEL: func.func @reshapes
// CHECK:         graph.relu %{{.*}} {sched.offsets = array<i64: 0>}
// CHECK-NEXT:    graph.reshape %{{.*}} {sched.offsets = array<i64: 0>}
// CHECK-NEXT:    graph.relu %{{.*}} {sched.offsets = array<i64: 64>}
// CHECK-NEXT:    graph.add %{{.*}} {sched.offsets = array<i64: 128>}
// CHECK-NEXT:    graph.reshape %arg0 {sched.offsets = array<i64: 64>}
// CHECK-NEXT:    graph.add %{{.*}} {sched.offsets = array<i64: 192>}
// CHECK-NEXT:    graph.reshape %{{.*}} {sched.offsets = array<i64: 128>}
// CHECK-NEXT:    graph.add %{{.*}} {sched.offsets = array<i64: -1>}
func.func @reshapes(%x: tensor<4x4xf32>) -> tensor<16xf32> {
  %a = graph.relu %x : tensor<4x4xf32>
  %r = graph.reshape %a : (tensor<4x4xf32>) -> tensor<16xf32>
  %c = graph.relu %x : tensor<4x4xf32>
  %d = graph.add %a, %c : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %e = graph.reshape %x : (tensor<4x4xf32>) -> tensor<16xf32>
  %f = graph.add %r, %e : (tensor<16xf32>, tensor<16xf32>) -> tensor<16xf32>
  %g = graph.reshape %d : (tensor<4x4xf32>) -> tensor<16xf32>
  %h = graph.add %f, %g : (tensor<16xf32>, tensor<16xf32>) -> tensor<16xf32>
  return %h : tensor<16xf32>
}

// -----

// A reshape of a device value is a view: it always shares its operand's
// device bytes (the module's view step), and the shared slot lives until
// the last read of either, so the second launch's result does not take
// it (it takes the input copy's, free by then).
// CHECK-LABEL: func.func @device_view
// CHECK:         sched.to_device %{{.*}} {sched.offsets = array<i64: 0>}
// CHECK-NEXT:    npu.launch @k2(%{{.*}}) {sched.offsets = array<i64: 64>}
// CHECK-NEXT:    graph.reshape %{{.*}} {sched.offsets = array<i64: 64>}
// CHECK-NEXT:    npu.launch @k3(%{{.*}}) {sched.offsets = array<i64: 0>}
func.func @device_view(%x: tensor<16xf32>) -> tensor<4x4xf32> {
  %xd = sched.to_device %x : tensor<16xf32>
  %a = npu.launch @k2(%xd) : (tensor<16xf32>) -> tensor<16xf32>
  %v = graph.reshape %a : (tensor<16xf32>) -> tensor<4x4xf32>
  %b = npu.launch @k3(%v) : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %h = sched.to_host %b : tensor<4x4xf32>
  return %h : tensor<4x4xf32>
}
func.func @k2(%a: tensor<16xf32>) -> tensor<16xf32>
    attributes {npu.target = #npu.target<"snpu-server">} {
  return %a : tensor<16xf32>
}
func.func @k3(%a: tensor<4x4xf32>) -> tensor<4x4xf32>
    attributes {npu.target = #npu.target<"snpu-server">} {
  return %a : tensor<4x4xf32>
}

// -----

// A concatenation view's operands lie in its result's slot, end to end:
// the slot is made when its first operand is written (%a at 256, while the
// input's copy still holds 0-255) and lives until the last read of any
// value in it; an earlier view that is a prefix of a later one (%c1 of
// %c2) shares its first bytes. %y, written while %c2 is read, goes past it.
// CHECK-LABEL: func.func @concat_views
// CHECK-SAME:    sched.device_arena = 1280 : i64
// CHECK:         sched.to_device %{{.*}} {sched.offsets = array<i64: 0>}
// CHECK-NEXT:    npu.launch @cv_p(%{{.*}}) {sched.offsets = array<i64: 256>}
// CHECK-NEXT:    sched.concat %{{.*}} {axis = 1 : i64, sched.offsets = array<i64: 256>}
// CHECK-NEXT:    npu.launch @cv_p(%{{.*}}) {sched.offsets = array<i64: 512>}
// CHECK-NEXT:    sched.concat %{{.*}}, %{{.*}} {axis = 1 : i64, sched.offsets = array<i64: 256>}
// CHECK-NEXT:    npu.launch @cv_q(%{{.*}}) {sched.offsets = array<i64: 768>}
func.func @concat_views(%x: tensor<1x16x2x2xf32>) -> tensor<1x32x2x2xf32> {
  %xd = sched.to_device %x : tensor<1x16x2x2xf32>
  %a = npu.launch @cv_p(%xd) : (tensor<1x16x2x2xf32>) -> tensor<1x16x2x2xf32>
  %c1 = sched.concat %a {axis = 1 : i64} : (tensor<1x16x2x2xf32>) -> tensor<1x16x2x2xf32>
  %b = npu.launch @cv_p(%c1) : (tensor<1x16x2x2xf32>) -> tensor<1x16x2x2xf32>
  %c2 = sched.concat %a, %b {axis = 1 : i64} : (tensor<1x16x2x2xf32>, tensor<1x16x2x2xf32>) -> tensor<1x32x2x2xf32>
  %y = npu.launch @cv_q(%c2) : (tensor<1x32x2x2xf32>) -> tensor<1x32x2x2xf32>
  %yh = sched.to_host %y : tensor<1x32x2x2xf32>
  return %yh : tensor<1x32x2x2xf32>
}
func.func @cv_p(%a: tensor<1x16x2x2xf32>) -> tensor<1x16x2x2xf32>
    attributes {npu.target = #npu.target<"snpu-server">} {
  return %a : tensor<1x16x2x2xf32>
}
func.func @cv_q(%a: tensor<1x32x2x2xf32>) -> tensor<1x32x2x2xf32>
    attributes {npu.target = #npu.target<"snpu-server">} {
  return %a : tensor<1x32x2x2xf32>
}

// -----

// A slice view lies in its operand's slot, its run's offset in, and keeps
// the slot until its last read: %z (written while %s is read) goes past it.
// CHECK-LABEL: func.func @slice_view
// CHECK-SAME:    sched.host_arena = 192 : i64
// CHECK:         graph.relu %{{.*}} {sched.offsets = array<i64: 0>}
// CHECK-NEXT:    sched.slice %{{.*}} {axis = 0 : i64, sched.offsets = array<i64: 64>, start = 2 : i64}
// CHECK-NEXT:    graph.sigmoid %{{.*}} {sched.offsets = array<i64: 128>}
func.func @slice_view(%x: tensor<4x8xf32>) -> tensor<2x8xf32> {
  %r = graph.relu %x : tensor<4x8xf32>
  %s = sched.slice %r {axis = 0 : i64, start = 2 : i64} : (tensor<4x8xf32>) -> tensor<2x8xf32>
  %z = graph.sigmoid %s : tensor<2x8xf32>
  %y = graph.relu %z : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// A concatenation view's operand made by a reshape: the reshape's input
// lies in the concatenation's bytes too (its producer writes them there).
// CHECK-LABEL: func.func @reshaped_operand
// CHECK:         graph.relu %{{.*}} {sched.offsets = array<i64: 0>}
// CHECK-NEXT:    graph.reshape %{{.*}} {sched.offsets = array<i64: 0>}
// CHECK-NEXT:    graph.sigmoid %{{.*}} {sched.offsets = array<i64: 64>}
// CHECK-NEXT:    sched.concat %{{.*}}, %{{.*}} {axis = 0 : i64, sched.offsets = array<i64: 0>}
func.func @reshaped_operand(%x: tensor<4x4xf32>) -> tensor<32xf32> {
  %a = graph.relu %x : tensor<4x4xf32>
  %r = graph.reshape %a : (tensor<4x4xf32>) -> tensor<16xf32>
  %b = graph.sigmoid %r : tensor<16xf32>
  %c = sched.concat %r, %b {axis = 0 : i64} : (tensor<16xf32>, tensor<16xf32>) -> tensor<32xf32>
  %d = graph.relu %c : tensor<32xf32>
  return %d : tensor<32xf32>
}

// -----

// The larger, earlier view takes in the slot of the later one: %c lies
// past %a and %b in one 768-byte slot (%d and %e are model outputs).
// CHECK-LABEL: func.func @reroot
// CHECK-SAME:    sched.host_arena = 768 : i64
// CHECK:         graph.relu %{{.*}} {sched.offsets = array<i64: 0>}
// CHECK-NEXT:    graph.sigmoid %{{.*}} {sched.offsets = array<i64: 256>}
// CHECK-NEXT:    graph.tanh %{{.*}} {sched.offsets = array<i64: 512>}
// CHECK-NEXT:    sched.concat %{{.*}}, %{{.*}}, %{{.*}} {axis = 0 : i64, sched.offsets = array<i64: 0>}
// CHECK-NEXT:    graph.neg %{{.*}} {sched.offsets = array<i64: -1>}
// CHECK-NEXT:    sched.concat %{{.*}}, %{{.*}} {axis = 0 : i64, sched.offsets = array<i64: 0>}
func.func @reroot(%x: tensor<64xf32>) -> (tensor<192xf32>, tensor<128xf32>) {
  %a = graph.relu %x : tensor<64xf32>
  %b = graph.sigmoid %x : tensor<64xf32>
  %c = graph.tanh %x : tensor<64xf32>
  %big = sched.concat %a, %b, %c {axis = 0 : i64} : (tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<192xf32>
  %d = graph.neg %big : tensor<192xf32>
  %small = sched.concat %a, %b {axis = 0 : i64} : (tensor<64xf32>, tensor<64xf32>) -> tensor<128xf32>
  %e = graph.relu %small : tensor<128xf32>
  return %d, %e : tensor<192xf32>, tensor<128xf32>
}
