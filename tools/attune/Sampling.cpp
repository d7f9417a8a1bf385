//===- Sampling.cpp - How `attune generate` chooses tokens and when it stops ---------------===//
#include "tools/attune/Sampling.h"
#include "support/StrictJson.h"
#include "tools/attune/TensorIO.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace attune;

namespace {

/// A JSON integer or list of integers (eos_token_id may be either).
std::vector<int64_t> integers(const llvm::json::Value *value) {
  std::vector<int64_t> out;
  if (!value)
    return out;
  if (std::optional<int64_t> one = value->getAsInteger())
    out.push_back(*one);
  else if (const llvm::json::Array *list = value->getAsArray())
    for (const llvm::json::Value &item : *list)
      if (std::optional<int64_t> id = item.getAsInteger())
        out.push_back(*id);
  return out;
}

} // namespace

bool attune::readGenerationConfig(const std::string &path, GenerationSettings &settings) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer) {
    llvm::errs() << "attune: cannot read " << path << ": " << buffer.getError().message() << "\n";
    return false;
  }
  llvm::Expected<llvm::json::Value> parsed = parseStrictJson((*buffer)->getBuffer());
  if (!parsed) {
    llvm::errs() << "attune: " << path << ": " << llvm::toString(parsed.takeError()) << "\n";
    return false;
  }
  const llvm::json::Object *config = parsed->getAsObject();
  if (!config) {
    llvm::errs() << "attune: " << path << ": not a JSON object\n";
    return false;
  }
  settings.eos = integers(config->get("eos_token_id"));
  if (std::optional<int64_t> pad = config->getInteger("pad_token_id"))
    settings.pad = *pad;
  if (std::optional<int64_t> start = config->getInteger("decoder_start_token_id"))
    settings.decoderStart = *start;
  settings.sample = config->getBoolean("do_sample").value_or(false);
  settings.temperature = config->getNumber("temperature").value_or(1.0);
  settings.topK = config->getInteger("top_k").value_or(0);
  settings.topP = config->getNumber("top_p").value_or(1.0);
  if (std::optional<int64_t> count = config->getInteger("max_new_tokens"); count && *count > 0)
    settings.maxNewTokens = static_cast<unsigned>(std::min<int64_t>(*count, 1 << 20));
  return true;
}

std::optional<int64_t> attune::chooseToken(const float *logits, int64_t vocab,
                                           const GenerationSettings &settings, Random &random) {
  if (!std::all_of(logits, logits + vocab, [](float x) { return std::isfinite(x); }))
    return std::nullopt;
  if (!settings.sample)
    return static_cast<int64_t>(argmax(logits, vocab));
  // Ordered by logit only as far as a filter looks: the top k, or all for top-p alone (a
  // full sort of a 50K vocabulary per token costs milliseconds); unfiltered, none.
  std::vector<int64_t> order(vocab);
  std::iota(order.begin(), order.end(), 0);
  size_t keep = settings.topK > 0 ? std::min<size_t>(settings.topK, vocab) : vocab;
  if (keep < static_cast<size_t>(vocab) || settings.topP < 1.0)
    std::partial_sort(order.begin(), order.begin() + keep, order.end(), [&](int64_t a, int64_t b) {
      return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
    });
  float largest = *std::max_element(logits, logits + vocab);
  std::vector<double> weights(keep);
  for (size_t i = 0; i < keep; ++i)
    weights[i] = std::exp((logits[order[i]] - largest) / settings.temperature);
  double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  if (settings.topP < 1.0) {
    double reached = 0;
    size_t kept = 0;
    while (kept < keep && (kept == 0 || reached < settings.topP * total))
      reached += weights[kept++];
    keep = kept;
    total = reached;
  }
  double target = random.uniform() * total;
  for (size_t i = 0; i < keep; ++i) {
    target -= weights[i];
    if (target < 0)
      return order[i];
  }
  return order[keep - 1];
}
