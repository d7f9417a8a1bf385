// attune build: model description -> graph -> LLVM dialect -> LLVM IR -> object -> libNAME.so
// + NAME.h. --emit stops at a stage and prints it.
#include "tools/attune/CommandLine.h"
#include "tools/attune/Commands.h"
#include "tools/attune/KernelReport.h"
#include "tools/attune/ModelLoader.h"
#include "tools/attune/TensorIO.h"

#include "attune/runtime.h"
#include "backends/cpu/CodeGen.h"
#include "ir/Abi.h"
#include "ir/AttuneDialect.h"
#include "passes/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Timer.h"
#include "llvm/Support/ToolOutputFile.h"

#include <chrono>

using namespace attune;
namespace cl = llvm::cl;

namespace {

enum class Stage { Ast, Graph, Fused, Kernels, Tiled, Llvm, Asm, Lib };

/// Checks every weight the model needs against the weights file, before any code is built.
bool checkWeights(const ModelInterface &interface, const std::string &path) {
  attune_safetensors *file = nullptr;
  if (attune_safetensors_open(path.c_str(), &file) != ATTUNE_OK) {
    llvm::errs() << "attune: " << attune_last_error() << "\n";
    return false;
  }
  bool ok = true;
  llvm::StringSet<> checked;
  for (const EntryInterface &entry : interface.entries)
  for (const InterfaceArg &arg : entry.args) {
    if (arg.role != "weight" || !checked.insert(arg.name).second)
      continue;
    attune_tensor tensor;
    // Where the description asks for the weight, when known, as the compiler's errors say it.
    std::string at = arg.location.empty() ? "attune: " : arg.location + ": error: ";
    if (attune_safetensors_find(file, arg.name.c_str(), &tensor) != ATTUNE_OK) {
      llvm::errs() << at << "the model needs weight '" << arg.name << "' ["
                   << llvm::join(arg.dims, ", ") << "]: " << attune_last_error() << "\n";
      ok = false;
      continue;
    }
    llvm::SmallVector<int64_t> shape;
    for (llvm::StringRef dim : arg.dims) {
      int64_t size; // a weight's dims are sizes; -1, for anything else, matches no file
      shape.push_back(dim.getAsInteger(10, size) ? -1 : size);
    }
    if (attune_check_weight(&tensor, path.c_str(), arg.name.c_str(),
                            static_cast<int32_t>(shape.size()), shape.data()) != ATTUNE_OK) {
      llvm::errs() << at << attune_last_error() << "\n";
      ok = false;
    }
  }
  attune_safetensors_close(file);
  return ok;
}

} // namespace

int attune::buildCommand(int argc, char **argv) {
  cl::OptionCategory category("attune build options");
  cl::opt<std::string> input(cl::Positional, cl::Required, cl::desc("<model.tfm | graph.mlir>"),
                             cl::cat(category));
  cl::opt<std::string> weights("weights", cl::desc(kWeightsHelp), cl::value_desc("path"),
                               cl::cat(category));
  cl::opt<std::string> config("config", cl::desc("Hyperparameters (a Hugging Face config.json); "
                                                 "default: config.json beside --weights"),
                              cl::value_desc("file"), cl::cat(category));
  cl::opt<std::string> outputDir("o", cl::desc("Output directory for libNAME.so and NAME.h"),
                                 cl::value_desc("dir"), cl::init("out"), cl::cat(category));
  cl::opt<Stage> emit(
      "emit", cl::desc("Stop at a stage and print it to stdout"), cl::init(Stage::Lib),
      cl::values(clEnumValN(Stage::Ast, "ast", "the parsed description, with locations"),
                 clEnumValN(Stage::Graph, "graph", "the attune dialect graph (MLIR)"),
                 clEnumValN(Stage::Fused, "fused", "the graph after graph passes (attention "
                                                   "fusion)"),
                 clEnumValN(Stage::Kernels, "kernels",
                            "every op a kernel, on tensors: calls of register-tiled matmuls, "
                            "vector task loops, linalg ops (MLIR)"),
                 clEnumValN(Stage::Tiled, "tiled",
                            "the kernels on buffers: loops, tiles, tasks outlined, the kernel "
                            "table and profiling hooks (MLIR)"),
                 clEnumValN(Stage::Llvm, "llvm", "optimized LLVM IR"),
                 clEnumValN(Stage::Asm, "asm", "target assembly"),
                 clEnumValN(Stage::Lib, "lib", "the shared library and C header (default)")),
      cl::cat(category));
  cl::opt<int64_t> maxBatch("max-batch", cl::desc("Largest batch the library accepts "
                                                   "(default 8)"),
                            cl::init(8), cl::cat(category));
  cl::opt<int64_t> maxSeq("max-seq", cl::desc("Largest sequence length (every symbolic dim but "
                                               "batch) the library accepts; default: the bound "
                                               "the description declares, else 512"),
                          cl::init(512), cl::cat(category));
  cl::opt<std::string> modelName("model", cl::desc("Which model of the description to build"),
                                 cl::cat(category));
  cl::opt<std::string> cpu("cpu", cl::desc("Target CPU: native, znver4, x86-64-v3, ..."),
                           cl::init("native"), cl::cat(category));
  cl::opt<unsigned> optLevel("O", cl::desc("LLVM optimization level (0-3)"), cl::init(3),
                             cl::Prefix, cl::cat(category));
  cl::opt<std::string> linker("linker", cl::desc("C compiler driver used to link the library"),
                              cl::init(ATTUNE_DEFAULT_LINKER), cl::cat(category));
  cl::opt<std::string> runtime("runtime", cl::desc("The attune runtime archive to link"),
                               cl::init(ATTUNE_RUNTIME_ARCHIVE), cl::cat(category));
  cl::opt<bool> noFuseAttention("no-fuse-attention",
                                 cl::desc("Keep attention decomposed (matmul, softmax, ...)"),
                                 cl::cat(category));
  cl::opt<bool> noDecodeStep(
      "no-decode-step",
      cl::desc("Build no KV-cached <entry>_step (generation then recomputes every prefix)"),
      cl::cat(category));
  cl::opt<bool> decomposeAttention(
      "decompose-attention",
      cl::desc("Lower fused attention through q·kᵀ, softmax, ·v instead of the online-softmax "
               "kernel"),
      cl::cat(category));
  cl::opt<bool> blockedAttention(
      "blocked-attention",
      cl::desc("Lower fused attention to the blocked online-softmax kernel on tensors (scalar "
               "loops) instead of the vectorized, multithreaded one"),
      cl::cat(category));
  cl::opt<std::string> precision(
      "precision",
      cl::desc("Precision of the products by weights: fp32, or bf16 (weights rounded to "
               "bfloat16 when the library opens them, read at half the bytes, sums in f32; "
               "norms, softmax, attention and the residual stream stay f32)"),
      cl::init("fp32"), cl::value_desc("fp32|bf16"), cl::cat(category));
  cl::opt<bool> weightsInt8(
      "weights-int8",
      cl::desc("Products by weights read them quantized to int8 (symmetric, a scale per output "
               "column, quantized when the library opens them): a quarter of the bytes, sums "
               "in f32; everything else stays f32"),
      cl::cat(category));
  cl::opt<bool> noPackWeights(
      "no-pack-weights",
      cl::desc("Matmuls read weights as stored (scalar loops) instead of packed panels"),
      cl::cat(category));
  cl::opt<bool> noFuseEpilogues(
      "no-fuse-epilogues",
      cl::desc("Keep bias adds, activations and residual adds after matmuls as their own "
               "loops instead of the matmul kernel's epilogue"),
      cl::cat(category));
  cl::opt<bool> noFuseNorms(
      "no-fuse-norms",
      cl::desc("Keep the norm after a residual add as its own kernel instead of the matmul "
               "kernel's second result"),
      cl::cat(category));
  cl::opt<bool> serialLoops(
      "serial-loops",
      cl::desc("Run the linalg ops no vector kernel took (gathers, transposes, elementwise) "
               "as serial loops instead of tasks on the thread pool"),
      cl::cat(category));
  cl::opt<int64_t> loopTaskSize(
      "loop-task-size",
      cl::desc("Iterations per task of those loops (small values test the split)"),
      cl::init(16384), cl::cat(category));
  cl::opt<bool> matmulRowsInPlace(
      "matmul-rows-in-place",
      cl::desc("Matmul tiles read A's rows in place even where they share L1 sets (no copy)"),
      cl::cat(category));
  cl::opt<bool> referenceMatmul(
      "reference-matmul",
      cl::desc("Lower packed matmuls to scalar reference loops instead of the vector kernel"),
      cl::cat(category));
  cl::opt<int64_t> vectorLanes(
      "vector-lanes",
      cl::desc("f32 lanes per vector register the kernels tile for (a power of two; default: "
               "the target's, 16 with AVX-512, 8 with AVX2)"),
      cl::init(0), cl::cat(category));
  cl::opt<int64_t> vectorRegisters(
      "vector-registers",
      cl::desc("Vector registers the kernels tile for (default: the target's)"),
      cl::init(0), cl::cat(category));
  cl::opt<int64_t> attentionBlock("attention-block",
                                  cl::desc("Keys per block of the attention kernel"),
                                  cl::init(64), cl::cat(category));
  cl::opt<int64_t> attentionQueryBlock("attention-query-block",
                                       cl::desc("Queries per block of the attention kernel"),
                                       cl::init(64), cl::cat(category));
  cl::opt<bool> report("report", cl::desc("List every attention-shaped subgraph (fused, or "
                                          "which condition failed), then every kernel with "
                                          "the ops fused into it, its FLOPs, bytes and "
                                          "roofline bound"),
                       cl::cat(category));
  cl::opt<std::string> schedule(
      "schedule",
      cl::desc("A transform-dialect script (@__transform_main) applied to the kernels stage: "
               "its matchers pick the kernels (linalg ops; with --reference-matmul the "
               "products too) and its transforms tile, vectorize, ... them"),
      cl::value_desc("file.mlir"), cl::cat(category));
  cl::opt<bool> noProfileHooks(
      "no-profile-hooks",
      cl::desc("Build without the per-kernel timing hooks ATTUNE_PROFILE reads (each costs "
               "a call and a compare per kernel when not profiling)"),
      cl::cat(category));
  cl::opt<double> peakGflops("peak-gflops",
                             cl::desc("FMA peak for the --report roofline, GFLOP/s (measure: "
                                      "build/bench/attune-fma-peak)"),
                             cl::init(Roofline().peakGflops), cl::cat(category));
  cl::opt<double> bandwidthGbs("bandwidth-gbs",
                               cl::desc("Memory bandwidth for the --report roofline, GB/s"),
                               cl::init(Roofline().bandwidthGbs), cl::cat(category));
  cl::opt<bool> printIr("print-ir-after-all",
                        cl::desc("Print the IR after every lowering pass (to stderr)"),
                        cl::cat(category));
  cl::opt<bool> debugLocations("debug-locations",
                               cl::desc("With --emit=graph, print source locations"),
                               cl::cat(category));
  cl::HideUnrelatedOptions(category);
  if (!parseCommandLine(argc, argv,
                        "attune build: compile a model into a shared library\n\n"
                        "  attune build models/gpt2.tfm --weights W.safetensors -o out/\n"))
    return kExitUsage;
  if (optLevel > 3) {
    llvm::errs() << "attune: -O must be 0, 1, 2 or 3, got " << optLevel << "\n";
    return kExitUsage;
  }
  auto start = std::chrono::steady_clock::now();
  if (!(peakGflops > 0) || !(bandwidthGbs > 0)) {
    llvm::errs() << "attune: --peak-gflops and --bandwidth-gbs must be positive\n";
    return kExitUsage;
  }
  if (vectorLanes < 0 || (vectorLanes && !llvm::isPowerOf2_64(vectorLanes)) ||
      vectorRegisters < 0 || (vectorRegisters && vectorRegisters < 4)) {
    llvm::errs() << "attune: --vector-lanes must be a power of two and --vector-registers at "
                    "least 4\n";
    return kExitUsage;
  }
  if (loopTaskSize < 1) {
    llvm::errs() << "attune: --loop-task-size must be at least 1\n";
    return kExitUsage;
  }
  if (attentionBlock < 1 || attentionQueryBlock < 1) {
    llvm::errs() << "attune: --attention-block and --attention-query-block must be at least 1\n";
    return kExitUsage;
  }

  if (emit == Stage::Ast)
    return printAst(input, llvm::outs()) ? 0 : 1;

  mlir::DialectRegistry registry;
  registerAttuneDialects(registry);
  registerAttunePassesAndPipelines();
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();

  LoadRequest request{input, config, weights, modelName, {}, {}};
  if (maxBatch.getNumOccurrences())
    request.maxBatch = maxBatch;
  if (maxSeq.getNumOccurrences())
    request.maxSeq = maxSeq;
  if ((request.maxBatch && *request.maxBatch < 1) || (request.maxSeq && *request.maxSeq < 1)) {
    llvm::errs() << "attune: --max-batch and --max-seq must be at least 1\n";
    return kExitUsage;
  }
  if (precision != "fp32" && precision != "bf16") {
    llvm::errs() << "attune: --precision must be fp32 or bf16, got '" << precision << "'\n";
    return kExitUsage;
  }
  if (weightsInt8 && (precision != "fp32" || noPackWeights)) {
    llvm::errs() << "attune: --weights-int8 goes with fp32 products and packed weights, not "
                 << (noPackWeights ? "--no-pack-weights" : "--precision=" + precision) << "\n";
    return kExitUsage;
  }
  // The target is known before any pass runs: an unknown --cpu stops here, and every pass
  // reads the register file and caches from the module (attune.target).
  CpuTargetOptions target{cpu, optLevel};
  llvm::Expected<TargetDescription> machine = describeTarget(target);
  if (!machine) {
    llvm::errs() << "attune: " << llvm::toString(machine.takeError()) << "\n";
    return kExitUsage;
  }
  if (vectorLanes)
    machine->lanes = vectorLanes;
  if (vectorRegisters)
    machine->registers = vectorRegisters;
  std::optional<LoadedModel> model = loadModel(request, context);
  if (!model)
    return 1;
  setTarget(*model->module, *machine);
  auto printModule = [&] {
    mlir::OpPrintingFlags flags;
    if (debugLocations)
      flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/false);
    model->module->print(llvm::outs(), flags);
    return 0;
  };
  if (emit == Stage::Graph)
    return printModule();

  {
    // Graph passes; with --report, their remarks become the report on stdout.
    mlir::PassManager graph(&context);
    buildGraphPipeline(graph, GraphPipelineOptions{!noFuseAttention, report, !noDecodeStep});
    mlir::ScopedDiagnosticHandler remarks(&context, [&](mlir::Diagnostic &diag) {
      if (diag.getSeverity() != mlir::DiagnosticSeverity::Remark)
        return mlir::failure(); // errors go to the default handler
      llvm::outs() << describeLocation(diag.getLocation()) << ": " << diag.str() << "\n";
      return mlir::success();
    });
    if (mlir::failed(graph.run(*model->module)))
      return 1;
    // Graph passes may name new dims (a decode step's `cache`): their bounds come along.
    if (auto bounds = model->module->getOperation()->getAttrOfType<mlir::DictionaryAttr>(
            attune::abi::kBounds))
      for (mlir::NamedAttribute bound : bounds)
        if (auto size = mlir::dyn_cast<mlir::IntegerAttr>(bound.getValue()))
          model->bounds.try_emplace(bound.getName().getValue(), size.getInt());
  }
  if (report)
    reportAttention(*model->module, model->bounds, Roofline{peakGflops, bandwidthGbs},
                  llvm::outs());
  if (emit == Stage::Fused)
    return printModule();

  mlir::PassManager entryPasses(&context);
  buildEntryPipeline(entryPasses,
                     EntryPipelineOptions{!noPackWeights, !noFuseEpilogues, !noFuseNorms,
                                          weightsInt8 ? "int8" : precision.getValue()});
  if (mlir::failed(entryPasses.run(*model->module)))
    return 1;
  mlir::FailureOr<ModelInterface> interface = describeModel(*model->module, model->name, model->bounds);
  if (mlir::failed(interface))
    return 1;
  if (!weights.empty() && !checkWeights(*interface, weights))
    return 1;

  KernelPipelineOptions kernels;
  kernels.decomposeAttention = decomposeAttention;
  kernels.attentionBlock = attentionBlock;
  kernels.attentionQueryBlock = attentionQueryBlock;
  kernels.vectorAttention = !blockedAttention;
  kernels.vectorMatmul = !referenceMatmul;
  kernels.copyMatmulRows = !matmulRowsInPlace;
  kernels.profileHooks = !noProfileHooks;
  kernels.parallelLoops = !serialLoops;
  kernels.loopTaskSize = loopTaskSize;
  kernels.reportMemoryPlan = report;
  // The kernel pipeline in its three parts, each ending at a stage --emit can print.
  auto lower = [&](llvm::function_ref<void(mlir::OpPassManager &)> build) {
    mlir::PassManager pm(&context);
    if (printIr) {
      context.disableMultithreading();
      pm.enableIRPrinting();
    }
    build(pm);
    return mlir::succeeded(pm.run(*model->module));
  };
  if (!lower([&](mlir::OpPassManager &pm) { buildKernelsPipeline(pm, kernels); }))
    return 1;
  if (!schedule.empty()) {
    // The user's schedule, then the cleanups the rest of the pipeline expects.
    if (!llvm::sys::fs::exists(schedule)) {
      llvm::errs() << "attune: cannot read the schedule " << schedule << "\n";
      return 1;
    }
    if (!lower([&](mlir::OpPassManager &pm) { buildSchedulePipeline(pm, schedule); }))
      return 1;
  }
  if (emit == Stage::Kernels)
    return printModule();
  if (!lower([&](mlir::OpPassManager &pm) { buildTiledPipeline(pm, kernels); }))
    return 1;
  if (emit == Stage::Tiled)
    return printModule();
  if (mlir::failed(addWorkspaces(*model->module, *interface)))
    return 1;
  if (report) {
    reportKernelTable(*model->module, model->bounds, Roofline{peakGflops, bandwidthGbs},
                      llvm::outs());
    reportMemoryPlan(*model->module, model->bounds, llvm::outs());
  }
  if (!lower([&](mlir::OpPassManager &pm) { buildLlvmPipeline(pm); }))
    return 1;
  interface->kernels = kernelTableOf(*model->module);

  llvm::LLVMContext llvmContext;
  auto llvmModule = translateToLLVMIR(*model->module, llvmContext, *interface, target);
  if (!llvmModule) {
    llvm::errs() << "attune: " << llvm::toString(llvmModule.takeError()) << "\n";
    return 1;
  }
  if (emit == Stage::Llvm) {
    (*llvmModule)->print(llvm::outs(), nullptr);
    return 0;
  }
  if (emit == Stage::Asm) {
    if (auto written = emitMachineCode(**llvmModule, target, "-", /*assembly=*/true);
        !written) {
      llvm::errs() << "attune: " << llvm::toString(written.takeError()) << "\n";
      return 1;
    }
    return 0;
  }

  if (std::error_code ec = llvm::sys::fs::create_directories(outputDir)) {
    llvm::errs() << "attune: cannot create " << outputDir << ": " << ec.message() << "\n";
    return 1;
  }
  llvm::SmallString<256> object, library, header;
  int fd;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile("attune-" + model->name, "o", fd,
                                                              object)) {
    llvm::errs() << "attune: cannot create a temporary file: " << ec.message() << "\n";
    return 1;
  }
  llvm::sys::Process::SafelyCloseFileDescriptor(fd);
  llvm::FileRemover removeObject(object);
  llvm::sys::path::append(library, outputDir, "lib" + model->name + ".so");
  llvm::sys::path::append(header, outputDir, model->name + ".h");
  auto objects = emitMachineCode(**llvmModule, target, object, /*assembly=*/false);
  if (!objects) {
    llvm::errs() << "attune: " << llvm::toString(objects.takeError()) << "\n";
    return 1;
  }
  // The first is `object`, removed above; the matmul kernels' object beside it.
  std::vector<std::unique_ptr<llvm::FileRemover>> removeObjects;
  for (const std::string &path : llvm::drop_begin(*objects))
    removeObjects.push_back(std::make_unique<llvm::FileRemover>(path));
  if (llvm::Error error = linkSharedLibrary(linker, *objects, runtime, library)) {
    llvm::errs() << "attune: " << llvm::toString(std::move(error)) << "\n";
    return 1;
  }
  std::error_code ec;
  llvm::ToolOutputFile headerFile(header, ec, llvm::sys::fs::OF_Text);
  if (ec) {
    llvm::errs() << "attune: cannot write " << header << ": " << ec.message() << "\n";
    llvm::sys::fs::remove(library);
    return 1;
  }
  headerFile.os() << interface->header(llvm::sys::path::filename(input));
  headerFile.keep();
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string boundsText;
  for (const auto &[symbol, bound] : interface->symbols)
    boundsText += (boundsText.empty() ? "" : ", ") + symbol + " <= " + std::to_string(bound);
  llvm::outs() << "attune: built " << library << " and " << header << " in "
               << llvm::format("%.2f", seconds) << " s (" << boundsText << ")\n";
  return 0;
}
