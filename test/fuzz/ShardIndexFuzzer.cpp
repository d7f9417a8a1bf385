// libFuzzer harness: any bytes as a sharded checkpoint's model.safetensors.index.json, in a
// model directory whose two shards are fixed (s1.safetensors holds a and b, s2.safetensors
// holds c). Opening must refuse every index that is malformed or disagrees with the shards
// cleanly; an accepted one must hand out exactly the tensors of the shards it names.
#include "attune/runtime.h"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

/// The model directory (a fixed buffer, which outlives the exit handler that removes it).
char folder[] = "/tmp/attune-index-fuzz-XXXXXX";

void removeModelDirectory() {
  for (const char *file : {"/s1.safetensors", "/s2.safetensors", "/model.safetensors.index.json"})
    unlink((std::string(folder) + file).c_str());
  rmdir(folder);
}

/// The model directory, made with its shards on the first call.
const char *modelDirectory() {
  static bool made = false;
  if (made)
    return folder;
  if (!mkdtemp(folder))
    abort();
  atexit(removeModelDirectory);
  static float values[4] = {1, 2, 3, 4};
  attune_tensor first[2] = {{"a", ATTUNE_F32, 1, {2}, values},
                            {"b", ATTUNE_F32, 0, {}, values + 2}};
  attune_tensor second[1] = {{"c", ATTUNE_F32, 0, {}, values + 3}};
  std::string dir = folder;
  if (attune_safetensors_write((dir + "/s1.safetensors").c_str(), first, 2) != ATTUNE_OK ||
      attune_safetensors_write((dir + "/s2.safetensors").c_str(), second, 1) != ATTUNE_OK)
    abort();
  made = true;
  return folder;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string dir = modelDirectory();
  std::string index = dir + "/model.safetensors.index.json";
  FILE *out = fopen(index.c_str(), "wb");
  if (!out || fwrite(data, 1, size, out) != size) {
    if (out)
      fclose(out);
    return 0;
  }
  fclose(out);
  attune_safetensors *set = nullptr;
  if (attune_safetensors_open(dir.c_str(), &set) == ATTUNE_OK) {
    // The index agrees with the shards it names (one or both), so the set is theirs: each of
    // its tensors is a, b or c, once, and found where get puts it.
    size_t count = attune_safetensors_count(set);
    if (count > 3)
      abort();
    for (size_t i = 0; i < count; ++i) {
      attune_tensor got, found;
      if (attune_safetensors_get(set, i, &got) != ATTUNE_OK || strlen(got.name) != 1 ||
          got.name[0] < 'a' || got.name[0] > 'c' ||
          attune_safetensors_find(set, got.name, &found) != ATTUNE_OK || found.data != got.data)
        abort();
    }
  }
  attune_safetensors_close(set);
  return 0;
}
