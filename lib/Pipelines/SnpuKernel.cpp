//===- SnpuKernel.cpp - One graph op compiled into an SNPU kernel ---------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Pipelines/SnpuKernel.h"
#include "sinan/Pipelines/SnpuPipeline.h"

#include "sinan/Conversion/GraphToNpu.h"
#include "sinan/Conversion/Passes.h"
#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Isa/Transforms/Passes.h"
#include "sinan/Dialect/Npu/IR/NpuOps.h"
#include "sinan/Dialect/Npu/Transforms/Passes.h"
#include "sinan/Target/SnpuBinary.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"

using namespace mlir;

namespace sinan {

std::optional<isa::Kernel> compileSnpuKernel(ArrayRef<Operation *> ops,
                                             const TargetDesc &target,
                                             std::string &error,
                                             FunctionType storage,
                                             std::optional<double> *estimate) {
  Operation *op = ops.front();
  MLIRContext *context = op->getContext();
  context->loadDialect<npu::NpuDialect, isa::ir::IsaDialect, func::FuncDialect,
                       memref::MemRefDialect, scf::SCFDialect,
                       arith::ArithDialect>();
  npu::registerTarget(target);
  std::string diagnostics;
  llvm::raw_string_ostream os(diagnostics);
  ScopedDiagnosticHandler handler(context, [&](Diagnostic &diagnostic) {
    os << diagnostic << "\n";
    return success();
  });

  // The op alone in a kernel function, as sinan-form-snpu-kernels makes it;
  // a layer group's kernel function as sinan-form-layer-groups made it (its
  // arguments in the launch's order, its storage casts inside).
  OpBuilder builder(context);
  OwningOpRef<ModuleOp> module = ModuleOp::create(op->getLoc());
  builder.setInsertionPointToEnd(module->getBody());
  auto parent = op->getParentOfType<func::FuncOp>();
  func::FuncOp kernel;
  if (parent && parent->hasAttr(npu::kTargetAttrName) &&
      (llvm::count_if(ops, llvm::IsaPred<graph::Conv2dOp>) > 1 ||
       llvm::count_if(ops, llvm::IsaPred<graph::MatMulOp>) > 1 ||
       (llvm::isa<graph::LayerNormOp>(ops.front()) &&
        llvm::any_of(ops, llvm::IsaPred<graph::MatMulOp>)) ||
       (llvm::any_of(ops, llvm::IsaPred<graph::AttentionOp>) &&
        llvm::any_of(ops, llvm::IsaPred<graph::MatMulOp>)))) {
    kernel = cast<func::FuncOp>(builder.clone(*parent));
    kernel.setSymName("kernel");
  } else {
    kernel = outlineSnpuKernel(builder, ops, "kernel",
                               npu::TargetAttr::get(context, target.name));
    if (storage)
      applyStorageTypes(kernel, storage);
  }
  if (estimate)
    *estimate = estimateKernelCycles(kernel, target);

  PassManager pm(context);
  buildSnpuKernelPipeline(pm, /*barrier=*/false, /*isa=*/true);
  if (failed(pm.run(*module))) {
    error = diagnostics.empty() ? "the SNPU pipeline failed" : diagnostics;
    return std::nullopt;
  }
  isa::ir::KernelOp encoded;
  module->walk([&](isa::ir::KernelOp found) { encoded = found; });
  FailureOr<isa::Kernel> result =
      encoded ? encodeKernel(encoded) : FailureOr<isa::Kernel>(failure());
  if (failed(result)) {
    error =
        diagnostics.empty() ? "the SNPU pipeline made no kernel" : diagnostics;
    return std::nullopt;
  }
  return *result;
}

} // namespace sinan
