/* Packing a weight into the column panels the generated matmul kernel streams (the layout of
 * attune.packed_matmul, ir/AttuneOps.td):
 *
 *   panels[p][k][j] = W[k][p*width + j]      (zero where p*width + j >= N)
 *
 * or, for the bf16 dot product (vdpbf16ps multiplies pairs of k), in k pairs:
 *
 *   panels[p][k/2][j][k%2] = W[k][p*width + j]
 *
 * from W stored as [K][N] (order "kn", GPT-2's Conv1D) or as [N][K] (order "nk", torch's
 * nn.Linear), in F32 or BF16, into f32 panels or bf16 ones (a model built with
 * --precision=bf16: f32 weights rounded to nearest even, BF16 weights copied bit for bit).
 * Panels are packed in parallel on the runtime's thread pool; afterwards the file's pages of W
 * are released (when W is the file's, not an f32 conversion of it), so an opened model holds
 * each weight once. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct pack_job {
  const unsigned char *source; /* not necessarily aligned: read with memcpy */
  attune_dtype source_dtype, panel_dtype;
  unsigned char *panels;
  int64_t k, n, width;
  bool transposed, pairs;
} pack_job;

/* The element of panel column j at k, counted from the panel's start. */
static int64_t panel_offset(const pack_job *job, int64_t k, int64_t j) {
  if (job->pairs)
    return ((k / 2) * job->width + j) * 2 + k % 2;
  return k * job->width + j;
}

/* Element `index` of the source, stored into panel element `at` in the panels' dtype. */
static void pack_element(const pack_job *job, int64_t index, unsigned char *at) {
  if (job->source_dtype == job->panel_dtype) {
    size_t size = attune_dtype_size(job->source_dtype);
    memcpy(at, job->source + index * (int64_t)size, size);
    return;
  }
  uint16_t half;
  float value;
  if (job->source_dtype == ATTUNE_F32) { /* into bf16 panels */
    memcpy(&value, job->source + index * (int64_t)sizeof value, sizeof value);
    half = attune_f32_to_bf16(value);
    memcpy(at, &half, sizeof half);
  } else { /* BF16 into f32 panels */
    memcpy(&half, job->source + index * (int64_t)sizeof half, sizeof half);
    value = attune_bf16_to_f32(half);
    memcpy(at, &value, sizeof value);
  }
}

static void pack_panels(void *ctx, int64_t begin, int64_t end) {
  const pack_job *job = ctx;
  size_t size = attune_dtype_size(job->panel_dtype);
  for (int64_t p = begin; p < end; ++p) {
    unsigned char *panel = job->panels + (size_t)(p * job->k * job->width) * size;
    int64_t first = p * job->width;
    int64_t count = job->n - first < job->width ? job->n - first : job->width;
    if (count < job->width)
      memset(panel, 0, (size_t)(job->k * job->width) * size);
    if (job->transposed) {
      /* Rows of W are columns of the panel: read each row once, in order. */
      for (int64_t j = 0; j < count; ++j)
        for (int64_t k = 0; k < job->k; ++k)
          pack_element(job, (first + j) * job->k + k,
                       panel + (size_t)panel_offset(job, k, j) * size);
    } else if (job->source_dtype == job->panel_dtype && !job->pairs) {
      for (int64_t k = 0; k < job->k; ++k)
        memcpy(panel + (size_t)(k * job->width) * size,
               job->source + (size_t)(k * job->n + first) * size, (size_t)count * size);
    } else {
      for (int64_t k = 0; k < job->k; ++k)
        for (int64_t j = 0; j < count; ++j)
          pack_element(job, k * job->n + first + j, panel + (size_t)panel_offset(job, k, j) * size);
    }
  }
}

void *attune_pack_panels(const void *weight, attune_dtype source, int64_t k, int64_t n,
                         int64_t width, bool transposed, attune_dtype panels, bool pairs,
                         bool release) {
  int64_t count = (n + width - 1) / width;
  size_t bytes = (size_t)(count * k * width) * attune_dtype_size(panels);
  /* Whole cache lines: the kernel's vector loads never straddle two. */
  unsigned char *packed = aligned_alloc(64, (bytes + 63) / 64 * 64);
  if (!packed)
    return NULL;
  pack_job job = {weight, source, panels, packed, k, n, width, transposed, pairs};
  attune_parallel_for(pack_panels, &job, 0, count);
  if (release) /* a tied embedding's gather faults the pages back in from the file */
    attune_release_pages(weight, (size_t)(k * n) * attune_dtype_size(source));
  return packed;
}
