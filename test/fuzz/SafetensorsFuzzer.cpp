// libFuzzer harness: any bytes as a safetensors file. Opening must refuse malformed files
// cleanly; every tensor of an accepted file must be readable wholly inside the mapping.
#include "attune/runtime.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // The reader maps a path: the bytes go to an anonymous in-memory file named by /proc.
  int fd = memfd_create("safetensors", 0);
  if (fd < 0 || write(fd, data, size) != static_cast<ssize_t>(size)) {
    if (fd >= 0)
      close(fd);
    return 0;
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  attune_safetensors *file = nullptr;
  if (attune_safetensors_open(path.c_str(), &file) == ATTUNE_OK) {
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < attune_safetensors_count(file); ++i) {
      attune_tensor t;
      if (attune_safetensors_get(file, i, &t) != ATTUNE_OK)
        continue;
      size_t bytes = attune_dtype_size(t.dtype);
      for (int32_t d = 0; d < t.rank; ++d)
        bytes *= static_cast<size_t>(t.shape[d]);
      if (bytes) // first and last byte: ASan sees any read outside the mapping
        sink ^= static_cast<const uint8_t *>(t.data)[0] ^
                static_cast<const uint8_t *>(t.data)[bytes - 1];
      attune_tensor again;
      attune_safetensors_find(file, t.name, &again);
    }
    (void)sink;
  }
  attune_safetensors_close(file);
  close(fd);
  return 0;
}
