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

class LoadedLibrary {
public:
  ~LoadedLibrary();
  /// dlopens `path` (libNAME.so, or `modelName` when given) and opens `weights`. Prints the
  /// error and returns null on failure.
  static std::unique_ptr<LoadedLibrary> open(const std::string &path, std::string modelName,
                                             const std::string &weights);

  attune_model *model() const { return handle; }
  /// The library's own runtime (each library links and hides its own copy: the model's
  /// memory and the thread count live there, so the driver calls through its table).
  const attune_runtime &api() const { return *rt; }
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
  const attune_runtime *rt = nullptr;
};

} // namespace attune

#endif // ATTUNE_TOOLS_ATTUNE_LOADEDLIBRARY_H
