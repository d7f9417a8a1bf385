/* Packing a weight into the column panels the generated matmul kernel streams (the layout of
 * attune.packed_matmul, ir/AttuneOps.td):
 *
 *   panels[p][k][j] = W[k][p*width + j]      (zero where p*width + j >= N)
 *
 * from W stored as [K][N] (order "kn", GPT-2's Conv1D) or as [N][K] (order "nk", torch's
 * nn.Linear). Panels are packed in parallel on the runtime's thread pool; afterwards the
 * file's pages of W are released (when W is the file's, not an f32 conversion of it), so an
 * opened model holds each weight once. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct pack_job {
  const unsigned char *source; /* not necessarily float-aligned: read with memcpy */
  float *panels;
  int64_t k, n, width;
  bool transposed;
} pack_job;

static float read_float(const unsigned char *source, int64_t index) {
  float value;
  memcpy(&value, source + index * (int64_t)sizeof(float), sizeof value);
  return value;
}

static void pack_panels(void *ctx, int64_t begin, int64_t end) {
  const pack_job *job = ctx;
  for (int64_t p = begin; p < end; ++p) {
    float *panel = job->panels + p * job->k * job->width;
    int64_t first = p * job->width;
    int64_t count = job->n - first < job->width ? job->n - first : job->width;
    if (count < job->width)
      memset(panel, 0, (size_t)(job->k * job->width) * sizeof(float));
    if (job->transposed) {
      /* Rows of W are columns of the panel: read each row once, in order. */
      for (int64_t j = 0; j < count; ++j)
        for (int64_t k = 0; k < job->k; ++k)
          panel[k * job->width + j] = read_float(job->source, (first + j) * job->k + k);
    } else {
      for (int64_t k = 0; k < job->k; ++k)
        memcpy(panel + k * job->width, job->source + (k * job->n + first) * (int64_t)sizeof(float),
               (size_t)count * sizeof(float));
    }
  }
}

float *attune_pack_panels(const void *weight, int64_t k, int64_t n, int64_t width, bool transposed,
                          bool release) {
  int64_t panels = (n + width - 1) / width;
  size_t bytes = (size_t)(panels * k * width) * sizeof(float);
  /* Whole cache lines: the kernel's vector loads never straddle two. */
  float *packed = aligned_alloc(64, (bytes + 63) / 64 * 64);
  if (!packed)
    return NULL;
  pack_job job = {weight, packed, k, n, width, transposed};
  attune_parallel_for(pack_panels, &job, 0, panels);
  if (release) /* a tied embedding's gather faults the pages back in from the file */
    attune_release_pages(weight, (size_t)(k * n) * sizeof(float));
  return packed;
}
