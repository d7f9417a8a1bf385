/* The arena for allocations the memory plan left out. The plan (attune-plan-memory) puts
 * every top-level intermediate of an entry in the run's workspace (run_memory.c); what it
 * cannot place (an allocation inside a loop, a size not computed from the arguments' dims;
 * none in the shipped models, `attune build --report` counts them) is still allocated through
 * _mlir_memref_to_llvm_alloc/_free (MLIR's generic allocation functions), which, while a model
 * runs, draw from that run's arena instead of calling malloc each time.
 *
 * Blocks freed during a run go on a free list and are reused best-fit, so an arena grows to
 * the run's peak live bytes and, from the second run with the same shapes on, a run allocates
 * nothing from the system. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGNMENT 64
#define MIN_CHUNK_BYTES ((size_t)1 << 20)

typedef struct block {
  size_t size;        /* payload bytes */
  struct block *next; /* in the free list */
  char padding[ARENA_ALIGNMENT - sizeof(size_t) - sizeof(void *)];
} block;

typedef struct chunk {
  struct chunk *next;
  size_t size, used;
  char padding[ARENA_ALIGNMENT - 2 * sizeof(size_t) - sizeof(void *)];
  /* payload follows, ARENA_ALIGNMENT-aligned */
} chunk;

static _Thread_local attune_arena *current_arena;

static size_t round_up(size_t n) { return (n + ARENA_ALIGNMENT - 1) & ~(size_t)(ARENA_ALIGNMENT - 1); }

void attune_arena_begin(attune_arena *arena) {
  current_arena = arena;
  arena->live = 0;
}

void attune_arena_end(attune_arena *arena) {
  (void)arena;
  current_arena = NULL;
}

void attune_arena_destroy(attune_arena *arena) {
  for (chunk *c = arena->chunks; c;) {
    chunk *next = c->next;
    free(c);
    c = next;
  }
  memset(arena, 0, sizeof *arena);
}

static void *arena_alloc(attune_arena *arena, size_t size) {
  size_t need = round_up(size ? size : 1);
  /* Best fit from the free list. */
  block **best = NULL;
  for (block **b = (block **)&arena->free_list; *b; b = &(*b)->next)
    if ((*b)->size >= need && (!best || (*b)->size < (*best)->size))
      best = b;
  block *found = NULL;
  if (best) {
    found = *best;
    *best = found->next;
  } else {
    chunk *c = arena->chunks;
    if (!c || c->size - c->used < need + sizeof(block)) {
      size_t bytes = need + sizeof(block);
      if (bytes < MIN_CHUNK_BYTES)
        bytes = MIN_CHUNK_BYTES;
      if (c && bytes < 2 * c->size)
        bytes = 2 * c->size;
      c = aligned_alloc(ARENA_ALIGNMENT, sizeof(chunk) + round_up(bytes));
      if (!c) {
        arena->failed = true;
        return NULL;
      }
      c->size = round_up(bytes);
      c->used = 0;
      c->next = arena->chunks;
      arena->chunks = c;
      arena->reserved += c->size;
    }
    found = (block *)((char *)(c + 1) + c->used);
    found->size = need;
    c->used += need + sizeof(block);
  }
  arena->live += found->size;
  if (arena->live > arena->peak)
    arena->peak = arena->live;
  return found + 1;
}

void *_mlir_memref_to_llvm_alloc(size_t size) {
  if (current_arena)
    return arena_alloc(current_arena, size);
  return malloc(size);
}

void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t size) {
  if (current_arena && alignment <= ARENA_ALIGNMENT)
    return arena_alloc(current_arena, size);
  return aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
}

void _mlir_memref_to_llvm_free(void *pointer) {
  if (!pointer)
    return;
  if (!current_arena) {
    free(pointer);
    return;
  }
  block *b = (block *)pointer - 1;
  current_arena->live -= b->size;
  b->next = current_arena->free_list;
  current_arena->free_list = b;
}
