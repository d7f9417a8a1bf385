//===- Unicode.cpp - The Unicode facts tokenizers split text by ------------------===//
#include "tokenizer/Unicode.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <utility>

using namespace attune;

namespace {

struct CodePointRange {
  uint32_t first, last;
};
struct CanonicalDecomposition {
  uint32_t from, to[4]; // to: zero-padded
};
struct CombiningClass {
  uint32_t c;
  uint8_t ccc;
};
struct CanonicalComposition {
  uint32_t first, second, composite;
};

#include "tokenizer/UnicodeTables.inc"

template <size_t N> bool inRanges(const CodePointRange (&ranges)[N], uint32_t c) {
  const CodePointRange *after =
      std::upper_bound(ranges, ranges + N, c,
                       [](uint32_t value, const CodePointRange &r) { return value < r.first; });
  return after != ranges && c <= after[-1].last;
}

// Hangul syllables compose and decompose by arithmetic (Unicode 3.12).
constexpr uint32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr uint32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount,
                   kSCount = kLCount * kNCount;

uint8_t combiningClass(uint32_t c) {
  const CombiningClass *end = std::end(kCombiningClasses);
  const CombiningClass *at =
      std::lower_bound(std::begin(kCombiningClasses), end, c,
                       [](const CombiningClass &entry, uint32_t value) { return entry.c < value; });
  return at != end && at->c == c ? at->ccc : 0;
}

void decompose(uint32_t c, std::vector<uint32_t> &out) {
  if (c >= kSBase && c < kSBase + kSCount) {
    uint32_t index = c - kSBase;
    out.push_back(kLBase + index / kNCount);
    out.push_back(kVBase + index % kNCount / kTCount);
    if (index % kTCount)
      out.push_back(kTBase + index % kTCount);
    return;
  }
  const CanonicalDecomposition *end = std::end(kDecompositions);
  const CanonicalDecomposition *at = std::lower_bound(
      std::begin(kDecompositions), end, c,
      [](const CanonicalDecomposition &entry, uint32_t value) { return entry.from < value; });
  if (at == end || at->from != c) {
    out.push_back(c);
    return;
  }
  for (uint32_t part : at->to)
    if (part)
      out.push_back(part);
}

/// The primary composite of `first` and `second`, or 0.
uint32_t compose(uint32_t first, uint32_t second) {
  if (first >= kLBase && first < kLBase + kLCount && second >= kVBase && second < kVBase + kVCount)
    return kSBase + ((first - kLBase) * kVCount + (second - kVBase)) * kTCount;
  if (first >= kSBase && first < kSBase + kSCount && (first - kSBase) % kTCount == 0 &&
      second > kTBase && second < kTBase + kTCount)
    return first + (second - kTBase);
  const CanonicalComposition *end = std::end(kCompositions);
  const CanonicalComposition *at =
      std::lower_bound(std::begin(kCompositions), end, std::make_pair(first, second),
                       [](const CanonicalComposition &entry, std::pair<uint32_t, uint32_t> value) {
                         return std::make_pair(entry.first, entry.second) < value;
                       });
  return at != end && at->first == first && at->second == second ? at->composite : 0;
}

} // namespace

std::vector<uint32_t> unicode::toNFC(llvm::ArrayRef<uint32_t> text) {
  // Canonical decomposition.
  std::vector<uint32_t> chars;
  chars.reserve(text.size());
  for (uint32_t c : text)
    decompose(c, chars);
  // Canonical ordering: each run of combining marks stably sorted by class.
  for (size_t i = 0; i < chars.size();) {
    if (!combiningClass(chars[i])) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < chars.size() && combiningClass(chars[end]))
      ++end;
    std::stable_sort(chars.begin() + i, chars.begin() + end,
                     [](uint32_t a, uint32_t b) { return combiningClass(a) < combiningClass(b); });
    i = end;
  }
  // Canonical composition: each character joins the last starter unless blocked (a character
  // between them of the same or a higher class, or a starter).
  std::vector<uint32_t> out;
  out.reserve(chars.size());
  size_t starter = SIZE_MAX;
  int lastClass = -1;
  for (uint32_t c : chars) {
    int ccc = combiningClass(c);
    if (starter != SIZE_MAX && (lastClass < ccc || (lastClass == 0 && starter + 1 == out.size()))) {
      if (uint32_t composite = compose(out[starter], c)) {
        out[starter] = composite;
        continue;
      }
    }
    if (ccc == 0) {
      starter = out.size();
      lastClass = 0;
    } else {
      lastClass = ccc;
    }
    out.push_back(c);
  }
  return out;
}

bool unicode::isLetter(uint32_t c) {
  if (c < 0x80)
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
  return inRanges(kLetterRanges, c);
}

bool unicode::isNumber(uint32_t c) {
  if (c < 0x80)
    return c >= '0' && c <= '9';
  return inRanges(kNumberRanges, c);
}

bool unicode::isWhitespace(uint32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

std::vector<uint32_t> unicode::decodeUtf8Lossy(llvm::StringRef text, bool *invalid) {
  std::vector<uint32_t> out;
  out.reserve(text.size());
  if (invalid)
    *invalid = false;
  auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  for (size_t i = 0; i < text.size();) {
    uint8_t lead = byte(i);
    if (lead < 0x80) {
      out.push_back(lead);
      ++i;
      continue;
    }
    // The sequence's length and the range its second byte must be in (Unicode Table 3-7:
    // no overlong forms, no surrogates, nothing past U+10FFFF).
    int length = 0;
    uint8_t low = 0x80, high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      low = lead == 0xE0 ? 0xA0 : 0x80;
      high = lead == 0xED ? 0x9F : 0xBF;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      low = lead == 0xF0 ? 0x90 : 0x80;
      high = lead == 0xF4 ? 0x8F : 0xBF;
    }
    // The maximal subpart: the lead and as many well-formed continuation bytes as follow.
    uint32_t c = length == 2 ? lead & 0x1F : length == 3 ? lead & 0x0F : lead & 0x07;
    int taken = 1;
    while (length && taken < length && i + taken < text.size()) {
      uint8_t next = byte(i + taken);
      if (next < (taken == 1 ? low : 0x80) || next > (taken == 1 ? high : 0xBF))
        break;
      c = c << 6 | (next & 0x3F);
      ++taken;
    }
    if (length && taken == length) {
      out.push_back(c);
    } else {
      out.push_back(kReplacement);
      if (invalid)
        *invalid = true;
    }
    i += taken;
  }
  return out;
}

std::string unicode::encodeUtf8(llvm::ArrayRef<uint32_t> text) {
  std::string out;
  out.reserve(text.size());
  for (uint32_t c : text)
    appendUtf8(c, out);
  return out;
}

std::string unicode::validUtf8(llvm::StringRef text) {
  bool invalid = false;
  std::vector<uint32_t> characters = decodeUtf8Lossy(text, &invalid);
  return invalid ? encodeUtf8(characters) : text.str();
}

void unicode::appendUtf8(uint32_t c, std::string &out) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | c >> 6);
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | c >> 12);
    out += static_cast<char>(0x80 | (c >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | c >> 18);
    out += static_cast<char>(0x80 | (c >> 12 & 0x3F));
    out += static_cast<char>(0x80 | (c >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}
