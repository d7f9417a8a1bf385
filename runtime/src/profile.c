/* Per-kernel profile of a model's runs.
 *
 * The compiler numbers every kernel an entry runs (its manifest's `kernel` lines, in id
 * order) and brackets each with attune_kernel_start / attune_kernel_stop (passes/
 * InstrumentKernels.cpp). While a profiled run is on this thread, start reads the clock and
 * stop adds the elapsed time, the kernel's FLOPs and its bytes to the model's counters;
 * otherwise start returns 0 and stop is not called. Kernels are started and stopped by the
 * thread that runs the entry (a parallel kernel's tasks run inside its bracket). Sessions of
 * one model run at once on different threads and add to the same counters, so every addition
 * is atomic; turning profiling on or off waits for the runs in flight (the model's profile
 * lock).
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static __thread attune_profile *current;

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

int64_t attune_kernel_start(void) { return current ? now_ns() : 0; }

void attune_kernel_stop(int64_t start, int64_t id, int64_t flops, int64_t bytes) {
  attune_profile *profile = current;
  if (!profile || start == 0 || id < 0 || (size_t)id >= profile->num_kernels)
    return;
  attune_kernel_counters *c = &profile->counters[id];
  __atomic_fetch_add(&c->calls, 1, __ATOMIC_RELAXED);
  __atomic_fetch_add(&c->nanoseconds, now_ns() - start, __ATOMIC_RELAXED);
  __atomic_fetch_add(&c->flops, flops, __ATOMIC_RELAXED);
  __atomic_fetch_add(&c->bytes, bytes, __ATOMIC_RELAXED);
}

bool attune_profile_add_kernel(attune_profile *profile, const char *declaration) {
  /* "NAME | FUSED | LOCATION" */
  const char *first = strstr(declaration, " | ");
  const char *second = first ? strstr(first + 3, " | ") : NULL;
  if (!second)
    return false;
  attune_kernel_info *grown =
      realloc(profile->kernels, (profile->num_kernels + 1) * sizeof *grown);
  if (!grown)
    return false;
  profile->kernels = grown;
  attune_kernel_info *k = &profile->kernels[profile->num_kernels];
  k->name = strndup(declaration, (size_t)(first - declaration));
  k->fused = strndup(first + 3, (size_t)(second - first - 3));
  k->location = strdup(second + 3);
  if (!k->name || !k->fused || !k->location) {
    free(k->name);
    free(k->fused);
    free(k->location);
    return false;
  }
  ++profile->num_kernels;
  return true;
}

bool attune_profile_enable(attune_profile *profile, bool enabled) {
  free(profile->counters);
  profile->counters = NULL;
  profile->runs = 0;
  profile->run_nanoseconds = 0;
  profile->enabled = false;
  if (!enabled)
    return true;
  profile->counters = calloc(profile->num_kernels ? profile->num_kernels : 1,
                             sizeof *profile->counters);
  profile->enabled = profile->counters != NULL;
  return profile->enabled;
}

int64_t attune_profile_begin(attune_profile *profile) {
  if (!profile->enabled)
    return 0;
  current = profile;
  return now_ns();
}

void attune_profile_end(attune_profile *profile, int64_t started) {
  if (current != profile)
    return;
  current = NULL;
  __atomic_fetch_add(&profile->runs, 1, __ATOMIC_RELAXED);
  __atomic_fetch_add(&profile->run_nanoseconds, now_ns() - started, __ATOMIC_RELAXED);
}

void attune_profile_destroy(attune_profile *profile) {
  for (size_t i = 0; i < profile->num_kernels; ++i) {
    free(profile->kernels[i].name);
    free(profile->kernels[i].fused);
    free(profile->kernels[i].location);
  }
  free(profile->kernels);
  free(profile->counters);
  memset(profile, 0, sizeof *profile);
}
