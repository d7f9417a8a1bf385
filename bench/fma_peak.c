/* attune-fma-peak [threads]: prints "fma peak: <GFLOP/s> GFLOP/s (<threads> threads)", the
 * figure benchmarks divide by (see fma_peak.h). */
#include "fma_peak.h"

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  if (threads < 1 || threads > 256) {
    fprintf(stderr, "usage: attune-fma-peak [threads 1..256]\n");
    return 2;
  }
  float checksum = 0;
  int lanes = 0;
  double gflops = attune_measure_fma_peak(threads, 100000000L, &lanes, &checksum);
  if (gflops <= 0) {
    fprintf(stderr, "attune-fma-peak: cannot start %d threads\n", threads);
    return 1;
  }
  printf("fma peak: %.1f GFLOP/s (%d threads, %d-lane vectors; checksum %g)\n", gflops, threads,
         lanes, checksum);
  return 0;
}
