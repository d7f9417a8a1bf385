//===- Pattern.cpp - The regular expressions of tokenizer.json's pre-tokenizers ----------===//
#include "tokenizer/Pattern.h"
#include "tokenizer/Unicode.h"

#include "llvm/ADT/Twine.h"

#include <algorithm>

using namespace attune;

namespace {

llvm::Error patternError(llvm::StringRef pattern, size_t at, const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "pattern '" + pattern + "': " + message + " (at character " +
                                     llvm::Twine(at) + ")");
}

/// Bounds of one find: nodes visited, and iterations of a repeated group (each recurses: a
/// few frames a repeat, so the bound keeps a sanitized build within a thread's stack).
constexpr uint64_t kMaxSteps = 50'000'000;
constexpr int kMaxGroupRepeats = 1'000;
/// Bounds of a pattern (the matcher recurses once per node of a sequence, the parser once per
/// group): the patterns of real tokenizers have a few hundred characters and nest two deep.
constexpr size_t kMaxPatternCharacters = 4'000;
constexpr int kMaxNesting = 50;

uint32_t swapAsciiCase(uint32_t c) {
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
    return c ^ 0x20;
  return c;
}

} // namespace

/// Recursive descent over the pattern's code points into `nodes`.
class Pattern::Parser {
public:
  Parser(llvm::StringRef source, Pattern &pattern)
      : source(source), chars(unicode::decodeUtf8Lossy(source)), pattern(pattern) {}

  llvm::Expected<int> parse() {
    if (chars.size() > kMaxPatternCharacters)
      return patternError(source, kMaxPatternCharacters,
                          "longer than " + llvm::Twine(kMaxPatternCharacters) + " characters");
    llvm::Expected<int> top = alternatives(false);
    if (top && at < chars.size())
      return patternError(source, at, "unmatched ')'");
    return top;
  }

private:
  bool done() const { return at >= chars.size(); }
  uint32_t peek() const { return chars[at]; }
  bool accept(uint32_t c) {
    if (done() || peek() != c)
      return false;
    ++at;
    return true;
  }
  llvm::Error error(const llvm::Twine &message) const { return patternError(source, at, message); }

  int add(Node node) {
    pattern.nodes.push_back(std::move(node));
    return static_cast<int>(pattern.nodes.size()) - 1;
  }
  int single(ClassItem item, bool negated = false) {
    Node node{Node::Class, {item}};
    node.negated = negated;
    node.foldCase = foldCase;
    return add(std::move(node));
  }

  llvm::Expected<int> alternatives(bool inGroup) {
    Node node{Node::Alternatives};
    for (;;) {
      llvm::Expected<int> branch = sequence(inGroup);
      if (!branch)
        return branch.takeError();
      node.children.push_back(*branch);
      if (!accept('|'))
        break;
    }
    if (node.children.size() == 1)
      return node.children[0];
    return add(std::move(node));
  }

  llvm::Expected<int> sequence(bool inGroup) {
    Node node{Node::Sequence};
    while (!done() && peek() != '|' && !(inGroup && peek() == ')')) {
      if (!inGroup && peek() == ')')
        break;
      llvm::Expected<int> item = repeated();
      if (!item)
        return item.takeError();
      node.children.push_back(*item);
    }
    return add(std::move(node));
  }

  llvm::Expected<int> repeated() {
    llvm::Expected<int> item = atom();
    if (!item || done())
      return item;
    int min = -2, max = -1;
    if (accept('*')) {
      min = 0;
    } else if (accept('+')) {
      min = 1;
    } else if (accept('?')) {
      min = 0;
      max = 1;
    } else if (peek() == '{') {
      ++at;
      std::optional<int> low = number();
      if (!low)
        return error("a quantifier {n}, {n,} or {n,m} needs a number");
      min = max = *low;
      if (accept(',')) {
        max = -1;
        if (std::optional<int> high = number())
          max = *high;
      }
      if (!accept('}') || (max >= 0 && max < min))
        return error("a malformed {n,m} quantifier");
    }
    if (min == -2)
      return item;
    if (!done() && (peek() == '?' || peek() == '+'))
      return error("lazy and possessive quantifiers are not supported");
    Node node{Node::Repeat};
    node.children = {*item};
    node.min = min;
    node.max = max;
    return add(std::move(node));
  }

  std::optional<int> number() {
    size_t start = at;
    int value = 0;
    while (!done() && peek() >= '0' && peek() <= '9' && value < 100000)
      value = value * 10 + static_cast<int>(peek() - '0'), ++at;
    if (at == start)
      return std::nullopt;
    return value;
  }

  llvm::Expected<int> atom() {
    uint32_t c = peek();
    size_t start = at++;
    switch (c) {
    case '(':
      return group();
    case '[':
      return characterClass();
    case '.': {
      Node node{Node::Class, {{ClassItem::Range, false, '\n', '\n'}}};
      node.negated = true;
      return add(std::move(node));
    }
    case '\\': {
      llvm::Expected<ClassItem> item = escape();
      if (!item)
        return item.takeError();
      return single(*item);
    }
    case '^':
    case '$':
      at = start;
      return error("anchors are not supported");
    case '*':
    case '+':
    case '?':
    case '{':
      at = start;
      return error("a quantifier with nothing to repeat");
    default:
      return single({ClassItem::Range, false, c, c});
    }
  }

  llvm::Expected<int> group() {
    if (++nesting > kMaxNesting)
      return error("groups nested more than " + llvm::Twine(kMaxNesting) + " deep");
    bool savedFold = foldCase;
    std::optional<bool> lookahead; // negated?
    if (accept('?')) {
      if (accept(':')) {
      } else if (accept('i')) {
        if (!accept(':'))
          return error("only the (?i:...) form of flags is supported");
        foldCase = true;
      } else if (accept('!')) {
        lookahead = true;
      } else if (accept('=')) {
        lookahead = false;
      } else {
        return error("this (?...) group is not supported (lookbehinds, named groups, flags)");
      }
    }
    llvm::Expected<int> inner = alternatives(true);
    foldCase = savedFold;
    --nesting;
    if (!inner)
      return inner.takeError();
    if (!accept(')'))
      return error("an unclosed group");
    if (!lookahead)
      return inner;
    Node node{Node::Lookahead};
    node.children = {*inner};
    node.negated = *lookahead;
    return add(std::move(node));
  }

  llvm::Expected<int> characterClass() {
    Node node{Node::Class};
    node.foldCase = foldCase;
    node.negated = accept('^');
    bool first = true;
    while (!done() && (peek() != ']' || first)) {
      first = false;
      uint32_t c = peek();
      ++at;
      ClassItem item{ClassItem::Range, false, c, c};
      if (c == '\\') {
        llvm::Expected<ClassItem> escaped = escape();
        if (!escaped)
          return escaped.takeError();
        item = *escaped;
      }
      // A range a-b (a '-' first, last or after a range is itself).
      if (item.kind == ClassItem::Range && at + 1 < chars.size() && peek() == '-' &&
          chars[at + 1] != ']') {
        ++at;
        uint32_t last = peek();
        ++at;
        if (last == '\\') {
          llvm::Expected<ClassItem> escaped = escape();
          if (!escaped)
            return escaped.takeError();
          if (escaped->kind != ClassItem::Range)
            return error("a range must end at a character");
          last = escaped->first;
        }
        if (last < item.first)
          return error("a range out of order");
        item.last = last;
      }
      node.items.push_back(item);
    }
    if (!accept(']'))
      return error("an unclosed character class");
    return add(std::move(node));
  }

  /// After a backslash: an escaped character or a class.
  llvm::Expected<ClassItem> escape() {
    if (done())
      return error("a pattern ending in a backslash");
    uint32_t c = peek();
    ++at;
    auto character = [](uint32_t value) {
      return ClassItem{ClassItem::Range, false, value, value};
    };
    switch (c) {
    case 'r':
      return character('\r');
    case 'n':
      return character('\n');
    case 't':
      return character('\t');
    case 'f':
      return character('\f');
    case 'v':
      return character('\v');
    case 's':
      return ClassItem{ClassItem::Space};
    case 'S':
      return ClassItem{ClassItem::Space, true};
    case 'p':
    case 'P': {
      // \p{L}, \p{N} (and \pL, \pN).
      bool braced = accept('{');
      uint32_t name = done() ? 0 : peek();
      ++at;
      if ((name != 'L' && name != 'N') || (braced && !accept('}')))
        return error("only the Unicode classes \\p{L} and \\p{N} (and \\P) are supported");
      return ClassItem{name == 'L' ? ClassItem::Letter : ClassItem::Number, c == 'P'};
    }
    default:
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return error("the escape \\" + std::string(1, static_cast<char>(c)) + " is not supported");
      return character(c);
    }
  }

  llvm::StringRef source;
  std::vector<uint32_t> chars;
  Pattern &pattern;
  size_t at = 0;
  bool foldCase = false;
  int nesting = 0;
};

/// Backtracking with continuations: match(node, at, then) is true when the node matches at
/// `at` and `then` accepts where it ends, trying the node's ways in the pattern's order.
class Pattern::Matcher {
public:
  Matcher(const Pattern &pattern, llvm::ArrayRef<uint32_t> text) : p(pattern), text(text) {}

  /// Whether a bound was reached: every match fails from then on.
  bool exhausted() const { return steps > kMaxSteps; }

  bool match(int id, size_t at, llvm::function_ref<bool(size_t)> then) const {
    if (++steps > kMaxSteps)
      return false;
    const Node &node = p.nodes[id];
    switch (node.kind) {
    case Node::Class:
      return at < text.size() && contains(node, text[at]) && then(at + 1);
    case Node::Sequence:
      return sequence(node, 0, at, then);
    case Node::Alternatives:
      for (int child : node.children)
        if (match(child, at, then))
          return true;
      return false;
    case Node::Repeat:
      return repeat(node, at, then);
    case Node::Lookahead: {
      bool found = match(node.children[0], at, [](size_t) { return true; });
      return found != node.negated && then(at);
    }
    }
    return false;
  }

private:
  bool contains(const Node &node, uint32_t c) const {
    auto has = [&](uint32_t x) {
      for (const ClassItem &item : node.items) {
        bool in = false;
        switch (item.kind) {
        case ClassItem::Range:
          in = x >= item.first && x <= item.last;
          break;
        case ClassItem::Letter:
          in = unicode::isLetter(x);
          break;
        case ClassItem::Number:
          in = unicode::isNumber(x);
          break;
        case ClassItem::Space:
          in = unicode::isWhitespace(x);
          break;
        }
        if (in != item.negated)
          return true;
      }
      return false;
    };
    bool in = has(c) || (node.foldCase && has(swapAsciiCase(c)));
    return in != node.negated;
  }

  bool sequence(const Node &node, size_t index, size_t at,
                llvm::function_ref<bool(size_t)> then) const {
    if (index == node.children.size())
      return then(at);
    return match(node.children[index], at,
                 [&](size_t next) { return sequence(node, index + 1, next, then); });
  }

  bool repeat(const Node &node, size_t at, llvm::function_ref<bool(size_t)> then) const {
    const Node &child = p.nodes[node.children[0]];
    if (child.kind == Node::Class) {
      // A repeated class (every quantifier of the tokenizers' patterns): count the run, then
      // give back one at a time, without recursing once per character.
      size_t count = 0;
      while (at + count < text.size() && (node.max < 0 || count < size_t(node.max)) &&
             contains(child, text[at + count]))
        ++count;
      for (size_t n = count + 1; n-- > size_t(node.min);)
        if (then(at + n))
          return true;
      return false;
    }
    return repeatGeneral(node, 0, at, then);
  }

  bool repeatGeneral(const Node &node, int count, size_t at,
                     llvm::function_ref<bool(size_t)> then) const {
    if (count > kMaxGroupRepeats) {
      steps = kMaxSteps + 1;
      return false;
    }
    if ((node.max < 0 || count < node.max) && match(node.children[0], at, [&](size_t next) {
          // An empty iteration would loop forever: past the minimum it ends the repeat.
          if (next == at && count >= node.min)
            return false;
          return repeatGeneral(node, count + 1, next, then);
        }))
      return true;
    return count >= node.min && then(at);
  }

  const Pattern &p;
  llvm::ArrayRef<uint32_t> text;
  mutable uint64_t steps = 0;
};

llvm::Expected<Pattern> Pattern::compile(llvm::StringRef source) {
  Pattern pattern;
  Parser parser(source, pattern);
  llvm::Expected<int> root = parser.parse();
  if (!root)
    return root.takeError();
  pattern.root = *root;
  return pattern;
}

Pattern Pattern::literal(llvm::StringRef literal) {
  Pattern pattern;
  pattern.literalText = unicode::decodeUtf8Lossy(literal);
  return pattern;
}

llvm::Expected<std::optional<std::pair<size_t, size_t>>>
Pattern::find(llvm::ArrayRef<uint32_t> text, size_t from) const {
  if (literalText) {
    const std::vector<uint32_t> &needle = *literalText;
    if (needle.empty() || from >= text.size())
      return std::nullopt;
    auto at = std::search(text.begin() + from, text.end(), needle.begin(), needle.end());
    if (at == text.end())
      return std::nullopt;
    size_t begin = at - text.begin();
    return std::make_pair(begin, begin + needle.size());
  }
  Matcher matcher(*this, text);
  for (size_t begin = from; begin < text.size(); ++begin) {
    size_t end = begin;
    bool found = matcher.match(root, begin, [&](size_t at) {
      end = at;
      return at > begin;
    });
    // (Past a bound, a match may have been found on a cut-short path: not the pattern's.)
    if (matcher.exhausted())
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "the pattern takes too long to match this text (at character " + llvm::Twine(begin) +
              ": it backtracks too much, or repeats a group too often)");
    if (found)
      return std::make_pair(begin, end);
  }
  return std::nullopt;
}
