/* One safetensors file: an 8-byte little-endian header length, a JSON header naming each
 * tensor's dtype, shape and byte range, then the data. The file is memory-mapped; the header
 * length is bounded by the file size, and every entry's range is checked (inside the data,
 * sized to its shape, not overlapping another) before any tensor is handed out. The public
 * attune_safetensors (safetensors_set.c) is one or several of these; the writer is here. */
#include "internal.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Headers above this size are rejected rather than parsed (the format's own limit). */
#define MAX_HEADER_BYTES (100u * 1024u * 1024u)

typedef struct entry {
  char *name;
  char dtype_name[16];
  int dtype; /* an attune_dtype, or -1 for a dtype attune does not compute in */
  int32_t rank;
  int64_t shape[ATTUNE_MAX_RANK];
  uint64_t begin, end;
} entry;

struct safetensors_file {
  char *path;
  void *map;
  size_t map_size;
  const uint8_t *data;
  uint64_t data_size;
  entry *entries;
  size_t count;
};

static const struct {
  const char *name;
  int dtype;
  unsigned size;
} known_dtypes[] = {
    {"F32", ATTUNE_F32, 4},    {"I32", ATTUNE_I32, 4}, {"I64", ATTUNE_I64, 8},
    {"F16", ATTUNE_F16, 2},    {"BF16", ATTUNE_BF16, 2}, {"F64", -1, 8},
    {"I8", -1, 1},             {"U8", -1, 1},          {"I16", -1, 2},
    {"BOOL", -1, 1},           {"U16", -1, 2},         {"U32", -1, 4},
    {"U64", -1, 8},            {"F8_E4M3", -1, 1},     {"F8_E5M2", -1, 1},
};

static void free_entries(safetensors_file *file) {
  for (size_t i = 0; i < file->count; ++i)
    free(file->entries[i].name);
  free(file->entries);
  file->entries = NULL;
  file->count = 0;
}

void safetensors_file_close(safetensors_file *file) {
  if (!file)
    return;
  free_entries(file);
  if (file->map && file->map != MAP_FAILED)
    munmap(file->map, file->map_size);
  free(file->path);
  free(file);
}

/* Parses one `"name": {"dtype": ..., "shape": [...], "data_offsets": [b, e]}` value. */
static attune_status parse_entry(safetensors_file *file, json_cursor *c, entry *e) {
  const char *path = file->path;
  if (!json_consume(c, '{'))
    return attune_fail(ATTUNE_ERROR_WEIGHTS, "%s: tensor '%s': expected an object", path,
                       e->name);
  bool has_dtype = false, has_shape = false, has_offsets = false;
  unsigned element_size = 0;
  const char *malformed = NULL; /* what is wrong with the value of the key being read */
  do {
    char *key = json_parse_string(c);
    if (!key || !json_consume(c, ':')) {
      free(key);
      return attune_fail(ATTUNE_ERROR_WEIGHTS,
                         "%s: tensor '%s': malformed header entry (expected \"key\": value)", path,
                         e->name);
    }
    /* A key given twice would leave which value counts to the reader. */
    if ((strcmp(key, "dtype") == 0 && has_dtype) || (strcmp(key, "shape") == 0 && has_shape) ||
        (strcmp(key, "data_offsets") == 0 && has_offsets)) {
      attune_status s = attune_fail(ATTUNE_ERROR_WEIGHTS, "%s: tensor '%s': '%s' given twice",
                                    path, e->name, key);
      free(key);
      return s;
    }
    if (strcmp(key, "dtype") == 0) {
      char *dtype = json_parse_string(c);
      e->dtype = -2;
      for (size_t i = 0; dtype && i < sizeof known_dtypes / sizeof *known_dtypes; ++i)
        if (strcmp(dtype, known_dtypes[i].name) == 0) {
          e->dtype = known_dtypes[i].dtype;
          element_size = known_dtypes[i].size;
          snprintf(e->dtype_name, sizeof e->dtype_name, "%s", dtype);
        }
      if (e->dtype == -2) {
        attune_status s = attune_fail(ATTUNE_ERROR_WEIGHTS, "%s: tensor '%s': unknown dtype '%s'",
                                      path, e->name, dtype ? dtype : "?");
        free(dtype);
        free(key);
        return s;
      }
      free(dtype);
      has_dtype = true;
    } else if (strcmp(key, "shape") == 0) {
      malformed = "must be a list of at most 8 integers >= 0";
      if (!json_consume(c, '['))
        goto malformed;
      e->rank = 0;
      if (!json_consume(c, ']')) {
        do {
          uint64_t dim;
          if (e->rank >= ATTUNE_MAX_RANK || !json_parse_u64(c, &dim) || dim > INT64_MAX)
            goto malformed;
          e->shape[e->rank++] = (int64_t)dim;
        } while (json_consume(c, ','));
        if (!json_consume(c, ']'))
          goto malformed;
      }
      has_shape = true;
    } else if (strcmp(key, "data_offsets") == 0) {
      malformed = "must be a list of two integers >= 0, [begin, end)";
      if (!json_consume(c, '[') || !json_parse_u64(c, &e->begin) || !json_consume(c, ',') ||
          !json_parse_u64(c, &e->end) || !json_consume(c, ']'))
        goto malformed;
      has_offsets = true;
    } else if (!json_skip_value(c, 0)) {
      malformed = "is not valid JSON";
      goto malformed;
    }
    free(key);
    continue;
  malformed:
    attune_fail(ATTUNE_ERROR_WEIGHTS, "%s: tensor '%s': '%s' %s", path, e->name, key, malformed);
    free(key);
    return ATTUNE_ERROR_WEIGHTS;
  } while (json_consume(c, ','));
  if (!json_consume(c, '}') || !has_dtype || !has_shape || !has_offsets)
    return attune_fail(ATTUNE_ERROR_WEIGHTS,
                       "%s: tensor '%s': header entry needs dtype, shape and data_offsets", path,
                       e->name);

  /* The byte range must lie in the data section and hold exactly shape x dtype bytes. */
  if (e->begin > e->end)
    return attune_fail(ATTUNE_ERROR_WEIGHTS,
                       "%s: tensor '%s': byte range [%llu, %llu) ends before it begins", path,
                       e->name, (unsigned long long)e->begin, (unsigned long long)e->end);
  if (e->end > file->data_size)
    return attune_fail(ATTUNE_ERROR_WEIGHTS,
                       "%s: tensor '%s': byte range [%llu, %llu) is outside the %llu data bytes "
                       "(file truncated?)",
                       path, e->name, (unsigned long long)e->begin, (unsigned long long)e->end,
                       (unsigned long long)file->data_size);
  uint64_t bytes = element_size;
  for (int32_t i = 0; i < e->rank; ++i) {
    if (e->shape[i] != 0 && bytes > UINT64_MAX / (uint64_t)e->shape[i])
      return attune_fail(ATTUNE_ERROR_WEIGHTS,
                         "%s: tensor '%s': shape too large (its bytes do not fit 64 bits)", path,
                         e->name);
    bytes *= (uint64_t)e->shape[i];
  }
  if (bytes != e->end - e->begin) {
    char shape[128];
    return attune_fail(ATTUNE_ERROR_WEIGHTS,
                       "%s: tensor '%s': %s %s needs %llu bytes but its range holds %llu", path,
                       e->name, e->dtype_name, attune_format_shape(shape, sizeof shape, e->shape, e->rank),
                       (unsigned long long)bytes, (unsigned long long)(e->end - e->begin));
  }
  return ATTUNE_OK;
}

/* The file's entries ordered by `compare` (a malloc'd array of file->count pointers), or NULL
 * when out of memory. */
static const entry **sorted_entries(const safetensors_file *file,
                                    int (*compare)(const void *, const void *)) {
  const entry **sorted = malloc(file->count * sizeof *sorted);
  if (!sorted)
    return NULL;
  for (size_t i = 0; i < file->count; ++i)
    sorted[i] = &file->entries[i];
  qsort(sorted, file->count, sizeof *sorted, compare);
  return sorted;
}

static int compare_name(const void *a, const void *b) {
  return strcmp((*(const entry *const *)a)->name, (*(const entry *const *)b)->name);
}

/* Two tensors of one name: a reader would take either (the first, by a linear search), and
 * the other's values would silently go unused. */
static attune_status check_duplicates(safetensors_file *file) {
  if (file->count < 2)
    return ATTUNE_OK;
  const entry **sorted = sorted_entries(file, compare_name);
  if (!sorted)
    return attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory");
  attune_status status = ATTUNE_OK;
  for (size_t i = 1; i < file->count && status == ATTUNE_OK; ++i)
    if (strcmp(sorted[i - 1]->name, sorted[i]->name) == 0)
      status = attune_fail(ATTUNE_ERROR_WEIGHTS, "%s: tensor '%s' appears twice in the header",
                           file->path, sorted[i]->name);
  free(sorted);
  return status;
}

static int compare_begin(const void *a, const void *b) {
  const entry *x = *(const entry *const *)a, *y = *(const entry *const *)b;
  return x->begin < y->begin ? -1 : x->begin > y->begin;
}

static attune_status check_overlaps(safetensors_file *file) {
  if (file->count < 2)
    return ATTUNE_OK;
  const entry **sorted = sorted_entries(file, compare_begin);
  if (!sorted)
    return attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory");
  attune_status status = ATTUNE_OK;
  const entry *previous = NULL;
  for (size_t i = 0; i < file->count; ++i) {
    const entry *e = sorted[i];
    if (e->begin == e->end)
      continue;
    if (previous && e->begin < previous->end) {
      status = attune_fail(ATTUNE_ERROR_WEIGHTS,
                           "%s: tensors '%s' [%llu, %llu) and '%s' [%llu, %llu) overlap",
                           file->path, previous->name, (unsigned long long)previous->begin,
                           (unsigned long long)previous->end, e->name,
                           (unsigned long long)e->begin, (unsigned long long)e->end);
      break;
    }
    previous = e;
  }
  free(sorted);
  return status;
}

static attune_status parse_header(safetensors_file *file, const char *header, size_t length) {
  json_cursor c = {header, header + length, header};
  if (!json_consume(&c, '{'))
    return attune_fail(ATTUNE_ERROR_WEIGHTS, "%s: header is not a JSON object", file->path);
  size_t capacity = 0;
  if (json_consume(&c, '}')) {
    json_skip_space(&c);
    return c.p == c.end ? ATTUNE_OK
                        : attune_fail(ATTUNE_ERROR_WEIGHTS,
                                      "%s: bytes after the header's closing brace are not padding",
                                      file->path);
  }
  do {
    char *name = json_parse_string(&c);
    if (!name || !json_consume(&c, ':')) {
      free(name);
      return attune_fail(ATTUNE_ERROR_WEIGHTS, "%s: malformed header at byte %zu", file->path,
                         (size_t)(c.p - header) + 8);
    }
    if (strcmp(name, "__metadata__") == 0) {
      free(name);
      if (!json_skip_value(&c, 0))
        return attune_fail(ATTUNE_ERROR_WEIGHTS, "%s: malformed __metadata__", file->path);
      continue;
    }
    if (file->count == capacity) {
      capacity = capacity ? capacity * 2 : 64;
      entry *grown = realloc(file->entries, capacity * sizeof *grown);
      if (!grown) {
        free(name);
        return attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory");
      }
      file->entries = grown;
    }
    entry *e = &file->entries[file->count++];
    memset(e, 0, sizeof *e);
    e->name = name;
    attune_status status = parse_entry(file, &c, e);
    if (status != ATTUNE_OK)
      return status;
  } while (json_consume(&c, ','));
  if (!json_consume(&c, '}'))
    return attune_fail(ATTUNE_ERROR_WEIGHTS, "%s: malformed header at byte %zu", file->path,
                       (size_t)(c.p - header) + 8);
  /* Writers pad the header with spaces to align the data; anything else after it is not
   * part of the format. */
  json_skip_space(&c);
  if (c.p != c.end)
    return attune_fail(ATTUNE_ERROR_WEIGHTS,
                       "%s: %zu bytes after the header's closing brace (at byte %zu) are not "
                       "padding",
                       file->path, (size_t)(c.end - c.p), (size_t)(c.p - header) + 8);
  attune_status status = check_duplicates(file);
  return status == ATTUNE_OK ? check_overlaps(file) : status;
}

attune_status safetensors_file_open(const char *path, safetensors_file **out) {
  *out = NULL;
  safetensors_file *file = calloc(1, sizeof *file);
  if (!file || !(file->path = strdup(path))) {
    free(file);
    return attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory");
  }
  /* Non-blocking: opening a FIFO (or a device) to read would wait for a writer forever; it
   * is refused below as not a regular file. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    safetensors_file_close(file);
    return attune_fail(ATTUNE_ERROR_IO, "%s: cannot open: %s", path, strerror(errno));
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    safetensors_file_close(file);
    return attune_fail(ATTUNE_ERROR_IO, "%s: not a regular file", path);
  }
  uint64_t size = (uint64_t)st.st_size;
  if (size < 8) {
    close(fd);
    safetensors_file_close(file);
    return attune_fail(ATTUNE_ERROR_WEIGHTS,
                       "%s: %llu bytes is too short for a safetensors header", path,
                       (unsigned long long)size);
  }
  file->map_size = (size_t)size;
  file->map = mmap(NULL, file->map_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (file->map == MAP_FAILED) {
    file->map = NULL;
    safetensors_file_close(file);
    return attune_fail(ATTUNE_ERROR_IO, "%s: cannot map: %s", path, strerror(errno));
  }
  const uint8_t *bytes = file->map;
  uint64_t header_length = 0;
  for (int i = 7; i >= 0; --i)
    header_length = (header_length << 8) | bytes[i];
  if (header_length > size - 8 || header_length > MAX_HEADER_BYTES) {
    attune_status s = attune_fail(ATTUNE_ERROR_WEIGHTS,
                                  "%s: header length %llu runs past the end of the file "
                                  "(%llu bytes)",
                                  path, (unsigned long long)header_length,
                                  (unsigned long long)size);
    safetensors_file_close(file);
    return s;
  }
  file->data = bytes + 8 + header_length;
  file->data_size = size - 8 - header_length;
  attune_status status = parse_header(file, (const char *)bytes + 8, (size_t)header_length);
  if (status != ATTUNE_OK) {
    safetensors_file_close(file);
    return status;
  }
  *out = file;
  return ATTUNE_OK;
}

size_t safetensors_file_count(const safetensors_file *file) { return file->count; }

const char *safetensors_file_path(const safetensors_file *file) { return file->path; }

const char *safetensors_file_name(const safetensors_file *file, size_t index) {
  return file->entries[index].name;
}

attune_status safetensors_file_get(const safetensors_file *file, size_t index,
                                   attune_tensor *tensor) {
  const entry *e = &file->entries[index];
  if (e->dtype < 0)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT,
                       "%s: tensor '%s' has dtype %s; attune reads F32, F16, BF16, I32 and I64",
                       file->path, e->name, e->dtype_name);
  tensor->name = e->name;
  tensor->dtype = (attune_dtype)e->dtype;
  tensor->rank = e->rank;
  memcpy(tensor->shape, e->shape, sizeof e->shape);
  tensor->data = (void *)(file->data + e->begin);
  return ATTUNE_OK;
}

/* The format's name of a dtype ("F32"); attune_safetensors_write has checked it is one. */
static const char *dtype_name(attune_dtype dtype) {
  for (size_t i = 0; i < sizeof known_dtypes / sizeof *known_dtypes; ++i)
    if (known_dtypes[i].dtype == (int)dtype)
      return known_dtypes[i].name;
  return "?";
}

/* Appends printf-style text to a growing buffer. */
static bool append(char **buffer, size_t *length, size_t *capacity, const char *format, ...)
    __attribute__((format(printf, 4, 5)));
static bool append(char **buffer, size_t *length, size_t *capacity, const char *format, ...) {
  for (;;) {
    va_list args;
    va_start(args, format);
    int n = vsnprintf(*buffer + *length, *capacity - *length, format, args);
    va_end(args);
    if (n < 0)
      return false;
    if (*length + (size_t)n < *capacity) {
      *length += (size_t)n;
      return true;
    }
    size_t grown = (*capacity + (size_t)n) * 2;
    char *bigger = realloc(*buffer, grown);
    if (!bigger)
      return false;
    *buffer = bigger;
    *capacity = grown;
  }
}

attune_status attune_safetensors_write(const char *path, const attune_tensor *tensors,
                                       size_t count) {
  if (!path || (!tensors && count))
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "attune_safetensors_write: null argument");
  size_t capacity = 256, length = 0;
  char *header = malloc(capacity);
  if (!header)
    return attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory");
  bool ok = append(&header, &length, &capacity, "{");
  uint64_t offset = 0;
  for (size_t i = 0; ok && i < count; ++i) {
    const attune_tensor *t = &tensors[i];
    uint64_t bytes = attune_dtype_size(t->dtype);
    bool valid = t->name && t->data && bytes && t->rank >= 0 && t->rank <= ATTUNE_MAX_RANK;
    for (int32_t d = 0; valid && d < t->rank; ++d)
      valid = t->shape[d] >= 0 && !__builtin_mul_overflow(bytes, (uint64_t)t->shape[d], &bytes);
    if (!valid || __builtin_add_overflow(offset, bytes, &(uint64_t){0})) {
      free(header);
      return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT,
                         "attune_safetensors_write: tensor #%zu has no name, no data, a dtype "
                         "that is not an attune_dtype, a rank outside [0, %d] or a shape that "
                         "is negative or too large",
                         i, ATTUNE_MAX_RANK);
    }
    ok = append(&header, &length, &capacity, "%s\"", i ? "," : "");
    /* The name as a JSON string: quotes, backslashes and control characters escaped. */
    for (const char *ch = t->name; ok && *ch; ++ch) {
      unsigned char byte = (unsigned char)*ch;
      ok = byte == '"' || byte == '\\' ? append(&header, &length, &capacity, "\\%c", byte)
           : byte < 0x20              ? append(&header, &length, &capacity, "\\u%04x", byte)
                                      : append(&header, &length, &capacity, "%c", byte);
    }
    ok = ok && append(&header, &length, &capacity, "\":{\"dtype\":\"%s\",\"shape\":[",
                      dtype_name(t->dtype));
    for (int32_t d = 0; ok && d < t->rank; ++d)
      ok = append(&header, &length, &capacity, "%s%lld", d ? "," : "", (long long)t->shape[d]);
    ok = ok && append(&header, &length, &capacity, "],\"data_offsets\":[%llu,%llu]}",
                      (unsigned long long)offset, (unsigned long long)(offset + bytes));
    offset += bytes;
  }
  ok = ok && append(&header, &length, &capacity, "}");
  while (ok && length % 8) /* keep the data 8-byte aligned */
    ok = append(&header, &length, &capacity, " ");
  if (!ok) {
    free(header);
    return attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory");
  }

  size_t temp_length = strlen(path) + 16;
  char *temp = malloc(temp_length);
  if (!temp) {
    free(header);
    return attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory");
  }
  snprintf(temp, temp_length, "%s.tmpXXXXXX", path);
  int fd = mkstemp(temp);
  FILE *out = fd >= 0 ? fdopen(fd, "wb") : NULL;
  if (!out) {
    attune_status s = attune_fail(ATTUNE_ERROR_IO, "%s: cannot write: %s", path, strerror(errno));
    if (fd >= 0) {
      close(fd);
      unlink(temp);
    }
    free(temp);
    free(header);
    return s;
  }
  uint8_t prefix[8];
  for (int i = 0; i < 8; ++i)
    prefix[i] = (uint8_t)((uint64_t)length >> (8 * i));
  ok = fwrite(prefix, 1, 8, out) == 8 && fwrite(header, 1, length, out) == length;
  for (size_t i = 0; ok && i < count; ++i) {
    size_t bytes = attune_dtype_size(tensors[i].dtype);
    for (int32_t d = 0; d < tensors[i].rank; ++d)
      bytes *= (size_t)tensors[i].shape[d];
    ok = fwrite(tensors[i].data, 1, bytes, out) == bytes;
  }
  ok = (fclose(out) == 0) && ok;
  free(header);
  if (!ok || rename(temp, path) != 0) {
    attune_status s = attune_fail(ATTUNE_ERROR_IO, "%s: cannot write: %s", path, strerror(errno));
    unlink(temp);
    free(temp);
    return s;
  }
  free(temp);
  return ATTUNE_OK;
}
