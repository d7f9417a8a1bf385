/* Two attune libraries in one C program: GPT-2 and Llama, each with its own runtime (thread
 * pool, thread count, memory) reached through its header's NAME_attune_* functions.
 * Usage: two_libraries GPT2_WEIGHTS LLAMA_WEIGHTS  (prints one line per check and each
 * model's next token after 5,17,42,99,7; exits non-zero on a failed check) */
#include "gpt2.h"
#include "llama.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SEQ = 5, GPT2_VOCAB = 512, LLAMA_VOCAB = 500 };
static const int32_t ids[SEQ] = {5, 17, 42, 99, 7};
static int failures = 0;

static void check(const char *what, int ok) {
  printf("%s: %s\n", what, ok ? "yes" : "NO");
  failures += !ok;
}

static int argmax_last(const float *logits, int vocab) {
  const float *last = logits + (SEQ - 1) * vocab;
  int best = 0;
  for (int i = 1; i < vocab; ++i)
    if (last[i] > last[best])
      best = i;
  return best;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s GPT2_WEIGHTS LLAMA_WEIGHTS\n", argv[0]);
    return 2;
  }
  attune_model *gpt2 = NULL, *llama = NULL;
  if (gpt2_open(argv[1], &gpt2) != ATTUNE_OK || llama_open(argv[2], &llama) != ATTUNE_OK) {
    printf("open: %s %s\n", gpt2_attune_last_error(), llama_attune_last_error());
    return 1;
  }
  check("two runtimes", gpt2_runtime() != llama_runtime());
  check("same ABI", gpt2_runtime()->abi_version == ATTUNE_ABI_VERSION &&
                        llama_runtime()->abi_version == ATTUNE_ABI_VERSION);

  /* Thread counts are each library's own. */
  check("thread counts set", gpt2_attune_set_num_threads(1) == ATTUNE_OK &&
                                 llama_attune_set_num_threads(3) == ATTUNE_OK);
  check("thread counts kept apart",
        gpt2_attune_get_num_threads() == 1 && llama_attune_get_num_threads() == 3);

  float *g1 = malloc(sizeof(float) * SEQ * GPT2_VOCAB), *g3 = malloc(sizeof(float) * SEQ * GPT2_VOCAB);
  float *l3 = malloc(sizeof(float) * SEQ * LLAMA_VOCAB), *l1 = malloc(sizeof(float) * SEQ * LLAMA_VOCAB);
  check("runs", gpt2_run(gpt2, 1, SEQ, ids, g1) == ATTUNE_OK &&
                    llama_run(llama, 1, SEQ, ids, l3) == ATTUNE_OK);

  /* Each model's intermediates came from its own runtime's arena (a library whose runtime
   * was another's would allocate from malloc and report none). */
  size_t peak = 0, reserved = 0;
  int arenas = gpt2_attune_model_arena_bytes(gpt2, &peak, &reserved) == ATTUNE_OK && peak > 0;
  arenas &= llama_attune_model_arena_bytes(llama, &peak, &reserved) == ATTUNE_OK && peak > 0;
  check("each model's memory in its own arena", arenas);

  /* Swapped thread counts give the same logits, bit for bit. */
  gpt2_attune_set_num_threads(3);
  llama_attune_set_num_threads(1);
  check("runs swapped", gpt2_run(gpt2, 1, SEQ, ids, g3) == ATTUNE_OK &&
                            llama_run(llama, 1, SEQ, ids, l1) == ATTUNE_OK);
  check("same logits on 1 and 3 threads",
        memcmp(g1, g3, sizeof(float) * SEQ * GPT2_VOCAB) == 0 &&
            memcmp(l1, l3, sizeof(float) * SEQ * LLAMA_VOCAB) == 0);

  /* A bad call's message is kept by the library it went to. */
  check("errors kept apart", gpt2_attune_set_num_threads(0) == ATTUNE_ERROR_INVALID_ARGUMENT &&
                                 strstr(gpt2_attune_last_error(), "0 threads") != NULL &&
                                 strstr(llama_attune_last_error(), "0 threads") == NULL);

  printf("gpt2 next token: %d\n", argmax_last(g1, GPT2_VOCAB));
  printf("llama next token: %d\n", argmax_last(l1, LLAMA_VOCAB));
  gpt2_attune_model_close(gpt2);
  llama_attune_model_close(llama);
  free(g1);
  free(g3);
  free(l1);
  free(l3);
  printf("%d failures\n", failures);
  return failures != 0;
}
