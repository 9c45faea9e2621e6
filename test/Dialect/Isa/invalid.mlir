// RUN: sinan-opt %s -split-input-file -verify-diagnostics

isa.kernel @k attributes {fingerprint = 0 : i64, target = "snpu-edge"} {
  isa.program core 0 {
    // expected-error @+1 {{'isa.mcfg' op n = 65536 does not fit in its 16 bits}}
    isa.mcfg m = 16, k = 16, n = 65536
    isa.end
  }
}

// -----

isa.kernel @k attributes {fingerprint = 0 : i64, target = "snpu-edge"} {
  isa.program core 0 {
    // expected-error @+1 {{'isa.mcfg' op k must be positive}}
    isa.mcfg m = 16, n = 16
    isa.end
  }
}

// -----

isa.kernel @k attributes {fingerprint = 0 : i64, target = "snpu-edge"} {
  isa.program core 0 {
    // expected-error @+1 {{'isa.dload' op space = 0 is not a local memory space}}
    isa.dload ra = r1, rb = r2, srcType = f32, dstType = f32, space = dram
    isa.end
  }
}

// -----

isa.kernel @k attributes {fingerprint = 0 : i64, target = "snpu-edge"} {
  isa.program core 0 {
    // expected-error @+1 {{'isa.signal' op source and destination engine are the same}}
    isa.signal src = vec, dst = vec, id = 0
    isa.end
  }
}

// -----

isa.kernel @k attributes {fingerprint = 0 : i64, target = "snpu-edge"} {
  isa.program core 0 {
    // expected-error @+1 {{'isa.alu' op immediate form must leave rc zero}}
    isa.alu ra = r1, rb = r2, rc = v4, op = add, immediate = true, imm = 3
    isa.end
  }
}

// -----

isa.kernel @k attributes {fingerprint = 0 : i64, target = "snpu-edge"} {
  isa.program core 0 {
    // expected-error @+1 {{'isa.vun' op op = 14 is not a vector unary operation code}}
    "isa.vun"() {ra = 1 : i64, rc = 2 : i64, type = 0 : i64, op = 14 : i64, aSpace = 4 : i64, aOffset = 0 : i64} : () -> ()
    isa.end
  }
}

// -----

isa.kernel @k attributes {fingerprint = 0 : i64, target = "snpu-edge"} {
  isa.program core 0 {
    // expected-error @+1 {{'isa.vcvt' op dstType = 5 is not a device type code}}
    "isa.vcvt"() {ra = 1 : i64, rc = 2 : i64, srcType = 0 : i64, dstType = 5 : i64, aSpace = 4 : i64, aOffset = 0 : i64} : () -> ()
    isa.end
  }
}

// -----

isa.kernel @k attributes {fingerprint = 0 : i64, target = "snpu-edge"} {
  isa.program core 0 {
    // expected-error @+1 {{'isa.li' op ra = -2 is not a register}}
    "isa.li"() {ra = -2 : i64, value = 0 : i64} : () -> ()
    isa.end
  }
}

// -----

isa.kernel @k attributes {fingerprint = 0 : i64, target = "snpu-edge"} {
  isa.program core 0 {
    // expected-error @+1 {{'dload' does not use rc}}
    isa.dload ra = r1, rc = r2
    isa.end
  }
}

// -----

isa.kernel @k attributes {fingerprint = 0 : i64, target = "snpu-edge"} {
  isa.program core 0 {
    // expected-error @+1 {{unknown field 'bogus' (fields of vun: type, op, aSpace, aOffset)}}
    isa.vun ra = r1, rc = r2, bogus = 1
    isa.end
  }
}

// -----

isa.kernel @k attributes {fingerprint = 0 : i64, target = "snpu-edge"} {
  isa.program core 0 {
    // expected-error @+1 {{'sum' is not a value of op}}
    isa.vun ra = r1, rc = r2, op = sum
    isa.end
  }
}

// -----

isa.kernel @k attributes {fingerprint = 0 : i64, target = "snpu-edge"} {
  isa.program core 0 {
    // expected-error @+1 {{expected a register r0-r31 or v<N>}}
    isa.li ra = r32, value = 1
    isa.end
  }
}

// -----

isa.kernel @k attributes {fingerprint = 0 : i64, target = "snpu-edge"} {
  isa.program core 0 {
    // expected-error @+1 {{'isa.br' op must fall through to the block that follows it}}
    isa.br ra = r0, rb = r0, cond = eq to ^bb2 next ^bb2
  ^bb1:
    isa.end
  ^bb2:
    isa.end
  }
}

// -----

isa.kernel @k attributes {fingerprint = 0 : i64, target = "snpu-edge"} {
  isa.program core 0 {
    // expected-error @+1 {{'isa.next' op must fall through to the block that follows it}}
    isa.next ^bb2
  ^bb1:
    isa.end
  ^bb2:
    isa.end
  }
}

// -----

isa.kernel @k attributes {fingerprint = 0 : i64, target = "snpu-edge"} {
  // expected-error @+1 {{'isa.program' op blocks take no arguments (registers are state)}}
  isa.program core 0 {
  ^bb0(%x: i64):
    isa.end
  }
}

// -----

// expected-error @+1 {{'isa.kernel' op has no program for core 0 (cores must be 0..1)}}
isa.kernel @k attributes {fingerprint = 0 : i64, target = "snpu-edge"} {
  isa.program core 1 {
    isa.end
  }
}

// -----

isa.kernel @k attributes {fingerprint = 0 : i64, target = "snpu-edge"} {
  isa.program core 0 {
    isa.end
  }
  // expected-error @+1 {{'isa.program' op core 0 has two programs}}
  isa.program core 0 {
    isa.end
  }
}

// -----

isa.kernel @k attributes {fingerprint = 0 : i64, target = "snpu-edge"} {
  isa.program core 0 {
    // expected-error @+1 {{'arith.constant' op is not a machine instruction; an isa.program holds only isa instructions}}
    %c = arith.constant 0 : i64
    isa.end
  }
}
