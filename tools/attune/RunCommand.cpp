// attune run and attune generate: load a built library, feed it tensors (from a safetensors
// file or token ids on the command line), print what it computes and how long it took.
#include "tools/attune/Commands.h"
#include "tools/attune/LoadedLibrary.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <numeric>
#include <thread>

using namespace attune;
namespace cl = llvm::cl;

namespace {

std::string shapeText(const attune_tensor &t) {
  std::string text = "[";
  for (int32_t i = 0; i < t.rank; ++i)
    text += (i ? ", " : "") + std::to_string(t.shape[i]);
  return text + "]";
}

/// Parses "1,2,3" (one sequence) or "1,2;3,4" (a batch of equal-length sequences).
bool parseTokens(llvm::StringRef text, std::vector<std::vector<int64_t>> &rows) {
  llvm::SmallVector<llvm::StringRef> sequences;
  text.split(sequences, ';');
  for (llvm::StringRef sequence : sequences) {
    llvm::SmallVector<llvm::StringRef> items;
    sequence.split(items, ',');
    std::vector<int64_t> row;
    for (llvm::StringRef item : items) {
      int64_t id;
      if (item.trim().getAsInteger(10, id)) {
        llvm::errs() << "attune: '" << item << "' in --tokens is not an integer\n";
        return false;
      }
      row.push_back(id);
    }
    if (!rows.empty() && rows[0].size() != row.size()) {
      llvm::errs() << "attune: every sequence in --tokens needs the same length\n";
      return false;
    }
    rows.push_back(std::move(row));
  }
  return true;
}

/// A token-id tensor [rows, length] with the dtype the model's input expects.
OwnedTensor tokenTensor(const attune_tensor &declared, const std::vector<std::vector<int64_t>> &rows) {
  OwnedTensor t = OwnedTensor::make(declared.name, declared.dtype,
                                    {static_cast<int64_t>(rows.size()),
                                     static_cast<int64_t>(rows[0].size())});
  size_t k = 0;
  for (const auto &row : rows)
    for (int64_t id : row) {
      if (declared.dtype == ATTUNE_I64)
        reinterpret_cast<int64_t *>(t.bytes.data())[k++] = id;
      else
        reinterpret_cast<int32_t *>(t.bytes.data())[k++] = static_cast<int32_t>(id);
    }
  return t;
}

/// Copies `source` into a tensor named `name` of `dtype`, converting integer widths.
bool convertTensor(const attune_tensor &source, const std::string &name, attune_dtype dtype,
                   OwnedTensor &out) {
  out = OwnedTensor::make(name, dtype, std::vector<int64_t>(source.shape, source.shape + source.rank));
  size_t n = out.elements();
  if (source.dtype == dtype) {
    std::memcpy(out.bytes.data(), source.data, out.bytes.size());
    return true;
  }
  if (source.dtype == ATTUNE_F32 || dtype == ATTUNE_F32) {
    llvm::errs() << "attune: tensor '" << name << "' has the wrong dtype for the model\n";
    return false;
  }
  for (size_t i = 0; i < n; ++i) {
    int64_t v = source.dtype == ATTUNE_I64 ? static_cast<const int64_t *>(source.data)[i]
                                           : static_cast<const int32_t *>(source.data)[i];
    if (dtype == ATTUNE_I64)
      reinterpret_cast<int64_t *>(out.bytes.data())[i] = v;
    else
      reinterpret_cast<int32_t *>(out.bytes.data())[i] = static_cast<int32_t>(v);
  }
  return true;
}

/// Reads each input of `entry` from `file` (by its name, or `rename` for a single input).
bool readInputs(LoadedLibrary &library, const std::string &path, const std::string &rename,
                std::vector<OwnedTensor> &inputs, const std::string &entry = "") {
  attune_safetensors *file = nullptr;
  if (attune_safetensors_open(path.c_str(), &file) != ATTUNE_OK) {
    llvm::errs() << "attune: " << attune_last_error() << "\n";
    return false;
  }
  bool ok = true;
  std::vector<attune_tensor> declared = library.inputs(entry);
  for (const attune_tensor &input : declared) {
    std::string lookup = !rename.empty() && declared.size() == 1 ? rename : input.name;
    attune_tensor found;
    if (attune_safetensors_find(file, lookup.c_str(), &found) != ATTUNE_OK) {
      llvm::errs() << "attune: input '" << input.name << "': " << attune_last_error() << "\n";
      ok = false;
      break;
    }
    OwnedTensor tensor;
    if (!(ok = convertTensor(found, input.name, input.dtype, tensor)))
      break;
    inputs.push_back(std::move(tensor));
  }
  attune_safetensors_close(file);
  return ok;
}

bool writeOutputs(const std::string &path, const std::vector<OwnedTensor> &outputs) {
  std::vector<attune_tensor> views;
  for (const OwnedTensor &t : outputs)
    views.push_back(t.tensor());
  if (attune_safetensors_write(path.c_str(), views.data(), views.size()) != ATTUNE_OK) {
    llvm::errs() << "attune: " << attune_last_error() << "\n";
    return false;
  }
  return true;
}

/// The index of the largest of `n` floats (the first on ties, as torch.argmax).
size_t argmax(const float *values, size_t n) {
  return std::max_element(values, values + n) - values;
}

void printOutput(const OwnedTensor &output, unsigned top) {
  attune_tensor t = output.tensor();
  llvm::outs() << output.name << ": " << shapeText(t) << "\n";
  if (output.name == "logits" && t.rank == 3 && t.dtype == ATTUNE_F32) {
    // The next-token choices at the last position of each sequence.
    int64_t batch = t.shape[0], seq = t.shape[1], vocab = t.shape[2];
    for (int64_t b = 0; b < batch; ++b) {
      const float *row = static_cast<const float *>(t.data) + (b * seq + seq - 1) * vocab;
      std::vector<int64_t> order(vocab);
      std::iota(order.begin(), order.end(), 0);
      std::partial_sort(order.begin(), order.begin() + std::min<int64_t>(top, vocab), order.end(),
                        [&](int64_t x, int64_t y) { return row[x] > row[y]; });
      llvm::outs() << "  sequence " << b << ", next token:";
      for (int64_t k = 0; k < std::min<int64_t>(top, vocab); ++k)
        llvm::outs() << " " << order[k] << " (" << llvm::format("%.3f", row[order[k]]) << ")";
      llvm::outs() << "\n";
    }
    return;
  }
  llvm::outs() << " ";
  for (size_t i = 0; i < std::min<size_t>(8, output.elements()); ++i) {
    if (t.dtype == ATTUNE_F32)
      llvm::outs() << " " << llvm::format("%.5f", static_cast<const float *>(t.data)[i]);
    else if (t.dtype == ATTUNE_I32)
      llvm::outs() << " " << static_cast<const int32_t *>(t.data)[i];
    else
      llvm::outs() << " " << static_cast<const int64_t *>(t.data)[i];
  }
  llvm::outs() << (output.elements() > 8 ? " ...\n" : "\n");
}

/// What run and generate start with: exactly one input source, then the library opened.
/// On failure returns null with `exitCode` set (2: usage, 1: the library or weights).
std::unique_ptr<LoadedLibrary> openWithOneSource(const std::string &input, const std::string &tokens,
                                                 const std::string &library,
                                                 const std::string &modelName,
                                                 const std::string &weights, int &exitCode) {
  if (input.empty() == tokens.empty()) {
    llvm::errs() << "attune: give exactly one of --input and --tokens\n";
    exitCode = 2;
    return nullptr;
  }
  exitCode = 1;
  return LoadedLibrary::open(library, modelName, weights);
}

/// Whether two runs' outputs are the same tensors, bit for bit.
bool sameOutputs(const std::vector<OwnedTensor> &a, const std::vector<OwnedTensor> &b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].name != b[i].name || a[i].meta.rank != b[i].meta.rank || a[i].bytes != b[i].bytes)
      return false;
  return true;
}

/// Runs `count` sessions at once, each on an application thread of its own, `runs` runs each
/// on the same inputs; prints their throughput against one run's `singleMs` and whether every
/// output equals `reference` bit for bit. False on a failed run or a differing output.
bool runConcurrentSessions(LoadedLibrary &library, const std::vector<OwnedTensor> &inputs,
                           const std::vector<OwnedTensor> &reference, const std::string &entry,
                           unsigned count, unsigned runs, double singleMs) {
  const attune_runtime *rt = &library.api();
  std::vector<attune_session *> sessions(count, nullptr);
  bool created = true;
  for (attune_session *&session : sessions)
    if (created && rt->session_create(library.model(), &session) != ATTUNE_OK) {
      llvm::errs() << "attune: " << rt->last_error() << "\n";
      created = false;
    }
  std::vector<char> ran(count, 0), identical(count, 0);
  auto start = std::chrono::steady_clock::now();
  if (created) {
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < count; ++i)
      threads.emplace_back([&, i] {
        std::vector<OwnedTensor> outputs;
        bool ok = true;
        for (unsigned r = 0; r < runs && ok; ++r)
          ok = library.run(inputs, outputs, entry, sessions[i]);
        ran[i] = ok;
        identical[i] = ok && sameOutputs(outputs, reference);
      });
    for (std::thread &thread : threads)
      thread.join();
  }
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  for (attune_session *session : sessions)
    rt->session_destroy(session);
  if (!created || std::count(ran.begin(), ran.end(), 0) != 0)
    return false;
  bool same = std::count(identical.begin(), identical.end(), 0) == 0;
  double perSecond = count * runs / (ms / 1000);
  llvm::outs() << "sessions: " << count << " at once, " << runs << " runs each: "
               << llvm::format("%.3f", ms) << " ms, " << llvm::format("%.2f", perSecond)
               << " runs/s (" << llvm::format("%.2f", perSecond * singleMs / 1000)
               << "x one run at a time); outputs identical to the single run: "
               << (same ? "yes" : "NO") << "\n";
  return same;
}

} // namespace

int attune::runCommand(int argc, char **argv) {
  cl::OptionCategory category("attune run options");
  cl::opt<std::string> libraryPath(cl::Positional, cl::Required, cl::desc("<libNAME.so>"),
                                   cl::cat(category));
  cl::opt<std::string> weights("weights", cl::Required, cl::desc("Weights (safetensors)"),
                               cl::value_desc("file"), cl::cat(category));
  cl::opt<std::string> input("input", cl::desc("Input tensors (safetensors, named as the model "
                                               "names them, e.g. input_ids)"),
                             cl::value_desc("file"), cl::cat(category));
  cl::opt<std::string> tokens("tokens", cl::desc("Token ids for the model's one integer input: "
                                                 "1,2,3 or a batch 1,2;3,4"),
                              cl::cat(category));
  cl::opt<std::string> output("output", cl::desc("Write the outputs here (safetensors)"),
                              cl::value_desc("file"), cl::cat(category));
  cl::opt<std::string> modelName("model", cl::desc("Model name (default: from libNAME.so)"),
                                 cl::cat(category));
  cl::opt<std::string> entry("entry", cl::desc("Entry point to run (default: forward, or the "
                                               "only one)"),
                             cl::cat(category));
  cl::opt<unsigned> repeat("repeat", cl::desc("Run this many times and report the fastest"),
                           cl::init(1), cl::cat(category));
  cl::opt<unsigned> top("top", cl::desc("How many next-token choices to print"), cl::init(5),
                        cl::cat(category));
  cl::opt<int> threads("num-threads",
                       cl::desc("Threads for parallel kernels (default: ATTUNE_NUM_THREADS, "
                                "else every CPU this process may use)"),
                       cl::init(0), cl::cat(category));
  cl::opt<bool> profile("profile",
                        cl::desc("Time every kernel and print the table after the runs (with "
                                 "--repeat N > 1, the first run is a warm-up and not counted)"),
                        cl::cat(category));
  cl::opt<unsigned> sessions(
      "sessions",
      cl::desc("Then run the inputs on this many sessions at once, one application thread each "
               "(--repeat runs each), and report their throughput and whether every output "
               "equals the single run's"),
      cl::init(0), cl::cat(category));
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv, "attune run: run a built model library\n");

  int exitCode = 0;
  std::unique_ptr<LoadedLibrary> library =
      openWithOneSource(input, tokens, libraryPath, modelName, weights, exitCode);
  if (!library)
    return exitCode;
  if (threads.getNumOccurrences() &&
      library->api().set_num_threads(threads) != ATTUNE_OK) {
    llvm::errs() << "attune: " << library->api().last_error() << "\n";
    return 2;
  }
  std::vector<OwnedTensor> inputs;
  if (!entry.empty() && !library->hasEntry(entry)) {
    llvm::errs() << "attune: the model has no entry point '" << entry << "'\n";
    return 2;
  }
  if (!tokens.empty()) {
    std::vector<attune_tensor> declared = library->inputs(entry);
    std::vector<std::vector<int64_t>> rows;
    if (declared.size() != 1 || declared[0].dtype == ATTUNE_F32) {
      llvm::errs() << "attune: --tokens needs a model with one integer input; use --input\n";
      return 2;
    }
    if (!parseTokens(tokens, rows))
      return 2;
    inputs.push_back(tokenTensor(declared[0], rows));
  } else if (!readInputs(*library, input, "", inputs, entry)) {
    return 1;
  }

  std::vector<OwnedTensor> outputs;
  double best = 0;
  unsigned runs = std::max(1u, unsigned(repeat));
  for (unsigned i = 0; i < runs; ++i) {
    // Profiled from the second run on when there are several (the first faults in pages).
    if (profile && i == (runs > 1 ? 1 : 0) &&
        library->api().model_set_profiling(library->model(), 1) != ATTUNE_OK) {
      llvm::errs() << "attune: " << library->api().last_error() << "\n";
      return 1;
    }
    auto start = std::chrono::steady_clock::now();
    if (!library->run(inputs, outputs, entry))
      return 1;
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    best = i == 0 ? ms : std::min(best, ms);
  }
  for (const OwnedTensor &t : outputs)
    printOutput(t, top);
  llvm::outs() << "wall time: " << llvm::format("%.3f", best) << " ms"
               << (repeat > 1 ? " (fastest of " + std::to_string(repeat) + ")" : "") << ", "
               << library->api().get_num_threads() << " threads\n";
  if (sessions > 0 &&
      !runConcurrentSessions(*library, inputs, outputs, entry, sessions, runs, best))
    return 1;
  size_t peak = 0, reserved = 0;
  if (library->api().model_arena_bytes(library->model(), &peak, &reserved) == ATTUNE_OK)
    llvm::outs() << "intermediates: " << llvm::format("%.2f", peak / 1048576.0)
                 << " MiB peak, arena " << llvm::format("%.2f", reserved / 1048576.0) << " MiB\n";
  if (profile) {
    llvm::outs().flush();
    if (library->api().model_print_profile(library->model(), stdout) != ATTUNE_OK) {
      llvm::errs() << "attune: " << library->api().last_error() << "\n";
      return 1;
    }
    fflush(stdout);
  }
  if (!output.empty() && !writeOutputs(output, outputs))
    return 1;
  return 0;
}

int attune::generateCommand(int argc, char **argv) {
  cl::OptionCategory category("attune generate options");
  cl::opt<std::string> libraryPath(cl::Positional, cl::Required, cl::desc("<libNAME.so>"),
                                   cl::cat(category));
  cl::opt<std::string> weights("weights", cl::Required, cl::desc("Weights (safetensors)"),
                               cl::value_desc("file"), cl::cat(category));
  cl::opt<std::string> tokens("tokens", cl::desc("The prompt's token ids: 1,2,3"),
                              cl::cat(category));
  cl::opt<std::string> input("input", cl::desc("Read the prompt from this safetensors file"),
                             cl::value_desc("file"), cl::cat(category));
  cl::opt<std::string> promptTensor("prompt-tensor", cl::desc("Its tensor name (with --input)"),
                                    cl::init("input_ids"), cl::cat(category));
  cl::opt<unsigned> maxNewTokens("max-new-tokens", cl::desc("How many tokens to generate"),
                                 cl::init(16), cl::cat(category));
  cl::opt<std::string> output("output", cl::desc("Write tensor 'tokens' [1, n] (safetensors): "
                                                 "the new tokens, or for an encoder-decoder the "
                                                 "decoder sequence from the start token"),
                              cl::value_desc("file"), cl::cat(category));
  cl::opt<int64_t> startToken("start-token", cl::desc("Decoder start token (encoder-decoder)"),
                              cl::init(0), cl::cat(category));
  cl::opt<int64_t> eosToken("eos-token", cl::desc("Stop after this token (-1: never)"),
                            cl::init(-1), cl::cat(category));
  cl::opt<std::string> modelName("model", cl::desc("Model name (default: from libNAME.so)"),
                                 cl::cat(category));
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "attune generate: greedy decoding with a built causal LM or encoder-decoder\n");

  int exitCode = 0;
  std::unique_ptr<LoadedLibrary> library =
      openWithOneSource(input, tokens, libraryPath, modelName, weights, exitCode);
  if (!library)
    return exitCode;
  // An encoder-decoder runs `encode` once, then `decode` per token; a causal LM its one entry.
  bool encoderDecoder = library->hasEntry("encode") && library->hasEntry("decode");
  std::string promptEntry = encoderDecoder ? "encode" : "";
  std::vector<attune_tensor> declared = library->inputs(promptEntry);
  if (declared.size() != 1 || declared[0].dtype == ATTUNE_F32) {
    llvm::errs() << "attune: generate needs a causal LM with one integer input, or an "
                    "encoder-decoder with encode and decode entry points\n";
    return 1;
  }
  std::vector<int64_t> prompt;
  if (!tokens.empty()) {
    std::vector<std::vector<int64_t>> rows;
    if (!parseTokens(tokens, rows))
      return 2;
    prompt = rows[0];
  } else {
    std::vector<OwnedTensor> read;
    if (!readInputs(*library, input, promptTensor, read, promptEntry))
      return 1;
    attune_tensor t = read[0].tensor();
    for (size_t i = 0; i < static_cast<size_t>(t.shape[t.rank - 1]); ++i)
      prompt.push_back(t.dtype == ATTUNE_I64 ? static_cast<int64_t *>(t.data)[i]
                                             : static_cast<int32_t *>(t.data)[i]);
  }

  auto start = std::chrono::steady_clock::now();
  std::vector<OwnedTensor> memory; // the encoder's output, computed once
  std::vector<int64_t> sequence = prompt;
  attune_tensor decoderInput = declared[0];
  std::string symbol = "seq";
  if (encoderDecoder) {
    std::vector<OwnedTensor> inputs{tokenTensor(declared[0], {prompt})};
    if (!library->run(inputs, memory, "encode"))
      return 1;
    sequence = {startToken};
    for (const attune_tensor &in : library->inputs("decode"))
      if (in.dtype != ATTUNE_F32)
        decoderInput = in;
    symbol = "dec_seq";
  }
  int64_t maxSeq = 0;
  library->api().model_dim_bound(library->model(), symbol.c_str(), &maxSeq);

  std::vector<int64_t> generated;
  for (unsigned step = 0; step < maxNewTokens; ++step) {
    if (maxSeq && static_cast<int64_t>(sequence.size()) >= maxSeq) {
      llvm::errs() << "attune: stopping at the library's bound " << symbol << " <= " << maxSeq
                   << "\n";
      break;
    }
    // Full recomputation per step: the KV-cache decode path is a later stage.
    std::vector<OwnedTensor> inputs{tokenTensor(decoderInput, {sequence})}, outputs;
    for (OwnedTensor &m : memory)
      inputs.push_back(m);
    if (!library->run(inputs, outputs, encoderDecoder ? "decode" : ""))
      return 1;
    attune_tensor logits = outputs[0].tensor();
    int64_t vocab = logits.shape[logits.rank - 1];
    const float *last = static_cast<const float *>(logits.data) +
                        (static_cast<int64_t>(sequence.size()) - 1) * vocab;
    int64_t next = static_cast<int64_t>(argmax(last, vocab));
    generated.push_back(next);
    sequence.push_back(next);
    if (next == eosToken)
      break;
  }
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  llvm::outs() << "tokens:";
  for (int64_t id : generated)
    llvm::outs() << " " << id;
  llvm::outs() << "\nwall time: " << llvm::format("%.3f", ms) << " ms for " << generated.size()
               << " tokens\n";
  if (!output.empty()) {
    // As Hugging Face's generate returns them: an encoder-decoder's decoder sequence starts
    // with the start token; a causal LM's new tokens follow its prompt.
    std::vector<int64_t> written = encoderDecoder ? sequence : generated;
    OwnedTensor t =
        OwnedTensor::make("tokens", ATTUNE_I32, {1, static_cast<int64_t>(written.size())});
    for (size_t i = 0; i < written.size(); ++i)
      reinterpret_cast<int32_t *>(t.bytes.data())[i] = static_cast<int32_t>(written[i]);
    if (!writeOutputs(output, {t}))
      return 1;
  }
  return 0;
}
