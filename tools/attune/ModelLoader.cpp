// See ModelLoader.h.
#include "ir/Abi.h"
#include "tools/attune/ModelLoader.h"
#include "tools/attune/TensorIO.h"

#include "frontend/Elaborator.h"
#include "frontend/Parser.h"
#include "frontend/Prelude.h"
#include "support/StrictJson.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace attune;

namespace {

std::unique_ptr<llvm::MemoryBuffer> readFile(const std::string &path, const char *what) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer) {
    llvm::errs() << "attune: cannot read " << what << " " << path << ": "
                 << buffer.getError().message() << "\n";
    return nullptr;
  }
  return std::move(*buffer);
}

/// The config to use: --config, else config.json beside the weights file (as Hugging Face
/// checkpoints ship them).
std::string chooseConfig(const LoadRequest &request) {
  if (!request.configPath.empty() || request.weightsPath.empty())
    return request.configPath;
  return besideWeights(request.weightsPath, "config.json");
}

} // namespace

bool attune::printAst(const std::string &path, llvm::raw_ostream &os) {
  llvm::SourceMgr sources;
  std::unique_ptr<llvm::MemoryBuffer> buffer = readFile(path, "model description");
  if (!buffer)
    return false;
  unsigned id = sources.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
  ast::Program program;
  if (!parseBuffer(sources, id, program))
    return false;
  ast::print(program, sources, os);
  return true;
}

std::optional<LoadedModel> attune::loadModel(const LoadRequest &request,
                                             mlir::MLIRContext &context) {
  LoadedModel loaded;
  if (llvm::StringRef(request.path).ends_with(".mlir")) {
    // A graph module written or edited by hand: continue from the `graph` stage.
    loaded.module = mlir::parseSourceFile<mlir::ModuleOp>(request.path, &context);
    if (!loaded.module)
      return std::nullopt;
    auto name = loaded.module->getOperation()->getAttrOfType<mlir::StringAttr>("attune.model");
    loaded.name = name ? name.str() : llvm::sys::path::stem(request.path).str();
    // The flags, else the bounds recorded in the module, else the defaults (boundOf).
    auto recorded =
        loaded.module->getOperation()->getAttrOfType<mlir::DictionaryAttr>(abi::kBounds);
    loaded.module->walk([&](mlir::func::FuncOp func) {
      if (!func->hasAttr(abi::kEntry))
        return;
      llvm::SmallVector<mlir::DictionaryAttr> argAttrs, resultAttrs;
      func.getAllArgAttrs(argAttrs);
      func.getAllResultAttrs(resultAttrs);
      argAttrs.append(resultAttrs.begin(), resultAttrs.end());
      for (mlir::DictionaryAttr attrs : argAttrs) {
        auto dims = attrs ? attrs.getAs<mlir::ArrayAttr>(abi::kDims) : nullptr;
        for (mlir::Attribute dim : dims ? dims.getValue() : llvm::ArrayRef<mlir::Attribute>{}) {
          llvm::StringRef symbol = mlir::cast<mlir::StringAttr>(dim).getValue();
          auto fromModule = recorded ? recorded.getAs<mlir::IntegerAttr>(symbol) : nullptr;
          ElaborateOptions flags;
          flags.maxBatch = request.maxBatch;
          flags.maxSeq = request.maxSeq;
          loaded.bounds[symbol] =
              boundOf(symbol, flags,
                      fromModule ? std::optional<int64_t>(fromModule.getInt()) : std::nullopt);
        }
      }
    });
    return loaded;
  }

  llvm::SourceMgr sources;
  std::unique_ptr<llvm::MemoryBuffer> source = readFile(request.path, "model description");
  if (!source)
    return std::nullopt;
  unsigned preludeId = sources.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBuffer(preludeSource(), "<prelude>"), llvm::SMLoc());
  unsigned mainId = sources.AddNewSourceBuffer(std::move(source), llvm::SMLoc());
  ast::Program program;
  if (!parseBuffer(sources, preludeId, program) || !parseBuffer(sources, mainId, program))
    return std::nullopt;

  ElaborateOptions options;
  options.modelName = request.modelName;
  options.maxBatch = request.maxBatch;
  options.maxSeq = request.maxSeq;
  std::optional<llvm::json::Value> config;
  loaded.configUsed = chooseConfig(request);
  if (!loaded.configUsed.empty()) {
    std::unique_ptr<llvm::MemoryBuffer> text = readFile(loaded.configUsed, "config");
    if (!text)
      return std::nullopt;
    llvm::Expected<llvm::json::Value> parsed = parseStrictJson(text->getBuffer());
    if (!parsed) {
      llvm::errs() << loaded.configUsed << ": invalid JSON: "
                   << llvm::toString(parsed.takeError()) << "\n";
      return std::nullopt;
    }
    config = std::move(*parsed);
    options.config = config->getAsObject();
    if (!options.config) {
      llvm::errs() << loaded.configUsed << ": expected a JSON object\n";
      return std::nullopt;
    }
    options.configPath = loaded.configUsed;
  }

  std::optional<ElaboratedModel> model = elaborate(program, sources, context, options);
  if (!model)
    return std::nullopt;
  if (mlir::failed(mlir::verify(*model->module))) {
    llvm::errs() << "attune: internal error: the elaborated graph does not verify\n";
    return std::nullopt;
  }
  loaded.module = std::move(model->module);
  loaded.name = model->name;
  loaded.bounds = std::move(model->bounds);
  return loaded;
}
