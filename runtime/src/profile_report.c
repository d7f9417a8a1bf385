/* The profile as a table: kernels with the same name, fused ops and location (one layer's
 * kernel and the next layer's) summed into one line, sorted by time, each with its FLOP rate,
 * its traffic and how close it came to the bound the roofline puts on it. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct line {
  const attune_kernel_info *kernel;
  attune_kernel_counters sum;
} line;

static int by_time(const void *a, const void *b) {
  int64_t ta = ((const line *)a)->sum.nanoseconds, tb = ((const line *)b)->sum.nanoseconds;
  return ta < tb ? 1 : ta > tb ? -1 : 0;
}

static bool same_kernel(const attune_kernel_info *a, const attune_kernel_info *b) {
  return !strcmp(a->name, b->name) && !strcmp(a->fused, b->fused) &&
         !strcmp(a->location, b->location);
}

/* The fastest this kernel could run: its FLOPs at the peak, or its bytes at the bandwidth. */
static double bound_seconds(const attune_kernel_counters *c, double peak, double bandwidth,
                            bool *compute_bound) {
  double compute = peak > 0 ? c->flops / (peak * 1e9) : 0;
  double memory = bandwidth > 0 ? c->bytes / (bandwidth * 1e9) : 0;
  *compute_bound = compute >= memory;
  return *compute_bound ? compute : memory;
}

attune_status attune_profile_print(const char *model_name, const attune_profile *profile,
                                   int threads, FILE *out) {
  if (!profile->enabled)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT,
                       "attune_model_print_profile: profiling is off for model %s (set "
                       "ATTUNE_PROFILE=1 or call attune_model_set_profiling)",
                       model_name);
  line *lines = calloc(profile->num_kernels ? profile->num_kernels : 1, sizeof *lines);
  if (!lines)
    return attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory");
  size_t count = 0;
  attune_kernel_counters total = {0, 0, 0, 0};
  for (size_t id = 0; id < profile->num_kernels; ++id) {
    const attune_kernel_counters *c = &profile->counters[id];
    if (!c->calls)
      continue;
    size_t i = 0;
    while (i < count && !same_kernel(lines[i].kernel, &profile->kernels[id]))
      ++i;
    if (i == count)
      lines[count++].kernel = &profile->kernels[id];
    lines[i].sum.calls += c->calls;
    lines[i].sum.nanoseconds += c->nanoseconds;
    lines[i].sum.flops += c->flops;
    lines[i].sum.bytes += c->bytes;
    total.nanoseconds += c->nanoseconds;
    total.flops += c->flops;
    total.bytes += c->bytes;
  }
  qsort(lines, count, sizeof *lines, by_time);

  double peak, bandwidth;
  bool measured;
  attune_roofline(threads, &peak, &bandwidth, &measured);
  double runs = profile->runs ? (double)profile->runs : 1;
  double run_ms = profile->run_nanoseconds / 1e6 / runs;
  fprintf(out, "attune profile of %s: %lld run%s on %d thread%s, %.3f ms per run, %.1f%% of it "
               "in %zu kernels\n",
          model_name, (long long)profile->runs, profile->runs == 1 ? "" : "s", threads,
          threads == 1 ? "" : "s", run_ms,
          profile->run_nanoseconds ? 100.0 * total.nanoseconds / profile->run_nanoseconds : 0,
          count);
  fprintf(out, "roofline: %.1f GFLOP/s FMA peak, %.1f GB/s memory (%s)\n", peak, bandwidth,
          measured ? "measured now; ATTUNE_PEAK_GFLOPS, ATTUNE_BANDWIDTH_GBS override"
                   : "from ATTUNE_PEAK_GFLOPS, ATTUNE_BANDWIDTH_GBS");
  fprintf(out, "%10s %7s %9s %9s %8s %-7s %7s  %s\n", "ms/run", "share", "calls/run",
          "GFLOP/s", "GB/s", "bound", "%bound", "kernel (fused) at location");
  for (size_t i = 0; i < count; ++i) {
    const attune_kernel_counters *c = &lines[i].sum;
    double seconds = c->nanoseconds / 1e9;
    bool compute_bound;
    double best = bound_seconds(c, peak, bandwidth, &compute_bound);
    const attune_kernel_info *k = lines[i].kernel;
    fprintf(out, "%10.3f %6.1f%% %9.0f %9.1f %8.1f %-7s %6.1f%%  %s%s%s%s at %s\n",
            seconds * 1e3 / runs, total.nanoseconds ? 100.0 * c->nanoseconds / total.nanoseconds : 0,
            c->calls / runs, seconds > 0 ? c->flops / seconds / 1e9 : 0,
            seconds > 0 ? c->bytes / seconds / 1e9 : 0, compute_bound ? "compute" : "memory",
            seconds > 0 ? 100.0 * best / seconds : 0, k->name, *k->fused ? " (" : "", k->fused,
            *k->fused ? ")" : "", k->location);
  }
  double seconds = total.nanoseconds / 1e9;
  fprintf(out, "%10.3f %6.1f%% %9s %9.1f %8.1f  all kernels\n", seconds * 1e3 / runs, 100.0,
          "", seconds > 0 ? total.flops / seconds / 1e9 : 0,
          seconds > 0 ? total.bytes / seconds / 1e9 : 0);
  free(lines);
  return ATTUNE_OK;
}
