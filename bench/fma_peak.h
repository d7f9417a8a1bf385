/* The benchmarks' clock, and the fp32 FMA peak they divide by: the runtime's own measurement
 * (attune_measure_fma_peak in runtime/src/roofline.c, the figure `attune run --profile`
 * reports against), linked from attune_rt. */
#ifndef ATTUNE_BENCH_FMA_PEAK_H
#define ATTUNE_BENCH_FMA_PEAK_H

#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

#endif /* ATTUNE_BENCH_FMA_PEAK_H */
