/* The machine's roofline for a profile: fp32 FMA peak and memory bandwidth at a thread count,
 * measured once per process the first time a profile is reported (about a quarter of a
 * second), or taken from ATTUNE_PEAK_GFLOPS and ATTUNE_BANDWIDTH_GBS.
 *
 * Peak: each thread runs independent chains of FMAs in registers, in the widest vectors the
 * CPU has (AVX-512, else AVX2 with FMA; the runtime itself is built for any x86-64, so the
 * chains are compiled per target and chosen at run time). Bandwidth: each thread reads its
 * share of a buffer far larger than the caches, best of three passes.
 */
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHAINS 12
#define PEAK_ITERATIONS 20000000L /* ~0.1 s on a Zen 4 core: enough for a profile's roofline */
#define MAX_THREADS 256
#define STREAM_BYTES ((size_t)256 << 20)

static double seconds_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

/* FMA chains of LANES floats, `iterations` steps; `sink` keeps the result alive. Returns FLOPs
 * done. */
#define DEFINE_CHAINS(NAME, ATTRIBUTES, LANES)                                                \
  ATTRIBUTES static double NAME(long iterations, float *sink) {                               \
    typedef float vec __attribute__((vector_size(LANES * 4)));                                \
    vec acc[CHAINS], x, y;                                                                     \
    for (int i = 0; i < CHAINS; ++i)                                                          \
      for (int l = 0; l < LANES; ++l)                                                         \
        acc[i][l] = i * 1e-3f;                                                                 \
    for (int l = 0; l < LANES; ++l) {                                                         \
      x[l] = 0.9999f;                                                                          \
      y[l] = 1e-4f;                                                                            \
    }                                                                                          \
    for (long it = 0; it < iterations; ++it) {                                                \
      __asm__ volatile("" : "+x"(x)); /* unknown each iteration: no folding */               \
      for (int i = 0; i < CHAINS; ++i)                                                        \
        acc[i] = acc[i] * x + y;                                                               \
    }                                                                                          \
    float sum = 0;                                                                             \
    for (int i = 0; i < CHAINS; ++i)                                                          \
      for (int l = 0; l < LANES; ++l)                                                         \
        sum += acc[i][l];                                                                      \
    *sink = sum;                                                                               \
    return 2.0 * LANES * CHAINS * iterations;                                                 \
  }

#if defined(__x86_64__)
DEFINE_CHAINS(chains_avx512, __attribute__((target("avx512f,fma"))), 16)
DEFINE_CHAINS(chains_avx2, __attribute__((target("avx2,fma"))), 8)
#endif
DEFINE_CHAINS(chains_plain, , 4)

typedef struct worker {
  long iterations;
  int lanes;
  double flops;
  float sink;
  const uint64_t *data;
  size_t words;
  uint64_t sum;
} worker;

static void *peak_worker(void *arg) {
  worker *w = arg;
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx512f")) {
    w->lanes = 16;
    w->flops = chains_avx512(w->iterations, &w->sink);
    return NULL;
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    w->lanes = 8;
    w->flops = chains_avx2(w->iterations, &w->sink);
    return NULL;
  }
#endif
  w->lanes = 4;
  w->flops = chains_plain(w->iterations, &w->sink);
  return NULL;
}

static void *stream_worker(void *arg) {
  worker *w = arg;
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (size_t i = 0; i + 4 <= w->words; i += 4) {
    s0 += w->data[i];
    s1 += w->data[i + 1];
    s2 += w->data[i + 2];
    s3 += w->data[i + 3];
  }
  w->sum = s0 + s1 + s2 + s3;
  return NULL;
}

/* Seconds for `threads` workers to run `fn`; -1 if a thread cannot start. */
static double run_workers(int threads, void *(*fn)(void *), worker *workers) {
  pthread_t ids[MAX_THREADS];
  double start = seconds_now();
  int started = 0;
  for (; started < threads; ++started)
    if (pthread_create(&ids[started], NULL, fn, &workers[started]) != 0)
      break;
  for (int t = 0; t < started; ++t)
    pthread_join(ids[t], NULL);
  return started == threads ? seconds_now() - start : -1;
}

double attune_measure_fma_peak(int threads, long iterations, int *lanes, float *checksum) {
  if (threads < 1 || threads > MAX_THREADS)
    return 0;
  worker workers[MAX_THREADS];
  memset(workers, 0, sizeof workers);
  for (int t = 0; t < threads; ++t)
    workers[t].iterations = iterations;
  double seconds = run_workers(threads, peak_worker, workers);
  double flops = 0;
  for (int t = 0; t < threads; ++t)
    flops += workers[t].flops;
  if (lanes)
    *lanes = workers[0].lanes;
  if (checksum)
    *checksum = workers[0].sink;
  return seconds > 0 ? flops / seconds / 1e9 : 0;
}

static double measure_bandwidth(int threads) {
  uint64_t *buffer = malloc(STREAM_BYTES);
  if (!buffer)
    return 0;
  memset(buffer, 1, STREAM_BYTES);
  size_t words = STREAM_BYTES / sizeof *buffer, share = words / (size_t)threads;
  worker workers[MAX_THREADS];
  memset(workers, 0, sizeof workers);
  for (int t = 0; t < threads; ++t) {
    workers[t].data = buffer + (size_t)t * share;
    workers[t].words = share;
  }
  double best = 0;
  for (int pass = 0; pass < 3; ++pass) {
    double seconds = run_workers(threads, stream_worker, workers);
    if (seconds > 0 && (best == 0 || seconds < best))
      best = seconds;
  }
  free(buffer);
  return best > 0 ? (double)(share * (size_t)threads * sizeof *buffer) / best / 1e9 : 0;
}

static double from_environment(const char *name) {
  const char *text = getenv(name);
  double value = text ? strtod(text, NULL) : 0;
  return value > 0 ? value : 0;
}

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static int cached_threads;
static double cached_peak, cached_bandwidth;

void attune_roofline(int threads, double *peak_gflops, double *bandwidth_gbs, bool *measured) {
  if (threads < 1)
    threads = 1;
  if (threads > MAX_THREADS)
    threads = MAX_THREADS;
  double peak = from_environment("ATTUNE_PEAK_GFLOPS");
  double bandwidth = from_environment("ATTUNE_BANDWIDTH_GBS");
  *measured = !peak || !bandwidth;
  if (*measured) {
    pthread_mutex_lock(&cache_lock);
    if (cached_threads != threads) {
      cached_peak = attune_measure_fma_peak(threads, PEAK_ITERATIONS, NULL, NULL);
      cached_bandwidth = measure_bandwidth(threads);
      cached_threads = threads;
    }
    if (!peak)
      peak = cached_peak;
    if (!bandwidth)
      bandwidth = cached_bandwidth;
    pthread_mutex_unlock(&cache_lock);
  }
  *peak_gflops = peak;
  *bandwidth_gbs = bandwidth;
}
