// RUN: sinan-opt %s --sinan-place="target=snpu-server report=%t.txt" | FileCheck %s
// RUN: FileCheck %s --check-prefix=REPORT < %t.txt

// snpu.narrow_groups (what "snpu:vector" / "snpu:matrix" overrides set)
// pins the unit for groups narrower than the matrix tile; a value that is
// neither, or a unit that cannot run the convolution, leaves it on the host
// with the reason in the report.
// CHECK-COUNT-2: graph.conv2d {{.*}}sinan.placement = "snpu"
// CHECK-COUNT-2: graph.conv2d {{.*}}sinan.placement = "cpu"
// REPORT-DAG: vector {{.*}} snpu {{.*}} the SNPU runs it
// REPORT-DAG: matrix {{.*}} snpu {{.*}} the SNPU runs it
// REPORT-DAG: bogus {{.*}} cpu {{.*}} snpu.narrow_groups is "sideways", not "vector" or "matrix"
// REPORT-DAG: multiplier {{.*}} cpu {{.*}} the matrix unit's block-diagonal chunks (forced by snpu.narrow_groups) take groups of equal in and out widths
func.func @main(%x: tensor<1x32x14x14xf32>) -> (tensor<1x32x14x14xf32>, tensor<1x32x14x14xf32>, tensor<1x32x14x14xf32>, tensor<1x64x14x14xf32>) {
  %w = graph.constant dense<0.5> : tensor<32x1x3x3xf32>
  %w2 = graph.constant dense<0.5> : tensor<64x1x3x3xf32>
  %a = graph.conv2d %x, %w {group = 32 : i64, pads = array<i64: 1, 1, 1, 1>, snpu.narrow_groups = "vector"} : (tensor<1x32x14x14xf32>, tensor<32x1x3x3xf32>) -> tensor<1x32x14x14xf32> loc("vector")
  %b = graph.conv2d %x, %w {group = 32 : i64, pads = array<i64: 1, 1, 1, 1>, snpu.narrow_groups = "matrix"} : (tensor<1x32x14x14xf32>, tensor<32x1x3x3xf32>) -> tensor<1x32x14x14xf32> loc("matrix")
  %c = graph.conv2d %x, %w {group = 32 : i64, pads = array<i64: 1, 1, 1, 1>, snpu.narrow_groups = "sideways"} : (tensor<1x32x14x14xf32>, tensor<32x1x3x3xf32>) -> tensor<1x32x14x14xf32> loc("bogus")
  %d = graph.conv2d %x, %w2 {group = 32 : i64, pads = array<i64: 1, 1, 1, 1>, snpu.narrow_groups = "matrix"} : (tensor<1x32x14x14xf32>, tensor<64x1x3x3xf32>) -> tensor<1x64x14x14xf32> loc("multiplier")
  return %a, %b, %c, %d : tensor<1x32x14x14xf32>, tensor<1x32x14x14xf32>, tensor<1x32x14x14xf32>, tensor<1x64x14x14xf32>
}
