/* A minimal JSON reader, enough for safetensors headers (objects, arrays, strings, unsigned
 * integers, and skipping anything else). It never reads past the cursor's end. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

void json_skip_space(json_cursor *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
    ++c->p;
}

bool json_consume(json_cursor *c, char expected) {
  json_skip_space(c);
  if (c->p < c->end && *c->p == expected) {
    ++c->p;
    return true;
  }
  return false;
}

static int hex_value(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

char *json_parse_string(json_cursor *c) {
  if (!json_consume(c, '"'))
    return NULL;
  /* The unescaped text is never longer than the escaped one. */
  const char *close = c->p;
  while (close < c->end && *close != '"')
    close += (*close == '\\') ? 2 : 1;
  if (close >= c->end)
    return NULL;
  char *out = malloc((size_t)(close - c->p) + 1);
  if (!out)
    return NULL;
  size_t n = 0;
  while (c->p < close) {
    char ch = *c->p++;
    if (ch != '\\') {
      out[n++] = ch;
      continue;
    }
    char esc = *c->p++;
    switch (esc) {
    case '"': case '\\': case '/': out[n++] = esc; break;
    case 'b': out[n++] = '\b'; break;
    case 'f': out[n++] = '\f'; break;
    case 'n': out[n++] = '\n'; break;
    case 'r': out[n++] = '\r'; break;
    case 't': out[n++] = '\t'; break;
    case 'u': {
      if (close - c->p < 4) { free(out); return NULL; }
      unsigned code = 0;
      for (int i = 0; i < 4; ++i) {
        int h = hex_value(*c->p++);
        if (h < 0) { free(out); return NULL; }
        code = code * 16 + (unsigned)h;
      }
      /* Names are ASCII in practice; other code points are kept as UTF-8 (BMP only). */
      if (code < 0x80) {
        out[n++] = (char)code;
      } else if (code < 0x800) {
        out[n++] = (char)(0xC0 | (code >> 6));
        out[n++] = (char)(0x80 | (code & 0x3F));
      } else {
        free(out); /* 3-byte sequences could outgrow the buffer: reject. */
        return NULL;
      }
      break;
    }
    default: free(out); return NULL;
    }
  }
  out[n] = '\0';
  c->p = close + 1;
  return out;
}

bool json_parse_u64(json_cursor *c, uint64_t *value) {
  json_skip_space(c);
  if (c->p >= c->end || *c->p < '0' || *c->p > '9')
    return false;
  uint64_t v = 0;
  while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
    uint64_t digit = (uint64_t)(*c->p++ - '0');
    if (v > (UINT64_MAX - digit) / 10)
      return false;
    v = v * 10 + digit;
  }
  *value = v;
  return true;
}

bool json_skip_value(json_cursor *c, int depth) {
  if (depth > 64)
    return false;
  json_skip_space(c);
  if (c->p >= c->end)
    return false;
  char ch = *c->p;
  if (ch == '"') {
    char *s = json_parse_string(c);
    free(s);
    return s != NULL;
  }
  if (ch == '{' || ch == '[') {
    char close = ch == '{' ? '}' : ']';
    ++c->p;
    if (json_consume(c, close))
      return true;
    do {
      if (ch == '{') {
        char *key = json_parse_string(c);
        if (!key)
          return false;
        free(key);
        if (!json_consume(c, ':'))
          return false;
      }
      if (!json_skip_value(c, depth + 1))
        return false;
    } while (json_consume(c, ','));
    return json_consume(c, close);
  }
  /* numbers, true, false, null */
  const char *begin = c->p;
  while (c->p < c->end && strchr("+-.0123456789eEtruefalsn", *c->p))
    ++c->p;
  return c->p > begin;
}
