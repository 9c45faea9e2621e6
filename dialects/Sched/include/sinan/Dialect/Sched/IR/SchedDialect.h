//===- SchedDialect.h - sched dialect ---------------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_DIALECT_SCHED_IR_SCHEDDIALECT_H
#define SINAN_DIALECT_SCHED_IR_SCHEDDIALECT_H

#include "mlir/IR/Dialect.h"

#include "sinan/Dialect/Sched/IR/SchedDialect.h.inc"

#endif // SINAN_DIALECT_SCHED_IR_SCHEDDIALECT_H
