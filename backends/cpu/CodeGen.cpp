// LLVM IR -> optimized machine code -> shared library. See CodeGen.h.
#include "backends/cpu/CodeGen.h"
#include "ir/Abi.h"

#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Transforms/Utils/Cloning.h"
#include "llvm/TargetParser/Host.h"

using namespace llvm;

namespace attune {

namespace {

Error makeError(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

Expected<std::unique_ptr<TargetMachine>> createTargetMachine(const CpuTargetOptions &options) {
  InitializeNativeTarget();
  InitializeNativeTargetAsmPrinter();
  std::string triple = sys::getDefaultTargetTriple();
  std::string error;
  const Target *target = TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return makeError("no LLVM target for " + triple + ": " + error);
  std::string cpu = options.cpu;
  std::string features;
  if (cpu == "native") {
    cpu = sys::getHostCPUName().str();
    for (const auto &feature : sys::getHostCPUFeatures())
      features += (features.empty() ? "" : ",") + std::string(feature.second ? "+" : "-") +
                  feature.first().str();
  } else {
    // LLVM only warns about an unknown CPU and then generates for a generic one (or aborts
    // later): refuse it here, with the names it knows.
    std::unique_ptr<MCSubtargetInfo> probe(target->createMCSubtargetInfo(triple, "", ""));
    if (!probe || !probe->isCPUStringValid(cpu)) {
      std::string known;
      if (probe)
        for (const SubtargetSubTypeKV &kv : probe->getAllProcessorDescriptions())
          if (StringRef(kv.Key).starts_with("x86-64") || StringRef(kv.Key).starts_with("znver") ||
              StringRef(kv.Key) == "skylake-avx512" || StringRef(kv.Key) == "sapphirerapids" ||
              StringRef(kv.Key) == "haswell")
            known += (known.empty() ? "" : ", ") + std::string(kv.Key);
      return makeError("unknown CPU '" + cpu + "' (use native or an LLVM CPU name such as " +
                       known + ")");
    }
  }
  CodeGenOptLevel level = options.optLevel >= 3   ? CodeGenOptLevel::Aggressive
                          : options.optLevel == 2 ? CodeGenOptLevel::Default
                          : options.optLevel == 1 ? CodeGenOptLevel::Less
                                                  : CodeGenOptLevel::None;
  TargetOptions targetOptions;
  std::unique_ptr<TargetMachine> machine(target->createTargetMachine(
      triple, cpu, features, targetOptions, Reloc::PIC_, std::nullopt, level));
  if (!machine)
    return makeError("cannot create a target machine for cpu '" + cpu + "'");
  return machine;
}

bool hasAvx512(TargetMachine &machine) {
  return machine.getMCSubtargetInfo()->checkFeatures("+avx512f");
}

/// NAME_entry(i32 entry, void **args): switches on the entry point (or, past the last entry,
/// on an entry's workspace size function) and calls its C-interface wrapper with the loaded
/// descriptor pointers.
Error addEntryWrapper(Module &module, const ModelInterface &interface) {
  LLVMContext &ctx = module.getContext();
  Type *ptr = PointerType::getUnqual(ctx);
  Type *i32 = Type::getInt32Ty(ctx);
  Function *wrapper =
      Function::Create(FunctionType::get(Type::getVoidTy(ctx), {i32, ptr}, false),
                       GlobalValue::ExternalLinkage, interface.modelName + abi::kEntrySuffix, module);
  BasicBlock *dispatchBlock = BasicBlock::Create(ctx, "dispatch", wrapper);
  BasicBlock *done = BasicBlock::Create(ctx, "done", wrapper);
  IRBuilder<> b(dispatchBlock);
  SwitchInst *dispatch = b.CreateSwitch(wrapper->getArg(0), done, 2 * interface.entries.size());
  // Entry point i is case i; its workspace size function, case entries + i.
  auto addCase = [&](size_t index, StringRef function, size_t expected,
                     const Twine &label) -> Error {
    Function *callee = module.getFunction(("_mlir_ciface_" + function).str());
    if (!callee)
      return makeError("no C-interface wrapper for function '" + function + "'");
    if (callee->arg_size() != expected)
      return makeError("function '" + function + "' takes " + Twine(callee->arg_size()) +
                       " arguments but the interface lists " + Twine(expected));
    BasicBlock *block = BasicBlock::Create(ctx, label, wrapper);
    dispatch->addCase(b.getInt32(index), block);
    IRBuilder<> call(block);
    SmallVector<Value *> args;
    for (unsigned i = 0; i < callee->arg_size(); ++i) {
      Value *slot = call.CreateConstInBoundsGEP1_64(ptr, wrapper->getArg(1), i);
      args.push_back(call.CreateLoad(ptr, slot));
    }
    call.CreateCall(callee, args);
    call.CreateBr(done);
    return Error::success();
  };
  size_t count = interface.entries.size();
  for (auto [index, entry] : llvm::enumerate(interface.entries)) {
    if (Error error = addCase(index, entry.function, entry.args.size() + (entry.workspace ? 1 : 0),
                              "entry." + entry.name))
      return error;
    if (entry.workspace)
      if (Error error = addCase(count + index, entry.workspace->function, 2,
                                "workspace." + entry.name))
        return error;
  }
  IRBuilder<>(done).CreateRetVoid();
  return Error::success();
}

void addManifest(Module &module, const ModelInterface &interface) {
  Constant *text = ConstantDataArray::getString(module.getContext(), interface.manifest());
  new GlobalVariable(module, text->getType(), /*isConstant=*/true, GlobalValue::ExternalLinkage,
                     text, interface.modelName + abi::kManifestSuffix);
}

/// NAME_runtime(): the function table of the runtime linked into the library (a hidden symbol
/// of the runtime archive), so a caller reaches this library's runtime, not another's.
void addRuntimeTable(Module &module, const ModelInterface &interface) {
  LLVMContext &ctx = module.getContext();
  Type *ptr = PointerType::getUnqual(ctx);
  auto *table = new GlobalVariable(module, Type::getInt8Ty(ctx), /*isConstant=*/true,
                                   GlobalValue::ExternalLinkage, nullptr, abi::kRuntimeTable);
  Function *function =
      Function::Create(FunctionType::get(ptr, {}, false), GlobalValue::ExternalLinkage,
                       interface.modelName + abi::kRuntimeSuffix, module);
  IRBuilder<>(BasicBlock::Create(ctx, "", function)).CreateRet(table);
}

void optimize(Module &module, TargetMachine &machine, unsigned optLevel) {
  LoopAnalysisManager lam;
  FunctionAnalysisManager fam;
  CGSCCAnalysisManager cgam;
  ModuleAnalysisManager mam;
  // No LLVM loop unrolling: on the fully static loop nests of a model it multiplies build time
  // (T5-tiny: 25 s -> 4 s) for little gain; the kernel pipeline tiles and unrolls explicitly.
  PipelineTuningOptions tuning;
  tuning.LoopUnrolling = false;
  PassBuilder builder(&machine, tuning);
  builder.registerModuleAnalyses(mam);
  builder.registerCGSCCAnalyses(cgam);
  builder.registerFunctionAnalyses(fam);
  builder.registerLoopAnalyses(lam);
  builder.crossRegisterProxies(lam, fam, cgam, mam);
  OptimizationLevel level = optLevel >= 3   ? OptimizationLevel::O3
                            : optLevel == 2 ? OptimizationLevel::O2
                            : optLevel == 1 ? OptimizationLevel::O1
                                            : OptimizationLevel::O0;
  ModulePassManager passes = optLevel == 0 ? builder.buildO0DefaultPipeline(level)
                                           : builder.buildPerModuleDefaultPipeline(level);
  passes.run(module, mam);
}

} // namespace

Expected<std::unique_ptr<Module>> translateToLLVMIR(mlir::ModuleOp module, LLVMContext &context,
                                                    const ModelInterface &interface,
                                                    const CpuTargetOptions &options) {
  std::unique_ptr<Module> llvmModule = mlir::translateModuleToLLVMIR(module, context);
  if (!llvmModule)
    return makeError("translation to LLVM IR failed");
  Expected<std::unique_ptr<TargetMachine>> machine = createTargetMachine(options);
  if (!machine)
    return machine.takeError();
  llvmModule->setDataLayout((*machine)->createDataLayout());
  llvmModule->setTargetTriple((*machine)->getTargetTriple().str());
  if (Error error = addEntryWrapper(*llvmModule, interface))
    return std::move(error);
  addManifest(*llvmModule, interface);
  addRuntimeTable(*llvmModule, interface);
  // Only the three symbols of the library's ABI are exported; the rest may be inlined and
  // dropped.
  std::string entry = interface.modelName + abi::kEntrySuffix.str();
  std::string manifest = interface.modelName + abi::kManifestSuffix.str();
  std::string runtime = interface.modelName + abi::kRuntimeSuffix.str();
  for (GlobalValue &global : llvmModule->global_values())
    if (!global.isDeclaration() && global.getName() != entry && global.getName() != manifest &&
        global.getName() != runtime)
      global.setLinkage(GlobalValue::InternalLinkage);
  // Kernels tiled for 512-bit registers keep them: some CPUs' tuning (Zen 4, Skylake-X)
  // otherwise splits every 512-bit vector in two, doubling the live registers and spilling.
  if (hasAvx512(**machine))
    for (Function &function : *llvmModule)
      if (!function.isDeclaration())
        function.addFnAttr("min-legal-vector-width", "512");
  optimize(*llvmModule, **machine, options.optLevel);
  return llvmModule;
}

/// The size of this machine's data cache at `level` (sysfs), or 0 where it cannot be read.
static int64_t hostCacheBytes(int level) {
  for (int i = 0; i < 8; ++i) {
    std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    auto read = [&](const char *name) -> std::string {
      // sysfs files report a size they do not have: read them as streams.
      auto buffer = MemoryBuffer::getFileAsStream(dir + name);
      return buffer ? (*buffer)->getBuffer().trim().str() : "";
    };
    std::string type = read("type");
    if (type.empty())
      break;
    if (read("level") != std::to_string(level) || type == "Instruction")
      continue;
    std::string text = read("size"); // owns what `size` views
    StringRef size = text;
    int64_t value = 0;
    if (size.consume_back("K") && !size.getAsInteger(10, value))
      return value * 1024;
    if (size.consume_back("M") && !size.getAsInteger(10, value))
      return value * 1024 * 1024;
  }
  return 0;
}

Expected<TargetDescription> describeTarget(const CpuTargetOptions &options) {
  Expected<std::unique_ptr<TargetMachine>> machine = createTargetMachine(options);
  if (!machine)
    return machine.takeError();
  const MCSubtargetInfo *info = (*machine)->getMCSubtargetInfo();
  TargetDescription target;
  target.cpu = (*machine)->getTargetCPU().str();
  if (hasAvx512(**machine)) {
    target.lanes = 16;
    target.registers = 32;
    target.bf16Dot = info->checkFeatures("+avx512bf16");
  } else if (info->checkFeatures("+avx")) {
    target.lanes = 8;
    target.registers = 16;
  } else {
    target.lanes = 4;
    target.registers = 16;
  }
  if (options.cpu == "native") {
    if (int64_t l1 = hostCacheBytes(1))
      target.l1Bytes = l1;
    if (int64_t l2 = hostCacheBytes(2))
      target.l2Bytes = l2;
  }
  return target;
}

namespace {

/// LLVM's pre-register-allocation scheduler, bidirectional by default, hoists the panel loads
/// of a matmul kernel's unrolled k loop far enough ahead that in some shapes the 24
/// accumulators of the register tile no longer fit and are spilled in the inner loop (Llama's
/// attention output and k/v products ran at 47% of the FMA peak). Scheduled top-down, every
/// matmul kernel stays in registers at the same speed; the other kernels are better off with
/// the default (the attention kernel on AVX2 runs ~30% slower top-down: bench/RESULTS.md).
/// The scheduler's direction is a process-wide LLVM option, so the matmul kernels are
/// generated as a module of their own. A user's --misched-topdown / --misched-bottomup on the
/// command line wins, for the whole library. Null then; else the option, which code
/// generation sets per module.
cl::opt<bool> *schedulerDirectionOption() {
  // Decided on the first call, before this file sets the option itself (which counts as an
  // occurrence too).
  static cl::opt<bool> *const option = []() -> cl::opt<bool> * {
    StringMap<cl::Option *> &options = cl::getRegisteredOptions();
    auto find = [&](StringRef name) -> cl::Option * {
      auto it = options.find(name);
      return it != options.end() ? it->second : nullptr;
    };
    cl::Option *topDown = find("misched-topdown"), *bottomUp = find("misched-bottomup");
    if (!topDown || topDown->getNumOccurrences() || (bottomUp && bottomUp->getNumOccurrences()))
      return nullptr;
    return static_cast<cl::opt<bool> *>(topDown);
  }();
  return option;
}

bool isMatmulKernel(const GlobalValue &global) {
  return isa<Function>(global) && !global.isDeclaration() &&
         global.getName().starts_with(kMatmulKernelPrefix);
}

/// Splits the matmul kernels out of `module` into a module of their own: definitions there,
/// declarations here. Local symbols become hidden external ones, so the two object files
/// link into one library without exporting anything more. Null when there are none.
std::unique_ptr<Module> splitMatmulKernels(Module &module) {
  if (llvm::none_of(module.functions(), [](Function &f) { return isMatmulKernel(f); }))
    return nullptr;
  for (GlobalValue &global : module.global_values())
    if (global.hasLocalLinkage()) {
      global.setLinkage(GlobalValue::ExternalLinkage);
      global.setVisibility(GlobalValue::HiddenVisibility);
    }
  ValueToValueMapTy map;
  std::unique_ptr<Module> kernels =
      CloneModule(module, map, [](const GlobalValue *global) { return isMatmulKernel(*global); });
  for (Function &function : module)
    if (isMatmulKernel(function))
      function.deleteBody();
  return kernels;
}

Error emitOne(Module &module, TargetMachine &machine, raw_pwrite_stream &out, bool assembly) {
  legacy::PassManager passes;
  if (machine.addPassesToEmitFile(passes, out, nullptr,
                                  assembly ? CodeGenFileType::AssemblyFile
                                           : CodeGenFileType::ObjectFile))
    return makeError("the target cannot emit this file type");
  passes.run(module);
  return Error::success();
}

} // namespace

Expected<std::vector<std::string>> emitMachineCode(Module &module,
                                                   const CpuTargetOptions &options,
                                                   StringRef path, bool assembly) {
  Expected<std::unique_ptr<TargetMachine>> machine = createTargetMachine(options);
  if (!machine)
    return machine.takeError();
  cl::opt<bool> *topDown = schedulerDirectionOption();
  std::unique_ptr<Module> kernels = topDown ? splitMatmulKernels(module) : nullptr;
  // Assembly to stdout is one stream; object files are one per module.
  bool oneStream = assembly && path == "-";
  std::vector<std::string> paths{path.str()};
  if (kernels && !oneStream)
    paths.push_back((path + ".matmul" + sys::path::extension(path)).str());
  std::error_code ec;
  ToolOutputFile out(paths[0], ec, assembly ? sys::fs::OF_Text : sys::fs::OF_None);
  if (ec)
    return makeError("cannot write " + paths[0] + ": " + ec.message());
  if (topDown)
    topDown->addOccurrence(0, "misched-topdown", "false");
  if (Error error = emitOne(module, **machine, out.os(), assembly))
    return std::move(error);
  if (kernels) {
    topDown->addOccurrence(0, "misched-topdown", "true");
    std::unique_ptr<ToolOutputFile> second;
    if (!oneStream) {
      second = std::make_unique<ToolOutputFile>(paths[1], ec,
                                                assembly ? sys::fs::OF_Text : sys::fs::OF_None);
      if (ec)
        return makeError("cannot write " + paths[1] + ": " + ec.message());
    }
    Error error = emitOne(*kernels, **machine, second ? second->os() : out.os(), assembly);
    topDown->addOccurrence(0, "misched-topdown", "false");
    if (error)
      return std::move(error);
    if (second)
      second->keep();
  }
  out.keep();
  return paths;
}

Error linkSharedLibrary(StringRef linker, ArrayRef<std::string> objects,
                        StringRef runtimeArchive, StringRef output) {
  ErrorOr<std::string> program = sys::findProgramByName(linker);
  if (!program)
    return makeError("linker '" + linker + "' not found (set --linker)");
  std::string temp = (output + ".partial").str();
  // The whole runtime is linked in and hidden (--exclude-libs): callers reach it through
  // NAME_runtime(), so two attune libraries in one process each keep their own runtime.
  // -Bsymbolic: the library's own definitions win over any other copy in the process.
  SmallVector<StringRef> args{*program, "-shared", "-o", temp};
  args.append(objects.begin(), objects.end());
  args.append({"-Wl,--whole-archive", runtimeArchive, "-Wl,--no-whole-archive",
               "-Wl,--exclude-libs,ALL", "-lm", "-Wl,-Bsymbolic", "-Wl,-z,noexecstack"});
  std::string message;
  int rc = sys::ExecuteAndWait(*program, args, std::nullopt, {}, 0, 0, &message);
  if (rc != 0) {
    sys::fs::remove(temp);
    return makeError("linking " + output + " failed (" + *program + " exited with " +
                     Twine(rc) + (message.empty() ? "" : ": " + message) + ")");
  }
  if (std::error_code ec = sys::fs::rename(temp, output)) {
    sys::fs::remove(temp);
    return makeError("cannot write " + output + ": " + ec.message());
  }
  return Error::success();
}

} // namespace attune
