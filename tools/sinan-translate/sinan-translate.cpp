//===- sinan-translate.cpp - Translations into and out of Sinan's IR ------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
//   sinan-translate --isa-to-snpu-kernel kernel.mlir -o kernel.snk
//   sinan-translate --snpu-kernel-to-isa kernel.snk
//
//===----------------------------------------------------------------------===//

#include "sinan/Target/SnpuBinary.h"

#include "mlir/Support/LogicalResult.h"
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  sinan::registerSnpuBinaryTranslations();
  return mlir::failed(
             mlir::mlirTranslateMain(argc, argv, "Sinan translation driver\n"))
             ? 1
             : 0;
}
