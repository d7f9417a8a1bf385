// libFuzzer harness: any bytes as a model description through the parser, the elaborator
// (with a fixed config.json) and the verifier. Whatever the text, elaboration ends in a graph
// that verifies or in an error; never a crash, a hang or an invalid module.
#include "frontend/Elaborator.h"
#include "frontend/Parser.h"
#include "frontend/Prelude.h"
#include "ir/AttuneDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <cstdlib>

namespace {
mlir::MLIRContext *context;
llvm::json::Value *config;
} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  mlir::DialectRegistry registry;
  registry.insert<attune::AttuneDialect, mlir::func::FuncDialect, mlir::arith::ArithDialect,
                  mlir::tensor::TensorDialect>();
  context = new mlir::MLIRContext(registry);
  context->loadAllAvailableDialects();
  // The keys of the shipped descriptions' configs, small.
  config = new llvm::json::Value(llvm::json::Object{
      {"vocab_size", 32}, {"n_embd", 8}, {"n_head", 2}, {"n_layer", 1}, {"n_positions", 16},
      {"hidden_size", 8}, {"num_attention_heads", 2}, {"num_hidden_layers", 1},
      {"intermediate_size", 16}, {"max_position_embeddings", 16}, {"d_model", 8},
      {"num_heads", 2}, {"num_layers", 1}, {"d_ff", 16}, {"d_kv", 4}, {"type_vocab_size", 2},
      {"layer_norm_epsilon", 1e-5}, {"rms_norm_eps", 1e-6}, {"num_key_value_heads", 1}});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::SourceMgr sources;
  sources.setDiagHandler([](const llvm::SMDiagnostic &, void *) {}, nullptr);
  mlir::ScopedDiagnosticHandler quiet(context, [](mlir::Diagnostic &) {});
  unsigned prelude = sources.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBuffer(attune::preludeSource(), "<prelude>"), llvm::SMLoc());
  unsigned input = sources.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          llvm::StringRef(reinterpret_cast<const char *>(data), size), "input.tfm"),
      llvm::SMLoc());
  attune::ast::Program program;
  if (!attune::parseBuffer(sources, prelude, program) ||
      !attune::parseBuffer(sources, input, program))
    return 0;
  attune::ElaborateOptions options;
  options.config = config->getAsObject();
  options.configPath = "config.json";
  options.maxBatch = 2;
  options.maxSeq = 8;
  std::optional<attune::ElaboratedModel> model =
      attune::elaborate(program, sources, *context, options);
  // What the elaborator accepts must verify: an invalid graph is a finding.
  if (model && mlir::failed(mlir::verify(*model->module)))
    abort();
  return 0;
}
