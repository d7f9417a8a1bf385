/* Decode steps allocate nothing on the heap: every intermediate lives in the session's
 * workspace (the memory plan), reserved with the KV cache, and the runtime keeps the call's
 * descriptors and arguments in the session. This program replaces malloc and its kin (the
 * library's calls bind to the executable's definitions) to count the calls made while
 * 2 rows decode 20 tokens, after a prefill; a forward run on a session reserved for the
 * bounds is counted too, and the workspace the library reports is what the session holds.
 * Usage: no_heap_decode WEIGHTS  (built against gpt2.h; exits non-zero on a failed check) */
#define _GNU_SOURCE
#include "gpt2.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 0: not counting; 1: counting where none may happen; 2: counting where some must. */
static atomic_int counting, allocations;

static void count(void) {
  if (atomic_load(&counting))
    atomic_fetch_add(&allocations, 1);
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COUNT_WITH_SANITIZER_HOOKS
#endif
#endif
#ifdef COUNT_WITH_SANITIZER_HOOKS
/* Under AddressSanitizer (scripts/sanitize.sh), which owns malloc, its hooks see each call;
 * each one counted where none may happen prints where it came from. */
#include <sanitizer/allocator_interface.h>
#include <sanitizer/common_interface_defs.h>
static void on_malloc(const volatile void *pointer, size_t size) {
  (void)pointer;
  if (atomic_load(&counting) == 1) {
    fprintf(stderr, "no_heap_decode: an allocation of %zu bytes while counting:\n", size);
    __sanitizer_print_stack_trace();
  }
  count();
}
static void on_free(const volatile void *pointer) { (void)pointer; }
static void start_counting(void) { __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free); }
#else
/* Otherwise the executable's definitions replace libc's for the whole process. */
static void start_counting(void) {}
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void __libc_free(void *pointer);

void *malloc(size_t size) {
  count();
  return __libc_malloc(size);
}
void *calloc(size_t count_, size_t size) {
  count();
  return __libc_calloc(count_, size);
}
void *realloc(void *pointer, size_t size) {
  count();
  return __libc_realloc(pointer, size);
}
void *aligned_alloc(size_t alignment, size_t size) {
  count();
  return __libc_memalign(alignment, size);
}
void *memalign(size_t alignment, size_t size) {
  count();
  return __libc_memalign(alignment, size);
}
int posix_memalign(void **out, size_t alignment, size_t size) {
  count();
  *out = __libc_memalign(alignment, size);
  return *out ? 0 : ENOMEM;
}
void free(void *pointer) { __libc_free(pointer); }
#endif

enum { VOCAB = 512, ROWS = 2, PROMPT = 5, STEPS = 20 };

static int failures = 0;
static void check(const char *what, int ok) {
  failures += !ok;
  printf("%s: %s\n", what, ok ? "yes" : "NO");
}

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  start_counting();
  attune_model *model = NULL;
  attune_session *session = NULL;
  if (gpt2_open(argv[1], &model) != ATTUNE_OK ||
      gpt2_attune_session_create(model, &session) != ATTUNE_OK ||
      gpt2_attune_session_reserve_cache(session, "forward", ROWS, 32) != ATTUNE_OK) {
    fprintf(stderr, "no_heap_decode: %s\n", gpt2_attune_last_error());
    return 1;
  }
  static float logits[ROWS * PROMPT * VOCAB];
  int32_t prompts[ROWS * PROMPT] = {464, 329, 318, 7, 9, 11, 12, 13, 0, 0};
  int64_t lengths[ROWS] = {5, 3};
  int ok = gpt2_session_prefill(session, ROWS, PROMPT, prompts, logits, lengths) == ATTUNE_OK;
  int32_t next[ROWS] = {1, 2};
  ok &= gpt2_session_decode(session, ROWS, next, logits) == ATTUNE_OK; /* the pool starts */
  atomic_store(&counting, 1);
  for (int step = 0; step < STEPS && ok; ++step) {
    for (int r = 0; r < ROWS; ++r) /* the next token: the best logit */
      for (int v = 0; v < VOCAB; ++v)
        if (logits[r * VOCAB + v] > logits[r * VOCAB + next[r]])
          next[r] = v;
    ok &= gpt2_session_decode(session, ROWS, next, logits) == ATTUNE_OK;
  }
  atomic_store(&counting, 0);
  check("decoded", ok);
  printf("allocations in %d decode steps: %d\n", STEPS, atomic_load(&allocations));
  check("no allocation while decoding", atomic_load(&allocations) == 0);

  /* A forward run on a session reserved for the bounds allocates nothing either. */
  attune_session *forward = NULL;
  ok = gpt2_attune_session_create(model, &forward) == ATTUNE_OK &&
       gpt2_attune_session_reserve(forward, NULL, NULL, 0) == ATTUNE_OK;
  size_t bound_bytes = 0, peak = 0, held = 0;
  ok &= gpt2_attune_model_workspace_bytes(model, NULL, NULL, 0, &bound_bytes) == ATTUNE_OK;
  ok &= gpt2_attune_session_arena_bytes(forward, &peak, &held) == ATTUNE_OK;
  check("reserved for the bounds", ok && held >= bound_bytes && bound_bytes > 0);
  atomic_store(&allocations, 0);
  atomic_store(&counting, 1);
  ok &= gpt2_session_run(forward, ROWS, PROMPT, prompts, logits) == ATTUNE_OK;
  atomic_store(&counting, 0);
  printf("allocations in a forward run: %d\n", atomic_load(&allocations));
  check("no allocation in a reserved forward run", ok && atomic_load(&allocations) == 0);

  /* The closed form: more rows or tokens never need less, and a run needs what it says. */
  attune_dim small[] = {{"batch", 1}, {"seq", 4}}, wider[] = {{"batch", 2}, {"seq", 4}},
             longer[] = {{"batch", 2}, {"seq", PROMPT}};
  size_t a = 0, b = 0, c = 0;
  ok = gpt2_attune_model_workspace_bytes(model, NULL, small, 2, &a) == ATTUNE_OK &&
       gpt2_attune_model_workspace_bytes(model, NULL, wider, 2, &b) == ATTUNE_OK &&
       gpt2_attune_model_workspace_bytes(model, NULL, longer, 2, &c) == ATTUNE_OK;
  printf("workspace bytes: batch 1 seq 4: %zu, batch 2 seq 4: %zu, batch 2 seq %d: %zu, bounds: "
         "%zu\n", a, b, PROMPT, c, bound_bytes);
  check("monotone in the dims", ok && 0 < a && a < b && b < c && c < bound_bytes);
  attune_session *fresh = NULL;
  ok = gpt2_attune_session_create(model, &fresh) == ATTUNE_OK;
  atomic_store(&allocations, 0);
  atomic_store(&counting, 2);
  ok &= gpt2_session_run(fresh, ROWS, PROMPT, prompts, logits) == ATTUNE_OK;
  atomic_store(&counting, 0);
  ok &= gpt2_attune_session_arena_bytes(fresh, &peak, &held) == ATTUNE_OK;
  check("a run needs what the size function says", ok && peak == c);
  /* ...and a session's first run gets it from the heap: the counting sees the library. */
  check("an unreserved session's first run allocates", atomic_load(&allocations) > 0);
  gpt2_attune_session_destroy(fresh);
  gpt2_attune_session_destroy(forward);
  gpt2_attune_session_destroy(session);
  gpt2_attune_model_close(model);
  return failures ? 1 : 0;
}
