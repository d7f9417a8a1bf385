// See LoadedLibrary.h.
#include "tools/attune/LoadedLibrary.h"

#include <algorithm>

#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <dlfcn.h>
#include <type_traits>

using namespace attune;

OwnedTensor OwnedTensor::make(const std::string &name, attune_dtype dtype,
                              const std::vector<int64_t> &shape) {
  OwnedTensor t;
  t.name = name;
  t.meta.dtype = dtype;
  t.meta.rank = static_cast<int32_t>(shape.size());
  for (size_t i = 0; i < shape.size(); ++i)
    t.meta.shape[i] = shape[i];
  t.bytes.resize(t.elements() * attune_dtype_size(dtype));
  return t;
}

size_t OwnedTensor::elements() const {
  size_t n = 1;
  for (int32_t i = 0; i < meta.rank; ++i)
    n *= static_cast<size_t>(meta.shape[i]);
  return n;
}

LoadedLibrary::~LoadedLibrary() {
  if (handle)
    rt.close(handle);
  if (library)
    dlclose(library);
}

std::unique_ptr<LoadedLibrary> LoadedLibrary::open(const std::string &path, std::string modelName,
                                                   const std::string &weights) {
  if (modelName.empty()) {
    llvm::StringRef stem = llvm::sys::path::stem(path);
    if (!stem.consume_front("lib")) {
      llvm::errs() << "attune: cannot tell the model name from '" << path
                   << "' (expected libNAME.so); pass --model\n";
      return nullptr;
    }
    modelName = stem.str();
  }
  auto loaded = std::make_unique<LoadedLibrary>();
  // A path without a slash would make dlopen search the library path instead.
  std::string where = path.find('/') == std::string::npos ? "./" + path : path;
  loaded->library = dlopen(where.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!loaded->library) {
    llvm::errs() << "attune: cannot load " << path << ": " << dlerror() << "\n";
    return nullptr;
  }
  auto *manifest =
      static_cast<const char *>(dlsym(loaded->library, (modelName + "_manifest").c_str()));
  void *entry = dlsym(loaded->library, (modelName + "_entry").c_str());
  if (!manifest || !entry) {
    llvm::errs() << "attune: " << path << " is not an attune library for model '" << modelName
                 << "' (no " << modelName << "_manifest/_entry)\n";
    return nullptr;
  }
  RuntimeApi &rt = loaded->rt;
  bool complete = true;
  auto bind = [&](auto &function, const char *name) {
    function = reinterpret_cast<std::remove_reference_t<decltype(function)>>(
        dlsym(loaded->library, name));
    complete &= function != nullptr;
  };
  bind(rt.open, "attune_model_open");
  bind(rt.close, "attune_model_close");
  bind(rt.run, "attune_model_run_entry");
  bind(rt.outputShapes, "attune_model_entry_output_shapes");
  bind(rt.numEntries, "attune_model_num_entries");
  bind(rt.entryName, "attune_model_entry_name");
  bind(rt.numInputs, "attune_model_entry_num_inputs");
  bind(rt.numOutputs, "attune_model_entry_num_outputs");
  bind(rt.input, "attune_model_entry_input");
  bind(rt.output, "attune_model_entry_output");
  bind(rt.dimBound, "attune_model_dim_bound");
  bind(rt.arenaBytes, "attune_model_arena_bytes");
  bind(rt.sessionCreate, "attune_session_create");
  bind(rt.sessionDestroy, "attune_session_destroy");
  bind(rt.sessionRun, "attune_session_run");
  bind(rt.setProfiling, "attune_model_set_profiling");
  bind(rt.printProfile, "attune_model_print_profile");
  bind(rt.lastError, "attune_last_error");
  bind(rt.setNumThreads, "attune_set_num_threads");
  bind(rt.getNumThreads, "attune_get_num_threads");
  if (!complete) {
    llvm::errs() << "attune: " << path << " lacks the attune runtime API (built by another "
                 << "version of attune?)\n";
    return nullptr;
  }
  if (rt.open(manifest, reinterpret_cast<attune_entry_fn>(entry), weights.c_str(),
              &loaded->handle) != ATTUNE_OK) {
    llvm::errs() << "attune: " << rt.lastError() << "\n";
    return nullptr;
  }
  return loaded;
}

/// The runtime's spelling of an entry point: NULL for the default one.
static const char *entryArg(const std::string &entry) {
  return entry.empty() ? nullptr : entry.c_str();
}

bool LoadedLibrary::hasEntry(const std::string &name) const {
  for (size_t i = 0; i < rt.numEntries(handle); ++i)
    if (name == rt.entryName(handle, i))
      return true;
  return false;
}

std::vector<attune_tensor> LoadedLibrary::inputs(const std::string &entry) const {
  std::vector<attune_tensor> result(rt.numInputs(handle, entryArg(entry)));
  for (size_t i = 0; i < result.size(); ++i)
    rt.input(handle, entryArg(entry), i, &result[i]);
  return result;
}

std::vector<attune_tensor> LoadedLibrary::outputs(const std::string &entry) const {
  std::vector<attune_tensor> result(rt.numOutputs(handle, entryArg(entry)));
  for (size_t i = 0; i < result.size(); ++i)
    rt.output(handle, entryArg(entry), i, &result[i]);
  return result;
}

bool LoadedLibrary::run(const std::vector<OwnedTensor> &inputs, std::vector<OwnedTensor> &outputs,
                        const std::string &entry, attune_session *session) {
  std::vector<attune_tensor> in;
  for (const OwnedTensor &t : inputs)
    in.push_back(t.tensor());
  std::vector<attune_tensor> shapes = this->outputs(entry);
  if (rt.outputShapes(handle, entryArg(entry), in.data(), in.size(), shapes.data(),
                      shapes.size()) != ATTUNE_OK) {
    llvm::errs() << "attune: " << rt.lastError() << "\n";
    return false;
  }
  // Buffers of a previous run with the same shapes are reused (as a deployed caller would):
  // a repeated run then times the model, not fresh pages of its outputs.
  bool same = outputs.size() == shapes.size();
  for (size_t i = 0; same && i < shapes.size(); ++i)
    same = outputs[i].name == shapes[i].name && outputs[i].meta.dtype == shapes[i].dtype &&
           outputs[i].meta.rank == shapes[i].rank &&
           std::equal(shapes[i].shape, shapes[i].shape + shapes[i].rank, outputs[i].meta.shape);
  if (!same) {
    outputs.clear();
    for (const attune_tensor &shape : shapes)
      outputs.push_back(OwnedTensor::make(
          shape.name, shape.dtype, std::vector<int64_t>(shape.shape, shape.shape + shape.rank)));
  }
  std::vector<attune_tensor> out;
  for (const OwnedTensor &t : outputs)
    out.push_back(t.tensor());
  attune_status status =
      session ? rt.sessionRun(session, entryArg(entry), in.data(), in.size(), out.data(),
                              out.size())
              : rt.run(handle, entryArg(entry), in.data(), in.size(), out.data(), out.size());
  if (status != ATTUNE_OK) {
    llvm::errs() << "attune: " << rt.lastError() << "\n";
    return false;
  }
  return true;
}
