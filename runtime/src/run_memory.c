/* The memory one run at a time uses (internal.h): the memory plan's workspace, the arena of
 * allocations the plan left out, and the argument descriptors of a call. Grown only when a
 * call needs more than it holds, so calls at shapes already seen allocate nothing. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define WORKSPACE_ALIGNMENT 64

attune_status attune_run_memory_reserve(attune_run_memory *memory, size_t bytes,
                                        size_t arguments) {
  if (bytes > memory->workspace_bytes) {
    size_t rounded = (bytes + WORKSPACE_ALIGNMENT - 1) / WORKSPACE_ALIGNMENT * WORKSPACE_ALIGNMENT;
    void *grown = rounded >= bytes ? aligned_alloc(WORKSPACE_ALIGNMENT, rounded) : NULL;
    if (!grown)
      return attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY,
                         "out of memory for a workspace of %zu bytes (the intermediates of "
                         "these shapes; nothing ran)",
                         bytes);
    free(memory->workspace);
    memory->workspace = grown;
    memory->workspace_bytes = rounded;
  }
  if (arguments > memory->num_arguments) {
    void *descriptors = calloc(arguments, sizeof *memory->descriptors);
    void **pointers = calloc(arguments, sizeof *pointers);
    if (!descriptors || !pointers) {
      free(descriptors);
      free(pointers);
      return attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory");
    }
    free(memory->descriptors);
    free(memory->arguments);
    memory->descriptors = descriptors;
    memory->arguments = pointers;
    memory->num_arguments = arguments;
  }
  return ATTUNE_OK;
}

void attune_run_memory_release(attune_run_memory *memory) {
  free(memory->workspace);
  free(memory->descriptors);
  free(memory->arguments);
  attune_arena_destroy(&memory->arena);
  memset(memory, 0, sizeof *memory);
}

void attune_run_memory_usage(const attune_run_memory *memory, size_t *peak, size_t *reserved) {
  *peak = memory->largest_workspace + memory->arena.peak;
  *reserved = memory->workspace_bytes + memory->arena.reserved;
}
