//===- TokenPrinter.cpp - What `attune generate` prints of the tokens it makes -------------===//
#include "tools/attune/TokenPrinter.h"

#include "tokenizer/Tokenizer.h"

#include "llvm/Support/raw_ostream.h"

using namespace attune;

std::string TokenPrinter::text(llvm::ArrayRef<int64_t> tokens) const {
  // The tokens decode together: a token's text may depend on its neighbours (spaces between
  // tokens, the bytes of one character split over two). Where an id has no text (a model's
  // vocabulary may be padded past its tokenizer's), the runs around it decode apart and it
  // shows as itself.
  llvm::Expected<std::string> whole = tokenizer->decode(tokens);
  if (whole)
    return *whole;
  llvm::consumeError(whole.takeError());
  std::string out;
  std::vector<int64_t> run;
  auto decodeRun = [&] {
    if (llvm::Expected<std::string> decoded = tokenizer->decode(run))
      out += *decoded;
    else
      llvm::consumeError(decoded.takeError());
    run.clear();
  };
  for (int64_t token : tokens) {
    llvm::Expected<std::string> alone = tokenizer->decode(token);
    if (alone) {
      run.push_back(token);
      continue;
    }
    llvm::consumeError(alone.takeError());
    decodeRun();
    out += "<|id " + std::to_string(token) + "|>";
  }
  decodeRun();
  return out;
}

void TokenPrinter::beginStream(std::optional<size_t> row) {
  streamed.clear();
  printed = 0;
  if (row)
    llvm::outs() << "sequence " << *row << ":" << (tokenizer ? " " : "");
  else if (!tokenizer)
    llvm::outs() << "tokens:";
  llvm::outs().flush();
}

void TokenPrinter::stream(int64_t token) {
  streamed.push_back(token);
  if (!tokenizer) {
    llvm::outs() << " " << token;
  } else {
    // The whole row decoded again, for the same reason as in text(); what is new is printed.
    std::string sofar = text(streamed);
    if (sofar.size() > printed) {
      llvm::outs() << llvm::StringRef(sofar).substr(printed);
      printed = sofar.size();
    }
  }
  llvm::outs().flush();
}

void TokenPrinter::endStream() { llvm::outs() << "\n"; }

void TokenPrinter::printRow(size_t row, llvm::ArrayRef<int64_t> tokens) {
  llvm::outs() << "sequence " << row << ":";
  if (tokenizer) {
    llvm::outs() << " " << text(tokens);
  } else {
    for (int64_t token : tokens)
      llvm::outs() << " " << token;
  }
  llvm::outs() << "\n";
}
