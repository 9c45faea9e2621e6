// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-server --sinan-snpu-bf16-activations=target=snpu-server --mlir-elide-elementsattrs-if-larger=4 | FileCheck %s
// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-server --sinan-snpu-bf16-activations="target=snpu-server residuals=false" --mlir-elide-elementsattrs-if-larger=4 | FileCheck %s --check-prefix=NORES

// A convolution's result that only the next convolution reads (through the
// matrix unit, which rounds it to bf16 anyway) stays in DRAM as bf16: the
// producer narrows it before its return, the consumer widens its argument.
// The second convolution's result is returned (the host reads it): f32.
// CHECK-LABEL: func.func @chain
// CHECK:         %[[A:.*]] = npu.launch @a_kernel({{.*}}) : ({{.*}}) -> tensor<1x64x16x16xbf16>
// CHECK:         %[[B:.*]] = npu.launch @b_kernel(%[[A]], {{.*}}) : (tensor<1x64x16x16xbf16>, {{.*}}) -> tensor<1x64x16x16xf32>
// CHECK:         return %[[B]]
func.func @chain(%x: tensor<1x64x16x16xf32>) -> tensor<1x64x16x16xf32> {
  %w = graph.constant dense<0.5> : tensor<64x64x1x1xf32>
  %b = graph.constant dense<0.25> : tensor<64xf32>
  %a = graph.conv2d %x, %w, %b : (tensor<1x64x16x16xf32>, tensor<64x64x1x1xf32>, tensor<64xf32>) -> tensor<1x64x16x16xf32> loc("a")
  %r = graph.relu %a : tensor<1x64x16x16xf32>
  %c = graph.conv2d %r, %w, %b : (tensor<1x64x16x16xf32>, tensor<64x64x1x1xf32>, tensor<64xf32>) -> tensor<1x64x16x16xf32> loc("b")
  return %c : tensor<1x64x16x16xf32>
}

// A value another user reads in f32 stays f32: here the host (returned), and
// a depthwise convolution on the vector unit (which computes in f32).
// CHECK-LABEL: func.func @kept
// CHECK:         npu.launch @k1_kernel({{.*}}) -> tensor<1x64x16x16xf32>
// CHECK:         npu.launch @k2_kernel({{.*}}) -> tensor<1x64x16x16xf32>
// CHECK:         npu.launch @k3_kernel({{.*}}) -> tensor<1x64x16x16xf32>
func.func @kept(%x: tensor<1x64x16x16xf32>) -> (tensor<1x64x16x16xf32>, tensor<1x64x16x16xf32>) {
  %w = graph.constant dense<0.5> : tensor<64x64x1x1xf32>
  %dw = graph.constant dense<0.5> : tensor<64x1x3x3xf32>
  %a = graph.conv2d %x, %w : (tensor<1x64x16x16xf32>, tensor<64x64x1x1xf32>) -> tensor<1x64x16x16xf32> loc("k1")
  %b = graph.conv2d %a, %w : (tensor<1x64x16x16xf32>, tensor<64x64x1x1xf32>) -> tensor<1x64x16x16xf32> loc("k2")
  %d = graph.conv2d %b, %dw {group = 64 : i64, pads = array<i64: 1, 1, 1, 1>, snpu.narrow_groups = "vector"} : (tensor<1x64x16x16xf32>, tensor<64x1x3x3xf32>) -> tensor<1x64x16x16xf32> loc("k3")
  return %a, %d : tensor<1x64x16x16xf32>, tensor<1x64x16x16xf32>
}

// The same depthwise convolution as the matrix unit's block-diagonal chunks
// (which round their input to bf16, as every matrix-unit kernel does):
// its input stays bf16.
// CHECK-LABEL: func.func @diagonal
// CHECK:         %[[E:.*]] = npu.launch @e1_kernel({{.*}}) -> tensor<1x64x16x16xbf16>
// CHECK:         npu.launch @e2_kernel(%[[E]]{{.*}}) -> tensor<1x64x16x16xf32>
func.func @diagonal(%x: tensor<1x64x16x16xf32>) -> tensor<1x64x16x16xf32> {
  %w = graph.constant dense<0.5> : tensor<64x64x1x1xf32>
  %dw = graph.constant dense<0.5> : tensor<64x1x3x3xf32>
  %a = graph.conv2d %x, %w : (tensor<1x64x16x16xf32>, tensor<64x64x1x1xf32>) -> tensor<1x64x16x16xf32> loc("e1")
  %d = graph.conv2d %a, %dw {group = 64 : i64, pads = array<i64: 1, 1, 1, 1>, snpu.narrow_groups = "matrix"} : (tensor<1x64x16x16xf32>, tensor<64x1x3x3xf32>) -> tensor<1x64x16x16xf32> loc("e2")
  return %d : tensor<1x64x16x16xf32>
}

// A residual the epilogue adds (the first convolution's kernel takes the
// add, the second's result is its residual) is kept as bf16 too (the one value that then
// changes, rounded as a bf16 network's residual stream), unless
// residuals=false.
// CHECK-LABEL: func.func @residual
// CHECK:         %[[D:.*]] = npu.launch @down_kernel({{.*}}) -> tensor<1x64x16x16xbf16>
// CHECK:         npu.launch @main_kernel({{.*}}, %[[D]]) : ({{.*}}, tensor<1x64x16x16xbf16>) -> tensor<1x64x16x16xf32>
// NORES-LABEL: func.func @residual
// NORES:         npu.launch @down_kernel({{.*}}) -> tensor<1x64x16x16xf32>
func.func @residual(%x: tensor<1x64x16x16xf32>) -> tensor<1x64x16x16xf32> {
  %w = graph.constant dense<0.5> : tensor<64x64x1x1xf32>
  %m = graph.conv2d %x, %w : (tensor<1x64x16x16xf32>, tensor<64x64x1x1xf32>) -> tensor<1x64x16x16xf32> loc("main")
  %d = graph.conv2d %x, %w : (tensor<1x64x16x16xf32>, tensor<64x64x1x1xf32>) -> tensor<1x64x16x16xf32> loc("down")
  %s = graph.add %m, %d : (tensor<1x64x16x16xf32>, tensor<1x64x16x16xf32>) -> tensor<1x64x16x16xf32>
  return %s : tensor<1x64x16x16xf32>
}

// Matrix products: the first's result is the second's left operand.
// CHECK-LABEL: func.func @matmuls
// CHECK:         %[[P:.*]] = npu.launch @p_kernel({{.*}}) -> tensor<128x256xbf16>
// CHECK:         npu.launch @q_kernel(%[[P]], {{.*}}) : (tensor<128x256xbf16>, {{.*}}) -> tensor<128x256xf32>
func.func @matmuls(%x: tensor<128x256xf32>) -> tensor<128x256xf32> {
  %w = graph.constant dense<0.5> : tensor<256x256xf32>
  %p = graph.matmul %x, %w : (tensor<128x256xf32>, tensor<256x256xf32>) -> tensor<128x256xf32> loc("p")
  %q = graph.matmul %p, %w : (tensor<128x256xf32>, tensor<256x256xf32>) -> tensor<128x256xf32> loc("q")
  return %q : tensor<128x256xf32>
}

// When the tilers' estimates add up to more cycles the value stays f32:
// ResNet-50's stride-2 3x3 convolution (56x56 -> 28x28) splits its output
// rows over the cores, which a 28x28 plane of bf16 (1,568 bytes, not whole
// granules) does not allow.
// CHECK-LABEL: func.func @slower
// CHECK:         npu.launch @s1_kernel({{.*}}) -> tensor<1x128x28x28xf32>
func.func @slower(%x: tensor<1x128x56x56xf32>) -> tensor<1x512x28x28xf32> {
  %w = graph.constant dense<0.5> : tensor<128x128x3x3xf32>
  %w2 = graph.constant dense<0.5> : tensor<512x128x1x1xf32>
  %a = graph.conv2d %x, %w {pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x128x56x56xf32>, tensor<128x128x3x3xf32>) -> tensor<1x128x28x28xf32> loc("s1")
  %r = graph.relu %a : tensor<1x128x28x28xf32>
  %b = graph.conv2d %r, %w2 : (tensor<1x128x28x28xf32>, tensor<512x128x1x1xf32>) -> tensor<1x512x28x28xf32> loc("s2")
  return %b : tensor<1x512x28x28xf32>
}

// A network input that only a matrix-unit kernel reads, where reading it
// as bf16 saves more than converting it costs (ResNet's RGB stem, bound by
// re-reading its f32 input rows): a kernel of its own converts it on the
// device (an identity reshape whose result is kept as bf16); the host link
// still carries f32. The small input above (@chain, a 1x1 convolution)
// gains too little to pay for it.
// CHECK-LABEL: func.func @stem
// CHECK-SAME:    (%[[X:.*]]: tensor<1x3x224x224xf32> {graph.name = "image"})
// CHECK:         %[[B:.*]] = npu.launch @image_to_bf16_kernel(%[[X]]) : (tensor<1x3x224x224xf32>) -> tensor<1x3x224x224xbf16>
// CHECK:         npu.launch @stem_kernel(%[[B]], {{.*}}) : (tensor<1x3x224x224xbf16>,
func.func @stem(%x: tensor<1x3x224x224xf32> {graph.name = "image"}) -> tensor<1x64x112x112xf32> {
  %w = graph.constant dense<0.5> : tensor<64x3x7x7xf32>
  %b = graph.constant dense<0.25> : tensor<64xf32>
  %y = graph.conv2d %x, %w, %b {pads = array<i64: 3, 3, 3, 3>, strides = array<i64: 2, 2>} : (tensor<1x3x224x224xf32>, tensor<64x3x7x7xf32>, tensor<64xf32>) -> tensor<1x64x112x112xf32> loc("stem")
  %r = graph.relu %y : tensor<1x64x112x112xf32>
  return %r : tensor<1x64x112x112xf32>
}

// A max pooling between two convolutions takes and gives bf16: the maximum
// of values rounded to bf16 is the rounded maximum, which the next
// convolution takes anyway. (Its result is settled first: the pass walks
// the launches latest first.)
// CHECK-LABEL: func.func @pooled
// CHECK:         %[[C:.*]] = npu.launch @c1_kernel({{.*}}) -> tensor<1x64x32x32xbf16>
// CHECK:         %[[P:.*]] = npu.launch @p1_kernel(%[[C]]) : (tensor<1x64x32x32xbf16>) -> tensor<1x64x16x16xbf16>
// CHECK:         npu.launch @c2_kernel(%[[P]], {{.*}}) : (tensor<1x64x16x16xbf16>,
func.func @pooled(%x: tensor<1x64x32x32xf32>) -> tensor<1x64x16x16xf32> {
  %w = graph.constant dense<0.5> : tensor<64x64x1x1xf32>
  %a = graph.conv2d %x, %w : (tensor<1x64x32x32xf32>, tensor<64x64x1x1xf32>) -> tensor<1x64x32x32xf32> loc("c1")
  %p = graph.max_pool2d %a {kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x64x32x32xf32>) -> tensor<1x64x16x16xf32> loc("p1")
  %b = graph.conv2d %p, %w : (tensor<1x64x16x16xf32>, tensor<64x64x1x1xf32>) -> tensor<1x64x16x16xf32> loc("c2")
  return %b : tensor<1x64x16x16xf32>
}

// The kernel functions follow the host functions.
// A concatenation that only a convolution reads goes bf16 with its
// operands, each its own convolution's result: the schedule can then make
// it a view of them (sched.concat takes one element type).
// CHECK-LABEL: func.func @concat
// CHECK:         %[[L:.*]] = npu.launch @left_kernel({{.*}}) -> tensor<1x64x16x16xbf16>
// CHECK:         %[[R:.*]] = npu.launch @right_kernel({{.*}}) -> tensor<1x64x16x16xbf16>
// CHECK:         %[[C:.*]] = npu.launch @cat_kernel(%[[L]], %[[R]]) : (tensor<1x64x16x16xbf16>, tensor<1x64x16x16xbf16>) -> tensor<1x128x16x16xbf16>
// CHECK:         npu.launch @next_kernel(%[[C]], {{.*}}) -> tensor<1x64x16x16xf32>
func.func @concat(%x: tensor<1x64x16x16xf32>) -> tensor<1x64x16x16xf32> {
  %w = graph.constant dense<0.5> : tensor<64x64x1x1xf32>
  %w2 = graph.constant dense<0.5> : tensor<64x128x1x1xf32>
  %l = graph.conv2d %x, %w : (tensor<1x64x16x16xf32>, tensor<64x64x1x1xf32>) -> tensor<1x64x16x16xf32> loc("left")
  %r = graph.conv2d %x, %w : (tensor<1x64x16x16xf32>, tensor<64x64x1x1xf32>) -> tensor<1x64x16x16xf32> loc("right")
  %c = graph.concat %l, %r {axis = 1 : i64} : (tensor<1x64x16x16xf32>, tensor<1x64x16x16xf32>) -> tensor<1x128x16x16xf32> loc("cat")
  %n = graph.conv2d %c, %w2 : (tensor<1x128x16x16xf32>, tensor<64x128x1x1xf32>) -> tensor<1x64x16x16xf32> loc("next")
  return %n : tensor<1x64x16x16xf32>
}

// Not when an operand has a reader that takes it in f32 (here the host):
// a concatenation of mixed types would be a copy, not a view.
// CHECK-LABEL: func.func @mixed
// CHECK:         npu.launch @left2_kernel({{.*}}) -> tensor<1x64x16x16xf32>
// CHECK:         npu.launch @right2_kernel({{.*}}) -> tensor<1x64x16x16xf32>
// CHECK:         npu.launch @cat2_kernel({{.*}}) : (tensor<1x64x16x16xf32>, tensor<1x64x16x16xf32>) -> tensor<1x128x16x16xf32>
func.func @mixed(%x: tensor<1x64x16x16xf32>) -> (tensor<1x64x16x16xf32>, tensor<1x64x16x16xf32>) {
  %w = graph.constant dense<0.5> : tensor<64x64x1x1xf32>
  %w2 = graph.constant dense<0.5> : tensor<64x128x1x1xf32>
  %l = graph.conv2d %x, %w : (tensor<1x64x16x16xf32>, tensor<64x64x1x1xf32>) -> tensor<1x64x16x16xf32> loc("left2")
  %r = graph.conv2d %x, %w : (tensor<1x64x16x16xf32>, tensor<64x64x1x1xf32>) -> tensor<1x64x16x16xf32> loc("right2")
  %c = graph.concat %l, %r {axis = 1 : i64} : (tensor<1x64x16x16xf32>, tensor<1x64x16x16xf32>) -> tensor<1x128x16x16xf32> loc("cat2")
  %n = graph.conv2d %c, %w2 : (tensor<1x128x16x16xf32>, tensor<64x128x1x1xf32>) -> tensor<1x64x16x16xf32> loc("next2")
  return %n, %l : tensor<1x64x16x16xf32>, tensor<1x64x16x16xf32>
}

// CHECK-LABEL: func.func @a_kernel
// CHECK-SAME:    -> tensor<1x64x16x16xbf16>
// CHECK:         %[[Y:.*]] = graph.relu
// CHECK-NEXT:    %[[N:.*]] = graph.cast %[[Y]] {npu.storage} : tensor<1x64x16x16xf32> to tensor<1x64x16x16xbf16>
// CHECK-NEXT:    return %[[N]]
// CHECK-LABEL: func.func @b_kernel
// CHECK-SAME:    (%[[X:.*]]: tensor<1x64x16x16xbf16>,
// CHECK-SAME:    -> tensor<1x64x16x16xf32>
// CHECK-NEXT:    %[[W:.*]] = graph.cast %[[X]] {npu.storage} : tensor<1x64x16x16xbf16> to tensor<1x64x16x16xf32>
// CHECK:         graph.conv2d %[[W]]
// CHECK-LABEL: func.func @main_kernel
// CHECK-SAME:    %[[R:[^:]*]]: tensor<1x64x16x16xbf16>)
// CHECK:         %[[RW:.*]] = graph.cast %[[R]] {npu.storage}
// CHECK:         graph.add %{{.*}}, %[[RW]]
// CHECK-LABEL: func.func @image_to_bf16_kernel
// CHECK-SAME:    (%[[I:.*]]: tensor<1x3x224x224xf32>) -> tensor<1x3x224x224xbf16>
// CHECK-NEXT:    %[[R:.*]] = graph.reshape %[[I]] : (tensor<1x3x224x224xf32>) -> tensor<1x3x224x224xf32>
// CHECK-NEXT:    %[[N:.*]] = graph.cast %[[R]] {npu.storage}
// CHECK-NEXT:    return %[[N]]
