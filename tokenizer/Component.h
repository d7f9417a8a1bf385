//===- Component.h - What the readers of tokenizer.json's components share ----*- C++ -*-===//
#ifndef ATTUNE_TOKENIZER_COMPONENT_H
#define ATTUNE_TOKENIZER_COMPONENT_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <string>

namespace attune::tokenizer {

/// An error about the tokenizer file `file`.
inline llvm::Error fail(llvm::StringRef file, const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), (file + ": " + message).str());
}

/// The "type" of a component object, for naming what is unsupported; "?" if it has none.
inline std::string typeOf(const llvm::json::Value *component) {
  if (const llvm::json::Object *object = component ? component->getAsObject() : nullptr)
    if (std::optional<llvm::StringRef> type = object->getString("type"))
      return type->str();
  return "?";
}

/// Each step of a Sequence component (its list `key`, such as "normalizers"), read by `read`;
/// `what` names the component kind in the error for a missing list.
inline llvm::Error readSequence(const llvm::json::Object &sequence, llvm::StringRef key,
                                llvm::StringRef what, llvm::StringRef file,
                                llvm::function_ref<llvm::Error(const llvm::json::Value &)> read) {
  const llvm::json::Array *steps = sequence.getArray(key);
  if (!steps)
    return fail(file, what + " Sequence has no \"" + key + "\" list");
  for (const llvm::json::Value &step : *steps)
    if (llvm::Error error = read(step))
      return error;
  return llvm::Error::success();
}

/// "▁" (U+2581), SentencePiece's stand-in for a space.
constexpr llvm::StringLiteral kMetaspace = "\xE2\x96\x81";

/// GPT-2's bytes_to_unicode: printable bytes stand for themselves, the other 68 (controls,
/// space, DEL, NBSP, soft hyphen ...) for U+0100 onwards, in byte order.
uint32_t byteCharacter(uint8_t byte);
/// The byte a character of a byte-level token stands for, if it is one.
std::optional<uint8_t> characterByte(uint32_t c);
/// The byte a byte-fallback token ("<0x0A>") stands for, if it is one.
std::optional<uint8_t> fallbackByte(llvm::StringRef token);

} // namespace attune::tokenizer

#endif // ATTUNE_TOKENIZER_COMPONENT_H
