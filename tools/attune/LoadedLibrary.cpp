// See LoadedLibrary.h.
#include "tools/attune/LoadedLibrary.h"
#include "ir/Abi.h"

#include <algorithm>

#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <dlfcn.h>

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
    rt->model_close(handle);
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
  auto symbol = [&](llvm::StringRef suffix) {
    return dlsym(loaded->library, (modelName + suffix).str().c_str());
  };
  auto *manifest = static_cast<const char *>(symbol(abi::kManifestSuffix));
  void *entry = symbol(abi::kEntrySuffix);
  auto *runtime = reinterpret_cast<const attune_runtime *(*)()>(symbol(abi::kRuntimeSuffix));
  if (!manifest || !entry || !runtime) {
    llvm::errs() << "attune: " << path << " is not an attune library for model '" << modelName
                 << "' (no " << modelName << abi::kManifestSuffix << ", " << abi::kEntrySuffix
                 << " and " << abi::kRuntimeSuffix << "; built by another version of attune?)\n";
    return nullptr;
  }
  const attune_runtime *rt = runtime();
  if (rt->abi_version != ATTUNE_ABI_VERSION || rt->size < sizeof(attune_runtime)) {
    llvm::errs() << "attune: " << path << " has runtime ABI version " << rt->abi_version
                 << " with a " << rt->size << "-byte function table; this attune reads version "
                 << ATTUNE_ABI_VERSION << " with " << sizeof(attune_runtime)
                 << " bytes (rebuild the library)\n";
    return nullptr;
  }
  loaded->rt = rt;
  if (rt->model_open(manifest, reinterpret_cast<attune_entry_fn>(entry), weights.c_str(),
              &loaded->handle) != ATTUNE_OK) {
    llvm::errs() << "attune: " << rt->last_error() << "\n";
    return nullptr;
  }
  return loaded;
}

/// The runtime's spelling of an entry point: NULL for the default one.
static const char *entryArg(const std::string &entry) {
  return entry.empty() ? nullptr : entry.c_str();
}

bool LoadedLibrary::hasEntry(const std::string &name) const {
  for (size_t i = 0; i < rt->model_num_entries(handle); ++i)
    if (name == rt->model_entry_name(handle, i))
      return true;
  return false;
}

std::vector<attune_tensor> LoadedLibrary::inputs(const std::string &entry) const {
  std::vector<attune_tensor> result(rt->model_entry_num_inputs(handle, entryArg(entry)));
  for (size_t i = 0; i < result.size(); ++i)
    rt->model_entry_input(handle, entryArg(entry), i, &result[i]);
  return result;
}

std::vector<attune_tensor> LoadedLibrary::outputs(const std::string &entry) const {
  std::vector<attune_tensor> result(rt->model_entry_num_outputs(handle, entryArg(entry)));
  for (size_t i = 0; i < result.size(); ++i)
    rt->model_entry_output(handle, entryArg(entry), i, &result[i]);
  return result;
}

bool LoadedLibrary::run(const std::vector<OwnedTensor> &inputs, std::vector<OwnedTensor> &outputs,
                        const std::string &entry, attune_session *session) {
  std::vector<attune_tensor> in;
  for (const OwnedTensor &t : inputs)
    in.push_back(t.tensor());
  std::vector<attune_tensor> shapes = this->outputs(entry);
  if (rt->model_entry_output_shapes(handle, entryArg(entry), in.data(), in.size(), shapes.data(),
                      shapes.size()) != ATTUNE_OK) {
    llvm::errs() << "attune: " << rt->last_error() << "\n";
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
      session ? rt->session_run(session, entryArg(entry), in.data(), in.size(), out.data(),
                              out.size())
              : rt->model_run_entry(handle, entryArg(entry), in.data(), in.size(), out.data(), out.size());
  if (status != ATTUNE_OK) {
    llvm::errs() << "attune: " << rt->last_error() << "\n";
    return false;
  }
  return true;
}
