//===- GraphDialect.h - Graph dialect ---------------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_DIALECT_GRAPH_IR_GRAPHDIALECT_H
#define SINAN_DIALECT_GRAPH_IR_GRAPHDIALECT_H

#include "mlir/IR/Dialect.h"

#include "sinan/Dialect/Graph/IR/GraphDialect.h.inc"

#endif // SINAN_DIALECT_GRAPH_IR_GRAPHDIALECT_H
