//===- Tokenizer.cpp - Hugging Face tokenizer.json: text <-> token ids ----------------------===//
#include "tokenizer/Tokenizer.h"
#include "support/StrictJson.h"
#include "tokenizer/Unicode.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/ConvertUTF.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>
#include <limits>

using namespace attune;
namespace json = llvm::json;

namespace {

/// Ids past this are taken for a corrupt file, not a vocabulary (the largest in use are ~2^18).
constexpr int64_t kMaxId = int64_t(1) << 24;

llvm::Error fail(llvm::StringRef name, const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), (name + ": " + message).str());
}

/// "absent or null", the only value a component we do not implement may have.
bool isAbsent(const json::Object &object, llvm::StringRef key) {
  const json::Value *value = object.get(key);
  return !value || value->kind() == json::Value::Null;
}

/// The "type" of a component object, for naming what is unsupported.
std::string typeOf(const json::Value *component) {
  if (const json::Object *object = component ? component->getAsObject() : nullptr)
    if (std::optional<llvm::StringRef> type = object->getString("type"))
      return type->str();
  return "?";
}

/// GPT-2's split, the ByteLevel pre-tokenizer's own (use_regex): contractions, letters,
/// numbers, other symbols (each after an optional space), and white space (the last space of
/// a run goes with the word after it).
constexpr llvm::StringLiteral kByteLevelPattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

/// GPT-2's bytes_to_unicode: printable bytes stand for themselves, the other 68 (controls,
/// space, DEL, NBSP, soft hyphen ...) for U+0100 onwards, in byte order.
uint32_t byteCharacter(uint8_t byte) {
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

/// The byte a character of a byte-level token stands for, if it is one.
std::optional<uint8_t> characterByte(uint32_t c) {
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

/// Splits a merge, "left right" (older files) or ["left", "right"] (newer).
std::optional<std::pair<std::string, std::string>> mergePair(const json::Value &merge) {
  if (std::optional<llvm::StringRef> text = merge.getAsString()) {
    auto [left, right] = text->split(' ');
    if (left.empty() || right.empty() || right.contains(' '))
      return std::nullopt;
    return std::make_pair(left.str(), right.str());
  }
  const json::Array *pair = merge.getAsArray();
  if (!pair || pair->size() != 2)
    return std::nullopt;
  std::optional<llvm::StringRef> left = (*pair)[0].getAsString(), right = (*pair)[1].getAsString();
  if (!left || !right)
    return std::nullopt;
  return std::make_pair(left->str(), right->str());
}

} // namespace

llvm::Expected<Tokenizer> Tokenizer::fromFile(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return fail(path, "cannot read: " + buffer.getError().message());
  return fromJSON((*buffer)->getBuffer(), path);
}

llvm::Expected<Tokenizer> Tokenizer::fromJSON(llvm::StringRef text, llvm::StringRef name) {
  llvm::Expected<json::Value> parsed = parseStrictJson(text);
  if (!parsed)
    return fail(name, llvm::toString(parsed.takeError()));
  const json::Object *root = parsed->getAsObject();
  if (!root)
    return fail(name, "not a JSON object");
  if (!isAbsent(*root, "normalizer"))
    return fail(name, "normalizer '" + typeOf(root->get("normalizer")) +
                          "' is not supported yet (only a tokenizer without one is)");
  const json::Object *model = root->getObject("model");
  if (!model)
    return fail(name, "no \"model\" object");
  std::string modelType = typeOf(root->get("model"));
  if (modelType != "BPE")
    return fail(name, "model type '" + modelType + "' is not supported yet (BPE is)");
  if (model->getBoolean("byte_fallback").value_or(false))
    return fail(name, "BPE with byte_fallback is not supported yet");
  for (llvm::StringRef affix : {"continuing_subword_prefix", "end_of_word_suffix"})
    if (!model->getString(affix).value_or("").empty())
      return fail(name, "BPE with a " + affix + " is not supported yet");
  if (model->getNumber("dropout").value_or(0) != 0)
    return fail(name, "BPE dropout samples encodings; give a tokenizer without it");

  Tokenizer tokenizer;
  tokenizer.name = name.str();
  // Ids to tokens, from the vocabulary and then the added tokens (which may repeat one).
  auto define = [&](llvm::StringRef token, const json::Value &idValue) -> llvm::Error {
    std::optional<int64_t> id = idValue.getAsInteger();
    if (!id || *id < 0 || *id >= kMaxId)
      return fail(name, "token '" + token + "' has no valid id (an integer in [0, 2^24))");
    if (token.empty())
      return fail(name, "an empty token (id " + llvm::Twine(*id) + ")");
    if (static_cast<size_t>(*id) >= tokenizer.tokens.size()) {
      tokenizer.tokens.resize(*id + 1);
      tokenizer.special.resize(*id + 1);
    }
    std::string &slot = tokenizer.tokens[*id];
    if (!slot.empty() && slot != token)
      return fail(name, "id " + llvm::Twine(*id) + " is both '" + slot + "' and '" + token + "'");
    slot = token.str();
    auto [it, inserted] = tokenizer.vocabulary.try_emplace(token, *id);
    if (!inserted && it->second != *id)
      return fail(name, "token '" + token + "' has two ids, " + llvm::Twine(it->second) + " and " +
                            llvm::Twine(*id));
    return llvm::Error::success();
  };
  const json::Object *vocabulary = model->getObject("vocab");
  if (!vocabulary)
    return fail(name, "the BPE model has no \"vocab\" object");
  // In the order of the keys (a JSON object has none; errors must not depend on hashing).
  std::vector<std::pair<llvm::StringRef, const json::Value *>> entries;
  for (const auto &[token, id] : *vocabulary)
    entries.emplace_back(token, &id);
  llvm::sort(entries, [](const auto &a, const auto &b) { return a.first < b.first; });
  for (const auto &[token, id] : entries)
    if (llvm::Error error = define(token, *id))
      return std::move(error);
  if (const json::Array *addedTokens = root->getArray("added_tokens"))
    for (const json::Value &entry : *addedTokens) {
      const json::Object *object = entry.getAsObject();
      std::optional<llvm::StringRef> content = object ? object->getString("content") : std::nullopt;
      const json::Value *id = object ? object->get("id") : nullptr;
      if (!content || !id)
        return fail(name, "an added token without \"content\" and \"id\"");
      if (llvm::Error error = define(*content, *id))
        return std::move(error);
      tokenizer.added.emplace_back(content->str(), *id->getAsInteger());
      tokenizer.special[*id->getAsInteger()] = object->getBoolean("special").value_or(false);
    }
  // Longest first: where two added tokens start at one place, the longer one is meant.
  llvm::sort(tokenizer.added, [](const auto &a, const auto &b) {
    return a.first.size() != b.first.size() ? a.first.size() > b.first.size() : a.first < b.first;
  });

  if (const json::Array *merges = model->getArray("merges"))
    for (size_t rank = 0; rank < merges->size(); ++rank) {
      auto pair = mergePair((*merges)[rank]);
      if (!pair)
        return fail(name, "merge " + llvm::Twine(rank) + " is not \"left right\" or [left, right]");
      auto id = [&](const std::string &token) {
        auto it = tokenizer.vocabulary.find(token);
        return it == tokenizer.vocabulary.end() ? -1 : it->second;
      };
      int64_t left = id(pair->first), right = id(pair->second),
              merged = id(pair->first + pair->second);
      if (left < 0 || right < 0 || merged < 0)
        return fail(name, "merge " + llvm::Twine(rank) + " ('" + pair->first + "' '" +
                              pair->second + "') names a token the vocabulary lacks");
      // The first of two merges of one pair wins, as in Hugging Face.
      tokenizer.merges.try_emplace({left, right}, static_cast<int64_t>(rank), merged);
    }

  if (std::optional<llvm::StringRef> unknown = model->getString("unk_token")) {
    auto it = tokenizer.vocabulary.find(*unknown);
    if (it == tokenizer.vocabulary.end())
      return fail(name, "unk_token '" + *unknown + "' is not in the vocabulary");
    tokenizer.unknown = it->second;
  }
  tokenizer.fuseUnknown = model->getBoolean("fuse_unk").value_or(false);

  if (!isAbsent(*root, "pre_tokenizer"))
    if (llvm::Error error = tokenizer.readPreTokenizer(*root->get("pre_tokenizer")))
      return std::move(error);
  if (!isAbsent(*root, "post_processor"))
    if (llvm::Error error = tokenizer.readPostProcessor(*root->get("post_processor")))
      return std::move(error);
  if (!isAbsent(*root, "decoder"))
    if (llvm::Error error = tokenizer.readDecoder(*root->get("decoder")))
      return std::move(error);
  return std::move(tokenizer);
}

llvm::Error Tokenizer::readPreTokenizer(const json::Value &component) {
  const json::Object *object = component.getAsObject();
  std::string type = typeOf(&component);
  if (byteLevel)
    return fail(name, "pre_tokenizer ByteLevel must be the last one of a Sequence");
  if (type == "Sequence") {
    const json::Array *steps = object->getArray("pretokenizers");
    if (!steps)
      return fail(name, "pre_tokenizer Sequence has no \"pretokenizers\" list");
    for (const json::Value &step : *steps)
      if (llvm::Error error = readPreTokenizer(step))
        return error;
    return llvm::Error::success();
  }
  if (type == "ByteLevel") {
    // trim_offsets moves offsets only, never ids.
    if (object->getBoolean("add_prefix_space").value_or(false))
      preTokenizer.push_back({PreTokenizeStep::PrefixSpace});
    if (object->getBoolean("use_regex").value_or(true)) {
      llvm::Expected<Pattern> split = Pattern::compile(kByteLevelPattern);
      if (!split)
        return split.takeError();
      preTokenizer.push_back({PreTokenizeStep::Split, std::move(*split)});
    }
    byteLevel = true;
    return llvm::Error::success();
  }
  if (type == "Split") {
    if (object->getBoolean("invert").value_or(false))
      return fail(name, "pre_tokenizer Split with invert is not supported yet");
    const json::Object *patternObject = object->getObject("pattern");
    std::optional<llvm::StringRef> regex =
        patternObject ? patternObject->getString("Regex") : std::nullopt;
    std::optional<llvm::StringRef> literal =
        patternObject ? patternObject->getString("String") : std::nullopt;
    if (!regex && !literal)
      return fail(name,
                  "pre_tokenizer Split needs a pattern {\"Regex\": ...} or {\"String\": ...}");
    PreTokenizeStep step{PreTokenizeStep::Split};
    if (regex) {
      llvm::Expected<Pattern> compiled = Pattern::compile(*regex);
      if (!compiled)
        return fail(name, "pre_tokenizer Split: " + llvm::toString(compiled.takeError()));
      step.pattern = std::move(*compiled);
    } else {
      step.pattern = Pattern::literal(*literal);
    }
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
      return fail(name, "pre_tokenizer Split behavior '" + behavior +
                            "' is not supported yet (Isolated, Removed, MergedWithPrevious and "
                            "MergedWithNext are)");
    preTokenizer.push_back(std::move(step));
    return llvm::Error::success();
  }
  return fail(name, "pre_tokenizer '" + type +
                        "' is not supported yet (ByteLevel, Split and Sequence are)");
}

llvm::Error Tokenizer::readPostProcessor(const json::Value &component) {
  const json::Object *object = component.getAsObject();
  std::string type = typeOf(&component);
  if (type == "ByteLevel") // offsets only
    return llvm::Error::success();
  if (type == "Sequence") {
    const json::Array *steps = object->getArray("processors");
    if (!steps)
      return fail(name, "post_processor Sequence has no \"processors\" list");
    for (const json::Value &step : *steps)
      if (llvm::Error error = readPostProcessor(step))
        return error;
    return llvm::Error::success();
  }
  if (type != "TemplateProcessing")
    return fail(name,
                "post_processor '" + type +
                    "' is not supported yet (ByteLevel, TemplateProcessing and Sequence are)");
  // "single": special tokens and the sequence "A", in order; their ids from "special_tokens".
  const json::Array *single = object->getArray("single");
  const json::Object *specials = object->getObject("special_tokens");
  if (!single || !specials)
    return fail(name, "post_processor TemplateProcessing needs \"single\" and \"special_tokens\"");
  bool sequenceSeen = false;
  for (const json::Value &piece : *single) {
    const json::Object *entry = piece.getAsObject();
    if (entry && entry->getObject("Sequence")) {
      if (sequenceSeen)
        return fail(name, "post_processor TemplateProcessing's \"single\" has two sequences");
      sequenceSeen = true;
      continue;
    }
    const json::Object *special = entry ? entry->getObject("SpecialToken") : nullptr;
    std::optional<llvm::StringRef> id = special ? special->getString("id") : std::nullopt;
    const json::Object *definition = id ? specials->getObject(*id) : nullptr;
    const json::Array *ids = definition ? definition->getArray("ids") : nullptr;
    if (!ids)
      return fail(name, "post_processor TemplateProcessing: a piece of \"single\" is neither "
                        "a Sequence nor a SpecialToken with ids in \"special_tokens\"");
    for (const json::Value &value : *ids) {
      std::optional<int64_t> tokenId = value.getAsInteger();
      if (!tokenId || *tokenId < 0 || *tokenId >= size() || tokens[*tokenId].empty())
        return fail(name, "post_processor TemplateProcessing: special token '" + *id +
                              "' has an id the tokenizer has no token for");
      (sequenceSeen ? after : before).push_back(*tokenId);
    }
  }
  if (!sequenceSeen)
    return fail(name, "post_processor TemplateProcessing's \"single\" has no sequence");
  return llvm::Error::success();
}

llvm::Error Tokenizer::readDecoder(const json::Value &component) {
  std::string type = typeOf(&component);
  if (type == "Fuse")
    decoder = Decoder::Fuse;
  else if (type == "ByteLevel")
    decoder = Decoder::ByteLevel;
  else
    return fail(name, "decoder '" + type + "' is not supported yet (Fuse and ByteLevel are)");
  return llvm::Error::success();
}

llvm::Error Tokenizer::encodePiece(llvm::StringRef original, size_t offset,
                                   std::vector<int64_t> &ids) const {
  // Byte-level: each byte as the character that stands for it.
  std::string mapped;
  if (byteLevel)
    for (char byte : original)
      unicode::appendUtf8(byteCharacter(static_cast<uint8_t>(byte)), mapped);
  llvm::StringRef piece = byteLevel ? llvm::StringRef(mapped) : original;
  // The characters, each its token or the unknown one.
  std::vector<int64_t> word;
  for (size_t at = 0; at < piece.size();) {
    unsigned length = llvm::getNumBytesForUTF8(static_cast<llvm::UTF8>(piece[at]));
    llvm::StringRef character = piece.substr(at, length);
    auto it = vocabulary.find(character);
    if (it != vocabulary.end()) {
      word.push_back(it->second);
    } else if (unknown < 0) {
      return fail(name, "the text's character '" + character + "' (at byte " +
                            llvm::Twine(offset + at) +
                            ") is not in the vocabulary, and there is no unk_token");
    } else if (!(fuseUnknown && !word.empty() && word.back() == unknown)) {
      word.push_back(unknown);
    }
    at += length;
  }
  // Merge the adjacent pair of the lowest rank (the leftmost of equals) until none merges.
  while (word.size() > 1) {
    size_t best = 0;
    int64_t bestRank = std::numeric_limits<int64_t>::max(), merged = -1;
    for (size_t i = 0; i + 1 < word.size(); ++i) {
      auto it = merges.find({word[i], word[i + 1]});
      if (it != merges.end() && it->second.first < bestRank) {
        best = i;
        bestRank = it->second.first;
        merged = it->second.second;
      }
    }
    if (merged < 0)
      break;
    word[best] = merged;
    word.erase(word.begin() + best + 1);
  }
  llvm::append_range(ids, word);
  return llvm::Error::success();
}

llvm::Expected<std::vector<std::string>> Tokenizer::preTokenize(llvm::StringRef stretch) const {
  std::vector<std::string> pieces;
  if (!stretch.empty())
    pieces.push_back(stretch.str());
  for (const PreTokenizeStep &step : preTokenizer) {
    std::vector<std::string> next;
    for (std::string &piece : pieces) {
      if (step.kind == PreTokenizeStep::PrefixSpace) {
        next.push_back(piece.front() == ' ' ? std::move(piece) : " " + piece);
        continue;
      }
      // Code points, and where each starts in the piece (the piece is UTF-8 here).
      std::vector<uint32_t> characters = unicode::decodeUtf8Lossy(piece);
      std::vector<size_t> starts;
      for (size_t at = 0; at < piece.size();) {
        starts.push_back(at);
        at += llvm::getNumBytesForUTF8(static_cast<llvm::UTF8>(piece[at]));
      }
      starts.push_back(piece.size());
      auto text = [&](size_t from, size_t to) {
        return piece.substr(starts[from], starts[to] - starts[from]);
      };
      // Gaps and matches in order, each delimiter (a match) kept as the behavior says; the
      // parts of one piece never merge into another piece's.
      bool mergeIntoNext = false;
      size_t done = 0;
      size_t firstOfPiece = next.size();
      auto push = [&](size_t from, size_t to, bool isMatch) {
        if (from == to)
          return;
        std::string part = text(from, to);
        bool mergeWithPrevious = isMatch && step.delimiter == Delimiter::MergedWithPrevious;
        if (isMatch && step.delimiter == Delimiter::Removed)
          return;
        if ((mergeWithPrevious || mergeIntoNext) && next.size() > firstOfPiece) {
          next.back() += part;
        } else {
          next.push_back(std::move(part));
        }
        mergeIntoNext = isMatch && step.delimiter == Delimiter::MergedWithNext;
      };
      for (;;) {
        auto match = step.pattern->find(characters, done);
        if (!match)
          return fail(name, llvm::toString(match.takeError()));
        if (!*match)
          break;
        push(done, (*match)->first, false);
        push((*match)->first, (*match)->second, true);
        done = (*match)->second;
      }
      push(done, characters.size(), false);
    }
    pieces = std::move(next);
  }
  return pieces;
}

llvm::Error Tokenizer::encodeStretch(llvm::StringRef stretch, size_t offset,
                                     std::vector<int64_t> &ids) const {
  llvm::Expected<std::vector<std::string>> pieces = preTokenize(stretch);
  if (!pieces)
    return pieces.takeError();
  for (const std::string &piece : *pieces)
    if (llvm::Error error = encodePiece(piece, offset, ids))
      return error;
  return llvm::Error::success();
}

llvm::Expected<std::vector<int64_t>> Tokenizer::encode(llvm::StringRef original,
                                                       bool addSpecial) const {
  // Invalid UTF-8 as U+FFFD, then the text is valid UTF-8 throughout.
  std::string valid;
  for (uint32_t c : unicode::decodeUtf8Lossy(original))
    unicode::appendUtf8(c, valid);
  llvm::StringRef text = valid;
  std::vector<int64_t> ids;
  if (addSpecial)
    llvm::append_range(ids, before);
  size_t pieceStart = 0;
  for (size_t at = 0; at < text.size();) {
    auto match = llvm::find_if(
        added, [&](const auto &token) { return text.substr(at).starts_with(token.first); });
    if (match == added.end()) {
      ++at;
      continue;
    }
    if (llvm::Error error = encodeStretch(text.slice(pieceStart, at), pieceStart, ids))
      return std::move(error);
    ids.push_back(match->second);
    at += match->first.size();
    pieceStart = at;
  }
  if (llvm::Error error = encodeStretch(text.substr(pieceStart), pieceStart, ids))
    return std::move(error);
  if (addSpecial)
    llvm::append_range(ids, after);
  return ids;
}

llvm::Expected<std::string> Tokenizer::decode(llvm::ArrayRef<int64_t> ids, bool skipSpecial) const {
  std::string text;
  bool first = true;
  for (int64_t id : ids) {
    if (id < 0 || id >= size() || tokens[id].empty())
      return fail(name, "token " + llvm::Twine(id) + " has no text in this tokenizer");
    if (skipSpecial && special[id])
      continue;
    if (decoder == Decoder::JoinWithSpaces && !first)
      text += ' ';
    first = false;
    if (decoder != Decoder::ByteLevel) {
      text += tokens[id];
      continue;
    }
    // The bytes the token's characters stand for; a token with another character (an added
    // token's text) as it is, as Hugging Face does.
    std::string bytes;
    for (uint32_t c : unicode::decodeUtf8Lossy(tokens[id])) {
      std::optional<uint8_t> byte = characterByte(c);
      if (!byte) {
        bytes = tokens[id];
        break;
      }
      bytes += static_cast<char>(*byte);
    }
    text += bytes;
  }
  return text;
}
