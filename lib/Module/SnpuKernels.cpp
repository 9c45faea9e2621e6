//===- SnpuKernels.cpp - Hand-written SNPU kernel templates ---------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Kernels are written as assembly text and assembled, so what the compiler
// emits reads like docs/isa.md and the assembler validates every field.
//
//===----------------------------------------------------------------------===//

#include "sinan/Module/SnpuKernels.h"

#include "sinan/runtime/isa/Isa.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>

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

/// One core's share of an elementwise kernel: chunks `first`, `first +
/// stride`, ... of `chunk` elements, double-buffered in vbuf. Engines hand
/// chunks on with semaphores: din -> vec (loaded), vec -> dout (computed),
/// dout -> din (buffer free again).
std::string elementwiseProgram(const char *mnemonic, size_t arity,
                               uint64_t elements, uint64_t chunk,
                               uint64_t region, uint64_t first,
                               uint64_t stride) {
  std::string text;
  auto emit = [&](const llvm::Twine &line) { text += line.str() + "\n"; };
  unsigned out = arity + 1; // The output's binding register.
  emit("li r11, 1");
  emit(llvm::formatv("li r20, {0}", 0));
  emit(llvm::formatv("li r21, {0}", arity * region));
  uint64_t shape = 0;
  unsigned local = 0;
  for (uint64_t c = first; c * chunk < elements; c += stride, ++local) {
    uint64_t begin = c * chunk, count = std::min(chunk, elements - begin);
    uint64_t bytes = begin * 4;
    uint64_t buffer = (local % 2) * arity * region;
    if (count != shape) {
      emit(llvm::formatv("li r13, {0}", count));
      emit("dcfg.din shape, r13, r11, r11");
      emit("vcfg len, r13, r11");
      emit("dcfg.dout shape, r13, r11, r11");
      shape = count;
    }
    if (local >= 2)
      emit("wait dout, din, 0");
    for (size_t i = 0; i < arity; ++i)
      emit(llvm::formatv("dload.f32.f32 vbuf[r0+{0}], dram[r{1}+{2}]",
                         buffer + i * region, i + 1, bytes));
    emit("signal din, vec, 0");
    emit("wait din, vec, 0");
    std::string operands = llvm::formatv("vbuf[r0+{0}]", buffer);
    if (arity == 2)
      operands += llvm::formatv(", vbuf[r0+{0}]", buffer + region).str();
    emit(llvm::formatv("{0}.f32 vbuf[r{1}], {2}", mnemonic, local % 2 ? 21 : 20,
                       operands));
    emit("signal vec, dout, 0");
    emit("wait vec, dout, 0");
    emit(llvm::formatv("dstore.f32.f32 dram[r{0}+{1}], vbuf[r0+{2}]", out,
                       bytes, buffer));
    emit("signal dout, din, 0");
  }
  emit("end");
  return text;
}

} // namespace

bool hasElementwiseKernel(std::string_view op, size_t arity) {
  llvm::StringRef name(op.data(), op.size());
  return arity == 1 ? unaryOps().count(name) > 0
                    : arity == 2 && binaryOps().count(name) > 0;
}

std::optional<isa::Kernel>
buildElementwiseKernel(const TargetDesc &target, std::string_view op,
                       size_t arity, uint64_t elements, std::string &error) {
  llvm::StringRef name(op.data(), op.size());
  if (!hasElementwiseKernel(op, arity)) {
    error = llvm::formatv("no SNPU kernel for '{0}' with {1} operands", name,
                          arity);
    return std::nullopt;
  }
  const char *mnemonic =
      arity == 1 ? unaryOps().lookup(name) : binaryOps().lookup(name);
  // Two buffers of `arity` regions fill vbuf; a chunk fills a region, but
  // small tensors are cut so that every core gets a share.
  uint64_t align = target.alignmentBytes;
  uint64_t region = target.vbuf.sizeBytes / (2 * arity) / align * align;
  uint64_t perCore = (elements + target.cores - 1) / target.cores;
  uint64_t chunk =
      std::min(region / 4, (perCore * 4 + align - 1) / align * align / 4);
  chunk = std::max<uint64_t>(chunk, 1);
  if (elements * 4 > UINT32_MAX) {
    error = llvm::formatv("'{0}' over {1} elements: SNPU kernels address at "
                          "most 4 GiB per operand",
                          name, elements);
    return std::nullopt;
  }
  isa::Kernel kernel;
  kernel.targetName = target.name;
  kernel.targetFingerprint = isa::targetFingerprint(target);
  for (unsigned core = 0; core < target.cores; ++core) {
    std::string text = elementwiseProgram(mnemonic, arity, elements, chunk,
                                          region, core, target.cores);
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

} // namespace sinan::snpu
