// RUN: sinan-opt %s -split-input-file --sinan-isa-allocate-registers -verify-diagnostics | FileCheck %s

// Registers whose lives do not overlap share a machine register; a loop
// counter keeps one register around the back edge; the launch argument in
// r1 is not overwritten while it is live.
// CHECK-LABEL: isa.kernel @loop
// CHECK:         isa.li ra = r2, value = 0
// CHECK-NEXT:    isa.li ra = r3, value = 10
// CHECK-NEXT:    isa.next ^bb1
// CHECK:       ^bb1:
// CHECK-NEXT:    isa.alu ra = r4, rb = r1, rc = r2, op = add
// CHECK-NEXT:    isa.dfill ra = r4
// CHECK-NEXT:    isa.alu ra = r2, rb = r2, rc = r0, op = add, immediate = true, imm = 1
// CHECK-NEXT:    isa.br ra = r2, rb = r3, cond = lt to ^bb1 next ^bb2
// CHECK:       ^bb2:
// CHECK-NEXT:    isa.li ra = r1, value = 5
// CHECK-NEXT:    isa.li ra = r2, value = 6
isa.kernel @loop attributes {fingerprint = 0 : i64, target = "snpu-edge"} {
  isa.program core 0 {
    isa.li ra = v0, value = 0
    isa.li ra = v1, value = 10
    isa.next ^bb1
  ^bb1:
    isa.alu ra = v2, rb = r1, rc = v0, op = add
    isa.dfill ra = v2, type = f32, space = vbuf
    isa.alu ra = v0, rb = v0, op = add, immediate = true, imm = 1
    isa.br ra = v0, rb = v1, cond = lt to ^bb1 next ^bb2
  ^bb2:
    isa.li ra = v3, value = 5
    isa.li ra = v4, value = 6
    isa.dfill ra = v3, type = f32, space = vbuf
    isa.dfill ra = v4, type = f32, space = vbuf
    isa.end
  }
}

// -----

isa.kernel @undefined attributes {fingerprint = 0 : i64, target = "snpu-edge"} {
  isa.program core 0 {
    // expected-error @+1 {{'isa.dfill' op reads virtual register v7, which nothing writes}}
    isa.dfill ra = v7, type = f32, space = vbuf
    isa.end
  }
}
