//===- SnpuKernels.cpp - Hand-written SNPU kernel templates ---------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Elementwise kernels written as assembly text and assembled, until the
// vector unit has an npu lowering (matmuls go through the SNPU pipeline:
// lib/Pipelines/SnpuKernel.cpp).
//
//===----------------------------------------------------------------------===//

#include "sinan/Module/SnpuKernels.h"

#include "sinan/runtime/isa/Isa.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <numeric>

namespace sinan::snpu {
namespace {

/// Graph op -> vector-unit mnemonic, for one and two f32 operands.
const llvm::StringMap<const char *> &unaryOps() {
  static const llvm::StringMap<const char *> ops = {
      {"relu", "vun.relu"},        {"neg", "vun.neg"},
      {"abs", "vun.abs"},          {"exp", "vun.exp"},
      {"log", "vun.log"},          {"sqrt", "vun.sqrt"},
      {"reciprocal", "vun.recip"}, {"tanh", "vun.tanh"},
      {"sigmoid", "vun.sigmoid"},  {"erf", "vun.erf"}};
  return ops;
}

const llvm::StringMap<const char *> &binaryOps() {
  static const llvm::StringMap<const char *> ops = {
      {"add", "vbin.add"}, {"sub", "vbin.sub"}, {"mul", "vbin.mul"},
      {"div", "vbin.div"}, {"max", "vbin.max"}, {"min", "vbin.min"}};
  return ops;
}

/// How an elementwise kernel lays out vbuf and walks its operands.
struct ElementwisePlan {
  const char *mnemonic;
  size_t arity;
  uint64_t elements;
  uint64_t chunk;  ///< Elements per chunk (whole rows when row > 0).
  uint64_t region; ///< Bytes per vbuf region.
  uint64_t row;    ///< > 0: operand b is one row of this many elements,
                   ///< repeated over every row of a (vector stride 0).
};

/// One core's share of an elementwise kernel: chunks `first`, `first +
/// stride`, ... double-buffered in vbuf (a broadcast row is loaded once).
/// Engines hand chunks on with semaphores: din -> vec (loaded), vec -> dout
/// (computed), dout -> din (buffer free again).
std::string elementwiseProgram(const ElementwisePlan &p, uint64_t first,
                               uint64_t stride) {
  std::string text;
  auto emit = [&](const llvm::Twine &line) { text += line.str() + "\n"; };
  unsigned out = p.arity + 1; // The output's binding register.
  bool rows = p.row > 0;
  // Regions: a0, b0, a1, b1; or a0, a1 and the row when broadcasting.
  uint64_t perBuffer = rows ? 1 : p.arity;
  uint64_t rowAt = 2 * p.region;
  emit("li r11, 1");
  emit(llvm::formatv("li r20, {0}", 0));
  emit(llvm::formatv("li r21, {0}", perBuffer * p.region));
  if (rows && first * p.chunk < p.elements) {
    emit(llvm::formatv("li r13, {0}", p.row));
    emit("dcfg.din shape, r13, r11, r11");
    emit(llvm::formatv("dload.f32.f32 vbuf[r0+{0}], dram[r2]", rowAt));
    emit(llvm::formatv("li r15, {0}", p.row * 4));
    emit("vcfg stride, r15, r15, r0");
  }
  uint64_t shape = 0;
  unsigned local = 0;
  for (uint64_t c = first; c * p.chunk < p.elements; c += stride, ++local) {
    uint64_t begin = c * p.chunk, count = std::min(p.chunk, p.elements - begin);
    uint64_t bytes = begin * 4;
    uint64_t buffer = (local % 2) * perBuffer * p.region;
    if (count != shape) {
      emit(llvm::formatv("li r13, {0}", count));
      emit("dcfg.din shape, r13, r11, r11");
      if (rows) {
        emit(llvm::formatv("li r14, {0}", p.row));
        emit(llvm::formatv("li r16, {0}", count / p.row));
        emit("vcfg len, r14, r16");
      } else {
        emit("vcfg len, r13, r11");
      }
      emit("dcfg.dout shape, r13, r11, r11");
      shape = count;
    }
    if (local >= 2)
      emit("wait dout, din, 0");
    for (size_t i = 0; i < (rows ? 1 : p.arity); ++i)
      emit(llvm::formatv("dload.f32.f32 vbuf[r0+{0}], dram[r{1}+{2}]",
                         buffer + i * p.region, i + 1, bytes));
    emit("signal din, vec, 0");
    emit("wait din, vec, 0");
    std::string operands = llvm::formatv("vbuf[r0+{0}]", buffer);
    if (p.arity == 2)
      operands +=
          llvm::formatv(", vbuf[r0+{0}]", rows ? rowAt : buffer + p.region)
              .str();
    emit(llvm::formatv("{0}.f32 vbuf[r{1}], {2}", p.mnemonic,
                       local % 2 ? 21 : 20, operands));
    emit("signal vec, dout, 0");
    emit("wait vec, dout, 0");
    emit(llvm::formatv("dstore.f32.f32 dram[r{0}+{1}], vbuf[r0+{2}]", out,
                       bytes, buffer));
    emit("signal dout, din, 0");
  }
  emit("end");
  return text;
}

uint64_t roundUp(uint64_t value, uint64_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

std::optional<isa::Kernel> assembleKernel(const TargetDesc &target,
                                          llvm::StringRef name,
                                          const std::vector<std::string> &texts,
                                          std::string &error) {
  isa::Kernel kernel;
  kernel.targetName = target.name;
  kernel.targetFingerprint = isa::targetFingerprint(target);
  for (const std::string &text : texts) {
    std::optional<std::vector<isa::Instruction>> program =
        isa::assemble(text, error);
    if (!program) {
      error = llvm::formatv("kernel for '{0}': {1}", name, error);
      return std::nullopt;
    }
    kernel.programs.push_back(std::move(*program));
  }
  return kernel;
}

} // namespace

/// Elements per chunk step: a granule, or (broadcasting a row) whole rows
/// that are also a whole number of granules.
static uint64_t chunkUnit(const TargetDesc &target, uint64_t row) {
  uint64_t align = target.alignmentBytes;
  return row ? row * (align / std::gcd(row * 4, align)) : align / 4;
}

bool elementwiseRowFits(const TargetDesc &target, uint64_t row) {
  uint64_t align = target.alignmentBytes;
  uint64_t region = target.vbuf.sizeBytes / 3 / align * align;
  return chunkUnit(target, row) * 4 <= region;
}

bool hasElementwiseKernel(std::string_view op, size_t arity) {
  llvm::StringRef name(op.data(), op.size());
  return arity == 1 ? unaryOps().count(name) > 0
                    : arity == 2 && binaryOps().count(name) > 0;
}

std::optional<isa::Kernel>
buildElementwiseKernel(const TargetDesc &target, std::string_view op,
                       size_t arity, uint64_t elements, std::string &error,
                       uint64_t row) {
  llvm::StringRef name(op.data(), op.size());
  if (!hasElementwiseKernel(op, arity) || (row > 0 && arity != 2)) {
    error = llvm::formatv("no SNPU kernel for '{0}' with {1} operands", name,
                          arity);
    return std::nullopt;
  }
  if (elements * 4 > UINT32_MAX) {
    error = llvm::formatv("'{0}' over {1} elements: SNPU kernels address at "
                          "most 4 GiB per operand",
                          name, elements);
    return std::nullopt;
  }
  ElementwisePlan plan{arity == 1 ? unaryOps().lookup(name)
                                  : binaryOps().lookup(name),
                       arity,
                       elements,
                       0,
                       0,
                       row};
  // Two buffers of `arity` regions fill vbuf (a0, a1 and the row when
  // broadcasting). Chunks start on alignment boundaries in DRAM, so cores
  // never write the same granule; small tensors are cut so that every core
  // gets a share.
  uint64_t align = target.alignmentBytes;
  plan.region = target.vbuf.sizeBytes / (row ? 3 : 2 * arity) / align * align;
  uint64_t perCore = (elements + target.cores - 1) / target.cores;
  uint64_t unit = chunkUnit(target, row);
  if (!elementwiseRowFits(target, row)) {
    error = llvm::formatv("'{0}' rows of {1} elements do not fit the vector "
                          "buffer",
                          name, row);
    return std::nullopt;
  }
  uint64_t most = plan.region / 4 / unit * unit;
  plan.chunk = std::max(unit, std::min(most, roundUp(perCore, unit)));
  std::vector<std::string> programs;
  for (unsigned core = 0; core < target.cores; ++core)
    programs.push_back(elementwiseProgram(plan, core, target.cores));
  return assembleKernel(target, name, programs, error);
}

} // namespace sinan::snpu
