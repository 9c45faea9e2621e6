//===- sinan-opt.cpp - Sinan's mlir-opt driver ----------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Parses, verifies and transforms IR in Sinan's and upstream dialects, for
// tests and debugging: `sinan-opt --canonicalize model.mlir`.
//
//===----------------------------------------------------------------------===//

#include "sinan/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  sinan::registerAllDialects(registry);
  sinan::registerAllPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Sinan optimizer driver\n", registry));
}
