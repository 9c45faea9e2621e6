//===- CpuObject.cpp - Native host code for a module ----------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Target/CpuObject.h"

#include "sinan/Conversion/GraphToLinalg.h"

#include "mlir/Pass/Pass.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#include <mutex>

#include <unistd.h>

using namespace mlir;

namespace sinan {
#define GEN_PASS_DECL_CPUAPPROXIMATEMATH
#include "sinan/Conversion/Passes.h.inc"

namespace {

/// The x86-64 levels and extensions the runtime can check on the host
/// (runtime/exec/CpuCode.cpp), with the LLVM features each implies.
struct Requirement {
  const char *name;
  const char *llvmFeatures;
};
const Requirement kLevels[] = {
    {"x86-64-v4", "+avx512f,+avx512bw,+avx512cd,+avx512dq,+avx512vl"},
    {"x86-64-v3", "+avx2,+bmi,+bmi2,+f16c,+fma,+lzcnt,+movbe"},
    {"x86-64-v2", "+sse4.2,+popcnt,+cx16,+ssse3"},
};
const Requirement kExtensions[] = {{"avx512vnni", "+avx512vnni"},
                                   {"avx512bf16", "+avx512bf16"}};

/// What the runtime must find on a host to run code for `sti`.
std::vector<std::string> requirements(const llvm::MCSubtargetInfo &sti) {
  std::vector<std::string> needs;
  for (const Requirement &level : kLevels)
    if (sti.checkFeatures(level.llvmFeatures)) {
      needs.push_back(level.name);
      break;
    }
  for (const Requirement &extension : kExtensions)
    if (sti.checkFeatures(extension.llvmFeatures))
      needs.push_back(extension.name);
  return needs;
}

std::unique_ptr<llvm::TargetMachine>
createTargetMachine(const CpuCodegenOptions &options, std::string &error) {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
  llvm::Triple triple(llvm::sys::getProcessTriple());
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  std::string cpu = options.cpu, features;
  if (cpu == "native") {
    cpu = llvm::sys::getHostCPUName().str();
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      features += (features.empty() ? "" : ",") +
                  std::string(feature.second ? "+" : "-") +
                  feature.first().str();
  }
  std::unique_ptr<llvm::MCSubtargetInfo> subtarget(
      target->createMCSubtargetInfo(triple, "", ""));
  if (!subtarget || !subtarget->isCPUStringValid(cpu)) {
    error = llvm::formatv("--cpu={0}: not a CPU LLVM knows for {1} (try "
                          "x86-64-v3 or native)",
                          options.cpu, triple.str());
    return nullptr;
  }
  llvm::TargetOptions targetOptions;
  return std::unique_ptr<llvm::TargetMachine>(target->createTargetMachine(
      triple, cpu, features, targetOptions, llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
}

/// Makes each kernel internal and adds an exported entry of the kernel's
/// name taking an array of its (bare pointer) buffer arguments and the
/// slice [begin, end) it computes, returning the kernel's i32 status (0
/// for kernels without one).
bool addEntries(llvm::Module &module, llvm::ArrayRef<std::string> symbols,
                std::string &error) {
  llvm::LLVMContext &context = module.getContext();
  auto *ptr = llvm::PointerType::getUnqual(context);
  auto *i64 = llvm::Type::getInt64Ty(context);
  auto *i32 = llvm::Type::getInt32Ty(context);
  auto *entryType = llvm::FunctionType::get(i32, {ptr, i64, i64}, false);
  for (const std::string &symbol : symbols) {
    llvm::Function *kernel = module.getFunction(symbol);
    if (!kernel) {
      error = "no kernel '" + symbol + "' after lowering";
      return false;
    }
    kernel->setName(symbol + ".kernel");
    kernel->setLinkage(llvm::GlobalValue::InternalLinkage);
    llvm::Function *entry = llvm::Function::Create(
        entryType, llvm::GlobalValue::ExternalLinkage, symbol, module);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(context, "entry", entry));
    llvm::SmallVector<llvm::Value *> arguments;
    unsigned buffers = kernel->arg_size() - 2;
    for (unsigned i = 0; i < kernel->arg_size(); ++i) {
      llvm::Type *type = kernel->getArg(i)->getType();
      if (i < buffers ? !type->isPointerTy() : type != i64) {
        error = "kernel '" + symbol + "' does not take buffers then a slice";
        return false;
      }
      if (i >= buffers) {
        arguments.push_back(entry->getArg(1 + i - buffers));
        continue;
      }
      // Bindings never overlap (the memory plan gives each live value its
      // own bytes), which lets LLVM keep values in registers.
      kernel->addParamAttr(i, llvm::Attribute::NoAlias);
      llvm::Value *slot = b.CreateConstGEP1_64(ptr, entry->getArg(0), i);
      arguments.push_back(b.CreateLoad(ptr, slot));
    }
    llvm::Type *returns = kernel->getReturnType();
    if (!returns->isVoidTy() && returns != i32) {
      error = "kernel '" + symbol + "' returns neither nothing nor an i32";
      return false;
    }
    llvm::Value *status = b.CreateCall(kernel, arguments);
    b.CreateRet(returns->isVoidTy() ? b.getInt32(0) : status);
  }
  return true;
}

void optimize(llvm::Module &module, llvm::TargetMachine &machine) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder builder(&machine);
  builder.registerModuleAnalyses(mam);
  builder.registerCGSCCAnalyses(cgam);
  builder.registerFunctionAnalyses(fam);
  builder.registerLoopAnalyses(lam);
  builder.crossRegisterProxies(lam, fam, cgam, mam);
  builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3)
      .run(module, mam);
}

/// Links `object` into a shared object with the system linker.
std::optional<std::vector<uint8_t>> link(llvm::StringRef object,
                                         std::string &error) {
  llvm::ErrorOr<std::string> linker = llvm::sys::findProgramByName("ld");
  if (!linker) {
    error = "no system linker 'ld' on PATH to link the host ops' native "
            "code (install binutils, or compile with --cpu=none)";
    return std::nullopt;
  }
  llvm::SmallString<128> objectPath, libraryPath, logPath;
  if (llvm::sys::fs::createTemporaryFile("sinan-cpu", "o", objectPath) ||
      llvm::sys::fs::createTemporaryFile("sinan-cpu", "so", libraryPath) ||
      llvm::sys::fs::createTemporaryFile("sinan-cpu", "log", logPath)) {
    error = "cannot create temporary files for the CPU object";
    return std::nullopt;
  }
  llvm::FileRemover removeObject(objectPath), removeLibrary(libraryPath),
      removeLog(logPath);
  {
    std::error_code ec;
    llvm::raw_fd_ostream out(objectPath, ec);
    if (ec) {
      error = objectPath.str().str() + ": " + ec.message();
      return std::nullopt;
    }
    out << object;
  }
  llvm::SmallVector<llvm::StringRef> args = {"ld",
                                             "-shared",
                                             "--build-id=none",
                                             "-z",
                                             "noexecstack",
                                             "-soname",
                                             "sinan-cpu-object",
                                             "-o",
                                             libraryPath,
                                             objectPath,
                                             "-lm"};
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, logPath.str(),
                                                logPath.str()};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(*linker, args, std::nullopt, redirects, 0,
                                     0, &message);
  if (rc != 0) {
    auto log = llvm::MemoryBuffer::getFile(logPath);
    error = llvm::formatv("linking the CPU object failed ({0}): {1}",
                          message.empty() ? "ld exit " + std::to_string(rc)
                                          : message,
                          log ? (*log)->getBuffer().trim().str() : "");
    return std::nullopt;
  }
  auto library = llvm::MemoryBuffer::getFile(libraryPath, /*IsText=*/false,
                                             /*RequiresNullTerminator=*/false);
  if (!library) {
    error = "cannot read the linked CPU object";
    return std::nullopt;
  }
  llvm::StringRef bytes = (*library)->getBuffer();
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

} // namespace

const char *cpuLoweringPipeline() {
  return "builtin.module(convert-linalg-to-loops,expand-strided-metadata,"
         "lower-affine,convert-scf-to-cf,convert-vector-to-llvm,"
         "convert-math-to-llvm,"
         "convert-math-to-libm,finalize-memref-to-llvm,"
         "convert-arith-to-llvm,"
         "convert-func-to-llvm{use-bare-ptr-memref-call-conv=1},"
         "convert-cf-to-llvm,reconcile-unrealized-casts)";
}

std::optional<unsigned> cpuVectorBits(const CpuCodegenOptions &options,
                                      std::string &error) {
  std::unique_ptr<llvm::TargetMachine> machine =
      createTargetMachine(options, error);
  if (!machine)
    return std::nullopt;
  const llvm::MCSubtargetInfo &sti = *machine->getMCSubtargetInfo();
  if (sti.checkFeatures("+avx512f"))
    return 512;
  return sti.checkFeatures("+avx") ? 256 : 128;
}

int64_t cpuL2CacheBytes(const CpuCodegenOptions &options) {
  constexpr int64_t kDefault = 1 << 20;
  if (options.cpu != "native")
    return kDefault;
#ifdef _SC_LEVEL2_CACHE_SIZE
  long bytes = sysconf(_SC_LEVEL2_CACHE_SIZE);
  // Anything below 128 KiB or above 64 MiB is a platform's placeholder.
  if (bytes >= (128 << 10) && bytes <= (64 << 20))
    return bytes;
#endif
  return kDefault;
}

bool lowerCpuKernels(ModuleOp kernels, std::string &error) {
  static std::once_flag once;
  std::call_once(once, [] { mlir::registerAllPasses(); });
  PassManager pm(kernels.getContext(), ModuleOp::getOperationName());
  pm.addPass(createCpuApproximateMath());
  std::string parseError;
  llvm::raw_string_ostream parseErrors(parseError);
  // The passes inside the anchor: `pm` is anchored on builtin.module.
  llvm::StringRef passes = llvm::StringRef(cpuLoweringPipeline())
                               .drop_front(strlen("builtin.module("))
                               .drop_back();
  if (failed(parsePassPipeline(passes, pm, parseErrors))) {
    error = "CPU lowering pipeline: " + parseError;
    return false;
  }
  std::string diagnostics;
  ScopedDiagnosticHandler handler(kernels.getContext(), [&](Diagnostic &d) {
    if (d.getSeverity() == DiagnosticSeverity::Error)
      diagnostics += (diagnostics.empty() ? "" : "; ") + d.str();
    return success();
  });
  if (failed(pm.run(kernels))) {
    error = "lowering the CPU kernels failed: " + diagnostics;
    return false;
  }
  return true;
}

std::optional<module::CpuObjectDesc>
buildCpuObject(ModuleOp kernels, llvm::ArrayRef<std::string> symbols,
               const CpuCodegenOptions &options, std::string &error,
               TimingScope *timing) {
  // One phase at a time under `timing` (a null scope times nothing).
  TimingScope phase;
  auto next = [&](StringRef name) {
    phase.stop();
    phase = timing ? timing->nest(name) : TimingScope();
  };
  bool lowered = true;
  kernels.walk([&](Operation *op) {
    if (!llvm::isa<ModuleOp>(op) && op->getDialect() &&
        op->getDialect()->getNamespace() != "llvm")
      lowered = false;
  });
  next("lower to the LLVM dialect");
  if (!lowered && !lowerCpuKernels(kernels, error))
    return std::nullopt;
  next("translate to LLVM IR");
  std::unique_ptr<llvm::TargetMachine> machine =
      createTargetMachine(options, error);
  if (!machine)
    return std::nullopt;
  registerBuiltinDialectTranslation(*kernels.getContext());
  registerLLVMDialectTranslation(*kernels.getContext());
  llvm::LLVMContext llvmContext;
  std::string diagnostics;
  std::unique_ptr<llvm::Module> module;
  {
    ScopedDiagnosticHandler handler(kernels.getContext(), [&](Diagnostic &d) {
      diagnostics += (diagnostics.empty() ? "" : "; ") + d.str();
      return success();
    });
    module = translateModuleToLLVMIR(kernels, llvmContext, "sinan-cpu-object");
  }
  if (!module) {
    error = "translating the CPU kernels to LLVM IR failed: " + diagnostics;
    return std::nullopt;
  }
  module->setTargetTriple(machine->getTargetTriple());
  module->setDataLayout(machine->createDataLayout());
  if (!addEntries(*module, symbols, error))
    return std::nullopt;
  std::string verifyError;
  llvm::raw_string_ostream verifyStream(verifyError);
  if (llvm::verifyModule(*module, &verifyStream)) {
    error = "the CPU kernels' LLVM IR is invalid: " + verifyError;
    return std::nullopt;
  }
  next("LLVM -O3");
  optimize(*module, *machine);
  next("LLVM code generation");
  llvm::SmallVector<char, 0> object;
  {
    llvm::raw_svector_ostream out(object);
    llvm::legacy::PassManager codegen;
    if (machine->addPassesToEmitFile(codegen, out, nullptr,
                                     llvm::CodeGenFileType::ObjectFile)) {
      error = "the target cannot emit object files";
      return std::nullopt;
    }
    codegen.run(*module);
  }
  next("link");
  std::optional<std::vector<uint8_t>> image =
      link(llvm::StringRef(object.data(), object.size()), error);
  phase.stop();
  if (!image)
    return std::nullopt;
  module::CpuObjectDesc desc;
  desc.triple = machine->getTargetTriple().str();
  desc.cpu = machine->getTargetCPU().str();
  desc.features = requirements(*machine->getMCSubtargetInfo());
  desc.image = std::move(*image);
  desc.checksum = module::imageChecksum(desc.image.data(), desc.image.size());
  for (const std::string &symbol : symbols)
    desc.entries.push_back({symbol, "", 1, 1});
  return desc;
}

} // namespace sinan
