// attune generate: token-by-token generation with a built causal LM or encoder-decoder.
//
// Where the library has a KV-cached step (`<entry>_step`), the prompts of a batch are
// prefilled together into a session's cache (right-padded to the longest) and each step then
// decodes one token per row; otherwise (or with --recompute) each step runs the model on the
// sequence so far, one prompt at a time. Either way the next token comes from the logits at a
// row's last position: greedily, or by sampling (temperature, top-k, top-p, a seed; each row
// draws from its own stream), with the defaults and the eos/pad/decoder-start ids of the
// checkpoint's generation_config.json. Each row is what that prompt gives alone. Prompts come
// as ids or as text, which the checkpoint's tokenizer.json encodes and the answers' tokens are
// decoded by; more prompts than the library's batch bound run in batches of it.
// Anything that cannot be generated as asked (a prompt past the library's bound, ids outside
// the vocabulary, an option the model does not take) is an error before the first step.
#include "tools/attune/CommandLine.h"
#include "tools/attune/Commands.h"
#include "tools/attune/LoadedLibrary.h"
#include "tools/attune/Sampling.h"
#include "tools/attune/TensorIO.h"
#include "tools/attune/TokenPrinter.h"

#include "tokenizer/Tokenizer.h"

#include "ir/Abi.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>
#include <chrono>
#include <optional>

using namespace attune;
namespace cl = llvm::cl;

namespace {

/// What a generation run measured and produced.
struct GenerationResult {
  double promptMs = 0, decodeMs = 0;
  int64_t promptTokens = 0, decodeTokens = 0;
  std::vector<std::vector<int64_t>> generated; // each row's new tokens
};

/// Generation through the KV cache of the step of `entry`: one prefill of every prompt
/// (right-padded), then one decode call per token for the whole batch; a row that has ended
/// gets padding that its cache does not keep. `extra`: the step's other inputs, the same every
/// call (an encoder's output). Rows are numbered from `firstRow` (their sampling streams and
/// labels). Prints each row's tokens through `printer` (as they come for a single row, labelled
/// `streamRow` when it is one of several). With `repeat` > 1 the whole generation runs again
/// on the same session (its cache reset) and the fastest prefill and decode count: warm
/// figures, like `attune run --repeat`. Returns false after printing the runtime's error.
bool generateCached(LoadedLibrary &library, const std::string &entry,
                    const attune_tensor &tokenInput, const std::vector<OwnedTensor> &extra,
                    const std::vector<std::vector<int64_t>> &prompts, size_t firstRow,
                    TokenPrinter &printer, std::optional<size_t> streamRow,
                    unsigned maxNewTokens, unsigned repeat, const GenerationSettings &settings,
                    uint64_t seed, GenerationResult &result) {
  const attune_runtime &rt = library.api();
  using Clock = std::chrono::steady_clock;
  auto millisecondsSince = [](Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
  };
  int64_t rows = static_cast<int64_t>(prompts.size()), longest = 0;
  for (const auto &prompt : prompts)
    longest = std::max<int64_t>(longest, static_cast<int64_t>(prompt.size()));
  attune_session *session = nullptr;
  auto fail = [&](const char *what) {
    llvm::errs() << "attune: " << what << ": " << rt.last_error() << "\n";
    rt.session_destroy(session);
    return false;
  };
  if (rt.session_create(library.model(), &session) != ATTUNE_OK)
    return fail("session");
  if (rt.session_reserve_cache(session, entry.c_str(), rows, longest + maxNewTokens - 1) !=
      ATTUNE_OK)
    return fail("KV cache");
  std::vector<attune_tensor> outputs = library.outputs(entry + abi::kStepSuffix.str());
  int64_t vocab = outputs[0].shape[outputs[0].rank - 1];
  int64_t pad = settings.pad.value_or(0);

  // Prefill: the prompts right-padded to the longest; each row's next token from the logits
  // at its own last prompt position.
  std::vector<std::vector<int64_t>> padded(prompts);
  std::vector<int64_t> lengths, last;
  for (auto &row : padded) {
    lengths.push_back(static_cast<int64_t>(row.size()));
    last.push_back(lengths.back() - 1);
    row.resize(longest, pad);
  }
  std::vector<std::vector<int64_t>> generated, firstPass;
  double promptMs = 0, decodeMs = 0;
  int64_t decodeTokens = 0;
  for (unsigned pass = 0; pass < std::max(1u, repeat); ++pass) {
    bool stream = rows == 1 && pass == 0;
    if (stream)
      printer.beginStream(streamRow);
    std::vector<Random> randoms;
    for (int64_t r = 0; r < rows; ++r)
      randoms.push_back(rowRandom(seed, firstRow + r));
    generated.assign(rows, {});
    std::vector<bool> ended(rows, false);
    OwnedTensor ids = tokenTensor(tokenInput, padded);
    OwnedTensor logits = OwnedTensor::make(outputs[0].name, ATTUNE_F32, {rows, longest, vocab});
    // Each running row's next token; false (said why) when a row's logits are not finite.
    auto choose = [&](int64_t positions, const std::vector<int64_t> &at) {
      const auto *data = reinterpret_cast<const float *>(logits.bytes.data());
      for (int64_t r = 0; r < rows; ++r) {
        if (ended[r])
          continue;
        std::optional<int64_t> chosen = chooseToken(data + (r * positions + at[r]) * vocab,
                                                    vocab, settings, randoms[r]);
        if (!chosen) {
          llvm::errs() << "\nattune: the logits of sequence " << firstRow + r << " after "
                       << generated[r].size() << " new tokens are not finite (NaN or Inf): "
                       << kNotFiniteCauses << "\n";
          rt.session_destroy(session);
          return false;
        }
        int64_t next = *chosen;
        generated[r].push_back(next);
        ended[r] = llvm::is_contained(settings.eos, next);
        if (stream)
          printer.stream(next);
      }
      return true;
    };
    std::vector<attune_tensor> in;
    auto inputs = [&]() {
      in = {ids.tensor()};
      for (const OwnedTensor &t : extra)
        in.push_back(t.tensor());
      return in.data();
    };
    if (rt.session_reset_cache(session) != ATTUNE_OK)
      return fail("KV cache");
    auto started = Clock::now();
    attune_tensor out = logits.tensor();
    if (rt.session_append(session, inputs(), extra.size() + 1, lengths.data(), &out, 1) !=
        ATTUNE_OK)
      return fail("prefill");
    if (!choose(longest, last))
      return false;
    double passPrompt = millisecondsSince(started);

    // Decode: one token per row, each after the tokens its cache holds.
    auto decodeStarted = Clock::now();
    logits = OwnedTensor::make(outputs[0].name, ATTUNE_F32, {rows, 1, vocab});
    std::vector<int64_t> keep(rows), first(rows, 0);
    int64_t passTokens = 0;
    for (unsigned step = 1; step < maxNewTokens; ++step) {
      if (std::all_of(ended.begin(), ended.end(), [](bool e) { return e; }))
        break;
      std::vector<std::vector<int64_t>> next(rows, {pad});
      for (int64_t r = 0; r < rows; ++r) {
        keep[r] = ended[r] ? 0 : 1;
        if (!ended[r])
          next[r][0] = generated[r].back();
      }
      ids = tokenTensor(tokenInput, next);
      out = logits.tensor();
      if (rt.session_append(session, inputs(), extra.size() + 1, keep.data(), &out, 1) !=
          ATTUNE_OK)
        return fail("decode");
      for (int64_t r = 0; r < rows; ++r)
        passTokens += keep[r];
      if (!choose(1, first))
        return false;
    }
    double passDecode = millisecondsSince(decodeStarted);
    if (stream)
      printer.endStream();
    // Every pass must generate what the first did (its cache reset, its context recomputed).
    if (pass == 0) {
      firstPass = generated;
    } else if (generated != firstPass) {
      llvm::errs() << "attune: generation " << pass + 1 << " of --repeat differs from the first\n";
      rt.session_destroy(session);
      return false;
    }
    promptMs = pass == 0 ? passPrompt : std::min(promptMs, passPrompt);
    decodeMs = pass == 0 ? passDecode : std::min(decodeMs, passDecode);
    decodeTokens = passTokens;
  }
  rt.session_destroy(session);
  if (rows > 1)
    for (int64_t r = 0; r < rows; ++r)
      printer.printRow(firstRow + r, generated[r]);
  result.promptMs += promptMs;
  result.decodeMs += decodeMs;
  result.decodeTokens += decodeTokens;
  for (const auto &prompt : prompts)
    result.promptTokens += static_cast<int64_t>(prompt.size());
  llvm::append_range(result.generated, generated);
  return true;
}

/// Token ids from every row of a tensor of the --input file.
bool readPrompts(LoadedLibrary &library, const std::string &input, const std::string &tensorName,
                 const std::string &entry, std::vector<std::vector<int64_t>> &rows) {
  std::vector<OwnedTensor> read;
  if (!readInputs(library, input, tensorName, read, entry))
    return false;
  attune_tensor t = read[0].tensor();
  int64_t length = t.shape[t.rank - 1];
  int64_t count = static_cast<int64_t>(read[0].elements()) / std::max<int64_t>(length, 1);
  for (int64_t r = 0; r < count; ++r) {
    std::vector<int64_t> row;
    for (int64_t i = 0; i < length; ++i)
      row.push_back(integerAt(t, r * length + i));
    rows.push_back(std::move(row));
  }
  return true;
}

/// Appends the non-blank lines of `path` to `lines`; prints the error if it cannot be read.
bool readLines(const std::string &path, std::vector<std::string> &lines) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer) {
    llvm::errs() << "attune: cannot read " << path << ": " << buffer.getError().message() << "\n";
    return false;
  }
  llvm::SmallVector<llvm::StringRef> split;
  (*buffer)->getBuffer().split(split, '\n');
  for (llvm::StringRef line : split)
    if (!line.rtrim("\r").trim().empty())
      lines.push_back(line.rtrim("\r").str());
  return true;
}

/// The ids of each text prompt; prints which prompt the tokenizer cannot encode.
bool encodePrompts(const Tokenizer &tokenizer, const std::vector<std::string> &texts,
                   std::vector<std::vector<int64_t>> &rows) {
  for (size_t r = 0; r < texts.size(); ++r) {
    llvm::Expected<std::vector<int64_t>> ids = tokenizer.encode(texts[r]);
    if (!ids) {
      llvm::errs() << "attune: prompt " << r << " (\"" << texts[r]
                   << "\"): " << llvm::toString(ids.takeError()) << "\n";
      return false;
    }
    rows.push_back(std::move(*ids));
  }
  return true;
}

/// Every id of `rows` in [0, vocab) and every row non-empty and at most `bound` long; prints
/// what is wrong otherwise.
bool checkPrompts(const std::vector<std::vector<int64_t>> &rows, int64_t vocab, int64_t bound,
                  llvm::StringRef what, llvm::StringRef symbol) {
  for (size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].empty()) {
      llvm::errs() << "attune: " << what << " " << r << " is empty\n";
      return false;
    }
    if (bound && static_cast<int64_t>(rows[r].size()) > bound) {
      llvm::errs() << "attune: " << what << " " << r << " has " << rows[r].size()
                   << " tokens; the library was built for " << symbol << " <= " << bound
                   << " (rebuild with a larger bound)\n";
      return false;
    }
    for (int64_t id : rows[r])
      if (vocab && (id < 0 || id >= vocab)) {
        llvm::errs() << "attune: " << what << " " << r << " has token " << id
                     << ", outside the model's vocabulary [0, " << vocab << ")\n";
        return false;
      }
  }
  return true;
}

} // namespace

int attune::generateCommand(int argc, char **argv) {
  cl::OptionCategory category("attune generate options");
  cl::opt<std::string> libraryPath(cl::Positional, cl::Required, cl::desc("<libNAME.so>"),
                                   cl::cat(category));
  cl::opt<std::string> weights("weights", cl::Required, cl::desc(kWeightsHelp),
                               cl::value_desc("path"), cl::cat(category));
  cl::opt<std::string> promptIds("prompt-ids",
                                 cl::desc("A causal LM's prompt: 1,2,3, or a batch 1,2;3,4,5 of "
                                          "any lengths"),
                                 cl::cat(category));
  cl::alias tokensAlias("tokens", cl::desc("Alias for --prompt-ids"), cl::aliasopt(promptIds),
                        cl::cat(category));
  cl::opt<std::string> encoderIds("encoder-ids",
                                  cl::desc("An encoder-decoder's encoder input: 1,2,3, or a "
                                           "batch 1,2;3,4,5"),
                                  cl::cat(category));
  cl::list<std::string> promptText("prompt",
                                   cl::desc("A prompt as text, encoded by the tokenizer (an "
                                            "encoder-decoder's encoder input); repeat for a "
                                            "batch. The new tokens are printed as text"),
                                   cl::cat(category));
  cl::opt<std::string> promptFile("prompt-file",
                                  cl::desc("Prompts as text, one per line (blank lines "
                                           "skipped), generated in batches"),
                                  cl::value_desc("file"), cl::cat(category));
  cl::opt<std::string> tokenizerPath(
      "tokenizer",
      cl::desc("Hugging Face tokenizer.json (default with --prompt or --prompt-file: the one "
               "beside the weights); given with ids, the new tokens are printed as text"),
      cl::value_desc("file"), cl::cat(category));
  cl::opt<std::string> input("input", cl::desc("Read the prompts from this safetensors file"),
                             cl::value_desc("file"), cl::cat(category));
  cl::opt<std::string> promptTensor("prompt-tensor", cl::desc("Its tensor name (with --input)"),
                                    cl::init("input_ids"), cl::cat(category));
  cl::opt<unsigned> maxNewTokens("max-new-tokens",
                                 cl::desc("How many tokens to generate at most (default: "
                                          "max_new_tokens of the generation config, else 16)"),
                                 cl::init(16), cl::cat(category));
  cl::opt<std::string> generationConfig(
      "generation-config",
      cl::desc("Hugging Face generation_config.json (default: the one beside the weights, if "
               "any): eos, pad and decoder start ids, do_sample, temperature, top_k, top_p, "
               "max_new_tokens"),
      cl::value_desc("file"), cl::cat(category));
  cl::opt<bool> greedy("greedy", cl::desc("Choose the most likely token (the default unless "
                                          "the generation config samples)"),
                       cl::cat(category));
  cl::opt<double> temperature("temperature", cl::desc("Sample at this temperature (> 0)"),
                              cl::cat(category));
  cl::opt<int64_t> topK("top-k", cl::desc("Sample among the k most likely tokens"),
                        cl::cat(category));
  cl::opt<double> topP("top-p", cl::desc("Sample among the most likely tokens whose "
                                         "probability reaches p, in (0, 1]"),
                       cl::cat(category));
  cl::opt<uint64_t> seed("seed", cl::desc("Seed of the sampling (default 0)"), cl::init(0),
                         cl::cat(category));
  cl::opt<std::string> output("output", cl::desc("Write tensor 'tokens' [batch, n] "
                                                 "(safetensors): the new tokens, or for an "
                                                 "encoder-decoder the decoder sequence from the "
                                                 "start token; shorter rows padded"),
                              cl::value_desc("file"), cl::cat(category));
  cl::opt<int64_t> startToken("start-token",
                              cl::desc("Decoder start token (encoder-decoder; default: "
                                       "decoder_start_token_id, else 0)"),
                              cl::cat(category));
  cl::opt<int64_t> eosToken("eos-token", cl::desc("Stop after this token (-1: never; default: "
                                                  "eos_token_id)"),
                            cl::cat(category));
  cl::opt<std::string> modelName("model", cl::desc("Model name (default: from libNAME.so)"),
                                 cl::cat(category));
  cl::opt<int> threads("num-threads", cl::desc("Threads for parallel kernels"), cl::init(0),
                       cl::cat(category));
  cl::opt<bool> recompute("recompute",
                          cl::desc("Run the whole sequence every step, one prompt at a time, "
                                   "even where the library has a KV-cached step (slow; a "
                                   "reference for the cache)"),
                          cl::cat(category));
  cl::opt<unsigned> repeat("repeat",
                           cl::desc("Generate this many times through one session (the KV "
                                    "cache reset between) and report the fastest prefill and "
                                    "decode: warm timings"),
                           cl::init(1), cl::cat(category));
  cl::HideUnrelatedOptions(category);
  if (!parseCommandLine(argc, argv,
                        "attune generate: generation with a built causal LM or "
                        "encoder-decoder\n"))
    return kExitUsage;
  if (threads.getNumOccurrences() && !checkThreadCount(threads, "num-threads"))
    return kExitUsage;

  if (!promptIds.empty() && !encoderIds.empty()) {
    llvm::errs() << "attune: give --prompt-ids (a causal LM) or --encoder-ids (an "
                    "encoder-decoder), not both\n";
    return 2;
  }
  std::string ids = promptIds.empty() ? encoderIds : promptIds;
  llvm::StringRef idsOption = promptIds.empty() ? "encoder-ids" : "prompt-ids";
  bool text = !promptText.empty() || !promptFile.empty();
  if (int(!ids.empty()) + int(!input.empty()) + int(!promptText.empty()) +
          int(!promptFile.empty()) != 1) {
    llvm::errs() << "attune: give exactly one of --prompt, --prompt-file, --prompt-ids (or "
                    "--encoder-ids) and --input\n";
    return 2;
  }
  // The tokenizer: asked for, or for text prompts the one beside the weights.
  std::optional<Tokenizer> tokenizer;
  std::string tokenizerFile = tokenizerPath;
  if (tokenizerFile.empty() && text) {
    tokenizerFile = besideWeights(weights, "tokenizer.json");
    if (tokenizerFile.empty()) {
      llvm::errs() << "attune: text prompts need a tokenizer, and there is no tokenizer.json "
                      "beside the weights: give --tokenizer FILE, or the ids with "
                      "--prompt-ids\n";
      return 2;
    }
  }
  if (!tokenizerFile.empty()) {
    llvm::Expected<Tokenizer> read = Tokenizer::fromFile(tokenizerFile);
    if (!read) {
      llvm::errs() << "attune: " << llvm::toString(read.takeError()) << "\n";
      return 1;
    }
    tokenizer.emplace(std::move(*read));
  }
  std::vector<std::string> texts(promptText.begin(), promptText.end());
  if (!promptFile.empty() && !readLines(promptFile, texts))
    return kExitFailed;
  std::unique_ptr<LoadedLibrary> library = LoadedLibrary::open(libraryPath, modelName, weights);
  if (!library)
    return 1;
  const attune_runtime &rt = library->api();
  if (threads.getNumOccurrences() && rt.set_num_threads(threads) != ATTUNE_OK) {
    llvm::errs() << "attune: " << rt.last_error() << "\n";
    return kExitUsage;
  }
  // An encoder-decoder runs `encode` once, then `decode` per token; a causal LM its one entry.
  bool encoderDecoder = library->hasEntry("encode") && library->hasEntry("decode");
  std::string promptEntry = encoderDecoder ? "encode" : "";
  std::string stepEntry = encoderDecoder ? "decode" : "";
  std::vector<attune_tensor> declared = library->inputs(promptEntry);
  if (declared.size() != 1 || declared[0].dtype == ATTUNE_F32) {
    llvm::errs() << "attune: generate needs a causal LM with one integer input, or an "
                    "encoder-decoder with encode and decode entry points\n";
    return 1;
  }
  if (encoderDecoder ? !promptIds.empty() : !encoderIds.empty()) {
    llvm::errs() << "attune: " << (encoderDecoder ? "an encoder-decoder takes --encoder-ids"
                                                  : "a causal LM takes --prompt-ids")
                 << "\n";
    return 2;
  }
  if (!encoderDecoder && startToken.getNumOccurrences()) {
    llvm::errs() << "attune: --start-token is for an encoder-decoder; this model is a causal "
                    "LM (its prompt is the start)\n";
    return 2;
  }

  GenerationSettings settings;
  std::string configPath = generationConfig;
  if (configPath.empty())
    configPath = besideWeights(weights, "generation_config.json");
  if (!configPath.empty() && !readGenerationConfig(configPath, settings))
    return 1;
  if (!maxNewTokens.getNumOccurrences() && settings.maxNewTokens)
    maxNewTokens = *settings.maxNewTokens;
  if (eosToken.getNumOccurrences())
    settings.eos = eosToken < 0 ? std::vector<int64_t>{} : std::vector<int64_t>{eosToken};
  bool samplingAsked = temperature.getNumOccurrences() || topK.getNumOccurrences() ||
                       topP.getNumOccurrences() || seed.getNumOccurrences();
  if (greedy && samplingAsked) {
    llvm::errs() << "attune: --greedy does not take --temperature, --top-k, --top-p or --seed\n";
    return 2;
  }
  if (greedy)
    settings.sample = false;
  if (samplingAsked)
    settings.sample = true;
  if (temperature.getNumOccurrences())
    settings.temperature = temperature;
  if (topK.getNumOccurrences())
    settings.topK = topK;
  if (topP.getNumOccurrences())
    settings.topP = topP;
  if (settings.sample && (!(settings.temperature > 0) || settings.topK < 0 ||
                          !(settings.topP > 0 && settings.topP <= 1))) {
    llvm::errs() << "attune: sampling needs --temperature > 0, --top-k >= 0 and --top-p in "
                    "(0, 1]\n";
    return 2;
  }
  if (maxNewTokens == 0) {
    llvm::errs() << "attune: --max-new-tokens must be at least 1\n";
    return 2;
  }

  // Prompts that do not fit the model (a character or id outside its vocabulary, longer
  // than its bound) fail like any input; malformed ids on the command line are a usage error.
  std::vector<std::vector<int64_t>> prompts;
  if (!ids.empty()) {
    if (!parseTokens(ids, prompts, idsOption, /*sameLength=*/false))
      return kExitUsage;
  } else if (text ? !encodePrompts(*tokenizer, texts, prompts)
                  : !readPrompts(*library, input, promptTensor, promptEntry, prompts)) {
    return kExitFailed;
  }
  // The vocabulary: the last dim of the step's logits, as the manifest declares them.
  int64_t vocab = 0;
  std::vector<attune_tensor> stepOutputs = library->outputs(stepEntry);
  if (!stepOutputs.empty() && stepOutputs[0].rank >= 1)
    vocab = std::max<int64_t>(0, stepOutputs[0].shape[stepOutputs[0].rank - 1]);
  int64_t promptBound = 0, stepBound = 0;
  rt.model_dim_bound(library->model(), "seq", &promptBound);
  std::string stepSymbol = encoderDecoder ? "dec_seq" : "seq";
  rt.model_dim_bound(library->model(), stepSymbol.c_str(), &stepBound);
  if (!checkPrompts(prompts, encoderDecoder ? 0 : vocab, promptBound,
                    encoderDecoder ? "encoder input" : "prompt", "seq"))
    return kExitFailed;
  int64_t start = startToken.getNumOccurrences() ? int64_t(startToken)
                                                 : settings.decoderStart.value_or(0);
  // A step feeds the sequence so far: the last token chosen is never fed, so N new tokens
  // need room for (prompt or start token) + N - 1.
  for (size_t r = 0; r < prompts.size(); ++r) {
    int64_t first = encoderDecoder ? 1 : static_cast<int64_t>(prompts[r].size());
    if (stepBound && first + int64_t(maxNewTokens) - 1 > stepBound) {
      llvm::errs() << "attune: " << (encoderDecoder ? "the decoder" : "prompt " + std::to_string(r))
                   << " needs " << first + int64_t(maxNewTokens) - 1 << " positions for "
                   << maxNewTokens << " new tokens; the library was built for " << stepSymbol
                   << " <= " << stepBound << " (ask fewer or rebuild with a larger bound)\n";
      return kExitFailed;
    }
  }

  attune_tensor stepInput = declared[0];
  if (encoderDecoder)
    for (const attune_tensor &in : library->inputs("decode"))
      if (in.dtype != ATTUNE_F32)
        stepInput = in;
  using Clock = std::chrono::steady_clock;
  auto millisecondsSince = [](Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
  };
  GenerationResult result;
  double &promptMs = result.promptMs, &decodeMs = result.decodeMs;
  int64_t &promptTokens = result.promptTokens, &decodeTokens = result.decodeTokens;
  std::vector<std::vector<int64_t>> written; // per row, what --output gets
  // A causal LM with a KV-cached step decodes through it, every prompt at once; an
  // encoder-decoder one prompt at a time (each encoder output is as long as its prompt),
  // the decoder from its start token.
  const std::string stepped = encoderDecoder ? "decode" : "forward";
  bool cached = !recompute && library->hasEntry(stepped + abi::kStepSuffix.str());
  TokenPrinter printer(tokenizer ? &*tokenizer : nullptr);
  // A label on a streamed row only when it is one of several.
  auto streamLabel = [&](size_t row) {
    return prompts.size() == 1 ? std::nullopt : std::optional<size_t>(row);
  };
  // More prompts than the library's batch bound go in batches of the bound.
  int64_t batchBound = 0;
  rt.model_dim_bound(library->model(), "batch", &batchBound);
  size_t perBatch = batchBound > 0 ? static_cast<size_t>(batchBound) : prompts.size();
  for (size_t first = 0; cached && !encoderDecoder && first < prompts.size(); first += perBatch) {
    std::vector<std::vector<int64_t>> batch(
        prompts.begin() + first, prompts.begin() + std::min(prompts.size(), first + perBatch));
    if (!generateCached(*library, stepped, stepInput, {}, batch, first, printer,
                        streamLabel(first), maxNewTokens, repeat, settings, seed, result))
      return 1;
  }
  if (cached && !encoderDecoder)
    written = result.generated;
  for (size_t r = 0; cached && encoderDecoder && r < prompts.size(); ++r) {
    auto started = Clock::now();
    std::vector<OwnedTensor> inputs{tokenTensor(declared[0], {prompts[r]})}, memory;
    if (!library->run(inputs, memory, "encode"))
      return 1;
    result.promptMs += millisecondsSince(started);
    if (!generateCached(*library, stepped, stepInput, memory, {{start}}, r, printer,
                        streamLabel(r), maxNewTokens, repeat, settings, seed, result))
      return 1;
    // The encoder's tokens are the prompt's; the decoder's start token is not counted.
    result.promptTokens += static_cast<int64_t>(prompts[r].size()) - 1;
    std::vector<int64_t> sequence{start};
    llvm::append_range(sequence, result.generated.back());
    written.push_back(sequence);
  }
  for (size_t r = 0; !cached && r < prompts.size(); ++r) {
    Random random = rowRandom(seed, r);
    printer.beginStream(streamLabel(r));
    auto phase = Clock::now();
    std::vector<OwnedTensor> memory; // the encoder's output, computed once
    std::vector<int64_t> sequence = prompts[r], generated;
    if (encoderDecoder) {
      std::vector<OwnedTensor> inputs{tokenTensor(declared[0], {prompts[r]})};
      if (!library->run(inputs, memory, "encode"))
        return 1;
      sequence = {start};
    }
    promptTokens += static_cast<int64_t>(prompts[r].size());
    for (unsigned step = 0; step < maxNewTokens; ++step) {
      // Full recomputation per step (no KV-cached step, or --recompute).
      std::vector<OwnedTensor> inputs{tokenTensor(stepInput, {sequence})}, outputs;
      for (OwnedTensor &m : memory)
        inputs.push_back(m);
      if (!library->run(inputs, outputs, stepEntry))
        return 1;
      attune_tensor logits = outputs[0].tensor();
      int64_t width = logits.shape[logits.rank - 1];
      const float *last = static_cast<const float *>(logits.data) +
                          (static_cast<int64_t>(sequence.size()) - 1) * width;
      std::optional<int64_t> chosen = chooseToken(last, width, settings, random);
      if (!chosen) {
        llvm::errs() << "\nattune: the logits after " << generated.size()
                     << " new tokens are not finite (NaN or Inf): " << kNotFiniteCauses << "\n";
        return kExitFailed;
      }
      int64_t next = *chosen;
      generated.push_back(next);
      sequence.push_back(next);
      printer.stream(next);
      // The prompt's pass (with the encoder) produces the first token; the rest decode.
      (step == 0 ? promptMs : decodeMs) += millisecondsSince(phase);
      phase = Clock::now();
      decodeTokens += step > 0;
      if (llvm::is_contained(settings.eos, next))
        break;
    }
    printer.endStream();
    // As Hugging Face's generate returns them: an encoder-decoder's decoder sequence starts
    // with the start token; a causal LM's new tokens follow its prompt.
    written.push_back(encoderDecoder ? sequence : generated);
  }
  llvm::outs() << "prompt: " << promptTokens << " tokens in " << llvm::format("%.3f", promptMs)
               << " ms (" << llvm::format("%.1f", promptTokens / (promptMs / 1000))
               << " tokens/s, with the first new token)\n";
  llvm::outs() << "decode: " << decodeTokens << " tokens in " << llvm::format("%.3f", decodeMs)
               << " ms ("
               << llvm::format("%.1f", decodeTokens ? decodeTokens / (decodeMs / 1000) : 0.0)
               << (cached ? " tokens/s, through the KV cache)\n"
                          : " tokens/s, recomputing the whole sequence per token)\n");
  if (!output.empty()) {
    size_t width = 0;
    for (const auto &row : written)
      width = std::max(width, row.size());
    int64_t pad = settings.pad.value_or(settings.eos.empty() ? 0 : settings.eos[0]);
    OwnedTensor t = OwnedTensor::make(
        "tokens", ATTUNE_I32, {static_cast<int64_t>(written.size()), static_cast<int64_t>(width)});
    auto *data = reinterpret_cast<int32_t *>(t.bytes.data());
    for (size_t r = 0; r < written.size(); ++r)
      for (size_t i = 0; i < width; ++i)
        data[r * width + i] = static_cast<int32_t>(i < written[r].size() ? written[r][i] : pad);
    if (!writeOutputs(output, {t}))
      return 1;
  }
  return 0;
}
