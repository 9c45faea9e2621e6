//===- IsaDialect.cpp - isa dialect ---------------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Dialect/Isa/IR/IsaDialect.h"
#include "sinan/Dialect/Isa/IR/IsaOps.h"

using namespace sinan::isa::ir;

#include "sinan/Dialect/Isa/IR/IsaDialect.cpp.inc"

void IsaDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "sinan/Dialect/Isa/IR/IsaOps.cpp.inc"
      >();
}
