/* attune-fma-peak [threads]: prints "fma peak: <GFLOP/s> GFLOP/s (<threads> threads)" and
 * "memory read: <GB/s> GB/s (<threads> threads)", the figures benchmarks divide by (see
 * fma_peak.h; the read stream is the runtime's roofline measurement, a buffer far larger than
 * the caches summed by every thread). */
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
  /* The bandwidth a memory-bound kernel (a decode step streaming its weights) is held to. */
  unsetenv("ATTUNE_PEAK_GFLOPS");
  unsetenv("ATTUNE_BANDWIDTH_GBS");
  double peak = 0, bandwidth = 0;
  bool measured = false;
  attune_roofline(threads, &peak, &bandwidth, &measured);
  printf("memory read: %.1f GB/s (%d threads)\n", bandwidth, threads);
  return 0;
}
