/* attune-open-bench: how long opening a built model takes (mmap, checks, packing weights into
 * panels) and the process's resident memory after it, against the weights file's size.
 *
 *   attune-open-bench LIB WEIGHTS [THREADS]
 *
 * Prints "open: <ms> ms, resident +<MiB> MiB (<ratio> x the weights' <MiB> MiB)". Run it twice
 * for the figure with the file in the page cache. Resident memory is this process's VmRSS
 * growth across attune_model_open (the library's code is mapped before it). */
#include "load_library.h"

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
  loaded_library library = load_library(argv[1], "attune-open-bench");
  const attune_runtime *api = library.runtime;
  if (argc > 3)
    api->set_num_threads(atoi(argv[3]));
  struct stat file;
  if (stat(argv[2], &file) != 0) {
    perror(argv[2]);
    return 1;
  }
  long before = resident_kib();
  double start = now();
  attune_model *model = NULL;
  if (api->model_open(library.manifest, library.entry, argv[2], &model) != ATTUNE_OK) {
    fprintf(stderr, "attune-open-bench: %s\n", api->last_error());
    return 1;
  }
  double ms = (now() - start) * 1e3;
  double grown = (resident_kib() - before) / 1024.0, weights = file.st_size / 1048576.0;
  printf("open: %.1f ms, resident +%.1f MiB (%.3f x the weights' %.1f MiB)\n", ms, grown,
         grown / weights, weights);
  return 0;
}
