//===- Component.cpp - What the readers of tokenizer.json's components share ----------===//
#include "tokenizer/Component.h"

#include "llvm/ADT/StringExtras.h"

using namespace attune;

uint32_t tokenizer::byteCharacter(uint8_t byte) {
  auto printable = [](unsigned b) {
    return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
  };
  if (printable(byte))
    return byte;
  uint32_t index = 0;
  for (unsigned b = 0; b < byte; ++b)
    index += !printable(b);
  return 0x100 + index;
}

std::optional<uint8_t> tokenizer::characterByte(uint32_t c) {
  static const std::vector<int> bytes = [] {
    std::vector<int> table(0x100 + 68, -1);
    for (unsigned b = 0; b < 256; ++b)
      table[byteCharacter(static_cast<uint8_t>(b))] = static_cast<int>(b);
    return table;
  }();
  if (c >= bytes.size() || bytes[c] < 0)
    return std::nullopt;
  return static_cast<uint8_t>(bytes[c]);
}

std::optional<uint8_t> tokenizer::fallbackByte(llvm::StringRef token) {
  if (token.size() != 6 || !token.starts_with("<0x") || !token.ends_with(">"))
    return std::nullopt;
  unsigned value = 0;
  if (!llvm::to_integer(token.substr(3, 2), value, 16) || !llvm::isHexDigit(token[3]) ||
      !llvm::isHexDigit(token[4]))
    return std::nullopt;
  return static_cast<uint8_t>(value);
}
