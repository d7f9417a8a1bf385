// attune random-weights: writes seeded random weights for every tensor a model description
// binds, under the names and shapes it expects. Tests and benchmarks use it to build models of
// any size without a downloaded checkpoint.
#include "ir/Abi.h"
#include "tools/attune/CommandLine.h"
#include "tools/attune/Commands.h"
#include "tools/attune/ModelLoader.h"

#include "attune/runtime.h"
#include "passes/Passes.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"

#include <cmath>
#include <random>

using namespace attune;
namespace cl = llvm::cl;

int attune::randomWeightsCommand(int argc, char **argv) {
  cl::OptionCategory category("attune random-weights options");
  cl::opt<std::string> input(cl::Positional, cl::Required, cl::desc("<model.tfm>"),
                             cl::cat(category));
  cl::opt<std::string> config("config", cl::desc("Hyperparameters (config.json)"),
                              cl::value_desc("file"), cl::cat(category));
  cl::opt<std::string> output("o", cl::Required, cl::desc("Output weights (safetensors)"),
                              cl::value_desc("file"), cl::cat(category));
  cl::opt<uint64_t> seed("seed", cl::desc("Random seed"), cl::init(0), cl::cat(category));
  cl::opt<double> scale("std", cl::desc("Standard deviation of matrix entries"), cl::init(0.02),
                        cl::cat(category));
  cl::opt<std::string> modelName("model", cl::desc("Which model of the description"),
                                 cl::cat(category));
  cl::HideUnrelatedOptions(category);
  if (!parseCommandLine(
          argc, argv,
          "attune random-weights: seeded random weights for a model description\n\n"
          "Rank-1 '.weight' tensors (norm gains) are 1 + N(0, 0.1); other tensors N(0, std).\n"))
    return kExitUsage;
  if (!(scale > 0) || !std::isfinite(scale)) {
    llvm::errs() << "attune: --std must be a positive number, got "
                 << llvm::format("%g", double(scale)) << "\n";
    return kExitUsage;
  }

  mlir::DialectRegistry registry;
  registerAttuneDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  std::optional<LoadedModel> model = loadModel(LoadRequest{input, config, "", modelName, {}, {}}, context);
  if (!model)
    return 1;
  mlir::PassManager pm(&context);
  pm.addPass(createAttuneLowerEntryPass());
  if (mlir::failed(pm.run(*model->module)))
    return 1;

  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<std::string> names;
  std::vector<std::vector<float>> data;
  std::vector<attune_tensor> tensors;
  llvm::StringSet<> seen; // entry points share weights
  model->module->walk([&](mlir::func::FuncOp func) {
    if (!func->hasAttr(abi::kEntry))
      return;
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      auto role = func.getArgAttrOfType<mlir::StringAttr>(i, abi::kRole);
      if (!role || role.getValue() != "weight")
        continue;
      auto type = mlir::cast<mlir::MemRefType>(func.getArgumentTypes()[i]);
      std::string name = func.getArgAttrOfType<mlir::StringAttr>(i, abi::kName).str();
      if (!seen.insert(name).second)
        continue;
      bool gain = type.getRank() == 1 && llvm::StringRef(name).ends_with(".weight");
      std::vector<float> values(type.getNumElements());
      for (float &v : values)
        v = gain ? 1.0f + 0.1f * normal(rng) : float(scale) * normal(rng);
      attune_tensor t{};
      t.dtype = ATTUNE_F32;
      t.rank = type.getRank();
      for (int64_t d = 0; d < type.getRank(); ++d)
        t.shape[d] = type.getDimSize(d);
      names.push_back(name);
      data.push_back(std::move(values));
      tensors.push_back(t);
    }
  });
  for (size_t i = 0; i < tensors.size(); ++i) {
    tensors[i].name = names[i].c_str();
    tensors[i].data = data[i].data();
  }
  if (attune_safetensors_write(output.c_str(), tensors.data(), tensors.size()) != ATTUNE_OK) {
    llvm::errs() << "attune: " << attune_last_error() << "\n";
    return 1;
  }
  llvm::outs() << "attune: wrote " << tensors.size() << " tensors to " << output << "\n";
  return 0;
}
