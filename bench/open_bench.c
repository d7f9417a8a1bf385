/* attune-open-bench: how long opening a built model takes (mmap, checks, packing weights into
 * panels) and the process's resident memory after it, against the weights file's size.
 *
 *   attune-open-bench LIB WEIGHTS [THREADS]
 *
 * Prints "open: <ms> ms, resident +<MiB> MiB (<ratio> x the weights' <MiB> MiB)". Run it twice
 * for the figure with the file in the page cache. Resident memory is this process's VmRSS
 * growth across attune_model_open (the library's code is mapped before it). */
#include "attune/runtime.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static long resident_kib(void) {
  FILE *status = fopen("/proc/self/status", "r");
  char line[256];
  long kib = -1;
  while (status && fgets(line, sizeof line, status))
    if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
      break;
  if (status)
    fclose(status);
  return kib;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: attune-open-bench LIB WEIGHTS [THREADS]\n");
    return 2;
  }
  void *library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    fprintf(stderr, "attune-open-bench: %s\n", dlerror());
    return 1;
  }
  const char *base = strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1];
  char name[256], symbol[300];
  snprintf(name, sizeof name, "%s", strncmp(base, "lib", 3) ? base : base + 3);
  if (strstr(name, ".so"))
    *strstr(name, ".so") = 0;
  __typeof__(attune_model_open) *open = (__typeof__(attune_model_open) *)dlsym(library, "attune_model_open");
  __typeof__(attune_set_num_threads) *threads = (__typeof__(attune_set_num_threads) *)dlsym(library, "attune_set_num_threads");
  __typeof__(attune_last_error) *last_error = (__typeof__(attune_last_error) *)dlsym(library, "attune_last_error");
  snprintf(symbol, sizeof symbol, "%s_manifest", name);
  const char *manifest = dlsym(library, symbol);
  snprintf(symbol, sizeof symbol, "%s_entry", name);
  attune_entry_fn entry = (attune_entry_fn)dlsym(library, symbol);
  if (!open || !threads || !last_error || !manifest || !entry) {
    fprintf(stderr, "attune-open-bench: %s is not an attune model library\n", argv[1]);
    return 1;
  }
  if (argc > 3)
    threads(atoi(argv[3]));
  struct stat file;
  if (stat(argv[2], &file) != 0) {
    perror(argv[2]);
    return 1;
  }
  long before = resident_kib();
  double start = now();
  attune_model *model = NULL;
  if (open(manifest, entry, argv[2], &model) != ATTUNE_OK) {
    fprintf(stderr, "attune-open-bench: %s\n", last_error());
    return 1;
  }
  double ms = (now() - start) * 1e3;
  double grown = (resident_kib() - before) / 1024.0, weights = file.st_size / 1048576.0;
  printf("open: %.1f ms, resident +%.1f MiB (%.3f x the weights' %.1f MiB)\n", ms, grown,
         grown / weights, weights);
  return 0;
}
