/* Which weights a model can bind (attune_check_weight), and those stored in half precision
 * (F16, BF16), converted to f32 once, when a model opens them: models compute in f32, so a
 * checkpoint in either precision runs as its f32 copy would. Conversion is exact (every f16 and
 * bf16 value is an f32 value), runs in parallel on the runtime's thread pool, and releases the
 * file's pages of the source afterwards, so an opened model holds each weight once, in f32. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* madvise */
#endif
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

attune_status attune_check_weight(const attune_tensor *found, const char *weights, const char *name,
                                  int32_t rank, const int64_t *shape) {
  bool readable =
      found->dtype == ATTUNE_F32 || found->dtype == ATTUNE_F16 || found->dtype == ATTUNE_BF16;
  bool same = readable && found->rank == rank;
  for (int32_t i = 0; same && i < rank; ++i)
    same = found->shape[i] == shape[i];
  if (same)
    return ATTUNE_OK;
  char want[128], got[128];
  return attune_fail(ATTUNE_ERROR_WEIGHTS, "weight '%s' in %s is %s %s, the model needs %s%s", name,
                     weights, attune_dtype_text(found->dtype),
                     attune_format_shape(got, sizeof got, found->shape, found->rank),
                     readable ? "" : "f32 (or f16, bf16) ",
                     attune_format_shape(want, sizeof want, shape, rank));
}

/* The f32 of IEEE binary16 bits: normals and subnormals rescaled, infinities and NaNs (their
 * payload kept) widened. */
float attune_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  uint32_t bits;
  if (exponent == 0x1fu) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {
    /* A subnormal, mantissa * 2^-24: normalize it. */
    int shift = 0;
    while (!(mantissa & 0x400u)) {
      mantissa <<= 1;
      ++shift;
    }
    bits = sign | ((uint32_t)(113 - shift) << 23) | ((mantissa & 0x3ffu) << 13);
  }
  float value;
  memcpy(&value, &bits, sizeof value);
  return value;
}

/* bfloat16 is the top half of an f32. */
float attune_bf16_to_f32(uint16_t b) {
  uint32_t bits = (uint32_t)b << 16;
  float value;
  memcpy(&value, &bits, sizeof value);
  return value;
}

uint16_t attune_f32_to_bf16(float value) {
  uint32_t bits;
  memcpy(&bits, &value, sizeof bits);
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    return (uint16_t)((bits >> 16) | 0x40u); /* a NaN stays one (quiet), its sign kept */
  /* Round to nearest, ties to even: add just under half an ulp, plus the kept lowest bit. */
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return (uint16_t)(bits >> 16);
}

typedef struct convert_job {
  const unsigned char *source; /* 2-byte elements, not necessarily aligned: read with memcpy */
  float *out;
  attune_dtype dtype;
} convert_job;

static void convert_chunks(void *ctx, int64_t begin, int64_t end) {
  const convert_job *job = ctx;
  for (int64_t i = begin; i < end; ++i) {
    uint16_t bits;
    memcpy(&bits, job->source + 2 * i, sizeof bits);
    job->out[i] = job->dtype == ATTUNE_F16 ? attune_f16_to_f32(bits) : attune_bf16_to_f32(bits);
  }
}

float *attune_convert_to_f32(const void *data, attune_dtype dtype, size_t count) {
  size_t bytes = (count ? count : 1) * sizeof(float);
  float *out = aligned_alloc(64, (bytes + 63) / 64 * 64);
  if (!out)
    return NULL;
  convert_job job = {data, out, dtype};
  attune_parallel_for(convert_chunks, &job, 0, (int64_t)count);
  attune_release_pages(data, count * 2);
  return out;
}

void attune_release_pages(const void *data, size_t bytes) {
  long page = sysconf(_SC_PAGESIZE);
  if (page <= 0)
    return;
  uintptr_t start = ((uintptr_t)data + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
  uintptr_t end = ((uintptr_t)data + bytes) & ~((uintptr_t)page - 1);
  if (end > start)
    madvise((void *)start, end - start, MADV_DONTNEED);
}
