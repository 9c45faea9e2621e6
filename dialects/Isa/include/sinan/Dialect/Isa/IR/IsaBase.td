//===- IsaBase.td - isa dialect definition -----------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_DIALECT_ISA_IR_ISABASE_TD
#define SINAN_DIALECT_ISA_IR_ISABASE_TD

include "mlir/IR/OpBase.td"

def Isa_Dialect : Dialect {
  let name = "isa";
  let cppNamespace = "::sinan::isa::ir";
  let summary = "SNPU machine instructions, one op per instruction";
  let description = [{
    The last IR before the binary: an `isa.kernel` holds one `isa.program`
    per core, and each program's blocks are its instructions in order. Every
    instruction op is generated from the runtime's instruction table
    (`runtime/include/sinan/runtime/isa/Instructions.def`), carries the
    instruction's fields as integer attributes named as in that table, and
    is verified by the same checks the decoder applies (`isa::validate`).

    Registers are `r0`-`r31`, or virtual registers `v0`, `v1`, ... that
    register allocation replaces before encoding. A branch names its target
    and fall-through blocks instead of an offset; `isa.next` falls through
    into the next block and encodes to nothing. `sinan-translate
    --isa-to-snpu-kernel` encodes a kernel through `runtime/isa`, and
    `--snpu-kernel-to-isa` decodes one.
  }];
  let usePropertiesForAttributes = 0;
}

class Isa_Op<string mnemonic, list<Trait> traits = []>
    : Op<Isa_Dialect, mnemonic, traits>;

/// A machine instruction. Parsing, printing and verification are generic
/// over the instruction table (IsaOps.cpp).
class Isa_InstructionOp<string mnemonic, list<Trait> traits = []>
    : Isa_Op<mnemonic, traits> {
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// This instruction as the runtime encodes it (branch offset 0; virtual
    /// registers must have been allocated).
    ::llvm::FailureOr<::sinan::isa::Instruction> toInstruction() {
      return ::sinan::isa::ir::toInstruction(getOperation());
    }
  }];
  let extraClassDefinition = [{
    ::mlir::ParseResult $cppClass::parse(::mlir::OpAsmParser &parser,
                                         ::mlir::OperationState &result) {
      return ::sinan::isa::ir::parseInstruction(parser, result);
    }
    void $cppClass::print(::mlir::OpAsmPrinter &printer) {
      ::sinan::isa::ir::printInstruction(printer, getOperation());
    }
    ::llvm::LogicalResult $cppClass::verify() {
      return ::sinan::isa::ir::verifyInstruction(getOperation());
    }
  }];
}

#endif // SINAN_DIALECT_ISA_IR_ISABASE_TD
