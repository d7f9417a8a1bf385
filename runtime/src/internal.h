/* Private declarations shared by the runtime's source files. */
#ifndef ATTUNE_RUNTIME_INTERNAL_H
#define ATTUNE_RUNTIME_INTERNAL_H

#include "attune/runtime.h"

#include <stdbool.h>

/* Records a formatted message as this thread's last error and returns `status`. */
attune_status attune_fail(attune_status status, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
void attune_clear_error(void);

/* "[2, 24, 512]" into `buffer`; symbolic dims (-1) print as "?". */
const char *attune_format_shape(char *buffer, size_t size, const int64_t *shape, int32_t rank);

/* Up to `max` names from `names` closest to `wanted` (edit distance), joined by ", ". */
void attune_closest_names(const char *wanted, const char *const *names, size_t count,
                          size_t max, char *buffer, size_t size);

/* Minimal JSON reader used for safetensors headers: a cursor over [p, end). */
typedef struct json_cursor {
  const char *p;
  const char *end;
  const char *start;
} json_cursor;

void json_skip_space(json_cursor *c);
bool json_consume(json_cursor *c, char expected);
/* A string, unescaped into a malloc'd buffer (NULL on malformed input). */
char *json_parse_string(json_cursor *c);
bool json_parse_u64(json_cursor *c, uint64_t *value);
/* Skips any JSON value (used for __metadata__ and unknown fields). */
bool json_skip_value(json_cursor *c, int depth);

#endif /* ATTUNE_RUNTIME_INTERNAL_H */
