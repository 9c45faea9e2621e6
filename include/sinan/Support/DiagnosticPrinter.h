//===- DiagnosticPrinter.h - Diagnostics of Sinan's tools -------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// How sinan-compile and sinan-run print MLIR diagnostics: `LOC: error: MSG`
// with each note on its own line after it. MLIR's fallback prints the error
// alone (the importer's notes name the ONNX node an op came from), and
// SourceMgrDiagnosticHandler wants source files that an ONNX model's
// locations (node names) do not have.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_SUPPORT_DIAGNOSTICPRINTER_H
#define SINAN_SUPPORT_DIAGNOSTICPRINTER_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

namespace sinan {

class DiagnosticPrinter : public mlir::ScopedDiagnosticHandler {
public:
  explicit DiagnosticPrinter(mlir::MLIRContext &context,
                             llvm::raw_ostream &os = llvm::errs())
      : mlir::ScopedDiagnosticHandler(&context), os(os) {
    // The ops are in the IR dumps; a diagnostic names them by location.
    context.printOpOnDiagnostic(false);
    setHandler([this](mlir::Diagnostic &diag) {
      print(diag, severityName(diag.getSeverity()));
      for (mlir::Diagnostic &note : diag.getNotes())
        print(note, "note");
      return mlir::success();
    });
  }

private:
  static const char *severityName(mlir::DiagnosticSeverity severity) {
    switch (severity) {
    case mlir::DiagnosticSeverity::Error:
      return "error";
    case mlir::DiagnosticSeverity::Warning:
      return "warning";
    case mlir::DiagnosticSeverity::Note:
      return "note";
    case mlir::DiagnosticSeverity::Remark:
      return "remark";
    }
    return "error";
  }

  void print(mlir::Diagnostic &diag, const char *kind) {
    if (!llvm::isa<mlir::UnknownLoc>(diag.getLocation()))
      os << diag.getLocation() << ": ";
    os << kind << ": " << diag << "\n";
    os.flush();
  }

  llvm::raw_ostream &os;
};

} // namespace sinan

#endif // SINAN_SUPPORT_DIAGNOSTICPRINTER_H
