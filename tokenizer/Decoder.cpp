//===- Decoder.cpp - tokenizer.json's decoder: tokens back to text ---------------------===//
#include "tokenizer/Decoder.h"
#include "tokenizer/Component.h"
#include "tokenizer/Unicode.h"

#include "llvm/ADT/StringExtras.h"

using namespace attune;
using namespace attune::tokenizer;
namespace json = llvm::json;

llvm::Expected<Decoder> Decoder::fromJSON(const json::Value *decoder, llvm::StringRef file) {
  Decoder result;
  if (decoder && decoder->kind() != json::Value::Null) {
    result.joinWithSpaces = false;
    if (llvm::Error error = result.read(*decoder, file))
      return std::move(error);
  }
  return std::move(result);
}

llvm::Error Decoder::read(const json::Value &component, llvm::StringRef file) {
  const json::Object *object = component.getAsObject();
  std::string type = typeOf(&component);
  if (type == "Sequence")
    return readSequence(*object, "decoders", "decoder", file,
                        [&](const json::Value &step) { return read(step, file); });
  if (type == "Fuse" || type == "ByteFallback" || type == "ByteLevel") {
    steps.push_back({type == "Fuse"           ? Step::Fuse
                     : type == "ByteFallback" ? Step::ByteFallback
                                              : Step::ByteLevel});
    return llvm::Error::success();
  }
  if (type == "Replace") {
    const json::Object *pattern = object->getObject("pattern");
    std::optional<llvm::StringRef> from = pattern ? pattern->getString("String") : std::nullopt;
    std::optional<llvm::StringRef> to = object->getString("content");
    if (!from || from->empty() || !to)
      return fail(file, "decoder Replace needs a pattern {\"String\": ...} (a regex is not "
                        "supported yet) and a \"content\" string");
    steps.push_back({Step::Replace, from->str(), to->str()});
    return llvm::Error::success();
  }
  if (type == "Strip") {
    std::optional<llvm::StringRef> content = object->getString("content");
    std::optional<int64_t> start = object->getInteger("start"), stop = object->getInteger("stop");
    if (!content || unicode::decodeUtf8Lossy(*content).size() != 1 || !start || !stop ||
        *start < 0 || *stop < 0)
      return fail(file, "decoder Strip needs a one-character \"content\" and counts \"start\" and "
                        "\"stop\"");
    Step step{Step::Strip, content->str()};
    step.start = *start;
    step.stop = *stop;
    steps.push_back(std::move(step));
    return llvm::Error::success();
  }
  if (type == "Metaspace") {
    Step step{Step::Metaspace, object->getString("replacement").value_or("").str()};
    if (unicode::decodeUtf8Lossy(step.from).size() != 1)
      return fail(file, "decoder Metaspace needs a one-character \"replacement\"");
    llvm::StringRef scheme =
        object->getString("prepend_scheme")
            .value_or(object->getBoolean("add_prefix_space").value_or(true) ? "always" : "never");
    step.prepended = scheme != "never";
    steps.push_back(std::move(step));
    return llvm::Error::success();
  }
  return fail(file, "decoder '" + type +
                        "' is not supported yet (Replace, ByteFallback, Fuse, Strip, ByteLevel, "
                        "Metaspace and Sequence are)");
}

std::string Decoder::decode(std::vector<std::string> tokens) const {
  if (joinWithSpaces)
    return llvm::join(tokens, " ");
  for (const Step &step : steps) {
    std::vector<std::string> next;
    switch (step.kind) {
    case Step::Replace:
      for (std::string &token : tokens)
        next.push_back(llvm::join(llvm::split(token, step.from), step.to));
      break;
    case Step::ByteFallback: {
      // A run of byte tokens becomes one token of their bytes.
      bool inRun = false;
      for (std::string &token : tokens) {
        std::optional<uint8_t> byte = fallbackByte(token);
        if (!byte) {
          next.push_back(std::move(token));
          inRun = false;
          continue;
        }
        if (!inRun)
          next.emplace_back();
        next.back() += static_cast<char>(*byte);
        inRun = true;
      }
      break;
    }
    case Step::Fuse:
      next.push_back(llvm::join(tokens, ""));
      break;
    case Step::Strip:
      for (std::string &token : tokens) {
        llvm::StringRef text = token;
        for (int64_t i = 0; i < step.start && text.consume_front(step.from); ++i) {
        }
        for (int64_t i = 0; i < step.stop && text.consume_back(step.from); ++i) {
        }
        next.push_back(text.str());
      }
      break;
    case Step::ByteLevel: {
      // Every token's characters as the bytes they stand for (a token with another
      // character, an added token's text, as it is), all one token.
      std::string bytes;
      for (const std::string &token : tokens) {
        std::string mapped;
        for (uint32_t c : unicode::decodeUtf8Lossy(token)) {
          std::optional<uint8_t> byte = characterByte(c);
          if (!byte) {
            mapped = token;
            break;
          }
          mapped += static_cast<char>(*byte);
        }
        bytes += mapped;
      }
      next.push_back(std::move(bytes));
      break;
    }
    case Step::Metaspace:
      // As Hugging Face: the replacement is a space, except in the first token, where the
      // encoder prepended it.
      for (size_t i = 0; i < tokens.size(); ++i)
        next.push_back(
            llvm::join(llvm::split(tokens[i], step.from), i == 0 && step.prepended ? "" : " "));
      break;
    }
    tokens = std::move(next);
  }
  return llvm::join(tokens, "");
}
