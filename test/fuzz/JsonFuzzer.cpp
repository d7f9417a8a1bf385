// libFuzzer harness: any bytes through the runtime's JSON reader (safetensors headers): a
// value skipped, then as a string and as an unsigned integer, never reading past the end.
extern "C" {
#include "internal.h"
}

#include <cstdlib>
#include <cstring>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // A copy of exactly `size` bytes, so ASan catches a read one past the end.
  std::vector<char> bytes(data, data + size);
  const char *begin = bytes.data(), *end = begin + size;
  json_cursor value = {begin, end, begin};
  json_skip_value(&value, 0);
  json_cursor text = {begin, end, begin};
  if (char *string = json_parse_string(&text)) {
    if (strlen(string) > size) // never longer than the escaped form
      abort();
    free(string);
  }
  json_cursor number = {begin, end, begin};
  uint64_t parsed;
  json_parse_u64(&number, &parsed);
  return 0;
}
