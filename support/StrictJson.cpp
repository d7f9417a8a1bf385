//===- StrictJson.cpp - JSON as llvm::json reads it, keys given twice refused -------------===//

#include "support/StrictJson.h"

#include "llvm/ADT/StringSet.h"

#include <vector>

using namespace llvm;

namespace {

/// "[line:col]" of byte `offset` in `text`, as llvm::json's own errors say where they are.
std::string positionOf(StringRef text, size_t offset) {
  StringRef before = text.take_front(offset);
  size_t line = before.count('\n') + 1;
  size_t lineStart = before.rfind('\n');
  size_t column = offset - (lineStart == StringRef::npos ? 0 : lineStart + 1) + 1;
  return "[" + std::to_string(line) + ":" + std::to_string(column) + "]";
}

/// The first key given twice in one object of `text`, which llvm::json has already found to
/// be valid JSON (so strings end and brackets match): its unescaped text and where the second
/// one is. A scan of the text, since the parsed Value keeps one of the two.
std::optional<std::pair<std::string, size_t>> findRepeatedKey(StringRef text) {
  struct Frame {
    bool isObject;
    bool expectKey;
    StringSet<> keys;
  };
  std::vector<Frame> stack;
  for (size_t i = 0; i < text.size(); ++i) {
    char ch = text[i];
    if (ch == '{' || ch == '[') {
      stack.push_back({ch == '{', ch == '{', {}});
    } else if (ch == '}' || ch == ']') {
      stack.pop_back();
    } else if (ch == ',') {
      stack.back().expectKey = stack.back().isObject;
    } else if (ch == '"') {
      size_t begin = i;
      for (++i; text[i] != '"'; ++i)
        if (text[i] == '\\')
          ++i;
      if (stack.empty() || !stack.back().expectKey)
        continue;
      stack.back().expectKey = false;
      StringRef quoted = text.slice(begin, i + 1);
      std::string key = quoted.drop_front().drop_back().str();
      if (quoted.contains('\\')) {
        // Escapes are llvm::json's to decode: "a" and "\u0061" are the same key.
        Expected<json::Value> decoded = json::parse(quoted);
        if (!decoded)
          return std::nullopt; // cannot happen: the whole text parsed
        key = decoded->getAsString()->str();
      }
      if (!stack.back().keys.insert(key).second)
        return std::make_pair(key, begin);
    }
  }
  return std::nullopt;
}

} // namespace

Expected<json::Value> attune::parseStrictJson(StringRef text) {
  Expected<json::Value> parsed = json::parse(text);
  if (!parsed)
    return parsed.takeError();
  if (auto repeated = findRepeatedKey(text)) {
    std::string message = positionOf(text, repeated->second) + ": key '" + repeated->first +
                          "' is given twice in one object";
    return createStringError(inconvertibleErrorCode(), message);
  }
  return parsed;
}
