//===- InitAll.cpp - Register Sinan's dialects and passes -----------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/InitAll.h"

#include "sinan/Conversion/Passes.h"
#include "sinan/Dialect/Graph/IR/GraphDialect.h"
#include "sinan/Dialect/Graph/Transforms/Passes.h"
#include "sinan/Dialect/Isa/IR/IsaDialect.h"
#include "sinan/Dialect/Isa/Transforms/Passes.h"
#include "sinan/Dialect/Npu/IR/NpuDialect.h"
#include "sinan/Dialect/Npu/Transforms/Passes.h"
#include "sinan/Dialect/Sched/IR/SchedDialect.h"
#include "sinan/Dialect/Sched/Transforms/Passes.h"
#include "sinan/Interpreter/Passes.h"
#include "sinan/Pipelines/SchedulePipeline.h"
#include "sinan/Pipelines/SnpuPipeline.h"
#include "sinan/Placement/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Transforms/Passes.h"

void sinan::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<sinan::graph::GraphDialect, sinan::isa::ir::IsaDialect,
                  sinan::npu::NpuDialect, sinan::sched::SchedDialect>();
  registry.insert<mlir::affine::AffineDialect, mlir::arith::ArithDialect,
                  mlir::bufferization::BufferizationDialect,
                  mlir::func::FuncDialect, mlir::linalg::LinalgDialect,
                  mlir::LLVM::LLVMDialect, mlir::math::MathDialect,
                  mlir::memref::MemRefDialect, mlir::scf::SCFDialect,
                  mlir::tensor::TensorDialect, mlir::vector::VectorDialect>();
  mlir::arith::registerBufferizableOpInterfaceExternalModels(registry);
  mlir::bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(
      registry);
  mlir::linalg::registerBufferizableOpInterfaceExternalModels(registry);
  mlir::scf::registerBufferizableOpInterfaceExternalModels(registry);
  mlir::tensor::registerBufferizableOpInterfaceExternalModels(registry);
}

void sinan::registerAllPasses() {
  sinan::graph::registerGraphPasses();
  sinan::npu::registerNpuPasses();
  sinan::sched::registerSchedPasses();
  sinan::isa::ir::registerIsaPasses();
  sinan::registerSinanConversionPasses();
  sinan::registerSinanPlacementPasses();
  sinan::registerSinanInterpreterPasses();
  sinan::registerSnpuPipeline();
  sinan::registerSchedulePipeline();
  mlir::registerTransformsPasses();
  mlir::bufferization::registerBufferizationPasses();
  mlir::registerLinalgPasses();
}
