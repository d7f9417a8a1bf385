// A built model library loaded with dlopen, opened with its weights through the runtime, with
// helpers to gather inputs and run it. Used by `attune run` and `attune generate`.
#ifndef ATTUNE_TOOLS_ATTUNE_LOADEDLIBRARY_H
#define ATTUNE_TOOLS_ATTUNE_LOADEDLIBRARY_H

#include "attune/runtime.h"

#include <memory>
#include <string>
#include <vector>

namespace attune {

/// A tensor with owned storage.
struct OwnedTensor {
  attune_tensor meta{}; // dtype, rank, shape (name and data come from the fields below)
  std::string name;
  std::vector<char> bytes;

  /// The runtime's view of this tensor (valid while it lives and is not resized).
  attune_tensor tensor() const {
    attune_tensor view = meta;
    view.name = name.c_str();
    view.data = const_cast<char *>(bytes.data());
    return view;
  }

  static OwnedTensor make(const std::string &name, attune_dtype dtype,
                          const std::vector<int64_t> &shape);
  size_t elements() const;
};

/// The runtime API as exported by one library (each library links its own runtime; the model's
/// arena lives in that copy, so the driver calls the library's functions, not its own).
struct RuntimeApi {
  decltype(&attune_model_open) open;
  decltype(&attune_model_close) close;
  decltype(&attune_model_run_entry) run;
  decltype(&attune_model_entry_output_shapes) outputShapes;
  decltype(&attune_model_num_entries) numEntries;
  decltype(&attune_model_entry_name) entryName;
  decltype(&attune_model_entry_num_inputs) numInputs;
  decltype(&attune_model_entry_num_outputs) numOutputs;
  decltype(&attune_model_entry_input) input;
  decltype(&attune_model_entry_output) output;
  decltype(&attune_model_dim_bound) dimBound;
  decltype(&attune_model_arena_bytes) arenaBytes;
  decltype(&attune_session_create) sessionCreate;
  decltype(&attune_session_destroy) sessionDestroy;
  decltype(&attune_session_run) sessionRun;
  decltype(&attune_model_set_profiling) setProfiling;
  decltype(&attune_model_print_profile) printProfile;
  decltype(&attune_last_error) lastError;
  decltype(&attune_set_num_threads) setNumThreads;
  decltype(&attune_get_num_threads) getNumThreads;
};

class LoadedLibrary {
public:
  ~LoadedLibrary();
  /// dlopens `path` (libNAME.so, or `modelName` when given) and opens `weights`. Prints the
  /// error and returns null on failure.
  static std::unique_ptr<LoadedLibrary> open(const std::string &path, std::string modelName,
                                             const std::string &weights);

  attune_model *model() const { return handle; }
  const RuntimeApi &api() const { return rt; }
  /// Whether the model has an entry point of this name.
  bool hasEntry(const std::string &name) const;
  /// An entry point's declared inputs/outputs (symbolic dims are -1); empty name: the default.
  std::vector<attune_tensor> inputs(const std::string &entry = "") const;
  std::vector<attune_tensor> outputs(const std::string &entry = "") const;
  /// Allocates every output for these inputs and runs the entry point (on `session` when
  /// given, else on the model's own memory); prints the error on failure.
  bool run(const std::vector<OwnedTensor> &inputs, std::vector<OwnedTensor> &outputs,
           const std::string &entry = "", attune_session *session = nullptr);

private:
  void *library = nullptr;
  attune_model *handle = nullptr;
  RuntimeApi rt{};
};

} // namespace attune

#endif // ATTUNE_TOOLS_ATTUNE_LOADEDLIBRARY_H
