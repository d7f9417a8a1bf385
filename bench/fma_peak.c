/* The machine's fp32 FMA peak, measured: each thread runs independent chains of vector FMAs
 * (enough to cover the FMA latency on every pipe) in registers, with no memory traffic.
 * Benchmarks report their rates as a fraction of this figure, measured in the same run.
 *
 *   attune-fma-peak [threads]     prints "fma peak: <GFLOP/s> GFLOP/s (<threads> threads)"
 *
 * Built with -march=native: the widest vectors this machine has (AVX-512 or AVX2). */
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
#define ITERATIONS 100000000L

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
  for (long it = 0; it < ITERATIONS; ++it) {
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

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  if (threads < 1 || threads > 256) {
    fprintf(stderr, "usage: attune-fma-peak [threads 1..256]\n");
    return 2;
  }
  pthread_t ids[256];
  float results[256];
  double start = now();
  for (int t = 0; t < threads; ++t)
    if (pthread_create(&ids[t], NULL, chains, &results[t]) != 0) {
      fprintf(stderr, "attune-fma-peak: cannot start thread %d\n", t);
      return 1;
    }
  for (int t = 0; t < threads; ++t)
    pthread_join(ids[t], NULL);
  double seconds = now() - start;
  double flops = 2.0 * LANES * CHAINS * (double)ITERATIONS * threads;
  printf("fma peak: %.1f GFLOP/s (%d threads, %d-lane vectors; checksum %g)\n",
         flops / seconds * 1e-9, threads, LANES, results[0]);
  return 0;
}
