//===- NpuDialect.h - npu dialect -------------------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_DIALECT_NPU_IR_NPUDIALECT_H
#define SINAN_DIALECT_NPU_IR_NPUDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Dialect.h"

#include "sinan/Dialect/Npu/IR/NpuDialect.h.inc"

#endif // SINAN_DIALECT_NPU_IR_NPUDIALECT_H
