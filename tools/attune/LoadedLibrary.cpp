// See LoadedLibrary.h. The driver links its own copy of the runtime; from the library it takes
// only NAME_manifest and NAME_entry.
#include "tools/attune/LoadedLibrary.h"

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
  attune_model_close(handle);
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
  auto *manifest = static_cast<const char *>(dlsym(loaded->library, (modelName + "_manifest").c_str()));
  auto entry = reinterpret_cast<attune_entry_fn>(dlsym(loaded->library, (modelName + "_entry").c_str()));
  if (!manifest || !entry) {
    llvm::errs() << "attune: " << path << " is not an attune library for model '" << modelName
                 << "' (no " << modelName << "_manifest/_entry)\n";
    return nullptr;
  }
  if (attune_model_open(manifest, entry, weights.c_str(), &loaded->handle) != ATTUNE_OK) {
    llvm::errs() << "attune: " << attune_last_error() << "\n";
    return nullptr;
  }
  return loaded;
}

std::vector<attune_tensor> LoadedLibrary::inputs() const {
  std::vector<attune_tensor> result(attune_model_num_inputs(handle));
  for (size_t i = 0; i < result.size(); ++i)
    attune_model_input(handle, i, &result[i]);
  return result;
}

std::vector<attune_tensor> LoadedLibrary::outputs() const {
  std::vector<attune_tensor> result(attune_model_num_outputs(handle));
  for (size_t i = 0; i < result.size(); ++i)
    attune_model_output(handle, i, &result[i]);
  return result;
}

bool LoadedLibrary::run(const std::vector<OwnedTensor> &inputs, std::vector<OwnedTensor> &outputs) {
  std::vector<attune_tensor> in;
  for (const OwnedTensor &t : inputs)
    in.push_back(t.tensor());
  std::vector<attune_tensor> declared = this->outputs();
  std::vector<attune_tensor> shapes = declared;
  if (attune_model_output_shapes(handle, in.data(), in.size(), shapes.data(), shapes.size()) !=
      ATTUNE_OK) {
    llvm::errs() << "attune: " << attune_last_error() << "\n";
    return false;
  }
  outputs.clear();
  for (const attune_tensor &shape : shapes)
    outputs.push_back(OwnedTensor::make(
        shape.name, shape.dtype, std::vector<int64_t>(shape.shape, shape.shape + shape.rank)));
  std::vector<attune_tensor> out;
  for (const OwnedTensor &t : outputs)
    out.push_back(t.tensor());
  if (attune_model_run(handle, in.data(), in.size(), out.data(), out.size()) != ATTUNE_OK) {
    llvm::errs() << "attune: " << attune_last_error() << "\n";
    return false;
  }
  return true;
}
