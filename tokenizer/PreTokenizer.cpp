//===- PreTokenizer.cpp - tokenizer.json's normalizer and pre-tokenizer ---------------===//
#include "tokenizer/PreTokenizer.h"
#include "tokenizer/Component.h"
#include "tokenizer/Unicode.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/ConvertUTF.h"

using namespace attune;
using namespace attune::tokenizer;
namespace json = llvm::json;

namespace {

/// GPT-2's split, the ByteLevel pre-tokenizer's own (use_regex): contractions, letters,
/// numbers, other symbols (each after an optional space), and white space (the last space of
/// a run goes with the word after it).
constexpr llvm::StringLiteral kByteLevelPattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

/// Where each character of `text` (valid UTF-8) starts, and its end.
std::vector<size_t> characterStarts(llvm::StringRef text) {
  std::vector<size_t> starts;
  for (size_t at = 0; at < text.size();) {
    starts.push_back(at);
    at += llvm::getNumBytesForUTF8(static_cast<llvm::UTF8>(text[at]));
  }
  starts.push_back(text.size());
  return starts;
}

} // namespace

llvm::Expected<PreTokenizer> PreTokenizer::fromJSON(const json::Value *normalizer,
                                                    const json::Value *preTokenizer,
                                                    llvm::StringRef file) {
  PreTokenizer result;
  result.file = file.str();
  auto present = [](const json::Value *value) {
    return value && value->kind() != json::Value::Null;
  };
  if (present(normalizer))
    if (llvm::Error error = result.readNormalizer(*normalizer))
      return std::move(error);
  if (present(preTokenizer))
    if (llvm::Error error = result.readPreTokenizer(*preTokenizer))
      return std::move(error);
  return std::move(result);
}

llvm::Expected<Pattern> PreTokenizer::readPattern(const json::Object &object,
                                                  llvm::StringRef owner) {
  const json::Object *pattern = object.getObject("pattern");
  std::optional<llvm::StringRef> regex = pattern ? pattern->getString("Regex") : std::nullopt;
  std::optional<llvm::StringRef> literal = pattern ? pattern->getString("String") : std::nullopt;
  if (literal)
    return Pattern::literal(*literal);
  if (!regex)
    return fail(file, owner + " needs a pattern {\"Regex\": ...} or {\"String\": ...}");
  llvm::Expected<Pattern> compiled = Pattern::compile(*regex);
  if (!compiled)
    return fail(file, owner + ": " + llvm::toString(compiled.takeError()));
  return compiled;
}

llvm::Error PreTokenizer::readNormalizer(const json::Value &component) {
  const json::Object *object = component.getAsObject();
  std::string type = typeOf(&component);
  if (type == "Sequence")
    return readSequence(*object, "normalizers", "normalizer", file,
                        [&](const json::Value &step) { return readNormalizer(step); });
  if (type == "NFC") {
    normalizer.push_back({Step::NFC});
    return llvm::Error::success();
  }
  if (type == "Prepend") {
    std::optional<llvm::StringRef> prepend = object->getString("prepend");
    if (!prepend)
      return fail(file, "normalizer Prepend has no \"prepend\" string");
    normalizer.push_back({Step::PrependText, std::nullopt, prepend->str()});
    return llvm::Error::success();
  }
  if (type == "Replace") {
    llvm::Expected<Pattern> pattern = readPattern(*object, "normalizer Replace");
    if (!pattern)
      return pattern.takeError();
    std::optional<llvm::StringRef> content = object->getString("content");
    if (!content)
      return fail(file, "normalizer Replace has no \"content\" string");
    normalizer.push_back({Step::Replace, std::move(*pattern), content->str()});
    return llvm::Error::success();
  }
  return fail(file, "normalizer '" + type +
                        "' is not supported yet (NFC, Prepend, Replace and Sequence are)");
}

llvm::Error PreTokenizer::readPreTokenizer(const json::Value &component) {
  const json::Object *object = component.getAsObject();
  std::string type = typeOf(&component);
  if (bytes)
    return fail(file, "pre_tokenizer ByteLevel must be the last one of a Sequence");
  if (type == "Sequence")
    return readSequence(*object, "pretokenizers", "pre_tokenizer", file,
                        [&](const json::Value &step) { return readPreTokenizer(step); });
  if (type == "ByteLevel") {
    // trim_offsets moves offsets only, never ids.
    if (object->getBoolean("add_prefix_space").value_or(false))
      preTokenizer.push_back({Step::PrefixSpace});
    if (object->getBoolean("use_regex").value_or(true)) {
      llvm::Expected<Pattern> split = Pattern::compile(kByteLevelPattern);
      if (!split)
        return split.takeError();
      preTokenizer.push_back({Step::Split, std::move(*split)});
    }
    bytes = true;
    return llvm::Error::success();
  }
  if (type == "Metaspace") {
    Step step{Step::Metaspace, std::nullopt, object->getString("replacement").value_or("").str()};
    if (unicode::decodeUtf8Lossy(step.content).size() != 1)
      return fail(file, "pre_tokenizer Metaspace needs a one-character \"replacement\"");
    // prepend_scheme (newer files), or add_prefix_space (older: always, or never).
    llvm::StringRef scheme =
        object->getString("prepend_scheme")
            .value_or(object->getBoolean("add_prefix_space").value_or(true) ? "always" : "never");
    if (scheme == "always")
      step.prepend = Prepend::Always;
    else if (scheme == "first")
      step.prepend = Prepend::First;
    else if (scheme == "never")
      step.prepend = Prepend::Never;
    else
      return fail(file, "pre_tokenizer Metaspace prepend_scheme '" + scheme +
                            "' is not always, first or never");
    std::string replacement = step.content;
    preTokenizer.push_back(std::move(step));
    if (object->getBoolean("split").value_or(true)) {
      Step split{Step::Split, Pattern::literal(replacement)};
      split.delimiter = Delimiter::MergedWithNext;
      preTokenizer.push_back(std::move(split));
    }
    return llvm::Error::success();
  }
  if (type == "Split") {
    if (object->getBoolean("invert").value_or(false))
      return fail(file, "pre_tokenizer Split with invert is not supported yet");
    llvm::Expected<Pattern> pattern = readPattern(*object, "pre_tokenizer Split");
    if (!pattern)
      return pattern.takeError();
    Step step{Step::Split, std::move(*pattern)};
    llvm::StringRef behavior = object->getString("behavior").value_or("");
    if (behavior == "Isolated")
      step.delimiter = Delimiter::Isolated;
    else if (behavior == "Removed")
      step.delimiter = Delimiter::Removed;
    else if (behavior == "MergedWithPrevious")
      step.delimiter = Delimiter::MergedWithPrevious;
    else if (behavior == "MergedWithNext")
      step.delimiter = Delimiter::MergedWithNext;
    else
      return fail(file, "pre_tokenizer Split behavior '" + behavior +
                            "' is not supported yet (Isolated, Removed, MergedWithPrevious and "
                            "MergedWithNext are)");
    preTokenizer.push_back(std::move(step));
    return llvm::Error::success();
  }
  return fail(file, "pre_tokenizer '" + type +
                        "' is not supported yet (ByteLevel, Metaspace, Split and Sequence are)");
}

llvm::Expected<std::string>
PreTokenizer::replaceAll(const Pattern &pattern, llvm::StringRef content, llvm::StringRef piece) {
  std::vector<uint32_t> characters = unicode::decodeUtf8Lossy(piece);
  std::vector<size_t> starts = characterStarts(piece);
  std::string out;
  size_t done = 0;
  for (;;) {
    auto match = pattern.find(characters, done);
    if (!match)
      return match.takeError();
    size_t end = *match ? (*match)->first : characters.size();
    out += piece.slice(starts[done], starts[end]);
    if (!*match)
      return out;
    out += content;
    done = (*match)->second;
  }
}

llvm::Error PreTokenizer::splitPiece(const Step &step, llvm::StringRef piece,
                                     std::vector<std::string> &out) {
  std::vector<uint32_t> characters = unicode::decodeUtf8Lossy(piece);
  std::vector<size_t> starts = characterStarts(piece);
  // Gaps and matches in order, each match kept as the behavior says; the parts of one piece
  // never merge into another piece's.
  size_t first = out.size();
  bool mergeIntoNext = false;
  auto push = [&](size_t from, size_t to, bool isMatch) {
    if (from == to || (isMatch && step.delimiter == Delimiter::Removed))
      return;
    llvm::StringRef part = piece.slice(starts[from], starts[to]);
    bool mergeWithPrevious = isMatch && step.delimiter == Delimiter::MergedWithPrevious;
    if ((mergeWithPrevious || mergeIntoNext) && out.size() > first)
      out.back() += part;
    else
      out.push_back(part.str());
    mergeIntoNext = isMatch && step.delimiter == Delimiter::MergedWithNext;
  };
  size_t done = 0;
  for (;;) {
    auto match = step.pattern->find(characters, done);
    if (!match)
      return match.takeError();
    if (!*match)
      break;
    push(done, (*match)->first, false);
    push((*match)->first, (*match)->second, true);
    done = (*match)->second;
  }
  push(done, characters.size(), false);
  return llvm::Error::success();
}

llvm::Expected<std::vector<std::string>> PreTokenizer::split(llvm::StringRef stretch,
                                                             bool atStart) const {
  std::string text = stretch.str();
  for (const Step &step : normalizer) {
    if (step.kind == Step::PrependText) {
      if (!text.empty())
        text = step.content + text;
      continue;
    }
    if (step.kind == Step::NFC) {
      text = unicode::encodeUtf8(unicode::toNFC(unicode::decodeUtf8Lossy(text)));
      continue;
    }
    llvm::Expected<std::string> replaced = replaceAll(*step.pattern, step.content, text);
    if (!replaced)
      return fail(file, llvm::toString(replaced.takeError()));
    text = std::move(*replaced);
  }
  std::vector<std::string> pieces;
  if (!text.empty())
    pieces.push_back(std::move(text));
  // Whether pieces[0] starts the whole text (Metaspace's "first").
  bool firstStartsText = atStart;
  for (const Step &step : preTokenizer) {
    std::vector<std::string> next;
    for (size_t i = 0; i < pieces.size(); ++i) {
      std::string &piece = pieces[i];
      if (step.kind == Step::PrefixSpace) {
        next.push_back(piece.front() == ' ' ? std::move(piece) : " " + piece);
      } else if (step.kind == Step::Metaspace) {
        std::string replaced = llvm::join(llvm::split(piece, ' '), step.content);
        bool prepend = step.prepend == Prepend::Always ||
                       (step.prepend == Prepend::First && i == 0 && firstStartsText);
        if (prepend && !llvm::StringRef(replaced).starts_with(step.content))
          replaced = step.content + replaced;
        next.push_back(std::move(replaced));
      } else if (llvm::Error error = splitPiece(step, piece, next)) {
        return fail(file, llvm::toString(std::move(error)));
      }
    }
    pieces = std::move(next);
  }
  return pieces;
}
