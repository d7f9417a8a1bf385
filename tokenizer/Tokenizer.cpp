//===- Tokenizer.cpp - Hugging Face tokenizer.json: text <-> token ids ----------------------===//
#include "tokenizer/Tokenizer.h"
#include "support/StrictJson.h"
#include "tokenizer/Component.h"
#include "tokenizer/Unicode.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/ConvertUTF.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>
#include <queue>

using namespace attune;
using namespace attune::tokenizer;
namespace json = llvm::json;

namespace {

/// Ids past this are taken for a corrupt file, not a vocabulary (the largest in use are ~2^18).
constexpr int64_t kMaxId = int64_t(1) << 24;

/// "absent or null", the only value a component we do not implement may have.
bool isAbsent(const json::Object &object, llvm::StringRef key) {
  const json::Value *value = object.get(key);
  return !value || value->kind() == json::Value::Null;
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
  const json::Object *model = root->getObject("model");
  if (!model)
    return fail(name, "no \"model\" object");
  std::string modelType = typeOf(root->get("model"));
  if (modelType != "BPE")
    return fail(name, "model type '" + modelType + "' is not supported yet (BPE is)");
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
  // byte_fallback: the "<0xXX>" token of each byte, looked up once.
  if (model->getBoolean("byte_fallback").value_or(false)) {
    tokenizer.byteTokens.assign(256, -1);
    for (unsigned byte = 0; byte < 256; ++byte) {
      auto it = tokenizer.vocabulary.find(llvm::formatv("<0x{0:X-2}>", byte).str());
      if (it != tokenizer.vocabulary.end())
        tokenizer.byteTokens[byte] = it->second;
    }
  }

  llvm::Expected<PreTokenizer> preTokenizer =
      PreTokenizer::fromJSON(root->get("normalizer"), root->get("pre_tokenizer"), name);
  if (!preTokenizer)
    return preTokenizer.takeError();
  tokenizer.preTokenizer.emplace(std::move(*preTokenizer));
  if (!isAbsent(*root, "post_processor"))
    if (llvm::Error error = tokenizer.readPostProcessor(*root->get("post_processor")))
      return std::move(error);
  llvm::Expected<Decoder> decoder = Decoder::fromJSON(root->get("decoder"), name);
  if (!decoder)
    return decoder.takeError();
  tokenizer.decoder.emplace(std::move(*decoder));
  return std::move(tokenizer);
}

llvm::Error Tokenizer::readPostProcessor(const json::Value &component) {
  const json::Object *object = component.getAsObject();
  std::string type = typeOf(&component);
  if (type == "ByteLevel") // offsets only
    return llvm::Error::success();
  if (type == "Sequence")
    return readSequence(*object, "processors", "post_processor", name,
                        [&](const json::Value &step) { return readPostProcessor(step); });
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

llvm::Error Tokenizer::encodePiece(llvm::StringRef original, size_t offset,
                                   std::vector<int64_t> &ids) const {
  // Byte-level: each byte as the character that stands for it.
  bool byteLevel = preTokenizer->byteLevel();
  std::string mapped;
  if (byteLevel)
    for (char byte : original)
      unicode::appendUtf8(byteCharacter(static_cast<uint8_t>(byte)), mapped);
  llvm::StringRef piece = byteLevel ? llvm::StringRef(mapped) : original;
  // The characters, each its token, its bytes' tokens (byte_fallback) or the unknown one.
  std::vector<int64_t> word;
  for (size_t at = 0; at < piece.size();) {
    unsigned length = llvm::getNumBytesForUTF8(static_cast<llvm::UTF8>(piece[at]));
    llvm::StringRef character = piece.substr(at, length);
    auto it = vocabulary.find(character);
    std::vector<int64_t> bytes;
    if (it == vocabulary.end() && !byteTokens.empty())
      for (char byte : character) {
        int64_t token = byteTokens[static_cast<uint8_t>(byte)];
        if (token < 0) {
          bytes.clear();
          break;
        }
        bytes.push_back(token);
      }
    if (it != vocabulary.end()) {
      word.push_back(it->second);
    } else if (!bytes.empty()) {
      llvm::append_range(word, bytes);
    } else if (unknown < 0) {
      return fail(name, "the text's character '" + character + "' (at byte " +
                            llvm::Twine(offset + at) +
                            ") is not in the vocabulary, and there is no unk_token");
    } else if (!(fuseUnknown && !word.empty() && word.back() == unknown)) {
      word.push_back(unknown);
    }
    at += length;
  }
  // Merge the adjacent pair of the lowest rank (the leftmost of equals) until none merges:
  // candidates in a heap by (rank, position), symbols in a linked list, so a long piece (a
  // whole Llama prompt is one) takes O(n log n), not O(n^2).
  struct Candidate {
    int64_t rank;
    size_t left;             // the left symbol's index (its position in the piece)
    int64_t leftId, rightId; // the pair when it was pushed: stale if either changed
    int64_t merged;          // the id of their merge
    bool operator>(const Candidate &other) const {
      return rank != other.rank ? rank > other.rank : left > other.left;
    }
  };
  std::vector<size_t> next(word.size()), previous(word.size());
  std::vector<bool> alive(word.size(), true);
  for (size_t i = 0; i < word.size(); ++i) {
    next[i] = i + 1;
    previous[i] = i - 1; // wraps for the first symbol: never read
  }
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> heap;
  auto consider = [&](size_t left) {
    if (left >= word.size() || next[left] >= word.size())
      return;
    auto it = merges.find({word[left], word[next[left]]});
    if (it != merges.end())
      heap.push({it->second.first, left, word[left], word[next[left]], it->second.second});
  };
  for (size_t i = 0; i + 1 < word.size(); ++i)
    consider(i);
  while (!heap.empty()) {
    Candidate top = heap.top();
    heap.pop();
    size_t right = next[top.left];
    if (!alive[top.left] || right >= word.size() || word[top.left] != top.leftId ||
        word[right] != top.rightId)
      continue;
    word[top.left] = top.merged;
    alive[right] = false;
    next[top.left] = next[right];
    if (next[right] < word.size())
      previous[next[right]] = top.left;
    // (The first symbol is never merged away: only right ones are.)
    if (top.left > 0)
      consider(previous[top.left]);
    consider(top.left);
  }
  std::vector<int64_t> merged;
  for (size_t i = 0; i < word.size(); i = next[i])
    merged.push_back(word[i]);
  word = std::move(merged);
  llvm::append_range(ids, word);
  return llvm::Error::success();
}

llvm::Error Tokenizer::encodeStretch(llvm::StringRef stretch, size_t offset,
                                     std::vector<int64_t> &ids) const {
  llvm::Expected<std::vector<std::string>> pieces = preTokenizer->split(stretch, offset == 0);
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
  std::string valid = unicode::validUtf8(original);
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
  std::vector<std::string> texts;
  for (int64_t id : ids) {
    if (id < 0 || id >= size() || tokens[id].empty())
      return fail(name, "token " + llvm::Twine(id) + " has no text in this tokenizer");
    if (!(skipSpecial && special[id]))
      texts.push_back(tokens[id]);
  }
  return decoder->decode(std::move(texts));
}
