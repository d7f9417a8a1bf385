/* Greedy generation through a generated library's header, as an application embeds it:
 * open the model, make a session with a KV cache, prefill the prompt, then decode one token
 * at a time (each step runs only the new token against the cache), stop at eos or after N
 * tokens. Built against GPT-2 (gpt2.h, libgpt2.so); any causal LM's header has the same
 * helpers under its own name.
 *
 *   cc examples/generate.c -Iout -Lout -lgpt2 -lm -o generate
 *   LD_LIBRARY_PATH=out ./generate WEIGHTS MAX_NEW_TOKENS EOS TOKEN [TOKEN ...]
 *
 * Prints "tokens: ..." as they come (EOS -1: never stop early). Exits 2 on a prompt that does
 * not fit GPT2_MAX_CACHE or has ids outside the vocabulary, 1 with the runtime's message on
 * any failure of the library. */
#include "gpt2.h"

#include <stdio.h>
#include <stdlib.h>

static int fail(const char *what) {
  fprintf(stderr, "generate: %s: %s\n", what, gpt2_attune_last_error());
  return 1;
}

static int32_t most_likely(const float *logits, int64_t vocab) {
  int32_t best = 0;
  for (int64_t t = 1; t < vocab; ++t)
    if (logits[t] > logits[best])
      best = (int32_t)t;
  return best;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s WEIGHTS MAX_NEW_TOKENS EOS TOKEN [TOKEN ...]\n", argv[0]);
    return 2;
  }
  int max_new = atoi(argv[2]);
  long eos = atol(argv[3]);
  int prompt = argc - 4;
  /* The cache keeps the prompt and every new token but the last. */
  int capacity = prompt + max_new - 1;
  if (max_new < 1 || capacity > GPT2_MAX_CACHE) {
    fprintf(stderr, "generate: %d prompt tokens and %d new ones do not fit cache <= %d\n",
            prompt, max_new, GPT2_MAX_CACHE);
    return 2;
  }

  attune_model *model = NULL;
  if (gpt2_open(argv[1], &model) != ATTUNE_OK)
    return fail("open");
  attune_session *session = NULL;
  if (gpt2_attune_session_create(model, &session) != ATTUNE_OK)
    return fail("session");
  if (gpt2_attune_session_reserve_cache(session, "forward", 1, capacity) != ATTUNE_OK)
    return fail("cache");
  /* The vocabulary: the last dim of the logits output. */
  attune_tensor logits_info;
  if (gpt2_attune_model_output(model, 0, &logits_info) != ATTUNE_OK)
    return fail("output");
  int64_t vocab = logits_info.shape[logits_info.rank - 1];

  int32_t *tokens = malloc(sizeof(int32_t) * (size_t)prompt);
  float *logits = malloc(sizeof(float) * (size_t)(prompt * vocab));
  for (int i = 0; i < prompt; ++i) {
    long id = atol(argv[4 + i]);
    if (id < 0 || id >= vocab) {
      fprintf(stderr, "generate: token %ld is outside the vocabulary [0, %lld)\n", id,
              (long long)vocab);
      return 2;
    }
    tokens[i] = (int32_t)id;
  }
  int status = 0;
  printf("tokens:");
  /* Prefill: the whole prompt at once; the next token from its last position. */
  if (gpt2_session_prefill(session, 1, prompt, tokens, logits, NULL) != ATTUNE_OK) {
    status = fail("prefill");
  } else {
    int32_t next = most_likely(logits + (int64_t)(prompt - 1) * vocab, vocab);
    for (int step = 0;; ++step) {
      printf(" %d", next);
      fflush(stdout);
      if (next == eos || step + 1 == max_new)
        break;
      /* Decode: only the new token runs, against the cache of everything before it. */
      if (gpt2_session_decode(session, 1, &next, logits) != ATTUNE_OK) {
        status = fail("decode");
        break;
      }
      next = most_likely(logits, vocab);
    }
  }
  printf("\n");
  free(tokens);
  free(logits);
  gpt2_attune_session_destroy(session);
  gpt2_attune_model_close(model);
  return status;
}
