//===- NpuBase.td - npu dialect definition -----------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_DIALECT_NPU_IR_NPUBASE_TD
#define SINAN_DIALECT_NPU_IR_NPUBASE_TD

include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/OpBase.td"

def Npu_Dialect : Dialect {
  let name = "npu";
  let cppNamespace = "::sinan::npu";
  let summary = "Tile-level SNPU operations on memories, DMA and engines";
  let description = [{
    A kernel is a `func.func` with the `npu.target` attribute whose
    arguments are DRAM memrefs (the launch's bindings, in order). Its body
    moves tiles between DRAM and the core's local memories with DMA ops and
    computes on them with matrix and vector ops; loops are `scf.for`, address
    arithmetic is `arith` on `index`, local buffers are `memref.alloc` in a
    local memory space and views are `memref.subview`. Every op runs on one
    engine queue (DMA-in, DMA-out, matrix, vector); the buffers an op reads
    and writes are its dependencies, from which synchronization is derived.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::arith::ArithDialect"];
  let useDefaultAttributePrinterParser = 1;
}

// The codes equal sinan::isa::Space and sinan::isa::Engine (checked by
// static_asserts in NpuDialect.cpp).
def Npu_MemorySpace : I32EnumAttr<"MemorySpace", "SNPU memory space", [
    I32EnumAttrCase<"dram", 0>, I32EnumAttrCase<"ibuf", 1>,
    I32EnumAttrCase<"wbuf", 2>, I32EnumAttrCase<"acc", 3>,
    I32EnumAttrCase<"vbuf", 4>]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::sinan::npu";
}
def Npu_MemorySpaceAttr : EnumAttr<Npu_Dialect, Npu_MemorySpace, "space"> {
  let assemblyFormat = "`<` $value `>`";
}

def Npu_Engine : I32EnumAttr<"Engine", "SNPU engine", [
    I32EnumAttrCase<"scl", 0>, I32EnumAttrCase<"din", 1>,
    I32EnumAttrCase<"mxu", 2>, I32EnumAttrCase<"vec", 3>,
    I32EnumAttrCase<"dout", 4>]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::sinan::npu";
}
def Npu_EngineAttr : EnumAttr<Npu_Dialect, Npu_Engine, "engine"> {
  let assemblyFormat = "`<` $value `>`";
}

def Npu_TargetAttr : AttrDef<Npu_Dialect, "Target"> {
  let mnemonic = "target";
  let summary = "the target description a kernel is compiled for";
  let description = [{
    Names a built-in preset (`snpu-edge`, `snpu-server`) or a target file;
    passes read every size they use (tiles, buffer sizes, alignment, cores)
    from the description it resolves to (`sinan::resolveTarget`).
  }];
  let parameters = (ins StringRefParameter<"preset name or file">:$name);
  let assemblyFormat = "`<` $name `>`";
}

class Npu_Op<string mnemonic, list<Trait> traits = []>
    : Op<Npu_Dialect, mnemonic, traits>;

#endif // SINAN_DIALECT_NPU_IR_NPUBASE_TD
