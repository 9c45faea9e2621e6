//===- SnpuBinary.cpp - isa dialect <-> SNPU kernel binary ----------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Target/SnpuBinary.h"

#include "sinan/Dialect/Isa/IR/IsaDialect.h"
#include "sinan/InitAll.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/SourceMgr.h"

#include <map>

using namespace mlir;
using namespace sinan;
using namespace sinan::isa::ir;

llvm::FailureOr<isa::Kernel> sinan::encodeKernel(KernelOp kernel) {
  isa::Kernel result;
  result.targetName = kernel.getTarget().str();
  result.targetFingerprint = static_cast<uint64_t>(kernel.getFingerprint());
  if (std::optional<llvm::ArrayRef<int8_t>> rodata = kernel.getRodata())
    result.readOnlyData.assign(rodata->begin(), rodata->end());
  if (std::optional<uint64_t> scratch = kernel.getScratch())
    result.scratchBytes = *scratch;
  if (std::optional<uint64_t> unread = kernel.getUnreadArgs())
    result.unreadArguments = *unread;
  for (auto program : kernel.getBody().getOps<ProgramOp>()) {
    size_t core = static_cast<size_t>(program.getCore());
    if (result.programs.size() <= core)
      result.programs.resize(core + 1);
    // Instruction index of each block's first instruction.
    llvm::DenseMap<Block *, int64_t> start;
    int64_t count = 0;
    for (Block &block : program.getBody()) {
      start[&block] = count;
      for (Operation &op : block)
        count += opInfoOf(&op) ? 1 : 0;
    }
    std::vector<isa::Instruction> &out = result.programs[core];
    for (Block &block : program.getBody()) {
      for (Operation &op : block) {
        if (!opInfoOf(&op))
          continue; // isa.next
        FailureOr<isa::Instruction> inst = toInstruction(&op);
        if (failed(inst))
          return failure();
        if (inst->opcode == isa::Opcode::Br) {
          int64_t offset =
              start[op.getSuccessor(0)] - static_cast<int64_t>(out.size());
          isa::fields::br::offset.set(*inst, static_cast<int32_t>(offset));
        }
        out.push_back(*inst);
      }
    }
  }
  return result;
}

namespace {
bool isTerminator(const isa::Instruction &inst) {
  return inst.opcode == isa::Opcode::Br || inst.opcode == isa::Opcode::End;
}

LogicalResult decodeProgram(OpBuilder &builder, Location loc, unsigned core,
                            const std::vector<isa::Instruction> &program,
                            ProgramOp op) {
  int64_t size = static_cast<int64_t>(program.size());
  if (program.empty() || !isTerminator(program.back()) ||
      program.back().opcode == isa::Opcode::Br)
    return emitError(loc) << "program of core " << core
                          << " does not end with `end` (it would run off "
                             "its end)";
  // Block leaders: the entry, branch targets, and what follows a branch or
  // an end.
  std::map<int64_t, Block *> leaders{{0, nullptr}};
  for (int64_t i = 0; i < size; ++i) {
    if (!isTerminator(program[i]))
      continue;
    if (i + 1 < size)
      leaders[i + 1] = nullptr;
    if (program[i].opcode == isa::Opcode::Br) {
      int64_t target = i + isa::fields::br::offset(program[i]);
      if (target < 0 || target >= size)
        return emitError(loc)
               << "core " << core << " instruction " << i << ": branch target "
               << target << " is outside the program of " << size
               << " instructions";
      leaders[target] = nullptr;
    }
  }
  Region &region = op.getBody();
  for (auto &[index, block] : leaders)
    block = builder.createBlock(&region, region.end());
  Block *current = nullptr;
  for (int64_t i = 0; i < size; ++i) {
    auto leader = leaders.find(i);
    if (leader != leaders.end()) {
      if (current && (current->empty() ||
                      !current->back().hasTrait<OpTrait::IsTerminator>())) {
        builder.setInsertionPointToEnd(current);
        NextOp::create(builder, loc, leader->second);
      }
      current = leader->second;
    }
    builder.setInsertionPointToEnd(current);
    const isa::Instruction &inst = program[i];
    llvm::SmallVector<Block *, 2> successors;
    if (inst.opcode == isa::Opcode::Br)
      successors = {leaders[i + isa::fields::br::offset(inst)], leaders[i + 1]};
    createInstruction(builder, loc, inst, successors);
  }
  return success();
}
} // namespace

OwningOpRef<KernelOp> sinan::decodeKernel(const isa::Kernel &kernel,
                                          llvm::StringRef name, Location loc) {
  MLIRContext *context = loc.getContext();
  context->getOrLoadDialect<IsaDialect>();
  OpBuilder builder(context);
  OwningOpRef<KernelOp> result = KernelOp::create(
      builder, loc, name, kernel.targetName,
      static_cast<int64_t>(kernel.targetFingerprint),
      kernel.readOnlyData.empty()
          ? DenseI8ArrayAttr()
          : builder.getDenseI8ArrayAttr(llvm::ArrayRef<int8_t>(
                reinterpret_cast<const int8_t *>(kernel.readOnlyData.data()),
                kernel.readOnlyData.size())),
      kernel.scratchBytes
          ? builder.getI64IntegerAttr(static_cast<int64_t>(kernel.scratchBytes))
          : IntegerAttr(),
      kernel.unreadArguments ? builder.getI64IntegerAttr(
                                   static_cast<int64_t>(kernel.unreadArguments))
                             : IntegerAttr());
  Block *body = builder.createBlock(&result->getBody());
  for (size_t core = 0; core < kernel.programs.size(); ++core) {
    builder.setInsertionPointToEnd(body);
    auto program = ProgramOp::create(builder, loc, core);
    if (failed(
            decodeProgram(builder, loc, core, kernel.programs[core], program)))
      return nullptr;
  }
  return result;
}

void sinan::registerSnpuBinaryTranslations() {
  static TranslateFromMLIRRegistration toBinary(
      "isa-to-snpu-kernel",
      "encode the isa.kernel of the module into an SNPU kernel binary",
      [](Operation *op, llvm::raw_ostream &os) -> LogicalResult {
        KernelOp kernel;
        op->walk([&](KernelOp found) {
          kernel = found;
          return WalkResult::interrupt();
        });
        if (!kernel)
          return op->emitError("no isa.kernel to encode");
        FailureOr<isa::Kernel> encoded = encodeKernel(kernel);
        if (failed(encoded))
          return failure();
        std::vector<uint8_t> bytes = isa::writeKernel(*encoded);
        os.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
        return success();
      },
      // The kernel may sit in a module with the host program around it.
      [](DialectRegistry &registry) { registerAllDialects(registry); });

  static TranslateToMLIRRegistration fromBinary(
      "snpu-kernel-to-isa", "decode an SNPU kernel binary into an isa.kernel",
      [](llvm::SourceMgr &sourceMgr,
         MLIRContext *context) -> OwningOpRef<Operation *> {
        const llvm::MemoryBuffer *buffer =
            sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
        Location loc =
            FileLineColLoc::get(context, buffer->getBufferIdentifier(), 0, 0);
        std::string error;
        std::optional<isa::Kernel> kernel = isa::readKernel(
            reinterpret_cast<const uint8_t *>(buffer->getBufferStart()),
            buffer->getBufferSize(), error);
        if (!kernel) {
          emitError(loc) << error;
          return nullptr;
        }
        OwningOpRef<KernelOp> op = decodeKernel(*kernel, "kernel", loc);
        if (!op)
          return nullptr;
        OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
        module->getBody()->push_back(op.release());
        return OwningOpRef<Operation *>(module.release());
      },
      [](DialectRegistry &registry) { registry.insert<IsaDialect>(); });
}
