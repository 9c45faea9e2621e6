// RUN: sinan-opt %s --sinan-place="target=snpu-server report=%t.txt" | FileCheck %s --check-prefix=SNPU
// RUN: FileCheck %s --check-prefix=REPORT < %t.txt
// RUN: sinan-opt %s --sinan-place="target=snpu-server mode=auto report=%t.json" | FileCheck %s --check-prefix=AUTO
// RUN: FileCheck %s --check-prefix=JSON < %t.json
// RUN: sinan-opt %s --sinan-place="target=snpu-server mode=auto host-gflops=10" | FileCheck %s --check-prefix=SLOW
// RUN: sinan-opt %s --sinan-place="target=snpu-server mode=cpu" | FileCheck %s --check-prefix=CPU
// RUN: sinan-opt %s --sinan-place="target=snpu-server precision=f32" | FileCheck %s --check-prefix=F32

// Every op the SNPU can run goes there; the rest stay on the host.
// SNPU-LABEL: func.func @main
// SNPU:         graph.conv2d {{.*}}sinan.placement = "snpu"
// SNPU-NEXT:    graph.relu {{.*}}sinan.placement = "snpu"
// SNPU-NEXT:    graph.avg_pool2d {{.*}}sinan.placement = "cpu"
// SNPU-NEXT:    graph.matmul {{.*}}sinan.placement = "snpu"
// SNPU-NEXT:    graph.add {{.*}}sinan.placement = "cpu"
// SNPU-NEXT:    graph.add {{.*}}sinan.placement = "snpu"

// The report names every node, where it went and why, with the estimates.
// REPORT:      placement on snpu-server, --placement=snpu (host assumed at 90.00 GFLOP/s, 17.00 GB/s)
// REPORT-NEXT: node       op           where     snpu cyc     host cyc  why
// REPORT-NEXT: conv       conv2d       snpu    {{ *[0-9]+}}  {{ *[0-9]+}}  the SNPU runs it (--placement=snpu)
// REPORT-NEXT: relu       relu         snpu    {{.*}}  fused into the kernel of 'conv'
// REPORT-NEXT: pool       avg_pool2d   cpu     {{.*}}  the SNPU runs an average pooling as the depthwise convolution and division graph-decompose makes of it
// REPORT-NEXT: mm         matmul       snpu
// REPORT-NEXT: add_scalar add          cpu     {{.*}}  operand 1 is broadcast other than as one row over the rows of operand 0
// REPORT-NEXT: tiny_add   add          snpu
// REPORT-NEXT: 4 of 6 ops on the SNPU; 1441792 of 1441792 MACs (100.0 %)

// auto: the tiny add of two host inputs costs more in host-link copies than
// the host takes to compute it, and so does the 64^3 product of two host
// inputs at the native kernels' measured 90 GFLOP/s (its three copies cost
// more than its products); the convolution's products do not.
// AUTO:         graph.conv2d {{.*}}sinan.placement = "snpu"
// AUTO-NEXT:    graph.relu {{.*}}sinan.placement = "snpu"
// AUTO-NEXT:    graph.avg_pool2d {{.*}}sinan.placement = "cpu"
// AUTO-NEXT:    graph.matmul {{.*}}sinan.placement = "cpu"
// AUTO-NEXT:    graph.add {{.*}}sinan.placement = "cpu"
// AUTO-NEXT:    graph.add {{.*}}sinan.placement = "cpu"

// A slower host (host-gflops=10) leaves the product on the SNPU.
// SLOW:         graph.matmul {{.*}}sinan.placement = "snpu"

// JSON:      "mode": "auto"
// JSON:      "host_cycles": 11,
// JSON-NEXT: "macs": 0,
// JSON-NEXT: "node": "tiny_add",
// JSON-NEXT: "op": "add",
// JSON-NEXT: "placement": "cpu",
// JSON-NEXT: "snpu_cycles": {{[0-9]+}},
// JSON-NEXT: "why": "auto: SNPU ~{{[0-9]+}} cycles with copies > host ~11"
// JSON:      "snpu_macs": 1179648

// CPU-COUNT-6: sinan.placement = "cpu"
// CPU-NOT:     sinan.placement = "snpu"

// Without bf16 products, only the elementwise ops may go.
// F32:         graph.conv2d {{.*}}sinan.placement = "cpu"
// F32-NEXT:    graph.relu {{.*}}sinan.placement = "snpu"
// F32-NEXT:    graph.avg_pool2d {{.*}}sinan.placement = "cpu"
// F32-NEXT:    graph.matmul {{.*}}sinan.placement = "cpu"
func.func @main(%x: tensor<1x16x16x16xf32>, %a: tensor<64x64xf32>, %b: tensor<64x64xf32>, %s: tensor<f32>, %t0: tensor<4x4xf32>, %t1: tensor<4x4xf32>) -> (tensor<1x32x8x8xf32>, tensor<64x64xf32>, tensor<4x4xf32>) {
  %w = graph.constant dense<0.5> : tensor<32x16x3x3xf32>
  %y = graph.conv2d %x, %w {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x16x16x16xf32>, tensor<32x16x3x3xf32>) -> tensor<1x32x16x16xf32> loc("conv")
  %r = graph.relu %y : tensor<1x32x16x16xf32> loc("relu")
  %p = graph.avg_pool2d %r {kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x32x16x16xf32>) -> tensor<1x32x8x8xf32> loc("pool")
  %m = graph.matmul %a, %b : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32> loc("mm")
  %q = graph.add %m, %s : (tensor<64x64xf32>, tensor<f32>) -> tensor<64x64xf32> loc("add_scalar")
  %v = graph.add %t0, %t1 : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32> loc("tiny_add")
  return %p, %q, %v : tensor<1x32x8x8xf32>, tensor<64x64xf32>, tensor<4x4xf32>
}
