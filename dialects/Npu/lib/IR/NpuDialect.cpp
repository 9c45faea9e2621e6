//===- NpuDialect.cpp - npu dialect ---------------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Dialect/Npu/IR/NpuDialect.h"
#include "sinan/Dialect/Npu/IR/NpuOps.h"

#include "sinan/runtime/isa/Isa.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace sinan::npu;

// The dialect's enums mirror the ISA's codes; the lowering to `isa` casts.
#define SINAN_CHECK_CODE(Npu, Isa)                                             \
  static_assert(static_cast<unsigned>(Npu) == static_cast<unsigned>(Isa),      \
                #Npu " must equal " #Isa)
SINAN_CHECK_CODE(MemorySpace::dram, sinan::isa::Space::Dram);
SINAN_CHECK_CODE(MemorySpace::ibuf, sinan::isa::Space::Ibuf);
SINAN_CHECK_CODE(MemorySpace::wbuf, sinan::isa::Space::Wbuf);
SINAN_CHECK_CODE(MemorySpace::acc, sinan::isa::Space::Acc);
SINAN_CHECK_CODE(MemorySpace::vbuf, sinan::isa::Space::Vbuf);
SINAN_CHECK_CODE(Engine::scl, sinan::isa::Engine::Scalar);
SINAN_CHECK_CODE(Engine::din, sinan::isa::Engine::DmaIn);
SINAN_CHECK_CODE(Engine::mxu, sinan::isa::Engine::Matrix);
SINAN_CHECK_CODE(Engine::vec, sinan::isa::Engine::Vector);
SINAN_CHECK_CODE(Engine::dout, sinan::isa::Engine::DmaOut);
#undef SINAN_CHECK_CODE

#include "sinan/Dialect/Npu/IR/NpuDialect.cpp.inc"
#include "sinan/Dialect/Npu/IR/NpuEnums.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "sinan/Dialect/Npu/IR/NpuAttrs.cpp.inc"

void NpuDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "sinan/Dialect/Npu/IR/NpuAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "sinan/Dialect/Npu/IR/NpuOps.cpp.inc"
      >();
}
