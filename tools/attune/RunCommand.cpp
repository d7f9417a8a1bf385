// attune run: load a built library, feed it tensors (from a safetensors file or token ids on
// the command line), print what it computes and how long it took.
#include "tools/attune/CommandLine.h"
#include "tools/attune/Commands.h"
#include "tools/attune/LoadedLibrary.h"
#include "tools/attune/TensorIO.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <thread>

using namespace attune;
namespace cl = llvm::cl;

namespace {

void printOutput(const OwnedTensor &output, unsigned top) {
  attune_tensor t = output.tensor();
  llvm::outs() << output.name << ": " << shapeText({t.shape, size_t(t.rank)}) << "\n";
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

/// Whether two runs' outputs are the same tensors, bit for bit.
bool sameOutputs(const std::vector<OwnedTensor> &a, const std::vector<OwnedTensor> &b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].name != b[i].name || a[i].meta.rank != b[i].meta.rank || a[i].bytes != b[i].bytes)
      return false;
  return true;
}

/// Runs `count` sessions at once, each on an application thread of its own and at most
/// `sessionThreads` threads (0: the pool's), `runs` runs each on the same inputs; prints their throughput against one run's `singleMs` and whether every
/// output equals `reference` bit for bit. False on a failed run or a differing output.
bool runConcurrentSessions(LoadedLibrary &library, const std::vector<OwnedTensor> &inputs,
                           const std::vector<OwnedTensor> &reference, const std::string &entry,
                           unsigned count, unsigned runs, double singleMs, int sessionThreads) {
  const attune_runtime *rt = &library.api();
  std::vector<attune_session *> sessions(count, nullptr);
  bool created = true;
  for (attune_session *&session : sessions)
    if (created && (rt->session_create(library.model(), &session) != ATTUNE_OK ||
                    rt->session_set_num_threads(session, sessionThreads) != ATTUNE_OK)) {
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
  cl::opt<std::string> weights("weights", cl::Required, cl::desc(kWeightsHelp),
                               cl::value_desc("path"), cl::cat(category));
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
  cl::opt<int> sessionThreads("session-threads",
                              cl::desc("With --sessions: at most this many threads run each "
                                       "session's kernels (default 0: the pool's)"),
                              cl::init(0), cl::cat(category));
  cl::HideUnrelatedOptions(category);
  if (!parseCommandLine(argc, argv, "attune run: run a built model library\n"))
    return kExitUsage;
  if ((threads.getNumOccurrences() && !checkThreadCount(threads, "num-threads")) ||
      !checkThreadCount(sessionThreads, "session-threads", /*zeroMeansDefault=*/true))
    return kExitUsage;

  int exitCode = 0;
  std::unique_ptr<LoadedLibrary> library =
      openWithOneSource(input, tokens, "tokens", libraryPath, modelName, weights, exitCode);
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
    if (!parseTokens(tokens, rows, "tokens", /*sameLength=*/true))
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
  // Outputs that are NaN or Inf are printed (and written), then the run fails.
  llvm::outs().flush();
  bool finite = true;
  for (const OwnedTensor &t : outputs)
    finite &= checkFinite(t);
  llvm::outs() << "wall time: " << llvm::format("%.3f", best) << " ms"
               << (repeat > 1 ? " (fastest of " + std::to_string(repeat) + ")" : "") << ", "
               << library->api().get_num_threads() << " threads\n";
  if (sessions > 0 &&
      !runConcurrentSessions(*library, inputs, outputs, entry, sessions, runs, best,
                             sessionThreads))
    return 1;
  size_t peak = 0, reserved = 0;
  if (library->api().model_arena_bytes(library->model(), &peak, &reserved) == ATTUNE_OK)
    llvm::outs() << "intermediates: " << llvm::format("%.2f", peak / 1048576.0)
                 << " MiB peak, " << llvm::format("%.2f", reserved / 1048576.0)
                 << " MiB held (the memory plan's workspace)\n";
  if (profile) {
    llvm::outs().flush();
    if (library->api().model_print_profile(library->model(), stdout) != ATTUNE_OK) {
      llvm::errs() << "attune: " << library->api().last_error() << "\n";
      return 1;
    }
    fflush(stdout);
  }
  if (!output.empty() && !writeOutputs(output, outputs))
    return kExitFailed;
  return finite ? kExitOk : kExitFailed;
}
