/* See load_library.h. */
#include "load_library.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *need(void *library, const char *path, const char *name, const char *suffix,
                  const char *tool) {
  char symbol[300];
  snprintf(symbol, sizeof symbol, "%s%s", name, suffix);
  void *found = dlsym(library, symbol);
  if (!found) {
    fprintf(stderr, "%s: %s has no %s (not an attune library of this version?)\n", tool, path,
            symbol);
    exit(1);
  }
  return found;
}

loaded_library load_library(const char *path, const char *tool) {
  void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    fprintf(stderr, "%s: %s\n", tool, dlerror());
    exit(1);
  }
  const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  char name[256];
  snprintf(name, sizeof name, "%s", strncmp(base, "lib", 3) ? base : base + 3);
  if (strstr(name, ".so"))
    *strstr(name, ".so") = 0;
  loaded_library loaded;
  loaded.manifest = need(library, path, name, "_manifest", tool);
  loaded.entry = (attune_entry_fn)need(library, path, name, "_entry", tool);
  const attune_runtime *(*runtime)(void) =
      (const attune_runtime *(*)(void))need(library, path, name, "_runtime", tool);
  loaded.runtime = runtime();
  if (loaded.runtime->abi_version != ATTUNE_ABI_VERSION) {
    fprintf(stderr, "%s: %s has runtime ABI version %u, this tool %d (rebuild it)\n", tool, path,
            loaded.runtime->abi_version, ATTUNE_ABI_VERSION);
    exit(1);
  }
  return loaded;
}
