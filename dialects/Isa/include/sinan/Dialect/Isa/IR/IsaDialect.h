//===- IsaDialect.h - isa dialect -------------------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_DIALECT_ISA_IR_ISADIALECT_H
#define SINAN_DIALECT_ISA_IR_ISADIALECT_H

#include "mlir/IR/Dialect.h"

#include "sinan/Dialect/Isa/IR/IsaDialect.h.inc"

#endif // SINAN_DIALECT_ISA_IR_ISADIALECT_H
