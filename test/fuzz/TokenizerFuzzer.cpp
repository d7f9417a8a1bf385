// libFuzzer harness: a tokenizer.json (the bytes before the first NUL) read, and when it loads,
// the text after it encoded and the ids decoded, with and without the special tokens: any
// file and text give ids and text or a clear error, never a crash, a hang or a runaway match.
#include "tokenizer/Tokenizer.h"

#include <cstring>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *bytes = reinterpret_cast<const char *>(data);
  const char *nul = static_cast<const char *>(std::memchr(bytes, 0, size));
  std::string json(bytes, nul ? nul : bytes + size);
  std::string text = nul ? std::string(nul + 1, bytes + size) : std::string();
  llvm::Expected<attune::Tokenizer> tokenizer = attune::Tokenizer::fromJSON(json, "fuzz.json");
  if (!tokenizer) {
    llvm::consumeError(tokenizer.takeError());
    return 0;
  }
  for (bool special : {true, false}) {
    llvm::Expected<std::vector<int64_t>> ids = tokenizer->encode(text, special);
    if (!ids) {
      llvm::consumeError(ids.takeError());
      continue;
    }
    llvm::Expected<std::string> decoded = tokenizer->decode(*ids, special);
    if (!decoded)
      llvm::consumeError(decoded.takeError());
  }
  return 0;
}
