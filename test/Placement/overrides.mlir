// RUN: echo '{"mm": "cpu", "op:add": "cpu", "relu": "cpu"}' > %t.json
// RUN: sinan-opt %s --sinan-place="target=snpu-edge overrides=%t.json report=%t.txt" | FileCheck %s
// RUN: FileCheck %s --check-prefix=REPORT < %t.txt
// RUN: sinan-opt %s --sinan-place="target=snpu-edge overrides=%t.json" --sinan-form-snpu-kernels=target=snpu-edge | FileCheck %s --check-prefix=FORM

// RUN: echo '{"pool": "snpu"}' > %t.forced.json
// RUN: not sinan-opt %s --sinan-place="target=snpu-edge overrides=%t.forced.json" 2>&1 | FileCheck %s --check-prefix=FORCED
// RUN: echo '{"no_such_node": "cpu"}' > %t.typo.json
// RUN: not sinan-opt %s --sinan-place="target=snpu-edge overrides=%t.typo.json" 2>&1 | FileCheck %s --check-prefix=TYPO
// RUN: echo '{"op:softmax": "cpu"}' > %t.kind.json
// RUN: not sinan-opt %s --sinan-place="target=snpu-edge overrides=%t.kind.json" 2>&1 | FileCheck %s --check-prefix=KIND
// RUN: echo '{"mm": "gpu"}' > %t.value.json
// RUN: not sinan-opt %s --sinan-place="target=snpu-edge overrides=%t.value.json" 2>&1 | FileCheck %s --check-prefix=VALUE
// RUN: echo '{"conv": "snpu:matrix"}' > %t.form.json
// RUN: not sinan-opt %s --sinan-place="target=snpu-edge overrides=%t.form.json" 2>&1 | FileCheck %s --check-prefix=FORM-KIND
// RUN: echo '{"mm": "snpu:winograd"}' > %t.algorithm.json
// RUN: not sinan-opt %s --sinan-place="target=snpu-edge overrides=%t.algorithm.json" 2>&1 | FileCheck %s --check-prefix=ALGORITHM-KIND
// RUN: echo '{"conv": "snpu:winograd"}' > %t.winograd.json
// RUN: not sinan-opt %s --sinan-place="target=snpu-edge overrides=%t.winograd.json" 2>&1 | FileCheck %s --check-prefix=WINOGRAD
// RUN: echo '{"mm": ' > %t.bad.json
// RUN: not sinan-opt %s --sinan-place="target=snpu-edge overrides=%t.bad.json" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not sinan-opt %s --sinan-place="target=snpu-edge overrides=%t.missing.json" 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not sinan-opt %s --sinan-place="target=snpu-edge mode=fast" 2>&1 | FileCheck %s --check-prefix=MODE
// RUN: not sinan-opt %s --sinan-place="target=no-such-target" 2>&1 | FileCheck %s --check-prefix=TARGET

// Forced placements win over the mode; a relu forced to the host is not
// fused into its convolution's kernel.
// CHECK:       graph.conv2d {{.*}}sinan.placement = "snpu"
// CHECK-NEXT:  graph.relu {{.*}}sinan.placement = "cpu"
// CHECK-NEXT:  graph.avg_pool2d {{.*}}sinan.placement = "cpu"
// CHECK-NEXT:  graph.matmul {{.*}}sinan.placement = "cpu"
// CHECK-NEXT:  graph.add {{.*}}sinan.placement = "cpu"

// REPORT: conv {{.*}} snpu {{.*}} the SNPU runs it (--placement=snpu)
// REPORT: relu {{.*}} cpu  {{.*}} forced by {{.*}}.json
// REPORT: mm   {{.*}} cpu  {{.*}} forced by {{.*}}.json

// Kernel formation follows the placement.
// FORM-LABEL: func.func @main
// FORM:         npu.launch @conv_kernel
// FORM-NEXT:    graph.relu
// FORM-NEXT:    graph.avg_pool2d
// FORM-NEXT:    graph.matmul
// FORM-NOT:   func.func @mm_kernel
// FORM:       func.func @conv_kernel
// FORM-NOT:     graph.relu
// FORM:         return

// FORCED: error: loc("pool"): node 'pool' (graph.avg_pool2d) is forced to the SNPU by {{.*}}.forced.json, but the SNPU cannot run it: the SNPU runs an average pooling as the depthwise convolution and division graph-decompose makes of it
// TYPO: error: --placement-overrides {{.*}}.typo.json: 'no_such_node' names no node of the model
// KIND: error: --placement-overrides {{.*}}.kind.json: 'op:softmax' names no op of the model
// VALUE: error: --placement-overrides {{.*}}.value.json: 'mm': expected "snpu", "cpu", "snpu:vector", "snpu:matrix", "snpu:winograd" or "snpu:direct"
// An algorithm names a convolution of one group; Winograd a 3x3 of stride 1
// and padding 1 in chunks of at least 32 channels (this one has 16).
// ALGORITHM-KIND: error: --placement-overrides {{.*}}.algorithm.json: 'mm': "snpu:winograd" is for convolutions of one group
// WINOGRAD: error: loc("conv"): node 'conv' (graph.conv2d) is forced to the SNPU by {{.*}}.winograd.json, but the SNPU cannot run it: snpu.conv_algorithm is "winograd", which takes an f32 3x3 convolution of one image, stride 1 or 2 and padding 1 whose points fit the local memories
// A unit for narrow groups names a grouped convolution (this one is dense).
// FORM-KIND: error: --placement-overrides {{.*}}.form.json: 'conv': "snpu:matrix" is for grouped convolutions
// BAD: error: --placement-overrides {{.*}}.bad.json: [2:0, byte=8]: Unexpected EOF
// MISSING: error: --placement-overrides {{.*}}.missing.json: No such file or directory
// MODE: error: placement 'fast': expected snpu, cpu or auto
// TARGET: error: target 'no-such-target':
func.func @main(%x: tensor<1x16x16x16xf32>, %a: tensor<64x64xf32>, %b: tensor<64x64xf32>) -> (tensor<1x32x8x8xf32>, tensor<64x64xf32>) {
  %w = graph.constant dense<0.5> : tensor<32x16x3x3xf32>
  %y = graph.conv2d %x, %w {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x16x16x16xf32>, tensor<32x16x3x3xf32>) -> tensor<1x32x16x16xf32> loc("conv")
  %r = graph.relu %y : tensor<1x32x16x16xf32> loc("relu")
  %p = graph.avg_pool2d %r {kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x32x16x16xf32>) -> tensor<1x32x8x8xf32> loc("pool")
  %m = graph.matmul %a, %b : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32> loc("mm")
  %q = graph.add %m, %b : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32> loc("add")
  return %p, %q : tensor<1x32x8x8xf32>, tensor<64x64xf32>
}
