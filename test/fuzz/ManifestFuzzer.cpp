// libFuzzer harness: any text as a compiled library's manifest. attune_model_open must refuse
// a malformed one cleanly; an accepted one is described and asked for its workspace.
#include "attune/runtime.h"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace {
std::string weightsPath;
void noEntry(int32_t, void **) {}
} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  // Weights with one tensor; the manifests name it or others (then refused at open).
  char path[] = "/tmp/attune-manifest-fuzzer-XXXXXX";
  int fd = mkstemp(path);
  if (fd >= 0)
    close(fd);
  weightsPath = path;
  float w[4] = {1, 2, 3, 4};
  attune_tensor t = {"w", ATTUNE_F32, 1, {4}, w};
  attune_safetensors_write(weightsPath.c_str(), &t, 1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string manifest(reinterpret_cast<const char *>(data), size); // NUL-terminated copy
  attune_model *model = nullptr;
  if (attune_model_open(manifest.c_str(), noEntry, weightsPath.c_str(), &model) != ATTUNE_OK)
    return 0;
  attune_tensor info;
  for (size_t i = 0; i < attune_model_num_inputs(model); ++i)
    attune_model_input(model, i, &info);
  for (size_t i = 0; i < attune_model_num_outputs(model); ++i)
    attune_model_output(model, i, &info);
  size_t bytes = 0;
  attune_model_workspace_bytes(model, nullptr, nullptr, 0, &bytes);
  attune_model_close(model);
  return 0;
}
