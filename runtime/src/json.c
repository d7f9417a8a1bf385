/* A minimal JSON reader, enough for safetensors headers (objects, arrays, strings, unsigned
 * integers, and skipping any other value JSON allows, nothing it does not). It never reads
 * past the cursor's end. */
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

/* Four hex digits at c->p as a code unit, or -1. */
static long hex4(json_cursor *c, const char *close) {
  if (close - c->p < 4)
    return -1;
  long code = 0;
  for (int i = 0; i < 4; ++i) {
    int h = hex_value(*c->p++);
    if (h < 0)
      return -1;
    code = code * 16 + h;
  }
  return code;
}

/* Appends code point `code` as UTF-8. */
static size_t put_utf8(char *out, unsigned long code) {
  if (code < 0x80) {
    out[0] = (char)code;
    return 1;
  }
  if (code < 0x800) {
    out[0] = (char)(0xC0 | (code >> 6));
    out[1] = (char)(0x80 | (code & 0x3F));
    return 2;
  }
  if (code < 0x10000) {
    out[0] = (char)(0xE0 | (code >> 12));
    out[1] = (char)(0x80 | ((code >> 6) & 0x3F));
    out[2] = (char)(0x80 | (code & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (code >> 18));
  out[1] = (char)(0x80 | ((code >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((code >> 6) & 0x3F));
  out[3] = (char)(0x80 | (code & 0x3F));
  return 4;
}

/* A string as JSON defines it: no raw control characters (a NUL byte included), escapes of
 * any code point (a surrogate pair for those past the BMP), UTF-8 out. \u0000 is refused:
 * the result is a C string, which it would cut short. */
char *json_parse_string(json_cursor *c) {
  if (!json_consume(c, '"'))
    return NULL;
  /* The unescaped text is never longer than the escaped one (\uXXXX is 6 bytes for at most
   * 3 of UTF-8, a pair 12 for 4). */
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
    unsigned char ch = (unsigned char)*c->p++;
    if (ch < 0x20)
      goto bad;
    if (ch != '\\') {
      out[n++] = (char)ch;
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
      long code = hex4(c, close);
      if (code <= 0 || (code >= 0xDC00 && code < 0xE000))
        goto bad; /* not four hex digits, U+0000, or a low surrogate alone */
      if (code >= 0xD800 && code < 0xDC00) {
        if (close - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u')
          goto bad;
        c->p += 2;
        long low = hex4(c, close);
        if (low < 0xDC00 || low >= 0xE000)
          goto bad;
        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
      }
      n += put_utf8(out + n, (unsigned long)code);
      break;
    }
    default: goto bad;
    }
  }
  out[n] = '\0';
  c->p = close + 1;
  return out;
bad:
  free(out);
  return NULL;
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

/* true, false or null at the cursor: skipped, or false. */
static bool skip_literal(json_cursor *c) {
  static const char *const literals[] = {"true", "false", "null"};
  for (size_t i = 0; i < sizeof literals / sizeof *literals; ++i) {
    size_t length = strlen(literals[i]);
    if ((size_t)(c->end - c->p) >= length && memcmp(c->p, literals[i], length) == 0) {
      c->p += length;
      return true;
    }
  }
  return false;
}

static bool skip_digits(json_cursor *c) {
  const char *begin = c->p;
  while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
    ++c->p;
  return c->p > begin;
}

/* A number as JSON writes one, -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?: skipped, or
 * false (the cursor then anywhere in it). */
static bool skip_number(json_cursor *c) {
  if (c->p < c->end && *c->p == '-')
    ++c->p;
  if (c->p < c->end && *c->p == '0')
    ++c->p;
  else if (!skip_digits(c))
    return false;
  if (c->p < c->end && *c->p == '.') {
    ++c->p;
    if (!skip_digits(c))
      return false;
  }
  if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
    ++c->p;
    if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
      ++c->p;
    if (!skip_digits(c))
      return false;
  }
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
  return skip_literal(c) || skip_number(c);
}
