// RUN: sinan-opt %s | sinan-opt | FileCheck %s
// RUN: sinan-opt --mlir-print-op-generic %s | sinan-opt | FileCheck %s

// Virtual registers print as v<N>; omitted fields read as 0; a counted loop
// is a block that branches to itself.
// CHECK-LABEL: isa.kernel @loop
// CHECK-SAME:    attributes {fingerprint = 7 : i64, rodata = array<i8: 1, 2, 3>, target = "snpu-edge"}
// CHECK:         isa.program core 0 {
// CHECK-NEXT:      isa.li ra = v0, value = 0
// CHECK-NEXT:      isa.li ra = v1, value = -8
// CHECK-NEXT:      isa.next ^bb1
// CHECK-NEXT:    ^bb1:
// CHECK-NEXT:      isa.mcfg m = 16, k = 16, n = 16
// CHECK-NEXT:      isa.mma ra = v0, rb = r0, rc = r0, type = i8, accumulate = false, ibufOffset = 0, wbufOffset = 0
// CHECK-NEXT:      isa.alu ra = v0, rb = v0, rc = r0, op = add, immediate = true, imm = -1
// CHECK-NEXT:      isa.br ra = v0, rb = v1, cond = ge to ^bb1 next ^bb2
// CHECK-NEXT:    ^bb2:
// CHECK-NEXT:      isa.end
// CHECK:         isa.program core 1 {
// CHECK-NEXT:      isa.nop
// CHECK-NEXT:      isa.end
isa.kernel @loop attributes {fingerprint = 7 : i64, target = "snpu-edge",
                             rodata = array<i8: 1, 2, 3>} {
  isa.program core 0 {
    isa.li ra = v0
    isa.li ra = v1, value = -8
    isa.next ^bb1
  ^bb1:
    isa.mcfg m = 16, k = 16, n = 16
    isa.mma ra = v0
    isa.alu ra = v0, rb = v0, op = add, immediate = true, imm = -1
    isa.br ra = v0, rb = v1, cond = ge to ^bb1 next ^bb2
  ^bb2:
    isa.end
  }
  isa.program core 1 {
    isa.nop
    isa.end
  }
}
