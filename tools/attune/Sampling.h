//===- Sampling.h - How `attune generate` chooses tokens and when it stops -------*- C++ -*-===//
#ifndef ATTUNE_TOOLS_ATTUNE_SAMPLING_H
#define ATTUNE_TOOLS_ATTUNE_SAMPLING_H

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace attune {

/// How tokens are chosen and when a sequence ends: Hugging Face's generation_config.json,
/// then the command line on top.
struct GenerationSettings {
  std::vector<int64_t> eos; // a sequence ends after any of these
  std::optional<int64_t> pad, decoderStart;
  std::optional<unsigned> maxNewTokens;
  bool sample = false;
  double temperature = 1.0;
  int64_t topK = 0;  // 0: every token
  double topP = 1.0; // 1: every token
};

/// Reads `path` into `settings`; prints the error and returns false on an unreadable file.
bool readGenerationConfig(const std::string &path, GenerationSettings &settings);

/// splitmix64: a seeded stream of uniform doubles in [0, 1), the same on every platform.
class Random {
public:
  explicit Random(uint64_t seed) : state(seed) {}
  double uniform() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return static_cast<double>((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
  }

private:
  uint64_t state;
};

/// Row r's sampling stream: the same whichever way (and in whatever batch) it is decoded.
inline Random rowRandom(uint64_t seed, size_t row) {
  return Random(seed + 0x632be59bd9b4e019ULL * row);
}

/// The next token from one position's logits: the argmax, or a sample from the softmax of
/// logits / temperature restricted to the top-k tokens and then to the smallest set whose
/// probability reaches top-p (Hugging Face's order). None when a logit is NaN or infinite:
/// no token is the answer then (weights or inputs holding NaN/Inf, or an overflow).
std::optional<int64_t> chooseToken(const float *logits, int64_t vocab, const GenerationSettings &settings,
                    Random &random);

} // namespace attune

#endif // ATTUNE_TOOLS_ATTUNE_SAMPLING_H
