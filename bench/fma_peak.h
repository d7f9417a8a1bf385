/* The machine's fp32 FMA peak, measured: each thread runs independent chains of vector FMAs
 * (enough to cover the FMA latency on every pipe) in registers, with no memory traffic.
 * Included by attune-fma-peak and by the benchmarks that report against it in-process.
 * Compile with -march=native: the widest vectors this machine has (AVX-512 or AVX2). */
#ifndef ATTUNE_BENCH_FMA_PEAK_H
#define ATTUNE_BENCH_FMA_PEAK_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifdef __AVX512F__
typedef float vfloat __attribute__((vector_size(64)));
#else
typedef float vfloat __attribute__((vector_size(32)));
#endif
#define LANES ((int)(sizeof(vfloat) / sizeof(float)))
#define CHAINS 12
static long peak_iterations = 100000000L;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *chains(void *result) {
  vfloat acc[CHAINS], x, y;
  for (int i = 0; i < CHAINS; ++i)
    for (int l = 0; l < LANES; ++l)
      acc[i][l] = i * 1e-3f;
  for (int l = 0; l < LANES; ++l) {
    x[l] = 0.9999f;
    y[l] = 1e-4f;
  }
  for (long it = 0; it < peak_iterations; ++it) {
    __asm__ volatile("" : "+x"(x)); /* x unknown each iteration: no folding */
    for (int i = 0; i < CHAINS; ++i)
      acc[i] = acc[i] * x + y;
  }
  float sum = 0;
  for (int i = 0; i < CHAINS; ++i)
    for (int l = 0; l < LANES; ++l)
      sum += acc[i][l];
  *(float *)result = sum;
  return NULL;
}

/* GFLOP/s of `threads` threads running FMA chains at once (0 if a thread cannot start). */
static double measure_fma_peak(int threads, long iterations, float *checksum) {
  pthread_t ids[256];
  float results[256];
  peak_iterations = iterations;
  double start = now();
  for (int t = 0; t < threads; ++t)
    if (pthread_create(&ids[t], NULL, chains, &results[t]) != 0)
      return 0;
  for (int t = 0; t < threads; ++t)
    pthread_join(ids[t], NULL);
  double seconds = now() - start;
  if (checksum)
    *checksum = results[0];
  return 2.0 * LANES * CHAINS * (double)iterations * threads / seconds * 1e-9;
}

#endif /* ATTUNE_BENCH_FMA_PEAK_H */
