/* Weight-only int8 (attune build --weights-int8): a weight quantized, when the model opens it,
 * into the i8 column panels the matmul kernel streams (the layout of pack.c) and one f32 scale
 * per column, symmetric per output channel:
 *
 *   scales[n] = max_k |W[k][n]| / 127   (1 for a column of zeros)
 *   panels[p][k][j] = round(W[k][n] / scales[n]),  n = p*width + j   (0 past the last column)
 *
 * rounded to nearest, so |W - panels·scales| <= scales / 2. The kernel sums A·panels in f32
 * and multiplies each column's sum by its scale. Quantized on the thread pool, a panel per
 * task; the file's pages of W are released afterwards when W is the file's. */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct quantize_job {
  const unsigned char *source; /* f32, not necessarily aligned: read with memcpy */
  int8_t *panels;
  float *scales;
  int64_t k, n, width;
  bool transposed;
} quantize_job;

static float weight_at(const quantize_job *job, int64_t row, int64_t column) {
  int64_t index = job->transposed ? column * job->k + row : row * job->n + column;
  float value;
  memcpy(&value, job->source + index * (int64_t)sizeof value, sizeof value);
  return value;
}

static void quantize_panels(void *ctx, int64_t begin, int64_t end) {
  const quantize_job *job = ctx;
  for (int64_t p = begin; p < end; ++p) {
    int8_t *panel = job->panels + p * job->k * job->width;
    float *scales = job->scales + p * job->width;
    int64_t first = p * job->width;
    int64_t count = job->n - first < job->width ? job->n - first : job->width;
    memset(panel, 0, (size_t)(job->k * job->width));
    for (int64_t j = 0; j < job->width; ++j)
      scales[j] = 0.0f;
    for (int64_t k = 0; k < job->k; ++k)
      for (int64_t j = 0; j < count; ++j)
        scales[j] = fmaxf(scales[j], fabsf(weight_at(job, k, first + j)));
    for (int64_t j = 0; j < job->width; ++j)
      scales[j] = scales[j] > 0.0f ? scales[j] / 127.0f : 1.0f;
    for (int64_t k = 0; k < job->k; ++k)
      for (int64_t j = 0; j < count; ++j) {
        float q = rintf(weight_at(job, k, first + j) / scales[j]);
        panel[k * job->width + j] = (int8_t)(q > 127.0f ? 127 : q < -127.0f ? -127 : q);
      }
  }
}

bool attune_quantize_panels(const void *weight, int64_t k, int64_t n, int64_t width,
                            bool transposed, bool release, int8_t **panels, float **scales) {
  int64_t count = (n + width - 1) / width;
  size_t bytes = (size_t)(count * k * width);
  /* Whole cache lines: the kernel's vector loads never straddle two. */
  *panels = aligned_alloc(64, (bytes + 63) / 64 * 64);
  *scales = aligned_alloc(64, ((size_t)(count * width) * sizeof(float) + 63) / 64 * 64);
  if (!*panels || !*scales) {
    free(*panels);
    free(*scales);
    *panels = NULL;
    *scales = NULL;
    return false;
  }
  quantize_job job = {weight, *panels, *scales, k, n, width, transposed};
  attune_parallel_for(quantize_panels, &job, 0, count);
  if (release)
    attune_release_pages(weight, (size_t)(k * n) * sizeof(float));
  return true;
}
