/* attune-gemm-bench: times a built one-matmul library (bench/gemm.tfm) at several row counts
 * and reports each against the FMA peak measured in the same process, in rounds of
 * (peak, every M) so a burst of a neighbour on a shared machine skews neither side alone.
 *
 *   attune-gemm-bench LIB WEIGHTS THREADS M [M ...]
 *
 * Prints one line per M: "M K N ms GFLOP/s peak% " with the best time and the best peak over
 * the rounds (ROUNDS, default 3). The library is dlopened and run through its own runtime
 * (its NAME_runtime() table), as a deployed program would call it. */
#include "fma_peak.h"

#include "load_library.h"

#include <string.h>

#define MAX_M 64

/* Seconds per run of the model at `rows` rows: the best over batches of runs of ~50 ms. */
static double time_runs(const attune_runtime *api, attune_model *model, attune_tensor *x,
                        attune_tensor *y) {
  double best = 1e30;
  int runs = 1;
  for (int batch = 0; batch < 5; ++batch) {
    double start = now();
    for (int r = 0; r < runs; ++r)
      if (api->model_run(model, x, 1, y, 1) != ATTUNE_OK) {
        fprintf(stderr, "attune-gemm-bench: %s\n", api->last_error());
        exit(1);
      }
    double seconds = (now() - start) / runs;
    if (seconds < best)
      best = seconds;
    if (seconds * runs < 0.05 && runs < (1 << 20))
      runs *= 2, --batch; /* too short to time: grow the batch, and it does not count */
  }
  return best;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: attune-gemm-bench LIB WEIGHTS THREADS M [M ...]\n");
    return 2;
  }
  const char *path = argv[1], *weights = argv[2];
  int threads = atoi(argv[3]);
  int count = argc - 4;
  if (count > MAX_M || threads < 1) {
    fprintf(stderr, "attune-gemm-bench: at most %d row counts and at least one thread\n", MAX_M);
    return 2;
  }
  loaded_library library = load_library(path, "attune-gemm-bench");
  const attune_runtime *api = library.runtime;
  attune_model *model = NULL;
  if (api->model_open(library.manifest, library.entry, weights, &model) != ATTUNE_OK) {
    fprintf(stderr, "attune-gemm-bench: %s\n", api->last_error());
    return 1;
  }
  api->set_num_threads(threads);
  attune_tensor x_info, y_info;
  api->model_input(model, 0, &x_info);
  api->model_output(model, 0, &y_info);
  int64_t k = x_info.shape[2], n = y_info.shape[2];

  int rounds = getenv("ROUNDS") ? atoi(getenv("ROUNDS")) : 3;
  double best[MAX_M], peak = 0;
  for (int i = 0; i < count; ++i)
    best[i] = 1e30;
  for (int round = 0; round < rounds; ++round) {
    double p = attune_measure_fma_peak(threads, 20000000L, NULL, NULL);
    if (p > peak)
      peak = p;
    for (int i = 0; i < count; ++i) {
      int64_t m = atoll(argv[4 + i]);
      float *xs = malloc((size_t)(m * k) * sizeof(float));
      float *ys = malloc((size_t)(m * n) * sizeof(float));
      if (!xs || !ys)
        return 1;
      for (int64_t e = 0; e < m * k; ++e)
        xs[e] = (float)((e * 7919) % 2001) / 1000.0f - 1.0f;
      attune_tensor x = {x_info.name, ATTUNE_F32, 3, {1, m, k}, xs};
      attune_tensor y = {y_info.name, ATTUNE_F32, 3, {1, m, n}, ys};
      double seconds = time_runs(api, model, &x, &y);
      if (seconds < best[i])
        best[i] = seconds;
      free(xs);
      free(ys);
    }
  }
  for (int i = 0; i < count; ++i) {
    int64_t m = atoll(argv[4 + i]);
    double gflops = 2.0 * (double)m * (double)k * (double)n / best[i] * 1e-9;
    printf("%lld %lld %lld %.4f %.1f %.1f %.1f\n", (long long)m, (long long)k, (long long)n,
           best[i] * 1e3, gflops, peak, 100.0 * gflops / peak);
  }
  return 0;
}
