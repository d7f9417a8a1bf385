/* Per-thread error messages and the small formatting helpers that build them. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char last_error[2048];

attune_status attune_fail(attune_status status, const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(last_error, sizeof last_error, format, args);
  va_end(args);
  return status;
}

void attune_clear_error(void) { last_error[0] = '\0'; }

const char *attune_last_error(void) { return last_error; }

const char *attune_status_name(attune_status status) {
  switch (status) {
  case ATTUNE_OK: return "ok";
  case ATTUNE_ERROR_INVALID_ARGUMENT: return "invalid argument";
  case ATTUNE_ERROR_IO: return "i/o error";
  case ATTUNE_ERROR_WEIGHTS: return "bad weights";
  case ATTUNE_ERROR_SHAPE: return "shape mismatch";
  case ATTUNE_ERROR_OUT_OF_MEMORY: return "out of memory";
  case ATTUNE_ERROR_LIBRARY: return "bad library";
  }
  return "unknown status";
}

size_t attune_dtype_size(attune_dtype dtype) {
  switch (dtype) {
  case ATTUNE_F32: return 4;
  case ATTUNE_I32: return 4;
  case ATTUNE_I64: return 8;
  case ATTUNE_F16: return 2;
  case ATTUNE_BF16: return 2;
  }
  return 0;
}

const char *attune_dtype_text(attune_dtype dtype) {
  switch (dtype) {
  case ATTUNE_F32: return "f32";
  case ATTUNE_I32: return "i32";
  case ATTUNE_I64: return "i64";
  case ATTUNE_F16: return "f16";
  case ATTUNE_BF16: return "bf16";
  }
  return "an unknown dtype";
}

const char *attune_format_shape(char *buffer, size_t size, const int64_t *shape, int32_t rank) {
  size_t used = (size_t)snprintf(buffer, size, "[");
  for (int32_t i = 0; i < rank && used < size; ++i) {
    if (shape[i] < 0)
      used += (size_t)snprintf(buffer + used, size - used, "%s?", i ? ", " : "");
    else
      used += (size_t)snprintf(buffer + used, size - used, "%s%lld", i ? ", " : "",
                               (long long)shape[i]);
  }
  if (used < size)
    snprintf(buffer + used, size - used, "]");
  return buffer;
}

static size_t edit_distance(const char *a, const char *b) {
  size_t n = strlen(b);
  size_t *row = malloc((n + 1) * sizeof *row);
  if (!row)
    return (size_t)-1;
  for (size_t j = 0; j <= n; ++j)
    row[j] = j;
  for (size_t i = 1; a[i - 1]; ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= n; ++j) {
      size_t above = row[j];
      size_t best = diagonal + (a[i - 1] != b[j - 1]);
      if (above + 1 < best)
        best = above + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      row[j] = best;
      diagonal = above;
    }
  }
  size_t result = row[n];
  free(row);
  return result;
}

void attune_closest_names(const char *wanted, const char *const *names, size_t count,
                          size_t max, char *buffer, size_t size) {
  buffer[0] = '\0';
  size_t *distance = malloc((count ? count : 1) * sizeof *distance);
  if (!distance)
    return;
  size_t wanted_length = strlen(wanted);
  for (size_t i = 0; i < count; ++i) {
    /* A name that differs only by a prefix ("transformer." or "model.") is the likeliest
     * intent: rank it first. */
    size_t length = strlen(names[i]);
    const char *longer = length > wanted_length ? names[i] : wanted;
    const char *shorter = length > wanted_length ? wanted : names[i];
    size_t difference = length > wanted_length ? length - wanted_length : wanted_length - length;
    distance[i] = strcmp(longer + difference, shorter) == 0 ? 0 : edit_distance(wanted, names[i]);
  }
  size_t used = 0;
  for (size_t picked = 0; picked < max && picked < count; ++picked) {
    size_t best = count;
    for (size_t i = 0; i < count; ++i)
      if (distance[i] != (size_t)-1 && (best == count || distance[i] < distance[best]))
        best = i;
    if (best == count)
      break;
    used += (size_t)snprintf(buffer + used, used < size ? size - used : 0, "%s'%s'",
                             picked ? ", " : "", names[best]);
    distance[best] = (size_t)-1;
    if (used >= size)
      break;
  }
  free(distance);
}
