// RUN: sinan-opt %s -split-input-file --sinan-concat-views | FileCheck %s

// DenseNet's pattern: before each layer, every feature so far is
// concatenated. Each launch of a concatenation kernel becomes a view (the
// latest first: the earlier ones are prefixes of its bytes), and the
// kernels no launch calls are erased.
// CHECK-LABEL: func.func @dense
// CHECK:         %[[X:.*]] = npu.launch @produce(
// CHECK-NEXT:    %[[C1:.*]] = sched.concat %[[X]] {axis = 1 : i64}
// CHECK-NEXT:    %[[Y1:.*]] = npu.launch @layer(%[[C1]])
// CHECK-NEXT:    %[[C2:.*]] = sched.concat %[[X]], %[[Y1]] {axis = 1 : i64}
// CHECK-NEXT:    %[[Y2:.*]] = npu.launch @layer2(%[[C2]])
// CHECK-NEXT:    %[[C3:.*]] = sched.concat %[[X]], %[[Y1]], %[[Y2]] {axis = 1 : i64}
// CHECK-NEXT:    npu.launch @tail(%[[C3]])
// CHECK-NOT:     func.func @cat
func.func @dense(%in: tensor<1x32x4x4xf32>) -> tensor<1x96x4x4xf32> {
  %x = npu.launch @produce(%in) : (tensor<1x32x4x4xf32>) -> tensor<1x32x4x4xf32>
  %c1 = npu.launch @cat1(%x) : (tensor<1x32x4x4xf32>) -> tensor<1x32x4x4xf32>
  %y1 = npu.launch @layer(%c1) : (tensor<1x32x4x4xf32>) -> tensor<1x32x4x4xf32>
  %c2 = npu.launch @cat2(%x, %y1) : (tensor<1x32x4x4xf32>, tensor<1x32x4x4xf32>) -> tensor<1x64x4x4xf32>
  %y2 = npu.launch @layer2(%c2) : (tensor<1x64x4x4xf32>) -> tensor<1x32x4x4xf32>
  %c3 = npu.launch @cat3(%x, %y1, %y2) : (tensor<1x32x4x4xf32>, tensor<1x32x4x4xf32>, tensor<1x32x4x4xf32>) -> tensor<1x96x4x4xf32>
  %t = npu.launch @tail(%c3) : (tensor<1x96x4x4xf32>) -> tensor<1x96x4x4xf32>
  return %t : tensor<1x96x4x4xf32>
}
func.func @produce(%a: tensor<1x32x4x4xf32>) -> tensor<1x32x4x4xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %r = graph.relu %a : tensor<1x32x4x4xf32>
  return %r : tensor<1x32x4x4xf32>
}
func.func @layer(%a: tensor<1x32x4x4xf32>) -> tensor<1x32x4x4xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %r = graph.relu %a : tensor<1x32x4x4xf32>
  return %r : tensor<1x32x4x4xf32>
}
func.func @layer2(%a: tensor<1x64x4x4xf32>) -> tensor<1x32x4x4xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %s = graph.slice %a {starts = array<i64: 0, 0, 0, 0>, limits = array<i64: 1, 32, 4, 4>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x64x4x4xf32>) -> tensor<1x32x4x4xf32>
  return %s : tensor<1x32x4x4xf32>
}
func.func @tail(%a: tensor<1x96x4x4xf32>) -> tensor<1x96x4x4xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %r = graph.relu %a : tensor<1x96x4x4xf32>
  return %r : tensor<1x96x4x4xf32>
}
func.func @cat1(%a: tensor<1x32x4x4xf32>) -> tensor<1x32x4x4xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %c = graph.concat %a {axis = 1 : i64} : (tensor<1x32x4x4xf32>) -> tensor<1x32x4x4xf32>
  return %c : tensor<1x32x4x4xf32>
}
func.func @cat2(%a: tensor<1x32x4x4xf32>, %b: tensor<1x32x4x4xf32>) -> tensor<1x64x4x4xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %c = graph.concat %a, %b {axis = 1 : i64} : (tensor<1x32x4x4xf32>, tensor<1x32x4x4xf32>) -> tensor<1x64x4x4xf32>
  return %c : tensor<1x64x4x4xf32>
}
func.func @cat3(%a: tensor<1x32x4x4xf32>, %b: tensor<1x32x4x4xf32>, %d: tensor<1x32x4x4xf32>) -> tensor<1x96x4x4xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %c = graph.concat %a, %b, %d {axis = 1 : i64} : (tensor<1x32x4x4xf32>, tensor<1x32x4x4xf32>, tensor<1x32x4x4xf32>) -> tensor<1x96x4x4xf32>
  return %c : tensor<1x96x4x4xf32>
}

// -----

// What keeps a concatenation a copy: a model input or a constant among its
// operands; the same operand twice; a batch before the axis (the operands
// would interleave); an operand that would start off the module's 64-byte
// alignment (a 1x3x2x2 f32 part is 48 bytes); an operand another
// concatenation already put elsewhere (the returned %a, %b is placed first:
// a device result reaches the caller through a copy from its device bytes,
// so it may be a view; %b, %a then cannot lie end to end in its bytes); an
// operand that would share bytes with another value written there (%out,
// %b would put %out where %a is). A kernel that does more than
// concatenate is no candidate.
// CHECK-LABEL: func.func @copies
// CHECK:         %[[A:.*]] = npu.launch @p
// CHECK-NEXT:    %[[B:.*]] = npu.launch @p
// CHECK-NOT:     sched.concat
// CHECK:         npu.launch @catr(%[[A]], %[[B]])
// CHECK-NEXT:    sched.concat %[[A]], %[[B]] {axis = 1 : i64}
// CHECK-NEXT:    npu.launch @cat(%[[B]], %[[A]])
// CHECK-NEXT:    npu.launch @use
// CHECK-NEXT:    %[[R:.*]] = sched.concat %[[A]], %[[B]] {axis = 1 : i64}
// CHECK-NEXT:    return %{{.*}}, %[[R]]
func.func @copies(%in: tensor<1x16x2x2xf32>) -> (tensor<1x16x2x2xf32>, tensor<1x32x2x2xf32>) {
  %k = graph.constant dense<1.0> : tensor<1x16x2x2xf32>
  %a = npu.launch @p(%in) : (tensor<1x16x2x2xf32>) -> tensor<1x16x2x2xf32>
  %b = npu.launch @p(%in) : (tensor<1x16x2x2xf32>) -> tensor<1x16x2x2xf32>
  %out = npu.launch @p(%in) : (tensor<1x16x2x2xf32>) -> tensor<1x16x2x2xf32>
  %c0 = npu.launch @cat(%in, %a) : (tensor<1x16x2x2xf32>, tensor<1x16x2x2xf32>) -> tensor<1x32x2x2xf32>
  %c1 = npu.launch @cat(%a, %a) : (tensor<1x16x2x2xf32>, tensor<1x16x2x2xf32>) -> tensor<1x32x2x2xf32>
  %c2 = npu.launch @cat(%out, %b) : (tensor<1x16x2x2xf32>, tensor<1x16x2x2xf32>) -> tensor<1x32x2x2xf32>
  %c3 = npu.launch @catk(%k, %b) : (tensor<1x16x2x2xf32>, tensor<1x16x2x2xf32>) -> tensor<1x32x2x2xf32>
  %n1 = npu.launch @q(%in) : (tensor<1x16x2x2xf32>) -> tensor<2x16x2x2xf32>
  %n2 = npu.launch @q(%in) : (tensor<1x16x2x2xf32>) -> tensor<2x16x2x2xf32>
  %c4 = npu.launch @catn(%n1, %n2) : (tensor<2x16x2x2xf32>, tensor<2x16x2x2xf32>) -> tensor<2x32x2x2xf32>
  %s1 = npu.launch @s(%in) : (tensor<1x16x2x2xf32>) -> tensor<1x3x2x2xf32>
  %s1b = npu.launch @s(%in) : (tensor<1x16x2x2xf32>) -> tensor<1x3x2x2xf32>
  %c5 = npu.launch @cats(%s1, %s1b) : (tensor<1x3x2x2xf32>, tensor<1x3x2x2xf32>) -> tensor<1x6x2x2xf32>
  %c6 = npu.launch @catr(%a, %b) : (tensor<1x16x2x2xf32>, tensor<1x16x2x2xf32>) -> tensor<1x32x2x2xf32>
  %c7 = npu.launch @cat(%a, %b) : (tensor<1x16x2x2xf32>, tensor<1x16x2x2xf32>) -> tensor<1x32x2x2xf32>
  %c8 = npu.launch @cat(%b, %a) : (tensor<1x16x2x2xf32>, tensor<1x16x2x2xf32>) -> tensor<1x32x2x2xf32>
  %u = npu.launch @use(%c0, %c1, %c2, %c3, %c4, %c5, %c6, %c7, %c8) : (tensor<1x32x2x2xf32>, tensor<1x32x2x2xf32>, tensor<1x32x2x2xf32>, tensor<1x32x2x2xf32>, tensor<2x32x2x2xf32>, tensor<1x6x2x2xf32>, tensor<1x32x2x2xf32>, tensor<1x32x2x2xf32>, tensor<1x32x2x2xf32>) -> tensor<1x32x2x2xf32>
  %r = npu.launch @cat(%a, %b) : (tensor<1x16x2x2xf32>, tensor<1x16x2x2xf32>) -> tensor<1x32x2x2xf32>
  return %out, %r : tensor<1x16x2x2xf32>, tensor<1x32x2x2xf32>
}
func.func @p(%a: tensor<1x16x2x2xf32>) -> tensor<1x16x2x2xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %r = graph.relu %a : tensor<1x16x2x2xf32>
  return %r : tensor<1x16x2x2xf32>
}
func.func @q(%a: tensor<1x16x2x2xf32>) -> tensor<2x16x2x2xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %c = graph.concat %a, %a {axis = 0 : i64} : (tensor<1x16x2x2xf32>, tensor<1x16x2x2xf32>) -> tensor<2x16x2x2xf32>
  %r = graph.relu %c : tensor<2x16x2x2xf32>
  return %r : tensor<2x16x2x2xf32>
}
func.func @s(%a: tensor<1x16x2x2xf32>) -> tensor<1x3x2x2xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %s = graph.slice %a {starts = array<i64: 0, 0, 0, 0>, limits = array<i64: 1, 3, 2, 2>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x16x2x2xf32>) -> tensor<1x3x2x2xf32>
  return %s : tensor<1x3x2x2xf32>
}
func.func @cat(%a: tensor<1x16x2x2xf32>, %b: tensor<1x16x2x2xf32>) -> tensor<1x32x2x2xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %c = graph.concat %a, %b {axis = 1 : i64} : (tensor<1x16x2x2xf32>, tensor<1x16x2x2xf32>) -> tensor<1x32x2x2xf32>
  return %c : tensor<1x32x2x2xf32>
}
func.func @catk(%a: tensor<1x16x2x2xf32>, %b: tensor<1x16x2x2xf32>) -> tensor<1x32x2x2xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %c = graph.concat %a, %b {axis = 1 : i64} : (tensor<1x16x2x2xf32>, tensor<1x16x2x2xf32>) -> tensor<1x32x2x2xf32>
  return %c : tensor<1x32x2x2xf32>
}
func.func @catn(%a: tensor<2x16x2x2xf32>, %b: tensor<2x16x2x2xf32>) -> tensor<2x32x2x2xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %c = graph.concat %a, %b {axis = 1 : i64} : (tensor<2x16x2x2xf32>, tensor<2x16x2x2xf32>) -> tensor<2x32x2x2xf32>
  return %c : tensor<2x32x2x2xf32>
}
func.func @cats(%a: tensor<1x3x2x2xf32>, %b: tensor<1x3x2x2xf32>) -> tensor<1x6x2x2xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %c = graph.concat %a, %b {axis = 1 : i64} : (tensor<1x3x2x2xf32>, tensor<1x3x2x2xf32>) -> tensor<1x6x2x2xf32>
  return %c : tensor<1x6x2x2xf32>
}
func.func @catr(%a: tensor<1x16x2x2xf32>, %b: tensor<1x16x2x2xf32>) -> tensor<1x32x2x2xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %c = graph.concat %a, %b {axis = 1 : i64} : (tensor<1x16x2x2xf32>, tensor<1x16x2x2xf32>) -> tensor<1x32x2x2xf32>
  %r = graph.relu %c : tensor<1x32x2x2xf32>
  return %r : tensor<1x32x2x2xf32>
}
func.func @use(%a: tensor<1x32x2x2xf32>, %b: tensor<1x32x2x2xf32>, %c: tensor<1x32x2x2xf32>, %d: tensor<1x32x2x2xf32>, %e: tensor<2x32x2x2xf32>, %f: tensor<1x6x2x2xf32>, %g: tensor<1x32x2x2xf32>, %h: tensor<1x32x2x2xf32>, %i: tensor<1x32x2x2xf32>) -> tensor<1x32x2x2xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  return %a : tensor<1x32x2x2xf32>
}

// -----

// On the host (a module for the CPU): a graph.concat of host results is a
// view too; one of a model input, and one the function returns (a model
// output, in the caller's memory), stay steps.
// CHECK-LABEL: func.func @host
// CHECK:         %[[A:.*]] = graph.relu %arg0
// CHECK-NEXT:    %[[B:.*]] = graph.sigmoid %arg0
// CHECK-NEXT:    %[[C:.*]] = sched.concat %[[A]], %[[B]] {axis = 0 : i64}
// CHECK-NEXT:    graph.concat %arg0, %[[C]]
// CHECK-NEXT:    graph.tanh
// CHECK-NEXT:    graph.neg
// CHECK-NEXT:    graph.concat
func.func @host(%x: tensor<16xf32>) -> (tensor<48xf32>, tensor<32xf32>) {
  %a = graph.relu %x : tensor<16xf32>
  %b = graph.sigmoid %x : tensor<16xf32>
  %c = graph.concat %a, %b {axis = 0 : i64} : (tensor<16xf32>, tensor<16xf32>) -> tensor<32xf32>
  %d = graph.concat %x, %c {axis = 0 : i64} : (tensor<16xf32>, tensor<32xf32>) -> tensor<48xf32>
  %t = graph.tanh %x : tensor<16xf32>
  %u = graph.neg %x : tensor<16xf32>
  %e = graph.concat %t, %u {axis = 0 : i64} : (tensor<16xf32>, tensor<16xf32>) -> tensor<32xf32>
  return %d, %e : tensor<48xf32>, tensor<32xf32>
}

// -----

// YOLO's heads reshape each scale's predictions before concatenating them:
// a reshape's bytes are its input's, so the launch that makes the input
// writes its part in place. A reshape of a model input stays a copy.
// CHECK-LABEL: func.func @reshaped
// CHECK:         %[[P:.*]] = npu.launch @rs_p
// CHECK-NEXT:    %[[R:.*]] = graph.reshape %[[P]]
// CHECK-NEXT:    %[[Q:.*]] = npu.launch @rs_q
// CHECK-NEXT:    sched.concat %[[R]], %[[Q]] {axis = 1 : i64}
// CHECK:         npu.launch @rs_cat
func.func @reshaped(%in: tensor<1x16x4x4xf32>, %in2: tensor<1x16x16xf32>) -> (tensor<1x32x16xf32>, tensor<1x32x16xf32>) {
  %p = npu.launch @rs_p(%in) : (tensor<1x16x4x4xf32>) -> tensor<1x16x4x4xf32>
  %r = graph.reshape %p : (tensor<1x16x4x4xf32>) -> tensor<1x16x16xf32>
  %q = npu.launch @rs_q(%in) : (tensor<1x16x4x4xf32>) -> tensor<1x16x16xf32>
  %c = npu.launch @rs_cat(%r, %q) : (tensor<1x16x16xf32>, tensor<1x16x16xf32>) -> tensor<1x32x16xf32>
  %t = npu.launch @rs_t(%c) : (tensor<1x32x16xf32>) -> tensor<1x32x16xf32>
  %d = npu.launch @rs_cat(%in2, %q) : (tensor<1x16x16xf32>, tensor<1x16x16xf32>) -> tensor<1x32x16xf32>
  %u = npu.launch @rs_t(%d) : (tensor<1x32x16xf32>) -> tensor<1x32x16xf32>
  return %t, %u : tensor<1x32x16xf32>, tensor<1x32x16xf32>
}
func.func @rs_p(%a: tensor<1x16x4x4xf32>) -> tensor<1x16x4x4xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %r = graph.relu %a : tensor<1x16x4x4xf32>
  return %r : tensor<1x16x4x4xf32>
}
func.func @rs_q(%a: tensor<1x16x4x4xf32>) -> tensor<1x16x16xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %r = graph.reshape %a : (tensor<1x16x4x4xf32>) -> tensor<1x16x16xf32>
  %s = graph.relu %r : tensor<1x16x16xf32>
  return %s : tensor<1x16x16xf32>
}
func.func @rs_cat(%a: tensor<1x16x16xf32>, %b: tensor<1x16x16xf32>) -> tensor<1x32x16xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %c = graph.concat %a, %b {axis = 1 : i64} : (tensor<1x16x16xf32>, tensor<1x16x16xf32>) -> tensor<1x32x16xf32>
  return %c : tensor<1x32x16xf32>
}
func.func @rs_t(%a: tensor<1x32x16xf32>) -> tensor<1x32x16xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %r = graph.relu %a : tensor<1x32x16xf32>
  return %r : tensor<1x32x16xf32>
}

// -----

// A later concatenation of some of an earlier one's operands (a model
// output made of two of an Inception module's three branches) takes their
// slot first; the earlier, larger one then takes that slot in: both views.
// CHECK-LABEL: func.func @reroot
// CHECK:         %[[A:.*]] = npu.launch @rr_p
// CHECK-NEXT:    %[[B:.*]] = npu.launch @rr_p
// CHECK-NEXT:    %[[C:.*]] = npu.launch @rr_p
// CHECK-NEXT:    sched.concat %[[A]], %[[B]], %[[C]] {axis = 1 : i64}
// CHECK:         sched.concat %[[A]], %[[B]] {axis = 1 : i64}
func.func @reroot(%in: tensor<1x16x2x2xf32>) -> (tensor<1x48x2x2xf32>, tensor<1x32x2x2xf32>) {
  %a = npu.launch @rr_p(%in) : (tensor<1x16x2x2xf32>) -> tensor<1x16x2x2xf32>
  %b = npu.launch @rr_p(%in) : (tensor<1x16x2x2xf32>) -> tensor<1x16x2x2xf32>
  %c = npu.launch @rr_p(%in) : (tensor<1x16x2x2xf32>) -> tensor<1x16x2x2xf32>
  %big = npu.launch @rr_cat3(%a, %b, %c) : (tensor<1x16x2x2xf32>, tensor<1x16x2x2xf32>, tensor<1x16x2x2xf32>) -> tensor<1x48x2x2xf32>
  %t = npu.launch @rr_t(%big) : (tensor<1x48x2x2xf32>) -> tensor<1x48x2x2xf32>
  %small = npu.launch @rr_cat2(%a, %b) : (tensor<1x16x2x2xf32>, tensor<1x16x2x2xf32>) -> tensor<1x32x2x2xf32>
  return %t, %small : tensor<1x48x2x2xf32>, tensor<1x32x2x2xf32>
}
func.func @rr_p(%a: tensor<1x16x2x2xf32>) -> tensor<1x16x2x2xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %r = graph.relu %a : tensor<1x16x2x2xf32>
  return %r : tensor<1x16x2x2xf32>
}
func.func @rr_t(%a: tensor<1x48x2x2xf32>) -> tensor<1x48x2x2xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %r = graph.relu %a : tensor<1x48x2x2xf32>
  return %r : tensor<1x48x2x2xf32>
}
func.func @rr_cat3(%a: tensor<1x16x2x2xf32>, %b: tensor<1x16x2x2xf32>, %c: tensor<1x16x2x2xf32>) -> tensor<1x48x2x2xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %r = graph.concat %a, %b, %c {axis = 1 : i64} : (tensor<1x16x2x2xf32>, tensor<1x16x2x2xf32>, tensor<1x16x2x2xf32>) -> tensor<1x48x2x2xf32>
  return %r : tensor<1x48x2x2xf32>
}
func.func @rr_cat2(%a: tensor<1x16x2x2xf32>, %b: tensor<1x16x2x2xf32>) -> tensor<1x32x2x2xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %r = graph.concat %a, %b {axis = 1 : i64} : (tensor<1x16x2x2xf32>, tensor<1x16x2x2xf32>) -> tensor<1x32x2x2xf32>
  return %r : tensor<1x32x2x2xf32>
}

// -----

// A concatenation kept as bf16 in DRAM with its operands
// (sinan-snpu-bf16-activations): its kernel widens the arguments and
// narrows the result (storage casts), which moves the bf16 values as they
// are, so it is a view too. With one operand in f32 it would convert that
// one: a copy.
// CHECK-LABEL: func.func @stored
// CHECK:         sched.concat %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<1x32x4x4xbf16>, tensor<1x32x4x4xbf16>) -> tensor<1x64x4x4xbf16>
// CHECK:         npu.launch @mixed_cat(
// CHECK-NOT:     func.func @stored_cat
func.func @stored(%in: tensor<1x32x4x4xf32>) -> (tensor<1x64x4x4xf32>, tensor<1x64x4x4xf32>) {
  %a = npu.launch @narrow(%in) : (tensor<1x32x4x4xf32>) -> tensor<1x32x4x4xbf16>
  %b = npu.launch @narrow(%in) : (tensor<1x32x4x4xf32>) -> tensor<1x32x4x4xbf16>
  %c = npu.launch @stored_cat(%a, %b) : (tensor<1x32x4x4xbf16>, tensor<1x32x4x4xbf16>) -> tensor<1x64x4x4xbf16>
  %f = npu.launch @produce2(%in) : (tensor<1x32x4x4xf32>) -> tensor<1x32x4x4xf32>
  %m = npu.launch @mixed_cat(%a, %f) : (tensor<1x32x4x4xbf16>, tensor<1x32x4x4xf32>) -> tensor<1x64x4x4xbf16>
  %t = npu.launch @widen(%c) : (tensor<1x64x4x4xbf16>) -> tensor<1x64x4x4xf32>
  %u = npu.launch @widen(%m) : (tensor<1x64x4x4xbf16>) -> tensor<1x64x4x4xf32>
  return %t, %u : tensor<1x64x4x4xf32>, tensor<1x64x4x4xf32>
}
func.func @narrow(%a: tensor<1x32x4x4xf32>) -> tensor<1x32x4x4xbf16> attributes {npu.target = #npu.target<"snpu-server">} {
  %r = graph.relu %a : tensor<1x32x4x4xf32>
  %n = graph.cast %r {npu.storage} : tensor<1x32x4x4xf32> to tensor<1x32x4x4xbf16>
  return %n : tensor<1x32x4x4xbf16>
}
func.func @produce2(%a: tensor<1x32x4x4xf32>) -> tensor<1x32x4x4xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %r = graph.relu %a : tensor<1x32x4x4xf32>
  return %r : tensor<1x32x4x4xf32>
}
func.func @stored_cat(%a: tensor<1x32x4x4xbf16>, %b: tensor<1x32x4x4xbf16>) -> tensor<1x64x4x4xbf16> attributes {npu.target = #npu.target<"snpu-server">} {
  %wa = graph.cast %a {npu.storage} : tensor<1x32x4x4xbf16> to tensor<1x32x4x4xf32>
  %wb = graph.cast %b {npu.storage} : tensor<1x32x4x4xbf16> to tensor<1x32x4x4xf32>
  %c = graph.concat %wa, %wb {axis = 1 : i64} : (tensor<1x32x4x4xf32>, tensor<1x32x4x4xf32>) -> tensor<1x64x4x4xf32>
  %n = graph.cast %c {npu.storage} : tensor<1x64x4x4xf32> to tensor<1x64x4x4xbf16>
  return %n : tensor<1x64x4x4xbf16>
}
func.func @mixed_cat(%a: tensor<1x32x4x4xbf16>, %b: tensor<1x32x4x4xf32>) -> tensor<1x64x4x4xbf16> attributes {npu.target = #npu.target<"snpu-server">} {
  %wa = graph.cast %a {npu.storage} : tensor<1x32x4x4xbf16> to tensor<1x32x4x4xf32>
  %c = graph.concat %wa, %b {axis = 1 : i64} : (tensor<1x32x4x4xf32>, tensor<1x32x4x4xf32>) -> tensor<1x64x4x4xf32>
  %n = graph.cast %c {npu.storage} : tensor<1x64x4x4xf32> to tensor<1x64x4x4xbf16>
  return %n : tensor<1x64x4x4xbf16>
}
func.func @widen(%a: tensor<1x64x4x4xbf16>) -> tensor<1x64x4x4xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %w = graph.cast %a {npu.storage} : tensor<1x64x4x4xbf16> to tensor<1x64x4x4xf32>
  %r = graph.relu %w : tensor<1x64x4x4xf32>
  return %r : tensor<1x64x4x4xf32>
}
