/* Loading a built model library the way a deployed program that dlopens it would: libNAME.so's
 * NAME_manifest, NAME_entry and NAME_runtime() (the library's own runtime, whose functions the
 * benchmarks call through its table). */
#ifndef ATTUNE_BENCH_LOAD_LIBRARY_H
#define ATTUNE_BENCH_LOAD_LIBRARY_H

#include "attune/runtime.h"

typedef struct loaded_library {
  const attune_runtime *runtime;
  const char *manifest;
  attune_entry_fn entry;
} loaded_library;

/* dlopens `path` (libNAME.so) and finds its three symbols; on failure prints why, prefixed by
 * `tool`, and exits with status 1. */
loaded_library load_library(const char *path, const char *tool);

#endif /* ATTUNE_BENCH_LOAD_LIBRARY_H */
