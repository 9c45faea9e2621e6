//===- NpuToIsa.cpp - Instruction selection for npu kernels ---------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Walks an npu kernel in program order and emits the instructions of one
// core. Values become virtual registers: index arithmetic is computed on the
// scalar engine, memref values are byte addresses. scf.for keeps its loop:
// a counter register, the body as blocks, and a backward branch.
//
//===----------------------------------------------------------------------===//

#include "sinan/Conversion/Passes.h"

#include "sinan/Bridge/RuntimeBridge.h"
#include "sinan/Dialect/Isa/IR/IsaOps.h"
#include "sinan/Dialect/Npu/IR/NpuOps.h"
#include "sinan/runtime/Target.h"
#include "sinan/runtime/isa/IsaTable.h"
#include "sinan/runtime/isa/Kernel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

namespace sinan {
#define GEN_PASS_DEF_CONVERTNPUTOISA
#include "sinan/Conversion/Passes.h.inc"
} // namespace sinan

#include <cstring>
#include <deque>

using namespace mlir;
using namespace sinan;
namespace fields = sinan::isa::fields;
using isa::Instruction;
using isa::Opcode;

namespace {

using Registers = std::array<int64_t, 3>;

int64_t elementBytes(Type type) {
  return std::max<int64_t>(1, type.getIntOrFloatBitWidth() / 8);
}

/// The device element type of `type`, if it has one.
std::optional<DType> deviceType(Type type) {
  std::optional<DType> dtype = toDType(type);
  return dtype && isDeviceDType(*dtype) ? dtype : std::nullopt;
}

/// The shape and byte strides of a DMA transfer: d0 (contiguous) .. d3.
struct DmaShape {
  std::array<int64_t, 4> dims = {1, 1, 1, 1};
  std::array<int64_t, 3> srcStrides = {0, 0, 0}, dstStrides = {0, 0, 0};
  /// DMA-in only: source element stride of d0; zeros [rows before, rows
  /// after, before, after].
  int64_t gather = 1;
  std::array<int64_t, 4> pad = {0, 0, 0, 0};
};

std::array<int64_t, 3> byteStrides(MemRefType type) {
  SmallVector<int64_t> strides;
  int64_t offset;
  (void)type.getStridesAndOffset(strides, offset);
  std::array<int64_t, 3> result = {0, 0, 0};
  int64_t rank = type.getRank();
  for (int64_t k = 1; k <= 3 && rank - 1 - k >= 0; ++k)
    result[k - 1] = strides[rank - 1 - k] * elementBytes(type.getElementType());
  return result;
}

/// The transfer's block is the destination's shape (a padded load's source
/// is smaller).
DmaShape transferShape(MemRefType src, MemRefType dst) {
  DmaShape shape;
  int64_t rank = dst.getRank();
  for (int64_t k = 0; k < 4 && rank - 1 - k >= 0; ++k)
    shape.dims[k] = dst.getDimSize(rank - 1 - k);
  shape.srcStrides = byteStrides(src);
  shape.dstStrides = byteStrides(dst);
  SmallVector<int64_t> strides;
  int64_t offset;
  if (succeeded(src.getStridesAndOffset(strides, offset)))
    shape.gather = strides.back();
  return shape;
}

/// Folds d1 into d0 while rows follow each other without a gap on both
/// sides (and nothing gathers or pads): DMA costs a cycle per row, so one
/// long row beats many short ones.
DmaShape mergeContiguousRows(DmaShape shape, int64_t srcElementBytes,
                             int64_t dstElementBytes) {
  if (shape.gather != 1 || shape.pad != DmaShape().pad)
    return shape;
  while (shape.dims[1] > 1 &&
         shape.srcStrides[0] == shape.dims[0] * srcElementBytes &&
         shape.dstStrides[0] == shape.dims[0] * dstElementBytes) {
    shape.dims = {shape.dims[0] * shape.dims[1], shape.dims[2], shape.dims[3],
                  1};
    shape.srcStrides = {shape.srcStrides[1], shape.srcStrides[2], 0};
    shape.dstStrides = {shape.dstStrides[1], shape.dstStrides[2], 0};
  }
  return shape;
}

/// transferShape with contiguous rows merged.
DmaShape mergedTransferShape(MemRefType src, MemRefType dst) {
  return mergeContiguousRows(transferShape(src, dst),
                             elementBytes(src.getElementType()),
                             elementBytes(dst.getElementType()));
}

class KernelLowering {
public:
  KernelLowering(func::FuncOp func, const TargetDesc &target)
      : func(func), target(target), builder(func.getContext()) {}

  FailureOr<isa::ir::KernelOp> run();

private:
  LogicalResult lowerProgram(isa::ir::KernelOp kernel, int64_t core);

  // Emission.
  int64_t newRegister() { return nextVirtual++; }
  Operation *emit(Location loc, const Instruction &inst, Registers regs = {},
                  ArrayRef<Block *> successors = {});
  int64_t loadImmediate(Location loc, int64_t value);
  int64_t constant(Location loc, int64_t value);
  int64_t alu(Location loc, isa::AluOp op, int64_t a, int64_t b);
  int64_t aluImmediate(Location loc, isa::AluOp op, int64_t a, int64_t imm);
  void startBlock(Block *block);

  // Values.
  FailureOr<int64_t> registerOf(Operation *user, Value value);
  FailureOr<int64_t> addressOf(Operation *user, Value memref);

  // Ops.
  LogicalResult lowerBlock(Block &block);
  LogicalResult lowerOp(Operation &op);
  LogicalResult lowerFor(scf::ForOp loop);
  LogicalResult lowerArith(Operation &op);
  LogicalResult lowerSubView(memref::SubViewOp view);
  LogicalResult lowerAlloc(memref::AllocOp alloc);
  /// `reads`: the transfer reads a source (not a fill), so DMA-in's gather
  /// stride and padding apply to it.
  LogicalResult configureDma(Location loc, bool out, const DmaShape &shape,
                             bool reads = true);
  LogicalResult lowerDmaLoad(npu::DmaLoadOp op);
  LogicalResult lowerDmaGather(npu::DmaGatherOp op);
  /// One dload into `dst`'s memory of the configured block.
  void emitLoad(Location loc, DType srcType, DType dstType, MemRefType dst,
                int64_t local, int64_t dram);
  LogicalResult lowerDmaStore(npu::DmaStoreOp op);
  LogicalResult lowerDmaMove(npu::DmaMoveOp op);
  LogicalResult lowerFill(npu::FillOp op);
  LogicalResult lowerMma(npu::MmaOp op);
  /// Sets the vector unit's len, rep and repeat strides for `dst` and its
  /// sources (skipped when the engine already holds them).
  /// `shaped` gives len and rep when it is not `dst` (a transpose's
  /// source).
  /// `units` overrides the elements per repeat (else the rows' length).
  LogicalResult configureVector(Operation *op, Value dst,
                                ArrayRef<Value> sources, Value shaped = nullptr,
                                int64_t units = 0);
  LogicalResult lowerVector(Operation *op);
  /// One vector instruction over the rows of `src` into `dst` (vtrans,
  /// vred): `fill` sets its opcode and fields. `group` > 1 takes that many
  /// adjacent elements as one integer unit of their bytes (a grouped
  /// vtrans): len counts units, the row strides stay the views'.
  LogicalResult
  lowerFromRows(Operation *op, Value src, Value dst,
                function_ref<void(Instruction &, DType, isa::Space)> fill,
                int64_t group = 1);
  LogicalResult lowerVTrans(npu::VTransOp op);
  LogicalResult lowerVCvt(npu::VCvtOp op);
  LogicalResult lowerVRed(npu::VRedOp op);

  func::FuncOp func;
  const TargetDesc &target;
  OpBuilder builder;
  Block *current = nullptr;
  int64_t core = 0;
  int64_t nextVirtual = isa::ir::kFirstVirtualRegister;
  DenseMap<Value, int64_t> registers;
  /// Index values this core's program knows at compile time (constants,
  /// its core id and arithmetic on them): materialized where used, and a
  /// loop they bound that runs no iteration on this core is left out.
  DenseMap<Value, int64_t> known;
  std::optional<int64_t> knownValue(Value value) const {
    if (std::optional<int64_t> c = getConstantIntValue(value))
      return c;
    auto it = known.find(value);
    return it == known.end() ? std::nullopt : std::optional(it->second);
  }
  /// Local buffers: their byte offset (npu.offset).
  DenseMap<Value, int64_t> localOffsets;
  // What the current block already set up (forgotten at every block start,
  // since a block may be entered from a loop's back edge).
  DenseMap<int64_t, int64_t> constants;
  std::deque<int64_t> constantOrder;
  std::optional<DmaShape> dmaIn, dmaOut;
  /// Some load of the kernel gathers or pads: DMA-in's gather stride and
  /// padding are then set before every load that reads (else they keep
  /// their initial values, stride 1 and no padding, throughout).
  bool gathersOrPads = false;
  /// Read-only data: each constant memref.global the kernel reads, at its
  /// byte offset; the launch passes the data's address after the arguments.
  std::vector<int8_t> rodata;
  llvm::StringMap<int64_t> rodataOffsets;
  int64_t rodataRegister = -1;
  /// Scratch: each mutable memref.global, at its byte offset; its address
  /// comes after the read-only data's.
  int64_t scratchBytes = 0;
  llvm::StringMap<int64_t> scratchOffsets;
  int64_t scratchRegister = -1;
  LogicalResult collectReadOnlyData();
  /// Bit i: the kernel function never uses argument i.
  int64_t unreadArguments() {
    int64_t mask = 0;
    for (BlockArgument arg : func.getArguments())
      if (arg.use_empty() && arg.getArgNumber() < 64)
        mask |= int64_t(1) << arg.getArgNumber();
    return mask;
  }
  LogicalResult lowerReinterpretCast(memref::ReinterpretCastOp cast);
  std::optional<std::array<int64_t, 3>> matrixBlock;
  /// len, rep, and the repeat strides of d, a and b.
  std::optional<std::array<int64_t, 5>> vectorState;
};

Operation *KernelLowering::emit(Location loc, const Instruction &inst,
                                Registers regs, ArrayRef<Block *> successors) {
  builder.setInsertionPointToEnd(current);
  return isa::ir::createInstruction(builder, loc, inst, successors, regs);
}

void KernelLowering::startBlock(Block *block) {
  current = block;
  constants.clear();
  constantOrder.clear();
  dmaIn.reset();
  dmaOut.reset();
  matrixBlock.reset();
  vectorState.reset();
}

int64_t KernelLowering::loadImmediate(Location loc, int64_t value) {
  Instruction inst;
  inst.opcode = Opcode::Li;
  fields::li::value.set(inst, value);
  int64_t reg = newRegister();
  emit(loc, inst, {reg, 0, 0});
  return reg;
}

/// A register holding `value` (0 is r0), shared within the block.
int64_t KernelLowering::constant(Location loc, int64_t value) {
  if (value == 0)
    return 0;
  auto it = constants.find(value);
  if (it != constants.end())
    return it->second;
  // A bounded cache: every cached constant holds a register until its last
  // use, and a convolution's taps use many distinct ones.
  constexpr size_t kCachedConstants = 12;
  if (constantOrder.size() == kCachedConstants) {
    constants.erase(constantOrder.front());
    constantOrder.pop_front();
  }
  constantOrder.push_back(value);
  return constants[value] = loadImmediate(loc, value);
}

int64_t KernelLowering::alu(Location loc, isa::AluOp op, int64_t a, int64_t b) {
  Instruction inst;
  inst.opcode = Opcode::Alu;
  fields::alu::op.set(inst, op);
  int64_t reg = newRegister();
  emit(loc, inst, {reg, a, b});
  return reg;
}

int64_t KernelLowering::aluImmediate(Location loc, isa::AluOp op, int64_t a,
                                     int64_t imm) {
  if (imm < INT32_MIN || imm > INT32_MAX)
    return alu(loc, op, a, constant(loc, imm));
  Instruction inst;
  inst.opcode = Opcode::Alu;
  fields::alu::op.set(inst, op);
  fields::alu::immediate.set(inst, true);
  fields::alu::imm.set(inst, static_cast<int32_t>(imm));
  int64_t reg = newRegister();
  emit(loc, inst, {reg, a, 0});
  return reg;
}

FailureOr<int64_t> KernelLowering::registerOf(Operation *user, Value value) {
  auto it = registers.find(value);
  if (it != registers.end())
    return it->second;
  if (auto k = known.find(value); k != known.end())
    return constant(user->getLoc(), k->second);
  if (auto c = value.getDefiningOp<arith::ConstantOp>())
    if (auto integer = dyn_cast<IntegerAttr>(c.getValue()))
      return constant(user->getLoc(), integer.getInt());
  return user->emitError("operand has no register (its producer was not "
                         "lowered to isa)");
}

FailureOr<int64_t> KernelLowering::addressOf(Operation *user, Value memref) {
  auto local = localOffsets.find(memref);
  if (local != localOffsets.end())
    return constant(user->getLoc(), local->second);
  return registerOf(user, memref);
}

FailureOr<isa::ir::KernelOp> KernelLowering::run() {
  Location loc = func.getLoc();
  if (!func.getBody().hasOneBlock())
    return func.emitError("an npu kernel must have one block (loops are "
                          "scf.for)");
  func.walk([&](npu::DmaLoadOp load) {
    DmaShape shape =
        transferShape(load.getSrc().getType(), load.getDst().getType());
    if (shape.gather != 1 || load.getPaddingOrZero() != DmaShape().pad)
      gathersOrPads = true;
  });
  func.walk([&](npu::DmaMoveOp move) {
    if (move.getPaddingOrZero() != DmaShape().pad)
      gathersOrPads = true;
  });
  // One program per core when the kernel splits its work by core index.
  bool perCore = false;
  func.walk([&](npu::CoreIdOp) { perCore = true; });
  int64_t cores = 1;
  if (perCore) {
    cores = target.cores;
    if (auto attr = func->getAttrOfType<IntegerAttr>(npu::kCoresAttrName))
      cores = attr.getInt();
    if (cores < 1 || cores > int64_t(target.cores))
      return func.emitError() << npu::kCoresAttrName << " = " << cores
                              << " is not between 1 and the target's "
                              << target.cores << " cores";
  }
  if (failed(collectReadOnlyData()))
    return failure();
  builder.setInsertionPoint(func);
  auto kernel = isa::ir::KernelOp::create(
      builder, loc, func.getSymName(), target.name,
      static_cast<int64_t>(isa::targetFingerprint(target)),
      rodata.empty() ? DenseI8ArrayAttr() : builder.getDenseI8ArrayAttr(rodata),
      scratchBytes ? builder.getI64IntegerAttr(scratchBytes) : IntegerAttr(),
      unreadArguments() ? builder.getI64IntegerAttr(unreadArguments())
                        : IntegerAttr());
  builder.createBlock(&kernel.getBody());
  for (int64_t c = 0; c < cores; ++c)
    if (failed(lowerProgram(kernel, c)))
      return failure();
  return kernel;
}

LogicalResult KernelLowering::lowerProgram(isa::ir::KernelOp kernel,
                                           int64_t coreIndex) {
  Location loc = func.getLoc();
  core = coreIndex;
  registers.clear();
  known.clear();
  localOffsets.clear();
  nextVirtual = isa::ir::kFirstVirtualRegister;
  builder.setInsertionPointToEnd(&kernel.getBody().front());
  auto program = isa::ir::ProgramOp::create(builder, loc, coreIndex);
  startBlock(builder.createBlock(&program.getBody()));

  // Launch ABI: argument i arrives in r(i + 1).
  Block &entry = func.getBody().front();
  if (entry.getNumArguments() > isa::kNumRegisters - 2)
    return func.emitError("a kernel takes at most 30 arguments");
  for (BlockArgument arg : entry.getArguments()) {
    auto type = dyn_cast<MemRefType>(arg.getType());
    if (!type || npu::memorySpaceOf(type) != npu::MemorySpace::dram)
      return func.emitError() << "argument " << arg.getArgNumber()
                              << " must be a memref in dram";
    registers[arg] = alu(loc, isa::AluOp::Add, arg.getArgNumber() + 1, 0);
  }
  rodataRegister = scratchRegister = -1;
  int64_t next = entry.getNumArguments() + 1;
  if (!rodata.empty() + (scratchBytes > 0) + entry.getNumArguments() >
      isa::kNumRegisters - 2)
    return func.emitError("a kernel takes at most 30 arguments, read-only "
                          "data and scratch included");
  if (!rodata.empty())
    rodataRegister = alu(loc, isa::AluOp::Add, next++, 0);
  if (scratchBytes > 0)
    scratchRegister = alu(loc, isa::AluOp::Add, next++, 0);
  return lowerBlock(entry);
}

LogicalResult KernelLowering::lowerBlock(Block &block) {
  for (Operation &op : block)
    if (failed(lowerOp(op)))
      return failure();
  return success();
}

LogicalResult KernelLowering::lowerOp(Operation &op) {
  Location loc = op.getLoc();
  auto simple = [&](Opcode opcode) {
    Instruction inst;
    inst.opcode = opcode;
    emit(loc, inst);
    return success();
  };
  return llvm::TypeSwitch<Operation *, LogicalResult>(&op)
      .Case([&](scf::ForOp loop) { return lowerFor(loop); })
      .Case([&](scf::YieldOp) { return success(); })
      .Case([&](func::ReturnOp) { return simple(Opcode::End); })
      .Case([&](memref::AllocOp alloc) { return lowerAlloc(alloc); })
      .Case([&](memref::DeallocOp) { return success(); })
      .Case([&](memref::SubViewOp view) { return lowerSubView(view); })
      .Case<memref::CollapseShapeOp, memref::ExpandShapeOp>([&](auto reshape) {
        // Same bytes, other dimensions: the same address.
        FailureOr<int64_t> address = addressOf(reshape, reshape.getSrc());
        if (failed(address))
          return failure();
        registers[reshape] = *address;
        return success();
      })
      .Case([&](memref::GetGlobalOp get) {
        bool mutableGlobal = scratchOffsets.count(get.getName());
        auto &offsets = mutableGlobal ? scratchOffsets : rodataOffsets;
        int64_t base = mutableGlobal ? scratchRegister : rodataRegister;
        auto it = offsets.find(get.getName());
        if (it == offsets.end() || base < 0)
          return LogicalResult(
              get.emitError("not in the read-only data or scratch"));
        registers[get] = it->second == 0 ? base
                                         : aluImmediate(loc, isa::AluOp::Add,
                                                        base, it->second);
        return success();
      })
      .Case([&](memref::ReinterpretCastOp cast) {
        return lowerReinterpretCast(cast);
      })
      .Case([&](npu::DmaLoadOp dma) { return lowerDmaLoad(dma); })
      .Case([&](npu::DmaGatherOp dma) { return lowerDmaGather(dma); })
      .Case([&](npu::DmaStoreOp dma) { return lowerDmaStore(dma); })
      .Case([&](npu::DmaMoveOp dma) { return lowerDmaMove(dma); })
      .Case([&](npu::FillOp fill) { return lowerFill(fill); })
      .Case([&](npu::MmaOp mma) { return lowerMma(mma); })
      .Case([&](npu::VTransOp trans) { return lowerVTrans(trans); })
      .Case([&](npu::VCvtOp cvt) { return lowerVCvt(cvt); })
      .Case([&](npu::VRedOp red) { return lowerVRed(red); })
      .Case<npu::VBinOp, npu::VUnOp, npu::VScalOp, npu::VFmaOp>(
          [&](auto) { return lowerVector(&op); })
      .Case([&](npu::BarrierOp) { return simple(Opcode::Barrier); })
      .Case([&](npu::CoreIdOp id) {
        known[id] = core;
        return success();
      })
      .Case<npu::SignalOp, npu::WaitOp>([&](auto sync) {
        Instruction inst;
        inst.opcode =
            llvm::isa<npu::SignalOp>(op) ? Opcode::Signal : Opcode::Wait;
        fields::signal::src.set(inst, static_cast<isa::Engine>(sync.getSrc()));
        fields::signal::dst.set(inst, static_cast<isa::Engine>(sync.getDst()));
        fields::signal::id.set(inst, static_cast<uint32_t>(sync.getId()));
        emit(loc, inst);
        return success();
      })
      .Default([&](Operation *other) { return lowerArith(*other); });
}

LogicalResult KernelLowering::lowerArith(Operation &op) {
  Location loc = op.getLoc();
  if (auto c = dyn_cast<arith::ConstantOp>(op)) {
    if (!llvm::isa<IntegerAttr>(c.getValue()))
      return op.emitError("only integer and index constants lower to isa");
    return success(); // Materialized where used (registerOf).
  }
  if (llvm::isa<arith::IndexCastOp, arith::IndexCastUIOp>(op)) {
    FailureOr<int64_t> in = registerOf(&op, op.getOperand(0));
    if (failed(in))
      return failure();
    registers[op.getResult(0)] = *in;
    return success();
  }
  std::optional<isa::AluOp> aluOp =
      llvm::TypeSwitch<Operation *, std::optional<isa::AluOp>>(&op)
          .Case([](arith::AddIOp) { return isa::AluOp::Add; })
          .Case([](arith::SubIOp) { return isa::AluOp::Sub; })
          .Case([](arith::MulIOp) { return isa::AluOp::Mul; })
          .Case([](arith::AndIOp) { return isa::AluOp::And; })
          .Case([](arith::OrIOp) { return isa::AluOp::Or; })
          .Case([](arith::XOrIOp) { return isa::AluOp::Xor; })
          .Case([](arith::ShLIOp) { return isa::AluOp::Shl; })
          .Case([](arith::ShRUIOp) { return isa::AluOp::Shr; })
          .Case([](arith::ShRSIOp) { return isa::AluOp::Sra; })
          .Case([](arith::MinSIOp) { return isa::AluOp::Min; })
          .Case([](arith::MaxSIOp) { return isa::AluOp::Max; })
          .Default([](Operation *) { return std::nullopt; });
  if (!aluOp)
    return op.emitError() << "'" << op.getName()
                          << "' has no SNPU instruction (npu kernels compute "
                             "with npu ops, index arithmetic and scf.for)";
  std::optional<int64_t> a = knownValue(op.getOperand(0)),
                         b = knownValue(op.getOperand(1));
  std::optional<int64_t> folded;
  if (a && b)
    switch (*aluOp) {
    case isa::AluOp::Add:
      folded = *a + *b;
      break;
    case isa::AluOp::Sub:
      folded = *a - *b;
      break;
    case isa::AluOp::Mul:
      folded = *a * *b;
      break;
    case isa::AluOp::Min:
      folded = std::min(*a, *b);
      break;
    case isa::AluOp::Max:
      folded = std::max(*a, *b);
      break;
    default:
      break;
    }
  if (folded) {
    known[op.getResult(0)] = *folded;
    return success();
  }
  FailureOr<int64_t> lhs = registerOf(&op, op.getOperand(0));
  if (failed(lhs))
    return failure();
  IntegerAttr rhsConstant;
  if (matchPattern(op.getOperand(1), m_Constant(&rhsConstant))) {
    registers[op.getResult(0)] =
        aluImmediate(loc, *aluOp, *lhs, rhsConstant.getInt());
    return success();
  }
  FailureOr<int64_t> rhs = registerOf(&op, op.getOperand(1));
  if (failed(rhs))
    return failure();
  registers[op.getResult(0)] = alu(loc, *aluOp, *lhs, *rhs);
  return success();
}

LogicalResult KernelLowering::lowerFor(scf::ForOp loop) {
  Location loc = loop.getLoc();
  if (loop.getNumRegionIterArgs())
    return loop.emitError("loops with iteration arguments do not lower to "
                          "isa yet");
  std::optional<int64_t> lb = knownValue(loop.getLowerBound());
  std::optional<int64_t> ub = knownValue(loop.getUpperBound());
  // No iteration on this core (another core's part of the work).
  if (lb && ub && *lb >= *ub)
    return success();
  FailureOr<int64_t> lower = registerOf(loop, loop.getLowerBound());
  FailureOr<int64_t> upper = registerOf(loop, loop.getUpperBound());
  if (failed(lower) || failed(upper))
    return failure();
  std::optional<int64_t> step = getConstantIntValue(loop.getStep());
  if (!step || *step <= 0)
    return loop.emitError("the step of a loop lowered to isa must be a "
                          "positive constant");
  // The counter is a register the loop updates in place.
  int64_t counter = alu(loc, isa::AluOp::Add, *lower, 0);
  registers[loop.getInductionVar()] = counter;
  // The bound must outlive the loop's blocks, which forget constants.
  int64_t bound = *upper;

  Region *region = current->getParent();
  auto *body = new Block();
  auto *exit = new Block();
  Instruction branch;
  branch.opcode = Opcode::Br;
  if (lb && ub && *lb < *ub) {
    builder.setInsertionPointToEnd(current);
    isa::ir::NextOp::create(builder, loc, body);
  } else {
    fields::br::cond.set(branch, isa::BranchCond::Ge);
    emit(loc, branch, {counter, bound, 0}, {exit, body});
  }
  region->push_back(body);
  startBlock(body);
  if (failed(lowerBlock(*loop.getBody())))
    return failure();
  Instruction step1;
  step1.opcode = Opcode::Alu;
  fields::alu::op.set(step1, isa::AluOp::Add);
  fields::alu::immediate.set(step1, true);
  fields::alu::imm.set(step1, static_cast<int32_t>(*step));
  emit(loc, step1, {counter, counter, 0});
  fields::br::cond.set(branch, isa::BranchCond::Lt);
  region->push_back(exit);
  emit(loc, branch, {counter, bound, 0}, {body, exit});
  startBlock(exit);
  return success();
}

LogicalResult KernelLowering::lowerAlloc(memref::AllocOp alloc) {
  std::optional<npu::MemorySpace> space = npu::memorySpaceOf(alloc.getType());
  if (!space || *space == npu::MemorySpace::dram)
    return alloc.emitError("kernels allocate only local memory (ibuf, wbuf, "
                           "acc, vbuf)");
  auto offset = alloc->getAttrOfType<IntegerAttr>(npu::kOffsetAttrName);
  if (!offset)
    return alloc.emitError("local buffer has no address; run "
                           "sinan-npu-allocate-local first");
  // Materialized where used, like constants: a kernel has more buffers
  // than registers.
  localOffsets[alloc] = offset.getInt();
  return success();
}

LogicalResult KernelLowering::collectReadOnlyData() {
  rodata.clear();
  rodataOffsets.clear();
  scratchBytes = 0;
  scratchOffsets.clear();
  WalkResult result = func.walk([&](memref::GetGlobalOp get) {
    if (rodataOffsets.count(get.getName()) ||
        scratchOffsets.count(get.getName()))
      return WalkResult::advance();
    auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
        get, get.getNameAttr());
    if (global && !global.getConstant() && global.isUninitialized() &&
        global.getType().hasStaticShape() &&
        npu::memorySpaceOf(global.getType()) == npu::MemorySpace::dram) {
      // Scratch: the kernel's own DRAM, no contents.
      scratchBytes = llvm::alignTo(scratchBytes, target.alignmentBytes);
      scratchOffsets[get.getName()] = scratchBytes;
      scratchBytes += npu::spanBytes(global.getType());
      return WalkResult::advance();
    }
    auto value =
        global
            ? dyn_cast_or_null<DenseElementsAttr>(global.getInitialValueAttr())
            : DenseElementsAttr();
    if (!global || !global.getConstant() || !value ||
        npu::memorySpaceOf(global.getType()) != npu::MemorySpace::dram) {
      get.emitError("a kernel reads only constant DRAM globals with dense "
                    "values (its read-only data) and uninitialized mutable "
                    "DRAM globals (its scratch)");
      return WalkResult::interrupt();
    }
    rodata.resize(llvm::alignTo(rodata.size(), target.alignmentBytes), 0);
    rodataOffsets[get.getName()] = rodata.size();
    ArrayRef<char> raw = value.getRawData();
    int64_t count = value.isSplat() ? value.getNumElements() : 1;
    for (int64_t i = 0; i < count; ++i)
      rodata.insert(rodata.end(), raw.begin(), raw.end());
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

/// A view with other strides at an element offset of a whole buffer (a bias
/// repeated along rows has stride 0; resident weights are filled by one 4-D
/// transfer).
LogicalResult
KernelLowering::lowerReinterpretCast(memref::ReinterpretCastOp op) {
  Location loc = op.getLoc();
  // The offset counts from the start of the source's buffer: the source
  // must start there (a kernel argument, a global, a local buffer).
  auto sourceType = dyn_cast<MemRefType>(op.getSource().getType());
  SmallVector<int64_t> strides;
  int64_t sourceOffset = -1;
  if (!sourceType ||
      failed(sourceType.getStridesAndOffset(strides, sourceOffset)) ||
      sourceOffset != 0)
    return op.emitError("only a whole buffer (offset 0) is reinterpreted");
  FailureOr<int64_t> base = addressOf(op, op.getSource());
  if (failed(base))
    return failure();
  int64_t bytes = elementBytes(op.getType().getElementType());
  OpFoldResult offset = op.getMixedOffsets().front();
  if (std::optional<int64_t> value = getConstantIntValue(offset)) {
    registers[op] =
        *value == 0 ? *base
                    : aluImmediate(loc, isa::AluOp::Add, *base, *value * bytes);
    return success();
  }
  FailureOr<int64_t> index = registerOf(op, cast<Value>(offset));
  if (failed(index))
    return failure();
  int64_t scaled =
      bytes == 1 ? *index : aluImmediate(loc, isa::AluOp::Mul, *index, bytes);
  registers[op] = alu(loc, isa::AluOp::Add, *base, scaled);
  return success();
}

LogicalResult KernelLowering::lowerSubView(memref::SubViewOp view) {
  Location loc = view.getLoc();
  FailureOr<int64_t> base = addressOf(view, view.getSource());
  if (failed(base))
    return failure();
  MemRefType source = view.getSourceType();
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(source.getStridesAndOffset(strides, offset)) ||
      llvm::any_of(strides, ShapedType::isDynamic))
    return view.emitError("the source of a view must have static strides");
  int64_t bytes = elementBytes(source.getElementType());
  int64_t staticOffset = 0;
  int64_t address = *base;
  for (auto [dim, ofr] : llvm::enumerate(view.getMixedOffsets())) {
    int64_t scale = strides[dim] * bytes;
    if (std::optional<int64_t> value = getConstantIntValue(ofr)) {
      staticOffset += *value * scale;
      continue;
    }
    FailureOr<int64_t> index = registerOf(view, cast<Value>(ofr));
    if (failed(index))
      return failure();
    int64_t scaled =
        scale == 1 ? *index : aluImmediate(loc, isa::AluOp::Mul, *index, scale);
    address = alu(loc, isa::AluOp::Add, address, scaled);
  }
  if (staticOffset)
    address = aluImmediate(loc, isa::AluOp::Add, address, staticOffset);
  registers[view] = address;
  return success();
}

LogicalResult KernelLowering::configureDma(Location loc, bool out,
                                           const DmaShape &wanted, bool reads) {
  DmaShape shape = wanted;
  std::optional<DmaShape> &state = out ? dmaOut : dmaIn;
  auto config = [&](isa::DmaCfg sel, Registers regs) {
    Instruction inst;
    inst.opcode = Opcode::DCfg;
    fields::dcfg::engine.set(inst,
                             out ? isa::DmaEngine::Out : isa::DmaEngine::In);
    fields::dcfg::sel.set(inst, sel);
    emit(loc, inst, regs);
  };
  auto regs3 = [&](const std::array<int64_t, 3> &values) -> Registers {
    return {constant(loc, values[0]), constant(loc, values[1]),
            constant(loc, values[2])};
  };
  if (!state || state->dims != shape.dims) {
    config(isa::DmaCfg::Shape,
           regs3({shape.dims[0], shape.dims[1], shape.dims[2]}));
    if (!state || state->dims[3] != shape.dims[3])
      config(isa::DmaCfg::Outer, {constant(loc, shape.dims[3]), 0, 0});
  }
  if (!state || state->srcStrides != shape.srcStrides)
    config(isa::DmaCfg::SrcStrides, regs3(shape.srcStrides));
  if (!state || state->dstStrides != shape.dstStrides)
    config(isa::DmaCfg::DstStrides, regs3(shape.dstStrides));
  if (!out && gathersOrPads && reads) {
    if (!state || state->gather != shape.gather)
      config(isa::DmaCfg::Gather, {constant(loc, shape.gather), 0, 0});
    if (!state || state->pad[2] != shape.pad[2] ||
        state->pad[3] != shape.pad[3])
      config(isa::DmaCfg::PadW,
             {constant(loc, shape.pad[2]), constant(loc, shape.pad[3]), 0});
    if (!state || state->pad[0] != shape.pad[0] ||
        state->pad[1] != shape.pad[1])
      config(isa::DmaCfg::PadH,
             {constant(loc, shape.pad[0]), constant(loc, shape.pad[1]), 0});
  } else if (state) {
    // A fill leaves the engine's gather stride and padding as they were.
    shape.gather = state->gather;
    shape.pad = state->pad;
  } else if (!out && gathersOrPads) {
    shape.gather = -1; // Unknown: the next load sets it.
    shape.pad = {-1, -1, -1, -1};
  }
  state = shape;
  return success();
}

LogicalResult KernelLowering::lowerDmaLoad(npu::DmaLoadOp op) {
  MemRefType src = op.getSrc().getType(), dst = op.getDst().getType();
  std::optional<DType> srcType = deviceType(src.getElementType()),
                       dstType = deviceType(dst.getElementType());
  if (!srcType || !dstType)
    return op.emitError("element types must be device types");
  FailureOr<int64_t> local = addressOf(op, op.getDst());
  FailureOr<int64_t> dram = addressOf(op, op.getSrc());
  DmaShape shape = transferShape(src, dst);
  shape.pad = op.getPaddingOrZero();
  shape = mergeContiguousRows(shape, elementBytes(src.getElementType()),
                              elementBytes(dst.getElementType()));
  if (failed(local) || failed(dram) ||
      failed(configureDma(op.getLoc(), false, shape)))
    return failure();
  emitLoad(op.getLoc(), *srcType, *dstType, dst, *local, *dram);
  return success();
}

void KernelLowering::emitLoad(Location loc, DType srcType, DType dstType,
                              MemRefType dst, int64_t local, int64_t dram) {
  Instruction inst;
  inst.opcode = Opcode::DLoad;
  fields::dload::srcType.set(inst, srcType);
  fields::dload::dstType.set(inst, dstType);
  fields::dload::space.set(inst,
                           static_cast<isa::Space>(*npu::memorySpaceOf(dst)));
  emit(loc, inst, {local, dram, 0});
}

/// A load whose rows come from an index array: `dcfg index` around one
/// dload of the destination's rows (the rows are not merged: each is read
/// from its own table row), then off again, so every other transfer reads
/// rows in order.
LogicalResult KernelLowering::lowerDmaGather(npu::DmaGatherOp op) {
  MemRefType table = op.getTable().getType(), dst = op.getDst().getType();
  std::optional<DType> srcType = deviceType(table.getElementType()),
                       dstType = deviceType(dst.getElementType());
  if (!srcType || !dstType)
    return op.emitError("element types must be device types");
  FailureOr<int64_t> local = addressOf(op, op.getDst());
  FailureOr<int64_t> dram = addressOf(op, op.getTable());
  FailureOr<int64_t> indices = addressOf(op, op.getIndices());
  if (failed(local) || failed(dram) || failed(indices) ||
      failed(configureDma(op.getLoc(), false, transferShape(table, dst))))
    return failure();
  auto index = [&](Registers regs) {
    Instruction inst;
    inst.opcode = Opcode::DCfg;
    fields::dcfg::engine.set(inst, isa::DmaEngine::In);
    fields::dcfg::sel.set(inst, isa::DmaCfg::Index);
    emit(op.getLoc(), inst, regs);
  };
  int64_t width = elementBytes(op.getIndices().getType().getElementType());
  index({*indices, constant(op.getLoc(), table.getDimSize(0)),
         constant(op.getLoc(), width)});
  emitLoad(op.getLoc(), *srcType, *dstType, dst, *local, *dram);
  index({0, 0, 0});
  return success();
}

LogicalResult KernelLowering::lowerDmaStore(npu::DmaStoreOp op) {
  MemRefType src = op.getSrc().getType(), dst = op.getDst().getType();
  std::optional<DType> srcType = deviceType(src.getElementType()),
                       dstType = deviceType(dst.getElementType());
  if (!srcType || !dstType)
    return op.emitError("element types must be device types");
  FailureOr<int64_t> local = addressOf(op, op.getSrc());
  FailureOr<int64_t> dram = addressOf(op, op.getDst());
  if (failed(local) || failed(dram) ||
      failed(configureDma(op.getLoc(), true, mergedTransferShape(src, dst))))
    return failure();
  Instruction inst;
  inst.opcode = Opcode::DStore;
  fields::dstore::srcType.set(inst, *srcType);
  fields::dstore::dstType.set(inst, *dstType);
  fields::dstore::space.set(inst,
                            static_cast<isa::Space>(*npu::memorySpaceOf(src)));
  fields::dstore::relu.set(inst, op.getRelu());
  emit(op.getLoc(), inst, {*dram, *local, 0});
  return success();
}

LogicalResult KernelLowering::lowerDmaMove(npu::DmaMoveOp op) {
  MemRefType src = op.getSrc().getType(), dst = op.getDst().getType();
  std::optional<DType> type = deviceType(dst.getElementType());
  if (!type)
    return op.emitError("element type must be a device type");
  FailureOr<int64_t> to = addressOf(op, op.getDst());
  FailureOr<int64_t> from = addressOf(op, op.getSrc());
  DmaShape shape = transferShape(src, dst);
  shape.pad = op.getPaddingOrZero();
  shape = mergeContiguousRows(shape, elementBytes(src.getElementType()),
                              elementBytes(dst.getElementType()));
  if (failed(to) || failed(from) ||
      failed(configureDma(op.getLoc(), false, shape)))
    return failure();
  Instruction inst;
  inst.opcode = Opcode::DMove;
  fields::dmove::type.set(inst, *type);
  fields::dmove::dstSpace.set(
      inst, static_cast<isa::Space>(*npu::memorySpaceOf(dst)));
  fields::dmove::srcSpace.set(
      inst, static_cast<isa::Space>(*npu::memorySpaceOf(src)));
  emit(op.getLoc(), inst, {*to, *from, 0});
  return success();
}

LogicalResult KernelLowering::lowerFill(npu::FillOp op) {
  MemRefType dst = op.getDst().getType();
  std::optional<DType> type = deviceType(dst.getElementType());
  if (!type)
    return op.emitError("element type must be a device type");
  FailureOr<int64_t> local = addressOf(op, op.getDst());
  // A fill walks the block with the destination strides.
  if (failed(local) ||
      failed(configureDma(op.getLoc(), false, mergedTransferShape(dst, dst),
                          /*reads=*/false)))
    return failure();
  Instruction inst;
  inst.opcode = Opcode::DFill;
  fields::dfill::type.set(inst, *type);
  fields::dfill::space.set(inst,
                           static_cast<isa::Space>(*npu::memorySpaceOf(dst)));
  fields::dfill::pattern.set(inst, static_cast<uint32_t>(op.getPattern()));
  emit(op.getLoc(), inst, {*local, 0, 0});
  return success();
}

LogicalResult KernelLowering::lowerMma(npu::MmaOp op) {
  MemRefType lhs = op.getLhs().getType(), rhs = op.getRhs().getType(),
             acc = op.getAcc().getType();
  bool bf16 = lhs.getElementType().isBF16();
  auto tile = target.matrixTiles.find(bf16 ? DType::BF16 : DType::I8);
  if (tile == target.matrixTiles.end())
    return op.emitError() << "target " << target.name << " has no "
                          << (bf16 ? "bf16" : "i8") << " matrix unit";
  int64_t m = lhs.getDimSize(0), k = lhs.getDimSize(1), n = rhs.getDimSize(1);
  if (m % tile->second.m || k % tile->second.k || n % tile->second.n)
    return op.emitError() << "block " << m << "x" << k << "x" << n
                          << " is not a multiple of the target's "
                          << (bf16 ? "bf16" : "i8") << " tile "
                          << tile->second.m << "x" << tile->second.k << "x"
                          << tile->second.n;
  // The matrix unit reads rows at a pitch rounded up to the alignment.
  int64_t align = target.alignmentBytes;
  auto checkPitch = [&](MemRefType type, StringRef name) -> LogicalResult {
    int64_t el = elementBytes(type.getElementType());
    int64_t want = (type.getDimSize(1) * el + align - 1) / align * align;
    int64_t have = byteStrides(type)[0];
    if (have != want)
      return op.emitError() << name << " rows are " << have
                            << " bytes apart; the matrix unit reads them "
                            << want << " bytes apart (row bytes rounded up "
                            << "to the target's alignment of " << align << ")";
    return success();
  };
  if (failed(checkPitch(lhs, "lhs")) || failed(checkPitch(rhs, "rhs")) ||
      failed(checkPitch(acc, "acc")))
    return failure();
  FailureOr<int64_t> a = addressOf(op, op.getLhs());
  FailureOr<int64_t> b = addressOf(op, op.getRhs());
  FailureOr<int64_t> c = addressOf(op, op.getAcc());
  if (failed(a) || failed(b) || failed(c))
    return failure();
  std::array<int64_t, 3> block = {m, k, n};
  if (matrixBlock != block) {
    Instruction config;
    config.opcode = Opcode::MCfg;
    fields::mcfg::m.set(config, static_cast<uint32_t>(m));
    fields::mcfg::k.set(config, static_cast<uint32_t>(k));
    fields::mcfg::n.set(config, static_cast<uint32_t>(n));
    emit(op.getLoc(), config);
    matrixBlock = block;
  }
  Instruction inst;
  inst.opcode = Opcode::Mma;
  fields::mma::type.set(inst, bf16 ? isa::MmaType::BF16 : isa::MmaType::I8);
  fields::mma::accumulate.set(inst, op.getAccumulate());
  emit(op.getLoc(), inst, {*a, *b, *c});
  return success();
}

LogicalResult KernelLowering::configureVector(Operation *op, Value dst,
                                              ArrayRef<Value> sources,
                                              Value shaped, int64_t units) {
  auto type = cast<MemRefType>((shaped ? shaped : dst).getType());
  int64_t rank = type.getRank();
  auto repeatStride = [&](Value value) -> int64_t {
    if (rank < 2)
      return 0;
    auto memref = cast<MemRefType>(value.getType());
    SmallVector<int64_t> strides;
    int64_t offset;
    (void)memref.getStridesAndOffset(strides, offset);
    return strides[0] * elementBytes(memref.getElementType());
  };
  std::array<int64_t, 5> state = {
      units ? units : type.getShape().back(), rank < 2 ? 1 : type.getDimSize(0),
      repeatStride(dst), repeatStride(sources[0]),
      sources.size() > 1 ? repeatStride(sources[1]) : 0};
  if (llvm::any_of(state, [](int64_t v) { return v < 0 || v > UINT32_MAX; }))
    return op->emitError("vector shape or strides out of range");
  if (vectorState == state)
    return success();
  Location loc = op->getLoc();
  Instruction len;
  len.opcode = Opcode::VCfg;
  fields::vcfg::sel.set(len, isa::VecCfg::Len);
  emit(loc, len, {constant(loc, state[0]), constant(loc, state[1]), 0});
  if (!vectorState || (*vectorState)[2] != state[2] ||
      (*vectorState)[3] != state[3] || (*vectorState)[4] != state[4]) {
    Instruction strides;
    strides.opcode = Opcode::VCfg;
    fields::vcfg::sel.set(strides, isa::VecCfg::Strides);
    emit(loc, strides,
         {constant(loc, state[2]), constant(loc, state[3]),
          constant(loc, state[4])});
  }
  vectorState = state;
  return success();
}

LogicalResult KernelLowering::lowerVector(Operation *op) {
  auto space = [](Value value) {
    return static_cast<isa::Space>(
        *npu::memorySpaceOf(cast<MemRefType>(value.getType())));
  };
  Value dst = op->getOperands().back();
  SmallVector<Value, 2> sources(op->getOperands().drop_back());
  std::optional<DType> type =
      deviceType(cast<MemRefType>(dst.getType()).getElementType());
  if (!type)
    return op->emitError("element type must be a device type");
  FailureOr<int64_t> d = addressOf(op, dst);
  FailureOr<int64_t> a = addressOf(op, sources[0]);
  FailureOr<int64_t> b =
      sources.size() > 1 ? addressOf(op, sources[1]) : FailureOr<int64_t>(0);
  if (failed(d) || failed(a) || failed(b) ||
      failed(configureVector(op, dst, sources)))
    return failure();
  // A rank-2 second source with innermost stride 0 holds one element per
  // repeat (the instruction's broadcast form).
  auto repeatScalar = [&] {
    auto type = cast<MemRefType>(sources[1].getType());
    SmallVector<int64_t> strides;
    int64_t offset;
    return type.getRank() == 2 &&
           succeeded(type.getStridesAndOffset(strides, offset)) &&
           strides.back() == 0;
  };
  Instruction inst;
  if (auto bin = dyn_cast<npu::VBinOp>(op)) {
    inst.opcode = Opcode::VBin;
    fields::vbin::type.set(inst, *type);
    fields::vbin::op.set(inst, *isa::parseName<isa::VBinOp>(bin.getOp().str()));
    fields::vbin::aSpace.set(inst, space(sources[0]));
    fields::vbin::bSpace.set(inst, space(sources[1]));
    fields::vbin::broadcast.set(inst, repeatScalar());
  } else if (llvm::isa<npu::VFmaOp>(op)) {
    inst.opcode = Opcode::VFma;
    fields::vfma::type.set(inst, *type);
    fields::vfma::aSpace.set(inst, space(sources[0]));
    fields::vfma::bSpace.set(inst, space(sources[1]));
    fields::vfma::broadcast.set(inst, repeatScalar());
  } else if (auto un = dyn_cast<npu::VUnOp>(op)) {
    inst.opcode = Opcode::VUn;
    fields::vun::type.set(inst, *type);
    fields::vun::op.set(inst, *isa::parseName<isa::VUnOp>(un.getOp().str()));
    fields::vun::aSpace.set(inst, space(sources[0]));
  } else {
    auto scal = cast<npu::VScalOp>(op);
    inst.opcode = Opcode::VScal;
    fields::vscal::type.set(inst, *type);
    fields::vscal::op.set(inst,
                          *isa::parseName<isa::VBinOp>(scal.getOp().str()));
    fields::vscal::aSpace.set(inst, space(sources[0]));
    uint32_t bits;
    if (auto f = dyn_cast<FloatAttr>(scal.getScalar())) {
      // f32 bits for f32 elements, else the element type's own pattern
      // (docs/isa.md, vscal): a bf16 row scales by the bf16 scalar.
      llvm::APFloat value = f.getValue();
      Type element = cast<MemRefType>(dst.getType()).getElementType();
      bool lost = false;
      if (!element.isF32())
        value.convert(cast<FloatType>(element).getFloatSemantics(),
                      llvm::APFloat::rmNearestTiesToEven, &lost);
      else
        value.convert(llvm::APFloat::IEEEsingle(),
                      llvm::APFloat::rmNearestTiesToEven, &lost);
      bits = static_cast<uint32_t>(value.bitcastToAPInt().getZExtValue());
    } else {
      bits = static_cast<uint32_t>(
          cast<IntegerAttr>(scal.getScalar()).getValue().getSExtValue());
    }
    fields::vscal::scalar.set(inst, bits);
  }
  emit(op->getLoc(), inst, {*a, *b, *d});
  return success();
}

LogicalResult KernelLowering::lowerFromRows(
    Operation *op, Value src, Value dst,
    function_ref<void(Instruction &, DType, isa::Space)> fill, int64_t group) {
  auto srcType = cast<MemRefType>(src.getType());
  std::optional<DType> type =
      deviceType(cast<MemRefType>(dst.getType()).getElementType());
  if (!type)
    return op->emitError("element type must be a device type");
  if (group > 1) {
    // (The simulator moves a vtrans's elements as bytes: the type is their
    // size.)
    int64_t unitBytes = group * elementBytes(srcType.getElementType());
    type = unitBytes == 4   ? DType::I32
           : unitBytes == 2 ? DType::BF16
                            : DType::I8;
  }
  FailureOr<int64_t> d = addressOf(op, dst);
  FailureOr<int64_t> a = addressOf(op, src);
  // len and rep from the source's rows.
  if (failed(d) || failed(a) ||
      failed(
          configureVector(op, dst, {src}, src,
                          group > 1 ? srcType.getShape().back() / group : 0)))
    return failure();
  Instruction inst;
  fill(inst, *type,
       static_cast<isa::Space>(
           *npu::memorySpaceOf(cast<MemRefType>(src.getType()))));
  emit(op->getLoc(), inst, {*a, 0, *d});
  return success();
}

LogicalResult KernelLowering::lowerVRed(npu::VRedOp op) {
  // The destination's repeat stride is one element (consecutive results).
  return lowerFromRows(op, op.getSrc(), op.getDst(),
                       [&](Instruction &inst, DType type, isa::Space space) {
                         inst.opcode = Opcode::VRed;
                         fields::vred::type.set(inst, type);
                         fields::vred::op.set(
                             inst,
                             *isa::parseName<isa::VRedOp>(op.getOp().str()));
                         fields::vred::aSpace.set(inst, space);
                       });
}

LogicalResult KernelLowering::lowerVTrans(npu::VTransOp op) {
  auto fill = [](Instruction &inst, DType type, isa::Space space) {
    inst.opcode = Opcode::VTrans;
    fields::vtrans::type.set(inst, type);
    fields::vtrans::aSpace.set(inst, space);
  };
  return lowerFromRows(op, op.getSrc(), op.getDst(), fill, op.getGroup());
}

LogicalResult KernelLowering::lowerVCvt(npu::VCvtOp op) {
  std::optional<DType> from =
      deviceType(op.getSrc().getType().getElementType());
  std::optional<DType> to = deviceType(op.getDst().getType().getElementType());
  if (!from || !to)
    return op->emitError("element types must be device types");
  FailureOr<int64_t> d = addressOf(op, op.getDst());
  FailureOr<int64_t> a = addressOf(op, op.getSrc());
  if (failed(d) || failed(a) ||
      failed(configureVector(op, op.getDst(), {op.getSrc()})))
    return failure();
  Instruction inst;
  inst.opcode = Opcode::VCvt;
  fields::vcvt::srcType.set(inst, *from);
  fields::vcvt::dstType.set(inst, *to);
  fields::vcvt::aSpace.set(inst, static_cast<isa::Space>(*npu::memorySpaceOf(
                                     op.getSrc().getType())));
  emit(op->getLoc(), inst, {*a, 0, *d});
  return success();
}

struct ConvertNpuToIsaPass
    : public sinan::impl::ConvertNpuToIsaBase<ConvertNpuToIsaPass> {
  void runOnOperation() override {
    SmallVector<func::FuncOp> kernels;
    getOperation().walk([&](func::FuncOp func) {
      if (func->hasAttr(npu::kTargetAttrName))
        kernels.push_back(func);
    });
    for (func::FuncOp func : kernels) {
      const TargetDesc *target = npu::targetOf(func);
      if (!target)
        return signalPassFailure();
      KernelLowering lowering(func, *target);
      if (failed(lowering.run()))
        return signalPassFailure();
      func.erase();
    }
  }
};

} // namespace
