// libFuzzer harness: any bytes as a model description, lexed and parsed (without the prelude,
// which only elaboration needs: ElaboratorFuzzer parses both). Malformed text is an error at
// file:line:col (discarded here), never a crash or a hang.
#include "frontend/Parser.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::SourceMgr sources;
  sources.setDiagHandler([](const llvm::SMDiagnostic &, void *) {}, nullptr);
  unsigned input = sources.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          llvm::StringRef(reinterpret_cast<const char *>(data), size), "input.tfm"),
      llvm::SMLoc());
  attune::ast::Program program;
  attune::parseBuffer(sources, input, program);
  return 0;
}
