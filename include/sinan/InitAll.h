//===- InitAll.h - Register Sinan's dialects and passes ---------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// One place that says which dialects, passes and interface models Sinan's
// tools load: Sinan's own, plus the upstream ones its pipelines lower through.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_INITALL_H
#define SINAN_INITALL_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace sinan {

/// Adds Sinan's dialects, the upstream dialects its pipelines use and their
/// external interface models (e.g. bufferization) to `registry`.
void registerAllDialects(mlir::DialectRegistry &registry);

/// Registers Sinan's passes and the upstream passes its pipelines use with
/// the global pass registry (for command-line tools).
void registerAllPasses();

} // namespace sinan

#endif // SINAN_INITALL_H
